/**
 * `npm run bench -- grpc`: the gRPC gateway beside a raw grpc-js echo service
 * (the baseline) measured in the same run, server and load clients in
 * separate processes on loopback (server: bench/suites/grpc-server.ts, the
 * real stack on embedded defaults; clients: bench/suites/grpc-client.ts).
 *
 * Cases: raw-unary-echo, unary-submit (sequential round trips, p50/p99);
 * raw-bidi-echo, order-entry (several streams from two client processes,
 * application window of 1024 messages, msgs/s); fanout-1000, fanout-10000
 * (StreamMarketData subscribers, updates delivered per second, server RSS);
 * price-exact, price-fast (in-process: a wire double price to integer minor
 * units through the exact decimal path, and through doubleToMinor's fast path
 * that the gateway uses, on the same on-grid prices); exec-encode-tsproto,
 * exec-encode-fast (in-process: an execution report framed for the OrderEntry
 * stream through convert.ts + ts-proto, and through FrameBuilder.execution).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { latencyStats, machineInfo, median, printTable, type BenchCase, type SuiteOptions, type SuiteResult } from '../lib/results.ts';
import { doubleToMinor, doubleToMinorExact } from '../../gateway-grpc/price.ts';
import { executionReport } from '../../gateway-grpc/convert.ts';
import { FrameBuilder } from '../../gateway-grpc/frame-builder.ts';
import { OrderEntryResponse } from '../../gen/aurex/stock/v1/stock.ts';
import type { ExecReport } from '../../engine/types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Proc {
  child: ChildProcess;
  next<T>(): Promise<T>;
  ask<T>(msg: unknown): Promise<T>;
}

/** Extra node flags for the server process, e.g. GRPC_BENCH_SERVER_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const serverArgs = (process.env.GRPC_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
/** GRPC_BENCH_ONLY=bidi (or unary, fanout; comma-separated): run only these groups while profiling/tuning. */
const only = new Set((process.env.GRPC_BENCH_ONLY ?? 'unary,bidi,fanout').split(','));

function spawn(file: string, extraArgs: string[] = []): Proc {
  const child = fork(path.join(here, file), [], { execArgv: ['--import', 'tsx', ...extraArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  child.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      if (queue.length) return resolve(queue.shift() as T);
      const t = setTimeout(() => reject(new Error(`${file}: no answer within 120 s`)), 120_000);
      waiters.push((m) => {
        clearTimeout(t);
        const e = (m as { error?: string }).error;
        if (e) reject(new Error(`${file}: ${e}`));
        else resolve(m as T);
      });
    });
  return {
    child,
    next,
    ask<T>(msg: unknown) {
      child.send(msg as object);
      return next<T>();
    },
  };
}

const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

/** Conversions per second of `f` over on-grid prices 0.01..9999.99 (median of 5 passes). */
function priceRate(f: (v: number) => number, n: number): number {
  const prices = new Float64Array(4096);
  for (let i = 0; i < prices.length; i++) prices[i] = (1 + ((i * 7919) % 999_999)) / 100;
  const rates: number[] = [];
  let sink = 0;
  for (let pass = 0; pass < 5; pass++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += f(prices[i & 4095]!);
    rates.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  if (sink < 0) throw new Error('a valid price was refused');
  return median(rates);
}

/** Execution reports framed per second (median of 5 passes) by `frame`, on a mix of fills and acceptances. */
function execEncodeRate(frame: (fb: FrameBuilder, r: ExecReport) => void, n: number): number {
  const reports: ExecReport[] = [];
  for (let i = 0; i < 64; i++) {
    const fill = i % 2 === 0;
    reports.push({
      accountSeq: 1_000 + i, accountId: 7, seq: 5_000_000 + i, ts: 1_764_633_600_000 + i, kind: fill ? 'FILL' : 'ACCEPTED',
      orderId: 900_000 + i, clientOrderId: `algo-7-${100_000 + i}`, symbol: 'AAPL', side: i % 4 < 2 ? 'BUY' : 'SELL', orderKind: 'LIMIT',
      price: 22_850 + (i % 9), qty: 100, filledQty: fill ? 40 : 0, remainingQty: fill ? 60 : 100, status: fill ? 'PARTIALLY_FILLED' : 'OPEN', code: 0,
      tradeId: fill ? 300_000 + i : undefined, lastPrice: fill ? 22_850 : undefined, lastQty: fill ? 40 : undefined, liquidity: fill ? 'MAKER' : undefined, fee: fill ? 91 : undefined,
    });
  }
  let bytes = 0;
  const fb = new FrameBuilder((b) => void (bytes += b.length));
  const rates: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) frame(fb, reports[i & 63]!);
    fb.flush();
    rates.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  if (bytes === 0) throw new Error('nothing framed');
  return median(rates);
}

export async function run(opts: SuiteOptions): Promise<SuiteResult> {
  const quick = opts.quick;
  const priceCases: BenchCase[] = [
    { name: 'price-exact', workload: 'double price -> minor units, decimal string + BigInt path, in-process', opsPerSec: Math.round(priceRate(doubleToMinorExact, quick ? 100_000 : 1_000_000)) },
    { name: 'price-fast', workload: 'double price -> minor units, doubleToMinor (fast path, what the gateway runs), in-process', opsPerSec: Math.round(priceRate(doubleToMinor, quick ? 1_000_000 : 20_000_000)) },
    {
      name: 'exec-encode-tsproto',
      workload: 'execution report -> OrderEntry frame via convert.ts executionReport + ts-proto encode (the previous path), in-process',
      opsPerSec: Math.round(execEncodeRate((fb, r) => fb.message(OrderEntryResponse.encode({ event: { $case: 'execution', value: executionReport(r, 1) } }).finish()), quick ? 20_000 : 300_000)),
    },
    {
      name: 'exec-encode-fast',
      workload: 'execution report -> OrderEntry frame via FrameBuilder.execution (what the gateway runs; byte-identical), in-process',
      opsPerSec: Math.round(execEncodeRate((fb, r) => fb.execution(r, 1), quick ? 100_000 : 3_000_000)),
    },
  ];
  const server = spawn('grpc-server.ts', serverArgs);
  const { port, users } = await server.next<{ port: number; users: { token: string }[] }>();
  const address = `127.0.0.1:${port}`;
  const tokens = users.map((u) => u.token);
  const clients = [spawn('grpc-client.ts'), spawn('grpc-client.ts')];
  await Promise.all(clients.map((c) => c.next()));
  const cases: BenchCase[] = [...priceCases];
  const base = { address, window: 1024, channels: 1, streams: 1 };

  try {
    // ---------------------------------------------------------------- unary
    const nUnary = quick ? 2000 : 20000;
    // interleaved in blocks of 100 calls on one connection (see grpc-client.ts unaryBoth)
    if (only.has('unary')) {
      type Part = { lat: number[]; secs: number; n: number };
      const both = await clients[0]!.ask<{ raw: Part; submit: Part }>({
        job: { ...base, mode: 'unary-both', tokens: [tokens[0]], count: nUnary, tag: `unary-${Date.now()}` },
      });
      for (const [name, r, workload] of [
        ['raw-unary-echo', both.raw, 'raw grpc-js unary echo of an encoded OrderRequest, 1 outstanding call, interleaved with unary-submit in blocks of 100'],
        ['unary-submit', both.submit, 'SubmitOrder (resting LIMIT, auth + validation + engine + durable ack), 1 outstanding call, interleaved with raw-unary-echo'],
      ] as const) {
        const s = latencyStats(r.lat);
        cases.push({ name, workload, opsPerSec: Math.round(r.n / r.secs), p50Us: Math.round(s.p50), p99Us: Math.round(s.p99), p999Us: Math.round(s.p999), calls: r.n });
      }
    }

    // ---------------------------------------------------------------- bidi
    const streamsPerClient = 2;
    const perStream = quick ? 25_000 : 150_000;
    if (only.has('bidi')) for (const [name, mode, workload] of [
      ['raw-bidi-echo', 'bidi-raw', 'raw grpc-js bidi echo, OrderEntryRequest-sized messages'],
      ['order-entry', 'order-entry', 'OrderEntry stream: LIMIT orders crossing between accounts, one ack each'],
    ] as const) {
      const rs = await Promise.all(
        clients.map((c, ci) =>
          c.ask<{ received: number; secs: number }>({
            job: { ...base, mode, tokens: tokens.slice(ci * streamsPerClient, ci * streamsPerClient + streamsPerClient), count: perStream, streams: streamsPerClient, channels: streamsPerClient, tag: `${name}-${ci}-${Date.now()}` },
          }),
        ),
      );
      const received = rs.reduce((a, r) => a + r.received, 0);
      const secs = Math.max(...rs.map((r) => r.secs));
      cases.push({ name, workload, opsPerSec: Math.round(received / secs), messages: received, streams: streamsPerClient * clients.length, clientProcesses: clients.length, window: 1024 });
    }

    // ---------------------------------------------------------------- fan-out
    if (only.has('fanout')) for (const streams of [1000, 10000]) {
      const per = streams / clients.length;
      const channels = streams >= 10000 ? 20 : 4;
      await Promise.all(
        clients.map((c, ci) => c.ask({ job: { ...base, mode: 'fanout', tokens: tokens.slice(ci * 4, ci * 4 + 4), count: 0, streams: per, channels, tag: `fan-${ci}` } })),
      );
      const rssOpen = (await server.ask<{ rss: number }>({ cmd: 'rss' })).rss;
      await Promise.all(clients.map((c) => c.ask({ cmd: 'count-start' })));
      const ms = quick ? 2000 : 5000;
      const t0 = Date.now();
      const churn = await server.ask<{ updates: number; rss: number }>({ cmd: 'churn', ms });
      await new Promise((r) => setTimeout(r, 300)); // let the last updates arrive
      const secs = (Date.now() - t0) / 1000;
      const counted = (await Promise.all(clients.map((c) => c.ask<{ counted: number }>({ cmd: 'count-stop' })))).reduce((a, r) => a + r.counted, 0);
      const stats = await server.ask<{ streams: number; encodings: number; deliveries: number }>({ cmd: 'stats' });
      await Promise.all(clients.map((c) => c.ask({ cmd: 'close-fanout' })));
      cases.push({
        name: `fanout-${streams}`,
        workload: `${streams} StreamMarketData subscribers of one symbol, book changes as fast as the server makes them`,
        opsPerSec: Math.round(counted / secs),
        rssMB: mb(Math.max(rssOpen, churn.rss)),
        rssOpenMB: mb(rssOpen),
        streams,
        bookChanges: churn.updates,
        perStreamUpdatesPerSec: Math.round(counted / secs / streams),
        serverEncodings: stats.encodings,
        serverDeliveries: stats.deliveries,
      });
    }
  } finally {
    for (const c of clients) c.child.kill();
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.send({ cmd: 'exit' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    server.child.kill();
  }

  const byName = (n: string) => cases.find((c) => c.name === n);
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? Math.round((a / b) * 100) / 100 : undefined);
  const rawU = byName('raw-unary-echo');
  const sub = byName('unary-submit');
  const rawB = byName('raw-bidi-echo');
  const oe = byName('order-entry');
  const summary = {
    unaryP50VsRaw: ratio(sub?.p50Us, rawU?.p50Us),
    unaryP50Target: 1.3,
    orderEntryVsRawBidi: ratio(oe?.opsPerSec, rawB?.opsPerSec),
    orderEntryVsRawBidiTarget: 0.7,
    orderEntryOpsPerSec: oe?.opsPerSec,
    orderEntryTarget: 50_000,
    fanout10000RssMB: byName('fanout-10000')?.rssMB,
    priceFastVsExact: ratio(byName('price-fast')?.opsPerSec, byName('price-exact')?.opsPerSec),
    execEncodeFastVsTsProto: ratio(byName('exec-encode-fast')?.opsPerSec, byName('exec-encode-tsproto')?.opsPerSec),
  };
  printTable('grpc', cases.map((c) => ({ case: c.name, opsPerSec: c.opsPerSec, p50Us: c.p50Us ?? '', p99Us: c.p99Us ?? '', rssMB: c.rssMB ?? '' })));
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return { suite: 'grpc', mode: quick ? 'quick' : 'full', machine: machineInfo(), cases, summary };
}
