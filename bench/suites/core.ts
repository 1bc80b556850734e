/**
 * Order-book core benchmark: the same seeded workloads (bench/lib/workload.ts)
 * replayed through the native book batched, the native book one call per op,
 * the TypeScript reference book, and the npm package nodejs-order-book.
 *
 * Workloads: "mixed" (~70% limit around a drifting mid, ~10% market, ~20%
 * cancel of resting orders, ~5k resting) and "deep" (1M resting orders placed
 * first, untimed, then 1M mixed ops). Only the mixed ops are timed.
 *
 * Latency: batched cases time each batch of BATCH ops and record batchNs/BATCH
 * once per batch (so p99 is "per-op cost in the slowest 1% of batches");
 * per-call cases time every op individually with process.hrtime.bigint() in a
 * separate pass (includes ~30-50 ns of timer overhead), while their ops/s comes
 * from passes without per-op timers. Details: docs/matching.md#benchmark.
 */
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { OrderBook } from 'nodejs-order-book';
import { NativeBook } from '../../engine/book/native-book.ts';
import { ReferenceBook } from '../../engine/book/reference-book.ts';
import { OP_ACCOUNT, OP_ID, OP_KIND, OP_PRICE, OP_QTY, OP_SIDE, OP_STRIDE, OP_TS, OP_TYPE, OpKind, OrderType, Side, type SideValue } from '../../engine/book/layout.ts';
import { latencyStats, machineInfo, median, printTable, type BenchCase, type SuiteOptions, type SuiteResult } from '../lib/results.ts';
import { marketWorkload, type MarketWorkload } from '../lib/workload.ts';

const BATCH = 256;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Measured {
  opsPerSec: number;
  lat: { p50: number; p99: number; p999: number };
  bytesPerOrder?: number;
  opsTimed: number;
  runs: number;
  /** ops per second of this process's CPU time (less sensitive to other load on the machine). */
  cpuOpsPerSec?: number;
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

// ------------------------------------------------------------- native batched
function nativeBatched(w: MarketWorkload, runs: number, validate: boolean): Measured {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  const lat = new Float64Array(runs * Math.ceil(w.count / BATCH));
  let li = 0;
  let bytesPerOrder: number | undefined;
  for (let r = 0; r < runs; r++) {
    const book = new NativeBook({ initialOrders: 1024 }, { validate });
    for (let i = 0; i < w.prefillCount; i += BATCH) {
      const n = Math.min(BATCH, w.prefillCount - i);
      book.process(w.prefillOps.subarray(i * OP_STRIDE, (i + n) * OP_STRIDE), n);
    }
    if (w.prefillCount > 0) bytesPerOrder = book.memoryUsage() / book.orderCount();
    const batches: Float64Array[] = [];
    for (let i = 0; i < w.count; i += BATCH) batches.push(w.ops.subarray(i * OP_STRIDE, Math.min(w.count, i + BATCH) * OP_STRIDE));
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let prev = t0;
    for (let b = 0; b < batches.length; b++) {
      const arr = batches[b]!;
      const n = arr.length / OP_STRIDE;
      book.process(arr, n);
      const now = process.hrtime.bigint();
      lat[li++] = Number(now - prev) / n;
      prev = now;
    }
    rates.push(w.count / (Number(prev - t0) / 1e9));
    const cpu = process.cpuUsage(c0);
    cpuRates.push(w.count / ((cpu.user + cpu.system) / 1e6));
    book.close();
  }
  const s = latencyStats(lat.subarray(0, li));
  return { opsPerSec: median(rates), cpuOpsPerSec: median(cpuRates), lat: s, bytesPerOrder, opsTimed: w.count, runs };
}

// ------------------------------------------------------------- per-call books
interface PerCallBook {
  /** Applies ops[from..to) one call per op. */
  run(ops: Float64Array, from: number, to: number): void;
  /** Same, timing every op into samples[i - from]. */
  runTimed(ops: Float64Array, from: number, to: number, samples: Float64Array): void;
  done(): void;
}

// Each maker has its own loops so every call site stays monomorphic (one
// book type per loop), as it would be in an application.
function nativePerCall(): PerCallBook {
  const b = new NativeBook();
  const one = (ops: Float64Array, o: number) => {
    if (ops[o + OP_KIND] === OpKind.CANCEL) b.cancel(ops[o + OP_ID]!);
    else b.submit(ops[o + OP_ID]!, ops[o + OP_ACCOUNT]!, ops[o + OP_SIDE]! as SideValue, ops[o + OP_TYPE]!, ops[o + OP_PRICE]!, ops[o + OP_QTY]!, ops[o + OP_TS]!);
  };
  return {
    run(ops, from, to) {
      for (let i = from; i < to; i++) one(ops, i * OP_STRIDE);
    },
    runTimed(ops, from, to, samples) {
      for (let i = from; i < to; i++) {
        const t = process.hrtime.bigint();
        one(ops, i * OP_STRIDE);
        samples[i - from] = Number(process.hrtime.bigint() - t);
      }
    },
    done: () => b.close(),
  };
}

function referencePerCall(): PerCallBook {
  const b = new ReferenceBook();
  const one = (ops: Float64Array, o: number) => {
    if (ops[o + OP_KIND] === OpKind.CANCEL) b.cancel(ops[o + OP_ID]!);
    else b.submit(ops[o + OP_ID]!, ops[o + OP_ACCOUNT]!, ops[o + OP_SIDE]! as SideValue, ops[o + OP_TYPE]!, ops[o + OP_PRICE]!, ops[o + OP_QTY]!, ops[o + OP_TS]!);
  };
  return {
    run(ops, from, to) {
      for (let i = from; i < to; i++) one(ops, i * OP_STRIDE);
    },
    runTimed(ops, from, to, samples) {
      for (let i = from; i < to; i++) {
        const t = process.hrtime.bigint();
        one(ops, i * OP_STRIDE);
        samples[i - from] = Number(process.hrtime.bigint() - t);
      }
    },
    done: () => undefined,
  };
}

/** The npm peer: string ids, no accounts/STP, no collar (markets sweep unprotected). */
function peerPerCall(): PerCallBook {
  const b = new OrderBook();
  const one = (ops: Float64Array, o: number) => {
    const id = String(ops[o + OP_ID]);
    if (ops[o + OP_KIND] === OpKind.CANCEL) {
      b.cancel(id);
      return;
    }
    const side = (ops[o + OP_SIDE] === Side.BUY ? 'buy' : 'sell') as never;
    if (ops[o + OP_TYPE] === OrderType.MARKET) b.market({ side, size: ops[o + OP_QTY]! });
    else b.limit({ side, id, size: ops[o + OP_QTY]!, price: ops[o + OP_PRICE]! });
  };
  return {
    run(ops, from, to) {
      for (let i = from; i < to; i++) one(ops, i * OP_STRIDE);
    },
    runTimed(ops, from, to, samples) {
      for (let i = from; i < to; i++) {
        const t = process.hrtime.bigint();
        one(ops, i * OP_STRIDE);
        samples[i - from] = Number(process.hrtime.bigint() - t);
      }
    },
    done: () => undefined,
  };
}

function perCall(w: MarketWorkload, make: () => PerCallBook, runs: number, maxOps: number, measureHeap: boolean): Measured {
  const count = Math.min(w.count, maxOps);
  const rates: number[] = [];
  let lat = { p50: NaN, p99: NaN, p999: NaN };
  let bytesPerOrder: number | undefined;
  // `runs` throughput passes without per-op timers, then one latency pass.
  for (let r = 0; r <= runs; r++) {
    const h0 = measureHeap && r === 0 ? heapUsed() : 0;
    const book = make();
    book.run(w.prefillOps, 0, w.prefillCount);
    if (measureHeap && r === 0 && w.prefillCount > 0) bytesPerOrder = (heapUsed() - h0) / w.prefillCount;
    if (r < runs) {
      const t0 = process.hrtime.bigint();
      book.run(w.ops, 0, count);
      rates.push(count / (Number(process.hrtime.bigint() - t0) / 1e9));
    } else {
      const samples = new Float64Array(count);
      book.runTimed(w.ops, 0, count, samples);
      lat = latencyStats(samples);
    }
    book.done();
  }
  return { opsPerSec: median(rates), lat, bytesPerOrder, opsTimed: count, runs };
}

/** The peer is ~1000x slower: one pass, per-op timed, capped by count and by time (checked every 1000 ops). */
function peer(w: MarketWorkload, maxOps: number, budgetMs: number): Measured {
  const book = peerPerCall();
  const h0 = heapUsed();
  book.run(w.prefillOps, 0, w.prefillCount);
  const bytesPerOrder = w.prefillCount > 0 ? (heapUsed() - h0) / w.prefillCount : undefined;
  const cap = Math.min(w.count, maxOps);
  const samples = new Float64Array(cap);
  const deadline = performance.now() + budgetMs;
  let n = 0;
  while (n < cap && performance.now() < deadline) {
    const to = Math.min(cap, n + 1000);
    book.runTimed(w.ops, n, to, samples.subarray(n));
    n = to;
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += samples[i]!;
  return { opsPerSec: n / (total / 1e9), lat: latencyStats(samples.subarray(0, n)), bytesPerOrder, opsTimed: n, runs: 1 };
}

function toCase(name: string, workload: string, m: Measured): BenchCase {
  const c: BenchCase = {
    name,
    workload,
    opsPerSec: Math.round(m.opsPerSec),
    p50Ns: Math.round(m.lat.p50 * 10) / 10,
    p99Ns: Math.round(m.lat.p99 * 10) / 10,
    p999Ns: Math.round(m.lat.p999 * 10) / 10,
    opsTimed: m.opsTimed,
    runs: m.runs,
  };
  if (m.bytesPerOrder !== undefined) c.bytesPerOrder = Math.round(m.bytesPerOrder * 10) / 10;
  if (m.cpuOpsPerSec !== undefined) c.cpuOpsPerSec = Math.round(m.cpuOpsPerSec);
  return c;
}

export async function run(opts: SuiteOptions): Promise<SuiteResult> {
  const quick = opts.quick;
  const mixedOps = quick ? 200_000 : 2_000_000;
  const deepPrefill = quick ? 100_000 : 1_000_000;
  const deepOps = quick ? 100_000 : 1_000_000;
  const nativeRuns = quick ? 3 : 7;
  const slowRuns = quick ? 1 : 3;
  const peerMixedCap = quick ? 20_000 : 200_000;
  const peerDeepCap = quick ? 5_000 : 50_000;
  const peerBudgetMs = quick ? 3_000 : 15_000;

  // Generate once (driving a native book for feedback; any correct book gives the same stream).
  const gen = (prefill: number, ops: number): MarketWorkload => {
    const b = new NativeBook({ initialOrders: Math.max(1024, prefill) }, { validate: false });
    const w = marketWorkload(b, { seed: 20240601, ops, prefill });
    b.close();
    return w;
  };
  const workloads: [string, MarketWorkload][] = [
    ['mixed', gen(0, mixedOps)],
    ['deep', gen(deepPrefill, deepOps)],
  ];

  const cases: BenchCase[] = [];
  for (const [name, w] of workloads) {
    process.stdout.write(`workload ${name}: ${w.prefillCount} prefill, ${w.count} ops (limit ${w.mix.limit}, market ${w.mix.market}, cancel ${w.mix.cancel})\n`);
    cases.push(toCase('native-batched', name, nativeBatched(w, nativeRuns, true)));
    cases.push(toCase('native-batched-trusted', name, nativeBatched(w, nativeRuns, false)));
    cases.push(toCase('native-per-call', name, perCall(w, nativePerCall, nativeRuns, Infinity, false)));
    cases.push(toCase('reference-ts', name, perCall(w, referencePerCall, slowRuns, name === 'deep' ? deepOps : Infinity, true)));
    cases.push(toCase('nodejs-order-book', name, peer(w, name === 'deep' ? peerDeepCap : peerMixedCap, peerBudgetMs)));
  }

  const get = (n: string, wl: string) => cases.find((c) => c.name === n && c.workload === wl)!;
  const ratio = (a: BenchCase, b: BenchCase) => Math.round((a.opsPerSec! / b.opsPerSec!) * 10) / 10;
  const summary: Record<string, unknown> = {};
  for (const wl of ['mixed', 'deep']) {
    summary[`${wl}.nativeBatchedVsPeer`] = ratio(get('native-batched', wl), get('nodejs-order-book', wl));
    summary[`${wl}.nativeBatchedVsReference`] = ratio(get('native-batched', wl), get('reference-ts', wl));
    summary[`${wl}.nativePerCallVsPeer`] = ratio(get('native-per-call', wl), get('nodejs-order-book', wl));
    summary[`${wl}.nativeBatchedVsPerCall`] = ratio(get('native-batched', wl), get('native-per-call', wl));
  }
  for (const wl of ['mixed', 'deep']) {
    summary[`${wl}.nativeTrustedVsPeer`] = ratio(get('native-batched-trusted', wl), get('nodejs-order-book', wl));
    summary[`${wl}.validationCost`] = ratio(get('native-batched-trusted', wl), get('native-batched', wl));
  }
  const deepBytes = get('native-batched', 'deep').bytesPerOrder!;
  const targets = (name: string) => ({
    mixedOpsPerSec_ge_25M: get(name, 'mixed').opsPerSec! >= 25e6,
    deepOpsPerSec_ge_8M: get(name, 'deep').opsPerSec! >= 8e6,
    mixedVsPeer_ge_100x: ratio(get(name, 'mixed'), get('nodejs-order-book', 'mixed')) >= 100,
  });
  summary.targets = {
    'native-batched': targets('native-batched'),
    'native-batched-trusted': targets('native-batched-trusted'),
    bytesPerRestingOrder_le_128: deepBytes <= 128,
  };
  summary.loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
  summary.notes =
    'native-batched validates every op at the TS edge; native-batched-trusted skips it (validate:false, as for a caller that validated the same values at its own edge). ' +
    'cpuOpsPerSec = ops per second of process CPU time (the machine is shared). ' +
    'Only the mixed ops are timed (deep prefill untimed). Batched latency = batch time / ops per batch (256), one sample per batch. ' +
    'Per-call latency = each op timed with hrtime (timer overhead included); per-call ops/s from untimed passes. ' +
    'bytesPerOrder: native = core memoryUsage()/resting after the deep prefill; TS books = JS heap growth over the prefill / orders. ' +
    'nodejs-order-book is capped by op count and a time budget; it has no STP and no market collar.';

  printTable(
    'core: order book (ops/s median of runs; ns per op)',
    cases.map((c) => ({ case: c.name, workload: c.workload, 'ops/s': c.opsPerSec, 'ops/cpu-s': c.cpuOpsPerSec ?? '', p50: c.p50Ns, p99: c.p99Ns, 'p99.9': c.p999Ns, 'B/order': c.bytesPerOrder ?? '', ops: c.opsTimed })),
  );
  process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
  return { suite: 'core', mode: quick ? 'quick' : 'full', machine: machineInfo(), cases, summary };
}
