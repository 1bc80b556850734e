/**
 * In-process session store (embedded default): same semantics as the Redis store, expiry by the
 * injected clock. Several managers in one process may share one instance (tests do, to stand in
 * for several gateways).
 */
import type { NewToken, TokenKind, TokenRecord, Clock } from './auth-types.ts';
import { EXPIRED_GRACE_MS, slidingEstimate, type HitResult, type SessionStore, type TokenRef } from './session-store.ts';

interface Entry<T> {
  v: T;
  /** Garbage-collection instant (clock ms). */
  gcAt: number;
}

interface Window {
  start: number;
  cur: number;
  prev: number;
}

export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory' as const;
  private readonly tokens = { session: new Map<string, Entry<TokenRecord>>(), trading: new Map<string, Entry<TokenRecord>>() };
  private readonly current = new Map<string, Entry<{ s: string; t: string }>>();
  private readonly tombstones = new Map<string, number>();
  private readonly windows = new Map<string, Entry<Window>>();
  private readonly untils = new Map<string, number>();
  private readonly listeners = new Set<(hashes: string[]) => void>();
  private readonly purgeTimer: NodeJS.Timeout;

  constructor(private readonly clock: Clock = Date.now) {
    this.purgeTimer = setInterval(() => this.purge(this.clock()), 30_000);
    this.purgeTimer.unref();
  }

  /** Drop everything past its collection time (also run lazily on reads). */
  purge(now: number): void {
    for (const m of [this.tokens.session, this.tokens.trading, this.current, this.windows]) {
      for (const [k, e] of m as Map<string, Entry<unknown>>) if (e.gcAt <= now) m.delete(k);
    }
    for (const [k, t] of this.tombstones) if (t <= now) this.tombstones.delete(k);
    for (const [k, t] of this.untils) if (t <= now) this.untils.delete(k);
  }

  private live<T>(m: Map<string, Entry<T>>, k: string, now: number): T | undefined {
    const e = m.get(k);
    if (!e) return undefined;
    if (e.gcAt <= now) {
      m.delete(k);
      return undefined;
    }
    return e.v;
  }

  private dropPair(userId: string, now: number, tombstoneMs: number): string[] {
    const cur = this.live(this.current, userId, now);
    if (!cur) return [];
    this.current.delete(userId);
    const out: string[] = [];
    for (const [kind, h] of [['session', cur.s], ['trading', cur.t]] as const) {
      if (!h) continue;
      this.tokens[kind].delete(h);
      this.tombstones.set(h, now + tombstoneMs);
      out.push(h);
    }
    return out;
  }

  private notify(hashes: string[]): void {
    if (hashes.length) for (const l of this.listeners) l(hashes);
  }

  async createPair(userId: string, s: NewToken, t: NewToken, now: number, tombstoneMs: number): Promise<string[]> {
    const old = this.dropPair(userId, now, tombstoneMs);
    const { hash: sh, ...srec } = s;
    const { hash: th, ...trec } = t;
    this.tokens.session.set(sh, { v: srec, gcAt: s.exp + EXPIRED_GRACE_MS });
    this.tokens.trading.set(th, { v: trec, gcAt: t.exp + EXPIRED_GRACE_MS });
    this.current.set(userId, { v: { s: sh, t: th }, gcAt: Math.max(s.exp, t.exp) + EXPIRED_GRACE_MS });
    this.notify(old);
    return old;
  }

  async get(kind: TokenKind, hash: string, now: number, touch: boolean): Promise<TokenRecord | undefined> {
    const r = this.live(this.tokens[kind], hash, now);
    if (r && touch) r.last = now;
    return r ? { ...r } : undefined;
  }

  async getMany(refs: readonly TokenRef[]): Promise<(TokenRecord | undefined)[]> {
    const now = this.clock();
    return refs.map((r) => {
      const v = this.live(this.tokens[r.kind], r.hash, now);
      return v ? { ...v } : undefined;
    });
  }

  async isRevoked(hash: string): Promise<boolean> {
    const t = this.tombstones.get(hash);
    return t !== undefined && t > this.clock();
  }

  async replaceSession(userId: string, oldHash: string, fresh: NewToken, now: number, tombstoneMs: number): Promise<boolean> {
    const cur = this.live(this.current, userId, now);
    const old = this.live(this.tokens.session, oldHash, now);
    if (!cur || cur.s !== oldHash || !old) return false;
    this.tokens.session.delete(oldHash);
    this.tombstones.set(oldHash, now + tombstoneMs);
    const { hash, ...rec } = fresh;
    this.tokens.session.set(hash, { v: rec, gcAt: fresh.exp + EXPIRED_GRACE_MS });
    const tr = this.live(this.tokens.trading, cur.t, now);
    if (tr) tr.peer = hash;
    const e = this.current.get(userId)!;
    e.v = { s: hash, t: cur.t };
    e.gcAt = Math.max(e.gcAt, fresh.exp + EXPIRED_GRACE_MS);
    this.notify([oldHash]);
    return true;
  }

  async revokeUser(userId: string, now: number, tombstoneMs: number): Promise<string[]> {
    const out = this.dropPair(userId, now, tombstoneMs);
    this.notify(out);
    return out;
  }

  async hit(key: string, limit: number, windowMs: number, now: number): Promise<HitResult> {
    const start = now - (now % windowMs);
    let e = this.windows.get(key);
    if (!e || e.gcAt <= now) {
      e = { v: { start, cur: 0, prev: 0 }, gcAt: start + 2 * windowMs };
      this.windows.set(key, e);
    } else if (e.v.start !== start) {
      e.v.prev = e.v.start === start - windowMs ? e.v.cur : 0;
      e.v.cur = 0;
      e.v.start = start;
      e.gcAt = start + 2 * windowMs;
    }
    const est = slidingEstimate(e.v.prev, e.v.cur + 1, start, windowMs, now);
    if (est > limit) return { allowed: false, count: Math.ceil(est - 1) };
    e.v.cur++;
    return { allowed: true, count: Math.ceil(est) };
  }

  async setUntil(key: string, until: number): Promise<void> {
    this.untils.set(key, until);
  }

  async getUntil(key: string, now: number): Promise<number | undefined> {
    const t = this.untils.get(key);
    if (t === undefined) return undefined;
    if (t <= now) {
      this.untils.delete(key);
      return undefined;
    }
    return t;
  }

  async del(key: string): Promise<void> {
    this.windows.delete(key);
    this.untils.delete(key);
  }

  onRevoked(listener: (hashes: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    this.listeners.clear();
  }
}
