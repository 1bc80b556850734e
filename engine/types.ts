/**
 * The engine's public vocabulary: commands in, results and events out.
 *
 * Gateways (gRPC, TCP) validate wire input, turn it into a Command and hand it
 * to the exchange. Every state change goes through `Exchange.apply(cmd)`; the
 * orchestrator stamps `seq` (global, gap-free) and `ts` (ms since epoch) before
 * apply, so a journal of stamped commands replays to the same state.
 *
 * Units: prices in integer ticks of the symbol, quantities in integer lots (the
 * symbol's lot size is the smallest tradable unit; qty 1 = one lot... see
 * SymbolConfig), cash in integer minor units (cents). Never floats.
 */
import type { Code } from './codes.ts';

export type Side = 'BUY' | 'SELL';
export type OrderKind = 'LIMIT' | 'MARKET' | 'IOC' | 'FOK' | 'STOP' | 'STOP_LIMIT';
export type OrderStatus =
  | 'NEW' // accepted, not yet on the book (stops before trigger)
  | 'OPEN' // resting, nothing filled
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'CANCELLED'
  | 'REJECTED'
  | 'EXPIRED';
export type Role = 'trader' | 'admin' | 'readonly';

/** The authenticated caller, produced by the auth manager; the account always comes from here. */
export interface Principal {
  userId: string;
  accountId: number;
  role: Role;
}

// ------------------------------------------------------------------ commands
interface Stamped {
  /** Global command sequence, stamped by the orchestrator (0 before stamping). */
  seq?: number;
  /** Timestamp in ms since epoch, stamped by the orchestrator. */
  ts?: number;
}

export interface NewOrderCmd extends Stamped {
  type: 'new';
  accountId: number;
  /** Client's id for this order, unique per account (ASCII, 1..64 chars). */
  clientOrderId: string;
  symbol: string;
  side: Side;
  kind: OrderKind;
  /** Limit price in ticks (LIMIT, IOC, FOK, STOP_LIMIT). For MARKET: optional collar (0 = band limit). */
  price: number;
  /** Quantity in shares; must be a positive multiple of the symbol's lot size. */
  qty: number;
  /** Trigger price in ticks for STOP / STOP_LIMIT (0 otherwise). */
  stopPrice?: number;
  postOnly?: boolean;
}

export interface CancelCmd extends Stamped {
  type: 'cancel';
  accountId: number;
  /** Either the engine's order id or the client's order id. */
  orderId?: number;
  clientOrderId?: string;
}

export interface ReplaceCmd extends Stamped {
  type: 'replace';
  accountId: number;
  orderId?: number;
  clientOrderId?: string;
  /** New limit price in ticks (same price = keep it). */
  price: number;
  /** New remaining quantity in shares. */
  qty: number;
}

/** Cancel every open order of an account (cancel-on-disconnect, admin). */
export interface MassCancelCmd extends Stamped {
  type: 'massCancel';
  accountId: number;
  symbol?: string;
  reason: Code;
}

export interface CreateAccountCmd extends Stamped {
  type: 'createAccount';
  accountId: number;
  /** Initial cash in minor units. */
  cash: number;
  /** Initial positions, shares per symbol. */
  positions?: Record<string, number>;
}

export interface DepositCmd extends Stamped {
  type: 'deposit';
  accountId: number;
  /** Minor units; negative withdraws (refused if it would overdraw available cash). */
  amount: number;
}

export interface AdjustPositionCmd extends Stamped {
  type: 'adjustPosition';
  accountId: number;
  symbol: string;
  /** Shares; negative removes (refused if it would overdraw available shares). */
  delta: number;
}

export interface HaltCmd extends Stamped {
  type: 'halt' | 'resume';
  symbol: string;
}

export interface AddSymbolCmd extends Stamped {
  type: 'addSymbol';
  config: SymbolConfig;
}

export type Command =
  | NewOrderCmd
  | CancelCmd
  | ReplaceCmd
  | MassCancelCmd
  | CreateAccountCmd
  | DepositCmd
  | AdjustPositionCmd
  | HaltCmd
  | AddSymbolCmd;

// ------------------------------------------------------------------ symbols
export interface SymbolConfig {
  symbol: string;
  name: string;
  /** Tick size in minor units (cents): price_in_cents = ticks * tickSize. */
  tickSize: number;
  /** Lot size in shares: quantities are multiples of it. */
  lotSize: number;
  /** Reference (previous close) price in ticks. */
  referencePrice: number;
  /** Price band, percent either side of the last (or reference) price. */
  bandPercent: number;
  /** Max quantity per order in shares. */
  maxOrderQty: number;
  /** Max notional per order in minor units. */
  maxOrderNotional: number;
  makerFeeBps?: number;
  takerFeeBps?: number;
  /** Index memberships: index name -> weight. */
  indices?: Record<string, number>;
}

// ------------------------------------------------------------------ results
export interface OrderView {
  orderId: number;
  clientOrderId: string;
  accountId: number;
  symbol: string;
  side: Side;
  kind: OrderKind;
  price: number;
  stopPrice: number;
  postOnly: boolean;
  qty: number;
  filledQty: number;
  remainingQty: number;
  /** Sum of price_ticks * qty over fills (exact); avg fill price = filledNotionalTicks / filledQty. */
  filledNotionalTicks: number;
  status: OrderStatus;
  /** Reject code or cancel reason (Code.OK while live or filled). */
  code: Code;
  createdTs: number;
  updatedTs: number;
  /** Command sequence that last changed the order. */
  lastSeq: number;
}

export interface CommandResult {
  /** Code.OK when the command took effect; the reject code otherwise. */
  code: Code;
  seq: number;
  ts: number;
  /** Orders: the order's state after the command (also for rejects: status REJECTED). */
  order?: OrderView;
  /** True when a new order resubmitted an existing clientOrderId: `order` is the existing one. */
  duplicate?: boolean;
  /** Trades this command produced. */
  trades?: TradeEvent[];
  /** massCancel: how many orders were cancelled. */
  cancelled?: number;
}

// ------------------------------------------------------------------ events
export interface TradeEvent {
  tradeId: number;
  seq: number;
  ts: number;
  symbol: string;
  price: number;
  qty: number;
  buyOrderId: number;
  sellOrderId: number;
  buyAccountId: number;
  sellAccountId: number;
  /** Which side was the taker (aggressor). */
  aggressor: Side;
  buyFee: number;
  sellFee: number;
}

export type ExecKind = 'ACCEPTED' | 'REJECTED' | 'FILL' | 'CANCELLED' | 'REPLACED' | 'TRIGGERED' | 'EXPIRED';

/** A private execution report for one account, in that account's sequence. */
export interface ExecReport {
  /** Per-account sequence (1, 2, 3 ...) for resuming after reconnect. */
  accountSeq: number;
  accountId: number;
  /** Global command sequence that produced it. */
  seq: number;
  ts: number;
  kind: ExecKind;
  orderId: number;
  clientOrderId: string;
  symbol: string;
  side: Side;
  orderKind: OrderKind;
  price: number;
  qty: number;
  filledQty: number;
  remainingQty: number;
  status: OrderStatus;
  code: Code;
  /** FILL only. */
  tradeId?: number;
  lastPrice?: number;
  lastQty?: number;
  liquidity?: 'MAKER' | 'TAKER';
  fee?: number;
}

/** A price level: price in ticks, aggregate quantity, number of orders. */
export interface Level {
  price: number;
  qty: number;
  orders: number;
}

/** Level-1 state of a symbol. Prices in ticks (0 = none). */
export interface L1 {
  symbol: string;
  /** Market-data sequence of the symbol (per symbol, gap-free). */
  mdSeq: number;
  ts: number;
  last: number;
  lastQty: number;
  bid: number;
  bidQty: number;
  ask: number;
  askQty: number;
  volume: number;
  /** Sum of price_ticks * qty over trades. */
  turnoverTicks: number;
  open: number;
  high: number;
  low: number;
  /** Reference / previous close in ticks. */
  reference: number;
  halted: boolean;
}

export interface MarketDataUpdate {
  symbol: string;
  mdSeq: number;
  /** The sequence of the previous update delivered for this symbol on this subscription. */
  prevMdSeq: number;
  /** True for the first message of a subscription, and after conflation. */
  snapshot: boolean;
  l1: L1;
  bids: Level[];
  asks: Level[];
  /** Trades since the previous update (public: no account ids). */
  trades: PublicTrade[];
}

export interface PublicTrade {
  tradeId: number;
  symbol: string;
  price: number;
  qty: number;
  aggressor: Side;
  ts: number;
  mdSeq: number;
}
