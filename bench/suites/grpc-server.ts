/**
 * The server side of `npm run bench -- grpc`, in its own process (forked by
 * bench/suites/grpc.ts): the real stack on embedded defaults (ExchangeCore with
 * the default market and no journal, in-process AuthManager) behind the
 * GrpcGateway, with the raw grpc-js echo baseline registered on the same
 * server. Talks to the parent over IPC:
 *   -> {ready, port, users: [{token, accountId}]}
 *   <- {cmd: 'rss'}                    -> {rss}
 *   <- {cmd: 'churn', ms}              -> {updates, rss}  (book changes, one per event-loop turn)
 *   <- {cmd: 'stats'}                  -> {streams, encodings, deliveries}
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '../../engine/codes.ts';
import { ExchangeCore } from '../../engine/core.ts';
import { createAuthManager } from '../../engine/auth/index.ts';
import { GrpcGateway } from '../../gateway-grpc/server.ts';
import { addRawEcho } from '../../gateway-grpc/raw-echo.ts';
import { setSweepInterval } from '../../gateway-grpc/stream-writer.ts';

const USERS = Number(process.env.GRPC_BENCH_USERS ?? 8);
const dir = mkdtempSync(join(tmpdir(), 'aurex-grpc-bench-'));
const core = new ExchangeCore({ indexIntervalMs: 0, maxOrdersPerSecond: 1e12, maxOpenOrdersPerAccount: 1_000_000 });
const auth = await createAuthManager({
  dataDir: dir,
  scrypt: { log2N: 10, r: 8, p: 1 },
  rateLimits: {
    ordersPerSecond: { trader: 1e9, admin: 1e9 },
    queryPerWindow: { trader: 1e9, admin: 1e9, readonly: 1e9 },
  },
  provisionAccount: async (accountId, cash, positions) => {
    const r = await core.executeAsync({ type: 'createAccount', accountId, cash, positions });
    if (r.code !== Code.OK) throw new Error(`provision failed: ${r.code}`);
  },
});
setSweepInterval(250);
const gw = new GrpcGateway({
  exchange: core,
  auth,
  host: '127.0.0.1',
  port: 0,
  extraServices: addRawEcho,
  // 10,000 streams on one process: keep the per-stream windows modest.
  limits: { marketDataWindow: 32, stuckMs: 30_000 },
});
const port = await gw.listen();
const users: { token: string; accountId: number }[] = [];
const positions: Record<string, number> = {};
for (const s of core.symbols()) positions[s.symbol] = 1_000_000_000;
for (let i = 0; i < USERS; i++) {
  const email = `bench${i}-${process.pid}@grpc.bench`;
  const pw = 'Bench-Pass-123!';
  const v = await auth.createUser({ email, password: pw, role: 'trader', cash: 1e15, positions });
  const l = await auth.login({ email, password: pw });
  users.push({ token: l.tradingToken, accountId: v.accountId });
}

/** One book change per event-loop turn for `ms` (each turn = one market-data update per subscribed symbol). */
function churn(ms: number): Promise<number> {
  const acct = users[0]!.accountId;
  const end = Date.now() + ms;
  let i = 0;
  return new Promise((resolve) => {
    const step = () => {
      if (Date.now() >= end) return resolve(i);
      // alternate resting sells at 10 prices; the same account's orders never cross
      core.execute(
        { type: 'new', accountId: acct, clientOrderId: `churn-${i}`, symbol: 'AAPL', side: 'SELL', kind: 'LIMIT', price: 23000 + (i % 10), qty: 1 },
        () => undefined,
      );
      i++;
      setImmediate(step);
    };
    step();
  });
}

process.on('message', (m: { cmd: string; ms?: number }) => {
  const send = (x: unknown) => process.send!(x);
  if (m.cmd === 'rss') send({ rss: process.memoryUsage().rss });
  else if (m.cmd === 'stats') send({ streams: gw.activeStreams, ...gw.hub.stats });
  else if (m.cmd === 'churn') void churn(m.ms ?? 1000).then((updates) => send({ updates, rss: process.memoryUsage().rss }));
  else if (m.cmd === 'exit') {
    void gw.close(1000).then(async () => {
      core.close();
      await auth.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  }
});
process.send!({ ready: true, port, users });
