/**
 * Configuration: every value validated with a message naming the setting; bad
 * configurations make the real process exit non-zero at once.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, helpText, loadConfig, SETTINGS } from '../server/config.ts';
import { runServerToExit, startServer } from './support/server-process.ts';
import { pinEngineOptions } from '../server/engine-options.ts';
import { missingServerFlags, SERVER_NODE_FLAGS } from '../server/node-flags.ts';
import { loadMarketConfig } from '../engine/symbols.ts';
import { AurexError, Code } from '../engine/codes.ts';

function bad(env: Record<string, string>, setting: string, fragment?: string): void {
  let err: unknown;
  try {
    loadConfig(env, path.resolve(import.meta.dirname, ".."));
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${setting} to be refused`).to.be.instanceOf(ConfigError);
  expect((err as ConfigError).setting).to.equal(setting);
  expect((err as ConfigError).message).to.include(setting);
  if (fragment) expect((err as ConfigError).message).to.include(fragment);
}

describe('70 server: configuration', () => {
  const repo = path.resolve(import.meta.dirname, '..');

  it('defaults to the embedded profile on 127.0.0.1 with write durability and demo users', () => {
    const c = loadConfig({}, repo);
    expect(c).to.include({ profile: 'embedded', host: '127.0.0.1', grpcPort: 50051, tcpPort: 8080, metricsPort: 9464, durability: 'write', demo: true });
    expect(c.dataDir).to.equal(path.join(repo, 'data'));
    expect(c.databaseUrl).to.equal(undefined);
    expect(c.redisUrl).to.equal(undefined);
  });

  it('production profile means fsync, no demo users and a required JWT secret', () => {
    bad({ AUREX_PROFILE: 'production' }, 'AUREX_JWT_SECRET', 'required');
    const c = loadConfig({ AUREX_PROFILE: 'production', AUREX_JWT_SECRET: 'x'.repeat(40) }, repo);
    expect(c.durability).to.equal('fsync');
    expect(c.demo).to.equal(false);
    bad({ AUREX_PROFILE: 'production', AUREX_JWT_SECRET: 'x'.repeat(40), AUREX_DEMO: '1' }, 'AUREX_DEMO');
  });

  it('refuses every malformed value, naming the setting', () => {
    bad({ AUREX_DURABILITY: 'sometimes' }, 'AUREX_DURABILITY', 'fsync, write, none');
    bad({ AUREX_GRPC_PORT: '70000' }, 'AUREX_GRPC_PORT', 'out of range');
    bad({ AUREX_TCP_PORT: '-1' }, 'AUREX_TCP_PORT');
    bad({ AUREX_METRICS_PORT: '80a' }, 'AUREX_METRICS_PORT');
    bad({ AUREX_GRPC_PORT: '9000', AUREX_TCP_PORT: '9000' }, 'AUREX_TCP_PORT', 'already used');
    bad({ AUREX_PROFILE: 'staging' }, 'AUREX_PROFILE');
    bad({ AUREX_LOG_LEVEL: 'loud' }, 'AUREX_LOG_LEVEL');
    bad({ AUREX_DEMO: 'maybe' }, 'AUREX_DEMO');
    bad({ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', 'scheme');
    bad({ DATABASE_URL: 'not a url' }, 'DATABASE_URL');
    bad({ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL');
    bad({ AUREX_TLS_CERT: '/nonexistent/cert.pem' }, 'AUREX_TLS_CERT', 'cannot read');
    bad({ AUREX_JWT_SECRET: 'short' }, 'AUREX_JWT_SECRET', '32');
    bad({ AUREX_SNAPSHOT_EVERY: '10' }, 'AUREX_SNAPSHOT_EVERY');
    bad({ AUREX_ORDERS_PER_SEC: '0' }, 'AUREX_ORDERS_PER_SEC');
    bad({ AUREX_HOST: 'bad host!' }, 'AUREX_HOST');
    bad({ AUREX_QUERIES_PER_MIN: '1.5' }, 'AUREX_QUERIES_PER_MIN');
    bad({ AUREX_SYMBOLS_FILE: '/nonexistent/symbols.json' }, 'AUREX_SYMBOLS_FILE');
    bad({ AUREX_RETAIN_TERMINAL_ORDERS: '-1' }, 'AUREX_RETAIN_TERMINAL_ORDERS', 'whole number');
    bad({ AUREX_RETAIN_TERMINAL_ORDERS: '1e6' }, 'AUREX_RETAIN_TERMINAL_ORDERS', 'whole number');
    bad({ AUREX_RETAIN_TERMINAL_ORDERS: '16777217' }, 'AUREX_RETAIN_TERMINAL_ORDERS', 'out of range');
  });

  it('terminal-order retention: 2^20 by default, 0..2^24 accepted', () => {
    expect(loadConfig({}, repo).retainTerminalOrders).to.equal(2 ** 20);
    expect(loadConfig({ AUREX_RETAIN_TERMINAL_ORDERS: '0' }, repo).retainTerminalOrders).to.equal(0);
    expect(loadConfig({ AUREX_RETAIN_TERMINAL_ORDERS: '16777216' }, repo).retainTerminalOrders).to.equal(2 ** 24);
  });

  it('reads an optional JSON config file, with the environment taking precedence', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-cfg-'));
    try {
      const file = path.join(dir, 'aurex.json');
      fs.writeFileSync(file, JSON.stringify({ grpcPort: 6000, durability: 'none', demo: false }));
      const c = loadConfig({ AUREX_CONFIG: file, AUREX_GRPC_PORT: '6001' }, repo);
      expect(c.grpcPort).to.equal(6001);
      expect(c.durability).to.equal('none');
      expect(c.demo).to.equal(false);
      fs.writeFileSync(file, JSON.stringify({ grpcPrt: 1 }));
      bad({ AUREX_CONFIG: file }, 'AUREX_CONFIG', 'unknown setting "grpcPrt"');
      fs.writeFileSync(file, '{not json');
      bad({ AUREX_CONFIG: file }, 'AUREX_CONFIG');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm start passes the server Node flags (server/node-flags.ts), and a process without them is detected', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const script of ['start', 'bench']) {
      const words = pkg.scripts[script]!.split(/\s+/);
      for (const f of SERVER_NODE_FLAGS) expect(words, `${script}: ${pkg.scripts[script]}`).to.include(f);
    }
    expect(missingServerFlags(['--import', 'tsx'], '')).to.deep.equal([...SERVER_NODE_FLAGS]);
    expect(missingServerFlags([...SERVER_NODE_FLAGS], '')).to.deep.equal([]);
    expect(missingServerFlags([], `--enable-source-maps ${SERVER_NODE_FLAGS.join(' ')}`)).to.deep.equal([]);
  });

  it('--help lists every setting', () => {
    const text = helpText();
    for (const s of SETTINGS) expect(text).to.include(s.env);
  });

  it('pins the engine options that decide replay to the state: a later start recovers with the recorded ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-pin-'));
    try {
      const market = loadMarketConfig();
      const first = pinEngineOptions(dir, { market, maxOrdersPerSecond: 10_000, retainTerminalOrders: 5_000 });
      expect(first).to.include({ recorded: false, differs: false, legacyRetention: false });
      // Another configuration on the same state: the recorded options win, and the difference is reported.
      const fewer = { ...market, symbols: market.symbols.slice(0, 2) };
      const again = pinEngineOptions(dir, { market: fewer, maxOrdersPerSecond: 50_000, retainTerminalOrders: 7 });
      expect(again).to.include({ recorded: true, differs: true, legacyRetention: false });
      expect(again.options.maxOrdersPerSecond).to.equal(10_000);
      expect(again.options.retainTerminalOrders).to.equal(5_000);
      expect(again.options.market.symbols.map((x) => x.symbol)).to.deep.equal(market.symbols.map((x) => x.symbol));
      expect(pinEngineOptions(dir, { market, maxOrdersPerSecond: 10_000, retainTerminalOrders: 5_000 }).differs).to.equal(false);
      // a state recorded before retention was part of it: the exchange-wide default, flagged
      fs.writeFileSync(first.file, JSON.stringify({ market, maxOrdersPerSecond: 10_000 }));
      const legacy = pinEngineOptions(dir, { market, maxOrdersPerSecond: 10_000, retainTerminalOrders: 5_000 });
      expect(legacy).to.include({ recorded: true, legacyRetention: true });
      expect(legacy.options.retainTerminalOrders).to.equal(2 ** 20);
      for (const bad of ['{"market": 1}', JSON.stringify({ market, maxOrdersPerSecond: 10_000, retainTerminalOrders: -1 }), JSON.stringify({ market, maxOrdersPerSecond: 10_000, retainTerminalOrders: '5' })]) {
        fs.writeFileSync(first.file, bad);
        expect(() => pinEngineOptions(dir, { market, maxOrdersPerSecond: 10_000, retainTerminalOrders: 5_000 }), bad)
          .to.throw(AurexError)
          .with.property('code', Code.INVALID_CONFIG);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the real process records AUREX_RETAIN_TERMINAL_ORDERS with a new state, and a later start keeps the recorded value with a warning', async function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-retain-'));
    try {
      const s1 = await startServer({ AUREX_DATA_DIR: dir, AUREX_RETAIN_TERMINAL_ORDERS: '4096', AUREX_DEMO: '0' });
      expect(await s1.stop()).to.equal(0);
      const recorded = () => JSON.parse(fs.readFileSync(path.join(dir, 'engine-options.json'), 'utf8')).retainTerminalOrders;
      expect(recorded()).to.equal(4096);
      const s2 = await startServer({ AUREX_DATA_DIR: dir, AUREX_RETAIN_TERMINAL_ORDERS: '8192', AUREX_DEMO: '0' });
      expect(await s2.stop()).to.equal(0);
      expect(s2.output()).to.include('AUREX_RETAIN_TERMINAL_ORDERS');
      expect(recorded()).to.equal(4096);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the real process fails fast with a clear message and a non-zero exit', function () {
    this.timeout(60_000);
    it('unknown durability mode', async () => {
      const r = await runServerToExit({ AUREX_DURABILITY: 'eventually' });
      expect(r.code).to.equal(2);
      expect(r.output).to.include('AUREX_DURABILITY');
    });
    it('port out of range', async () => {
      const r = await runServerToExit({ AUREX_TCP_PORT: '65536' });
      expect(r.code).to.equal(2);
      expect(r.output).to.include('AUREX_TCP_PORT');
    });
    it('unreachable DATABASE_URL', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-cfg-db-'));
      try {
        // Port 1 on the loopback: nothing listens there, the refusal is immediate.
        const r = await runServerToExit({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere', AUREX_DATA_DIR: dataDir });
        expect(r.code).to.equal(2);
        expect(r.output).to.include('DATABASE_URL').and.include('cannot reach PostgreSQL');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
    it('a data directory already used by a running server', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-cfg-lock-'));
      try {
        // The lock file names this (alive) test process as the owner.
        fs.writeFileSync(path.join(dataDir, 'LOCK'), `${process.pid}\n`);
        const r = await runServerToExit({ AUREX_DATA_DIR: dataDir });
        expect(r.code).to.equal(2);
        expect(r.output).to.include('AUREX_DATA_DIR').and.include('in use');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
