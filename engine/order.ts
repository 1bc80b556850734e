/**
 * The engine's order records, stored as fixed-size rows of typed arrays
 * indexed by a slot, with a free list. No object per order: retained order records used
 * to be the largest survivor set of the young generation (every order was
 * copied to the old space and walked by every collection), which made the
 * collector the biggest single cost of the order path. An OrderView object is
 * built only when a result, report or query needs one. See docs/engine.md.
 *
 * The exchange keeps two stores: live orders (a slot is freed when its order
 * closes and reused, most recently freed first, so the rows in use stay in
 * cache) and the terminal-order archive (a ring of closed orders' final rows in
 * close order). A slot is only meaningful while its order is there; order ids
 * stay the stable handle (OrderTable maps id -> slot or archive position).
 */
import { AurexError, Code } from './codes.ts';
import type { ExecKind, OrderKind, OrderStatus, OrderView, Side } from './types.ts';
import type { Account } from './accounts.ts';
import type { SymbolEngine } from './symbol-engine.ts';
import { cidText } from './client-id-code.ts';
import { bigBuffer } from './big-buffer.ts';

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

/** Side codes (field B_SIDE). */
export const BUY = 0;
export const SELL = 1;
export const SIDE_NAMES: readonly Side[] = ['BUY', 'SELL'];

/** Status codes (field B_STATUS). */
export const ST_NEW = 0;
export const ST_OPEN = 1;
export const ST_PARTIAL = 2;
export const ST_FILLED = 3;
export const ST_CANCELLED = 4;
export const ST_REJECTED = 5;
export const ST_EXPIRED = 6;
export const STATUS_NAMES: readonly OrderStatus[] = ['NEW', 'OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED'];

/** Kind codes (field B_KIND). */
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

/** Flag bits (field B_FLAGS). */
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
 * column per field cost one line per field (about 25). Creation time and stop
 * price live outside the row (`cold`), and so does the text of a client id that
 * has no numeric code (`cid`). See docs/engine.md, "Performance".
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
/** The text entry of the order's client id in the execution-report log, for ids with no code (ExecLog's text entries; -1: none yet). */
export const D_HIST_CID = 10;
/** The client order id's code (client-id-code.ts), or NaN when it has none and `cid` holds the text. */
export const D_CID = 11;
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
/** Fields of OrderStore.cold. */
export const X_CREATED_TS = 0;
export const X_STOP_PRICE = 1;

/**
 * Most slots a store holds: the views index bytes as (slot << 7), a 32-bit
 * shift, so slot 2^24 would wrap; 2^24 rows are 2 GiB.
 */
export const MAX_ORDER_SLOTS = 1 << 24;

const TEXT_CACHE_SIZE = 1024;
const TEXT_CACHE_MASK = TEXT_CACHE_SIZE - 1;

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
  /** Fields read only by views, snapshots and stop triggering, kept out of the row: index (slot << 1) + X_*. */
  cold = new Float64Array(0);
  /**
   * Client order ids that have no code (D_CID is NaN), by slot. Such ids are
   * rare (cidCode covers the usual shapes), so a map: an array with an entry per
   * slot grew by copying to a million entries in the archive and was scanned by
   * every major GC (docs/engine.md, "First touch").
   */
  readonly textCids = new Map<number, string>();
  /**
   * Client-id strings by slot, direct-mapped (slot & TEXT_CACHE_MASK), tagged with
   * slot + 1: a new order's result and reports reuse the command's string, and a
   * maker filled again and again (or any order reported several times) builds
   * its string once.
   */
  private readonly textTag = new Int32Array(TEXT_CACHE_SIZE);
  private readonly textStr: string[] = new Array<string>(TEXT_CACHE_SIZE).fill('');

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

  /** Slots this store may hand out (the exchange's maxKnownOrders; at most MAX_ORDER_SLOTS). */
  maxSlots = MAX_ORDER_SLOTS;

  /** No slot left to hand out: a new order must be refused (BOOK_FULL) before alloc(). */
  get full(): boolean {
    return this.nFree === 0 && this.top >= this.maxSlots;
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
      if (this.top >= this.maxSlots) throw new AurexError(Code.BOOK_FULL, `order store full (${this.maxSlots} orders)`);
      if (this.top === this.cap) this.grow(Math.min(this.cap * 2, MAX_ORDER_SLOTS));
      s = this.top++;
    }
    this.d[(s << 4) + D_HIST_CID] = -1;
    return s;
  }

  /** Sets slot `s`'s client order id `cid`, whose code (cidCode) is `code`. */
  setCid(s: number, cid: string, code: number): void {
    this.d[(s << 4) + D_CID] = code;
    if (code !== code) this.textCids.set(s, cid);
    const k = s & TEXT_CACHE_MASK;
    this.textTag[k] = s + 1;
    this.textStr[k] = cid;
  }

  /** Slot `s`'s client order id (from the string cache, else built from its code or read as text). */
  cidOf(s: number): string {
    const k = s & TEXT_CACHE_MASK;
    if (this.textTag[k] === s + 1) return this.textStr[k]!;
    const c = this.d[(s << 4) + D_CID]!;
    if (c !== c) return this.textCids.get(s)!;
    const t = cidText(c);
    this.textTag[k] = s + 1;
    this.textStr[k] = t;
    return t;
  }

  /** Slot `s` traded `qty` for `notional` ticks and has `remaining` left (FILLED at 0, else PARTIALLY_FILLED). */
  fill(s: number, qty: number, notional: number, remaining: number, seq: number, ts: number): void {
    const d = this.d;
    d[(s << 4) + D_FILLED] += qty;
    d[(s << 4) + D_NOTIONAL] += notional;
    d[(s << 4) + D_REMAINING] = remaining;
    d[(s << 4) + D_UPDATED_TS] = ts;
    d[(s << 4) + D_LAST_SEQ] = seq;
    this.b[(s << 7) + B_STATUS] = remaining === 0 ? ST_FILLED : ST_PARTIAL;
  }

  /**
   * Copies order `o` of `src` (its whole row, cold fields and client id) into
   * slot `p` of this store: the terminal-order archive takes a closed order's
   * final record this way.
   */
  copyFrom(src: OrderStore, o: number, p: number): void {
    const sd = src.d;
    const dd = this.d;
    const a = o << 4;
    const b = p << 4;
    // the row is ROW_BYTES = 16 float64s, whatever view wrote its fields
    for (let k = 0; k < 16; k++) dd[b + k] = sd[a + k]!;
    this.cold[p << 1] = src.cold[o << 1]!;
    this.cold[(p << 1) + 1] = src.cold[(o << 1) + 1]!;
    const c = dd[b + D_CID]!;
    if (c !== c) this.textCids.set(p, src.textCids.get(o)!);
    else if (this.textCids.size !== 0) this.textCids.delete(p);
    const k = p & TEXT_CACHE_MASK;
    if (this.textTag[k] === p + 1) this.textTag[k] = 0;
  }

  release(s: number): void {
    if (this.d[(s << 4) + D_CID] !== this.d[(s << 4) + D_CID]) this.textCids.delete(s);
    if (this.textTag[s & TEXT_CACHE_MASK] === s + 1) this.textTag[s & TEXT_CACHE_MASK] = 0;
    this.b[(s << 7) + B_FLAGS] = 0;
    this.freeList[this.nFree++] = s;
  }

  clear(): void {
    this.top = 0;
    this.nFree = 0;
    this.textTag.fill(0);
    this.textCids.clear();
  }

  private grow(cap: number): void {
    const buf = bigBuffer(cap * ROW_BYTES);
    // Only slots handed out (below top) hold anything: copying the whole old capacity
    // would write (first-touch) all of it in the new buffer, reserved or not.
    new Uint8Array(buf).set(this.b.subarray(0, this.top * ROW_BYTES));
    this.d = new Float64Array(buf, 0, cap << 4);
    this.i = new Int32Array(buf, 0, cap << 5);
    // cap * ROW_BYTES, not cap << 7: at MAX_ORDER_SLOTS that is 2^31, past an int32
    this.b = new Uint8Array(buf, 0, cap * ROW_BYTES);
    const cold = new Float64Array(bigBuffer(cap << 4), 0, cap << 1);
    cold.set(this.cold.subarray(0, this.top << 1));
    this.cold = cold;
    const free = new Int32Array(cap);
    free.set(this.freeList.subarray(0, this.nFree));
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
      clientOrderId: this.cidOf(s),
      accountId: this.account(s).id,
      symbol: this.symbol(s).symbol,
      side: this.b[(s << 7) + B_SIDE] === BUY ? 'BUY' : 'SELL',
      kind: KIND_NAMES[this.b[(s << 7) + B_KIND]!]!,
      price: this.d[(s << 4) + D_PRICE]!,
      stopPrice: this.cold[(s << 1) + X_STOP_PRICE]!,
      postOnly: (this.b[(s << 7) + B_FLAGS]! & F_POST_ONLY) !== 0,
      qty: this.d[(s << 4) + D_QTY]!,
      filledQty: this.d[(s << 4) + D_FILLED]!,
      remainingQty: this.d[(s << 4) + D_REMAINING]!,
      filledNotionalTicks: this.d[(s << 4) + D_NOTIONAL]!,
      status: STATUS_NAMES[this.b[(s << 7) + B_STATUS]!]!,
      code: this.i[(s << 5) + I_CODE]! as Code,
      createdTs: this.cold[(s << 1) + X_CREATED_TS]!,
      updatedTs: this.d[(s << 4) + D_UPDATED_TS]!,
      lastSeq: this.d[(s << 4) + D_LAST_SEQ]!,
    };
  }
}
