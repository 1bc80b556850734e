/**
 * The design's Redis market cache: `market:{symbol}` hash with last, bid, ask,
 * volume, timestamp (TTL 60 s), plus a PUBLISH of the same picture on
 * `md:{symbol}` so other processes (more gateway instances) can serve market
 * data without the engine.
 *
 * Conflated: update() only remembers the latest picture per symbol; a timer
 * writes the dirty symbols at most every `intervalMs` in one pipeline (HSET +
 * EXPIRE + PUBLISH per symbol). Idle symbols are re-written every ttl/2 so the
 * keys of a quiet market do not expire. Redis trouble never reaches the
 * engine: errors are counted and the next round retries with the latest data.
 * Prices are ticks, volume shares (integers, as strings in Redis).
 */
import type { Redis } from 'ioredis';

export interface MarketPicture {
  symbol: string;
  last: number;
  bid: number;
  ask: number;
  volume: number;
  /** Engine timestamp (ms since epoch). */
  ts: number;
  /** Market-data sequence of the symbol (ordering for subscribers). */
  mdSeq?: number;
}

export interface RedisMarketCacheOptions {
  redis: Redis;
  /** Minimum period between writes of one symbol (ms). Default 50. */
  intervalMs?: number;
  ttlSeconds?: number;
  /** Key prefix (tests, several exchanges on one Redis). Default ''. */
  prefix?: string;
  onError?: (err: Error) => void;
}

export const marketKey = (symbol: string, prefix = '') => `${prefix}market:${symbol}`;
export const marketChannel = (symbol: string, prefix = '') => `${prefix}md:${symbol}`;

export class RedisMarketCache {
  private readonly redis: Redis;
  private readonly intervalMs: number;
  private readonly ttl: number;
  private readonly prefix: string;
  private readonly onError?: (err: Error) => void;
  private readonly latest = new Map<string, MarketPicture>();
  private readonly dirty = new Set<string>();
  private readonly writtenAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private writing = false;
  stats = { writes: 0, updates: 0, errors: 0, publishes: 0 };

  constructor(opts: RedisMarketCacheOptions) {
    this.redis = opts.redis;
    this.intervalMs = opts.intervalMs ?? 50;
    this.ttl = opts.ttlSeconds ?? 60;
    this.prefix = opts.prefix ?? '';
    this.onError = opts.onError;
  }

  /** Remember the newest picture of a symbol (cheap; no I/O). */
  update(p: MarketPicture): void {
    this.latest.set(p.symbol, p);
    this.dirty.add(p.symbol);
    this.stats.updates++;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Write the dirty (and stale) symbols in one pipeline. */
  async flush(): Promise<void> {
    if (this.writing) return;
    const now = Date.now();
    const refreshBefore = now - (this.ttl * 1000) / 2;
    const todo: MarketPicture[] = [];
    for (const [sym, p] of this.latest) {
      if (this.dirty.has(sym) || (this.writtenAt.get(sym) ?? 0) < refreshBefore) todo.push(p);
    }
    if (!todo.length) return;
    this.dirty.clear();
    this.writing = true;
    try {
      const pipe = this.redis.pipeline();
      for (const p of todo) {
        const key = marketKey(p.symbol, this.prefix);
        pipe.hset(key, { last: p.last, bid: p.bid, ask: p.ask, volume: p.volume, timestamp: p.ts, mdSeq: p.mdSeq ?? 0 });
        pipe.expire(key, this.ttl);
        pipe.publish(marketChannel(p.symbol, this.prefix), JSON.stringify(p));
      }
      const res = await pipe.exec();
      const failed = res?.find(([e]) => e);
      if (failed) throw failed[0]!;
      for (const p of todo) this.writtenAt.set(p.symbol, now);
      this.stats.writes += todo.length;
      this.stats.publishes += todo.length;
    } catch (e) {
      this.stats.errors++;
      for (const p of todo) this.dirty.add(p.symbol); // retry next round with the latest data
      this.onError?.(e as Error);
    } finally {
      this.writing = false;
    }
  }
}

/** Read the cached picture of a symbol (undefined when absent or expired). */
export async function readMarket(redis: Redis, symbol: string, prefix = ''): Promise<MarketPicture | undefined> {
  const h = await redis.hgetall(marketKey(symbol, prefix));
  if (!h || h.last === undefined) return undefined;
  return { symbol, last: Number(h.last), bid: Number(h.bid), ask: Number(h.ask), volume: Number(h.volume), ts: Number(h.timestamp), mdSeq: Number(h.mdSeq ?? 0) };
}

/**
 * Subscribe to market updates of some symbols on a dedicated connection (a
 * Redis connection in subscriber mode can do nothing else). Returns a function
 * that unsubscribes.
 */
export async function subscribeMarket(
  sub: Redis,
  symbols: string[],
  listener: (p: MarketPicture) => void,
  prefix = '',
): Promise<() => Promise<void>> {
  const channels = symbols.map((s) => marketChannel(s, prefix));
  const wanted = new Set(channels);
  const onMessage = (channel: string, message: string) => {
    if (!wanted.has(channel)) return;
    try {
      listener(JSON.parse(message) as MarketPicture);
    } catch {
      /* a malformed message from another writer: ignore it */
    }
  };
  sub.on('message', onMessage);
  await sub.subscribe(...channels);
  return async () => {
    sub.off('message', onMessage);
    await sub.unsubscribe(...channels);
  };
}
