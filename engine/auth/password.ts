/**
 * Password hashing (scrypt, memory-hard, per-user salt, constant-time compare) and strength rules.
 *
 * Encoded form: `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>`. The parameters travel with
 * the hash so the cost can be raised later without breaking existing users.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AurexError, Code } from '../codes.ts';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N (default 15: N = 32768, 32 MiB with r = 8). */
  log2N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { log2N: 15, r: 8, p: 1 };

const KEY_LEN = 32;
const SALT_LEN = 16;
/** Longer inputs are refused before hashing so a huge password cannot be used to burn CPU. */
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_PASSWORD_LENGTH = 12;
/** Longest e-mail address (RFC 5321 path limit), checked on the raw input before it is normalised. */
export const MAX_EMAIL_LENGTH = 254;

function scrypt(pw: string, salt: Buffer, prm: ScryptParams): Promise<Buffer> {
  const N = 2 ** prm.log2N;
  const opts: ScryptOptions = { N, r: prm.r, p: prm.p, maxmem: 128 * N * prm.r * prm.p + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(pw.normalize('NFKC'), salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(pw: string, prm: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_LEN);
  const key = await scrypt(pw, salt, prm);
  return `scrypt$${prm.log2N}$${prm.r}$${prm.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `pw` matches `encoded`. Malformed encodings verify as false (never throw). */
export async function verifyPassword(pw: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const log2N = Number(parts[1]);
  const r = Number(parts[2]);
  const p = Number(parts[3]);
  if (!Number.isInteger(log2N) || log2N < 1 || log2N > 22 || !Number.isInteger(r) || r < 1 || r > 32) return false;
  if (!Number.isInteger(p) || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length !== KEY_LEN || typeof pw !== 'string' || pw.length > MAX_PASSWORD_LENGTH) return false;
  const got = await scrypt(pw, salt, { log2N, r, p });
  return timingSafeEqual(got, expected);
}

/**
 * Strength rules: 12..256 characters with at least one upper-case letter, one lower-case letter,
 * one digit and one symbol (anything that is not a letter or digit). Throws WEAK_PASSWORD.
 */
export function checkPasswordStrength(pw: unknown): asserts pw is string {
  if (typeof pw !== 'string') throw new AurexError(Code.WEAK_PASSWORD, 'password must be a string');
  // Before the character-class scans below: an over-long input is refused without being walked.
  if (pw.length > MAX_PASSWORD_LENGTH) throw new AurexError(Code.WEAK_PASSWORD, `password needs at most ${MAX_PASSWORD_LENGTH} characters`);
  const missing: string[] = [];
  if (pw.length < MIN_PASSWORD_LENGTH) missing.push(`at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!/\p{Lu}/u.test(pw)) missing.push('an upper-case letter');
  if (!/\p{Ll}/u.test(pw)) missing.push('a lower-case letter');
  if (!/\p{Nd}/u.test(pw)) missing.push('a digit');
  if (!/[^\p{L}\p{Nd}]/u.test(pw)) missing.push('a symbol');
  if (missing.length) throw new AurexError(Code.WEAK_PASSWORD, `password needs ${missing.join(', ')}`);
}

/**
 * Normalise and validate an e-mail address (trim, NFKC, lower case). Throws INVALID_EMAIL.
 * The raw input is bounded first: NFKC and the case mapping run only on at most
 * MAX_EMAIL_LENGTH characters; the result is checked again (NFKC may lengthen it).
 */
export function normaliseEmail(email: unknown): string {
  if (typeof email !== 'string') throw new AurexError(Code.INVALID_EMAIL, 'email must be a string');
  if (email.length > MAX_EMAIL_LENGTH) throw new AurexError(Code.INVALID_EMAIL, `email is longer than ${MAX_EMAIL_LENGTH} characters`);
  const e = email.normalize('NFKC').trim().toLowerCase();
  if (e.length < 3 || e.length > MAX_EMAIL_LENGTH || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(e) || /[\u0000-\u001f\u007f]/.test(e)) {
    throw new AurexError(Code.INVALID_EMAIL, 'invalid email address');
  }
  return e;
}
