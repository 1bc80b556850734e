/**
 * Order-entry rate limit: an in-process token bucket per account (orders/second, burst of one
 * second's worth), so the check on the order path is a few array reads with no I/O and no
 * allocation. Account ids are dense, so the buckets live in typed arrays indexed by account id.
 * With several gateway processes each enforces the limit on its own connections; the design's
 * shared Redis counters are used for the (much rarer) query endpoints instead.
 */
import { Code } from '../codes.ts';
import type { Role } from '../types.ts';
import type { Clock } from './auth-types.ts';

const MAX_DENSE_ID = 1 << 22;
/** Sparse buckets kept before idle ones are dropped (an idle bucket is full, the same as none). */
const MAX_SPARSE = 4096;

/**
 * Whether `id` can name an account: a non-negative safe integer. Anything else (negative,
 * fractional, NaN, beyond 2^53-1, not a number) would index no bucket, or a fresh one per value.
 */
export function isAccountId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

export class OrderRateLimiter {
  private tokens = new Float64Array(1024);
  private stamp = new Float64Array(1024);

  constructor(
    private readonly perSecond: Record<Role, number>,
    private readonly clock: Clock,
  ) {}

  /**
   * Take one token for `accountId`: Code.OK, Code.RATE_LIMITED when the bucket is empty (nothing
   * is taken then), or Code.INVALID_ACCOUNT_ID for an id that is not a non-negative safe integer
   * (no bucket is made for it).
   */
  take(accountId: number, role: Role): Code {
    if (!isAccountId(accountId)) return Code.INVALID_ACCOUNT_ID;
    const rate = this.perSecond[role];
    if (!(rate > 0)) return Code.RATE_LIMITED;
    if (accountId >= this.tokens.length) {
      if (accountId > MAX_DENSE_ID) return this.takeSparse(accountId, rate);
      this.grow(accountId);
    }
    const now = this.clock();
    const last = this.stamp[accountId];
    let t: number;
    if (last === 0) t = rate; // first use: a full bucket
    else {
      t = this.tokens[accountId] + ((now - last) * rate) / 1000;
      if (t > rate) t = rate;
    }
    this.stamp[accountId] = now;
    if (t < 1) {
      this.tokens[accountId] = t;
      return Code.RATE_LIMITED;
    }
    this.tokens[accountId] = t - 1;
    return Code.OK;
  }

  private readonly sparse = new Map<number, { t: number; s: number }>();

  /** Ids beyond the dense range (not produced by the user store, but never trust): a Map, pruned of idle buckets. */
  private takeSparse(accountId: number, rate: number): Code {
    const now = this.clock();
    let b = this.sparse.get(accountId);
    if (!b) {
      if (this.sparse.size >= MAX_SPARSE) this.pruneSparse(now);
      // First use: a full bucket, as in the dense range.
      b = { t: rate, s: now };
      this.sparse.set(accountId, b);
    } else {
      b.t = Math.min(rate, b.t + ((now - b.s) * rate) / 1000);
      b.s = now;
    }
    if (b.t < 1) return Code.RATE_LIMITED;
    b.t -= 1;
    return Code.OK;
  }

  /** Drop buckets idle for a second or more: refilled to the burst, they equal a missing one. */
  private pruneSparse(now: number): void {
    for (const [id, b] of this.sparse) if (now - b.s >= 1000) this.sparse.delete(id);
  }

  /** Sparse buckets held (for tests and diagnostics). */
  get sparseCount(): number {
    return this.sparse.size;
  }

  private grow(accountId: number): void {
    let n = this.tokens.length;
    while (n <= accountId) n *= 2;
    const t = new Float64Array(n);
    t.set(this.tokens);
    const s = new Float64Array(n);
    s.set(this.stamp);
    this.tokens = t;
    this.stamp = s;
  }
}
