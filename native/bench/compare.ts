/**
 * Before/after on the same machine load: the batched path of a baseline
 * addon (built from an older tree, driven the way native-book.ts drove it:
 * validateOps in JS, then processArr) against the current NativeBook, runs
 * interleaved, on the dumped workloads (native/bench/dump-workload.ts).
 * Usage: npx tsx native/bench/compare.ts <baseline aurex_book.node> [dir] [runs]
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { NativeBook } from '../../engine/book/native-book.ts';
import { EV_STRIDE, OP_STRIDE } from '../../engine/book/layout.ts';
import { validateOps } from '../../engine/book/validate.ts';
import type { AurexBookAddon } from '../../engine/book/native-addon.ts';

const base = createRequire(import.meta.url)(path.resolve(process.argv[2]!)) as AurexBookAddon;
const dir = process.argv[3] ?? '/tmp/aurex-wl';
const runs = Number(process.argv[4] ?? 5);
const BATCH = 256;
const med = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;

interface Runner {
  process(ops: Float64Array, n: number): number;
  bytesPerOrder(): number;
  close(): void;
}
function baseline(validate: boolean): Runner {
  const h = base.create(2 ** 31 - 1, 0, 1024);
  const ev = new Float64Array(4096 * EV_STRIDE);
  base.setEvents(h, ev);
  return {
    process(ops, n) {
      if (validate) validateOps(ops, n);
      return base.processArr(h, ops, n);
    },
    bytesPerOrder: () => base.memoryUsage(h) / base.orderCount(h),
    close: () => base.close(h),
  };
}
function current(validate: boolean): Runner {
  const b = new NativeBook({ initialOrders: 1024 }, { validate });
  return { process: (ops, n) => b.process(ops, n), bytesPerOrder: () => b.memoryUsage() / b.orderCount(), close: () => b.close() };
}

for (const name of ['mixed', 'deep']) {
  const buf = fs.readFileSync(path.join(dir, `${name}.bin`));
  const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const pre = all[0]!, cnt = all[1]!;
  const prefill = all.subarray(2, 2 + pre * OP_STRIDE);
  const ops = all.subarray(2 + pre * OP_STRIDE, 2 + (pre + cnt) * OP_STRIDE);
  const batches: Float64Array[] = [];
  for (let i = 0; i < cnt; i += BATCH) batches.push(ops.subarray(i * OP_STRIDE, Math.min(cnt, i + BATCH) * OP_STRIDE));
  for (const validate of [true, false]) {
    const res: Record<string, { wall: number[]; cpu: number[]; bpo: number }> = { baseline: { wall: [], cpu: [], bpo: 0 }, current: { wall: [], cpu: [], bpo: 0 } };
    for (let r = 0; r < runs; r++) {
      for (const [label, make] of [['baseline', baseline], ['current', current]] as const) {
        const book = make(validate);
        for (let i = 0; i < pre; i += BATCH) book.process(prefill.subarray(i * OP_STRIDE, Math.min(pre, i + BATCH) * OP_STRIDE), Math.min(BATCH, pre - i));
        if (pre) res[label]!.bpo = book.bytesPerOrder();
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        for (const b of batches) book.process(b, b.length / OP_STRIDE);
        const ns = Number(process.hrtime.bigint() - t0);
        const c = process.cpuUsage(c0);
        res[label]!.wall.push(cnt / (ns / 1e9));
        res[label]!.cpu.push(cnt / ((c.user + c.system) / 1e6));
        book.close();
      }
    }
    for (const label of ['baseline', 'current']) {
      const x = res[label]!;
      process.stdout.write(
        `${name.padEnd(5)} validate=${String(validate).padEnd(5)} ${label.padEnd(8)}: ${(med(x.wall) / 1e6).toFixed(2)}M ops/s wall (best ${(Math.max(...x.wall) / 1e6).toFixed(2)}M), ${(med(x.cpu) / 1e6).toFixed(2)}M ops/cpu-s${pre ? `, ${x.bpo.toFixed(1)} B/order` : ''}\n`,
      );
    }
  }
}
