/**
 * Native-core specifics: the codes compiled into C++ equal engine/codes.ts,
 * memory per resting order stays within budget, the self-check holds under
 * growth, and handles and buffers are safe to misuse.
 */
import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import { NativeBook, nativeCodes } from '../engine/book/native-book.ts';
import { loadAddon } from '../engine/book/native-addon.ts';
import { ReferenceBook } from '../engine/book/reference-book.ts';
import { OP_STRIDE, OpKind, OrderType, Side } from '../engine/book/layout.ts';
import { fnv1a64Hex, fnv1a64HexBig } from '../engine/book/state-hash.ts';
import { Prng, writeOp } from '../bench/lib/workload.ts';
import { checkInvariants } from './support/book-check.ts';

describe('10 book: native core', () => {
  it('native/codes.h agrees with engine/codes.ts', () => {
    const native = nativeCodes();
    expect(Object.keys(native).length).to.be.greaterThan(10);
    for (const [name, value] of Object.entries(native)) {
      expect((Code as unknown as Record<string, number>)[name], name).to.equal(value);
    }
  });

  it('stateHash: the fast FNV-1a equals the BigInt definition', () => {
    const r = new Prng(9);
    for (let i = 0; i < 200; i++) {
      const vals = Array.from({ length: 1 + r.int(12) }, () => (r.chance(0.3) ? r.u32() * 2 ** 21 + r.u32() % 2 ** 21 : r.u32()));
      expect(fnv1a64Hex(vals)).to.equal(fnv1a64HexBig(vals));
    }
    expect(fnv1a64Hex([Number.MAX_SAFE_INTEGER, 0, 1])).to.equal(fnv1a64HexBig([Number.MAX_SAFE_INTEGER, 0, 1]));
  });

  it('stores 1M resting orders in at most 128 bytes each, pool and id table growing', () => {
    const b = new NativeBook({ initialOrders: 16 }, { validate: false });
    const n = 1_000_000;
    const batch = 4096;
    const ops = new Float64Array(batch * OP_STRIDE);
    for (let id = 1; id <= n; ) {
      let k = 0;
      for (; k < batch && id <= n; k++, id++) {
        const side = id & 1 ? Side.BUY : Side.SELL;
        const off = 1 + (id % 3000);
        writeOp(ops, k, OpKind.NEW, id, id % 977, side, OrderType.LIMIT, side === Side.BUY ? 100_000 - off : 100_000 + off, 1 + (id % 50), id);
      }
      b.process(ops, k);
    }
    expect(b.orderCount()).to.equal(n);
    expect(b.checkIntegrity()).to.equal(null);
    const perOrder = b.memoryUsage() / n;
    expect(perOrder).to.be.lessThanOrEqual(128);
    // every order still reachable after all the growth
    expect(b.orderInfo(1)!.remaining).to.equal(2);
    expect(b.orderInfo(n)!.price).to.equal(100_000 + 1 + (n % 3000));
    b.close();
  });

  it('frees and reuses slots: churn keeps memory flat', () => {
    const b = new NativeBook({ initialOrders: 1024 });
    const ops = new Float64Array(2 * OP_STRIDE);
    for (let i = 1; i <= 1000; i++) b.submit(i, 1, Side.BUY, OrderType.LIMIT, 50 + (i % 10), 1, i);
    const mem = b.memoryUsage();
    for (let i = 1001; i <= 200_000; i++) {
      writeOp(ops, 0, OpKind.CANCEL, i - 1000, 0, 0, 0, 0, 0, 0);
      writeOp(ops, 1, OpKind.NEW, i, 1, Side.BUY, OrderType.LIMIT, 50 + (i % 10), 1, i);
      b.process(ops, 2);
    }
    expect(b.orderCount()).to.equal(1000);
    expect(b.memoryUsage()).to.equal(mem);
    expect(b.checkIntegrity()).to.equal(null);
    checkInvariants(b);
    b.close();
  });

  it('books are independent and a closed handle throws instead of crashing', () => {
    const a = new NativeBook();
    const c = new NativeBook();
    a.submit(1, 1, Side.BUY, OrderType.LIMIT, 10, 1, 1);
    expect(c.orderCount()).to.equal(0);
    const addon = loadAddon();
    a.close();
    a.close(); // idempotent
    expect(() => addon.bestBid(999_999)).to.throw(RangeError);
    const h = addon.create(1000, 0, 16);
    expect(() => addon.setEvents(h, new Int32Array(8) as never)).to.throw(TypeError);
    expect(() => addon.processArr(h, [1, 2] as never, 1)).to.throw(TypeError);
    addon.close(h);
    expect(() => addon.orderCount(h)).to.throw(RangeError);
    c.close();
  });

  it('the core defends itself if a malformed op bypasses the edge', () => {
    const b = new NativeBook({}, { validate: false });
    const ops = new Float64Array(3 * OP_STRIDE);
    writeOp(ops, 0, OpKind.NEW, 1, 1, 7, 0, 10, 1, 1); // side 7
    writeOp(ops, 1, OpKind.NEW, 2, 1, 0, 0, NaN, 1, 1); // NaN price
    writeOp(ops, 2, 42, 3, 0, 0, 0, 0, 0, 0); // unknown kind
    const n = b.process(ops, 3);
    expect(n).to.equal(3);
    for (let i = 0; i < 3; i++) expect(b.events[i * 8 + 2]).to.equal(Code.INVALID_ARGUMENT);
    expect(b.orderCount()).to.equal(0);
    b.close();
  });

  it('matches the reference on a deep book built through restore()', () => {
    const ref = new ReferenceBook();
    const orders = [];
    for (let i = 1; i <= 5000; i++) {
      const side = i % 2 ? Side.BUY : Side.SELL;
      orders.push({ id: i, account: i % 13, side, price: side === Side.BUY ? 1000 - (i % 400) - 1 : 1000 + (i % 400) + 1, remaining: 1 + (i % 9), ts: i } as const);
    }
    ref.restore(orders);
    const nat = new NativeBook();
    nat.restore(ref.snapshot());
    expect(nat.stateHash()).to.equal(ref.stateHash());
    const n1 = nat.submit(10_001, 99, Side.BUY, OrderType.MARKET, 0, 2000, 1);
    const n2 = ref.submit(10_001, 99, Side.BUY, OrderType.MARKET, 0, 2000, 1);
    expect(n1).to.equal(n2);
    expect(Array.from(nat.events.subarray(0, n1 * 8))).to.deep.equal(Array.from(ref.events.subarray(0, n2 * 8)));
    expect(nat.stateHash()).to.equal(ref.stateHash());
    nat.close();
  });
});
