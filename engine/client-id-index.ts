/**
 * (account, clientOrderId) -> order, for duplicate detection and lookups by
 * client id. One exchange-wide Map keyed by the client id alone: a single hash
 * table is markedly cheaper on the order path than one Map per account. Orders
 * of different accounts that share a client id are chained through
 * Order.cidNext (newest first); chains are short because a client id is
 * normally unique per account and rarely reused across many accounts at once.
 */
import type { Account } from './accounts.ts';
import type { Order } from './order.ts';

export class ClientIdIndex {
  private readonly map = new Map<string, Order>();
  /** Head of the chain of the last find(), reused by insertAfterMiss(). */
  private lastHead: Order | undefined = undefined;

  find(acct: Account, cid: string): Order | undefined {
    const head = this.map.get(cid);
    this.lastHead = head;
    let o = head;
    while (o !== undefined && o.account !== acct) o = o.cidNext;
    return o;
  }

  /** Inserts `o` right after a find() of its (account, client id) that missed. */
  insertAfterMiss(o: Order): void {
    o.cidNext = this.lastHead;
    this.map.set(o.clientOrderId, o);
  }

  insert(o: Order): void {
    o.cidNext = this.map.get(o.clientOrderId);
    this.map.set(o.clientOrderId, o);
  }

  remove(o: Order): void {
    const cid = o.clientOrderId;
    const head = this.map.get(cid);
    if (head === o) {
      if (o.cidNext === undefined) this.map.delete(cid);
      else this.map.set(cid, o.cidNext);
    } else {
      let p = head;
      while (p !== undefined && p.cidNext !== o) p = p.cidNext;
      if (p !== undefined) p.cidNext = o.cidNext;
    }
    o.cidNext = undefined;
    this.lastHead = undefined;
  }

  clear(): void {
    this.map.clear();
    this.lastHead = undefined;
  }
}
