/**
 * Engine benchmark: orders per second through the whole exchange in-process
 * (ExchangeCore: shape check, stamping, no-op command log, risk and
 * reservations, matching on the native book, settlement, execution reports to
 * a subscriber per account, conflated market data to a subscriber, callbacks
 * after the group flush), beside the bare native book on the same op stream in
 * the same run.
 *
 * Workload "mixed": bench/lib/workload.ts marketWorkload (the core suite's
 * stream: ~70% limit around a drifting mid, ~10% market, ~20% cancel of
 * resting orders, ~5k resting, 1000 accounts), turned into engine commands.
 * Every account is funded so no order is risk-rejected; the engine then assigns
 * exactly the stream's order ids, which the suite checks.
 *
 * Cases:
 * - engine: commands executed in groups of GROUP per event-loop turn; ops/s =
 *   commands / wall time including the end-of-turn release. p50/p99 = the
 *   execute() call of one command (risk..settlement..events), timed with
 *   hrtime in a separate pass (timer overhead included).
 * - engine-apply: Exchange.apply() alone (no core pipeline), for reference.
 * - native-batched: the bare native book, process() 256 ops per call.
 * - native-per-op: the bare native book, one submit()/cancel() call per op (the
 *   entry points the engine uses, since each order's risk check depends on the
 *   previous order's settlement).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { NativeBook } from '../../engine/book/native-book.ts';
import { OP_ACCOUNT, OP_ID, OP_KIND, OP_PRICE, OP_QTY, OP_SIDE, OP_STRIDE, OpKind, OrderType, Side } from '../../engine/book/layout.ts';
import { ExchangeCore } from '../../engine/core.ts';
import { decodeExchangeSnapshot, encodeExchangeSnapshot } from '../../engine/journal/snapshot-codec.ts';
import { SnapshotCapturer } from '../../engine/journal/exchange-adapter.ts';
import { Exchange } from '../../engine/exchange.ts';
import type { MarketConfig } from '../../engine/symbols.ts';
import type { Command, CommandResult } from '../../engine/types.ts';
import { latencyStats, machineInfo, median, printTable, type BenchCase, type SuiteOptions, type SuiteResult } from '../lib/results.ts';
import { marketWorkload, type MarketWorkload } from '../lib/workload.ts';

const BATCH = 256;
const GROUP = 1024;
const MID = 100_000;
const ACCOUNTS = 1000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const MARKET: MarketConfig = {
  indices: [{ name: 'BENCH_IDX', base: 1000 }],
  symbols: [
    {
      symbol: 'BENCH',
      name: 'Benchmark Corp.',
      tickSize: 1,
      lotSize: 1,
      referencePrice: MID,
      bandPercent: 20,
      maxOrderQty: 1_000_000,
      maxOrderNotional: 100_000_000_000,
      makerFeeBps: 1,
      takerFeeBps: 2,
      indices: { BENCH_IDX: 1 },
    },
  ],
};

/**
 * The engine command of op `i`, built the way a gateway builds one from a decoded
 * frame (fresh object, seq/ts present from the start so stamping does not change its
 * shape). Built inside the timed loop: holding millions of prepared commands would
 * only inflate the live heap the collector walks, which a server never has.
 */
class CommandSource {
  private readonly owner: Float64Array;
  constructor(private readonly w: MarketWorkload) {
    this.owner = new Float64Array(w.count + 2);
  }
  at(i: number): Command {
    const ops = this.w.ops;
    const o = i * OP_STRIDE;
    const id = ops[o + OP_ID]!;
    if (ops[o + OP_KIND] === OpKind.CANCEL) return { type: 'cancel', seq: 0, ts: 0, accountId: this.owner[id]!, orderId: id };
    const account = ops[o + OP_ACCOUNT]!;
    this.owner[id] = account;
    return {
      type: 'new',
      seq: 0,
      ts: 0,
      accountId: account,
      clientOrderId: `c${id}`,
      symbol: 'BENCH',
      side: ops[o + OP_SIDE] === Side.BUY ? 'BUY' : 'SELL',
      kind: ops[o + 4] === OrderType.MARKET ? 'MARKET' : 'LIMIT',
      price: ops[o + OP_PRICE]!,
      qty: ops[o + OP_QTY]!,
    };
  }
}

function fund(apply: (c: Command) => void): void {
  for (let a = 1; a <= ACCOUNTS; a++) apply({ type: 'createAccount', accountId: a, cash: 1_000_000_000_000, positions: { BENCH: 1_000_000_000 } });
}

interface Measured {
  opsPerSec: number;
  lat: { p50: number; p99: number; p999: number };
  runs: number;
  extra: Record<string, unknown>;
}

async function engineCase(w: MarketWorkload, runs: number): Promise<Measured> {
  const rates: number[] = [];
  let lat = { p50: NaN, p99: NaN, p999: NaN };
  const extra: Record<string, unknown> = {};
  for (let r = 0; r <= runs; r++) {
    const src = new CommandSource(w);
    gc();
    const core = new ExchangeCore({ market: MARKET, book: 'native', indexIntervalMs: 0, maxOrdersPerSecond: 1e9 });
    let execs = 0;
    let md = 0;
    let results = 0;
    let rejects = 0;
    let idMismatch = 0;
    for (let a = 1; a <= ACCOUNTS; a++) core.subscribeExecutions(a, { fromSeq: 0 }, () => void execs++);
    core.subscribeMarketData('BENCH', () => void md++);
    const onResult = (res: CommandResult): void => {
      results++;
      if (res.code !== 0) rejects++;
    };
    fund((c) => core.execute(c, onResult));
    await new Promise((res) => setImmediate(res));
    const n = w.count;
    const samples = r === runs ? new Float64Array(n) : undefined;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + GROUP);
      if (samples === undefined) {
        for (; i < end; i++) core.execute(src.at(i), onResult);
      } else {
        for (; i < end; i++) {
          const cmd = src.at(i);
          const t = process.hrtime.bigint();
          core.execute(cmd, onResult);
          samples[i] = Number(process.hrtime.bigint() - t);
        }
      }
      await new Promise((res) => setImmediate(res));
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    if (samples === undefined) rates.push(n / secs);
    else lat = latencyStats(samples);
    let evicted = 0;
    for (let i = 0; i < n; i++) {
      const o = i * OP_STRIDE;
      if (w.ops[o + OP_KIND] === OpKind.CANCEL) continue;
      // orders beyond the exchange-wide terminal retention are no longer queryable: only a different id is a mismatch
      const id = w.ops[o + OP_ID]!;
      const v = core.getOrder(w.ops[o + OP_ACCOUNT]!, { clientOrderId: `c${id}` });
      if (v === undefined) evicted++;
      else if (v.orderId !== id) idMismatch++;
    }
    if (r === 0) {
      const l1 = core.l1('BENCH')!;
      Object.assign(extra, {
        results,
        rejects,
        idMismatch,
        evictedFromRetention: evicted,
        execReports: execs,
        mdUpdates: md,
        trades: l1.volume > 0 ? core.exchange.symbolEngine('BENCH')!.tradeCount : 0,
        resting: core.exchange.symbolEngine('BENCH')!.book.orderCount(),
      });
    }
    core.close();
    core.exchange.close();
  }
  return { opsPerSec: median(rates), lat, runs, extra };
}

function applyCase(w: MarketWorkload, runs: number): Measured {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const src = new CommandSource(w);
    gc();
    const ex = new Exchange({ market: MARKET, book: 'native', maxOrdersPerSecond: 1e9 });
    let seq = 0;
    fund((c) => {
      c.seq = ++seq;
      c.ts = 1;
      ex.apply(c);
    });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < w.count; i++) {
      const c = src.at(i);
      c.seq = ++seq;
      c.ts = 2 + (i >> 10);
      ex.apply(c);
    }
    rates.push(w.count / (Number(process.hrtime.bigint() - t0) / 1e9));
    ex.close();
  }
  return { opsPerSec: median(rates), lat: { p50: NaN, p99: NaN, p999: NaN }, runs, extra: {} };
}

function nativeBatched(w: MarketWorkload, runs: number): Measured {
  const rates: number[] = [];
  const lat = new Float64Array(runs * Math.ceil(w.count / BATCH));
  let li = 0;
  for (let r = 0; r < runs; r++) {
    const book = new NativeBook({}, { validate: false });
    const t0 = process.hrtime.bigint();
    let prev = t0;
    for (let i = 0; i < w.count; i += BATCH) {
      const n = Math.min(BATCH, w.count - i);
      book.process(w.ops.subarray(i * OP_STRIDE, (i + n) * OP_STRIDE), n);
      const now = process.hrtime.bigint();
      lat[li++] = Number(now - prev) / n;
      prev = now;
    }
    rates.push(w.count / (Number(prev - t0) / 1e9));
    book.close();
  }
  return { opsPerSec: median(rates), lat: latencyStats(lat.subarray(0, li)), runs, extra: {} };
}

/** The bare native book one call per op: the entry points the engine itself uses. */
function nativePerOp(w: MarketWorkload, runs: number): Measured {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const b = new NativeBook({}, { validate: false });
    const ops = w.ops;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < w.count; i++) {
      const o = i * OP_STRIDE;
      if (ops[o + OP_KIND] === OpKind.CANCEL) b.cancel(ops[o + OP_ID]!);
      else b.submit(ops[o + OP_ID]!, ops[o + OP_ACCOUNT]!, ops[o + OP_SIDE]! as 0 | 1, ops[o + 4]!, ops[o + OP_PRICE]!, ops[o + OP_QTY]!, 1);
    }
    rates.push(w.count / (Number(process.hrtime.bigint() - t0) / 1e9));
    b.close();
  }
  return { opsPerSec: median(rates), lat: { p50: NaN, p99: NaN, p999: NaN }, runs, extra: {} };
}

/**
 * Snapshot of a deep book: `n` resting orders over 1000 accounts, then
 * Exchange.snapshot() + binary encode (what the snapshot scheduler does while
 * matching is stalled), and decode + restore into a fresh exchange (recovery);
 * then captureWarmMs: the same capture through a SnapshotCapturer whose buffers
 * are warm (what the server's scheduler stalls for from its second snapshot on).
 * ops/s = resting orders per second of snapshot + encode (cold).
 */
function snapshotCase(n: number): Measured {
  const ex = new Exchange({ market: MARKET, book: 'native', maxOrdersPerSecond: 1e9, maxOpenOrdersPerAccount: 1e9 });
  let seq = 0;
  fund((c) => {
    c.seq = ++seq;
    c.ts = 1;
    ex.apply(c);
  });
  for (let i = 0; i < n; i++) {
    const buy = (i & 1) === 0;
    const off = 1 + (i % 5000);
    ex.apply({ type: 'new', seq: ++seq, ts: 2, accountId: 1 + (i % ACCOUNTS), clientOrderId: `s${i}`, symbol: 'BENCH', side: buy ? 'BUY' : 'SELL', kind: 'LIMIT', price: buy ? MID - off : MID + off, qty: 10 });
  }
  gc();
  const t0 = performance.now();
  const snap = ex.snapshot();
  const t1 = performance.now();
  const bin = encodeExchangeSnapshot(snap);
  const t2 = performance.now();
  const dec = decodeExchangeSnapshot(bin);
  const t3 = performance.now();
  const ex2 = new Exchange({ market: { indices: [], symbols: [] }, book: 'native', maxOrdersPerSecond: 1e9, maxOpenOrdersPerAccount: 1e9 });
  ex2.restore(dec);
  const t4 = performance.now();
  const ok = ex2.stateHash() === ex.stateHash();
  // what the server's snapshot scheduler stalls matching for: snapshot + encode through a
  // SnapshotCapturer, whose buffers are warm from the previous capture
  const capturer = new SnapshotCapturer(ex);
  capturer.capture();
  const t5 = performance.now();
  const warm = capturer.capture();
  const captureWarmMs = performance.now() - t5;
  const warmEqual = Buffer.compare(warm.payload as Buffer, bin) === 0;
  ex.close();
  ex2.close();
  return {
    opsPerSec: n / ((t2 - t0) / 1000),
    lat: { p50: NaN, p99: NaN, p999: NaN },
    runs: 1,
    extra: {
      restingOrders: n,
      snapshotMs: Math.round(t1 - t0),
      encodeMs: Math.round(t2 - t1),
      bytes: bin.length,
      decodeMs: Math.round(t3 - t2),
      restoreMs: Math.round(t4 - t3),
      restoredHashEqual: ok,
      captureWarmMs: Math.round(captureWarmMs),
      captureWarmBytesEqual: warmEqual,
    },
  };
}

function toCase(name: string, m: Measured, opsTimed: number): BenchCase {
  const c: BenchCase = { name, workload: 'mixed', opsPerSec: Math.round(m.opsPerSec), opsTimed, runs: m.runs, ...m.extra };
  if (!Number.isNaN(m.lat.p50)) {
    c.p50Ns = Math.round(m.lat.p50 * 10) / 10;
    c.p99Ns = Math.round(m.lat.p99 * 10) / 10;
    c.p999Ns = Math.round(m.lat.p999 * 10) / 10;
  }
  return c;
}

export async function run(opts: SuiteOptions): Promise<SuiteResult> {
  const quick = opts.quick;
  const ops = quick ? 200_000 : 2_000_000;
  const runs = quick ? 2 : 3;
  const genBook = new NativeBook({}, { validate: false });
  const w = marketWorkload(genBook, { seed: 20240601, ops, mid: MID });
  genBook.close();
  process.stdout.write(`workload mixed: ${w.count} ops (limit ${w.mix.limit}, market ${w.mix.market}, cancel ${w.mix.cancel}), ${ACCOUNTS} accounts\n`);

  const cases: BenchCase[] = [];
  cases.push(toCase('native-batched', nativeBatched(w, runs + 2), w.count));
  cases.push(toCase('native-per-op', nativePerOp(w, runs + 2), w.count));
  cases.push(toCase('engine', await engineCase(w, runs), w.count));
  cases.push(toCase('engine-apply', applyCase(w, runs), w.count));
  const snapN = quick ? 200_000 : 1_000_000;
  cases.push({ ...toCase('snapshot-deep', snapshotCase(snapN), snapN), workload: 'deep-resting' });

  const get = (n: string) => cases.find((c) => c.name === n)!;
  const engine = get('engine').opsPerSec!;
  const bare = get('native-batched').opsPerSec!;
  const summary: Record<string, unknown> = {
    engineVsNativeBatchedPercent: Math.round((engine / bare) * 1000) / 10,
    engineVsNativePerOpPercent: Math.round((engine / get('native-per-op').opsPerSec!) * 1000) / 10,
    targets: {
      engineOpsPerSec_ge_1M: engine >= 1e6,
      engineVsBook_ge_25pct: engine / bare >= 0.25,
    },
    notes:
      'engine = ExchangeCore.execute() of commands built per op like a gateway does, in groups of 1024 per event-loop turn with a no-op command log, exec-report subscribers on all 1000 accounts and one market-data subscriber; ' +
      'ops/s over the whole run including end-of-turn release. p50/p99 = execute() per command, hrtime-timed in a separate pass. ' +
      'engine-apply = Exchange.apply() alone. native-batched = bare native book, 256 ops per process() call; native-per-op = one call per op; same op stream. Fees 1/2 bps. ' +
      'Figures from one run on a shared, loaded 2-core machine: compare ratios within the run.',
  };
  printTable(
    'engine: whole engine in-process vs bare book (ops/s median; ns per op)',
    cases.map((c) => ({ case: c.name, 'ops/s': c.opsPerSec, p50: c.p50Ns ?? '', p99: c.p99Ns ?? '', 'p99.9': c.p999Ns ?? '', ops: c.opsTimed })),
  );
  process.stdout.write(`\n${JSON.stringify({ ...summary, engineExtra: get('engine'), snapshot: get('snapshot-deep') }, null, 2)}\n`);
  return { suite: 'engine', mode: quick ? 'quick' : 'full', machine: machineInfo(), cases, summary };
}
