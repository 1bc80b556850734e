/**
 * The one factory: picks the stores from the options.
 *   sessions: Redis when `redisUrl` (or `redis`) is given, else in process.
 *   users + audit: PostgreSQL when `databaseUrl` (or `db`) is given, else files in `dataDir`.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AurexError, Code } from '../codes.ts';
import { FileAuditSink, PgAuditSink, type AuditSink } from './audit.ts';
import { AuthManager, type AuthManagerOptions } from './auth-manager.ts';
import { FileUserStore } from './file-user-store.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import { PgUserStore, type PgDb } from './pg-user-store.ts';
import { RedisSessionStore } from './redis-session-store.ts';
import type { SessionStore } from './session-store.ts';
import type { UserStore } from './user-store.ts';

export interface CreateAuthManagerOptions
  extends Omit<AuthManagerOptions, 'users' | 'sessions' | 'audit' | 'secret' | 'ownsStores'> {
  /**
   * JWT signing secret (>= 32 bytes). Required when sessions are shared through Redis (every
   * process must sign alike). In process only, a random one is generated when absent (tokens then
   * die with the process, which the in-process store does anyway).
   */
  secret?: Uint8Array | string;
  redisUrl?: string;
  redis?: Redis;
  /** Redis key prefix (default `aurex:`). */
  redisPrefix?: string;
  databaseUrl?: string;
  db?: PgDb;
  /** PostgreSQL schema for the auth tables (default: the connection's search_path). */
  dbSchema?: string;
  /** Let the PostgreSQL user store create its tables in init() (default true); false when migrate() already did. */
  dbApplySchema?: boolean;
  /** Directory for users.json and audit.log when no database is configured. */
  dataDir?: string;
  /** Override any store (tests, tools). */
  users?: UserStore;
  sessions?: SessionStore;
  audit?: AuditSink;
}

/** Build and init() an AuthManager; close() it to release stores and timers. */
export async function createAuthManager(opts: CreateAuthManagerOptions): Promise<AuthManager> {
  const shared = !!(opts.redisUrl || opts.redis || opts.sessions?.kind === 'redis');
  if (shared && !opts.secret) throw new AurexError(Code.INVALID_CONFIG, 'a shared session store needs a configured auth secret');
  const secret = opts.secret ?? randomBytes(32);

  const sessions: SessionStore =
    opts.sessions ??
    (opts.redisUrl || opts.redis
      ? new RedisSessionStore({ url: opts.redisUrl, redis: opts.redis, prefix: opts.redisPrefix })
      : new MemorySessionStore(opts.clock));

  let users = opts.users;
  let audit = opts.audit;
  if (!users) {
    if (opts.databaseUrl || opts.db) {
      const pg = new PgUserStore({ db: opts.db, databaseUrl: opts.databaseUrl, schema: opts.dbSchema, applySchema: opts.dbApplySchema });
      users = pg;
      audit ??= new PgAuditSink(pg.db);
    } else {
      if (!opts.dataDir) throw new AurexError(Code.INVALID_CONFIG, 'auth needs dataDir (or databaseUrl)');
      users = new FileUserStore(opts.dataDir);
    }
  }
  if (!audit) {
    if (users instanceof PgUserStore) audit = new PgAuditSink(users.db);
    else if (opts.dataDir) audit = new FileAuditSink(opts.dataDir);
    else throw new AurexError(Code.INVALID_CONFIG, 'auth needs dataDir or an audit sink');
  }

  let auth: AuthManager;
  try {
    auth = new AuthManager({ ...opts, secret, users, sessions, audit, ownsStores: true });
  } catch (e) {
    await Promise.allSettled([audit.close(), sessions.close(), users.close()]);
    throw e;
  }
  try {
    await auth.init();
  } catch (e) {
    await auth.close().catch(() => undefined);
    throw e;
  }
  return auth;
}
