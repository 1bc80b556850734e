/**
 * The real stack for gRPC tests: a real ExchangeCore (default market, in-memory
 * command log), a real AuthManager (in-process sessions, users in a temporary
 * directory, accounts provisioned through the engine's command path) and the
 * GrpcGateway on 127.0.0.1 port 0, plus real grpc-js clients.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ChannelOptions } from '@grpc/grpc-js';
import { AurexError, Code } from '../../engine/codes.ts';
import { ExchangeCore } from '../../engine/core.ts';
import { createAuthManager, type AuthManager } from '../../engine/auth/index.ts';
import type { Role } from '../../engine/types.ts';
import { AdminServiceClient } from '../../gen/aurex/admin/v1/admin.ts';
import { AuthServiceClient } from '../../gen/aurex/auth/v1/auth.ts';
import { StockServiceClient } from '../../gen/aurex/stock/v1/stock.ts';
import { GrpcGateway, type GrpcGatewayOptions } from '../../gateway-grpc/server.ts';

export const PASSWORD = 'Grpc-Test-Pass-1!';

export interface GrpcUser {
  email: string;
  userId: string;
  accountId: number;
  role: Role;
  token: string;
  sessionToken: string;
  md: Metadata;
}

export interface GrpcHarness {
  core: ExchangeCore;
  auth: AuthManager;
  gateway: GrpcGateway;
  port: number;
  address: string;
  stock(opts?: ChannelOptions): StockServiceClient;
  authClient(): AuthServiceClient;
  admin(): AdminServiceClient;
  /** Create a user (through the auth manager) and log in. */
  user(opts?: { role?: Role; cash?: number; positions?: Record<string, number>; email?: string }): Promise<GrpcUser>;
  close(): Promise<void>;
}

let seq = 0;

export function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

export async function startGrpcHarness(
  gw: Partial<Omit<GrpcGatewayOptions, 'exchange' | 'auth'>> = {},
  authOpts: { ordersPerSecond?: number; watchIntervalMs?: number; queryPerWindow?: number } = {},
): Promise<GrpcHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'aurex-grpc-'));
  const core = new ExchangeCore({ indexIntervalMs: 0, l2Levels: 50 });
  const auth = await createAuthManager({
    dataDir: dir,
    scrypt: { log2N: 10, r: 8, p: 1 },
    watchIntervalMs: authOpts.watchIntervalMs ?? 20,
    rateLimits: {
      ordersPerSecond: { trader: authOpts.ordersPerSecond ?? 100_000, admin: authOpts.ordersPerSecond ?? 100_000 },
      queryPerWindow: { trader: authOpts.queryPerWindow ?? 100_000, admin: 100_000, readonly: authOpts.queryPerWindow ?? 100_000 },
    },
    provisionAccount: async (accountId, cash, positions) => {
      const r = await core.executeAsync({ type: 'createAccount', accountId, cash, positions });
      if (r.code !== Code.OK) throw new AurexError(r.code, 'account provisioning failed');
    },
  });
  const gateway = new GrpcGateway({ exchange: core, auth, host: '127.0.0.1', port: 0, ...gw });
  const port = await gateway.listen();
  const address = `127.0.0.1:${port}`;
  const clients: { close(): void }[] = [];
  const track = <T extends { close(): void }>(c: T): T => {
    clients.push(c);
    return c;
  };
  return {
    core,
    auth,
    gateway,
    port,
    address,
    stock: (opts) => track(new StockServiceClient(address, credentials.createInsecure(), opts ?? {})),
    authClient: () => track(new AuthServiceClient(address, credentials.createInsecure())),
    admin: () => track(new AdminServiceClient(address, credentials.createInsecure())),
    async user(opts = {}) {
      const email = opts.email ?? `u${process.pid}-${++seq}@grpc.test`;
      const role = opts.role ?? 'trader';
      const v = await auth.createUser({ email, password: PASSWORD, role, cash: opts.cash ?? 100_000_000, positions: opts.positions ?? {} });
      const l = await auth.login({ email, password: PASSWORD });
      return { email, userId: v.userId, accountId: v.accountId, role, token: l.tradingToken, sessionToken: l.sessionToken, md: bearer(l.tradingToken) };
    },
    async close() {
      for (const c of clients) c.close();
      await gateway.close(1000);
      core.close();
      await auth.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Promise form of a unary client call. */
export function call<Req, Res>(
  fn: (req: Req, md: Metadata, opts: { deadline?: number }, cb: (err: import('@grpc/grpc-js').ServiceError | null, res: Res) => void) => unknown,
  req: Req,
  md: Metadata = new Metadata(),
  deadlineMs = 5000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, md, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}
