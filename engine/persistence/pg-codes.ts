/**
 * How PostgreSQL rows (sql/1000_trading.sql) encode the engine's enums, used
 * by both the writer (pg-writer.ts) and the history queries (pg-queries.ts),
 * so a row reads back as the value that was written.
 *
 * Sides (orders.side, trades.aggressor) are the engine's side codes
 * (engine/order.ts: 0 = BUY, 1 = SELL) and statuses are stored by name. Order
 * kinds are the exception: orders.type puts MARKET first (0 = MARKET,
 * 1 = LIMIT), where the engine's codes put LIMIT first. Stored rows and the
 * column's CHECK comment carry that numbering, so it stays a separate encoding,
 * written out below over the engine's kind list (test/20-engine-codes pins it).
 */
import type { OrderKind } from '../types.ts';
import { KIND_NAMES } from '../order.ts';

/** orders.type of each kind. A record over OrderKind: a new kind does not compile until it has a number here. */
export const PG_ORDER_TYPE: Readonly<Record<OrderKind, number>> = { MARKET: 0, LIMIT: 1, IOC: 2, FOK: 3, STOP: 4, STOP_LIMIT: 5 };

/** The kind whose orders.type is i (PG_ORDER_TYPE inverted). */
export const PG_ORDER_KINDS: readonly OrderKind[] = invertOrderTypes();

function invertOrderTypes(): OrderKind[] {
  const out: OrderKind[] = [];
  for (const k of KIND_NAMES) out[PG_ORDER_TYPE[k]] = k;
  // Two kinds on one number, or a gap, would make rows read back as another kind.
  let ok = out.length === KIND_NAMES.length;
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) ok = false;
  if (!ok) throw new Error('PG_ORDER_TYPE must number the order kinds 0..n-1, each once');
  return out;
}
