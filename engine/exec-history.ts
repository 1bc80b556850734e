/**
 * Per-account execution-report history for resume after reconnect, stored in
 * columns (a Float64Array ring plus two string rings) rather than as retained
 * objects. Millions of retained report objects made the garbage collector the
 * largest cost of the order path (every report survived into the old
 * generation); typed-array rows are invisible to it. Reports are rebuilt as
 * objects only when a resuming subscriber asks for them.
 */
import type { Code } from './codes.ts';
import type { ExecReport } from './types.ts';
import { PagedRing } from './paged-ring.ts';
import { BUY, EXEC_KIND_NAMES, execKindCode, KIND_NAMES, kindCode, SELL, SIDE_NAMES, STATUS_NAMES, statusCode } from './order.ts';

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
const W = 18;

export type ExecListener = (r: ExecReport) => void;

/** An account's report rows; the ring is the class itself (no object between the history and its pages). */
export class ExecHistory extends PagedRing {
  /** Row i's client order id at 2i and symbol at 2i + 1: one array (one cold line per report, not two). */
  private refs: string[] = [];
  /** Live subscribers (an array: iterated for every report, rarely changed). */
  subs: ExecListener[] = [];

  constructor(
    readonly accountId: number,
    cap: number,
  ) {
    super(cap, W, 6);
  }

  push(r: ExecReport): void {
    const i = this.next();
    if (i < 0) return;
    const c = this.pageOf(i);
    const o = this.offsetOf(i);
    c[o + C_ACCOUNT_SEQ] = r.accountSeq;
    c[o + C_SEQ] = r.seq;
    c[o + C_TS] = r.ts;
    c[o + C_KIND] = execKindCode(r.kind);
    c[o + C_ORDER_ID] = r.orderId;
    c[o + C_SIDE] = r.side === 'BUY' ? BUY : SELL;
    c[o + C_ORDER_KIND] = kindCode(r.orderKind);
    c[o + C_PRICE] = r.price;
    c[o + C_QTY] = r.qty;
    c[o + C_FILLED] = r.filledQty;
    c[o + C_REMAINING] = r.remainingQty;
    c[o + C_STATUS] = statusCode(r.status);
    c[o + C_CODE] = r.code;
    if (r.kind === 'FILL') {
      c[o + C_TRADE_ID] = r.tradeId!;
      c[o + C_LAST_PRICE] = r.lastPrice!;
      c[o + C_LAST_QTY] = r.lastQty!;
      c[o + C_LIQUIDITY] = r.liquidity === 'MAKER' ? 1 : 2;
      c[o + C_FEE] = r.fee!;
    }
    this.refs[2 * i] = r.clientOrderId;
    this.refs[2 * i + 1] = r.symbol;
  }

  private row(i: number): ExecReport {
    const c = this.pageOf(i);
    const o = this.offsetOf(i);
    const kind = EXEC_KIND_NAMES[c[o + C_KIND]!]!;
    const fill = kind === 'FILL';
    return {
      accountSeq: c[o + C_ACCOUNT_SEQ]!,
      accountId: this.accountId,
      seq: c[o + C_SEQ]!,
      ts: c[o + C_TS]!,
      kind,
      orderId: c[o + C_ORDER_ID]!,
      clientOrderId: this.refs[2 * i]!,
      symbol: this.refs[2 * i + 1]!,
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

  /** Retained reports with accountSeq > fromSeq, oldest first, as fresh objects. */
  since(fromSeq: number): ExecReport[] {
    const out: ExecReport[] = [];
    for (let k = 0; k < this.size; k++) {
      const i = this.at(k);
      if (this.pageOf(i)[this.offsetOf(i) + C_ACCOUNT_SEQ]! > fromSeq) out.push(this.row(i));
    }
    return out;
  }
}
