/**
 * Zeroed ArrayBuffers for the engine's big tables (order rows, the terminal
 * archive, the client-id table): from the native addon's hugeBuffer() when it is
 * built (2 MiB aligned, advised for transparent huge pages: one page fault and
 * one TLB entry per 2 MiB instead of per 4 KiB, measured in docs/engine.md,
 * "Huge pages"), else a plain ArrayBuffer. Small buffers are always plain.
 */
import { loadAddon } from './book/native-addon.ts';
import { nativeAvailable } from './book-factory.ts';

/** Below this, a plain ArrayBuffer (a huge page would be mostly unused). */
const MIN_HUGE_BYTES = 2 << 20;

let huge: ((bytes: number) => ArrayBuffer | null) | null | undefined;

function hugeAllocator(): ((bytes: number) => ArrayBuffer | null) | null {
  if (huge === undefined) {
    huge = null;
    if (process.env.AUREX_HUGE_PAGES !== '0' && nativeAvailable()) {
      try {
        const a = loadAddon();
        if (typeof a.hugeBuffer === 'function') huge = a.hugeBuffer;
      } catch {
        huge = null;
      }
    }
  }
  return huge;
}

/** A zeroed buffer of at least `bytes` bytes (exactly `bytes` when plain). */
export function bigBuffer(bytes: number): ArrayBuffer {
  if (bytes >= MIN_HUGE_BYTES) {
    const h = hugeAllocator();
    const b = h === null ? null : h(bytes);
    if (b !== null) return b;
  }
  return new ArrayBuffer(bytes);
}
