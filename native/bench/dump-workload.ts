/**
 * Writes the core benchmark's workloads (bench/lib/workload.ts, same seed and
 * sizes as bench/suites/core.ts full mode) to raw little-endian float64 files
 * for the standalone C++ driver (native/bench/driver.cc), so the book can be
 * profiled under callgrind without node.
 * File format: [prefillCount, count] as float64, then prefill rows, then op rows.
 * Usage: npx tsx native/bench/dump-workload.ts <outDir> [mixedOps] [deepPrefill] [deepOps]
 */
import fs from 'node:fs';
import path from 'node:path';
import { NativeBook } from '../../engine/book/native-book.ts';
import { OP_STRIDE } from '../../engine/book/layout.ts';
import { marketWorkload } from '../../bench/lib/workload.ts';

const out = process.argv[2] ?? '/tmp/aurex-wl';
const mixedOps = Number(process.argv[3] ?? 2_000_000);
const deepPrefill = Number(process.argv[4] ?? 1_000_000);
const deepOps = Number(process.argv[5] ?? 1_000_000);
fs.mkdirSync(out, { recursive: true });

for (const [name, prefill, ops] of [
  ['mixed', 0, mixedOps],
  ['deep', deepPrefill, deepOps],
] as const) {
  const b = new NativeBook({ initialOrders: Math.max(1024, prefill) }, { validate: false });
  const w = marketWorkload(b, { seed: 20240601, ops, prefill });
  b.close();
  const head = new Float64Array([w.prefillCount, w.count]);
  const fd = fs.openSync(path.join(out, `${name}.bin`), 'w');
  fs.writeSync(fd, new Uint8Array(head.buffer));
  fs.writeSync(fd, new Uint8Array(w.prefillOps.buffer, 0, w.prefillCount * OP_STRIDE * 8));
  fs.writeSync(fd, new Uint8Array(w.ops.buffer, 0, w.count * OP_STRIDE * 8));
  fs.closeSync(fd);
  process.stdout.write(`${name}: prefill ${w.prefillCount}, ops ${w.count} (limit ${w.mix.limit}, market ${w.mix.market}, cancel ${w.mix.cancel})\n`);
}
