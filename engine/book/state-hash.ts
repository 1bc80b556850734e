/**
 * FNV-1a 64 over a sequence of non-negative safe integers, each fed as 8 bytes
 * little-endian (the stateHash() definition in layout.ts).
 *
 * The 64-bit state is kept as four 16-bit limbs so every intermediate product
 * stays an exact small integer in a double; this is ~50x faster than BigInt
 * and fnv1a64HexBig (the literal BigInt transcription) is kept as the oracle
 * the tests compare it with.
 */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

export const FNV_EMPTY_HASH = 'cbf29ce484222325';

/** Incremental FNV-1a 64 hasher. */
export class Fnv1a64 {
  // offset basis 0xcbf29ce484222325 as limbs, least significant first
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  private byte(b: number): void {
    // h ^= b; h *= 0x100000001b3 (= 2^40 + 0x1b3) mod 2^64
    const h0 = this.h0 ^ b;
    const h1 = this.h1;
    let t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = this.h2 * 0x1b3 + (h0 << 8);
    let t3 = this.h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    t0 &= 0xffff;
    t2 += t1 >>> 16;
    t1 &= 0xffff;
    t3 += t2 >>> 16;
    t2 &= 0xffff;
    this.h0 = t0;
    this.h1 = t1;
    this.h2 = t2;
    this.h3 = t3 & 0xffff;
  }

  /** Feeds a non-negative safe integer as 8 bytes little-endian. */
  u64(v: number): void {
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    this.byte(lo & 0xff);
    this.byte((lo >>> 8) & 0xff);
    this.byte((lo >>> 16) & 0xff);
    this.byte(lo >>> 24);
    this.byte(hi & 0xff);
    this.byte((hi >>> 8) & 0xff);
    this.byte((hi >>> 16) & 0xff);
    this.byte(hi >>> 24);
  }

  hex(): string {
    const p = (x: number) => x.toString(16).padStart(4, '0');
    return p(this.h3) + p(this.h2) + p(this.h1) + p(this.h0);
  }
}

export function fnv1a64Hex(values: readonly number[]): string {
  const h = new Fnv1a64();
  for (const v of values) h.u64(v);
  return h.hex();
}

/** The literal BigInt transcription of the definition (test oracle). */
export function fnv1a64HexBig(values: readonly number[]): string {
  let h = FNV_OFFSET;
  for (const v of values) {
    let x = BigInt(v) & MASK64;
    for (let i = 0; i < 8; i++) {
      h ^= x & 0xffn;
      h = (h * FNV_PRIME) & MASK64;
      x >>= 8n;
    }
  }
  return h.toString(16).padStart(16, '0');
}
