/**
 * Shared vocabulary of the auth manager: user records, token records, views.
 * Times are milliseconds since the epoch as read from the manager's injected clock.
 */
import type { Principal, Role } from '../types.ts';

/** Milliseconds since the epoch. Injected everywhere so tests can move time without sleeping. */
export type Clock = () => number;

export const ROLES: readonly Role[] = ['trader', 'admin', 'readonly'];

export function isRole(x: unknown): x is Role {
  return x === 'trader' || x === 'admin' || x === 'readonly';
}

/** A user as stored (never leaves engine/auth; use UserView outside). */
export interface UserRecord {
  /** UUID v4. */
  id: string;
  /** Normalised (trimmed, NFKC, lower case). */
  email: string;
  /** `scrypt$N$r$p$salt$hash` (see password.ts). */
  passwordHash: string;
  role: Role;
  /** The engine trading account, dense from 1, never reused. */
  accountId: number;
  totpEnabled: boolean;
  /** Encrypted TOTP secret (secret-box.ts), set while enrolling and when enabled. */
  totpSecret: string | null;
  /** Last accepted TOTP time step; a code of that step or earlier is refused (replay). */
  totpLastStep: number;
  /** sha256 (hex) of the unused backup codes. */
  backupCodes: string[];
  locked: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What admin tools and gateways may see of a user. */
export interface UserView {
  userId: string;
  email: string;
  role: Role;
  accountId: number;
  totpEnabled: boolean;
  locked: boolean;
  createdAt: number;
  updatedAt: number;
}

export function userView(u: UserRecord): UserView {
  return {
    userId: u.id,
    email: u.email,
    role: u.role,
    accountId: u.accountId,
    totpEnabled: u.totpEnabled,
    locked: u.locked,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

export type TokenKind = 'session' | 'trading';

/** One live token as kept by the session store, keyed by sha256(token). */
export interface TokenRecord {
  userId: string;
  accountId: number;
  role: Role;
  created: number;
  /** Last activity (updated at most once per validation-cache period per process). */
  last: number;
  /** Expiry; the token is refused with TOKEN_EXPIRED from this instant on. */
  exp: number;
  /** Hash of the sibling token (session <-> trading). */
  peer: string;
}

export interface NewToken extends TokenRecord {
  hash: string;
}

export interface LoginResult {
  /** Signed JWT (HS256), short-lived (15 min by default). */
  sessionToken: string;
  /** Opaque 256-bit random token, base64url (43 chars), 8 h by default. */
  tradingToken: string;
  sessionExpiresAt: number;
  tradingExpiresAt: number;
  principal: Principal;
}

export interface RefreshResult {
  sessionToken: string;
  sessionExpiresAt: number;
}

export interface TotpEnrolment {
  /** Base32 secret (show once). */
  secret: string;
  /** otpauth://totp/... URI for authenticator apps (QR code). */
  otpauthUri: string;
  /** One-time backup codes (show once; only their hashes are kept). */
  backupCodes: string[];
}

export interface CreateUserInput {
  email: string;
  password: string;
  role?: Role;
  /** Initial cash of the trading account, minor units (cents). */
  cash?: number;
  /** Initial positions, shares per symbol. */
  positions?: Record<string, number>;
}

export interface LoginInput {
  email: string;
  password: string;
  /** TOTP code (6 digits) or a backup code, required when 2FA is enabled. */
  totp?: string;
  /** Client address, for per-address failure limits and the audit log. */
  address?: string;
}

/** A registration that can be cancelled (watch(), subscriptions). */
export interface Subscription {
  close(): void;
}
