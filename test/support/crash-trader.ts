/**
 * Crash test (server level): four trading sessions (alice and bob, each on
 * gRPC and on TCP with the same trading token) send crossing limit orders and
 * cancels with several requests in flight, recording every answer in the
 * Ledger, until the server is killed: from inside the handler of a seeded
 * N-th answer, so that the kill always lands while other requests are in
 * flight.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import {
  CancelOrderRequest,
  ExecutionsRequest,
  OrderRequest,
  OrderSide,
  OrderType,
  type ExecutionReport,
} from '../../gen/aurex/stock/v1/stock.ts';
import type { ExecutionReportMsg } from '../../gateway-tcp/codec.ts';
import { call } from './grpc-harness.ts';
import { statusOfWire, USERS, type ServerSessions, type Status, type SymbolRef, type UserSession, type Via } from './crash-api.ts';
import type { Ledger, OrderRec } from './crash-ledger.ts';

/** The seeded xorshift32 of the durability tests: the crash test's only source of randomness. */
import { rng } from './durability-workload.ts';
export { rng };

export interface RoundOptions {
  round: number;
  seed: number;
  /** New orders per session (4 sessions). */
  submitsPerSession: number;
  /** Kill after this many answers (order + cancel responses, all sessions). */
  killAfterAnswers: number;
  /** Kills the server now (synchronously: SIGKILL). */
  kill: () => void;
  /**
   * When the kill lands after the N-th answer: inside its handler ('sync'), after the
   * current I/O callbacks ('immediate'), or after that many milliseconds (answers keep
   * arriving and are recorded meanwhile).
   */
  killDelay: 'sync' | 'immediate' | number;
  /** Hard bound of the round. */
  timeoutMs: number;
}

export interface RoundStats {
  answers: number;
  /** Requests sent but not answered when the kill landed. */
  inFlightAtKill: number;
}

const N = (v: bigint | number): number => Number(v);

export async function tradeUntilKilled(sessions: ServerSessions, ledger: Ledger, symbols: SymbolRef[], o: RoundOptions): Promise<RoundStats> {
  let killed = false;
  let answers = 0;
  let inFlight = 0;
  let inFlightAtKill = 0;
  const deadline = Date.now() + o.timeoutMs;
  const kill = () => {
    if (killed) return;
    killed = true;
    inFlightAtKill = inFlight;
    o.kill();
  };
  let scheduled = false;
  const answered = () => {
    answers++;
    if (answers < o.killAfterAnswers || scheduled) return;
    scheduled = true;
    if (o.killDelay === 'sync') kill();
    else if (o.killDelay === 'immediate') setImmediate(kill);
    else setTimeout(kill, o.killDelay);
  };

  // Execution reports on both gateways, for both users.
  const streams: ClientReadableStream<ExecutionReport>[] = [];
  for (const user of USERS) {
    const s = sessions.users[user];
    const st = s.stock.streamExecutions(ExecutionsRequest.fromPartial({ fromSeq: 0n }), s.md);
    st.on('data', (r: ExecutionReport) =>
      ledger.exec({ user, exchId: N(r.exchangeOrderId), cid: r.clientOrderId || undefined, filled: N(r.filledQuantity), status: statusOfWire(r.status), seq: N(r.seq) }),
    );
    st.on('error', () => undefined);
    streams.push(st);
    s.tcp.on('execReport', (r: ExecutionReportMsg) =>
      ledger.exec({
        user,
        exchId: r.orderId,
        cid: r.clientOrderId === 0 ? undefined : String(r.clientOrderId),
        filled: r.filledQty,
        status: r.status as Status,
        seq: r.seq,
      }),
    );
  }

  const drive = async (s: UserSession, via: Via, idx: number) => {
    const r = rng(o.seed * 16 + idx + 1);
    let n = 0;
    const tcpBase = 1_000_000_000 + o.round * 100_000 + idx * 10_000;
    const track = <T>(p: Promise<T>): Promise<T> => {
      inFlight++;
      return p.finally(() => inFlight--);
    };

    const submit = async (): Promise<OrderRec | undefined> => {
      const sym = symbols[Math.floor(r() * symbols.length)]!;
      const side = r() < 0.5 ? 'BUY' : 'SELL';
      // Around the reference price, both sides: about half of the orders cross.
      const price = sym.ref + (Math.floor(r() * 7) - 3) * sym.tick;
      const qty = sym.lot * (1 + Math.floor(r() * 12));
      n++;
      if (via === 'grpc') {
        const cid = `r${o.round}-${s.user}-g${n}`;
        const rec = ledger.newOrder({ user: s.user, via, round: o.round, cid, symbol: sym.symbol, side, price, qty });
        const req = OrderRequest.fromPartial({
          orderId: cid,
          symbol: sym.symbol,
          side: side === 'BUY' ? OrderSide.BUY : OrderSide.SELL,
          type: OrderType.LIMIT,
          quantity: BigInt(qty),
          priceTicks: BigInt(price),
        });
        try {
          const res = await track(call(s.stock.submitOrder.bind(s.stock), req, s.md, 10_000));
          ledger.submitAnswered(rec, statusOfWire(res.status), N(res.filledQuantity), N(res.exchangeOrderId), N(res.seq));
          answered();
        } catch {
          ledger.submitFailed(rec, killed);
        }
        return rec;
      }
      if (s.tcp.closed) return undefined;
      const tcpCid = tcpBase + n;
      const rec = ledger.newOrder({ user: s.user, via, round: o.round, cid: String(tcpCid), symbol: sym.symbol, side, price, qty });
      const p = track(s.tcp.submit({ clientOrderId: tcpCid, symbol: sym.symbol, side, kind: 'LIMIT', price, qty }));
      // Sometimes cancel it at once on the same connection (pipelined behind the submit).
      if (r() < 0.1) void cancel(rec, true);
      try {
        const res = await p;
        ledger.submitAnswered(rec, res.status as Status, res.filledQty, res.orderId, res.seq);
        answered();
      } catch {
        ledger.submitFailed(rec, killed);
      }
      return rec;
    };

    const cancel = async (t: OrderRec, byCid: boolean): Promise<void> => {
      t.cancelSent = true;
      if (via === 'grpc') {
        const req = CancelOrderRequest.fromPartial(byCid ? { clientOrderId: t.cid } : { exchangeOrderId: BigInt(t.exchId) });
        try {
          const res = await track(call(s.stock.cancelOrder.bind(s.stock), req, s.md, 10_000));
          ledger.cancelAnswered(t, statusOfWire(res.status), N(res.order!.filledQuantity), N(res.seq));
          answered();
        } catch {
          /* not open any more (filled), or the server died: no fact learnt */
        }
        return;
      }
      if (s.tcp.closed) return;
      try {
        const res = await track(s.tcp.cancel(byCid && t.via === 'tcp' ? { clientOrderId: Number(t.cid) } : { orderId: t.exchId }));
        if (res.code === 0) {
          ledger.cancelAnswered(t, res.status as Status, res.filledQty, res.seq);
          answered();
        }
      } catch {
        /* the server died */
      }
    };

    let submits = 0;
    while (!killed && submits < o.submitsPerSession && Date.now() < deadline) {
      const depth = 1 + Math.floor(r() * 6);
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < depth && submits < o.submitsPerSession; i++) {
        const target = r() < 0.25 ? ledger.cancelTarget(s.user, r) : undefined;
        if (target) batch.push(cancel(target, r() < 0.5));
        else {
          submits++;
          batch.push(submit());
        }
      }
      await Promise.all(batch);
    }
  };

  try {
    await Promise.all([
      drive(sessions.users.alice, 'grpc', 0),
      drive(sessions.users.alice, 'tcp', 1),
      drive(sessions.users.bob, 'grpc', 2),
      drive(sessions.users.bob, 'tcp', 3),
    ]);
  } finally {
    // Quota or time used up before the seeded moment: kill now (idle server).
    kill();
    for (const st of streams) st.cancel();
  }
  return { answers, inFlightAtKill };
}
