/**
 * 50 concurrent TCP clients (50 accounts) submit crossing orders with many
 * in flight for a bounded while; then every order must have exactly one
 * acknowledgement, and each order's fills from the execution reports must add
 * up to what the engine traded.
 */
import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import type { ExecutionReportMsg, OrderResponseMsg } from '../gateway-tcp/client.ts';
import { TcpClient } from '../gateway-tcp/client.ts';
import { Rng } from './support/tcp-random.ts';
import { TcpStack, waitFor, type TestUser } from './support/tcp-harness.ts';

const CLIENTS = 50;
const ORDERS_PER_CLIENT = 400;
const WINDOW = 16;
const MAX_MS = 8000;

describe('50 tcp many clients', function () {
  let stack: TcpStack;

  before(async () => {
    stack = await TcpStack.start({
      core: {
        retainTerminalOrders: 100_000,
        retainTrades: 100_000,
        execHistory: 100_000,
        market: {
          symbols: [
            { symbol: 'XYZ', name: 'X', tickSize: 1, lotSize: 1, referencePrice: 10_000, bandPercent: 10, maxOrderQty: 1_000_000, maxOrderNotional: 100_000_000_000 },
          ],
          indices: [],
        },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it(`${CLIENTS} clients trading at once: one ack per order, fills add up to the engine's trades`, async () => {
    const users: TestUser[] = [];
    for (let i = 0; i < CLIENTS; i++) users.push(await stack.user(`many${i}`));
    const clients = await Promise.all(users.map((u) => stack.client(u)));
    const fills = new Map<number, number>(); // orderId -> sum of FILL lastQty over all reports
    let fillReports = 0;
    for (const c of clients) {
      c.on('execReport', (r: ExecutionReportMsg) => {
        if (r.kind !== 'FILL') return;
        fillReports++;
        fills.set(r.orderId, (fills.get(r.orderId) ?? 0) + r.lastQty);
      });
    }
    const acks = clients.map(() => new Map<number, OrderResponseMsg>());
    const deadline = Date.now() + MAX_MS;

    async function run(k: number, c: TcpClient): Promise<number> {
      const rng = new Rng(1000 + k);
      let next = 1;
      let inFlight = 0;
      let done = 0;
      return new Promise<number>((resolve, reject) => {
        const pump = (): void => {
          while (inFlight < WINDOW && next <= ORDERS_PER_CLIENT && Date.now() < deadline) {
            const id = next++;
            inFlight++;
            const side = rng.bool() ? 'BUY' : 'SELL';
            // Prices straddle the mid so most orders cross something.
            const price = 10_000 + (side === 'BUY' ? rng.range(-2, 3) : rng.range(-3, 2));
            c.submitCb({ clientOrderId: id, symbol: 'XYZ', side, price, qty: rng.range(1, 10) }, (err, res) => {
              inFlight--;
              done++;
              if (err) return reject(err);
              if (acks[k]!.has(res!.corrId)) return reject(new Error(`duplicate ack ${k}/${res!.corrId}`));
              acks[k]!.set(res!.corrId, res!);
              pump();
            });
          }
          if (inFlight === 0) resolve(next - 1);
        };
        pump();
      });
    }
    const sentPerClient = await Promise.all(clients.map((c, k) => run(k, c)));
    const totalSent = sentPerClient.reduce((a, b) => a + b, 0);
    expect(totalSent).to.be.greaterThan(CLIENTS * 10);

    // Exactly one acknowledgement per order, none unmatched.
    for (let k = 0; k < CLIENTS; k++) {
      expect(acks[k]!.size).to.equal(sentPerClient[k]);
      for (let id = 1; id <= sentPerClient[k]!; id++) expect(acks[k]!.has(id), `ack ${k}/${id}`).to.equal(true);
      expect(clients[k]!.unmatchedResponses).to.equal(0);
      expect(clients[k]!.inFlight).to.equal(0);
    }
    const allAcks = acks.flatMap((m) => [...m.values()]);
    expect(allAcks.every((a) => a.code === Code.OK), 'all orders accepted').to.equal(true);

    // Execution reports add up to the engine: per order, and in total (each trade has two sides).
    const engineFilled = new Map<number, number>();
    let tradeQty = 0;
    for (let k = 0; k < CLIENTS; k++) {
      for (const a of acks[k]!.values()) {
        const o = stack.core.getOrder(users[k]!.accountId, { orderId: a.orderId })!;
        expect(o, `order ${a.orderId}`).to.not.equal(undefined);
        engineFilled.set(a.orderId, o.filledQty);
        const tq = stack.core.orderTrades(a.orderId).reduce((s, t) => s + t.qty, 0);
        expect(tq, `trades of order ${a.orderId}`).to.equal(o.filledQty);
        tradeQty += tq;
      }
    }
    expect(tradeQty, 'some orders traded').to.be.greaterThan(0);
    const expectedFilledTotal = [...engineFilled.values()].reduce((a, b) => a + b, 0);
    await waitFor(
      () => [...fills.values()].reduce((a, b) => a + b, 0) >= expectedFilledTotal,
      10_000,
      'all fill reports',
    );
    for (const [orderId, q] of engineFilled) expect(fills.get(orderId) ?? 0, `fills of order ${orderId}`).to.equal(q);
    expect([...fills.keys()].every((id) => engineFilled.has(id))).to.equal(true);
    expect(fillReports).to.be.greaterThan(0);
    for (const c of clients) c.destroy();
  });
});
