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
 *
 * The table is far larger than the caches once a million closed orders are
 * retained, so every probe of it is a cache miss. Two things keep most of them
 * off the order path (docs/engine.md, "Client-id index"):
 * - per account, the highest and lowest code ever inserted: an id whose code lies
 *   outside that range cannot be in the table, so a client whose ids ascend (or
 *   whose packed ids, with negative codes, grow) needs no duplicate probe;
 * - changes are queued (insert, retarget, remove, each with its hash) and applied
 *   in order, a batch at a time, before anything reads the table: the batch's
 *   probes are independent, so the CPU overlaps their misses instead of waiting
 *   for each in turn.
 */
import { cidCode, codeHash } from './client-id-code.ts';
import { bigBuffer } from './big-buffer.ts';
import { D_CID, I_ACCT, I_CID_HASH, type OrderStore } from './order.ts';

// String.prototype.charCodeAt.call(s, i): inlined for strings of any shape (docs/engine.md, "Strings of many shapes")

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
  for (let i = 0; i < cid.length; i++) h = Math.imul(h ^ String.prototype.charCodeAt.call(cid, i), 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

/** Queued changes applied together (a batch's probes overlap their cache misses). */
const PENDING_MAX = 256;

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
  /**
   * Queued changes, applied in order by flush(): triples [hash, from, to] of
   * reference + 1 values: from 0 = insert `to`; to 0 = remove `from`; else
   * `from` becomes `to`.
   */
  private readonly pending = new Int32Array(3 * PENDING_MAX);
  private nPending = 0;
  /** Per account (dense index): highest and lowest code inserted (never lowered: a bound, not the set). */
  private hi = new Float64Array(0);
  private lo = new Float64Array(0);

  /** `store`: live orders; `archive`: the terminal-order archive (archRef positions). */
  constructor(
    private readonly store: OrderStore,
    private readonly archive: OrderStore,
  ) {}

  /** Entries held (every known order has one: checkInvariants compares with the store). */
  get size(): number {
    this.flush();
    return this.n;
  }

  /**
   * True when account `acctIdx` (Account.idx) cannot hold an id of code `code`:
   * it has a code (not NaN) outside the range of every code inserted for that
   * account. Such an id needs no find() and is added with insertFresh().
   */
  isFresh(acctIdx: number, code: number): boolean {
    return acctIdx < this.hi.length ? code > this.hi[acctIdx]! || code < this.lo[acctIdx]! : code === code;
  }

  /** Widens account `acctIdx`'s code range to `code` (NaN: no code, nothing to widen). */
  private widen(acctIdx: number, code: number): void {
    if (code !== code) return;
    if (acctIdx >= this.hi.length) {
      let n = Math.max(64, this.hi.length);
      while (n <= acctIdx) n *= 2;
      const hi = new Float64Array(n).fill(-Infinity);
      const lo = new Float64Array(n).fill(Infinity);
      hi.set(this.hi);
      lo.set(this.lo);
      this.hi = hi;
      this.lo = lo;
    }
    if (code > this.hi[acctIdx]!) this.hi[acctIdx] = code;
    if (code < this.lo[acctIdx]!) this.lo[acctIdx] = code;
  }

  /** Room for `n` entries without a resize (restore knows its count up front). */
  reserve(n: number): void {
    this.flush();
    let size = this.mask + 1;
    while (n * 2 > size - 1) size *= 2;
    if (size !== this.mask + 1) this.resize(size);
  }

  /** The reference of (accountId, cid), or -1; `code` is cidCode(cid) when the caller has it. */
  find(accountId: number, cid: string, code = cidCode(cid)): number {
    if (this.nPending !== 0) this.flush();
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
        if (S.account(s).id === accountId && (hasCode ? sc === code : sc !== sc && S.textCids.get(s) === cid)) {
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
    this.widen(this.store.i[(slot << 5) + I_ACCT]!, this.store.d[(slot << 4) + D_CID]!);
    if (++this.n * 2 > this.mask) this.resize(2 * (this.mask + 1));
  }

  /** Adds live slot `slot`, whose key isFresh() vouched is not in the table (queued, no probe now). */
  insertFresh(slot: number): void {
    const st = this.store;
    const code = st.d[(slot << 4) + D_CID]!;
    const h = codeHash(st.account(slot).id, code);
    st.i[(slot << 5) + I_CID_HASH] = h;
    this.widen(st.i[(slot << 5) + I_ACCT]!, code);
    this.queue(h, 0, slot + 1);
    if (++this.n * 2 > this.mask) this.resize(2 * (this.mask + 1));
  }

  insert(slot: number): void {
    this.flush();
    const st = this.store;
    const code = st.d[(slot << 4) + D_CID]!;
    const h = code === code ? codeHash(st.account(slot).id, code) : cidHash(st.account(slot).id, st.textCids.get(slot)!);
    st.i[(slot << 5) + I_CID_HASH] = h;
    this.widen(st.i[(slot << 5) + I_ACCT]!, code);
    this.put(h, slot + 1);
    this.lastBucket = -1;
    if (++this.n * 2 > this.mask) this.resize(2 * (this.mask + 1));
  }

  private queue(h: number, from: number, to: number): void {
    this.lastBucket = -1;
    let k = 3 * this.nPending;
    if (k === this.pending.length) {
      this.flush();
      k = 0;
    }
    const q = this.pending;
    q[k] = h;
    q[k + 1] = from;
    q[k + 2] = to;
    this.nPending++;
  }

  /** Applies the queued changes, in order. */
  private flush(): void {
    const n = 3 * this.nPending;
    if (n === 0) return;
    this.nPending = 0;
    const q = this.pending;
    for (let k = 0; k < n; k += 3) {
      const h = q[k]!;
      const from = q[k + 1]!;
      const to = q[k + 2]!;
      if (from === 0) this.put(h, to);
      else {
        const b = this.bucketOfValue(h, from);
        if (b < 0) continue;
        if (to !== 0) this.table[2 * b] = to;
        else {
          this.deleteAt(b);
          this.n--;
        }
      }
    }
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

  /** The bucket holding value `v` (reference + 1) of hash `h`, or -1. */
  private bucketOfValue(h: number, v: number): number {
    const t = this.table;
    const m = this.mask;
    let b = h & m;
    for (;;) {
      const x = t[2 * b]!;
      if (x === 0) return -1;
      if (x === v) return b;
      b = (b + 1) & m;
    }
  }

  /**
   * Live slot `slot` closed and moves to the archive as reference `to` (whose
   * record carries the same key and hash): the entry will point there. Call
   * before the slot is released (its hash is read now).
   */
  retarget(slot: number, to: number): void {
    this.queue(this.hashOf(slot), slot + 1, to + 1);
  }

  /** Removes reference `r` (a live slot, or an archive position's archRef); call before its row is overwritten. */
  remove(r: number): void {
    this.queue(this.hashOf(r), r + 1, 0);
  }

  /** Empties bucket `b` of the table. */
  private deleteAt(b: number): void {
    const t = this.table;
    const m = this.mask;
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
  }

  private resize(size: number): void {
    this.flush();
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
    this.nPending = 0;
    this.hi = new Float64Array(0);
    this.lo = new Float64Array(0);
  }
}
