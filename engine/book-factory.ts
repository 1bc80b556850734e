/**
 * Which order-book implementation the engine runs on. Both honour
 * OrderBookCore (engine/book/layout.ts), so they are interchangeable: `auto`
 * takes the native core when its addon is built and the reference book
 * otherwise.
 */
import fs from 'node:fs';
import { createBook, type BookConfig, type OrderBookCore } from './book/index.ts';
import { ADDON_PATH } from './book/native-addon.ts';

export type BookChoice = 'auto' | 'native' | 'reference';
export type BookFactory = (config: BookConfig) => OrderBookCore;

export function nativeAvailable(): boolean {
  return fs.existsSync(ADDON_PATH);
}

/**
 * A factory for the chosen implementation. The engine validates every value
 * before it reaches a book (engine/risk.ts, engine/validate-command.ts), so the
 * native book's own per-op validation is turned off.
 */
export function bookFactory(choice: BookChoice | BookFactory = 'auto'): BookFactory {
  if (typeof choice === 'function') return choice;
  const impl = choice === 'auto' ? (nativeAvailable() ? 'native' : 'reference') : choice;
  return (config) => createBook(config, impl, { validate: false });
}

export function resolvedBookName(choice: BookChoice | BookFactory = 'auto'): string {
  if (typeof choice === 'function') return 'custom';
  return choice === 'auto' ? (nativeAvailable() ? 'native' : 'reference') : choice;
}
