/**
 * Engine values (engine/types.ts, engine/core-api.ts) to wire messages
 * (gen/aurex/stock/v1/stock.ts) and wire enums to engine strings.
 *
 * Every price leaves as both a double (currency units, exact for anything on
 * the tick grid) and exact ticks; every integer leaves as an exact bigint.
 */
import { codeName } from '../engine/codes.ts';
import type { AccountView, IndexView } from '../engine/core-api.ts';
import type {
  ExecKind,
  ExecReport,
  L1,
  Level,
  MarketDataUpdate as EngineMarketDataUpdate,
  OrderKind,
  OrderStatus as EngineOrderStatus,
  OrderView,
  PublicTrade as EnginePublicTrade,
  Side,
  SymbolConfig,
  TradeEvent,
} from '../engine/types.ts';
import {
  ExecType,
  Liquidity,
  OrderSide,
  OrderStatus,
  OrderType,
  type AccountTrade,
  type ExecutionReport,
  type Fill,
  type GetAccountResponse,
  type MarketDataUpdate,
  type MarketIndexUpdate,
  type OrderInfo,
  type PriceLevel,
  type PublicTrade,
  type StockQuote,
  type SymbolInfo,
} from '../gen/aurex/stock/v1/stock.ts';
import { avgPrice, ticksToPrice } from './price.ts';

const B = BigInt;

// ------------------------------------------------------------------ enums
export function sideToWire(s: Side): OrderSide {
  return s === 'BUY' ? OrderSide.BUY : OrderSide.SELL;
}

/** Wire side to engine side, or undefined for UNSPECIFIED / unknown numbers. */
export function sideFromWire(s: OrderSide): Side | undefined {
  return s === OrderSide.BUY ? 'BUY' : s === OrderSide.SELL ? 'SELL' : undefined;
}

const KIND_TO_WIRE: Record<OrderKind, OrderType> = {
  MARKET: OrderType.MARKET,
  LIMIT: OrderType.LIMIT,
  IOC: OrderType.IOC,
  FOK: OrderType.FOK,
  STOP: OrderType.STOP,
  STOP_LIMIT: OrderType.STOP_LIMIT,
};
const WIRE_TO_KIND: (OrderKind | undefined)[] = [undefined, 'MARKET', 'LIMIT', 'IOC', 'FOK', 'STOP', 'STOP_LIMIT'];

export function kindToWire(k: OrderKind): OrderType {
  return KIND_TO_WIRE[k];
}

export function kindFromWire(t: OrderType): OrderKind | undefined {
  return WIRE_TO_KIND[t as number];
}

const STATUS_TO_WIRE: Record<EngineOrderStatus, OrderStatus> = {
  NEW: OrderStatus.NEW,
  OPEN: OrderStatus.OPEN,
  PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
  FILLED: OrderStatus.FILLED,
  CANCELLED: OrderStatus.CANCELLED,
  REJECTED: OrderStatus.REJECTED,
  EXPIRED: OrderStatus.EXPIRED,
};

export function statusToWire(s: EngineOrderStatus): OrderStatus {
  return STATUS_TO_WIRE[s] ?? OrderStatus.UNSPECIFIED;
}

const EXEC_TO_WIRE: Record<ExecKind, ExecType> = {
  ACCEPTED: ExecType.ACCEPTED,
  REJECTED: ExecType.REJECTED,
  FILL: ExecType.FILL,
  CANCELLED: ExecType.CANCELLED,
  REPLACED: ExecType.REPLACED,
  TRIGGERED: ExecType.TRIGGERED,
  EXPIRED: ExecType.EXPIRED,
};

export function execTypeToWire(k: ExecKind): ExecType {
  return EXEC_TO_WIRE[k] ?? ExecType.UNSPECIFIED;
}

// ------------------------------------------------------------------ orders
export function orderInfo(o: OrderView, tick: number): OrderInfo {
  return {
    clientOrderId: o.clientOrderId,
    exchangeOrderId: B(o.orderId),
    symbol: o.symbol,
    side: sideToWire(o.side),
    type: kindToWire(o.kind),
    price: ticksToPrice(o.price, tick),
    priceTicks: B(o.price),
    stopPrice: ticksToPrice(o.stopPrice, tick),
    stopPriceTicks: B(o.stopPrice),
    postOnly: o.postOnly,
    quantity: B(o.qty),
    filledQuantity: B(o.filledQty),
    remainingQuantity: B(o.remainingQty),
    filledNotionalTicks: B(o.filledNotionalTicks),
    avgFillPrice: avgPrice(o.filledNotionalTicks, o.filledQty, tick),
    status: statusToWire(o.status),
    code: o.code,
    reason: codeName(o.code),
    createdMs: B(o.createdTs),
    updatedMs: B(o.updatedTs),
    lastSeq: B(o.lastSeq),
  };
}

/** Fills of one account's order from the trades a command produced. */
export function fillsOf(trades: TradeEvent[] | undefined, orderId: number, tick: number): Fill[] {
  if (trades === undefined || trades.length === 0) return [];
  const out: Fill[] = [];
  for (const t of trades) {
    const isBuy = t.buyOrderId === orderId;
    if (!isBuy && t.sellOrderId !== orderId) continue;
    const taker = (t.aggressor === 'BUY') === isBuy;
    out.push({
      tradeId: B(t.tradeId),
      price: ticksToPrice(t.price, tick),
      priceTicks: B(t.price),
      quantity: B(t.qty),
      liquidity: taker ? Liquidity.TAKER : Liquidity.MAKER,
      feeMinor: B(isBuy ? t.buyFee : t.sellFee),
    });
  }
  return out;
}

export function accountTrade(t: TradeEvent, accountId: number, tick: number): AccountTrade {
  const isBuy = t.buyAccountId === accountId;
  const taker = (t.aggressor === 'BUY') === isBuy;
  return {
    tradeId: B(t.tradeId),
    symbol: t.symbol,
    side: isBuy ? OrderSide.BUY : OrderSide.SELL,
    price: ticksToPrice(t.price, tick),
    priceTicks: B(t.price),
    quantity: B(t.qty),
    exchangeOrderId: B(isBuy ? t.buyOrderId : t.sellOrderId),
    liquidity: taker ? Liquidity.TAKER : Liquidity.MAKER,
    feeMinor: B(isBuy ? t.buyFee : t.sellFee),
    timestampMs: B(t.ts),
    seq: B(t.seq),
  };
}

export function executionReport(r: ExecReport, tick: number): ExecutionReport {
  const fill = r.kind === 'FILL';
  return {
    accountSeq: B(r.accountSeq),
    seq: B(r.seq),
    timestampMs: B(r.ts),
    execType: execTypeToWire(r.kind),
    exchangeOrderId: B(r.orderId),
    clientOrderId: r.clientOrderId,
    symbol: r.symbol,
    side: sideToWire(r.side),
    type: kindToWire(r.orderKind),
    price: ticksToPrice(r.price, tick),
    priceTicks: B(r.price),
    quantity: B(r.qty),
    filledQuantity: B(r.filledQty),
    remainingQuantity: B(r.remainingQty),
    status: statusToWire(r.status),
    code: r.code,
    reason: codeName(r.code),
    tradeId: B(fill ? (r.tradeId ?? 0) : 0),
    lastPrice: fill ? ticksToPrice(r.lastPrice ?? 0, tick) : 0,
    lastPriceTicks: B(fill ? (r.lastPrice ?? 0) : 0),
    lastQuantity: B(fill ? (r.lastQty ?? 0) : 0),
    liquidity: r.liquidity === 'MAKER' ? Liquidity.MAKER : r.liquidity === 'TAKER' ? Liquidity.TAKER : Liquidity.UNSPECIFIED,
    feeMinor: B(fill ? (r.fee ?? 0) : 0),
  };
}

// ------------------------------------------------------------------ market data
export function priceLevels(levels: Level[], tick: number, max = levels.length): PriceLevel[] {
  const n = Math.min(max, levels.length);
  const out: PriceLevel[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const l = levels[i]!;
    out[i] = { price: ticksToPrice(l.price, tick), quantity: B(l.qty), priceTicks: B(l.price), orders: l.orders };
  }
  return out;
}

export function publicTrade(t: EnginePublicTrade, tick: number): PublicTrade {
  return {
    tradeId: B(t.tradeId),
    symbol: t.symbol,
    price: ticksToPrice(t.price, tick),
    priceTicks: B(t.price),
    quantity: B(t.qty),
    aggressor: sideToWire(t.aggressor),
    timestampMs: B(t.ts),
    mdSeq: B(t.mdSeq),
  };
}

export function marketDataUpdate(u: EngineMarketDataUpdate, tick: number, depth: number): MarketDataUpdate {
  const l1 = u.l1;
  return {
    symbol: u.symbol,
    lastPrice: ticksToPrice(l1.last, tick),
    bidPrice: ticksToPrice(l1.bid, tick),
    askPrice: ticksToPrice(l1.ask, tick),
    volume: B(l1.volume),
    timestampMs: B(l1.ts),
    bids: priceLevels(u.bids, tick, depth),
    asks: priceLevels(u.asks, tick, depth),
    mdSeq: B(u.mdSeq),
    prevMdSeq: B(u.prevMdSeq),
    snapshot: u.snapshot,
    lastPriceTicks: B(l1.last),
    bidPriceTicks: B(l1.bid),
    askPriceTicks: B(l1.ask),
    bidQuantity: B(l1.bidQty),
    askQuantity: B(l1.askQty),
    lastQuantity: B(l1.lastQty),
    openTicks: B(l1.open),
    highTicks: B(l1.high),
    lowTicks: B(l1.low),
    referenceTicks: B(l1.reference),
    turnoverTicks: B(l1.turnoverTicks),
    halted: l1.halted,
    trades: u.trades.map((t) => publicTrade(t, tick)),
  };
}

export function changePercent(last: number, reference: number): number {
  if (last <= 0 || reference <= 0) return 0;
  return ((last - reference) * 100) / reference;
}

export function stockQuote(cfg: SymbolConfig, l1: L1): StockQuote {
  const tick = cfg.tickSize;
  return {
    symbol: cfg.symbol,
    name: cfg.name,
    lastPrice: ticksToPrice(l1.last, tick),
    bidPrice: ticksToPrice(l1.bid, tick),
    askPrice: ticksToPrice(l1.ask, tick),
    volume: B(l1.volume),
    changePercent: changePercent(l1.last, l1.reference),
    lastPriceTicks: B(l1.last),
    bidPriceTicks: B(l1.bid),
    askPriceTicks: B(l1.ask),
    mdSeq: B(l1.mdSeq),
    halted: l1.halted,
  };
}

export function marketIndexUpdate(v: IndexView, tickOf: (symbol: string) => number): MarketIndexUpdate {
  return {
    indexName: v.name,
    indexValue: v.value,
    changePercent: v.changePercent,
    constituents: v.constituents.map((c) => ({
      symbol: c.symbol,
      lastPrice: ticksToPrice(c.last, tickOf(c.symbol)),
      weight: c.weight,
      contribution: c.contribution,
      changePercent: c.changePercent,
      lastPriceTicks: B(c.last),
    })),
    timestampMs: B(v.ts),
    openValue: v.open,
    highValue: v.high,
    lowValue: v.low,
    changePoints: v.changePoints,
    seq: B(v.seq),
  };
}

export function symbolInfo(cfg: SymbolConfig, halted: boolean): SymbolInfo {
  return {
    symbol: cfg.symbol,
    name: cfg.name,
    tickSizeMinor: B(cfg.tickSize),
    lotSize: B(cfg.lotSize),
    referencePriceTicks: B(cfg.referencePrice),
    bandPercent: cfg.bandPercent,
    maxOrderQuantity: B(cfg.maxOrderQty),
    maxOrderNotionalMinor: B(cfg.maxOrderNotional),
    halted,
  };
}

export function accountResponse(a: AccountView): GetAccountResponse {
  return {
    accountId: B(a.accountId),
    cashMinor: B(a.cash),
    reservedCashMinor: B(a.reservedCash),
    availableCashMinor: B(a.availableCash),
    positions: a.positions.map((p) => ({ symbol: p.symbol, shares: B(p.shares), reserved: B(p.reserved), available: B(p.available) })),
    openOrders: a.openOrders,
  };
}
