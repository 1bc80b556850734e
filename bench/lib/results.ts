/**
 * Shared plumbing for every benchmark suite: machine description, percentile
 * statistics and the results file format (bench/results/<suite>.json).
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  totalMemGiB: number;
  node: string;
  /** V8/Node flags of the measuring process (absent in results written before they were recorded). */
  nodeFlags?: string[];
  platform: string;
  arch: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    // the V8 flags of the measuring process (npm run bench passes the server's, server/node-flags.ts)
    nodeFlags: process.execArgv.filter((a) => a.startsWith('--') && a !== '--import'),
    platform: os.platform(),
    arch: os.arch(),
    date: new Date().toISOString(),
  };
}

/** One measured case. Fields that do not apply are omitted. */
export interface BenchCase {
  name: string;
  workload: string;
  opsPerSec?: number;
  p50Ns?: number;
  p99Ns?: number;
  p999Ns?: number;
  p50Us?: number;
  p99Us?: number;
  p999Us?: number;
  bytesPerOrder?: number;
  rssMB?: number;
  /** Free-form extra figures (counts, ratios, notes). */
  [extra: string]: unknown;
}

export interface SuiteResult {
  suite: string;
  mode: 'quick' | 'full';
  machine: MachineInfo;
  cases: BenchCase[];
  /** Ratios and targets derived from the cases, e.g. {"nativeVsPeer": 412.3}. */
  summary?: Record<string, unknown>;
}

export function writeResults(result: SuiteResult): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.suite}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}

/** Percentile (0..100) of an ascending-sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Sorts a copy of samples (Float64Array) and returns p50/p99/p99.9. */
export function latencyStats(samples: Float64Array | number[]): { p50: number; p99: number; p999: number; max: number } {
  const s = Float64Array.from(samples).sort();
  return { p50: percentile(s, 50), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s[s.length - 1] ?? NaN };
}

/** Prints a fixed-width table of rows (objects with the same keys). */
export function printTable(title: string, rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const fmt = (v: unknown): string =>
    typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 })) : String(v ?? '');
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => fmt(r[k]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  process.stdout.write(`\n${title}\n${line(keys)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(line(keys.map((k) => fmt(r[k]))) + '\n');
}

export interface SuiteOptions {
  quick: boolean;
}
