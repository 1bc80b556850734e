/**
 * On-disk format of the journal (see docs/durability.md).
 *
 * A data directory holds files `journal-<firstSeq>.log` (firstSeq zero-padded
 * to 16 digits so names sort by sequence). Each file starts with a 16-byte
 * header [magic "AXJ1" u32][version u32][firstSeq f64] followed by records
 * [len u32][crc32c(payload) u32][payload], payload = command-codec encoding.
 * A record never spans files: files roll only between groups.
 *
 * Version 2 ends every group (one write) with a commit record: payload
 * [COMMIT_TAG u8][last seq of the group f64][0 f64][group start offset f64]
 * [records u32]. A group counts only once its commit record is valid and
 * matches it, so a group torn by a power loss, whatever order its pages
 * reached the disk in, is recognised as the unacknowledged last group and
 * dropped whole (docs/durability.md). Version 1 files (no commit records)
 * are still read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from './crc32c.ts';
import { optionalAddonFunction } from '../book/native-addon.ts';

export const JOURNAL_MAGIC = 0x314a5841; // "AXJ1" little-endian
export const JOURNAL_VERSION = 2;
/** The version before commit records: still read, never written. */
export const JOURNAL_VERSION_V1 = 1;
export const FILE_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
/** Sanity bound: a length field above this is corruption, not a record. The writer never produces a longer payload. */
export const MAX_RECORD_BYTES = 1 << 20;
/** Smallest payload: type u8 + seq f64 + ts f64. */
export const MIN_RECORD_BYTES = 17;
/** Type byte of a commit record (command tags are small: engine/journal/command-codec.ts). */
export const COMMIT_TAG = 0xc0;
/** Payload of a commit record: tag, seq, ts (0), group start offset, record count. */
export const COMMIT_PAYLOAD_BYTES = 1 + 8 + 8 + 8 + 4;
export const COMMIT_RECORD_BYTES = RECORD_HEADER_BYTES + COMMIT_PAYLOAD_BYTES;

// Outcomes of checkRecord() other than a payload end (negative, so one number carries both).
export const REC_SHORT_HEADER = -1;
export const REC_BAD_LENGTH = -2;
export const REC_TRUNCATED = -3;
export const REC_BAD_CHECKSUM = -4;

/**
 * Checks the record whose header starts at `p` in buf[0, limit): its length field
 * is in bounds, the payload fits, and the CRC-32C matches. Returns the payload's
 * end offset (> p) when valid, else one of the negative REC_* codes. The record's
 * sequence is then buf.readDoubleLE(p + RECORD_HEADER_BYTES + 1). The one
 * definition of "a valid record" for the reader, the cursor and the writer's reopen.
 */
export function checkRecord(buf: Buffer, p: number, limit: number = buf.length, verifiedTo = 0): number {
  if (p + RECORD_HEADER_BYTES > limit) return REC_SHORT_HEADER;
  const len = buf.readUInt32LE(p);
  if (len < MIN_RECORD_BYTES || len > MAX_RECORD_BYTES) return REC_BAD_LENGTH;
  const start = p + RECORD_HEADER_BYTES;
  const end = start + len;
  if (end > limit) return REC_TRUNCATED;
  // a record wholly below verifiedTo had its checksum verified already (verifiedRecords)
  if (end > verifiedTo && crc32c(buf, start, end) !== buf.readUInt32LE(p + 4)) return REC_BAD_CHECKSUM;
  return end;
}

/**
 * How far from `from` the records of buf[from, limit) are well-framed and carry
 * the right checksum, checked by the native addon in one call (CRC-32C in
 * hardware where the CPU has it: a 500k-record, 34.5 MB journal in a few ms
 * instead of ~50 ms in TypeScript); `from` when the addon is not built. Only a prefix is
 * vouched for: checkRecord still frames every record and checksums those past it.
 */
export function verifiedRecords(buf: Buffer, from: number, limit: number = buf.length): number {
  if (verifyFn === undefined) verifyFn = optionalAddonFunction('crc32cVerify', 'AUREX_NATIVE_CRC');
  if (verifyFn === null || from >= limit) return from;
  return verifyFn(buf, from, limit, MIN_RECORD_BYTES, MAX_RECORD_BYTES);
}

let verifyFn: ((b: Uint8Array, from: number, to: number, minLen: number, maxLen: number) => number) | null | undefined;

/** Human-readable reason for a negative checkRecord() result at `p` (reported as offset `at`, default p). */
export function recordFault(buf: Buffer, p: number, fault: number, at: number = p): string {
  switch (fault) {
    case REC_SHORT_HEADER:
      return `short record header at ${at}`;
    case REC_BAD_LENGTH: {
      const len = buf.readUInt32LE(p);
      return len === 0 ? `zero length at ${at}` : `bad length ${len} at ${at}`;
    }
    case REC_TRUNCATED:
      return `truncated record at ${at}`;
    default:
      return `checksum mismatch at ${at}`;
  }
}

const NAME_RE = /^journal-(\d{16})\.log$/;

export interface JournalFile {
  path: string;
  firstSeq: number;
}

export function journalFileName(firstSeq: number): string {
  return `journal-${String(firstSeq).padStart(16, '0')}.log`;
}

/** Journal files of a directory, ascending by first sequence. */
export function listJournalFiles(dir: string): JournalFile[] {
  if (!fs.existsSync(dir)) return [];
  const out: JournalFile[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = NAME_RE.exec(name);
    if (m) out.push({ path: path.join(dir, name), firstSeq: Number(m[1]) });
  }
  out.sort((a, b) => a.firstSeq - b.firstSeq);
  return out;
}

export function writeFileHeader(buf: Buffer, firstSeq: number): void {
  buf.writeUInt32LE(JOURNAL_MAGIC, 0);
  buf.writeUInt32LE(JOURNAL_VERSION, 4);
  buf.writeDoubleLE(firstSeq, 8);
}

export function checkFileHeader(buf: Buffer): boolean {
  if (buf.length < FILE_HEADER_BYTES || buf.readUInt32LE(0) !== JOURNAL_MAGIC) return false;
  const v = buf.readUInt32LE(4);
  return v === JOURNAL_VERSION || v === JOURNAL_VERSION_V1;
}

/** Format version of a file whose header passed checkFileHeader. */
export function headerVersion(buf: Buffer): number {
  return buf.readUInt32LE(4);
}

/**
 * Writes a commit record at buf[at, at + COMMIT_RECORD_BYTES): the group that
 * started at file offset `groupStart` holds `records` command records, the
 * last with sequence `lastSeq`.
 */
export function writeCommitRecord(buf: Buffer, at: number, lastSeq: number, groupStart: number, records: number): void {
  const p = at + RECORD_HEADER_BYTES;
  buf.writeUInt32LE(COMMIT_PAYLOAD_BYTES, at);
  buf[p] = COMMIT_TAG;
  buf.writeDoubleLE(lastSeq, p + 1);
  buf.writeDoubleLE(0, p + 9);
  buf.writeDoubleLE(groupStart, p + 17);
  buf.writeUInt32LE(records, p + 25);
  buf.writeUInt32LE(crc32c(buf, p, p + COMMIT_PAYLOAD_BYTES), at + 4);
}

/** Whether the valid record with payload buf[start, end) is a commit record. */
export function isCommitPayload(buf: Buffer, start: number, end: number): boolean {
  return end - start === COMMIT_PAYLOAD_BYTES && buf[start] === COMMIT_TAG;
}

/** Group start offset of a commit record's payload at `start`. */
export function commitGroupStart(buf: Buffer, start: number): number {
  return buf.readDoubleLE(start + 17);
}

/** Record count of a commit record's payload at `start`. */
export function commitRecords(buf: Buffer, start: number): number {
  return buf.readUInt32LE(start + 25);
}

/**
 * The first valid commit record at or after `from` (its header offset), or -1.
 * Commit records have a fixed length, so candidates are cheap to reject. Only
 * called on damage.
 */
export function findCommitRecord(buf: Buffer, from: number, limit: number = buf.length): number {
  for (let q = from; q + COMMIT_RECORD_BYTES <= limit; q++) {
    if (buf.readUInt32LE(q) !== COMMIT_PAYLOAD_BYTES || buf[q + RECORD_HEADER_BYTES] !== COMMIT_TAG) continue;
    if (checkRecord(buf, q, limit) > 0) return q;
  }
  return -1;
}

/** fsync a directory so a created/renamed/removed entry survives power loss. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Looks past an invalid record at `from` for a later valid one that continues the
 * sequence: it checks (length, CRC), and its seq is an integer above `prevSeq`
 * (the last valid record's) and no further ahead than the bytes in between could
 * hold records. Finding one means the invalid record is damage with journaled
 * records after it, not a torn tail (which only exists at the very end). Returns
 * its offset, or -1. Linear in the bytes after `from`; only called on damage.
 */
export function findLaterRecord(buf: Buffer, from: number, prevSeq: number, limit: number = buf.length): number {
  const minRec = RECORD_HEADER_BYTES + MIN_RECORD_BYTES;
  for (let q = from + 1; q + minRec <= limit; q++) {
    const len = buf.readUInt32LE(q);
    if (len < MIN_RECORD_BYTES || len > MAX_RECORD_BYTES || q + RECORD_HEADER_BYTES + len > limit) continue;
    const seq = buf.readDoubleLE(q + RECORD_HEADER_BYTES + 1);
    if (!(seq > prevSeq) || !Number.isInteger(seq) || seq > prevSeq + 1 + Math.floor((q - from) / minRec)) continue;
    if (checkRecord(buf, q, limit) > 0) return q;
  }
  return -1;
}

/** First sequence recorded in a file header (valid only when checkFileHeader passed). */
export function headerFirstSeq(buf: Buffer): number {
  return buf.readDoubleLE(8);
}
