/**
 * Reading the journal: iterate the records of a directory from a sequence on,
 * verifying each record's length and CRC-32C. The first invalid record of the
 * last file is a torn tail (a crash in the middle of a group write): reading
 * stops there, and since a group is acknowledged only after its write (and
 * fdatasync) completed, nothing acknowledged is lost by ignoring it. An invalid
 * record in an earlier file cannot be a torn write and is reported as
 * corruption (an error), because records after it would be skipped.
 */
import fs from 'node:fs';
import type { Command } from '../types.ts';
import { ByteReader } from './byte-buffer.ts';
import { decodeCommand } from './command-codec.ts';
import { crc32c } from './crc32c.ts';
import {
  checkFileHeader,
  FILE_HEADER_BYTES,
  listJournalFiles,
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
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
 * for each valid record; scanning stops at the first invalid one.
 */
export function scanRecords(buf: Buffer, visit?: (start: number, end: number, seq: number) => void): FileScan {
  const scan: FileScan = { validEnd: FILE_HEADER_BYTES, records: 0, lastSeq: 0, fileBytes: buf.length };
  if (!checkFileHeader(buf)) {
    scan.validEnd = 0;
    scan.tornReason = buf.length < FILE_HEADER_BYTES ? 'short file header' : 'bad file header';
    return scan;
  }
  let p = FILE_HEADER_BYTES;
  const n = buf.length;
  while (p < n) {
    if (p + RECORD_HEADER_BYTES > n) {
      scan.tornReason = `short record header at ${p}`;
      break;
    }
    const len = buf.readUInt32LE(p);
    if (len < 17 || len > MAX_RECORD_BYTES) {
      scan.tornReason = len === 0 ? `zero length at ${p}` : `bad length ${len} at ${p}`;
      break;
    }
    const start = p + RECORD_HEADER_BYTES;
    const end = start + len;
    if (end > n) {
      scan.tornReason = `truncated record at ${p}`;
      break;
    }
    if (crc32c(buf, start, end) !== buf.readUInt32LE(p + 4)) {
      scan.tornReason = `checksum mismatch at ${p}`;
      break;
    }
    const seq = buf.readDoubleLE(start + 1);
    if (seq <= scan.lastSeq) {
      scan.tornReason = `sequence ${seq} not increasing at ${p}`;
      break;
    }
    visit?.(start, end, seq);
    scan.lastSeq = seq;
    scan.records++;
    p = end;
    scan.validEnd = p;
  }
  return scan;
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
    const scan = scanRecords(buf, (start, end, seq) => {
      if (seq <= prev) throw new JournalCorruptError(`${f.path}: sequence ${seq} after ${prev}`);
      prev = seq;
      if (seq <= fromSeq) return;
      r.pos = start;
      r.end = end;
      fn(decodeCommand(r));
      stats.replayed++;
    });
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
  const scan = scanRecords(buf, (start, end) => {
    r.pos = start;
    r.end = end;
    commands.push(decodeCommand(r));
  });
  return { commands, scan };
}
