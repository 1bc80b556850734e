/**
 * TcpGateway: the binary TCP edge of Aurex (docs/tcp-protocol.md).
 *
 *   const gw = new TcpGateway({ exchange, auth, host: '127.0.0.1', port: 0 });
 *   const port = await gw.listen();
 *   ...
 *   await gw.close(); // Logout SHUTTING_DOWN to every session, then closes
 *
 * It owns the listening socket, the symbol directory, the once-per-turn flush
 * of every session that produced output, and cancel-on-disconnect.
 */
import net from 'node:net';
import { Code, codeName } from '../engine/codes.ts';
import type { ExchangeApi } from '../engine/core-api.ts';
import { TcpSession } from './session.ts';
import { SymbolDirectory } from './symbol-directory.ts';
import type { GatewayContext, LogLevel, ResolvedTcpOptions, TcpAuth } from './gateway-context.ts';
import { MAX_LENGTH } from './protocol.ts';

export interface TcpGatewayOptions {
  /** Largest accepted Length field (default and maximum 65532: 64 KiB frames). */
  maxFrameLength?: number;
  /** Default heartbeat interval (default 1000 ms); clients may ask for another within the bounds. */
  heartbeatMs?: number;
  minHeartbeatMs?: number;
  maxHeartbeatMs?: number;
  /** Silence (in heartbeat intervals) after which a peer is disconnected (default 3). */
  timeoutFactor?: number;
  /** A connection must log in within this time (default 5000 ms). */
  loginTimeoutMs?: number;
  /** Cap on the cancel-on-disconnect grace a client may ask for (default 60 s). */
  maxCancelGraceMs?: number;
  /** Pending output above which reading from the client pauses and market data is conflated (default 1 MiB). */
  highWaterBytes?: number;
  /** Pending output above which the client is disconnected as a slow consumer (default 8 MiB). */
  hardLimitBytes?: number;
  /** Connections beyond this are refused (default 10,000). */
  maxConnections?: number;
  /** TCP keepalive initial delay (default 30 s). */
  keepAliveMs?: number;
  /** After a Logout/Error the peer has this long to close before it is cut off (default 1000 ms). */
  closeTimeoutMs?: number;
}

/** pino-compatible logger subset. */
export interface TcpLogger {
  debug?(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface TcpGatewayConfig {
  exchange: ExchangeApi;
  /** The auth manager (engine/auth): authenticate, authorize, watch, checkOrderRate, checkRate. */
  auth: TcpAuth;
  host?: string;
  /** 0 = any free port (see listen()'s result). */
  port?: number;
  logger?: TcpLogger;
  options?: TcpGatewayOptions;
}

export interface TcpGatewayStats {
  connections: number;
  sessions: number;
  accepted: number;
  closed: number;
  slowConsumers: number;
  massCancels: number;
}

function resolve(o: TcpGatewayOptions = {}): ResolvedTcpOptions {
  const heartbeatMs = o.heartbeatMs ?? 1000;
  return {
    maxFrameLength: Math.min(o.maxFrameLength ?? MAX_LENGTH, MAX_LENGTH),
    heartbeatMs,
    minHeartbeatMs: o.minHeartbeatMs ?? Math.min(100, heartbeatMs),
    maxHeartbeatMs: o.maxHeartbeatMs ?? Math.max(60_000, heartbeatMs),
    timeoutFactor: o.timeoutFactor ?? 3,
    loginTimeoutMs: o.loginTimeoutMs ?? 5000,
    maxCancelGraceMs: o.maxCancelGraceMs ?? 60_000,
    highWaterBytes: o.highWaterBytes ?? 1 << 20,
    hardLimitBytes: o.hardLimitBytes ?? 8 << 20,
    maxConnections: o.maxConnections ?? 10_000,
    keepAliveMs: o.keepAliveMs ?? 30_000,
    closeTimeoutMs: o.closeTimeoutMs ?? 1000,
  };
}

export class TcpGateway {
  readonly exchange: ExchangeApi;
  readonly auth: TcpAuth;
  readonly options: ResolvedTcpOptions;
  private readonly host: string;
  private readonly port: number;
  private readonly logger: TcpLogger | undefined;
  private server: net.Server | null = null;
  private readonly sessions = new Set<TcpSession>();
  private readonly dirty: TcpSession[] = [];
  private flushQueued = false;
  private nextSessionId = 1;
  private closing = false;
  private readonly ctx: GatewayContext;
  /** Active cancel-on-disconnect sessions per account. */
  private readonly codActive = new Map<number, number>();
  /** Pending (grace period) mass cancels per account. */
  private readonly codTimers = new Map<number, NodeJS.Timeout>();
  private readonly counters = { accepted: 0, closed: 0, slowConsumers: 0, massCancels: 0 };
  private readonly flushAll = () => this.flushDirty();

  constructor(cfg: TcpGatewayConfig) {
    this.exchange = cfg.exchange;
    this.auth = cfg.auth;
    this.host = cfg.host ?? '127.0.0.1';
    this.port = cfg.port ?? 0;
    this.logger = cfg.logger;
    this.options = resolve(cfg.options);
    const directory = new SymbolDirectory(cfg.exchange);
    this.ctx = {
      exchange: this.exchange,
      auth: this.auth,
      directory,
      opts: this.options,
      markDirty: (s) => {
        this.dirty.push(s);
        if (!this.flushQueued) {
          this.flushQueued = true;
          // After the current macrotask (a socket read or an engine group release): one write per session.
          queueMicrotask(this.flushAll);
        }
      },
      onLogin: (s) => this.onLogin(s),
      onClosed: (s, wasLoggedIn) => this.onClosed(s, wasLoggedIn),
      log: (level, obj, msg) => this.log(level, obj, msg),
    };
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    if (this.server) return Promise.resolve(this.boundPort());
    const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: this.options.keepAliveMs }, (sock) =>
      this.accept(sock),
    );
    server.maxConnections = this.options.maxConnections;
    this.server = server;
    return new Promise((resolveP, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log('error', { err: String(e) }, 'tcp gateway server error'));
        const port = this.boundPort();
        this.log('info', { host: this.host, port }, 'tcp gateway listening');
        resolveP(port);
      });
    });
  }

  /** The bound port (after listen()). */
  boundPort(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /**
   * Graceful stop: no new connections; every session gets Logout SHUTTING_DOWN
   * (or Error before login) and is closed; pending cancel-on-disconnect mass
   * cancels are issued at once. Resolves when every connection is gone.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const server = this.server;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of [...this.sessions]) s.end(Code.SHUTTING_DOWN);
    this.flushDirty();
    const deadline = Date.now() + this.options.closeTimeoutMs + 500;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const s of [...this.sessions]) s.socket.destroy();
    while (this.sessions.size > 0) await new Promise((r) => setTimeout(r, 5));
    for (const [accountId, t] of [...this.codTimers]) {
      clearTimeout(t);
      this.codTimers.delete(accountId);
      this.massCancel(accountId);
    }
    await closed;
    this.log('info', {}, 'tcp gateway closed');
  }

  stats(): TcpGatewayStats {
    let active = 0;
    for (const s of this.sessions) if (s.active) active++;
    return { connections: this.sessions.size, sessions: active, ...this.counters };
  }

  // ---------------------------------------------------------------- internals
  private accept(sock: net.Socket): void {
    if (this.closing) {
      sock.destroy();
      return;
    }
    this.counters.accepted++;
    const s = new TcpSession(this.ctx, sock, this.nextSessionId++);
    this.sessions.add(s);
    this.log('debug', { cid: `tcp-${s.id}`, remote: s.remote }, 'tcp connection');
  }

  private flushDirty(): void {
    this.flushQueued = false;
    // Sessions marked while flushing (none expected) are flushed in the same pass.
    for (let i = 0; i < this.dirty.length; i++) this.dirty[i]!.flush();
    this.dirty.length = 0;
  }

  private onLogin(s: TcpSession): void {
    const acct = s.principal!.accountId;
    this.log('info', { cid: `tcp-${s.id}`, remote: s.remote, userId: s.principal!.userId, accountId: acct, cancelOnDisconnect: s.cancelOnDisconnect }, 'tcp session started');
    if (!s.cancelOnDisconnect) return;
    this.codActive.set(acct, (this.codActive.get(acct) ?? 0) + 1);
    // A session of the account is back: the pending cancel-on-disconnect is withdrawn.
    const t = this.codTimers.get(acct);
    if (t) {
      clearTimeout(t);
      this.codTimers.delete(acct);
    }
  }

  private onClosed(s: TcpSession, wasLoggedIn: boolean): void {
    this.sessions.delete(s);
    this.counters.closed++;
    if (s.endCode === Code.SLOW_CONSUMER) this.counters.slowConsumers++;
    this.log(wasLoggedIn ? 'info' : 'debug', { cid: `tcp-${s.id}`, code: s.endCode, reason: s.endCode ? codeName(s.endCode) : undefined }, 'tcp connection closed');
    if (!wasLoggedIn || !s.cancelOnDisconnect) return;
    const acct = s.principal!.accountId;
    const left = (this.codActive.get(acct) ?? 1) - 1;
    if (left > 0) this.codActive.set(acct, left);
    else this.codActive.delete(acct);
    if (s.cleanLogout || left > 0) return;
    if (s.cancelGraceMs <= 0 || this.closing) {
      this.massCancel(acct);
      return;
    }
    const prev = this.codTimers.get(acct);
    if (prev) clearTimeout(prev);
    const t = setTimeout(() => {
      this.codTimers.delete(acct);
      if ((this.codActive.get(acct) ?? 0) === 0) this.massCancel(acct);
    }, s.cancelGraceMs);
    t.unref();
    this.codTimers.set(acct, t);
  }

  private massCancel(accountId: number): void {
    this.counters.massCancels++;
    this.exchange.execute({ type: 'massCancel', accountId, reason: Code.CANCEL_ON_DISCONNECT }, (res) => {
      if (res.code !== Code.OK) this.log('warn', { accountId, code: res.code }, 'tcp cancel-on-disconnect failed');
    });
  }

  private log(level: LogLevel, obj: Record<string, unknown>, msg: string): void {
    const l = this.logger;
    if (!l) return;
    if (level === 'debug') l.debug?.(obj, msg);
    else l[level](obj, msg);
  }
}
