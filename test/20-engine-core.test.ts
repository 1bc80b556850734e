/**
 * The ExchangeCore pipeline: validation at the edge, stamping (gap-free seq,
 * injectable clock), the command log, release only after the group's flush,
 * fail-stop on a flush error, replay, execution-report resume, market-data
 * snapshots + conflated increments with sequence chaining, trades streams,
 * index recomputation.
 */
import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import { ExchangeCore } from '../engine/core.ts';
import { Exchange } from '../engine/exchange.ts';
import { MemoryCommandLog, type CommandLog } from '../engine/command-log.ts';
import { JournalWriter } from '../engine/journal/journal-writer.ts';
import { tempDirs } from './support/temp-dirs.ts';
import type { MarketConfig } from '../engine/symbols.ts';
import { MAX_ACCOUNT_POSITIONS, MAX_SYMBOL_INDICES, validateCommand } from '../engine/validate-command.ts';
import type { Command, CommandResult, ExecReport, MarketDataUpdate, PublicTrade } from '../engine/types.ts';
import type { IndexView } from '../engine/core-api.ts';

const MARKET: MarketConfig = {
  indices: [{ name: 'IDX', base: 1000 }],
  symbols: [
    { symbol: 'AAA', name: 'A', tickSize: 1, lotSize: 1, referencePrice: 1_000, bandPercent: 10, maxOrderQty: 10_000, maxOrderNotional: 100_000_000, indices: { IDX: 1 } },
    { symbol: 'BBB', name: 'B', tickSize: 1, lotSize: 1, referencePrice: 500, bandPercent: 10, maxOrderQty: 10_000, maxOrderNotional: 100_000_000, indices: { IDX: 1 } },
  ],
};

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const tmp = tempDirs('aurex-core-');

function order(accountId: number, side: 'BUY' | 'SELL', price: number, qty: number, clientOrderId: string, symbol = 'AAA'): Command {
  return { type: 'new', accountId, clientOrderId, symbol, side, kind: 'LIMIT', price, qty };
}

/** A log whose flushes complete only when the test says so. */
class ManualLog implements CommandLog {
  appended: Command[] = [];
  pending: ((err?: Error) => void)[] = [];
  append(cmd: Command): void {
    this.appended.push({ ...cmd });
  }
  flush(cb: (err?: Error) => void): void {
    this.pending.push(cb);
  }
  complete(err?: Error): void {
    const cb = this.pending.shift();
    if (!cb) throw new Error('no flush pending');
    cb(err);
  }
}

describe('20 engine core: pipeline, durability ordering, streams', () => {
  let core: ExchangeCore;
  afterEach(() => {
    core?.close();
    core?.exchange.close();
  });

  async function setup(log?: CommandLog, clock?: () => number, maxGroupCommands?: number): Promise<void> {
    core = new ExchangeCore({ market: MARKET, book: 'reference', log, clock, indexIntervalMs: 0, maxGroupCommands });
    const r1 = core.executeAsync({ type: 'createAccount', accountId: 1, cash: 100_000_000, positions: { AAA: 1_000, BBB: 1_000 } });
    const r2 = core.executeAsync({ type: 'createAccount', accountId: 2, cash: 100_000_000, positions: { AAA: 1_000, BBB: 1_000 } });
    if (log instanceof ManualLog) {
      await tick();
      log.complete();
    }
    expect((await r1).code).to.equal(Code.OK);
    expect((await r2).code).to.equal(Code.OK);
  }

  /** Account 1's execution reports and AAA's market data as they are delivered, and an array for results. */
  function watch(): { got: CommandResult[]; execs: ExecReport[]; md: MarketDataUpdate[] } {
    const w = { got: [] as CommandResult[], execs: [] as ExecReport[], md: [] as MarketDataUpdate[] };
    core.subscribeExecutions(1, { fromSeq: 0 }, (r) => w.execs.push(r));
    core.subscribeMarketData('AAA', (u) => w.md.push(u));
    return w;
  }

  it('stamps a gap-free global seq and a non-decreasing ts from the injected clock, and logs before applying', async () => {
    const log = new MemoryCommandLog();
    let now = 5_000;
    const times = [5_000, 5_010, 4_990, 5_020];
    await setup(log, () => times.shift() ?? now++);
    const a = await core.executeAsync(order(1, 'BUY', 990, 10, 'a'));
    const b = await core.executeAsync(order(1, 'BUY', 991, 10, 'b'));
    expect([a.seq, b.seq]).to.deep.equal([3, 4]);
    expect(a.ts).to.equal(5_010); // the clock went back to 4,990: stamps never go backwards
    expect(b.ts).to.equal(5_020);
    expect(log.commands.map((c) => c.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(log.commands[1]!.ts).to.equal(5_010);
    expect(core.lastSeq()).to.equal(4);
  });

  it('rejects malformed commands at the edge with 1xx codes, without stamping or logging them', async () => {
    const log = new MemoryCommandLog();
    await setup(log);
    const bad: [unknown, Code][] = [
      [{ type: 'new', accountId: -1, clientOrderId: 'x', symbol: 'AAA', side: 'BUY', kind: 'LIMIT', price: 1, qty: 1 }, Code.INVALID_ACCOUNT_ID],
      [{ type: 'new', accountId: 1, clientOrderId: '', symbol: 'AAA', side: 'BUY', kind: 'LIMIT', price: 1, qty: 1 }, Code.INVALID_CLIENT_ORDER_ID],
      [{ type: 'new', accountId: 1, clientOrderId: 'x'.repeat(65), symbol: 'AAA', side: 'BUY', kind: 'LIMIT', price: 1, qty: 1 }, Code.INVALID_CLIENT_ORDER_ID],
      [{ type: 'new', accountId: 1, clientOrderId: 'x', symbol: 'AAA', side: 'UP', kind: 'LIMIT', price: 1, qty: 1 }, Code.INVALID_SIDE],
      [{ type: 'new', accountId: 1, clientOrderId: 'x', symbol: 'AAA', side: 'BUY', kind: 'TWAP', price: 1, qty: 1 }, Code.INVALID_ORDER_TYPE],
      [{ type: 'new', accountId: 1, clientOrderId: 'x', symbol: 'AAA', side: 'BUY', kind: 'LIMIT', price: Number.NaN, qty: 1 }, Code.INVALID_PRICE],
      [{ type: 'new', accountId: 1, clientOrderId: 'x', symbol: 'AAA', side: 'BUY', kind: 'LIMIT', price: 1, qty: 2 ** 60 }, Code.INVALID_QUANTITY],
      [{ type: 'new', accountId: 1, clientOrderId: 'x', symbol: 'AAA', side: 'BUY', kind: 'STOP', price: 0, qty: 1 }, Code.INVALID_STOP_PRICE],
      [{ type: 'new', accountId: 1, clientOrderId: 'x', symbol: 'AAA', side: 'BUY', kind: 'IOC', price: 1, qty: 1, postOnly: true }, Code.INVALID_ORDER_TYPE],
      [{ type: 'cancel', accountId: 1 }, Code.MISSING_FIELD],
      [{ type: 'deposit', accountId: 1, amount: 0.5 }, Code.VALUE_OUT_OF_RANGE],
      [{ type: 'nope' }, Code.INVALID_ARGUMENT],
      [null, Code.INVALID_ARGUMENT],
    ];
    for (const [cmd, code] of bad) {
      const r = await core.executeAsync(cmd as Command);
      expect(r.code, JSON.stringify(cmd)).to.equal(code);
      expect(r.seq).to.equal(0);
    }
    expect(log.commands).to.have.length(2);
    expect(core.lastSeq()).to.equal(2);
  });

  it('checks admin commands fully at the edge, so nothing the journal cannot record (or the exchange would refuse) is stamped', async () => {
    const log = new MemoryCommandLog();
    await setup(log);
    const cfg = (over: Record<string, unknown> = {}) => ({
      symbol: 'NEW', name: 'New Co', tickSize: 1, lotSize: 1, referencePrice: 1_000, bandPercent: 10, maxOrderQty: 1_000, maxOrderNotional: 10_000_000, ...over,
    });
    const manyPositions = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`S${i}`, 1]));
    const bad: [unknown, Code][] = [
      // the exchange's own symbol validation, now before stamping
      [{ type: 'addSymbol', config: cfg({ tickSize: 0 }) }, Code.INVALID_CONFIG],
      [{ type: 'addSymbol', config: cfg({ symbol: 'lower' }) }, Code.INVALID_CONFIG],
      [{ type: 'addSymbol', config: cfg({ name: undefined }) }, Code.INVALID_CONFIG],
      // a symbol name that ByteWriter.str cannot encode (> 65535 bytes) used to tear the journal record
      [{ type: 'addSymbol', config: cfg({ symbol: 'A'.repeat(70_000) }) }, Code.INVALID_CONFIG],
      [{ type: 'addSymbol', config: cfg({ name: '€'.repeat(86) }) }, Code.INVALID_CONFIG], // 86 chars, 258 UTF-8 bytes
      [{ type: 'addSymbol', config: cfg({ name: 'bad \ud800 surrogate' }) }, Code.INVALID_CONFIG],
      [{ type: 'addSymbol', config: cfg({ indices: Object.fromEntries(Array.from({ length: MAX_SYMBOL_INDICES + 1 }, (_, i) => [`I${i}`, 1])) }) }, Code.INVALID_CONFIG],
      [{ type: 'addSymbol', config: cfg({ makerFeeBps: null }) }, Code.INVALID_CONFIG],
      [{ type: 'addSymbol', config: [] }, Code.INVALID_CONFIG],
      // createAccount: bounded positions keyed by real symbol names, non-negative safe integers
      [{ type: 'createAccount', accountId: 9, cash: 0, positions: manyPositions(MAX_ACCOUNT_POSITIONS + 1) }, Code.VALUE_OUT_OF_RANGE],
      [{ type: 'createAccount', accountId: 9, cash: 0, positions: manyPositions(70_000) }, Code.VALUE_OUT_OF_RANGE],
      [{ type: 'createAccount', accountId: 9, cash: 0, positions: { aaa: 1 } }, Code.INVALID_SYMBOL],
      [{ type: 'createAccount', accountId: 9, cash: 0, positions: JSON.parse('{"__proto__": 1}') }, Code.INVALID_SYMBOL],
      [{ type: 'createAccount', accountId: 9, cash: 0, positions: { AAA: -1 } }, Code.VALUE_OUT_OF_RANGE],
      [{ type: 'createAccount', accountId: 9, cash: 0, positions: { AAA: 2 ** 53 } }, Code.VALUE_OUT_OF_RANGE],
      // massCancel: only the reasons an order can really be mass-cancelled for
      [{ type: 'massCancel', accountId: 1, reason: Code.CANCEL_IOC_REMAINDER }, Code.INVALID_ARGUMENT],
      [{ type: 'massCancel', accountId: 1, reason: Code.CANCEL_REPLACED }, Code.INVALID_ARGUMENT],
      [{ type: 'massCancel', accountId: 1, reason: 399 }, Code.INVALID_ARGUMENT],
      [{ type: 'massCancel', accountId: 1, reason: 70_000 }, Code.INVALID_ARGUMENT],
    ];
    for (const [cmd, code] of bad) {
      expect(validateCommand(cmd), JSON.stringify(cmd).slice(0, 120)).to.equal(code);
      const r = await core.executeAsync(cmd as Command);
      expect(r.code).to.equal(code);
      expect(r.seq).to.equal(0);
    }
    expect(log.commands).to.have.length(2);
    // the accepted side of each bound
    expect(validateCommand({ type: 'createAccount', accountId: 9, cash: 0, positions: manyPositions(MAX_ACCOUNT_POSITIONS) })).to.equal(Code.OK);
    expect(validateCommand({ type: 'addSymbol', config: cfg({ name: '€'.repeat(85) }) })).to.equal(Code.OK);
    for (const reason of [Code.CANCEL_BY_USER, Code.CANCEL_BY_ADMIN, Code.CANCEL_ON_DISCONNECT, Code.CANCEL_EXPIRED, Code.CANCEL_SYMBOL_REMOVED]) {
      expect(validateCommand({ type: 'massCancel', accountId: 1, reason }), String(reason)).to.equal(Code.OK);
    }
    const ok = await core.executeAsync({ type: 'addSymbol', config: cfg({ indices: { IDX: 1 } }) } as Command);
    expect(ok.code).to.equal(Code.OK);
    expect(ok.seq).to.equal(3);
    expect(core.symbols().map((s) => s.symbol)).to.include('NEW');
  });

  it('releases callbacks, exec reports and market data only after the group flush completed', async () => {
    const log = new ManualLog();
    await setup(log);
    const { got, execs, md } = watch();
    await tick();
    log.complete(); // the (empty) group that captures the snapshot
    expect(md.map((u) => u.snapshot)).to.deep.equal([true]);
    core.execute(order(1, 'BUY', 990, 10, 'a'), (r) => got.push(r));
    core.execute(order(1, 'BUY', 995, 5, 'b'), (r) => got.push(r));
    await tick();
    await tick();
    expect(log.pending).to.have.length(1);
    expect(got).to.have.length(0);
    expect(execs).to.have.length(0);
    expect(md).to.have.length(1);
    // while the first flush is outstanding, new commands form the next group
    core.execute(order(1, 'BUY', 996, 1, 'c'), (r) => got.push(r));
    await tick();
    expect(log.pending).to.have.length(1);
    log.complete();
    expect(got.map((r) => r.order!.clientOrderId)).to.deep.equal(['a', 'b']);
    expect(execs.map((e) => e.clientOrderId)).to.deep.equal(['a', 'b']);
    // one conflated update for the group, chained to the snapshot
    expect(md).to.have.length(2);
    expect(md[1]).to.deep.include({ snapshot: false, prevMdSeq: md[0]!.mdSeq });
    expect(md[1]!.bids.map((l) => l.price)).to.deep.equal([995, 990]); // state at the end of group 1, not later
    await tick();
    expect(log.pending).to.have.length(1);
    log.complete();
    expect(got.map((r) => r.order!.clientOrderId)).to.deep.equal(['a', 'b', 'c']);
    expect(md[2]!.prevMdSeq).to.equal(md[1]!.mdSeq);
    expect(md[2]!.bids[0]!.price).to.equal(996);
  });

  it('fail-stop: a failed flush fails its callbacks with JOURNAL_FAILURE, publishes nothing, and refuses later commands', async () => {
    const log = new ManualLog();
    await setup(log);
    const execs: ExecReport[] = [];
    core.subscribeExecutions(1, { fromSeq: 0 }, (r) => execs.push(r));
    const p = core.executeAsync(order(1, 'BUY', 990, 10, 'a'));
    await tick();
    log.complete(new Error('disk full'));
    expect((await p).code).to.equal(Code.JOURNAL_FAILURE);
    expect(execs).to.have.length(0);
    expect(core.isFailed()).to.equal(true);
    const q = core.executeAsync(order(1, 'BUY', 990, 10, 'b'));
    await tick();
    if (log.pending.length) log.complete();
    expect((await q).code).to.equal(Code.JOURNAL_FAILURE);
    expect(log.appended.map((c) => c.type)).to.deep.equal(['createAccount', 'createAccount', 'new']);
  });

  it('replay() applies logged commands without publishing, reaching the same state hash', async () => {
    const log = new MemoryCommandLog();
    await setup(log);
    for (let i = 0; i < 50; i++) {
      await core.executeAsync(order(1 + (i % 2), i % 2 ? 'SELL' : 'BUY', 995 + (i % 7), 1 + (i % 5), `o${i}`));
    }
    const other = new ExchangeCore({ market: MARKET, book: 'reference', indexIntervalMs: 0 });
    let published = 0;
    other.subscribeTrades('*', () => published++);
    for (const c of log.commands) other.replay(c);
    expect(other.stateHash()).to.equal(core.stateHash());
    expect(other.lastSeq()).to.equal(core.lastSeq());
    expect(published).to.equal(0);
    // replayed exec reports are kept for resume
    const resumed: ExecReport[] = [];
    other.subscribeExecutions(1, { fromSeq: -1 }, (r) => resumed.push(r));
    expect(resumed.length).to.be.above(25);
    // and a restored snapshot continues identically
    const third = new ExchangeCore({ market: { indices: [], symbols: [] }, book: 'reference', indexIntervalMs: 0 });
    third.restore(core.snapshot());
    expect(third.stateHash()).to.equal(core.stateHash());
    const x = await core.executeAsync(order(1, 'BUY', 1_000, 3, 'after'));
    const y = await third.executeAsync(order(1, 'BUY', 1_000, 3, 'after'));
    expect(y.seq).to.equal(x.seq);
    expect(y.order!.orderId).to.equal(x.order!.orderId);
    other.close();
    third.close();
  });

  it('execution reports carry a per-account sequence and resume from a given seq after reconnecting', async () => {
    await setup();
    await core.executeAsync(order(2, 'SELL', 1_000, 10, 's1'));
    await core.executeAsync(order(1, 'BUY', 1_000, 4, 'b1'));
    await core.executeAsync(order(1, 'BUY', 1_000, 6, 'b2'));
    const all: ExecReport[] = [];
    const sub = core.subscribeExecutions(2, { fromSeq: -1 }, (r) => all.push(r));
    expect(all.map((r) => [r.accountSeq, r.kind])).to.deep.equal([
      [1, 'ACCEPTED'],
      [2, 'FILL'],
      [3, 'FILL'],
    ]);
    sub.close();
    await core.executeAsync(order(2, 'SELL', 1_010, 1, 's2'));
    const resumed: ExecReport[] = [];
    core.subscribeExecutions(2, { fromSeq: 3 }, (r) => resumed.push(r));
    expect(resumed.map((r) => [r.accountSeq, r.kind, r.clientOrderId])).to.deep.equal([[4, 'ACCEPTED', 's2']]);
    await core.executeAsync({ type: 'cancel', accountId: 2, clientOrderId: 's2' });
    expect(resumed.map((r) => r.kind)).to.deep.equal(['ACCEPTED', 'CANCELLED']);
    expect(all).to.have.length(3); // closed subscription got nothing more
  });

  it('the resume history is a bounded ring per account that rebuilds reports field for field', async () => {
    core = new ExchangeCore({ market: MARKET, book: 'reference', indexIntervalMs: 0, execHistory: 3 });
    await core.executeAsync({ type: 'createAccount', accountId: 1, cash: 100_000_000, positions: { AAA: 1_000 } });
    await core.executeAsync({ type: 'createAccount', accountId: 2, cash: 100_000_000 });
    const live: ExecReport[] = [];
    core.subscribeExecutions(1, { fromSeq: 0 }, (r) => live.push(r));
    await core.executeAsync(order(1, 'SELL', 1_000, 10, 's1'));
    for (let i = 0; i < 4; i++) await core.executeAsync(order(2, 'BUY', 1_000, 1, `b${i}`));
    expect(live.map((r) => r.accountSeq)).to.deep.equal([1, 2, 3, 4, 5]);
    const resumed: ExecReport[] = [];
    core.subscribeExecutions(1, { fromSeq: -1 }, (r) => resumed.push(r));
    expect(resumed).to.deep.equal(live.slice(2)); // the 3 newest, identical to what was delivered live
    expect(resumed[0]).to.deep.include({ kind: 'FILL', liquidity: 'MAKER', lastQty: 1, lastPrice: 1_000, status: 'PARTIALLY_FILLED' });
    expect(live[0]).to.deep.include({ kind: 'ACCEPTED', tradeId: undefined, fee: undefined });
  });

  it('a subscriber resuming while a group is in flight gets the durable reports from the history and the rest live, each once', async () => {
    const log = new ManualLog();
    await setup(log);
    core.execute(order(1, 'BUY', 990, 10, 'a'), () => {});
    await tick();
    log.complete();
    core.execute(order(1, 'BUY', 991, 10, 'b'), () => {});
    await tick();
    expect(log.pending).to.have.length(1); // 'b' is applied but not durable
    const got: ExecReport[] = [];
    core.subscribeExecutions(1, { fromSeq: -1 }, (r) => got.push(r));
    expect(got.map((r) => r.clientOrderId)).to.deep.equal(['a']);
    log.complete();
    expect(got.map((r) => [r.accountSeq, r.clientOrderId])).to.deep.equal([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it("an account's first subscriber, arriving while its commands are in flight, gets their reports (built from the history) at release, each once, then live ones", async () => {
    const log = new ManualLog();
    await setup(log);
    // account 2 has no subscriber: its reports are kept in the history only
    core.execute(order(2, 'SELL', 1_000, 10, 's1'), () => {});
    core.execute(order(1, 'BUY', 1_000, 4, 'b1'), () => {});
    await tick();
    expect(log.pending).to.have.length(1);
    const got: ExecReport[] = [];
    core.subscribeExecutions(2, { fromSeq: 0 }, (r) => got.push(r));
    expect(got).to.deep.equal([]); // nothing is durable yet
    core.execute(order(1, 'BUY', 1_000, 3, 'b2'), () => {}); // applied after the subscription: built live
    await tick();
    log.complete();
    expect(got.map((r) => [r.accountSeq, r.kind, r.clientOrderId])).to.deep.equal([
      [1, 'ACCEPTED', 's1'],
      [2, 'FILL', 's1'],
    ]);
    await tick();
    log.complete();
    expect(got.map((r) => [r.accountSeq, r.kind, r.filledQty])).to.deep.equal([
      [1, 'ACCEPTED', 0],
      [2, 'FILL', 4],
      [3, 'FILL', 7],
    ]);
    // field for field what a resume from the history gives
    expect(core.exchange.execReports(2, 0, Infinity)).to.deep.equal(got);
  });

  it('a subscriber replacing the only one of its account within a turn gets every report of that turn once; the closed one gets none', async () => {
    const log = new ManualLog();
    await setup(log);
    const first: ExecReport[] = [];
    const sub = core.subscribeExecutions(2, { fromSeq: 0 }, (r) => first.push(r));
    core.execute(order(2, 'SELL', 1_000, 10, 's1'), () => {}); // built as an object: account 2 had a subscriber
    sub.close();
    core.execute(order(1, 'BUY', 1_000, 4, 'b1'), () => {}); // not built: nobody listened
    const second: ExecReport[] = [];
    core.subscribeExecutions(2, { fromSeq: 0 }, (r) => second.push(r));
    core.execute(order(1, 'BUY', 1_000, 1, 'b2'), () => {}); // built again
    await tick();
    log.complete();
    expect(first).to.deep.equal([]);
    expect(second.map((r) => [r.accountSeq, r.kind, r.filledQty])).to.deep.equal([
      [1, 'ACCEPTED', 0],
      [2, 'FILL', 4],
      [3, 'FILL', 5],
    ]);
    expect(core.exchange.execReports(2, 0, Infinity)).to.deep.equal(second);
  });

  /**
   * A core with report history `execHistory` whose journal flushes wait for the test, with
   * account 2 (no subscriber) resting s1 and partly filled by b1, neither released yet.
   */
  function inFlightForAccount2(execHistory: number): ManualLog {
    const log = new ManualLog();
    core = new ExchangeCore({ market: MARKET, book: 'reference', indexIntervalMs: 0, log, execHistory });
    core.execute({ type: 'createAccount', accountId: 1, cash: 100_000_000 }, () => {});
    core.execute({ type: 'createAccount', accountId: 2, cash: 100_000_000, positions: { AAA: 1_000 } }, () => {});
    core.execute(order(2, 'SELL', 1_000, 10, 's1'), () => {});
    core.execute(order(1, 'BUY', 1_000, 4, 'b1'), () => {});
    return log;
  }

  it('without a report history (execHistory 0) every account gets report objects, so a late first subscriber still gets its in-flight reports', async () => {
    const log = inFlightForAccount2(0);
    await tick();
    const got: ExecReport[] = [];
    core.subscribeExecutions(2, { fromSeq: 0 }, (r) => got.push(r));
    log.complete();
    expect(got.map((r) => [r.accountSeq, r.kind])).to.deep.equal([
      [1, 'ACCEPTED'],
      [2, 'FILL'],
    ]);
    expect(core.exchange.execReports(2, 0, Infinity)).to.deep.equal([]); // nothing kept
  });

  it('a late first subscriber whose in-flight reports no longer fit the history sees the gap in accountSeq, then gets the rest live', async () => {
    const log = inFlightForAccount2(2);
    core.execute(order(1, 'BUY', 1_000, 1, 'b2'), () => {}); // account 2: three reports in flight, two kept
    await tick();
    const got: ExecReport[] = [];
    core.subscribeExecutions(2, { fromSeq: 0 }, (r) => got.push(r));
    core.execute(order(1, 'BUY', 1_000, 2, 'b3'), () => {});
    log.complete();
    await tick();
    log.complete();
    expect(got.map((r) => [r.accountSeq, r.kind, r.filledQty])).to.deep.equal([[4, 'FILL', 7]]);
  });

  it('Exchange report filter: objects only for wanted accounts (marked before or after they exist, kept across restore); the history has every report', () => {
    const ex = new Exchange({ market: MARKET, book: 'reference' });
    const seen: number[] = [];
    ex.setListener({ onExec: (r) => seen.push(r.accountId), onTrade() {}, onSymbolChanged() {} });
    ex.setReportFilter(true);
    ex.setReportsWanted(3, true); // before account 3 exists
    let seq = 0;
    const run = (c: Command): void => void ex.apply({ ...c, seq: ++seq, ts: seq } as Command);
    for (const a of [1, 2, 3]) run({ type: 'createAccount', accountId: a, cash: 100_000_000, positions: { AAA: 1_000 } });
    ex.setReportsWanted(1, true);
    run(order(2, 'SELL', 1_000, 5, 's2'));
    run(order(3, 'SELL', 1_000, 5, 's3'));
    run(order(1, 'BUY', 1_000, 10, 'b1'));
    expect(seen).to.deep.equal([3, 1, 1, 3, 1]); // 3 ACCEPTED; 1 ACCEPTED, FILL (vs 2), FILL (vs 3) with 3's FILL; never 2
    expect(ex.execReports(2, 0, Infinity).map((r) => r.kind)).to.deep.equal(['ACCEPTED', 'FILL']);
    ex.setReportsWanted(1, false);
    const copy = new Exchange({ market: MARKET, book: 'reference' });
    copy.setListener({ onExec: (r) => seen.push(r.accountId), onTrade() {}, onSymbolChanged() {} });
    copy.setReportFilter(true);
    copy.setReportsWanted(2, true);
    copy.restore(ex.snapshot());
    seen.length = 0;
    copy.apply({ ...order(1, 'BUY', 1_000, 1, 'b9'), seq: ++seq, ts: seq } as Command);
    copy.apply({ ...order(2, 'SELL', 1_000, 1, 's9'), seq: ++seq, ts: seq } as Command);
    expect(seen).to.deep.equal([2, 2]); // 2's ACCEPTED and FILL; 1 is not wanted in the copy
    copy.setReportFilter(false);
    copy.apply({ ...order(1, 'BUY', 990, 1, 'b10'), seq: ++seq, ts: seq } as Command);
    expect(seen).to.deep.equal([2, 2, 1]);
    ex.close();
    copy.close();
  });

  it('a subscription closed by its own callback gets no further report, even of the same command', async () => {
    await setup();
    await core.executeAsync(order(2, 'SELL', 1_000, 10, 's1'));
    const got: string[] = [];
    const other: string[] = [];
    const sub = core.subscribeExecutions(1, { fromSeq: 0 }, (r) => {
      got.push(r.kind);
      sub.close();
    });
    core.subscribeExecutions(1, { fromSeq: 0 }, (r) => other.push(r.kind));
    await core.executeAsync(order(1, 'BUY', 1_000, 4, 'b1')); // ACCEPTED then FILL, one command
    expect(got).to.deep.equal(['ACCEPTED']);
    expect(other).to.deep.equal(['ACCEPTED', 'FILL']);
  });

  it('refuses an execHistory or execLogRows that is not an integer in range', () => {
    for (const bad of [-1, 1.5, NaN, 2 ** 27]) {
      expect(() => new ExchangeCore({ market: MARKET, book: 'reference', indexIntervalMs: 0, execHistory: bad }), String(bad)).to.throw(/execHistory/);
      expect(() => new ExchangeCore({ market: MARKET, book: 'reference', indexIntervalMs: 0, execLogRows: bad }), String(bad)).to.throw(/execLogRows/);
    }
  });

  it('public trades per symbol and for all symbols carry no account ids; market data carries trades and L1', async () => {
    await setup();
    const aaa: PublicTrade[] = [];
    const star: PublicTrade[] = [];
    const md: MarketDataUpdate[] = [];
    core.subscribeTrades('AAA', (t) => aaa.push(t));
    core.subscribeTrades('*', (t) => star.push(t));
    core.subscribeMarketData('AAA', (u) => md.push(u));
    await tick();
    await core.executeAsync(order(2, 'SELL', 1_000, 10, 's1'));
    await core.executeAsync(order(2, 'SELL', 500, 10, 's2', 'BBB'));
    await core.executeAsync(order(1, 'BUY', 1_000, 4, 'b1'));
    await core.executeAsync(order(1, 'BUY', 500, 4, 'b2', 'BBB'));
    expect(aaa).to.have.length(1);
    expect(star.map((t) => t.symbol)).to.deep.equal(['AAA', 'BBB']);
    expect(Object.keys(aaa[0]!)).to.not.include.members(['buyAccountId', 'sellAccountId']);
    const last = md.at(-1)!;
    expect(last.trades.map((t) => t.qty)).to.deep.equal([4]);
    expect(last.l1).to.deep.include({ last: 1_000, volume: 4, ask: 1_000, askQty: 6 });
    for (let i = 1; i < md.length; i++) expect(md[i]!.prevMdSeq).to.equal(md[i - 1]!.mdSeq);
    expect(core.subscribeMarketData('NOPE', () => undefined)).to.have.property('close');
  });

  it('a burst in one turn yields one conflated market-data update per changed symbol', async () => {
    await setup();
    const md: MarketDataUpdate[] = [];
    core.subscribeMarketData('AAA', (u) => md.push(u));
    await tick();
    const ps: Promise<CommandResult>[] = [];
    for (let i = 0; i < 100; i++) ps.push(core.executeAsync(order(1, 'BUY', 900 + i, 1, `b${i}`)));
    await Promise.all(ps);
    expect(md).to.have.length(2);
    expect(md[1]!.bids[0]!.price).to.equal(999);
    expect(md[1]!.bids).to.have.length(10);
    expect(md[1]!.mdSeq - md[1]!.prevMdSeq).to.equal(100);
  });

  it('closes a full group mid-turn: its results and reports are released at once, in order; market data stays one update per turn', async () => {
    await setup(undefined, undefined, 10);
    const { got, execs, md } = watch();
    await tick();
    const seenAfter: number[] = [];
    for (let i = 0; i < 35; i++) {
      core.execute(order(1, 'BUY', 900 + i, 1, `g${i}`), (r) => got.push(r));
      seenAfter.push(got.length);
    }
    // with a synchronous log, each 10th command's execute() returns with its group released
    expect(seenAfter).to.deep.equal(Array.from({ length: 35 }, (_, i) => Math.floor((i + 1) / 10) * 10));
    expect(execs).to.have.length(30);
    expect(md).to.have.length(1); // the snapshot only: market data waits for the turn's last group
    await tick();
    expect(got.map((r) => r.order!.clientOrderId)).to.deep.equal(Array.from({ length: 35 }, (_, i) => `g${i}`));
    for (let i = 1; i < got.length; i++) expect(got[i]!.seq).to.equal(got[i - 1]!.seq + 1);
    for (let i = 1; i < execs.length; i++) expect(execs[i]!.accountSeq).to.equal(execs[i - 1]!.accountSeq + 1);
    expect(execs).to.have.length(35);
    expect(md).to.have.length(2);
    expect(md[1]).to.deep.include({ snapshot: false, prevMdSeq: md[0]!.mdSeq });
    expect(md[1]!.mdSeq - md[1]!.prevMdSeq).to.equal(35);
    expect(md[1]!.bids[0]!.price).to.equal(934);
  });

  it('commands executed from callbacks wait for the turn to end: one group is never released inside another', async () => {
    await setup(undefined, undefined, 3);
    const order_: number[] = [];
    const reports: ExecReport[] = [];
    core.subscribeExecutions(2, { fromSeq: 0 }, (r) => reports.push(r));
    let issued = 0;
    const next = (): void => {
      if (issued >= 40) return;
      const k = issued++;
      core.execute(order(2, 'BUY', 900 + (k % 50), 1, `r${k}`), (r) => {
        order_.push(r.seq);
        next(); // a bot that answers every ack with a new order
        next();
      });
    };
    for (let i = 0; i < 3; i++) next();
    for (let t = 0; t < 50 && order_.length < 40; t++) await tick();
    expect(order_).to.have.length(40);
    for (let i = 1; i < order_.length; i++) expect(order_[i]!, `result ${i}`).to.be.greaterThan(order_[i - 1]!);
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.accountSeq, `report ${i}`).to.equal(reports[i - 1]!.accountSeq + 1);
    expect(reports).to.have.length(40);
  });

  it('with a log that waits for the disk, a turn stays one group whatever its size', async () => {
    const log = new ManualLog();
    await setup(log, undefined, 5);
    const got: string[] = [];
    for (let i = 0; i < 12; i++) core.execute(order(1, 'BUY', 900 + i, 1, `m${i}`), (r) => got.push(r.order!.clientOrderId));
    expect(log.pending).to.have.length(0);
    await tick();
    expect(log.pending).to.have.length(1);
    log.complete();
    expect(got).to.have.length(12);
    expect(log.appended.map((c) => c.seq)).to.deep.equal(Array.from({ length: 14 }, (_, i) => i + 1));
  });

  for (const mode of ['write', 'fsync'] as const) {
    it(`with the journal in ${mode} mode: ${mode === 'write' ? 'full groups are written and released mid-turn' : 'one group (one sync) per turn'}`, async () => {
      const journal = JournalWriter.open({ dir: tmp(), mode });
      core = new ExchangeCore({ market: MARKET, book: 'reference', log: journal, indexIntervalMs: 0, maxGroupCommands: 8 });
      expect((await core.executeAsync({ type: 'createAccount', accountId: 1, cash: 100_000_000, positions: {} })).code).to.equal(Code.OK);
      const groups0 = journal.stats.groups;
      const got: number[] = [];
      for (let i = 0; i < 20; i++) core.execute(order(1, 'BUY', 900 + i, 1, `j${i}`), (r) => got.push(r.seq));
      expect(got).to.have.length(mode === 'write' ? 16 : 0);
      for (let t = 0; t < 100 && got.length < 20; t++) await new Promise((r) => setTimeout(r, 5));
      expect(got).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 2));
      expect(journal.stats.groups - groups0).to.equal(mode === 'write' ? 3 : 1);
      core.close();
      await journal.closeAsync();
    });
  }

  it('refuses a maxGroupCommands that is not an integer >= 1', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => new ExchangeCore({ market: MARKET, book: 'reference', indexIntervalMs: 0, maxGroupCommands: bad }), String(bad)).to.throw(/maxGroupCommands/);
    }
  });

  it('recomputes indices when a constituent moved and publishes to index subscribers; ranking stream', async () => {
    await setup();
    const views: IndexView[] = [];
    core.subscribeIndex('IDX', (v) => views.push(v));
    expect(views).to.have.length(1);
    expect(views[0]!.value).to.be.closeTo(1000, 1e-9);
    core.recomputeIndicesNow();
    expect(views).to.have.length(1); // nothing moved
    await core.executeAsync(order(2, 'SELL', 1_100, 1, 's'));
    await core.executeAsync(order(1, 'BUY', 1_100, 1, 'b'));
    core.recomputeIndicesNow();
    expect(views).to.have.length(2);
    expect(views[1]!.value).to.be.closeTo((1_600 / 1_500) * 1000, 1e-9);
    expect(views[1]!.changePercent).to.be.closeTo((1_600 / 1_500 - 1) * 100, 1e-9);
    expect(core.index('IDX')!.value).to.equal(views[1]!.value);
    expect(core.ranking('change', 2)[0]!.symbol).to.equal('AAA');
    expect(core.indexNames()).to.deep.equal(['IDX']);
  });

  it('runs the index timer every interval and stops it on close()', async () => {
    core = new ExchangeCore({ market: MARKET, book: 'reference', indexIntervalMs: 10 });
    await core.executeAsync({ type: 'createAccount', accountId: 1, cash: 10_000_000, positions: { AAA: 10 } });
    await core.executeAsync({ type: 'createAccount', accountId: 2, cash: 10_000_000 });
    const views: IndexView[] = [];
    core.subscribeIndex('IDX', (v) => views.push(v));
    await core.executeAsync(order(1, 'SELL', 1_050, 1, 's'));
    await core.executeAsync(order(2, 'BUY', 1_050, 1, 'b'));
    const deadline = Date.now() + 5_000;
    while (views.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(views.length).to.equal(2);
    core.close();
    expect((await core.executeAsync(order(2, 'BUY', 1_050, 1, 'late'))).code).to.equal(Code.SHUTTING_DOWN);
  });
});
