/**
 * The engine's order records, stored as fixed-size rows of typed arrays
 * indexed by a slot, with a free list. No object per order: retained order records used
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
 * The engine's enum codes. Each table lives here only: the order rows, the
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

/*
 * The order row: 128 bytes per slot in one ArrayBuffer, read through three
 * views. Float64 fields are at index (slot << 4) + D_*, Int32 fields at
 * (slot << 5) + I_*, Uint8 fields at (slot << 7) + B_*. One row, not a column
 * per field: an order touched at a cold slot (a fill of a maker resting for a
 * while, a new order reusing an evicted slot) costs two cache lines, where a
 * column per field cost one line per field (about 25). See docs/engine.md,
 * "Order store".
 */
export const ROW_BYTES = 128;
export const D_ID = 0;
export const D_PRICE = 1;
export const D_QTY = 2;
export const D_FILLED = 3;
export const D_REMAINING = 4;
/** Filled notional in ticks x lots (sum of price x qty of the fills). */
export const D_NOTIONAL = 5;
/** Price that reservations are computed at (limit price or collar). */
export const D_RES_PRICE = 6;
/** Cash (buys) or shares (sells) this order currently holds reserved. */
export const D_RESERVED = 7;
export const D_UPDATED_TS = 8;
export const D_LAST_SEQ = 9;
/** How the execution-report log refers to the order's client id (ExecLog.cidRef; -1: not yet). */
export const D_HIST_CID = 10;
export const D_STOP_PRICE = 11;
/** The order's account as a dense index into `accounts` (Account.idx). */
export const I_ACCT = 24;
/** The order's symbol as a dense index into `symbols` (SymbolEngine.idx). */
export const I_SYM = 25;
/** The account's live-order list (ascending id): previous and next slot. */
export const I_PREV = 26;
export const I_NEXT = 27;
/** cidHash(account, client id) of the order (ClientIdIndex's key: removal needs no string). */
export const I_CID_HASH = 28;
export const I_CODE = 29;
export const B_SIDE = 120;
export const B_KIND = 121;
export const B_STATUS = 122;
export const B_FLAGS = 123;
/** The book's OP_TYPE (OrderType | flags) used when the order enters the book. */
export const B_BOOK_TYPE = 124;

export class OrderStore {
  private cap = 0;
  /** Slots handed out so far (never-used slots start here). */
  private top = 0;
  private freeList = new Int32Array(0);
  private nFree = 0;

  /** The rows as Float64 (index (slot << 4) + D_*). */
  d = new Float64Array(0);
  /** The rows as Int32 (index (slot << 5) + I_*). */
  i = new Int32Array(0);
  /** The rows as Uint8 (index (slot << 7) + B_*). */
  b = new Uint8Array(0);
  /** Creation time: read only by views and snapshots, so kept out of the row. */
  createdTs = new Float64Array(0);
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
    return this.accounts[this.i[(s << 5) + I_ACCT]!]!;
  }

  /** The symbol engine of slot `s`. */
  symbol(s: number): SymbolEngine {
    return this.symbols[this.i[(s << 5) + I_SYM]!]!;
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
    this.d[(s << 4) + D_HIST_CID] = -1;
    return s;
  }

  release(s: number): void {
    this.cid[s] = '';
    this.b[(s << 7) + B_FLAGS] = 0;
    this.freeList[this.nFree++] = s;
  }

  clear(): void {
    this.top = 0;
    this.nFree = 0;
    this.cid.length = 0;
  }

  private grow(cap: number): void {
    const buf = new ArrayBuffer(cap * ROW_BYTES);
    new Uint8Array(buf).set(this.b);
    this.d = new Float64Array(buf);
    this.i = new Int32Array(buf);
    this.b = new Uint8Array(buf);
    const created = new Float64Array(cap);
    created.set(this.createdTs);
    this.createdTs = created;
    const free = new Int32Array(cap);
    free.set(this.freeList);
    this.freeList = free;
    this.cap = cap;
  }

  isLive(s: number): boolean {
    return (this.b[(s << 7) + B_FLAGS]! & F_LIVE) !== 0;
  }

  isPendingStop(s: number): boolean {
    return (this.b[(s << 7) + B_FLAGS]! & F_PENDING_STOP) !== 0;
  }

  isPostOnly(s: number): boolean {
    return (this.b[(s << 7) + B_FLAGS]! & F_POST_ONLY) !== 0;
  }

  sideName(s: number): Side {
    return this.b[(s << 7) + B_SIDE] === BUY ? 'BUY' : 'SELL';
  }

  /** A copy of the order's public state (the record keeps changing after the command that returned it). */
  view(s: number): OrderView {
    return {
      orderId: this.d[(s << 4) + D_ID]!,
      clientOrderId: this.cid[s]!,
      accountId: this.account(s).id,
      symbol: this.symbol(s).symbol,
      side: this.b[(s << 7) + B_SIDE] === BUY ? 'BUY' : 'SELL',
      kind: KIND_NAMES[this.b[(s << 7) + B_KIND]!]!,
      price: this.d[(s << 4) + D_PRICE]!,
      stopPrice: this.d[(s << 4) + D_STOP_PRICE]!,
      postOnly: (this.b[(s << 7) + B_FLAGS]! & F_POST_ONLY) !== 0,
      qty: this.d[(s << 4) + D_QTY]!,
      filledQty: this.d[(s << 4) + D_FILLED]!,
      remainingQty: this.d[(s << 4) + D_REMAINING]!,
      filledNotionalTicks: this.d[(s << 4) + D_NOTIONAL]!,
      status: STATUS_NAMES[this.b[(s << 7) + B_STATUS]!]!,
      code: this.i[(s << 5) + I_CODE]! as Code,
      createdTs: this.createdTs[s]!,
      updatedTs: this.d[(s << 4) + D_UPDATED_TS]!,
      lastSeq: this.d[(s << 4) + D_LAST_SEQ]!,
    };
  }
}
