/**
 * The engine options that decide how journaled commands replay (the symbol
 * configuration, the engine's own order-rate cap, and how many terminal orders
 * it retains: a client id is a duplicate only while its order is retained) are part of the state, not
 * of the process configuration: replaying the same journal under other options
 * could reject an order that was acknowledged. So they are recorded in the data
 * directory when the state is created and every later start recovers with the
 * recorded ones. Changing symbols on a running exchange goes through the admin
 * AddSymbol/Halt commands, which are journaled.
 */
import fs from 'node:fs';
import path from 'node:path';
import { validateMarketConfig, type MarketConfig } from '../engine/symbols.ts';
import { AurexError, Code } from '../engine/codes.ts';
import { DEFAULT_RETAIN_TERMINAL } from '../engine/exchange.ts';
import { MAX_ORDER_SLOTS } from '../engine/order.ts';

export interface EngineOptions {
  market: MarketConfig;
  maxOrdersPerSecond: number;
  /** Terminal orders retained exchange-wide (ExchangeOptions.retainTerminalOrders). */
  retainTerminalOrders: number;
}

export interface PinnedOptions {
  options: EngineOptions;
  /** True when the data directory already recorded options (an existing state). */
  recorded: boolean;
  /** True when the configured options differ from the recorded ones (which win). */
  differs: boolean;
  /**
   * True for a state recorded before retention was part of it (per-account
   * retention of 1,024 terminal orders): it recovers under the exchange-wide
   * window, which can differ only for a client id reused after the old window had
   * forgotten it.
   */
  legacyRetention: boolean;
  file: string;
}

/** The options to recover with: the recorded ones when the data dir has them, else `configured` (then recorded). */
export function pinEngineOptions(dataDir: string, configured: EngineOptions): PinnedOptions {
  const file = path.join(dataDir, 'engine-options.json');
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* a new state */
  }
  if (text === undefined) {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(configured, null, 2) + '\n');
    fs.renameSync(tmp, file);
    return { options: configured, recorded: false, differs: false, legacyRetention: false, file };
  }
  let raw: { market?: unknown; maxOrdersPerSecond?: unknown; retainTerminalOrders?: unknown };
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AurexError(Code.INVALID_CONFIG, `AUREX_DATA_DIR: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const rate = raw.maxOrdersPerSecond;
  if (!Number.isSafeInteger(rate) || (rate as number) < 1) throw new AurexError(Code.INVALID_CONFIG, `AUREX_DATA_DIR: ${file}: bad maxOrdersPerSecond`);
  const legacyRetention = raw.retainTerminalOrders === undefined;
  const keep = legacyRetention ? DEFAULT_RETAIN_TERMINAL : raw.retainTerminalOrders;
  if (!Number.isSafeInteger(keep) || (keep as number) < 0 || (keep as number) > MAX_ORDER_SLOTS) {
    throw new AurexError(Code.INVALID_CONFIG, `AUREX_DATA_DIR: ${file}: bad retainTerminalOrders`);
  }
  const options: EngineOptions = { market: validateMarketConfig(raw.market), maxOrdersPerSecond: rate as number, retainTerminalOrders: keep as number };
  const differs = JSON.stringify(options) !== JSON.stringify(configured);
  return { options, recorded: true, differs, legacyRetention, file };
}
