/**
 * Differential stress of the native id index (direct-mapped ring + spill
 * table, native/book.h) with id patterns the engine never produces: sparse
 * ids, ids that collide modulo every ring size, decreasing ids, a restore in
 * the middle. Events, state hashes and the core's integrity check must agree
 * with the reference book after every batch.
 * Usage: npx tsx native/bench/ring-stress.ts [ops]
 */
import { NativeBook } from '../../engine/book/native-book.ts';
import { ReferenceBook } from '../../engine/book/reference-book.ts';
import { EV_STRIDE, OP_STRIDE, OpKind, OrderType } from '../../engine/book/layout.ts';
import { Prng, writeOp } from '../../bench/lib/workload.ts';

const total = Number(process.argv[2] ?? 400_000);
const r = new Prng(7);
let a = new NativeBook({ initialOrders: 16 });
const b = new ReferenceBook();
const BATCH = 64;
const ops = new Float64Array(BATCH * OP_STRIDE);
const used: number[] = [];
let ts = 1;
const pickId = (i: number): number => {
  const m = r.int(4);
  if (m === 0) return 1 + i * 3; // increasing, sparse
  if (m === 1) return (1 + r.int(64)) * 65536 * (1 + r.int(4)); // collide modulo every ring size up to 2^16+
  if (m === 2) return 1 + r.int(5_000_000); // random
  return Math.max(1, 4_000_000 - i); // decreasing
};
for (let done = 0, i = 0; done < total; done += BATCH) {
  for (let k = 0; k < BATCH; k++, i++) {
    const x = r.int(100);
    if (x < 65 || used.length === 0) {
      const id = pickId(i);
      used.push(id);
      const side = r.int(2);
      writeOp(ops, k, OpKind.NEW, id, 1 + r.int(50), side, r.chance(0.1) ? OrderType.IOC : OrderType.LIMIT, 1000 + r.range(-30, 30), r.range(1, 50), ts++);
    } else if (x < 90) {
      writeOp(ops, k, OpKind.CANCEL, used[r.int(used.length)]!, 0, 0, 0, 0, 0, 0);
    } else {
      writeOp(ops, k, OpKind.REPLACE, used[r.int(used.length)]!, 0, 0, 0, 1000 + r.range(-30, 30), r.range(1, 50), 0);
    }
  }
  if (used.length > 20000) used.splice(0, 10000);
  const na = a.process(ops, BATCH);
  const nb = b.process(ops, BATCH);
  if (na !== nb) throw new Error(`batch at ${done}: ${na} vs ${nb} events`);
  for (let j = 0; j < na * EV_STRIDE; j++) if (!Object.is(a.events[j], b.events[j])) throw new Error(`batch at ${done}: event slot ${j} differs`);
  const err = a.checkIntegrity();
  if (err) throw new Error(`batch at ${done}: ${err}`);
  if (a.stateHash() !== b.stateHash()) throw new Error(`batch at ${done}: state hash differs`);
  if (done === Math.floor(total / 2 / BATCH) * BATCH) {
    // restore into a fresh book mid-way: the index is rebuilt from a snapshot
    const snap = a.snapshot();
    a.close();
    a = new NativeBook({ initialOrders: 8 });
    a.restore(snap);
    if (a.stateHash() !== b.stateHash()) throw new Error('hash differs after restore');
  }
}
process.stdout.write(`ring stress: ${total} ops, ${a.orderCount()} resting, identical events and hashes, integrity ok\n`);
a.close();
