import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import {
  clientOrderIdToString,
  clientOrderIdToWire,
  decodeExecutionReport,
  decodeMessage,
  decodeOrderResponse,
  encodeMessage,
  FRAME_SIZE,
  readI64,
  readU64,
  writeI64,
  writeU64,
  type ExecutionReportMsg,
  type Message,
  type OrderResponseMsg,
} from '../gateway-tcp/codec.ts';
import { encodeExecutionReportFrom, encodeOrderResponseFrom } from '../gateway-tcp/engine-encoders.ts';
import type { ExecReport, OrderView } from '../engine/types.ts';
import { FrameDecoder } from '../gateway-tcp/frame-decoder.ts';
import {
  HEADER_SIZE,
  MsgType,
  Size,
  WireExecKind,
  WireLiquidity,
  WireOrderKind,
  WireSide,
  WireStatus,
  wireExecKind,
  wireLiquidity,
  wireOrderKind,
  wireSide,
  wireStatus,
} from '../gateway-tcp/protocol.ts';
import { OutBuffer } from '../gateway-tcp/out-buffer.ts';

const BIG = Number.MAX_SAFE_INTEGER;

/** One representative value of every message, with edge values in the u64 fields. */
function samples(): Message[] {
  return [
    {
      type: MsgType.OrderSubmit,
      msg: { clientOrderId: BIG, price: 12345, qty: 100, stopPrice: 0, symbolId: 7, side: 'SELL', kind: 'LIMIT', postOnly: true },
    },
    {
      type: MsgType.OrderSubmit,
      msg: { clientOrderId: 1, price: 0, qty: BIG, stopPrice: 99, symbolId: 65535, side: 'BUY', kind: 'STOP_LIMIT', postOnly: false },
    },
    { type: MsgType.OrderStatusQuery, msg: { corrId: 42, orderId: 0, clientOrderId: 2 ** 40 + 3 } },
    { type: MsgType.MarketDataSubscribe, msg: { corrId: 9, symbolId: 3, subscribe: true, depth: 20 } },
    { type: MsgType.MarketDataSubscribe, msg: { corrId: 10, symbolId: 3, subscribe: false, depth: 0 } },
    { type: MsgType.Cancel, msg: { corrId: 11, orderId: 777, origClientOrderId: 0 } },
    { type: MsgType.Replace, msg: { corrId: 12, orderId: 0, origClientOrderId: 5, price: 101, qty: 300 } },
    {
      type: MsgType.Login,
      msg: {
        version: 1,
        cancelOnDisconnect: true,
        resume: true,
        heartbeatMs: 1000,
        cancelGraceMs: 250,
        resumeFromSeq: 123456789,
        token: 'tok_ABCdef-0123456789_xyz',
      },
    },
    { type: MsgType.Heartbeat, msg: {} },
    { type: MsgType.Logout, msg: { code: Code.TOKEN_REVOKED } },
    {
      type: MsgType.OrderResponse,
      msg: {
        corrId: BIG,
        orderId: 5,
        seq: 2 ** 33,
        ts: 1_700_000_000_000,
        price: 100,
        qty: 10,
        filledQty: 4,
        remainingQty: 6,
        code: Code.OK,
        reqType: MsgType.OrderSubmit,
        status: 'PARTIALLY_FILLED',
        duplicate: true,
      },
    },
    {
      type: MsgType.OrderStatus,
      msg: {
        corrId: 1,
        code: Code.OK,
        orderId: 2,
        clientOrderId: 3,
        price: 4,
        stopPrice: 5,
        qty: 6,
        filledQty: 7,
        remainingQty: 8,
        filledNotionalTicks: BIG,
        createdTs: 10,
        updatedTs: 11,
        lastSeq: 12,
        orderCode: Code.CANCEL_BY_USER,
        symbolId: 13,
        side: 'SELL',
        kind: 'IOC',
        status: 'CANCELLED',
        postOnly: true,
      },
    },
    {
      type: MsgType.OrderStatus,
      msg: {
        corrId: 1,
        code: Code.UNKNOWN_ORDER,
        orderId: 0,
        clientOrderId: 0,
        price: 0,
        stopPrice: 0,
        qty: 0,
        filledQty: 0,
        remainingQty: 0,
        filledNotionalTicks: 0,
        createdTs: 0,
        updatedTs: 0,
        lastSeq: 0,
        orderCode: 0,
        symbolId: 0,
        side: undefined,
        kind: undefined,
        status: undefined,
        postOnly: false,
      },
    },
    {
      type: MsgType.MarketDataUpdate,
      msg: {
        symbolId: 2,
        mdSeq: 50,
        prevMdSeq: 49,
        ts: 1_700_000_000_001,
        last: 100,
        lastQty: 3,
        bid: 99,
        bidQty: 10,
        ask: 101,
        askQty: 20,
        volume: 1000,
        turnoverTicks: 100_000,
        open: 98,
        high: 102,
        low: 97,
        reference: 100,
        snapshot: true,
        halted: false,
        tradesTruncated: true,
        bids: [
          { price: 99, qty: 10, orders: 2 },
          { price: 98, qty: 5, orders: 4294967295 },
        ],
        asks: [{ price: 101, qty: 20, orders: 1 }],
        trades: [
          { tradeId: 1, price: 100, qty: 3, ts: 5, mdSeq: 48, aggressor: 'BUY' },
          { tradeId: 2, price: 101, qty: BIG, ts: 6, mdSeq: 50, aggressor: 'SELL' },
        ],
      },
    },
    {
      type: MsgType.ExecutionReport,
      msg: {
        accountSeq: 17,
        seq: 99,
        ts: 1_700_000_000_002,
        orderId: 3,
        clientOrderId: 1001,
        price: 100,
        qty: 10,
        filledQty: 10,
        remainingQty: 0,
        tradeId: 8,
        lastPrice: 100,
        lastQty: 10,
        fee: -12345,
        code: Code.OK,
        symbolId: 1,
        kind: 'FILL',
        status: 'FILLED',
        side: 'BUY',
        orderKind: 'MARKET',
        liquidity: 'TAKER',
      },
    },
    {
      type: MsgType.ExecutionReport,
      msg: {
        accountSeq: BIG,
        seq: 1,
        ts: 2,
        orderId: 3,
        clientOrderId: 0,
        price: 4,
        qty: 5,
        filledQty: 0,
        remainingQty: 5,
        tradeId: 0,
        lastPrice: 0,
        lastQty: 0,
        fee: BIG,
        code: Code.INSUFFICIENT_BUYING_POWER,
        symbolId: 1,
        kind: 'REJECTED',
        status: 'REJECTED',
        side: 'SELL',
        orderKind: 'FOK',
        liquidity: undefined,
      },
    },
    {
      type: MsgType.LoginResponse,
      msg: {
        code: Code.OK,
        version: 1,
        heartbeatMs: 1000,
        timeoutMs: 3000,
        maxFrame: 65536,
        accountId: 12,
        sessionId: 2 ** 50,
        cancelGraceMs: 500,
        cancelOnDisconnect: true,
      },
    },
    {
      type: MsgType.SymbolDirectory,
      msg: {
        last: true,
        entries: [
          { symbolId: 1, symbol: 'AAPL', tickSize: 1, lotSize: 1, referencePrice: 18_000, maxOrderQty: 1_000_000 },
          { symbolId: 2, symbol: 'ABCDEFGH', tickSize: 5, lotSize: 100, referencePrice: 0, maxOrderQty: BIG },
        ],
      },
    },
    { type: MsgType.SymbolDirectory, msg: { last: false, entries: [] } },
    { type: MsgType.Reject, msg: { corrId: 77, code: Code.PRICE_OFF_TICK, refType: MsgType.OrderSubmit } },
    { type: MsgType.Error, msg: { code: Code.NOT_LOGGED_IN, refType: MsgType.OrderSubmit } },
  ];
}

/** Runs bytes through a FrameDecoder and decodes every frame. */
function decodeAll(bytes: Buffer): Message[] {
  const out: Message[] = [];
  const d = new FrameDecoder(
    (t, b, o, l) => {
      const r = decodeMessage(t, b, o, l);
      if (!r.ok) throw new Error(`decode of ${t} failed: ${r.code}`);
      out.push(r.message);
    },
    (code) => {
      throw new Error(`frame error ${code}`);
    },
  );
  d.push(bytes);
  return out;
}

describe('50 tcp codec', () => {
  it('round-trips every message type through encode, frame decoding and decode', () => {
    const all = samples();
    const types = new Set(all.map((m) => m.type));
    for (const t of Object.values(MsgType)) expect(types.has(t), `sample for type ${t}`).to.equal(true);
    for (const m of all) {
      const bytes = encodeMessage(m);
      expect(bytes.readUInt32LE(0), 'Length counts type + payload').to.equal(bytes.length - 4);
      expect(bytes[4]).to.equal(m.type);
      const back = decodeAll(bytes);
      expect(back).to.deep.equal([m]);
    }
    // All of them packed into one stream.
    const stream = Buffer.concat(all.map(encodeMessage));
    expect(decodeAll(stream)).to.deep.equal(all);
  });

  it('uses the documented fixed payload sizes', () => {
    const sizes: [number, number][] = [
      [MsgType.OrderSubmit, Size.OrderSubmit],
      [MsgType.OrderStatusQuery, Size.OrderStatusQuery],
      [MsgType.MarketDataSubscribe, Size.MarketDataSubscribe],
      [MsgType.Cancel, Size.Cancel],
      [MsgType.Replace, Size.Replace],
      [MsgType.Heartbeat, 0],
      [MsgType.Logout, Size.Logout],
      [MsgType.OrderResponse, Size.OrderResponse],
      [MsgType.OrderStatus, Size.OrderStatus],
      [MsgType.ExecutionReport, Size.ExecutionReport],
      [MsgType.LoginResponse, Size.LoginResponse],
      [MsgType.Reject, Size.Reject],
      [MsgType.Error, Size.Error],
    ];
    const byType = new Map<number, Message>(samples().map((m) => [m.type, m] as const));
    for (const [t, size] of sizes) {
      expect(encodeMessage(byType.get(t)!).length, `type ${t}`).to.equal(HEADER_SIZE + size);
    }
    expect([Size.OrderSubmit, Size.OrderResponse, Size.ExecutionReport]).to.deep.equal([40, 72, 116]);
  });

  it('refuses a payload one byte short or one byte long for every fixed-size message', () => {
    for (const m of samples()) {
      if (m.type === MsgType.Login || m.type === MsgType.MarketDataUpdate || m.type === MsgType.SymbolDirectory) continue;
      const f = encodeMessage(m);
      const payload = f.subarray(HEADER_SIZE);
      const long = Buffer.concat([payload, Buffer.from([0])]);
      expect(decodeMessage(m.type, long, 0, long.length)).to.deep.equal({ ok: false, code: Code.MALFORMED_FRAME });
      if (payload.length > 0) {
        expect(decodeMessage(m.type, payload, 0, payload.length - 1)).to.deep.equal({ ok: false, code: Code.MALFORMED_FRAME });
      }
    }
    // Variable messages: inconsistent counts.
    const login = encodeMessage(samples().find((m) => m.type === MsgType.Login)!);
    const lp = login.subarray(HEADER_SIZE);
    expect(decodeMessage(MsgType.Login, lp, 0, lp.length - 1)).to.deep.equal({ ok: false, code: Code.MALFORMED_FRAME });
    const md = encodeMessage(samples().find((m) => m.type === MsgType.MarketDataUpdate)!);
    const mp = md.subarray(HEADER_SIZE);
    expect(decodeMessage(MsgType.MarketDataUpdate, mp, 0, mp.length - 20)).to.deep.equal({ ok: false, code: Code.MALFORMED_FRAME });
  });

  it('refuses u64 values above 2^53 - 1, invalid enums and unknown types', () => {
    const m = samples()[0]!;
    const f = Buffer.from(encodeMessage(m));
    const p = f.subarray(HEADER_SIZE);
    // price high half = 0x00200000 -> 2^53
    p.writeUInt32LE(0, 8);
    p.writeUInt32LE(0x200000, 12);
    expect(decodeMessage(MsgType.OrderSubmit, p, 0, p.length)).to.deep.equal({ ok: false, code: Code.VALUE_OUT_OF_RANGE });
    const g = Buffer.from(encodeMessage(m)).subarray(HEADER_SIZE);
    g[34] = 3; // side
    expect(decodeMessage(MsgType.OrderSubmit, g, 0, g.length)).to.deep.equal({ ok: false, code: Code.INVALID_ENUM });
    g[34] = 1;
    g[35] = 0; // kind
    expect(decodeMessage(MsgType.OrderSubmit, g, 0, g.length)).to.deep.equal({ ok: false, code: Code.INVALID_ENUM });
    g[35] = 1;
    g[36] = 2; // unknown flag bit
    expect(decodeMessage(MsgType.OrderSubmit, g, 0, g.length)).to.deep.equal({ ok: false, code: Code.INVALID_ENUM });
    expect(decodeMessage(0x7f, g, 0, 0)).to.deep.equal({ ok: false, code: Code.UNKNOWN_MESSAGE_TYPE });
  });

  it('reads and writes 64-bit integers exactly at the safe-integer edges', () => {
    const b = Buffer.alloc(8);
    for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 52 + 1, BIG]) {
      writeU64(b, 0, v);
      expect(b.readBigUInt64LE(0)).to.equal(BigInt(v));
      expect(readU64(b, 0)).to.equal(v);
    }
    b.writeBigUInt64LE(2n ** 53n);
    expect(readU64(b, 0)).to.equal(-1);
    b.writeBigUInt64LE(2n ** 64n - 1n);
    expect(readU64(b, 0)).to.equal(-1);
    for (const v of [0, -1, -(2 ** 32), -(2 ** 32) - 1, -BIG, BIG, 12345]) {
      writeI64(b, 0, v);
      expect(b.readBigInt64LE(0)).to.equal(BigInt(v));
      expect(readI64(b, 0)).to.equal(v);
    }
    b.writeBigInt64LE(-(2n ** 53n));
    expect(readI64(b, 0)).to.be.NaN;
  });

  it('the server encoders write exact u64/i64 fields from engine objects, at an odd offset of a pooled buffer', () => {
    const pooled = Buffer.allocUnsafe(3 + FRAME_SIZE.ExecutionReport + FRAME_SIZE.OrderResponse);
    const dv = new DataView(pooled.buffer, pooled.byteOffset, pooled.byteLength);
    const bigs = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 52 + 1, BIG];
    const fees = [0, -1, 1, -(2 ** 31), -(2 ** 32), -(2 ** 32) - 1, 2 ** 32 + 7, -BIG, BIG];
    for (let k = 0; k < bigs.length; k++) {
      const v = (i: number) => bigs[(k + i) % bigs.length]!;
      const r: ExecReport = {
        accountSeq: v(0), accountId: 7, seq: v(1), ts: v(2), kind: 'FILL', orderId: v(3), clientOrderId: String(v(4)), symbol: 'AAPL',
        side: 'SELL', orderKind: 'LIMIT', price: v(5), qty: v(6), filledQty: v(7), remainingQty: v(8), status: 'PARTIALLY_FILLED',
        code: Code.OK, tradeId: v(1), lastPrice: v(2), lastQty: v(3), liquidity: 'MAKER', fee: fees[k]!,
      };
      expect(encodeExecutionReportFrom(pooled, dv, 3, r, 9, v(4))).to.equal(FRAME_SIZE.ExecutionReport);
      const er = {} as ExecutionReportMsg;
      expect(decodeExecutionReport(pooled, 3 + HEADER_SIZE, Size.ExecutionReport, er)).to.equal(Code.OK);
      expect(er).to.deep.equal({
        accountSeq: r.accountSeq, seq: r.seq, ts: r.ts, orderId: r.orderId, clientOrderId: v(4), price: r.price, qty: r.qty,
        filledQty: r.filledQty, remainingQty: r.remainingQty, tradeId: r.tradeId, lastPrice: r.lastPrice, lastQty: r.lastQty,
        fee: r.fee, code: Code.OK, symbolId: 9, kind: 'FILL', status: 'PARTIALLY_FILLED', side: 'SELL', orderKind: 'LIMIT', liquidity: 'MAKER',
      });
      const at = 3 + FRAME_SIZE.ExecutionReport;
      const order = { orderId: v(3), price: v(5), qty: v(6), filledQty: v(7), remainingQty: v(8), status: 'OPEN' } as OrderView;
      expect(encodeOrderResponseFrom(pooled, dv, at, v(0), MsgType.OrderSubmit, { code: Code.OK, seq: v(1), ts: v(2), order })).to.equal(FRAME_SIZE.OrderResponse);
      const orr = {} as OrderResponseMsg;
      expect(decodeOrderResponse(pooled, at + HEADER_SIZE, Size.OrderResponse, orr)).to.equal(Code.OK);
      expect(orr).to.deep.equal({
        corrId: v(0), orderId: v(3), seq: v(1), ts: v(2), price: v(5), qty: v(6), filledQty: v(7), remainingQty: v(8),
        code: Code.OK, reqType: MsgType.OrderSubmit, status: 'OPEN', duplicate: false,
      });
    }
  });

  it('maps engine enum strings to the wire values of the protocol tables, and anything else to 0', () => {
    const pairs: [Record<string, number>, (v: never) => number][] = [
      [WireSide, wireSide as (v: never) => number],
      [WireOrderKind, wireOrderKind as (v: never) => number],
      [WireStatus, wireStatus as (v: never) => number],
      [WireExecKind, wireExecKind as (v: never) => number],
    ];
    for (const [table, f] of pairs) {
      for (const [name, value] of Object.entries(table)) expect(f(name as never), name).to.equal(value);
      for (const bad of ['', 'buy', 'X', 'NONE', undefined]) expect(f(bad as never), String(bad)).to.equal(0);
    }
    expect(wireLiquidity('MAKER')).to.equal(WireLiquidity.MAKER);
    expect(wireLiquidity('TAKER')).to.equal(WireLiquidity.TAKER);
    expect(wireLiquidity(undefined)).to.equal(WireLiquidity.NONE);
  });

  it('maps engine clientOrderId strings to wire u64 and back', () => {
    expect(clientOrderIdToWire('1')).to.equal(1);
    expect(clientOrderIdToWire(String(BIG))).to.equal(BIG);
    expect(clientOrderIdToWire('9007199254740992')).to.equal(0);
    expect(clientOrderIdToWire('0')).to.equal(0);
    expect(clientOrderIdToWire('007')).to.equal(0);
    expect(clientOrderIdToWire('abc')).to.equal(0);
    expect(clientOrderIdToWire('')).to.equal(0);
  });

  it('writes a wire id as the decimal text String() gives, for every magnitude up to 2^53 - 1', () => {
    const edges = [1, 9, 10, 99_999_999, 100_000_000, 100_000_001, 999_999_999, 1e9, 123_456_789_012, 1e15, 1e15 + 1, 9_999_999_999_999_999 - 1, 2 ** 53 - 1];
    for (let k = 1; k <= 15; k++) edges.push(10 ** k, 10 ** k - 1, 10 ** k + 1, 2 * 10 ** k + 7);
    let x = 0x9e3779b9;
    const rnd = (): number => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
      return (x >>> 0) / 2 ** 32;
    };
    for (let i = 0; i < 20_000; i++) edges.push(Math.max(1, Math.floor(rnd() * 2 ** Math.floor(1 + rnd() * 52)) + Math.floor(rnd() * 2 ** 21) * 2 ** 32 * (i & 1)));
    for (const v of edges) {
      if (!Number.isSafeInteger(v) || v < 1) continue;
      const s = clientOrderIdToString(v);
      if (s !== String(v)) expect.fail(`${v}: ${s}`);
      expect(clientOrderIdToWire(s)).to.equal(v);
    }
  });
});

describe('50 tcp out-buffer', () => {
  function fill(out: OutBuffer, sizes: number[], seed: number): Buffer {
    const all: number[] = [];
    let x = seed;
    for (const n of sizes) {
      const b = out.reserve(n);
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        b[out.pos + i] = x & 255;
        all.push(x & 255);
      }
      out.pos += n;
    }
    return Buffer.from(all);
  }

  it('hands out what was written across several slabs, whole and in order, by take() and by takeParts()', () => {
    const out = new OutBuffer(64);
    const sizes = [10, 30, 40, 64, 5, 100, 7, 7, 7];
    const want1 = fill(out, sizes, 1);
    expect(out.pieces).to.be.above(1);
    expect(out.length).to.equal(want1.length);
    const parts: Buffer[] = [];
    expect(out.takeParts((b) => parts.push(b))).to.equal(parts.length);
    expect(Buffer.concat(parts).equals(want1)).to.equal(true);
    expect(out.pieces).to.equal(0);
    expect(out.length).to.equal(0);
    const want2 = fill(out, sizes, 2);
    expect(out.take()!.equals(want2)).to.equal(true);
    expect(out.take()).to.equal(null);
    // what was handed out stays intact while later frames are written
    const keep = fill(out, [20], 3);
    const piece = out.take()!;
    fill(out, [40, 40], 4);
    expect(piece.equals(keep)).to.equal(true);
    out.clear();
    expect(out.pieces).to.equal(0);
    expect(out.takeParts(() => expect.fail('nothing to write'))).to.equal(0);
  });
});
