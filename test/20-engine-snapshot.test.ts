/**
 * Snapshot fidelity as a property: for random multi-account, multi-symbol
 * streams (stops, replaces, cancels by id and client id, fees, evictions of
 * terminal orders through small retention limits, rate windows, halts, symbols
 * added at runtime, mass cancels, deposits), a snapshot taken at any point and
 * restored into a fresh Exchange (as objects, through JSON, and through the
 * binary codec) must continue exactly like the exchange that applied
 * everything: identical CommandResults, execution reports, trades and
 * stateHash() from then on.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { AurexError, Code } from '../engine/codes.ts';
import { Exchange, type ExchangeOptions } from '../engine/exchange.ts';
import { nativeAvailable } from '../engine/book-factory.ts';
import { decodeExchangeSnapshot, encodeExchangeSnapshot, snapshotFormat } from '../engine/journal/snapshot-codec.ts';
import type { MarketConfig } from '../engine/symbols.ts';
import type { Command, ExecReport, OrderKind, Side, SymbolConfig, TradeEvent } from '../engine/types.ts';
import { Prng } from '../bench/lib/workload.ts';
import { Workload } from './support/durability-workload.ts';

const MARKET: MarketConfig = {
  indices: [{ name: 'IDX', base: 1000 }],
  symbols: [
    { symbol: 'AAA', name: 'A', tickSize: 1, lotSize: 1, referencePrice: 1_000, bandPercent: 5, maxOrderQty: 500, maxOrderNotional: 400_000, makerFeeBps: 0, takerFeeBps: 0, indices: { IDX: 1 } },
    { symbol: 'BBB', name: 'B', tickSize: 5, lotSize: 10, referencePrice: 200, bandPercent: 10, maxOrderQty: 2_000, maxOrderNotional: 1_000_000, makerFeeBps: 3, takerFeeBps: 7, indices: { IDX: 2 } },
  ],
};

const EXTRA: SymbolConfig[] = [
  { symbol: 'CCC', name: 'C', tickSize: 1, lotSize: 1, referencePrice: 50, bandPercent: 20, maxOrderQty: 1_000, maxOrderNotional: 100_000, makerFeeBps: 10, takerFeeBps: 0, indices: { IDX: 3 } },
  { symbol: 'DDD', name: 'D', tickSize: 2, lotSize: 5, referencePrice: 300, bandPercent: 8, maxOrderQty: 1_000, maxOrderNotional: 2_000_000, makerFeeBps: 1, takerFeeBps: 12 },
];

const ACCOUNTS = 7;

/** Small limits so that evictions, rate rejects and open-order limits all happen often. */
const OPTS: ExchangeOptions = { maxOpenOrdersPerAccount: 8, maxOrdersPerSecond: 20, retainTerminalOrders: 6, retainTrades: 9 };

class Stream {
  private seq = 0;
  private ts = 1_700_000_000_000;
  private n = 0;
  private readonly syms = MARKET.symbols.map((s) => s.symbol);
  private readonly cfg = new Map<string, SymbolConfig>(MARKET.symbols.map((s) => [s.symbol, s]));
  private extra = 0;
  constructor(private readonly r: Prng) {}

  private stamp(c: Command): Command {
    // mostly same-millisecond bursts (rate windows fill), sometimes a jump past the window
    this.ts += this.r.chance(0.003) ? 1_000 + this.r.int(500) : this.r.int(2);
    return { ...c, seq: ++this.seq, ts: this.ts } as Command;
  }

  setup(): Command[] {
    const out: Command[] = [];
    for (let a = 1; a <= ACCOUNTS; a++) {
      out.push(this.stamp({ type: 'createAccount', accountId: a, cash: 30_000_000 + a * 1_000_003, positions: { AAA: 5_000, BBB: 20_000 } }));
    }
    return out;
  }

  next(): Command {
    const r = this.r;
    const x = r.int(1000);
    const accountId = 1 + r.int(ACCOUNTS + 1); // sometimes unknown
    const symbol = r.chance(0.01) ? 'ZZZ' : this.syms[r.int(this.syms.length)]!;
    const c = this.cfg.get(symbol) ?? MARKET.symbols[0]!;
    const ref = c.referencePrice;
    const lot = c.lotSize;
    const nth = this.n++;
    if (x < 600) {
      const kr = r.int(100);
      let kind: OrderKind = 'LIMIT';
      if (kr < 8) kind = 'MARKET';
      else if (kr < 15) kind = 'IOC';
      else if (kr < 20) kind = 'FOK';
      else if (kr < 27) kind = 'STOP';
      else if (kr < 35) kind = 'STOP_LIMIT';
      const side: Side = r.int(2) ? 'BUY' : 'SELL';
      const spread = Math.max(2, Math.floor(ref * 0.05));
      let price = Math.max(1, ref + r.range(-spread, spread));
      if (c.tickSize > 1 && r.chance(0.9)) price -= price % 1; // ticks are integers; tickSize is minor units per tick
      if (kind === 'MARKET') price = r.chance(0.7) ? 0 : price;
      const stopPrice = kind === 'STOP' || kind === 'STOP_LIMIT' ? Math.max(1, ref + r.range(-spread, spread)) : undefined;
      if (kind === 'STOP' && r.chance(0.5)) price = 0;
      let qty = lot * r.range(1, r.chance(0.1) ? 60 : 12);
      if (r.chance(0.01)) qty += 1;
      const cid = r.chance(0.05) ? `o${Math.max(0, nth - r.int(40))}` : `o${nth}`;
      return this.stamp({ type: 'new', accountId, clientOrderId: cid, symbol, side, kind, price, qty, stopPrice, postOnly: kind === 'LIMIT' && r.chance(0.1) });
    }
    if (x < 800) {
      const back = nth - r.int(120);
      return this.stamp(r.chance(0.5) ? { type: 'cancel', accountId, orderId: Math.max(1, Math.floor(back * 0.6)) } : { type: 'cancel', accountId, clientOrderId: `o${Math.max(0, back)}` });
    }
    if (x < 950) {
      const spread = Math.max(2, Math.floor(ref * 0.05));
      const back = nth - r.int(80);
      const price = Math.max(1, ref + r.range(-spread, spread));
      const qty = lot * r.range(1, 20);
      return this.stamp(
        r.chance(0.3)
          ? { type: 'replace', accountId, orderId: Math.max(1, Math.floor(back * 0.6)), price, qty }
          : { type: 'replace', accountId, clientOrderId: `o${Math.max(0, back)}`, price, qty },
      );
    }
    if (x < 962) return this.stamp({ type: 'massCancel', accountId, symbol: r.chance(0.5) ? symbol : undefined, reason: r.chance(0.5) ? Code.CANCEL_ON_DISCONNECT : Code.CANCEL_EXPIRED });
    if (x < 975) return this.stamp({ type: 'deposit', accountId, amount: r.range(-400_000, 1_000_000) });
    if (x < 987) return this.stamp({ type: 'adjustPosition', accountId, symbol, delta: lot * r.range(-50, 150) });
    if (x < 997) return this.stamp({ type: r.chance(0.6) ? 'resume' : 'halt', symbol });
    if (this.extra < EXTRA.length) {
      const cfg = EXTRA[this.extra++]!;
      this.syms.push(cfg.symbol);
      this.cfg.set(cfg.symbol, cfg);
      return this.stamp({ type: 'addSymbol', config: cfg });
    }
    return this.stamp({ type: 'createAccount', accountId: 100 + r.int(5), cash: r.range(0, 5_000_000) });
  }
}

/** An Exchange whose results, reports and trades are recorded as canonical strings. */
class Recorder {
  readonly out: string[] = [];
  constructor(readonly ex: Exchange) {
    ex.setListener({
      onExec: (e) => void this.out.push('E' + JSON.stringify(e)),
      onTrade: (t) => void this.out.push('T' + JSON.stringify(t)),
      onSymbolChanged: (s) => void this.out.push('S' + s.symbol + ':' + s.mdSeq),
    });
  }
  apply(c: Command): void {
    this.out.push('R' + JSON.stringify(this.ex.apply({ ...c } as Command)));
  }
  take(): string[] {
    return this.out.splice(0);
  }
}

function fresh(book: 'native' | 'reference', opts: ExchangeOptions): Exchange {
  // the restored exchange starts from a different configuration: everything must come from the snapshot
  return new Exchange({ ...opts, market: { indices: [], symbols: [] }, book });
}

const BOOKS: ('native' | 'reference')[] = nativeAvailable() ? ['native', 'reference'] : ['reference'];

function runSeed(seed: number, ops: number, cuts: number, opts: ExchangeOptions = OPTS): { restores: number; evictionsSeen: boolean } {
  const r = new Prng(seed);
  const st = new Stream(r);
  const main = new Recorder(new Exchange({ ...opts, market: MARKET, book: BOOKS[seed % BOOKS.length]! }));
  for (const c of st.setup()) main.apply(c);
  main.take();
  const cutAt = new Set<number>();
  while (cutAt.size < cuts) cutAt.add(r.int(ops));
  let followers: { name: string; rec: Recorder }[] = [];
  let restores = 0;
  for (let i = 0; i < ops; i++) {
    if (cutAt.has(i)) {
      // every other cut snapshots a restored follower (chained restores, like successive recoveries)
      const src = followers.length !== 0 && restores % 2 === 1 ? followers[2]!.rec.ex : main.ex;
      const snap = src.snapshot();
      for (const f of followers) f.rec.ex.close();
      const bin = encodeExchangeSnapshot(snap);
      expect(snapshotFormat(bin), 'binary codec path').to.equal('binary');
      const viaObj = fresh(BOOKS[(i + 1) % BOOKS.length]!, opts);
      viaObj.restore(snap);
      const viaJson = fresh(BOOKS[i % BOOKS.length]!, opts);
      // book rows (Float64Array) travel through JSON as plain arrays
      viaJson.restore(JSON.parse(JSON.stringify(snap, (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v))));
      const viaBin = fresh(BOOKS[(i + 1) % BOOKS.length]!, opts);
      viaBin.restore(decodeExchangeSnapshot(bin));
      // snapshot of a restored exchange is the same snapshot (restore is lossless and idempotent)
      expect(JSON.stringify(viaBin.snapshot()), `seed ${seed} op ${i}: re-snapshot`).to.equal(JSON.stringify(snap));
      followers = [
        { name: 'object', rec: new Recorder(viaObj) },
        { name: 'json', rec: new Recorder(viaJson) },
        { name: 'binary', rec: new Recorder(viaBin) },
      ];
      const h = main.ex.stateHash();
      for (const f of followers) expect(f.rec.ex.stateHash(), `seed ${seed} op ${i}: hash right after restore (${f.name})`).to.equal(h);
      restores++;
    }
    const c = st.next();
    main.apply(c);
    const want = main.take();
    for (const f of followers) {
      f.rec.apply(c);
      const got = f.rec.take();
      if (got.join('\n') !== want.join('\n')) {
        const k = got.findIndex((g, j) => g !== want[j]);
        throw new Error(`seed ${seed} op ${i} (${c.type}) via ${f.name}: output differs\n  want ${want[k] ?? '(nothing)'}\n  got  ${got[k] ?? '(nothing)'}`);
      }
    }
    if (followers.length !== 0 && (i % 500 === 0 || i === ops - 1)) {
      const h = main.ex.stateHash();
      for (const f of followers) expect(f.rec.ex.stateHash(), `seed ${seed} op ${i}: hash (${f.name})`).to.equal(h);
    }
  }
  const bad = main.ex.checkInvariants();
  expect(bad, `seed ${seed}`).to.deep.equal([]);
  for (const f of followers) {
    expect(f.rec.ex.checkInvariants(), `seed ${seed} ${f.name}`).to.deep.equal([]);
    f.rec.ex.close();
  }
  main.ex.close();
  return { restores, evictionsSeen: true };
}

describe('20 engine: snapshot + restore continues identically (property)', function () {
  this.timeout(600_000);

  it('the stream exercises evictions, rate rejects, stops, halts and added symbols', () => {
    const r = new Prng(7);
    const st = new Stream(r);
    const ex = new Exchange({ ...OPTS, market: MARKET, book: 'reference' });
    for (const c of st.setup()) ex.apply(c);
    const codes = new Map<number, number>();
    let triggered = 0;
    let trades = 0;
    let added = 0;
    ex.setListener({ onExec: (e) => void (e.kind === 'TRIGGERED' && triggered++), onTrade: () => void trades++, onSymbolChanged() {} });
    let maxTerminalId = 0;
    for (let i = 0; i < 6_000; i++) {
      const c = st.next();
      const res = ex.apply(c);
      codes.set(res.code, (codes.get(res.code) ?? 0) + 1);
      if (c.type === 'addSymbol' && res.code === Code.OK) added++;
      if (res.order && res.order.orderId > maxTerminalId) maxTerminalId = res.order.orderId;
    }
    // far fewer orders are known than were issued: terminal ones were evicted
    const snap = ex.snapshot();
    expect(snap.orders.count).to.be.below(maxTerminalId / 3);
    expect(trades).to.be.above(200);
    expect(triggered).to.be.above(20);
    expect(added).to.equal(EXTRA.length);
    for (const code of [Code.OK, Code.ORDER_RATE_EXCEEDED, Code.DUPLICATE_CLIENT_ORDER_ID, Code.SYMBOL_HALTED, Code.UNKNOWN_ORDER, Code.ORDER_NOT_OPEN, Code.TOO_MANY_OPEN_ORDERS]) {
      expect(codes.get(code) ?? 0, `code ${code}`).to.be.above(0);
    }
    ex.close();
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`seed ${seed}: restored copies (object, JSON, binary codec) match results, reports and stateHash`, () => {
      const { restores } = runSeed(seed, 2_500, 4);
      expect(restores).to.equal(4);
    });
  }

  // An exchange-wide trade window smaller than what the accounts would keep: which trades an
  // account still holds then depends on trade ids, and a restored log (only the retained
  // trades) must keep and drop exactly what the original does.
  for (const seed of [13, 14, 15, 16]) {
    it(`seed ${seed}, a 23-trade exchange-wide window: restored copies match results, reports and stateHash`, () => {
      const { restores } = runSeed(seed, 2_500, 4, { ...OPTS, tradeLogRows: 23 });
      expect(restores).to.equal(4);
    });
  }
});

describe('20 engine: replay() is apply() without the result view', () => {
  for (const book of BOOKS) {
    it(`${book}: same codes, reports, trades and stateHash as apply() on the same stream`, () => {
      const r = new Prng(31);
      const st = new Stream(r);
      const live = new Recorder(new Exchange({ ...OPTS, market: MARKET, book }));
      const quiet = new Exchange({ ...OPTS, market: MARKET, book });
      const heard: string[] = [];
      quiet.setListener({
        onExec: (e) => void heard.push('E' + JSON.stringify(e)),
        onTrade: (t) => void heard.push('T' + JSON.stringify(t)),
        onSymbolChanged: (s) => void heard.push('S' + s.symbol + ':' + s.mdSeq),
      });
      let withView = 0;
      const setup = st.setup();
      for (let i = 0; i < setup.length + 4_000; i++) {
        const c = i < setup.length ? setup[i]! : st.next();
        live.apply(c);
        const out = live.take();
        const res = JSON.parse(out[out.length - 1]!.slice(1)) as { code: number; order?: unknown };
        if (res.order !== undefined) withView++;
        const code = quiet.replay({ ...c } as Command);
        expect(code, `op ${i} (${c.type})`).to.equal(res.code);
        expect(heard.splice(0).join('\n'), `op ${i} (${c.type}) events`).to.equal(out.slice(0, -1).join('\n'));
        if (i % 500 === 0) expect(quiet.stateHash(), `op ${i}`).to.equal(live.ex.stateHash());
      }
      expect(withView).to.be.above(1_000);
      expect(quiet.stateHash()).to.equal(live.ex.stateHash());
      expect(quiet.checkInvariants()).to.deep.equal([]);
      // after a replay, apply() builds result views again
      const again = quiet.apply({ type: 'deposit', seq: quiet.lastSeq() + 1, ts: quiet.lastTimestamp(), accountId: 1, amount: 1 } as Command);
      expect(again.code).to.equal(Code.OK);
      live.ex.close();
      quiet.close();
    });
  }
});

describe('20 engine: execution-report history', () => {
  /**
   * The stream's client ids in four forms, so every way the log keeps one is used
   * (engine/client-id-code.ts): canonical decimals ("o42" -> "42") and short ids
   * with a leading zero ("o43" -> "043") and as they are ("o45") are kept as numeric
   * codes; ids with a character outside [0-9A-Za-z_-] ("o44" -> "o.44") as text.
   */
  function withDecimalIds(c: Command): Command {
    if ((c.type === 'new' || c.type === 'cancel' || c.type === 'replace') && c.clientOrderId !== undefined) {
      const n = Number(c.clientOrderId.slice(1));
      if (n % 4 === 0) return { ...c, clientOrderId: String(n) };
      if (n % 4 === 1) return { ...c, clientOrderId: `0${n}` };
      if (n % 4 === 2) return { ...c, clientOrderId: `o.${n}` };
    }
    return c;
  }

  // Small limits make the log wrap, and resting orders outlive many entries of their
  // account (a fill then has to store its client id again).
  const LIMITS = [
    { perAccount: 1, rows: 1 << 20 },
    { perAccount: 4, rows: 1 << 20 },
    { perAccount: 50, rows: 1 << 20 },
    { perAccount: 50, rows: 37 },
    { perAccount: 3, rows: 10 },
  ];
  for (const book of BOOKS) {
    for (const { perAccount, rows } of LIMITS) {
      it(`${book}, ${perAccount} per account within ${rows} rows: rebuilds the newest reports of every account exactly as they were delivered`, () => {
        const st = new Stream(new Prng(1004)); // a stream with every kind of report
        const ex = new Exchange({ ...OPTS, market: MARKET, book, execHistory: perAccount, execLogRows: rows });
        const all: ExecReport[] = [];
        const accounts = new Set<number>();
        ex.setListener({
          onExec: (e) => {
            all.push(e);
            accounts.add(e.accountId);
          },
          onTrade: () => {},
          onSymbolChanged: () => {},
        });
        const setup = st.setup();
        for (let i = 0; i < setup.length + 6_000; i++) {
          ex.apply(i < setup.length ? setup[i]! : withDecimalIds(st.next()));
          if (i % 97 === 0 || i === setup.length + 5_999) {
            const window = all.slice(-rows);
            for (const a of accounts) {
              const want = window.filter((r) => r.accountId === a).slice(-perAccount);
              expect(ex.execReports(a, 0, Infinity), `account ${a} after op ${i}`).to.deep.equal(want);
              if (want.length === 0) continue;
              // from a sequence, and bounded by the durable seq
              const mid = want[Math.max(0, want.length - 2)]!;
              expect(ex.execReports(a, mid.accountSeq - 1, Infinity)).to.deep.equal(want.filter((r) => r.accountSeq >= mid.accountSeq));
              expect(ex.execReports(a, 0, mid.seq - 1)).to.deep.equal(want.filter((r) => r.seq < mid.seq));
            }
          }
        }
        expect([...new Set(all.map((r) => r.kind))].sort()).to.deep.equal(['ACCEPTED', 'CANCELLED', 'EXPIRED', 'FILL', 'REJECTED', 'REPLACED', 'TRIGGERED']);
        expect(all.filter((r) => /^[1-9][0-9]*$/.test(r.clientOrderId)).length, 'decimal ids').to.be.above(500);
        expect(all.filter((r) => /^0[0-9]/.test(r.clientOrderId)).length, 'leading-zero ids').to.be.above(500);
        expect(all.filter((r) => /^o\.[0-9]/.test(r.clientOrderId)).length, 'text ids').to.be.above(500);
        expect(all.filter((r) => /^o[0-9]/.test(r.clientOrderId)).length, 'short ids').to.be.above(500);
        expect(ex.execReports(999, 0, Infinity)).to.deep.equal([]);
        ex.close();
      });
    }
  }

  for (const others of [3, 7]) {
    it(`an order whose client-id entry is ${others + 1} entries old stays readable while the rows after it each add two entries (unlisted-symbol rejects)`, () => {
      const ex = new Exchange({ market: MARKET, book: 'reference', execHistory: 4, execLogRows: 4 });
      let seq = 0;
      const ap = (c: Partial<Command> & { type: Command['type'] }) => ex.apply({ ...c, seq: ++seq, ts: 1_000 + seq } as Command);
      ap({ type: 'createAccount', accountId: 1, cash: 100_000_000, positions: { AAA: 1_000 } });
      // ids with a '.' have no numeric code: the log keeps their text in entries
      ap({ type: 'new', accountId: 1, clientOrderId: 'R.', symbol: 'AAA', side: 'SELL', kind: 'LIMIT', price: 1_040, qty: 5 });
      for (let k = 1; k <= others; k++) ap({ type: 'new', accountId: 1, clientOrderId: `s.${k}`, symbol: 'AAA', side: 'SELL', kind: 'LIMIT', price: 1_045, qty: 1 });
      ap({ type: 'cancel', accountId: 1, clientOrderId: 'R.' }); // R.'s entry: reused when recent enough, else stored again
      for (const cid of ['z.1', 'z.2', 'z.3']) ap({ type: 'new', accountId: 1, clientOrderId: cid, symbol: `Q${cid}`, side: 'BUY', kind: 'LIMIT', price: 1_000, qty: 1 });
      expect(ex.execReports(1, 0, Infinity).map((r) => [r.kind, r.clientOrderId, r.symbol])).to.deep.equal([
        ['CANCELLED', 'R.', 'AAA'],
        ['REJECTED', 'z.1', 'Qz.1'],
        ['REJECTED', 'z.2', 'Qz.2'],
        ['REJECTED', 'z.3', 'Qz.3'],
      ]);
      ex.close();
    });
  }

  it('a fill of an order that rested while its account issued many reports still names its client id', () => {
    const ex = new Exchange({ market: MARKET, book: 'reference', execHistory: 2, execLogRows: 3 });
    let seq = 0;
    const ap = (c: Partial<Command> & { type: Command['type'] }) => ex.apply({ ...c, seq: ++seq, ts: 1_000 + seq } as Command);
    ap({ type: 'createAccount', accountId: 1, cash: 100_000_000, positions: { AAA: 1_000 } });
    ap({ type: 'createAccount', accountId: 2, cash: 100_000_000 });
    // longer than 8 characters: no numeric code, so the log keeps the text in an entry
    ap({ type: 'new', accountId: 1, clientOrderId: 'resting-order', symbol: 'AAA', side: 'SELL', kind: 'LIMIT', price: 1_040, qty: 5 });
    // 20 more orders of account 1, each accepted and cancelled: 40 reports, 20 new client-id entries
    for (let i = 0; i < 20; i++) {
      ap({ type: 'new', accountId: 1, clientOrderId: `x:${i}`, symbol: 'AAA', side: 'SELL', kind: 'LIMIT', price: 1_045, qty: 1 });
      ap({ type: 'cancel', accountId: 1, clientOrderId: `x:${i}` });
    }
    ap({ type: 'new', accountId: 2, clientOrderId: 'taker', symbol: 'AAA', side: 'BUY', kind: 'LIMIT', price: 1_040, qty: 5 });
    // the log's last 3 rows: the taker's ACCEPTED, the resting order's FILL, the taker's FILL
    const h = ex.execReports(1, 0, Infinity);
    expect(h.map((r) => [r.kind, r.clientOrderId, r.symbol, r.status])).to.deep.equal([['FILL', 'resting-order', 'AAA', 'FILLED']]);
    // a reject of an unlisted symbol keeps its text
    ap({ type: 'new', accountId: 2, clientOrderId: 'zz', symbol: 'NOPE', side: 'BUY', kind: 'LIMIT', price: 1_000, qty: 1 });
    expect(ex.execReports(2, 0, Infinity).map((r) => [r.kind, r.clientOrderId, r.symbol, r.code])).to.deep.equal([
      ['FILL', 'taker', 'AAA', Code.OK],
      ['REJECTED', 'zz', 'NOPE', Code.UNKNOWN_SYMBOL],
    ]);
    ex.close();
  });
  it('decimal client ids at the top of the safe range come back exactly (up to 2^53 - 1 as codes, above as text)', () => {
    const ex = new Exchange({ market: MARKET, book: 'reference' });
    let seq = 0;
    const ap = (c: Partial<Command> & { type: Command['type'] }) => ex.apply({ ...c, seq: ++seq, ts: 1_000 + seq } as Command);
    ap({ type: 'createAccount', accountId: 1, cash: 100_000_000, positions: { AAA: 1_000 } });
    const ids = ['9007199254740991', '9007199254740990', '9007199254740989', '0', '1', '9007199254740992', '18446744073709551615'];
    for (const cid of ids) ap({ type: 'new', accountId: 1, clientOrderId: cid, symbol: 'AAA', side: 'SELL', kind: 'LIMIT', price: 1_045, qty: 1 });
    expect(ex.execReports(1, 0, Infinity).map((r) => r.clientOrderId)).to.deep.equal(ids);
    ex.close();
  });
});

describe('20 engine: snapshot book rows', () => {
  function busy(book: 'native' | 'reference'): Exchange {
    const r = new Prng(99);
    const st = new Stream(r);
    const ex = new Exchange({ ...OPTS, market: MARKET, book });
    for (const c of st.setup()) ex.apply(c);
    for (let i = 0; i < 3_000; i++) ex.apply(st.next());
    return ex;
  }

  for (const book of BOOKS) {
    it(`${book}: books travel as Float64Array rows, also through the codec's JSON fallback`, () => {
      const ex = busy(book);
      const snap = ex.snapshot();
      const resting = snap.symbols.reduce((n, s) => n + s.book.length / 6, 0);
      expect(resting, 'some orders rest').to.be.above(0);
      for (const s of snap.symbols) {
        expect(s.book).to.be.instanceOf(Float64Array);
        expect(s.book.length % 6).to.equal(0);
        // rows are the book's own snapshot, in its order
        const objs = ex.symbolEngine(s.config.symbol)!.book.snapshot();
        expect(Array.from(s.book)).to.deep.equal(objs.flatMap((o) => [o.id, o.account, o.side, o.price, o.remaining, o.ts]));
      }
      // order columns that are not a Float64Array (as from a tool) force the JSON path
      const a0 = snap.accounts.findIndex((a) => a.trades.length > 0);
      expect(a0, 'some account retains trades').to.be.at.least(0);
      const odd = { ...snap, orders: { ...snap.orders, num: Array.from(snap.orders.num) as unknown as Float64Array } };
      const bin = encodeExchangeSnapshot(odd);
      expect(snapshotFormat(bin)).to.equal('json');
      const back = decodeExchangeSnapshot(bin);
      expect(back.accounts[a0]!.trades).to.be.instanceOf(Float64Array);
      expect(Array.from(back.accounts[a0]!.trades)).to.deep.equal(Array.from(snap.accounts[a0]!.trades));
      expect(back.orders.num).to.be.instanceOf(Float64Array);
      expect(Array.from(back.orders.num)).to.deep.equal(Array.from(snap.orders.num));
      expect(back.orders.clientOrderIds).to.deep.equal(snap.orders.clientOrderIds);
      for (let i = 0; i < snap.symbols.length; i++) {
        expect(back.symbols[i]!.book).to.be.instanceOf(Float64Array);
        expect(Array.from(back.symbols[i]!.book)).to.deep.equal(Array.from(snap.symbols[i]!.book));
      }
      const restored = fresh(book, OPTS);
      restored.restore(back);
      expect(restored.stateHash()).to.equal(ex.stateHash());
      ex.close();
      restored.close();
    });

    it(`${book}: snapshotRows writes into a caller's array when it is large enough, else returns a new one`, () => {
      const ex = busy(book);
      for (const s of ex.symbolEngines()) {
        const plain = s.book.snapshotRows();
        const big = new Float64Array(plain.length + 60).fill(-1);
        const got = s.book.snapshotRows(big);
        expect(Array.from(got)).to.deep.equal(Array.from(plain));
        expect(got.buffer, 'a view of the given array').to.equal(big.buffer);
        expect(big[plain.length], 'nothing written past the rows').to.equal(-1);
        if (plain.length > 0) {
          const small = new Float64Array(plain.length - 6).fill(-1);
          const fresh = s.book.snapshotRows(small);
          expect(fresh.buffer).to.not.equal(small.buffer);
          expect(Array.from(fresh)).to.deep.equal(Array.from(plain));
          expect(small.every((v) => v === -1), 'a too small array is left alone').to.equal(true);
        }
      }
      ex.close();
    });

    it(`${book}: restore refuses malformed book rows with a code, not a crash`, () => {
      const ex = busy(book);
      const snap = ex.snapshot();
      ex.close();
      const sym = snap.symbols.findIndex((s) => s.book.length > 0);
      const bad = (mutate: (rows: Float64Array) => Float64Array | unknown): Code => {
        const rows = mutate(Float64Array.from(snap.symbols[sym]!.book));
        const s2 = { ...snap, symbols: snap.symbols.map((s, i) => (i === sym ? { ...s, book: rows as Float64Array } : s)) };
        const target = fresh(book, OPTS);
        try {
          target.restore(s2);
        } catch (e) {
          return (e as { code: Code }).code;
        } finally {
          target.close();
        }
        return Code.OK;
      };
      expect(bad((r) => r.subarray(0, r.length - 1))).to.equal(Code.INVALID_ARGUMENT);
      expect(bad(() => ({ 0: 1 }))).to.equal(Code.INVALID_ARGUMENT);
      expect(bad((r) => ((r[2] = 7), r))).to.not.equal(Code.OK); // side
      expect(bad((r) => ((r[3] = 2 ** 40), r))).to.not.equal(Code.OK); // price beyond the book's range
      expect(bad((r) => ((r[4] = 0), r))).to.not.equal(Code.OK); // remaining
      expect(bad((r) => ((r[0] = 1.5), r))).to.not.equal(Code.OK); // id
    });
  }
});

describe('20 engine: version-1 snapshots still load', () => {
  const symbols: SymbolConfig[] = [
    { symbol: 'AAA', name: 'A', tickSize: 1, lotSize: 1, referencePrice: 1_000, bandPercent: 5, maxOrderQty: 500, maxOrderNotional: 400_000, makerFeeBps: 1, takerFeeBps: 2 },
    { symbol: 'BBB', name: 'B', tickSize: 5, lotSize: 10, referencePrice: 200, bandPercent: 10, maxOrderQty: 2_000, maxOrderNotional: 1_000_000, makerFeeBps: 3, takerFeeBps: 7 },
  ] as SymbolConfig[];
  const opts = { retainTerminalOrders: 20, retainTrades: 10, maxOrdersPerSecond: 1e9 };

  for (const file of ['snapshot-v1.bin', 'snapshot-v1-json.bin']) {
    it(`${file} (written by the previous codec) restores to the state the same commands give today`, () => {
      const w = new Workload({ seed: 7, accounts: 6, symbols, restingShare: 0.5 });
      const ex = new Exchange({ ...opts, market: { indices: [], symbols }, book: 'reference' });
      for (const c of w.setup()) ex.apply(c);
      for (let i = 0; i < 1200; i++) ex.apply(w.next());
      const bytes = fs.readFileSync(new URL(`./fixtures/snapshots/${file}`, import.meta.url));
      expect(bytes.readUInt32LE(4), 'the fixture is in an old format').to.be.oneOf([1, 2]);
      const snap = decodeExchangeSnapshot(bytes);
      expect(snap.version).to.equal(2);
      expect(snap.orders.count).to.be.above(100);
      for (const book of BOOKS) {
        const restored = new Exchange({ ...opts, market: { indices: [], symbols: [] }, book });
        restored.restore(snap);
        expect(restored.stateHash(), book).to.equal(ex.stateHash());
        expect(restored.checkInvariants()).to.deep.equal([]);
        // and it keeps going identically
        const w2 = new Workload({ seed: 8, accounts: 6, symbols, restingShare: 0.5 }, snap.seq);
        const ex2 = new Exchange({ ...opts, market: { indices: [], symbols: [] }, book: 'reference' });
        ex2.restore(decodeExchangeSnapshot(bytes));
        for (let i = 0; i < 300; i++) {
          const c = w2.next();
          expect(JSON.stringify(restored.apply({ ...c } as Command))).to.equal(JSON.stringify(ex2.apply({ ...c } as Command)));
        }
        expect(restored.stateHash()).to.equal(ex2.stateHash());
        restored.close();
        ex2.close();
      }
      ex.close();
    });
  }
});

describe('20 engine: trade history (exchange-wide trade log)', () => {
  // per account, and exchange-wide: the window binds in some settings and not in others
  const LIMITS = [
    { perAccount: 9, rows: 1 << 18 },
    { perAccount: 1, rows: 1 << 20 },
    { perAccount: 50, rows: 1 << 20 },
    { perAccount: 50, rows: 23 },
    { perAccount: 3, rows: 7 },
    { perAccount: 0, rows: 100 },
    { perAccount: 5, rows: 0 },
  ];
  for (const book of BOOKS) {
    for (const { perAccount, rows } of LIMITS) {
      it(`${book}, ${perAccount} per account within ${rows} trades: every account's trades are its newest ones in the window, oldest first`, () => {
        const st = new Stream(new Prng(2203));
        const ex = new Exchange({ ...OPTS, market: MARKET, book, retainTrades: perAccount, tradeLogRows: rows });
        const all: TradeEvent[] = [];
        ex.setListener({ onExec: () => {}, onTrade: (t) => void all.push(t), onSymbolChanged: () => {} });
        const setup = st.setup();
        let checked = 0;
        let byOrder = 0;
        for (let i = 0; i < setup.length + 5_000; i++) {
          ex.apply(i < setup.length ? setup[i]! : st.next());
          if (i % 89 !== 0 && i !== setup.length + 4_999) continue;
          const last = all.length === 0 ? 0 : all[all.length - 1]!.tradeId;
          const window = all.filter((t) => t.tradeId > last - rows);
          for (const a of ex.accountIds()) {
            const mine = window.filter((t) => t.buyAccountId === a || t.sellAccountId === a);
            const want = perAccount === 0 ? [] : mine.slice(-perAccount);
            expect(ex.accountTrades(a, { limit: 1e9 }), `account ${a} after op ${i}`).to.deep.equal(want);
            expect(ex.snapshot().accounts.find((s) => s.accountId === a)!.trades.length).to.equal(want.length * 13);
            const o = want[want.length - 1];
            const own = o === undefined ? 0 : o.buyAccountId === a ? o.buyOrderId : o.sellOrderId;
            // an order's trades while the order is known (terminal ones are forgotten after 6 exchange-wide)
            if (own !== 0 && ex.getOrder(a, { orderId: own }) !== undefined) {
              expect(ex.orderTrades(own, a)).to.deep.equal(want.filter((t) => t.buyOrderId === own || t.sellOrderId === own));
              byOrder++;
            }
            checked++;
          }
        }
        expect(all.length).to.be.above(150);
        expect(checked).to.be.above(300);
        if (perAccount !== 0 && rows !== 0) expect(byOrder).to.be.above(20);
        expect(ex.accountTrades(999)).to.deep.equal([]);
        ex.close();
      });
    }
  }

  it("restore refuses an account's trade rows that are malformed, not the account's, or name an unknown symbol, account or future trade", () => {
    const st = new Stream(new Prng(2203));
    const ex = new Exchange({ ...OPTS, market: MARKET, book: 'reference' });
    for (const c of st.setup()) ex.apply(c);
    for (let i = 0; i < 3_000; i++) ex.apply(st.next());
    const snap = ex.snapshot();
    const k = snap.accounts.findIndex((a) => a.trades.length !== 0);
    expect(k).to.be.at.least(0);
    const own = snap.accounts[k]!;
    const other = snap.accounts.find((a) => a.accountId !== own.accountId && a.trades.length !== 0 && (a.trades[7] !== own.accountId && a.trades[8] !== own.accountId))!;
    const withRows = (rows: Float64Array) => ({ ...snap, accounts: snap.accounts.map((a, i) => (i === k ? { ...a, trades: rows } : a)) });
    const edit = (f: number, v: number) => {
      const r = Float64Array.from(own.trades);
      r[f] = v;
      return withRows(r);
    };
    const bad: [string, unknown][] = [
      ['a row cut short', withRows(own.trades.subarray(0, own.trades.length - 1))],
      ['a trade id beyond the last one', edit(0, snap.lastTradeId + 1)],
      ['a trade id of 0', edit(0, 0)],
      ['an unknown symbol index', edit(12, 99)],
      ['a fractional symbol index', edit(12, 0.5)],
      ['a trade of other accounts', withRows(Float64Array.from(other.trades.subarray(0, 13)))],
      ['an unknown counterparty', edit(own.trades[7] === own.accountId ? 8 : 7, 424242)],
    ];
    for (const [what, s2] of bad) {
      const target = fresh('reference', OPTS);
      expect(() => target.restore(s2 as typeof snap), what).to.throw(AurexError).with.property('code', Code.INVALID_ARGUMENT);
      target.close();
    }
    const ok = fresh('reference', OPTS);
    ok.restore(snap);
    expect(ok.stateHash()).to.equal(ex.stateHash());
    ok.close();
    ex.close();
  });

  it('refuses a retainTrades or tradeLogRows that is not an integer in range', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 26 + 1, '10' as unknown as number]) {
      expect(() => new Exchange({ market: MARKET, book: 'reference', retainTrades: bad }), String(bad)).to.throw(/retainTrades/);
      expect(() => new Exchange({ market: MARKET, book: 'reference', tradeLogRows: bad }), String(bad)).to.throw(/tradeLogRows/);
    }
  });
});
