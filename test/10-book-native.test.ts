/**
 * Native-core specifics: the codes compiled into C++ equal engine/codes.ts,
 * memory per resting order stays within budget, the self-check holds under
 * growth, and handles and buffers are safe to misuse.
 */
import { expect } from 'chai';
import { AurexError, Code } from '../engine/codes.ts';
import { MAX_EVENT_ROWS, NativeBook, nativeCodes } from '../engine/book/native-book.ts';
import { loadAddon } from '../engine/book/native-addon.ts';
import { ReferenceBook } from '../engine/book/reference-book.ts';
import { EV_STRIDE, OP_STRIDE, OpKind, OrderType, Side, type RestingOrder } from '../engine/book/layout.ts';
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

  it('a detached events or ops buffer makes the call throw: nothing is written to the moved memory, nothing applied', () => {
    const addon = loadAddon();
    const h = addon.create(1000, 0, 16);
    const ev = new Float64Array(16 * EV_STRIDE);
    const ops = new Float64Array(OP_STRIDE);
    addon.setEvents(h, ev);
    addon.setOps(h, ops);
    writeOp(ops, 0, OpKind.NEW, 1, 1, Side.BUY, OrderType.LIMIT, 10, 5, 1);
    expect(addon.processReg(h, 1)).to.equal(3); // accepted, rested, level
    // transfer the events memory away: it now belongs to `moved`, `ev` is detached
    const moved = new Float64Array(structuredClone(ev.buffer, { transfer: [ev.buffer] }));
    expect(ev.length).to.equal(0);
    moved.fill(-7);
    writeOp(ops, 0, OpKind.NEW, 2, 1, Side.BUY, OrderType.LIMIT, 11, 5, 2);
    expect(() => addon.processReg(h, 1)).to.throw(RangeError, /detached/);
    const batch = new Float64Array(OP_STRIDE);
    writeOp(batch, 0, OpKind.NEW, 3, 1, Side.BUY, OrderType.LIMIT, 12, 5, 3);
    expect(() => addon.processArr(h, batch, 1)).to.throw(RangeError, /detached/);
    expect(() => addon.drain(h)).to.throw(RangeError, /detached/);
    expect(moved.every((x) => x === -7)).to.equal(true);
    expect(addon.orderCount(h)).to.equal(1);
    expect(addon.bestBid(h)).to.equal(10);
    // a registered ops array that is detached is not read either
    const fresh = new Float64Array(4 * EV_STRIDE);
    addon.setEvents(h, fresh);
    structuredClone(ops.buffer, { transfer: [ops.buffer] });
    expect(() => addon.processReg(h, 1)).to.throw(RangeError);
    expect(addon.orderCount(h)).to.equal(1);
    expect(() => addon.setEvents(h, new Float64Array(EV_STRIDE - 1))).to.throw(RangeError);
    // re-registering live arrays resumes normally
    expect(addon.processArr(h, batch, 1)).to.equal(3);
    expect(fresh[0]).to.equal(1); // ACCEPTED
    expect(addon.orderCount(h)).to.equal(2);
    expect(addon.check(h)).to.equal(null);
    addon.close(h);

    // through the wrapper: a transferred `events` array fails the next call, the book stays as it was
    const b = new NativeBook({ maxPriceTicks: 1000 });
    b.submit(1, 1, Side.SELL, OrderType.LIMIT, 20, 5, 1);
    const hash = b.stateHash();
    const evBuf = b.events.buffer as ArrayBuffer; // never a SharedArrayBuffer here
    structuredClone(evBuf, { transfer: [evBuf] });
    expect(() => b.submit(2, 2, Side.BUY, OrderType.LIMIT, 20, 5, 2)).to.throw(RangeError, /detached/);
    expect(b.stateHash()).to.equal(hash);
    expect(b.checkIntegrity()).to.equal(null);
    b.close();
  });

  it('restore: the core refuses out-of-range rows that bypass the TS checks (no crash) with their code', () => {
    const addon = loadAddon();
    const h = addon.create(1000, 0, 16);
    addon.setEvents(h, new Float64Array(16 * EV_STRIDE));
    const good = [1, 1, Side.BUY, 10, 5, 1];
    expect(addon.restore(h, new Float64Array(good), 1)).to.equal(null);
    const hash = addon.stateHash(h);
    const bad: [number[], number][] = [
      [[2, 1, Side.BUY, 2 ** 31 - 1, 5, 1], Code.INVALID_PRICE], // beyond this book's 1000 ticks (its pages)
      [[2, 1, Side.BUY, 1001, 5, 1], Code.INVALID_PRICE],
      [[2, 1, Side.BUY, 0, 5, 1], Code.INVALID_PRICE],
      [[2, 1, Side.SELL, -1, 5, 1], Code.INVALID_PRICE],
      [[2, 1, Side.SELL, NaN, 5, 1], Code.INVALID_PRICE],
      [[2, 1, Side.SELL, 10.5, 5, 1], Code.INVALID_PRICE],
      [[2, 1, 7, 10, 5, 1], Code.INVALID_SIDE],
      [[2, 1, -1, 10, 5, 1], Code.INVALID_SIDE],
      [[2, 1, Side.BUY, 10, 0, 1], Code.INVALID_QUANTITY],
      [[2, 1, Side.BUY, 10, -3, 1], Code.INVALID_QUANTITY],
      [[0, 1, Side.BUY, 10, 5, 1], Code.INVALID_ORDER_ID],
      [[2 ** 53, 1, Side.BUY, 10, 5, 1], Code.INVALID_ORDER_ID],
      [[2, -1, Side.BUY, 10, 5, 1], Code.INVALID_ACCOUNT_ID],
      [[2, 1, Side.BUY, 10, 5, -1], Code.VALUE_OUT_OF_RANGE],
      [[2, 1, Side.SELL, 9, 5, 1], Code.INVALID_ARGUMENT], // crosses the first row's bid at 9
    ];
    for (const [row, code] of bad) {
      // the bad row comes second: nothing is loaded, the previous book stays
      expect(addon.restore(h, new Float64Array([3, 1, Side.BUY, 9, 1, 1, ...row]), 2), String(row)).to.deep.equal({ row: 1, code });
      expect(addon.stateHash(h)).to.equal(hash);
      expect(addon.check(h)).to.equal(null);
    }
    // a duplicate id is found while loading: refused, and the book is left empty and sound
    expect(addon.restore(h, new Float64Array([...good, 4, 1, Side.SELL, 20, 1, 1, ...good]), 3)).to.deep.equal({ row: 2, code: Code.INVALID_ORDER_ID });
    expect(addon.orderCount(h)).to.equal(0);
    expect(addon.check(h)).to.equal(null);
    expect(addon.restore(h, new Float64Array(good), 1)).to.equal(null);
    expect(addon.stateHash(h)).to.equal(hash);
    addon.close(h);

    // the wrapper turns a refused row into a typed error: here a value that changes between validation and copying
    const b = new NativeBook({ maxPriceTicks: 1000 });
    b.submit(1, 1, Side.BUY, OrderType.LIMIT, 10, 5, 1);
    const before = b.stateHash();
    const tricky = {
      id: 7,
      account: 1,
      side: Side.SELL,
      // a fine price while the TS edge checks it, an out-of-range one when the row is copied for C++
      get price() {
        return new Error().stack!.includes('validateRestingOrders') ? 20 : 2 ** 31 - 1;
      },
      remaining: 1,
      ts: 1,
    } as RestingOrder;
    let err: unknown;
    try {
      b.restore([tricky]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AurexError);
    expect((err as AurexError).code).to.equal(Code.INVALID_PRICE);
    expect((err as AurexError).message).to.match(/row 0/);
    expect(b.stateHash()).to.equal(before);
    b.close();
  });

  it('eventRows must be 1..MAX_EVENT_ROWS (INVALID_CONFIG); a 1-row buffer grows and loses no event', () => {
    for (const eventRows of [0, -1, 1.5, NaN, MAX_EVENT_ROWS + 1]) {
      let err: unknown;
      try {
        new NativeBook({}, { eventRows }).close();
      } catch (e) {
        err = e;
      }
      expect(err, String(eventRows)).to.be.instanceOf(AurexError);
      expect((err as AurexError).code).to.equal(Code.INVALID_CONFIG);
    }
    const nat = new NativeBook({}, { eventRows: 1 });
    const ref = new ReferenceBook();
    for (const b of [nat, ref]) for (let i = 1; i <= 20; i++) b.submit(i, i, Side.SELL, OrderType.LIMIT, 100 + (i % 4), 1, i);
    const n1 = nat.submit(99, 0, Side.BUY, OrderType.MARKET, 0, 50, 99);
    const n2 = ref.submit(99, 0, Side.BUY, OrderType.MARKET, 0, 50, 99);
    expect(n1).to.equal(n2);
    expect(n1).to.be.greaterThan(40);
    expect(Array.from(nat.events.subarray(0, n1 * EV_STRIDE))).to.deep.equal(Array.from(ref.events.subarray(0, n2 * EV_STRIDE)));
    nat.close();
  });

  it('snapshot returns exactly the resting orders after growth and churn, and restores to the same state', () => {
    const b = new NativeBook({ initialOrders: 16 });
    const ops = new Float64Array(2 * OP_STRIDE);
    for (let i = 1; i <= 3000; i++) b.submit(i, i % 7, i % 2 ? Side.BUY : Side.SELL, OrderType.LIMIT, i % 2 ? 500 - (i % 50) : 600 + (i % 50), 1 + (i % 5), i);
    for (let i = 3001; i <= 6000; i++) {
      writeOp(ops, 0, OpKind.CANCEL, i - 3000, 0, 0, 0, 0, 0, 0);
      writeOp(ops, 1, OpKind.NEW, i, 3, Side.BUY, OrderType.LIMIT, 400 + (i % 30), 2, i);
      b.process(ops, i % 3 ? 2 : 1);
    }
    const snap = b.snapshot();
    expect(snap.length).to.equal(b.orderCount());
    const hash = b.stateHash();
    const c = new NativeBook({ initialOrders: 16 });
    c.restore(snap);
    expect(c.stateHash()).to.equal(hash);
    expect(c.snapshot()).to.deep.equal(snap);
    expect(c.checkIntegrity()).to.equal(null);
    b.close();
    c.close();
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
