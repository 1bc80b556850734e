/**
 * The Aurex binary TCP protocol: message type codes, fixed payload sizes, field
 * offsets, wire enums and limits. docs/tcp-protocol.md is the prose version of
 * this file; keep the two in step.
 *
 * Frame: Length (u32 LE) | Type (u8) | Payload. Length counts Type + Payload,
 * so a frame occupies 4 + Length bytes and an empty payload has Length = 1.
 * All integers little-endian. 64-bit fields are carried as u64/i64 on the wire
 * but must hold safe integers (|x| <= 2^53 - 1); larger values are rejected.
 */
import type { ExecKind, OrderKind, OrderStatus, Side } from '../engine/types.ts';

export const PROTOCOL_VERSION = 1;

/** Bytes of the Length field. */
export const LENGTH_SIZE = 4;
/** Length + Type. */
export const HEADER_SIZE = 5;
/** Largest whole frame (Length field included): 64 KiB. */
export const MAX_FRAME_SIZE = 65536;
/** Largest legal value of the Length field. */
export const MAX_LENGTH = MAX_FRAME_SIZE - LENGTH_SIZE;
/** Smallest legal value of the Length field (a Type byte and no payload). */
export const MIN_LENGTH = 1;

export const MsgType = {
  // client -> server
  OrderSubmit: 0x01,
  OrderStatusQuery: 0x02,
  MarketDataSubscribe: 0x03,
  Cancel: 0x04,
  Replace: 0x05,
  Login: 0x06,
  // both directions
  Heartbeat: 0x07,
  Logout: 0x08,
  // server -> client
  OrderResponse: 0x10,
  OrderStatus: 0x11,
  MarketDataUpdate: 0x12,
  ExecutionReport: 0x13,
  LoginResponse: 0x14,
  SymbolDirectory: 0x15,
  Reject: 0x1e,
  Error: 0x1f,
} as const;
export type MsgTypeValue = (typeof MsgType)[keyof typeof MsgType];

const MSG_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(MsgType)) MSG_NAMES[v] = k;
export function msgTypeName(t: number): string {
  return MSG_NAMES[t] ?? `0x${t.toString(16).padStart(2, '0')}`;
}

// ------------------------------------------------------------ payload sizes
/** Exact payload sizes (bytes after the Type byte) of the fixed-size messages. */
export const Size = {
  OrderSubmit: 40,
  OrderStatusQuery: 24,
  MarketDataSubscribe: 12,
  Cancel: 24,
  Replace: 40,
  /** Fixed part; the token follows. */
  LoginFixed: 24,
  Heartbeat: 0,
  Logout: 2,
  OrderResponse: 72,
  OrderStatus: 108,
  /** Fixed part; levels then trades follow. */
  MarketDataFixed: 128,
  MarketDataLevel: 20,
  MarketDataTrade: 48,
  ExecutionReport: 116,
  LoginResponse: 40,
  /** Fixed part; entries follow. */
  SymbolDirectoryFixed: 4,
  SymbolDirectoryEntry: 36,
  Reject: 12,
  Error: 4,
} as const;

/** Longest trading token accepted in Login. */
export const MAX_TOKEN_BYTES = 4096;
/** Fixed width of a symbol name in the directory (ASCII, NUL-padded on the right). */
export const SYMBOL_BYTES = 8;
/** Directory entries per SymbolDirectory frame. */
export const MAX_DIRECTORY_ENTRIES = 1024;
/** Most book levels per side a subscription may ask for. */
export const MAX_DEPTH = 20;
/** Most trades one MarketDataUpdate carries (flag TRADES_TRUNCATED when more happened). */
export const MAX_MD_TRADES = 1024;

// ------------------------------------------------------------ flags
export const SubmitFlag = { POST_ONLY: 0x01 } as const;
export const LoginFlag = { CANCEL_ON_DISCONNECT: 0x01, RESUME: 0x02 } as const;
export const LoginResponseFlag = { CANCEL_ON_DISCONNECT: 0x01 } as const;
export const ResponseFlag = { DUPLICATE: 0x01 } as const;
export const StatusFlag = { POST_ONLY: 0x01 } as const;
export const MdFlag = { SNAPSHOT: 0x01, HALTED: 0x02, TRADES_TRUNCATED: 0x04 } as const;
export const DirectoryFlag = { LAST: 0x01 } as const;
export const SubscribeAction = { UNSUBSCRIBE: 0, SUBSCRIBE: 1 } as const;

// ------------------------------------------------------------ wire enums
// 0 is never a valid value so that a zeroed field is always caught.
export const WireSide = { BUY: 1, SELL: 2 } as const;
export const WireOrderKind = { LIMIT: 1, MARKET: 2, IOC: 3, FOK: 4, STOP: 5, STOP_LIMIT: 6 } as const;
export const WireStatus = {
  NEW: 1,
  OPEN: 2,
  PARTIALLY_FILLED: 3,
  FILLED: 4,
  CANCELLED: 5,
  REJECTED: 6,
  EXPIRED: 7,
} as const;
export const WireExecKind = {
  ACCEPTED: 1,
  REJECTED: 2,
  FILL: 3,
  CANCELLED: 4,
  REPLACED: 5,
  TRIGGERED: 6,
  EXPIRED: 7,
} as const;
export const WireLiquidity = { NONE: 0, MAKER: 1, TAKER: 2 } as const;

// The per-message encoders map engine enum strings through these switches, not by
// indexing the tables above: a keyed load with several different string keys at
// one site is megamorphic and goes through a generic lookup stub per field (~1% of
// the TCP bench's server). Each case names its table entry, so the two cannot drift;
// anything else is 0, which no decoder accepts (as the table lookup's undefined was).
export function wireSide(s: Side): number {
  return s === 'BUY' ? WireSide.BUY : s === 'SELL' ? WireSide.SELL : 0;
}

export function wireOrderKind(k: OrderKind): number {
  switch (k) {
    case 'LIMIT': return WireOrderKind.LIMIT;
    case 'MARKET': return WireOrderKind.MARKET;
    case 'IOC': return WireOrderKind.IOC;
    case 'FOK': return WireOrderKind.FOK;
    case 'STOP': return WireOrderKind.STOP;
    case 'STOP_LIMIT': return WireOrderKind.STOP_LIMIT;
    default: return 0;
  }
}

export function wireStatus(st: OrderStatus): number {
  switch (st) {
    case 'NEW': return WireStatus.NEW;
    case 'OPEN': return WireStatus.OPEN;
    case 'PARTIALLY_FILLED': return WireStatus.PARTIALLY_FILLED;
    case 'FILLED': return WireStatus.FILLED;
    case 'CANCELLED': return WireStatus.CANCELLED;
    case 'REJECTED': return WireStatus.REJECTED;
    case 'EXPIRED': return WireStatus.EXPIRED;
    default: return 0;
  }
}

export function wireExecKind(k: ExecKind): number {
  switch (k) {
    case 'ACCEPTED': return WireExecKind.ACCEPTED;
    case 'REJECTED': return WireExecKind.REJECTED;
    case 'FILL': return WireExecKind.FILL;
    case 'CANCELLED': return WireExecKind.CANCELLED;
    case 'REPLACED': return WireExecKind.REPLACED;
    case 'TRIGGERED': return WireExecKind.TRIGGERED;
    case 'EXPIRED': return WireExecKind.EXPIRED;
    default: return 0;
  }
}

/** 0 (none) for an order report without a trade. */
export function wireLiquidity(l: 'MAKER' | 'TAKER' | undefined): number {
  return l === 'MAKER' ? WireLiquidity.MAKER : l === 'TAKER' ? WireLiquidity.TAKER : WireLiquidity.NONE;
}

/** Index = wire value; undefined = invalid. */
export const SIDE_FROM_WIRE: readonly (Side | undefined)[] = [undefined, 'BUY', 'SELL'];
export const KIND_FROM_WIRE: readonly (OrderKind | undefined)[] = [
  undefined,
  'LIMIT',
  'MARKET',
  'IOC',
  'FOK',
  'STOP',
  'STOP_LIMIT',
];
export const STATUS_FROM_WIRE: readonly (OrderStatus | undefined)[] = [
  undefined,
  'NEW',
  'OPEN',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCELLED',
  'REJECTED',
  'EXPIRED',
];
export const EXEC_KIND_FROM_WIRE: readonly (ExecKind | undefined)[] = [
  undefined,
  'ACCEPTED',
  'REJECTED',
  'FILL',
  'CANCELLED',
  'REPLACED',
  'TRIGGERED',
  'EXPIRED',
];
export const LIQUIDITY_FROM_WIRE: readonly ('MAKER' | 'TAKER' | undefined)[] = [undefined, 'MAKER', 'TAKER'];
