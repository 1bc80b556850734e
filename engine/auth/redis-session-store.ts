/**
 * Redis session store. Key layout (prefix configurable, default `aurex:`):
 *   session:{sha256(token)}   hash uid, acc, role, created, last, exp, peer   TTL 15 min (+grace)
 *   trading:{sha256(token)}   same fields                                     TTL 8 h (+grace)
 *   usersess:{userId}         hash s, t: hashes of the user's one live pair
 *   revoked:{sha256(token)}   tombstone of a revoked/replaced token
 *   ratelimit:{user}:{endpoint}, loginfail:*, lockout:*   counters and lockouts
 * Multi-key changes run as Lua scripts, so a new login replaces the previous session atomically
 * even with several gateway processes. Revocations are also published on `{prefix}revocations`
 * so other processes drop cached validations at once (the periodic re-validation is the backstop).
 */
import { Redis } from 'ioredis';
import type { NewToken, TokenKind, TokenRecord } from './auth-types.ts';
import { isRole } from './auth-types.ts';
import { EXPIRED_GRACE_MS, type HitResult, type SessionStore, type TokenRef } from './session-store.ts';

const CREATE_PAIR = `
local out = {}
local old = redis.call('HMGET', KEYS[1], 's', 't')
if old[1] then redis.call('DEL', ARGV[1]..'session:'..old[1]); redis.call('SET', ARGV[1]..'revoked:'..old[1], '1', 'PX', ARGV[13]); table.insert(out, old[1]) end
if old[2] then redis.call('DEL', ARGV[1]..'trading:'..old[2]); redis.call('SET', ARGV[1]..'revoked:'..old[2], '1', 'PX', ARGV[13]); table.insert(out, old[2]) end
redis.call('HSET', KEYS[2], 'uid', ARGV[4], 'acc', ARGV[5], 'role', ARGV[6], 'created', ARGV[7], 'last', ARGV[7], 'exp', ARGV[8], 'peer', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[10])
redis.call('HSET', KEYS[3], 'uid', ARGV[4], 'acc', ARGV[5], 'role', ARGV[6], 'created', ARGV[7], 'last', ARGV[7], 'exp', ARGV[9], 'peer', ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[11])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 's', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[12])
return out`;

const GET_TOUCH = `
local r = redis.call('HGETALL', KEYS[1])
if #r > 0 then redis.call('HSET', KEYS[1], 'last', ARGV[1]) end
return r`;

const REPLACE_SESSION = `
local cur = redis.call('HGET', KEYS[1], 's')
if cur ~= ARGV[2] then return 0 end
local rec = redis.call('HGETALL', KEYS[2])
if #rec == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', ARGV[1]..'revoked:'..ARGV[2], '1', 'PX', ARGV[7])
redis.call('HSET', KEYS[3], unpack(rec))
redis.call('HSET', KEYS[3], 'last', ARGV[4], 'exp', ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
redis.call('HSET', KEYS[1], 's', ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
local t = redis.call('HGET', KEYS[1], 't')
if t then
  local tk = ARGV[1]..'trading:'..t
  if redis.call('EXISTS', tk) == 1 then redis.call('HSET', tk, 'peer', ARGV[3]) end
end
return 1`;

const REVOKE_USER = `
local out = {}
local old = redis.call('HMGET', KEYS[1], 's', 't')
if old[1] then redis.call('DEL', ARGV[1]..'session:'..old[1]); redis.call('SET', ARGV[1]..'revoked:'..old[1], '1', 'PX', ARGV[2]); table.insert(out, old[1]) end
if old[2] then redis.call('DEL', ARGV[1]..'trading:'..old[2]); redis.call('SET', ARGV[1]..'revoked:'..old[2], '1', 'PX', ARGV[2]); table.insert(out, old[2]) end
redis.call('DEL', KEYS[1])
return out`;

// Sliding window: fields w (window start), n (count in it), p (count of the previous window).
const HIT = `
local start = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'w', 'n', 'p')
local w = tonumber(v[1])
local n = tonumber(v[2]) or 0
local p = tonumber(v[3]) or 0
if w ~= start then
  if w == start - win then p = n else p = 0 end
  n = 0
end
local est = p * (1 - (tonumber(ARGV[4]) - start) / win) + n + 1
if est > tonumber(ARGV[3]) then return {0, tostring(est - 1)} end
redis.call('HSET', KEYS[1], 'w', ARGV[1], 'n', n + 1, 'p', p)
redis.call('PEXPIRE', KEYS[1], 2 * win)
return {1, tostring(est)}`;

interface Scripts {
  aurexCreatePair(...args: (string | number)[]): Promise<string[]>;
  aurexGetTouch(key: string, now: number): Promise<string[]>;
  aurexReplaceSession(...args: (string | number)[]): Promise<number>;
  aurexRevokeUser(key: string, prefix: string, tombPx: number): Promise<string[]>;
  aurexHit(key: string, start: number, win: number, limit: number, now: number): Promise<[number, string]>;
}

export interface RedisSessionStoreOptions {
  /** `redis://host:port/db`; or pass `redis` to share a connection you own. */
  url?: string;
  redis?: Redis;
  /** Key prefix (default `aurex:`). Tests use a unique one and call deleteAllKeys(). */
  prefix?: string;
}

function toRecord(flat: string[] | Record<string, string> | null | undefined): TokenRecord | undefined {
  if (!flat) return undefined;
  let h: Record<string, string>;
  if (Array.isArray(flat)) {
    if (flat.length === 0) return undefined;
    h = {};
    for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]] = flat[i + 1];
  } else h = flat;
  const acc = Number(h.acc);
  const exp = Number(h.exp);
  if (!h.uid || !Number.isSafeInteger(acc) || !Number.isFinite(exp) || !isRole(h.role)) return undefined;
  return { userId: h.uid, accountId: acc, role: h.role, created: Number(h.created), last: Number(h.last), exp, peer: h.peer ?? '' };
}

export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  private readonly redis: Redis & Scripts;
  private readonly ownsConnection: boolean;
  private sub: Redis | undefined;
  private readonly listeners = new Set<(hashes: string[]) => void>();
  private readonly channel: string;

  constructor(opts: RedisSessionStoreOptions) {
    this.prefix = opts.prefix ?? 'aurex:';
    this.ownsConnection = !opts.redis;
    const r = opts.redis ?? new Redis(opts.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2, enableAutoPipelining: true });
    r.defineCommand('aurexCreatePair', { numberOfKeys: 3, lua: CREATE_PAIR });
    r.defineCommand('aurexGetTouch', { numberOfKeys: 1, lua: GET_TOUCH });
    r.defineCommand('aurexReplaceSession', { numberOfKeys: 3, lua: REPLACE_SESSION });
    r.defineCommand('aurexRevokeUser', { numberOfKeys: 1, lua: REVOKE_USER });
    r.defineCommand('aurexHit', { numberOfKeys: 1, lua: HIT });
    this.redis = r as Redis & Scripts;
    this.channel = `${this.prefix}revocations`;
  }

  private k(kind: string, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }

  private publish(hashes: string[]): Promise<unknown> | undefined {
    if (hashes.length === 0) return undefined;
    return this.redis.publish(this.channel, hashes.join(','));
  }

  async createPair(userId: string, s: NewToken, t: NewToken, now: number, tombstoneMs: number): Promise<string[]> {
    const sPx = s.exp - now + EXPIRED_GRACE_MS;
    const tPx = t.exp - now + EXPIRED_GRACE_MS;
    const old = await this.redis.aurexCreatePair(
      this.k('usersess', userId), this.k('session', s.hash), this.k('trading', t.hash),
      this.prefix, s.hash, t.hash, userId, s.accountId, s.role, now, s.exp, t.exp, sPx, tPx, Math.max(sPx, tPx), tombstoneMs,
    );
    await this.publish(old);
    return old;
  }

  async get(kind: TokenKind, hash: string, now: number, touch: boolean): Promise<TokenRecord | undefined> {
    const key = this.k(kind, hash);
    return toRecord(touch ? await this.redis.aurexGetTouch(key, now) : await this.redis.hgetall(key));
  }

  async getMany(refs: readonly TokenRef[]): Promise<(TokenRecord | undefined)[]> {
    if (refs.length === 0) return [];
    const p = this.redis.pipeline();
    for (const r of refs) p.hgetall(this.k(r.kind, r.hash));
    const res = (await p.exec()) ?? [];
    return res.map(([err, v]) => {
      if (err) throw err;
      return toRecord(v as Record<string, string>);
    });
  }

  async isRevoked(hash: string): Promise<boolean> {
    return (await this.redis.exists(this.k('revoked', hash))) === 1;
  }

  async replaceSession(userId: string, oldHash: string, fresh: NewToken, now: number, tombstoneMs: number): Promise<boolean> {
    const ok = await this.redis.aurexReplaceSession(
      this.k('usersess', userId), this.k('session', oldHash), this.k('session', fresh.hash),
      this.prefix, oldHash, fresh.hash, now, fresh.exp, fresh.exp - now + EXPIRED_GRACE_MS, tombstoneMs,
    );
    if (ok === 1) await this.publish([oldHash]);
    return ok === 1;
  }

  async revokeUser(userId: string, _now: number, tombstoneMs: number): Promise<string[]> {
    const out = await this.redis.aurexRevokeUser(this.k('usersess', userId), this.prefix, tombstoneMs);
    await this.publish(out);
    return out;
  }

  async hit(key: string, limit: number, windowMs: number, now: number): Promise<HitResult> {
    const start = now - (now % windowMs);
    const [ok, est] = await this.redis.aurexHit(this.prefix + key, start, windowMs, limit, now);
    return { allowed: ok === 1, count: Math.ceil(Number(est)) };
  }

  async setUntil(key: string, until: number, now: number): Promise<void> {
    await this.redis.set(this.prefix + key, String(until), 'PX', Math.max(1, until - now));
  }

  async getUntil(key: string, now: number): Promise<number | undefined> {
    const v = await this.redis.get(this.prefix + key);
    if (v === null) return undefined;
    const t = Number(v);
    return t > now ? t : undefined;
  }

  async del(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  onRevoked(listener: (hashes: string[]) => void): () => void {
    this.listeners.add(listener);
    if (!this.sub) {
      const sub = this.redis.duplicate();
      this.sub = sub;
      sub.on('message', (ch: string, msg: string) => {
        if (ch !== this.channel || !msg) return;
        const hashes = msg.split(',');
        for (const l of this.listeners) l(hashes);
      });
      sub.on('error', () => {
        /* reconnects by itself; the periodic re-validation covers the gap */
      });
      void sub.subscribe(this.channel).catch(() => undefined);
    }
    return () => this.listeners.delete(listener);
  }

  /** Delete every key under this store's prefix (tests). */
  async deleteAllKeys(): Promise<number> {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) n += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return n;
  }

  /** The underlying connection (benchmarks, diagnostics). */
  get connection(): Redis {
    return this.redis;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.sub) {
      this.sub.disconnect();
      this.sub = undefined;
    }
    if (this.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
