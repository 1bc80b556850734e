/**
 * The metrics wrapper around the engine (server/metrics.ts instrumentExchange):
 * it pairs every result with its own command and caller without a closure per
 * command, relying on ExchangeApi.execute's contract (exactly one callback per
 * call, in call order), and counts what it saw.
 */
import { expect } from 'chai';
import { ExchangeCore } from '../engine/core.ts';
import { Code } from '../engine/codes.ts';
import type { Command, CommandResult } from '../engine/types.ts';
import { Metrics, instrumentExchange } from '../server/metrics.ts';
import { rng } from './support/durability-workload.ts';

describe('70 server: metrics wrapper', () => {
  it('hands every caller the result of its own command, in call order, across groups and growth of its ring', async () => {
    const core = new ExchangeCore({ indexIntervalMs: 0, maxOrdersPerSecond: 1e9 });
    const metrics = new Metrics({ defaultMetrics: false });
    const ex = instrumentExchange(core, metrics);
    for (let a = 1; a <= 4; a++) {
      const r = await ex.executeAsync({ type: 'createAccount', accountId: a, cash: 1e12, positions: { AAPL: 1e6 } });
      expect(r.code).to.equal(Code.OK);
    }
    const r = rng(70);
    const order: number[] = [];
    const pending: Promise<void>[] = [];
    let expectOk = 0;
    let expectRejected = 0;
    // several event-loop turns of 700 commands each: more in flight than the ring's first size
    for (let turn = 0; turn < 5; turn++) {
      for (let k = 0; k < 700; k++) {
        const i = turn * 700 + k;
        const kind = r();
        let cmd: Command;
        let check: (res: CommandResult) => void;
        if (kind < 0.6) {
          const cid = `m${i}`;
          cmd = { type: 'new', accountId: 1 + (i % 4), clientOrderId: cid, symbol: 'AAPL', side: i % 2 ? 'BUY' : 'SELL', kind: 'LIMIT', price: 22_850 + ((i % 7) - 3), qty: 1 + (i % 5) };
          check = (res) => {
            expect(res.code, cid).to.equal(Code.OK);
            expect(res.order!.clientOrderId).to.equal(cid);
          };
          expectOk++;
        } else if (kind < 0.8) {
          // refused at the edge: a client order id with a space
          cmd = { type: 'new', accountId: 1, clientOrderId: `bad ${i}`, symbol: 'AAPL', side: 'BUY', kind: 'LIMIT', price: 22_850, qty: 1 };
          check = (res) => expect(res.code).to.equal(Code.INVALID_CLIENT_ORDER_ID);
          expectRejected++;
        } else {
          const id = 10_000_000 + i;
          cmd = { type: 'cancel', accountId: 2, orderId: id };
          check = (res) => expect(res.code, `cancel ${id}`).to.equal(Code.UNKNOWN_ORDER);
          expectRejected++;
        }
        pending.push(
          new Promise<void>((resolve, reject) =>
            ex.execute(cmd, (res) => {
              order.push(i);
              try {
                check(res);
                resolve();
              } catch (e) {
                reject(e);
              }
            }),
          ),
        );
      }
      if (turn % 2 === 1) await new Promise((res) => setImmediate(res));
    }
    await Promise.all(pending);
    expect(order).to.deep.equal(order.slice().sort((a, b) => a - b));
    expect(order.length).to.equal(3500);
    const text = await metrics.registry.metrics();
    const count = (type: string, result: string): number => Number(new RegExp(`aurex_commands_total\\{type="${type}",result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('new', 'ok') + count('cancel', 'ok')).to.equal(expectOk);
    expect(count('new', 'rejected') + count('cancel', 'rejected')).to.equal(expectRejected);
    expect(count('createAccount', 'ok')).to.equal(4);
    core.close();
    core.exchange.close();
  });
});
