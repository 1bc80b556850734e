/**
 * Quick N-API throughput check of NativeBook.process on the dumped workloads
 * (native/bench/dump-workload.ts), same batching as bench/suites/core.ts
 * (256 ops per call, initialOrders 1024), without touching bench/results.
 * Usage: npx tsx native/bench/napi-bench.ts [dir] [runs]
 */
import fs from 'node:fs';
import path from 'node:path';
import { NativeBook } from '../../engine/book/native-book.ts';
import { OP_STRIDE } from '../../engine/book/layout.ts';

const dir = process.argv[2] ?? '/tmp/aurex-wl';
const runs = Number(process.argv[3] ?? 5);
const BATCH = 256;
const med = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;

for (const name of ['mixed', 'deep']) {
  const buf = fs.readFileSync(path.join(dir, `${name}.bin`));
  const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const pre = all[0]!, cnt = all[1]!;
  const prefill = all.subarray(2, 2 + pre * OP_STRIDE);
  const ops = all.subarray(2 + pre * OP_STRIDE, 2 + (pre + cnt) * OP_STRIDE);
  for (const validate of [true, false]) {
    const wall: number[] = [], cpu: number[] = [];
    let bpo = 0;
    for (let r = 0; r < runs; r++) {
      const book = new NativeBook({ initialOrders: 1024 }, { validate });
      for (let i = 0; i < pre; i += BATCH) book.process(prefill.subarray(i * OP_STRIDE, Math.min(pre, i + BATCH) * OP_STRIDE), Math.min(BATCH, pre - i));
      if (pre) bpo = book.memoryUsage() / book.orderCount();
      const batches: Float64Array[] = [];
      for (let i = 0; i < cnt; i += BATCH) batches.push(ops.subarray(i * OP_STRIDE, Math.min(cnt, i + BATCH) * OP_STRIDE));
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (const b of batches) book.process(b, b.length / OP_STRIDE);
      const ns = Number(process.hrtime.bigint() - t0);
      const c = process.cpuUsage(c0);
      wall.push(cnt / (ns / 1e9));
      cpu.push(cnt / ((c.user + c.system) / 1e6));
      book.close();
    }
    process.stdout.write(
      `${name} validate=${validate}: ${(med(wall) / 1e6).toFixed(2)}M ops/s wall, ${(med(cpu) / 1e6).toFixed(2)}M ops/cpu-s (max wall ${(Math.max(...wall) / 1e6).toFixed(2)}M)${pre ? `, ${bpo.toFixed(1)} B/order` : ''}\n`,
    );
  }
}
