/**
 * Fixed-size Float64Array pages carved out of large shared chunks, for the
 * columnar rings (execution-report history, account trade rings). One
 * ArrayBuffer per page made buffer allocation and external-memory accounting a
 * visible cost on the order path (thousands of small buffers for 1,000
 * accounts); a chunk holds many pages. Pages live as long as their owner (an
 * account's history), so they are never returned.
 */
const CHUNK_DOUBLES = 1 << 17; // 1 MiB

let chunk = new Float64Array(0);
let used = 0;

export function allocPage(doubles: number): Float64Array {
  if (doubles > CHUNK_DOUBLES / 4) return new Float64Array(doubles);
  if (used + doubles > chunk.length) {
    chunk = new Float64Array(CHUNK_DOUBLES);
    used = 0;
  }
  const p = chunk.subarray(used, used + doubles);
  used += doubles;
  return p;
}
