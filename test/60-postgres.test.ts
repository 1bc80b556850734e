import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exchange } from '../engine/exchange.ts';
import { JournalWriter } from '../engine/journal/journal-writer.ts';
import { JournalFeed } from '../engine/persistence/journal-feed.ts';
import { loadMigrations, migrate } from '../engine/persistence/migrate.ts';
import { closeDb, openDb, type Db } from '../engine/persistence/pg.ts';
import { accountOrderHistory, accountTradeHistory, orderById } from '../engine/persistence/pg-queries.ts';
import { PgWriter } from '../engine/persistence/pg-writer.ts';
import type { Command } from '../engine/types.ts';
import { orderRecords, tradeRecords } from '../engine/snapshot.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { Workload } from './support/durability-workload.ts';

const ADMIN_URL = process.env.AUREX_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const until = async (cond: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('60 PostgreSQL: migrations, write-behind writer, history (real server)', function () {
  this.timeout(60_000);
  const dbName = `aurex_test_${process.pid}_${Date.now()}`;
  let admin: Db;
  let db: Db;
  let proxy: TcpProxy;
  let proxied: Db;
  const dirs: string[] = [];

  before(async () => {
    admin = openDb(ADMIN_URL, 1);
    await admin.none('CREATE DATABASE $1:name', [dbName]);
    db = openDb(ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`), 2);
    proxy = new TcpProxy(5432);
    const port = await proxy.listen();
    proxied = openDb(`postgres://postgres@127.0.0.1:${port}/${dbName}`, 2);
  });

  after(async () => {
    await closeDb(proxied).catch(() => {});
    await proxy.close();
    await closeDb(db);
    await admin.none('DROP DATABASE IF EXISTS $1:name', [dbName]);
    await closeDb(admin);
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  it('applies every migration from empty, in global order, once (idempotent)', async () => {
    const ms = loadMigrations();
    expect(ms.map((m) => m.version)).to.deep.equal([...ms.map((m) => m.version)].sort((a, b) => a - b));
    expect(ms.some((m) => m.version >= 1000)).to.equal(true);
    const [r1, r2] = await Promise.all([migrate(db), migrate(db)]); // concurrent: the advisory lock serializes them
    const applied = [...r1.applied, ...r2.applied].sort((a, b) => a - b);
    expect(applied).to.deep.equal(ms.map((m) => m.version));
    const r3 = await migrate(db);
    expect(r3.applied).to.deep.equal([]);
    const tables = (await db.any<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.t);
    for (const t of ['users', 'user_sessions', 'orders', 'trades', 'stocks', 'accounts', 'positions', 'audit_log', 'writer_position', 'schema_migrations']) {
      expect(tables).to.include(t);
    }
    const idx = (await db.any<{ i: string }>("SELECT indexname AS i FROM pg_indexes WHERE schemaname = 'public'")).map((r) => r.i);
    for (const i of ['idx_orders_account_id', 'idx_orders_symbol', 'idx_orders_timestamp', 'idx_trades_symbol', 'idx_trades_buyer', 'idx_trades_seller']) expect(idx).to.include(i);
  });

  it('writes every order, trade and stock behind the engine, survives a cut connection and a writer restart, and agrees with the engine', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-pg-'));
    dirs.push(dir);
    const ex = new Exchange();
    const w = new Workload({ symbols: ex.symbols().slice(0, 3), seed: 5, accounts: 8 });
    const j = JournalWriter.open({ dir, mode: 'write' });
    const run = async (cmds: Command[]) => {
      for (const c of cmds) {
        j.append(c);
        ex.apply(c);
      }
      await j.flushAsync();
    };
    await run(w.setup());
    const errors: Error[] = [];
    let writer = await PgWriter.create({ db: proxied, batchRows: 500, flushIntervalMs: 10, onError: (e) => errors.push(e) });
    expect(writer.position).to.equal(0);
    let feed = new JournalFeed({ dir, writer, durableSeq: () => j.durableSeq });
    feed.start();
    writer.start();
    const batch = async (n: number) => {
      const cmds: Command[] = [];
      for (let i = 0; i < n; i++) cmds.push(w.next());
      await run(cmds);
    };
    await batch(3000);
    await until(() => writer.position === ex.lastSeq());

    // the database goes away while the engine keeps going: the writer falls behind...
    proxy.cut();
    await batch(3000);
    await until(() => errors.length > 0);
    expect(writer.metrics().lag).to.be.above(0);
    const behind = writer.position;
    expect(behind).to.be.below(ex.lastSeq());
    // ...and catches up once it is back
    proxy.restore();
    await until(() => writer.position === ex.lastSeq());
    expect(writer.metrics().lag).to.equal(0);

    // a restart of the writer (new process) resumes from writer_position, no duplicates
    feed.close();
    await writer.stop();
    await batch(2000);
    writer = await PgWriter.create({ db, batchRows: 1000, flushIntervalMs: 10 });
    expect(writer.position).to.be.below(ex.lastSeq());
    feed = new JournalFeed({ dir, writer });
    feed.start();
    writer.start();
    await until(() => writer.position === ex.lastSeq());
    expect(feed.stateHash()).to.equal(ex.stateHash());
    feed.close();
    await writer.stop();
    await j.closeAsync();

    // contents agree with the engine
    const snap = ex.snapshot();
    const nTrades = Number((await db.one('SELECT count(*) AS n FROM trades')).n);
    expect(nTrades).to.equal(snap.lastTradeId);
    expect(nTrades).to.be.above(100);
    const nOrders = Number((await db.one('SELECT count(*) AS n FROM orders')).n);
    expect(nOrders).to.equal(snap.lastOrderId);
    for (const o of orderRecords(snap)) {
      const { resPrice: _a, reserved: _b, bookType: _c, live: _d, pendingStop: _e, ...view } = o;
      expect(await orderById(db, o.orderId)).to.deep.equal(view);
    }
    const open = Number((await db.one("SELECT count(*) AS n FROM orders WHERE status IN ('OPEN','PARTIALLY_FILLED','NEW')")).n);
    expect(open).to.equal(orderRecords(snap).filter((o) => o.live).length);
    for (const a of snap.accounts) {
      const row = await db.one('SELECT cash, reserved_cash FROM accounts WHERE account_id = $1', [a.accountId]);
      expect([Number(row.cash), Number(row.reserved_cash)]).to.deep.equal([a.cash, a.reservedCash]);
      // history: the engine's retained trades are the newest of PostgreSQL's
      const hist = await accountTradeHistory(db, a.accountId, { limit: 10_000 });
      const kept = tradeRecords(snap, a);
      expect(kept.length).to.be.above(0);
      expect(hist.slice(-kept.length)).to.deep.equal(kept);
    }
    for (const s of snap.symbols) {
      const row = await db.one('SELECT last_price, volume FROM stocks WHERE symbol = $1', [s.config.symbol]);
      expect([Number(row.last_price), Number(row.volume)]).to.deep.equal([s.last, s.volume]);
    }
    const recent = await accountOrderHistory(db, 1, { limit: 5, statuses: ['FILLED', 'CANCELLED'] });
    expect(recent.length).to.be.above(0);
    expect(recent.every((o) => o.accountId === 1 && (o.status === 'FILLED' || o.status === 'CANCELLED'))).to.equal(true);
    ex.close();
  });
});
