/**
 * Accounts: cash and positions in integers, what open orders hold reserved,
 * and the arithmetic of reservations and fees (docs/engine.md, "Money").
 *
 * The money of every account (cash, reserved cash, and per symbol the shares and
 * the shares reserved) lives in one exchange-wide Float64Array, a row per account
 * (`AccountMoney`), indexed by the symbol's dense index (SymbolEngine.idx) so the
 * order path never looks a position up by string. Not in the Account object: a
 * number field that is not a small integer is a separate heap box, and a plain
 * array of positions is two more objects, so settling one side of a trade touched
 * five or six scattered cache lines of an account that had gone cold; its row is
 * one or two (docs/engine.md, "Performance").
 */
import { I_NEXT, I_PREV, NIL, type OrderStore } from './order.ts';

/** Row fields of AccountMoney: cash, reserved cash, then per symbol index i the shares (M_POS + 2i) and the shares reserved (M_POS + 2i + 1). */
export const M_CASH = 0;
export const M_RES_CASH = 1;
export const M_POS = 2;

/** The money rows of a set of accounts (the exchange's, or a standalone account's own). */
export class AccountMoney {
  /** The rows: account row r at r * stride. Replaced when rows or symbols are added (hold it only within one command). */
  m = new Float64Array(0);
  /** Fields per row: 2 + 2 x symbols. */
  stride: number;
  private rows = 0;

  constructor(symbolCount: number) {
    this.stride = M_POS + 2 * symbolCount;
  }

  /** A new zeroed row; returns its number. */
  addRow(): number {
    if ((this.rows + 1) * this.stride > this.m.length) this.relayout(Math.max(64, 2 * this.rows), this.stride);
    return this.rows++;
  }

  /** A symbol was added at runtime: every row gains its two fields (zero). */
  addSymbol(): void {
    this.relayout(Math.max(64, this.rows), this.stride + 2);
  }

  private relayout(capRows: number, stride: number): void {
    const m = new Float64Array(capRows * stride);
    const old = this.m;
    const os = this.stride;
    for (let r = 0; r < this.rows; r++) m.set(old.subarray(r * os, (r + 1) * os), r * stride);
    this.m = m;
    this.stride = stride;
  }

  clear(symbolCount: number): void {
    this.m = new Float64Array(0);
    this.stride = M_POS + 2 * symbolCount;
    this.rows = 0;
  }
}

export class Account {
  readonly id: number;
  /** Dense index in the exchange's account list (creation order; the order row field I_ACCT). Not part of the state. */
  readonly idx: number;
  /** The money table holding this account's row (the exchange's, unless built standalone). */
  readonly money: AccountMoney;
  /** This account's row in `money` (for the exchange's accounts, equal to `idx`). */
  readonly row: number;
  /** Open orders (resting, in flight, untriggered stops). */
  openCount = 0;
  /** Per-account execution-report sequence (last one issued). */
  execSeq = 0;
  /** Order-rate window (deterministic: uses command timestamps). */
  rateWindowStart = 0;
  rateCount = 0;
  /** Live order slots, oldest first (intrusive list through the order row fields I_PREV/I_NEXT). */
  liveHead = NIL;
  liveTail = NIL;
  /** Id of the account's newest trade, where its chain in the exchange's TradeLog starts (0: none). */
  lastTradeId = 0;
  /** Row number of the account's newest execution report in the exchange's ExecLog (-1: none; not part of the state). */
  lastExecRow = -1;

  constructor(id: number, idx: number, cash: number, symbolCount: number, money: AccountMoney = new AccountMoney(symbolCount)) {
    this.id = id;
    this.idx = idx;
    this.money = money;
    this.row = money.addRow();
    this.cash = cash;
  }

  /** Minor units. */
  get cash(): number {
    return this.money.m[this.row * this.money.stride + M_CASH]!;
  }

  set cash(v: number) {
    this.money.m[this.row * this.money.stride + M_CASH] = v;
  }

  /** Cash held by open buy orders (sum of their `reserved`). */
  get reservedCash(): number {
    return this.money.m[this.row * this.money.stride + M_RES_CASH]!;
  }

  set reservedCash(v: number) {
    this.money.m[this.row * this.money.stride + M_RES_CASH] = v;
  }

  /** Shares of symbol index `symIdx`. */
  shares(symIdx: number): number {
    return this.money.m[this.row * this.money.stride + M_POS + 2 * symIdx]!;
  }

  /** Shares of symbol index `symIdx` held by open sell orders. */
  reservedShares(symIdx: number): number {
    return this.money.m[this.row * this.money.stride + M_POS + 2 * symIdx + 1]!;
  }

  /** Sets the position in symbol index `symIdx`: `shares` held, `reserved` of them held by open sell orders. */
  setPosition(symIdx: number, shares: number, reserved: number): void {
    const k = this.row * this.money.stride + M_POS + 2 * symIdx;
    this.money.m[k] = shares;
    this.money.m[k + 1] = reserved;
  }

  /** Adds `delta` to the shares of symbol index `symIdx`. */
  addShares(symIdx: number, delta: number): void {
    this.money.m[this.row * this.money.stride + M_POS + 2 * symIdx] += delta;
  }

  /** Adds `delta` to the shares of symbol index `symIdx` held reserved. */
  addReservedShares(symIdx: number, delta: number): void {
    this.money.m[this.row * this.money.stride + M_POS + 2 * symIdx + 1] += delta;
  }

  availableShares(symIdx: number): number {
    return this.shares(symIdx) - this.reservedShares(symIdx);
  }

  linkLive(st: OrderStore, o: number): void {
    st.i[(o << 5) + I_PREV] = this.liveTail;
    st.i[(o << 5) + I_NEXT] = NIL;
    if (this.liveTail === NIL) this.liveHead = o;
    else st.i[(this.liveTail << 5) + I_NEXT] = o;
    this.liveTail = o;
  }

  unlinkLive(st: OrderStore, o: number): void {
    const p = st.i[(o << 5) + I_PREV]!;
    const n = st.i[(o << 5) + I_NEXT]!;
    if (p === NIL) this.liveHead = n;
    else st.i[(p << 5) + I_NEXT] = n;
    if (n === NIL) this.liveTail = p;
    else st.i[(n << 5) + I_PREV] = p;
    st.i[(o << 5) + I_PREV] = NIL;
    st.i[(o << 5) + I_NEXT] = NIL;
  }

  /** Live order slots, ascending id. */
  liveOrders(st: OrderStore): number[] {
    const out: number[] = [];
    for (let o = this.liveHead; o !== NIL; o = st.i[(o << 5) + I_NEXT]!) out.push(o);
    return out;
  }

  /**
   * Counts one order attempt in the 1-second window of `ts`; false when the
   * account already sent `max` in that window.
   */
  takeRate(ts: number, max: number): boolean {
    if (ts - this.rateWindowStart >= 1000 || ts < this.rateWindowStart) {
      this.rateWindowStart = ts;
      this.rateCount = 0;
    }
    if (this.rateCount >= max) return false;
    this.rateCount++;
    return true;
  }
}

/**
 * Fee on a notional: floor(notional * bps / 10000), in minor units. Exact because
 * notional <= MAX_NOTIONAL (symbols.ts) keeps the product a safe integer.
 */
export function feeOf(notional: number, bps: number): number {
  return bps === 0 ? 0 : Math.floor((notional * bps) / 10000);
}

/**
 * Cash a buy order must hold for `qty` shares at `priceTicks`: the notional plus
 * the largest fee it could be charged. Superadditive in qty (floor(a)+floor(b) <=
 * floor(a+b)), so after any fill the order still holds at least what its
 * remainder needs: buying power is never overstated.
 */
export function buyReserve(priceTicks: number, qty: number, tickSize: number, maxFeeBps: number): number {
  const n = priceTicks * tickSize * qty;
  return maxFeeBps === 0 ? n : n + Math.floor((n * maxFeeBps) / 10000);
}
