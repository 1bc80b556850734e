/**
 * The order book as the rest of Aurex sees it: one factory and the contract
 * types. `native` is the C++ core (the production path); `reference` is the
 * plain TypeScript book used as the differential-testing oracle and as a
 * fallback where the addon is not built.
 */
import type { BookConfig, OrderBookCore } from './layout.ts';
import { NativeBook, type BookOptions } from './native-book.ts';
import { ReferenceBook } from './reference-book.ts';

export type BookImpl = 'native' | 'reference';

export function createBook(config: BookConfig = {}, impl: BookImpl = 'native', opts: BookOptions = {}): OrderBookCore {
  return impl === 'native' ? new NativeBook(config, opts) : new ReferenceBook(config, opts);
}

export * from './layout.ts';
export { NativeBook, nativeCodes, type BookOptions } from './native-book.ts';
export { ReferenceBook } from './reference-book.ts';
export {
  validateOps,
  validateOp,
  validateNew,
  validateCancel,
  validateReplace,
  validateRestingOrders,
  resolveConfig,
  MAX_PRICE_TICKS_LIMIT,
} from './validate.ts';
export { fnv1a64Hex, Fnv1a64, FNV_EMPTY_HASH } from './state-hash.ts';
