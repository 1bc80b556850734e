/**
 * A real TCP gateway stack for the 50-tcp tests and the tcp bench: an
 * ExchangeCore (in-memory, no journal by default), an AuthManager with the
 * in-process session store and a temp-dir user store, and a TcpGateway on
 * 127.0.0.1 port 0. Users are created through the auth manager (which
 * provisions their engine accounts) and log in for real trading tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '../../engine/codes.ts';
import { ExchangeCore, type CoreOptions } from '../../engine/core.ts';
import { createAuthManager, type AuthManager } from '../../engine/auth/index.ts';
import type { Role } from '../../engine/types.ts';
import { TcpGateway, type TcpGatewayOptions } from '../../gateway-tcp/server.ts';
import { TcpClient, type LoginOptions } from '../../gateway-tcp/client.ts';

export interface TcpStackOptions {
  gateway?: TcpGatewayOptions;
  core?: CoreOptions;
  /** Orders per second per account allowed by the auth manager (default: effectively unlimited). */
  ordersPerSecond?: number;
  /** Query requests per minute per user and endpoint (default 100,000). */
  queryPerWindow?: number;
  /** Auth watch sweep period (default 50 ms so revocation tests finish fast). */
  watchIntervalMs?: number;
  clock?: () => number;
}

export interface TestUser {
  email: string;
  password: string;
  accountId: number;
  token: string;
}

export const TEST_PASSWORD = 'Tcp-Test-Password-42!';

export class TcpStack {
  private constructor(
    readonly core: ExchangeCore,
    readonly auth: AuthManager,
    readonly gateway: TcpGateway,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(o: TcpStackOptions = {}): Promise<TcpStack> {
    const dir = mkdtempSync(join(tmpdir(), 'aurex-tcp-'));
    try {
      return await TcpStack.build(o, dir);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private static async build(o: TcpStackOptions, dir: string): Promise<TcpStack> {
    const core = new ExchangeCore({
      maxOrdersPerSecond: 10_000_000,
      maxOpenOrdersPerAccount: 1_000_000,
      indexIntervalMs: 0,
      ...o.core,
    });
    const rate = o.ordersPerSecond ?? 10_000_000;
    const q = o.queryPerWindow ?? 100_000;
    const auth = await createAuthManager({
      dataDir: dir,
      clock: o.clock,
      // Fast password hashing: tests create many users.
      scrypt: { log2N: 10, r: 8, p: 1 },
      watchIntervalMs: o.watchIntervalMs ?? 50,
      rateLimits: {
        ordersPerSecond: { trader: rate, admin: rate, readonly: 0 },
        queryPerWindow: { trader: q, admin: q, readonly: q },
      },
      provisionAccount: async (accountId, cash, positions) => {
        const r = await core.executeAsync({ type: 'createAccount', accountId, cash, positions });
        if (r.code !== Code.OK) throw new Error(`createAccount ${accountId}: ${r.code}`);
      },
    });
    const gateway = new TcpGateway({ exchange: core, auth, host: '127.0.0.1', port: 0, options: o.gateway });
    const port = await gateway.listen();
    return new TcpStack(core, auth, gateway, port, dir);
  }

  /** Creates a user with cash and shares of every symbol, logs in, returns its trading token. */
  async user(name: string, opts: { cash?: number; shares?: number; role?: Role } = {}): Promise<TestUser> {
    const email = `${name}@tcp.test`;
    const positions: Record<string, number> = {};
    for (const s of this.core.symbols()) positions[s.symbol] = opts.shares ?? 1_000_000;
    const u = await this.auth.createUser({
      email,
      password: TEST_PASSWORD,
      role: opts.role ?? 'trader',
      cash: opts.cash ?? 1_000_000_000_000,
      positions: opts.role === 'readonly' ? {} : positions,
    });
    const login = await this.auth.login({ email, password: TEST_PASSWORD });
    return { email, password: TEST_PASSWORD, accountId: u.accountId, token: login.tradingToken };
  }

  /** A fresh trading token for an existing user (revokes the previous one). */
  async relogin(u: TestUser): Promise<string> {
    const login = await this.auth.login({ email: u.email, password: u.password });
    u.token = login.tradingToken;
    return u.token;
  }

  async client(u: TestUser, login: Partial<LoginOptions> = {}): Promise<TcpClient> {
    return TcpClient.open({ host: '127.0.0.1', port: this.port, token: u.token, ...login });
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    this.core.close();
    await this.auth.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves when `pred` holds, polling every 5 ms; rejects after `ms` (bounded wait, no timing asserted). */
export async function waitFor(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise with a bounded wait. */
export function within<T>(p: Promise<T>, ms = 5000, what = 'promise'): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} not settled within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
