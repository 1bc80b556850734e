/**
 * Where live tokens, revocation tombstones, rate-limit counters and login-failure lockouts are
 * kept. Two implementations with the same semantics: Redis (shared by every gateway process)
 * and in-process (the embedded default). All decisions use the `now` passed in (the manager's
 * clock); the stores' own expiry (Redis TTL, in-process purge) only collects garbage, a little
 * after the logical expiry (EXPIRED_GRACE_MS) so an expired token can still be told apart from an
 * unknown one.
 */
import type { NewToken, TokenKind, TokenRecord } from './auth-types.ts';

export const EXPIRED_GRACE_MS = 60_000;

export interface TokenRef {
  kind: TokenKind;
  hash: string;
}

export interface HitResult {
  allowed: boolean;
  /** The (sliding-window) count including this call when allowed. */
  count: number;
}

export interface SessionStore {
  readonly kind: 'redis' | 'memory';
  /**
   * Store a new session/trading pair as the user's only one, removing (and tombstoning) the
   * previous pair atomically. Returns the hashes of the tokens that were replaced.
   */
  createPair(userId: string, session: NewToken, trading: NewToken, now: number, tombstoneMs: number): Promise<string[]>;
  /** The live record, or undefined. With `touch`, also records `now` as its last activity. */
  get(kind: TokenKind, hash: string, now: number, touch: boolean): Promise<TokenRecord | undefined>;
  /** Records of many tokens in one round trip (the watch sweep). */
  getMany(refs: readonly TokenRef[]): Promise<(TokenRecord | undefined)[]>;
  /** True when the token was revoked (explicitly, by logout, or replaced by a newer login). */
  isRevoked(hash: string): Promise<boolean>;
  /**
   * Replace the user's current session token `oldHash` by `fresh` (refresh). False when `oldHash`
   * is no longer the user's current session.
   */
  replaceSession(userId: string, oldHash: string, fresh: NewToken, now: number, tombstoneMs: number): Promise<boolean>;
  /** Remove and tombstone the user's tokens; returns their hashes. */
  revokeUser(userId: string, now: number, tombstoneMs: number): Promise<string[]>;
  /**
   * Sliding-window counter: allowed when the estimate including this call stays <= limit; a
   * refused call is not counted.
   */
  hit(key: string, limit: number, windowMs: number, now: number): Promise<HitResult>;
  /** A value that reads back until `until` (lockouts). */
  setUntil(key: string, until: number, now: number): Promise<void>;
  getUntil(key: string, now: number): Promise<number | undefined>;
  del(key: string): Promise<void>;
  /**
   * Cross-process notice of revoked token hashes (Redis pub/sub); the in-process store calls back
   * synchronously for the other managers sharing it.
   */
  onRevoked(listener: (hashes: string[]) => void): () => void;
  close(): Promise<void>;
}

/** Sliding-window estimate shared by both stores (previous window weighted by its overlap). */
export function slidingEstimate(prev: number, cur: number, windowStart: number, windowMs: number, now: number): number {
  const frac = (now - windowStart) / windowMs;
  return prev * (1 - frac) + cur;
}
