/**
 * The execution-report history for resume after reconnect: one exchange-wide
 * log of report rows in Float64Array pages (not retained objects: millions of
 * them made the garbage collector the largest cost of the order path), chained
 * per account. Reports are rebuilt as objects only when a resuming subscriber
 * asks for them.
 *
 * Why one log and not a ring per account: rows are written in the order the
 * reports happen, so the writes are sequential. With a ring per account, each
 * report wrote 2-3 cold cache lines at its own account's position (1,000
 * accounts: a cache miss per line, and the evictions slowed everything else):
 * applying the engine bench's stream went from ~340k to ~210k commands/s with
 * per-account rings, and to ~300k with the one log (docs/engine.md,
 * "Execution-report history").
 *
 * The exchange writes a row as it issues the report, straight from the order's
 * row. Rows hold numbers only: the symbol as its dense index, and the client
 * order id as its numeric code (client-id-code.ts), or, for an id without one,
 * as an entry in a ring of strings that an order shares between its reports
 * (the order row field D_HIST_CID), so such an order stores its id about once.
 *
 * Retention: a subscriber gets at most `perAccount` of its account's newest
 * reports, among the log's last `capacity` rows.
 */
import type { Code } from './codes.ts';
import type { ExecKind, ExecReport, NewOrderCmd } from './types.ts';
import type { Account } from './accounts.ts';
import { PagedRing } from './paged-ring.ts';
import { cidCode, cidText } from './client-id-code.ts';
import { B_KIND, B_SIDE, B_STATUS, BUY, D_CID, D_FILLED, D_HIST_CID, D_ID, D_PRICE, D_QTY, D_REMAINING, EXEC_KIND_NAMES, I_CODE, I_SYM, KIND_NAMES, kindCode, SELL, SIDE_NAMES, STATUS_NAMES, ST_REJECTED, X_REJECTED, type OrderStore } from './order.ts';

// columns of one row
const C_ACCOUNT_SEQ = 0;
const C_SEQ = 1;
const C_TS = 2;
const C_KIND = 3;
const C_ORDER_ID = 4;
const C_SIDE = 5;
const C_ORDER_KIND = 6;
const C_PRICE = 7;
const C_QTY = 8;
const C_FILLED = 9;
const C_REMAINING = 10;
const C_STATUS = 11;
const C_CODE = 12;
/** FILL only (the five below); 0 = absent for other kinds. */
const C_TRADE_ID = 13;
const C_LAST_PRICE = 14;
const C_LAST_QTY = 15;
/** 1 = MAKER, 2 = TAKER. */
const C_LIQUIDITY = 16;
const C_FEE = 17;
/** The client order id's code (client-id-code.ts), or NaN when it has none: then C_CID_TEXT holds its text entry. */
const C_CID = 18;
/** The symbol's dense index (SymbolEngine.idx), or -(text entry + 1) for text that names no listed symbol (a reject). */
const C_SYMBOL = 19;
/** The account's previous row (its log row number), -1 for none. */
const C_PREV = 20;
/** The text entry of a client order id with no code (C_CID NaN); otherwise unused. */
const C_CID_TEXT = 21;
const W = 22;

/**
 * Client order ids without a code (and unlisted symbol text) live in a ring of 3 x capacity
 * strings; a row holds the entry number. An order keeps its entry number
 * (the order row field D_HIST_CID) and reuses it while it is among the last `capacity`
 * entries. A row lives for at most `capacity` - 1 further rows, each adding at
 * most two entries, so an entry a row refers to is never overwritten while the
 * row exists (that takes 3 x capacity - capacity newer entries).
 */
export class ExecLog extends PagedRing {
  private readonly texts: string[] = [];
  private readonly textCap: number;
  /** Entries appended so far (the next entry's number). */
  private textCount = 0;
  /** textCount modulo textCap (no division per entry). */
  private textPos = 0;
  /** Rows written so far (the next row's number); row r is at ring index r % capacity. */
  private rows = 0;

  constructor(
    capacity: number,
    readonly perAccount: number,
  ) {
    super(perAccount > 0 ? capacity : 0, W, 8);
    this.textCap = 3 * this.cap;
  }

  /**
   * The text entry of `s`, reusing `prev` (an entry of an earlier report of the
   * same order, -1: none) while it is among the last `capacity` entries.
   */
  private text(prev: number, s: string): number {
    const n = this.textCount;
    if (prev >= 0 && prev < n && n - prev <= this.cap) return prev;
    const p = this.textPos;
    if (p === this.texts.length) this.texts.push(s);
    else this.texts[p] = s;
    this.textPos = p + 1 === this.textCap ? 0 : p + 1;
    this.textCount = n + 1;
    return n;
  }

  /**
   * A new row of `a`'s, chained to the account's previous row, with its header
   * fields written: its ring index (page: pageOf, start: offsetOf), or -1 when
   * nothing is kept.
   */
  private begin(a: Account, accountSeq: number, seq: number, ts: number, kind: number): number {
    const i = this.next();
    if (i < 0) return -1;
    const c = this.pageOf(i);
    const r = this.offsetOf(i);
    c[r + C_PREV] = a.lastExecRow;
    a.lastExecRow = this.rows++;
    c[r + C_ACCOUNT_SEQ] = accountSeq;
    c[r + C_SEQ] = seq;
    c[r + C_TS] = ts;
    c[r + C_KIND] = kind;
    return i;
  }

  /**
   * A report of order slot `o` (of account `a`) as the store holds it now (kind:
   * an X_* code of order.ts); for a FILL, the trade's fields too (0 otherwise).
   * Reuses and updates st.d[(o << 4) + D_HIST_CID].
   */
  pushOrder(a: Account, st: OrderStore, o: number, kind: number, accountSeq: number, seq: number, ts: number, tradeId: number, lastPrice: number, lastQty: number, liquidity: number, fee: number): void {
    const i = this.begin(a, accountSeq, seq, ts, kind);
    if (i < 0) return;
    const c = this.pageOf(i);
    const r = this.offsetOf(i);
    c[r + C_ORDER_ID] = st.d[(o << 4) + D_ID]!;
    c[r + C_SIDE] = st.b[(o << 7) + B_SIDE]!;
    c[r + C_ORDER_KIND] = st.b[(o << 7) + B_KIND]!;
    c[r + C_PRICE] = st.d[(o << 4) + D_PRICE]!;
    c[r + C_QTY] = st.d[(o << 4) + D_QTY]!;
    c[r + C_FILLED] = st.d[(o << 4) + D_FILLED]!;
    c[r + C_REMAINING] = st.d[(o << 4) + D_REMAINING]!;
    c[r + C_STATUS] = st.b[(o << 7) + B_STATUS]!;
    c[r + C_CODE] = st.i[(o << 5) + I_CODE]!;
    c[r + C_TRADE_ID] = tradeId;
    c[r + C_LAST_PRICE] = lastPrice;
    c[r + C_LAST_QTY] = lastQty;
    c[r + C_LIQUIDITY] = liquidity;
    c[r + C_FEE] = fee;
    const code = st.d[(o << 4) + D_CID]!;
    c[r + C_CID] = code;
    if (code !== code) {
      // no code: the text, in an entry the order's reports share
      const e = this.text(st.d[(o << 4) + D_HIST_CID]!, st.cidOf(o));
      st.d[(o << 4) + D_HIST_CID] = e;
      c[r + C_CID_TEXT] = e;
    }
    c[r + C_SYMBOL] = st.i[(o << 5) + I_SYM]!;
  }

  /**
   * The REJECTED report of a new order refused before it got a slot: fields from
   * the command; `symbolIndex` -1 when its symbol is not listed.
   */
  pushRejectedNew(a: Account, cmd: NewOrderCmd, code: Code, symbolIndex: number, accountSeq: number, seq: number, ts: number): void {
    const i = this.begin(a, accountSeq, seq, ts, X_REJECTED);
    if (i < 0) return;
    const c = this.pageOf(i);
    const r = this.offsetOf(i);
    c.fill(0, r + C_ORDER_ID, r + C_FEE + 1); // order id, filled, remaining and the FILL fields: 0
    c[r + C_SIDE] = cmd.side === 'BUY' ? BUY : SELL;
    c[r + C_ORDER_KIND] = kindCode(cmd.kind);
    c[r + C_PRICE] = cmd.price;
    c[r + C_QTY] = cmd.qty;
    c[r + C_STATUS] = ST_REJECTED;
    c[r + C_CODE] = code;
    const cc = cidCode(cmd.clientOrderId);
    c[r + C_CID] = cc;
    if (cc !== cc) c[r + C_CID_TEXT] = this.text(-1, cmd.clientOrderId);
    c[r + C_SYMBOL] = symbolIndex >= 0 ? symbolIndex : -(this.text(-1, cmd.symbol) + 1);
  }

  private textAt(e: number): string {
    return this.texts[e % this.textCap]!;
  }

  private row(accountId: number, i: number, symbols: readonly string[]): ExecReport {
    const c = this.pageOf(i);
    const o = this.offsetOf(i);
    const kind: ExecKind = EXEC_KIND_NAMES[c[o + C_KIND]!]!;
    const fill = kind === 'FILL';
    const sy = c[o + C_SYMBOL]!;
    const cr = c[o + C_CID]!;
    return {
      accountSeq: c[o + C_ACCOUNT_SEQ]!,
      accountId,
      seq: c[o + C_SEQ]!,
      ts: c[o + C_TS]!,
      kind,
      orderId: c[o + C_ORDER_ID]!,
      clientOrderId: cr === cr ? cidText(cr) : this.textAt(c[o + C_CID_TEXT]!),
      symbol: sy >= 0 ? symbols[sy]! : this.textAt(-sy - 1),
      side: SIDE_NAMES[c[o + C_SIDE]!]!,
      orderKind: KIND_NAMES[c[o + C_ORDER_KIND]!]!,
      price: c[o + C_PRICE]!,
      qty: c[o + C_QTY]!,
      filledQty: c[o + C_FILLED]!,
      remainingQty: c[o + C_REMAINING]!,
      status: STATUS_NAMES[c[o + C_STATUS]!]!,
      code: c[o + C_CODE]! as Code,
      tradeId: fill ? c[o + C_TRADE_ID]! : undefined,
      lastPrice: fill ? c[o + C_LAST_PRICE]! : undefined,
      lastQty: fill ? c[o + C_LAST_QTY]! : undefined,
      liquidity: fill ? (c[o + C_LIQUIDITY] === 1 ? 'MAKER' : 'TAKER') : undefined,
      fee: fill ? c[o + C_FEE]! : undefined,
    };
  }

  /** Whether reports are kept at all (execHistory and execLogRows both above 0). */
  get keeps(): boolean {
    return this.cap > 0 && this.perAccount > 0;
  }

  /**
   * `a`'s reports of commands after command seq `afterSeq`, oldest first, as fresh
   * objects, or undefined when the history no longer holds all of them (the log
   * or the account's window moved past one).
   */
  after(a: Account, afterSeq: number, symbols: readonly string[]): ExecReport[] | undefined {
    const { found, complete } = this.newest(a, C_SEQ, afterSeq);
    if (!complete) return undefined;
    const out: ExecReport[] = [];
    for (let k = found.length - 1; k >= 0; k--) out.push(this.row(a.id, found[k]!, symbols));
    return out;
  }

  /**
   * `a`'s retained reports with fromSeq < accountSeq and command seq <= maxSeq,
   * oldest first, as fresh objects; `symbols[i]` names the symbol of dense index i.
   */
  since(a: Account, fromSeq: number, maxSeq: number, symbols: readonly string[]): ExecReport[] {
    const { found } = this.newest(a, C_ACCOUNT_SEQ, fromSeq);
    const out: ExecReport[] = [];
    for (let k = found.length - 1; k >= 0; k--) {
      const i = found[k]!;
      if (this.pageOf(i)[this.offsetOf(i) + C_SEQ]! <= maxSeq) out.push(this.row(a.id, i, symbols));
    }
    return out;
  }

  /**
   * Ring indexes of `a`'s newest retained rows whose column `col` is above `bound`,
   * newest first, walking the account's chain back; `complete` is false when the
   * log's or the account's window ended the walk before a row at or below `bound`
   * (or the account's first row).
   */
  private newest(a: Account, col: number, bound: number): { found: number[]; complete: boolean } {
    const found: number[] = [];
    const oldest = this.rows - this.cap;
    for (let row = a.lastExecRow; row >= 0; ) {
      if (row < oldest || found.length >= this.perAccount) return { found, complete: false };
      const i = row % this.cap;
      const c = this.pageOf(i);
      const o = this.offsetOf(i);
      if (!(c[o + col]! > bound)) break;
      found.push(i);
      row = c[o + C_PREV]!;
    }
    return { found, complete: true };
  }
}
