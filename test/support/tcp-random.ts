/**
 * Deterministic pseudo-random numbers for the TCP property tests (xorshift32),
 * so a failing case can be replayed from its seed.
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(p = 0.5): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
  /** Safe u64-ish value biased toward edges. */
  u53(): number {
    switch (this.int(4)) {
      case 0:
        return this.int(1000);
      case 1:
        return Number.MAX_SAFE_INTEGER - this.int(1000);
      case 2:
        return this.u32();
      default:
        return this.u32() * 2097 + this.int(2097);
    }
  }
}
