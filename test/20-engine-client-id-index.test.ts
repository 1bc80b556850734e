/**
 * The client-id index (engine/client-id-index.ts) against a Map model: random
 * inserts, moves to the terminal archive (retarget), removals of live and
 * archived entries, and lookups over a few accounts and a small key space, so
 * that probe runs collide, wrap around the table's end, are shifted back by
 * removals, and the table resizes several times. The engine's invariant
 * streams use the index too, but with few removals next to each other.
 */
import { expect } from 'chai';
import { Account } from '../engine/accounts.ts';
import { archPos, archRef, ClientIdIndex, cidHash } from '../engine/client-id-index.ts';
import { I_ACCT, OrderStore } from '../engine/order.ts';
import { Prng } from '../bench/lib/workload.ts';
import { cidCode, codeHash } from '../engine/client-id-code.ts';

describe('20 engine: client-id index', () => {
  it('agrees with a Map under random inserts, removals and lookups (resizes, collisions, wrap-around)', () => {
    const accounts = [1, 2, 7].map((id, idx) => new Account(id, idx, 0, 0));
    const store = new OrderStore(accounts, [], 4);
    const arch = new OrderStore(accounts, [], 4);
    const index = new ClientIdIndex(store, arch);
    const model = new Map<string, number>();
    const rnd = new Prng(2026_12_02);
    const key = (a: number, cid: string): string => `${a}/${cid}`;
    let finds = 0;
    let hits = 0;
    let moved = 0;
    for (let step = 0; step < 130_000; step++) {
      const ai = rnd.int(accounts.length);
      const acct = accounts[ai]!;
      // first up to 500 entries in the first 1,024 buckets (just below the resize threshold:
      // long probe runs, some wrapping around the table's end), then a growing key space
      // that resizes the table several times
      const phase1 = step < 100_000;
      // ids with a numeric code ('k12') and without one ('k.12') share the table
      const cid = `k${rnd.int(2) === 0 ? '' : '.'}${rnd.int(phase1 ? 300 : 300 + ((step - 100_000) >> 3))}`;
      const k = key(acct.id, cid);
      const r = rnd.int(10);
      const found = index.find(acct.id, cid);
      finds++;
      expect(found, `find ${k} at step ${step}`).to.equal(model.get(k) ?? -1);
      if (found !== -1) hits++;
      if (found === -1 && r < 6 && (!phase1 || model.size < 500)) {
        const s = store.alloc();
        store.i[(s << 5) + I_ACCT] = ai;
        store.setCid(s, cid, cidCode(cid));
        // half through the find-then-insert path the engine uses, half through plain insert
        if (r < 3) index.insertAfterMiss(s);
        else index.insert(s);
        model.set(k, s);
      } else if (found !== -1 && r < 4) {
        index.remove(found);
        if (found >= 0) store.release(found);
        else arch.release(archPos(found));
        model.delete(k);
      } else if (found >= 0 && r < 7) {
        // the order closes: its record moves to the archive, the entry follows it
        const p = arch.alloc();
        arch.copyFrom(store, found, p);
        index.retarget(found, archRef(p));
        store.release(found);
        model.set(k, archRef(p));
        moved++;
      }
      expect(index.size).to.equal(model.size);
    }
    for (const [k, s] of model) {
      const [a, cid] = [Number(k.slice(0, k.indexOf('/'))), k.slice(k.indexOf('/') + 1)];
      expect(index.find(a, cid), k).to.equal(s);
    }
    // the stream exercised both outcomes and grew the table well past its first size
    expect(hits).to.be.greaterThan(finds / 10);
    expect(finds - hits).to.be.greaterThan(finds / 10);
    expect(model.size).to.be.greaterThan(1024);
    expect(moved).to.be.greaterThan(1000);
    expect([...model.values()].filter((r) => r <= -2).length, 'archived entries at the end').to.be.greaterThan(100);
  });

  it('queued changes (fresh inserts, moves, removals, slots and archive positions reused) agree with a Map; isFresh never vouches for a known id', () => {
    const accounts = [3, 4, 9, 12].map((id, idx) => new Account(id, idx, 0, 0));
    const store = new OrderStore(accounts, [], 4);
    const arch = new OrderStore(accounts, [], 4);
    const index = new ClientIdIndex(store, arch);
    const model = new Map<string, number>();
    const keys: string[] = [];
    const rnd = new Prng(2026_12_03);
    const next = accounts.map(() => 1);
    const archFree: number[] = [];
    let fresh = 0;
    let probed = 0;
    let lookups = 0;
    let queued = 0;
    let mostQueued = 0;
    // a new order's slot, added through the path the engine takes: no probe for a fresh id, else right after the missed find
    const add = (ai: number, cid: string, code: number, k: string, fresh: boolean): void => {
      const s = store.alloc();
      store.i[(s << 5) + I_ACCT] = ai;
      store.setCid(s, cid, code);
      if (fresh) index.insertFresh(s);
      else index.insertAfterMiss(s);
      model.set(k, s);
      keys.push(k);
    };
    const drop = (k: string): void => {
      model.delete(k);
      const i = keys.indexOf(k);
      keys[i] = keys[keys.length - 1]!;
      keys.pop();
    };
    for (let step = 0; step < 60_000; step++) {
      const ai = rnd.int(accounts.length);
      const acct = accounts[ai]!;
      // every other block of 2,048 steps reads nothing: changes queue up past the queue's length
      const quiet = ((step >> 11) & 1) === 1;
      const r = quiet ? rnd.int(97) : rnd.int(100);
      if (r < 45) {
        // a new order: mostly the account's next ascending id (packed or decimal), sometimes a reused small one
        const n = next[ai]!++;
        const cid = r < 20 || (quiet && r >= 35) ? `a${n}` : r < 35 ? String(n) : r < 40 ? `z.${rnd.int(50)}` : `a${rnd.int(n)}`;
        const code = cidCode(cid);
        const k = `${acct.id}/${cid}`;
        if (index.isFresh(ai, code)) {
          expect(model.has(k), `isFresh vouched for known ${k} at step ${step}`).to.equal(false);
          add(ai, cid, code, k, true);
          fresh++;
          queued++;
        } else {
          probed++;
          mostQueued = Math.max(mostQueued, queued);
          queued = 0;
          const found = index.find(acct.id, cid, code);
          expect(found, `find ${k} at step ${step}`).to.equal(model.get(k) ?? -1);
          if (found === -1) add(ai, cid, code, k, false);
        }
      } else if (r < 75 && keys.length !== 0) {
        // a live order closes: moved to the archive (a freed position is reused first), its slot reused next
        const k = keys[rnd.int(keys.length)]!;
        const ref = model.get(k)!;
        if (ref < 0) continue;
        const p = archFree.length !== 0 ? archFree.pop()! : arch.alloc();
        arch.copyFrom(store, ref, p);
        index.retarget(ref, archRef(p));
        store.release(ref);
        model.set(k, archRef(p));
        queued++;
      } else if (r < 97 && keys.length !== 0) {
        // forgotten (archived) or removed (live): the row is overwritten only after the removal was queued
        const k = keys[rnd.int(keys.length)]!;
        const ref = model.get(k)!;
        index.remove(ref);
        if (ref >= 0) store.release(ref);
        else {
          arch.d.fill(-7, archPos(ref) << 4, (archPos(ref) + 1) << 4);
          archFree.push(archPos(ref));
        }
        drop(k);
        queued++;
      } else if (keys.length !== 0) {
        lookups++;
        mostQueued = Math.max(mostQueued, queued);
        queued = 0;
        const k = keys[rnd.int(keys.length)]!;
        const slash = k.indexOf('/');
        expect(index.find(Number(k.slice(0, slash)), k.slice(slash + 1)), k).to.equal(model.get(k));
        expect(index.size).to.equal(model.size);
      }
    }
    expect(index.size).to.equal(model.size);
    for (const [k, ref] of model) {
      const slash = k.indexOf('/');
      expect(index.find(Number(k.slice(0, slash)), k.slice(slash + 1)), k).to.equal(ref);
    }
    // both paths ran, and many changes were queued between reads (batches past the queue's length too)
    expect(fresh).to.be.greaterThan(10_000);
    expect(probed).to.be.greaterThan(2_000);
    expect(lookups).to.be.greaterThan(500);
    expect(mostQueued, 'most changes queued between two reads').to.be.greaterThan(256);
    expect(model.size).to.be.greaterThan(1024);
  });

  it('a removal moves back an entry whose probe run wrapped past the table end, from its own home bucket', () => {
    const accounts = [new Account(5, 0, 0, 0)];
    const store = new OrderStore(accounts, [], 4);
    const index = new ClientIdIndex(store, new OrderStore(accounts, [], 4));
    // three ids whose home is the last bucket of the first 1,024: the 2nd and 3rd wrap to buckets 0 and 1
    // (ids with a '.' have no numeric code: they hash by their text)
    const last: string[] = [];
    for (let i = 0; last.length < 3; i++) if ((cidHash(5, `w.${i}`) & 1023) === 1023) last.push(`w.${i}`);
    const slots = last.map((cid) => {
      const s = store.alloc();
      store.i[(s << 5) + I_ACCT] = 0;
      store.setCid(s, cid, cidCode(cid));
      index.insert(s);
      return s;
    });
    index.remove(slots[0]!);
    store.release(slots[0]!);
    expect(index.find(5, last[0]!)).to.equal(-1);
    expect(index.find(5, last[1]!)).to.equal(slots[1]);
    expect(index.find(5, last[2]!)).to.equal(slots[2]);
    index.remove(slots[2]!);
    expect(index.find(5, last[1]!)).to.equal(slots[1]);
    expect(index.size).to.equal(1);
  });
  for (const [label, make, hash] of [
    // random decimals below 2^53 (for ids below 2^32 the hash is a bijection: no pair collides)
    ['with a numeric code', (i: number) => String(((i * 2654435761) % 2 ** 21) * 2 ** 32 + ((i * 40503) % 2 ** 32)), (cid: string) => codeHash(5, cidCode(cid))],
    ['without one (text)', (i: number) => `t.${i}`, (cid: string) => cidHash(5, cid)],
  ] as const) {
    it(`two ids ${label} whose 32-bit hashes collide are still told apart`, () => {
      // a birthday search: among ~10^5-10^6 ids, two share a 32-bit hash
      const byHash = new Map<number, string>();
      let pair: [string, string] | undefined;
      for (let i = 0; pair === undefined && i < 4_000_000; i++) {
        const cid = make(i);
        const h = hash(cid);
        const other = byHash.get(h);
        if (other !== undefined) pair = [other, cid];
        else byHash.set(h, cid);
      }
      expect(pair, 'a colliding pair').to.not.equal(undefined);
      const [a, b] = pair!;
      const accounts = [new Account(5, 0, 0, 0)];
      const store = new OrderStore(accounts, [], 4);
      const arch = new OrderStore(accounts, [], 4);
      const index = new ClientIdIndex(store, arch);
      const put = (cid: string): number => {
        const s = store.alloc();
        store.i[(s << 5) + I_ACCT] = 0;
        store.setCid(s, cid, cidCode(cid));
        index.insert(s);
        return s;
      };
      const sa = put(a);
      expect(index.find(5, b), `${b} while only ${a} is in`).to.equal(-1);
      const sb = put(b);
      expect(index.find(5, a)).to.equal(sa);
      expect(index.find(5, b)).to.equal(sb);
      // one of them closes and moves to the archive: still told apart
      const p = arch.alloc();
      arch.copyFrom(store, sb, p);
      index.retarget(sb, archRef(p));
      store.release(sb);
      expect(index.find(5, a)).to.equal(sa);
      expect(index.find(5, b)).to.equal(archRef(p));
      index.remove(sa);
      expect(index.find(5, a)).to.equal(-1);
      expect(index.find(5, b)).to.equal(archRef(p));
    });
  }
});
