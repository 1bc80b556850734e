import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatFigure, generateReport } from '../bench/report.ts';
import { evaluateTargets, loadResults, referenceComparisons, type TargetCheck } from '../bench/lib/report-data.ts';
import type { BenchCase, SuiteResult } from '../bench/lib/results.ts';
import { PERF_BEGIN, PERF_END, renderPerfSection, replacePerfSection, updateReadmePerf } from '../scripts/update-readme-perf.ts';

const machine = { cores: 2, cpuModel: 'Test CPU 9000', totalMemGiB: 8, node: 'v20.0.0', platform: 'linux', arch: 'x64', date: '2026-01-02T03:04:05.000Z' };

function suite(name: string, cases: BenchCase[], summary?: Record<string, unknown>, mode: 'quick' | 'full' = 'full'): SuiteResult {
  return { suite: name, mode, machine, cases, ...(summary ? { summary } : {}) };
}

/** Synthetic results: core and durability meet every target, engine and tcp fail some, grpc was not run. */
function writeFixtures(dir: string): void {
  const files: SuiteResult[] = [
    suite(
      'core',
      [
        { name: 'native-batched', workload: 'mixed', opsPerSec: 30_000_000, p50Ns: 40.5, p99Ns: 120, p999Ns: 15_000, runs: 3 },
        { name: 'nodejs-order-book', workload: 'mixed', opsPerSec: 100_000, p50Ns: 3000, p99Ns: 45_000, p999Ns: 2_500_000 },
        { name: 'native-batched', workload: 'deep', opsPerSec: 9_000_000, bytesPerOrder: 100 },
        { name: 'nodejs-order-book', workload: 'deep', opsPerSec: 20_000, bytesPerOrder: 576.1 },
      ],
      { 'mixed.nativeBatchedVsPeer': 300, notes: 'synthetic core notes', targets: { mixedOpsPerSec_ge_25M: false } },
    ),
    suite('engine', [
      { name: 'native-batched', workload: 'mixed', opsPerSec: 1_500_000 },
      { name: 'engine', workload: 'mixed', opsPerSec: 500_000, rejects: 0, execReports: 1_234_567 },
    ]),
    suite(
      'tcp',
      [
        { name: 'raw-pingpong', workload: 'node:net ping-pong, a long workload description', opsPerSec: 30_000, p50Us: 30, p99Us: 80, p999Us: 800 },
        { name: 'order-rtt', workload: 'one order in flight, a long workload description', opsPerSec: 18_000, p50Us: 50, p99Us: 140, p999Us: 1500 },
        { name: 'pipelined-1', workload: 'many in flight, a long workload description', opsPerSec: 600_000, p50Us: 35_000, lost: 0, duplicated: 0 },
        { name: 'clients-50', workload: '50 clients, a long workload description', opsPerSec: 84_000, lost: 1, duplicated: 0 },
      ],
      undefined,
      'quick',
    ),
    suite('durability', [{ name: 'replay', workload: '50050 journal records', opsPerSec: 2_000_000, decodeOnlyPerSec: 2_000_000, intoExchangePerSec: 65_000, snapshotBytes: 10_417_250, snapshotLoadMs: 651, hashEqualAfterSnapshotRestore: true }]),
    suite('auth', [{ name: 'baseline <Map.get> & co', workload: 'lookups', p50Ns: 7.3 }]),
  ];
  for (const f of files) fs.writeFileSync(path.join(dir, `${f.suite}.json`), JSON.stringify(f));
  fs.writeFileSync(path.join(dir, 'broken.json'), '{ not json');
}

/**
 * Well-formedness check of the SVG documents the report writes: every tag closes in order, attribute
 * values are quoted, and text holds no raw '<' or bare '&'. Returns the concatenated text content.
 */
function checkXml(doc: string): string {
  const stack: string[] = [];
  let text = '';
  let i = doc.startsWith('<?xml') ? doc.indexOf('?>') + 2 : 0;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const chunk = doc.slice(i, lt < 0 ? doc.length : lt);
    expect(chunk, 'text must escape &').to.not.match(/&(?!(amp|lt|gt|quot|apos|#\d+);)/);
    text += chunk;
    if (lt < 0) break;
    const gt = doc.indexOf('>', lt);
    expect(gt, `unterminated tag at ${lt}`).to.be.greaterThan(lt);
    const tag = doc.slice(lt + 1, gt);
    const m = /^(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)$/.exec(tag);
    expect(m, `malformed tag <${tag}>`).to.not.equal(null);
    const [, closing, name, , selfClosing] = m!;
    if (closing) expect(stack.pop(), `</${name}> closes the wrong element`).to.equal(name);
    else if (!selfClosing) stack.push(name!);
    i = gt + 1;
  }
  expect(stack, 'unclosed elements').to.deep.equal([]);
  return text;
}

const byId = (checks: TargetCheck[], id: string): TargetCheck => {
  const c = checks.find((x) => x.id === id);
  expect(c, `target ${id}`).to.not.equal(undefined);
  return c!;
};

describe('80 bench report', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-report-'));
    writeFixtures(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('judges every target from the cases, including missing suites', () => {
    const checks = evaluateTargets(loadResults(dir));
    const status = (id: string) => byId(checks, id).status;
    expect(status('core.mixed-ops')).to.equal('PASS');
    expect(status('core.deep-ops')).to.equal('PASS');
    expect(status('core.vs-peer')).to.equal('PASS');
    expect(byId(checks, 'core.vs-peer').measured).to.contain('300×');
    expect(status('core.bytes-per-order')).to.equal('PASS');
    expect(status('engine.ops')).to.equal('FAIL');
    expect(status('engine.vs-book')).to.equal('PASS'); // 500k / 1.5M = 33%
    expect(status('tcp.rtt-vs-raw')).to.equal('FAIL'); // 50 / 30 = 1.67×
    expect(status('tcp.pipelined-1')).to.equal('PASS');
    expect(status('tcp.clients-50')).to.equal('FAIL'); // one lost response
    for (const id of ['grpc.unary-vs-raw', 'grpc.order-entry-vs-raw', 'grpc.order-entry', 'grpc.fanout-10000']) {
      expect(status(id)).to.equal('MISSING');
      expect(byId(checks, id).measured).to.equal('suite not run');
    }
    // The replay target is judged on both replay rates, so the fast decode-only one cannot hide the other.
    expect(status('durability.replay-decode')).to.equal('PASS');
    expect(status('durability.replay-exchange')).to.equal('FAIL');
  });

  it('compares with the reference system in both directions', () => {
    const refs = referenceComparisons(loadResults(dir));
    const p50 = refs.find((r) => r.what === 'TCP order round trip p50');
    expect(p50?.factor).to.equal('5.66×–7.4× lower'); // 283/50 .. 370/50
    const c50 = refs.find((r) => r.what === 'TCP throughput, clients-50');
    expect(c50?.factor).to.equal('3.01×–5.03× higher');
    expect(refs.some((r) => r.suite === 'grpc')).to.equal(false);
  });

  it('writes REPORT.md with the machine, case tables, summaries and targets', () => {
    const out = path.join(dir, 'out');
    const rep = generateReport(dir, out);
    expect(rep.reportPath).to.equal(path.join(out, 'REPORT.md'));
    const md = fs.readFileSync(rep.reportPath, 'utf8');
    expect(md).to.equal(rep.markdown);
    expect(md).to.contain('2 cores (Test CPU 9000), 8 GiB, Node v20.0.0');
    expect(md).to.contain('| [tcp](#tcp) | quick |');
    expect(md).to.contain('| grpc | not run |');
    expect(md).to.contain('Not run: no `bench/results/grpc.json`');
    expect(md).to.contain('broken.json');
    // core: short workloads get their own column; figures carry thousands separators and units.
    expect(md).to.contain('| case | workload | ops/s | p50 | p99 | p99.9 | bytes/order | other figures |');
    expect(md).to.contain('| `native-batched` | mixed | 30,000,000 | 40.5 ns | 120 ns | 15 µs | – | runs 3 |');
    expect(md).to.contain('| `nodejs-order-book` | deep | 20,000 | – | – | – | 576.1 B |');
    expect(md).to.contain('| mixed.nativeBatchedVsPeer | 300× |');
    expect(md).to.contain('> synthetic core notes');
    expect(md).to.not.contain('mixedOpsPerSec_ge_25M'); // the suite's own flags are recomputed, not copied
    // tcp: long workloads are listed under the table; the reference system is a context row.
    expect(md).to.contain('- `raw-pingpong`: node:net ping-pong, a long workload description');
    expect(md).to.contain('| `order-rtt` | 18,000 | 50 µs | 140 µs | 1.5 ms |');
    expect(md).to.match(/\| _reference system \(FIELD-NOTES[^|]*_ \| _16,700–27,900_ \| _283 µs–370 µs_ \| _1\.5 ms–2\.4 ms_ \|/);
    expect(md).to.contain('lost 1; duplicated 0');
    // durability extras: units by key name.
    expect(md).to.contain('decodeOnlyPerSec 2,000,000/s; intoExchangePerSec 65,000/s; snapshotBytes 9.93 MiB; snapshotLoadMs 651 ms; hashEqualAfterSnapshotRestore yes');
    expect(md).to.match(/\| tcp \| 50 clients: lost and duplicated responses \| lost 1, duplicated 0 \| lost = 0, duplicated = 0 \| \*\*FAIL\*\* \|/);
    expect(md).to.match(/\| core \| native-batched, mixed workload \| 30,000,000 ops\/s \| ≥ 25,000,000 ops\/s \| PASS \|/);
    expect(md).to.contain('7 PASS, 4 FAIL, 4 not measured');
    // Every chart is linked relatively and exists beside the report.
    for (const p of rep.chartPaths) {
      expect(path.dirname(p)).to.equal(out);
      expect(md).to.contain(`](${path.basename(p)})`);
    }
  });

  it('writes well-formed SVG charts that name their cases', () => {
    const rep = generateReport(dir, path.join(dir, 'svg'));
    const names = rep.chartPaths.map((p) => path.basename(p)).sort();
    expect(names).to.deep.equal(['auth-latency.svg', 'core-throughput.svg', 'durability-throughput.svg', 'engine-throughput.svg', 'tcp-latency.svg', 'tcp-throughput.svg', 'tcp-latency-loaded.svg'].sort());
    const read = (f: string) => fs.readFileSync(path.join(dir, 'svg', f), 'utf8');
    for (const f of names) {
      const svg = read(f);
      expect(svg).to.match(/^<\?xml[^>]*\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720"/);
      checkXml(svg);
    }
    const core = checkXml(read('core-throughput.svg'));
    for (const s of ['native-batched', 'nodejs-order-book', 'mixed workload', 'deep workload', '30M', '100k', 'target mixed ≥ 25M', 'log scale']) expect(core).to.contain(s);
    const lat = checkXml(read('tcp-latency.svg'));
    for (const s of ['raw-pingpong', 'order-rtt', 'reference system', 'p50', 'p99', 'p99.9', '283 µs–370 µs']) expect(lat).to.contain(s);
    expect(checkXml(read('durability-throughput.svg'))).to.contain('replay (into exchange)');
    // Markup characters in case names are escaped, not emitted raw.
    expect(read('auth-latency.svg')).to.contain('baseline &lt;Map.get&gt; &amp; co');
  });

  it('rewrites only the README section between the PERF markers, idempotently', () => {
    const readme = path.join(dir, 'README.md');
    const before = `# Title\n\nintro\n\n${PERF_BEGIN}\nold figures\n${PERF_END}\n\n## After\ntext\n`;
    fs.writeFileSync(readme, before);
    const section = updateReadmePerf(readme, dir);
    const after = fs.readFileSync(readme, 'utf8');
    expect(after.startsWith(`# Title\n\nintro\n\n${PERF_BEGIN}\n`)).to.equal(true);
    expect(after.endsWith(`\n${PERF_END}\n\n## After\ntext\n`)).to.equal(true);
    expect(after).to.not.contain('old figures');
    expect(section).to.contain('[bench/results/REPORT.md](bench/results/REPORT.md)');
    expect(section).to.contain('Mode per suite: core full, engine full, tcp quick, grpc not run, durability full, auth full.');
    expect(section).to.match(/\| tcp \(quick\) \| order round trip p50 vs raw ping-pong p50 \| 1\.67× \(50 µs vs 30 µs\) \| ≤ 1\.5× \| \*\*FAIL\*\* \|/);
    expect(section).to.contain('| grpc | OrderEntry stream throughput | suite not run | ≥ 50,000 orders/s | _not run_ |');
    for (const cmd of ['`npm run bench`', '`npm run bench -- core`', '`npm run bench -- --quick`']) expect(section).to.contain(cmd);
    updateReadmePerf(readme, dir);
    expect(fs.readFileSync(readme, 'utf8')).to.equal(after);
    expect(() => replacePerfSection('# no markers\n', renderPerfSection(loadResults(dir)))).to.throw(/PERF:BEGIN/);
  });

  it('formats figures by what their key names', () => {
    expect(formatFigure('opsTimed', 8_067_039)).to.equal('8,067,039');
    expect(formatFigure('commandsPerSec', 10_826)).to.equal('10,826/s');
    expect(formatFigure('p50Ns', 16_319.1)).to.equal('16.3 µs');
    expect(formatFigure('p99Us', 2400)).to.equal('2.4 ms');
    expect(formatFigure('rssOpenMB', 274)).to.equal('274 MB');
    expect(formatFigure('ratioVsNoJournal', 0.39)).to.equal('0.39×');
    expect(formatFigure('engineVsNativeBatchedPercent', 0.4)).to.equal('0.4%');
    expect(formatFigure('loadAverage', [5.22, 5.44])).to.equal('5.22, 5.44');
    expect(formatFigure('hashEqual', false)).to.equal('no');
  });
});
