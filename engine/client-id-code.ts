/**
 * Client order ids as exact numbers, so that the order store and the
 * execution-report log keep most of them without a string. A retained string
 * per order was the largest survivor of the young generation on the order path
 * and a million strings for every major collection to mark (docs/engine.md,
 * "Client order ids as numbers").
 *
 * The code of an id, a float64 that is always an exact integer:
 * - a canonical decimal v in [0, 2^53 - 1] (digits only, no sign, no leading
 *   zero: what String(v) writes; the TCP gateway's u64 ids below 2^53 are such
 *   ids): the code is v itself (>= 0);
 * - otherwise 1 to 8 characters of [0-9A-Za-z_-]: the code is -k, where k >= 1
 *   is the id read as a bijective base-64 numeral (digits 1..64), at most
 *   64 x (64^8 - 1) / 63 < 2^49;
 * - anything else (longer ids, other characters): no code (NaN); the caller
 *   keeps the text.
 * Each id has at most one code and each code one id, so comparing codes is
 * comparing ids.
 */

import { asciiString } from './ascii-string.ts';

// Characters are read with `String.prototype.charCodeAt.call(s, i)`, not `s.charCodeAt(i)`:
// ids come as strings of many representations (flat, cons, sliced, thin), which make
// the method load megamorphic, and a constant holding the method is not folded, so
// each read stays a generic call (docs/engine.md, "Strings of many shapes").

/** Digit value (1..64) of each character code below 128; 0 = not in the alphabet. */
const DIGIT = new Uint8Array(128);
/** The character of each digit value (index 1..64). */
const CHAR = new Uint16Array(65);
{
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
  for (let i = 0; i < 64; i++) {
    DIGIT[alphabet.charCodeAt(i)] = i + 1;
    CHAR[i + 1] = alphabet.charCodeAt(i);
  }
}

/** Longest id that packs as characters (8 x 6 bits stay far below 2^53). */
export const MAX_PACKED_CHARS = 8;

/** The code of `s` (see above), or NaN when it has none. */
export function cidCode(s: string): number {
  const n = s.length;
  if (n === 0 || n > 16) return NaN;
  let c = String.prototype.charCodeAt.call(s, 0);
  if (c >= 48 && c <= 57 && (c !== 48 || n === 1)) {
    // a decimal while it stays digits; exact while v < 2^53 (a larger true value rounds to >= 2^53)
    let v = c - 48;
    let i = 1;
    for (; i < n; i++) {
      c = String.prototype.charCodeAt.call(s, i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (i === n) {
      if (v <= Number.MAX_SAFE_INTEGER) return v;
      return NaN; // 16 digits above 2^53 - 1: too long for characters too
    }
  }
  if (n > MAX_PACKED_CHARS) return NaN;
  let k = 0;
  for (let i = 0; i < n; i++) {
    c = String.prototype.charCodeAt.call(s, i);
    const d = c < 128 ? DIGIT[c]! : 0;
    if (d === 0) return NaN;
    k = k * 64 + d;
  }
  return -k;
}

/** Character codes of an id being unpacked, filled from the end (no allocation per call). */
const scratch = new Uint8Array(MAX_PACKED_CHARS);

/** The id of code `c` (a value cidCode returned, not NaN). */
export function cidText(c: number): string {
  if (c >= 0) return String(c);
  // the numeral's last digit is the id's last character
  let i = MAX_PACKED_CHARS;
  for (let k = -c; k > 0; ) {
    const d = ((k - 1) % 64) + 1;
    k = (k - d) / 64;
    scratch[--i] = CHAR[d]!;
  }
  return asciiString(scratch, i, MAX_PACKED_CHARS - i);
}

/** A 32-bit hash of (account id, code) for ClientIdIndex; codes and negated codes hash apart. */
export function codeHash(accountId: number, c: number): number {
  const x = c < 0 ? -c : c;
  const lo = x >>> 0;
  const hi = ((x - lo) / 4294967296) | 0;
  let h = Math.imul(lo ^ Math.imul(accountId | 0, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ hi ^ (c < 0 ? 0x5bd1e995 : 0), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
