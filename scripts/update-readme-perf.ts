/**
 * Rewrites the README's performance section (between <!-- PERF:BEGIN --> and <!-- PERF:END -->)
 * from bench/results/*.json: the issue's targets with PASS/FAIL, the comparison with the reference
 * system, and how to reproduce. bench/report.ts calls it after every run; it also runs alone:
 *   node --import tsx scripts/update-readme-perf.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RESULTS_DIR } from '../bench/lib/results.ts';
import { fmtNumber } from '../bench/lib/format.ts';
import { evaluateTargets, loadResults, machineSummary, modesSummary, referenceComparisons, REFERENCE, runDates, type LoadedResults } from '../bench/lib/report-data.ts';

export const PERF_BEGIN = '<!-- PERF:BEGIN -->';
export const PERF_END = '<!-- PERF:END -->';
export const README_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

const cell = (s: string): string => s.replace(/\|/g, '\\|');
export const statusCell = (s: string): string => (s === 'PASS' ? 'PASS' : s === 'FAIL' ? '**FAIL**' : '_not run_');

/** The section's content (without the markers). */
export function renderPerfSection(loaded: LoadedResults): string {
  const lines: string[] = [];
  const checks = evaluateTargets(loaded);
  const passed = checks.filter((c) => c.status === 'PASS').length;
  const failed = checks.filter((c) => c.status === 'FAIL').length;
  const missing = checks.length - passed - failed;
  const anyQuick = [...loaded.suites.values()].some((r) => r.mode === 'quick');
  lines.push(
    `Last results: ${machineSummary(loaded)}; run ${runDates(loaded)}.`,
    `Mode per suite: ${modesSummary(loaded)}.${anyQuick ? ' Quick mode is a seconds-long smoke run: its figures are indicative only.' : ''}`,
    `Every case, ratio and chart: [bench/results/REPORT.md](bench/results/REPORT.md).`,
    '',
    `Targets: ${passed} PASS, ${failed} FAIL${missing ? `, ${missing} not measured` : ''}.`,
    '',
    '| suite | measure | measured | target | result |',
    '|---|---|---|---|---|',
  );
  const suiteCell = (s: string): string => `${s}${loaded.suites.get(s)?.mode === 'quick' ? ' (quick)' : ''}`;
  for (const c of checks) lines.push(`| ${suiteCell(c.suite)} | ${cell(c.what)} | ${cell(c.measured)} | ${cell(c.target)} | ${statusCell(c.status)} |`);
  const refs = referenceComparisons(loaded);
  if (refs.length) {
    lines.push(
      '',
      'Beside the reference system of the design document, built and measured on the same kind of machine',
      `(TLS TCP gateway, 10 connections; at 50 connections it fell to ~${fmtNumber(REFERENCE.ordersPerSecAt50Connections)} orders/s and dropped connections):`,
      '',
      '| measure | Aurex | reference | Aurex is |',
      '|---|---|---|---|',
    );
    for (const r of refs) lines.push(`| ${cell(r.what)} | ${cell(r.aurex)} | ${cell(r.reference)} | ${cell(r.factor)} |`);
  }
  lines.push(
    '',
    'Reproduce: `npm run bench` (every suite, full mode), `npm run bench -- core` (one suite),',
    '`npm run bench -- --quick` (smoke run). Each run rewrites `bench/results/`, the report and this section;',
    '`node --import tsx bench/report.ts` rebuilds them from the last results without measuring.',
  );
  return lines.join('\n');
}

/** Replaces the text between the markers; throws if they are missing or out of order. */
export function replacePerfSection(readme: string, content: string): string {
  const b = readme.indexOf(PERF_BEGIN);
  const e = readme.indexOf(PERF_END);
  if (b < 0 || e < 0 || e < b) throw new Error(`README has no ${PERF_BEGIN} ... ${PERF_END} section`);
  return `${readme.slice(0, b + PERF_BEGIN.length)}\n${content.trimEnd()}\n${readme.slice(e)}`;
}

/** Rewrites the section of readmePath from the results in resultsDir; returns the new section content. */
export function updateReadmePerf(readmePath: string = README_PATH, resultsDir: string = RESULTS_DIR, loaded?: LoadedResults): string {
  const content = renderPerfSection(loaded ?? loadResults(resultsDir));
  const before = fs.readFileSync(readmePath, 'utf8');
  const after = replacePerfSection(before, content);
  if (after !== before) fs.writeFileSync(readmePath, after);
  return content;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  updateReadmePerf();
  process.stdout.write(`updated ${path.relative(process.cwd(), README_PATH)} (performance section)\n`);
}
