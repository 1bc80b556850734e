/**
 * aurex.stock.v1.StockService: every RPC except OrderEntry (order-entry.ts).
 * Unary calls authenticate, validate at the edge (order-commands.ts), run the
 * engine command and answer once it is durable. Streams authenticate, watch
 * their token (revoked/expired -> UNAUTHENTICATED), write through a bounded
 * writer (stream-writer.ts) and release their engine subscription the moment
 * the call ends.
 */
import type { ServerWritableStream, ServiceError } from '@grpc/grpc-js';
import type { AuthManager } from '../engine/auth/index.ts';
import { AurexError, Code, codeName } from '../engine/codes.ts';
import type { ExchangeApi, Subscription } from '../engine/core-api.ts';
import type { CommandResult, Principal } from '../engine/types.ts';
import {
  RankBy,
  type AllStocksRequest,
  type AllStocksUpdate,
  type CancelOrderResponse,
  type ExecutionReport,
  type ExecutionsRequest,
  type IndexRequest,
  type IndexUpdate,
  type MarketDataRequest,
  type MarketIndexRequest,
  type MarketIndexUpdate,
  type OrderResponse,
  type PublicTrade,
  type ReplaceOrderResponse,
  type StockQuote,
  type TradesRequest,
} from '../gen/aurex/stock/v1/stock.ts';
import { bearerOf } from './auth-context.ts';
import { deadlineError, deadlinePassed, orderRateError, streamPrincipal, unaryHandler, type MethodSpec } from './call-helpers.ts';
import {
  accountResponse,
  accountTrade,
  changePercent,
  executionReport,
  fillsOf,
  marketIndexUpdate,
  orderInfo,
  priceLevels,
  publicTrade,
  statusToWire,
  stockQuote,
  symbolInfo,
} from './convert.ts';
import { serviceError, toServiceError } from './errors.ts';
import { DEFAULT_DEPTH, MAX_DEPTH, type MarketDataHub } from './market-data-hub.ts';
import { MarketDataWriter } from './market-data-writer.ts';
import { amendErrorCode, cancelCmd, newOrderCmd, replaceCmd, submitCodeIsError, symbolConfig, validClientOrderId } from './order-commands.ts';
import { avgPrice, int64ToSafe, ticksToPrice } from './price.ts';
import { isMalformed } from './service-defs.ts';
import { LatestWriter, StreamWriter, type StreamWriterOptions } from './stream-writer.ts';

const B = BigInt;
const SVC = '/aurex.stock.v1.StockService/';

/** Method classes and rate-limit names (see auth-context.ts). */
export const STOCK_METHODS: Record<string, MethodSpec> = {
  submitOrder: { cls: 'order' },
  cancelOrder: { cls: 'order' },
  replaceOrder: { cls: 'order' },
  orderEntry: { cls: 'order' },
  // Named for the auth manager's rate limiter so that it counts as a query, not an order.
  orderStatus: { cls: 'query', rateName: `${SVC}QueryOrderStatus` },
  getOrderBook: { cls: 'query', rateName: `${SVC}GetOrderBook` },
  listOpenOrders: { cls: 'query', rateName: `${SVC}ListOpenOrders` },
  getTrades: { cls: 'query', rateName: `${SVC}GetTrades` },
  getMarketIndex: { cls: 'query', rateName: `${SVC}GetMarketIndex` },
  listSymbols: { cls: 'query', rateName: `${SVC}ListSymbols` },
  getAccount: { cls: 'query', rateName: `${SVC}GetAccount` },
  streamMarketData: { cls: 'query', rateName: `${SVC}StreamMarketData` },
  streamTopIndex: { cls: 'query', rateName: `${SVC}StreamTopIndex` },
  streamMarketIndex: { cls: 'query', rateName: `${SVC}StreamMarketIndex` },
  streamAllStocks: { cls: 'query', rateName: `${SVC}StreamAllStocks` },
  streamExecutions: { cls: 'query', rateName: `${SVC}StreamExecutions` },
  streamTrades: { cls: 'query', rateName: `${SVC}StreamTrades` },
};

export interface StreamLimits {
  /** Execution reports / trades held per stream beyond the window before it is closed as slow. */
  maxQueued: number;
  /** A stream blocked this long is closed with RESOURCE_EXHAUSTED. */
  stuckMs: number;
  /** Window (messages not yet flushed) of market-data streams. */
  marketDataWindow: number;
  /** Window of other streams. */
  window: number;
  /** Symbols per StreamMarketData / StreamTrades call. */
  maxSymbolsPerStream: number;
}

/** What the handlers need from the gateway. */
export interface StockContext {
  exchange: ExchangeApi;
  auth: AuthManager;
  hub: MarketDataHub;
  limits: StreamLimits;
  /** Registers a live stream writer (graceful shutdown ends them). Returns false while shutting down. */
  track(w: StreamWriter<unknown>): boolean;
}

function tickOf(exchange: ExchangeApi, symbol: string): number {
  return exchange.symbol(symbol)?.tickSize ?? 1;
}

/** Common prologue of server streams: malformed check, auth, token watch, registration. */
async function openStream<W extends StreamWriter<unknown>>(
  ctx: StockContext,
  call: ServerWritableStream<unknown, unknown>,
  spec: MethodSpec,
  writer: W,
): Promise<Principal | undefined> {
  try {
    if (!ctx.track(writer as StreamWriter<unknown>)) throw new AurexError(Code.SHUTTING_DOWN, 'server is shutting down');
    if (isMalformed(call.request)) throw new AurexError(Code.MALFORMED_FRAME, 'request could not be decoded');
    const p = await streamPrincipal(ctx.auth, call.metadata, spec);
    if (writer.closed) return undefined; // the client left while we authenticated
    const token = bearerOf(call.metadata)!;
    const watch = ctx.auth.watch(token, (err) => writer.closeWithError(serviceError(err.code, err.message)));
    writer.onClose(() => watch.close());
    return p;
  } catch (e) {
    writer.closeWithError(toServiceError(e));
    return undefined;
  }
}

function failStream(writer: StreamWriter<unknown>, e: unknown): void {
  writer.closeWithError(toServiceError(e));
}

function symbolsOf(ctx: StockContext, symbols: string[], allowEmpty: boolean): string[] {
  if (symbols.length === 0 && !allowEmpty) throw new AurexError(Code.MISSING_FIELD, 'symbols is required');
  if (symbols.length > ctx.limits.maxSymbolsPerStream) {
    throw new AurexError(Code.VALUE_OUT_OF_RANGE, `at most ${ctx.limits.maxSymbolsPerStream} symbols per stream`);
  }
  const out = new Set<string>();
  for (const s of symbols) out.add(symbolConfig(ctx.exchange, s).symbol);
  return [...out];
}

function intervalOf(ms: number): number {
  if (ms === 0) return 1000;
  if (ms < 100 || ms > 60_000) throw new AurexError(Code.VALUE_OUT_OF_RANGE, 'interval_ms must be within 100..60000');
  return ms;
}

export function orderResponseOf(res: CommandResult, clientOrderId: string, exchange: ExchangeApi): OrderResponse {
  const o = res.order!;
  const tick = tickOf(exchange, o.symbol);
  return {
    orderId: clientOrderId,
    status: statusToWire(o.status),
    message: res.code === 0 ? 'OK' : codeName(res.code),
    filledQuantity: B(o.filledQty),
    avgFillPrice: avgPrice(o.filledNotionalTicks, o.filledQty, tick),
    exchangeOrderId: B(o.orderId),
    code: res.code,
    reason: codeName(res.code),
    remainingQuantity: B(o.remainingQty),
    filledNotionalTicks: B(o.filledNotionalTicks),
    seq: B(res.seq),
    timestampMs: B(res.ts),
    fills: fillsOf(res.trades, o.orderId, tick),
  };
}

/** The engine's answer to a new order as a unary result: a response, or the error to send. */
export function submitOutcome(res: CommandResult, clientOrderId: string, exchange: ExchangeApi): OrderResponse | ServiceError {
  if (res.duplicate || res.code === Code.DUPLICATE_CLIENT_ORDER_ID) {
    return serviceError(Code.DUPLICATE_CLIENT_ORDER_ID, `order id ${clientOrderId} was already used`);
  }
  if ((res.code !== Code.OK && submitCodeIsError(res.code)) || res.order === undefined) {
    return serviceError(res.code === Code.OK ? Code.INTERNAL : res.code);
  }
  return orderResponseOf(res, clientOrderId, exchange);
}

export function stockHandlers(ctx: StockContext) {
  const { exchange, auth, limits } = ctx;
  const M = STOCK_METHODS;
  const writerOpts = (window: number): StreamWriterOptions => ({ window, maxQueued: limits.maxQueued, stuckMs: limits.stuckMs });

  return {
    // ---------------------------------------------------------------- orders
    submitOrder: unaryHandler(auth, M.submitOrder, (p, req: import('../gen/aurex/stock/v1/stock.ts').OrderRequest, call, done) => {
      const cmd = newOrderCmd(exchange, p, req);
      const rate = auth.checkOrderRate(p);
      if (rate !== Code.OK) throw orderRateError(rate);
      if (deadlinePassed(call)) return done(deadlineError());
      exchange.execute(cmd, (res) => {
        const out = submitOutcome(res, cmd.clientOrderId, exchange);
        if (out instanceof Error) done(out);
        else done(null, out);
      });
    }),

    orderStatus: unaryHandler(auth, M.orderStatus, (p, req: import('../gen/aurex/stock/v1/stock.ts').OrderStatusRequest, _call, done) => {
      if (req.userId !== '' && req.userId !== p.userId) throw new AurexError(Code.PERMISSION_DENIED, 'user_id does not match the authenticated user');
      const ref: { orderId?: number; clientOrderId?: string } = {};
      if (req.orderId !== '') {
        if (!validClientOrderId(req.orderId)) throw new AurexError(Code.INVALID_CLIENT_ORDER_ID, 'order_id must be 1..64 printable ASCII characters');
        ref.clientOrderId = req.orderId;
      }
      if (req.exchangeOrderId !== 0n) ref.orderId = int64ToSafe(req.exchangeOrderId, Code.INVALID_ORDER_ID, 'exchange_order_id');
      if (ref.orderId === undefined && ref.clientOrderId === undefined) throw new AurexError(Code.MISSING_FIELD, 'order_id or exchange_order_id is required');
      const o = exchange.getOrder(p.accountId, ref);
      if (o === undefined) throw new AurexError(Code.UNKNOWN_ORDER, 'no such order');
      const tick = tickOf(exchange, o.symbol);
      const info = orderInfo(o, tick);
      done(null, {
        orderId: o.clientOrderId,
        status: info.status,
        quantity: info.quantity,
        filledQuantity: info.filledQuantity,
        price: info.price,
        avgFillPrice: info.avgFillPrice,
        order: info,
      });
    }),

    cancelOrder: unaryHandler(auth, M.cancelOrder, (p, req: import('../gen/aurex/stock/v1/stock.ts').CancelOrderRequest, call, done) => {
      const cmd = cancelCmd(p, req);
      const rate = auth.checkOrderRate(p);
      if (rate !== Code.OK) throw orderRateError(rate);
      if (deadlinePassed(call)) return done(deadlineError());
      exchange.execute(cmd, (res) => {
        const err = res.code === Code.OK ? undefined : amendErrorCode(res.code);
        if (err !== undefined || res.order === undefined) return done(serviceError(err ?? (res.code || Code.INTERNAL)));
        const o = res.order;
        const out: CancelOrderResponse = {
          clientOrderId: o.clientOrderId,
          exchangeOrderId: B(o.orderId),
          status: statusToWire(o.status),
          code: res.code,
          reason: codeName(res.code),
          order: orderInfo(o, tickOf(exchange, o.symbol)),
          seq: B(res.seq),
        };
        done(null, out);
      });
    }),

    replaceOrder: unaryHandler(auth, M.replaceOrder, (p, req: import('../gen/aurex/stock/v1/stock.ts').ReplaceOrderRequest, call, done) => {
      const cmd = replaceCmd(exchange, p, req);
      const rate = auth.checkOrderRate(p);
      if (rate !== Code.OK) throw orderRateError(rate);
      if (deadlinePassed(call)) return done(deadlineError());
      exchange.execute(cmd, (res) => {
        const err = res.code === Code.OK ? undefined : amendErrorCode(res.code);
        if (err !== undefined || res.order === undefined) return done(serviceError(err ?? (res.code || Code.INTERNAL)));
        const o = res.order;
        const tick = tickOf(exchange, o.symbol);
        const out: ReplaceOrderResponse = {
          clientOrderId: o.clientOrderId,
          exchangeOrderId: B(o.orderId),
          status: statusToWire(o.status),
          code: res.code,
          reason: codeName(res.code),
          order: orderInfo(o, tick),
          seq: B(res.seq),
          fills: fillsOf(res.trades, o.orderId, tick),
        };
        done(null, out);
      });
    }),

    // ---------------------------------------------------------------- queries
    getOrderBook: unaryHandler(auth, M.getOrderBook, (_p, req: import('../gen/aurex/stock/v1/stock.ts').OrderBookRequest, _call, done) => {
      const cfg = symbolConfig(exchange, req.symbol);
      const depth = req.depth === 0 ? 10 : req.depth;
      if (depth > 1000) throw new AurexError(Code.VALUE_OUT_OF_RANGE, 'depth must be at most 1000');
      const b = exchange.book(cfg.symbol, depth);
      if (b === undefined) throw new AurexError(Code.UNKNOWN_SYMBOL, `unknown symbol ${req.symbol}`);
      done(null, {
        symbol: b.symbol,
        mdSeq: B(b.mdSeq),
        bids: priceLevels(b.bids, cfg.tickSize),
        asks: priceLevels(b.asks, cfg.tickSize),
        tickSizeMinor: B(cfg.tickSize),
        halted: exchange.isHalted(cfg.symbol),
      });
    }),

    listOpenOrders: unaryHandler(auth, M.listOpenOrders, (p, req: import('../gen/aurex/stock/v1/stock.ts').ListOpenOrdersRequest, _call, done) => {
      const symbol = req.symbol === '' ? undefined : symbolConfig(exchange, req.symbol).symbol;
      const orders = exchange.openOrders(p.accountId, symbol);
      done(null, { orders: orders.map((o) => orderInfo(o, tickOf(exchange, o.symbol))) });
    }),

    getTrades: unaryHandler(auth, M.getTrades, (p, req: import('../gen/aurex/stock/v1/stock.ts').GetTradesRequest, _call, done) => {
      const limit = req.limit === 0 ? 100 : req.limit;
      if (limit > 1000) throw new AurexError(Code.VALUE_OUT_OF_RANGE, 'limit must be at most 1000');
      const symbol = req.symbol === '' ? undefined : symbolConfig(exchange, req.symbol).symbol;
      const after = int64ToSafe(req.afterTradeId, Code.VALUE_OUT_OF_RANGE, 'after_trade_id');
      let trades;
      if (req.exchangeOrderId !== 0n) {
        const orderId = int64ToSafe(req.exchangeOrderId, Code.INVALID_ORDER_ID, 'exchange_order_id');
        if (exchange.getOrder(p.accountId, { orderId }) === undefined) throw new AurexError(Code.UNKNOWN_ORDER, 'no such order');
        trades = exchange
          .orderTrades(orderId)
          .filter((t) => (symbol === undefined || t.symbol === symbol) && t.tradeId > after)
          .slice(-limit);
      } else {
        const opts: { symbol?: string; limit?: number; afterTradeId?: number } = { limit };
        if (symbol !== undefined) opts.symbol = symbol;
        if (after > 0) opts.afterTradeId = after;
        trades = exchange.accountTrades(p.accountId, opts);
      }
      done(null, { trades: trades.map((t) => accountTrade(t, p.accountId, tickOf(exchange, t.symbol))) });
    }),

    getMarketIndex: unaryHandler(auth, M.getMarketIndex, (_p, req: MarketIndexRequest, _call, done) => {
      if (req.indexName === '') throw new AurexError(Code.MISSING_FIELD, 'index_name is required');
      const v = exchange.index(req.indexName);
      if (v === undefined) throw new AurexError(Code.UNKNOWN_INDEX, `unknown index ${req.indexName}`);
      done(null, { index: marketIndexUpdate(v, (s) => tickOf(exchange, s)), indexNames: exchange.indexNames() });
    }),

    listSymbols: unaryHandler(auth, M.listSymbols, (_p, _req: unknown, _call, done) => {
      done(null, { symbols: exchange.symbols().map((c) => symbolInfo(c, exchange.isHalted(c.symbol))) });
    }),

    getAccount: unaryHandler(auth, M.getAccount, (p, _req: unknown, _call, done) => {
      const a = exchange.account(p.accountId);
      if (a === undefined) throw new AurexError(Code.UNKNOWN_ACCOUNT, 'no trading account');
      done(null, accountResponse(a));
    }),

    // ---------------------------------------------------------------- streams
    streamExecutions: async (call: ServerWritableStream<ExecutionsRequest, ExecutionReport>) => {
      const writer = new StreamWriter<ExecutionReport>(call, writerOpts(limits.window));
      const p = await openStream(ctx, call as ServerWritableStream<unknown, unknown>, M.streamExecutions!, writer);
      if (p === undefined) return;
      try {
        const from = call.request.fromSeq;
        if (from < -1n) throw new AurexError(Code.VALUE_OUT_OF_RANGE, 'from_seq must be -1, 0 or a sequence');
        const fromSeq = from === -1n ? -1 : int64ToSafe(from, Code.VALUE_OUT_OF_RANGE, 'from_seq');
        const sub = exchange.subscribeExecutions(p.accountId, { fromSeq }, (r) => {
          writer.send(executionReport(r, tickOf(exchange, r.symbol)));
        });
        writer.onClose(() => sub.close());
      } catch (e) {
        failStream(writer, e);
      }
    },

    streamTrades: async (call: ServerWritableStream<TradesRequest, PublicTrade>) => {
      const writer = new StreamWriter<PublicTrade>(call, writerOpts(limits.window));
      const p = await openStream(ctx, call as ServerWritableStream<unknown, unknown>, M.streamTrades!, writer);
      if (p === undefined) return;
      try {
        const symbols = symbolsOf(ctx, call.request.symbols, true);
        const subs: Subscription[] = [];
        writer.onClose(() => subs.forEach((s) => s.close()));
        for (const s of symbols.length ? symbols : ['*']) {
          subs.push(exchange.subscribeTrades(s, (t) => writer.send(publicTrade(t, tickOf(exchange, t.symbol)))));
        }
        if (writer.closed) subs.forEach((s) => s.close());
      } catch (e) {
        failStream(writer, e);
      }
    },

    streamMarketData: async (call: ServerWritableStream<MarketDataRequest, Buffer>) => {
      const writer = new MarketDataWriter(call, ctx.hub.snapshot, { window: limits.marketDataWindow, stuckMs: limits.stuckMs });
      const p = await openStream(ctx, call as ServerWritableStream<unknown, unknown>, M.streamMarketData!, writer);
      if (p === undefined) return;
      try {
        const symbols = symbolsOf(ctx, call.request.symbols, false);
        const depth = call.request.depth === 0 ? DEFAULT_DEPTH : call.request.depth;
        if (depth > MAX_DEPTH) throw new AurexError(Code.VALUE_OUT_OF_RANGE, `depth must be at most ${MAX_DEPTH}`);
        const unsubs: (() => void)[] = [];
        writer.onClose(() => unsubs.forEach((u) => u()));
        for (const s of symbols) {
          if (writer.closed) break;
          unsubs.push(ctx.hub.subscribe(s, depth, writer));
        }
      } catch (e) {
        failStream(writer, e);
      }
    },

    streamMarketIndex: async (call: ServerWritableStream<MarketIndexRequest, MarketIndexUpdate>) => {
      const writer = new LatestWriter<MarketIndexUpdate>(call, writerOpts(8));
      const p = await openStream(ctx, call as ServerWritableStream<unknown, unknown>, M.streamMarketIndex!, writer);
      if (p === undefined) return;
      try {
        const name = call.request.indexName;
        if (name === '') throw new AurexError(Code.MISSING_FIELD, 'index_name is required');
        const first = exchange.index(name);
        if (first === undefined) throw new AurexError(Code.UNKNOWN_INDEX, `unknown index ${name}`);
        const tick = (s: string) => tickOf(exchange, s);
        let lastSeq = first.seq;
        let lastTs = first.ts;
        writer.offer(marketIndexUpdate(first, tick));
        const sub = exchange.subscribeIndex(name, (v) => {
          if (v.seq === lastSeq && v.ts === lastTs) return;
          lastSeq = v.seq;
          lastTs = v.ts;
          writer.offer(marketIndexUpdate(v, tick));
        });
        writer.onClose(() => sub.close());
      } catch (e) {
        failStream(writer, e);
      }
    },

    streamTopIndex: async (call: ServerWritableStream<IndexRequest, IndexUpdate>) => {
      const writer = new LatestWriter<IndexUpdate>(call, writerOpts(8));
      const p = await openStream(ctx, call as ServerWritableStream<unknown, unknown>, M.streamTopIndex!, writer);
      if (p === undefined) return;
      try {
        const req = call.request;
        const n = req.topN === 0 ? 10 : req.topN;
        if (n > 100) throw new AurexError(Code.VALUE_OUT_OF_RANGE, 'top_n must be at most 100');
        if (req.rankBy !== RankBy.UNSPECIFIED && req.rankBy !== RankBy.VOLUME && req.rankBy !== RankBy.CHANGE) {
          throw new AurexError(Code.INVALID_ENUM, 'rank_by is not a known value');
        }
        const by = req.rankBy === RankBy.CHANGE ? 'change' : 'volume';
        const interval = intervalOf(req.intervalMs);
        let sentAt = -1;
        const tick = () => {
          const seq = exchange.lastSeq();
          if (seq === sentAt) return; // nothing changed since the last update
          sentAt = seq;
          const names = exchange.indexNames();
          const main = names.length ? exchange.index(names[0]!) : undefined;
          writer.offer({
            stocks: exchange.ranking(by, n).map((r, i) => ({
              rank: i + 1,
              symbol: r.symbol,
              lastPrice: ticksToPrice(r.last, tickOf(exchange, r.symbol)),
              lastPriceTicks: B(r.last),
              volume: B(r.volume),
              changePercent: r.changePercent,
            })),
            indexName: main?.name ?? '',
            indexValue: main?.value ?? 0,
            changePercent: main?.changePercent ?? 0,
            timestampMs: B(Date.now()),
          });
        };
        tick();
        const timer = setInterval(tick, interval);
        writer.onClose(() => clearInterval(timer));
      } catch (e) {
        failStream(writer, e);
      }
    },

    streamAllStocks: async (call: ServerWritableStream<AllStocksRequest, AllStocksUpdate>) => {
      const writer = new LatestWriter<AllStocksUpdate>(call, writerOpts(8));
      const p = await openStream(ctx, call as ServerWritableStream<unknown, unknown>, M.streamAllStocks!, writer);
      if (p === undefined) return;
      try {
        const interval = intervalOf(call.request.intervalMs);
        // md_seq last SENT per symbol: a skipped period (slow client) loses nothing.
        const sent = new Map<string, number>();
        let first = true;
        const tick = () => {
          if (writer.blocked || writer.queued > 0) return;
          const quotes: StockQuote[] = [];
          for (const cfg of exchange.symbols()) {
            const l1 = exchange.l1(cfg.symbol);
            if (l1 === undefined) continue;
            if (!first && sent.get(cfg.symbol) === l1.mdSeq) continue;
            sent.set(cfg.symbol, l1.mdSeq);
            quotes.push(stockQuote(cfg, l1));
          }
          if (quotes.length === 0 && !first) return;
          writer.offer({ stocks: quotes, snapshot: first, timestampMs: B(Date.now()) });
          first = false;
        };
        tick();
        const timer = setInterval(tick, interval);
        writer.onClose(() => clearInterval(timer));
      } catch (e) {
        failStream(writer, e);
      }
    },
  };
}

export { changePercent };
