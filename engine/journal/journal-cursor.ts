/**
 * Incremental reading of a journal that is still being written (tailing):
 * deliver records after a sequence in bounded steps, picking up bytes appended
 * since the last call and files created by rolls. An incomplete or
 * not-yet-valid record at the end of the newest file is simply "not there yet"
 * (retried on the next call); the same in an older file, or an invalid record
 * with valid ones after it, is corruption.
 * Used by the PostgreSQL feed, which derives its rows from the journal.
 *
 * Files can disappear under the cursor: snapshot retention removes the files a
 * snapshot covers (JournalWriter.removeCoveredBy), between our listing and our
 * opening, or while we sit at the end of one. The cursor then locates lastSeq + 1
 * again in a fresh listing, exactly as when it started: if the removed file held
 * only records it had already delivered, it continues in the next file; if it
 * held records it had not, those are gone and it reports the gap rather than
 * skipping them.
 */
import fs from 'node:fs';
import type { Command } from '../types.ts';
import { ByteReader } from './byte-buffer.ts';
import { checkFileHeader, checkRecord, FILE_HEADER_BYTES, findLaterRecord, isCommitPayload, listJournalFiles, RECORD_HEADER_BYTES, recordFault } from './journal-format.ts';
import { decodeRecord, JournalCorruptError } from './journal-reader.ts';

/** Relocations in one call before an ENOENT is reported: each one follows a removal, which only happens once per file. */
const MAX_RELOCATIONS = 8;

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export class JournalCursor {
  private readonly dir: string;
  private filePath = '';
  private fileFirstSeq = -1;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** File offset of buf[0]. */
  private fileOff = 0;
  /** Sequence of the record just before pos (firstSeq - 1 at a file's start): what a record after a damaged one must follow. */
  private prevRecSeq = 0;
  /** Last sequence delivered (or skipped as <= the start). */
  lastSeq: number;

  constructor(dir: string, afterSeq: number) {
    this.dir = dir;
    this.lastSeq = afterSeq;
  }

  /** Load (more of) the current file, or move to the next one. Returns false when nothing new. */
  private advance(): boolean {
    for (let relocations = 0; ; relocations++) {
      try {
        return this.advanceOnce();
      } catch (e) {
        if (!isMissing(e) || relocations >= MAX_RELOCATIONS) throw e;
        // The file went away (retention): find lastSeq + 1 again from a fresh listing.
        this.filePath = '';
        this.fileFirstSeq = -1;
        this.buf = Buffer.alloc(0);
        this.pos = 0;
        this.fileOff = 0;
      }
    }
  }

  private advanceOnce(): boolean {
    const files = listJournalFiles(this.dir);
    if (this.filePath === '') {
      // first file that can contain lastSeq + 1
      let idx = -1;
      for (let i = 0; i < files.length; i++) if (files[i]!.firstSeq <= this.lastSeq + 1) idx = i;
      if (idx < 0) idx = files.length ? 0 : -1;
      if (idx < 0) return false;
      if (files[idx]!.firstSeq > this.lastSeq + 1) {
        throw new JournalCorruptError(`journal starts at ${files[idx]!.firstSeq}, records after ${this.lastSeq} are gone`);
      }
      this.open(files[idx]!.path, files[idx]!.firstSeq);
      return true;
    }
    const size = fs.statSync(this.filePath).size;
    const loadedEnd = this.fileOff + this.buf.length;
    if (this.fileOff === 0 && size >= FILE_HEADER_BYTES) {
      // header was missing when the file was first seen
      this.open(this.filePath, this.fileFirstSeq);
      return this.buf.length > 0;
    }
    if (size > loadedEnd) {
      const fd = fs.openSync(this.filePath, 'r');
      try {
        const keep = this.buf.length - this.pos;
        const nb = Buffer.allocUnsafe(keep + (size - loadedEnd));
        this.buf.copy(nb, 0, this.pos);
        const got = fs.readSync(fd, nb, keep, size - loadedEnd, loadedEnd);
        this.fileOff += this.pos;
        this.buf = nb.subarray(0, keep + got);
        this.pos = 0;
      } finally {
        fs.closeSync(fd);
      }
      return true;
    }
    const next = files.find((f) => f.firstSeq > this.fileFirstSeq);
    if (next && this.pos >= this.buf.length) {
      this.open(next.path, next.firstSeq);
      return true;
    }
    if (next && this.pos < this.buf.length) throw new JournalCorruptError(`${this.filePath}: invalid record at the end of a rolled file`);
    return false;
  }

  private open(p: string, firstSeq: number): void {
    const b = fs.readFileSync(p);
    if (!checkFileHeader(b)) {
      // a file being created: header not written yet; retry later
      this.filePath = p;
      this.fileFirstSeq = firstSeq;
      this.buf = Buffer.alloc(0);
      this.pos = 0;
      this.fileOff = 0;
      return;
    }
    this.filePath = p;
    this.fileFirstSeq = firstSeq;
    this.buf = b.subarray(FILE_HEADER_BYTES);
    this.fileOff = FILE_HEADER_BYTES;
    this.pos = 0;
    this.prevRecSeq = firstSeq - 1;
  }

  /**
   * Deliver up to `max` commands with seq in (lastSeq, untilSeq], in order.
   * Returns the number delivered (0: nothing available yet).
   */
  read(max: number, untilSeq: number, fn: (cmd: Command) => void): number {
    let n = 0;
    const r = new ByteReader(this.buf);
    for (;;) {
      if (n >= max) return n;
      const b = this.buf;
      const p = this.pos;
      if (p + RECORD_HEADER_BYTES > b.length) {
        if (!this.advance()) return n;
        r.setBuf(this.buf);
        continue;
      }
      const end = checkRecord(b, p);
      if (end < 0) {
        // incomplete: maybe still being written
        if (!this.advance()) {
          this.checkNotDamaged(end);
          return n;
        }
        r.setBuf(this.buf);
        continue;
      }
      const start = p + RECORD_HEADER_BYTES;
      const seq = b.readDoubleLE(start + 1);
      if (seq > untilSeq) return n;
      this.pos = end;
      this.prevRecSeq = seq;
      // Commit records (version 2) end groups; their seq is the group's last, delivered just before.
      if (seq <= this.lastSeq || isCommitPayload(b, start, end)) continue;
      const cmd = decodeRecord(r, start, end, this.filePath);
      this.lastSeq = seq;
      fn(cmd);
      n++;
    }
  }

  /**
   * An invalid record at the end of the newest file is normally a write in
   * progress; one with a valid, sequence-continuing record after it is damage
   * that waiting would never repair (the feed would stall silently).
   */
  private checkNotDamaged(fault: number): void {
    const b = this.buf;
    const p = this.pos;
    if (p >= b.length) return;
    const later = findLaterRecord(b, p, this.prevRecSeq);
    if (later >= 0) {
      throw new JournalCorruptError(`${this.filePath}: ${recordFault(b, p, fault, this.fileOff + p)} with a valid record after it: damaged journal`);
    }
  }
}
