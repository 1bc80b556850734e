/**
 * History served from PostgreSQL (trades of an account, old orders): the
 * engine keeps only recent history in memory; these read the store of record.
 * Rows come back in the engine's own shapes (TradeEvent, OrderView); BIGINT
 * columns arrive as strings from pg and are converted (all are safe integers).
 */
import type { Code } from '../codes.ts';
import type { OrderStatus, OrderView, TradeEvent } from '../types.ts';
import { SIDE_NAMES } from '../order.ts';
import { PG_ORDER_KINDS } from './pg-codes.ts';
import type { Db } from './pg.ts';

type Row = Record<string, string | number | boolean | null>;

function tradeFrom(r: Row): TradeEvent {
  return {
    tradeId: Number(r.trade_id),
    seq: Number(r.seq),
    ts: Number(r.timestamp_ms),
    symbol: String(r.symbol),
    price: Number(r.price),
    qty: Number(r.quantity),
    buyOrderId: Number(r.buy_order_id),
    sellOrderId: Number(r.sell_order_id),
    buyAccountId: Number(r.buyer_id),
    sellAccountId: Number(r.seller_id),
    aggressor: SIDE_NAMES[Number(r.aggressor)]!,
    buyFee: Number(r.buy_fee),
    sellFee: Number(r.sell_fee),
  };
}

function orderFrom(r: Row): OrderView {
  return {
    orderId: Number(r.order_id),
    clientOrderId: String(r.client_order_id),
    accountId: Number(r.account_id),
    symbol: String(r.symbol),
    side: SIDE_NAMES[Number(r.side)]!,
    kind: PG_ORDER_KINDS[Number(r.type)]!,
    price: Number(r.price),
    stopPrice: Number(r.stop_price),
    postOnly: Boolean(r.post_only),
    qty: Number(r.quantity),
    filledQty: Number(r.filled_qty),
    remainingQty: Number(r.remaining_qty),
    filledNotionalTicks: Number(r.filled_notional),
    status: String(r.status) as OrderStatus,
    code: Number(r.code) as Code,
    createdTs: Number(r.timestamp_ms),
    updatedTs: Number(r.updated_ms),
    lastSeq: Number(r.last_seq),
  };
}

export interface TradeHistoryQuery {
  symbol?: string;
  /** Only trades with trade_id > afterTradeId (paging forward). */
  afterTradeId?: number;
  /** Default 100, at most 10,000. */
  limit?: number;
}

/** Trades where the account was buyer or seller, oldest first. */
export async function accountTradeHistory(db: Db, accountId: number, q: TradeHistoryQuery = {}): Promise<TradeEvent[]> {
  const limit = Math.min(10_000, Math.max(1, q.limit ?? 100));
  const rows = await db.any<Row>(
    `SELECT * FROM (
       SELECT * FROM trades WHERE buyer_id = $1 AND trade_id > $2 AND ($3::text IS NULL OR symbol = $3)
       UNION
       SELECT * FROM trades WHERE seller_id = $1 AND trade_id > $2 AND ($3::text IS NULL OR symbol = $3)
     ) t ORDER BY trade_id LIMIT $4`,
    [accountId, q.afterTradeId ?? 0, q.symbol ?? null, limit],
  );
  return rows.map(tradeFrom);
}

export interface OrderHistoryQuery {
  symbol?: string;
  /** Only orders in these states (e.g. ['FILLED','CANCELLED']). */
  statuses?: OrderStatus[];
  /** Only order_id < beforeOrderId (paging backward from the newest). */
  beforeOrderId?: number;
  limit?: number;
}

/** An account's orders, newest first. */
export async function accountOrderHistory(db: Db, accountId: number, q: OrderHistoryQuery = {}): Promise<OrderView[]> {
  const limit = Math.min(10_000, Math.max(1, q.limit ?? 100));
  const rows = await db.any<Row>(
    `SELECT * FROM orders WHERE account_id = $1 AND order_id < $2
       AND ($3::text IS NULL OR symbol = $3) AND ($4::text[] IS NULL OR status = ANY($4::text[]))
     ORDER BY order_id DESC LIMIT $5`,
    [accountId, q.beforeOrderId ?? Number.MAX_SAFE_INTEGER, q.symbol ?? null, q.statuses ?? null, limit],
  );
  return rows.map(orderFrom);
}

export async function orderById(db: Db, orderId: number): Promise<OrderView | undefined> {
  const r = await db.oneOrNone<Row>('SELECT * FROM orders WHERE order_id = $1', [orderId]);
  return r ? orderFrom(r) : undefined;
}
