/**
 * The gRPC gateway's streams end to end with real grpc-js clients: execution
 * reports (with resume), trades, market data (snapshot first, one encoding per
 * update), index streams, the OrderEntry bidi stream, slow consumers, client
 * cancellation, token revocation, health, reflection and graceful shutdown.
 */
import { expect } from 'chai';
import path from 'node:path';
import { credentials, loadPackageDefinition, status, type ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import {
  ExecType,
  OrderEntryRequest,
  OrderRequest,
  OrderSide,
  OrderStatus,
  OrderType,
  RankBy,
  StockServiceClient,
  type OrderEntryAck,
  type OrderEntryResponse,
} from '../gen/aurex/stock/v1/stock.ts';
import { Code } from '../engine/codes.ts';
import { setSweepInterval } from '../gateway-grpc/stream-writer.ts';
import { call, startGrpcHarness, type GrpcHarness, type GrpcUser } from './support/grpc-harness.ts';
import { collect, expectStatus, until, within } from './support/grpc-expect.ts';
import { StallProxy } from './support/grpc-stall-proxy.ts';

let n = 0;
const oid = () => `st-${process.pid}-${++n}`;
const order = (p: Partial<OrderRequest>) =>
  OrderRequest.fromPartial({ orderId: oid(), symbol: 'AAPL', side: OrderSide.BUY, type: OrderType.LIMIT, quantity: 10n, price: 228.5, ...p });

describe('40 grpc gateway: streams (real stack)', function () {
  let h: GrpcHarness;
  let c: StockServiceClient;
  let alice: GrpcUser;
  let bob: GrpcUser;
  const submit = (u: GrpcUser, r: OrderRequest) => call(c.submitOrder.bind(c), r, u.md);

  before(async () => {
    setSweepInterval(20);
    h = await startGrpcHarness({ limits: { stuckMs: 300, marketDataWindow: 4, window: 16, maxQueued: 64 } });
    c = h.stock();
    alice = await h.user({ positions: { AAPL: 100_000, MSFT: 100_000, NVDA: 100_000 } });
    bob = await h.user({ positions: { AAPL: 100_000, MSFT: 100_000, NVDA: 100_000 } });
  });
  after(async () => {
    setSweepInterval(250);
    await h?.close();
  });

  it('streams execution reports live and resumes from a sequence', async () => {
    const s = collect(c.streamExecutions({ fromSeq: 0n }, alice.md));
    await until(() => h.gateway.activeStreams > 0, 2000, 'stream registered');
    const r = order({ side: OrderSide.SELL, price: 229 });
    await submit(alice, r);
    await submit(bob, order({ price: 229, quantity: 4n }));
    const items = await s.next(2);
    expect(items[0]!.clientOrderId).to.equal(r.orderId);
    expect(items[0]!.execType).to.equal(ExecType.ACCEPTED);
    expect(items[1]!.execType).to.equal(ExecType.FILL);
    expect(items[1]!.lastQuantity).to.equal(4n);
    expect(items[1]!.lastPrice).to.equal(229);
    expect(items[1]!.accountSeq).to.equal(items[0]!.accountSeq + 1n);
    s.items.length; // keep
    const first = items[0]!.accountSeq;
    const resumed = collect(c.streamExecutions({ fromSeq: first }, alice.md));
    const again = await resumed.next(1);
    expect(again[0]!.accountSeq).to.equal(first + 1n);
    const all = collect(c.streamExecutions({ fromSeq: -1n }, alice.md));
    const everything = await all.next(2);
    expect(everything[0]!.accountSeq).to.equal(1n);
    await expectStatus(collect(c.streamExecutions({ fromSeq: -5n }, alice.md)).ended.then((e) => Promise.reject(e)), status.INVALID_ARGUMENT);
  });

  it('streams public trades', async () => {
    const s = collect(c.streamTrades({ symbols: ['MSFT'] }, alice.md));
    await until(() => h.gateway.activeStreams > 0, 2000, 'stream registered');
    await new Promise((r) => setTimeout(r, 20));
    await submit(alice, order({ symbol: 'MSFT', side: OrderSide.SELL, price: 415, quantity: 3n }));
    await submit(bob, order({ symbol: 'MSFT', price: 415, quantity: 3n }));
    const t = (await s.next(1))[0]!;
    expect(t.symbol).to.equal('MSFT');
    expect(t.priceTicks).to.equal(41500n);
    expect(t.quantity).to.equal(3n);
    expect(t.aggressor).to.equal(OrderSide.BUY);
    await expectStatus(collect(c.streamTrades({ symbols: ['NOPE'] }, alice.md)).ended.then((e) => Promise.reject(e)), status.NOT_FOUND, 'UNKNOWN_SYMBOL');
  });

  it('streams market data: a snapshot first, then updates, the same bytes for every subscriber', async () => {
    const a = collect(c.streamMarketData({ symbols: ['NVDA'], depth: 0 }, alice.md));
    const b = collect(c.streamMarketData({ symbols: ['NVDA'], depth: 0 }, bob.md));
    const [snapA] = await a.next(1);
    await b.next(1);
    expect(snapA!.snapshot).to.equal(true);
    expect(snapA!.symbol).to.equal('NVDA');
    const enc0 = h.gateway.hub.stats.encodings;
    const del0 = h.gateway.hub.stats.deliveries;
    await submit(alice, order({ symbol: 'NVDA', side: OrderSide.SELL, price: 136.01, quantity: 7n }));
    const ua = (await a.next(2))[1]!;
    const ub = (await b.next(2))[1]!;
    expect(ua.snapshot).to.equal(false);
    expect(ua.asks[0]!.priceTicks).to.equal(13601n);
    expect(ua.asks[0]!.price).to.equal(136.01);
    expect(ua.mdSeq > snapA!.mdSeq).to.equal(true);
    expect(ub).to.deep.equal(ua);
    // two deliveries, one encoding
    expect(h.gateway.hub.stats.deliveries - del0).to.equal(2);
    expect(h.gateway.hub.stats.encodings - enc0).to.equal(1);
    await expectStatus(collect(c.streamMarketData({ symbols: [], depth: 0 }, alice.md)).ended.then((e) => Promise.reject(e)), status.INVALID_ARGUMENT, 'MISSING_FIELD');
    await expectStatus(collect(c.streamMarketData({ symbols: ['AAPL'], depth: 500 }, alice.md)).ended.then((e) => Promise.reject(e)), status.INVALID_ARGUMENT);
  });

  it('streams the top-stocks leaderboard, every stock, and an index', async () => {
    const top = collect(c.streamTopIndex({ topN: 3, rankBy: RankBy.VOLUME, intervalMs: 100 }, alice.md));
    const first = (await top.next(1))[0]!;
    expect(first.stocks.length).to.be.at.most(3);
    expect(first.indexName).to.equal('TOP10');
    const all = collect(c.streamAllStocks({ intervalMs: 100 }, alice.md));
    const snap = (await all.next(1))[0]!;
    expect(snap.snapshot).to.equal(true);
    expect(snap.stocks.map((q) => q.symbol)).to.include('AAPL');
    await submit(alice, order({ symbol: 'MSFT', side: OrderSide.SELL, price: 415.5, quantity: 1n }));
    const upd = (await all.next(2))[1]!;
    expect(upd.snapshot).to.equal(false);
    expect(upd.stocks.map((q) => q.symbol)).to.deep.equal(['MSFT']);
    const idx = collect(c.streamMarketIndex({ indexName: 'TOP10' }, alice.md));
    const v = (await idx.next(1))[0]!;
    expect(v.indexName).to.equal('TOP10');
    expect(v.constituents.length).to.be.greaterThan(0);
    await expectStatus(collect(c.streamMarketIndex({ indexName: 'NOPE' }, alice.md)).ended.then((e) => Promise.reject(e)), status.NOT_FOUND, 'UNKNOWN_INDEX');
    await expectStatus(collect(c.streamTopIndex({ topN: 3, rankBy: RankBy.VOLUME, intervalMs: 5 }, alice.md)).ended.then((e) => Promise.reject(e)), status.INVALID_ARGUMENT);
    for (const s of [top, all, idx]) void s;
  });

  it('OrderEntry: one ack per request in order, errors as acks, execution reports on request', async () => {
    const s = c.orderEntry(alice.md);
    const got: OrderEntryResponse[] = [];
    const ended = new Promise<ServiceError | null>((resolve) => {
      s.on('error', (e: ServiceError) => resolve(e));
      s.on('end', () => resolve(null));
    });
    s.on('data', (m: OrderEntryResponse) => got.push(m));
    const acks = () => got.filter((m) => m.event?.$case === 'ack').map((m) => (m.event as { $case: 'ack'; value: import('../gen/aurex/stock/v1/stock.ts').OrderEntryAck }).value);
    s.write(OrderEntryRequest.fromPartial({ requestId: 1n, command: { $case: 'subscribeExecutions', value: { fromSeq: 0n } } }));
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = order({ side: OrderSide.SELL, price: 230 + (i % 10) * 0.01, quantity: 1n });
      ids.push(r.orderId);
      s.write(OrderEntryRequest.fromPartial({ requestId: BigInt(i + 2), command: { $case: 'submit', value: r } }));
    }
    s.write(OrderEntryRequest.fromPartial({ requestId: 500n, command: { $case: 'submit', value: order({ price: NaN }) } }));
    s.write(OrderEntryRequest.fromPartial({ requestId: 501n, command: { $case: 'cancel', value: { clientOrderId: ids[0]!, exchangeOrderId: 0n, userId: '' } } }));
    s.write(OrderEntryRequest.fromPartial({ requestId: 502n, command: { $case: 'submit', value: order({ orderId: ids[1]!, side: OrderSide.SELL, price: 230 }) } }));
    s.write(OrderEntryRequest.fromPartial({ requestId: 503n }));
    s.end();
    const status0 = await within(ended, 10_000, 'OrderEntry end');
    expect(status0).to.equal(null);
    const a = acks();
    expect(a.map((x) => x.requestId)).to.deep.equal([1n, ...ids.map((_, i) => BigInt(i + 2)), 500n, 501n, 502n, 503n]);
    expect(a[1]!.clientOrderId).to.equal(ids[0]);
    expect(a[1]!.status).to.equal(OrderStatus.OPEN);
    expect(a[201]!.reason).to.equal('INVALID_PRICE');
    expect(a[201]!.grpcStatus).to.equal(status.INVALID_ARGUMENT);
    expect(a[202]!.status).to.equal(OrderStatus.CANCELLED);
    expect(a[203]!.reason).to.equal('DUPLICATE_CLIENT_ORDER_ID');
    expect(a[203]!.grpcStatus).to.equal(status.ALREADY_EXISTS);
    expect(a[204]!.reason).to.equal('MISSING_FIELD');
    const execs = got.filter((m) => m.event?.$case === 'execution');
    expect(execs.length).to.be.at.least(201); // 200 accepted + 1 cancelled
  });

  it('OrderEntry: an oversized or malformed order id is refused and not echoed in the ack; a valid one still is', async () => {
    const s = c.orderEntry(alice.md);
    const got = collect(s);
    const huge = 'x'.repeat(512 * 1024); // well inside the 1 MiB receive limit, so it reaches the handler
    const bad = [huge, 'y'.repeat(65), 'has space', 'é'.repeat(40), 'nul\u0000id'];
    let rid = 0n;
    for (const id of bad) s.write(OrderEntryRequest.fromPartial({ requestId: ++rid, command: { $case: 'submit', value: order({ orderId: id }) } }));
    s.write(OrderEntryRequest.fromPartial({ requestId: ++rid, command: { $case: 'cancel', value: { clientOrderId: huge, exchangeOrderId: 0n, userId: '' } } }));
    s.write(
      OrderEntryRequest.fromPartial({
        requestId: ++rid,
        command: { $case: 'replace', value: { clientOrderId: huge, exchangeOrderId: 0n, userId: '', newPrice: 229, newPriceTicks: 0n, newQuantity: 1n } },
      }),
    );
    const validId = oid();
    s.write(OrderEntryRequest.fromPartial({ requestId: ++rid, command: { $case: 'submit', value: order({ orderId: validId, symbol: 'NOPE' }) } }));
    s.end();
    expect(await within(got.ended, 10_000, 'OrderEntry end')).to.equal(null);
    const acks = got.items.filter((m) => m.event?.$case === 'ack').map((m) => (m.event as { $case: 'ack'; value: OrderEntryAck }).value);
    expect(acks.map((a) => a.requestId)).to.deep.equal(Array.from({ length: Number(rid) }, (_, i) => BigInt(i + 1)));
    for (const a of acks.slice(0, bad.length + 2)) {
      expect(a.reason, `request ${a.requestId}`).to.equal('INVALID_CLIENT_ORDER_ID');
      expect(a.code).to.equal(Code.INVALID_CLIENT_ORDER_ID);
      expect(a.grpcStatus).to.equal(status.INVALID_ARGUMENT);
      expect(a.clientOrderId, `request ${a.requestId}`).to.equal('');
    }
    const last = acks[acks.length - 1]!;
    expect(last.reason).to.equal('UNKNOWN_SYMBOL');
    expect(last.clientOrderId).to.equal(validId);
  });

  it('OrderEntry refuses an unauthenticated stream and a readonly user', async () => {
    const ro = await h.user({ role: 'readonly' });
    for (const md of [new (await import('@grpc/grpc-js')).Metadata(), ro.md]) {
      const s = c.orderEntry(md);
      const ended = new Promise<ServiceError>((resolve) => s.on('error', resolve));
      s.on('data', () => undefined);
      s.write(OrderEntryRequest.fromPartial({ requestId: 1n, command: { $case: 'submit', value: order({}) } }));
      const e = await within(ended, 5000, 'stream refused');
      expect([status.UNAUTHENTICATED, status.PERMISSION_DENIED]).to.include(e.code);
    }
  });

  it('closes a stream whose token is revoked with UNAUTHENTICATED', async () => {
    const u = await h.user({});
    const s = collect(c.streamExecutions({ fromSeq: 0n }, u.md));
    const m = collect(c.streamMarketData({ symbols: ['AAPL'], depth: 0 }, u.md));
    await m.next(1);
    await h.auth.revokeSessions(u.userId);
    const e1 = await within(s.ended, 5000, 'executions closed');
    const e2 = await within(m.ended, 5000, 'market data closed');
    expect(e1!.code).to.equal(status.UNAUTHENTICATED);
    expect(e1!.metadata.get('x-aurex-reason')[0]).to.equal('TOKEN_REVOKED');
    expect(e2!.code).to.equal(status.UNAUTHENTICATED);
  });

  it('stops the producer when the client cancels a stream', async () => {
    const before = h.gateway.activeStreams;
    const s = c.streamMarketData({ symbols: ['AAPL', 'MSFT'], depth: 0 }, bob.md);
    const got = collect(s);
    await got.next(2);
    expect(h.gateway.activeStreams).to.equal(before + 1);
    s.cancel();
    await until(() => h.gateway.activeStreams === before, 5000, 'stream released');
    const d0 = h.gateway.hub.stats.deliveries;
    await submit(alice, order({ symbol: 'AAPL', side: OrderSide.SELL, price: 231.77, quantity: 1n }));
    await new Promise((r) => setTimeout(r, 50));
    // other subscribers may exist (earlier tests' streams were closed too): nothing reaches the cancelled one
    expect(got.items.length).to.equal(2);
    void d0;
  });

  it('conflates market data for a slow client and closes it with RESOURCE_EXHAUSTED when it stays stuck', async () => {
    const u = await h.user({ positions: { AAPL: 1_000_000 } });
    const proxy = new StallProxy(h.port);
    await proxy.listen();
    const slowClient = new StockServiceClient(`127.0.0.1:${proxy.port}`, credentials.createInsecure());
    try {
      const s = slowClient.streamMarketData({ symbols: ['AAPL'], depth: 50 }, u.md);
      const got = collect(s);
      await got.next(1);
      const before = h.gateway.activeStreams;
      proxy.stall();
      let changes = 0;
      // bounded: at most 20,000 book changes; stop as soon as the server gave up on the stream
      while (changes < 20_000 && h.gateway.activeStreams === before) {
        const batch = [];
        for (let i = 0; i < 5; i++) batch.push(submit(u, order({ side: OrderSide.SELL, price: 232 + (changes++ % 50) * 0.01, quantity: 1n })));
        await Promise.all(batch);
      }
      await until(() => h.gateway.activeStreams < before, 5000, 'slow stream closed');
      proxy.unstall();
      const e = await within(got.ended, 10_000, 'client sees the end');
      expect(e!.code).to.equal(status.RESOURCE_EXHAUSTED);
      // conflated: far fewer messages than book changes reached the client
      expect(got.items.length).to.be.lessThan(changes);
    } finally {
      slowClient.close();
      await proxy.close();
    }
  });

  it('serves health checks and server reflection', async () => {
    const hd = protoLoader.loadSync(healthProtoPath, { keepCase: true, longs: String, enums: String, defaults: true });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const Health = (loadPackageDefinition(hd) as any).grpc.health.v1.Health;
    const hc = new Health(h.address, credentials.createInsecure());
    const r = await new Promise<{ status: string }>((resolve, reject) =>
      hc.check({ service: 'aurex.stock.v1.StockService' }, (e: Error | null, v: { status: string }) => (e ? reject(e) : resolve(v))),
    );
    expect(r.status).to.equal('SERVING');
    h.gateway.setReady(false);
    const r2 = await new Promise<{ status: string }>((resolve, reject) => hc.check({ service: '' }, (e: Error | null, v: { status: string }) => (e ? reject(e) : resolve(v))));
    expect(r2.status).to.equal('NOT_SERVING');
    h.gateway.setReady(true);
    hc.close();

    const reflProto = path.resolve('node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const rd = protoLoader.loadSync(reflProto, { keepCase: true, longs: String, enums: String, defaults: true });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const Refl = (loadPackageDefinition(rd) as any).grpc.reflection.v1.ServerReflection;
    const rc = new Refl(h.address, credentials.createInsecure());
    const st = rc.ServerReflectionInfo();
    const resp = await within(
      new Promise<{ list_services_response: { service: { name: string }[] } }>((resolve, reject) => {
        st.on('data', resolve);
        st.on('error', reject);
        st.write({ list_services: '' });
      }),
      5000,
      'reflection',
    );
    st.end();
    rc.close();
    const names = resp.list_services_response.service.map((x) => x.name);
    expect(names).to.include.members(['aurex.stock.v1.StockService', 'aurex.auth.v1.AuthService', 'aurex.admin.v1.AdminService']);
  });

  it('shuts down gracefully: streams end with UNAVAILABLE, new calls are refused', async () => {
    const h2 = await startGrpcHarness();
    try {
      const c2 = h2.stock();
      const u = await h2.user({});
      const s = collect(c2.streamExecutions({ fromSeq: 0n }, u.md));
      const oe = c2.orderEntry(u.md);
      const oeEnd = new Promise<ServiceError | null>((resolve) => {
        oe.on('error', resolve);
        oe.on('end', () => resolve(null));
      });
      oe.on('data', () => undefined);
      await until(() => h2.gateway.activeStreams === 2, 5000, 'streams open');
      await h2.gateway.close(3000);
      const e = await within(s.ended, 5000, 'stream ended');
      expect(e!.code).to.equal(status.UNAVAILABLE);
      expect(e!.metadata.get('x-aurex-reason')[0]).to.equal('SHUTTING_DOWN');
      const e2 = await within(oeEnd, 5000, 'order entry ended');
      expect(e2!.code).to.equal(status.UNAVAILABLE);
      const fresh = h2.stock();
      await expectStatus(call(fresh.listSymbols.bind(fresh), {}, u.md, 2000), status.UNAVAILABLE);
    } finally {
      await h2.close();
    }
  });
});

describe('40 grpc streams: OrderEntry under the per-account order rate', function () {
  this.timeout(60_000);
  let h: GrpcHarness;

  before(async () => {
    h = await startGrpcHarness({}, { ordersPerSecond: 5 });
  });
  after(async () => {
    await h?.close();
  });

  it('answers the orders past the rate with RATE_LIMITED acks (RESOURCE_EXHAUSTED) and keeps the stream open', async () => {
    const c = h.stock();
    const u = await h.user({ positions: { AAPL: 100_000 } });
    const s = c.orderEntry(u.md);
    const got: OrderEntryResponse[] = [];
    const ended = new Promise<ServiceError | null>((resolve) => {
      s.on('error', (e: ServiceError) => resolve(e));
      s.on('end', () => resolve(null));
    });
    s.on('data', (m: OrderEntryResponse) => got.push(m));
    for (let i = 0; i < 20; i++) {
      s.write(OrderEntryRequest.fromPartial({ requestId: BigInt(i + 1), command: { $case: 'submit', value: order({ side: OrderSide.SELL, price: 240 + i * 0.01, quantity: 1n }) } }));
    }
    s.end();
    expect(await within(ended, 10_000, 'OrderEntry end')).to.equal(null);
    const acks = got.filter((m) => m.event?.$case === 'ack').map((m) => (m.event as { $case: 'ack'; value: OrderEntryAck }).value);
    expect(acks.map((a) => a.requestId)).to.deep.equal(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    const limited = acks.filter((a) => a.reason === 'RATE_LIMITED');
    const accepted = acks.filter((a) => a.code === Code.OK);
    expect(accepted.length, 'the first orders of the second pass').to.be.within(1, 6);
    expect(limited.length).to.equal(20 - accepted.length);
    for (const a of limited) {
      expect(a.code).to.equal(Code.RATE_LIMITED);
      expect(a.grpcStatus).to.equal(status.RESOURCE_EXHAUSTED);
      expect(a.exchangeOrderId).to.equal(0n);
    }
  });
});
