/**
 * Zeroed ArrayBuffers for the engine's big tables (order rows, the terminal
 * archive, the client-id table): from the native addon's hugeBuffer() when it is
 * built (2 MiB aligned, advised for transparent huge pages: one page fault and
 * one TLB entry per 2 MiB instead of per 4 KiB; measured in docs/engine.md,
 * "Terminal-order archive"), else a plain ArrayBuffer. Small buffers are always
 * plain. AUREX_HUGE_PAGES=0 turns huge pages off.
 */
import { optionalAddonFunction } from './book/native-addon.ts';

/** Below this, a plain ArrayBuffer (a huge page would be mostly unused). */
const MIN_HUGE_BYTES = 2 << 20;

let huge: ((bytes: number) => ArrayBuffer | null) | null | undefined;

function hugeFn(): ((bytes: number) => ArrayBuffer | null) | null {
  if (huge === undefined) huge = optionalAddonFunction('hugeBuffer', 'AUREX_HUGE_PAGES');
  return huge;
}

/**
 * Whether big buffers are mappings whose pages are backed only once touched
 * (the addon's hugeBuffer): then reserving a large capacity up front costs
 * address space, not memory, and saves growing by copying later.
 */
export function lazyBigBuffers(): boolean {
  return hugeFn() !== null;
}

/** A zeroed buffer of at least `bytes` bytes (exactly `bytes` when plain). */
export function bigBuffer(bytes: number): ArrayBuffer {
  if (bytes >= MIN_HUGE_BYTES) {
    const h = hugeFn();
    const b = h === null ? null : h(bytes);
    if (b !== null) return b;
  }
  return new ArrayBuffer(bytes);
}
