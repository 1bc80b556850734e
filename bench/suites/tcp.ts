/**
 * `npm run bench -- tcp`: the binary TCP gateway, client and server in separate
 * processes (the server is bench/suites/tcp-server.ts, forked), loopback.
 *
 * Cases (one run, so ratios compare like with like):
 *   raw-pingpong  node:net ping-pong of an order-sized frame and an ack-sized reply (baseline)
 *   order-rtt     one client, one order in flight: order -> Order Response round trip
 *   pipelined-1   one client, up to WINDOW orders in flight: orders/s
 *   pipelined-8   eight clients pipelining at once: orders/s
 *   clients-50    fifty clients pipelining at once: orders/s, lost and duplicated acks
 *   engine-inproc context: the same flow straight into ExchangeCore in the server process (the ceiling)
 * Every order is a LIMIT BUY of 1 share at the best ask, filled against deep
 * resting liquidity (one trade, an ack and a fill report per order).
 */
import { fork } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '../../server/node-flags.ts';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Code } from '../../engine/codes.ts';
import { TcpClient } from '../../gateway-tcp/client.ts';
import type { OrderResponseMsg } from '../../gateway-tcp/codec.ts';
import { FrameDecoder } from '../../gateway-tcp/frame-decoder.ts';
import { encodeOrderSubmit, FRAME_SIZE } from '../../gateway-tcp/codec.ts';
import { latencyStats, machineInfo, printTable, type BenchCase, type SuiteOptions, type SuiteResult } from '../lib/results.ts';
import type { BenchServerReady } from './tcp-server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WINDOW = 4096;

function us(ms: number): number {
  return Math.round(ms * 1000 * 10) / 10;
}

async function startServer(engineN: number): Promise<{ ready: BenchServerReady; stop(): Promise<void> }> {
  const child = fork(path.join(here, 'tcp-server.ts'), [], {
    // TCP_BENCH_SERVER_ARGS: extra node flags for the server process (e.g. --cpu-prof).
    execArgv: [...SERVER_NODE_FLAGS, '--import', 'tsx', ...(process.env.TCP_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, TCP_BENCH_USERS: '60', TCP_BENCH_ENGINE_N: String(engineN) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<BenchServerReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as BenchServerReady));
    child.once('exit', (code) => reject(new Error(`tcp bench server exited with ${code}`)));
  });
  return {
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.send('stop');
      }),
  };
}

/** Baseline: one order-sized frame out, one ack-sized frame back, n times, one at a time. */
async function rawPingPong(port: number, n: number, warmup: number): Promise<Float64Array> {
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
  const frame = Buffer.alloc(FRAME_SIZE.OrderSubmit);
  encodeOrderSubmit(frame, 0, { clientOrderId: 1, price: 100, qty: 1, stopPrice: 0, symbolId: 1, side: 'BUY', kind: 'LIMIT', postOnly: false });
  const samples = new Float64Array(n);
  let i = -warmup;
  let t0 = 0;
  await new Promise<void>((resolve) => {
    const d = new FrameDecoder(
      () => {
        if (i >= 0) samples[i] = performance.now() - t0;
        i++;
        if (i >= n) return resolve();
        t0 = performance.now();
        sock.write(frame);
      },
      () => undefined,
    );
    sock.on('data', (c: Buffer) => d.push(c));
    t0 = performance.now();
    sock.write(frame);
  });
  sock.destroy();
  return samples;
}

/** One order in flight at a time: order -> ack round trips. */
async function orderRtt(c: TcpClient, symbol: string, price: number, n: number, warmup: number): Promise<Float64Array> {
  const samples = new Float64Array(n);
  let i = -warmup;
  await new Promise<void>((resolve, reject) => {
    let t0 = 0;
    const send = (): void => {
      t0 = performance.now();
      c.submitCb({ symbol, side: 'BUY', price, qty: 1 }, (err, res) => {
        const dt = performance.now() - t0;
        if (err || res!.code !== Code.OK) return reject(err ?? new Error(`reject ${res!.code}`));
        if (i >= 0) samples[i] = dt;
        i++;
        if (i >= n) resolve();
        else send();
      });
    };
    send();
  });
  return samples;
}

interface PipeResult {
  sent: number;
  acked: number;
  lost: number;
  duplicated: number;
  rejected: number;
  seconds: number;
  latencies: Float64Array;
}

/** Each client keeps up to `window` orders in flight until it has sent `perClient`. */
async function pipelined(clients: TcpClient[], symbol: string, price: number, perClient: number, window: number): Promise<PipeResult> {
  let acked = 0;
  let rejected = 0;
  let duplicated = 0;
  let answered = 0;
  let totalSent = 0;
  const latencies = new Float64Array(perClient * clients.length);
  let li = 0;
  const dup0 = clients.map((c) => c.unmatchedResponses);
  const t0 = performance.now();
  const finishers: (() => void)[] = [];
  // A client whose answers stop coming (lost acks) must not hang the bench: give up after 10 s without progress.
  let lastAnswered = -1;
  const watchdog = setInterval(() => {
    if (answered === lastAnswered) for (const f of finishers) f();
    lastAnswered = answered;
  }, 10_000);
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          finishers.push(resolve);
          let sent = 0;
          let done = 0;
          // The bench's own bookkeeping stays off the client's per-order path: one order
          // object and one callback for the whole run, send times and answers in typed
          // arrays indexed by client order id (a Set of a million ids and a closure per
          // order cost the client as much CPU as the server spent on the order).
          const order = { symbol, side: 'BUY' as const, price, qty: 1 };
          const sentAt = new Float64Array(perClient);
          const answeredIds = new Uint8Array(perClient);
          let firstId = -1;
          const onAnswer = (err: Error | null, res: OrderResponseMsg | null): void => {
            done++;
            answered++;
            if (err || !res) rejected++;
            else {
              const k = res.corrId - firstId;
              if (!(k >= 0 && k < sent) || answeredIds[k] !== 0) duplicated++;
              else {
                answeredIds[k] = 1;
                if (li < latencies.length) latencies[li++] = performance.now() - sentAt[k]!;
              }
              if (res.code === Code.OK) acked++;
              else rejected++;
            }
            if (done === perClient) resolve();
            else if (sent - done <= window / 2) pump();
          };
          const pump = (): void => {
            // Refill in one synchronous burst: the client library sends it as one write.
            while (sent - done < window && sent < perClient) {
              const ts = performance.now();
              const id = c.submitCb(order, onAnswer);
              if (firstId < 0) firstId = id;
              // ids are consecutive (the client numbers them); a gap would show as duplicates
              if (id - firstId === sent) sentAt[sent] = ts;
              sent++;
              totalSent++;
            }
          };
          pump();
          c.once('close', () => resolve());
        }),
    ),
  );
  clearInterval(watchdog);
  const seconds = (performance.now() - t0) / 1000;
  clients.forEach((c, k) => (duplicated += c.unmatchedResponses - dup0[k]!));
  return { sent: totalSent, acked, rejected, duplicated, lost: totalSent - answered, seconds, latencies: latencies.subarray(0, li) };
}

export async function run(opts: SuiteOptions): Promise<SuiteResult> {
  const quick = opts.quick;
  const rttN = quick ? 3000 : 30_000;
  const warm = quick ? 500 : 3000;
  const pipeN = quick ? 200_000 : 1_000_000;
  const pipe8N = quick ? 40_000 : 200_000;
  const pipe50N = quick ? 4_000 : 20_000;

  const server = await startServer(quick ? 100_000 : 300_000);
  const { ready } = server;
  const cases: BenchCase[] = [];
  const open = (k: number) => TcpClient.open({ port: ready.tcpPort, token: ready.tokens[k]! });
  try {
    // Interleave raw and Aurex round trips in halves so machine noise hits both alike.
    const raw1 = await rawPingPong(ready.rawPort, rttN / 2, warm);
    const c0 = await open(0);
    const rtt1 = await orderRtt(c0, ready.symbol, ready.price, rttN / 2, warm);
    const raw2 = await rawPingPong(ready.rawPort, rttN / 2, 0);
    const rtt2 = await orderRtt(c0, ready.symbol, ready.price, rttN / 2, 0);
    const raw = latencyStats(Float64Array.from([...raw1, ...raw2]));
    const rtt = latencyStats(Float64Array.from([...rtt1, ...rtt2]));
    cases.push({
      name: 'raw-pingpong',
      workload: `node:net ping-pong, ${FRAME_SIZE.OrderSubmit}-byte frame out, ${FRAME_SIZE.OrderResponse}-byte frame back, TCP_NODELAY, ${rttN} round trips`,
      opsPerSec: Math.round(1000 / ((raw1.reduce((a, b) => a + b, 0) + raw2.reduce((a, b) => a + b, 0)) / rttN)),
      p50Us: us(raw.p50),
      p99Us: us(raw.p99),
      p999Us: us(raw.p999),
    });
    cases.push({
      name: 'order-rtt',
      workload: `1 client, 1 order in flight: LIMIT BUY 1 @ best ask (fills) -> Order Response, ${rttN} orders`,
      opsPerSec: Math.round(1000 / ((rtt1.reduce((a, b) => a + b, 0) + rtt2.reduce((a, b) => a + b, 0)) / rttN)),
      p50Us: us(rtt.p50),
      p99Us: us(rtt.p99),
      p999Us: us(rtt.p999),
    });

    // Pipelined, one client (warm up first).
    await pipelined([c0], ready.symbol, ready.price, Math.min(150_000, pipeN / 4), WINDOW);
    const p1 = await pipelined([c0], ready.symbol, ready.price, pipeN, WINDOW);
    const l1 = latencyStats(p1.latencies);
    cases.push({
      name: 'pipelined-1',
      workload: `1 client, up to ${WINDOW} orders in flight, ${pipeN} orders`,
      opsPerSec: Math.round(p1.acked / p1.seconds),
      p50Us: us(l1.p50),
      p99Us: us(l1.p99),
      p999Us: us(l1.p999),
      lost: p1.lost,
      duplicated: p1.duplicated,
      rejected: p1.rejected,
    });

    cases.push({
      name: 'engine-inproc',
      workload: 'context: the same order flow straight into ExchangeCore in the server process (no gateway, no sockets)',
      opsPerSec: ready.engineOrdersPerSec,
    });

    const c8 = [c0, ...(await Promise.all([1, 2, 3, 4, 5, 6, 7].map(open)))];
    const p8 = await pipelined(c8, ready.symbol, ready.price, pipe8N, WINDOW / 4);
    const l8 = latencyStats(p8.latencies);
    cases.push({
      name: 'pipelined-8',
      workload: `8 clients in one process, up to ${WINDOW / 4} orders in flight each, ${pipe8N} orders each`,
      opsPerSec: Math.round(p8.acked / p8.seconds),
      p50Us: us(l8.p50),
      p99Us: us(l8.p99),
      p999Us: us(l8.p999),
      lost: p8.lost,
      duplicated: p8.duplicated,
      rejected: p8.rejected,
    });

    const c50 = [...c8, ...(await Promise.all(Array.from({ length: 42 }, (_, i) => open(8 + i))))];
    const p50 = await pipelined(c50, ready.symbol, ready.price, pipe50N, 64);
    const l50 = latencyStats(p50.latencies);
    cases.push({
      name: 'clients-50',
      workload: `50 clients in one process, up to 64 orders in flight each, ${pipe50N} orders each`,
      opsPerSec: Math.round(p50.acked / p50.seconds),
      p50Us: us(l50.p50),
      p99Us: us(l50.p99),
      p999Us: us(l50.p999),
      lost: p50.lost,
      duplicated: p50.duplicated,
      rejected: p50.rejected,
    });
    for (const c of c50) c.destroy();
  } finally {
    await server.stop();
  }

  const byName = Object.fromEntries(cases.map((c) => [c.name, c]));
  const rttRatio = Math.round((byName['order-rtt']!.p50Us! / byName['raw-pingpong']!.p50Us!) * 100) / 100;
  const summary = {
    rttP50VsRawPingPong: rttRatio,
    rttTargetMet: rttRatio <= 1.5,
    pipelined1OrdersPerSec: byName['pipelined-1']!.opsPerSec,
    pipelined1TargetMet: (byName['pipelined-1']!.opsPerSec ?? 0) >= 500_000,
    pipelined1VsEngineInProcess: Math.round(((byName['pipelined-1']!.opsPerSec ?? 0) / (ready.engineOrdersPerSec || 1)) * 100) / 100,
    clients50NoLossNoDup: byName['clients-50']!.lost === 0 && byName['clients-50']!.duplicated === 0,
  };
  printTable(
    'tcp gateway (client and server in separate processes)',
    cases.map((c) => ({ case: c.name, 'ops/s': c.opsPerSec, 'p50 us': c.p50Us, 'p99 us': c.p99Us, 'p99.9 us': c.p999Us, lost: c.lost ?? '', dup: c.duplicated ?? '' })),
  );
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return { suite: 'tcp', mode: quick ? 'quick' : 'full', machine: machineInfo(), cases, summary };
}
