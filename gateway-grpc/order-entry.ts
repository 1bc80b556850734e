/**
 * The OrderEntry bidirectional stream: submit/cancel/replace in, exactly one
 * ack per request out, in request order, plus the account's execution reports
 * once the client sent `subscribe_executions`.
 *
 * Throughput without unbounded memory:
 *  - the token is authenticated once per stream and watched (revocation or
 *    expiry ends the stream with UNAUTHENTICATED); each order still passes the
 *    per-account order rate limit (synchronous, no I/O);
 *  - one shared engine callback per session and a FIFO of slots instead of a
 *    closure per order (the engine answers a session's commands in order);
 *  - inbound backpressure: when the session has `maxInflight` unanswered
 *    requests or its writer is blocked, the call is paused (HTTP/2 flow control
 *    then stops the client) and resumed once acks drained;
 *  - per-request errors never end the stream: they are acks with `code` and
 *    `grpc_status`;
 *  - acks are encoded straight from the engine's numbers into gRPC frames
 *    (frame-builder.ts) and every frame completed in one synchronous burst
 *    (typically one engine release per event-loop turn) leaves in one HTTP/2
 *    write (framed-writer.ts): one microtask per burst, nothing per ack.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AuthManager } from '../engine/auth/index.ts';
import { AurexError, Code } from '../engine/codes.ts';
import type { ExchangeApi, Subscription } from '../engine/core-api.ts';
import type { CommandResult, Principal } from '../engine/types.ts';
import { OrderEntryResponse, type OrderEntryRequest } from '../gen/aurex/stock/v1/stock.ts';
import { bearerOf } from './auth-context.ts';
import { orderRateError, streamPrincipal, type MethodSpec } from './call-helpers.ts';
import { statusToWire } from './convert.ts';
import { grpcStatusFor, serviceError, toServiceError } from './errors.ts';
import { FrameBuilder, type AckFields } from './frame-builder.ts';
import { FramedWriter } from './framed-writer.ts';
import { amendErrorCode, cancelCmd, newOrderCmd, replaceCmd, submitCodeIsError, validClientOrderId } from './order-commands.ts';
import { int64ToSafe } from './price.ts';
import { isMalformed, type Malformed } from './service-defs.ts';
import type { StreamWriter } from './stream-writer.ts';

const SUBMIT = 0;
const AMEND = 1;

/** One request and, once answered, its ack's fields (encoded in place: no ack object). */
class Slot implements AckFields {
  kind = SUBMIT;
  answered = false;
  clientOrderId = '';
  exchangeOrderId = 0;
  status = 0;
  code = 0;
  grpcStatus = 0;
  filledQuantity = 0;
  remainingQuantity = 0;
  seq = 0;
  constructor(public requestId: bigint) {}
}

export interface OrderEntryContext {
  exchange: ExchangeApi;
  auth: AuthManager;
  spec: MethodSpec;
  /** Unanswered requests per stream before reading pauses. */
  maxInflight: number;
  /** Writer window (messages not yet flushed) and queue bound. */
  window: number;
  maxQueued: number;
  stuckMs: number;
  track(w: StreamWriter<unknown>, shutdown: () => void): boolean;
}

type Call = ServerDuplexStream<OrderEntryRequest | Malformed, OrderEntryResponse | Buffer>;

export class OrderEntrySession {
  private readonly writer: FramedWriter;
  private readonly frames: FrameBuilder;
  /** A microtask will hand the open batch of frames to the writer. */
  private flushQueued = false;
  private readonly flushFrames: () => void;
  private p: Principal | undefined;
  private readonly slots: Slot[] = [];
  private head = 0;
  /** Slots waiting for an engine result, in execute order. */
  private readonly awaiting: Slot[] = [];
  private awaitHead = 0;
  private paused = false;
  private clientDone = false;
  private shuttingDown = false;
  private execSub: Subscription | undefined;
  private readonly onResult: (res: CommandResult) => void;

  constructor(
    private readonly ctx: OrderEntryContext,
    private readonly call: Call,
  ) {
    const w = new FramedWriter(call, { window: ctx.window, maxQueued: ctx.maxQueued, stuckMs: ctx.stuckMs });
    this.writer = w;
    w.onDrained = () => this.maybeResume();
    // batches stay well inside the writer's window and queue bounds (they count messages)
    const maxBatch = Math.max(1, Math.min(256, ctx.window >> 2, ctx.maxQueued >> 2));
    this.frames = new FrameBuilder((batch, n) => {
      w.send(batch, n);
    }, maxBatch);
    this.flushFrames = () => {
      this.flushQueued = false;
      this.frames.flush();
    };
    this.onResult = (res) => this.result(res);
  }

  async start(): Promise<void> {
    const w = this.writer;
    const call = this.call;
    // Hold requests until the caller is authenticated.
    call.pause();
    if (!this.ctx.track(w as StreamWriter<unknown>, () => this.shutdown())) {
      w.closeWithError(serviceError(Code.SHUTTING_DOWN, 'server is shutting down'));
      return;
    }
    try {
      this.p = await streamPrincipal(this.ctx.auth, call.metadata, this.ctx.spec);
    } catch (e) {
      w.closeWithError(toServiceError(e));
      return;
    }
    if (w.closed) return;
    const watch = this.ctx.auth.watch(bearerOf(call.metadata)!, (err) => w.closeWithError(serviceError(err.code, err.message)));
    w.onClose(() => {
      watch.close();
      this.execSub?.close();
      this.execSub = undefined;
    });
    call.on('data', (req: OrderEntryRequest | Malformed) => this.request(req));
    call.on('end', () => {
      this.clientDone = true;
      this.maybeFinish();
    });
    call.resume();
  }

  private request(req: OrderEntryRequest | Malformed): void {
    if (!this.writer.accepting) return;
    const slot = new Slot(isMalformed(req) ? 0n : req.requestId);
    this.slots.push(slot);
    try {
      if (isMalformed(req)) throw new AurexError(Code.MALFORMED_FRAME, 'request could not be decoded');
      const c = req.command;
      if (c === undefined) throw new AurexError(Code.MISSING_FIELD, 'command is required');
      const p = this.p!;
      const ex = this.ctx.exchange;
      switch (c.$case) {
        case 'submit': {
          slot.clientOrderId = c.value.orderId;
          const cmd = newOrderCmd(ex, p, c.value);
          const rate = this.ctx.auth.checkOrderRate(p);
          if (rate !== Code.OK) throw orderRateError(rate);
          this.awaiting.push(slot);
          ex.execute(cmd, this.onResult);
          break;
        }
        case 'cancel': {
          slot.kind = AMEND;
          slot.clientOrderId = c.value.clientOrderId;
          const cmd = cancelCmd(p, c.value);
          const rate = this.ctx.auth.checkOrderRate(p);
          if (rate !== Code.OK) throw orderRateError(rate);
          this.awaiting.push(slot);
          ex.execute(cmd, this.onResult);
          break;
        }
        case 'replace': {
          slot.kind = AMEND;
          slot.clientOrderId = c.value.clientOrderId;
          const cmd = replaceCmd(ex, p, c.value);
          const rate = this.ctx.auth.checkOrderRate(p);
          if (rate !== Code.OK) throw orderRateError(rate);
          this.awaiting.push(slot);
          ex.execute(cmd, this.onResult);
          break;
        }
        case 'subscribeExecutions': {
          if (this.execSub !== undefined) throw new AurexError(Code.INVALID_ARGUMENT, 'already subscribed to executions');
          const from = c.value.fromSeq;
          if (from < -1n) throw new AurexError(Code.VALUE_OUT_OF_RANGE, 'from_seq must be -1, 0 or a sequence');
          const fromSeq = from === -1n ? -1 : int64ToSafe(from, Code.VALUE_OUT_OF_RANGE, 'from_seq');
          this.codeAck(slot, Code.OK);
          this.flush();
          const frames = this.frames;
          this.execSub = ex.subscribeExecutions(p.accountId, { fromSeq }, (r) => {
            if (!this.writer.accepting) return;
            frames.execution(r, ex.symbol(r.symbol)?.tickSize ?? 1);
            this.scheduleFrames();
          });
          break;
        }
      }
    } catch (e) {
      // The id is taken from the request before the command is checked; one
      // that failed the check (up to a whole message of arbitrary bytes) is
      // not reflected into the ack. Requests that reach the engine carry a
      // checked id, so only this path needs it.
      if (slot.clientOrderId !== '' && !validClientOrderId(slot.clientOrderId)) slot.clientOrderId = '';
      this.errorAck(slot, e);
      this.flush();
    }
    if (!this.paused && this.slots.length - this.head >= this.ctx.maxInflight) {
      this.paused = true;
      this.call.pause();
    }
  }

  private result(res: CommandResult): void {
    const slot = this.awaiting[this.awaitHead]!;
    this.awaiting[this.awaitHead++] = undefined as unknown as Slot;
    if (this.awaitHead === this.awaiting.length) {
      this.awaiting.length = 0;
      this.awaitHead = 0;
    }
    if (slot.kind === SUBMIT) this.submitAck(slot, res);
    else this.amendAck(slot, res);
    this.flush();
  }

  private submitAck(slot: Slot, res: CommandResult): void {
    if (res.duplicate || res.code === Code.DUPLICATE_CLIENT_ORDER_ID) this.codeAck(slot, Code.DUPLICATE_CLIENT_ORDER_ID);
    else if ((res.code !== Code.OK && submitCodeIsError(res.code)) || res.order === undefined) this.codeAck(slot, res.code || Code.INTERNAL);
    else this.orderAck(slot, res);
  }

  private amendAck(slot: Slot, res: CommandResult): void {
    const err = res.code === Code.OK ? undefined : amendErrorCode(res.code);
    if (err !== undefined || res.order === undefined) this.codeAck(slot, err ?? (res.code || Code.INTERNAL));
    else this.orderAck(slot, res);
  }

  private orderAck(slot: Slot, res: CommandResult): void {
    const o = res.order!;
    slot.clientOrderId = o.clientOrderId;
    slot.exchangeOrderId = o.orderId;
    slot.status = statusToWire(o.status);
    slot.code = res.code;
    slot.grpcStatus = 0;
    slot.filledQuantity = o.filledQty;
    slot.remainingQuantity = o.remainingQty;
    slot.seq = res.seq;
    slot.answered = true;
  }

  /** An ack without order state (errors, subscribe): the request's client order id (when valid) and the code. */
  private codeAck(slot: Slot, code: Code): void {
    slot.code = code;
    slot.grpcStatus = code === Code.OK ? 0 : grpcStatusFor(code);
    slot.answered = true;
  }

  private errorAck(slot: Slot, e: unknown): void {
    if (e instanceof AurexError) return this.codeAck(slot, e.code);
    const err = toServiceError(e);
    this.codeAck(slot, Number(err.metadata?.get('x-aurex-code')[0] ?? Code.INTERNAL) as Code);
  }

  /** Hand the frames of this burst to the writer once the burst is over (one microtask per burst). */
  private scheduleFrames(): void {
    if (this.flushQueued || this.frames.count === 0) return;
    this.flushQueued = true;
    queueMicrotask(this.flushFrames);
  }

  /** Write the acks that are complete at the head, in request order. */
  private flush(): void {
    const slots = this.slots;
    const w = this.writer;
    const frames = this.frames;
    const open = w.accepting;
    while (this.head < slots.length) {
      const s = slots[this.head]!;
      if (!s.answered) break;
      slots[this.head++] = undefined as unknown as Slot;
      if (open) frames.ack(s);
    }
    this.scheduleFrames();
    if (this.head === slots.length) {
      slots.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > slots.length) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
    this.maybeResume();
    this.maybeFinish();
  }

  private maybeResume(): void {
    if (!this.paused || this.shuttingDown || this.writer.blocked || this.writer.queued > 0) return;
    if (this.slots.length - this.head > this.ctx.maxInflight >> 1) return;
    this.paused = false;
    this.call.resume();
  }

  /** Client half-closed or server shutting down: end once every request is answered. */
  private maybeFinish(): void {
    if (!(this.clientDone || this.shuttingDown) || this.slots.length - this.head > 0 || !this.writer.accepting) return;
    this.frames.flush();
    if (this.shuttingDown) this.writer.gracefulClose(serviceError(Code.SHUTTING_DOWN, 'server is shutting down'));
    else this.writer.end();
  }

  /** Graceful shutdown: stop reading, answer what was received, end with UNAVAILABLE. */
  shutdown(): void {
    this.shuttingDown = true;
    this.paused = true;
    this.call.pause();
    this.maybeFinish();
  }
}

export function orderEntryHandler(ctx: OrderEntryContext) {
  return (call: Call): void => {
    void new OrderEntrySession(ctx, call).start();
  };
}
