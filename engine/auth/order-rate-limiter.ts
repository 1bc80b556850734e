/**
 * Order-entry rate limit: an in-process token bucket per account (orders/second, burst of one
 * second's worth), so the check on the order path is a few array reads with no I/O and no
 * allocation. Account ids are dense, so the buckets live in typed arrays indexed by account id.
 * With several gateway processes each enforces the limit on its own connections; the design's
 * shared Redis counters are used for the (much rarer) query endpoints instead.
 */
import type { Role } from '../types.ts';
import type { Clock } from './auth-types.ts';

const MAX_DENSE_ID = 1 << 22;

export class OrderRateLimiter {
  private tokens = new Float64Array(1024);
  private stamp = new Float64Array(1024);

  constructor(
    private readonly perSecond: Record<Role, number>,
    private readonly clock: Clock,
  ) {}

  /** Take one token for `accountId`; false when the bucket is empty (nothing is taken then). */
  take(accountId: number, role: Role): boolean {
    const rate = this.perSecond[role];
    if (!(rate > 0)) return false;
    if (accountId >= this.tokens.length) {
      if (accountId > MAX_DENSE_ID || !Number.isInteger(accountId) || accountId < 0) return this.takeSparse(accountId, rate);
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
      return false;
    }
    this.tokens[accountId] = t - 1;
    return true;
  }

  private readonly sparse = new Map<number, { t: number; s: number }>();

  /** Ids beyond the dense range (not produced by the user store, but never trust): a Map. */
  private takeSparse(accountId: number, rate: number): boolean {
    const now = this.clock();
    const b = this.sparse.get(accountId);
    if (!b) {
      this.sparse.set(accountId, { t: rate - 1, s: now });
      return rate >= 1;
    }
    b.t = Math.min(rate, b.t + ((now - b.s) * rate) / 1000);
    b.s = now;
    if (b.t < 1) return false;
    b.t -= 1;
    return true;
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
