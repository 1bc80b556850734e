/**
 * Loads build/Release/aurex_book.node (built by `npm run build:addon`) once per
 * process and types its plain-function surface (native/addon.cc).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AurexBookAddon {
  create(maxPriceTicks: number, stpMode: number, initialOrders: number): number;
  close(h: number): void;
  /** Registers the events array (>= 1 row). Calls that write events throw a RangeError once it is detached. */
  setEvents(h: number, events: Float64Array): void;
  setOps(h: number, ops: Float64Array): void;
  /** With check, rows are first checked like validateOps; -1 (nothing applied) when one fails. */
  processReg(h: number, nOps: number, check?: boolean): number;
  processArr(h: number, ops: Float64Array, nOps: number, check?: boolean): number;
  drain(h: number): number;
  bestBid(h: number): number;
  bestAsk(h: number): number;
  bestQty(h: number, side: number): number;
  depth(h: number, side: number, levels: number, out: Float64Array): number;
  orderInfo(h: number, id: number, out: Float64Array): boolean;
  orderCount(h: number): number;
  snapshot(h: number): Float64Array;
  /** Rows written into `out`, or -1 when it is too small (nothing written). */
  snapshotInto(h: number, out: Float64Array): number;
  /** null when loaded; else the first row the core refused and why (a Code): the book is then unchanged or empty. */
  restore(h: number, rows: Float64Array, n: number): { row: number; code: number } | null;
  stateHash(h: number): string;
  memoryUsage(h: number): number;
  codes(): Record<string, number>;
  check(h: number): string | null;
  /** Zeroed memory, 2 MiB aligned and advised for transparent huge pages (engine/big-buffer.ts); null when refused. */
  hugeBuffer(bytes: number): ArrayBuffer | null;
  /** Where the first badly framed or mis-checksummed journal record at or after `from` starts (engine/journal/journal-format.ts verifiedRecords). */
  crc32cVerify(bytes: Uint8Array, from: number, to: number, minLen: number, maxLen: number): number;
}

export const ADDON_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'Release', 'aurex_book.node');

let addon: AurexBookAddon | undefined;

export function loadAddon(): AurexBookAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    try {
      addon = require(ADDON_PATH) as AurexBookAddon;
    } catch (err) {
      throw new Error(`cannot load the native book ${ADDON_PATH}; run \`npm run build:addon\` (${(err as Error).message})`);
    }
  }
  return addon;
}

/**
 * The addon's function `name` when the addon is built and loads, else null:
 * for optional accelerations (huge-page buffers, journal checksums) whose
 * callers fall back to TypeScript. Environment variable `off` set to '0' turns
 * it off (measurements, tests of the fallback).
 */
export function optionalAddonFunction<K extends keyof AurexBookAddon>(name: K, off: string): AurexBookAddon[K] | null {
  if (process.env[off] === '0' || !fs.existsSync(ADDON_PATH)) return null;
  try {
    const f = loadAddon()[name];
    return typeof f === 'function' ? f : null;
  } catch {
    return null;
  }
}
