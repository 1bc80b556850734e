/**
 * The journal writer: the engine's `CommandLog` backed by append-only files.
 *
 * append(cmd) encodes the stamped command into the current group buffer (no
 * I/O, no allocation once the buffer has grown). flush(cb) asks for everything
 * appended so far to become durable and calls cb when it is. Group commit: in
 * `write` mode one synchronous positional write(2) per group (page cache,
 * microseconds; cb runs before flush returns); in `fsync` mode one fs.write
 * (threadpool) and one fdatasync, asynchronously, and commands appended while a
 * group is in flight form the next group, which starts as soon as the previous
 * one completes. Callbacks run strictly in flush order. Any I/O error is fatal
 * (fail-stop): every waiting and later callback receives it, nothing more is
 * written, because acknowledging past a hole in the journal would break
 * recovery.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandLog } from '../command-log.ts';
import type { Command } from '../types.ts';
import { ByteWriter } from './byte-buffer.ts';
import { encodeCommand } from './command-codec.ts';
import { crc32c } from './crc32c.ts';
import {
  COMMIT_RECORD_BYTES,
  FILE_HEADER_BYTES,
  fsyncDir,
  journalFileName,
  JOURNAL_VERSION,
  listJournalFiles,
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  writeCommitRecord,
  writeFileHeader,
} from './journal-format.ts';
import { scanRecords } from './journal-reader.ts';

/** fsync: fdatasync per group (survives power loss). write: write(2) only (survives a process crash). none: no journal. */
export type DurabilityMode = 'fsync' | 'write' | 'none';

export interface JournalWriterOptions {
  dir: string;
  mode: DurabilityMode;
  /** Start a new file once the current one reaches this size (bytes). Default 64 MiB. */
  rollBytes?: number;
  /** Called once on the first I/O error (the writer is then failed). */
  onFatal?: (err: Error) => void;
}

export interface JournalWriterStats {
  groups: number;
  records: number;
  bytes: number;
  files: number;
  /** Duration of the last group's write (+fdatasync), ns. */
  lastGroupNs: number;
  /** Largest group so far, in records. */
  maxGroupRecords: number;
}

type FlushCb = (err?: Error) => void;

export class JournalWriter implements CommandLog {
  /** `write` and `none` complete a flush before it returns; `fsync` waits for the disk. */
  get syncFlush(): boolean {
    return this.mode !== 'fsync';
  }
  readonly dir: string;
  readonly mode: DurabilityMode;
  private readonly rollBytes: number;
  private readonly onFatal?: (err: Error) => void;

  private fd = -1;
  private filePath = '';
  private filePos = 0;
  private cur = new ByteWriter(256 * 1024);
  private spare = new ByteWriter(256 * 1024);
  private curRecords = 0;
  private curFirstSeq = 0;
  /** The reopened last file is of an older format: start a new file before the next group. */
  private rollFirst = false;
  private waiting: FlushCb[] = [];
  private spareCbs: FlushCb[] = [];
  private inFlight = false;
  private failed: Error | undefined;
  private closed = false;
  private closeCb: (() => void) | undefined;
  private lastAppended: number;
  private durable: number;
  readonly stats: JournalWriterStats = { groups: 0, records: 0, bytes: 0, files: 0, lastGroupNs: 0, maxGroupRecords: 0 };

  /**
   * Open a journal directory for appending. The last file's torn tail (if any)
   * is truncated away; `lastSeq` is the sequence of the last valid record.
   */
  static open(opts: JournalWriterOptions): JournalWriter {
    return new JournalWriter(opts);
  }

  private constructor(opts: JournalWriterOptions) {
    this.dir = opts.dir;
    this.mode = opts.mode;
    this.rollBytes = opts.rollBytes ?? 64 * 1024 * 1024;
    this.onFatal = opts.onFatal;
    this.lastAppended = 0;
    this.durable = 0;
    if (this.mode === 'none') return;
    fs.mkdirSync(this.dir, { recursive: true });
    const files = listJournalFiles(this.dir);
    const last = files[files.length - 1];
    if (last) {
      const buf = fs.readFileSync(last.path);
      // Throws JournalCorruptError (never truncating) when acknowledged records could follow the damage.
      const scan = scanRecords(buf, undefined, last.path);
      let lastSeq = scan.lastSeq;
      if (lastSeq === 0) {
        // An empty last file: the sequence continues from the file before it.
        lastSeq = last.firstSeq - 1;
      }
      this.lastAppended = this.durable = lastSeq;
      this.fd = fs.openSync(last.path, 'r+');
      // A version 1 file gets no commit records: its (truncated) tail stays as is and the next group starts a new file.
      this.rollFirst = scan.version !== JOURNAL_VERSION && scan.validEnd >= FILE_HEADER_BYTES;
      this.filePath = last.path;
      if (scan.validEnd < FILE_HEADER_BYTES) {
        // Torn during creation: rewrite the header.
        const h = Buffer.alloc(FILE_HEADER_BYTES);
        writeFileHeader(h, last.firstSeq);
        fs.ftruncateSync(this.fd, 0);
        fs.writeSync(this.fd, h, 0, h.length, 0);
        scan.validEnd = FILE_HEADER_BYTES;
      } else if (scan.validEnd < buf.length) {
        fs.ftruncateSync(this.fd, scan.validEnd);
      }
      if (this.mode === 'fsync') fs.fdatasyncSync(this.fd);
      this.filePos = scan.validEnd;
      this.stats.files = files.length;
    }
  }

  /** Sequence of the last appended command (durable or not). */
  get lastSeq(): number {
    return this.lastAppended;
  }

  /** Sequence of the last command known durable (per mode). */
  get durableSeq(): number {
    return this.durable;
  }

  get error(): Error | undefined {
    return this.failed;
  }

  /**
   * Encode a stamped command into the current group. After a failure (or close)
   * the command is dropped and the next flush reports the error: per the
   * CommandLog contract, append never throws for I/O. A command that cannot be
   * encoded into one record (the edge should have refused it) fails the writer
   * the same way, leaving no partial record behind. An out-of-order sequence is
   * a caller bug and throws.
   */
  append(cmd: Command): void {
    if (this.failed || this.closed) {
      this.failed ??= new Error('journal closed');
      return;
    }
    const seq = cmd.seq ?? 0;
    if (!(seq > this.lastAppended)) throw new RangeError(`journal: sequence ${seq} not after ${this.lastAppended}`);
    if (this.mode === 'none') {
      this.lastAppended = seq;
      return;
    }
    const w = this.cur;
    const at = w.pos;
    let len: number;
    try {
      w.ensure(RECORD_HEADER_BYTES + 96);
      w.pos = at + RECORD_HEADER_BYTES;
      encodeCommand(w, cmd);
      len = w.pos - at - RECORD_HEADER_BYTES;
      if (len > MAX_RECORD_BYTES) throw new RangeError(`record of ${len} bytes exceeds ${MAX_RECORD_BYTES}`);
    } catch (e) {
      // Drop the partial record: the group's earlier records stay well-formed.
      w.pos = at;
      this.failAppend(Object.assign(new Error(`journal: cannot record command ${seq} (${cmd.type}): ${(e as Error).message}`), { cause: e }));
      return;
    }
    const b = w.buf;
    b.writeUInt32LE(len, at);
    b.writeUInt32LE(crc32c(b, at + RECORD_HEADER_BYTES, w.pos), at + 4);
    if (this.curRecords === 0) this.curFirstSeq = seq;
    this.curRecords++;
    this.lastAppended = seq;
  }

  /** Call cb once everything appended so far is durable (or with the fatal error). */
  flush(cb: FlushCb): void {
    if (this.failed) {
      cb(this.failed);
      return;
    }
    if (this.mode === 'none') {
      this.durable = this.lastAppended;
      cb();
      return;
    }
    if (!this.inFlight && this.curRecords === 0) {
      cb();
      return;
    }
    this.waiting.push(cb);
    if (!this.inFlight) this.startGroup();
  }

  /** Promise form of flush. */
  flushAsync(): Promise<void> {
    return new Promise((resolve, reject) => this.flush((err) => (err ? reject(err) : resolve())));
  }

  private startGroup(): void {
    const group = this.cur;
    const cbs = this.waiting;
    const records = this.curRecords;
    const groupLastSeq = this.lastAppended;
    this.cur = this.spare;
    this.cur.reset();
    this.waiting = this.spareCbs;
    this.curRecords = 0;
    this.inFlight = true;
    try {
      if (this.fd < 0 || this.filePos >= this.rollBytes || this.rollFirst) this.roll(this.curFirstSeq);
    } catch (e) {
      this.fail(e as Error, cbs);
      return;
    }
    // The commit record ends the group: recovery counts the group only when it is on disk and matches.
    group.ensure(COMMIT_RECORD_BYTES);
    writeCommitRecord(group.buf, group.pos, groupLastSeq, this.filePos, records);
    group.pos += COMMIT_RECORD_BYTES;
    const t0 = process.hrtime.bigint();
    const fd = this.fd;
    const len = group.pos;
    let off = 0;
    const done = (err: Error | null) => {
      if (err) return this.fail(err, cbs);
      this.stats.groups++;
      this.stats.records += records;
      this.stats.bytes += len;
      if (records > this.stats.maxGroupRecords) this.stats.maxGroupRecords = records;
      this.stats.lastGroupNs = Number(process.hrtime.bigint() - t0);
      this.durable = groupLastSeq;
      this.spare = group;
      this.inFlight = false;
      for (let i = 0; i < cbs.length; i++) cbs[i]!();
      cbs.length = 0;
      this.spareCbs = cbs;
      // Failed while this group was in flight (append): write nothing more, but still finish a pending close.
      if (!this.failed) {
        if (this.curRecords > 0) this.startGroup();
        else if (this.waiting.length > 0) {
          // Flushes that arrived with nothing new to write only waited for this group.
          const w = this.waiting;
          this.waiting = [];
          for (let i = 0; i < w.length; i++) w[i]!();
        }
      }
      if (!this.inFlight && this.closeCb) this.finishClose();
    };
    if (this.mode === 'write') {
      // write(2) into the page cache takes microseconds for a group: done in place, so the
      // group's callbacks run before flush() returns, with no threadpool round trip (and
      // ExchangeCore can release a full group mid-turn, while its objects are young).
      let err: Error | null = null;
      try {
        while (off < len) {
          const n = fs.writeSync(fd, group.buf, off, len - off, this.filePos);
          off += n;
          this.filePos += n;
        }
      } catch (e) {
        err = e as Error;
      }
      done(err);
      return;
    }
    const writeMore = () => {
      fs.write(fd, group.buf, off, len - off, this.filePos, (err, n) => {
        if (err) return done(err);
        off += n;
        this.filePos += n;
        if (off < len) return writeMore();
        fs.fdatasync(fd, (e) => done(e));
      });
    };
    writeMore();
  }

  /** Start journal-<firstSeq>.log (synchronous: rare, a few syscalls). */
  private roll(firstSeq: number): void {
    if (this.fd >= 0) {
      if (this.mode === 'fsync') fs.fdatasyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    const p = path.join(this.dir, journalFileName(firstSeq));
    const fd = fs.openSync(p, 'w+');
    const h = Buffer.alloc(FILE_HEADER_BYTES);
    writeFileHeader(h, firstSeq);
    fs.writeSync(fd, h, 0, h.length, 0);
    if (this.mode === 'fsync') {
      fs.fdatasyncSync(fd);
      fsyncDir(this.dir);
    }
    this.fd = fd;
    this.filePath = p;
    this.filePos = FILE_HEADER_BYTES;
    this.rollFirst = false;
    this.stats.files++;
  }

  private fail(err: Error, cbs: FlushCb[]): void {
    const first = !this.failed;
    if (first) this.failed = Object.assign(new Error(`journal write failed: ${err.message}`), { cause: err });
    this.inFlight = false;
    const all = cbs.concat(this.waiting);
    cbs.length = 0;
    this.waiting = [];
    for (const cb of all) cb(this.failed);
    if (first) this.onFatal?.(this.failed!);
    if (this.closeCb) this.finishClose();
  }

  /**
   * Fail-stop from append(): like fail(), except that a group already in flight
   * is left to complete (its records were encoded whole; its callbacks learn
   * their own outcome, and close waits for it), so inFlight is not touched.
   */
  private failAppend(err: Error): void {
    this.failed = err;
    const w = this.waiting;
    this.waiting = [];
    for (const cb of w) cb(err);
    this.onFatal?.(err);
  }

  /**
   * Remove journal files whose every record has seq <= coveredSeq (a durable
   * snapshot covers them). The file being appended to is never removed.
   */
  removeCoveredBy(coveredSeq: number): string[] {
    const files = listJournalFiles(this.dir);
    const removed: string[] = [];
    for (let i = 0; i + 1 < files.length; i++) {
      const f = files[i]!;
      if (f.path === this.filePath) break;
      if (files[i + 1]!.firstSeq <= coveredSeq + 1) {
        fs.unlinkSync(f.path);
        removed.push(f.path);
      } else break;
    }
    if (removed.length && this.mode === 'fsync') fsyncDir(this.dir);
    return removed;
  }

  /** Flush what is pending, then close the file. */
  close(cb?: (err?: Error) => void): void {
    if (this.closed) {
      cb?.(this.failed);
      return;
    }
    this.closed = true;
    this.closeCb = () => cb?.(this.failed);
    if (this.mode === 'none') return this.finishClose();
    if (this.curRecords > 0 && !this.inFlight && !this.failed) {
      this.waiting.push(() => {});
      this.startGroup();
    } else if (!this.inFlight) this.finishClose();
  }

  closeAsync(): Promise<void> {
    return new Promise((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
  }

  private finishClose(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already failed; nothing more to do */
      }
      this.fd = -1;
    }
    const cb = this.closeCb;
    this.closeCb = undefined;
    cb?.();
  }
}
