/**
 * A market-data stream writer that conflates per symbol.
 *
 * While the stream keeps up, every update (pre-encoded bytes, shared by all
 * subscribers) is written as is. When the client falls behind (grpc-js
 * write() returned false, or the application window is full), further updates
 * of a symbol are not queued: the symbol is only marked stale. When the window
 * opens again, each stale symbol gets ONE fresh snapshot (the symbol's current
 * state, snapshot=true), so a slow client sees the latest state and never an
 * ever-growing backlog. Memory per stream is bounded by the window plus one
 * mark per subscribed symbol.
 */
import { StreamWriter, type ServerStreamCall, type StreamWriterOptions } from './stream-writer.ts';

/** One (stream, symbol) subscription, created by the MarketDataHub. */
export interface MdEntry {
  readonly symbol: string;
  readonly depth: number;
  readonly writer: MarketDataWriter;
  /** Last md_seq written on this subscription (updates at or below it are skipped). */
  lastMdSeq: number;
}

/** Gives the current snapshot of a symbol as encoded bytes plus its md_seq (shared and cached by the hub). */
export type SnapshotSource = (symbol: string, depth: number) => { bytes: Buffer; mdSeq: number } | undefined;

export class MarketDataWriter extends StreamWriter<Buffer> {
  private readonly stale = new Set<MdEntry>();
  private readonly snapshotOf: SnapshotSource;
  /** Updates replaced by a later snapshot (observability). */
  conflated = 0;

  constructor(call: ServerStreamCall, snapshotOf: SnapshotSource, opts: StreamWriterOptions = {}) {
    super(call, { window: 64, ...opts });
    this.snapshotOf = snapshotOf;
  }

  /** An update (or the engine's initial snapshot) of entry's symbol, already encoded. */
  deliver(entry: MdEntry, bytes: Buffer, mdSeq: number, _snapshot: boolean): void {
    if (!this.accepting || mdSeq <= entry.lastMdSeq) return;
    if (this.pressure || this.inflight >= this.window || this.stale.size > 0) {
      // Behind: remember that the symbol needs a fresh snapshot instead of queueing the increment.
      if (!this.stale.has(entry)) this.stale.add(entry);
      this.conflated++;
      this.markBlocked();
      return;
    }
    entry.lastMdSeq = mdSeq;
    this.writeNow(bytes);
  }

  protected override onWritable(): void {
    if (this.stale.size === 0) return;
    for (const entry of this.stale) {
      if (this.inflight >= this.window || this.closed) return;
      this.stale.delete(entry);
      const s = this.snapshotOf(entry.symbol, entry.depth);
      if (s === undefined) continue;
      entry.lastMdSeq = s.mdSeq;
      this.writeNow(s.bytes);
    }
  }

  protected override hasPending(): boolean {
    return this.stale.size > 0;
  }

  protected override dropPending(): void {
    this.stale.clear();
  }
}
