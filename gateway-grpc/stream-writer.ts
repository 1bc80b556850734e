/**
 * Backpressure-aware writing to a grpc-js server stream (server-streaming or
 * bidi), with bounded memory per stream.
 *
 * Why not just call.write(): grpc-js buffers without limit, and its write()
 * returns false as soon as 16 messages wait in the Writable buffer (even on a
 * fast loopback client during a burst), so pacing purely on 'drain' cuts
 * throughput ~10x (FIELD-NOTES). Instead the writer keeps an application-level
 * window: at most `window` messages handed to grpc-js whose write callback has
 * not fired (= not yet passed to HTTP/2). write()'s false return is recorded as
 * "pressure" and feeds the conflation decision of subclasses (market data), and
 * 'drain' also refills; the window is the hard bound.
 *
 * Beyond the window, messages wait in a queue bounded by `maxQueued`; a queue
 * overflow, or a stream that stays blocked (window full) for `stuckMs`, is a
 * slow consumer: the HTTP/2 stream is reset with ENHANCE_YOUR_CALM, which gRPC
 * clients report as RESOURCE_EXHAUSTED (trailers would wait behind the backlog
 * the client is not reading). Memory per stream is therefore bounded by
 * (window + maxQueued) messages.
 *
 * Stuck detection uses one shared sweeper timer for all writers (10,000 streams
 * do not mean 10,000 timers).
 */
import { status, type ServerDuplexStream, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { Code } from '../engine/codes.ts';
import { serviceError } from './errors.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServerStreamCall = ServerWritableStream<any, any> | ServerDuplexStream<any, any>;

export interface StreamWriterOptions {
  /** Messages handed to grpc-js and not yet flushed to HTTP/2 (default 256). */
  window?: number;
  /** Messages held by the writer while the window is full (default 4096). */
  maxQueued?: number;
  /** A stream blocked this long is closed as a slow consumer (default 10 s). */
  stuckMs?: number;
  /** After the closing status, reset the stream if it has not ended after this (default 1 s). */
  graceMs?: number;
}

const DEFAULTS = { window: 256, maxQueued: 4096, stuckMs: 10_000, graceMs: 1_000 };

/** Resets the HTTP/2 stream under a grpc-js server call (client sees RESOURCE_EXHAUSTED for ENHANCE_YOUR_CALM). */
export function resetStream(call: ServerStreamCall, rstCode = 11 /* NGHTTP2_ENHANCE_YOUR_CALM */): boolean {
  // grpc-js keeps the Http2Stream on its internal call object (call.call[.nextCall...].stream).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let c: any = (call as any).call;
  for (let i = 0; i < 8 && c; i++) {
    const s = c.stream;
    if (s && typeof s.close === 'function' && 'rstCode' in s) {
      if (!s.closed && !s.destroyed) s.close(rstCode);
      return true;
    }
    c = c.nextCall;
  }
  return false;
}

// --------------------------------------------------------------- shared sweeper
const blockedWriters = new Set<StreamWriter<unknown>>();
let sweeper: NodeJS.Timeout | undefined;
let sweepEveryMs = 250;

function watchBlocked(w: StreamWriter<unknown>): void {
  blockedWriters.add(w);
  if (sweeper === undefined) {
    sweeper = setInterval(sweep, sweepEveryMs);
    sweeper.unref();
  }
}

function sweep(): void {
  const now = Date.now();
  for (const w of blockedWriters) w.checkStuck(now);
  if (blockedWriters.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** For tests with short stuck bounds: how often blocked writers are checked. */
export function setSweepInterval(ms: number): void {
  sweepEveryMs = ms;
  if (sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = setInterval(sweep, sweepEveryMs);
    sweeper.unref();
  }
}

export type CloseListener = (code: Code) => void;

/**
 * Ordered, lossless writer (execution reports, trades, acks). Subclasses may
 * override `onWritable` to produce more messages when the window opens.
 */
export class StreamWriter<T> {
  readonly call: ServerStreamCall;
  protected readonly window: number;
  protected readonly maxQueued: number;
  protected readonly stuckMs: number;
  protected readonly graceMs: number;
  /** Messages written to grpc-js whose callback has not fired yet (a batch counts its messages). */
  inflight = 0;
  /** True after the last call.write() returned false, until 'drain'. */
  pressure = false;
  closed = false;
  /** Set by gracefulClose: the status to end with once the queue is flushed (null = OK). */
  private ending: ServiceError | null | undefined = undefined;
  private queue: (T | undefined)[] = [];
  /** Message count of each queued entry (1 except for batches), parallel to `queue`. */
  private qWeights: number[] = [];
  private qHead = 0;
  /** Messages (not entries) waiting in the queue. */
  private qCount = 0;
  private blockedSince = 0;
  private readonly closeListeners: CloseListener[] = [];
  private readonly onWritten: (err?: Error | null) => void;
  /** Weights of the writes in flight whose weight is not 1, in write order (callbacks fire in order). */
  private readonly wWeights: number[] = [];
  private wHead = 0;
  private readonly onBatchWritten: (err?: Error | null) => void;

  constructor(call: ServerStreamCall, opts: StreamWriterOptions = {}) {
    this.call = call;
    this.window = opts.window ?? DEFAULTS.window;
    this.maxQueued = opts.maxQueued ?? DEFAULTS.maxQueued;
    this.stuckMs = opts.stuckMs ?? DEFAULTS.stuckMs;
    this.graceMs = opts.graceMs ?? DEFAULTS.graceMs;
    // One callback for every write: no closure per message.
    this.onWritten = () => {
      this.inflight--;
      if (!this.closed && this.inflight <= this.window >> 1) this.refill();
    };
    this.onBatchWritten = () => {
      const w = this.wWeights[this.wHead++]!;
      if (this.wHead === this.wWeights.length) {
        this.wWeights.length = 0;
        this.wHead = 0;
      }
      this.inflight -= w;
      if (!this.closed && this.inflight <= this.window >> 1) this.refill();
    };
    call.on('drain', () => {
      this.pressure = false;
      if (!this.closed) this.refill();
    });
    const gone = () => this.finish(Code.CANCEL_ON_DISCONNECT);
    call.on('cancelled', gone);
    call.on('close', gone);
    call.on('error', gone);
  }

  /** Called when the stream ends for any reason (client cancel, close, slow consumer). Once. */
  onClose(listener: CloseListener): void {
    if (this.closed) listener(Code.CANCEL_ON_DISCONNECT);
    else this.closeListeners.push(listener);
  }

  /** Messages waiting in the writer (not yet given to grpc-js). */
  get queued(): number {
    return this.qCount;
  }

  /** True when the window is full: new messages queue (or are conflated by subclasses). */
  get blocked(): boolean {
    return this.inflight >= this.window;
  }

  /**
   * Queue or write one message, in order. `weight` > 1: `msg` is a batch of
   * that many messages (see put()); window and queue bounds count messages.
   * Returns false when the stream is closed or was just closed as slow.
   */
  send(msg: T, weight = 1): boolean {
    if (this.closed || this.ending !== undefined) return false;
    if (this.inflight < this.window && this.qHead === this.queue.length) {
      this.writeNow(msg, weight);
      return true;
    }
    if (this.qCount + weight > this.maxQueued) {
      this.closeSlow('send queue overflow');
      return false;
    }
    this.queue.push(msg);
    this.qWeights.push(weight);
    this.qCount += weight;
    this.markBlocked();
    return true;
  }

  protected writeNow(msg: T, weight = 1): void {
    this.inflight += weight;
    let ok: boolean;
    if (weight === 1) ok = this.put(msg, this.onWritten);
    else {
      this.wWeights.push(weight);
      ok = this.put(msg, this.onBatchWritten);
    }
    if (!ok) this.pressure = true;
    if (this.inflight >= this.window) this.markBlocked();
  }

  /** Hand one entry to the transport; `done` must be called once it left (in write order). False = transport pressure. */
  protected put(msg: T, done: (err?: Error | null) => void): boolean {
    return this.call.write(msg, done);
  }

  protected markBlocked(): void {
    if (this.blockedSince === 0) {
      this.blockedSince = Date.now();
      watchBlocked(this as StreamWriter<unknown>);
    }
  }

  /** The window opened: flush the queue, then let subclasses produce more. */
  protected refill(): void {
    const q = this.queue;
    const qw = this.qWeights;
    while (this.inflight < this.window && this.qHead < q.length) {
      const m = q[this.qHead]!;
      const w = qw[this.qHead]!;
      q[this.qHead++] = undefined;
      this.qCount -= w;
      this.writeNow(m, w);
      if (this.closed) return;
    }
    if (this.qHead === q.length && this.qHead > 0) {
      q.length = 0;
      qw.length = 0;
      this.qHead = 0;
    } else if (this.qHead > 1024 && this.qHead * 2 > q.length) {
      this.queue = q.slice(this.qHead);
      this.qWeights = qw.slice(this.qHead);
      this.qHead = 0;
    }
    if (this.inflight < this.window) this.onWritable();
    if (this.inflight < this.window && this.queued === 0 && !this.hasPending()) {
      this.unblock();
      if (this.ending !== undefined) this.maybeEnd();
      else if (this.onDrained !== undefined) this.onDrained();
    }
  }

  /** Called when the writer has room again and holds nothing (producers that paused may resume). */
  onDrained: (() => void) | undefined = undefined;

  /** True while producers may still send (not closed, not ending). */
  get accepting(): boolean {
    return !this.closed && this.ending === undefined;
  }

  /** Subclass hook: the window has room. */
  protected onWritable(): void {}

  /** Subclass hook: messages held outside the queue (conflated state). */
  protected hasPending(): boolean {
    return false;
  }

  private unblock(): void {
    if (this.blockedSince !== 0) {
      this.blockedSince = 0;
      blockedWriters.delete(this as StreamWriter<unknown>);
    }
  }

  /** Sweeper: close the stream when it has been blocked past the bound. */
  checkStuck(now: number): void {
    if (this.closed) {
      blockedWriters.delete(this as StreamWriter<unknown>);
      return;
    }
    if (this.blockedSince !== 0 && now - this.blockedSince >= this.stuckMs) this.closeSlow(`blocked for ${now - this.blockedSince} ms`);
  }

  /** End the stream as a slow consumer (RESOURCE_EXHAUSTED through an HTTP/2 reset). */
  closeSlow(reason: string): void {
    this.closeWithError(serviceError(Code.SLOW_CONSUMER, reason), true);
  }

  /** End the stream with OK status (after the queued messages). */
  end(): void {
    this.gracefulClose(undefined);
  }

  /**
   * Stop taking messages, flush what is queued, then end with `err`'s status
   * (or OK). A client that does not take the rest within 5 x graceMs is reset.
   */
  gracefulClose(err: ServiceError | undefined): void {
    if (this.closed || this.ending !== undefined) return;
    this.ending = err ?? null;
    const t = setTimeout(() => {
      if (!this.closed) this.closeWithError(err ?? serviceError(Code.SHUTTING_DOWN), true);
    }, this.graceMs * 5);
    t.unref();
    this.call.once('close', () => clearTimeout(t));
    this.maybeEnd();
  }

  /** Ending: once nothing is held by the writer, hand the status to grpc-js (after its buffered messages). */
  private maybeEnd(): void {
    if (this.ending === undefined || this.closed || this.queued > 0 || this.hasPending()) return;
    const err = this.ending;
    this.finish(err === null ? Code.OK : Number((err.metadata?.get('x-aurex-code')[0] as string | undefined) ?? Code.INTERNAL));
    if (err === null) this.call.end();
    else this.call.emit('error', err);
  }

  /**
   * End the stream with an error status now; queued messages are dropped.
   * `hard` (slow consumers): reset the HTTP/2 stream at once with
   * ENHANCE_YOUR_CALM, which gRPC clients report as RESOURCE_EXHAUSTED; a
   * stuck client would never read trailers queued behind its backlog.
   * Otherwise the status goes out as trailers: at once when nothing is in
   * flight, else after the in-flight messages, with a reset if that has not
   * happened within graceMs.
   */
  closeWithError(err: ServiceError, hard = false): void {
    if (this.closed) return;
    this.finish(Number((err.metadata?.get('x-aurex-code')[0] as string | undefined) ?? Code.INTERNAL) as Code);
    const call = this.call;
    if (hard && resetStream(call)) return;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const inner = (call as any).call;
    if (this.inflight === 0 && inner && typeof inner.sendStatus === 'function') {
      inner.sendStatus({ code: err.code ?? status.INTERNAL, details: err.details ?? err.message, metadata: err.metadata });
      return;
    }
    call.emit('error', err);
    const t = setTimeout(() => resetStream(call), this.graceMs);
    t.unref();
    call.once('close', () => clearTimeout(t));
  }

  private finish(code: Code): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.qWeights.length = 0;
    this.qHead = 0;
    this.qCount = 0;
    this.unblock();
    this.dropPending();
    const ls = this.closeListeners.splice(0);
    for (const l of ls) {
      try {
        l(code);
      } catch {
        // a listener's failure must not keep the others from running
      }
    }
  }

  /** Subclass hook: release conflated state. */
  protected dropPending(): void {}
}

/**
 * Keeps only the latest message while the client is behind (index values,
 * leaderboards): a slow client gets the newest state when it catches up,
 * never a backlog.
 */
export class LatestWriter<T> extends StreamWriter<T> {
  private latest: T | undefined = undefined;

  offer(msg: T): void {
    if (!this.accepting) return;
    if (this.pressure || this.inflight >= this.window || this.queued > 0) {
      this.latest = msg;
      this.markBlocked();
      return;
    }
    this.latest = undefined;
    this.writeNow(msg);
  }

  protected override onWritable(): void {
    if (this.latest !== undefined && !this.closed) {
      const m = this.latest;
      this.latest = undefined;
      this.writeNow(m);
    }
  }

  protected override hasPending(): boolean {
    return this.latest !== undefined;
  }

  protected override dropPending(): void {
    this.latest = undefined;
  }
}
