/**
 * Builds gRPC length-prefixed message frames (1 flag byte + 4-byte big-endian
 * length + protobuf bytes) back to back in one buffer, so a whole turn's worth
 * of OrderEntry responses leaves in ONE HTTP/2 write instead of one grpc-js
 * sendMessage (object-mode Writable, serializer, copy, http2 write) per ack.
 *
 * The ack fast path encodes OrderEntryResponse{ack} straight from engine
 * numbers: no OrderEntryAck object, no BigInt conversions (ts-proto's int64
 * path costs a BigInt per field plus range checks). Byte-for-byte the same as
 * ts-proto's encoder (checked in test/40-grpc-frame-builder.test.ts).
 *
 * Memory: frames are written into a slab (64 KiB); a batch is a view of the
 * slab, and the slab is dropped when the last batch written from it is
 * released by HTTP/2. A batch is closed at `maxBatch` messages.
 */
import { codeName } from '../engine/codes.ts';
import type { ExecReport } from '../engine/types.ts';
import { execTypeToWire, kindToWire, sideToWire, statusToWire } from './convert.ts';
import { ticksToPrice } from './price.ts';

// String.prototype.charCodeAt.call(s, i): inlined for strings of any shape (docs/engine.md, "Strings of many shapes")

const SLAB = 64 * 1024;
/** Worst-case bytes of an ack whose strings are measured separately: header 5 + tags/varints. */
const ACK_FIXED_MAX = 5 + 1 + 5 + 10 * 11;
/** Worst-case bytes of an execution report whose strings are measured separately: header, 23 fields of at most 2 + 10 bytes. */
const EXEC_FIXED_MAX = 5 + 1 + 5 + 23 * 12;

const reasonBytes = new Map<number, Buffer>();
function reasonOf(code: number): Buffer {
  let b = reasonBytes.get(code);
  if (b === undefined) {
    b = Buffer.from(codeName(code), 'utf8');
    reasonBytes.set(code, b);
  }
  return b;
}

/** Fields of one OrderEntryAck, as numbers (requestId as the request's bigint). */
export interface AckFields {
  requestId: bigint;
  clientOrderId: string;
  exchangeOrderId: number;
  status: number;
  code: number;
  grpcStatus: number;
  filledQuantity: number;
  remainingQuantity: number;
  seq: number;
}

export class FrameBuilder {
  private buf: Buffer = Buffer.allocUnsafe(SLAB);
  private pos = 0;
  /** Start of the open batch in `buf`. */
  private start = 0;
  /** Messages in the open batch. */
  count = 0;

  /** `emit(batch, messages)` receives closed batches in order (buffer views stay valid: slabs are never reused). */
  constructor(
    private readonly emit: (batch: Buffer, messages: number) => void,
    private readonly maxBatch = 256,
  ) {}

  /** Close the open batch (if any) and hand it to `emit`. */
  flush(): void {
    if (this.count === 0) return;
    const batch = this.buf.subarray(this.start, this.pos);
    const n = this.count;
    this.start = this.pos;
    this.count = 0;
    this.emit(batch, n);
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.flush();
    this.buf = Buffer.allocUnsafe(Math.max(SLAB, bytes));
    this.pos = 0;
    this.start = 0;
  }

  private done(): void {
    if (++this.count >= this.maxBatch) this.flush();
  }

  /** Append one already-encoded message. */
  message(bytes: Uint8Array): void {
    this.reserve(bytes.length + 5);
    const b = this.buf;
    const p = this.pos;
    b[p] = 0;
    b.writeUInt32BE(bytes.length, p + 1);
    b.set(bytes, p + 5);
    this.pos = p + 5 + bytes.length;
    this.done();
  }

  /** Append OrderEntryResponse{event: ack}. */
  ack(a: AckFields): void {
    const reason = reasonOf(a.code);
    const idLen = a.clientOrderId.length * 3; // utf8 worst case
    this.reserve(ACK_FIXED_MAX + idLen + reason.length);
    const b = this.buf;
    const frame = this.pos;
    // frame header (5) + OrderEntryResponse tag (1) + ack length: 1 byte when < 128, else shifted below
    const body = frame + 7;
    let p = body;
    const rid = a.requestId;
    if (rid !== 0n) {
      b[p++] = 8;
      p = rid <= 0x1fffffffffffffn && rid > 0n ? varint(b, p, Number(rid)) : varint64(b, p, rid);
    }
    if (a.clientOrderId !== '') {
      b[p++] = 18;
      p = str(b, p, a.clientOrderId);
    }
    if (a.exchangeOrderId !== 0) {
      b[p++] = 24;
      p = int(b, p, a.exchangeOrderId);
    }
    if (a.status !== 0) {
      b[p++] = 32;
      p = int(b, p, a.status);
    }
    if (a.code !== 0) {
      b[p++] = 40;
      p = varint(b, p, a.code >>> 0);
    }
    if (reason.length !== 0) {
      b[p++] = 50;
      p = varint(b, p, reason.length);
      reason.copy(b, p);
      p += reason.length;
    }
    if (a.grpcStatus !== 0) {
      b[p++] = 56;
      p = varint(b, p, a.grpcStatus >>> 0);
    }
    if (a.filledQuantity !== 0) {
      b[p++] = 64;
      p = int(b, p, a.filledQuantity);
    }
    if (a.remainingQuantity !== 0) {
      b[p++] = 72;
      p = int(b, p, a.remainingQuantity);
    }
    if (a.seq !== 0) {
      b[p++] = 80;
      p = int(b, p, a.seq);
    }
    this.closeEvent(frame, body, p, 10);
  }

  /**
   * Append OrderEntryResponse{event: execution} for an engine report (prices in
   * ticks of `tick` minor units): what convert.ts executionReport() + ts-proto
   * encode, byte for byte, without the message object and its 12 BigInts.
   */
  execution(r: ExecReport, tick: number): void {
    const reason = reasonOf(r.code);
    this.reserve(EXEC_FIXED_MAX + (r.clientOrderId.length + r.symbol.length) * 3 + reason.length);
    const b = this.buf;
    const frame = this.pos;
    const body = frame + 7;
    let p = body;
    const fill = r.kind === 'FILL';
    if (r.accountSeq !== 0) p = int(b, tag(b, p, 8), r.accountSeq);
    if (r.seq !== 0) p = int(b, tag(b, p, 16), r.seq);
    if (r.ts !== 0) p = int(b, tag(b, p, 24), r.ts);
    const execType = execTypeToWire(r.kind);
    if (execType !== 0) p = int(b, tag(b, p, 32), execType);
    if (r.orderId !== 0) p = int(b, tag(b, p, 40), r.orderId);
    if (r.clientOrderId !== '') p = str(b, tag(b, p, 50), r.clientOrderId);
    if (r.symbol !== '') p = str(b, tag(b, p, 58), r.symbol);
    const side = sideToWire(r.side);
    if (side !== 0) p = int(b, tag(b, p, 64), side);
    const type = kindToWire(r.orderKind);
    if (type !== 0) p = int(b, tag(b, p, 72), type);
    const price = ticksToPrice(r.price, tick);
    if (price !== 0) p = dbl(b, tag(b, p, 81), price);
    if (r.price !== 0) p = int(b, tag(b, p, 88), r.price);
    if (r.qty !== 0) p = int(b, tag(b, p, 96), r.qty);
    if (r.filledQty !== 0) p = int(b, tag(b, p, 104), r.filledQty);
    if (r.remainingQty !== 0) p = int(b, tag(b, p, 112), r.remainingQty);
    const status = statusToWire(r.status);
    if (status !== 0) p = int(b, tag(b, p, 120), status);
    if (r.code !== 0) p = varint(b, tag(b, p, 128), r.code >>> 0);
    if (reason.length !== 0) {
      p = varint(b, tag(b, p, 138), reason.length);
      reason.copy(b, p);
      p += reason.length;
    }
    if (fill) {
      const tradeId = r.tradeId ?? 0;
      const last = r.lastPrice ?? 0;
      const lastQty = r.lastQty ?? 0;
      if (tradeId !== 0) p = int(b, tag(b, p, 144), tradeId);
      const lastPrice = ticksToPrice(last, tick);
      if (lastPrice !== 0) p = dbl(b, tag(b, p, 153), lastPrice);
      if (last !== 0) p = int(b, tag(b, p, 160), last);
      if (lastQty !== 0) p = int(b, tag(b, p, 168), lastQty);
    }
    const liquidity = r.liquidity === 'MAKER' ? 1 : r.liquidity === 'TAKER' ? 2 : 0;
    if (liquidity !== 0) p = int(b, tag(b, p, 176), liquidity);
    if (fill && (r.fee ?? 0) !== 0) p = int(b, tag(b, p, 184), r.fee!);
    this.closeEvent(frame, body, p, 18);
  }

  /**
   * Finishes a frame whose OrderEntryResponse field `fieldTag` (ack 10,
   * execution 18) was written from `body` (frame + 7) to `end`: the field's
   * length varint (one byte was assumed; a longer one shifts the body) and the
   * gRPC frame header.
   */
  private closeEvent(frame: number, body: number, end: number, fieldTag: number): void {
    const b = this.buf;
    let p = end;
    const len = p - body;
    if (len >= 128) {
      // rare (long ids, fills with every field): the length varint needs more than one byte
      const extra = varintSize(len) - 1;
      b.copyWithin(body + extra, body, p);
      p += extra;
    }
    b[frame + 5] = fieldTag;
    varint(b, frame + 6, len);
    b[frame] = 0;
    b.writeUInt32BE(p - frame - 5, frame + 1);
    this.pos = p;
    this.done();
  }
}

/** A field tag (field number << 3 | wire type) as its varint. */
function tag(b: Buffer, p: number, t: number): number {
  return varint(b, p, t);
}

/** A double field's 8 little-endian bytes. */
function dbl(b: Buffer, p: number, v: number): number {
  b.writeDoubleLE(v, p);
  return p + 8;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Non-negative safe integer as a varint. */
function varint(b: Buffer, p: number, v: number): number {
  while (v > 0x7f) {
    if (v > 0x7fffffff) {
      b[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    } else {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
  }
  b[p++] = v;
  return p;
}

/** Any integer (int32/int64/uint64 semantics): negatives and unsafe values take the exact BigInt path. */
function int(b: Buffer, p: number, v: number): number {
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) return varint(b, p, v);
  return varint64(b, p, BigInt(v));
}

/** Two's complement 64-bit varint of a bigint (as protobuf writes int64/uint64). */
function varint64(b: Buffer, p: number, v: bigint): number {
  let u = BigInt.asUintN(64, v);
  while (u > 0x7fn) {
    b[p++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  b[p++] = Number(u);
  return p;
}

/** Length-prefixed UTF-8 string; ASCII fast path. Caller reserved 3 bytes per char + 5. */
function str(b: Buffer, p: number, s: string): number {
  const n = s.length;
  if (n < 128) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = String.prototype.charCodeAt.call(s, i);
      if (c > 0x7f) {
        ascii = false;
        break;
      }
      b[p + 1 + i] = c;
    }
    if (ascii) {
      b[p] = n;
      return p + 1 + n;
    }
  }
  const len = Buffer.byteLength(s, 'utf8');
  p = varint(b, p, len);
  b.write(s, p, len, 'utf8');
  return p + len;
}
