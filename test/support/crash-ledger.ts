/**
 * Crash test (server level): the clients' memory of what the server told them.
 *
 * Every order a client sends is recorded before it leaves; every answer (order
 * response, cancel response, execution report on either gateway) is recorded
 * as it arrives, even after the kill (bytes the server wrote before dying are
 * real acknowledgements). After a restart, `checkOrder` holds the recovered
 * order against these facts:
 *  - acknowledged (or reported) => it exists, same id/client id/symbol/side/price,
 *    filled >= the most ever acknowledged, the acknowledged terminal state exactly;
 *  - acknowledged REJECTED or refused before the kill => it does not exist;
 *  - never answered => it exists completely or not at all;
 *  - a CANCELLED order was cancelled by a cancel the client sent, or by
 *    self-trade prevention (its code says which).
 */
import { Code } from '../../engine/codes.ts';
import type { Side } from '../../engine/types.ts';
import { LIVE, TERMINAL, type SeenOrder, type Status, type User, type Via } from './crash-api.ts';

export type RecState =
  /** Sent, no answer (yet): may or may not exist after a crash. */
  | 'sent'
  /** Answered with an order (any status but REJECTED), or reported, or found after a restart. */
  | 'exists'
  /** Answered REJECTED: the engine holds no such order. */
  | 'rejected'
  /** Refused with an error while the server was up: never became an order. */
  | 'refused'
  /** Never answered and not found after the restart: lost with the crash (allowed). */
  | 'absent';

export interface OrderRec {
  key: string;
  user: User;
  via: Via;
  round: number;
  cid: string;
  symbol: string;
  side: Side;
  price: number;
  qty: number;
  state: RecState;
  exchId: number;
  /** The highest filled quantity any client was told (or a restart verified). */
  minFilled: number;
  /** A terminal state a client was told (or a restart verified). */
  terminal: { status: Status; filled: number } | undefined;
  /** A cancel for this order was sent since the last verification. */
  cancelSent: boolean;
}

export interface ExecFact {
  user: User;
  exchId: number;
  cid: string | undefined;
  filled: number;
  status: Status;
  seq: number;
}

export class Ledger {
  readonly orders = new Map<string, OrderRec>();
  private readonly byExch = new Map<string, OrderRec>();
  /** Execution reports received since the last verification (resolved then). */
  execs: ExecFact[] = [];
  /** Highest command sequence any client saw in an answer. */
  maxAckedSeq = 0;
  readonly counts = { sent: 0, acked: 0, rejected: 0, refused: 0, cancelsAcked: 0, execReports: 0, unanswered: 0, lostUnanswered: 0 };
  readonly problems: string[] = [];

  newOrder(o: Omit<OrderRec, 'key' | 'state' | 'exchId' | 'minFilled' | 'terminal' | 'cancelSent'>): OrderRec {
    const key = `${o.user}:${o.cid}`;
    if (this.orders.has(key)) throw new Error(`client order id reused: ${key}`);
    const rec: OrderRec = { ...o, key, state: 'sent', exchId: 0, minFilled: 0, terminal: undefined, cancelSent: false };
    this.orders.set(key, rec);
    this.counts.sent++;
    return rec;
  }

  byCid(user: User, cid: string): OrderRec | undefined {
    return this.orders.get(`${user}:${cid}`);
  }

  byExchId(user: User, exchId: number): OrderRec | undefined {
    return this.byExch.get(`${user}:${exchId}`);
  }

  private seq(seq: number): void {
    if (seq > this.maxAckedSeq) this.maxAckedSeq = seq;
  }

  private bindExch(rec: OrderRec, exchId: number, what: string): void {
    if (exchId <= 0) return;
    if (rec.exchId !== 0 && rec.exchId !== exchId) {
      this.problems.push(`${rec.key}: ${what} names exchange id ${exchId}, earlier ${rec.exchId}`);
      return;
    }
    rec.exchId = exchId;
    this.byExch.set(`${rec.user}:${exchId}`, rec);
  }

  /** A fact a client was told: filled so far and the status after it. */
  private learn(rec: OrderRec, status: Status, filled: number, what: string): void {
    if (filled > rec.minFilled) rec.minFilled = filled;
    if (TERMINAL.has(status)) {
      if (rec.terminal && (rec.terminal.status !== status || rec.terminal.filled !== filled)) {
        this.problems.push(`${rec.key}: ${what} says ${status}/${filled}, earlier ${rec.terminal.status}/${rec.terminal.filled}`);
      }
      rec.terminal ??= { status, filled };
    } else if (rec.terminal) {
      // A live report can only be older than the terminal one (streams may interleave).
      if (filled > rec.terminal.filled) this.problems.push(`${rec.key}: ${what} filled ${filled} after terminal ${rec.terminal.filled}`);
    }
  }

  submitAnswered(rec: OrderRec, status: Status, filled: number, exchId: number, seq: number): void {
    this.seq(seq);
    this.counts.acked++;
    if (status === 'REJECTED') {
      this.counts.rejected++;
      if (exchId !== 0) this.problems.push(`${rec.key}: REJECTED with exchange id ${exchId}`);
      rec.state = 'rejected';
      return;
    }
    rec.state = 'exists';
    this.bindExch(rec, exchId, 'order response');
    this.learn(rec, status, filled, 'order response');
  }

  /** An error instead of an answer: before the kill the order never existed; after it, unknown. */
  submitFailed(rec: OrderRec, afterKill: boolean): void {
    if (rec.state !== 'sent') return;
    if (afterKill) this.counts.unanswered++;
    else {
      this.counts.refused++;
      rec.state = 'refused';
    }
  }

  cancelAnswered(rec: OrderRec, status: Status, filled: number, seq: number): void {
    this.seq(seq);
    this.counts.cancelsAcked++;
    this.learn(rec, status, filled, 'cancel response');
  }

  exec(f: ExecFact): void {
    this.seq(f.seq);
    this.counts.execReports++;
    this.execs.push(f);
  }

  /**
   * Applies the execution reports received since the last verification;
   * `resolve` names the client order id of an order the reports only know by id.
   */
  applyExecs(resolve: (user: User, exchId: number) => string | undefined): void {
    for (const f of this.execs) {
      let rec = f.cid !== undefined ? this.byCid(f.user, f.cid) : undefined;
      if (rec === undefined && f.exchId > 0) rec = this.byExchId(f.user, f.exchId);
      if (rec === undefined && f.exchId > 0) {
        const cid = resolve(f.user, f.exchId);
        if (cid !== undefined) rec = this.byCid(f.user, cid);
      }
      if (rec === undefined) {
        this.problems.push(`execution report for an order no client sent: ${f.user} #${f.exchId} cid ${f.cid} ${f.status}`);
        continue;
      }
      if (f.status === 'REJECTED') {
        if (rec.state === 'exists') this.problems.push(`${rec.key}: reported REJECTED but answered with an order`);
        else rec.state = 'rejected';
        continue;
      }
      if (rec.state === 'rejected' || rec.state === 'refused') {
        this.problems.push(`${rec.key}: execution report ${f.status} for an order answered ${rec.state}`);
        continue;
      }
      rec.state = 'exists';
      this.bindExch(rec, f.exchId, 'execution report');
      this.learn(rec, f.status, f.filled, 'execution report');
    }
    this.execs = [];
  }

  /** Orders to check after a restart: everything of the round just killed, and everything that may still change. */
  toCheck(round: number): OrderRec[] {
    const out: OrderRec[] = [];
    for (const r of this.orders.values()) {
      if (r.round === round) out.push(r);
      else if (r.state === 'exists' && r.terminal === undefined) out.push(r);
    }
    return out;
  }

  /** A live order of `user` to cancel (known to exist, no cancel sent yet). */
  cancelTarget(user: User, rnd: () => number): OrderRec | undefined {
    const c: OrderRec[] = [];
    for (const r of this.orders.values()) {
      if (r.user === user && r.state === 'exists' && r.exchId > 0 && r.terminal === undefined && !r.cancelSent) c.push(r);
    }
    return c.length ? c[Math.floor(rnd() * c.length)] : undefined;
  }

  /** After a verified restart: what was found becomes the new baseline of acknowledged facts. */
  settle(rec: OrderRec, seen: SeenOrder | null): void {
    if (seen === null) {
      if (rec.state === 'sent') {
        rec.state = 'absent';
        this.counts.lostUnanswered++;
      }
      return;
    }
    rec.state = 'exists';
    this.bindExch(rec, seen.exchId, 'recovered state');
    rec.minFilled = Math.max(rec.minFilled, seen.filled);
    if (TERMINAL.has(seen.status)) rec.terminal ??= { status: seen.status, filled: seen.filled };
    // A cancel still unanswered when the server died either took effect (then the order is
    // terminal) or was lost with it: from here on, a CANCELLED order needs a new cancel.
    if (LIVE.has(seen.status)) rec.cancelSent = false;
  }
}

/**
 * Problems with one recovered order (`seen`, null = the server knows no such
 * order) against what the clients were told. `where` names the source.
 */
export function checkOrder(rec: OrderRec, seen: SeenOrder | null, where: string): string[] {
  const p: string[] = [];
  const id = `${where}: ${rec.key} (#${rec.exchId}, ${rec.state}, ${rec.side} ${rec.qty} ${rec.symbol} @${rec.price}, round ${rec.round})`;
  if (rec.state === 'rejected' || rec.state === 'refused' || rec.state === 'absent') {
    if (seen !== null) p.push(`${id}: should not exist, found #${seen.exchId} ${seen.status}`);
    return p;
  }
  if (seen === null) {
    if (rec.state === 'exists') p.push(`${id}: acknowledged order lost`);
    return p;
  }
  if (rec.exchId !== 0 && seen.exchId !== rec.exchId) p.push(`${id}: exchange id ${seen.exchId}`);
  if (seen.cid !== undefined && seen.cid !== rec.cid) p.push(`${id}: client order id ${seen.cid}`);
  if (seen.symbol !== rec.symbol || seen.side !== rec.side || seen.price !== rec.price) {
    p.push(`${id}: recovered as ${seen.side} ${seen.symbol} @${seen.price}`);
  }
  // A complete, self-consistent record.
  const { filled, remaining, status } = seen;
  const sum = `${status} filled ${filled} remaining ${remaining} of ${rec.qty}`;
  switch (status) {
    case 'OPEN':
      if (filled !== 0 || remaining !== rec.qty) p.push(`${id}: inconsistent ${sum}`);
      break;
    case 'PARTIALLY_FILLED':
      if (!(filled > 0 && remaining > 0 && filled + remaining === rec.qty)) p.push(`${id}: inconsistent ${sum}`);
      break;
    case 'FILLED':
      if (filled !== rec.qty || remaining !== 0) p.push(`${id}: inconsistent ${sum}`);
      break;
    case 'CANCELLED':
      if (remaining !== 0 || filled >= rec.qty) p.push(`${id}: inconsistent ${sum}`);
      if (seen.code === Code.CANCEL_BY_USER) {
        if (!rec.cancelSent && rec.terminal?.status !== 'CANCELLED') p.push(`${id}: cancelled by the user, but no cancel was sent`);
      } else if (seen.code !== Code.CANCEL_SELF_TRADE_INCOMING && seen.code !== Code.CANCEL_SELF_TRADE_RESTING) {
        p.push(`${id}: cancelled with unexpected reason ${seen.code}`);
      }
      break;
    default:
      p.push(`${id}: unexpected status for a limit order: ${sum}`);
  }
  if (LIVE.has(status) && seen.code !== 0) p.push(`${id}: live order with code ${seen.code}`);
  // Fills happen at the limit or better.
  if (filled === 0 ? seen.notional !== 0 : rec.side === 'BUY' ? seen.notional > filled * rec.price : seen.notional < filled * rec.price) {
    p.push(`${id}: filled notional ${seen.notional} for ${filled} at limit ${rec.price}`);
  }
  // What clients were told is at least as far as the recovered state.
  if (filled < rec.minFilled) p.push(`${id}: filled ${filled} < acknowledged ${rec.minFilled}`);
  if (rec.terminal && (status !== rec.terminal.status || filled !== rec.terminal.filled)) {
    p.push(`${id}: acknowledged ${rec.terminal.status}/${rec.terminal.filled}, recovered ${status}/${filled}`);
  }
  return p;
}
