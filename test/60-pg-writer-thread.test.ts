import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exchange } from '../engine/exchange.ts';
import { JournalWriter } from '../engine/journal/journal-writer.ts';
import { JournalFeed } from '../engine/persistence/journal-feed.ts';
import { migrate } from '../engine/persistence/migrate.ts';
import { closeDb, openDb, type Db } from '../engine/persistence/pg.ts';
import { PgWriter } from '../engine/persistence/pg-writer.ts';
import { PgWriterThread } from '../engine/persistence/pg-writer-thread.ts';
import type { Command } from '../engine/types.ts';
import { TEST_DATABASE_URL } from './support/services.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { Workload } from './support/durability-workload.ts';

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const dbUrl = (name: string, port = 5432) => {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  u.port = String(port);
  return u.toString();
};

/** Every row the writer produces, in a stable order, without wall-clock columns. */
async function dump(db: Db): Promise<Record<string, unknown[]>> {
  return {
    orders: await db.any('SELECT order_id, account_id, client_order_id, symbol, side, type, quantity, price, stop_price, post_only, filled_qty, remaining_qty, filled_notional, status, code, timestamp_ms, updated_ms, last_seq FROM orders ORDER BY order_id'),
    trades: await db.any('SELECT trade_id, buy_order_id, sell_order_id, symbol, quantity, price, buyer_id, seller_id, aggressor, buy_fee, sell_fee, seq, timestamp_ms FROM trades ORDER BY trade_id'),
    accounts: await db.any('SELECT account_id, cash, reserved_cash, open_orders, last_seq FROM accounts ORDER BY account_id'),
    positions: await db.any('SELECT account_id, symbol, shares, reserved, last_seq FROM positions ORDER BY account_id, symbol'),
    stocks: await db.any('SELECT symbol, company_name, tick_size, lot_size, reference_price, last_price, bid_price, ask_price, volume, halted, updated_ms FROM stocks ORDER BY symbol'),
    position: await db.any('SELECT writer, seq FROM writer_position ORDER BY writer'),
  };
}

describe('60 PostgreSQL writer in a worker thread (real server)', function () {
  this.timeout(90_000);
  const stamp = `${process.pid}_${Date.now()}`;
  const names = { inThread: `aurex_t_in_${stamp}`, worker: `aurex_t_wk_${stamp}`, live: `aurex_t_live_${stamp}` };
  let admin: Db;
  const dbs: Record<keyof typeof names, Db> = {} as never;
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-pgw-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    admin = openDb(TEST_DATABASE_URL, 1);
    for (const [k, n] of Object.entries(names) as [keyof typeof names, string][]) {
      await admin.none('CREATE DATABASE $1:name', [n]);
      dbs[k] = openDb(dbUrl(n), 2);
      await migrate(dbs[k]);
    }
  });

  after(async () => {
    for (const [k, n] of Object.entries(names) as [keyof typeof names, string][]) {
      if (dbs[k]) await closeDb(dbs[k]).catch(() => {});
      // pool.end() returns before the server has seen every session go: FORCE on a closing
      // session would raise an uncaught error in this process, so wait for them (bounded).
      await until('sessions closed', async () => Number((await admin.one('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [n])).n) === 0, 5000).catch(() => {});
      await admin.none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [n]);
    }
    await closeDb(admin);
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  it('writes exactly the rows the in-thread writer writes for the same journal, and refuses a database ahead of the journal', async () => {
    const dir = tmp();
    const ex = new Exchange();
    const w = new Workload({ symbols: ex.symbols().slice(0, 3), seed: 11, accounts: 10 });
    const j = JournalWriter.open({ dir, mode: 'write' });
    const cmds: Command[] = [...w.setup()];
    for (let i = 0; i < 6000; i++) cmds.push(w.next());
    for (const c of cmds) {
      j.append(c);
      ex.apply(c);
    }
    await j.closeAsync();
    const last = ex.lastSeq();

    // in-thread reference
    const writer = await PgWriter.create({ db: dbs.inThread, batchRows: 700, flushIntervalMs: 5 });
    const feed = new JournalFeed({ dir, writer });
    feed.start();
    writer.start();
    await until('in-thread writer', () => writer.position === last);
    feed.close();
    await writer.stop();

    // worker thread
    const errors: Error[] = [];
    const t = new PgWriterThread({ dir, databaseUrl: dbUrl(names.worker), durableSeq: () => last, batchRows: 700, flushIntervalMs: 5, onError: (e) => errors.push(e) });
    await t.start();
    await t.drained(last);
    expect(t.position).to.equal(last);
    expect(t.lag).to.equal(0);
    await until('worker metrics report', () => t.metrics().rowsWritten > 0 && t.metrics().appliedSeq === last);
    await t.stop(5000);
    expect(errors).to.deep.equal([]);

    const a = await dump(dbs.inThread);
    const b = await dump(dbs.worker);
    expect(a.trades!.length).to.be.above(100);
    expect(a.orders!.length).to.equal(ex.snapshot().lastOrderId);
    expect(b).to.deep.equal(a);

    // a database whose writer_position is beyond this (empty) journal: start() fails fast, no restart loop
    const fatal: Error[] = [];
    const wrong = new PgWriterThread({ dir: tmp(), databaseUrl: dbUrl(names.worker), durableSeq: () => 0, onError: (e) => fatal.push(e) });
    let refused: Error | undefined;
    await wrong.start().catch((e: Error) => (refused = e));
    await wrong.stop(1000);
    expect(refused?.message).to.match(/journal ends at 0 but PostgreSQL has rows up to/);
    expect(wrong.restarts).to.equal(0);
    expect(fatal.length).to.be.above(0);
    ex.close();
  });

  it('restarts a crashed worker, which resumes from writer_position without losing or duplicating a row', async () => {
    const dir = tmp();
    const ex = new Exchange();
    const w = new Workload({ symbols: ex.symbols().slice(0, 3), seed: 31, accounts: 8 });
    const j = JournalWriter.open({ dir, mode: 'write' });
    const cmds: Command[] = [...w.setup()];
    for (let i = 0; i < 8000; i++) cmds.push(w.next());
    for (const c of cmds) {
      j.append(c);
      ex.apply(c);
    }
    await j.closeAsync();
    const last = ex.lastSeq();
    await admin.none('CREATE DATABASE $1:name', [names.live + '_r']);
    const crashDb = openDb(dbUrl(names.live + '_r'), 1);
    await migrate(crashDb);
    const errors: Error[] = [];
    // small transactions so the crash lands mid catch-up
    const t = new PgWriterThread({ dir, databaseUrl: dbUrl(names.live + '_r'), durableSeq: () => last, batchRows: 100, maxBacklogRows: 200, flushIntervalMs: 1, step: 50, onError: (e) => errors.push(e) });
    try {
      await t.start();
      await until('some progress', () => t.position > 0);
      await t.kill();
      await until('the restart', () => t.restarts === 1);
      await t.drained(last);
      expect(t.position).to.equal(last);
      expect(errors.some((e) => /exited with code/.test(e.message))).to.equal(true);
      await t.stop(5000);
      const snap = ex.snapshot();
      expect(Number((await crashDb.one('SELECT count(*) AS n FROM trades')).n)).to.equal(snap.lastTradeId);
      expect(Number((await crashDb.one('SELECT count(*) AS n FROM orders')).n)).to.equal(snap.lastOrderId);
      expect(Number((await crashDb.one('SELECT seq FROM writer_position')).seq)).to.equal(last);
    } finally {
      await t.stop(1000);
      await closeDb(crashDb);
      await until('sessions closed', async () => Number((await admin.one('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [names.live + '_r'])).n) === 0, 5000).catch(() => {});
      await admin.none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [names.live + '_r']);
      ex.close();
    }
  });

  it('falls behind while PostgreSQL is cut off, catches up from its committed position, and stop() drains to the durable seq', async () => {
    const dir = tmp();
    const ex = new Exchange();
    const w = new Workload({ symbols: ex.symbols().slice(0, 3), seed: 21, accounts: 8 });
    const j = JournalWriter.open({ dir, mode: 'write' });
    const run = async (n: number, setup = false) => {
      const cmds = setup ? w.setup() : Array.from({ length: n }, () => w.next());
      for (const c of cmds) {
        j.append(c);
        ex.apply(c);
      }
      await j.flushAsync();
    };
    await run(0, true);
    const proxy = new TcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
    const port = await proxy.listen();
    const errors: Error[] = [];
    const t = new PgWriterThread({ dir, databaseUrl: dbUrl(names.live, port), durableSeq: () => j.durableSeq, batchRows: 500, flushIntervalMs: 10, onError: (e) => errors.push(e) });
    try {
      await t.start();
      expect(t.ready).to.equal(true);
      await run(3000);
      await until('first catch-up', () => t.position === ex.lastSeq());

      // PostgreSQL goes away while the engine keeps going: the worker falls behind...
      proxy.cut();
      await run(3000);
      await until('an error from the worker', () => errors.length > 0);
      expect(t.lag).to.be.above(0);
      expect(t.position).to.be.below(ex.lastSeq());
      expect(t.errors).to.equal(errors.length);
      // ...and catches up once it is back, without a worker restart
      proxy.restore();
      await until('catch-up after the outage', () => t.position === ex.lastSeq());
      expect(t.lag).to.equal(0);
      expect(t.restarts).to.equal(0);

      // stop() right after a burst: everything durable is in PostgreSQL when it resolves
      await run(2000);
      const target = j.durableSeq;
      expect(t.position).to.be.below(target);
      await t.stop(20_000);
      expect(t.position).to.equal(target);
    } finally {
      await t.stop(1000);
      await proxy.close();
      await j.closeAsync();
    }
    const db = dbs.live;
    expect(Number((await db.one('SELECT seq FROM writer_position')).seq)).to.equal(ex.lastSeq());
    const snap = ex.snapshot();
    expect(Number((await db.one('SELECT count(*) AS n FROM trades')).n)).to.equal(snap.lastTradeId);
    expect(Number((await db.one('SELECT count(*) AS n FROM orders')).n)).to.equal(snap.lastOrderId);
    for (const a of snap.accounts) {
      const row = await db.one('SELECT cash, reserved_cash FROM accounts WHERE account_id = $1', [a.accountId]);
      expect([Number(row.cash), Number(row.reserved_cash)]).to.deep.equal([a.cash, a.reservedCash]);
    }
    ex.close();
  });
});
