/**
 * Market-data fan-out with one encoding per update.
 *
 * Every stream holds its own engine subscription per symbol (so each gets the
 * engine's durable snapshot first and then increments without gaps), but the
 * engine hands the SAME update object to all of a symbol's subscribers, one
 * after the other. The hub therefore encodes an update once per requested
 * depth (a one-entry identity cache) and every stream writes the same Buffer:
 * StreamMarketData is registered with a pass-through serializer.
 *
 * Each engine update carries the full L1 and top-of-book levels, so the latest
 * one seen per symbol, re-marked as a snapshot without its trades, is the
 * symbol's current published (durable) state: that is what a conflated (slow)
 * stream receives when it catches up. It too is encoded once per
 * (symbol, md_seq, depth) and shared.
 */
import type { ExchangeApi } from '../engine/core-api.ts';
import type { MarketDataUpdate as EngineMarketDataUpdate } from '../engine/types.ts';
import { MarketDataUpdate } from '../gen/aurex/stock/v1/stock.ts';
import { marketDataUpdate } from './convert.ts';
import type { MarketDataWriter, MdEntry } from './market-data-writer.ts';

/** Levels per side when a request asks for 0. */
export const DEFAULT_DEPTH = 10;
export const MAX_DEPTH = 50;

interface Latest {
  u: EngineMarketDataUpdate;
  snapSeq: number;
  snaps: Map<number, Buffer>;
}

export class MarketDataHub {
  /** Encodings of the update object currently being delivered, per depth. */
  private curU: EngineMarketDataUpdate | undefined = undefined;
  private curBytes = new Map<number, Buffer>();
  private readonly latest = new Map<string, Latest>();
  private readonly ticks = new Map<string, number>();
  /** Deliveries vs encodings: the fan-out ratio. */
  readonly stats = { encodings: 0, deliveries: 0 };

  constructor(private readonly exchange: ExchangeApi) {}

  private tick(symbol: string): number {
    let t = this.ticks.get(symbol);
    if (t === undefined) {
      t = this.exchange.symbol(symbol)?.tickSize ?? 1;
      this.ticks.set(symbol, t);
    }
    return t;
  }

  private encode(u: EngineMarketDataUpdate, depth: number): Buffer {
    const bytes = MarketDataUpdate.encode(marketDataUpdate(u, this.tick(u.symbol), depth)).finish();
    this.stats.encodings++;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The bytes of `u` at `depth`, encoded once for all subscribers. */
  private bytesOf(u: EngineMarketDataUpdate, depth: number): Buffer {
    if (u !== this.curU) {
      this.curU = u;
      this.curBytes = new Map();
      const l = this.latest.get(u.symbol);
      if (l === undefined) this.latest.set(u.symbol, { u, snapSeq: -1, snaps: new Map() });
      else if (u.mdSeq >= l.u.mdSeq) l.u = u;
    }
    let b = this.curBytes.get(depth);
    if (b === undefined) {
      b = this.encode(u, depth);
      this.curBytes.set(depth, b);
    }
    return b;
  }

  /** Subscribe a stream to a symbol (the engine sends the snapshot first). Returns the unsubscribe function. */
  subscribe(symbol: string, depth: number, writer: MarketDataWriter): () => void {
    const entry: MdEntry = { symbol, depth, writer, lastMdSeq: -1 };
    const sub = this.exchange.subscribeMarketData(symbol, (u) => {
      this.stats.deliveries++;
      writer.deliver(entry, this.bytesOf(u, depth), u.mdSeq, u.snapshot);
    });
    return () => sub.close();
  }

  /** The latest published state of a symbol as a snapshot, encoded once per (md_seq, depth). */
  snapshot = (symbol: string, depth: number): { bytes: Buffer; mdSeq: number } | undefined => {
    const l = this.latest.get(symbol);
    if (l === undefined) return undefined;
    if (l.snapSeq !== l.u.mdSeq) {
      l.snapSeq = l.u.mdSeq;
      l.snaps.clear();
    }
    let bytes = l.snaps.get(depth);
    if (bytes === undefined) {
      bytes = this.encode({ ...l.u, snapshot: true, trades: [] }, depth);
      l.snaps.set(depth, bytes);
    }
    return { bytes, mdSeq: l.u.mdSeq };
  };
}
