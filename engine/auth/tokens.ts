/**
 * Token minting and verification: session tokens are HS256 JWTs (jose), trading tokens are
 * opaque 256-bit random strings. Stores only ever see sha256(token).
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { AurexError, Code } from '../codes.ts';
import type { Role } from '../types.ts';

/** 32 random bytes in base64url = 43 characters. */
export const TRADING_TOKEN_LENGTH = 43;
/** Longest JWT accepted before any parsing (ours are ~250 characters). */
export const MAX_JWT_LENGTH = 2048;

const TRADING_RE = /^[A-Za-z0-9_-]{43}$/;
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function newTradingToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 'trading' | 'session' by shape, or undefined when the token is neither (malformed). */
export function tokenShape(token: string): 'trading' | 'session' | undefined {
  if (token.length === TRADING_TOKEN_LENGTH) return TRADING_RE.test(token) ? 'trading' : undefined;
  if (token.length <= MAX_JWT_LENGTH && JWT_RE.test(token)) return 'session';
  return undefined;
}

export interface SessionClaims {
  userId: string;
  accountId: number;
  role: Role;
  exp: number;
}

export class JwtCodec {
  /** Imported once: jose re-imports a raw Uint8Array secret on every call (about half the cost of a verify). */
  private readonly key: Promise<webcrypto.CryptoKey>;
  constructor(secret: Uint8Array, private readonly issuer = 'aurex') {
    if (secret.length < 32) throw new AurexError(Code.INVALID_CONFIG, 'JWT secret must be at least 32 bytes');
    this.key = webcrypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  /** Sign a session JWT; a random jti makes every token (and so its hash) unique. */
  async sign(c: SessionClaims, nowMs: number): Promise<string> {
    return new SignJWT({ acc: c.accountId, role: c.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(c.userId)
      .setIssuer(this.issuer)
      .setIssuedAt(Math.floor(nowMs / 1000))
      .setExpirationTime(Math.floor(c.exp / 1000))
      .setJti(randomBytes(12).toString('base64url'))
      .sign(await this.key);
  }

  /**
   * Verify signature (HS256 only: alg=none and every other algorithm are refused), issuer and
   * expiry at `nowMs`. Errors: TOKEN_EXPIRED, UNAUTHENTICATED (bad signature / algorithm),
   * TOKEN_MALFORMED (not a well-formed JWT or missing claims).
   */
  async verify(token: string, nowMs: number): Promise<SessionClaims> {
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: ['HS256'],
        issuer: this.issuer,
        currentDate: new Date(nowMs),
        clockTolerance: 0,
      });
      const acc = payload.acc;
      const role = payload.role;
      if (typeof payload.sub !== 'string' || typeof acc !== 'number' || !Number.isSafeInteger(acc) || typeof payload.exp !== 'number') {
        throw new AurexError(Code.TOKEN_MALFORMED, 'session token lacks required claims');
      }
      if (role !== 'trader' && role !== 'admin' && role !== 'readonly') {
        throw new AurexError(Code.TOKEN_MALFORMED, 'session token has an invalid role');
      }
      return { userId: payload.sub, accountId: acc, role, exp: payload.exp * 1000 };
    } catch (e) {
      if (e instanceof AurexError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new AurexError(Code.TOKEN_EXPIRED, 'session token expired');
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw new AurexError(Code.UNAUTHENTICATED, 'session token signature invalid');
      }
      if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) {
        throw new AurexError(Code.UNAUTHENTICATED, 'session token algorithm not allowed');
      }
      if (e instanceof joseErrors.JWTClaimValidationFailed) {
        throw new AurexError(Code.UNAUTHENTICATED, `session token claim invalid: ${e.claim}`);
      }
      throw new AurexError(Code.TOKEN_MALFORMED, 'malformed session token');
    }
  }
}
