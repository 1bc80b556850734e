/**
 * One TCP connection of the gateway: login, request dispatch and edge
 * validation, replies, execution reports, market data, heartbeats, flow
 * control and the end of the session. See docs/tcp-protocol.md.
 *
 * Replies are encoded into the connection's OutBuffer and written once per
 * event-loop turn (the gateway flushes dirty sessions from a microtask, which
 * runs after the engine has released a whole journal group).
 */
import type net from 'node:net';
import { AurexError, Code } from '../engine/codes.ts';
import type { Subscription } from '../engine/core-api.ts';
import { checkNewOrderFields, checkQuantity, checkReplaceShape } from '../engine/order-rules.ts';
import type { CancelCmd, CommandResult, ExecReport, MarketDataUpdate, NewOrderCmd, Principal, ReplaceCmd } from '../engine/types.ts';
import {
  FRAME_SIZE,
  clientOrderIdToString,
  clientOrderIdToWire,
  decodeCancel,
  decodeLogin,
  decodeMarketDataSubscribe,
  decodeOrderStatusQuery,
  decodeOrderSubmit,
  decodeReplace,
  encodeError,
  encodeHeartbeat,
  encodeLoginResponse,
  encodeLogout,
  encodeReject,
  encodeSymbolDirectory,
  newCancel,
  newLogin,
  newMarketDataSubscribe,
  newOrderStatusQuery,
  newOrderSubmit,
  newReplace,
  readU64,
  sizeOfSymbolDirectory,
  type LoginMsg,
} from './codec.ts';
import {
  encodeExecutionReportFrom,
  encodeMarketDataFrom,
  encodeOrderResponseFrom,
  encodeOrderStatusFrom,
  sizeOfMarketDataFrom,
} from './engine-encoders.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { OutBuffer } from './out-buffer.ts';
import { MAX_FRAME_SIZE, MsgType, PROTOCOL_VERSION, Size } from './protocol.ts';
import type { GatewayContext } from './gateway-context.ts';

const enum State {
  AWAIT_LOGIN = 0,
  LOGGING_IN = 1,
  ACTIVE = 2,
  CLOSING = 3,
  CLOSED = 4,
}

/** Initial entries of a session's order id -> wire client order id cache (a power of two). */
const CID_CACHE = 256;

// Endpoint names given to the auth manager (its classifier maps them to order / query).
const EP_LOGIN = 'tcp.Login';
const EP_ORDER = 'tcp.NewOrder';
const EP_QUERY = 'tcp.QueryOrder';
const EP_SUBSCRIBE = 'tcp.SubscribeMarketData';

interface MdSubscription {
  symbol: string;
  symbolId: number;
  depth: number;
  sub: Subscription | null;
  /** mdSeq of the last update sent (prevMdSeq of the next one). */
  lastSent: number;
  /** Updates were dropped while congested: send a fresh snapshot once drained. */
  stale: boolean;
}

export class TcpSession {
  readonly id: number;
  readonly remote: string;
  private state = State.AWAIT_LOGIN;
  private readonly decoder: FrameDecoder;
  private readonly out = new OutBuffer(64 * 1024);
  private dirty = false;

  principal: Principal | null = null;
  private canTrade = false;
  private watchSub: Subscription | null = null;
  private execSub: Subscription | null = null;
  private readonly md = new Map<number, MdSubscription>();
  cancelOnDisconnect = false;
  cancelGraceMs = 0;
  /** The client ended the session with Logout (no cancel-on-disconnect then). */
  cleanLogout = false;
  /** Why the session ended (a Code), for logs and stats. */
  endCode: number = Code.OK;

  private heartbeatMs: number;
  private timeoutMs: number;
  private hbTimer: NodeJS.Timeout | null = null;
  private loginTimer: NodeJS.Timeout | null;
  private endTimer: NodeJS.Timeout | null = null;
  private lastRx: number;
  private lastTx: number;
  /** Output is above the high-water mark: reading paused, market data conflated. */
  private congested = false;

  // Engine commands in flight, oldest first: a ring of (correlation id, request type) slots
  // (power-of-two size, grown when full). The engine calls back exactly once per execute(), in
  // the order of the calls (ExchangeCore releases each journal group's results in command order,
  // one group after the other), so one callback made per session pairs each result with its
  // slot and no closure is allocated per order.
  private pendCorr = new Float64Array(64);
  private pendType = new Uint8Array(64);
  private pendHead = 0;
  private pendCount = 0;
  private readonly onEngineResult = (res: CommandResult): void => this.engineResult(res);
  private readonly writeOut = (b: Buffer): void => {
    this.socket.write(b);
  };

  // Wire client order ids of this session's recent orders, direct-mapped by order id: an order's
  // execution reports follow its Order Response, so they take the u64 the client sent instead of
  // parsing the engine's decimal string again (a miss, e.g. another gateway's order, parses).
  // The core releases a whole group's results before its reports, so the cache grows with the
  // pending ring (as many entries as this session can have commands in flight).
  private cidOrder = new Float64Array(CID_CACHE);
  private cidWire = new Float64Array(CID_CACHE);

  // Reused decode targets: nothing is allocated per request before the engine command.
  private readonly mSubmit = newOrderSubmit();
  private readonly mCancel = newCancel();
  private readonly mReplace = newReplace();
  private readonly mQuery = newOrderStatusQuery();
  private readonly mSub = newMarketDataSubscribe();

  constructor(
    private readonly ctx: GatewayContext,
    readonly socket: net.Socket,
    id: number,
  ) {
    this.id = id;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.heartbeatMs = ctx.opts.heartbeatMs;
    this.timeoutMs = ctx.opts.heartbeatMs * ctx.opts.timeoutFactor;
    this.lastRx = this.lastTx = Date.now();
    this.decoder = new FrameDecoder(
      (t, b, o, l) => this.onFrame(t, b, o, l),
      (code) => this.fatal(code, 0),
      { maxLength: ctx.opts.maxFrameLength },
    );
    socket.setNoDelay(true);
    socket.setKeepAlive(true, ctx.opts.keepAliveMs);
    socket.on('data', (chunk: Buffer) => {
      this.lastRx = Date.now();
      this.decoder.push(chunk);
    });
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {
      /* 'close' follows */
    });
    socket.on('close', () => this.onClosed());
    this.loginTimer = setTimeout(() => {
      if (this.state === State.AWAIT_LOGIN || this.state === State.LOGGING_IN) this.fatal(Code.NOT_LOGGED_IN, 0);
    }, ctx.opts.loginTimeoutMs);
    this.loginTimer.unref();
  }

  get active(): boolean {
    return this.state === State.ACTIVE;
  }

  get pendingOutputBytes(): number {
    return this.out.length + this.socket.writableLength;
  }

  // ================================================================ input
  private onFrame(type: number, b: Buffer, o: number, len: number): void {
    try {
      this.handleFrame(type, b, o, len);
    } catch (e) {
      // A bug must cost one request, never the process or the other sessions.
      this.ctx.log('error', { session: this.id, type, err: String((e as Error)?.stack ?? e) }, 'tcp request failed');
      if (this.state === State.ACTIVE) this.reject(corrIdAt(b, o, len), Code.INTERNAL, type);
    }
  }

  private handleFrame(type: number, b: Buffer, o: number, len: number): void {
    switch (this.state) {
      case State.ACTIVE:
        return this.dispatch(type, b, o, len);
      case State.AWAIT_LOGIN:
        if (type !== MsgType.Login) return this.fatal(Code.NOT_LOGGED_IN, type);
        return this.onLogin(b, o, len);
      default:
        // LOGGING_IN pauses the decoder, CLOSING/CLOSED stop it: nothing arrives here.
        return;
    }
  }

  private dispatch(type: number, b: Buffer, o: number, len: number): void {
    switch (type) {
      case MsgType.OrderSubmit:
        return this.onSubmit(b, o, len);
      case MsgType.Cancel:
        return this.onCancel(b, o, len);
      case MsgType.Replace:
        return this.onReplace(b, o, len);
      case MsgType.OrderStatusQuery:
        return this.onQuery(b, o, len);
      case MsgType.MarketDataSubscribe:
        return this.onSubscribe(b, o, len);
      case MsgType.Heartbeat:
        if (len !== 0) this.reject(0, Code.MALFORMED_FRAME, type);
        return;
      case MsgType.Logout:
        this.cleanLogout = true;
        return this.end(Code.LOGGED_OUT);
      case MsgType.Login:
        return this.reject(corrIdAt(b, o, len), Code.ALREADY_LOGGED_IN, type);
      default:
        return this.reject(0, Code.UNKNOWN_MESSAGE_TYPE, type);
    }
  }

  // ================================================================ login
  private onLogin(b: Buffer, o: number, len: number): void {
    const m: LoginMsg = newLogin();
    const code = decodeLogin(b, o, len, m);
    if (code !== Code.OK) return this.fatal(code === Code.TOKEN_MALFORMED ? code : Code.MALFORMED_FRAME, MsgType.Login);
    if (m.version !== PROTOCOL_VERSION) return this.refuseLogin(Code.UNSUPPORTED_PROTOCOL_VERSION);
    this.state = State.LOGGING_IN;
    // Requests pipelined behind the Login wait (unparsed, by reference) until it is decided.
    this.decoder.pause();
    this.socket.pause();
    this.ctx.auth.authenticate(m.token, EP_LOGIN).then(
      (p) => this.loggedIn(m, p),
      (e: unknown) => this.refuseLogin(e instanceof AurexError ? e.code : Code.UNAUTHENTICATED),
    );
  }

  private refuseLogin(code: Code): void {
    if (this.state >= State.CLOSING) return;
    const b = this.reserve(FRAME_SIZE.LoginResponse);
    this.out.pos += encodeLoginResponse(b, this.out.pos, {
      code,
      version: PROTOCOL_VERSION,
      heartbeatMs: 0,
      timeoutMs: 0,
      maxFrame: MAX_FRAME_SIZE,
      accountId: 0,
      sessionId: this.id,
      cancelGraceMs: 0,
      cancelOnDisconnect: false,
    });
    this.endCode = code;
    this.closeAfterFlush();
  }

  private loggedIn(m: LoginMsg, p: Principal): void {
    if (this.state !== State.LOGGING_IN) return; // closed while the token was checked
    const o = this.ctx.opts;
    try {
      this.watchSub = this.ctx.auth.watch(m.token, (err) => this.end(err.code === Code.TOKEN_EXPIRED ? Code.TOKEN_EXPIRED : Code.TOKEN_REVOKED));
    } catch (e) {
      return this.refuseLogin(e instanceof AurexError ? e.code : Code.UNAUTHENTICATED);
    }
    this.principal = p;
    try {
      this.ctx.auth.authorize(p, EP_ORDER);
      this.canTrade = true;
    } catch {
      this.canTrade = false;
    }
    if (m.heartbeatMs !== 0) this.heartbeatMs = clamp(m.heartbeatMs, o.minHeartbeatMs, o.maxHeartbeatMs);
    this.timeoutMs = this.heartbeatMs * o.timeoutFactor;
    this.cancelOnDisconnect = m.cancelOnDisconnect;
    this.cancelGraceMs = m.cancelOnDisconnect ? Math.min(m.cancelGraceMs, o.maxCancelGraceMs) : 0;
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.loginTimer = null;
    this.state = State.ACTIVE;
    this.ctx.onLogin(this);

    const b = this.reserve(FRAME_SIZE.LoginResponse);
    this.out.pos += encodeLoginResponse(b, this.out.pos, {
      code: Code.OK,
      version: PROTOCOL_VERSION,
      heartbeatMs: this.heartbeatMs,
      timeoutMs: this.timeoutMs,
      maxFrame: MAX_FRAME_SIZE,
      accountId: p.accountId,
      sessionId: this.id,
      cancelGraceMs: this.cancelGraceMs,
      cancelOnDisconnect: this.cancelOnDisconnect,
    });
    this.ctx.directory.refresh();
    const pages = this.ctx.directory.pages();
    for (let i = 0; i < pages.length; i++) {
      const msg = { last: i === pages.length - 1, entries: pages[i]! };
      const d = this.reserve(sizeOfSymbolDirectory(msg));
      this.out.pos += encodeSymbolDirectory(d, this.out.pos, msg);
    }
    // Engine semantics: fromSeq 0 = live only, -1 = everything retained, n = accountSeq > n.
    const fromSeq = m.resume ? (m.resumeFromSeq === 0 ? -1 : m.resumeFromSeq) : 0;
    this.execSub = this.ctx.exchange.subscribeExecutions(p.accountId, { fromSeq }, (r) => this.onExec(r));

    this.markDirty();
    this.startHeartbeats();
    this.socket.resume();
    this.decoder.resume();
  }

  // ================================================================ requests
  private onSubmit(b: Buffer, o: number, len: number): void {
    if (!this.canTrade) return this.denied(b, o, len, Size.OrderSubmit, MsgType.OrderSubmit);
    const m = this.mSubmit;
    const code = decodeOrderSubmit(b, o, len, m);
    if (code !== Code.OK) return this.reject(corrIdAt(b, o, len), code, MsgType.OrderSubmit);
    // Id 0 is the wire's "no id"; any other u64 reads as a valid decimal id. Then the
    // symbol, then the rules every edge shares (engine/order-rules.ts), in their order.
    if (m.clientOrderId === 0) return this.reject(0, Code.INVALID_CLIENT_ORDER_ID, MsgType.OrderSubmit);
    // Symbol id 0 is the wire's "no symbol": INVALID_SYMBOL, as an empty symbol over gRPC and
    // at the engine; an id the directory does not list is UNKNOWN_SYMBOL.
    if (m.symbolId === 0) return this.reject(m.clientOrderId, Code.INVALID_SYMBOL, MsgType.OrderSubmit);
    const cfg = this.ctx.directory.config(m.symbolId);
    if (cfg === undefined) return this.reject(m.clientOrderId, Code.UNKNOWN_SYMBOL, MsgType.OrderSubmit);
    const cmd: NewOrderCmd = {
      type: 'new',
      accountId: this.principal!.accountId,
      clientOrderId: clientOrderIdToString(m.clientOrderId),
      symbol: cfg.symbol,
      side: m.side,
      kind: m.kind,
      price: m.price,
      qty: m.qty,
      stopPrice: m.stopPrice,
      postOnly: m.postOnly,
    };
    // The id is the decimal form of a u64 >= 1 (checked above): valid by construction.
    const v = checkNewOrderFields(cmd, cfg);
    if (v !== Code.OK) return this.reject(m.clientOrderId, v, MsgType.OrderSubmit);
    const rate = this.ctx.auth.checkOrderRate(this.principal!);
    if (rate !== Code.OK) return this.reject(m.clientOrderId, rate, MsgType.OrderSubmit);
    this.send(cmd, m.clientOrderId, MsgType.OrderSubmit);
  }

  private onCancel(b: Buffer, o: number, len: number): void {
    if (!this.canTrade) return this.denied(b, o, len, Size.Cancel, MsgType.Cancel);
    const m = this.mCancel;
    const code = decodeCancel(b, o, len, m);
    if (code !== Code.OK) return this.reject(corrIdAt(b, o, len), code, MsgType.Cancel);
    if (m.orderId === 0 && m.origClientOrderId === 0) return this.reject(m.corrId, Code.MISSING_FIELD, MsgType.Cancel);
    const rate = this.ctx.auth.checkOrderRate(this.principal!);
    if (rate !== Code.OK) return this.reject(m.corrId, rate, MsgType.Cancel);
    const cmd: CancelCmd = { type: 'cancel', accountId: this.principal!.accountId };
    if (m.orderId !== 0) cmd.orderId = m.orderId;
    else cmd.clientOrderId = clientOrderIdToString(m.origClientOrderId);
    this.send(cmd, m.corrId, MsgType.Cancel);
  }

  private onReplace(b: Buffer, o: number, len: number): void {
    if (!this.canTrade) return this.denied(b, o, len, Size.Replace, MsgType.Replace);
    const m = this.mReplace;
    const code = decodeReplace(b, o, len, m);
    if (code !== Code.OK) return this.reject(corrIdAt(b, o, len), code, MsgType.Replace);
    if (m.orderId === 0 && m.origClientOrderId === 0) return this.reject(m.corrId, Code.MISSING_FIELD, MsgType.Replace);
    const shape = checkReplaceShape(m.price, m.qty);
    if (shape !== Code.OK) return this.reject(m.corrId, shape, MsgType.Replace);
    const ref = m.orderId !== 0 ? { orderId: m.orderId } : { clientOrderId: clientOrderIdToString(m.origClientOrderId) };
    // The quantity rules are per symbol: find the order's symbol (an unknown order is the engine's answer, as over gRPC).
    const ord = this.ctx.exchange.getOrder(this.principal!.accountId, ref);
    const cfg = ord && this.ctx.exchange.symbol(ord.symbol);
    if (cfg) {
      const q = checkQuantity(m.qty, cfg);
      if (q !== Code.OK) return this.reject(m.corrId, q, MsgType.Replace);
    }
    const rate = this.ctx.auth.checkOrderRate(this.principal!);
    if (rate !== Code.OK) return this.reject(m.corrId, rate, MsgType.Replace);
    const cmd: ReplaceCmd = { type: 'replace', accountId: this.principal!.accountId, price: m.price, qty: m.qty, ...ref };
    this.send(cmd, m.corrId, MsgType.Replace);
  }

  private onQuery(b: Buffer, o: number, len: number): void {
    const m = this.mQuery;
    const code = decodeOrderStatusQuery(b, o, len, m);
    if (code !== Code.OK) return this.reject(corrIdAt(b, o, len), code, MsgType.OrderStatusQuery);
    if (m.orderId === 0 && m.clientOrderId === 0) return this.reject(m.corrId, Code.MISSING_FIELD, MsgType.OrderStatusQuery);
    const corrId = m.corrId;
    const ref = m.orderId !== 0 ? { orderId: m.orderId } : { clientOrderId: clientOrderIdToString(m.clientOrderId) };
    this.queryGate(EP_QUERY, MsgType.OrderStatusQuery, corrId, () => {
      const ord = this.ctx.exchange.getOrder(this.principal!.accountId, ref);
      const b2 = this.reserve(FRAME_SIZE.OrderStatus);
      this.out.pos += encodeOrderStatusFrom(
        b2,
        this.out.pos,
        corrId,
        ord ? Code.OK : Code.UNKNOWN_ORDER,
        ord,
        ord ? this.ctx.directory.id(ord.symbol) : 0,
      );
    });
  }

  private onSubscribe(b: Buffer, o: number, len: number): void {
    const m = this.mSub;
    const code = decodeMarketDataSubscribe(b, o, len, m);
    if (code !== Code.OK) return this.reject(corrIdAt(b, o, len), code, MsgType.MarketDataSubscribe);
    const cfg = this.ctx.directory.config(m.symbolId);
    if (!cfg) return this.reject(m.corrId, m.symbolId === 0 ? Code.INVALID_SYMBOL : Code.UNKNOWN_SYMBOL, MsgType.MarketDataSubscribe);
    const { corrId, symbolId, depth, subscribe } = m;
    if (!subscribe) {
      this.closeMd(symbolId);
      return;
    }
    this.queryGate(EP_SUBSCRIBE, MsgType.MarketDataSubscribe, corrId, () => {
      // A repeated subscribe replaces the previous one (new depth, fresh snapshot).
      this.closeMd(symbolId);
      const s: MdSubscription = { symbol: cfg.symbol, symbolId, depth, sub: null, lastSent: 0, stale: false };
      this.md.set(symbolId, s);
      s.sub = this.ctx.exchange.subscribeMarketData(cfg.symbol, (u) => this.onMarketData(s, u));
    });
  }

  /**
   * An order-entry request of a session whose role may not trade: PERMISSION_DENIED before any
   * field is read or judged, so the caller learns nothing of the order rules (as over gRPC, where
   * the role is checked before the request). Only a frame of the wrong size, which has no fields
   * to read, stays MALFORMED_FRAME (undecodable bytes are refused before authentication over gRPC).
   */
  private denied(b: Buffer, o: number, len: number, size: number, type: number): void {
    this.reject(corrIdAt(b, o, len), len === size ? Code.PERMISSION_DENIED : Code.MALFORMED_FRAME, type);
  }

  /** Hands a checked command to the engine; its result comes back through onEngineResult. */
  private send(cmd: NewOrderCmd | CancelCmd | ReplaceCmd, corrId: number, type: number): void {
    if (this.pendCount === this.pendCorr.length) this.growPending();
    const i = (this.pendHead + this.pendCount) & (this.pendCorr.length - 1);
    this.pendCorr[i] = corrId;
    this.pendType[i] = type;
    this.pendCount++;
    try {
      this.ctx.exchange.execute(cmd, this.onEngineResult);
    } catch (e) {
      // Not accepted, so no callback will come for it: take its slot back (it is the newest).
      this.pendCount--;
      throw e;
    }
  }

  /** The engine's result for the oldest command in flight (results come in command order). */
  private engineResult(res: CommandResult): void {
    if (this.pendCount === 0) return; // no command of this session in flight: not its answer
    const i = this.pendHead;
    const corrId = this.pendCorr[i]!;
    const type = this.pendType[i]!;
    this.pendHead = (i + 1) & (this.pendCorr.length - 1);
    this.pendCount--;
    this.onResult(corrId, type, res);
  }

  private growPending(): void {
    const n = this.pendCorr.length;
    const corr = new Float64Array(n * 2);
    const type = new Uint8Array(n * 2);
    for (let k = 0; k < n; k++) {
      const j = (this.pendHead + k) & (n - 1);
      corr[k] = this.pendCorr[j]!;
      type[k] = this.pendType[j]!;
    }
    this.pendCorr = corr;
    this.pendType = type;
    this.pendHead = 0;
    if (this.cidOrder.length < n * 2) {
      // entries are only a shortcut: starting empty costs a parse per report until they refill
      this.cidOrder = new Float64Array(n * 2);
      this.cidWire = new Float64Array(n * 2);
    }
  }

  /** Query-class rate limit (shared store, asynchronous), then `run`. */
  private queryGate(endpoint: string, type: number, corrId: number, run: () => void): void {
    this.ctx.auth.checkRate(this.principal!, endpoint).then(
      () => {
        if (this.state !== State.ACTIVE) return;
        run();
        this.markDirty();
      },
      (e: unknown) => {
        if (this.state !== State.ACTIVE) return;
        this.reject(corrId, e instanceof AurexError ? e.code : Code.INTERNAL, type);
      },
    );
  }

  // ================================================================ engine output
  private onResult(corrId: number, reqType: number, res: CommandResult): void {
    if (this.state >= State.CLOSING) return;
    const b = this.reserve(FRAME_SIZE.OrderResponse);
    this.out.pos += encodeOrderResponseFrom(b, this.out.dv, this.out.pos, corrId, reqType, res);
    this.markDirty();
    // A submit's correlation id is its client order id (also for a duplicate: same id, same order).
    const ord = res.order;
    if (reqType === MsgType.OrderSubmit && ord !== undefined && ord.orderId !== 0) {
      const k = ord.orderId & (this.cidOrder.length - 1);
      this.cidOrder[k] = ord.orderId;
      this.cidWire[k] = corrId;
    }
  }

  private onExec(r: ExecReport): void {
    if (this.state >= State.CLOSING) return;
    const b = this.reserve(FRAME_SIZE.ExecutionReport);
    const k = r.orderId & (this.cidOrder.length - 1);
    const wireCid = this.cidOrder[k] === r.orderId && r.orderId !== 0 ? this.cidWire[k]! : clientOrderIdToWire(r.clientOrderId);
    this.out.pos += encodeExecutionReportFrom(b, this.out.dv, this.out.pos, r, this.ctx.directory.id(r.symbol), wireCid);
    this.markDirty();
  }

  private onMarketData(s: MdSubscription, u: MarketDataUpdate): void {
    if (this.state !== State.ACTIVE || s.sub === null) return;
    if (this.congested && !u.snapshot) {
      // Conflation: keep nothing but the fact that the client is behind; a snapshot follows the drain.
      s.stale = true;
      return;
    }
    this.writeMd(s, u, u.snapshot);
  }

  private writeMd(s: MdSubscription, u: MarketDataUpdate, snapshot: boolean): void {
    const n = sizeOfMarketDataFrom(u, s.depth);
    const b = this.reserve(n);
    this.out.pos += encodeMarketDataFrom(b, this.out.pos, u, s.symbolId, s.depth, s.lastSent, snapshot);
    s.lastSent = u.mdSeq;
    this.markDirty();
  }

  private closeMd(symbolId: number): void {
    const s = this.md.get(symbolId);
    if (!s) return;
    s.sub?.close();
    s.sub = null;
    this.md.delete(symbolId);
  }

  // ================================================================ output
  private reserve(n: number): Buffer {
    return this.out.reserve(n);
  }

  private reject(corrId: number, code: Code, refType: number): void {
    const b = this.reserve(FRAME_SIZE.Reject);
    this.out.pos += encodeReject(b, this.out.pos, { corrId, code, refType });
    this.markDirty();
  }

  private markDirty(): void {
    if (!this.dirty) {
      this.dirty = true;
      this.ctx.markDirty(this);
    }
  }

  /** Writes what this turn produced (called by the gateway once per turn). */
  flush(): void {
    this.dirty = false;
    const pieces = this.out.pieces;
    if (pieces === 0) return;
    if (this.state === State.CLOSED) {
      this.out.clear();
      return;
    }
    this.lastTx = Date.now();
    if (pieces === 1) {
      this.out.takeParts(this.writeOut);
    } else {
      // A turn that filled several slabs: one writev of the pieces instead of joining them first.
      this.socket.cork();
      this.out.takeParts(this.writeOut);
      this.socket.uncork();
    }
    const pending = this.socket.writableLength;
    if (pending > this.ctx.opts.hardLimitBytes) {
      this.slowConsumer();
    } else if (pending > this.ctx.opts.highWaterBytes && !this.congested) {
      // Stop reading: a client that does not read its answers gets no more work done for it.
      this.congested = true;
      this.socket.pause();
    }
  }

  private onDrain(): void {
    if (!this.congested || this.state !== State.ACTIVE) return;
    this.congested = false;
    this.socket.resume();
    for (const s of this.md.values()) {
      if (!s.stale || s.sub === null) continue;
      s.stale = false;
      const snap = this.ctx.exchange.marketSnapshot(s.symbol, Math.max(1, s.depth));
      if (snap) this.writeMd(s, snap, true);
    }
  }

  private slowConsumer(): void {
    if (this.state >= State.CLOSING) return;
    this.endCode = Code.SLOW_CONSUMER;
    this.state = State.CLOSING;
    this.decoder.stop();
    this.ctx.log('warn', { session: this.id, remote: this.remote, pending: this.socket.writableLength }, 'tcp slow consumer disconnected');
    // Its queue is full: the Logout could only sit behind it. Drop the connection.
    this.socket.destroy();
  }

  private startHeartbeats(): void {
    const tick = Math.max(5, Math.floor(this.heartbeatMs / 2));
    this.hbTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastRx > this.timeoutMs) return this.end(Code.HEARTBEAT_TIMEOUT);
      if (now - this.lastTx >= this.heartbeatMs && this.out.length === 0) {
        const b = this.reserve(FRAME_SIZE.Heartbeat);
        this.out.pos += encodeHeartbeat(b, this.out.pos);
        this.markDirty();
      }
    }, tick);
    this.hbTimer.unref();
  }

  // ================================================================ ending
  /** Ends a logged-in session with Logout(code), then closes. */
  end(code: number): void {
    if (this.state >= State.CLOSING) return;
    if (this.state !== State.ACTIVE) return this.fatal(code, 0);
    this.endCode = code;
    const b = this.reserve(FRAME_SIZE.Logout);
    this.out.pos += encodeLogout(b, this.out.pos, { code });
    this.closeAfterFlush();
  }

  /** Fatal protocol error: Error(code), then close. */
  fatal(code: number, refType: number): void {
    if (this.state >= State.CLOSING) return;
    this.endCode = code;
    const b = this.reserve(FRAME_SIZE.Error);
    this.out.pos += encodeError(b, this.out.pos, { code, refType });
    this.closeAfterFlush();
  }

  private closeAfterFlush(): void {
    this.state = State.CLOSING;
    this.decoder.stop();
    this.stopFeeds();
    this.flush();
    this.socket.end();
    // A peer that neither reads nor closes is cut off.
    this.endTimer = setTimeout(() => this.socket.destroy(), this.ctx.opts.closeTimeoutMs);
    this.endTimer.unref();
  }

  private stopFeeds(): void {
    this.execSub?.close();
    this.execSub = null;
    for (const id of [...this.md.keys()]) this.closeMd(id);
    this.watchSub?.close();
    this.watchSub = null;
    if (this.hbTimer) clearInterval(this.hbTimer);
    this.hbTimer = null;
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.loginTimer = null;
  }

  private onClosed(): void {
    if (this.state === State.CLOSED) return;
    const wasLoggedIn = this.principal !== null && (this.state === State.ACTIVE || this.state === State.CLOSING);
    this.state = State.CLOSED;
    this.decoder.stop();
    this.stopFeeds();
    this.out.clear();
    if (this.endTimer) clearTimeout(this.endTimer);
    this.ctx.onClosed(this, wasLoggedIn);
  }
}

/** The correlation id at the start of a request payload, or 0 when unreadable. */
function corrIdAt(b: Buffer, o: number, len: number): number {
  if (len < 8) return 0;
  const v = readU64(b, o);
  return v < 0 ? 0 : v;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
