/**
 * On-disk format of the journal (see docs/durability.md).
 *
 * A data directory holds files `journal-<firstSeq>.log` (firstSeq zero-padded
 * to 16 digits so names sort by sequence). Each file starts with a 16-byte
 * header [magic "AXJ1" u32][version u32][firstSeq f64] followed by records
 * [len u32][crc32c(payload) u32][payload], payload = command-codec encoding.
 * A record never spans files: files roll only between groups.
 */
import fs from 'node:fs';
import path from 'node:path';

export const JOURNAL_MAGIC = 0x314a5841; // "AXJ1" little-endian
export const JOURNAL_VERSION = 1;
export const FILE_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
/** Sanity bound: a length field above this is corruption, not a record. */
export const MAX_RECORD_BYTES = 1 << 20;

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
  return buf.length >= FILE_HEADER_BYTES && buf.readUInt32LE(0) === JOURNAL_MAGIC && buf.readUInt32LE(4) === JOURNAL_VERSION;
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
