/**
 * (account, clientOrderId) -> order reference, for duplicate detection and
 * lookups by client id. One exchange-wide open-addressing table (linear probing,
 * backward-shift deletion, no tombstones) in an Int32Array, keyed by a
 * cheap hash of the account id and the id's numeric code (client-id-code.ts),
 * or of its text when it has none; equality is checked against the order's
 * own fields (account, code or text). No Map, no object per entry:
 * the string-keyed Map used before was ~20% of the order path.
 *
 * A reference is a live order's slot (>= 0) or a closed order's
 * position in the terminal archive (archRef(p) = -2 - p, <= -2); -1 is "none".
 */
import { cidCode, codeHash } from './client-id-code.ts';
import { bigBuffer } from './big-buffer.ts';
import { D_CID, I_CID_HASH, type OrderStore } from './order.ts';

/** The reference of archive position `p` (OrderTable and ClientIdIndex hold these for closed orders). */
export function archRef(p: number): number {
  return -2 - p;
}

/** The archive position of reference `r` (r <= -2). */
export function archPos(r: number): number {
  return -2 - r;
}

/** FNV-1a over the UTF-16 code units, seeded with the account id (ids without a code). */
export function cidHash(accountId: number, cid: string): number {
  let h = (0x811c9dc5 ^ Math.imul(accountId | 0, 0x9e3779b1)) | 0;
  for (let i = 0; i < cid.length; i++) h = Math.imul(h ^ cid.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

export class ClientIdIndex {
  /**
   * Buckets as pairs in one array: [2b] = reference + 1 (0 = empty: a live slot
   * is >= 1, an archive position <= -1), [2b + 1] = the hash of that order's key
   * (saves rehashing on probes, moves and growth). One array, not two, so a
   * probe of a cold bucket is one cache miss, not two.
   */
  private table = new Int32Array(2 * 1024);
  private mask = 1023;
  private n = 0;
  /** Bucket where the last find() missed, reused by insertAfterMiss(). */
  private lastHash = 0;
  private lastBucket = -1;

  /** `store`: live orders; `archive`: the terminal-order archive (archRef positions). */
  constructor(
    private readonly store: OrderStore,
    private readonly archive: OrderStore,
  ) {}

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

  /** The reference of (accountId, cid), or -1; `code` is cidCode(cid) when the caller has it. */
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
        const r = v - 1;
        const S = r >= 0 ? st : this.archive;
        const s = r >= 0 ? r : archPos(r);
        const sc = S.d[(s << 4) + D_CID]!;
        // an id with a code is compared by its code, one without by its text
        if (S.account(s).id === accountId && (hasCode ? sc === code : sc !== sc && S.cid[s] === cid)) {
          this.lastBucket = -1;
          return r;
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
    this.put(h, slot + 1);
    this.lastBucket = -1;
    if (++this.n * 2 > this.mask) this.resize(2 * (this.mask + 1));
  }

  /** Stores `v` (reference + 1) in the first free bucket of hash `h`'s run. */
  private put(h: number, v: number): void {
    const t = this.table;
    const m = this.mask;
    let b = h & m;
    while (t[2 * b] !== 0) b = (b + 1) & m;
    t[2 * b] = v;
    t[2 * b + 1] = h;
  }

  /** The hash kept at insertion in the record of reference `r` (a closed order's client id string is cold memory). */
  private hashOf(r: number): number {
    return r >= 0 ? this.store.i[(r << 5) + I_CID_HASH]! : this.archive.i[(archPos(r) << 5) + I_CID_HASH]!;
  }

  /** The bucket holding reference `r`, or -1. */
  private bucketOf(r: number): number {
    const t = this.table;
    const m = this.mask;
    let b = this.hashOf(r) & m;
    for (;;) {
      const v = t[2 * b]!;
      if (v === 0) return -1;
      if (v === r + 1) return b;
      b = (b + 1) & m;
    }
  }

  /**
   * Live slot `slot` closed and moved to the archive as reference `to` (whose
   * record carries the same key and hash): the entry now points there.
   */
  retarget(slot: number, to: number): void {
    this.lastBucket = -1;
    const b = this.bucketOf(slot);
    if (b >= 0) this.table[2 * b] = to + 1;
  }

  /** Removes reference `r` (a live slot, or an archive position's archRef). */
  remove(r: number): void {
    this.lastBucket = -1;
    const t = this.table;
    const m = this.mask;
    const b = this.bucketOf(r);
    if (b < 0) return;
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
    this.table = new Int32Array(bigBuffer(8 * size), 0, 2 * size);
    this.mask = size - 1;
    for (let i = 0; i < ot.length; i += 2) if (ot[i] !== 0) this.put(ot[i + 1]!, ot[i]!);
  }

  clear(): void {
    this.table = new Int32Array(2 * 1024);
    this.mask = 1023;
    this.n = 0;
    this.lastBucket = -1;
  }
}
