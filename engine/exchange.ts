/**
 * The deterministic exchange: symbols, accounts and risk, the order lifecycle,
 * settlement, stops and market-data state. `apply(cmd)` is the only way state
 * changes; it uses nothing but the command (including its stamped seq and ts),
 * never the clock or randomness, so a log of stamped commands replays to the
 * same state (stateHash()).
 *
 * Events (execution reports, trades, "this symbol's picture changed") go to one
 * ExchangeListener synchronously during apply; the core (engine/core.ts) holds
 * them until the command is durable.
 *
 * Hot path notes: one Map lookup by string per command (the symbol), numeric
 * Map lookup for the account, order records in typed-array rows addressed
 * by slot (engine/order.ts; no object per order), an open-addressing typed
 * table for client ids, book events read straight from the book's typed array.
 */
import { createHash } from 'node:crypto';
import { AurexError, Code } from './codes.ts';
import { EV_STRIDE, EvKind, OrderFlag, OrderType, REST_STRIDE, Side, type BookConfig } from './book/layout.ts';
import type {
  AddSymbolCmd,
  AdjustPositionCmd,
  CancelCmd,
  Command,
  CommandResult,
  CreateAccountCmd,
  DepositCmd,
  ExecKind,
  ExecReport,
  HaltCmd,
  L1,
  MarketDataUpdate,
  MassCancelCmd,
  NewOrderCmd,
  OrderKind,
  OrderView,
  ReplaceCmd,
  SymbolConfig,
  TradeEvent,
} from './types.ts';
import type { AccountView, BookView, IndexView, RankingEntry } from './core-api.ts';
import { Account, AccountMoney, buyReserve, feeOf, M_CASH, M_POS, M_RES_CASH } from './accounts.ts';
import { TRADE_W, TR_BUY_ACCOUNT, TR_SELL_ACCOUNT, TR_SYMBOL, TradeLog } from './trade-log.ts';
import { ExecLog } from './exec-log.ts';
import { cidCode } from './client-id-code.ts';
import {
  B_BOOK_TYPE,
  B_FLAGS,
  B_KIND,
  B_SIDE,
  B_STATUS,
  BUY,
  D_FILLED,
  D_ID,
  D_LAST_SEQ,
  D_NOTIONAL,
  D_PRICE,
  D_QTY,
  D_REMAINING,
  D_RES_PRICE,
  D_RESERVED,
  D_UPDATED_TS,
  F_LIVE,
  I_ACCT,
  I_CODE,
  I_SYM,
  X_CREATED_TS,
  X_STOP_PRICE,
  F_PENDING_STOP,
  F_POST_ONLY,
  K_LIMIT,
  K_STOP,
  K_STOP_LIMIT,
  EXEC_KIND_NAMES,
  KIND_NAMES,
  OrderStore,
  SELL,
  STATUS_NAMES,
  ST_CANCELLED,
  ST_EXPIRED,
  ST_NEW,
  ST_OPEN,
  ST_PARTIAL,
  ST_REJECTED,
  kindCode,
  MAX_ORDER_SLOTS,
  X_ACCEPTED,
  X_CANCELLED,
  X_EXPIRED,
  X_FILL,
  X_REJECTED,
  X_REPLACED,
  X_TRIGGERED,
} from './order.ts';
import { SymbolEngine } from './symbol-engine.ts';
import { OrderTable } from './order-table.ts';
import { archPos, archRef, ClientIdIndex } from './client-id-index.ts';
import { checkLimitPrice, checkNotional, checkQty, orderPrice } from './risk.ts';
import { loadMarketConfig, validateSymbolConfig, type IndexConfig, type MarketConfig } from './symbols.ts';
import { MarketIndex, rankSymbols } from './indices.ts';
import { DEFAULT_L2_LEVELS, l1Of, levelsOf, mdUpdateOf } from './market-data.ts';
import { bookFactory, type BookChoice, type BookFactory } from './book-factory.ts';
import { lazyBigBuffers } from './big-buffer.ts';
import {
  OC_ACCOUNT,
  OC_BOOK_TYPE,
  OC_CODE,
  OC_CREATED_TS,
  OC_FILLED,
  OC_FLAGS,
  OC_ID,
  OC_KIND,
  OC_LAST_SEQ,
  OC_NOTIONAL,
  OC_PRICE,
  OC_QTY,
  OC_REMAINING,
  OC_RESERVED,
  OC_RES_PRICE,
  OC_SIDE,
  OC_STATUS,
  OC_STOP_PRICE,
  OC_SYMBOL,
  OC_UPDATED_TS,
  OF_LIVE,
  OF_PENDING_STOP,
  OF_POST_ONLY,
  ORDER_W,
  SNAPSHOT_VERSION,
  type AccountSnapshot,
  type ExchangeSnapshot,
  type OrderColumns,
} from './snapshot.ts';

/** Receives everything apply() produces, synchronously and in order. */
export interface ExchangeListener {
  onExec(r: ExecReport): void;
  onTrade(t: TradeEvent, sym: SymbolEngine): void;
  /** The symbol's public picture changed in this command (called once per command per symbol). */
  onSymbolChanged(sym: SymbolEngine): void;
}

const NOOP_LISTENER: ExchangeListener = {
  onExec() {},
  onTrade() {},
  onSymbolChanged() {},
};

export interface ExchangeOptions {
  /** Symbols and indices; default: config/symbols.json. */
  market?: MarketConfig;
  /** Book implementation: 'auto' (native when built), 'native', 'reference', or a factory. */
  book?: BookChoice | BookFactory;
  /** Book settings (self-trade prevention mode, initial pool size...). */
  bookConfig?: BookConfig;
  /** Open orders (incl. untriggered stops) per account. Default 10,000. */
  maxOpenOrdersPerAccount?: number;
  /** New orders + replaces per account per second of command time. Default 10,000. */
  maxOrdersPerSecond?: number;
  /**
   * Terminal orders kept exchange-wide for queries and duplicate detection: the
   * last this many to close, oldest forgotten first. Default 1,048,576; 0 keeps
   * none; at most 16,777,216. They live in an archive of 128-byte rows written in
   * close order (~150 bytes each with their index entries, nothing for the
   * collector), apart from the live orders (docs/engine.md, "Terminal-order
   * archive"); full history is PostgreSQL's.
   */
  retainTerminalOrders?: number;
  /**
   * Trades kept per account for history queries: at most this many of the
   * account's newest, among the last `tradeLogRows` trades of the whole exchange.
   * Default 1,000. Part of the state (snapshots carry them).
   */
  retainTrades?: number;
  /** Trades kept exchange-wide (the trade log's rows, 120 bytes each, allocated as trades happen). Default 262,144. */
  tradeLogRows?: number;
  /**
   * Execution reports kept per account for resume after reconnect (execReports):
   * at most this many of the account's newest, among the last `execLogRows`
   * reports of the whole exchange. Default 1,000; 0 keeps none. Not part of the
   * state: a restored exchange starts with an empty history, a replayed one
   * refills it.
   */
  execHistory?: number;
  /**
   * Execution reports kept exchange-wide (the log's rows, ~170 bytes each, plus up to
   * three retained client-id strings per row). Default 65,536.
   */
  execLogRows?: number;
  /**
   * Live orders (untriggered stops included) the exchange holds at once. A new
   * order beyond it is rejected with BOOK_FULL. Default and largest 16,777,216
   * (MAX_ORDER_SLOTS: 2 GiB of 128-byte order rows). Retained terminal orders
   * are bounded apart, by retainTerminalOrders.
   */
  maxKnownOrders?: number;
}

/** ExchangeOptions.retainTerminalOrders by default. */
export const DEFAULT_RETAIN_TERMINAL = 1 << 20;

/** Live-order slots reserved up front when big buffers are lazily backed (rows: 128 MB of address space). */
export const LIVE_RESERVE_SLOTS = 1 << 20;

/** Largest ExchangeOptions.execHistory / execLogRows / retainTrades / tradeLogRows. */
const MAX_LOG_ROWS = 1 << 26;

/** The book's OrderType an order kind enters the book as (stops: after their trigger). */
function bookTypeOf(kind: OrderKind): number {
  switch (kind) {
    case 'MARKET':
    case 'STOP':
      return OrderType.MARKET;
    case 'IOC':
      return OrderType.IOC;
    case 'FOK':
      return OrderType.FOK;
    default:
      return OrderType.LIMIT;
  }
}

// what drain() is processing
const OP_NEW = 0;
const OP_CANCEL = 1;
const OP_REPLACE = 2;
const OP_TRIGGER = 3;

/** A snapshot's rows as a Float64Array: as they are, or from a plain number array (a snapshot that went through JSON); else undefined. */
function snapshotRows(v: unknown): Float64Array | undefined {
  if (v instanceof Float64Array) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Float64Array.from(v as number[]);
  return undefined;
}

function result(code: Code, seq: number, ts: number, order: OrderView | undefined, trades: TradeEvent[] | undefined): CommandResult {
  return { code, seq, ts, order, duplicate: undefined, trades, cancelled: undefined };
}

/** The result view of a new order rejected before it got an id. */
function rejectedView(cmd: NewOrderCmd, code: Code, seq: number, ts: number): OrderView {
  return {
    orderId: 0,
    clientOrderId: cmd.clientOrderId,
    accountId: cmd.accountId,
    symbol: cmd.symbol,
    side: cmd.side,
    kind: cmd.kind,
    price: cmd.price,
    stopPrice: cmd.stopPrice ?? 0,
    postOnly: cmd.postOnly === true,
    qty: cmd.qty,
    filledQty: 0,
    remainingQty: 0,
    filledNotionalTicks: 0,
    status: 'REJECTED',
    code,
    createdTs: ts,
    updatedTs: ts,
    lastSeq: seq,
  };
}

export class Exchange {
  private readonly symbolsByName = new Map<string, SymbolEngine>();
  private readonly symbolList: SymbolEngine[] = [];
  /** Symbol names by dense index (symbolList's order): the names of retained trade rows. */
  private readonly symbolNames: string[] = [];
  private readonly accounts = new Map<number, Account>();
  /** Accounts by dense index (Account.idx, creation order). */
  private readonly accountList: Account[] = [];
  /** Every account's money, a row each (row = Account.idx). */
  private readonly money = new AccountMoney(0);
  /**
   * Live order records as typed-array rows, by slot. A slot is freed when the
   * command that closed its order ends, and reused first, so the rows in use
   * stay few and in cache.
   */
  private readonly store = new OrderStore(this.accountList, this.symbolList);
  /**
   * Retained terminal orders: a ring of final rows in close order (within one
   * command, ascending order id), positions 0..keepTerminal-1, the oldest at
   * archHead once full. Written sequentially, read only by queries.
   */
  private readonly arch = new OrderStore(this.accountList, this.symbolList);
  private archHead = 0;
  private archSize = 0;
  /** Slots of the orders the running command closed, archived when it ends. */
  private closing = new Int32Array(64);
  private nClosing = 0;
  /** Engine order id -> reference: a live slot (>= 0) or an archive position's archRef (<= -2). */
  private readonly orders = new OrderTable();
  private readonly byCid = new ClientIdIndex(this.store, this.arch);
  /** The reject code of the last findOrder() that returned -1. */
  private findCode: Code = Code.OK;
  /** False inside replay(): results of new orders, cancels and replaces carry no order view. */
  private views = true;
  private readonly indexByName = new Map<string, MarketIndex>();
  private readonly makeBook: BookFactory;
  private readonly bookConfig: BookConfig;
  private readonly maxOpen: number;
  private readonly maxRate: number;
  private readonly keepTerminal: number;
  /** Retained trades for account history (part of the state). */
  private tradeLog: TradeLog;
  /** Execution-report history for resume (not part of the state). */
  private execLog: ExecLog;
  private listener: ExchangeListener = NOOP_LISTENER;
  /** False without a listener (recovery, tools): reports are only counted (accountSeq) and kept in the history, not built. */
  private reports = false;
  /**
   * With a report filter (setReportFilter): 1 at Account.idx when that account's
   * report objects are wanted; the ids wanted (accounts may be created later).
   */
  private reportWanted: Uint8Array | undefined;
  private readonly wantedIds = new Set<number>();

  private seq = 0;
  private lastTs = 0;
  private lastOrderId = 0;
  private lastTradeId = 0;
  /** Fees charged so far (minor units): cash + fees is conserved. */
  private feesCollected = 0;
  /** Trades of the command being applied (allocated on its first trade). */
  private cmdTrades: TradeEvent[] | undefined = undefined;
  /** Code of the last REJECTED book event seen by drain(). */
  private bookReject: Code = Code.OK;
  /** Reason forced onto book cancels (mass cancel / expiry); 0 = the book's own. */
  private cancelReason: Code = Code.OK;

  constructor(opts: ExchangeOptions = {}) {
    const market = opts.market ?? loadMarketConfig();
    this.makeBook = bookFactory(opts.book ?? 'auto');
    this.bookConfig = opts.bookConfig ?? {};
    this.maxOpen = opts.maxOpenOrdersPerAccount ?? 10_000;
    this.maxRate = opts.maxOrdersPerSecond ?? 10_000;
    this.keepTerminal = opts.retainTerminalOrders ?? DEFAULT_RETAIN_TERMINAL;
    if (!Number.isSafeInteger(this.keepTerminal) || this.keepTerminal < 0 || this.keepTerminal > MAX_ORDER_SLOTS) {
      throw new AurexError(Code.INVALID_ARGUMENT, `retainTerminalOrders must be an integer in 0..${MAX_ORDER_SLOTS}, got ${String(this.keepTerminal)}`);
    }
    // The archive's rows are one mapping of its full size, touched as it fills (a
    // huge-page one when the addon is built): it never grows by copying. The
    // client-id table gets room for a full archive (probes spread over it anyway).
    this.arch.reserve(this.keepTerminal);
    this.byCid.reserve(Math.min(this.keepTerminal, 1 << 22) + 16_384);
    const keepTrades = opts.retainTrades ?? 1_000;
    const tradeRows = opts.tradeLogRows ?? 1 << 18;
    const perAccount = opts.execHistory ?? 1_000;
    const rows = opts.execLogRows ?? 1 << 16;
    for (const [name, v] of [
      ['retainTrades', keepTrades],
      ['tradeLogRows', tradeRows],
      ['execHistory', perAccount],
      ['execLogRows', rows],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0 || v > MAX_LOG_ROWS) {
        throw new AurexError(Code.INVALID_ARGUMENT, `${name} must be an integer in 0..${MAX_LOG_ROWS}, got ${String(v)}`);
      }
    }
    const maxKnown = opts.maxKnownOrders ?? MAX_ORDER_SLOTS;
    if (!Number.isSafeInteger(maxKnown) || maxKnown < 1 || maxKnown > MAX_ORDER_SLOTS) {
      throw new AurexError(Code.INVALID_ARGUMENT, `maxKnownOrders must be an integer in 1..${MAX_ORDER_SLOTS}, got ${String(maxKnown)}`);
    }
    this.store.maxSlots = maxKnown;
    // The live store likewise, up to LIVE_RESERVE_SLOTS, when its mapping is backed
    // only as it is touched: growing by doubling copies every row on the matching
    // thread (at 2^20 live orders, 128 MB copied into fresh pages: a stall of a few
    // hundred ms on this kind of VM) and touches twice the memory on the way.
    if (lazyBigBuffers()) this.store.reserve(Math.min(maxKnown, LIVE_RESERVE_SLOTS));
    this.tradeLog = new TradeLog(tradeRows, keepTrades);
    this.execLog = new ExecLog(rows, perAccount);
    for (const ic of market.indices) this.indexByName.set(ic.name, new MarketIndex(ic));
    for (const sc of market.symbols) {
      const cfg = validateSymbolConfig(sc);
      for (const name of Object.keys(cfg.indices ?? {})) {
        if (!this.indexByName.has(name)) throw new AurexError(Code.INVALID_CONFIG, `symbol ${cfg.symbol}: unknown index ${name}`);
      }
      const sym = this.addSymbolEngine(cfg);
      for (const [name, w] of Object.entries(cfg.indices ?? {})) this.indexByName.get(name)!.members.push({ sym, weight: w, seen: 0 });
    }
    // Divisors once every member is in: each index starts at its base.
    for (const idx of this.indexByName.values()) idx.initDivisor();
  }

  /**
   * Where apply() sends its events. `reports` false: no execution-report objects
   * are built (a replay that only needs the history); the history is written
   * either way.
   */
  setListener(l: ExchangeListener | undefined, reports = true): void {
    this.listener = l ?? NOOP_LISTENER;
    this.reports = l !== undefined && reports;
  }

  // =============================================================== commands
  /**
   * Applies one stamped command (seq > lastSeq(), ts set). Business outcomes are
   * codes in the result; only a broken precondition (unstamped or out-of-order
   * command) throws, because that is a bug in the caller, not an input.
   */
  apply(cmd: Command): CommandResult {
    return this.applyCmd(cmd);
  }

  /**
   * apply() for recovery and shadow replays, which only need the state: the
   * same state change, the code alone returned, and no copy of the order's
   * state built for a result nobody reads (about 4% of a replay, measured).
   */
  replay(cmd: Command): Code {
    this.views = false;
    try {
      return this.applyCmd(cmd).code;
    } finally {
      this.views = true;
    }
  }

  private applyCmd(cmd: Command): CommandResult {
    const seq = cmd.seq!;
    const ts = cmd.ts!;
    if (!(seq > this.seq) || !Number.isSafeInteger(seq) || !Number.isSafeInteger(ts)) {
      throw new AurexError(Code.INTERNAL, `command seq ${String(seq)} / ts ${String(ts)} not stamped in order (last seq ${this.seq})`);
    }
    this.seq = seq;
    this.lastTs = ts;
    this.cmdTrades = undefined;
    const r = this.dispatch(cmd, seq, ts);
    if (this.nClosing !== 0) this.archiveClosed();
    return r;
  }

  private dispatch(cmd: Command, seq: number, ts: number): CommandResult {
    switch (cmd.type) {
      case 'new':
        return this.newOrder(cmd, seq, ts);
      case 'cancel':
        return this.cancelOrder(cmd, seq, ts);
      case 'replace':
        return this.replaceOrder(cmd, seq, ts);
      case 'massCancel':
        return this.massCancel(cmd, seq, ts);
      case 'createAccount':
        return this.createAccount(cmd, seq, ts);
      case 'deposit':
        return this.deposit(cmd, seq, ts);
      case 'adjustPosition':
        return this.adjustPosition(cmd, seq, ts);
      case 'halt':
      case 'resume':
        return this.haltResume(cmd, seq, ts);
      case 'addSymbol':
        return this.addSymbol(cmd, seq, ts);
      default:
        return result(Code.INVALID_ARGUMENT, seq, ts, undefined, undefined);
    }
  }

  // ---------------------------------------------------------------- new order
  private newOrder(cmd: NewOrderCmd, seq: number, ts: number): CommandResult {
    const acct = this.accounts.get(cmd.accountId);
    if (acct === undefined) return this.rejectNew(cmd, Code.UNKNOWN_ACCOUNT, undefined, seq, ts);
    const sym = this.symbolsByName.get(cmd.symbol);
    if (sym === undefined) return this.rejectNew(cmd, Code.UNKNOWN_SYMBOL, acct, seq, ts);
    const st = this.store;
    const cidc = cidCode(cmd.clientOrderId);
    // an id beyond every code the account used needs no probe of the (cold) index
    const fresh = this.byCid.isFresh(acct.idx, cidc);
    if (!fresh) {
      const dup = this.byCid.find(acct.id, cmd.clientOrderId, cidc);
      if (dup !== -1) {
        const r = result(Code.DUPLICATE_CLIENT_ORDER_ID, seq, ts, this.resultView(dup), undefined);
        r.duplicate = true;
        return r;
      }
    }
    if (!acct.takeRate(ts, this.maxRate)) return this.rejectNew(cmd, Code.ORDER_RATE_EXCEEDED, acct, seq, ts);
    if (sym.halted) return this.rejectNew(cmd, Code.SYMBOL_HALTED, acct, seq, ts);
    const side = cmd.side === 'BUY' ? BUY : SELL;
    const qty = cmd.qty;
    let code = checkQty(sym, qty);
    if (code !== Code.OK) return this.rejectNew(cmd, code, acct, seq, ts);
    const kind = cmd.kind;
    const stopPrice = cmd.stopPrice ?? 0;
    const resPrice = orderPrice(sym, kind, side, cmd.price, stopPrice);
    if (resPrice < 0) return this.rejectNew(cmd, -resPrice as Code, acct, seq, ts);
    code = checkNotional(sym, resPrice, qty);
    if (code !== Code.OK) return this.rejectNew(cmd, code, acct, seq, ts);
    if (acct.openCount >= this.maxOpen) return this.rejectNew(cmd, Code.TOO_MANY_OPEN_ORDERS, acct, seq, ts);
    if (st.full) return this.rejectNew(cmd, Code.BOOK_FULL, acct, seq, ts);
    let reserve: number;
    const mm = this.money.m;
    const row = acct.idx * this.money.stride;
    if (side === BUY) {
      reserve = buyReserve(resPrice, qty, sym.tickSize, sym.maxFeeBps);
      if (reserve > mm[row + M_CASH]! - mm[row + M_RES_CASH]!) return this.rejectNew(cmd, Code.INSUFFICIENT_BUYING_POWER, acct, seq, ts);
      mm[row + M_RES_CASH] += reserve;
    } else {
      reserve = qty;
      const k = row + M_POS + 2 * sym.idx;
      if (qty > mm[k]! - mm[k + 1]!) return this.rejectNew(cmd, Code.INSUFFICIENT_SHARES, acct, seq, ts);
      mm[k + 1] += qty;
    }
    const postOnly = cmd.postOnly === true;
    const bookType = bookTypeOf(kind) | (postOnly ? OrderFlag.POST_ONLY : 0);
    const kc = kindCode(kind);
    const stop = kc === K_STOP || kc === K_STOP_LIMIT;
    const id = ++this.lastOrderId;
    const o = st.alloc();
    st.d[(o << 4) + D_ID] = id;
    st.setCid(o, cmd.clientOrderId, cidc);
    st.i[(o << 5) + I_ACCT] = acct.idx;
    st.i[(o << 5) + I_SYM] = sym.idx;
    st.b[(o << 7) + B_SIDE] = side;
    st.b[(o << 7) + B_KIND] = kc;
    st.b[(o << 7) + B_BOOK_TYPE] = bookType;
    st.d[(o << 4) + D_PRICE] = resPrice;
    st.cold[(o << 1) + X_STOP_PRICE] = stopPrice;
    st.d[(o << 4) + D_QTY] = qty;
    st.d[(o << 4) + D_FILLED] = 0;
    st.d[(o << 4) + D_REMAINING] = qty;
    st.d[(o << 4) + D_NOTIONAL] = 0;
    st.d[(o << 4) + D_RES_PRICE] = resPrice;
    st.d[(o << 4) + D_RESERVED] = reserve;
    st.b[(o << 7) + B_STATUS] = ST_NEW;
    st.i[(o << 5) + I_CODE] = Code.OK;
    st.cold[(o << 1) + X_CREATED_TS] = ts;
    st.d[(o << 4) + D_UPDATED_TS] = ts;
    st.d[(o << 4) + D_LAST_SEQ] = seq;
    st.b[(o << 7) + B_FLAGS] = F_LIVE | (postOnly ? F_POST_ONLY : 0) | (stop ? F_PENDING_STOP : 0);
    acct.openCount++;
    acct.linkLive(st, o);
    this.orders.set(id, o);
    if (fresh) this.byCid.insertFresh(o);
    else this.byCid.insertAfterMiss(o);
    if (stop) {
      this.exec(X_ACCEPTED, o, seq, ts);
      sym.addStop(o, st.b[(o << 7) + B_SIDE] === Side.BUY, stopPrice);
      // A stop whose condition already holds triggers at once, like one triggered by the next print.
      this.runStops(sym, seq, ts);
    } else {
      const n = sym.book.submit(id, acct.id, side, bookType, resPrice, qty, ts);
      this.drain(sym, n, o, OP_NEW, seq, ts);
      if (sym.stops.length !== 0) this.runStops(sym, seq, ts);
    }
    // the slot still holds the order: a closed one is archived when the command ends
    return result(Code.OK, seq, ts, this.resultView(o), this.cmdTrades);
  }

  /** The view of reference `r` (a live slot or an archived order's archRef). */
  private viewOf(r: number): OrderView {
    return r >= 0 ? this.store.view(r) : this.arch.view(archPos(r));
  }

  /** The view of reference `r` for a command's result; none in a replay, whose results nobody reads. */
  private resultView(r: number): OrderView | undefined {
    return this.views ? this.viewOf(r) : undefined;
  }

  private rejectNew(cmd: NewOrderCmd, code: Code, acct: Account | undefined, seq: number, ts: number): CommandResult {
    const view = this.views ? rejectedView(cmd, code, seq, ts) : undefined;
    if (acct === undefined) return result(code, seq, ts, view, undefined);
    const accountSeq = ++acct.execSeq;
    this.execLog.pushRejectedNew(acct, cmd, code, this.symbolsByName.get(cmd.symbol)?.idx ?? -1, accountSeq, seq, ts);
    if (this.wantsReports(acct)) {
      this.listener.onExec({
        accountSeq,
        accountId: acct.id,
        seq,
        ts,
        kind: 'REJECTED',
        orderId: 0,
        clientOrderId: cmd.clientOrderId,
        symbol: cmd.symbol,
        side: cmd.side,
        orderKind: cmd.kind,
        price: cmd.price,
        qty: cmd.qty,
        filledQty: 0,
        remainingQty: 0,
        status: 'REJECTED',
        code,
        tradeId: undefined,
        lastPrice: undefined,
        lastQty: undefined,
        liquidity: undefined,
        fee: undefined,
      });
    }
    return result(code, seq, ts, view, undefined);
  }

  // ---------------------------------------------------------------- book events
  /**
   * Walks the `n` events of the op just sent for `cur` and applies them:
   * settlement for trades, lifecycle for rests/cancels/rejects/replaces.
   */
  private drain(sym: SymbolEngine, n: number, cur: number, op: number, seq: number, ts: number): void {
    const ev = sym.book.events;
    const st = this.store;
    let changed = false;
    this.bookReject = Code.OK;
    for (let i = 0, p = 0; i < n; i++, p += EV_STRIDE) {
      const k = ev[p];
      if (k === EvKind.LEVEL) {
        changed = true;
      } else if (k === EvKind.TRADE) {
        changed = true;
        this.fill(sym, ev[p + 1]!, cur, ev[p + 3]!, ev[p + 4]!, ev[p + 5]!, ev[p + 6]!, seq, ts);
      } else if (k === EvKind.RESTED) {
        st.b[(cur << 7) + B_STATUS] = st.d[(cur << 4) + D_FILLED]! > 0 ? ST_PARTIAL : ST_OPEN;
      } else if (k === EvKind.ACCEPTED) {
        if (op === OP_NEW) this.exec(X_ACCEPTED, cur, seq, ts);
      } else if (k === EvKind.CANCELLED) {
        const id = ev[p + 1]!;
        const o = id === st.d[(cur << 4) + D_ID] ? cur : this.orders.get(id);
        const reason = this.cancelReason !== Code.OK && o === cur ? this.cancelReason : (ev[p + 3]! as Code);
        this.finish(o, reason, seq, ts);
      } else if (k === EvKind.REJECTED) {
        const code = ev[p + 2]! as Code;
        this.bookReject = code;
        if (op === OP_NEW || op === OP_TRIGGER) {
          st.b[(cur << 7) + B_STATUS] = ST_REJECTED;
          st.i[(cur << 5) + I_CODE] = code;
          st.d[(cur << 4) + D_REMAINING] = 0;
          this.exec(X_REJECTED, cur, seq, ts, true);
        }
      } else if (k === EvKind.REPLACED) {
        st.d[(cur << 4) + D_PRICE] = ev[p + 2]!;
        st.d[(cur << 4) + D_REMAINING] = ev[p + 3]!;
        st.d[(cur << 4) + D_QTY] = st.d[(cur << 4) + D_FILLED]! + st.d[(cur << 4) + D_REMAINING]!;
        st.d[(cur << 4) + D_UPDATED_TS] = ts;
        st.d[(cur << 4) + D_LAST_SEQ] = seq;
        this.exec(X_REPLACED, cur, seq, ts);
      }
    }
    if (changed && sym.touch(seq, ts)) this.listener.onSymbolChanged(sym);
  }

  /** Settles one trade: both accounts in the same step as the match. */
  private fill(sym: SymbolEngine, makerId: number, taker: number, price: number, qty: number, makerRem: number, takerRem: number, seq: number, ts: number): void {
    const st = this.store;
    const maker = this.orders.get(makerId);
    const notional = price * sym.tickSize * qty;
    const makerFee = feeOf(notional, sym.makerFeeBps);
    const takerFee = feeOf(notional, sym.takerFeeBps);
    const takerBuys = st.b[(taker << 7) + B_SIDE] === BUY;
    const buy = takerBuys ? taker : maker;
    const sell = takerBuys ? maker : taker;
    const buyFee = takerBuys ? takerFee : makerFee;
    const sellFee = takerBuys ? makerFee : takerFee;
    const ba = st.account(buy);
    const sa = st.account(sell);
    const si = sym.idx;
    const mm = this.money.m;
    const W = this.money.stride;
    const br = st.i[(buy << 5) + I_ACCT]! * W;
    const sr = st.i[(sell << 5) + I_ACCT]! * W;
    // buyer: pay notional + fee out of the reservation, which shrinks to what the remainder needs
    mm[br + M_CASH] -= notional + buyFee;
    const newRes = buyReserve(st.d[(buy << 4) + D_RES_PRICE]!, takerBuys ? takerRem : makerRem, sym.tickSize, sym.maxFeeBps);
    mm[br + M_RES_CASH] -= st.d[(buy << 4) + D_RESERVED]! - newRes;
    st.d[(buy << 4) + D_RESERVED] = newRes;
    mm[br + M_POS + 2 * si] += qty;
    // seller: deliver reserved shares, receive notional - fee
    mm[sr + M_POS + 2 * si] -= qty;
    mm[sr + M_POS + 2 * si + 1] -= qty;
    st.d[(sell << 4) + D_RESERVED] -= qty;
    mm[sr + M_CASH] += notional - sellFee;
    this.feesCollected += buyFee + sellFee;

    st.fill(maker, qty, price * qty, makerRem, seq, ts);
    st.fill(taker, qty, price * qty, takerRem, seq, ts);

    const t: TradeEvent = {
      tradeId: ++this.lastTradeId,
      seq,
      ts,
      symbol: sym.symbol,
      price,
      qty,
      buyOrderId: st.d[(buy << 4) + D_ID]!,
      sellOrderId: st.d[(sell << 4) + D_ID]!,
      buyAccountId: ba.id,
      sellAccountId: sa.id,
      aggressor: takerBuys ? 'BUY' : 'SELL',
      buyFee,
      sellFee,
    };
    if (this.cmdTrades === undefined) this.cmdTrades = [t];
    else this.cmdTrades.push(t);
    this.tradeLog.push(t, si, ba, sa);
    sym.onTrade(price, qty);
    this.listener.onTrade(t, sym);
    this.execFill(maker, t, 'MAKER', makerFee, seq, ts);
    this.execFill(taker, t, 'TAKER', takerFee, seq, ts);
    if (makerRem === 0) this.closeOrder(maker, seq, ts);
    if (takerRem === 0) this.closeOrder(taker, seq, ts);
  }

  /** The order (or its remainder) left: CANCELLED/EXPIRED with a reason. */
  private finish(o: number, reason: Code, seq: number, ts: number): void {
    const st = this.store;
    st.b[(o << 7) + B_STATUS] = reason === Code.CANCEL_EXPIRED ? ST_EXPIRED : ST_CANCELLED;
    st.i[(o << 5) + I_CODE] = reason;
    st.d[(o << 4) + D_REMAINING] = 0;
    st.d[(o << 4) + D_UPDATED_TS] = ts;
    st.d[(o << 4) + D_LAST_SEQ] = seq;
    this.exec(reason === Code.CANCEL_EXPIRED ? X_EXPIRED : X_CANCELLED, o, seq, ts, true);
  }

  /** Terminal: release what is still reserved, count it closed; archived (or forgotten) when the command ends. */
  private closeOrder(o: number, seq: number, ts: number): void {
    const st = this.store;
    const fl = st.b[(o << 7) + B_FLAGS]!;
    if ((fl & F_LIVE) === 0) return;
    st.b[(o << 7) + B_FLAGS] = fl & ~(F_LIVE | F_PENDING_STOP);
    st.d[(o << 4) + D_UPDATED_TS] = ts;
    st.d[(o << 4) + D_LAST_SEQ] = seq;
    const a = st.account(o);
    a.openCount--;
    a.unlinkLive(st, o);
    const res = st.d[(o << 4) + D_RESERVED]!;
    if (res !== 0) {
      const row = a.idx * this.money.stride;
      if (st.b[(o << 7) + B_SIDE] === BUY) this.money.m[row + M_RES_CASH] -= res;
      else this.money.m[row + M_POS + 2 * st.i[(o << 5) + I_SYM]! + 1] -= res;
      st.d[(o << 4) + D_RESERVED] = 0;
    }
    if (this.nClosing === this.closing.length) {
      const c = new Int32Array(this.closing.length * 2);
      c.set(this.closing);
      this.closing = c;
    }
    this.closing[this.nClosing++] = o;
  }

  /**
   * End of a command: the orders it closed move to the archive in ascending
   * order id (a canonical order, so a restored exchange rebuilds the very same
   * ring from the orders' close seq and id), the oldest archived order is
   * forgotten when the ring is full, and the live slots are freed.
   */
  private archiveClosed(): void {
    const st = this.store;
    const ar = this.arch;
    const keep = this.keepTerminal;
    const c = this.closing;
    const n = this.nClosing;
    this.nClosing = 0;
    // by order id: usually one to a few orders (insertion sort); a sweep or a mass
    // cancel can close thousands, in any id order (a sort, not quadratic time)
    if (n > 32) {
      const ids = new Float64Array(n);
      for (let k = 0; k < n; k++) ids[k] = st.d[(c[k]! << 4) + D_ID]!;
      const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => ids[x]! - ids[y]!);
      const sorted = order.map((k) => c[k]!);
      for (let k = 0; k < n; k++) c[k] = sorted[k]!;
    }
    for (let k = 1; k < n; k++) {
      const o = c[k]!;
      const id = st.d[(o << 4) + D_ID]!;
      let j = k - 1;
      while (j >= 0 && st.d[(c[j]! << 4) + D_ID]! > id) {
        c[j + 1] = c[j]!;
        j--;
      }
      c[j + 1] = o;
    }
    for (let k = 0; k < n; k++) {
      const o = c[k]!;
      const id = st.d[(o << 4) + D_ID]!;
      if (keep === 0) {
        this.orders.delete(id);
        this.byCid.remove(o);
      } else {
        let p: number;
        if (this.archSize < keep) {
          p = ar.alloc();
          this.archSize++;
        } else {
          // the oldest retained order is forgotten: no longer queryable nor a duplicate candidate
          p = this.archHead;
          this.archHead = p + 1 === keep ? 0 : p + 1;
          this.orders.delete(ar.d[(p << 4) + D_ID]!);
          this.byCid.remove(archRef(p));
        }
        ar.copyFrom(st, o, p);
        this.orders.set(id, archRef(p));
        this.byCid.retarget(o, archRef(p));
      }
      st.release(o);
    }
  }

  /** Archive positions, oldest first. */
  private archivePositions(): number[] {
    const out: number[] = [];
    const full = this.archSize === this.keepTerminal;
    for (let k = 0; k < this.archSize; k++) out.push(full ? (this.archHead + k) % this.keepTerminal : k);
    return out;
  }

  /**
   * One execution report (kind: an X_* code): into the report log (ExecLog), and as
   * an object to the listener. With `close`, the order is closed first (its
   * reservation released and the slot possibly evicted) but the report still
   * describes it: the fields are read before.
   */
  private exec(xk: number, o: number, seq: number, ts: number, close = false): void {
    const st = this.store;
    const a = st.account(o);
    const accountSeq = ++a.execSeq;
    this.execLog.pushOrder(a, st, o, xk, accountSeq, seq, ts, 0, 0, 0, 0, 0);
    if (!this.wantsReports(a)) {
      if (close) this.closeOrder(o, seq, ts);
      return;
    }
    const r = this.report(o, a.id, accountSeq, seq, ts, EXEC_KIND_NAMES[xk]!, undefined, undefined, undefined, undefined, undefined);
    if (close) this.closeOrder(o, seq, ts);
    this.listener.onExec(r);
  }

  private execFill(o: number, t: TradeEvent, liquidity: 'MAKER' | 'TAKER', fee: number, seq: number, ts: number): void {
    const st = this.store;
    const a = st.account(o);
    const accountSeq = ++a.execSeq;
    this.execLog.pushOrder(a, st, o, X_FILL, accountSeq, seq, ts, t.tradeId, t.price, t.qty, liquidity === 'MAKER' ? 1 : 2, fee);
    if (!this.wantsReports(a)) return;
    this.listener.onExec(this.report(o, a.id, accountSeq, seq, ts, 'FILL', t.tradeId, t.price, t.qty, liquidity, fee));
  }

  /** The report object of order slot `o` as the store holds it now (one shape for every kind: the fill fields undefined unless FILL). */
  private report(o: number, accountId: number, accountSeq: number, seq: number, ts: number, kind: ExecKind, tradeId: number | undefined, lastPrice: number | undefined, lastQty: number | undefined, liquidity: 'MAKER' | 'TAKER' | undefined, fee: number | undefined): ExecReport {
    const st = this.store;
    return {
      accountSeq,
      accountId,
      seq,
      ts,
      kind,
      orderId: st.d[(o << 4) + D_ID]!,
      clientOrderId: st.cidOf(o),
      symbol: st.symbol(o).symbol,
      side: st.b[(o << 7) + B_SIDE] === BUY ? 'BUY' : 'SELL',
      orderKind: KIND_NAMES[st.b[(o << 7) + B_KIND]!]!,
      price: st.d[(o << 4) + D_PRICE]!,
      qty: st.d[(o << 4) + D_QTY]!,
      filledQty: st.d[(o << 4) + D_FILLED]!,
      remainingQty: st.d[(o << 4) + D_REMAINING]!,
      status: STATUS_NAMES[st.b[(o << 7) + B_STATUS]!]!,
      code: st.i[(o << 5) + I_CODE]! as Code,
      tradeId,
      lastPrice,
      lastQty,
      liquidity,
      fee,
    };
  }

  /** Triggers stops in order while the last price satisfies them (a triggered stop's trades may trigger more). */
  private runStops(sym: SymbolEngine, seq: number, ts: number): void {
    const st = this.store;
    for (;;) {
      const o = sym.takeTriggered(st);
      if (o < 0) return;
      st.b[(o << 7) + B_FLAGS] &= ~F_PENDING_STOP;
      st.d[(o << 4) + D_UPDATED_TS] = ts;
      st.d[(o << 4) + D_LAST_SEQ] = seq;
      this.exec(X_TRIGGERED, o, seq, ts);
      const n = sym.book.submit(st.d[(o << 4) + D_ID]!, st.account(o).id, st.b[(o << 7) + B_SIDE] as 0 | 1, st.b[(o << 7) + B_BOOK_TYPE]!, st.d[(o << 4) + D_PRICE]!, st.d[(o << 4) + D_REMAINING]!, ts);
      this.drain(sym, n, o, OP_TRIGGER, seq, ts);
    }
  }

  // ---------------------------------------------------------------- cancel / replace
  /**
   * The reference of the caller's order: a live slot (>= 0) or an archived
   * order's archRef (<= -2); -1 with the reject code in findCode.
   */
  private findOrder(acct: Account, orderId: number | undefined, clientOrderId: string | undefined): number {
    let r: number;
    if (orderId !== undefined && orderId !== 0) {
      r = Number.isSafeInteger(orderId) && orderId > 0 ? this.orders.get(orderId) : -1;
      if (r === -1) return this.notFound(Code.UNKNOWN_ORDER);
      const S = r >= 0 ? this.store : this.arch;
      const s = r >= 0 ? r : archPos(r);
      if (S.i[(s << 5) + I_ACCT] !== acct.idx) return this.notFound(Code.NOT_ORDER_OWNER);
      if (clientOrderId !== undefined && clientOrderId !== '' && clientOrderId !== S.cidOf(s)) return this.notFound(Code.UNKNOWN_ORDER);
    } else if (clientOrderId !== undefined && clientOrderId !== '') {
      r = this.byCid.find(acct.id, clientOrderId);
      if (r === -1) return this.notFound(Code.UNKNOWN_ORDER);
    } else {
      return this.notFound(Code.MISSING_FIELD);
    }
    return r;
  }

  private notFound(code: Code): number {
    this.findCode = code;
    return -1;
  }

  private cancelOrder(cmd: CancelCmd, seq: number, ts: number): CommandResult {
    const acct = this.accounts.get(cmd.accountId);
    if (acct === undefined) return result(Code.UNKNOWN_ACCOUNT, seq, ts, undefined, undefined);
    const o = this.findOrder(acct, cmd.orderId, cmd.clientOrderId);
    if (o === -1) return result(this.findCode, seq, ts, undefined, undefined);
    if (o < 0 || !this.store.isLive(o)) return result(Code.ORDER_NOT_OPEN, seq, ts, this.resultView(o), undefined);
    this.cancelLive(o, Code.CANCEL_BY_USER, seq, ts);
    return result(Code.OK, seq, ts, this.resultView(o), undefined);
  }

  private cancelLive(o: number, reason: Code, seq: number, ts: number): void {
    const st = this.store;
    const sym = st.symbol(o);
    if (st.isPendingStop(o)) {
      sym.removeStop(o);
      st.b[(o << 7) + B_FLAGS] &= ~F_PENDING_STOP;
      this.finish(o, reason, seq, ts);
      return;
    }
    this.cancelReason = reason === Code.CANCEL_BY_USER ? Code.OK : reason;
    const n = sym.book.cancel(st.d[(o << 4) + D_ID]!);
    this.drain(sym, n, o, OP_CANCEL, seq, ts);
    this.cancelReason = Code.OK;
  }

  private replaceOrder(cmd: ReplaceCmd, seq: number, ts: number): CommandResult {
    const acct = this.accounts.get(cmd.accountId);
    if (acct === undefined) return result(Code.UNKNOWN_ACCOUNT, seq, ts, undefined, undefined);
    const o = this.findOrder(acct, cmd.orderId, cmd.clientOrderId);
    if (o === -1) return result(this.findCode, seq, ts, undefined, undefined);
    const st = this.store;
    if (o < 0 || !st.isLive(o)) return result(Code.ORDER_NOT_OPEN, seq, ts, this.resultView(o), undefined);
    const kc = st.b[(o << 7) + B_KIND]!;
    if (st.isPendingStop(o) || (kc !== K_LIMIT && kc !== K_STOP_LIMIT)) return result(Code.REPLACE_NOT_ALLOWED, seq, ts, this.resultView(o), undefined);
    const sym = st.symbol(o);
    if (!acct.takeRate(ts, this.maxRate)) return result(Code.ORDER_RATE_EXCEEDED, seq, ts, this.resultView(o), undefined);
    if (sym.halted) return result(Code.SYMBOL_HALTED, seq, ts, this.resultView(o), undefined);
    const qty = cmd.qty;
    let code = checkQty(sym, qty);
    if (code !== Code.OK) return result(code, seq, ts, this.resultView(o), undefined);
    const price = checkLimitPrice(sym, cmd.price);
    if (price < 0) return result(-price as Code, seq, ts, this.resultView(o), undefined);
    code = checkNotional(sym, price, qty);
    if (code !== Code.OK) return result(code, seq, ts, this.resultView(o), undefined);
    const side = st.b[(o << 7) + B_SIDE]!;
    if (st.isPostOnly(o)) {
      // A post-only order must stay passive after a reprice as well.
      const opp = side === BUY ? sym.book.bestAsk() : sym.book.bestBid();
      if (opp > 0 && (side === BUY ? price >= opp : price <= opp)) return result(Code.POST_ONLY_WOULD_CROSS, seq, ts, this.resultView(o), undefined);
    }
    const oldRes = st.d[(o << 4) + D_RESERVED]!;
    const oldResPrice = st.d[(o << 4) + D_RES_PRICE]!;
    let delta: number;
    if (side === BUY) {
      delta = buyReserve(price, qty, sym.tickSize, sym.maxFeeBps) - oldRes;
      if (delta > acct.cash - acct.reservedCash) return result(Code.INSUFFICIENT_BUYING_POWER, seq, ts, this.resultView(o), undefined);
      acct.reservedCash += delta;
    } else {
      delta = qty - oldRes;
      if (delta > acct.availableShares(sym.idx)) return result(Code.INSUFFICIENT_SHARES, seq, ts, this.resultView(o), undefined);
      acct.addReservedShares(sym.idx, delta);
    }
    st.d[(o << 4) + D_RESERVED] = oldRes + delta;
    st.d[(o << 4) + D_RES_PRICE] = price;
    const n = sym.book.replace(st.d[(o << 4) + D_ID]!, price, qty);
    this.drain(sym, n, o, OP_REPLACE, seq, ts);
    if (this.bookReject !== Code.OK) {
      // The book refused: undo the reservation change; nothing else moved (the order is still live).
      if (side === BUY) acct.reservedCash -= delta;
      else acct.addReservedShares(sym.idx, -delta);
      st.d[(o << 4) + D_RESERVED] = oldRes;
      st.d[(o << 4) + D_RES_PRICE] = oldResPrice;
      return result(this.bookReject, seq, ts, this.resultView(o), undefined);
    }
    if (sym.stops.length !== 0) this.runStops(sym, seq, ts);
    return result(Code.OK, seq, ts, this.resultView(o), this.cmdTrades);
  }

  private massCancel(cmd: MassCancelCmd, seq: number, ts: number): CommandResult {
    const acct = this.accounts.get(cmd.accountId);
    if (acct === undefined) return result(Code.UNKNOWN_ACCOUNT, seq, ts, undefined, undefined);
    let sym: SymbolEngine | undefined;
    if (cmd.symbol !== undefined && cmd.symbol !== '') {
      sym = this.symbolsByName.get(cmd.symbol);
      if (sym === undefined) return result(Code.UNKNOWN_SYMBOL, seq, ts, undefined, undefined);
    }
    const st = this.store;
    // By order id, not slot (robust to any reuse of slots while cancelling).
    const victims: number[] = [];
    for (const o of acct.liveOrders(st)) if (sym === undefined || st.i[(o << 5) + I_SYM] === sym.idx) victims.push(st.d[(o << 4) + D_ID]!);
    const reason = cmd.reason >= 300 && cmd.reason < 400 ? cmd.reason : Code.CANCEL_BY_USER;
    for (const id of victims) {
      const o = this.orders.get(id);
      if (o >= 0 && st.isLive(o)) this.cancelLive(o, reason, seq, ts);
    }
    const r = result(Code.OK, seq, ts, undefined, undefined);
    r.cancelled = victims.length;
    return r;
  }

  // ---------------------------------------------------------------- accounts and admin
  private createAccount(cmd: CreateAccountCmd, seq: number, ts: number): CommandResult {
    if (this.accounts.has(cmd.accountId)) return result(Code.ACCOUNT_EXISTS, seq, ts, undefined, undefined);
    const pos: [number, number][] = [];
    for (const [s, n] of Object.entries(cmd.positions ?? {})) {
      const sym = this.symbolsByName.get(s);
      if (sym === undefined) return result(Code.UNKNOWN_SYMBOL, seq, ts, undefined, undefined);
      pos.push([sym.idx, n]);
    }
    const a = new Account(cmd.accountId, this.accountList.length, cmd.cash, this.symbolList.length, this.money);
    this.accountList.push(a);
    if (this.reportWanted !== undefined) this.markWanted(a);
    for (const [i, n] of pos) a.setPosition(i, n, 0);
    this.accounts.set(a.id, a);
    return result(Code.OK, seq, ts, undefined, undefined);
  }

  private deposit(cmd: DepositCmd, seq: number, ts: number): CommandResult {
    const a = this.accounts.get(cmd.accountId);
    if (a === undefined) return result(Code.UNKNOWN_ACCOUNT, seq, ts, undefined, undefined);
    if (cmd.amount < 0 && -cmd.amount > a.cash - a.reservedCash) return result(Code.INSUFFICIENT_CASH, seq, ts, undefined, undefined);
    if (a.cash + cmd.amount > Number.MAX_SAFE_INTEGER) return result(Code.VALUE_OUT_OF_RANGE, seq, ts, undefined, undefined);
    a.cash += cmd.amount;
    return result(Code.OK, seq, ts, undefined, undefined);
  }

  private adjustPosition(cmd: AdjustPositionCmd, seq: number, ts: number): CommandResult {
    const a = this.accounts.get(cmd.accountId);
    if (a === undefined) return result(Code.UNKNOWN_ACCOUNT, seq, ts, undefined, undefined);
    const sym = this.symbolsByName.get(cmd.symbol);
    if (sym === undefined) return result(Code.UNKNOWN_SYMBOL, seq, ts, undefined, undefined);
    if (cmd.delta < 0 && -cmd.delta > a.availableShares(sym.idx)) return result(Code.INSUFFICIENT_SHARES, seq, ts, undefined, undefined);
    if (a.shares(sym.idx) + cmd.delta > Number.MAX_SAFE_INTEGER) return result(Code.VALUE_OUT_OF_RANGE, seq, ts, undefined, undefined);
    a.addShares(sym.idx, cmd.delta);
    return result(Code.OK, seq, ts, undefined, undefined);
  }

  private haltResume(cmd: HaltCmd, seq: number, ts: number): CommandResult {
    const sym = this.symbolsByName.get(cmd.symbol);
    if (sym === undefined) return result(Code.UNKNOWN_SYMBOL, seq, ts, undefined, undefined);
    const halt = cmd.type === 'halt';
    if (sym.halted !== halt) {
      sym.halted = halt;
      if (sym.touch(seq, ts)) this.listener.onSymbolChanged(sym);
    }
    return result(Code.OK, seq, ts, undefined, undefined);
  }

  private addSymbol(cmd: AddSymbolCmd, seq: number, ts: number): CommandResult {
    let cfg: SymbolConfig;
    try {
      cfg = validateSymbolConfig(cmd.config);
    } catch (e) {
      return result(e instanceof AurexError ? e.code : Code.INVALID_CONFIG, seq, ts, undefined, undefined);
    }
    if (this.symbolsByName.has(cfg.symbol)) return result(Code.SYMBOL_EXISTS, seq, ts, undefined, undefined);
    for (const name of Object.keys(cfg.indices ?? {})) {
      if (!this.indexByName.has(name)) return result(Code.UNKNOWN_INDEX, seq, ts, undefined, undefined);
    }
    const sym = this.addSymbolEngine(cfg);
    for (const [name, w] of Object.entries(cfg.indices ?? {})) this.indexByName.get(name)!.addMember(sym, w);
    sym.touch(seq, ts);
    this.listener.onSymbolChanged(sym);
    return result(Code.OK, seq, ts, undefined, undefined);
  }

  private addSymbolEngine(cfg: SymbolConfig): SymbolEngine {
    if (this.symbolsByName.has(cfg.symbol)) throw new AurexError(Code.INVALID_CONFIG, `symbol ${cfg.symbol} declared twice`);
    const sym = new SymbolEngine(this.symbolList.length, cfg, this.makeBook(this.bookConfig));
    this.symbolList.push(sym);
    this.symbolNames.push(cfg.symbol);
    this.symbolsByName.set(cfg.symbol, sym);
    this.money.addSymbol();
    return sym;
  }

  // =============================================================== queries
  lastSeq(): number {
    return this.seq;
  }
  lastTimestamp(): number {
    return this.lastTs;
  }
  totalFeesCollected(): number {
    return this.feesCollected;
  }
  symbolEngine(symbol: string): SymbolEngine | undefined {
    return this.symbolsByName.get(symbol);
  }
  symbolEngines(): readonly SymbolEngine[] {
    return this.symbolList;
  }
  symbols(): SymbolConfig[] {
    return this.symbolList.map((s) => s.config);
  }
  symbol(symbol: string): SymbolConfig | undefined {
    return this.symbolsByName.get(symbol)?.config;
  }
  isHalted(symbol: string): boolean {
    return this.symbolsByName.get(symbol)?.halted ?? false;
  }
  accountIds(): number[] {
    return [...this.accounts.keys()].sort((a, b) => a - b);
  }

  /** An order of `accountId` by engine id or client order id; undefined for other accounts' orders. */
  getOrder(accountId: number, ref: { orderId?: number; clientOrderId?: string }): OrderView | undefined {
    const acct = this.accounts.get(accountId);
    if (acct === undefined) return undefined;
    const o = this.findOrder(acct, ref.orderId, ref.clientOrderId);
    return o === -1 ? undefined : this.viewOf(o);
  }

  /** Any order by id (admin/internal use: no ownership check). */
  orderById(orderId: number): OrderView | undefined {
    const o = Number.isSafeInteger(orderId) && orderId > 0 ? this.orders.get(orderId) : -1;
    return o === -1 ? undefined : this.viewOf(o);
  }

  openOrders(accountId: number, symbol?: string): OrderView[] {
    const acct = this.accounts.get(accountId);
    if (acct === undefined) return [];
    const st = this.store;
    return acct
      .liveOrders(st)
      .filter((o) => symbol === undefined || st.symbol(o).symbol === symbol)
      .map((o) => st.view(o));
  }

  accountTrades(accountId: number, opts: { symbol?: string; limit?: number; afterTradeId?: number } = {}): TradeEvent[] {
    const acct = this.accounts.get(accountId);
    if (acct === undefined) return [];
    let list = this.tradeLog.list(acct, this.lastTradeId, this.symbolNames);
    if (opts.symbol !== undefined) list = list.filter((t) => t.symbol === opts.symbol);
    if (opts.afterTradeId !== undefined) list = list.filter((t) => t.tradeId > opts.afterTradeId!);
    const limit = opts.limit ?? 100;
    return list.slice(Math.max(0, list.length - limit));
  }

  /** Trades of one order (from its account's retained history). */
  /**
   * The account's retained execution reports with accountSeq > fromSeq and
   * command seq <= maxSeq (what is durable), oldest first, as fresh objects.
   */
  execReports(accountId: number, fromSeq: number, maxSeq: number): ExecReport[] {
    const a = this.accounts.get(accountId);
    return a === undefined ? [] : this.execLog.since(a, fromSeq, maxSeq, this.symbolNames);
  }

  /**
   * The account's reports of commands after command seq `afterSeq`, oldest first,
   * rebuilt from the history; undefined when the history no longer holds all of
   * them. ExchangeCore uses it for a subscriber that arrives while its account's
   * report objects were filtered out.
   */
  execReportsAfter(accountId: number, afterSeq: number): ExecReport[] | undefined {
    const a = this.accounts.get(accountId);
    return a === undefined ? [] : this.execLog.after(a, afterSeq, this.symbolNames);
  }

  /**
   * `on`: the listener gets report objects only for the accounts marked with
   * setReportsWanted (the history is written for every account either way). Has
   * no effect when the history keeps nothing (execHistory or execLogRows 0).
   * Objects for an account nobody listens to are the largest avoidable cost of a
   * command whose maker or taker has no session (docs/engine.md, "Performance").
   */
  setReportFilter(on: boolean): void {
    // without a history a late subscriber's reports could not be rebuilt: every account gets objects
    if (!on || !this.execLog.keeps) {
      this.reportWanted = undefined;
      return;
    }
    this.reportWanted = new Uint8Array(Math.max(64, this.accountList.length));
    for (const id of this.wantedIds) {
      const a = this.accounts.get(id);
      if (a !== undefined) this.reportWanted[a.idx] = 1;
    }
  }

  /** True while a report filter is in effect (setReportFilter(true) with a history that keeps reports). */
  get reportFilterActive(): boolean {
    return this.reportWanted !== undefined;
  }

  /** Whether report objects of account `accountId` are built (with a report filter). */
  setReportsWanted(accountId: number, on: boolean): void {
    if (on) this.wantedIds.add(accountId);
    else this.wantedIds.delete(accountId);
    const a = this.accounts.get(accountId);
    if (a !== undefined && this.reportWanted !== undefined) this.markWanted(a);
  }

  private markWanted(a: Account): void {
    let w = this.reportWanted!;
    if (a.idx >= w.length) {
      const n = new Uint8Array(Math.max(2 * w.length, a.idx + 1));
      n.set(w);
      this.reportWanted = w = n;
    }
    w[a.idx] = this.wantedIds.has(a.id) ? 1 : 0;
  }

  /** Report objects are built for account `a` (a listener wants them, and no filter excludes it). */
  private wantsReports(a: Account): boolean {
    return this.reports && (this.reportWanted === undefined || this.reportWanted[a.idx] === 1);
  }

  orderTrades(orderId: number, accountId?: number): TradeEvent[] {
    const o = Number.isSafeInteger(orderId) && orderId > 0 ? this.orders.get(orderId) : -1;
    if (o === -1) return [];
    const a = o >= 0 ? this.store.account(o) : this.arch.account(archPos(o));
    if (accountId !== undefined && a.id !== accountId) return [];
    return this.tradeLog
      .list(a, this.lastTradeId, this.symbolNames)
      .filter((t) => t.buyOrderId === orderId || t.sellOrderId === orderId);
  }

  account(accountId: number): AccountView | undefined {
    const a = this.accounts.get(accountId);
    if (a === undefined) return undefined;
    const positions: AccountView['positions'] = [];
    for (const s of this.symbolList) {
      const sh = a.shares(s.idx);
      const rs = a.reservedShares(s.idx);
      if (sh !== 0 || rs !== 0) positions.push({ symbol: s.symbol, shares: sh, reserved: rs, available: sh - rs });
    }
    return { accountId: a.id, cash: a.cash, reservedCash: a.reservedCash, availableCash: a.cash - a.reservedCash, positions, openOrders: a.openCount };
  }

  l1(symbol: string): L1 | undefined {
    const s = this.symbolsByName.get(symbol);
    return s === undefined ? undefined : l1Of(s);
  }

  book(symbol: string, levels: number = DEFAULT_L2_LEVELS): BookView | undefined {
    const s = this.symbolsByName.get(symbol);
    if (s === undefined) return undefined;
    return { symbol, mdSeq: s.mdSeq, bids: levelsOf(s, Side.BUY, levels), asks: levelsOf(s, Side.SELL, levels) };
  }

  marketSnapshot(symbol: string, levels: number = DEFAULT_L2_LEVELS): MarketDataUpdate | undefined {
    const s = this.symbolsByName.get(symbol);
    return s === undefined ? undefined : mdUpdateOf(s, levels, 0, true, []);
  }

  indexNames(): string[] {
    return [...this.indexByName.keys()];
  }
  marketIndex(name: string): MarketIndex | undefined {
    return this.indexByName.get(name);
  }
  index(name: string): IndexView | undefined {
    return this.indexByName.get(name)?.view();
  }
  ranking(by: 'volume' | 'change', n: number): RankingEntry[] {
    return rankSymbols(this.symbolList, by, n);
  }

  // =============================================================== invariants, hash, snapshot
  /**
   * Checks the conservation invariants and returns a list of violations (empty
   * when sound): no negative balance/position/reservation, cash >= reserved,
   * reservations equal to what open orders hold, and each buy order holding
   * exactly what its remainder needs. Linear in state: for tests and audits.
   */
  checkInvariants(): string[] {
    const bad: string[] = [];
    const resCash = new Map<number, number>();
    const resShares = new Map<string, number>();
    const open = new Map<number, number>();
    const st = this.store;
    const ar = this.arch;
    for (const slot of this.orders.slots()) {
      if (slot < 0) {
        const p = archPos(slot);
        const id = ar.d[(p << 4) + D_ID]!;
        if (ar.isLive(p)) bad.push(`archived order ${id} is live`);
        if (ar.d[(p << 4) + D_RESERVED] !== 0) bad.push(`order ${id} closed with reservation ${ar.d[(p << 4) + D_RESERVED]}`);
        if (this.byCid.find(ar.account(p).id, ar.cidOf(p)) !== slot) bad.push(`order ${id} not found by its client id`);
        continue;
      }
      const id = st.d[(slot << 4) + D_ID]!;
      const reserved = st.d[(slot << 4) + D_RESERVED]!;
      const remaining = st.d[(slot << 4) + D_REMAINING]!;
      const sym = st.symbol(slot);
      if (!st.isLive(slot)) {
        bad.push(`order ${id} closed but not archived`);
        continue;
      }
      const aid = st.account(slot).id;
      open.set(aid, (open.get(aid) ?? 0) + 1);
      if (st.b[(slot << 7) + B_SIDE] === BUY) {
        resCash.set(aid, (resCash.get(aid) ?? 0) + reserved);
        const need = buyReserve(st.d[(slot << 4) + D_RES_PRICE]!, remaining, sym.tickSize, sym.maxFeeBps);
        if (reserved !== need) bad.push(`buy order ${id} holds ${reserved}, needs ${need}`);
      } else {
        const k = `${aid}:${sym.idx}`;
        resShares.set(k, (resShares.get(k) ?? 0) + reserved);
        if (reserved !== remaining) bad.push(`sell order ${id} holds ${reserved} shares, remaining ${remaining}`);
      }
      if (!st.isPendingStop(slot) && sym.book.orderInfo(id)?.remaining !== remaining) bad.push(`order ${id} not on the book as expected`);
      if (this.byCid.find(aid, st.cidOf(slot)) !== slot) bad.push(`order ${id} not found by its client id`);
    }
    if (this.byCid.size !== st.used + this.archSize) bad.push(`client id index holds ${this.byCid.size} orders, the stores ${st.used} + ${this.archSize}`);
    // the archive is in canonical order: close seq, then order id
    let prevSeq = -1;
    let prevId = -1;
    for (const p of this.archivePositions()) {
      const q = ar.d[(p << 4) + D_LAST_SEQ]!;
      const id = ar.d[(p << 4) + D_ID]!;
      if (q < prevSeq || (q === prevSeq && id <= prevId)) bad.push(`archive out of order at order ${id}`);
      prevSeq = q;
      prevId = id;
    }
    if (this.archSize > this.keepTerminal) bad.push(`archive holds ${this.archSize} orders, more than ${this.keepTerminal}`);
    for (const a of this.accounts.values()) {
      // the order path reads an account's money at row Account.idx (a fill from the order row's I_ACCT)
      if (a.row !== a.idx || a.money !== this.money) bad.push(`account ${a.id} money row ${a.row} is not its index ${a.idx} in the exchange's table`);
      if (a.cash < 0) bad.push(`account ${a.id} cash ${a.cash} < 0`);
      if (a.reservedCash < 0 || a.reservedCash > a.cash) bad.push(`account ${a.id} reservedCash ${a.reservedCash} outside 0..cash ${a.cash}`);
      if (a.reservedCash !== (resCash.get(a.id) ?? 0)) bad.push(`account ${a.id} reservedCash ${a.reservedCash} != orders ${resCash.get(a.id) ?? 0}`);
      if (a.openCount !== (open.get(a.id) ?? 0)) bad.push(`account ${a.id} openCount ${a.openCount} != ${open.get(a.id) ?? 0}`);
      for (const s of this.symbolList) {
        const sh = a.shares(s.idx);
        const rs = a.reservedShares(s.idx);
        if (sh < 0 || rs < 0 || rs > sh) bad.push(`account ${a.id} ${s.symbol} shares ${sh} reserved ${rs}`);
        if (rs !== (resShares.get(`${a.id}:${s.idx}`) ?? 0)) bad.push(`account ${a.id} ${s.symbol} reserved ${rs} != orders ${resShares.get(`${a.id}:${s.idx}`) ?? 0}`);
      }
    }
    let booked = 0;
    for (const s of this.symbolList) booked += s.book.orderCount();
    let onBook = 0;
    for (const slot of this.orders.slots()) if (slot >= 0 && st.isLive(slot) && !st.isPendingStop(slot)) onBook++;
    if (st.used + this.archSize !== this.orders.size) bad.push(`order stores hold ${st.used} + ${this.archSize} records, ${this.orders.size} known`);
    if (booked !== onBook) bad.push(`books hold ${booked} orders, engine has ${onBook} live`);
    return bad;
  }

  /** Total cash of all accounts plus fees collected (conserved by trading). */
  totalCash(): number {
    let c = this.feesCollected;
    for (const a of this.accounts.values()) c += a.cash;
    return c;
  }

  /** Total shares of a symbol over all accounts (conserved by trading). */
  totalShares(symbol: string): number {
    const s = this.symbolsByName.get(symbol);
    if (s === undefined) return 0;
    let n = 0;
    for (const a of this.accounts.values()) n += a.shares(s.idx);
    return n;
  }

  /**
   * SHA-256 (hex) over the whole deterministic state: sequences and counters,
   * every symbol's state with its book's own stateHash(), stops, accounts,
   * and every known order. Equal for native and reference books.
   */
  stateHash(): string {
    const { orders, ...rest } = this.snapshotWith(false);
    const h = createHash('sha256');
    // typed arrays (retained trades) are hashed as bytes, their lengths in the JSON
    h.update(JSON.stringify(rest, (_k, v: unknown) => (v instanceof Float64Array ? v.length : v)));
    for (const a of rest.accounts) h.update(new Uint8Array(a.trades.buffer, a.trades.byteOffset, a.trades.byteLength));
    h.update(new Uint8Array(orders.num.buffer, orders.num.byteOffset, orders.num.byteLength));
    h.update(JSON.stringify(orders.clientOrderIds));
    for (const s of this.symbolList) h.update(s.book.stateHash());
    return h.digest('hex');
  }

  /** The full state as plain data (see engine/snapshot.ts). */
  snapshot(opts: { reuseBuffers?: boolean } = {}): ExchangeSnapshot {
    return this.snapshotWith(true, opts.reuseBuffers === true);
  }

  /**
   * The order-columns array of a reusing snapshot: first-touching a fresh
   * 160 MB array (1M orders) costs ~0.5 s of page faults on this kind of VM, on
   * the matching thread. Kept between snapshots, grown with headroom.
   */
  private snapNum = new Float64Array(0);
  private snapSlots = new Int32Array(0);
  private readonly snapBooks: Float64Array[] = [];
  private reusedNum(doubles: number): Float64Array {
    if (this.snapNum.length < doubles) this.snapNum = new Float64Array(Math.ceil(doubles * 1.25));
    return this.snapNum.subarray(0, doubles);
  }
  /** A symbol's book rows written into its kept array (grown with headroom). */
  private reusedBookRows(s: SymbolEngine): Float64Array {
    const need = s.book.orderCount() * REST_STRIDE;
    let buf = this.snapBooks[s.idx];
    if (buf === undefined || buf.length < need) {
      buf = new Float64Array(Math.ceil(need * 1.25) + REST_STRIDE);
      this.snapBooks[s.idx] = buf;
    }
    return s.book.snapshotRows(buf);
  }

  private snapshotWith(books: boolean, reuse = false): ExchangeSnapshot {
    const st = this.store;
    if (reuse && this.snapSlots.length < this.orders.size) this.snapSlots = new Int32Array(Math.ceil(this.orders.size * 1.25));
    const slots = reuse ? this.snapSlots : new Int32Array(this.orders.size);
    const count = this.orders.slotsInto(slots);
    const num = reuse ? this.reusedNum(count * ORDER_W) : new Float64Array(count * ORDER_W);
    const clientOrderIds: string[] = []; // pushed: new Array(n >= 100k) would be a dictionary-mode array in V8
    for (let i = 0; i < count; i++) {
      const r = slots[i]!;
      const S = r >= 0 ? st : this.arch;
      const o = r >= 0 ? r : archPos(r);
      const b = i * ORDER_W;
      const fl = S.b[(o << 7) + B_FLAGS]!;
      num[b + OC_ID] = S.d[(o << 4) + D_ID]!;
      num[b + OC_ACCOUNT] = S.account(o).id;
      num[b + OC_PRICE] = S.d[(o << 4) + D_PRICE]!;
      num[b + OC_STOP_PRICE] = S.cold[(o << 1) + X_STOP_PRICE]!;
      num[b + OC_QTY] = S.d[(o << 4) + D_QTY]!;
      num[b + OC_FILLED] = S.d[(o << 4) + D_FILLED]!;
      num[b + OC_REMAINING] = S.d[(o << 4) + D_REMAINING]!;
      num[b + OC_NOTIONAL] = S.d[(o << 4) + D_NOTIONAL]!;
      num[b + OC_CODE] = S.i[(o << 5) + I_CODE]!;
      num[b + OC_CREATED_TS] = S.cold[(o << 1) + X_CREATED_TS]!;
      num[b + OC_UPDATED_TS] = S.d[(o << 4) + D_UPDATED_TS]!;
      num[b + OC_LAST_SEQ] = S.d[(o << 4) + D_LAST_SEQ]!;
      num[b + OC_RES_PRICE] = S.d[(o << 4) + D_RES_PRICE]!;
      num[b + OC_RESERVED] = S.d[(o << 4) + D_RESERVED]!;
      num[b + OC_BOOK_TYPE] = S.b[(o << 7) + B_BOOK_TYPE]!;
      num[b + OC_SIDE] = S.b[(o << 7) + B_SIDE]!;
      num[b + OC_KIND] = S.b[(o << 7) + B_KIND]!;
      num[b + OC_STATUS] = S.b[(o << 7) + B_STATUS]!;
      num[b + OC_FLAGS] = ((fl & F_POST_ONLY) !== 0 ? OF_POST_ONLY : 0) | ((fl & F_LIVE) !== 0 ? OF_LIVE : 0) | ((fl & F_PENDING_STOP) !== 0 ? OF_PENDING_STOP : 0);
      num[b + OC_SYMBOL] = S.symbol(o).idx;
      clientOrderIds.push(S.cidOf(o));
    }
    const orders: OrderColumns = { count, num, clientOrderIds };
    const accounts: AccountSnapshot[] = [...this.accounts.values()]
      .sort((a, b) => a.id - b.id)
      .map((a) => ({
        accountId: a.id,
        cash: a.cash,
        reservedCash: a.reservedCash,
        positions: this.symbolList
          .filter((s) => a.shares(s.idx) !== 0 || a.reservedShares(s.idx) !== 0)
          .map((s) => ({ symbol: s.symbol, shares: a.shares(s.idx), reserved: a.reservedShares(s.idx) })),
        openCount: a.openCount,
        execSeq: a.execSeq,
        rateWindowStart: a.rateWindowStart,
        rateCount: a.rateCount,
        trades: this.tradeLog.rows(a, this.lastTradeId),
      }));
    return {
      version: SNAPSHOT_VERSION,
      seq: this.seq,
      lastTs: this.lastTs,
      lastOrderId: this.lastOrderId,
      lastTradeId: this.lastTradeId,
      feesCollected: this.feesCollected,
      symbols: this.symbolList.map((s) => ({
        config: s.config,
        halted: s.halted,
        mdSeq: s.mdSeq,
        mdCmdSeq: s.mdCmdSeq,
        mdTs: s.mdTs,
        last: s.last,
        lastQty: s.lastQty,
        volume: s.volume,
        turnoverTicks: s.turnoverTicks,
        open: s.open,
        high: s.high,
        low: s.low,
        tradeCount: s.tradeCount,
        book: books ? (reuse ? this.reusedBookRows(s) : s.book.snapshotRows()) : new Float64Array(0),
        stops: s.stops.map((o) => st.d[(o << 4) + D_ID]!),
      })),
      indices: [...this.indexByName.values()].map((i) => ({
        name: i.name,
        base: i.base,
        divisor: i.divisor,
        members: i.members.map((m) => ({ symbol: m.sym.symbol, weight: m.weight })),
      })),
      accounts,
      orders,
    };
  }

  /**
   * Replaces the whole state with a snapshot's. The exchange must be fresh or
   * disposable: books are rebuilt. Throws AurexError(INVALID_ARGUMENT) on a
   * malformed snapshot (and leaves this instance unusable).
   */
  restore(snap: ExchangeSnapshot): void {
    if (snap === null || typeof snap !== 'object' || snap.version !== SNAPSHOT_VERSION) {
      throw new AurexError(Code.INVALID_ARGUMENT, `unsupported snapshot version ${String((snap as { version?: unknown })?.version)}`);
    }
    for (const s of this.symbolList) s.book.close();
    this.symbolsByName.clear();
    this.symbolList.length = 0;
    this.symbolNames.length = 0;
    this.accounts.clear();
    this.accountList.length = 0;
    this.money.clear(0);
    this.orders.clear();
    this.byCid.clear();
    this.store.clear();
    this.arch.clear();
    this.archHead = 0;
    this.archSize = 0;
    this.nClosing = 0;
    this.execLog = new ExecLog(this.execLog.cap, this.execLog.perAccount);
    this.tradeLog = new TradeLog(this.tradeLog.capacity, this.tradeLog.perAccount);
    this.indexByName.clear();
    this.seq = snap.seq;
    this.lastTs = snap.lastTs;
    this.lastOrderId = snap.lastOrderId;
    this.lastTradeId = snap.lastTradeId;
    this.feesCollected = snap.feesCollected;
    for (const ss of snap.symbols) {
      const cfg = validateSymbolConfig(ss.config);
      const sym = new SymbolEngine(this.symbolList.length, cfg, this.makeBook(this.bookConfig));
      this.symbolList.push(sym);
      this.symbolNames.push(cfg.symbol);
      this.symbolsByName.set(cfg.symbol, sym);
      sym.halted = ss.halted;
      sym.mdSeq = ss.mdSeq;
      sym.mdCmdSeq = ss.mdCmdSeq;
      sym.mdTs = ss.mdTs;
      sym.last = ss.last;
      sym.lastQty = ss.lastQty;
      sym.volume = ss.volume;
      sym.turnoverTicks = ss.turnoverTicks;
      sym.open = ss.open;
      sym.high = ss.high;
      sym.low = ss.low;
      sym.tradeCount = ss.tradeCount;
      const rows = snapshotRows(ss.book);
      if (rows === undefined) throw new AurexError(Code.INVALID_ARGUMENT, `symbol ${cfg.symbol}: book rows missing`);
      sym.book.restoreRows(rows);
    }
    for (const is of snap.indices) {
      const idx = new MarketIndex({ name: is.name, base: is.base } as IndexConfig);
      idx.divisor = is.divisor;
      for (const m of is.members) {
        const sym = this.symbolsByName.get(m.symbol);
        if (sym === undefined) throw new AurexError(Code.INVALID_ARGUMENT, `index ${is.name}: unknown member ${m.symbol}`);
        idx.members.push({ sym, weight: m.weight, seen: sym.last });
      }
      this.indexByName.set(is.name, idx);
    }
    const nSym = this.symbolList.length;
    this.money.clear(nSym);
    for (const as of snap.accounts) {
      const a = new Account(as.accountId, this.accountList.length, as.cash, nSym, this.money);
      this.accountList.push(a);
      if (this.reportWanted !== undefined) this.markWanted(a);
      a.reservedCash = as.reservedCash;
      for (const p of as.positions) {
        const sym = this.symbolsByName.get(p.symbol);
        if (sym === undefined) throw new AurexError(Code.INVALID_ARGUMENT, `account ${as.accountId}: unknown symbol ${p.symbol}`);
        a.setPosition(sym.idx, p.shares, p.reserved);
      }
      a.openCount = as.openCount;
      a.execSeq = as.execSeq;
      a.rateWindowStart = as.rateWindowStart;
      a.rateCount = as.rateCount;
      this.accounts.set(a.id, a);
    }
    this.restoreTrades(snap);
    const st = this.store;
    const { count, clientOrderIds } = snap.orders ?? ({} as OrderColumns);
    const num = snapshotRows(snap.orders?.num);
    if (!Number.isSafeInteger(count) || count < 0 || num === undefined || num.length !== count * ORDER_W || !Array.isArray(clientOrderIds) || clientOrderIds.length !== count) {
      throw new AurexError(Code.INVALID_ARGUMENT, 'snapshot orders: malformed columns');
    }
    // live orders into the store; closed ones into the archive in its canonical order
    // (close seq, then order id), the newest retainTerminalOrders of them
    const closed: number[] = [];
    let live = 0;
    for (let i = 0; i < count; i++) {
      if ((num[i * ORDER_W + OC_FLAGS]! & OF_LIVE) !== 0) live++;
      else closed.push(i);
    }
    if (live > st.maxSlots) throw new AurexError(Code.INVALID_ARGUMENT, `snapshot orders: ${live} live orders, more than maxKnownOrders ${st.maxSlots}`);
    st.reserve(live);
    this.byCid.reserve(live + Math.min(closed.length, this.keepTerminal));
    for (let i = 0; i < count; i++) if ((num[i * ORDER_W + OC_FLAGS]! & OF_LIVE) !== 0) this.restoreOrder(num, i, clientOrderIds[i]);
    closed.sort((x, y) => num[x * ORDER_W + OC_LAST_SEQ]! - num[y * ORDER_W + OC_LAST_SEQ]! || num[x * ORDER_W + OC_ID]! - num[y * ORDER_W + OC_ID]!);
    for (let k = Math.max(0, closed.length - this.keepTerminal); k < closed.length; k++) {
      const i = closed[k]!;
      this.closing[0] = this.restoreOrder(num, i, clientOrderIds[i]);
      this.nClosing = 1;
      this.archiveClosed();
    }
    snap.symbols.forEach((ss, i) => {
      const sym = this.symbolList[i]!;
      for (const id of ss.stops) {
        const o = this.orders.get(id);
        if (o < 0) throw new AurexError(Code.INVALID_ARGUMENT, `symbol ${sym.symbol}: unknown stop ${id}`);
        sym.addStop(o, this.store.b[(o << 7) + B_SIDE] === Side.BUY, this.store.cold[(o << 1) + X_STOP_PRICE]!);
      }
    });
  }

  /** Order `i` of a snapshot's columns into a new live-store slot (indexed by id and client id); returns the slot. */
  private restoreOrder(num: Float64Array, i: number, cid: string | undefined): number {
    const st = this.store;
    const b = i * ORDER_W;
    const orderId = num[b + OC_ID]!;
    const acct = this.accounts.get(num[b + OC_ACCOUNT]!);
    const sym = this.symbolList[num[b + OC_SYMBOL]!];
    if (acct === undefined || sym === undefined) throw new AurexError(Code.INVALID_ARGUMENT, `order ${orderId}: unknown account or symbol`);
    const side = num[b + OC_SIDE]!;
    const kind = num[b + OC_KIND]!;
    const status = num[b + OC_STATUS]!;
    const flags = num[b + OC_FLAGS]!;
    if (!Number.isSafeInteger(orderId) || orderId <= 0 || this.orders.get(orderId) !== -1) throw new AurexError(Code.INVALID_ARGUMENT, `order ${orderId}: bad or duplicate id`);
    if ((side !== BUY && side !== SELL) || KIND_NAMES[kind] === undefined || STATUS_NAMES[status] === undefined || !(flags >= 0 && flags <= 7 && Number.isInteger(flags))) {
      throw new AurexError(Code.INVALID_ARGUMENT, `order ${orderId}: bad side, kind, status or flags`);
    }
    if (typeof cid !== 'string') throw new AurexError(Code.INVALID_ARGUMENT, `order ${orderId}: bad client order id`);
    const o = st.alloc();
    st.d[(o << 4) + D_ID] = orderId;
    st.setCid(o, cid, cidCode(cid));
    st.i[(o << 5) + I_ACCT] = acct.idx;
    st.i[(o << 5) + I_SYM] = sym.idx;
    st.b[(o << 7) + B_SIDE] = side;
    st.b[(o << 7) + B_KIND] = kind;
    st.b[(o << 7) + B_BOOK_TYPE] = num[b + OC_BOOK_TYPE]!;
    st.d[(o << 4) + D_PRICE] = num[b + OC_PRICE]!;
    st.cold[(o << 1) + X_STOP_PRICE] = num[b + OC_STOP_PRICE]!;
    st.d[(o << 4) + D_QTY] = num[b + OC_QTY]!;
    st.d[(o << 4) + D_FILLED] = num[b + OC_FILLED]!;
    st.d[(o << 4) + D_REMAINING] = num[b + OC_REMAINING]!;
    st.d[(o << 4) + D_NOTIONAL] = num[b + OC_NOTIONAL]!;
    st.d[(o << 4) + D_RES_PRICE] = num[b + OC_RES_PRICE]!;
    st.d[(o << 4) + D_RESERVED] = num[b + OC_RESERVED]!;
    st.b[(o << 7) + B_STATUS] = status;
    st.i[(o << 5) + I_CODE] = num[b + OC_CODE]!;
    st.cold[(o << 1) + X_CREATED_TS] = num[b + OC_CREATED_TS]!;
    st.d[(o << 4) + D_UPDATED_TS] = num[b + OC_UPDATED_TS]!;
    st.d[(o << 4) + D_LAST_SEQ] = num[b + OC_LAST_SEQ]!;
    const live = (flags & OF_LIVE) !== 0;
    st.b[(o << 7) + B_FLAGS] = (live ? F_LIVE : 0) | ((flags & OF_PENDING_STOP) !== 0 ? F_PENDING_STOP : 0) | ((flags & OF_POST_ONLY) !== 0 ? F_POST_ONLY : 0);
    this.orders.set(orderId, o);
    this.byCid.insert(o);
    if (live) acct.linkLive(st, o);
    return o;
  }

  /**
   * Refills the trade log from the accounts' retained trades: each trade once
   * (buyer and seller both carry it), in trade-id order, so every account's
   * chain links its trades as it did before the snapshot.
   */
  private restoreTrades(snap: ExchangeSnapshot): void {
    const nSym = this.symbolList.length;
    const byId = new Map<number, { rows: Float64Array; b: number }>();
    for (const as of snap.accounts) {
      const rows = snapshotRows(as.trades);
      if (rows === undefined || rows.length % TRADE_W !== 0) throw new AurexError(Code.INVALID_ARGUMENT, `account ${as.accountId}: malformed trade rows`);
      for (let b = 0; b < rows.length; b += TRADE_W) {
        const id = rows[b]!;
        const si = rows[b + TR_SYMBOL]!;
        const buyer = rows[b + TR_BUY_ACCOUNT]!;
        const seller = rows[b + TR_SELL_ACCOUNT]!;
        if (!Number.isSafeInteger(id) || id <= 0 || id > snap.lastTradeId) throw new AurexError(Code.INVALID_ARGUMENT, `account ${as.accountId}: trade id ${id} outside 1..${snap.lastTradeId}`);
        if (!(Number.isInteger(si) && si >= 0 && si < nSym)) throw new AurexError(Code.INVALID_ARGUMENT, `account ${as.accountId}: trade ${id}: unknown symbol index`);
        if (buyer !== as.accountId && seller !== as.accountId) throw new AurexError(Code.INVALID_ARGUMENT, `account ${as.accountId}: trade ${id} is not the account's`);
        if (!this.accounts.has(buyer) || !this.accounts.has(seller)) throw new AurexError(Code.INVALID_ARGUMENT, `trade ${id}: unknown account`);
        if (!byId.has(id)) byId.set(id, { rows, b });
      }
    }
    const ids = [...byId.keys()].sort((x, y) => x - y);
    for (const id of ids) {
      const { rows, b } = byId.get(id)!;
      this.tradeLog.pushRow(rows, b, this.accounts.get(rows[b + TR_BUY_ACCOUNT]!)!, this.accounts.get(rows[b + TR_SELL_ACCOUNT]!)!);
    }
  }

  /** Releases the books' native memory. */
  close(): void {
    for (const s of this.symbolList) s.book.close();
  }
}
