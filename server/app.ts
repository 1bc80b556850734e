/**
 * The Aurex process, assembled: recovery (snapshot + journal), the engine
 * pipeline, the shared auth manager, both gateways, the operator endpoint, and,
 * when configured, the PostgreSQL write-behind writer and the Redis market cache.
 *
 * Start order matters: the operator endpoint comes up first (liveness), the
 * state is recovered before any gateway listens, and readiness (HTTP /readyz and
 * the gRPC health service) turns on only once everything serves. Stop order is
 * the reverse, and every acknowledged command is durable before the process exits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { AurexError, Code, codeName } from '../engine/codes.ts';
import { ExchangeCore } from '../engine/core.ts';
import { Exchange } from '../engine/exchange.ts';
import type { CommandLog } from '../engine/command-log.ts';
import type { Command } from '../engine/types.ts';
import { loadMarketConfig } from '../engine/symbols.ts';
import { SnapshotCapturer } from '../engine/journal/exchange-adapter.ts';
import { decodeExchangeSnapshot } from '../engine/journal/snapshot-codec.ts';
import { recoverAndOpen, type RecoveryReport } from '../engine/journal/recovery.ts';
import { SnapshotScheduler } from '../engine/journal/snapshot-scheduler.ts';
import type { JournalWriter } from '../engine/journal/journal-writer.ts';
import { openDb, closeDb, type Db } from '../engine/persistence/pg.ts';
import { migrate } from '../engine/persistence/migrate.ts';
import { PgWriterThread } from '../engine/persistence/pg-writer-thread.ts';
import { RedisMarketCache } from '../engine/persistence/redis-market-cache.ts';
import { createAuthManager, seedDemoUsers, type AuthManager } from '../engine/auth/index.ts';
import { GrpcGateway } from '../gateway-grpc/server.ts';
import { TcpGateway } from '../gateway-tcp/server.ts';
import type { ServerConfig } from './config.ts';
import { OpsServer } from './http.ts';
import { Metrics, instrumentExchange } from './metrics.ts';
import type { Logger } from './logger.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { pinEngineOptions } from './engine-options.ts';

export interface StartOptions {
  logger: Logger;
  /** Where the banner and demo credentials go (default: stdout). */
  print?: (line: string) => void;
}

/** Forwards to the journal once recovery has opened it (the core is built first). */
class DeferredLog implements CommandLog {
  target: CommandLog | undefined;
  get syncFlush(): boolean {
    return this.target?.syncFlush === true;
  }
  append(cmd: Command): void {
    this.target!.append(cmd);
  }
  flush(cb: (err?: Error) => void): void {
    this.target!.flush(cb);
  }
}

/** Loads the JWT secret from the data dir, generating it once (embedded profile convenience). */
function dataDirSecret(dataDir: string): string {
  const file = path.join(dataDir, 'auth-secret.key');
  try {
    const s = fs.readFileSync(file, 'utf8').trim();
    if (s.length >= 32) return s;
  } catch {
    /* first start */
  }
  const s = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, s + '\n', { mode: 0o600 });
  return s;
}

/** Fails fast (with the setting's name) when a configured service is unreachable. */
async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 3000, enableOfflineQueue: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new AurexError(Code.INVALID_CONFIG, `REDIS_URL: cannot reach Redis (${(e as Error).message})`);
  }
  return redis;
}

async function connectPg(url: string): Promise<Db> {
  const db = openDb(url);
  try {
    await db.one('SELECT 1 AS ok');
  } catch (e) {
    await closeDb(db).catch(() => undefined);
    throw new AurexError(Code.INVALID_CONFIG, `DATABASE_URL: cannot reach PostgreSQL (${(e as Error).message})`);
  }
  return db;
}

export class AurexServer {
  ready = false;
  readonly ports = { grpc: 0, tcp: 0, metrics: 0 };
  recovery: RecoveryReport | undefined;
  readonly metrics = new Metrics();
  core!: ExchangeCore;
  auth!: AuthManager;
  private exchange!: Exchange;
  private journal: JournalWriter | undefined;
  private snapshots: SnapshotScheduler | undefined;
  private grpc: GrpcGateway | undefined;
  private tcp: TcpGateway | undefined;
  private ops: OpsServer | undefined;
  private db: Db | undefined;
  private writer: PgWriterThread | undefined;
  private redis: Redis | undefined;
  private cache: RedisMarketCache | undefined;
  private lock: DataDirLock | undefined;
  private stopping: Promise<void> | undefined;
  private fatal: Error | undefined;

  private constructor(
    readonly cfg: ServerConfig,
    private readonly log: Logger,
  ) {}

  static async start(cfg: ServerConfig, opts: StartOptions): Promise<AurexServer> {
    const s = new AurexServer(cfg, opts.logger);
    try {
      await s.boot(opts.print ?? ((l) => process.stdout.write(l + '\n')));
    } catch (e) {
      await s.stop('failed start').catch(() => undefined);
      throw e;
    }
    return s;
  }

  private async boot(print: (line: string) => void): Promise<void> {
    const { cfg, log, metrics } = this;
    fs.mkdirSync(cfg.dataDir, { recursive: true });
    this.lock = DataDirLock.acquire(cfg.dataDir);

    // 1. Liveness first, readiness later.
    this.ops = new OpsServer({
      host: cfg.host,
      port: cfg.metricsPort,
      registry: metrics.registry,
      isReady: () => this.ready,
      details: () => ({ lastSeq: this.core?.lastSeq() ?? 0, journalDurableSeq: this.journal?.durableSeq ?? 0, pgWriterLag: this.writerLag() }),
      debugState: () => ({ lastSeq: this.core?.lastSeq() ?? 0, stateHash: this.core ? this.core.stateHash() : null }),
    });
    this.ports.metrics = await this.ops.listen();

    // 2. External services (fail fast before touching state).
    if (cfg.databaseUrl) {
      this.db = await connectPg(cfg.databaseUrl);
      const m = await migrate(this.db);
      log.info({ migrations: m }, 'postgresql migrations applied');
    }
    if (cfg.redisUrl) this.redis = await connectRedis(cfg.redisUrl);

    // 3. Recover the engine: newest snapshot + journal replay, through the core so that
    //    execution-report history is rebuilt too.
    const pinned = pinEngineOptions(cfg.dataDir, {
      market: loadMarketConfig(cfg.symbolsFile),
      // The engine's own cap is a backstop behind the gateways' per-account rate limit.
      maxOrdersPerSecond: Math.max(cfg.ordersPerSecond * 2, 10_000),
      retainTerminalOrders: cfg.retainTerminalOrders,
    });
    if (pinned.legacyRetention) {
      log.warn(
        { file: pinned.file },
        'this state was created when terminal orders were retained per account (1,024 each): it recovers and continues with the exchange-wide window (retainTerminalOrders); a replay differs only where a client reused a client order id the old window had forgotten',
      );
    }
    if (pinned.differs) {
      log.warn(
        { file: pinned.file },
        'AUREX_SYMBOLS_FILE / AUREX_ORDERS_PER_SEC / AUREX_RETAIN_TERMINAL_ORDERS differ from the options this state was created with: recovering with the recorded ones (use admin AddSymbol/Halt to change symbols, or a new data dir)',
      );
    }
    const engineOptions = pinned.options;
    this.exchange = new Exchange(engineOptions);
    const deferred = new DeferredLog();
    this.core = new ExchangeCore({ exchange: this.exchange, log: deferred });
    const journalDir = path.join(cfg.dataDir, 'journal');
    const core = this.core;
    const { report, journal, snapshots } = recoverAndOpen({
      dir: journalDir,
      mode: cfg.durability,
      engine: { restore: (p) => core.restore(decodeExchangeSnapshot(p)), replay: (c) => core.replay(c) },
      onFatal: (err) => this.onFatal(err),
    });
    deferred.target = journal;
    this.journal = journal;
    this.recovery = report;
    log.info(
      { snapshotSeq: report.snapshotSeq, replayed: report.replayed, replayRate: report.replayRate, lastSeq: report.lastSeq, torn: report.torn ?? null },
      'state recovered',
    );

    // 4. Write-behind PostgreSQL writer, fed from the journal (never from the matching path).
    //    It runs in a worker thread (own event loop, own pool, own shadow exchange built with
    //    the engine's exact options) so its replay never runs on the matching event loop.
    if (this.db && cfg.databaseUrl) {
      const writer = new PgWriterThread({
        dir: journalDir,
        databaseUrl: cfg.databaseUrl,
        exchange: engineOptions,
        durableSeq: () => journal.durableSeq,
        onError: (err) => log.error({ err }, 'postgresql writer error'),
      });
      this.writer = writer;
      await writer.start();
      metrics.gauge('aurex_pg_writer_errors', 'Errors reported by the PostgreSQL writer thread since start', () => writer.errors);
      metrics.gauge('aurex_pg_writer_restarts', 'Restarts of the PostgreSQL writer thread after a crash', () => writer.restarts);
      metrics.gauge('aurex_pg_writer_position', 'Last command sequence committed to PostgreSQL', () => writer.position);
    }
    const capturer = new SnapshotCapturer(this.exchange);
    this.snapshots = new SnapshotScheduler(
      {
        store: snapshots,
        journal,
        capture: () => capturer.capture(),
        lastSeq: () => this.exchange.lastSeq(),
        everyCommands: cfg.snapshotEveryCommands,
        everyMs: cfg.snapshotEverySeconds * 1000,
        retainSeq: this.writer ? () => this.writer!.position : undefined,
        onSnapshot: (info) => log.info(info, 'snapshot written'),
        onError: (err) => log.error({ err }, 'snapshot failed'),
      },
      report.snapshotSeq,
    );
    if (cfg.durability !== 'none') this.snapshots.start();

    // 5. Redis market cache, conflated, fed from the released market data.
    if (this.redis) {
      const cache = new RedisMarketCache({ redis: this.redis, onError: (err) => log.warn({ err: err.message }, 'redis market cache error') });
      this.cache = cache;
      cache.start();
      for (const sym of core.symbols()) {
        core.subscribeMarketData(sym.symbol, (u) =>
          cache.update({ symbol: u.symbol, last: u.l1.last, bid: u.l1.bid, ask: u.l1.ask, volume: u.l1.volume, ts: u.l1.ts, mdSeq: u.mdSeq }),
        );
      }
    }

    // 6. Auth: users create their engine accounts through the sequenced command path.
    const secret = cfg.jwtSecret ?? dataDirSecret(cfg.dataDir);
    this.auth = await createAuthManager({
      dataDir: cfg.dataDir,
      redis: this.redis,
      db: this.db as never,
      // migrate() above created the auth tables: the store must not apply its SQL a second way.
      dbApplySchema: false,
      secret,
      rateLimits: {
        ordersPerSecond: { trader: cfg.ordersPerSecond, admin: cfg.ordersPerSecond * 4, readonly: 0 },
        queryPerWindow: { trader: cfg.queriesPerMinute, admin: cfg.queriesPerMinute * 3, readonly: cfg.queriesPerMinute },
      },
      provisionAccount: async (accountId, cash, positions) => {
        const r = await core.executeAsync({ type: 'createAccount', accountId, cash, positions });
        if (r.code !== Code.OK && r.code !== Code.ACCOUNT_EXISTS) throw new AurexError(r.code, `account ${accountId}: ${codeName(r.code)}`);
      },
      onError: (err) => log.warn({ err: (err as Error)?.message ?? String(err) }, 'auth store error'),
    });
    if (cfg.demo) {
      await seedDemoUsers(this.auth, { symbols: core.symbols().map((s) => s.symbol), print });
    }

    // 7. Gateways.
    const exchange = instrumentExchange(core, metrics);
    const gwLog = log.child({ component: 'grpc' });
    this.grpc = new GrpcGateway({
      exchange,
      auth: this.auth,
      host: cfg.host,
      port: cfg.grpcPort,
      tls: cfg.tlsCert && cfg.tlsKey ? { cert: cfg.tlsCert, key: cfg.tlsKey } : undefined,
      logger: gwLog,
      shutdownGraceMs: cfg.shutdownGraceSeconds * 1000,
    });
    this.ports.grpc = await this.grpc.listen();
    this.tcp = new TcpGateway({ exchange, auth: this.auth, host: cfg.host, port: cfg.tcpPort, logger: log.child({ component: 'tcp' }) });
    this.ports.tcp = await this.tcp.listen();

    this.registerGauges();
    this.ready = true;
    this.grpc.setReady(true);
    log.info({ ports: this.ports, dataDir: cfg.dataDir, durability: cfg.durability, postgres: !!this.db, redis: !!this.redis }, 'aurex ready');
    this.banner(print);
  }

  private writerLag(): number {
    return this.writer ? Math.max(0, (this.journal?.durableSeq ?? 0) - this.writer.position) : 0;
  }

  private registerGauges(): void {
    const m = this.metrics;
    m.gauge('aurex_last_seq', 'Last command sequence applied', () => this.core.lastSeq());
    m.gauge('aurex_journal_lag_commands', 'Commands applied but not yet durable in the journal', () =>
      Math.max(0, (this.journal?.lastSeq ?? 0) - (this.journal?.durableSeq ?? 0)),
    );
    m.gauge('aurex_pg_writer_lag_commands', 'Durable commands not yet written to PostgreSQL', () => this.writerLag());
    m.gauge('aurex_tcp_sessions', 'Logged-in TCP sessions', () => this.tcp?.stats().sessions ?? 0);
    m.gauge('aurex_tcp_connections', 'Open TCP connections', () => this.tcp?.stats().connections ?? 0);
    m.gauge('aurex_tcp_slow_consumer_disconnects', 'TCP sessions closed as slow consumers (since start)', () => this.tcp?.stats().slowConsumers ?? 0);
    m.gauge('aurex_grpc_open_streams', 'Open gRPC server streams', () => this.grpc?.activeStreams ?? 0);
    m.gauge('aurex_ready', '1 when recovered and serving', () => (this.ready ? 1 : 0));
    m.authFailures(() => this.auth.failures);
  }

  private banner(print: (line: string) => void): void {
    const { cfg, ports } = this;
    const h = cfg.host;
    print('');
    print(`Aurex is ready (${cfg.profile} profile, durability ${cfg.durability}, state at seq ${this.core.lastSeq()})`);
    print(`  gRPC     ${h}:${ports.grpc}${cfg.tlsCert ? ' (TLS)' : ''}   aurex.stock.v1.StockService, aurex.auth.v1.AuthService, aurex.admin.v1.AdminService`);
    print(`  TCP      ${h}:${ports.tcp}   binary protocol (docs/tcp-protocol.md)`);
    print(`  metrics  http://${h}:${ports.metrics}/metrics   health /healthz, readiness /readyz`);
    print(`  data     ${cfg.dataDir}${cfg.databaseUrl ? '   PostgreSQL on' : ''}${cfg.redisUrl ? '   Redis on' : ''}`);
    const sym = this.core.symbols()[0];
    if (sym) {
      // An example order at the reference price, in currency units (ticks x tick size in cents).
      const cents = sym.referencePrice * sym.tickSize;
      const px = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
      print('Try it (gRPC CLI; the demo users are printed above when demo mode is on):');
      print(`  npm run cli -- login alice@demo.aurex 'Alice-Demo-2025!'`);
      print(`  npm run cli -- submit BUY ${sym.symbol} 10 ${px}`);
      print(`  npm run cli -- book ${sym.symbol}`);
      print(`  npm run cli -- watch ${sym.symbol}`);
    }
    print('Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight commands finish and the journal is flushed.');
  }

  private onFatal(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.log.fatal({ err }, 'journal failure: refusing new commands (fail-stop)');
    this.ready = false;
    this.grpc?.setReady(false);
  }

  /** Graceful stop: refuse new work, drain, flush journal and PostgreSQL writer, close everything. */
  stop(reason = 'shutdown'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const log = this.log;
    log.info({ reason }, 'stopping');
    this.ready = false;
    this.grpc?.setReady(false);
    const step = async (name: string, fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (err) {
        log.warn({ err: (err as Error)?.message ?? String(err), step: name }, 'shutdown step failed');
      }
    };
    // Gateways stop accepting, finish what is in flight and close their streams with a status.
    await Promise.all([step('tcp', () => this.tcp?.close()), step('grpc', () => this.grpc?.close())]);
    this.snapshots?.stop();
    // Everything the core applied is made durable before anything else closes.
    await step('journal', () => this.journal?.closeAsync());
    if (this.writer) {
      // Drains up to the final durable seq within the grace period; the rest resumes at the next start.
      await step('pg-writer', () => this.writer!.stop(this.cfg.shutdownGraceSeconds * 1000));
    }
    await step('redis-cache', async () => {
      await this.cache?.flush();
      await this.cache?.stop();
    });
    await step('auth', () => this.auth?.close());
    await step('core', () => this.core?.close());
    await step('redis', () => this.redis?.quit());
    await step('postgres', () => (this.db ? closeDb(this.db) : undefined));
    await step('ops', () => this.ops?.close());
    this.lock?.release();
    log.info({ lastSeq: this.core?.lastSeq() ?? 0 }, 'stopped');
  }
}
