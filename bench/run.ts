/**
 * `npm run bench` runs every suite; `npm run bench -- core tcp` runs some.
 * `--quick` (or BENCH_QUICK=1) runs each suite in its seconds-long smoke mode.
 * Each suite lives in bench/suites/<name>.ts and exports `run(opts): Promise<SuiteResult>`.
 */
import { pathToFileURL, fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { writeResults, type SuiteOptions, type SuiteResult } from './lib/results.ts';

const ALL = ['core', 'engine', 'tcp', 'grpc', 'durability', 'auth'];
const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const wanted = args.filter((a) => !a.startsWith('--'));
const suites = wanted.length ? wanted : ALL;
const here = path.dirname(fileURLToPath(import.meta.url));

for (const s of suites) {
  if (!ALL.includes(s)) {
    process.stderr.write(`unknown bench suite "${s}"; known: ${ALL.join(', ')}\n`);
    process.exit(2);
  }
}

const opts: SuiteOptions = { quick };
for (const s of suites) {
  const file = path.join(here, 'suites', `${s}.ts`);
  if (!fs.existsSync(file)) {
    process.stderr.write(`bench suite ${s}: ${file} not found\n`);
    process.exit(2);
  }
  process.stdout.write(`\n=== bench: ${s} (${quick ? 'quick' : 'full'}) ===\n`);
  const mod = (await import(pathToFileURL(file).href)) as { run(o: SuiteOptions): Promise<SuiteResult> };
  const result = await mod.run(opts);
  const out = writeResults(result);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}
if (fs.existsSync(path.join(here, 'report.ts'))) {
  const rep = (await import(pathToFileURL(path.join(here, 'report.ts')).href)) as { writeReport(): string };
  process.stdout.write(`wrote ${path.relative(process.cwd(), rep.writeReport())}\n`);
}
