/**
 * aurex.auth.v1.AuthService over the shared auth manager.
 *
 * Two-factor login in two steps (the design's login + verify-2fa): when a user
 * with TOTP logs in without a code, Login answers `two_factor_required` with an
 * opaque one-use challenge; VerifyTwoFactor(challenge, code) completes it. The
 * challenge keeps the verified credentials in process memory only, for at most
 * 5 minutes, and is deleted on first use.
 */
import { randomBytes } from 'node:crypto';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { AuthManager } from '../engine/auth/index.ts';
import { normaliseEmail } from '../engine/auth/password.ts';
import { MAX_SECOND_FACTOR_LENGTH } from '../engine/auth/totp.ts';
import { AurexError, Code } from '../engine/codes.ts';
import type { Role as EngineRole } from '../engine/types.ts';
import {
  Role,
  type LoginRequest,
  type LoginResponse,
  type LogoutRequest,
  type RefreshRequest,
  type VerifyTwoFactorRequest,
} from '../gen/aurex/auth/v1/auth.ts';
import { bearerOf } from './auth-context.ts';
import { unaryHandler } from './call-helpers.ts';

const B = BigInt;
const CHALLENGE_TTL_MS = 5 * 60_000;
const MAX_CHALLENGES = 10_000;
/** Challenges are 24 random bytes in base64url (32 characters); anything much longer is not one. */
const MAX_CHALLENGE_LENGTH = 64;

export function roleToWire(r: EngineRole): Role {
  return r === 'admin' ? Role.ADMIN : r === 'readonly' ? Role.READONLY : Role.TRADER;
}

export function roleFromWire(r: Role): EngineRole | undefined {
  return r === Role.ADMIN ? 'admin' : r === Role.READONLY ? 'readonly' : r === Role.TRADER || r === Role.UNSPECIFIED ? 'trader' : undefined;
}

interface Challenge {
  /** As sent to Login (Login normalises it again). */
  email: string;
  /** Normalised, to compare with the email VerifyTwoFactor may repeat. */
  normalisedEmail: string;
  password: string;
  address: string;
  exp: number;
}

function peerAddress(call: ServerUnaryCall<unknown, unknown>): string {
  const peer = call.getPeer();
  const i = peer.lastIndexOf(':');
  return i > 0 ? peer.slice(0, i) : peer;
}

export function authHandlers(auth: AuthManager) {
  const challenges = new Map<string, Challenge>();

  const sweep = (now: number) => {
    for (const [k, c] of challenges) if (c.exp <= now) challenges.delete(k);
  };

  const loginResponse = async (email: string, password: string, totp: string, address: string): Promise<LoginResponse> => {
    const r = await auth.login({ email, password, totp: totp === '' ? undefined : totp, address });
    const now = auth.clock();
    return {
      twoFactorRequired: false,
      twoFactorType: '',
      challenge: '',
      sessionToken: r.sessionToken,
      tradingToken: r.tradingToken,
      expiresIn: B(Math.max(0, Math.floor((r.sessionExpiresAt - now) / 1000))),
      tradingExpiresIn: B(Math.max(0, Math.floor((r.tradingExpiresAt - now) / 1000))),
      userId: r.principal.userId,
      accountId: B(r.principal.accountId),
      role: roleToWire(r.principal.role),
    };
  };

  const empty: LoginResponse = {
    twoFactorRequired: false,
    twoFactorType: '',
    challenge: '',
    sessionToken: '',
    tradingToken: '',
    expiresIn: 0n,
    tradingExpiresIn: 0n,
    userId: '',
    accountId: 0n,
    role: Role.UNSPECIFIED,
  };

  return {
    login: unaryHandler(undefined, undefined, async (_p, req: LoginRequest, call, done) => {
      if (req.email === '' || req.password === '') throw new AurexError(Code.MISSING_FIELD, 'email and password are required');
      const address = peerAddress(call as ServerUnaryCall<unknown, unknown>);
      try {
        done(null, await loginResponse(req.email, req.password, req.totpCode, address));
      } catch (e) {
        if (!(e instanceof AurexError) || e.code !== Code.TOTP_REQUIRED) throw e;
        // Password verified; the second factor is missing: hand out a one-use challenge.
        const now = auth.clock();
        if (challenges.size >= MAX_CHALLENGES) sweep(now);
        if (challenges.size >= MAX_CHALLENGES) throw new AurexError(Code.RATE_LIMITED, 'too many pending two-factor logins');
        const challenge = randomBytes(24).toString('base64url');
        challenges.set(challenge, { email: req.email, normalisedEmail: normaliseEmail(req.email), password: req.password, address, exp: now + CHALLENGE_TTL_MS });
        done(null, { ...empty, twoFactorRequired: true, twoFactorType: 'totp', challenge });
      }
    }),

    verifyTwoFactor: unaryHandler(undefined, undefined, async (_p, req: VerifyTwoFactorRequest, _call, done) => {
      if (req.challenge === '' || req.code === '') throw new AurexError(Code.MISSING_FIELD, 'challenge and code are required');
      // Raw inputs are bounded (then normalised) before the challenge is looked up or spent.
      if (req.challenge.length > MAX_CHALLENGE_LENGTH) throw new AurexError(Code.UNAUTHENTICATED, 'unknown or expired challenge; log in again');
      if (req.code.length > MAX_SECOND_FACTOR_LENGTH) throw new AurexError(Code.TOTP_INVALID, 'invalid TOTP code');
      const email = req.email === '' ? undefined : normaliseEmail(req.email);
      const c = challenges.get(req.challenge);
      challenges.delete(req.challenge);
      if (c === undefined || c.exp <= auth.clock()) throw new AurexError(Code.UNAUTHENTICATED, 'unknown or expired challenge; log in again');
      if (email !== undefined && email !== c.normalisedEmail) {
        throw new AurexError(Code.UNAUTHENTICATED, 'challenge does not belong to this email');
      }
      done(null, await loginResponse(c.email, c.password, req.code, c.address));
    }),

    refresh: unaryHandler(undefined, undefined, async (_p, req: RefreshRequest, call, done) => {
      const token = req.sessionToken !== '' ? req.sessionToken : bearerOf(call.metadata);
      if (token === undefined || token === '') throw new AurexError(Code.UNAUTHENTICATED, 'session token required');
      const r = await auth.refresh(token);
      const p = await auth.authenticate(r.sessionToken);
      const now = auth.clock();
      done(null, {
        ...empty,
        sessionToken: r.sessionToken,
        expiresIn: B(Math.max(0, Math.floor((r.sessionExpiresAt - now) / 1000))),
        userId: p.userId,
        accountId: B(p.accountId),
        role: roleToWire(p.role),
      });
    }),

    logout: unaryHandler(undefined, undefined, async (_p, req: LogoutRequest, call, done) => {
      const token = req.token !== '' ? req.token : bearerOf(call.metadata);
      if (token === undefined || token === '') throw new AurexError(Code.UNAUTHENTICATED, 'token required');
      await auth.logout(token);
      done(null, { success: true, message: 'logged out' });
    }),
  };
}
