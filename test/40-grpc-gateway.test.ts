/**
 * The gRPC gateway's unary RPCs end to end: a real grpc-js client against the
 * real GrpcGateway (real ExchangeCore, real AuthManager) on 127.0.0.1 port 0.
 * Order entry, queries, auth failures, other users' orders, malformed input,
 * AuthService and AdminService.
 */
import { expect } from 'chai';
import { credentials, Client, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { totpCode } from '../engine/auth/index.ts';
import {
  OrderRequest,
  OrderSide,
  OrderStatus,
  OrderType,
  type StockServiceClient,
} from '../gen/aurex/stock/v1/stock.ts';
import { Role } from '../gen/aurex/auth/v1/auth.ts';
import { bearer, call, PASSWORD, startGrpcHarness, type GrpcHarness, type GrpcUser } from './support/grpc-harness.ts';
import { expectStatus } from './support/grpc-expect.ts';

let n = 0;
const oid = () => `cl-${process.pid}-${++n}`;

function order(p: Partial<OrderRequest>): OrderRequest {
  return OrderRequest.fromPartial({ orderId: oid(), symbol: 'AAPL', side: OrderSide.BUY, type: OrderType.LIMIT, quantity: 10n, price: 228.5, ...p });
}

describe('40 grpc gateway: unary RPCs (real stack)', function () {
  let h: GrpcHarness;
  let c: StockServiceClient;
  let alice: GrpcUser;
  let bob: GrpcUser;

  const submit = (u: GrpcUser, r: OrderRequest) => call(c.submitOrder.bind(c), r, u.md);

  before(async () => {
    h = await startGrpcHarness();
    c = h.stock();
    alice = await h.user({ cash: 10_000_000, positions: { AAPL: 1000, MSFT: 1000 } });
    bob = await h.user({ cash: 10_000_000, positions: { AAPL: 1000, MSFT: 1000 } });
  });
  after(async () => h?.close());

  it('submits an order, echoes the client order id, and reports its status', async () => {
    const r = order({ side: OrderSide.SELL, price: 229.13 });
    const res = await submit(alice, r);
    expect(res.orderId).to.equal(r.orderId);
    expect(res.status).to.equal(OrderStatus.OPEN);
    expect(res.reason).to.equal('OK');
    expect(res.exchangeOrderId > 0n).to.equal(true);
    expect(res.remainingQuantity).to.equal(10n);

    const st = await call(c.orderStatus.bind(c), { orderId: r.orderId, userId: '', exchangeOrderId: 0n }, alice.md);
    expect(st.orderId).to.equal(r.orderId);
    expect(st.status).to.equal(OrderStatus.OPEN);
    expect(st.price).to.equal(229.13);
    expect(st.order!.priceTicks).to.equal(22913n);
    expect(st.quantity).to.equal(10n);
    const byId = await call(c.orderStatus.bind(c), { orderId: '', userId: alice.userId, exchangeOrderId: res.exchangeOrderId }, alice.md);
    expect(byId.orderId).to.equal(r.orderId);
  });

  it('fills crossing orders and reports fills, average price and trades', async () => {
    const sell = await submit(alice, order({ symbol: 'MSFT', side: OrderSide.SELL, price: 415.2, quantity: 5n }));
    expect(sell.status).to.equal(OrderStatus.OPEN);
    const buy = await submit(bob, order({ symbol: 'MSFT', side: OrderSide.BUY, priceTicks: 41520n, price: 0, quantity: 5n }));
    expect(buy.status).to.equal(OrderStatus.FILLED);
    expect(buy.filledQuantity).to.equal(5n);
    expect(buy.avgFillPrice).to.equal(415.2);
    expect(buy.fills).to.have.length(1);
    expect(buy.fills[0]!.priceTicks).to.equal(41520n);
    const trades = await call(c.getTrades.bind(c), { symbol: 'MSFT', limit: 0, afterTradeId: 0n, exchangeOrderId: 0n }, bob.md);
    expect(trades.trades.map((t) => t.exchangeOrderId)).to.include(buy.exchangeOrderId);
    const ofOrder = await call(c.getTrades.bind(c), { symbol: '', limit: 0, afterTradeId: 0n, exchangeOrderId: sell.exchangeOrderId }, alice.md);
    expect(ofOrder.trades).to.have.length(1);
    expect(ofOrder.trades[0]!.side).to.equal(OrderSide.SELL);
  });

  it('answers a business reject of a well-formed order as a REJECTED response', async () => {
    const poor = await h.user({ cash: 100 });
    const res = await submit(poor, order({ quantity: 1000n }));
    expect(res.status).to.equal(OrderStatus.REJECTED);
    expect(res.code).to.not.equal(0);
    expect(['INSUFFICIENT_BUYING_POWER', 'INSUFFICIENT_CASH']).to.include(res.reason);
  });

  it('refuses a reused client order id with ALREADY_EXISTS', async () => {
    const r = order({ price: 220 });
    await submit(alice, r);
    await expectStatus(submit(alice, r), status.ALREADY_EXISTS, 'DUPLICATE_CLIENT_ORDER_ID');
  });

  it('rejects malformed orders with INVALID_ARGUMENT / NOT_FOUND and a stable reason', async () => {
    await expectStatus(submit(alice, order({ orderId: '' })), status.INVALID_ARGUMENT, 'INVALID_CLIENT_ORDER_ID');
    await expectStatus(submit(alice, order({ orderId: 'has space' })), status.INVALID_ARGUMENT, 'INVALID_CLIENT_ORDER_ID');
    await expectStatus(submit(alice, order({ symbol: '' })), status.INVALID_ARGUMENT, 'INVALID_SYMBOL');
    await expectStatus(submit(alice, order({ symbol: 'NOPE' })), status.NOT_FOUND, 'UNKNOWN_SYMBOL');
    await expectStatus(submit(alice, order({ side: OrderSide.UNSPECIFIED })), status.INVALID_ARGUMENT, 'INVALID_SIDE');
    await expectStatus(submit(alice, order({ side: 7 as OrderSide })), status.INVALID_ARGUMENT, 'INVALID_SIDE');
    await expectStatus(submit(alice, order({ type: OrderType.UNSPECIFIED })), status.INVALID_ARGUMENT, 'INVALID_ORDER_TYPE');
    await expectStatus(submit(alice, order({ quantity: 0n })), status.INVALID_ARGUMENT, 'QUANTITY_NOT_POSITIVE');
    await expectStatus(submit(alice, order({ quantity: -5n })), status.INVALID_ARGUMENT, 'QUANTITY_NOT_POSITIVE');
    await expectStatus(submit(alice, order({ quantity: 2n ** 62n })), status.INVALID_ARGUMENT, 'INVALID_QUANTITY');
    await expectStatus(submit(alice, order({ quantity: 10_000_000n })), status.INVALID_ARGUMENT, 'QUANTITY_ABOVE_MAX');
    await expectStatus(submit(alice, order({ price: NaN })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ price: Infinity })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ price: -Infinity })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ price: -1 })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ price: 228.505 })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ price: 0.1 + 0.2 })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ price: 0 })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ price: 228.5, priceTicks: 22851n })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ type: OrderType.STOP, price: 0 })), status.INVALID_ARGUMENT, 'INVALID_STOP_PRICE');
    await expectStatus(submit(alice, order({ stopPrice: 200 })), status.INVALID_ARGUMENT, 'INVALID_STOP_PRICE');
    await expectStatus(submit(alice, order({ type: OrderType.IOC, postOnly: true })), status.INVALID_ARGUMENT, 'INVALID_ORDER_TYPE');
  });

  it('answers undecodable request bytes with INVALID_ARGUMENT and oversized ones with RESOURCE_EXHAUSTED', async () => {
    const raw = new Client(h.address, credentials.createInsecure());
    const pass = (b: Buffer) => b;
    const rawCall = (payload: Buffer) =>
      new Promise<unknown>((resolve, reject) =>
        raw.makeUnaryRequest('/aurex.stock.v1.StockService/SubmitOrder', pass, pass, payload, alice.md, {}, (err, v) => (err ? reject(err) : resolve(v))),
      );
    try {
      await expectStatus(rawCall(Buffer.from([0x0a, 0xff, 0xff, 0xff])), status.INVALID_ARGUMENT, 'MALFORMED_FRAME');
      await expectStatus(rawCall(Buffer.alloc(2 * 1024 * 1024, 1)), status.RESOURCE_EXHAUSTED);
    } finally {
      raw.close();
    }
  });

  it('requires a valid bearer token and the right role', async () => {
    await expectStatus(call(c.submitOrder.bind(c), order({}), new Metadata()), status.UNAUTHENTICATED, 'UNAUTHENTICATED');
    await expectStatus(call(c.submitOrder.bind(c), order({}), bearer('not-a-token')), status.UNAUTHENTICATED);
    const md = new Metadata();
    md.set('authorization', `Basic ${alice.token}`);
    await expectStatus(call(c.listSymbols.bind(c), {}, md), status.UNAUTHENTICATED);
    const ro = await h.user({ role: 'readonly' });
    await expectStatus(submit(ro, order({})), status.PERMISSION_DENIED, 'PERMISSION_DENIED');
    const syms = await call(c.listSymbols.bind(c), {}, ro.md);
    expect(syms.symbols.map((s) => s.symbol)).to.include('AAPL');
    await expectStatus(submit(alice, order({ userId: bob.userId })), status.PERMISSION_DENIED, 'PERMISSION_DENIED');
    const adm = h.admin();
    await expectStatus(call(adm.listUsers.bind(adm), {}, alice.md), status.PERMISSION_DENIED);
  });

  it("never shows or touches another user's order", async () => {
    const r = order({ price: 221 });
    const mine = await submit(alice, r);
    expect(mine.status).to.equal(OrderStatus.OPEN);
    await expectStatus(call(c.orderStatus.bind(c), { orderId: r.orderId, userId: '', exchangeOrderId: 0n }, bob.md), status.NOT_FOUND, 'UNKNOWN_ORDER');
    await expectStatus(
      call(c.orderStatus.bind(c), { orderId: '', userId: '', exchangeOrderId: mine.exchangeOrderId }, bob.md),
      status.NOT_FOUND,
      'UNKNOWN_ORDER',
    );
    await expectStatus(
      call(c.cancelOrder.bind(c), { clientOrderId: '', exchangeOrderId: mine.exchangeOrderId, userId: '' }, bob.md),
      status.NOT_FOUND,
      'UNKNOWN_ORDER',
    );
    await expectStatus(
      call(c.replaceOrder.bind(c), { clientOrderId: r.orderId, exchangeOrderId: 0n, userId: '', newPrice: 222, newPriceTicks: 0n, newQuantity: 5n }, bob.md),
      status.NOT_FOUND,
    );
    const st = await call(c.orderStatus.bind(c), { orderId: r.orderId, userId: '', exchangeOrderId: 0n }, alice.md);
    expect(st.status).to.equal(OrderStatus.OPEN);
  });

  it('cancels and replaces orders, lists open orders, and refuses cancelling twice', async () => {
    const r = order({ price: 210, quantity: 20n });
    const sub = await submit(alice, r);
    const rep = await call(
      c.replaceOrder.bind(c),
      { clientOrderId: r.orderId, exchangeOrderId: 0n, userId: '', newPrice: 211.5, newPriceTicks: 0n, newQuantity: 15n },
      alice.md,
    );
    expect(rep.clientOrderId).to.equal(r.orderId);
    expect(rep.code).to.equal(0);
    expect(rep.order!.priceTicks).to.equal(21150n);
    expect(rep.order!.remainingQuantity).to.equal(15n);
    const open = await call(c.listOpenOrders.bind(c), { symbol: 'AAPL' }, alice.md);
    expect(open.orders.map((o) => o.clientOrderId)).to.include(r.orderId);
    const can = await call(c.cancelOrder.bind(c), { clientOrderId: r.orderId, exchangeOrderId: 0n, userId: '' }, alice.md);
    expect(can.clientOrderId).to.equal(r.orderId);
    expect(can.exchangeOrderId).to.equal(sub.exchangeOrderId);
    expect(can.status).to.equal(OrderStatus.CANCELLED);
    await expectStatus(
      call(c.cancelOrder.bind(c), { clientOrderId: r.orderId, exchangeOrderId: 0n, userId: '' }, alice.md),
      status.FAILED_PRECONDITION,
      'ORDER_NOT_OPEN',
    );
    await expectStatus(call(c.cancelOrder.bind(c), { clientOrderId: '', exchangeOrderId: 0n, userId: '' }, alice.md), status.INVALID_ARGUMENT, 'MISSING_FIELD');
    await expectStatus(
      call(c.replaceOrder.bind(c), { clientOrderId: r.orderId, exchangeOrderId: 0n, userId: '', newPrice: 211.555, newPriceTicks: 0n, newQuantity: 15n }, alice.md),
      status.INVALID_ARGUMENT,
      'INVALID_PRICE',
    );
  });

  it('serves the book, account, symbols and index queries', async () => {
    const book = await call(c.getOrderBook.bind(c), { symbol: 'AAPL', depth: 3 }, alice.md);
    expect(book.symbol).to.equal('AAPL');
    expect(book.mdSeq > 0n).to.equal(true);
    expect(book.asks.length + book.bids.length).to.be.greaterThan(0);
    expect(book.bids.length).to.be.at.most(3);
    for (const l of [...book.bids, ...book.asks]) expect(Math.round(l.price * 100)).to.equal(Number(l.priceTicks));
    await expectStatus(call(c.getOrderBook.bind(c), { symbol: 'ZZZZ', depth: 0 }, alice.md), status.NOT_FOUND, 'UNKNOWN_SYMBOL');
    await expectStatus(call(c.getOrderBook.bind(c), { symbol: 'AAPL', depth: 5000 }, alice.md), status.INVALID_ARGUMENT);

    const acct = await call(c.getAccount.bind(c), {}, alice.md);
    expect(acct.accountId).to.equal(BigInt(alice.accountId));
    expect(acct.positions.find((p) => p.symbol === 'AAPL')!.shares > 0n).to.equal(true);

    const idx = await call(c.getMarketIndex.bind(c), { indexName: 'TOP10' }, alice.md);
    expect(idx.index!.indexName).to.equal('TOP10');
    expect(idx.index!.constituents.length).to.be.greaterThan(0);
    expect(idx.indexNames).to.include('TOP10');
    await expectStatus(call(c.getMarketIndex.bind(c), { indexName: 'NOPE' }, alice.md), status.NOT_FOUND, 'UNKNOWN_INDEX');
  });

  it('honours deadlines that already passed', async () => {
    const err = await new Promise<ServiceError>((resolve) =>
      c.submitOrder(order({}), alice.md, { deadline: Date.now() - 1 }, (e) => resolve(e!)),
    );
    expect(err.code).to.equal(status.DEADLINE_EXCEEDED);
  });

  it('AuthService: login, two-factor login, refresh and logout', async () => {
    const a = h.authClient();
    const u = await h.user({});
    await expectStatus(call(a.login.bind(a), { email: u.email, password: 'Wrong-Pass-123!', totpCode: '' }), status.UNAUTHENTICATED, 'INVALID_CREDENTIALS');
    const l = await call(a.login.bind(a), { email: u.email, password: PASSWORD, totpCode: '' });
    expect(l.twoFactorRequired).to.equal(false);
    expect(l.userId).to.equal(u.userId);
    expect(l.role).to.equal(Role.TRADER);
    expect(l.tradingExpiresIn > 0n).to.equal(true);
    const acct = await call(c.getAccount.bind(c), {}, bearer(l.tradingToken));
    expect(acct.accountId).to.equal(BigInt(u.accountId));

    const r = await call(a.refresh.bind(a), { sessionToken: l.sessionToken });
    expect(r.sessionToken).to.be.a('string').and.not.equal('');

    await call(a.logout.bind(a), { token: '' }, bearer(l.tradingToken));
    await expectStatus(call(c.getAccount.bind(c), {}, bearer(l.tradingToken)), status.UNAUTHENTICATED);

    // two-factor: enable through the AdminService, then log in in two steps
    const admin = await h.user({ role: 'admin' });
    const adm = h.admin();
    const tf = await call(adm.enableTwoFactor.bind(adm), { userId: u.userId }, admin.md);
    const step1 = await call(a.login.bind(a), { email: u.email, password: PASSWORD, totpCode: '' });
    expect(step1.twoFactorRequired).to.equal(true);
    expect(step1.tradingToken).to.equal('');
    await expectStatus(call(a.verifyTwoFactor.bind(a), { challenge: 'bogus', code: '123456', email: '' }), status.UNAUTHENTICATED);
    const step2 = await call(a.verifyTwoFactor.bind(a), { challenge: step1.challenge, code: totpCode(tf.secret, Date.now()), email: u.email });
    expect(step2.tradingToken).to.not.equal('');
    await expectStatus(call(a.verifyTwoFactor.bind(a), { challenge: step1.challenge, code: '000000', email: '' }), status.UNAUTHENTICATED);
  });

  it('AdminService: users, deposits, positions, halts, symbols, mass cancel', async () => {
    const admin = await h.user({ role: 'admin' });
    const adm = h.admin();
    const created = await call(adm.createUser.bind(adm), {
      email: `new-${process.pid}@grpc.test`,
      password: PASSWORD,
      role: Role.TRADER,
      initialCashMinor: 5000n,
      initialPositions: { AAPL: 7n },
    }, admin.md);
    const accountId = created.user!.accountId;
    expect(accountId > 0n).to.equal(true);
    await expectStatus(
      call(adm.createUser.bind(adm), { email: created.user!.email, password: PASSWORD, role: Role.TRADER, initialCashMinor: 0n, initialPositions: {} }, admin.md),
      status.ALREADY_EXISTS,
      'EMAIL_TAKEN',
    );
    const users = await call(adm.listUsers.bind(adm), {}, admin.md);
    expect(users.users.map((x) => x.email)).to.include(created.user!.email);

    const dep = await call(adm.deposit.bind(adm), { accountId, amountMinor: 1000n }, admin.md);
    expect(dep.account!.cashMinor).to.equal(6000n);
    await expectStatus(call(adm.deposit.bind(adm), { accountId, amountMinor: -1_000_000n }, admin.md), status.FAILED_PRECONDITION);
    const adj = await call(adm.adjustPosition.bind(adm), { accountId, symbol: 'AAPL', delta: 3n }, admin.md);
    expect(adj.account!.positions.find((p) => p.symbol === 'AAPL')!.shares).to.equal(10n);

    const halted = await call(adm.haltSymbol.bind(adm), { symbol: 'NVDA' }, admin.md);
    expect(halted.symbol!.halted).to.equal(true);
    const rej = await submit(alice, order({ symbol: 'NVDA', price: 135 }));
    expect(rej.status).to.equal(OrderStatus.REJECTED);
    expect(rej.reason).to.equal('SYMBOL_HALTED');
    const resumed = await call(adm.resumeSymbol.bind(adm), { symbol: 'NVDA' }, admin.md);
    expect(resumed.symbol!.halted).to.equal(false);

    const added = await call(adm.addSymbol.bind(adm), {
      symbol: 'TEST1', name: 'Test One', tickSizeMinor: 5n, lotSize: 10n, referencePriceTicks: 2000n, bandPercent: 10,
      maxOrderQuantity: 10000n, maxOrderNotionalMinor: 100_000_000n, makerFeeBps: 0, takerFeeBps: 0, indices: {},
    }, admin.md);
    expect(added.symbol!.symbol).to.equal('TEST1');
    // the engine's refusals come back as errors with their code, and nothing is listed
    const addReq = (over: Record<string, unknown>) => ({
      symbol: 'TEST2', name: 'Test Two', tickSizeMinor: 1n, lotSize: 1n, referencePriceTicks: 2000n, bandPercent: 10,
      maxOrderQuantity: 100n, maxOrderNotionalMinor: 100_000_000n, makerFeeBps: 0, takerFeeBps: 0, indices: {}, ...over,
    });
    await expectStatus(call(adm.addSymbol.bind(adm), addReq({ symbol: 'TEST1' }), admin.md), status.ALREADY_EXISTS, 'SYMBOL_EXISTS');
    await expectStatus(call(adm.addSymbol.bind(adm), addReq({ tickSizeMinor: 0n }), admin.md), status.INVALID_ARGUMENT, 'INVALID_CONFIG');
    await expectStatus(call(adm.addSymbol.bind(adm), addReq({ name: 'N'.repeat(300) }), admin.md), status.INVALID_ARGUMENT, 'INVALID_CONFIG');
    await expectStatus(call(adm.addSymbol.bind(adm), addReq({ indices: { NOPE: 1 } }), admin.md), status.NOT_FOUND, 'UNKNOWN_INDEX');
    expect((await call(adm.listSymbols.bind(adm), {}, admin.md)).symbols.map((x) => x.symbol)).to.not.include('TEST2');
    // tick 5 cents: 100.05 is on the grid (2001 ticks), 100.01 is not; lot 10
    const ok = await submit(alice, order({ symbol: 'TEST1', price: 100.05, quantity: 10n }));
    expect(ok.status).to.equal(OrderStatus.OPEN);
    await expectStatus(submit(alice, order({ symbol: 'TEST1', price: 100.01, quantity: 10n })), status.INVALID_ARGUMENT, 'INVALID_PRICE');
    await expectStatus(submit(alice, order({ symbol: 'TEST1', price: 100.05, quantity: 5n })), status.INVALID_ARGUMENT, 'QUANTITY_OFF_LOT');

    const mass = await call(adm.cancelAllOrders.bind(adm), { accountId: BigInt(alice.accountId), symbol: '' }, admin.md);
    expect(mass.code).to.equal(0);
    const open = await call(c.listOpenOrders.bind(c), { symbol: '' }, alice.md);
    expect(open.orders).to.have.length(0);
  });
});
