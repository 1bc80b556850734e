/**
 * Edge conversions of the gRPC gateway: double prices <-> integer ticks (exact,
 * off-grid values rejected) and Aurex codes -> gRPC statuses.
 */
import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { AurexError, Code, codeName } from '../engine/codes.ts';
import { doubleToMinor, doubleToMinorExact, int64ToSafe, priceToTicks, resolvePrice, ticksToPrice } from '../gateway-grpc/price.ts';
import { rng } from './support/durability-workload.ts';
import { codeOf, grpcStatusFor, serviceError, toServiceError } from '../gateway-grpc/errors.ts';

function codeThrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(AurexError);
    return codeName((e as AurexError).code);
  }
  throw new Error('nothing thrown');
}

describe('40 grpc: price conversion', () => {
  it('converts prices on the grid exactly', () => {
    expect(priceToTicks(150.25, 1)).to.equal(15025);
    expect(priceToTicks(150.25, 5)).to.equal(3005);
    expect(priceToTicks(150, 1)).to.equal(15000);
    expect(priceToTicks(0.01, 1)).to.equal(1);
    expect(priceToTicks(1.1, 1)).to.equal(110); // 1.1 is not exact in binary; its decimal is
    expect(priceToTicks(0, 1)).to.equal(0);
    // 15 significant digits survive a double; beyond that clients use the *_ticks fields.
    expect(priceToTicks(9007199254740.99, 1)).to.equal(900719925474099);
    expect(priceToTicks(1e10, 100)).to.equal(1e10);
  });

  it('rejects NaN, infinities, negatives and values off the grid', () => {
    for (const bad of [NaN, Infinity, -Infinity, -1, -0.01, 0.1 + 0.2, 150.255, 1e-7, 5e-324, 1e21, 1e300, 90071992547409.92 * 10]) {
      expect(codeThrown(() => priceToTicks(bad, 1)), String(bad)).to.equal('INVALID_PRICE');
    }
    expect(codeThrown(() => priceToTicks(150.26, 5))).to.equal('INVALID_PRICE');
    expect(codeThrown(() => priceToTicks(1.005, 1, Code.INVALID_STOP_PRICE))).to.equal('INVALID_STOP_PRICE');
  });

  it('round-trips every tick count through the double', () => {
    for (const tick of [1, 5, 25, 100]) {
      for (let t = 1; t <= 20000; t++) expect(priceToTicks(ticksToPrice(t, tick), tick)).to.equal(t);
      for (let t = 2 ** 40; t < 2 ** 40 + 2000; t += 7) expect(priceToTicks(ticksToPrice(t, tick), tick)).to.equal(t);
    }
  });

  it('reads minor units from the decimal representation', () => {
    expect(doubleToMinor(150.25)).to.equal(15025);
    expect(doubleToMinor(1e5)).to.equal(1e7);
    expect(doubleToMinor(2.5e-1)).to.equal(25);
    expect(doubleToMinor(0.001)).to.equal(-1);
  });

  it('the fast path agrees with the exact decimal path on the grid, next to it and off it', () => {
    const r = rng(20261202);
    const up = new Float64Array(1);
    const bits = new BigInt64Array(up.buffer);
    const next = (x: number, d: 1n | -1n): number => {
      up[0] = x;
      bits[0]! += d;
      return up[0]!;
    };
    let onGrid = 0;
    const check = (v: number): void => {
      const fast = doubleToMinor(v);
      const exact = doubleToMinorExact(v);
      if (fast !== exact) expect.fail(`doubleToMinor(${v}) = ${fast}, exact path ${exact}`);
      if (exact >= 0) onGrid++;
    };
    for (let i = 0; i < 200_000; i++) {
      // minor-unit counts from 1 cent to beyond 2^40 currency units (the fast path's limit) and 2^53 minor units
      const mag = Math.floor(r() * 56);
      const m = Math.floor((r() + r() * 2 ** -32) * 2 ** mag) + 1;
      const v = m / 100;
      check(v);
      check(next(v, 1n));
      check(next(v, -1n));
      check(m / 1000);
      check(r() * 2 ** (mag - 10));
    }
    for (const v of [2 ** 40, 2 ** 40 - 0.01, next(2 ** 40, -1n), 2 ** 40 + 0.25, 1e-2, 5e-3, 0.015, 0.1 + 0.2, 9007199254740.99, 90071992547409.91]) check(v);
    expect(onGrid, 'a good share of the values are on the grid').to.be.greaterThan(200_000);
  });

  it('resolves double and tick fields that must agree', () => {
    expect(resolvePrice(150.25, 0n, 1)).to.equal(15025);
    expect(resolvePrice(0, 15025n, 1)).to.equal(15025);
    expect(resolvePrice(150.25, 15025n, 1)).to.equal(15025);
    expect(codeThrown(() => resolvePrice(150.25, 15026n, 1))).to.equal('INVALID_PRICE');
    expect(codeThrown(() => resolvePrice(0, -1n, 1))).to.equal('INVALID_PRICE');
    expect(codeThrown(() => resolvePrice(0, 2n ** 53n, 1))).to.equal('INVALID_PRICE');
  });

  it('accepts only safe non-negative int64 values', () => {
    expect(int64ToSafe(9007199254740991n, Code.INVALID_QUANTITY, 'q')).to.equal(Number.MAX_SAFE_INTEGER);
    expect(codeThrown(() => int64ToSafe(9007199254740992n, Code.INVALID_QUANTITY, 'q'))).to.equal('INVALID_QUANTITY');
    expect(codeThrown(() => int64ToSafe(-1n, Code.INVALID_QUANTITY, 'q'))).to.equal('INVALID_QUANTITY');
  });
});

describe('40 grpc: error mapping', () => {
  it('maps codes to statuses', () => {
    const cases: [Code, status][] = [
      [Code.INVALID_PRICE, status.INVALID_ARGUMENT],
      [Code.MISSING_FIELD, status.INVALID_ARGUMENT],
      [Code.UNKNOWN_SYMBOL, status.NOT_FOUND],
      [Code.UNKNOWN_ORDER, status.NOT_FOUND],
      [Code.INSUFFICIENT_CASH, status.FAILED_PRECONDITION],
      [Code.INSUFFICIENT_SHARES, status.FAILED_PRECONDITION],
      [Code.SYMBOL_HALTED, status.FAILED_PRECONDITION],
      [Code.ORDER_NOT_OPEN, status.FAILED_PRECONDITION],
      [Code.PERMISSION_DENIED, status.PERMISSION_DENIED],
      [Code.TOKEN_REVOKED, status.UNAUTHENTICATED],
      [Code.TOKEN_EXPIRED, status.UNAUTHENTICATED],
      [Code.RATE_LIMITED, status.RESOURCE_EXHAUSTED],
      [Code.SLOW_CONSUMER, status.RESOURCE_EXHAUSTED],
      [Code.DUPLICATE_CLIENT_ORDER_ID, status.ALREADY_EXISTS],
      [Code.SHUTTING_DOWN, status.UNAVAILABLE],
      [Code.INTERNAL, status.INTERNAL],
    ];
    for (const [c, s] of cases) expect(grpcStatusFor(c), codeName(c)).to.equal(s);
  });

  it('carries the stable code in the message and trailing metadata', () => {
    const e = serviceError(Code.INSUFFICIENT_CASH, 'need 100');
    expect(e.code).to.equal(status.FAILED_PRECONDITION);
    expect(e.details).to.equal('INSUFFICIENT_CASH: need 100');
    expect(e.metadata!.get('x-aurex-code')).to.deep.equal(['418']);
    expect(e.metadata!.get('x-aurex-reason')).to.deep.equal(['INSUFFICIENT_CASH']);
    expect(codeOf(e)).to.equal(Code.INSUFFICIENT_CASH);
    const internal = toServiceError(new TypeError('boom'));
    expect(internal.code).to.equal(status.INTERNAL);
    expect(internal.details).to.not.contain('boom');
  });
});
