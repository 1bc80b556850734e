/**
 * Engine rules, one by one, on the deterministic Exchange: symbols config,
 * pre-trade checks (each reject code), settlement and fees, the order
 * lifecycle, queries and ownership, stops, halts, admin commands, market data
 * state and indices. Runs on the reference book and, when built, the native one.
 */
import { expect } from 'chai';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { AurexError, Code } from '../engine/codes.ts';
import { Exchange, type ExchangeOptions } from '../engine/exchange.ts';
import { loadMarketConfig, validateSymbolConfig, type MarketConfig } from '../engine/symbols.ts';
import { nativeAvailable } from '../engine/book-factory.ts';
import type { Command, CommandResult, ExecReport, NewOrderCmd, SymbolConfig, TradeEvent } from '../engine/types.ts';

const SYM = (over: Partial<SymbolConfig> = {}): SymbolConfig => ({
  symbol: 'AAA',
  name: 'Triple A',
  tickSize: 1,
  lotSize: 1,
  referencePrice: 10_000,
  bandPercent: 10,
  maxOrderQty: 10_000,
  maxOrderNotional: 50_000_000,
  makerFeeBps: 0,
  takerFeeBps: 0,
  indices: { IDX: 2 },
  ...over,
});

export const TEST_MARKET: MarketConfig = {
  indices: [{ name: 'IDX', base: 1000 }],
  symbols: [
    SYM(),
    SYM({ symbol: 'BBB', name: 'Bee', referencePrice: 5_000, lotSize: 10, tickSize: 5, indices: { IDX: 1 } }),
    SYM({ symbol: 'FEE', name: 'Fee Co', referencePrice: 1_000, makerFeeBps: 10, takerFeeBps: 25, indices: {} }),
  ],
};

class Harness {
  readonly ex: Exchange;
  seq = 0;
  ts = 1_000_000;
  execs: ExecReport[] = [];
  trades: TradeEvent[] = [];
  changed: string[] = [];
  constructor(opts: ExchangeOptions = {}) {
    this.ex = new Exchange({ market: TEST_MARKET, ...opts });
    this.ex.setListener({
      onExec: (r) => this.execs.push(r),
      onTrade: (t) => this.trades.push(t),
      onSymbolChanged: (s) => this.changed.push(s.symbol),
    });
  }
  run(cmd: Command, dtMs = 1): CommandResult {
    this.ts += dtMs;
    return this.ex.apply({ ...cmd, seq: ++this.seq, ts: this.ts } as Command);
  }
  account(id: number, cash: number, positions: Record<string, number> = {}): void {
    expect(this.run({ type: 'createAccount', accountId: id, cash, positions }).code).to.equal(Code.OK);
  }
  order(accountId: number, o: Partial<NewOrderCmd> & { side: 'BUY' | 'SELL'; qty: number }): CommandResult {
    return this.run({
      type: 'new',
      accountId,
      clientOrderId: o.clientOrderId ?? `c${this.seq + 1}`,
      symbol: o.symbol ?? 'AAA',
      side: o.side,
      kind: o.kind ?? 'LIMIT',
      price: o.price ?? 10_000,
      qty: o.qty,
      stopPrice: o.stopPrice,
      postOnly: o.postOnly,
    });
  }
  sound(): void {
    expect(this.ex.checkInvariants()).to.deep.equal([]);
  }
}

const impls: ('reference' | 'native')[] = nativeAvailable() ? ['reference', 'native'] : ['reference'];

describe('20 engine: symbols configuration', () => {
  it('ships a default market of ten large US stocks in the TOP10 index', () => {
    const m = loadMarketConfig();
    expect(m.symbols).to.have.length(10);
    expect(m.indices.map((i) => i.name)).to.deep.equal(['TOP10']);
    for (const s of m.symbols) expect(Object.keys(s.indices ?? {})).to.deep.equal(['TOP10']);
    const ex = new Exchange({ book: 'reference' });
    expect(ex.symbols().map((s) => s.symbol)).to.include.members(['AAPL', 'MSFT', 'NVDA']);
    expect(ex.index('TOP10')!.value).to.be.closeTo(1000, 1e-9);
  });

  it('rejects malformed symbol configs with INVALID_CONFIG naming the problem', () => {
    const bad: Partial<SymbolConfig>[] = [
      { symbol: 'lower' },
      { tickSize: 0 },
      { lotSize: 1.5 },
      { referencePrice: -1 },
      { bandPercent: 0 },
      { bandPercent: 10.123 },
      { maxOrderQty: 15, lotSize: 10 },
      { maxOrderNotional: 2 ** 53 },
      { makerFeeBps: 5000 },
      { indices: { 'bad name': 1 } },
    ];
    for (const over of bad) {
      expect(() => validateSymbolConfig(SYM(over)), JSON.stringify(over)).to.throw(AurexError).with.property('code', Code.INVALID_CONFIG);
    }
    expect(() => new Exchange({ book: 'reference', market: { indices: [], symbols: [SYM({ indices: {} }), SYM({ indices: {} })] } })).to.throw(/declared twice/);
  });

  it('loads a config file and reports unreadable or invalid files with a code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-sym-'));
    try {
      const f = path.join(dir, 's.json');
      fs.writeFileSync(f, JSON.stringify({ indices: [{ name: 'IDX', base: 100 }], symbols: [SYM()] }));
      expect(loadMarketConfig(f).symbols[0]!.symbol).to.equal('AAA');
      fs.writeFileSync(f, '{not json');
      expect(() => loadMarketConfig(f)).to.throw(AurexError).with.property('code', Code.INVALID_CONFIG);
      expect(() => loadMarketConfig(path.join(dir, 'missing.json'))).to.throw(AurexError).with.property('code', Code.INVALID_CONFIG);
      fs.writeFileSync(f, JSON.stringify({ symbols: [SYM({ indices: { NOPE: 1 } })] }));
      expect(() => loadMarketConfig(f)).to.throw(/undeclared index NOPE/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const book of impls) {
  describe(`20 engine rules (${book} book)`, () => {
    let h: Harness;
    beforeEach(() => {
      h = new Harness({ book, maxOpenOrdersPerAccount: 5, maxOrdersPerSecond: 50 });
      h.account(1, 100_000_000, { AAA: 1000, BBB: 1000, FEE: 1000 });
      h.account(2, 100_000_000, { AAA: 1000, BBB: 1000, FEE: 1000 });
    });
    afterEach(() => h.ex.close());

    describe('pre-trade checks, each with its own code', () => {
      const cases: [string, Partial<NewOrderCmd> & { side: 'BUY' | 'SELL'; qty: number }, Code][] = [
        ['unknown symbol', { symbol: 'ZZZ', side: 'BUY', qty: 1 }, Code.UNKNOWN_SYMBOL],
        ['price off tick', { side: 'BUY', qty: 1, price: 10_000.5 }, Code.PRICE_OFF_TICK],
        ['price above the band', { side: 'BUY', qty: 1, price: 11_001 }, Code.PRICE_OUTSIDE_BAND],
        ['price below the band', { side: 'SELL', qty: 1, price: 8_999 }, Code.PRICE_OUTSIDE_BAND],
        ['market collar outside the band', { side: 'BUY', qty: 1, kind: 'MARKET', price: 12_000 }, Code.PRICE_OUTSIDE_BAND],
        ['quantity off lot', { symbol: 'BBB', side: 'BUY', qty: 15, price: 5_000 }, Code.QUANTITY_OFF_LOT],
        ['fractional quantity', { side: 'BUY', qty: 1.5 }, Code.QUANTITY_OFF_LOT],
        ['quantity zero', { side: 'BUY', qty: 0 }, Code.QUANTITY_NOT_POSITIVE],
        ['quantity negative', { side: 'BUY', qty: -3 }, Code.QUANTITY_NOT_POSITIVE],
        ['quantity above max', { side: 'BUY', qty: 10_001 }, Code.QUANTITY_ABOVE_MAX],
        ['notional above max', { side: 'BUY', qty: 6_000, price: 10_000 }, Code.NOTIONAL_ABOVE_MAX],
        ['insufficient buying power', { side: 'BUY', qty: 4_000, price: 10_000, symbol: 'AAA' }, Code.INSUFFICIENT_BUYING_POWER],
        ['insufficient shares (no short selling)', { side: 'SELL', qty: 1_001 }, Code.INSUFFICIENT_SHARES],
      ];
      for (const [name, o, code] of cases) {
        it(name, () => {
          // account 3 is small so buying power binds before notional
          h.account(3, 30_000_000, { AAA: 1000 });
          const r = h.order(3, o);
          expect(r.code, name).to.equal(code);
          expect(r.order!.status).to.equal('REJECTED');
          expect(r.order!.code).to.equal(code);
          const ex = h.execs.at(-1)!;
          expect(ex.kind).to.equal('REJECTED');
          expect(ex.code).to.equal(code);
          expect(h.ex.account(3)!.reservedCash).to.equal(0);
          h.sound();
        });
      }

      it('unknown account', () => {
        expect(h.order(99, { side: 'BUY', qty: 1 }).code).to.equal(Code.UNKNOWN_ACCOUNT);
      });

      it('halted symbol: new orders and replaces rejected, resting orders stay and can be cancelled', () => {
        const rest = h.order(1, { side: 'BUY', qty: 10, price: 9_900 });
        expect(h.run({ type: 'halt', symbol: 'AAA' }).code).to.equal(Code.OK);
        expect(h.ex.isHalted('AAA')).to.equal(true);
        expect(h.ex.l1('AAA')!.halted).to.equal(true);
        expect(h.order(2, { side: 'SELL', qty: 10, price: 9_900 }).code).to.equal(Code.SYMBOL_HALTED);
        expect(h.run({ type: 'replace', accountId: 1, orderId: rest.order!.orderId, price: 9_950, qty: 10 }).code).to.equal(Code.SYMBOL_HALTED);
        expect(h.ex.openOrders(1)).to.have.length(1);
        expect(h.run({ type: 'resume', symbol: 'AAA' }).code).to.equal(Code.OK);
        expect(h.order(2, { side: 'SELL', qty: 10, price: 9_900 }).trades).to.have.length(1);
        expect(h.run({ type: 'halt', symbol: 'NOPE' }).code).to.equal(Code.UNKNOWN_SYMBOL);
        h.sound();
      });

      it('duplicate client order id returns the existing order instead of a second one', () => {
        const a = h.order(1, { side: 'BUY', qty: 10, price: 9_900, clientOrderId: 'dup-1' });
        const b = h.order(1, { side: 'BUY', qty: 99, price: 9_800, clientOrderId: 'dup-1' });
        expect(b.code).to.equal(Code.DUPLICATE_CLIENT_ORDER_ID);
        expect(b.duplicate).to.equal(true);
        expect(b.order).to.deep.include({ orderId: a.order!.orderId, qty: 10, price: 9_900, clientOrderId: 'dup-1' });
        expect(h.ex.openOrders(1)).to.have.length(1);
        // Another account may use the same client id.
        expect(h.order(2, { side: 'SELL', qty: 1, price: 10_500, clientOrderId: 'dup-1' }).code).to.equal(Code.OK);
        h.sound();
      });

      it('too many open orders per account', () => {
        for (let i = 0; i < 5; i++) expect(h.order(1, { side: 'BUY', qty: 1, price: 9_000 + i }).code).to.equal(Code.OK);
        expect(h.order(1, { side: 'BUY', qty: 1, price: 9_000 }).code).to.equal(Code.TOO_MANY_OPEN_ORDERS);
        h.sound();
      });

      it('the exchange-wide limit of live orders (maxKnownOrders): BOOK_FULL before any reservation, room again once an order closes', () => {
        const k = new Harness({ book, maxKnownOrders: 3, retainTerminalOrders: 0 });
        k.account(1, 1_000_000_000, { AAA: 1_000 });
        k.account(2, 1_000_000_000, { AAA: 1_000 });
        for (let i = 0; i < 3; i++) expect(k.order(1 + (i % 2), { side: 'BUY', qty: 1, price: 9_000 + i }).code).to.equal(Code.OK);
        const before = k.ex.account(2)!;
        const full = k.order(2, { side: 'SELL', qty: 5, price: 10_500, clientOrderId: 'over' });
        expect(full.code).to.equal(Code.BOOK_FULL);
        expect(full.order).to.deep.include({ orderId: 0, status: 'REJECTED', code: Code.BOOK_FULL }); // a risk reject: no id consumed
        expect(k.ex.account(2)).to.deep.equal(before); // nothing reserved
        k.sound();
        // a cancel frees the live slot: the next order fits, and the refused client id is free
        const victim = k.ex.openOrders(1)[0]!;
        expect(k.run({ type: 'cancel', accountId: 1, orderId: victim.orderId }).code).to.equal(Code.OK);
        expect(k.order(2, { side: 'SELL', qty: 5, price: 10_500, clientOrderId: 'over' }).code).to.equal(Code.OK);
        k.sound();
        // a snapshot restores only into an exchange that may hold its orders
        const snap = k.ex.snapshot();
        const small = new Exchange({ market: TEST_MARKET, book, maxKnownOrders: 2 });
        expect(() => small.restore(snap)).to.throw(AurexError).with.property('code', Code.INVALID_ARGUMENT);
        const same = new Exchange({ market: TEST_MARKET, book, maxKnownOrders: 3, retainTerminalOrders: 0 });
        same.restore(snap);
        expect(same.stateHash()).to.equal(k.ex.stateHash());
        for (const bad of [0, -1, 1.5, 2 ** 24 + 1, Number.NaN]) {
          expect(() => new Exchange({ market: TEST_MARKET, book, maxKnownOrders: bad }), String(bad)).to.throw(AurexError).with.property('code', Code.INVALID_ARGUMENT);
        }
        for (const e of [small, same]) e.close();
        k.ex.close();
      });

      it('per-account order rate (per second of command time)', () => {
        let last = Code.OK;
        let ok = 0;
        for (let i = 0; i < 60; i++) {
          const r = h.run(
            { type: 'new', accountId: 2, clientOrderId: `r${i}`, symbol: 'AAA', side: 'BUY', kind: 'IOC', price: 9_000, qty: 1 },
            0,
          );
          last = r.code;
          if (r.code === Code.OK) ok++;
        }
        expect(ok).to.equal(50);
        expect(last).to.equal(Code.ORDER_RATE_EXCEEDED);
        h.ts += 1000; // next second
        expect(h.order(2, { side: 'BUY', kind: 'IOC', qty: 1, price: 9_000 }).code).to.equal(Code.OK);
      });
    });

    describe('settlement, reservations and fees', () => {
      it('a buy reserves price x qty; fills settle both sides atomically at the maker price', () => {
        const sell = h.order(2, { side: 'SELL', qty: 100, price: 9_950 });
        expect(h.ex.account(2)!.positions.find((p) => p.symbol === 'AAA')).to.deep.include({ shares: 1000, reserved: 100, available: 900 });
        const buy = h.order(1, { side: 'BUY', qty: 150, price: 10_000 });
        expect(buy.trades).to.have.length(1);
        expect(buy.trades![0]).to.deep.include({ price: 9_950, qty: 100, buyAccountId: 1, sellAccountId: 2, aggressor: 'BUY', buyOrderId: buy.order!.orderId, sellOrderId: sell.order!.orderId });
        const a1 = h.ex.account(1)!;
        expect(a1.cash).to.equal(100_000_000 - 995_000);
        expect(a1.reservedCash).to.equal(50 * 10_000); // the remainder at its limit; price improvement released
        expect(a1.positions.find((p) => p.symbol === 'AAA')!.shares).to.equal(1100);
        const a2 = h.ex.account(2)!;
        expect(a2.cash).to.equal(100_000_000 + 995_000);
        expect(a2.positions.find((p) => p.symbol === 'AAA')).to.deep.include({ shares: 900, reserved: 0 });
        expect(buy.order).to.deep.include({ status: 'PARTIALLY_FILLED', filledQty: 100, remainingQty: 50, filledNotionalTicks: 995_000 });
        h.sound();
      });

      it('cash uses tick size: cash = ticks x tickSize x qty', () => {
        h.order(2, { symbol: 'BBB', side: 'SELL', qty: 20, price: 5_000 });
        h.order(1, { symbol: 'BBB', side: 'BUY', qty: 20, price: 5_000 });
        expect(h.ex.account(1)!.cash).to.equal(100_000_000 - 5_000 * 5 * 20);
        h.sound();
      });

      it('a market buy reserves qty x collar (band high) and never fills above it', () => {
        h.order(2, { side: 'SELL', qty: 10, price: 10_500 });
        h.order(2, { side: 'SELL', qty: 10, price: 11_000 });
        const r = h.order(1, { side: 'BUY', kind: 'MARKET', qty: 30, price: 0 });
        expect(r.order!.price).to.equal(11_000); // the collar
        expect(r.trades!.map((t) => t.price)).to.deep.equal([10_500, 11_000]);
        expect(r.order).to.deep.include({ status: 'CANCELLED', code: Code.CANCEL_MARKET_REMAINDER, filledQty: 20 });
        expect(h.ex.account(1)!.reservedCash).to.equal(0);
        // the band now moves with the last price (11,000 -> high 12,100)
        const r2 = h.order(1, { side: 'BUY', kind: 'MARKET', qty: 5, price: 11_500 });
        expect(r2.order).to.deep.include({ status: 'CANCELLED', code: Code.CANCEL_NO_LIQUIDITY, filledQty: 0 });
        h.sound();
      });

      it('maker/taker fees: floor(notional x bps / 10000), buyer pays on top, seller receives net; cash + fees conserved', () => {
        const total0 = h.ex.totalCash();
        h.order(2, { symbol: 'FEE', side: 'SELL', qty: 333, price: 1_001 }); // maker
        const r = h.order(1, { symbol: 'FEE', side: 'BUY', qty: 333, price: 1_001 }); // taker
        const notional = 1_001 * 333;
        const t = r.trades![0]!;
        expect(t.buyFee).to.equal(Math.floor((notional * 25) / 10000));
        expect(t.sellFee).to.equal(Math.floor((notional * 10) / 10000));
        expect(h.ex.account(1)!.cash).to.equal(100_000_000 - notional - t.buyFee);
        expect(h.ex.account(2)!.cash).to.equal(100_000_000 + notional - t.sellFee);
        expect(h.ex.totalFeesCollected()).to.equal(t.buyFee + t.sellFee);
        expect(h.ex.totalCash()).to.equal(total0);
        const fills = h.execs.filter((e) => e.kind === 'FILL');
        expect(fills.map((f) => [f.accountId, f.liquidity, f.fee])).to.deep.equal([
          [2, 'MAKER', t.sellFee],
          [1, 'TAKER', t.buyFee],
        ]);
        h.sound();
      });

      it('a buy with fees reserves the worst-case fee too, so buying power is never overstated', () => {
        h.account(5, 1_000 * 100 + 250, {});
        // 100 @ 1000 needs 100,000 + floor(100,000 x 25 / 10000) = 100,250
        expect(h.order(5, { symbol: 'FEE', side: 'BUY', qty: 100, price: 1_000 }).code).to.equal(Code.OK);
        expect(h.ex.account(5)!.availableCash).to.equal(0);
        h.account(6, 1_000 * 100 + 249, {});
        expect(h.order(6, { symbol: 'FEE', side: 'BUY', qty: 100, price: 1_000 }).code).to.equal(Code.INSUFFICIENT_BUYING_POWER);
        h.sound();
      });

      it('cancels release the reservation', () => {
        const r = h.order(1, { side: 'BUY', qty: 100, price: 10_000 });
        expect(h.ex.account(1)!.reservedCash).to.equal(1_000_000);
        const c = h.run({ type: 'cancel', accountId: 1, orderId: r.order!.orderId });
        expect(c.code).to.equal(Code.OK);
        expect(c.order).to.deep.include({ status: 'CANCELLED', code: Code.CANCEL_BY_USER });
        expect(h.ex.account(1)!.reservedCash).to.equal(0);
        expect(h.run({ type: 'cancel', accountId: 1, orderId: r.order!.orderId }).code).to.equal(Code.ORDER_NOT_OPEN);
        h.sound();
      });

      it('deposits, withdrawals and position adjustments respect availability', () => {
        h.order(1, { side: 'BUY', qty: 100, price: 10_000 });
        expect(h.run({ type: 'deposit', accountId: 1, amount: -99_000_001 }).code).to.equal(Code.INSUFFICIENT_CASH);
        expect(h.run({ type: 'deposit', accountId: 1, amount: -99_000_000 }).code).to.equal(Code.OK);
        expect(h.ex.account(1)!.availableCash).to.equal(0);
        h.order(2, { side: 'SELL', qty: 600, price: 10_500 });
        expect(h.run({ type: 'adjustPosition', accountId: 2, symbol: 'AAA', delta: -401 }).code).to.equal(Code.INSUFFICIENT_SHARES);
        expect(h.run({ type: 'adjustPosition', accountId: 2, symbol: 'AAA', delta: -400 }).code).to.equal(Code.OK);
        expect(h.run({ type: 'adjustPosition', accountId: 2, symbol: 'NOPE', delta: 1 }).code).to.equal(Code.UNKNOWN_SYMBOL);
        expect(h.run({ type: 'deposit', accountId: 42, amount: 1 }).code).to.equal(Code.UNKNOWN_ACCOUNT);
        expect(h.run({ type: 'createAccount', accountId: 1, cash: 1 }).code).to.equal(Code.ACCOUNT_EXISTS);
        expect(h.run({ type: 'createAccount', accountId: 7, cash: 1, positions: { NOPE: 1 } }).code).to.equal(Code.UNKNOWN_SYMBOL);
        h.sound();
      });
    });

    describe('order lifecycle, queries and ownership', () => {
      it('NEW/OPEN -> PARTIALLY_FILLED -> FILLED with exec reports in per-account sequence', () => {
        const s = h.order(2, { side: 'SELL', qty: 100, price: 10_000, clientOrderId: 'sell-1' });
        expect(s.order!.status).to.equal('OPEN');
        h.order(1, { side: 'BUY', qty: 40, price: 10_000 });
        expect(h.ex.getOrder(2, { clientOrderId: 'sell-1' })).to.deep.include({ status: 'PARTIALLY_FILLED', filledQty: 40, remainingQty: 60 });
        h.order(1, { side: 'BUY', qty: 60, price: 10_000 });
        const v = h.ex.getOrder(2, { orderId: s.order!.orderId })!;
        expect(v).to.deep.include({ status: 'FILLED', filledQty: 100, remainingQty: 0, filledNotionalTicks: 1_000_000 });
        const mine = h.execs.filter((e) => e.accountId === 2);
        expect(mine.map((e) => e.kind)).to.deep.equal(['ACCEPTED', 'FILL', 'FILL']);
        expect(mine.map((e) => e.accountSeq)).to.deep.equal([1, 2, 3]);
        expect(mine.every((e) => e.clientOrderId === 'sell-1')).to.equal(true);
        expect(h.ex.orderTrades(s.order!.orderId).map((t) => t.qty)).to.deep.equal([40, 60]);
        expect(h.ex.accountTrades(1).length).to.equal(2);
        expect(h.ex.accountTrades(1, { limit: 1 })[0]!.qty).to.equal(60);
        expect(h.ex.openOrders(2)).to.deep.equal([]);
        h.sound();
      });

      it('IOC remainder and FOK not fillable are cancelled with their reasons; post-only crossing is rejected', () => {
        h.order(2, { side: 'SELL', qty: 10, price: 10_000 });
        const ioc = h.order(1, { side: 'BUY', kind: 'IOC', qty: 15, price: 10_000 });
        expect(ioc.order).to.deep.include({ status: 'CANCELLED', code: Code.CANCEL_IOC_REMAINDER, filledQty: 10 });
        h.order(2, { side: 'SELL', qty: 10, price: 10_000 });
        const fok = h.order(1, { side: 'BUY', kind: 'FOK', qty: 15, price: 10_000 });
        expect(fok.order).to.deep.include({ status: 'CANCELLED', code: Code.CANCEL_FOK_NOT_FILLABLE, filledQty: 0 });
        const po = h.order(1, { side: 'BUY', qty: 5, price: 10_000, postOnly: true });
        expect(po.order).to.deep.include({ status: 'REJECTED', code: Code.POST_ONLY_WOULD_CROSS });
        expect(h.ex.account(1)!.reservedCash).to.equal(0);
        h.sound();
      });

      it('an account may only see and act on its own orders', () => {
        const r = h.order(1, { side: 'BUY', qty: 10, price: 9_900, clientOrderId: 'mine' });
        expect(h.ex.getOrder(2, { orderId: r.order!.orderId })).to.equal(undefined);
        expect(h.ex.getOrder(2, { clientOrderId: 'mine' })).to.equal(undefined);
        expect(h.run({ type: 'cancel', accountId: 2, orderId: r.order!.orderId }).code).to.equal(Code.NOT_ORDER_OWNER);
        expect(h.run({ type: 'replace', accountId: 2, orderId: r.order!.orderId, price: 9_800, qty: 5 }).code).to.equal(Code.NOT_ORDER_OWNER);
        expect(h.run({ type: 'cancel', accountId: 2, clientOrderId: 'mine' }).code).to.equal(Code.UNKNOWN_ORDER);
        expect(h.ex.orderTrades(r.order!.orderId, 2)).to.deep.equal([]);
        expect(h.ex.openOrders(2)).to.deep.equal([]);
        expect(h.ex.openOrders(1).map((o) => o.clientOrderId)).to.deep.equal(['mine']);
      });

      it('replace: re-prices and re-sizes with reservation changes, may trade, keeps the order id', () => {
        const r = h.order(1, { side: 'BUY', qty: 10, price: 9_900 });
        const id = r.order!.orderId;
        let x = h.run({ type: 'replace', accountId: 1, orderId: id, price: 9_950, qty: 20 });
        expect(x.code).to.equal(Code.OK);
        expect(x.order).to.deep.include({ orderId: id, price: 9_950, qty: 20, remainingQty: 20, status: 'OPEN' });
        expect(h.ex.account(1)!.reservedCash).to.equal(9_950 * 20);
        expect(h.execs.at(-1)!.kind).to.equal('REPLACED');
        h.order(2, { side: 'SELL', qty: 5, price: 10_000 });
        x = h.run({ type: 'replace', accountId: 1, orderId: id, price: 10_000, qty: 20 });
        expect(x.trades).to.have.length(1);
        expect(x.order).to.deep.include({ filledQty: 5, remainingQty: 15, status: 'PARTIALLY_FILLED' });
        expect(h.run({ type: 'deposit', accountId: 1, amount: -(h.ex.account(1)!.availableCash - 1_000) }).code).to.equal(Code.OK);
        expect(h.run({ type: 'replace', accountId: 1, orderId: id, price: 10_000, qty: 16 }).code).to.equal(Code.INSUFFICIENT_BUYING_POWER);
        expect(h.run({ type: 'replace', accountId: 1, orderId: id, price: 12_000, qty: 5 }).code).to.equal(Code.PRICE_OUTSIDE_BAND);
        expect(h.ex.account(1)!.reservedCash).to.equal(10_000 * 15);
        h.sound();
      });

      it('mass cancel (and expiry) of an account, optionally per symbol', () => {
        h.order(1, { side: 'BUY', qty: 1, price: 9_900 });
        h.order(1, { side: 'BUY', qty: 1, price: 9_800 });
        h.order(1, { symbol: 'BBB', side: 'BUY', qty: 10, price: 4_900 });
        const r = h.run({ type: 'massCancel', accountId: 1, symbol: 'AAA', reason: Code.CANCEL_ON_DISCONNECT });
        expect(r.cancelled).to.equal(2);
        expect(h.ex.openOrders(1).map((o) => o.symbol)).to.deep.equal(['BBB']);
        const e = h.run({ type: 'massCancel', accountId: 1, reason: Code.CANCEL_EXPIRED });
        expect(e.cancelled).to.equal(1);
        const last = h.execs.at(-1)!;
        expect(last).to.deep.include({ kind: 'EXPIRED', status: 'EXPIRED', code: Code.CANCEL_EXPIRED });
        expect(h.ex.account(1)!.reservedCash).to.equal(0);
        h.sound();
      });

      it('self-trade prevention cancels the resting order of the same account', () => {
        const rest = h.order(1, { side: 'SELL', qty: 10, price: 10_000 });
        const r = h.order(1, { side: 'BUY', qty: 10, price: 10_000 });
        expect(r.trades).to.equal(undefined);
        expect(h.ex.getOrder(1, { orderId: rest.order!.orderId })).to.deep.include({ status: 'CANCELLED', code: Code.CANCEL_SELF_TRADE_RESTING });
        h.sound();
      });
    });

    describe('stops', () => {
      it('a buy stop is held outside the book and triggers on the last trade price, entering as market', () => {
        const st = h.order(1, { side: 'BUY', kind: 'STOP', qty: 10, stopPrice: 10_100, price: 0 });
        expect(st.order).to.deep.include({ status: 'NEW', stopPrice: 10_100 });
        expect(h.ex.book('AAA', 5)!.bids).to.deep.equal([]);
        expect(h.ex.account(1)!.reservedCash).to.equal(10 * Math.floor((10_100 * 11_000) / 10_000));
        h.order(2, { side: 'SELL', qty: 5, price: 10_100 });
        h.order(2, { side: 'SELL', qty: 20, price: 10_150 });
        // a print at 10,100 triggers the stop in the same command
        const t = h.order(1, { side: 'BUY', qty: 5, price: 10_100, clientOrderId: 'trigger' });
        expect(t.trades!.map((x) => [x.price, x.qty])).to.deep.equal([
          [10_100, 5],
          [10_150, 10],
        ]);
        expect(h.ex.getOrder(1, { orderId: st.order!.orderId })).to.deep.include({ status: 'FILLED', filledQty: 10 });
        const kinds = h.execs.filter((e) => e.orderId === st.order!.orderId).map((e) => e.kind);
        expect(kinds).to.deep.equal(['ACCEPTED', 'TRIGGERED', 'FILL']);
        h.sound();
      });

      it('a sell stop-limit triggers on a print at or below its stop and rests as a limit; untriggered stops can be cancelled', () => {
        const st = h.order(2, { side: 'SELL', kind: 'STOP_LIMIT', qty: 10, stopPrice: 9_900, price: 9_850 });
        const other = h.order(2, { side: 'SELL', kind: 'STOP', qty: 10, stopPrice: 9_000 });
        expect(h.ex.account(2)!.positions.find((p) => p.symbol === 'AAA')!.reserved).to.equal(20);
        expect(h.run({ type: 'replace', accountId: 2, orderId: st.order!.orderId, price: 9_800, qty: 10 }).code).to.equal(Code.REPLACE_NOT_ALLOWED);
        h.order(1, { side: 'BUY', qty: 1, price: 9_900 });
        h.order(2, { side: 'SELL', qty: 1, price: 9_900 }); // prints at 9,900: triggers the stop-limit
        expect(h.ex.getOrder(2, { orderId: st.order!.orderId })).to.deep.include({ status: 'OPEN', price: 9_850 });
        expect(h.ex.book('AAA', 5)!.asks[0]).to.deep.include({ price: 9_850, qty: 10 });
        // once triggered and resting, a stop-limit can be replaced like a limit
        expect(h.run({ type: 'replace', accountId: 2, orderId: st.order!.orderId, price: 9_870, qty: 10 }).code).to.equal(Code.OK);
        const c = h.run({ type: 'cancel', accountId: 2, orderId: other.order!.orderId });
        expect(c.order).to.deep.include({ status: 'CANCELLED', code: Code.CANCEL_BY_USER });
        expect(h.ex.account(2)!.positions.find((p) => p.symbol === 'AAA')!.reserved).to.equal(10);
        h.sound();
      });
    });

    describe('admin and market data state', () => {
      it('adds a symbol at runtime (index divisor keeps the index continuous); rejects duplicates and bad configs', () => {
        const before = h.ex.marketIndex('IDX')!.compute(h.ts, h.seq).value;
        // existing accounts' money and positions (one exchange-wide table, re-laid out for the new symbol) survive
        h.order(1, { side: 'SELL', qty: 7, price: 10_300 });
        h.order(2, { side: 'BUY', qty: 5, price: 9_900 });
        const accountsBefore = [1, 2].map((a) => h.ex.account(a)!);
        expect(accountsBefore.every((a) => a.reservedCash > 0 || a.positions.some((p) => p.reserved > 0))).to.equal(true);
        expect(h.run({ type: 'addSymbol', config: SYM({ symbol: 'NEW', referencePrice: 2_000, indices: { IDX: 3 } }) }).code).to.equal(Code.OK);
        expect([1, 2].map((a) => h.ex.account(a)!)).to.deep.equal(accountsBefore);
        expect(h.ex.marketIndex('IDX')!.compute(h.ts, h.seq).value).to.be.closeTo(before, 1e-9);
        expect(h.run({ type: 'addSymbol', config: SYM({ symbol: 'NEW' }) }).code).to.equal(Code.SYMBOL_EXISTS);
        expect(h.run({ type: 'addSymbol', config: SYM({ symbol: 'BAD', tickSize: 0 }) }).code).to.equal(Code.INVALID_CONFIG);
        expect(h.run({ type: 'addSymbol', config: SYM({ symbol: 'BAD', indices: { NOPE: 1 } }) }).code).to.equal(Code.UNKNOWN_INDEX);
        expect(h.run({ type: 'adjustPosition', accountId: 1, symbol: 'NEW', delta: 100 }).code).to.equal(Code.OK);
        expect(h.order(1, { symbol: 'NEW', side: 'SELL', qty: 10, price: 2_000 }).code).to.equal(Code.OK);
        expect(h.order(2, { symbol: 'NEW', side: 'BUY', qty: 10, price: 2_000 }).trades).to.have.length(1);
        h.sound();
      });

      it('L1/L2 state: last, bid/ask with sizes, volume, turnover, open/high/low, change %, md sequence per symbol', () => {
        h.order(2, { side: 'SELL', qty: 10, price: 10_100 });
        h.order(2, { side: 'SELL', qty: 10, price: 10_200 });
        h.order(1, { side: 'BUY', qty: 7, price: 9_900 });
        h.order(1, { side: 'BUY', qty: 3, price: 9_900 });
        h.order(1, { side: 'BUY', qty: 15, price: 10_200 });
        const l1 = h.ex.l1('AAA')!;
        expect(l1).to.deep.include({ last: 10_200, lastQty: 5, bid: 9_900, bidQty: 10, ask: 10_200, askQty: 5, volume: 15, turnoverTicks: 10 * 10_100 + 5 * 10_200, open: 10_100, high: 10_200, low: 10_100, reference: 10_000 });
        expect(l1.mdSeq).to.equal(5);
        expect(h.ex.book('AAA', 10)!.bids).to.deep.equal([{ price: 9_900, qty: 10, orders: 2 }]);
        expect(h.ex.l1('BBB')!.mdSeq).to.equal(0);
        expect(h.ex.ranking('change', 1)[0]!.symbol).to.equal('AAA');
        expect(h.ex.ranking('change', 1)[0]!.changePercent).to.be.closeTo(2, 1e-9);
        expect(h.ex.ranking('volume', 3).map((r) => r.volume)).to.deep.equal([15, 0, 0]);
        const snap = h.ex.marketSnapshot('AAA', 1)!;
        expect(snap).to.deep.include({ snapshot: true, mdSeq: 5 });
        expect(snap.asks).to.have.length(1);
      });

      it('index: sum(price x weight) / divisor from base; contributions and change per constituent', () => {
        const idx = h.ex.marketIndex('IDX')!;
        expect(idx.compute(h.ts, h.seq).value).to.be.closeTo(1000, 1e-9);
        expect(idx.moved()).to.equal(false);
        h.order(2, { side: 'SELL', qty: 10, price: 11_000 });
        h.order(1, { side: 'BUY', qty: 10, price: 11_000 });
        expect(idx.moved()).to.equal(true);
        const v = idx.compute(h.ts, h.seq);
        // AAA weight 2 at 10,000 x 1, BBB weight 1 at 5,000 x 5: raw 45,000 -> divisor 45; AAA +1,000 x 2 -> 47,000 / 45
        expect(v.value).to.be.closeTo((47_000 / 45_000) * 1000, 1e-9);
        expect(v.changePoints).to.be.closeTo(v.value - 1000, 1e-9);
        expect(v.high).to.equal(v.value);
        const aaa = v.constituents.find((c) => c.symbol === 'AAA')!;
        expect(aaa).to.deep.include({ last: 11_000, weight: 2 });
        expect(aaa.changePercent).to.be.closeTo(10, 1e-9);
        expect(aaa.contribution).to.be.closeTo((11_000 * 2) / 45, 1e-9);
      });
    });
  });
}
