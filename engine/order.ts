/**
 * The engine's order records, stored as columns (struct of arrays) indexed by
 * a slot, with a free list. No object per order: retained order records used
 * to be the largest survivor set of the young generation (every order was
 * copied to the old space and walked by every collection), which made the
 * collector the biggest single cost of the order path. An OrderView object is
 * built only when a result, report or query needs one. See docs/engine.md.
 *
 * Slots are reused after an order is forgotten (evicted from the terminal
 * retention), so a slot is only meaningful while its order is known; order ids
 * stay the stable handle (OrderTable maps id -> slot).
 */
import type { Code } from './codes.ts';
import type { ExecKind, OrderKind, OrderStatus, OrderView, Side } from './types.ts';
import type { Account } from './accounts.ts';
import type { SymbolEngine } from './symbol-engine.ts';

/*
 * The engine's enum codes. Each table lives here only: the order columns, the
 * execution-report history, the journal (journal/command-codec.ts) and the
 * snapshot (journal/snapshot-codec.ts) all use these numbers, so they are an
 * on-disk encoding too: never renumber or reorder them (test/20-engine-codes
 * pins every table). PostgreSQL rows number order kinds differently; that
 * mapping lives in persistence/pg-codes.ts.
 *
 * The name -> code functions are switches: they run for every order and
 * report, and a switch costs no search.
 */

/** Side codes (column `side`). */
export const BUY = 0;
export const SELL = 1;
export const SIDE_NAMES: readonly Side[] = ['BUY', 'SELL'];

/** Status codes (column `status`). */
export const ST_NEW = 0;
export const ST_OPEN = 1;
export const ST_PARTIAL = 2;
export const ST_FILLED = 3;
export const ST_CANCELLED = 4;
export const ST_REJECTED = 5;
export const ST_EXPIRED = 6;
export const STATUS_NAMES: readonly OrderStatus[] = ['NEW', 'OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED'];

/** Kind codes (column `kind`). */
export const K_LIMIT = 0;
export const K_MARKET = 1;
export const K_IOC = 2;
export const K_FOK = 3;
export const K_STOP = 4;
export const K_STOP_LIMIT = 5;
export const KIND_NAMES: readonly OrderKind[] = ['LIMIT', 'MARKET', 'IOC', 'FOK', 'STOP', 'STOP_LIMIT'];

/** Execution-report kind codes (execution-report history rows). */
export const EXEC_KIND_NAMES: readonly ExecKind[] = ['ACCEPTED', 'REJECTED', 'FILL', 'CANCELLED', 'REPLACED', 'TRIGGERED', 'EXPIRED'];
/** Execution-report kinds as codes (their index in EXEC_KIND_NAMES). */
export const X_ACCEPTED = 0;
export const X_REJECTED = 1;
export const X_FILL = 2;
export const X_CANCELLED = 3;
export const X_REPLACED = 4;
export const X_TRIGGERED = 5;
export const X_EXPIRED = 6;

/** A kind's code; callers pass a valid kind (anything else reads as STOP_LIMIT). */
export function kindCode(k: OrderKind): number {
  switch (k) {
    case 'LIMIT':
      return K_LIMIT;
    case 'MARKET':
      return K_MARKET;
    case 'IOC':
      return K_IOC;
    case 'FOK':
      return K_FOK;
    case 'STOP':
      return K_STOP;
    default:
      return K_STOP_LIMIT;
  }
}

/** Flag bits (column `flags`). */
export const F_LIVE = 1;
export const F_PENDING_STOP = 2;
export const F_POST_ONLY = 4;

/** No slot (list ends, absent). */
export const NIL = -1;

export class OrderStore {
  private cap = 0;
  /** Slots handed out so far (never-used slots start here). */
  private top = 0;
  private freeList = new Int32Array(0);
  private nFree = 0;

  id = new Float64Array(0);
  price = new Float64Array(0);
  stopPrice = new Float64Array(0);
  qty = new Float64Array(0);
  filled = new Float64Array(0);
  remaining = new Float64Array(0);
  notional = new Float64Array(0);
  /** Price that reservations are computed at (limit price or collar). */
  resPrice = new Float64Array(0);
  /** Cash (buys) or shares (sells) this order currently holds reserved. */
  reserved = new Float64Array(0);
  createdTs = new Float64Array(0);
  updatedTs = new Float64Array(0);
  lastSeq = new Float64Array(0);
  code = new Int32Array(0);
  /** cidHash(account, client id) of the order (ClientIdIndex's key: removal needs no string). */
  cidHash = new Int32Array(0);
  /** How the execution-report log refers to the order's client id (ExecLog.cidRef; -1: not yet). */
  histCid = new Float64Array(0);
  /** The account's live-order list (ascending id). */
  aPrev = new Int32Array(0);
  aNext = new Int32Array(0);
  side = new Uint8Array(0);
  kind = new Uint8Array(0);
  status = new Uint8Array(0);
  flags = new Uint8Array(0);
  /** The book's OP_TYPE (OrderType | flags) used when the order enters the book. */
  bookType = new Uint8Array(0);
  /**
   * The order's account and symbol as dense indexes into `accounts` and
   * `symbols` (Account.idx, SymbolEngine.idx): numbers, not object references,
   * so writing them is a plain store (no write barrier into an array of a
   * million elements) and the columns take 4 bytes a slot, not 8.
   */
  acctIdx = new Int32Array(0);
  symIdx = new Int32Array(0);
  cid: string[] = [];

  /** `accounts` and `symbols` are the exchange's own lists by dense index (shared, not copied). */
  constructor(
    readonly accounts: readonly Account[],
    readonly symbols: readonly SymbolEngine[],
    initial = 1024,
  ) {
    this.grow(initial);
  }

  /** The account of slot `s`. */
  account(s: number): Account {
    return this.accounts[this.acctIdx[s]!]!;
  }

  /** The symbol engine of slot `s`. */
  symbol(s: number): SymbolEngine {
    return this.symbols[this.symIdx[s]!]!;
  }

  get used(): number {
    return this.top - this.nFree;
  }

  /** Room for at least `n` slots without further growth (restore knows its count up front). */
  reserve(n: number): void {
    if (n > this.cap) this.grow(n);
  }

  alloc(): number {
    let s: number;
    if (this.nFree !== 0) s = this.freeList[--this.nFree]!;
    else {
      if (this.top === this.cap) this.grow(this.cap * 2);
      s = this.top++;
    }
    this.histCid[s] = -1;
    return s;
  }

  release(s: number): void {
    this.cid[s] = '';
    this.flags[s] = 0;
    this.freeList[this.nFree++] = s;
  }

  clear(): void {
    this.top = 0;
    this.nFree = 0;
    this.cid.length = 0;
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.id = f64(this.id);
    this.price = f64(this.price);
    this.stopPrice = f64(this.stopPrice);
    this.qty = f64(this.qty);
    this.filled = f64(this.filled);
    this.remaining = f64(this.remaining);
    this.notional = f64(this.notional);
    this.resPrice = f64(this.resPrice);
    this.reserved = f64(this.reserved);
    this.createdTs = f64(this.createdTs);
    this.updatedTs = f64(this.updatedTs);
    this.lastSeq = f64(this.lastSeq);
    this.code = i32(this.code);
    this.cidHash = i32(this.cidHash);
    this.histCid = f64(this.histCid);
    this.aPrev = i32(this.aPrev);
    this.aNext = i32(this.aNext);
    this.acctIdx = i32(this.acctIdx);
    this.symIdx = i32(this.symIdx);
    this.freeList = i32(this.freeList);
    this.side = u8(this.side);
    this.kind = u8(this.kind);
    this.status = u8(this.status);
    this.flags = u8(this.flags);
    this.bookType = u8(this.bookType);
    this.cap = cap;
  }

  isLive(s: number): boolean {
    return (this.flags[s]! & F_LIVE) !== 0;
  }

  isPendingStop(s: number): boolean {
    return (this.flags[s]! & F_PENDING_STOP) !== 0;
  }

  isPostOnly(s: number): boolean {
    return (this.flags[s]! & F_POST_ONLY) !== 0;
  }

  sideName(s: number): Side {
    return this.side[s] === BUY ? 'BUY' : 'SELL';
  }

  /** A copy of the order's public state (the record keeps changing after the command that returned it). */
  view(s: number): OrderView {
    return {
      orderId: this.id[s]!,
      clientOrderId: this.cid[s]!,
      accountId: this.account(s).id,
      symbol: this.symbol(s).symbol,
      side: this.side[s] === BUY ? 'BUY' : 'SELL',
      kind: KIND_NAMES[this.kind[s]!]!,
      price: this.price[s]!,
      stopPrice: this.stopPrice[s]!,
      postOnly: (this.flags[s]! & F_POST_ONLY) !== 0,
      qty: this.qty[s]!,
      filledQty: this.filled[s]!,
      remainingQty: this.remaining[s]!,
      filledNotionalTicks: this.notional[s]!,
      status: STATUS_NAMES[this.status[s]!]!,
      code: this.code[s]! as Code,
      createdTs: this.createdTs[s]!,
      updatedTs: this.updatedTs[s]!,
      lastSeq: this.lastSeq[s]!,
    };
  }
}
