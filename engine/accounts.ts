/**
 * Accounts: cash and positions in integers, what open orders hold reserved,
 * and the arithmetic of reservations and fees (docs/engine.md, "Money").
 *
 * Positions are plain arrays indexed by the symbol's dense index (SymbolEngine.idx)
 * so the order path never looks a position up by string.
 */
import { I_NEXT, I_PREV, NIL, type OrderStore } from './order.ts';

export class Account {
  readonly id: number;
  /** Dense index in the exchange's account list (creation order; the order row field I_ACCT). Not part of the state. */
  readonly idx: number;
  /** Minor units. */
  cash: number;
  /** Cash held by open buy orders (sum of their `reserved`). */
  reservedCash = 0;
  /** Shares per symbol index. */
  shares: number[];
  /** Shares held by open sell orders, per symbol index. */
  reservedShares: number[];
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

  constructor(id: number, idx: number, cash: number, symbolCount: number) {
    this.id = id;
    this.idx = idx;
    this.cash = cash;
    this.shares = new Array<number>(symbolCount).fill(0);
    this.reservedShares = new Array<number>(symbolCount).fill(0);
  }

  availableShares(symIdx: number): number {
    return this.shares[symIdx]! - this.reservedShares[symIdx]!;
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

  /** A symbol was added at runtime: positions arrays grow in step (kept packed). */
  addSymbolSlot(): void {
    this.shares.push(0);
    this.reservedShares.push(0);
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
