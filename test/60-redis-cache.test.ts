import { expect } from 'chai';
import { Redis } from 'ioredis';
import { TcpProxy } from './support/tcp-proxy.ts';
import { marketKey, readMarket, RedisMarketCache, subscribeMarket, type MarketPicture } from '../engine/persistence/redis-market-cache.ts';

describe('60 Redis market cache (real server)', () => {
  const prefix = `aurex-test:${process.pid}:${Date.now()}:`;
  let redis: Redis;
  let sub: Redis;
  before(() => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false });
    sub = new Redis({ host: '127.0.0.1', port: 6379 });
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    sub.disconnect();
  });

  it('keeps market:{symbol} current with a TTL, conflates bursts, and publishes per symbol', async () => {
    const cache = new RedisMarketCache({ redis, intervalMs: 20, prefix });
    const got: MarketPicture[] = [];
    const unsubscribe = await subscribeMarket(sub, ['AAPL'], (p) => got.push(p), prefix);
    // a burst of 1,000 updates in one turn: conflated to the last one
    for (let i = 1; i <= 1000; i++) cache.update({ symbol: 'AAPL', last: 22_000 + i, bid: 21_999 + i, ask: 22_001 + i, volume: i * 10, ts: 1_700_000_000_000 + i, mdSeq: i });
    cache.update({ symbol: 'MSFT', last: 40_000, bid: 0, ask: 40_001, volume: 5, ts: 1_700_000_000_500, mdSeq: 1 });
    await cache.flush();
    expect(await readMarket(redis, 'AAPL', prefix)).to.deep.equal({ symbol: 'AAPL', last: 23_000, bid: 22_999, ask: 23_001, volume: 10_000, ts: 1_700_000_001_000, mdSeq: 1000 });
    const ttl = await redis.ttl(marketKey('AAPL', prefix));
    expect(ttl).to.be.within(55, 60);
    expect(cache.stats.writes).to.equal(2);
    const end = Date.now() + 5000;
    while (got.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(got.map((p) => p.mdSeq)).to.deep.equal([1000]); // MSFT not subscribed, AAPL once
    // the timer path writes later changes
    cache.start();
    cache.update({ symbol: 'AAPL', last: 23_001, bid: 23_000, ask: 23_002, volume: 10_001, ts: 1_700_000_002_000, mdSeq: 1001 });
    const end2 = Date.now() + 5000;
    while (got.length < 2 && Date.now() < end2) await new Promise((r) => setTimeout(r, 10));
    expect(got[1]?.last).to.equal(23_001);
    await cache.stop();
    expect((await readMarket(redis, 'AAPL', prefix))?.mdSeq).to.equal(1001);
    await unsubscribe();
  });

  it('survives a Redis outage without throwing and retries with the latest picture', async () => {
    const proxy = new TcpProxy(6379);
    const port = await proxy.listen();
    const flaky = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 20 });
    flaky.on('error', () => {});
    const errors: Error[] = [];
    const cache = new RedisMarketCache({ redis: flaky, prefix, onError: (e) => errors.push(e) });
    await new Promise((r) => flaky.once('ready', r));
    await flaky.ping();
    proxy.cut();
    await new Promise((r) => setTimeout(r, 50));
    cache.update({ symbol: 'NVDA', last: 1, bid: 1, ask: 2, volume: 1, ts: 1 });
    await cache.flush();
    expect(errors.length).to.equal(1);
    expect(await readMarket(redis, 'NVDA', prefix)).to.equal(undefined);
    proxy.restore();
    cache.update({ symbol: 'NVDA', last: 2, bid: 1, ask: 3, volume: 2, ts: 2 });
    const end = Date.now() + 5000;
    while ((await readMarket(redis, 'NVDA', prefix))?.last !== 2 && Date.now() < end) {
      await cache.flush();
      await new Promise((r) => setTimeout(r, 30));
    }
    expect((await readMarket(redis, 'NVDA', prefix))?.last).to.equal(2);
    flaky.disconnect();
    await proxy.close();
  });
});
