/**
 * Orders by engine id. Ids are dense and monotonic, so a paged array beats a
 * hash map: O(1) get/set/delete with no hashing and no large rehash copies as
 * the table grows. A page is dropped once every order on it is gone, so memory
 * follows the orders still known (live + retained), not every id ever issued.
 */
import type { Order } from './order.ts';

const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

interface Page {
  slots: (Order | undefined)[];
  count: number;
}

export class OrderTable {
  private pages: (Page | undefined)[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  get(id: number): Order | undefined {
    const p = this.pages[Math.floor(id / PAGE_SIZE)];
    return p === undefined ? undefined : p.slots[id & PAGE_MASK];
  }

  set(id: number, o: Order): void {
    const pi = Math.floor(id / PAGE_SIZE);
    while (this.pages.length <= pi) this.pages.push(undefined);
    let p = this.pages[pi];
    if (p === undefined) {
      p = { slots: new Array<Order | undefined>(PAGE_SIZE).fill(undefined), count: 0 };
      this.pages[pi] = p;
    }
    const k = id & PAGE_MASK;
    if (p.slots[k] === undefined) {
      p.count++;
      this.n++;
    }
    p.slots[k] = o;
  }

  delete(id: number): void {
    const pi = Math.floor(id / PAGE_SIZE);
    const p = this.pages[pi];
    if (p === undefined) return;
    const k = id & PAGE_MASK;
    if (p.slots[k] === undefined) return;
    p.slots[k] = undefined;
    p.count--;
    this.n--;
    if (p.count === 0) this.pages[pi] = undefined;
  }

  clear(): void {
    this.pages = [];
    this.n = 0;
  }

  /** Every order, ascending id. */
  *values(): IterableIterator<Order> {
    for (const p of this.pages) {
      if (p === undefined) continue;
      for (const o of p.slots) if (o !== undefined) yield o;
    }
  }
}
