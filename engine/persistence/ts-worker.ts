/**
 * Starts a worker thread whose entry is a TypeScript module.
 *
 * The project runs TypeScript through tsx without emitting JavaScript. On
 * Node 20 neither `execArgv: ['--import', 'tsx']` nor `import 'tsx/esm'` makes
 * a worker able to load a `.ts` entry (tsx registers its hooks on the main
 * thread only; the worker fails with ERR_UNKNOWN_FILE_EXTENSION), under plain
 * `node --import tsx` as well as under mocha. What works in both: a tiny eval
 * bootstrap that registers tsx's ESM hooks through its API inside the worker,
 * then imports the entry. The API module is located from this file so the
 * worker does not depend on the process's working directory.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

let tsxApiUrl: string | undefined;

function tsxApi(): string {
  if (!tsxApiUrl) {
    const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
    tsxApiUrl = pathToFileURL(path.join(path.dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
  }
  return tsxApiUrl;
}

export function startTsWorker(entry: URL, opts: Omit<WorkerOptions, 'eval' | 'execArgv'>): Worker {
  const src =
    `import(${JSON.stringify(tsxApi())})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  // execArgv [] : the parent's `--import tsx` would only register a second, useless hook set.
  return new Worker(src, { ...opts, eval: true, execArgv: [] });
}
