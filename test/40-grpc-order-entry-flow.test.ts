/**
 * OrderEntry flow control with real grpc-js clients and small limits: many
 * pipelined requests still get exactly one ack each, in order (acks leave in
 * batches, reading pauses and resumes); a client that stops reading gets
 * bounded engine work done for it, and every ack once it reads again.
 */
import { expect } from 'chai';
import { credentials } from '@grpc/grpc-js';
import { OrderEntryRequest, OrderRequest, OrderSide, OrderType, StockServiceClient, type OrderEntryAck, type OrderEntryResponse } from '../gen/aurex/stock/v1/stock.ts';
import { setSweepInterval } from '../gateway-grpc/stream-writer.ts';
import { startGrpcHarness, type GrpcHarness, type GrpcUser } from './support/grpc-harness.ts';
import { collect, within } from './support/grpc-expect.ts';
import { StallProxy } from './support/grpc-stall-proxy.ts';

const INFLIGHT = 64;
const WINDOW = 32;
const MAX_QUEUED = 128;

let n = 0;
const submit = (requestId: number, side: OrderSide) =>
  OrderEntryRequest.fromPartial({
    requestId: BigInt(requestId),
    command: {
      $case: 'submit',
      value: OrderRequest.fromPartial({ orderId: `fl-${process.pid}-${++n}`, symbol: 'AAPL', side, type: OrderType.LIMIT, quantity: 1n, price: 228.5 }),
    },
  });
const acksOf = (items: OrderEntryResponse[]) => items.filter((m) => m.event?.$case === 'ack').map((m) => (m.event as { value: OrderEntryAck }).value);

describe('40 grpc gateway: OrderEntry flow control', function () {
  let h: GrpcHarness;
  let u: GrpcUser;

  before(async () => {
    setSweepInterval(20);
    h = await startGrpcHarness({ limits: { stuckMs: 300, window: 16, maxQueued: MAX_QUEUED, orderEntryInflight: INFLIGHT, orderEntryWindow: WINDOW } });
    u = await h.user({ cash: 1e12, positions: { AAPL: 10_000_000 } });
  });
  after(async () => {
    setSweepInterval(250);
    await h?.close();
  });

  it('answers 5,000 pipelined requests exactly once each, in order, far beyond the in-flight limit', async () => {
    const c = h.stock();
    try {
      const s = c.orderEntry(u.md);
      const got = collect(s);
      const total = 5000;
      for (let i = 1; i <= total; i++) s.write(submit(i, i % 2 ? OrderSide.SELL : OrderSide.BUY));
      s.end();
      const e = await within(got.ended, 30_000, 'OrderEntry end');
      expect(e).to.equal(null);
      const acks = acksOf(got.items);
      expect(acks.length).to.equal(total);
      acks.forEach((a, i) => {
        expect(a.requestId).to.equal(BigInt(i + 1));
        expect(a.code, a.reason).to.equal(0);
      });
      // buys and sells at one price from one account never cross (self-trade): all accepted and resting
      expect(acks.every((a) => a.exchangeOrderId > 0n && a.seq > 0n)).to.equal(true);
    } finally {
      c.close();
    }
  });

  it('does bounded work for a client that stops reading its acks, and answers everything once it reads again', async () => {
    const proxy = new StallProxy(h.port);
    await proxy.listen();
    const slow = new StockServiceClient(`127.0.0.1:${proxy.port}`, credentials.createInsecure());
    try {
      const s = slow.orderEntry(u.md);
      const got = collect(s);
      s.write(submit(1, OrderSide.BUY));
      await got.next(1);
      const seq0 = h.core.lastSeq();
      proxy.stall();
      const total = 20_000;
      for (let i = 2; i <= total; i++) s.write(submit(i, i % 2 ? OrderSide.SELL : OrderSide.BUY));
      // HTTP/2 flow control (the server's reads pause, WINDOW_UPDATEs stop reaching the client) bounds
      // what the engine executes for a client that reads nothing
      // wait (bounded) until the server stopped executing: no progress for 300 ms
      let executed = -1;
      for (let i = 0; i < 30 && h.core.lastSeq() - seq0 !== executed; i++) {
        executed = h.core.lastSeq() - seq0;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(executed).to.be.greaterThan(0);
      expect(executed).to.be.lessThan(total / 4);
      proxy.unstall();
      s.end();
      const e = await within(got.ended, 30_000, 'OrderEntry end');
      expect(e).to.equal(null);
      const acks = acksOf(got.items);
      expect(acks.length).to.equal(total);
      acks.forEach((a, i) => expect(a.requestId).to.equal(BigInt(i + 1)));
    } finally {
      slow.close();
      await proxy.close();
    }
  });
});
