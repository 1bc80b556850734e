/**
 * Server-side encoders straight from engine objects (CommandResult, ExecReport,
 * OrderView, MarketDataUpdate) into frames, without building the intermediate
 * wire message objects: these run once per ack / report / update.
 * The byte layouts are the ones of codec.ts (docs/tcp-protocol.md).
 */
import type { CommandResult, ExecReport, MarketDataUpdate, OrderView, Level } from '../engine/types.ts';
import { clientOrderIdToWire, writeHeader, writeU16, writeU32, writeU64, FRAME_SIZE, TWO32 } from './codec.ts';
import {
  HEADER_SIZE,
  MAX_MD_TRADES,
  MsgType,
  Size,
  WireStatus,
  wireExecKind,
  wireLiquidity,
  wireOrderKind,
  wireSide,
  wireStatus,
} from './protocol.ts';

/**
 * The u64 fields of the ack or report being encoded, in wire order; writeU64s puts
 * them on the wire. These two encoders run for every ack and report: a helper call
 * per field (dvWriteU64) stayed a call past V8's inlining budget (~3.5% of the TCP
 * server's samples), while stores into this array and the loop below compile inline.
 */
const U64 = new Float64Array(12);

/** U64[0 .. n) as consecutive little-endian u64 fields from `p`: setUint32 keeps the low 32 bits of a safe integer, v / TWO32 truncates to the high word. */
function writeU64s(dv: DataView, p: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const v = U64[k]!;
    dv.setUint32(p + 8 * k, v, true);
    dv.setUint32(p + 8 * k + 4, v / TWO32, true);
  }
}

/** Order Response for a submit/cancel/replace result. `dv` views the same bytes as `b` (OutBuffer.dv). */
export function encodeOrderResponseFrom(b: Buffer, dv: DataView, o: number, corrId: number, reqType: number, res: CommandResult): number {
  const p = writeHeader(b, o, MsgType.OrderResponse, Size.OrderResponse);
  const ord = res.order;
  const u = U64;
  u[0] = corrId;
  u[2] = res.seq;
  u[3] = res.ts;
  if (ord) {
    u[1] = ord.orderId;
    u[4] = ord.price;
    u[5] = ord.qty;
    u[6] = ord.filledQty;
    u[7] = ord.remainingQty;
  } else {
    u[1] = u[4] = u[5] = u[6] = u[7] = 0;
  }
  writeU64s(dv, p, 8);
  writeU16(b, p + 64, res.code);
  b[p + 66] = reqType;
  // No order (e.g. cancel of an unknown order): the request itself was refused.
  b[p + 67] = ord ? wireStatus(ord.status) : WireStatus.REJECTED;
  b[p + 68] = res.duplicate ? 1 : 0;
  b[p + 69] = 0;
  b[p + 70] = 0;
  b[p + 71] = 0;
  return FRAME_SIZE.OrderResponse;
}

/** `wireCid`: the report's client order id as the wire u64 (clientOrderIdToWire of r.clientOrderId); `dv` views `b`. */
export function encodeExecutionReportFrom(b: Buffer, dv: DataView, o: number, r: ExecReport, symbolId: number, wireCid: number): number {
  const p = writeHeader(b, o, MsgType.ExecutionReport, Size.ExecutionReport);
  const u = U64;
  u[0] = r.accountSeq;
  u[1] = r.seq;
  u[2] = r.ts;
  u[3] = r.orderId;
  u[4] = wireCid;
  u[5] = r.price;
  u[6] = r.qty;
  u[7] = r.filledQty;
  u[8] = r.remainingQty;
  u[9] = r.tradeId ?? 0;
  u[10] = r.lastPrice ?? 0;
  u[11] = r.lastQty ?? 0;
  writeU64s(dv, p, 12);
  // the fee is an i64 (two's complement)
  const fee = r.fee ?? 0;
  dv.setUint32(p + 96, fee, true);
  dv.setInt32(p + 100, Math.floor(fee / TWO32), true);
  writeU16(b, p + 104, r.code);
  writeU16(b, p + 106, symbolId);
  b[p + 108] = wireExecKind(r.kind);
  b[p + 109] = wireStatus(r.status);
  b[p + 110] = wireSide(r.side);
  b[p + 111] = wireOrderKind(r.orderKind);
  b[p + 112] = wireLiquidity(r.liquidity);
  b[p + 113] = 0;
  b[p + 114] = 0;
  b[p + 115] = 0;
  return FRAME_SIZE.ExecutionReport;
}

/** Order Status for a query; `ord` undefined = not found (code carries why). */
export function encodeOrderStatusFrom(
  b: Buffer,
  o: number,
  corrId: number,
  code: number,
  ord: OrderView | undefined,
  symbolId: number,
): number {
  const p = writeHeader(b, o, MsgType.OrderStatus, Size.OrderStatus);
  b.fill(0, p, p + Size.OrderStatus);
  writeU64(b, p, corrId);
  writeU16(b, p + 96, code);
  if (!ord) return FRAME_SIZE.OrderStatus;
  writeU64(b, p + 8, ord.orderId);
  writeU64(b, p + 16, clientOrderIdToWire(ord.clientOrderId));
  writeU64(b, p + 24, ord.price);
  writeU64(b, p + 32, ord.stopPrice);
  writeU64(b, p + 40, ord.qty);
  writeU64(b, p + 48, ord.filledQty);
  writeU64(b, p + 56, ord.remainingQty);
  writeU64(b, p + 64, ord.filledNotionalTicks);
  writeU64(b, p + 72, ord.createdTs);
  writeU64(b, p + 80, ord.updatedTs);
  writeU64(b, p + 88, ord.lastSeq);
  writeU16(b, p + 98, ord.code);
  writeU16(b, p + 100, symbolId);
  b[p + 102] = wireSide(ord.side);
  b[p + 103] = wireOrderKind(ord.kind);
  b[p + 104] = wireStatus(ord.status);
  b[p + 105] = ord.postOnly ? 1 : 0;
  return FRAME_SIZE.OrderStatus;
}

/** Bytes a Market Data Update for `u` takes at `depth` levels per side. */
export function sizeOfMarketDataFrom(u: MarketDataUpdate, depth: number): number {
  const nb = Math.min(depth, u.bids.length);
  const na = Math.min(depth, u.asks.length);
  const nt = Math.min(MAX_MD_TRADES, u.trades.length);
  return HEADER_SIZE + Size.MarketDataFixed + Size.MarketDataLevel * (nb + na) + Size.MarketDataTrade * nt;
}

/**
 * Market Data Update from an engine update, trimmed to `depth` levels per side;
 * `prevMdSeq` and `snapshot` are the subscription's own (conflation changes them).
 * Keeps the newest trades when there are more than fit.
 */
export function encodeMarketDataFrom(
  b: Buffer,
  o: number,
  u: MarketDataUpdate,
  symbolId: number,
  depth: number,
  prevMdSeq: number,
  snapshot: boolean,
): number {
  const size = sizeOfMarketDataFrom(u, depth);
  const p = writeHeader(b, o, MsgType.MarketDataUpdate, size - HEADER_SIZE);
  const l1 = u.l1;
  writeU64(b, p, u.mdSeq);
  writeU64(b, p + 8, prevMdSeq);
  writeU64(b, p + 16, l1.ts);
  writeU64(b, p + 24, l1.last);
  writeU64(b, p + 32, l1.lastQty);
  writeU64(b, p + 40, l1.bid);
  writeU64(b, p + 48, l1.bidQty);
  writeU64(b, p + 56, l1.ask);
  writeU64(b, p + 64, l1.askQty);
  writeU64(b, p + 72, l1.volume);
  writeU64(b, p + 80, l1.turnoverTicks);
  writeU64(b, p + 88, l1.open);
  writeU64(b, p + 96, l1.high);
  writeU64(b, p + 104, l1.low);
  writeU64(b, p + 112, l1.reference);
  writeU16(b, p + 120, symbolId);
  const nb = Math.min(depth, u.bids.length);
  const na = Math.min(depth, u.asks.length);
  const nt = Math.min(MAX_MD_TRADES, u.trades.length);
  b[p + 122] = (snapshot ? 1 : 0) | (l1.halted ? 2 : 0) | (nt < u.trades.length ? 4 : 0);
  b[p + 123] = nb;
  b[p + 124] = na;
  b[p + 125] = 0;
  writeU16(b, p + 126, nt);
  let q = p + Size.MarketDataFixed;
  q = writeLevels(b, q, u.bids, nb);
  q = writeLevels(b, q, u.asks, na);
  for (let i = u.trades.length - nt; i < u.trades.length; i++) {
    const t = u.trades[i]!;
    writeU64(b, q, t.tradeId);
    writeU64(b, q + 8, t.price);
    writeU64(b, q + 16, t.qty);
    writeU64(b, q + 24, t.ts);
    writeU64(b, q + 32, t.mdSeq);
    b[q + 40] = wireSide(t.aggressor);
    b.fill(0, q + 41, q + 48);
    q += Size.MarketDataTrade;
  }
  return size;
}

function writeLevels(b: Buffer, q: number, levels: Level[], n: number): number {
  for (let i = 0; i < n; i++) {
    const lv = levels[i]!;
    writeU64(b, q, lv.price);
    writeU64(b, q + 8, lv.qty);
    writeU32(b, q + 16, lv.orders);
    q += Size.MarketDataLevel;
  }
  return q;
}
