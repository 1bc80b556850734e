/**
 * Order id -> slot in the OrderStore. Ids are dense and monotonic, so a paged
 * typed array beats a hash map: O(1) get/set/delete with no hashing, no
 * objects per entry, and no large rehash copies as the table grows. A page is
 * dropped once every order on it is gone, so memory follows the orders still
 * known (live + retained), not every id ever issued.
 */
const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

export class OrderTable {
  /** slot + 1 per id (0 = unknown). */
  private pages: (Int32Array | undefined)[] = [];
  private counts: number[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** The slot of order `id`, or -1. */
  get(id: number): number {
    const p = this.pages[id <= 0x7fffffff ? id >> PAGE_BITS : Math.floor(id / PAGE_SIZE)];
    return p === undefined ? -1 : p[id & PAGE_MASK]! - 1;
  }

  set(id: number, slot: number): void {
    const pi = Math.floor(id / PAGE_SIZE);
    while (this.pages.length <= pi) {
      this.pages.push(undefined);
      this.counts.push(0);
    }
    let p = this.pages[pi];
    if (p === undefined) {
      p = new Int32Array(PAGE_SIZE);
      this.pages[pi] = p;
    }
    const k = id & PAGE_MASK;
    if (p[k] === 0) {
      this.counts[pi]!++;
      this.n++;
    }
    p[k] = slot + 1;
  }

  delete(id: number): void {
    const pi = Math.floor(id / PAGE_SIZE);
    const p = this.pages[pi];
    if (p === undefined) return;
    const k = id & PAGE_MASK;
    if (p[k] === 0) return;
    p[k] = 0;
    this.n--;
    if (--this.counts[pi]! === 0) this.pages[pi] = undefined;
  }

  clear(): void {
    this.pages = [];
    this.counts = [];
    this.n = 0;
  }

  /** Writes every known slot, ascending order id, into `out` (at least `size` long); returns how many. */
  slotsInto(out: Int32Array): number {
    let n = 0;
    for (const p of this.pages) {
      if (p === undefined) continue;
      for (let k = 0; k < PAGE_SIZE; k++) if (p[k] !== 0) out[n++] = p[k]! - 1;
    }
    return n;
  }

  /** Every known slot, ascending order id. */
  slots(): number[] {
    const out: number[] = [];
    for (const p of this.pages) {
      if (p === undefined) continue;
      for (let k = 0; k < PAGE_SIZE; k++) if (p[k] !== 0) out.push(p[k]! - 1);
    }
    return out;
  }
}
