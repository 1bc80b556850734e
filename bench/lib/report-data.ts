/**
 * What the benchmark report knows about the results: loading bench/results/*.json, finding cases,
 * and judging the issue's performance targets from the measured figures (never from a suite's own
 * pass/fail flags, so that one rule decides PASS/FAIL for the report and the README alike).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchCase, SuiteResult } from './results.ts';
import { fmtBytes, fmtDurationNs, fmtNumber, fmtPercent, fmtRatio } from './format.ts';

/** Suites in the order the report presents them (the order of bench/run.ts). */
export const SUITE_ORDER = ['core', 'engine', 'tcp', 'grpc', 'durability', 'auth'];

export const SUITE_TITLES: Record<string, string> = {
  core: 'Order-book core (native C++ vs JavaScript books)',
  engine: 'Engine (ExchangeCore: risk, settlement, reports, market data)',
  tcp: 'Binary TCP gateway',
  grpc: 'gRPC gateway',
  durability: 'Durability (journal, replay, snapshots, PostgreSQL)',
  auth: 'Authentication',
};

/**
 * The reference system of the design document, built and measured on this kind of machine
 * (/work/shared/FIELD-NOTES.md, "The reference system"): TLS TCP gateway, 2 symbols, 10 connections.
 */
export const REFERENCE = {
  label: 'reference system (FIELD-NOTES: TLS TCP, 10 connections)',
  shortLabel: 'reference system',
  ordersPerSec: { lo: 16_700, hi: 27_900 },
  p50Ns: { lo: 283_000, hi: 370_000 },
  p99Ns: { lo: 1_500_000, hi: 2_400_000 },
  /** With 50 connections it fell to about this rate (and lost connections and rows). */
  ordersPerSecAt50Connections: 5_000,
};

export interface LoadedResults {
  suites: Map<string, SuiteResult>;
  /** Files that could not be read as a suite result (reported, never fatal). */
  problems: string[];
}

function isSuiteResult(v: unknown): v is SuiteResult {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.suite === 'string' && Array.isArray(o.cases) && o.cases.every((c) => typeof c === 'object' && c !== null && typeof (c as BenchCase).name === 'string');
}

export function loadResults(dir: string): LoadedResults {
  const suites = new Map<string, SuiteResult>();
  const problems: string[] = [];
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  for (const f of files) {
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (!isSuiteResult(parsed)) {
        problems.push(`${f}: not a suite result (needs "suite" and "cases")`);
        continue;
      }
      suites.set(parsed.suite, parsed);
    } catch (err) {
      problems.push(`${f}: ${(err as Error).message}`);
    }
  }
  return { suites, problems };
}

/** Known suites first in run order, then any other suite found in the results directory. */
export function orderedSuiteNames(loaded: LoadedResults): string[] {
  const extra = [...loaded.suites.keys()].filter((s) => !SUITE_ORDER.includes(s)).sort();
  return [...SUITE_ORDER, ...extra];
}

export function findCase(r: SuiteResult | undefined, name: string, workload?: string): BenchCase | undefined {
  return r?.cases.find((c) => c.name === name && (workload === undefined || c.workload === workload));
}

export function num(c: BenchCase | undefined, key: string): number | undefined {
  const v = c?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export type Pct = 'p50' | 'p99' | 'p999';

/** A latency percentile in nanoseconds, whichever unit the suite recorded it in. */
export function latencyNs(c: BenchCase | undefined, p: Pct): number | undefined {
  const ns = num(c, `${p}Ns`);
  if (ns !== undefined) return ns;
  const us = num(c, `${p}Us`);
  return us === undefined ? undefined : us * 1000;
}

export type Status = 'PASS' | 'FAIL' | 'MISSING';

export interface TargetCheck {
  suite: string;
  /** Stable identifier (tests and links use it). */
  id: string;
  what: string;
  measured: string;
  target: string;
  status: Status;
}

const opsText = (v: number, unit = 'ops/s'): string => `${fmtNumber(v)} ${unit}`;

function check(suite: string, id: string, what: string, target: string, value: number | undefined, pass: (v: number) => boolean, show: (v: number) => string): TargetCheck {
  if (value === undefined) return { suite, id, what, target, measured: 'not measured', status: 'MISSING' };
  return { suite, id, what, target, measured: show(value), status: pass(value) ? 'PASS' : 'FAIL' };
}

function missingSuite(suite: string, id: string, what: string, target: string): TargetCheck {
  return { suite, id, what, target, measured: 'suite not run', status: 'MISSING' };
}

/** Every target of the issue, judged from the loaded figures. */
export function evaluateTargets(loaded: LoadedResults): TargetCheck[] {
  const out: TargetCheck[] = [];
  const s = (n: string) => loaded.suites.get(n);

  // core
  {
    const r = s('core');
    const nbMixed = findCase(r, 'native-batched', 'mixed');
    const nbDeep = findCase(r, 'native-batched', 'deep');
    const peer = findCase(r, 'nodejs-order-book', 'mixed');
    const withBytes = r?.cases.find((c) => c.name === 'native-batched' && num(c, 'bytesPerOrder') !== undefined);
    const items: [string, string, string, number | undefined, (v: number) => boolean, (v: number) => string][] = [
      ['core.mixed-ops', 'native-batched, mixed workload', '≥ 25,000,000 ops/s', num(nbMixed, 'opsPerSec'), (v) => v >= 25e6, (v) => opsText(v)],
      ['core.deep-ops', 'native-batched, deep book', '≥ 8,000,000 ops/s', num(nbDeep, 'opsPerSec'), (v) => v >= 8e6, (v) => opsText(v)],
      [
        'core.vs-peer',
        'native-batched vs nodejs-order-book, mixed',
        '≥ 100×',
        ratio(num(nbMixed, 'opsPerSec'), num(peer, 'opsPerSec')),
        (v) => v >= 100,
        (v) => `${fmtRatio(v)} (${fmtNumber(num(nbMixed, 'opsPerSec')!)} vs ${fmtNumber(num(peer, 'opsPerSec')!)} ops/s)`,
      ],
      ['core.bytes-per-order', `memory per resting order (native-batched${withBytes ? `, ${withBytes.workload}` : ''})`, '≤ 128 B', num(withBytes, 'bytesPerOrder'), (v) => v <= 128, fmtBytes],
    ];
    for (const [id, what, target, v, pass, show] of items) out.push(r ? check('core', id, what, target, v, pass, show) : missingSuite('core', id, what, target));
  }

  // engine
  {
    const r = s('engine');
    const eng = findCase(r, 'engine');
    const book = findCase(r, 'native-batched', eng?.workload) ?? findCase(r, 'native-batched');
    const items: [string, string, string, number | undefined, (v: number) => boolean, (v: number) => string][] = [
      ['engine.ops', 'engine (ExchangeCore.execute), orders/s', '≥ 1,000,000 orders/s', num(eng, 'opsPerSec'), (v) => v >= 1e6, (v) => opsText(v, 'orders/s')],
      [
        'engine.vs-book',
        'engine vs bare native-batched book',
        '≥ 25%',
        ratio(num(eng, 'opsPerSec'), num(book, 'opsPerSec')),
        (v) => v >= 0.25,
        (v) => `${fmtPercent(v)} (${fmtNumber(num(eng, 'opsPerSec')!)} vs ${fmtNumber(num(book, 'opsPerSec')!)} ops/s)`,
      ],
    ];
    for (const [id, what, target, v, pass, show] of items) out.push(r ? check('engine', id, what, target, v, pass, show) : missingSuite('engine', id, what, target));
  }

  // tcp
  {
    const r = s('tcp');
    const raw = findCase(r, 'raw-pingpong');
    const rtt = findCase(r, 'order-rtt');
    const p1 = findCase(r, 'pipelined-1');
    const c50 = findCase(r, 'clients-50');
    const lost = num(c50, 'lost');
    const dup = num(c50, 'duplicated');
    const rawP50 = latencyNs(raw, 'p50');
    const rttP50 = latencyNs(rtt, 'p50');
    const items: [string, string, string, number | undefined, (v: number) => boolean, (v: number) => string][] = [
      [
        'tcp.rtt-vs-raw',
        'order round trip p50 vs raw ping-pong p50',
        '≤ 1.5×',
        ratio(rttP50, rawP50),
        (v) => v <= 1.5,
        (v) => `${fmtRatio(v)} (${fmtDurationNs(rttP50!)} vs ${fmtDurationNs(rawP50!)})`,
      ],
      ['tcp.pipelined-1', 'pipelined-1 (1 client, many in flight)', '≥ 500,000 orders/s', num(p1, 'opsPerSec'), (v) => v >= 500e3, (v) => opsText(v, 'orders/s')],
      [
        'tcp.clients-50',
        '50 clients: lost and duplicated responses',
        'lost = 0, duplicated = 0',
        lost === undefined || dup === undefined ? undefined : lost + dup,
        () => lost === 0 && dup === 0,
        () => `lost ${fmtNumber(lost!)}, duplicated ${fmtNumber(dup!)}`,
      ],
    ];
    for (const [id, what, target, v, pass, show] of items) out.push(r ? check('tcp', id, what, target, v, pass, show) : missingSuite('tcp', id, what, target));
  }

  // grpc
  {
    const r = s('grpc');
    const rawU = findCase(r, 'raw-unary-echo');
    const unary = findCase(r, 'unary-submit');
    const rawB = findCase(r, 'raw-bidi-echo');
    const oe = findCase(r, 'order-entry');
    const fan = findCase(r, 'fanout-10000');
    const rawP50 = latencyNs(rawU, 'p50');
    const unaryP50 = latencyNs(unary, 'p50');
    const items: [string, string, string, number | undefined, (v: number) => boolean, (v: number) => string][] = [
      [
        'grpc.unary-vs-raw',
        'unary SubmitOrder p50 vs raw unary echo p50',
        '≤ 1.3×',
        ratio(unaryP50, rawP50),
        (v) => v <= 1.3,
        (v) => `${fmtRatio(v)} (${fmtDurationNs(unaryP50!)} vs ${fmtDurationNs(rawP50!)})`,
      ],
      [
        'grpc.order-entry-vs-raw',
        'OrderEntry stream vs raw bidi echo',
        '≥ 70%',
        ratio(num(oe, 'opsPerSec'), num(rawB, 'opsPerSec')),
        (v) => v >= 0.7,
        (v) => `${fmtPercent(v)} (${fmtNumber(num(oe, 'opsPerSec')!)} vs ${fmtNumber(num(rawB, 'opsPerSec')!)} msg/s)`,
      ],
      ['grpc.order-entry', 'OrderEntry stream throughput', '≥ 50,000 orders/s', num(oe, 'opsPerSec'), (v) => v >= 50e3, (v) => opsText(v, 'orders/s')],
      [
        'grpc.fanout-10000',
        'market-data fan-out to 10,000 streams',
        'runs; RSS reported',
        num(fan, 'rssMB'),
        () => true,
        (v) => `RSS ${fmtNumber(v)} MB${num(fan, 'streams') !== undefined ? `, ${fmtNumber(num(fan, 'streams')!)} streams` : ''}`,
      ],
    ];
    for (const [id, what, target, v, pass, show] of items) out.push(r ? check('grpc', id, what, target, v, pass, show) : missingSuite('grpc', id, what, target));
  }

  // durability: the replay target is judged on each replay figure the suite reports, so that a fast
  // decode-only figure cannot stand in for a slower full replay into the exchange.
  {
    const r = s('durability');
    const replay = findCase(r, 'replay');
    const decode = num(replay, 'decodeOnlyPerSec');
    const into = num(replay, 'intoExchangePerSec');
    const target = '≥ 1,000,000 records/s';
    const pass = (v: number) => v >= 1e6;
    const show = (v: number) => opsText(v, 'records/s');
    if (!r) out.push(missingSuite('durability', 'durability.replay', 'journal replay', target));
    else if (decode !== undefined || into !== undefined) {
      out.push(check('durability', 'durability.replay-decode', 'journal replay, read + decode only', target, decode, pass, show));
      out.push(check('durability', 'durability.replay-exchange', 'journal replay into the exchange (full state rebuild)', target, into, pass, show));
    } else out.push(check('durability', 'durability.replay', 'journal replay', target, num(replay, 'opsPerSec'), pass, show));
  }
  return out;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

export interface ReferenceComparison {
  suite: string;
  what: string;
  aurex: string;
  reference: string;
  /** How many times better Aurex is (range over the reference's measured range); < 1 means worse. */
  factor: string;
}

function factorRange(aurex: number, ref: { lo: number; hi: number }, higherIsBetter: boolean): string {
  const a = higherIsBetter ? aurex / ref.hi : ref.lo / aurex;
  const b = higherIsBetter ? aurex / ref.lo : ref.hi / aurex;
  const word = higherIsBetter ? 'higher' : 'lower';
  if (b < 1) return `${fmtRatio(1 / b)}–${fmtRatio(1 / a)} ${higherIsBetter ? 'lower' : 'higher'} (worse)`;
  if (a < 1) return 'within the reference range';
  return `${fmtRatio(a)}–${fmtRatio(b)} ${word}`;
}

/** Aurex figures beside the reference system's, where the two measure the same thing. */
export function referenceComparisons(loaded: LoadedResults): ReferenceComparison[] {
  const out: ReferenceComparison[] = [];
  const refOps = `${fmtNumber(REFERENCE.ordersPerSec.lo)}–${fmtNumber(REFERENCE.ordersPerSec.hi)} orders/s`;
  const refP50 = `${fmtDurationNs(REFERENCE.p50Ns.lo)}–${fmtDurationNs(REFERENCE.p50Ns.hi)}`;
  const refP99 = `${fmtDurationNs(REFERENCE.p99Ns.lo)}–${fmtDurationNs(REFERENCE.p99Ns.hi)}`;
  const tcp = loaded.suites.get('tcp');
  const rtt = findCase(tcp, 'order-rtt');
  for (const [p, ref, refText] of [['p50', REFERENCE.p50Ns, refP50], ['p99', REFERENCE.p99Ns, refP99]] as const) {
    const v = latencyNs(rtt, p);
    if (v !== undefined) out.push({ suite: 'tcp', what: `TCP order round trip ${p}`, aurex: fmtDurationNs(v), reference: refText, factor: factorRange(v, ref, false) });
  }
  for (const name of ['pipelined-1', 'clients-50']) {
    const v = num(findCase(tcp, name), 'opsPerSec');
    if (v !== undefined) out.push({ suite: 'tcp', what: `TCP throughput, ${name}`, aurex: `${fmtNumber(v)} orders/s`, reference: refOps, factor: factorRange(v, REFERENCE.ordersPerSec, true) });
  }
  const grpc = loaded.suites.get('grpc');
  const unary = findCase(grpc, 'unary-submit');
  for (const [p, ref, refText] of [['p50', REFERENCE.p50Ns, refP50], ['p99', REFERENCE.p99Ns, refP99]] as const) {
    const v = latencyNs(unary, p);
    if (v !== undefined) out.push({ suite: 'grpc', what: `gRPC unary SubmitOrder ${p}`, aurex: fmtDurationNs(v), reference: refText, factor: factorRange(v, ref, false) });
  }
  const oe = num(findCase(grpc, 'order-entry'), 'opsPerSec');
  if (oe !== undefined) out.push({ suite: 'grpc', what: 'gRPC OrderEntry stream throughput', aurex: `${fmtNumber(oe)} orders/s`, reference: refOps, factor: factorRange(oe, REFERENCE.ordersPerSec, true) });
  return out;
}

/** "2 cores (AMD EPYC), 23.5 GiB, Node v20.20.2, linux/x64"; several lines' worth if suites ran on different machines. */
export function machineSummary(loaded: LoadedResults): string {
  const seen = new Set<string>();
  for (const r of loaded.suites.values()) {
    const m = r.machine;
    if (!m) continue;
    seen.add(`${m.cores} cores (${m.cpuModel}), ${m.totalMemGiB} GiB, Node ${m.node}, ${m.platform}/${m.arch}`);
  }
  return seen.size ? [...seen].join('; ') : 'unknown machine';
}

/** Earliest and latest run dates of the loaded suites, as "2026-11-23 18:12 – 18:28 UTC". */
export function runDates(loaded: LoadedResults): string {
  const ds = [...loaded.suites.values()].map((r) => Date.parse(r.machine?.date ?? '')).filter((d) => Number.isFinite(d)).sort((a, b) => a - b);
  if (!ds.length) return 'unknown date';
  const f = (d: number) => new Date(d).toISOString().slice(0, 16).replace('T', ' ');
  const a = f(ds[0]!);
  const b = f(ds[ds.length - 1]!);
  if (a === b) return `${a} UTC`;
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} – ${b.slice(11)} UTC` : `${a} – ${b} UTC`;
}

/** "core quick, engine quick, tcp full, grpc not run, ..." */
export function modesSummary(loaded: LoadedResults): string {
  return orderedSuiteNames(loaded)
    .map((s) => `${s} ${loaded.suites.get(s)?.mode ?? 'not run'}`)
    .join(', ');
}
