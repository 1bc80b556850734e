/**
 * Main-thread handle of the PostgreSQL write-behind pipeline running in a
 * worker thread (pg-writer-worker.ts): the shadow replay and the upserts no
 * longer share the matching thread's event loop.
 *
 * What the main thread pays: one Atomics.store of the journal's durable seq
 * every `publishMs` (only when it changed), and the handling of one small
 * message per PostgreSQL transaction plus a metrics message every `reportMs`.
 * `position` (writer_position) is read from shared memory, so the snapshot
 * scheduler's retention and the lag gauge always see the latest commit.
 *
 * Failures: errors inside the worker (PostgreSQL outages, feed errors) arrive
 * as messages and go to `onError` and the `errors` counter; the worker keeps
 * retrying by itself. If the worker dies (fatal error, uncaught exception,
 * non-zero exit) it is restarted with backoff and resumes from
 * writer_position, exactly like a process restart: no row is lost.
 */
import type { Worker } from 'node:worker_threads';
import type { PgWriterMetrics } from './pg-writer.ts';
import {
  SLOT_COMMITTED,
  SLOT_COUNT,
  SLOT_DURABLE,
  fromWire,
  type MainToWorker,
  type PgWriterWorkerData,
  type WorkerExchangeOptions,
  type WorkerToMain,
} from './pg-writer-protocol.ts';
import { startTsWorker } from './ts-worker.ts';

export interface PgWriterThreadOptions {
  /** Journal directory (snapshots live there too). */
  dir: string;
  /** PostgreSQL URL; the worker opens its own pool. */
  databaseUrl: string;
  /** Connections in the worker's pool. Default 2. */
  poolSize?: number;
  /** The shadow exchange's options: the engine's market config and limits, as plain data. */
  exchange?: WorkerExchangeOptions;
  /** The journal's durable seq (the worker never writes past it). */
  durableSeq: () => number;
  /** How often the durable seq is published to the worker (ms). Default 5. */
  publishMs?: number;
  /** How often the worker reports its metrics (ms). Default 100. */
  reportMs?: number;
  /** Rejects start() when the worker is not positioned by then (ms). Default 30,000. */
  startTimeoutMs?: number;
  name?: string;
  batchRows?: number;
  flushIntervalMs?: number;
  maxBacklogRows?: number;
  step?: number;
  idleMs?: number;
  onError?: (err: Error) => void;
}

export interface PgWriterThreadMetrics extends PgWriterMetrics {
  /** Durable seq minus committed position. */
  lagToDurable: number;
  appliedSeq: number;
  errors: number;
  restarts: number;
}

const EMPTY_METRICS: PgWriterMetrics = { headSeq: 0, committedSeq: 0, lag: 0, pendingRows: 0, rowsWritten: 0, transactions: 0, failures: 0 };

export class PgWriterThread {
  private readonly o: PgWriterThreadOptions;
  private readonly shared = new SharedArrayBuffer(SLOT_COUNT * 8);
  private readonly slots = new BigInt64Array(this.shared);
  private worker: Worker | undefined;
  private publisher: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay = 0;
  private lastPublished = -1;
  private stopping = false;
  private givenUp = false;
  private stopped = false;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private stoppedWaiter: (() => void) | undefined;
  private lastMetrics: PgWriterMetrics = EMPTY_METRICS;
  private appliedSeq = 0;
  /** Errors reported by the worker (PostgreSQL, feed, crashes) since start. */
  errors = 0;
  /** Worker restarts after a crash since start. */
  restarts = 0;
  /** True once a worker has positioned itself (read writer_position, rebuilt its shadow). */
  ready = false;

  constructor(opts: PgWriterThreadOptions) {
    this.o = opts;
  }

  /** Start the worker; resolves once it has read writer_position and rebuilt its shadow exchange. */
  start(): Promise<void> {
    if (this.worker || this.stopped) return Promise.reject(new Error('PgWriterThread already started'));
    this.publish();
    this.publisher = setInterval(() => this.publish(), this.o.publishMs ?? 5);
    this.publisher.unref();
    const ready = new Promise<void>((resolve, reject) => (this.readyWaiter = { resolve, reject }));
    const ms = this.o.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => this.failStart(new Error(`pg-writer worker not ready after ${ms} ms`)), ms);
    timer.unref();
    this.spawn();
    return ready.finally(() => clearTimeout(timer));
  }

  /** Sequence committed in PostgreSQL (writer_position), read from shared memory. */
  get position(): number {
    return Number(Atomics.load(this.slots, SLOT_COMMITTED));
  }

  /** Durable commands not yet in PostgreSQL. */
  get lag(): number {
    return Math.max(0, this.o.durableSeq() - this.position);
  }

  /** The worker's latest report (every reportMs) with the live position and lag. */
  metrics(): PgWriterThreadMetrics {
    const committed = this.position;
    return { ...this.lastMetrics, committedSeq: committed, lagToDurable: this.lag, appliedSeq: this.appliedSeq, errors: this.errors, restarts: this.restarts };
  }

  /** Resolves once writer_position >= seq (default: the current durable seq). */
  drained(seq = this.o.durableSeq()): Promise<void> {
    this.publish();
    if (seq <= this.position) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /**
   * Drain up to the durable seq for at most drainTimeoutMs, then stop the
   * worker (its pool closed). What was not drained stays in the journal and is
   * written by the next start (writer_position tells where to resume).
   */
  async stop(drainTimeoutMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    this.publish();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const w = this.worker;
    if (w) {
      const done = new Promise<void>((resolve) => {
        this.stoppedWaiter = resolve;
        w.once('exit', () => resolve());
      });
      this.send({ type: 'stop', drainTimeoutMs });
      // The worker bounds its own drain; the extra second covers closing its pool.
      const guard = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), drainTimeoutMs + 2000).unref());
      if ((await Promise.race([done, guard])) === 'timeout') this.o.onError?.(new Error('pg-writer worker did not stop in time: terminated'));
      await w.terminate();
    }
    this.worker = undefined;
    if (this.publisher) clearInterval(this.publisher);
    this.publisher = undefined;
    this.stopped = true;
    this.failStart(new Error('pg-writer stopped before it was ready'));
  }

  /**
   * Terminate the worker the way a crash would (the restart path: a new worker
   * resumes from writer_position). For tests and operators; not used in normal operation.
   */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  private publish(): void {
    const v = this.o.durableSeq();
    if (v === this.lastPublished) return;
    this.lastPublished = v;
    Atomics.store(this.slots, SLOT_DURABLE, BigInt(v));
  }

  private send(m: MainToWorker): void {
    this.worker?.postMessage(m);
  }

  private spawn(): void {
    const data: PgWriterWorkerData = {
      dir: this.o.dir,
      databaseUrl: this.o.databaseUrl,
      poolSize: this.o.poolSize ?? 2,
      shared: this.shared,
      exchange: this.o.exchange ?? {},
      name: this.o.name,
      batchRows: this.o.batchRows,
      flushIntervalMs: this.o.flushIntervalMs,
      maxBacklogRows: this.o.maxBacklogRows,
      step: this.o.step,
      idleMs: this.o.idleMs,
      reportMs: this.o.reportMs ?? 100,
    };
    const w = startTsWorker(new URL('./pg-writer-worker.ts', import.meta.url), { workerData: data, name: 'aurex-pg-writer' });
    this.worker = w;
    w.on('message', (m: WorkerToMain) => this.onMessage(m));
    w.on('error', (err) => this.onCrash(err));
    w.on('exit', (code) => this.onExit(w, code));
  }

  private onMessage(m: WorkerToMain): void {
    switch (m.type) {
      case 'commit':
        this.restartDelay = 0;
        this.wake();
        break;
      case 'metrics':
        this.lastMetrics = m.metrics;
        this.appliedSeq = m.appliedSeq;
        this.wake();
        break;
      case 'ready':
        this.ready = true;
        this.wake();
        this.readyWaiter?.resolve();
        this.readyWaiter = undefined;
        break;
      case 'error':
        this.report(fromWire(m.error));
        break;
      case 'fatal':
        this.onCrash(fromWire(m.error));
        break;
      case 'stopped':
        this.wake();
        this.stoppedWaiter?.();
        break;
    }
  }

  /**
   * The worker is about to exit. Before it was ever ready that is a startup
   * failure (wrong data directory or database, bad config): start() rejects and
   * nothing restarts. Afterwards the exit handler restarts it.
   */
  private onCrash(err: Error): void {
    this.report(err);
    if (!this.ready && this.readyWaiter) {
      this.givenUp = true;
      this.failStart(err);
    }
  }

  private report(err: Error): void {
    this.errors++;
    this.o.onError?.(err);
  }

  private onExit(w: Worker, code: number): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    if (this.stopping || this.givenUp) return;
    // Died without being asked to stop: restart, resuming from writer_position.
    this.report(new Error(`pg-writer worker exited with code ${code}: restarting`));
    this.restartDelay = Math.min(5000, this.restartDelay ? this.restartDelay * 2 : 100);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.spawn();
    }, this.restartDelay);
  }

  private failStart(err: Error): void {
    this.readyWaiter?.reject(err);
    this.readyWaiter = undefined;
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const pos = this.position;
    const keep: typeof this.waiters = [];
    for (const x of this.waiters) (x.seq <= pos ? x.resolve() : keep.push(x));
    this.waiters = keep;
  }
}
