/**
 * The whole product, as a user meets it: the real server process on embedded
 * defaults (and again on PostgreSQL + Redis), two users trading at once over
 * gRPC and TCP, market data and executions arriving on both, a SIGTERM, a
 * restart from the same data directory, and every order and balance as it was.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import pgPromise from 'pg-promise';
import { AuthServiceClient } from '../gen/aurex/auth/v1/auth.ts';
import {
  ExecType,
  ExecutionsRequest,
  GetAccountRequest,
  ListOpenOrdersRequest,
  ListSymbolsRequest,
  MarketDataRequest,
  OrderRequest,
  OrderSide,
  OrderStatus,
  OrderStatusRequest,
  OrderType,
  StockServiceClient,
  type ExecutionReport,
  type GetAccountResponse,
  type MarketDataUpdate,
} from '../gen/aurex/stock/v1/stock.ts';
import { TcpClient, type ExecutionReportMsg, type MarketDataUpdateMsg } from '../gateway-tcp/client.ts';
import { bearer, call } from './support/grpc-harness.ts';
import { startServer, type ServerProcess } from './support/server-process.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './support/services.ts';

const ALICE = { email: 'alice@demo.aurex', password: 'Alice-Demo-2025!' };
const BOB = { email: 'bob@demo.aurex', password: 'Bob-Demo-2025!!' };
const SYMBOL = 'AAPL';

function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = check();
      if (v !== undefined && v !== false) return resolve(v);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

interface Session {
  stock: StockServiceClient;
  authc: AuthServiceClient;
  token: string;
}

async function login(port: number, who: { email: string; password: string }): Promise<Session> {
  const addr = `127.0.0.1:${port}`;
  const authc = new AuthServiceClient(addr, credentials.createInsecure());
  const stock = new StockServiceClient(addr, credentials.createInsecure());
  const res = await call(authc.login.bind(authc), { email: who.email, password: who.password, totpCode: '' });
  expect(res.tradingToken).to.be.a('string').and.not.empty;
  return { stock, authc, token: res.tradingToken };
}

interface Picture {
  accounts: Record<string, GetAccountResponse>;
  orders: Record<string, { status: OrderStatus; filled: bigint; remaining: bigint }>;
  openOrders: Record<string, string[]>;
}

/** Everything a user can see of their own state, through the public API. */
async function picture(port: number, orderIds: Record<string, bigint[]>): Promise<Picture> {
  const pic: Picture = { accounts: {}, orders: {}, openOrders: {} };
  for (const [name, who] of [
    ['alice', ALICE],
    ['bob', BOB],
  ] as const) {
    const s = await login(port, who);
    const md = bearer(s.token);
    pic.accounts[name] = await call(s.stock.getAccount.bind(s.stock), GetAccountRequest.fromPartial({}), md);
    for (const id of orderIds[name] ?? []) {
      const st = await call(s.stock.orderStatus.bind(s.stock), OrderStatusRequest.fromPartial({ exchangeOrderId: id }), md);
      pic.orders[`${name}:${id}`] = { status: st.status, filled: st.filledQuantity, remaining: st.order!.remainingQuantity };
    }
    const open = await call(s.stock.listOpenOrders.bind(s.stock), ListOpenOrdersRequest.fromPartial({}), md);
    pic.openOrders[name] = open.orders.map((o) => String(o.exchangeOrderId)).sort();
    s.stock.close();
    s.authc.close();
  }
  return pic;
}

async function tradeAcrossGateways(server: ServerProcess): Promise<Record<string, bigint[]>> {
  const alice = await login(server.ports.grpc, ALICE);
  const bob = await login(server.ports.grpc, BOB); // bob's trading token, used on TCP
  const amd = bearer(alice.token);

  const syms = await call(alice.stock.listSymbols.bind(alice.stock), ListSymbolsRequest.fromPartial({}), amd);
  const aapl = syms.symbols.find((s) => s.symbol === SYMBOL)!;
  expect(aapl, 'AAPL in the default symbols').to.exist;
  const ref = Number(aapl.referencePriceTicks);
  expect(ref).to.be.greaterThan(10);

  // Streams on both gateways before any trading.
  const aliceMd: MarketDataUpdate[] = [];
  const aliceExec: ExecutionReport[] = [];
  const mdStream: ClientReadableStream<MarketDataUpdate> = alice.stock.streamMarketData(MarketDataRequest.fromPartial({ symbols: [SYMBOL], depth: 5 }), amd);
  mdStream.on('data', (u: MarketDataUpdate) => aliceMd.push(u));
  mdStream.on('error', () => undefined);
  const exStream: ClientReadableStream<ExecutionReport> = alice.stock.streamExecutions(ExecutionsRequest.fromPartial({ fromSeq: 0n }), amd);
  exStream.on('data', (r: ExecutionReport) => aliceExec.push(r));
  exStream.on('error', () => undefined);

  const tcp = await TcpClient.open({ port: server.ports.tcp, token: bob.token });
  const bobExec: ExecutionReportMsg[] = [];
  const bobMd: MarketDataUpdateMsg[] = [];
  tcp.on('execReport', (r: ExecutionReportMsg) => bobExec.push(r));
  tcp.on('marketData', (u: MarketDataUpdateMsg) => bobMd.push(u));
  const snap = await tcp.subscribe(SYMBOL, 5);
  expect(snap.snapshot).to.equal(true);
  await waitFor('alice md snapshot', () => aliceMd.length > 0);

  // Bob (TCP) offers 10 at ref+1 and 5 at ref+3; Alice (gRPC) lifts 10 at ref+1 and bids 7 at ref-2.
  const sell1 = await tcp.submit({ symbol: SYMBOL, side: 'SELL', kind: 'LIMIT', price: ref + 1, qty: 10 });
  expect(sell1.status).to.equal('OPEN');
  const sell2 = await tcp.submit({ symbol: SYMBOL, side: 'SELL', kind: 'LIMIT', price: ref + 3, qty: 5 });
  expect(sell2.status).to.equal('OPEN');
  const buy1 = await call(
    alice.stock.submitOrder.bind(alice.stock),
    OrderRequest.fromPartial({ orderId: 'e2e-buy-1', symbol: SYMBOL, side: OrderSide.BUY, type: OrderType.LIMIT, quantity: 10n, priceTicks: BigInt(ref + 1) }),
    amd,
  );
  expect(buy1.status).to.equal(OrderStatus.FILLED);
  expect(buy1.filledQuantity).to.equal(10n);
  expect(buy1.orderId).to.equal('e2e-buy-1');
  const buy2 = await call(
    alice.stock.submitOrder.bind(alice.stock),
    OrderRequest.fromPartial({ orderId: 'e2e-buy-2', symbol: SYMBOL, side: OrderSide.BUY, type: OrderType.LIMIT, quantity: 7n, priceTicks: BigInt(ref - 2) }),
    amd,
  );
  expect(buy2.status).to.equal(OrderStatus.OPEN);

  // Executions on both gateways: Alice's taker fill over gRPC, Bob's maker fill over TCP.
  await waitFor('alice fill', () => aliceExec.find((r) => r.execType === ExecType.FILL && r.clientOrderId === 'e2e-buy-1'));
  const bobFill = await waitFor('bob fill', () => bobExec.find((r) => r.kind === 'FILL' && r.orderId === sell1.orderId));
  expect(bobFill.lastQty).to.equal(10);
  expect(bobFill.lastPrice).to.equal(ref + 1);
  expect(bobFill.liquidity).to.equal('MAKER');
  // Market data on both: last trade at ref+1, best bid ref-2, best ask ref+3.
  await waitFor('alice md trade', () => aliceMd.find((u) => Number(u.lastPriceTicks) === ref + 1 && Number(u.bidPriceTicks) === ref - 2));
  await waitFor('bob md trade', () => bobMd.find((u) => u.last === ref + 1 && u.bid === ref - 2 && u.ask === ref + 3));
  // Market-data sequences chain without gaps on the TCP feed.
  for (let i = 1; i < bobMd.length; i++) expect(bobMd[i]!.prevMdSeq).to.equal(bobMd[i - 1]!.mdSeq);

  mdStream.cancel();
  exStream.cancel();
  await tcp.logout();
  tcp.destroy();
  alice.stock.close();
  alice.authc.close();
  bob.stock.close();
  bob.authc.close();
  return { alice: [buy1.exchangeOrderId, buy2.exchangeOrderId], bob: [BigInt(sell1.orderId), BigInt(sell2.orderId)] };
}

function checkTrade(before: Picture): void {
  const a = before.accounts.alice!;
  const b = before.accounts.bob!;
  const aPos = a.positions.find((p) => p.symbol === SYMBOL)!;
  const bPos = b.positions.find((p) => p.symbol === SYMBOL)!;
  expect(Number(aPos.shares)).to.equal(10_010);
  expect(Number(bPos.shares)).to.equal(9_990);
  expect(Number(bPos.reserved)).to.equal(5); // the resting sell of 5
  expect(Number(a.cashMinor) + Number(b.cashMinor)).to.equal(200_000_000); // cash conserved (no fees by default)
  expect(before.openOrders.alice).to.have.length(1);
  expect(before.openOrders.bob).to.have.length(1);
}

describe('70 server: end to end', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('trades over gRPC and TCP at once, stops on SIGTERM and restarts with every order and balance intact (embedded defaults)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aurex-e2e-'));
    dirs.push(dataDir);
    const env = { AUREX_DATA_DIR: dataDir };
    const s1 = await startServer(env);
    let ids: Record<string, bigint[]>;
    let before: Picture;
    try {
      ids = await tradeAcrossGateways(s1);
      before = await picture(s1.ports.grpc, ids);
    } finally {
      expect(await s1.stop('SIGTERM'), s1.output()).to.equal(0);
    }
    checkTrade(before);

    const s2 = await startServer(env);
    try {
      expect(s2.lastSeq).to.be.greaterThan(0);
      const after = await picture(s2.ports.grpc, ids);
      expect(after).to.deep.equal(before);
    } finally {
      expect(await s2.stop('SIGTERM')).to.equal(0);
    }
  });

  it('does the same against PostgreSQL and Redis, and PostgreSQL holds the orders and trades', async () => {
    const dbName = `aurex_e2e_${process.pid}_${Date.now()}`;
    const pgp = pgPromise();
    const admin = pgp(TEST_DATABASE_URL);
    await admin.none('CREATE DATABASE $1:name', [dbName]);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${dbName}`;
    const redisDb = 9;
    const redisUrl = new URL(TEST_REDIS_URL);
    redisUrl.pathname = `/${redisDb}`;
    const redis = new Redis(redisUrl.toString());
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aurex-e2e-pg-'));
    dirs.push(dataDir);
    const env = {
      AUREX_DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl.toString(),
      AUREX_JWT_SECRET: 'e2e-test-secret-that-is-long-enough-0123456789',
    };
    try {
      const s1 = await startServer(env);
      let ids: Record<string, bigint[]>;
      let before: Picture;
      try {
        ids = await tradeAcrossGateways(s1);
        before = await picture(s1.ports.grpc, ids);
      } finally {
        expect(await s1.stop('SIGTERM'), s1.output()).to.equal(0);
      }
      checkTrade(before);
      const market = await redis.hgetall(`market:${SYMBOL}`);
      expect(Object.keys(market).length, 'market:AAPL hash in Redis').to.be.greaterThan(0);
      expect(await redis.ttl(`market:${SYMBOL}`)).to.be.within(1, 60);

      // PostgreSQL, written behind, agrees with the engine once the server has drained it at shutdown.
      const db = pgp(url.toString());
      try {
        const trades = await db.any('SELECT * FROM trades WHERE symbol = $1', [SYMBOL]);
        expect(trades).to.have.length(1);
        expect(Number(trades[0].quantity)).to.equal(10);
        const orders = await db.any('SELECT * FROM orders WHERE symbol = $1', [SYMBOL]);
        expect(orders).to.have.length(4);
        const users = await db.any('SELECT email FROM users ORDER BY email');
        expect(users.map((u: { email: string }) => u.email)).to.include.members([ALICE.email, BOB.email]);
      } finally {
        await db.$pool.end();
      }

      const s2 = await startServer(env);
      try {
        const after = await picture(s2.ports.grpc, ids);
        expect(after).to.deep.equal(before);
      } finally {
        expect(await s2.stop('SIGTERM')).to.equal(0);
      }
    } finally {
      const keys = await redis.keys('*');
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await admin.none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [dbName]);
      await admin.$pool.end();
    }
  });
});
