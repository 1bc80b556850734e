/**
 * The engine's record of one order. One small object with a fixed shape per
 * order (no per-order closures or arrays); views handed out to callers are
 * copies, because the record keeps changing after the command that returned it.
 */
import type { Code } from './codes.ts';
import type { OrderKind, OrderStatus, OrderView, Side } from './types.ts';
import type { Account } from './accounts.ts';
import type { SymbolEngine } from './symbol-engine.ts';

export const BUY = 0;
export const SELL = 1;

export class Order {
  constructor(
    readonly id: number,
    readonly clientOrderId: string,
    readonly account: Account,
    readonly sym: SymbolEngine,
    /** 0 = BUY, 1 = SELL (the book's Side values). */
    readonly side: number,
    readonly kind: OrderKind,
    /** The book's OP_TYPE (OrderType | flags) used when the order enters the book. */
    readonly bookType: number,
    /** Limit price in ticks; for MARKET/STOP the collar in use. */
    public price: number,
    readonly stopPrice: number,
    readonly postOnly: boolean,
    public qty: number,
    /** Price that reservations are computed at (limit price or collar). */
    public resPrice: number,
    /** Cash (buys) or shares (sells) this order currently holds reserved. */
    public reserved: number,
    readonly createdTs: number,
    seq: number,
  ) {
    this.remainingQty = qty;
    this.updatedTs = createdTs;
    this.lastSeq = seq;
  }
  filledQty = 0;
  remainingQty: number;
  filledNotionalTicks = 0;
  status: OrderStatus = 'NEW';
  code: Code = 0;
  updatedTs: number;
  lastSeq: number;
  /** True while the order can still trade (on the book, in flight, or an untriggered stop). */
  live = true;
  /** Untriggered stop held outside the book. */
  pendingStop = false;
  /** Next (older) known order of another account with the same client order id (ClientIdIndex chain). */
  cidNext: Order | undefined = undefined;
  /** The account's live-order list (intrusive, ascending id). */
  aPrev: Order | undefined = undefined;
  aNext: Order | undefined = undefined;

  sideName(): Side {
    return this.side === BUY ? 'BUY' : 'SELL';
  }

  view(): OrderView {
    return {
      orderId: this.id,
      clientOrderId: this.clientOrderId,
      accountId: this.account.id,
      symbol: this.sym.symbol,
      side: this.side === BUY ? 'BUY' : 'SELL',
      kind: this.kind,
      price: this.price,
      stopPrice: this.stopPrice,
      postOnly: this.postOnly,
      qty: this.qty,
      filledQty: this.filledQty,
      remainingQty: this.remainingQty,
      filledNotionalTicks: this.filledNotionalTicks,
      status: this.status,
      code: this.code,
      createdTs: this.createdTs,
      updatedTs: this.updatedTs,
      lastSeq: this.lastSeq,
    };
  }
}
