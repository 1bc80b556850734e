/**
 * Client order ids as numeric codes (engine/client-id-code.ts): every id with a
 * code comes back exactly, distinct ids never share a code, and exactly the
 * documented ids have one. The order store, the client-id index and the
 * execution-report log all rely on these three properties.
 */
import { expect } from 'chai';
import { ASCII_STRING_MAX, asciiString } from '../engine/ascii-string.ts';
import { cidCode, cidText, codeHash, MAX_PACKED_CHARS } from '../engine/client-id-code.ts';
import { Prng } from '../bench/lib/workload.ts';
import { OrderStore } from '../engine/order.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';

/** The documented rule, written plainly: which ids have a code, and of which kind. */
function expectedKind(s: string): 'decimal' | 'chars' | 'none' {
  if (/^(0|[1-9][0-9]*)$/.test(s) && BigInt(s) <= BigInt(Number.MAX_SAFE_INTEGER)) return 'decimal';
  if (s.length >= 1 && s.length <= MAX_PACKED_CHARS && [...s].every((c) => ALPHABET.includes(c))) return 'chars';
  return 'none';
}

function randomId(r: Prng): string {
  switch (r.int(6)) {
    case 0:
      return String(r.int(1_000_000));
    case 1: {
      // a decimal of up to 16 digits (some above 2^53 - 1)
      let s = String(1 + r.int(9));
      const n = r.int(16);
      for (let i = 0; i < n; i++) s += String(r.int(10));
      return s;
    }
    case 2: {
      // up to 10 characters of the alphabet (some too long)
      let s = '';
      const n = 1 + r.int(10);
      for (let i = 0; i < n; i++) s += ALPHABET[r.int(64)];
      return s;
    }
    case 3:
      return `0${r.int(10_000_000)}`;
    case 4: {
      // visible ASCII, mostly outside the alphabet
      let s = '';
      const n = 1 + r.int(9);
      for (let i = 0; i < n; i++) s += String.fromCharCode(0x21 + r.int(94));
      return s;
    }
    default:
      return `c${r.int(100_000_000)}`;
  }
}

describe('20 engine: client order id codes', () => {
  it('asciiString builds the string of 1..16 bytes at any offset and refuses other lengths', () => {
    const b = new Uint8Array(40);
    for (let i = 0; i < b.length; i++) b[i] = 32 + ((i * 37) % 95);
    for (let p = 0; p < 8; p++) {
      for (let n = 1; n <= ASCII_STRING_MAX; n++) {
        const s = asciiString(b, p, n);
        expect(s).to.equal(Buffer.from(b.subarray(p, p + n)).toString('latin1'));
        expect(s.length).to.equal(n);
      }
    }
    expect(() => asciiString(b, 0, 0)).to.throw(RangeError);
    expect(() => asciiString(b, 0, ASCII_STRING_MAX + 1)).to.throw(RangeError);
  });

  it('round-trips, is injective, and gives a code to exactly the documented ids (200k random ids)', () => {
    const r = new Prng(2026);
    const seen = new Map<number, string>();
    const kinds = { decimal: 0, chars: 0, none: 0 };
    for (let k = 0; k < 200_000; k++) {
      const s = randomId(r);
      const want = expectedKind(s);
      kinds[want]++;
      const c = cidCode(s);
      if (want === 'none') {
        expect(Number.isNaN(c), JSON.stringify(s)).to.equal(true);
        continue;
      }
      expect(Number.isSafeInteger(c), JSON.stringify(s)).to.equal(true);
      expect(c >= 0, JSON.stringify(s)).to.equal(want === 'decimal');
      expect(cidText(c), JSON.stringify(s)).to.equal(s);
      const other = seen.get(c);
      if (other !== undefined) expect(other, `code ${c}`).to.equal(s);
      else seen.set(c, s);
    }
    for (const [kind, n] of Object.entries(kinds)) expect(n, kind).to.be.above(10_000);
  });

  it('edges: the largest safe decimal, one above, leading zeros, the longest and shortest packed ids, the empty id', () => {
    const cases: [string, boolean][] = [
      ['0', true],
      ['9007199254740991', true],
      ['9007199254740992', false],
      ['18446744073709551615', false],
      ['00', true],
      ['0009007199254740991', false],
      ['-', true],
      ['_', true],
      ['________', true],
      ['zzzzzzzz', true],
      ['zzzzzzzzz', false],
      ['a.b', false],
      ['é', false],
      ['', false],
    ];
    for (const [s, has] of cases) {
      const c = cidCode(s);
      expect(!Number.isNaN(c), JSON.stringify(s)).to.equal(has);
      if (has) expect(cidText(c)).to.equal(s);
    }
    // the numeral is bijective: '0' as a character is not '' and '00' is not '0'
    expect(cidCode('00')).to.not.equal(cidCode('0'));
    expect(cidCode('00')).to.be.below(0);
  });

  it('hashes a code and its negation apart, and depends on the account', () => {
    let same = 0;
    let acct = 0;
    for (let v = 1; v < 10_000; v++) {
      if (codeHash(7, v) === codeHash(7, -v)) same++;
      if (codeHash(7, v) === codeHash(8, v)) acct++;
    }
    expect(same).to.be.below(3);
    expect(acct).to.be.below(3);
  });

  it('the order store gives back every slot\'s id under slot reuse and string-cache conflicts (a model, 60k steps)', () => {
    const r = new Prng(7);
    const store = new OrderStore([], [], 8);
    const model = new Map<number, string>();
    for (let step = 0; step < 60_000; step++) {
      const x = r.int(10);
      if (x < 5 || model.size === 0) {
        const s = store.alloc();
        const cid = randomId(r);
        store.setCid(s, cid, cidCode(cid));
        model.set(s, cid);
      } else if (x < 7) {
        const slots = [...model.keys()];
        const s = slots[r.int(slots.length)]!;
        store.release(s);
        model.delete(s);
      } else {
        // slots 1,024 apart share a cache entry: read both kinds of neighbours
        const slots = [...model.keys()];
        const s = slots[r.int(slots.length)]!;
        expect(store.cidOf(s), `slot ${s} at step ${step}`).to.equal(model.get(s));
      }
      if (step === 30_000) for (const [s, cid] of model) expect(store.cidOf(s)).to.equal(cid);
    }
    expect(model.size).to.be.above(2_048);
    for (const [s, cid] of model) expect(store.cidOf(s)).to.equal(cid);
  });
});
