/**
 * The server side of `npm run bench -- tcp`, run in its own process (forked
 * by bench/suites/tcp.ts) so client and server do not share an event loop:
 *
 *   - a raw node:net echo server (the baseline): for every order-sized frame
 *     it receives it answers one ack-sized frame, with TCP_NODELAY and one
 *     write per read, i.e. the least any TCP server can do per message;
 *   - the real Aurex stack on embedded defaults: ExchangeCore (no-op journal),
 *     AuthManager (in-process sessions, temp-dir users), TcpGateway.
 *
 * It creates the trading users and a "maker" account resting deep sell
 * liquidity, then reports {rawPort, tcpPort, tokens, symbol, price} over IPC.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '../../engine/codes.ts';
import { ExchangeCore } from '../../engine/core.ts';
import { createAuthManager } from '../../engine/auth/index.ts';
import { TcpGateway } from '../../gateway-tcp/server.ts';
import { FrameDecoder } from '../../gateway-tcp/frame-decoder.ts';
import { writeHeader } from '../../gateway-tcp/codec.ts';
import { MsgType, Size, HEADER_SIZE } from '../../gateway-tcp/protocol.ts';

export interface BenchServerReady {
  rawPort: number;
  tcpPort: number;
  tokens: string[];
  symbol: string;
  price: number;
  /** The same order flow run against ExchangeCore in process (no gateway, no sockets): the ceiling. */
  engineOrdersPerSec: number;
}

/** Client order ids of the in-process runs: one sequence over all of them (a restart at e1 would resubmit retained ids as duplicates). */
let ceilingId = 0;

/** Same workload as the bench clients, straight into the core, WINDOW orders per turn. */
async function engineCeiling(core: ExchangeCore, accountId: number, symbol: string, price: number, n: number): Promise<number> {
  let done = 0;
  let sent = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const batch = (): void => {
      for (let i = 0; i < 4096 && sent < n; i++) {
        sent++;
        core.execute({ type: 'new', accountId, clientOrderId: `e${++ceilingId}`, symbol, side: 'BUY', kind: 'LIMIT', price, qty: 1 }, () => {
          if (++done === n) resolve();
        });
      }
      if (sent < n) setImmediate(batch);
    };
    batch();
  });
  return Math.round(n / ((performance.now() - t0) / 1000));
}

const users = Number(process.env.TCP_BENCH_USERS ?? 60);
const PASSWORD = 'Bench-Password-123!';

function rawEchoServer(): Promise<number> {
  const ackSize = HEADER_SIZE + Size.OrderResponse;
  const server = net.createServer({ noDelay: true }, (sock) => {
    // One reply per frame, all replies of a read in one write (the same batching the gateway does).
    let out: Buffer[] = [];
    const d = new FrameDecoder(
      () => {
        const b = Buffer.allocUnsafe(ackSize);
        writeHeader(b, 0, MsgType.OrderResponse, Size.OrderResponse);
        b.fill(0, HEADER_SIZE);
        out.push(b);
      },
      () => sock.destroy(),
    );
    sock.on('data', (c: Buffer) => {
      d.push(c);
      if (out.length) {
        sock.write(out.length === 1 ? out[0]! : Buffer.concat(out));
        out = [];
      }
    });
    sock.on('error', () => undefined);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aurex-tcp-bench-'));
  const core = new ExchangeCore({
    maxOrdersPerSecond: 100_000_000,
    maxOpenOrdersPerAccount: 10_000_000,
    retainTerminalOrders: 1000,
    indexIntervalMs: 0,
  });
  const sym = core.symbols()[0]!;
  const auth = await createAuthManager({
    dataDir: dir,
    scrypt: { log2N: 10, r: 8, p: 1 },
    rateLimits: { ordersPerSecond: { trader: 100_000_000, admin: 100_000_000, readonly: 0 } },
    provisionAccount: async (accountId, cash, positions) => {
      const r = await core.executeAsync({ type: 'createAccount', accountId, cash, positions });
      if (r.code !== Code.OK) throw new Error(`createAccount: ${r.code}`);
    },
  });
  const tokens: string[] = [];
  for (let i = 0; i < users; i++) {
    const email = `bench${i}@tcp.bench`;
    await auth.createUser({ email, password: PASSWORD, cash: 1e15, positions: { [sym.symbol]: 1_000_000_000 } });
    tokens.push((await auth.login({ email, password: PASSWORD })).tradingToken);
  }
  // The maker: deep resting sell liquidity at the reference price, so every bench buy fills.
  const maker = await auth.createUser({ email: 'maker@tcp.bench', password: PASSWORD, cash: 0, positions: { [sym.symbol]: 2_000_000_000 } });
  const price = sym.referencePrice;
  for (let i = 0; i < 1000; i++) {
    const r = await core.executeAsync({
      type: 'new',
      accountId: maker.accountId,
      clientOrderId: `m${i}`,
      symbol: sym.symbol,
      side: 'SELL',
      kind: 'LIMIT',
      price,
      qty: Math.min(sym.maxOrderQty, Math.floor(sym.maxOrderNotional / price)),
    });
    if (r.code !== Code.OK) throw new Error(`maker order: ${r.code}`);
  }
  const probe = await auth.createUser({ email: 'probe@tcp.bench', password: PASSWORD, cash: 1e15, positions: {} });
  const engineN = Number(process.env.TCP_BENCH_ENGINE_N ?? 200_000);
  // warm-up: the first few hundred thousand orders of a fresh process run at about half the
  // warm rate (compilation, the young generation and the tables growing), and this is the ceiling
  for (let k = 0; k < 2; k++) await engineCeiling(core, probe.accountId, sym.symbol, price, Math.min(150_000, engineN));
  const engineOrdersPerSec = await engineCeiling(core, probe.accountId, sym.symbol, price, engineN);
  const gw = new TcpGateway({ exchange: core, auth, host: '127.0.0.1', port: 0, options: { hardLimitBytes: 64 << 20, highWaterBytes: 8 << 20 } });
  const tcpPort = await gw.listen();
  const rawPort = await rawEchoServer();
  const ready: BenchServerReady = { rawPort, tcpPort, tokens, symbol: sym.symbol, price, engineOrdersPerSec };
  process.send!(ready);
  process.on('message', async (m: unknown) => {
    if (m === 'stop') {
      await gw.close();
      core.close();
      await auth.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`tcp bench server failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
