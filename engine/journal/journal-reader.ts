/**
 * Reading the journal: iterate the records of a directory from a sequence on,
 * verifying each record's length and CRC-32C. An invalid record at the end of
 * the last file is a torn tail (a crash in the middle of a group write): reading
 * stops there, and since a group is acknowledged only after its write (and
 * fdatasync) completed, nothing acknowledged is lost by ignoring it. An invalid
 * record in an earlier file, or one followed by valid records, cannot be a torn
 * write and is reported as corruption (an error), because records after it
 * would be skipped.
 */
import fs from 'node:fs';
import type { Command } from '../types.ts';
import { ByteReader } from './byte-buffer.ts';
import { decodeCommand } from './command-codec.ts';
import {
  checkFileHeader,
  checkRecord,
  FILE_HEADER_BYTES,
  findLaterRecord,
  headerFirstSeq,
  listJournalFiles,
  RECORD_HEADER_BYTES,
  recordFault,
  type JournalFile,
} from './journal-format.ts';

export class JournalCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalCorruptError';
  }
}

export interface FileScan {
  /** Byte offset just past the last valid record (header size for an empty file). */
  validEnd: number;
  /** Records found valid. */
  records: number;
  /** Sequence of the last valid record (0 when none). */
  lastSeq: number;
  /** Why scanning stopped before the end of the file, when it did. */
  tornReason?: string;
  fileBytes: number;
}

/**
 * Walk the records of one file's bytes. `visit` gets (payloadStart, payloadEnd, seq)
 * for each valid record; scanning stops at the first invalid one, which is a torn
 * tail only if nothing valid follows it: when a later record continues the
 * sequence (findLaterRecord), the bytes are damaged in the middle and this throws
 * JournalCorruptError, so that no caller truncates journaled commands away.
 */
export function scanRecords(buf: Buffer, visit?: (start: number, end: number, seq: number) => void, label = 'journal file'): FileScan {
  const scan: FileScan = { validEnd: FILE_HEADER_BYTES, records: 0, lastSeq: 0, fileBytes: buf.length };
  if (!checkFileHeader(buf)) {
    // The header is written before any record: one followed by a valid record was damaged, not torn.
    if (checkRecord(buf, FILE_HEADER_BYTES) > 0) throw new JournalCorruptError(`${label}: bad file header before valid records`);
    scan.validEnd = 0;
    scan.tornReason = buf.length < FILE_HEADER_BYTES ? 'short file header' : 'bad file header';
    return scan;
  }
  let p = FILE_HEADER_BYTES;
  const n = buf.length;
  while (p < n) {
    const end = checkRecord(buf, p, n);
    if (end < 0) {
      scan.tornReason = recordFault(buf, p, end);
      break;
    }
    const seq = buf.readDoubleLE(p + RECORD_HEADER_BYTES + 1);
    if (seq <= scan.lastSeq) {
      scan.tornReason = `sequence ${seq} not increasing at ${p}`;
      break;
    }
    visit?.(p + RECORD_HEADER_BYTES, end, seq);
    scan.lastSeq = seq;
    scan.records++;
    p = end;
    scan.validEnd = p;
  }
  if (scan.tornReason !== undefined) {
    const prevSeq = scan.records > 0 ? scan.lastSeq : headerFirstSeq(buf) - 1;
    const later = findLaterRecord(buf, p, prevSeq);
    if (later >= 0) {
      throw new JournalCorruptError(
        `${label}: ${scan.tornReason}, but a valid record (seq ${buf.readDoubleLE(later + RECORD_HEADER_BYTES + 1)}) follows at ${later}: damaged journal, not a torn tail`,
      );
    }
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
    const buf = fs.readFileSync(f.path);
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
