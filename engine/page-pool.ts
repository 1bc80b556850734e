/**
 * Fixed-size Float64Array pages carved out of large shared chunks, for the
 * columnar rings (execution-report history, account trade rings). One
 * ArrayBuffer per page made buffer allocation and external-memory accounting a
 * visible cost on the order path (thousands of small buffers for 1,000
 * accounts); a chunk holds many pages. Pages live as long as their owner (an
 * account's history), so they are never returned.
 *
 * A chunk is one 2 MiB huge page (bigBuffer): the rings fill their pages as
 * orders arrive, so with 4 KiB pages every 4 KiB of new history was a page
 * fault on the order path (about 10% of a journal replay's faults; see
 * docs/engine.md, "First touch").
 */
import { bigBuffer } from './big-buffer.ts';

const CHUNK_BYTES = 2 << 20;
const CHUNK_DOUBLES = CHUNK_BYTES / 8;

let chunk = new Float64Array(0);
let used = 0;

export function allocPage(doubles: number): Float64Array {
  if (doubles > CHUNK_DOUBLES / 4) return new Float64Array(doubles);
  if (used + doubles > chunk.length) {
    chunk = new Float64Array(bigBuffer(CHUNK_BYTES), 0, CHUNK_DOUBLES);
    used = 0;
  }
  const p = chunk.subarray(used, used + doubles);
  used += doubles;
  return p;
}
