/**
 * The engine's enum codes are one table each (engine/order.ts), and several of
 * them are stored: journal records, snapshot files and PostgreSQL rows carry
 * these numbers. The expected arrays below are written out by hand on purpose:
 * reordering a table would make existing files and rows read back as other
 * kinds or statuses, so it has to fail here first.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import {
  BUY,
  EXEC_KIND_NAMES,
  K_FOK,
  K_IOC,
  K_LIMIT,
  K_MARKET,
  K_STOP,
  K_STOP_LIMIT,
  KIND_NAMES,
  kindCode,
  SELL,
  SIDE_NAMES,
  ST_CANCELLED,
  ST_EXPIRED,
  ST_FILLED,
  ST_NEW,
  ST_OPEN,
  ST_PARTIAL,
  ST_REJECTED,
  STATUS_NAMES,
  X_ACCEPTED,
  X_CANCELLED,
  X_EXPIRED,
  X_FILL,
  X_REJECTED,
  X_REPLACED,
  X_TRIGGERED,
} from '../engine/order.ts';
import { ByteReader, ByteWriter } from '../engine/journal/byte-buffer.ts';
import { decodeCommand, encodeCommand } from '../engine/journal/command-codec.ts';
import { decodeExchangeSnapshot, encodeExchangeSnapshot, snapshotFormat } from '../engine/journal/snapshot-codec.ts';
import { PG_ORDER_KINDS, PG_ORDER_TYPE } from '../engine/persistence/pg-codes.ts';
import { OC_ID, OC_KIND, OC_SIDE, OC_STATUS, ORDER_W } from '../engine/snapshot.ts';
import { Exchange } from '../engine/exchange.ts';
import type { Command, ExecKind, NewOrderCmd, OrderKind, OrderStatus, Side } from '../engine/types.ts';
import { bandHighOf, bandLowOf, MAX_PRICE_TICKS } from '../engine/symbols.ts';
import { MAX_PRICE_TICKS_LIMIT } from '../engine/book/validate.ts';
import { checkQty } from '../engine/risk.ts';
import { checkQuantity } from '../engine/order-rules.ts';
import { SymbolEngine } from '../engine/symbol-engine.ts';
import { createBook } from '../engine/book/index.ts';

const SIDES: Side[] = ['BUY', 'SELL'];
const KINDS: OrderKind[] = ['LIMIT', 'MARKET', 'IOC', 'FOK', 'STOP', 'STOP_LIMIT'];
const STATUSES: OrderStatus[] = ['NEW', 'OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED'];
const EXEC_KINDS: ExecKind[] = ['ACCEPTED', 'REJECTED', 'FILL', 'CANCELLED', 'REPLACED', 'TRIGGERED', 'EXPIRED'];
/** orders.type in PostgreSQL (sql/1000_trading.sql): MARKET first. */
const PG_TYPES: OrderKind[] = ['MARKET', 'LIMIT', 'IOC', 'FOK', 'STOP', 'STOP_LIMIT'];

describe('20 engine enum codes (one table each, stable encodings)', () => {
  it('the engine tables are fixed, and each name -> code switch and code constant agrees with its table', () => {
    expect(SIDE_NAMES).to.deep.equal(SIDES);
    expect([BUY, SELL]).to.deep.equal([0, 1]);
    expect(KIND_NAMES).to.deep.equal(KINDS);
    expect([K_LIMIT, K_MARKET, K_IOC, K_FOK, K_STOP, K_STOP_LIMIT]).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(STATUS_NAMES).to.deep.equal(STATUSES);
    expect([ST_NEW, ST_OPEN, ST_PARTIAL, ST_FILLED, ST_CANCELLED, ST_REJECTED, ST_EXPIRED]).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(EXEC_KIND_NAMES).to.deep.equal(EXEC_KINDS);
    KINDS.forEach((k, i) => expect(kindCode(k), k).to.equal(i));
    expect([X_ACCEPTED, X_REJECTED, X_FILL, X_CANCELLED, X_REPLACED, X_TRIGGERED, X_EXPIRED].map((x) => EXEC_KIND_NAMES[x])).to.deep.equal(EXEC_KINDS);
  });

  it('journal: side and kind bytes of a new-order record are the engine codes, and an unknown kind is not encoded', () => {
    // [tag u8][seq f64][ts f64][accountId, price, qty, stopPrice f64][side u8][kind u8]...
    const SIDE_AT = 1 + 8 + 8 + 4 * 8;
    for (const side of SIDES) {
      for (const kind of KINDS) {
        const cmd: NewOrderCmd = { type: 'new', seq: 3, ts: 4, accountId: 1, clientOrderId: 'c', symbol: 'S', side, kind, price: 100, qty: 10 };
        const w = new ByteWriter(16);
        encodeCommand(w, cmd);
        const bytes = Buffer.from(w.view());
        expect(bytes[SIDE_AT], `${side} ${kind}`).to.equal(SIDES.indexOf(side));
        expect(bytes[SIDE_AT + 1], `${side} ${kind}`).to.equal(KINDS.indexOf(kind));
        expect(decodeCommand(new ByteReader(bytes))).to.deep.equal(cmd);
      }
    }
    const bad = { type: 'new', seq: 3, ts: 4, accountId: 1, clientOrderId: 'c', symbol: 'S', side: 'BUY', kind: 'ICEBERG', price: 100, qty: 10 };
    expect(() => encodeCommand(new ByteWriter(16), bad as unknown as NewOrderCmd)).to.throw(TypeError, /unknown order kind/);
  });

  it('snapshot: the side, kind and status numbers stored for each order are the engine codes', () => {
    const S = { symbol: 'S', name: 'S', tickSize: 1, lotSize: 1, referencePrice: 1_000, bandPercent: 10, maxOrderQty: 1_000, maxOrderNotional: 1e9 };
    const ex = new Exchange({ market: { symbols: [S], indices: [] }, book: 'reference' });
    let seq = 0;
    const run = (c: object) => ex.apply({ ...c, seq: ++seq, ts: 1_000 + seq } as Command);
    const order = (accountId: number, side: Side, kind: OrderKind, price: number, qty: number, more: object = {}) =>
      run({ type: 'new', accountId, clientOrderId: `c${seq}`, symbol: 'S', side, kind, price, qty, ...more });
    run({ type: 'createAccount', accountId: 1, cash: 1e9, positions: { S: 10_000 } });
    run({ type: 'createAccount', accountId: 2, cash: 1e9, positions: { S: 10_000 } });
    order(1, 'SELL', 'LIMIT', 1_000, 10);
    order(2, 'BUY', 'LIMIT', 1_000, 4); // FILLED (the sell is partially filled)
    order(2, 'BUY', 'STOP', 0, 1, { stopPrice: 1_050 }); // NEW until triggered
    order(2, 'BUY', 'STOP_LIMIT', 1_060, 1, { stopPrice: 1_060 });
    const c = order(1, 'SELL', 'LIMIT', 1_010, 5);
    run({ type: 'cancel', accountId: 1, orderId: c.order!.orderId }); // CANCELLED
    order(2, 'BUY', 'IOC', 990, 5);
    order(2, 'BUY', 'FOK', 1_000, 100);
    order(2, 'BUY', 'MARKET', 0, 2);
    order(2, 'BUY', 'LIMIT', 1_000, 1, { postOnly: true }); // REJECTED by the book (it would cross)
    run({ type: 'massCancel', accountId: 1, reason: Code.CANCEL_EXPIRED }); // the partially filled sell: EXPIRED
    order(1, 'SELL', 'LIMIT', 1_030, 5);
    order(2, 'BUY', 'LIMIT', 1_030, 2); // the sell above: PARTIALLY_FILLED
    order(1, 'SELL', 'LIMIT', 1_020, 1); // OPEN

    const bytes = encodeExchangeSnapshot(ex.snapshot());
    expect(snapshotFormat(bytes)).to.equal('binary');
    const back = decodeExchangeSnapshot(bytes);
    // The decoded columns are read from the payload: they are the numbers in the file.
    const { count, num } = back.orders;
    const seen = { kinds: new Set<OrderKind>(), statuses: new Set<OrderStatus>(), sides: new Set<Side>() };
    for (let i = 0; i < count; i++) {
      const b = i * ORDER_W;
      const v = ex.orderById(num[b + OC_ID]!)!;
      expect([num[b + OC_SIDE], num[b + OC_KIND], num[b + OC_STATUS]], `order ${v.orderId}`).to.deep.equal([
        SIDES.indexOf(v.side),
        KINDS.indexOf(v.kind),
        STATUSES.indexOf(v.status),
      ]);
      seen.kinds.add(v.kind);
      seen.statuses.add(v.status);
      seen.sides.add(v.side);
    }
    expect([...seen.kinds].sort()).to.deep.equal([...KINDS].sort());
    expect([...seen.statuses].sort()).to.deep.equal([...STATUSES].sort());
    expect([...seen.sides].sort()).to.deep.equal([...SIDES].sort());
    ex.close();
  });

  it('PostgreSQL: orders.type numbers kinds MARKET first, as the schema says, and reads back as written', () => {
    expect(PG_ORDER_KINDS).to.deep.equal(PG_TYPES);
    for (const k of KINDS) expect(PG_ORDER_KINDS[PG_ORDER_TYPE[k]], k).to.equal(k);
    // The column's comment in the migration is the schema's own statement of the numbering.
    const sql = fs.readFileSync(new URL('../engine/persistence/sql/1000_trading.sql', import.meta.url), 'utf8');
    const comment = /^\s*type\s.*--\s*(.*)$/m.exec(sql)![1]!.trim();
    expect(comment).to.equal(PG_TYPES.map((k, i) => `${i}=${k}`).join(' '));
  });
});

describe('20 engine shared rules (one definition each)', () => {
  it('the engine price ceiling is the book limit', () => {
    expect(MAX_PRICE_TICKS).to.equal(MAX_PRICE_TICKS_LIMIT);
    expect(MAX_PRICE_TICKS).to.equal(2 ** 31 - 1);
  });

  it('the band rounds inward and clamps to 1..MAX_PRICE_TICKS; SymbolEngine uses the same edges', () => {
    expect([bandLowOf(1_001, 500), bandHighOf(1_001, 500)]).to.deep.equal([951, 1_051]); // 950.95 up, 1051.05 down
    expect(bandLowOf(1, 10_000)).to.equal(1);
    expect(bandHighOf(MAX_PRICE_TICKS, 500)).to.equal(MAX_PRICE_TICKS);
    const cfg = { symbol: 'S', name: 'S', tickSize: 1, lotSize: 1, referencePrice: 1_001, bandPercent: 5, maxOrderQty: 100, maxOrderNotional: 1e9 };
    const sym = new SymbolEngine(0, cfg, createBook({}, 'reference'));
    expect([sym.bandLow(), sym.bandHigh()]).to.deep.equal([951, 1_051]);
    sym.onTrade(2_000, 1);
    expect([sym.bandLow(), sym.bandHigh()]).to.deep.equal([bandLowOf(2_000, 500), bandHighOf(2_000, 500)]);
  });

  it("the engine's quantity check gives the gateways' codes", () => {
    const cfg = { symbol: 'S', name: 'S', tickSize: 1, lotSize: 10, referencePrice: 100, bandPercent: 5, maxOrderQty: 1_000, maxOrderNotional: 1e9 };
    const sym = new SymbolEngine(0, cfg, createBook({}, 'reference'));
    const cases: [number, Code][] = [
      [0, Code.QUANTITY_NOT_POSITIVE], [-10, Code.QUANTITY_NOT_POSITIVE], [Number.NaN, Code.QUANTITY_NOT_POSITIVE],
      [15, Code.QUANTITY_OFF_LOT], [10.5, Code.QUANTITY_OFF_LOT], [1_010, Code.QUANTITY_ABOVE_MAX], [10, Code.OK], [1_000, Code.OK],
    ];
    for (const [qty, code] of cases) {
      expect(checkQty(sym, qty), String(qty)).to.equal(code);
      expect(checkQuantity(qty, cfg), String(qty)).to.equal(code);
    }
  });
});
