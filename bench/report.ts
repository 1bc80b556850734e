/**
 * The benchmark report: reads every bench/results/<suite>.json, writes bench/results/REPORT.md with
 * one section per suite (cases, summary ratios, the targets judged from the data), draws the
 * charts next to it as SVG files, and refreshes the README's performance section.
 *
 * bench/run.ts calls writeReport() after the suites ran; it also runs alone, without measuring:
 *   node --import tsx bench/report.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESULTS_DIR, type BenchCase, type SuiteResult } from './lib/results.ts';
import { barChart, type BarCategory, type BarChartSpec, type BarMarker } from './lib/svg.ts';
import { fmtBytes, fmtCompact, fmtDurationNs, fmtNumber, fmtRatio } from './lib/format.ts';
import {
  evaluateTargets,
  findCase,
  latencyNs,
  loadResults,
  machineSummary,
  num,
  orderedSuiteNames,
  REFERENCE,
  runDates,
  SUITE_TITLES,
  type LoadedResults,
  type Pct,
  type TargetCheck,
} from './lib/report-data.ts';
import { README_PATH, statusCell, updateReadmePerf } from '../scripts/update-readme-perf.ts';

export interface GeneratedReport {
  reportPath: string;
  chartPaths: string[];
  markdown: string;
  loaded: LoadedResults;
}

interface Chart {
  file: string;
  alt: string;
  svg: string;
}

/** Fields every suite shares; everything else a case carries goes to its "other figures" cell. */
const STANDARD_KEYS = new Set(['name', 'workload', 'opsPerSec', 'p50Ns', 'p99Ns', 'p999Ns', 'p50Us', 'p99Us', 'p999Us', 'bytesPerOrder', 'rssMB']);
const PCTS: [Pct, string][] = [
  ['p50', 'p50'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
];
const SHORT_WORKLOAD = 24;

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Formats a figure by what its key says it is (…PerSec, …Ms, …MB, …Bytes, …Ns, …Us, …Percent). */
export function formatFigure(key: string, v: unknown): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => formatFigure(key, x)).join(', ');
  if (typeof v !== 'number') return JSON.stringify(v);
  if (/PerSec$/.test(key)) return `${fmtNumber(v)}/s`;
  if (/Percent$/.test(key)) return `${fmtNumber(v)}%`;
  if (/Ms$/.test(key)) return `${fmtNumber(v)} ms`;
  if (/MB$/.test(key)) return `${fmtNumber(v)} MB`;
  if (/Bytes$/.test(key)) return fmtBytes(v);
  if (/Ns$/.test(key)) return fmtDurationNs(v);
  if (/Us$/.test(key)) return fmtDurationNs(v * 1000);
  if (/^ratio|Vs[A-Z]/.test(key)) return fmtRatio(v);
  return fmtNumber(v);
}

/** Flattens nested summary objects into dotted keys. */
function flatten(obj: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, v]);
  }
  return out;
}

function hasShortWorkloads(r: SuiteResult): boolean {
  return r.cases.every((c) => typeof c.workload === 'string' && c.workload.length <= SHORT_WORKLOAD);
}

function caseLabel(c: BenchCase, withWorkload: boolean): string {
  return withWorkload && c.workload ? `${c.name} (${c.workload})` : c.name;
}

// ---------------------------------------------------------------- tables

function casesTable(suite: string, r: SuiteResult): string[] {
  const showWorkload = hasShortWorkloads(r);
  const cols: { head: string; get: (c: BenchCase) => string | undefined }[] = [];
  const any = (f: (c: BenchCase) => unknown) => r.cases.some((c) => f(c) !== undefined);
  if (any((c) => num(c, 'opsPerSec'))) cols.push({ head: 'ops/s', get: (c) => (num(c, 'opsPerSec') === undefined ? undefined : fmtNumber(num(c, 'opsPerSec')!)) });
  for (const [p, head] of PCTS)
    if (any((c) => latencyNs(c, p))) cols.push({ head, get: (c) => (latencyNs(c, p) === undefined ? undefined : fmtDurationNs(latencyNs(c, p)!)) });
  if (any((c) => num(c, 'bytesPerOrder'))) cols.push({ head: 'bytes/order', get: (c) => (num(c, 'bytesPerOrder') === undefined ? undefined : fmtBytes(num(c, 'bytesPerOrder')!)) });
  if (any((c) => num(c, 'rssMB'))) cols.push({ head: 'RSS', get: (c) => (num(c, 'rssMB') === undefined ? undefined : `${fmtNumber(num(c, 'rssMB')!)} MB`) });
  const extras = (c: BenchCase): string =>
    Object.entries(c)
      .filter(([k, v]) => !STANDARD_KEYS.has(k) && v !== undefined && v !== null)
      .map(([k, v]) => `${k} ${formatFigure(k, v)}`)
      .join('; ');
  const hasExtras = r.cases.some((c) => extras(c) !== '');

  const head = ['case', ...(showWorkload ? ['workload'] : []), ...cols.map((c) => c.head), ...(hasExtras ? ['other figures'] : [])];
  const align = ['---', ...(showWorkload ? ['---'] : []), ...cols.map(() => '--:'), ...(hasExtras ? ['---'] : [])];
  const lines = [`| ${head.join(' | ')} |`, `|${align.join('|')}|`];
  for (const c of r.cases) {
    const row = [`\`${c.name}\``, ...(showWorkload ? [c.workload ?? ''] : []), ...cols.map((col) => col.get(c) ?? '–'), ...(hasExtras ? [extras(c)] : [])];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  // The reference system measured the same things as these two gateways: one context row.
  if (suite === 'tcp' || suite === 'grpc') {
    const row = [`_${REFERENCE.label}_`, ...(showWorkload ? [''] : [])];
    for (const col of cols) {
      if (col.head === 'ops/s') row.push(`_${fmtNumber(REFERENCE.ordersPerSec.lo)}–${fmtNumber(REFERENCE.ordersPerSec.hi)}_`);
      else if (col.head === 'p50') row.push(`_${fmtDurationNs(REFERENCE.p50Ns.lo)}–${fmtDurationNs(REFERENCE.p50Ns.hi)}_`);
      else if (col.head === 'p99') row.push(`_${fmtDurationNs(REFERENCE.p99Ns.lo)}–${fmtDurationNs(REFERENCE.p99Ns.hi)}_`);
      else row.push('–');
    }
    if (hasExtras) row.push('_at 50 connections: ~5,000 orders/s, dropped connections_');
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  if (!showWorkload) {
    lines.push('', 'Workloads:', '');
    for (const c of r.cases) lines.push(`- \`${c.name}\`: ${c.workload ?? ''}`);
  }
  return lines;
}

function summaryTable(r: SuiteResult): string[] {
  if (!r.summary) return [];
  // The suite's own pass/fail flags are left out: the Targets table recomputes them from the cases.
  const ownVerdict = (k: string, v: unknown) => typeof v === 'boolean' && /target/i.test(k);
  const rows = flatten(r.summary).filter(([k, v]) => k !== 'notes' && !k.startsWith('targets.') && !ownVerdict(k, v) && v !== undefined);
  const lines: string[] = [];
  if (rows.length) {
    lines.push('| summary figure | value |', '|---|--:|');
    for (const [k, v] of rows) lines.push(`| ${cell(k)} | ${cell(formatFigure(k.split('.').pop()!, v))} |`);
  }
  if (typeof r.summary.notes === 'string') lines.push('', `> ${cell(r.summary.notes)}`);
  return lines;
}

function targetsTable(checks: TargetCheck[]): string[] {
  if (!checks.length) return [];
  const lines = ['| target | measured | required | result |', '|---|---|---|---|'];
  for (const c of checks) lines.push(`| ${cell(c.what)} | ${cell(c.measured)} | ${cell(c.target)} | ${statusCell(c.status)} |`);
  return lines;
}

// ---------------------------------------------------------------- charts

const opsFormat = (v: number): string => fmtCompact(v);
const THROUGHPUT_AXIS = 'operations per second (higher is better)';
const LATENCY_AXIS = 'latency (lower is better)';

function subtitleFor(r: SuiteResult, extra: string): string {
  return `${extra} · ${r.mode} mode · ${(r.machine?.date ?? '').slice(0, 10)} · ${r.machine?.cores ?? '?'} cores, Node ${r.machine?.node ?? '?'}`;
}

/** One bar per case (or per case and workload when workloads are short labels such as mixed/deep). */
function throughputCategories(r: SuiteResult): { series: string[]; categories: BarCategory[] } {
  const cases = r.cases.filter((c) => num(c, 'opsPerSec') !== undefined);
  const names = [...new Set(cases.map((c) => c.name))];
  const workloads = [...new Set(cases.map((c) => c.workload))];
  if (hasShortWorkloads(r) && workloads.length > 1 && names.length < cases.length) {
    return {
      series: workloads.map((w) => `${w} workload`),
      categories: names.map((n) => ({ label: n, values: workloads.map((w) => (num(findCase(r, n, w), 'opsPerSec') === undefined ? null : { v: num(findCase(r, n, w), 'opsPerSec')! })) })),
    };
  }
  return { series: ['ops/s'], categories: cases.map((c) => ({ label: caseLabel(c, hasShortWorkloads(r) && workloads.length > 1), values: [{ v: num(c, 'opsPerSec')! }] })) };
}

const referenceThroughput = (): BarCategory => ({
  label: REFERENCE.shortLabel,
  muted: true,
  values: [{ v: REFERENCE.ordersPerSec.lo, hi: REFERENCE.ordersPerSec.hi }],
});

function latencyChart(file: string, title: string, r: SuiteResult, cases: BenchCase[], withReference: boolean, note: string): Chart | null {
  const pcts = PCTS.filter(([p]) => cases.some((c) => latencyNs(c, p) !== undefined));
  if (!cases.length || !pcts.length) return null;
  const categories: BarCategory[] = cases.map((c) => ({ label: c.name, values: pcts.map(([p]) => (latencyNs(c, p) === undefined ? null : { v: latencyNs(c, p)! })) }));
  if (withReference)
    categories.push({
      label: REFERENCE.shortLabel,
      muted: true,
      values: pcts.map(([p]) => (p === 'p50' ? { v: REFERENCE.p50Ns.lo, hi: REFERENCE.p50Ns.hi } : p === 'p99' ? { v: REFERENCE.p99Ns.lo, hi: REFERENCE.p99Ns.hi } : null)),
    });
  const spec: BarChartSpec = {
    title,
    subtitle: subtitleFor(r, note),
    series: pcts.map(([, label]) => label),
    categories,
    format: fmtDurationNs,
    axisLabel: LATENCY_AXIS,
    scale: 'auto',
  };
  return { file, alt: title, svg: barChart(spec) };
}

function throughputChart(file: string, title: string, r: SuiteResult, note: string, opts: { markers?: BarMarker[]; extra?: BarCategory[]; replace?: (c: BarCategory) => BarCategory[] } = {}): Chart | null {
  const { series, categories } = throughputCategories(r);
  let cats = opts.replace ? categories.flatMap(opts.replace) : categories;
  cats = [...cats, ...(opts.extra ?? [])];
  if (!cats.length) return null;
  return { file, alt: title, svg: barChart({ title, subtitle: subtitleFor(r, note), series, categories: cats, format: opsFormat, axisLabel: THROUGHPUT_AXIS, markers: opts.markers }) };
}

function chartsFor(suite: string, r: SuiteResult): Chart[] {
  const out: (Chart | null)[] = [];
  switch (suite) {
    case 'core':
      out.push(
        throughputChart('core-throughput.svg', 'core: order-book throughput per implementation', r, 'same seeded op stream for every book', {
          markers: [
            { value: 25e6, label: 'target mixed ≥ 25M' },
            { value: 8e6, label: 'target deep ≥ 8M' },
          ],
        }),
      );
      break;
    case 'engine':
      out.push(throughputChart('engine-throughput.svg', 'engine: orders/s through ExchangeCore vs the bare book', r, 'same op stream', { markers: [{ value: 1e6, label: 'target engine ≥ 1M' }] }));
      break;
    case 'tcp': {
      out.push(throughputChart('tcp-throughput.svg', 'TCP gateway: orders/s', r, 'client in its own process', { markers: [{ value: 500e3, label: 'target pipelined-1 ≥ 500k' }], extra: [referenceThroughput()] }));
      const rt = r.cases.filter((c) => c.name === 'raw-pingpong' || c.name === 'order-rtt');
      const loaded = r.cases.filter((c) => !rt.includes(c) && latencyNs(c, 'p50') !== undefined);
      out.push(latencyChart('tcp-latency.svg', 'TCP gateway: round trip, one order in flight', r, rt, true, 'order round trip beside a raw socket ping-pong'));
      out.push(latencyChart('tcp-latency-loaded.svg', 'TCP gateway: order latency under load (many in flight)', r, loaded, false, 'includes queueing behind the orders in flight'));
      break;
    }
    case 'grpc': {
      out.push(throughputChart('grpc-throughput.svg', 'gRPC gateway: calls or messages per second', r, 'client processes separate from the server', { markers: [{ value: 50e3, label: 'target order-entry ≥ 50k' }], extra: [referenceThroughput()] }));
      const unary = r.cases.filter((c) => latencyNs(c, 'p50') !== undefined);
      out.push(latencyChart('grpc-latency.svg', 'gRPC gateway: unary round trip', r, unary, true, 'SubmitOrder beside a raw grpc-js unary echo'));
      break;
    }
    case 'durability': {
      // The replay case carries two rates (decode only, and into the exchange): draw both.
      const replay = findCase(r, 'replay');
      const split = (c: BarCategory): BarCategory[] => {
        if (c.label !== 'replay' || !replay) return [c];
        const parts: BarCategory[] = [];
        const d = num(replay, 'decodeOnlyPerSec');
        const x = num(replay, 'intoExchangePerSec');
        if (d !== undefined) parts.push({ label: 'replay (decode only)', values: [{ v: d }] });
        if (x !== undefined) parts.push({ label: 'replay (into exchange)', values: [{ v: x }] });
        return parts.length ? parts : [c];
      };
      out.push(throughputChart('durability-throughput.svg', 'durability: journal, replay, PostgreSQL writer', r, 'commands or records per second', { markers: [{ value: 1e6, label: 'target replay ≥ 1M' }], replace: split }));
      break;
    }
    case 'auth':
      out.push(latencyChart('auth-latency.svg', 'auth: cost per check', r, r.cases, false, 'cached checks beside a Map.get baseline'));
      break;
    default: {
      out.push(throughputChart(`${suite}-throughput.svg`, `${suite}: throughput`, r, ''));
      out.push(latencyChart(`${suite}-latency.svg`, `${suite}: latency`, r, r.cases, false, ''));
    }
  }
  return out.filter((c): c is Chart => c !== null);
}

// ---------------------------------------------------------------- report

function render(loaded: LoadedResults): { markdown: string; charts: Chart[] } {
  const checks = evaluateTargets(loaded);
  const charts: Chart[] = [];
  const L: string[] = [];
  L.push(
    '# Aurex benchmark report',
    '',
    `_Generated by \`bench/report.ts\` from \`bench/results/*.json\`. Rebuild from the last results: \`node --import tsx bench/report.ts\`; measure again: \`npm run bench\`._`,
    '',
    '## Machine',
    '',
    `${machineSummary(loaded)}. Runs: ${runDates(loaded)}.`,
    '',
    'The machine is shared and noisy: compare the ratios measured within one run, not absolute figures across runs.',
    'Quick mode is a seconds-long smoke run; only full-mode figures are representative.',
    '',
    '| suite | mode | run at | cores | CPU | Node |',
    '|---|---|---|--:|---|---|',
  );
  for (const s of orderedSuiteNames(loaded)) {
    const r = loaded.suites.get(s);
    if (!r) L.push(`| ${s} | not run | – | – | – | – |`);
    else L.push(`| [${s}](#${s}) | ${r.mode} | ${cell(r.machine?.date ?? '?')} | ${r.machine?.cores ?? '?'} | ${cell(r.machine?.cpuModel ?? '?')} | ${r.machine?.node ?? '?'} |`);
  }
  if (loaded.problems.length) {
    L.push('', 'Unreadable results files:', '');
    for (const p of loaded.problems) L.push(`- ${cell(p)}`);
  }
  const passed = checks.filter((c) => c.status === 'PASS').length;
  const failed = checks.filter((c) => c.status === 'FAIL').length;
  L.push('', '## Targets', '', `${passed} PASS, ${failed} FAIL, ${checks.length - passed - failed} not measured. Each is computed here from the cases of the results files.`, '');
  L.push('| suite | target | measured | required | result |', '|---|---|---|---|---|');
  for (const c of checks) L.push(`| ${c.suite} | ${cell(c.what)} | ${cell(c.measured)} | ${cell(c.target)} | ${statusCell(c.status)} |`);

  for (const s of orderedSuiteNames(loaded)) {
    const r = loaded.suites.get(s);
    L.push('', `<a id="${s}"></a>`, '', `## ${s}: ${SUITE_TITLES[s] ?? s}`, '');
    if (!r) {
      L.push(`Not run: no \`bench/results/${s}.json\`. Run \`npm run bench -- ${s}\`.`);
      const own = checks.filter((c) => c.suite === s);
      if (own.length) L.push('', ...targetsTable(own));
      continue;
    }
    L.push(`Mode **${r.mode}**, run ${cell(r.machine?.date ?? '?')}.`, '');
    const cs = chartsFor(s, r);
    charts.push(...cs);
    for (const c of cs) L.push(`![${cell(c.alt)}](${c.file})`, '');
    L.push('### Cases', '', ...casesTable(s, r));
    const sum = summaryTable(r);
    if (sum.length) L.push('', '### Summary', '', ...sum);
    const own = checks.filter((c) => c.suite === s);
    if (own.length) L.push('', '### Targets', '', ...targetsTable(own));
  }
  L.push('');
  return { markdown: L.join('\n'), charts };
}

/**
 * Builds REPORT.md and its charts from the results in resultsDir, writing them to outDir
 * (the same directory by default, so the report's relative chart links resolve).
 */
export function generateReport(resultsDir: string, outDir: string = resultsDir): GeneratedReport {
  const loaded = loadResults(resultsDir);
  const { markdown, charts } = render(loaded);
  fs.mkdirSync(outDir, { recursive: true });
  const chartPaths = charts.map((c) => {
    const p = path.join(outDir, c.file);
    fs.writeFileSync(p, c.svg);
    return p;
  });
  const reportPath = path.join(outDir, 'REPORT.md');
  fs.writeFileSync(reportPath, markdown);
  return { reportPath, chartPaths, markdown, loaded };
}

/** Writes bench/results/REPORT.md and its charts, refreshes the README's performance section; returns the report's path. */
export function writeReport(): string {
  const rep = generateReport(RESULTS_DIR);
  updateReadmePerf(README_PATH, RESULTS_DIR, rep.loaded);
  return rep.reportPath;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const p = writeReport();
  process.stdout.write(`wrote ${path.relative(process.cwd(), p)} and the README performance section\n`);
}
