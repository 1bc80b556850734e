/**
 * Auth hot path: authenticate() on a cached token vs an uncached one (in process and against
 * the real Redis on 127.0.0.1:6379), and the order-rate check. Baseline in the same run: a plain
 * Map.get of a token-sized string key (what a cache hit cannot beat).
 *
 *   npx tsx bench/suites/auth.ts [--quick]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuthManager, FileUserStore, MemoryAuditSink, MemorySessionStore, RedisSessionStore } from '../../engine/auth/index.ts';
import type { SessionStore } from '../../engine/auth/index.ts';
import { machineInfo, percentile, writeResults, type BenchCase, type SuiteResult } from '../lib/results.ts';

const PASSWORD = 'Bench-Password-1!';

function nsPerOp(n: number, f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / n;
}

async function latencies(n: number, f: () => Promise<unknown>): Promise<Float64Array> {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await f();
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return out.sort();
}

async function setup(sessions: SessionStore, dir: string, cacheMs: number) {
  const auth = new AuthManager({
    users: new FileUserStore(dir),
    sessions,
    audit: new MemoryAuditSink(),
    secret: randomBytes(32),
    scrypt: { log2N: 10, r: 8, p: 1 },
    cacheMs,
    ownsStores: false,
  });
  await auth.init();
  return auth;
}

export async function run(opts: { quick?: boolean } = {}): Promise<SuiteResult> {
  const quick = !!opts.quick;
  const hotN = quick ? 200_000 : 2_000_000;
  const coldN = quick ? 2_000 : 20_000;
  const cases: BenchCase[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'aurex-bench-auth-'));
  const prefix = `aurex-bench-${process.pid}-${randomBytes(3).toString('hex')}:`;
  const redis = new RedisSessionStore({ prefix });
  const memory = new MemorySessionStore();
  try {
    // One user store shared by the managers; users created once.
    const cached = await setup(memory, dir, 1000);
    await cached.createUser({ email: 'bench@example.com', password: PASSWORD });
    const memTok = await cached.login({ email: 'bench@example.com', password: PASSWORD });

    // Baseline: Map.get with a 43-character key.
    const m = new Map<string, object>([[memTok.tradingToken, {}]]);
    let sink = 0;
    const baseNs = nsPerOp(hotN, () => {
      for (let i = 0; i < hotN; i++) if (m.get(memTok.tradingToken) !== undefined) sink++;
    });
    cases.push({ name: 'baseline Map.get', workload: `${hotN} lookups, 43-char key`, p50Ns: baseNs });

    await cached.authenticate(memTok.tradingToken);
    const syncNs = nsPerOp(hotN, () => {
      for (let i = 0; i < hotN; i++) if (cached.authenticateCached(memTok.tradingToken, 'SubmitOrder') !== undefined) sink++;
    });
    cases.push({ name: 'authenticateCached (sync, hit)', workload: `${hotN} calls, trading token, endpoint check`, p50Ns: syncNs });

    const asyncN = hotN / 4;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < asyncN; i++) if ((await cached.authenticate(memTok.tradingToken, 'SubmitOrder')) !== undefined) sink++;
    const asyncNs = Number(process.hrtime.bigint() - t0) / asyncN;
    cases.push({ name: 'authenticate (async, cache hit)', workload: `${asyncN} awaited calls`, p50Ns: asyncNs });

    const p = memTok.principal;
    const rateNs = nsPerOp(hotN, () => {
      for (let i = 0; i < hotN; i++) sink += cached.checkOrderRate(p);
    });
    cases.push({ name: 'checkOrderRate', workload: `${hotN} calls (mostly limited after the burst)`, p50Ns: rateNs });
    await cached.close();

    // Uncached: cacheMs = 0, every call goes to the store.
    for (const [label, store] of [['in-process store', memory], ['Redis', redis]] as const) {
      const auth = await setup(store, dir, 0);
      const tok = await auth.login({ email: 'bench@example.com', password: PASSWORD });
      for (const [kind, token] of [['trading token', tok.tradingToken], ['session JWT', tok.sessionToken]] as const) {
        await latencies(Math.min(500, coldN), () => auth.authenticate(token)); // warm-up
        const lat = await latencies(coldN, () => auth.authenticate(token));
        cases.push({
          name: `authenticate uncached, ${kind}, ${label}`,
          workload: `${coldN} sequential awaited calls`,
          p50Ns: percentile(lat, 50),
          p99Ns: percentile(lat, 99),
          p999Ns: percentile(lat, 99.9),
        });
      }
      await auth.close();
    }
    if (sink === -1) console.log(sink);
  } finally {
    await redis.deleteAllKeys().catch(() => undefined);
    await redis.close();
    await memory.close();
    await rm(dir, { recursive: true, force: true });
  }
  const get = (n: string) => cases.find((c) => c.name.startsWith(n))!.p50Ns as number;
  const summary = {
    cachedSyncVsMapGet: get('authenticateCached') / get('baseline'),
    cachedAsyncVsMapGet: get('authenticate (async') / get('baseline'),
    redisTradingUncachedVsCachedAsync: get('authenticate uncached, trading token, Redis') / get('authenticate (async'),
    redisJwtUncachedVsCachedAsync: get('authenticate uncached, session JWT, Redis') / get('authenticate (async'),
  };
  return { suite: 'auth', mode: quick ? 'quick' : 'full', machine: machineInfo(), cases, summary };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run({ quick: process.argv.includes('--quick') });
  for (const c of r.cases) {
    const f = (x: unknown) => (typeof x === 'number' ? (x >= 1000 ? `${(x / 1000).toFixed(1)} us` : `${x.toFixed(1)} ns`) : '-');
    console.log(`${c.name.padEnd(52)} p50 ${f(c.p50Ns).padStart(10)}  p99 ${f(c.p99Ns).padStart(10)}   (${c.workload})`);
  }
  console.log(JSON.stringify(r.summary, null, 2));
  console.log(`wrote ${writeResults(r)}`);
}
