/**
 * Exact conversions between the wire's `double` prices (currency units, e.g.
 * 150.25 dollars) and the engine's integer ticks.
 *
 * A double is never divided by the tick size: it is turned into its shortest
 * round-trip decimal string (what the client most likely typed), that decimal
 * is scaled to minor units with integer (BigInt) arithmetic, and the result
 * must be a whole number of minor units and a whole number of ticks. 150.25
 * with a 1-cent tick is 15025 ticks; 0.1 + 0.2 (0.30000000000000004) and
 * 150.255 are off the grid and rejected, never rounded.
 *
 * Also: validation of the int64 fields that ts-proto hands over as bigint.
 */
import { AurexError, Code } from '../engine/codes.ts';

/** Decimal places of the currency's minor unit (cents). Tick sizes are in minor units. */
export const MINOR_DIGITS = 2;
const MINOR_PER_UNIT = 10 ** MINOR_DIGITS;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const DECIMAL_RE = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** Below this, doubles are closer together than a tenth of a minor unit and value * 100 is within 0.05 of an integer m. */
const FAST_LIMIT = 2 ** 40;

/**
 * Exact minor units (cents) of a non-negative finite double, or -1 when the
 * value is not a whole number of minor units or not a safe integer of them.
 *
 * Fast path (every price a client sends in practice): m = round(value * 100),
 * accepted only if m / 100 (correctly rounded) is the same double. Below 2^40
 * the doubles are much closer together than 0.01, so the only decimal with at
 * most two fraction digits that rounds to `value` is m / 100, and the shortest
 * round-trip string of `value` (what the exact path parses) has that value too:
 * both paths give m. Anything else takes the exact path. The string + BigInt
 * path costs ~0.6 us per price, the fast path a few ns; test/40-grpc-price
 * checks that both agree on millions of values around the grid.
 */
export function doubleToMinor(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return -1;
  if (value === 0) return 0;
  if (value < FAST_LIMIT) {
    const m = Math.round(value * MINOR_PER_UNIT);
    if (m / MINOR_PER_UNIT === value) return m;
  }
  return doubleToMinorExact(value);
}

/** doubleToMinor through the shortest round-trip decimal string and BigInt (no fast path; the reference for tests). */
export function doubleToMinorExact(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return -1;
  if (value === 0) return 0;
  const m = DECIMAL_RE.exec(String(value));
  if (m === null) return -1;
  const intPart = m[1]!;
  const frac = m[2] ?? '';
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  // value = digits * 10^(exp - frac.length); minor = value * 10^MINOR_DIGITS
  let digits = (intPart + frac).replace(/^0+(?=\d)/, '');
  let scale = exp - frac.length + MINOR_DIGITS;
  if (scale < 0) {
    // Only trailing zeros may be dropped: anything else is a fraction of a minor unit.
    let drop = 0;
    while (drop < -scale && digits.length - drop > 1 && digits[digits.length - 1 - drop] === '0') drop++;
    if (drop < -scale) return -1;
    digits = digits.slice(0, digits.length - drop);
    scale = 0;
  }
  if (digits.length + scale > 17) return -1; // certainly above 2^53
  const minor = BigInt(digits) * 10n ** BigInt(scale);
  if (minor > MAX_SAFE_BIG) return -1;
  return Number(minor);
}

/**
 * Ticks of a price given as a double, for a symbol whose tick is `tickSizeMinor`
 * minor units. Throws AurexError(INVALID_PRICE) for NaN, infinities, negative
 * values and values off the tick grid. 0 stays 0 (the caller decides whether 0
 * is allowed, e.g. "no collar").
 */
export function priceToTicks(price: number, tickSizeMinor: number, code: Code = Code.INVALID_PRICE): number {
  if (typeof price !== 'number' || Number.isNaN(price)) throw new AurexError(code, 'price is NaN');
  if (!Number.isFinite(price)) throw new AurexError(code, 'price is infinite');
  if (price < 0) throw new AurexError(code, 'price is negative');
  const minor = doubleToMinor(price);
  if (minor < 0) throw new AurexError(code, `price ${price} is not a whole number of minor units`);
  if (minor % tickSizeMinor !== 0) throw new AurexError(code, `price ${price} is not on the tick grid (${tickSizeMinor} minor units)`);
  return minor / tickSizeMinor;
}

/** The double (currency units) closest to `ticks` ticks; exact for every price a client can send. */
export function ticksToPrice(ticks: number, tickSizeMinor: number): number {
  if (ticks === 0) return 0;
  return (ticks * tickSizeMinor) / MINOR_PER_UNIT;
}

/** Average price in currency units of `notionalTicks` over `qty` shares (a display value). */
export function avgPrice(notionalTicks: number, qty: number, tickSizeMinor: number): number {
  if (qty <= 0) return 0;
  return (notionalTicks * tickSizeMinor) / (qty * MINOR_PER_UNIT);
}

/**
 * Resolves a price that a request may give as a double and/or as exact ticks.
 * Both set: they must agree. Returns 0 when neither is set.
 */
export function resolvePrice(price: number, ticks: bigint, tickSizeMinor: number, code: Code = Code.INVALID_PRICE): number {
  const fromTicks = int64ToSafe(ticks, code, 'price_ticks');
  if (price === 0 || (typeof price === 'number' && Object.is(price, -0))) return fromTicks;
  const fromDouble = priceToTicks(price, tickSizeMinor, code);
  if (fromTicks !== 0 && fromTicks !== fromDouble) throw new AurexError(code, `price ${price} and price_ticks ${ticks} disagree`);
  return fromDouble;
}

/**
 * resolvePrice without the throw: NaN when the price cannot be read, so that the
 * order rules (engine/order-rules.ts) report it in their order among the other
 * faults. The failure path calls resolvePrice again for its detailed message.
 */
export function readPrice(price: number, ticks: bigint, tickSizeMinor: number): number {
  try {
    return resolvePrice(price, ticks, tickSizeMinor);
  } catch {
    return NaN;
  }
}

/** A non-negative safe integer from an int64/uint64 wire field; throws `code` otherwise. */
export function int64ToSafe(v: bigint, code: Code, field: string): number {
  if (v < 0n) throw new AurexError(code, `${field} is negative`);
  if (v > MAX_SAFE_BIG) throw new AurexError(code, `${field} is above 2^53-1`);
  return Number(v);
}

/** bigint for an int64 wire field from a safe integer. */
export function big(n: number): bigint {
  return BigInt(n);
}
