/**
 * The TypeScript edge of the book: malformed values throw AurexError with a
 * stable 1xx code and nothing of the call reaches either book.
 */
import { expect } from 'chai';
import { AurexError, Code } from '../engine/codes.ts';
import { createBook, type BookImpl } from '../engine/book/index.ts';
import { OP_STRIDE, OpKind, OrderFlag, OrderType, Side } from '../engine/book/layout.ts';
import { resolveConfig, validateOps } from '../engine/book/validate.ts';
import { writeOp } from '../bench/lib/workload.ts';

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(AurexError);
    return (e as AurexError).code;
  }
  throw new Error('expected an AurexError');
}

const BIG = 2 ** 53; // one beyond MAX_SAFE_INTEGER

for (const impl of ['reference', 'native'] as BookImpl[]) {
  describe(`book edge validation (${impl})`, () => {
    const book = createBook({}, impl);
    after(() => book.close());

    it('rejects bad prices: non-integer, negative, zero for a limit, NaN, Infinity, beyond 2^53', () => {
      for (const p of [1.5, -1, 0, NaN, Infinity, BIG, '100' as unknown as number]) {
        expect(code(() => book.submit(1, 1, Side.BUY, OrderType.LIMIT, p, 1, 1)), `price ${p}`).to.equal(Code.INVALID_PRICE);
      }
      // 0 is "no collar" for a market order; a negative collar is not
      expect(code(() => book.submit(1, 1, Side.BUY, OrderType.MARKET, -5, 1, 1))).to.equal(Code.INVALID_PRICE);
      expect(code(() => book.replace(1, 0, 1))).to.equal(Code.INVALID_PRICE);
    });

    it('rejects bad quantities', () => {
      for (const q of [0, -3, 2.5, NaN, BIG, -Infinity]) {
        expect(code(() => book.submit(1, 1, Side.SELL, OrderType.LIMIT, 10, q, 1)), `qty ${q}`).to.equal(Code.INVALID_QUANTITY);
      }
      expect(code(() => book.replace(1, 10, 0))).to.equal(Code.INVALID_QUANTITY);
    });

    it('rejects bad ids, accounts, sides, types and timestamps', () => {
      expect(code(() => book.submit(0, 1, Side.BUY, 0, 10, 1, 1))).to.equal(Code.INVALID_ORDER_ID);
      expect(code(() => book.submit(BIG, 1, Side.BUY, 0, 10, 1, 1))).to.equal(Code.INVALID_ORDER_ID);
      expect(code(() => book.submit(1.5, 1, Side.BUY, 0, 10, 1, 1))).to.equal(Code.INVALID_ORDER_ID);
      expect(code(() => book.cancel(NaN))).to.equal(Code.INVALID_ORDER_ID);
      expect(code(() => book.cancel(-1))).to.equal(Code.INVALID_ORDER_ID);
      expect(code(() => book.submit(1, -1, Side.BUY, 0, 10, 1, 1))).to.equal(Code.INVALID_ACCOUNT_ID);
      expect(code(() => book.submit(1, BIG, Side.BUY, 0, 10, 1, 1))).to.equal(Code.INVALID_ACCOUNT_ID);
      expect(code(() => book.submit(1, 1, 2 as never, 0, 10, 1, 1))).to.equal(Code.INVALID_SIDE);
      expect(code(() => book.submit(1, 1, -1 as never, 0, 10, 1, 1))).to.equal(Code.INVALID_SIDE);
      expect(code(() => book.submit(1, 1, Side.BUY, 4, 10, 1, 1))).to.equal(Code.INVALID_ORDER_TYPE);
      expect(code(() => book.submit(1, 1, Side.BUY, 0x20, 10, 1, 1))).to.equal(Code.INVALID_ORDER_TYPE);
      expect(code(() => book.submit(1, 1, Side.BUY, OrderType.IOC | OrderFlag.POST_ONLY, 10, 1, 1))).to.equal(Code.INVALID_ORDER_TYPE);
      expect(code(() => book.submit(1, 1, Side.BUY, 0, 10, 1, -1))).to.equal(Code.VALUE_OUT_OF_RANGE);
      expect(code(() => book.submit(1, 1, Side.BUY, 0, 10, 1, BIG))).to.equal(Code.VALUE_OUT_OF_RANGE);
    });

    it('validates a whole batch before applying any of it', () => {
      const ops = new Float64Array(3 * OP_STRIDE);
      writeOp(ops, 0, OpKind.NEW, 1, 1, Side.BUY, OrderType.LIMIT, 100, 5, 1);
      writeOp(ops, 1, OpKind.NEW, 2, 1, Side.BUY, OrderType.LIMIT, 100, 5, 2);
      writeOp(ops, 2, 9, 3, 1, Side.BUY, OrderType.LIMIT, 100, 5, 3); // unknown op kind
      expect(code(() => book.process(ops, 3))).to.equal(Code.INVALID_ARGUMENT);
      expect(book.orderCount()).to.equal(0);
      ops[2 * OP_STRIDE] = OpKind.NEW;
      ops[2 * OP_STRIDE + 6] = 0.5; // bad qty in the last row
      expect(code(() => book.process(ops, 3))).to.equal(Code.INVALID_QUANTITY);
      expect(book.orderCount()).to.equal(0);
      expect(code(() => book.process(ops, 4))).to.equal(Code.INVALID_ARGUMENT); // more rows than the array holds
      expect(book.process(ops, 2)).to.be.greaterThan(0);
      expect(book.orderCount()).to.equal(2);
    });

    it('accepts valid rows that the native fast row check sends to the exact check (ignored fields, values in [2^52, 2^53))', () => {
      const ops = new Float64Array(4 * OP_STRIDE);
      writeOp(ops, 0, OpKind.NEW, 1, 7, Side.SELL, OrderType.LIMIT, 100, 5, 2 ** 52 + 2);
      writeOp(ops, 1, OpKind.NEW, 2 ** 52 + 1, 7, Side.SELL, OrderType.LIMIT, 101, 5, 1);
      // a CANCEL with garbage in every field it ignores
      ops.set([OpKind.CANCEL, 1, NaN, -1, 0.5, Infinity, -3, 1e300], 2 * OP_STRIDE);
      writeOp(ops, 3, OpKind.NEW, 3, 8, Side.BUY, OrderType.LIMIT, 101, 2, 3);
      const b = createBook({}, impl);
      try {
        expect(b.process(ops, 4)).to.equal(11); // accepted+rested+level twice, cancelled+level, accepted+trade+level
        expect(b.orderCount()).to.equal(1); // 1 cancelled; 3 took 2 of 2**52 + 1, which rests with 3
        expect(b.bestAsk()).to.equal(101);
        expect(b.bestAskQty()).to.equal(3);
      } finally {
        b.close();
      }
    });

    it('rejects malformed or crossed snapshots on restore and keeps the book', () => {
      const before = book.stateHash();
      const o = { id: 1, account: 1, side: Side.BUY, price: 10, remaining: 5, ts: 1 } as const;
      expect(code(() => book.restore([o, { ...o }]))).to.equal(Code.INVALID_ORDER_ID);
      expect(code(() => book.restore([{ ...o, remaining: 0 }]))).to.equal(Code.INVALID_QUANTITY);
      expect(code(() => book.restore([o, { ...o, id: 2, side: Side.SELL, price: 10 }]))).to.equal(Code.INVALID_ARGUMENT);
      expect(code(() => book.restore([{ ...o, price: 2 ** 31 }]))).to.equal(Code.INVALID_PRICE);
      expect(book.stateHash()).to.equal(before);
    });
  });
}

describe('book configuration', () => {
  it('fills defaults and rejects bad settings with INVALID_CONFIG', () => {
    expect(resolveConfig()).to.deep.equal({ maxPriceTicks: 2 ** 31 - 1, stpMode: 0, initialOrders: 1024 });
    expect(code(() => resolveConfig({ maxPriceTicks: 2 ** 31 }))).to.equal(Code.INVALID_CONFIG);
    expect(code(() => resolveConfig({ maxPriceTicks: 0 }))).to.equal(Code.INVALID_CONFIG);
    expect(code(() => resolveConfig({ stpMode: 3 as never }))).to.equal(Code.INVALID_CONFIG);
    expect(code(() => resolveConfig({ initialOrders: -1 }))).to.equal(Code.INVALID_CONFIG);
    expect(code(() => createBook({ maxPriceTicks: 1.5 }))).to.equal(Code.INVALID_CONFIG);
  });

  it('validateOps refuses anything but a Float64Array', () => {
    expect(code(() => validateOps([1, 2, 3] as unknown as Float64Array, 0))).to.equal(Code.INVALID_ARGUMENT);
  });
});
