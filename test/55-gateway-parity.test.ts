/**
 * Gateway parity: the same faulty order gets the same stable code over gRPC
 * and over TCP (both on the real stacks: ExchangeCore, AuthManager, gateway on
 * 127.0.0.1), and the code is the one engine/order-rules.ts gives. Edge faults
 * never reach either engine; a fault only the engine's state can judge (the
 * band) comes back from both with the engine's code.
 */
import { expect } from 'chai';
import type { ServiceError } from '@grpc/grpc-js';
import { AurexError, Code, codeName } from '../engine/codes.ts';
import { checkNewOrder, isClientOrderId, MAX_CLIENT_ORDER_ID_LENGTH, MAX_PRICE_TICKS, MAX_SYMBOL_TEXT_LENGTH } from '../engine/order-rules.ts';
import { isValidSymbolName } from '../engine/symbols.ts';
import type { OrderKind, SymbolConfig } from '../engine/types.ts';
import { OrderRequest, OrderSide, OrderType, type StockServiceClient } from '../gen/aurex/stock/v1/stock.ts';
import { encodeOrderSubmit, FRAME_SIZE, type RejectMsg } from '../gateway-tcp/codec.ts';
import { TcpRequestError, type TcpClient } from '../gateway-tcp/client.ts';
import { MsgType } from '../gateway-tcp/protocol.ts';
import { call, startGrpcHarness, type GrpcHarness, type GrpcUser } from './support/grpc-harness.ts';
import { TcpStack, within } from './support/tcp-harness.ts';

/** Added to both markets: round lots and a small maximum, so quantity rules can collide. */
const LOTS: SymbolConfig = {
  symbol: 'LOTS',
  name: 'Round lots',
  tickSize: 1,
  lotSize: 100,
  referencePrice: 5_000,
  bandPercent: 10,
  maxOrderQty: 1_000,
  maxOrderNotional: 100_000_000_000,
};

const WIRE_KIND: Record<OrderKind, OrderType> = {
  LIMIT: OrderType.LIMIT,
  MARKET: OrderType.MARKET,
  IOC: OrderType.IOC,
  FOK: OrderType.FOK,
  STOP: OrderType.STOP,
  STOP_LIMIT: OrderType.STOP_LIMIT,
};

/** One order in gateway-neutral terms: prices in ticks (sent as exact ticks over gRPC). */
interface Order {
  symbol?: string;
  kind?: OrderKind;
  price?: number;
  qty?: number;
  stopPrice?: number;
  postOnly?: boolean;
}

interface Case {
  name: string;
  order: Order;
  code: Code;
  /** The engine answers it (a state-dependent reject): the command is stamped on both stacks. */
  engine?: boolean;
}

const BASE = { symbol: 'AAPL', kind: 'LIMIT' as OrderKind, price: 22_850, qty: 10, stopPrice: 0, postOnly: false };

const CASES: Case[] = [
  { name: 'post-only MARKET', order: { kind: 'MARKET', price: 0, postOnly: true }, code: Code.INVALID_ORDER_TYPE },
  { name: 'post-only IOC', order: { kind: 'IOC', postOnly: true }, code: Code.INVALID_ORDER_TYPE },
  { name: 'post-only STOP_LIMIT', order: { kind: 'STOP_LIMIT', stopPrice: 22_000, postOnly: true }, code: Code.INVALID_ORDER_TYPE },
  { name: 'post-only MARKET with quantity 0 (shape before quantity)', order: { kind: 'MARKET', price: 0, qty: 0, postOnly: true }, code: Code.INVALID_ORDER_TYPE },
  { name: 'price above the maximum', order: { price: MAX_PRICE_TICKS + 1 }, code: Code.INVALID_PRICE },
  { name: 'MARKET collar above the maximum', order: { kind: 'MARKET', price: MAX_PRICE_TICKS + 1 }, code: Code.INVALID_PRICE },
  { name: 'stop price above the maximum', order: { kind: 'STOP', price: 0, stopPrice: MAX_PRICE_TICKS + 1 }, code: Code.INVALID_STOP_PRICE },
  { name: 'price at the maximum is well formed (outside the band: the engine says so)', order: { price: MAX_PRICE_TICKS }, code: Code.PRICE_OUTSIDE_BAND, engine: true },
  { name: 'quantity 0 with no price', order: { price: 0, qty: 0 }, code: Code.INVALID_PRICE },
  { name: 'quantity 0 with a price above the maximum', order: { price: MAX_PRICE_TICKS + 1, qty: 0 }, code: Code.INVALID_PRICE },
  { name: 'quantity 0 with a stop price on a LIMIT', order: { qty: 0, stopPrice: 22_000 }, code: Code.INVALID_STOP_PRICE },
  { name: 'quantity 0 with a good price', order: { qty: 0 }, code: Code.QUANTITY_NOT_POSITIVE },
  { name: 'STOP without a stop price', order: { kind: 'STOP', price: 0 }, code: Code.INVALID_STOP_PRICE },
  { name: 'off the lot and above the maximum (lot first)', order: { symbol: 'LOTS', price: 5_000, qty: 1_050 }, code: Code.QUANTITY_OFF_LOT },
  { name: 'above the maximum on the lot', order: { symbol: 'LOTS', price: 5_000, qty: 1_100 }, code: Code.QUANTITY_ABOVE_MAX },
  { name: 'off the lot with no price', order: { symbol: 'LOTS', price: 0, qty: 150 }, code: Code.INVALID_PRICE },
  { name: 'unknown symbol', order: { symbol: 'NOPE' }, code: Code.UNKNOWN_SYMBOL },
  { name: 'no symbol (gRPC "", TCP id 0)', order: { symbol: '' }, code: Code.INVALID_SYMBOL },
  { name: 'no symbol, a price above the maximum and quantity 0 (the symbol first)', order: { symbol: '', price: MAX_PRICE_TICKS + 1, qty: 0 }, code: Code.INVALID_SYMBOL },
  { name: 'price outside the band', order: { price: 30_000 }, code: Code.PRICE_OUTSIDE_BAND, engine: true },
  { name: 'a good order', order: {}, code: Code.OK, engine: true },
];

function reasonOf(e: unknown): string {
  const err = e as ServiceError;
  const r = err.metadata?.get('x-aurex-reason')[0];
  if (typeof r !== 'string') throw e;
  return r;
}

describe('55 gateway parity: one code per faulty order over gRPC and TCP', function () {
  let g: GrpcHarness;
  let stock: StockServiceClient;
  let gu: GrpcUser;
  let t: TcpStack;
  let tc: TcpClient;
  let gid = 0;
  let tid = 0;

  before(async () => {
    g = await startGrpcHarness();
    t = await TcpStack.start();
    for (const core of [g.core, t.core]) {
      const r = await core.executeAsync({ type: 'addSymbol', config: LOTS });
      expect(codeName(r.code)).to.equal('OK');
    }
    stock = g.stock();
    gu = await g.user({ cash: 1e12 });
    tc = await t.client(await t.user('parity'));
  });
  after(async () => {
    tc?.destroy();
    await t?.stop();
    await g?.close();
  });

  /** The order over gRPC: the error's reason, or the response's (engine) reason. */
  async function viaGrpc(o: Order, orderId = `p55-${process.pid}-${++gid}`, user: GrpcUser = gu): Promise<string> {
    const x = { ...BASE, ...o };
    const req = OrderRequest.fromPartial({
      orderId,
      symbol: x.symbol,
      side: OrderSide.BUY,
      type: WIRE_KIND[x.kind],
      quantity: BigInt(x.qty),
      priceTicks: BigInt(x.price),
      stopPriceTicks: BigInt(x.stopPrice),
      postOnly: x.postOnly,
    });
    try {
      return (await call(stock.submitOrder.bind(stock), req, user.md)).reason;
    } catch (e) {
      return reasonOf(e);
    }
  }

  /** The order over TCP: the Reject's code, or the Order Response's (engine) code. */
  async function viaTcp(o: Order, clientOrderId = 1_000 + ++tid, client: TcpClient = tc): Promise<string> {
    const x = { ...BASE, ...o };
    // The wire names symbols by directory id: 0 is "none", 999 is not listed.
    const symbol = x.symbol === 'NOPE' ? 999 : x.symbol === '' ? 0 : x.symbol;
    try {
      const res = await within(client.submit({ clientOrderId, symbol, side: 'BUY', kind: x.kind, price: x.price, qty: x.qty, stopPrice: x.stopPrice, postOnly: x.postOnly }));
      return codeName(res.code);
    } catch (e) {
      expect(e).to.be.instanceOf(TcpRequestError);
      return codeName((e as AurexError).code);
    }
  }

  for (const c of CASES) {
    it(`${c.name}: ${codeName(c.code)} from both gateways`, async () => {
      const seq = [g.core.lastSeq(), t.core.lastSeq()];
      const [overGrpc, overTcp] = [await viaGrpc(c.order), await viaTcp(c.order)];
      expect({ grpc: overGrpc, tcp: overTcp }).to.deep.equal({ grpc: codeName(c.code), tcp: codeName(c.code) });
      const stamped = [g.core.lastSeq() > seq[0]!, t.core.lastSeq() > seq[1]!];
      expect(stamped, 'reached the engine').to.deep.equal(c.engine ? [true, true] : [false, false]);
      // The shared rules say the same where the symbol is known and the state does not matter.
      if (!c.engine && c.code !== Code.UNKNOWN_SYMBOL) {
        const x = { ...BASE, ...c.order };
        const limits = x.symbol === 'LOTS' ? LOTS : { lotSize: 1, maxOrderQty: 1_000_000 };
        expect(codeName(checkNewOrder({ clientOrderId: 'x', side: 'BUY', ...x }, limits))).to.equal(codeName(c.code));
      }
    });
  }

  describe('symbols', () => {
    it('no symbol is INVALID_SYMBOL at the engine edge too, on gRPC queries and on the TCP market-data subscription', async () => {
      const r = await g.core.executeAsync({ type: 'new', accountId: gu.accountId, clientOrderId: 'p55-nosym', symbol: '', side: 'BUY', kind: 'LIMIT', price: 22_850, qty: 1 });
      expect(codeName(r.code)).to.equal('INVALID_SYMBOL');
      try {
        await call(stock.getOrderBook.bind(stock), { symbol: '', depth: 0 }, gu.md);
        expect.fail('answered');
      } catch (e) {
        expect(reasonOf(e)).to.equal('INVALID_SYMBOL');
      }
      for (const [id, code] of [[0, 'INVALID_SYMBOL'], [999, 'UNKNOWN_SYMBOL']] as const) {
        try {
          await within(tc.subscribe(id));
          expect.fail('subscribed');
        } catch (e) {
          expect(e).to.be.instanceOf(TcpRequestError);
          expect(codeName((e as AurexError).code), `symbol id ${id}`).to.equal(code);
        }
      }
    });

    it('symbol text of 1..32 characters that is not listed is UNKNOWN_SYMBOL over gRPC as at the engine; longer text is INVALID_SYMBOL', async () => {
      for (const n of [13, 16, 17, 24, MAX_SYMBOL_TEXT_LENGTH, MAX_SYMBOL_TEXT_LENGTH + 1, 1000]) {
        const symbol = 'A'.repeat(n);
        // Listed names have at most 12 characters: longer text within the limit can only be unknown.
        expect(isValidSymbolName(symbol)).to.equal(false);
        const want = n <= MAX_SYMBOL_TEXT_LENGTH ? 'UNKNOWN_SYMBOL' : 'INVALID_SYMBOL';
        const r = await g.core.executeAsync({ type: 'new', accountId: gu.accountId, clientOrderId: `p55-len-${n}`, symbol, side: 'BUY', kind: 'LIMIT', price: 22_850, qty: 1 });
        expect({ n, engine: codeName(r.code), grpc: await viaGrpc({ symbol }) }).to.deep.equal({ n, engine: want, grpc: want });
      }
    });
  });

  describe('a user whose role may not trade', () => {
    let ro: GrpcUser;
    let rc: TcpClient;

    before(async () => {
      ro = await g.user({ role: 'readonly' });
      rc = await t.client(await t.user('parity-ro', { role: 'readonly', cash: 0 }));
    });
    after(() => rc?.destroy());

    /** A hand-made TCP frame from the read-only client: the Reject it gets. */
    async function rawTcp(frame: Buffer): Promise<RejectMsg> {
      const rejected = new Promise<RejectMsg>((resolve) => rc.once('reject', resolve));
      rc.socket.write(frame);
      return within(rejected);
    }

    it('gets PERMISSION_DENIED for every order, good or bad, before anything about it is judged, over both gateways', async () => {
      const seq = [g.core.lastSeq(), t.core.lastSeq()];
      for (const c of CASES) {
        expect({ name: c.name, grpc: await viaGrpc(c.order, undefined, ro), tcp: await viaTcp(c.order, undefined, rc) }).to.deep.equal({
          name: c.name,
          grpc: 'PERMISSION_DENIED',
          tcp: 'PERMISSION_DENIED',
        });
      }
      // No client order id (gRPC "", TCP 0), and fields the TCP wire cannot even hold.
      expect(await viaGrpc({}, '', ro)).to.equal('PERMISSION_DENIED');
      const frame = Buffer.alloc(FRAME_SIZE.OrderSubmit);
      encodeOrderSubmit(frame, 0, { clientOrderId: 0, symbolId: 0, side: 'BUY', kind: 'MARKET', price: 0, qty: 0, stopPrice: 0, postOnly: true });
      expect(codeName((await rawTcp(frame)).code)).to.equal('PERMISSION_DENIED');
      encodeOrderSubmit(frame, 0, { clientOrderId: 77, symbolId: 1, side: 'BUY', kind: 'LIMIT', price: 1, qty: 1, stopPrice: 0, postOnly: false });
      frame[5 + 34] = 9; // no such side
      expect(await rawTcp(frame)).to.deep.include({ code: Code.PERMISSION_DENIED, corrId: 77 });
      frame[5 + 34] = 1;
      frame.writeUInt32LE(0xffffffff, 5 + 12); // a price above 2^53 - 1
      expect(await rawTcp(frame)).to.deep.include({ code: Code.PERMISSION_DENIED, corrId: 77 });
      // Bytes that are not an order at all (wrong size) are still a framing fault, as undecodable bytes are over gRPC.
      const short = Buffer.alloc(FRAME_SIZE.OrderSubmit - 1);
      short.writeUInt32LE(FRAME_SIZE.OrderSubmit - 1 - 4, 0);
      short[4] = MsgType.OrderSubmit;
      expect(codeName((await rawTcp(short)).code)).to.equal('MALFORMED_FRAME');
      expect([g.core.lastSeq(), t.core.lastSeq()], 'nothing reached either engine').to.deep.equal(seq);
    });

    it('gets PERMISSION_DENIED for cancels and replaces a trader would have refused as malformed', async () => {
      const ref = { userId: '', exchangeOrderId: 0n };
      const grpcCall = async (f: () => Promise<unknown>): Promise<string> => {
        try {
          await f();
          return 'OK';
        } catch (e) {
          return reasonOf(e);
        }
      };
      const tcpCall = async (p: Promise<unknown>): Promise<string> => {
        try {
          await within(p);
          return 'OK';
        } catch (e) {
          expect(e).to.be.instanceOf(TcpRequestError);
          return codeName((e as AurexError).code);
        }
      };
      // No order reference: MISSING_FIELD for a trader, on both.
      expect(await grpcCall(() => call(stock.cancelOrder.bind(stock), { ...ref, clientOrderId: '' }, gu.md))).to.equal('MISSING_FIELD');
      expect(await tcpCall(tc.cancel({}))).to.equal('MISSING_FIELD');
      expect(await grpcCall(() => call(stock.cancelOrder.bind(stock), { ...ref, clientOrderId: '' }, ro.md))).to.equal('PERMISSION_DENIED');
      expect(await tcpCall(rc.cancel({}))).to.equal('PERMISSION_DENIED');
      // A replace without a price: INVALID_PRICE for a trader, on both.
      const rep = { ...ref, clientOrderId: 'p55-none', newPrice: 0, newPriceTicks: 0n, newQuantity: 1n };
      expect(await grpcCall(() => call(stock.replaceOrder.bind(stock), rep, gu.md))).to.equal('INVALID_PRICE');
      expect(await tcpCall(tc.replace({ clientOrderId: 5, price: 0, qty: 1 }))).to.equal('INVALID_PRICE');
      expect(await grpcCall(() => call(stock.replaceOrder.bind(stock), rep, ro.md))).to.equal('PERMISSION_DENIED');
      expect(await tcpCall(rc.replace({ clientOrderId: 5, price: 0, qty: 1 }))).to.equal('PERMISSION_DENIED');
    });
  });

  describe('client order ids', () => {
    const BAD = ['has space', ' lead', 'trail ', 'tab\tid', 'nul\u0000id', 'del\u007f', 'caf\u00e9', 'x'.repeat(MAX_CLIENT_ORDER_ID_LENGTH + 1)];

    it('refuses ids with spaces, control or non-ASCII characters and over-long ids with INVALID_CLIENT_ORDER_ID over gRPC, before anything else', async () => {
      const seq = g.core.lastSeq();
      for (const id of BAD) {
        expect(isClientOrderId(id), JSON.stringify(id)).to.equal(false);
        expect(await viaGrpc({}, id), JSON.stringify(id)).to.equal('INVALID_CLIENT_ORDER_ID');
        // Wins over every other fault of the order, as over TCP (see the absent id below).
        expect(await viaGrpc({ kind: 'MARKET', price: 0, qty: 0, postOnly: true }, id), JSON.stringify(id)).to.equal('INVALID_CLIENT_ORDER_ID');
      }
      expect(g.core.lastSeq(), 'nothing reached the engine').to.equal(seq);
    });

    it('refuses them at the engine edge too (ids the TCP wire cannot carry)', async () => {
      for (const id of BAD) {
        const r = await g.core.executeAsync({ type: 'new', accountId: gu.accountId, clientOrderId: id, symbol: 'AAPL', side: 'BUY', kind: 'LIMIT', price: 22_850, qty: 1 });
        expect(codeName(r.code), JSON.stringify(id)).to.equal('INVALID_CLIENT_ORDER_ID');
      }
    });

    it('an absent id (gRPC "", TCP 0) is INVALID_CLIENT_ORDER_ID on both, whatever else is wrong', async () => {
      const bad: Order = { kind: 'MARKET', price: MAX_PRICE_TICKS + 1, qty: 0, postOnly: true };
      expect(await viaGrpc(bad, '')).to.equal('INVALID_CLIENT_ORDER_ID');
      // The client library refuses id 0 itself: send the frame by hand.
      const frame = Buffer.alloc(FRAME_SIZE.OrderSubmit);
      encodeOrderSubmit(frame, 0, { clientOrderId: 0, symbolId: tc.symbolId('AAPL'), side: 'BUY', kind: 'MARKET', price: bad.price!, qty: 0, stopPrice: 0, postOnly: true });
      const rejected = new Promise<RejectMsg>((resolve) => tc.once('reject', resolve));
      tc.socket.write(frame);
      const r = await within(rejected);
      expect({ code: codeName(r.code), refType: r.refType, corrId: r.corrId }).to.deep.equal({ code: 'INVALID_CLIENT_ORDER_ID', refType: MsgType.OrderSubmit, corrId: 0 });
    });

    it('accepts the longest id over gRPC and every id the TCP wire can carry', async () => {
      expect(await viaGrpc({}, 'y'.repeat(MAX_CLIENT_ORDER_ID_LENGTH))).to.equal('OK');
      expect(await viaGrpc({}, '!~')).to.equal('OK');
      for (const id of [1, 10 ** 15, Number.MAX_SAFE_INTEGER]) {
        expect(isClientOrderId(String(id))).to.equal(true);
        expect(await viaTcp({}, id)).to.equal('OK');
      }
    });
  });

  describe('replace', () => {
    let gOrder: string;
    let tOrder: number;

    before(async () => {
      gOrder = `p55-rep-${process.pid}`;
      expect(await viaGrpc({ symbol: 'LOTS', price: 5_000, qty: 100 }, gOrder)).to.equal('OK');
      tOrder = 900_001;
      expect(await viaTcp({ symbol: 'LOTS', price: 5_000, qty: 100 }, tOrder)).to.equal('OK');
    });

    async function replaceGrpc(clientOrderId: string, price: number, qty: number): Promise<string> {
      try {
        const r = await call(
          stock.replaceOrder.bind(stock),
          { clientOrderId, exchangeOrderId: 0n, userId: '', newPrice: 0, newPriceTicks: BigInt(price), newQuantity: BigInt(qty) },
          gu.md,
        );
        return r.reason;
      } catch (e) {
        return reasonOf(e);
      }
    }
    async function replaceTcp(clientOrderId: number, price: number, qty: number): Promise<string> {
      try {
        return codeName((await within(tc.replace({ clientOrderId, price, qty }))).code);
      } catch (e) {
        expect(e).to.be.instanceOf(TcpRequestError);
        return codeName((e as AurexError).code);
      }
    }

    const REPLACES: [string, number, number, boolean, string][] = [
      ['no price', 0, 100, true, 'INVALID_PRICE'],
      ['a price above the maximum', MAX_PRICE_TICKS + 1, 100, true, 'INVALID_PRICE'],
      ['quantity 0', 5_000, 0, true, 'QUANTITY_NOT_POSITIVE'],
      ['off the lot and above the maximum', 5_000, 1_050, true, 'QUANTITY_OFF_LOT'],
      ['above the maximum', 5_000, 1_100, true, 'QUANTITY_ABOVE_MAX'],
      ['no price, unknown order (the price is judged first)', 0, 100, false, 'INVALID_PRICE'],
      ['quantity 0, unknown order (the order is looked up first)', 5_000, 0, false, 'UNKNOWN_ORDER'],
      ['a good replace', 5_001, 200, true, 'OK'],
    ];
    for (const [name, price, qty, known, code] of REPLACES) {
      it(`${name}: ${code} from both gateways`, async () => {
        const overGrpc = await replaceGrpc(known ? gOrder : 'p55-unknown', price, qty);
        const overTcp = await replaceTcp(known ? tOrder : 987_654_321, price, qty);
        expect({ grpc: overGrpc, tcp: overTcp }).to.deep.equal({ grpc: code, tcp: code });
      });
    }
  });
});
