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
import { checkNewOrder, isClientOrderId, MAX_CLIENT_ORDER_ID_LENGTH, MAX_PRICE_TICKS } from '../engine/order-rules.ts';
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
  async function viaGrpc(o: Order, orderId = `p55-${process.pid}-${++gid}`): Promise<string> {
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
      return (await call(stock.submitOrder.bind(stock), req, gu.md)).reason;
    } catch (e) {
      return reasonOf(e);
    }
  }

  /** The order over TCP: the Reject's code, or the Order Response's (engine) code. */
  async function viaTcp(o: Order, clientOrderId = 1_000 + ++tid): Promise<string> {
    const x = { ...BASE, ...o };
    const symbol = x.symbol === 'NOPE' ? 999 : x.symbol;
    try {
      const res = await within(tc.submit({ clientOrderId, symbol, side: 'BUY', kind: x.kind, price: x.price, qty: x.qty, stopPrice: x.stopPrice, postOnly: x.postOnly }));
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
