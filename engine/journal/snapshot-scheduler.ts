/**
 * Takes engine snapshots every N journaled commands or T seconds (when anything
 * changed), writes them through the SnapshotStore, and then removes the journal
 * files no kept snapshot needs.
 *
 * Order of events, and why:
 *  1. capture(): the engine serializes its state synchronously (between two
 *     event-loop turns, so it is consistent at a sequence). This is the only
 *     part that stalls matching; its cost is measured (docs/durability.md).
 *  2. journal.flush(): wait until every command up to that sequence is
 *     durable, so a snapshot never contains state the journal could lose.
 *  3. write the file atomically (threadpool I/O; matching continues). The
 *     store then prunes snapshots to its newest `keep`, plus, with
 *     `retainSeq()` (the PostgreSQL writer's committed position), the newest
 *     one at or below that position.
 *  4. only then delete journal files, and only those wholly at or below the
 *     OLDEST snapshot still kept (never the file being appended to). Recovery
 *     falls back to an older snapshot when a newer one is unreadable, and the
 *     PostgreSQL writer re-derives its uncommitted rows from the snapshot at
 *     or below its position; both need the journal complete after the snapshot
 *     they start from. When no kept snapshot is at or below `retainSeq()`,
 *     nothing is deleted.
 */
import type { JournalWriter } from './journal-writer.ts';
import type { SnapshotStore } from './snapshot-store.ts';

export interface SnapshotCapture {
  seq: number;
  payload: Uint8Array | Uint8Array[];
}

export interface SnapshotSchedulerOptions {
  store: SnapshotStore;
  journal: JournalWriter;
  /** Serialize the engine now (synchronous, consistent at the returned seq). */
  capture: () => SnapshotCapture;
  /** The engine's current last sequence. */
  lastSeq: () => number;
  everyCommands: number;
  everyMs: number;
  /** A reader's position (the PG writer's committed seq): the snapshot at or below it and the journal after that are kept. Default: none. */
  retainSeq?: () => number;
  /** Timer period for the checks (default 250 ms). */
  checkMs?: number;
  onSnapshot?: (info: SnapshotTaken) => void;
  onError?: (err: Error) => void;
}

export interface SnapshotTaken {
  seq: number;
  bytes: number;
  /** Synchronous serialization time (matching stalled), ms. */
  captureMs: number;
  /** Time to make the file durable (asynchronous), ms. */
  writeMs: number;
  removedJournalFiles: number;
}

export class SnapshotScheduler {
  private readonly o: SnapshotSchedulerOptions;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastSnapSeq: number;
  private lastSnapAt = Date.now();
  /** The most recent snapshot taken by this scheduler. */
  last: SnapshotTaken | undefined;

  constructor(opts: SnapshotSchedulerOptions, lastSnapshotSeq = 0) {
    this.o = opts;
    this.lastSnapSeq = lastSnapshotSeq;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.o.checkMs ?? 250);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get busy(): boolean {
    return this.running;
  }

  /** Take a snapshot if one is due; cheap when none is. */
  check(): void {
    if (this.running) return;
    const seq = this.o.lastSeq();
    if (seq <= this.lastSnapSeq) return;
    const due = seq - this.lastSnapSeq >= this.o.everyCommands || Date.now() - this.lastSnapAt >= this.o.everyMs;
    if (due) this.snapshotNow().catch((e: Error) => this.o.onError?.(e));
  }

  /** Take a snapshot now (resolves when durable and the journal is trimmed). */
  async snapshotNow(): Promise<SnapshotTaken | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const t0 = performance.now();
      const cap = this.o.capture();
      const t1 = performance.now();
      await this.o.journal.flushAsync();
      const retain = this.o.retainSeq ? this.o.retainSeq() : Infinity;
      const info = await this.o.store.write(cap.seq, cap.payload, retain);
      const t2 = performance.now();
      this.lastSnapSeq = cap.seq;
      this.lastSnapAt = Date.now();
      // The journal is kept from the oldest kept snapshot on (the fallback), and from 0 (all of it) when
      // no kept snapshot is at or below the retained position (see step 4 above).
      const kept = this.o.store.list();
      const oldestKept = kept.length !== 0 ? kept[kept.length - 1]!.seq : 0;
      const base = Math.min(oldestKept, retain >= cap.seq ? cap.seq : (kept.find((s) => s.seq <= retain)?.seq ?? 0));
      const removed = this.o.journal.removeCoveredBy(base);
      const bytes = Array.isArray(cap.payload) ? cap.payload.reduce((n, c) => n + c.length, 0) : (cap.payload as Uint8Array).length;
      const taken: SnapshotTaken = { seq: info.seq, bytes, captureMs: t1 - t0, writeMs: t2 - t1, removedJournalFiles: removed.length };
      this.last = taken;
      this.o.onSnapshot?.(taken);
      return taken;
    } finally {
      this.running = false;
    }
  }
}
