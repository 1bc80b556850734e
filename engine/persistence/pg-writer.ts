/**
 * The write-behind PostgreSQL writer.
 *
 * Input: one `WriterUpdate` per committed (durable) command, in sequence order,
 * carrying the rows that command changed: order states (OrderView), trades,
 * stocks' market state, accounts. push() only stores them in memory (orders,
 * stocks and accounts conflated by key: only the latest state is written), so
 * matching is never blocked. A flush loop writes everything pending in ONE
 * transaction: multi-row upserts of at most `batchRows` rows per statement,
 * plus `writer_position` = the last sequence included. Hence PostgreSQL always
 * holds exactly the state after some committed sequence, and after a crash or
 * an outage the writer resumes from that position.
 *
 * Idempotence: trades are keyed by trade_id (ON CONFLICT DO NOTHING), orders by
 * order_id with an upsert that never replaces a newer state (last_seq guard).
 *
 * When PostgreSQL is down the writer retries with backoff and keeps what it
 * holds; its feeder (engine/persistence/journal-feed.ts) stops reading the
 * journal while `backlogFull` is true, so memory stays bounded and nothing is
 * dropped: the rows are re-derived from the journal position later.
 * Lag = last sequence seen - last sequence committed.
 */
import type { OrderView, TradeEvent } from '../types.ts';
import { BUY, SELL } from '../order.ts';
import { PG_ORDER_TYPE } from './pg-codes.ts';
import { pgp, type Db } from './pg.ts';

export interface StockRow {
  symbol: string;
  name?: string;
  tickSize?: number;
  lotSize?: number;
  referencePrice?: number;
  last: number;
  /** 0 = empty side (stored as NULL). */
  bid: number;
  ask: number;
  volume: number;
  halted: boolean;
  ts: number;
}

export interface AccountRow {
  accountId: number;
  cash: number;
  reservedCash: number;
  openOrders: number;
  positions: { symbol: string; shares: number; reserved: number }[];
}

export interface WriterUpdate {
  seq: number;
  orders?: readonly OrderView[];
  trades?: readonly TradeEvent[];
  stocks?: readonly StockRow[];
  accounts?: readonly AccountRow[];
}

export interface PgWriterOptions {
  db: Db;
  /** Row key in writer_position (one per writer). Default 'engine'. */
  name?: string;
  batchRows?: number;
  flushIntervalMs?: number;
  /** Pending rows above which `backlogFull` turns true (feeders pause). Default 200,000. */
  maxBacklogRows?: number;
  onError?: (err: Error) => void;
  /** Called after each committed transaction with its position (the worker thread publishes it). */
  onCommit?: (seq: number) => void;
}

export interface PgWriterMetrics {
  headSeq: number;
  committedSeq: number;
  lag: number;
  pendingRows: number;
  rowsWritten: number;
  transactions: number;
  failures: number;
}

const orderCols = new pgp.helpers.ColumnSet(
  [
    'order_id', 'account_id', 'client_order_id', 'symbol', 'side', 'type', 'quantity', 'price', 'stop_price', 'post_only',
    'filled_qty', 'remaining_qty', 'filled_notional', 'status', 'code', 'timestamp_ms', 'updated_ms', 'last_seq',
  ],
  { table: 'orders' },
);
const orderUpdate =
  ' ON CONFLICT (order_id) DO UPDATE SET ' +
  orderCols.assignColumns({ from: 'EXCLUDED', skip: ['order_id', 'account_id', 'client_order_id', 'symbol', 'side', 'type', 'timestamp_ms'] }) +
  ' WHERE orders.last_seq <= EXCLUDED.last_seq';

const tradeCols = new pgp.helpers.ColumnSet(
  ['trade_id', 'buy_order_id', 'sell_order_id', 'symbol', 'quantity', 'price', 'buyer_id', 'seller_id', 'aggressor', 'buy_fee', 'sell_fee', 'seq', 'timestamp_ms'],
  { table: 'trades' },
);

const stockCols = new pgp.helpers.ColumnSet(
  ['symbol', 'company_name', 'tick_size', 'lot_size', 'reference_price', 'last_price', 'bid_price', 'ask_price', 'volume', 'halted', 'updated_ms'],
  { table: 'stocks' },
);
const stockUpdate =
  ' ON CONFLICT (symbol) DO UPDATE SET last_price = EXCLUDED.last_price, bid_price = EXCLUDED.bid_price, ask_price = EXCLUDED.ask_price,' +
  ' volume = EXCLUDED.volume, halted = EXCLUDED.halted, updated_ms = EXCLUDED.updated_ms, updated_at = now()' +
  ', company_name = COALESCE(NULLIF(EXCLUDED.company_name, \'\'), stocks.company_name)';

const accountCols = new pgp.helpers.ColumnSet(['account_id', 'cash', 'reserved_cash', 'open_orders', 'last_seq'], { table: 'accounts' });
const accountUpdate = ' ON CONFLICT (account_id) DO UPDATE SET ' + accountCols.assignColumns({ from: 'EXCLUDED', skip: ['account_id'] }) + ', updated_at = now()';
const positionCols = new pgp.helpers.ColumnSet(['account_id', 'symbol', 'shares', 'reserved', 'last_seq'], { table: 'positions' });
const positionUpdate = ' ON CONFLICT (account_id, symbol) DO UPDATE SET shares = EXCLUDED.shares, reserved = EXCLUDED.reserved, last_seq = EXCLUDED.last_seq';

function orderRow(o: OrderView) {
  return {
    order_id: o.orderId,
    account_id: o.accountId,
    client_order_id: o.clientOrderId,
    symbol: o.symbol,
    side: o.side === 'BUY' ? BUY : SELL,
    type: PG_ORDER_TYPE[o.kind],
    quantity: o.qty,
    price: o.price,
    stop_price: o.stopPrice,
    post_only: o.postOnly,
    filled_qty: o.filledQty,
    remaining_qty: o.remainingQty,
    filled_notional: o.filledNotionalTicks,
    status: o.status,
    code: o.code,
    timestamp_ms: o.createdTs,
    updated_ms: o.updatedTs,
    last_seq: o.lastSeq,
  };
}

function tradeRow(t: TradeEvent) {
  return {
    trade_id: t.tradeId,
    buy_order_id: t.buyOrderId,
    sell_order_id: t.sellOrderId,
    symbol: t.symbol,
    quantity: t.qty,
    price: t.price,
    buyer_id: t.buyAccountId,
    seller_id: t.sellAccountId,
    aggressor: t.aggressor === 'BUY' ? BUY : SELL,
    buy_fee: t.buyFee,
    sell_fee: t.sellFee,
    seq: t.seq,
    timestamp_ms: t.ts,
  };
}

function stockRow(s: StockRow) {
  return {
    symbol: s.symbol,
    company_name: s.name ?? '',
    tick_size: s.tickSize ?? 1,
    lot_size: s.lotSize ?? 1,
    reference_price: s.referencePrice ?? 0,
    last_price: s.last,
    bid_price: s.bid > 0 ? s.bid : null,
    ask_price: s.ask > 0 ? s.ask : null,
    volume: s.volume,
    halted: s.halted,
    updated_ms: s.ts,
  };
}

interface Pending {
  orders: Map<number, OrderView>;
  trades: TradeEvent[];
  stocks: Map<string, StockRow>;
  accounts: Map<number, { row: AccountRow; seq: number }>;
}

function emptyPending(): Pending {
  return { orders: new Map(), trades: [], stocks: new Map(), accounts: new Map() };
}

export class PgWriter {
  private readonly db: Db;
  private readonly name: string;
  private readonly batchRows: number;
  private readonly flushIntervalMs: number;
  private readonly maxBacklogRows: number;
  private readonly onError?: (err: Error) => void;
  private readonly onCommit?: (seq: number) => void;

  private pending: Pending = emptyPending();
  private headSeq = 0;
  private committedSeq = 0;
  private flushing = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private retryDelay = 0;
  private retryAt = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private m = { rowsWritten: 0, transactions: 0, failures: 0 };

  private constructor(opts: PgWriterOptions) {
    this.db = opts.db;
    this.name = opts.name ?? 'engine';
    this.batchRows = opts.batchRows ?? 1000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 20;
    this.maxBacklogRows = opts.maxBacklogRows ?? 200_000;
    this.onError = opts.onError;
    this.onCommit = opts.onCommit;
  }

  /**
   * Create a writer positioned at its committed sequence in PostgreSQL (0 when
   * new). Feed it the updates of the commands after `writer.position`.
   */
  static async create(opts: PgWriterOptions): Promise<PgWriter> {
    const w = new PgWriter(opts);
    const row = await w.db.oneOrNone<{ seq: string }>('SELECT seq FROM writer_position WHERE writer = $1', [w.name]);
    w.committedSeq = w.headSeq = row ? Number(row.seq) : 0;
    return w;
  }

  /** Sequence committed in PostgreSQL. */
  get position(): number {
    return this.committedSeq;
  }

  metrics(): PgWriterMetrics {
    return {
      headSeq: this.headSeq,
      committedSeq: this.committedSeq,
      lag: this.headSeq - this.committedSeq,
      pendingRows: this.pendingRowCount(),
      ...this.m,
    };
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.tick(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** One committed command's rows. Never blocks, never throws for PostgreSQL trouble. */
  push(u: WriterUpdate): void {
    if (u.seq <= this.headSeq) return; // already included (replay after restart)
    this.accept(u);
    if (this.pendingRowCount() >= this.batchRows) this.kick();
  }

  /** True while the buffer is above maxBacklogRows: feeders should stop reading. */
  get backlogFull(): boolean {
    return this.pendingRowCount() >= this.maxBacklogRows;
  }

  private kick(): void {
    if (!this.flushing && !this.stopped && Date.now() >= this.retryAt) void this.flushOnce();
  }

  private pendingRowCount(): number {
    const p = this.pending;
    return p.orders.size + p.trades.length + p.stocks.size + p.accounts.size;
  }

  private accept(u: WriterUpdate): void {
    const p = this.pending;
    if (u.orders) for (const o of u.orders) p.orders.set(o.orderId, o);
    if (u.trades) for (const t of u.trades) p.trades.push(t);
    if (u.stocks) for (const s of u.stocks) p.stocks.set(s.symbol, s);
    if (u.accounts) for (const a of u.accounts) p.accounts.set(a.accountId, { row: a, seq: u.seq });
    this.headSeq = u.seq;
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.headSeq > this.committedSeq) this.kick();
  }

  private fail(err: Error): void {
    this.m.failures++;
    this.retryDelay = Math.min(2000, this.retryDelay ? this.retryDelay * 2 : 50);
    this.retryAt = Date.now() + this.retryDelay;
    this.onError?.(err);
  }

  /** Write everything pending in one transaction. */
  private async flushOnce(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    const taken = this.pending;
    const seq = this.headSeq;
    this.pending = emptyPending();
    try {
      const rows = await this.writeTx(taken, seq);
      this.committedSeq = seq;
      this.m.rowsWritten += rows;
      this.m.transactions++;
      this.retryDelay = 0;
      this.retryAt = 0;
      this.wake();
      this.onCommit?.(seq);
    } catch (e) {
      // Put the rows back under anything newer that arrived meanwhile.
      const p = this.pending;
      for (const [k, v] of taken.orders) if (!p.orders.has(k)) p.orders.set(k, v);
      p.trades = taken.trades.concat(p.trades);
      for (const [k, v] of taken.stocks) if (!p.stocks.has(k)) p.stocks.set(k, v);
      for (const [k, v] of taken.accounts) if (!p.accounts.has(k)) p.accounts.set(k, v);
      this.fail(e as Error);
    } finally {
      this.flushing = false;
    }
  }

  private async writeTx(p: Pending, seq: number): Promise<number> {
    const B = this.batchRows;
    let n = 0;
    await this.db.tx('aurex-writer', async (t) => {
      const accounts = [...p.accounts.values()];
      for (let i = 0; i < accounts.length; i += B) {
        const chunk = accounts.slice(i, i + B);
        await t.none(
          pgp.helpers.insert(
            chunk.map(({ row, seq: s }) => ({ account_id: row.accountId, cash: row.cash, reserved_cash: row.reservedCash, open_orders: row.openOrders, last_seq: s })),
            accountCols,
          ) + accountUpdate,
        );
        const pos = chunk.flatMap(({ row, seq: s }) => row.positions.map((q) => ({ account_id: row.accountId, symbol: q.symbol, shares: q.shares, reserved: q.reserved, last_seq: s })));
        for (let j = 0; j < pos.length; j += B) await t.none(pgp.helpers.insert(pos.slice(j, j + B), positionCols) + positionUpdate);
        n += chunk.length + pos.length;
      }
      const orders = [...p.orders.values()];
      for (let i = 0; i < orders.length; i += B) {
        await t.none(pgp.helpers.insert(orders.slice(i, i + B).map(orderRow), orderCols) + orderUpdate);
      }
      n += orders.length;
      for (let i = 0; i < p.trades.length; i += B) {
        await t.none(pgp.helpers.insert(p.trades.slice(i, i + B).map(tradeRow), tradeCols) + ' ON CONFLICT (trade_id) DO NOTHING');
      }
      n += p.trades.length;
      const stocks = [...p.stocks.values()];
      if (stocks.length) await t.none(pgp.helpers.insert(stocks.map(stockRow), stockCols) + stockUpdate);
      n += stocks.length;
      await t.none(
        'INSERT INTO writer_position (writer, seq) VALUES ($1, $2) ON CONFLICT (writer) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now()',
        [this.name, seq],
      );
    });
    return n;
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) (w.seq <= this.committedSeq ? w.resolve() : keep.push(w));
    this.waiters = keep;
  }

  /** Resolves once everything pushed so far (or up to `seq`) is committed. */
  drained(seq = this.headSeq): Promise<void> {
    if (seq <= this.committedSeq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Stop the loop; with `drain`, first write what is pending (best effort, bounded by timeoutMs). */
  async stop(drain = true, timeoutMs = 5000): Promise<void> {
    if (drain && this.headSeq > this.committedSeq) {
      await Promise.race([this.drained(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.flushing) await new Promise((r) => setTimeout(r, 5));
  }
}
