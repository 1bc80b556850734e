/**
 * Reading the journal: iterate the records of a directory from a sequence on,
 * verifying each record's length and CRC-32C. In a version 2 file, commands
 * are delivered a group at a time, once the group's commit record has been
 * read and matches it (journal-format.ts). The last group of the last file may
 * be incomplete (a crash or power loss during its write, in any order of its
 * pages): it was never acknowledged (acks wait for the write and fdatasync of
 * the whole group, commit record included), so it is dropped whole. Anything
 * else (an invalid record with a committed group after it, damage in an
 * earlier file) cannot be a torn write and is reported as corruption, because
 * acknowledged records would be skipped. Version 1 files have no commit
 * records: there an invalid record is a torn tail only if no valid record
 * follows it.
 */
import fs from 'node:fs';
import type { Command } from '../types.ts';
import { ByteReader, dataViewOf } from './byte-buffer.ts';
import { decodeCommand } from './command-codec.ts';
import { bigBuffer } from '../big-buffer.ts';
import {
  checkFileHeader,
  checkRecord,
  COMMIT_RECORD_BYTES,
  commitGroupStart,
  commitRecords,
  FILE_HEADER_BYTES,
  findCommitRecord,
  findLaterRecord,
  headerFirstSeq,
  headerVersion,
  isCommitPayload,
  JOURNAL_VERSION_V1,
  listJournalFiles,
  RECORD_HEADER_BYTES,
  recordFault,
  verifiedRecords,
  type JournalFile,
} from './journal-format.ts';

export class JournalCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalCorruptError';
  }
}

export interface FileScan {
  /** Byte offset just past the last valid record (version 2: of the last committed group; header size for an empty file). */
  validEnd: number;
  /** Command records found valid (version 2: in committed groups). */
  records: number;
  /** Sequence of the last of those records (0 when none). */
  lastSeq: number;
  /** Why scanning stopped before the end of the file, or dropped an uncommitted last group, when it did. */
  tornReason?: string;
  fileBytes: number;
  /** Format version from the header (0 when the header is missing or bad). */
  version: number;
}

/**
 * `visit(payloadStart, payloadEnd, seq, groupStart)` for each delivered
 * record; groupStart is the file offset where its group begins (version 1:
 * the record's own offset).
 */
export type RecordVisitor = (start: number, end: number, seq: number, groupStart: number) => void;

/**
 * Walk the records of one file's bytes, calling `visit` for each valid
 * (version 2: committed) command record. Scanning stops at the first invalid
 * record. That is a torn tail only if nothing acknowledged can lie after it:
 * version 2, no valid commit record of a later group follows (a commit record
 * of the damaged group itself may, when its pages reached the disk out of
 * order, but then nothing valid may follow that); version 1, no valid record
 * continues the sequence (findLaterRecord). Otherwise the bytes are damaged in
 * the middle and this throws JournalCorruptError, so that no caller truncates
 * journaled commands away.
 */
export function scanRecords(buf: Buffer, visit?: RecordVisitor, label = 'journal file'): FileScan {
  const scan: FileScan = { validEnd: FILE_HEADER_BYTES, records: 0, lastSeq: 0, fileBytes: buf.length, version: 0 };
  if (!checkFileHeader(buf)) {
    // The header is written before any record: one followed by a valid record was damaged, not torn.
    if (checkRecord(buf, FILE_HEADER_BYTES) > 0) throw new JournalCorruptError(`${label}: bad file header before valid records`);
    scan.validEnd = 0;
    scan.tornReason = buf.length < FILE_HEADER_BYTES ? 'short file header' : 'bad file header';
    return scan;
  }
  scan.version = headerVersion(buf);
  const grouped = scan.version !== JOURNAL_VERSION_V1;
  // version 2: the open group's records are delivered at its commit by walking
  // them again from groupStart (their framing and checksums were checked on
  // the first pass), so a group of any size needs no buffer of its own.
  let groupCount = 0;
  let groupStart = FILE_HEADER_BYTES;
  let lastCmdSeq = 0;
  let p = FILE_HEADER_BYTES;
  const n = buf.length;
  const dv = dataViewOf(buf);
  const verifiedTo = verifiedRecords(buf, p, n);
  while (p < n) {
    const end = checkRecord(buf, p, n, verifiedTo);
    if (end < 0) {
      scan.tornReason = recordFault(buf, p, end);
      break;
    }
    const start = p + RECORD_HEADER_BYTES;
    const seq = dv.getFloat64(start + 1, true);
    if (grouped && isCommitPayload(buf, start, end)) {
      const count = groupCount;
      if (count === 0 || seq !== lastCmdSeq || commitGroupStart(buf, start) !== groupStart || commitRecords(buf, start) !== count) {
        scan.tornReason = `commit record at ${p} does not match its group`;
        break;
      }
      if (visit !== undefined) {
        for (let q = groupStart; q < p; ) {
          const rs = q + RECORD_HEADER_BYTES;
          const re = rs + dv.getUint32(q, true);
          visit(rs, re, dv.getFloat64(rs + 1, true), groupStart);
          q = re;
        }
      }
      groupCount = 0;
      scan.records += count;
      scan.lastSeq = seq;
      p = end;
      scan.validEnd = p;
      groupStart = p;
      continue;
    }
    if (seq <= lastCmdSeq) {
      scan.tornReason = `sequence ${seq} not increasing at ${p}`;
      break;
    }
    lastCmdSeq = seq;
    if (grouped) groupCount++;
    else {
      visit?.(start, end, seq, p);
      scan.lastSeq = seq;
      scan.records++;
      scan.validEnd = end;
    }
    p = end;
  }
  if (scan.tornReason === undefined) {
    // version 2: records after the last commit are a group whose commit record never reached the disk
    if (groupCount > 0) scan.tornReason = `uncommitted group of ${groupCount} records at ${groupStart}`;
    return scan;
  }
  if (grouped) {
    const c = findCommitRecord(buf, p + 1);
    if (c >= 0) {
      const cStart = c + RECORD_HEADER_BYTES;
      const cSeq = buf.readDoubleLE(cStart + 1);
      const closesThisGroup = commitGroupStart(buf, cStart) === groupStart;
      const after = closesThisGroup ? findLaterRecord(buf, c + COMMIT_RECORD_BYTES - 1, cSeq) : -1;
      if (!closesThisGroup || after >= 0) {
        throw new JournalCorruptError(
          `${label}: ${scan.tornReason}, but ${closesThisGroup ? `a valid record follows the group's commit at ${after}` : `a committed group (commit record at ${c}, seq ${cSeq}) follows`}: damaged journal, not a torn tail`,
        );
      }
    }
    return scan;
  }
  const prevSeq = scan.records > 0 ? scan.lastSeq : headerFirstSeq(buf) - 1;
  const later = findLaterRecord(buf, p, prevSeq);
  if (later >= 0) {
    throw new JournalCorruptError(
      `${label}: ${scan.tornReason}, but a valid record (seq ${buf.readDoubleLE(later + RECORD_HEADER_BYTES + 1)}) follows at ${later}: damaged journal, not a torn tail`,
    );
  }
  return scan;
}

/**
 * Decode the CRC-valid record payload buf[start, end). One that does not decode
 * exactly (unknown type, short, trailing bytes) was written by something else
 * or damaged before its CRC was computed: corruption either way.
 */
export function decodeRecord(r: ByteReader, start: number, end: number, label: string): Command {
  r.pos = start;
  r.end = end;
  try {
    return decodeCommand(r);
  } catch (e) {
    throw new JournalCorruptError(`${label}: undecodable record at ${start - RECORD_HEADER_BYTES}: ${(e as Error).message}`);
  }
}

export interface ReplayStats {
  /** Commands delivered (seq > fromSeq). */
  replayed: number;
  /** Sequence of the last valid record in the journal (0 if empty). */
  lastSeq: number;
  files: number;
  bytes: number;
  /** Where a torn tail was found in the last file, if any. */
  torn?: { file: string; offset: number; reason: string };
}

/**
 * A whole file's bytes, read into huge pages when the file is 2 MiB or more
 * (bigBuffer): readFileSync's buffer is first-touched 4 KiB at a time by the
 * kernel's copy, and on this kind of VM those page faults were a quarter of a
 * 500k-record replay's faults (docs/durability.md, "Replay").
 */
export function readWholeFile(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.from(bigBuffer(Math.max(size, 1)), 0, size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Deliver every journaled command with seq > fromSeq, in order, to `fn`.
 * Each file is read whole (files are bounded by the roll size).
 */
export function readJournal(dir: string, fromSeq: number, fn: (cmd: Command) => void): ReplayStats {
  const files = listJournalFiles(dir);
  const stats: ReplayStats = { replayed: 0, lastSeq: 0, files: files.length, bytes: 0 };
  // Skip files wholly before fromSeq: file i holds seqs [first_i, first_{i+1}).
  let startIdx = 0;
  for (let i = 0; i + 1 < files.length; i++) if (files[i + 1]!.firstSeq <= fromSeq + 1) startIdx = i + 1;
  for (let i = startIdx; i < files.length; i++) {
    const f = files[i]!;
    const buf = readWholeFile(f.path);
    stats.bytes += buf.length;
    const r = new ByteReader(buf);
    let prev = stats.lastSeq;
    const scan = scanRecords(
      buf,
      (start, end, seq) => {
        if (seq <= prev) throw new JournalCorruptError(`${f.path}: sequence ${seq} after ${prev}`);
        prev = seq;
        if (seq <= fromSeq) return;
        fn(decodeRecord(r, start, end, f.path));
        stats.replayed++;
      },
      f.path,
    );
    if (scan.lastSeq > 0) stats.lastSeq = scan.lastSeq;
    if (scan.tornReason !== undefined) {
      if (i !== files.length - 1) throw new JournalCorruptError(`${f.path}: ${scan.tornReason} (not the last journal file)`);
      stats.torn = { file: f.path, offset: scan.validEnd, reason: scan.tornReason };
    }
  }
  return stats;
}

/** Decode every valid record of one file (tests and tools). */
export function readJournalFile(file: JournalFile | string): { commands: Command[]; scan: FileScan } {
  const p = typeof file === 'string' ? file : file.path;
  const buf = fs.readFileSync(p);
  const commands: Command[] = [];
  const r = new ByteReader(buf);
  const scan = scanRecords(buf, (start, end) => commands.push(decodeRecord(r, start, end, p)), p);
  return { commands, scan };
}
