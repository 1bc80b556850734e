/**
 * TypeScript client for the Aurex binary TCP gateway (docs/tcp-protocol.md).
 *
 * - connect() then login(): resolves once the Login Response and the whole
 *   Symbol Directory are in; symbols may then be named by string.
 * - submit/cancel/replace/queryOrder return promises correlated by the
 *   client order id / correlation id; any number may be in flight
 *   (pipelining). `submitCb` is the allocation-light callback form.
 * - Outgoing frames are batched: everything sent in one synchronous stretch
 *   leaves in one socket write (flushed from a microtask).
 * - Execution reports arrive as 'execReport' events; `lastExecSeq` tracks the
 *   newest accountSeq seen, to pass as `resumeFromSeq` after a reconnect.
 * - Market data: subscribe(symbol, depth) resolves with the first snapshot;
 *   updates arrive as 'marketData' events.
 *
 * Events: 'execReport' (ExecutionReportMsg), 'marketData' (MarketDataUpdateMsg),
 * 'reject' (RejectMsg not matching a pending request), 'logout' (code),
 * 'protocolError' (ErrorMsg), 'close' (code or undefined).
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { AurexError, Code, codeName } from '../engine/codes.ts';
import type { OrderKind, Side } from '../engine/types.ts';
import {
  FRAME_SIZE,
  decodeError,
  decodeExecutionReport,
  decodeLoginResponse,
  decodeLogout,
  decodeMarketDataUpdate,
  decodeOrderResponse,
  decodeOrderStatus,
  decodeReject,
  decodeSymbolDirectory,
  encodeCancel,
  encodeHeartbeat,
  encodeLogin,
  encodeLogout,
  encodeMarketDataSubscribe,
  encodeOrderStatusQuery,
  encodeOrderSubmit,
  encodeReplace,
  isU64,
  newExecutionReport,
  newLoginResponse,
  newMarketDataUpdate,
  newOrderResponse,
  newOrderStatus,
  readU64,
  sizeOfLogin,
  type ExecutionReportMsg,
  type LoginResponseMsg,
  type MarketDataUpdateMsg,
  type OrderResponseMsg,
  type OrderStatusMsg,
  type RejectMsg,
  type SymbolDirectoryMsg,
  type SymbolEntry,
} from './codec.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { OutBuffer } from './out-buffer.ts';
import { MAX_DEPTH, MAX_TOKEN_BYTES, MsgType, PROTOCOL_VERSION, msgTypeName } from './protocol.ts';

export interface TcpClientOptions {
  host?: string;
  port: number;
  /** Give up connecting after this long (default 5000 ms). */
  connectTimeoutMs?: number;
}

export interface LoginOptions {
  token: string;
  /** Cancel this account's open orders when the session ends without Logout (after the grace period). */
  cancelOnDisconnect?: boolean;
  cancelGraceMs?: number;
  /** Requested heartbeat interval (0 / undefined = server default). */
  heartbeatMs?: number;
  /** Replay execution reports with accountSeq > resumeFromSeq before live ones. */
  resumeFromSeq?: number;
  /** Protocol version to announce (tests of version negotiation). */
  version?: number;
}

export interface LoginResult extends LoginResponseMsg {
  symbols: SymbolEntry[];
}

export interface NewOrder {
  /** u64 >= 1, unique per account; generated when omitted. */
  clientOrderId?: number;
  /** Symbol name or directory id. */
  symbol: string | number;
  side: Side;
  kind?: OrderKind;
  price: number;
  qty: number;
  stopPrice?: number;
  postOnly?: boolean;
}

export interface OrderRef {
  orderId?: number;
  clientOrderId?: number;
}

/** A request refused by the gateway (Reject) or lost with the connection. */
export class TcpRequestError extends AurexError {
  constructor(
    code: Code,
    readonly refType: number,
    readonly corrId: number,
  ) {
    super(code, `${msgTypeName(refType)} ${corrId}: ${codeName(code)}`);
    this.name = 'TcpRequestError';
  }
}

type ResponseCb = (err: TcpRequestError | null, res: OrderResponseMsg | null) => void;
interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
  type: number;
  symbolId?: number;
}

export class TcpClient extends EventEmitter {
  readonly socket: net.Socket;
  /** Symbols of the session's directory, by name and by id. */
  readonly symbols = new Map<string, SymbolEntry>();
  readonly symbolsById = new Map<number, SymbolEntry>();
  /** Newest execution report accountSeq seen (for resume after reconnect). */
  lastExecSeq = 0;
  loginResponse: LoginResponseMsg | null = null;
  /** Why the server ended the session (Logout / Error code), when it did. */
  closeCode: number | undefined;
  closed = false;
  /** Order Responses that matched no pending request (a duplicate or stray answer; 0 when healthy). */
  unmatchedResponses = 0;

  private readonly out = new OutBuffer(256 * 1024);
  private flushScheduled = false;
  private readonly decoder: FrameDecoder;
  /** Pending submits by clientOrderId. */
  private readonly submits = new Map<number, ResponseCb>();
  /** Pending cancel/replace/query/subscribe by correlation id. */
  private readonly requests = new Map<number, Waiter>();
  private nextCorr = 1;
  private nextClOrdId: number;
  private loginWaiter: { resolve(r: LoginResult): void; reject(e: Error): void; dir: SymbolEntry[] } | null = null;
  private hbTimer: NodeJS.Timeout | null = null;
  private lastRx = Date.now();
  private lastTx = Date.now();
  private readonly flushFn = () => this.flush();

  private constructor(socket: net.Socket) {
    super();
    this.socket = socket;
    // Ids unique across this account's sessions unless > 1000 orders/ms are sent for a long time.
    this.nextClOrdId = Date.now() * 1000;
    this.decoder = new FrameDecoder(
      (t, b, o, l) => this.onFrame(t, b, o, l),
      (code) => this.fail(code),
    );
    socket.on('data', (chunk: Buffer) => {
      this.lastRx = Date.now();
      this.decoder.push(chunk);
    });
    socket.on('error', () => {
      /* 'close' follows and fails everything pending */
    });
    socket.on('close', () => this.onClose());
  }

  /** Opens a TCP connection (TCP_NODELAY, keepalive). */
  static connect(opts: TcpClientOptions): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host ?? '127.0.0.1', port: opts.port, noDelay: true, keepAlive: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timeout to ${opts.host ?? '127.0.0.1'}:${opts.port}`));
      }, opts.connectTimeoutMs ?? 5000);
      timer.unref();
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TcpClient(socket));
      });
    });
  }

  /** Connect and log in in one call. */
  static async open(opts: TcpClientOptions & LoginOptions): Promise<TcpClient> {
    const c = await TcpClient.connect(opts);
    try {
      await c.login(opts);
    } catch (e) {
      c.destroy();
      throw e;
    }
    return c;
  }

  /** Requests still waiting for their answer. */
  get inFlight(): number {
    return this.submits.size + this.requests.size;
  }

  /** Sends Login; resolves after the Login Response and the complete Symbol Directory. */
  login(opts: LoginOptions): Promise<LoginResult> {
    if (Buffer.byteLength(opts.token, 'utf8') > MAX_TOKEN_BYTES) {
      return Promise.reject(new AurexError(Code.TOKEN_MALFORMED, 'token too long'));
    }
    const msg = {
      version: opts.version ?? PROTOCOL_VERSION,
      cancelOnDisconnect: opts.cancelOnDisconnect ?? false,
      resume: opts.resumeFromSeq !== undefined,
      heartbeatMs: opts.heartbeatMs ?? 0,
      cancelGraceMs: opts.cancelGraceMs ?? 0,
      resumeFromSeq: opts.resumeFromSeq ?? 0,
      token: opts.token,
    };
    if (!isU64(msg.resumeFromSeq)) return Promise.reject(new AurexError(Code.VALUE_OUT_OF_RANGE, 'resumeFromSeq'));
    if (opts.resumeFromSeq !== undefined) this.lastExecSeq = opts.resumeFromSeq;
    return new Promise<LoginResult>((resolve, reject) => {
      this.loginWaiter = { resolve, reject, dir: [] };
      const n = sizeOfLogin(msg);
      const b = this.out.reserve(n);
      this.out.pos += encodeLogin(b, this.out.pos, msg);
      this.schedule();
    });
  }

  /** The directory id of a symbol (throws INVALID_SYMBOL when not in the directory). */
  symbolId(symbol: string | number): number {
    if (typeof symbol === 'number') return symbol;
    const e = this.symbols.get(symbol);
    if (!e) throw new AurexError(Code.INVALID_SYMBOL, `unknown symbol ${symbol}`);
    return e.symbolId;
  }

  /** Next auto-generated client order id. */
  newClientOrderId(): number {
    return ++this.nextClOrdId;
  }

  /**
   * Submits an order; `cb` gets the Order Response (which may carry an engine
   * reject code) or a TcpRequestError for a gateway Reject / lost connection.
   * Returns the clientOrderId used.
   */
  submitCb(o: NewOrder, cb: ResponseCb): number {
    const id = o.clientOrderId ?? ++this.nextClOrdId;
    this.checkOpen();
    if (!(id >= 1 && isU64(id))) throw new AurexError(Code.INVALID_CLIENT_ORDER_ID, `clientOrderId ${id}`);
    if (!isU64(o.price) || !isU64(o.qty) || !isU64(o.stopPrice ?? 0)) {
      throw new AurexError(Code.VALUE_OUT_OF_RANGE, 'price/qty/stopPrice must be safe non-negative integers');
    }
    if (this.submits.has(id)) throw new AurexError(Code.DUPLICATE_CLIENT_ORDER_ID, `clientOrderId ${id} in flight`);
    const symbolId = this.symbolId(o.symbol);
    this.submits.set(id, cb);
    const b = this.out.reserve(FRAME_SIZE.OrderSubmit);
    this.out.pos += encodeOrderSubmit(b, this.out.pos, {
      clientOrderId: id,
      price: o.price,
      qty: o.qty,
      stopPrice: o.stopPrice ?? 0,
      symbolId,
      side: o.side,
      kind: o.kind ?? 'LIMIT',
      postOnly: o.postOnly ?? false,
    });
    this.schedule();
    return id;
  }

  /** Submits an order; resolves with the Order Response (check `code`: engine rejects resolve too). */
  submit(o: NewOrder): Promise<OrderResponseMsg> {
    return new Promise((resolve, reject) => {
      this.submitCb(o, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  cancel(ref: OrderRef): Promise<OrderResponseMsg> {
    return this.request<OrderResponseMsg>(MsgType.Cancel, (b, o, corrId) =>
      encodeCancel(b, o, { corrId, orderId: ref.orderId ?? 0, origClientOrderId: ref.clientOrderId ?? 0 }),
    FRAME_SIZE.Cancel, ref);
  }

  replace(ref: OrderRef & { price: number; qty: number }): Promise<OrderResponseMsg> {
    if (!isU64(ref.price) || !isU64(ref.qty)) {
      return Promise.reject(new AurexError(Code.VALUE_OUT_OF_RANGE, 'price/qty must be safe non-negative integers'));
    }
    return this.request<OrderResponseMsg>(MsgType.Replace, (b, o, corrId) =>
      encodeReplace(b, o, {
        corrId,
        orderId: ref.orderId ?? 0,
        origClientOrderId: ref.clientOrderId ?? 0,
        price: ref.price,
        qty: ref.qty,
      }),
    FRAME_SIZE.Replace, ref);
  }

  queryOrder(ref: OrderRef): Promise<OrderStatusMsg> {
    return this.request<OrderStatusMsg>(MsgType.OrderStatusQuery, (b, o, corrId) =>
      encodeOrderStatusQuery(b, o, { corrId, orderId: ref.orderId ?? 0, clientOrderId: ref.clientOrderId ?? 0 }),
    FRAME_SIZE.OrderStatusQuery, ref);
  }

  /** Subscribes to a symbol's market data; resolves with the first (snapshot) update. */
  subscribe(symbol: string | number, depth = 0): Promise<MarketDataUpdateMsg> {
    if (!(Number.isInteger(depth) && depth >= 0 && depth <= MAX_DEPTH)) {
      return Promise.reject(new AurexError(Code.VALUE_OUT_OF_RANGE, `depth 0..${MAX_DEPTH}`));
    }
    let symbolId: number;
    try {
      symbolId = this.symbolId(symbol);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.request<MarketDataUpdateMsg>(
      MsgType.MarketDataSubscribe,
      (b, o, corrId) => encodeMarketDataSubscribe(b, o, { corrId, symbolId, subscribe: true, depth }),
      FRAME_SIZE.MarketDataSubscribe,
      undefined,
      symbolId,
    );
  }

  /** Stops a market-data subscription (no answer is sent). */
  unsubscribe(symbol: string | number): void {
    this.checkOpen();
    const symbolId = this.symbolId(symbol);
    const b = this.out.reserve(FRAME_SIZE.MarketDataSubscribe);
    this.out.pos += encodeMarketDataSubscribe(b, this.out.pos, {
      corrId: this.nextCorr++,
      symbolId,
      subscribe: false,
      depth: 0,
    });
    this.schedule();
  }

  /** Writes raw bytes (tests and fuzzers), after anything already queued. */
  sendRaw(bytes: Buffer): void {
    this.flush();
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends Logout and resolves when the server has closed the connection. */
  logout(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      const b = this.out.reserve(FRAME_SIZE.Logout);
      this.out.pos += encodeLogout(b, this.out.pos, { code: Code.OK });
      this.flush();
      // A server that does not answer still gets closed.
      const t = setTimeout(() => this.socket.destroy(), 2000);
      t.unref();
    });
  }

  /** Drops the connection at once (no Logout: cancel-on-disconnect applies). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Writes everything queued now (normally done from a microtask). */
  flush(): void {
    this.flushScheduled = false;
    const buf = this.out.take();
    if (buf && !this.closed) {
      this.lastTx = Date.now();
      this.socket.write(buf);
    }
  }

  // ---------------------------------------------------------------- internals
  private checkOpen(): void {
    if (this.closed) throw new AurexError(Code.LOGGED_OUT, 'connection closed');
  }

  private schedule(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushFn);
    }
  }

  private request<T>(
    type: number,
    enc: (b: Buffer, o: number, corrId: number) => number,
    size: number,
    ref?: OrderRef,
    symbolId?: number,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new TcpRequestError(Code.LOGGED_OUT, type, 0));
    if (ref) {
      const ok = (ref.orderId === undefined || isU64(ref.orderId)) && (ref.clientOrderId === undefined || isU64(ref.clientOrderId));
      if (!ok) return Promise.reject(new AurexError(Code.VALUE_OUT_OF_RANGE, 'orderId/clientOrderId'));
    }
    const corrId = this.nextCorr++;
    return new Promise<T>((resolve, reject) => {
      this.requests.set(corrId, { resolve: resolve as (v: unknown) => void, reject, type, symbolId });
      const b = this.out.reserve(size);
      this.out.pos += enc(b, this.out.pos, corrId);
      this.schedule();
    });
  }

  private startHeartbeats(intervalMs: number, timeoutMs: number): void {
    if (this.hbTimer || intervalMs <= 0) return;
    const tick = Math.max(10, Math.floor(Math.min(intervalMs, timeoutMs) / 2));
    this.hbTimer = setInterval(() => {
      const now = Date.now();
      if (timeoutMs > 0 && now - this.lastRx > timeoutMs) {
        this.closeCode = Code.HEARTBEAT_TIMEOUT;
        this.socket.destroy();
        return;
      }
      if (now - this.lastTx >= intervalMs) {
        const b = this.out.reserve(FRAME_SIZE.Heartbeat);
        this.out.pos += encodeHeartbeat(b, this.out.pos);
        this.flush();
      }
    }, tick);
    this.hbTimer.unref();
  }

  private fail(code: Code): void {
    this.closeCode = code;
    this.decoder.stop();
    this.socket.destroy();
  }

  private onFrame(type: number, b: Buffer, o: number, len: number): void {
    switch (type) {
      case MsgType.OrderResponse: {
        const r = newOrderResponse();
        if (decodeOrderResponse(b, o, len, r) !== Code.OK) return this.fail(Code.MALFORMED_FRAME);
        if (r.reqType === MsgType.OrderSubmit) {
          const cb = this.submits.get(r.corrId);
          if (cb) {
            this.submits.delete(r.corrId);
            cb(null, r);
          } else {
            this.unmatchedResponses++;
          }
        } else if (!this.settle(r.corrId, r)) {
          this.unmatchedResponses++;
        }
        return;
      }
      case MsgType.ExecutionReport: {
        if (len >= 8) {
          const seq = readU64(b, o);
          if (seq > this.lastExecSeq) this.lastExecSeq = seq;
        }
        if (this.listenerCount('execReport') === 0) return;
        const r = newExecutionReport();
        if (decodeExecutionReport(b, o, len, r) !== Code.OK) return this.fail(Code.MALFORMED_FRAME);
        this.emit('execReport', r);
        return;
      }
      case MsgType.Reject: {
        const r: RejectMsg = { corrId: 0, code: 0, refType: 0 };
        if (decodeReject(b, o, len, r) !== Code.OK) return this.fail(Code.MALFORMED_FRAME);
        const err = new TcpRequestError(r.code as Code, r.refType, r.corrId);
        if (r.refType === MsgType.OrderSubmit && this.submits.has(r.corrId)) {
          const cb = this.submits.get(r.corrId)!;
          this.submits.delete(r.corrId);
          cb(err, null);
          return;
        }
        const w = this.requests.get(r.corrId);
        if (w && w.type === r.refType) {
          this.requests.delete(r.corrId);
          w.reject(err);
          return;
        }
        this.emit('reject', r);
        return;
      }
      case MsgType.MarketDataUpdate: {
        const u = newMarketDataUpdate();
        if (decodeMarketDataUpdate(b, o, len, u) !== Code.OK) return this.fail(Code.MALFORMED_FRAME);
        if (u.snapshot) {
          for (const [corrId, w] of this.requests) {
            if (w.type === MsgType.MarketDataSubscribe && w.symbolId === u.symbolId) {
              this.requests.delete(corrId);
              w.resolve(u);
              break;
            }
          }
        }
        this.emit('marketData', u);
        return;
      }
      case MsgType.OrderStatus: {
        const s = newOrderStatus();
        if (decodeOrderStatus(b, o, len, s) !== Code.OK) return this.fail(Code.MALFORMED_FRAME);
        this.settle(s.corrId, s);
        return;
      }
      case MsgType.Heartbeat:
        return;
      case MsgType.LoginResponse: {
        const r = newLoginResponse();
        if (decodeLoginResponse(b, o, len, r) !== Code.OK) return this.fail(Code.MALFORMED_FRAME);
        this.loginResponse = r;
        if (r.code !== Code.OK) {
          this.closeCode = r.code;
          this.loginWaiter?.reject(new AurexError(r.code as Code, `login refused: ${codeName(r.code)}`));
          this.loginWaiter = null;
          return;
        }
        this.startHeartbeats(r.heartbeatMs, r.timeoutMs);
        return;
      }
      case MsgType.SymbolDirectory: {
        const d: SymbolDirectoryMsg = { last: false, entries: [] };
        if (decodeSymbolDirectory(b, o, len, d) !== Code.OK) return this.fail(Code.MALFORMED_FRAME);
        for (const e of d.entries) {
          this.symbols.set(e.symbol, e);
          this.symbolsById.set(e.symbolId, e);
          this.loginWaiter?.dir.push(e);
        }
        if (d.last && this.loginWaiter && this.loginResponse) {
          const w = this.loginWaiter;
          this.loginWaiter = null;
          w.resolve({ ...this.loginResponse, symbols: w.dir });
        }
        return;
      }
      case MsgType.Logout: {
        const m = { code: 0 };
        decodeLogout(b, o, len, m);
        this.closeCode = m.code;
        this.emit('logout', m.code);
        return;
      }
      case MsgType.Error: {
        const m = { code: 0, refType: 0 };
        decodeError(b, o, len, m);
        this.closeCode = m.code;
        this.emit('protocolError', m);
        return;
      }
      default:
        // Unknown message from the server: a newer server; ignore it.
        return;
    }
  }

  private settle(corrId: number, value: unknown): boolean {
    const w = this.requests.get(corrId);
    if (!w) return false;
    this.requests.delete(corrId);
    w.resolve(value);
    return true;
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.decoder.stop();
    this.out.clear();
    if (this.hbTimer) clearInterval(this.hbTimer);
    const code = (this.closeCode ?? Code.LOGGED_OUT) as Code;
    if (this.loginWaiter) {
      this.loginWaiter.reject(new AurexError(code, `connection closed during login: ${codeName(code)}`));
      this.loginWaiter = null;
    }
    const subs = [...this.submits];
    this.submits.clear();
    for (const [id, cb] of subs) cb(new TcpRequestError(code, MsgType.OrderSubmit, id), null);
    const reqs = [...this.requests];
    this.requests.clear();
    for (const [id, w] of reqs) w.reject(new TcpRequestError(code, w.type, id));
    this.emit('close', this.closeCode);
  }
}

export type { ExecutionReportMsg, MarketDataUpdateMsg, OrderResponseMsg, OrderStatusMsg, SymbolEntry };
