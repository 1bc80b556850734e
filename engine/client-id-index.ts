/**
 * (account, clientOrderId) -> order slot, for duplicate detection and lookups
 * by client id. One exchange-wide open-addressing table (linear probing,
 * backward-shift deletion, no tombstones) in an Int32Array of slots, keyed by a
 * cheap hash of the account id and the id's numeric code (client-id-code.ts),
 * or of its text when it has none; equality is checked against the order's
 * own fields (account, code or text). No Map, no object per entry:
 * the string-keyed Map used before was ~20% of the order path.
 */
import { cidCode, codeHash } from './client-id-code.ts';
import { D_CID, I_CID_HASH, type OrderStore } from './order.ts';

/** FNV-1a over the UTF-16 code units, seeded with the account id (ids without a code). */
export function cidHash(accountId: number, cid: string): number {
  let h = (0x811c9dc5 ^ Math.imul(accountId | 0, 0x9e3779b1)) | 0;
  for (let i = 0; i < cid.length; i++) h = Math.imul(h ^ cid.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

export class ClientIdIndex {
  /**
   * Buckets as pairs in one array: [2b] = slot + 1 (0 = empty), [2b + 1] = the
   * hash of that slot's key (saves rehashing on probes, moves and growth). One
   * array, not two, so a probe of a cold bucket is one cache miss, not two.
   */
  private table = new Int32Array(2 * 1024);
  private mask = 1023;
  private n = 0;
  /** Bucket where the last find() missed, reused by insertAfterMiss(). */
  private lastHash = 0;
  private lastBucket = -1;

  constructor(private readonly store: OrderStore) {}

  /** Entries held (every known order has one: checkInvariants compares with the store). */
  get size(): number {
    return this.n;
  }

  /** Room for `n` entries without a resize (restore knows its count up front). */
  reserve(n: number): void {
    let size = this.mask + 1;
    while (n * 2 > size - 1) size *= 2;
    if (size !== this.mask + 1) this.resize(size);
  }

  /** The slot of (accountId, cid), or -1; `code` is cidCode(cid) when the caller has it. */
  find(accountId: number, cid: string, code = cidCode(cid)): number {
    const hasCode = code === code;
    const h = hasCode ? codeHash(accountId, code) : cidHash(accountId, cid);
    const t = this.table;
    const m = this.mask;
    const st = this.store;
    let b = h & m;
    for (;;) {
      const v = t[2 * b]!;
      if (v === 0) {
        this.lastHash = h;
        this.lastBucket = b;
        return -1;
      }
      if (t[2 * b + 1] === h) {
        const s = v - 1;
        const sc = st.d[(s << 4) + D_CID]!;
        // an id with a code is compared by its code, one without by its text
        if (st.account(s).id === accountId && (hasCode ? sc === code : sc !== sc && st.cid[s] === cid)) {
          this.lastBucket = -1;
          return s;
        }
      }
      b = (b + 1) & m;
    }
  }

  /** Inserts `slot` right after a find() of its (account, client id) that missed, with no change in between. */
  insertAfterMiss(slot: number): void {
    const b = this.lastBucket;
    if (b < 0) {
      this.insert(slot);
      return;
    }
    this.table[2 * b] = slot + 1;
    this.table[2 * b + 1] = this.lastHash;
    this.store.i[(slot << 5) + I_CID_HASH] = this.lastHash;
    this.lastBucket = -1;
    if (++this.n * 2 > this.mask) this.resize(2 * (this.mask + 1));
  }

  insert(slot: number): void {
    const st = this.store;
    const code = st.d[(slot << 4) + D_CID]!;
    const h = code === code ? codeHash(st.account(slot).id, code) : cidHash(st.account(slot).id, st.cid[slot]!);
    st.i[(slot << 5) + I_CID_HASH] = h;
    this.put(h, slot);
    this.lastBucket = -1;
    if (++this.n * 2 > this.mask) this.resize(2 * (this.mask + 1));
  }

  private put(h: number, slot: number): void {
    const t = this.table;
    const m = this.mask;
    let b = h & m;
    while (t[2 * b] !== 0) b = (b + 1) & m;
    t[2 * b] = slot + 1;
    t[2 * b + 1] = h;
  }

  remove(slot: number): void {
    this.lastBucket = -1;
    const t = this.table;
    const m = this.mask;
    // the hash kept at insertion: an evicted order's client id string is cold memory
    const h = this.store.i[(slot << 5) + I_CID_HASH]!;
    let b = h & m;
    for (;;) {
      const v = t[2 * b]!;
      if (v === 0) return;
      if (v === slot + 1) break;
      b = (b + 1) & m;
    }
    // backward-shift deletion: move later members of the probe run into the hole
    let hole = b;
    let j = b;
    for (;;) {
      j = (j + 1) & m;
      const v = t[2 * j]!;
      if (v === 0) break;
      const hj = t[2 * j + 1]!;
      const home = hj & m;
      // keep entry j where it is if its home lies cyclically in (hole, j]
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      t[2 * hole] = v;
      t[2 * hole + 1] = hj;
      hole = j;
    }
    t[2 * hole] = 0;
    this.n--;
  }

  private resize(size: number): void {
    const ot = this.table;
    this.table = new Int32Array(2 * size);
    this.mask = size - 1;
    for (let i = 0; i < ot.length; i += 2) if (ot[i] !== 0) this.put(ot[i + 1]!, ot[i]! - 1);
  }

  clear(): void {
    this.table = new Int32Array(2 * 1024);
    this.mask = 1023;
    this.n = 0;
    this.lastBucket = -1;
  }
}
