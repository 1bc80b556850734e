/**
 * Differential test: the native core and the reference book are fed the same
 * seeded random streams (bench/lib/workload.ts FuzzStream) and must produce
 * identical event streams, identical books and identical state hashes, with
 * the structural invariants checked after every batch (the core's own
 * integrity check plus hash equality each batch, query-level checks of both
 * books periodically).
 * Total ops: 1M by default; AUREX_DIFF_OPS=<n> runs more (or fewer).
 */
import { expect } from 'chai';
import { NativeBook } from '../engine/book/native-book.ts';
import { ReferenceBook } from '../engine/book/reference-book.ts';
import { EV_STRIDE, OP_STRIDE, StpMode, type StpModeValue } from '../engine/book/layout.ts';
import { FuzzStream, Prng, marketWorkload, type FuzzOptions } from '../bench/lib/workload.ts';
import { checkInvariants } from './support/book-check.ts';

const TOTAL = Number(process.env.AUREX_DIFF_OPS ?? 1_000_000);

interface Variant {
  name: string;
  stp: StpModeValue;
  fuzz: FuzzOptions;
  maxPrice?: number;
  /** Share of TOTAL. */
  share: number;
}

const variants: Variant[] = [
  { name: 'tight band, cancel-resting', stp: StpMode.CANCEL_RESTING, fuzz: { mid: 1000, spread: 20, accounts: 6, maxPrice: 5000 }, maxPrice: 5000, share: 0.3 },
  { name: 'tight band, cancel-incoming', stp: StpMode.CANCEL_INCOMING, fuzz: { mid: 1000, spread: 20, accounts: 4 }, share: 0.2 },
  { name: 'tight band, cancel-both', stp: StpMode.CANCEL_BOTH, fuzz: { mid: 1000, spread: 15, accounts: 3 }, share: 0.2 },
  { name: 'wide band across level pages', stp: StpMode.CANCEL_RESTING, fuzz: { mid: 60_000, spread: 50_000, accounts: 50 }, share: 0.15 },
  { name: 'near the top of the price range', stp: StpMode.CANCEL_RESTING, fuzz: { mid: 2 ** 31 - 30_000, spread: 25_000, accounts: 20 }, share: 0.15 },
];

/** "kind" or "kind:code" of every event seen, to prove the streams reach every path. */
const seen = new Set<string>();

function compareBatch(a: NativeBook, b: ReferenceBook, ops: Float64Array, n: number, where: string): number {
  const na = a.process(ops, n);
  const nb = b.process(ops, n);
  if (na !== nb) expect.fail(`${where}: ${na} native events vs ${nb} reference events`);
  const ea = a.events;
  const eb = b.events;
  for (let i = 0; i < na * EV_STRIDE; i++) {
    if (ea[i] !== eb[i]) {
      const row = Math.floor(i / EV_STRIDE);
      const r = (e: Float64Array) => Array.from(e.subarray(row * EV_STRIDE, row * EV_STRIDE + EV_STRIDE));
      expect.fail(`${where}: event ${row} differs: native ${JSON.stringify(r(ea))} reference ${JSON.stringify(r(eb))}`);
    }
  }
  for (let i = 0; i < na; i++) {
    const k = ea[i * EV_STRIDE]!;
    const code = k === 2 ? ea[i * EV_STRIDE + 2] : k === 4 ? ea[i * EV_STRIDE + 3] : k === 5 ? ea[i * EV_STRIDE + 4] : undefined;
    seen.add(code === undefined ? `${k}` : `${k}:${code}`);
  }
  return na;
}

describe('10 book: native vs reference differential', function () {
  this.timeout(300_000);

  for (const [vi, v] of variants.entries()) {
    it(`identical events, books and hashes: ${v.name} (${Math.round(TOTAL * v.share)} ops)`, () => {
      const cfg = { stpMode: v.stp, maxPriceTicks: v.maxPrice };
      const a = new NativeBook(cfg, { eventRows: 64 });
      const b = new ReferenceBook(cfg);
      const rng = new Prng(1000 + vi);
      const fuzz = new FuzzStream(rng, v.fuzz);
      const batchMax = 400;
      const ops = new Float64Array(batchMax * OP_STRIDE);
      let done = 0;
      let batch = 0;
      const total = Math.round(TOTAL * v.share);
      while (done < total) {
        // Varying batch sizes, including single ops.
        const n = Math.min(total - done, 1 + rng.int(batchMax));
        fuzz.fill(ops, n);
        fuzz.observe(a.events, compareBatch(a, b, ops, n, `${v.name} batch ${batch}`));
        done += n;
        batch++;
        // After every batch: the core's own structural check (O(book), in C++)
        // and equal state hashes; every 32 batches the query-level invariants
        // of both books as well.
        const bad = a.checkIntegrity();
        if (bad !== null) expect.fail(`${v.name} batch ${batch}: ${bad}`);
        if (a.stateHash() !== b.stateHash()) expect.fail(`${v.name} batch ${batch}: state hashes differ`);
        if (batch % 32 === 0) {
          checkInvariants(a);
          checkInvariants(b);
        }
      }
      expect(a.snapshot()).to.deep.equal(b.snapshot());
      expect(a.stateHash()).to.equal(b.stateHash());
      expect(a.bestBid()).to.equal(b.bestBid());
      expect(a.bestAsk()).to.equal(b.bestAsk());
      expect(a.bestBidQty()).to.equal(b.bestBidQty());
      expect(a.bestAskQty()).to.equal(b.bestAskQty());
      checkInvariants(a);
      checkInvariants(b);
      a.close();
    });
  }

  it('the random streams reached every event kind, reject code and cancel reason', () => {
    const want = ['1', '3', '6', '7', '2:200', '2:201', '2:202', '2:204', '4:300', '4:301', '4:302', '4:303', '4:304', '4:305', '4:306', '5:0', '5:1'];
    expect([...seen].sort()).to.include.members(want);
  });

  it('snapshot/restore mid-stream: both books continue identically', () => {
    const a = new NativeBook();
    const b = new ReferenceBook();
    const rng = new Prng(77);
    const fuzz = new FuzzStream(rng, { mid: 500, spread: 30 });
    const ops = new Float64Array(200 * OP_STRIDE);
    for (let i = 0; i < 50; i++) {
      fuzz.fill(ops, 200);
      fuzz.observe(a.events, compareBatch(a, b, ops, 200, `pre ${i}`));
    }
    // Swap states through snapshots: each book continues from the other's snapshot.
    const sa = a.snapshot();
    const sb = b.snapshot();
    a.restore(sb);
    b.restore(sa);
    expect(a.stateHash()).to.equal(b.stateHash());
    for (let i = 0; i < 50; i++) {
      fuzz.fill(ops, 200);
      fuzz.observe(a.events, compareBatch(a, b, ops, 200, `post ${i}`));
    }
    expect(a.stateHash()).to.equal(b.stateHash());
    checkInvariants(a);
    a.close();
  });

  it('the benchmark workload generates the same stream from either book', () => {
    const a = new NativeBook({}, { validate: false });
    const b = new ReferenceBook({}, { validate: false });
    const wa = marketWorkload(a, { seed: 5, ops: 20_000, prefill: 2_000 });
    const wb = marketWorkload(b, { seed: 5, ops: 20_000, prefill: 2_000 });
    expect(Buffer.from(wa.ops.buffer).equals(Buffer.from(wb.ops.buffer))).to.equal(true);
    expect(a.stateHash()).to.equal(b.stateHash());
    expect(wa.mix.cancel).to.be.greaterThan(3_000);
    expect(a.orderCount()).to.be.greaterThan(1_000);
    checkInvariants(a);
    a.close();
  });
});
