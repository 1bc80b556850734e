/**
 * Typed encode/decode of every Aurex TCP message, shared by the server, the
 * client library, the tests and the benchmarks.
 *
 * Encoders write one whole frame (Length, Type, Payload) into a caller-provided
 * Buffer at an offset and return the number of bytes written, so the server
 * can pack many replies into one pooled output buffer without allocating.
 * The caller guarantees room (see FRAME_SIZE / the sizeOf* helpers) and valid
 * values (safe non-negative integers for u64 fields).
 *
 * Decoders take the payload (buffer, offset, length: the bytes after the Type
 * byte), fill a caller-provided object and return a Code: OK, or why the
 * payload is unacceptable (wrong length, invalid enum, value out of range).
 * They never throw and never read outside [off, off + len).
 */
import { asciiString } from '../engine/ascii-string.ts';
import { Code } from '../engine/codes.ts';
import type { ExecKind, OrderKind, OrderStatus, Side } from '../engine/types.ts';
import {
  EXEC_KIND_FROM_WIRE,
  HEADER_SIZE,
  KIND_FROM_WIRE,
  LENGTH_SIZE,
  LIQUIDITY_FROM_WIRE,
  MAX_DEPTH,
  MAX_DIRECTORY_ENTRIES,
  MAX_MD_TRADES,
  MAX_TOKEN_BYTES,
  MsgType,
  SIDE_FROM_WIRE,
  STATUS_FROM_WIRE,
  SYMBOL_BYTES,
  Size,
  SubscribeAction,
  wireExecKind,
  wireLiquidity,
  wireOrderKind,
  wireSide,
  wireStatus,
} from './protocol.ts';

// String.prototype.charCodeAt.call(s, i): inlined for strings of any shape (docs/engine.md, "Strings of many shapes")

// ------------------------------------------------------------ primitives
export const TWO32 = 4294967296;
/** Largest high half of a safe u64 (2^53 - 1 = 0x1FFFFF_FFFFFFFF). */
const MAX_SAFE_HI = 0x1fffff;

/** u64 LE as a number, or -1 when it exceeds 2^53 - 1. Caller bounds-checks. */
export function readU64(b: Buffer, o: number): number {
  const lo = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
  const hi = b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24);
  if (hi >>> 0 > MAX_SAFE_HI) return -1;
  return (hi >>> 0) * TWO32 + (lo >>> 0);
}

/** i64 LE as a number, or NaN when outside the safe range. */
export function readI64(b: Buffer, o: number): number {
  const lo = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  const hi = b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24); // signed
  const v = hi * TWO32 + lo;
  return Number.isSafeInteger(v) ? v : NaN;
}

/** Writes a non-negative safe integer as u64 LE. */
export function writeU64(b: Buffer, o: number, v: number): void {
  const lo = v >>> 0;
  const hi = Math.floor(v / TWO32) >>> 0;
  b[o] = lo;
  b[o + 1] = lo >>> 8;
  b[o + 2] = lo >>> 16;
  b[o + 3] = lo >>> 24;
  b[o + 4] = hi;
  b[o + 5] = hi >>> 8;
  b[o + 6] = hi >>> 16;
  b[o + 7] = hi >>> 24;
}

/** Writes a safe integer (possibly negative) as i64 LE, two's complement. */
export function writeI64(b: Buffer, o: number, v: number): void {
  const lo = v >>> 0; // ToUint32 is modulo 2^32, correct for negatives too
  const hi = Math.floor(v / TWO32) | 0;
  b[o] = lo;
  b[o + 1] = lo >>> 8;
  b[o + 2] = lo >>> 16;
  b[o + 3] = lo >>> 24;
  b[o + 4] = hi;
  b[o + 5] = hi >>> 8;
  b[o + 6] = hi >>> 16;
  b[o + 7] = hi >>> 24;
}

export function readU32(b: Buffer, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
export function writeU32(b: Buffer, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
export function readU16(b: Buffer, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function writeU16(b: Buffer, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}

/** Writes the frame header for a payload of `payloadLen` bytes; returns the payload offset. */
export function writeHeader(b: Buffer, o: number, type: number, payloadLen: number): number {
  writeU32(b, o, payloadLen + 1);
  b[o + LENGTH_SIZE] = type;
  return o + HEADER_SIZE;
}

/** True when v is a safe non-negative integer (fits a wire u64 field). */
export function isU64(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

/**
 * The engine's clientOrderId string for a wire u64 (decimal, no leading zeros).
 * Ids the gateway creates are always this form.
 */
export function clientOrderIdToString(id: number): string {
  // Ids are usually large (e.g. a timestamp-based 16-digit counter), where String() takes the
  // slow double-to-text path (~2x slower than building the digits, measured in a profile of the
  // pipelined TCP bench). Below 1e8 String() is the fast integer path.
  if (id < 1e8) return String(id);
  // Two halves below 1e8 < 2^31: int32 division by 10, which the compiler turns into a multiply.
  const h = Math.floor(id / 1e8);
  let hi = h | 0;
  let lo = (id - h * 1e8) | 0;
  const d = DIGITS;
  let n = 0;
  for (let x = hi; x > 0; x = (x / 10) | 0) n++;
  for (let i = n - 1; i >= 0; i--) {
    const q = (hi / 10) | 0;
    d[i] = 48 + hi - q * 10;
    hi = q;
  }
  for (let i = n + 7; i >= n; i--) {
    const q = (lo / 10) | 0;
    d[i] = 48 + lo - q * 10;
    lo = q;
  }
  // one flat one-byte string, no intermediate (n + 8 <= 16 digits: id <= 2^53 - 1)
  return asciiString(d, 0, n + 8);
}

/** Digit scratch of clientOrderIdToString (16 = the most digits of a safe integer). */
const DIGITS = new Uint8Array(16);

/**
 * The wire u64 for an engine clientOrderId: its value when it is a canonical
 * decimal safe integer >= 1 (what TCP clients always send), else 0 (the order
 * came from another gateway with a non-numeric id).
 */
export function clientOrderIdToWire(s: string): number {
  const n = s.length;
  if (n === 0 || n > 16) return 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = String.prototype.charCodeAt.call(s, i) - 48;
    if (c < 0 || c > 9 || (i === 0 && c === 0)) return 0;
    v = v * 10 + c;
  }
  return Number.isSafeInteger(v) ? v : 0;
}

/** Writes an ASCII symbol NUL-padded to 8 bytes (caller guarantees <= 8 ASCII chars). */
export function writeSymbol(b: Buffer, o: number, s: string): void {
  for (let i = 0; i < SYMBOL_BYTES; i++) b[o + i] = i < s.length ? s.charCodeAt(i) & 0x7f : 0;
}

/** Reads an 8-byte NUL-padded ASCII symbol; '' when malformed (non-printable, NUL inside, empty). */
export function readSymbol(b: Buffer, o: number): string {
  let end = 0;
  while (end < SYMBOL_BYTES && b[o + end] !== 0) end++;
  if (end === 0) return '';
  for (let i = 0; i < SYMBOL_BYTES; i++) {
    const c = b[o + i]!;
    if (i < end ? c < 0x21 || c > 0x7e : c !== 0) return '';
  }
  return b.toString('latin1', o, o + end);
}

// ------------------------------------------------------------ message types
export interface OrderSubmitMsg {
  clientOrderId: number;
  price: number;
  qty: number;
  stopPrice: number;
  symbolId: number;
  side: Side;
  kind: OrderKind;
  postOnly: boolean;
}
export interface OrderStatusQueryMsg {
  corrId: number;
  /** 0 = look up by clientOrderId. */
  orderId: number;
  clientOrderId: number;
}
export interface MarketDataSubscribeMsg {
  corrId: number;
  symbolId: number;
  subscribe: boolean;
  /** Book levels per side (0 = L1 only). */
  depth: number;
}
export interface CancelMsg {
  corrId: number;
  /** 0 = by origClientOrderId. */
  orderId: number;
  origClientOrderId: number;
}
export interface ReplaceMsg {
  corrId: number;
  orderId: number;
  origClientOrderId: number;
  price: number;
  qty: number;
}
export interface LoginMsg {
  version: number;
  cancelOnDisconnect: boolean;
  /** Replay execution reports with accountSeq > resumeFromSeq before live ones. */
  resume: boolean;
  /** 0 = server default. */
  heartbeatMs: number;
  cancelGraceMs: number;
  resumeFromSeq: number;
  token: string;
}
export interface LogoutMsg {
  code: number;
}
export interface OrderResponseMsg {
  corrId: number;
  orderId: number;
  seq: number;
  ts: number;
  price: number;
  qty: number;
  filledQty: number;
  remainingQty: number;
  code: number;
  /** The request this answers: MsgType.OrderSubmit, Cancel or Replace. */
  reqType: number;
  status: OrderStatus;
  duplicate: boolean;
}
export interface OrderStatusMsg {
  corrId: number;
  /** OK, or why there is no order (then the order fields are zero). */
  code: number;
  orderId: number;
  clientOrderId: number;
  price: number;
  stopPrice: number;
  qty: number;
  filledQty: number;
  remainingQty: number;
  filledNotionalTicks: number;
  createdTs: number;
  updatedTs: number;
  lastSeq: number;
  orderCode: number;
  symbolId: number;
  side: Side | undefined;
  kind: OrderKind | undefined;
  status: OrderStatus | undefined;
  postOnly: boolean;
}
export interface MdLevel {
  price: number;
  qty: number;
  orders: number;
}
export interface MdTrade {
  tradeId: number;
  price: number;
  qty: number;
  ts: number;
  mdSeq: number;
  aggressor: Side;
}
export interface MarketDataUpdateMsg {
  symbolId: number;
  mdSeq: number;
  prevMdSeq: number;
  ts: number;
  last: number;
  lastQty: number;
  bid: number;
  bidQty: number;
  ask: number;
  askQty: number;
  volume: number;
  turnoverTicks: number;
  open: number;
  high: number;
  low: number;
  reference: number;
  snapshot: boolean;
  halted: boolean;
  tradesTruncated: boolean;
  bids: MdLevel[];
  asks: MdLevel[];
  trades: MdTrade[];
}
export interface ExecutionReportMsg {
  accountSeq: number;
  seq: number;
  ts: number;
  orderId: number;
  clientOrderId: number;
  price: number;
  qty: number;
  filledQty: number;
  remainingQty: number;
  tradeId: number;
  lastPrice: number;
  lastQty: number;
  fee: number;
  code: number;
  symbolId: number;
  kind: ExecKind;
  status: OrderStatus;
  side: Side;
  orderKind: OrderKind;
  liquidity: 'MAKER' | 'TAKER' | undefined;
}
export interface LoginResponseMsg {
  code: number;
  version: number;
  heartbeatMs: number;
  timeoutMs: number;
  maxFrame: number;
  accountId: number;
  sessionId: number;
  cancelGraceMs: number;
  cancelOnDisconnect: boolean;
}
export interface SymbolEntry {
  symbolId: number;
  symbol: string;
  tickSize: number;
  lotSize: number;
  referencePrice: number;
  maxOrderQty: number;
}
export interface SymbolDirectoryMsg {
  last: boolean;
  entries: SymbolEntry[];
}
export interface RejectMsg {
  corrId: number;
  code: number;
  refType: number;
}
export interface ErrorMsg {
  code: number;
  refType: number;
}

/** Every decoded message, tagged by type. */
export type Message =
  | { type: typeof MsgType.OrderSubmit; msg: OrderSubmitMsg }
  | { type: typeof MsgType.OrderStatusQuery; msg: OrderStatusQueryMsg }
  | { type: typeof MsgType.MarketDataSubscribe; msg: MarketDataSubscribeMsg }
  | { type: typeof MsgType.Cancel; msg: CancelMsg }
  | { type: typeof MsgType.Replace; msg: ReplaceMsg }
  | { type: typeof MsgType.Login; msg: LoginMsg }
  | { type: typeof MsgType.Heartbeat; msg: Record<string, never> }
  | { type: typeof MsgType.Logout; msg: LogoutMsg }
  | { type: typeof MsgType.OrderResponse; msg: OrderResponseMsg }
  | { type: typeof MsgType.OrderStatus; msg: OrderStatusMsg }
  | { type: typeof MsgType.MarketDataUpdate; msg: MarketDataUpdateMsg }
  | { type: typeof MsgType.ExecutionReport; msg: ExecutionReportMsg }
  | { type: typeof MsgType.LoginResponse; msg: LoginResponseMsg }
  | { type: typeof MsgType.SymbolDirectory; msg: SymbolDirectoryMsg }
  | { type: typeof MsgType.Reject; msg: RejectMsg }
  | { type: typeof MsgType.Error; msg: ErrorMsg };

// ------------------------------------------------------------ frame sizes
/** Whole-frame sizes (header included) of the fixed-size messages. */
export const FRAME_SIZE = {
  OrderSubmit: HEADER_SIZE + Size.OrderSubmit,
  OrderStatusQuery: HEADER_SIZE + Size.OrderStatusQuery,
  MarketDataSubscribe: HEADER_SIZE + Size.MarketDataSubscribe,
  Cancel: HEADER_SIZE + Size.Cancel,
  Replace: HEADER_SIZE + Size.Replace,
  Heartbeat: HEADER_SIZE + Size.Heartbeat,
  Logout: HEADER_SIZE + Size.Logout,
  OrderResponse: HEADER_SIZE + Size.OrderResponse,
  OrderStatus: HEADER_SIZE + Size.OrderStatus,
  ExecutionReport: HEADER_SIZE + Size.ExecutionReport,
  LoginResponse: HEADER_SIZE + Size.LoginResponse,
  Reject: HEADER_SIZE + Size.Reject,
  Error: HEADER_SIZE + Size.Error,
} as const;

export function sizeOfLogin(m: LoginMsg): number {
  return HEADER_SIZE + Size.LoginFixed + Buffer.byteLength(m.token, 'utf8');
}
export function sizeOfMarketData(m: MarketDataUpdateMsg): number {
  return (
    HEADER_SIZE +
    Size.MarketDataFixed +
    Size.MarketDataLevel * (m.bids.length + m.asks.length) +
    Size.MarketDataTrade * m.trades.length
  );
}
export function sizeOfSymbolDirectory(m: SymbolDirectoryMsg): number {
  return HEADER_SIZE + Size.SymbolDirectoryFixed + Size.SymbolDirectoryEntry * m.entries.length;
}

// ------------------------------------------------------------ encoders
export function encodeOrderSubmit(b: Buffer, o: number, m: OrderSubmitMsg): number {
  const p = writeHeader(b, o, MsgType.OrderSubmit, Size.OrderSubmit);
  writeU64(b, p, m.clientOrderId);
  writeU64(b, p + 8, m.price);
  writeU64(b, p + 16, m.qty);
  writeU64(b, p + 24, m.stopPrice);
  writeU16(b, p + 32, m.symbolId);
  b[p + 34] = wireSide(m.side);
  b[p + 35] = wireOrderKind(m.kind);
  b[p + 36] = m.postOnly ? 1 : 0;
  b[p + 37] = 0;
  b[p + 38] = 0;
  b[p + 39] = 0;
  return FRAME_SIZE.OrderSubmit;
}

export function encodeOrderStatusQuery(b: Buffer, o: number, m: OrderStatusQueryMsg): number {
  const p = writeHeader(b, o, MsgType.OrderStatusQuery, Size.OrderStatusQuery);
  writeU64(b, p, m.corrId);
  writeU64(b, p + 8, m.orderId);
  writeU64(b, p + 16, m.clientOrderId);
  return FRAME_SIZE.OrderStatusQuery;
}

export function encodeMarketDataSubscribe(b: Buffer, o: number, m: MarketDataSubscribeMsg): number {
  const p = writeHeader(b, o, MsgType.MarketDataSubscribe, Size.MarketDataSubscribe);
  writeU64(b, p, m.corrId);
  writeU16(b, p + 8, m.symbolId);
  b[p + 10] = m.subscribe ? SubscribeAction.SUBSCRIBE : SubscribeAction.UNSUBSCRIBE;
  b[p + 11] = m.depth;
  return FRAME_SIZE.MarketDataSubscribe;
}

export function encodeCancel(b: Buffer, o: number, m: CancelMsg): number {
  const p = writeHeader(b, o, MsgType.Cancel, Size.Cancel);
  writeU64(b, p, m.corrId);
  writeU64(b, p + 8, m.orderId);
  writeU64(b, p + 16, m.origClientOrderId);
  return FRAME_SIZE.Cancel;
}

export function encodeReplace(b: Buffer, o: number, m: ReplaceMsg): number {
  const p = writeHeader(b, o, MsgType.Replace, Size.Replace);
  writeU64(b, p, m.corrId);
  writeU64(b, p + 8, m.orderId);
  writeU64(b, p + 16, m.origClientOrderId);
  writeU64(b, p + 24, m.price);
  writeU64(b, p + 32, m.qty);
  return FRAME_SIZE.Replace;
}

export function encodeLogin(b: Buffer, o: number, m: LoginMsg): number {
  const tokenLen = Buffer.byteLength(m.token, 'utf8');
  const p = writeHeader(b, o, MsgType.Login, Size.LoginFixed + tokenLen);
  writeU16(b, p, m.version);
  b[p + 2] = (m.cancelOnDisconnect ? 1 : 0) | (m.resume ? 2 : 0);
  b[p + 3] = 0;
  writeU32(b, p + 4, m.heartbeatMs);
  writeU32(b, p + 8, m.cancelGraceMs);
  writeU64(b, p + 12, m.resumeFromSeq);
  writeU16(b, p + 20, tokenLen);
  writeU16(b, p + 22, 0);
  b.write(m.token, p + 24, tokenLen, 'utf8');
  return HEADER_SIZE + Size.LoginFixed + tokenLen;
}

export function encodeHeartbeat(b: Buffer, o: number): number {
  writeHeader(b, o, MsgType.Heartbeat, 0);
  return FRAME_SIZE.Heartbeat;
}

export function encodeLogout(b: Buffer, o: number, m: LogoutMsg): number {
  const p = writeHeader(b, o, MsgType.Logout, Size.Logout);
  writeU16(b, p, m.code);
  return FRAME_SIZE.Logout;
}

export function encodeOrderResponse(b: Buffer, o: number, m: OrderResponseMsg): number {
  const p = writeHeader(b, o, MsgType.OrderResponse, Size.OrderResponse);
  writeU64(b, p, m.corrId);
  writeU64(b, p + 8, m.orderId);
  writeU64(b, p + 16, m.seq);
  writeU64(b, p + 24, m.ts);
  writeU64(b, p + 32, m.price);
  writeU64(b, p + 40, m.qty);
  writeU64(b, p + 48, m.filledQty);
  writeU64(b, p + 56, m.remainingQty);
  writeU16(b, p + 64, m.code);
  b[p + 66] = m.reqType;
  b[p + 67] = wireStatus(m.status);
  b[p + 68] = m.duplicate ? 1 : 0;
  b[p + 69] = 0;
  b[p + 70] = 0;
  b[p + 71] = 0;
  return FRAME_SIZE.OrderResponse;
}

export function encodeOrderStatus(b: Buffer, o: number, m: OrderStatusMsg): number {
  const p = writeHeader(b, o, MsgType.OrderStatus, Size.OrderStatus);
  writeU64(b, p, m.corrId);
  writeU64(b, p + 8, m.orderId);
  writeU64(b, p + 16, m.clientOrderId);
  writeU64(b, p + 24, m.price);
  writeU64(b, p + 32, m.stopPrice);
  writeU64(b, p + 40, m.qty);
  writeU64(b, p + 48, m.filledQty);
  writeU64(b, p + 56, m.remainingQty);
  writeU64(b, p + 64, m.filledNotionalTicks);
  writeU64(b, p + 72, m.createdTs);
  writeU64(b, p + 80, m.updatedTs);
  writeU64(b, p + 88, m.lastSeq);
  writeU16(b, p + 96, m.code);
  writeU16(b, p + 98, m.orderCode);
  writeU16(b, p + 100, m.symbolId);
  b[p + 102] = m.side ? wireSide(m.side) : 0;
  b[p + 103] = m.kind ? wireOrderKind(m.kind) : 0;
  b[p + 104] = m.status ? wireStatus(m.status) : 0;
  b[p + 105] = m.postOnly ? 1 : 0;
  b[p + 106] = 0;
  b[p + 107] = 0;
  return FRAME_SIZE.OrderStatus;
}

export function encodeMarketDataUpdate(b: Buffer, o: number, m: MarketDataUpdateMsg): number {
  const size = sizeOfMarketData(m);
  const p = writeHeader(b, o, MsgType.MarketDataUpdate, size - HEADER_SIZE);
  writeU64(b, p, m.mdSeq);
  writeU64(b, p + 8, m.prevMdSeq);
  writeU64(b, p + 16, m.ts);
  writeU64(b, p + 24, m.last);
  writeU64(b, p + 32, m.lastQty);
  writeU64(b, p + 40, m.bid);
  writeU64(b, p + 48, m.bidQty);
  writeU64(b, p + 56, m.ask);
  writeU64(b, p + 64, m.askQty);
  writeU64(b, p + 72, m.volume);
  writeU64(b, p + 80, m.turnoverTicks);
  writeU64(b, p + 88, m.open);
  writeU64(b, p + 96, m.high);
  writeU64(b, p + 104, m.low);
  writeU64(b, p + 112, m.reference);
  writeU16(b, p + 120, m.symbolId);
  b[p + 122] = (m.snapshot ? 1 : 0) | (m.halted ? 2 : 0) | (m.tradesTruncated ? 4 : 0);
  b[p + 123] = m.bids.length;
  b[p + 124] = m.asks.length;
  b[p + 125] = 0;
  writeU16(b, p + 126, m.trades.length);
  let q = p + Size.MarketDataFixed;
  for (const lv of m.bids) q = writeLevel(b, q, lv);
  for (const lv of m.asks) q = writeLevel(b, q, lv);
  for (const t of m.trades) {
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

function writeLevel(b: Buffer, q: number, lv: MdLevel): number {
  writeU64(b, q, lv.price);
  writeU64(b, q + 8, lv.qty);
  writeU32(b, q + 16, lv.orders);
  return q + Size.MarketDataLevel;
}

export function encodeExecutionReport(b: Buffer, o: number, m: ExecutionReportMsg): number {
  const p = writeHeader(b, o, MsgType.ExecutionReport, Size.ExecutionReport);
  writeU64(b, p, m.accountSeq);
  writeU64(b, p + 8, m.seq);
  writeU64(b, p + 16, m.ts);
  writeU64(b, p + 24, m.orderId);
  writeU64(b, p + 32, m.clientOrderId);
  writeU64(b, p + 40, m.price);
  writeU64(b, p + 48, m.qty);
  writeU64(b, p + 56, m.filledQty);
  writeU64(b, p + 64, m.remainingQty);
  writeU64(b, p + 72, m.tradeId);
  writeU64(b, p + 80, m.lastPrice);
  writeU64(b, p + 88, m.lastQty);
  writeI64(b, p + 96, m.fee);
  writeU16(b, p + 104, m.code);
  writeU16(b, p + 106, m.symbolId);
  b[p + 108] = wireExecKind(m.kind);
  b[p + 109] = wireStatus(m.status);
  b[p + 110] = wireSide(m.side);
  b[p + 111] = wireOrderKind(m.orderKind);
  b[p + 112] = wireLiquidity(m.liquidity);
  b[p + 113] = 0;
  b[p + 114] = 0;
  b[p + 115] = 0;
  return FRAME_SIZE.ExecutionReport;
}

export function encodeLoginResponse(b: Buffer, o: number, m: LoginResponseMsg): number {
  const p = writeHeader(b, o, MsgType.LoginResponse, Size.LoginResponse);
  writeU16(b, p, m.code);
  writeU16(b, p + 2, m.version);
  writeU32(b, p + 4, m.heartbeatMs);
  writeU32(b, p + 8, m.timeoutMs);
  writeU32(b, p + 12, m.maxFrame);
  writeU64(b, p + 16, m.accountId);
  writeU64(b, p + 24, m.sessionId);
  writeU32(b, p + 32, m.cancelGraceMs);
  b[p + 36] = m.cancelOnDisconnect ? 1 : 0;
  b[p + 37] = 0;
  b[p + 38] = 0;
  b[p + 39] = 0;
  return FRAME_SIZE.LoginResponse;
}

export function encodeSymbolDirectory(b: Buffer, o: number, m: SymbolDirectoryMsg): number {
  const size = sizeOfSymbolDirectory(m);
  const p = writeHeader(b, o, MsgType.SymbolDirectory, size - HEADER_SIZE);
  writeU16(b, p, m.entries.length);
  b[p + 2] = m.last ? 1 : 0;
  b[p + 3] = 0;
  let q = p + Size.SymbolDirectoryFixed;
  for (const e of m.entries) {
    writeU16(b, q, e.symbolId);
    writeSymbol(b, q + 2, e.symbol);
    writeU16(b, q + 10, 0);
    writeU32(b, q + 12, e.tickSize);
    writeU32(b, q + 16, e.lotSize);
    writeU64(b, q + 20, e.referencePrice);
    writeU64(b, q + 28, e.maxOrderQty);
    q += Size.SymbolDirectoryEntry;
  }
  return size;
}

export function encodeReject(b: Buffer, o: number, m: RejectMsg): number {
  const p = writeHeader(b, o, MsgType.Reject, Size.Reject);
  writeU64(b, p, m.corrId);
  writeU16(b, p + 8, m.code);
  b[p + 10] = m.refType;
  b[p + 11] = 0;
  return FRAME_SIZE.Reject;
}

export function encodeError(b: Buffer, o: number, m: ErrorMsg): number {
  const p = writeHeader(b, o, MsgType.Error, Size.Error);
  writeU16(b, p, m.code);
  b[p + 2] = m.refType;
  b[p + 3] = 0;
  return FRAME_SIZE.Error;
}

// ------------------------------------------------------------ decoders
// Each returns Code.OK or the reason the payload is refused; `out` is only
// fully meaningful on OK.

export function newOrderSubmit(): OrderSubmitMsg {
  return { clientOrderId: 0, price: 0, qty: 0, stopPrice: 0, symbolId: 0, side: 'BUY', kind: 'LIMIT', postOnly: false };
}

export function decodeOrderSubmit(b: Buffer, o: number, len: number, out: OrderSubmitMsg): Code {
  if (len !== Size.OrderSubmit) return Code.MALFORMED_FRAME;
  const id = readU64(b, o);
  const price = readU64(b, o + 8);
  const qty = readU64(b, o + 16);
  const stop = readU64(b, o + 24);
  if (id < 0 || price < 0 || qty < 0 || stop < 0) return Code.VALUE_OUT_OF_RANGE;
  const side = SIDE_FROM_WIRE[b[o + 34]!];
  const kind = KIND_FROM_WIRE[b[o + 35]!];
  const flags = b[o + 36]!;
  if (side === undefined || kind === undefined || (flags & ~1) !== 0) return Code.INVALID_ENUM;
  out.clientOrderId = id;
  out.price = price;
  out.qty = qty;
  out.stopPrice = stop;
  out.symbolId = readU16(b, o + 32);
  out.side = side;
  out.kind = kind;
  out.postOnly = (flags & 1) !== 0;
  return Code.OK;
}

export function newOrderStatusQuery(): OrderStatusQueryMsg {
  return { corrId: 0, orderId: 0, clientOrderId: 0 };
}
export function decodeOrderStatusQuery(b: Buffer, o: number, len: number, out: OrderStatusQueryMsg): Code {
  if (len !== Size.OrderStatusQuery) return Code.MALFORMED_FRAME;
  const c = readU64(b, o);
  const id = readU64(b, o + 8);
  const cl = readU64(b, o + 16);
  if (c < 0 || id < 0 || cl < 0) return Code.VALUE_OUT_OF_RANGE;
  out.corrId = c;
  out.orderId = id;
  out.clientOrderId = cl;
  return Code.OK;
}

export function newMarketDataSubscribe(): MarketDataSubscribeMsg {
  return { corrId: 0, symbolId: 0, subscribe: true, depth: 0 };
}
export function decodeMarketDataSubscribe(b: Buffer, o: number, len: number, out: MarketDataSubscribeMsg): Code {
  if (len !== Size.MarketDataSubscribe) return Code.MALFORMED_FRAME;
  const c = readU64(b, o);
  if (c < 0) return Code.VALUE_OUT_OF_RANGE;
  const action = b[o + 10]!;
  const depth = b[o + 11]!;
  if (action > 1) return Code.INVALID_ENUM;
  if (depth > MAX_DEPTH) return Code.VALUE_OUT_OF_RANGE;
  out.corrId = c;
  out.symbolId = readU16(b, o + 8);
  out.subscribe = action === SubscribeAction.SUBSCRIBE;
  out.depth = depth;
  return Code.OK;
}

export function newCancel(): CancelMsg {
  return { corrId: 0, orderId: 0, origClientOrderId: 0 };
}
export function decodeCancel(b: Buffer, o: number, len: number, out: CancelMsg): Code {
  if (len !== Size.Cancel) return Code.MALFORMED_FRAME;
  const c = readU64(b, o);
  const id = readU64(b, o + 8);
  const cl = readU64(b, o + 16);
  if (c < 0 || id < 0 || cl < 0) return Code.VALUE_OUT_OF_RANGE;
  out.corrId = c;
  out.orderId = id;
  out.origClientOrderId = cl;
  return Code.OK;
}

export function newReplace(): ReplaceMsg {
  return { corrId: 0, orderId: 0, origClientOrderId: 0, price: 0, qty: 0 };
}
export function decodeReplace(b: Buffer, o: number, len: number, out: ReplaceMsg): Code {
  if (len !== Size.Replace) return Code.MALFORMED_FRAME;
  const c = readU64(b, o);
  const id = readU64(b, o + 8);
  const cl = readU64(b, o + 16);
  const price = readU64(b, o + 24);
  const qty = readU64(b, o + 32);
  if (c < 0 || id < 0 || cl < 0 || price < 0 || qty < 0) return Code.VALUE_OUT_OF_RANGE;
  out.corrId = c;
  out.orderId = id;
  out.origClientOrderId = cl;
  out.price = price;
  out.qty = qty;
  return Code.OK;
}

export function newLogin(): LoginMsg {
  return {
    version: 0,
    cancelOnDisconnect: false,
    resume: false,
    heartbeatMs: 0,
    cancelGraceMs: 0,
    resumeFromSeq: 0,
    token: '',
  };
}
export function decodeLogin(b: Buffer, o: number, len: number, out: LoginMsg): Code {
  if (len < Size.LoginFixed) return Code.MALFORMED_FRAME;
  const tokenLen = readU16(b, o + 20);
  if (len !== Size.LoginFixed + tokenLen) return Code.MALFORMED_FRAME;
  if (tokenLen === 0 || tokenLen > MAX_TOKEN_BYTES) return Code.TOKEN_MALFORMED;
  const flags = b[o + 2]!;
  if ((flags & ~3) !== 0) return Code.INVALID_ENUM;
  const from = readU64(b, o + 12);
  if (from < 0) return Code.VALUE_OUT_OF_RANGE;
  out.version = readU16(b, o);
  out.cancelOnDisconnect = (flags & 1) !== 0;
  out.resume = (flags & 2) !== 0;
  out.heartbeatMs = readU32(b, o + 4);
  out.cancelGraceMs = readU32(b, o + 8);
  out.resumeFromSeq = from;
  out.token = b.toString('utf8', o + Size.LoginFixed, o + len);
  return Code.OK;
}

export function decodeLogout(b: Buffer, o: number, len: number, out: LogoutMsg): Code {
  if (len !== Size.Logout) return Code.MALFORMED_FRAME;
  out.code = readU16(b, o);
  return Code.OK;
}

export function newOrderResponse(): OrderResponseMsg {
  return {
    corrId: 0,
    orderId: 0,
    seq: 0,
    ts: 0,
    price: 0,
    qty: 0,
    filledQty: 0,
    remainingQty: 0,
    code: 0,
    reqType: 0,
    status: 'NEW',
    duplicate: false,
  };
}
export function decodeOrderResponse(b: Buffer, o: number, len: number, out: OrderResponseMsg): Code {
  if (len !== Size.OrderResponse) return Code.MALFORMED_FRAME;
  const corrId = readU64(b, o);
  const orderId = readU64(b, o + 8);
  const seq = readU64(b, o + 16);
  const ts = readU64(b, o + 24);
  const price = readU64(b, o + 32);
  const qty = readU64(b, o + 40);
  const filled = readU64(b, o + 48);
  const remaining = readU64(b, o + 56);
  if (anyNegative8(corrId, orderId, seq, ts, price, qty, filled, remaining)) {
    return Code.VALUE_OUT_OF_RANGE;
  }
  const status = STATUS_FROM_WIRE[b[o + 67]!];
  if (status === undefined) return Code.INVALID_ENUM;
  out.corrId = corrId;
  out.orderId = orderId;
  out.seq = seq;
  out.ts = ts;
  out.price = price;
  out.qty = qty;
  out.filledQty = filled;
  out.remainingQty = remaining;
  out.code = readU16(b, o + 64);
  out.reqType = b[o + 66]!;
  out.status = status;
  out.duplicate = (b[o + 68]! & 1) !== 0;
  return Code.OK;
}

function anyNegative8(a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number): boolean {
  return a < 0 || b < 0 || c < 0 || d < 0 || e < 0 || f < 0 || g < 0 || h < 0;
}

export function decodeOrderStatus(b: Buffer, o: number, len: number, out: OrderStatusMsg): Code {
  if (len !== Size.OrderStatus) return Code.MALFORMED_FRAME;
  const vals: number[] = [];
  for (let d = 0; d < 96; d += 8) {
    const v = readU64(b, o + d);
    if (v < 0) return Code.VALUE_OUT_OF_RANGE;
    vals.push(v);
  }
  const sideW = b[o + 102]!;
  const kindW = b[o + 103]!;
  const statusW = b[o + 104]!;
  // Zero enums are legal here: a not-found answer carries no order.
  const side = SIDE_FROM_WIRE[sideW];
  const kind = KIND_FROM_WIRE[kindW];
  const status = STATUS_FROM_WIRE[statusW];
  if ((sideW && !side) || (kindW && !kind) || (statusW && !status)) return Code.INVALID_ENUM;
  [
    out.corrId,
    out.orderId,
    out.clientOrderId,
    out.price,
    out.stopPrice,
    out.qty,
    out.filledQty,
    out.remainingQty,
    out.filledNotionalTicks,
    out.createdTs,
    out.updatedTs,
    out.lastSeq,
  ] = vals as [number, number, number, number, number, number, number, number, number, number, number, number];
  out.code = readU16(b, o + 96);
  out.orderCode = readU16(b, o + 98);
  out.symbolId = readU16(b, o + 100);
  out.side = side;
  out.kind = kind;
  out.status = status;
  out.postOnly = (b[o + 105]! & 1) !== 0;
  return Code.OK;
}

export function decodeMarketDataUpdate(b: Buffer, o: number, len: number, out: MarketDataUpdateMsg): Code {
  if (len < Size.MarketDataFixed) return Code.MALFORMED_FRAME;
  const nb = b[o + 123]!;
  const na = b[o + 124]!;
  const nt = readU16(b, o + 126);
  if (nb > MAX_DEPTH || na > MAX_DEPTH || nt > MAX_MD_TRADES) return Code.VALUE_OUT_OF_RANGE;
  if (len !== Size.MarketDataFixed + Size.MarketDataLevel * (nb + na) + Size.MarketDataTrade * nt) {
    return Code.MALFORMED_FRAME;
  }
  const vals: number[] = [];
  for (let d = 0; d < 120; d += 8) {
    const v = readU64(b, o + d);
    if (v < 0) return Code.VALUE_OUT_OF_RANGE;
    vals.push(v);
  }
  const flags = b[o + 122]!;
  if ((flags & ~7) !== 0) return Code.INVALID_ENUM;
  let q = o + Size.MarketDataFixed;
  const bids: MdLevel[] = [];
  const asks: MdLevel[] = [];
  for (let i = 0; i < nb + na; i++) {
    const price = readU64(b, q);
    const qty = readU64(b, q + 8);
    if (price < 0 || qty < 0) return Code.VALUE_OUT_OF_RANGE;
    (i < nb ? bids : asks).push({ price, qty, orders: readU32(b, q + 16) });
    q += Size.MarketDataLevel;
  }
  const trades: MdTrade[] = [];
  for (let i = 0; i < nt; i++) {
    const tv = [0, 8, 16, 24, 32].map((d) => readU64(b, q + d));
    if (tv.some((v) => v < 0)) return Code.VALUE_OUT_OF_RANGE;
    const aggressor = SIDE_FROM_WIRE[b[q + 40]!];
    if (!aggressor) return Code.INVALID_ENUM;
    trades.push({ tradeId: tv[0]!, price: tv[1]!, qty: tv[2]!, ts: tv[3]!, mdSeq: tv[4]!, aggressor });
    q += Size.MarketDataTrade;
  }
  [
    out.mdSeq,
    out.prevMdSeq,
    out.ts,
    out.last,
    out.lastQty,
    out.bid,
    out.bidQty,
    out.ask,
    out.askQty,
    out.volume,
    out.turnoverTicks,
    out.open,
    out.high,
    out.low,
    out.reference,
  ] = vals as [
    number, number, number, number, number, number, number, number, number, number, number, number, number, number,
    number,
  ];
  out.symbolId = readU16(b, o + 120);
  out.snapshot = (flags & 1) !== 0;
  out.halted = (flags & 2) !== 0;
  out.tradesTruncated = (flags & 4) !== 0;
  out.bids = bids;
  out.asks = asks;
  out.trades = trades;
  return Code.OK;
}

export function newMarketDataUpdate(): MarketDataUpdateMsg {
  return {
    symbolId: 0,
    mdSeq: 0,
    prevMdSeq: 0,
    ts: 0,
    last: 0,
    lastQty: 0,
    bid: 0,
    bidQty: 0,
    ask: 0,
    askQty: 0,
    volume: 0,
    turnoverTicks: 0,
    open: 0,
    high: 0,
    low: 0,
    reference: 0,
    snapshot: false,
    halted: false,
    tradesTruncated: false,
    bids: [],
    asks: [],
    trades: [],
  };
}

export function newExecutionReport(): ExecutionReportMsg {
  return {
    accountSeq: 0,
    seq: 0,
    ts: 0,
    orderId: 0,
    clientOrderId: 0,
    price: 0,
    qty: 0,
    filledQty: 0,
    remainingQty: 0,
    tradeId: 0,
    lastPrice: 0,
    lastQty: 0,
    fee: 0,
    code: 0,
    symbolId: 0,
    kind: 'ACCEPTED',
    status: 'NEW',
    side: 'BUY',
    orderKind: 'LIMIT',
    liquidity: undefined,
  };
}
export function decodeExecutionReport(b: Buffer, o: number, len: number, out: ExecutionReportMsg): Code {
  if (len !== Size.ExecutionReport) return Code.MALFORMED_FRAME;
  const vals: number[] = [];
  for (let d = 0; d < 96; d += 8) {
    const v = readU64(b, o + d);
    if (v < 0) return Code.VALUE_OUT_OF_RANGE;
    vals.push(v);
  }
  const fee = readI64(b, o + 96);
  if (Number.isNaN(fee)) return Code.VALUE_OUT_OF_RANGE;
  const kind = EXEC_KIND_FROM_WIRE[b[o + 108]!];
  const status = STATUS_FROM_WIRE[b[o + 109]!];
  const side = SIDE_FROM_WIRE[b[o + 110]!];
  const orderKind = KIND_FROM_WIRE[b[o + 111]!];
  const liqW = b[o + 112]!;
  const liquidity = LIQUIDITY_FROM_WIRE[liqW];
  if (!kind || !status || !side || !orderKind || (liqW !== 0 && !liquidity)) return Code.INVALID_ENUM;
  [
    out.accountSeq,
    out.seq,
    out.ts,
    out.orderId,
    out.clientOrderId,
    out.price,
    out.qty,
    out.filledQty,
    out.remainingQty,
    out.tradeId,
    out.lastPrice,
    out.lastQty,
  ] = vals as [number, number, number, number, number, number, number, number, number, number, number, number];
  out.fee = fee;
  out.code = readU16(b, o + 104);
  out.symbolId = readU16(b, o + 106);
  out.kind = kind;
  out.status = status;
  out.side = side;
  out.orderKind = orderKind;
  out.liquidity = liquidity;
  return Code.OK;
}

export function decodeLoginResponse(b: Buffer, o: number, len: number, out: LoginResponseMsg): Code {
  if (len !== Size.LoginResponse) return Code.MALFORMED_FRAME;
  const acct = readU64(b, o + 16);
  const sid = readU64(b, o + 24);
  if (acct < 0 || sid < 0) return Code.VALUE_OUT_OF_RANGE;
  out.code = readU16(b, o);
  out.version = readU16(b, o + 2);
  out.heartbeatMs = readU32(b, o + 4);
  out.timeoutMs = readU32(b, o + 8);
  out.maxFrame = readU32(b, o + 12);
  out.accountId = acct;
  out.sessionId = sid;
  out.cancelGraceMs = readU32(b, o + 32);
  out.cancelOnDisconnect = (b[o + 36]! & 1) !== 0;
  return Code.OK;
}

export function decodeSymbolDirectory(b: Buffer, o: number, len: number, out: SymbolDirectoryMsg): Code {
  if (len < Size.SymbolDirectoryFixed) return Code.MALFORMED_FRAME;
  const n = readU16(b, o);
  if (n > MAX_DIRECTORY_ENTRIES) return Code.VALUE_OUT_OF_RANGE;
  if (len !== Size.SymbolDirectoryFixed + n * Size.SymbolDirectoryEntry) return Code.MALFORMED_FRAME;
  const entries: SymbolEntry[] = [];
  let q = o + Size.SymbolDirectoryFixed;
  for (let i = 0; i < n; i++) {
    const symbol = readSymbol(b, q + 2);
    const ref = readU64(b, q + 20);
    const maxQ = readU64(b, q + 28);
    if (symbol === '') return Code.INVALID_SYMBOL;
    if (ref < 0 || maxQ < 0) return Code.VALUE_OUT_OF_RANGE;
    entries.push({
      symbolId: readU16(b, q),
      symbol,
      tickSize: readU32(b, q + 12),
      lotSize: readU32(b, q + 16),
      referencePrice: ref,
      maxOrderQty: maxQ,
    });
    q += Size.SymbolDirectoryEntry;
  }
  out.last = (b[o + 2]! & 1) !== 0;
  out.entries = entries;
  return Code.OK;
}

export function decodeReject(b: Buffer, o: number, len: number, out: RejectMsg): Code {
  if (len !== Size.Reject) return Code.MALFORMED_FRAME;
  const c = readU64(b, o);
  if (c < 0) return Code.VALUE_OUT_OF_RANGE;
  out.corrId = c;
  out.code = readU16(b, o + 8);
  out.refType = b[o + 10]!;
  return Code.OK;
}

export function decodeError(b: Buffer, o: number, len: number, out: ErrorMsg): Code {
  if (len !== Size.Error) return Code.MALFORMED_FRAME;
  out.code = readU16(b, o);
  out.refType = b[o + 2]!;
  return Code.OK;
}

/** Result of the generic decoder. */
export type DecodeResult = { ok: true; message: Message } | { ok: false; code: Code };

/**
 * Decodes any message into fresh objects (the client and the tests use it;
 * the server's hot path uses the typed decoders with reused objects).
 */
export function decodeMessage(type: number, b: Buffer, o: number, len: number): DecodeResult {
  let code: Code;
  let message: Message;
  switch (type) {
    case MsgType.OrderSubmit: {
      const msg = newOrderSubmit();
      code = decodeOrderSubmit(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.OrderStatusQuery: {
      const msg = newOrderStatusQuery();
      code = decodeOrderStatusQuery(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.MarketDataSubscribe: {
      const msg = newMarketDataSubscribe();
      code = decodeMarketDataSubscribe(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.Cancel: {
      const msg = newCancel();
      code = decodeCancel(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.Replace: {
      const msg = newReplace();
      code = decodeReplace(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.Login: {
      const msg = newLogin();
      code = decodeLogin(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.Heartbeat:
      code = len === 0 ? Code.OK : Code.MALFORMED_FRAME;
      message = { type, msg: {} };
      break;
    case MsgType.Logout: {
      const msg = { code: 0 };
      code = decodeLogout(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.OrderResponse: {
      const msg = newOrderResponse();
      code = decodeOrderResponse(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.OrderStatus: {
      const msg = newOrderStatus();
      code = decodeOrderStatus(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.MarketDataUpdate: {
      const msg = newMarketDataUpdate();
      code = decodeMarketDataUpdate(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.ExecutionReport: {
      const msg = newExecutionReport();
      code = decodeExecutionReport(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.LoginResponse: {
      const msg = newLoginResponse();
      code = decodeLoginResponse(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.SymbolDirectory: {
      const msg: SymbolDirectoryMsg = { last: false, entries: [] };
      code = decodeSymbolDirectory(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.Reject: {
      const msg = { corrId: 0, code: 0, refType: 0 };
      code = decodeReject(b, o, len, msg);
      message = { type, msg };
      break;
    }
    case MsgType.Error: {
      const msg = { code: 0, refType: 0 };
      code = decodeError(b, o, len, msg);
      message = { type, msg };
      break;
    }
    default:
      return { ok: false, code: Code.UNKNOWN_MESSAGE_TYPE };
  }
  return code === Code.OK ? { ok: true, message } : { ok: false, code };
}

export function newOrderStatus(): OrderStatusMsg {
  return {
    corrId: 0,
    code: 0,
    orderId: 0,
    clientOrderId: 0,
    price: 0,
    stopPrice: 0,
    qty: 0,
    filledQty: 0,
    remainingQty: 0,
    filledNotionalTicks: 0,
    createdTs: 0,
    updatedTs: 0,
    lastSeq: 0,
    orderCode: 0,
    symbolId: 0,
    side: undefined,
    kind: undefined,
    status: undefined,
    postOnly: false,
  };
}

export function newLoginResponse(): LoginResponseMsg {
  return {
    code: 0,
    version: 0,
    heartbeatMs: 0,
    timeoutMs: 0,
    maxFrame: 0,
    accountId: 0,
    sessionId: 0,
    cancelGraceMs: 0,
    cancelOnDisconnect: false,
  };
}

/** Encodes any message (tests, fuzzers); returns a fresh Buffer holding one frame. */
export function encodeMessage(m: Message): Buffer {
  let size: number;
  switch (m.type) {
    case MsgType.Login:
      size = sizeOfLogin(m.msg);
      break;
    case MsgType.MarketDataUpdate:
      size = sizeOfMarketData(m.msg);
      break;
    case MsgType.SymbolDirectory:
      size = sizeOfSymbolDirectory(m.msg);
      break;
    default:
      size = 256;
  }
  const b = Buffer.alloc(size);
  let n: number;
  switch (m.type) {
    case MsgType.OrderSubmit:
      n = encodeOrderSubmit(b, 0, m.msg);
      break;
    case MsgType.OrderStatusQuery:
      n = encodeOrderStatusQuery(b, 0, m.msg);
      break;
    case MsgType.MarketDataSubscribe:
      n = encodeMarketDataSubscribe(b, 0, m.msg);
      break;
    case MsgType.Cancel:
      n = encodeCancel(b, 0, m.msg);
      break;
    case MsgType.Replace:
      n = encodeReplace(b, 0, m.msg);
      break;
    case MsgType.Login:
      n = encodeLogin(b, 0, m.msg);
      break;
    case MsgType.Heartbeat:
      n = encodeHeartbeat(b, 0);
      break;
    case MsgType.Logout:
      n = encodeLogout(b, 0, m.msg);
      break;
    case MsgType.OrderResponse:
      n = encodeOrderResponse(b, 0, m.msg);
      break;
    case MsgType.OrderStatus:
      n = encodeOrderStatus(b, 0, m.msg);
      break;
    case MsgType.MarketDataUpdate:
      n = encodeMarketDataUpdate(b, 0, m.msg);
      break;
    case MsgType.ExecutionReport:
      n = encodeExecutionReport(b, 0, m.msg);
      break;
    case MsgType.LoginResponse:
      n = encodeLoginResponse(b, 0, m.msg);
      break;
    case MsgType.SymbolDirectory:
      n = encodeSymbolDirectory(b, 0, m.msg);
      break;
    case MsgType.Reject:
      n = encodeReject(b, 0, m.msg);
      break;
    case MsgType.Error:
      n = encodeError(b, 0, m.msg);
      break;
  }
  return b.subarray(0, n);
}
