/**
 * TOTP (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits, +-1 step tolerance) via otplib, plus backup codes.
 * Replay protection is the caller's: verifyTotp returns the matched time step, and the manager
 * refuses a step that is not later than the last accepted one (UserStore.advanceTotpStep).
 */
import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';

export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
export const BACKUP_CODE_COUNT = 10;
/**
 * Longest second-factor input accepted as sent (a code is 6 digits, a backup code 11 characters;
 * the rest is room for surrounding spaces). Checked before the input is trimmed or matched.
 */
export const MAX_SECOND_FACTOR_LENGTH = 64;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, label: string, issuer: string): string {
  return generateURI({ issuer, label, secret, period: TOTP_PERIOD_S, digits: TOTP_DIGITS });
}

/** The code for `nowMs` (used by tests and tools). */
export function totpCode(secret: string, nowMs: number): string {
  return generateSync({ secret, epoch: Math.floor(nowMs / 1000), period: TOTP_PERIOD_S, digits: TOTP_DIGITS });
}

/** The matched time step, or -1 when the code is not valid within +-1 step of `nowMs`. */
export function verifyTotp(secret: string, code: string, nowMs: number): number {
  if (!/^\d{6}$/.test(code)) return -1;
  const r = verifySync({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    period: TOTP_PERIOD_S,
    digits: TOTP_DIGITS,
    epochTolerance: TOTP_PERIOD_S,
  });
  return r.valid ? (r as { timeStep: number }).timeStep : -1;
}

/** Backup codes: 10 random codes `xxxxx-xxxxx` (base32 alphabet, 50 bits each). */
export function newBackupCodes(n = BACKUP_CODE_COUNT): string[] {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = randomBytes(10);
    let s = '';
    for (let j = 0; j < 10; j++) {
      if (j === 5) s += '-';
      s += alphabet[b[j] & 31];
    }
    out.push(s);
  }
  return out;
}

/** Backup codes carry 50 random bits, so a fast hash is enough (no dictionary to attack). */
export function hashBackupCode(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase()).digest('hex');
}

export function looksLikeBackupCode(code: string): boolean {
  return /^[a-z2-9]{5}-[a-z2-9]{5}$/i.test(code.trim());
}
