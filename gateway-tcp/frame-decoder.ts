/**
 * Splits a TCP byte stream into frames: Length (u32 LE) | Type (u8) | Payload.
 *
 * An explicit three-state machine (LENGTH -> BODY -> LENGTH ..., FAILED is
 * terminal). A frame lying wholly inside one chunk is handed to `onFrame` as a
 * view of that chunk (no copy); only a frame split across chunks is assembled
 * in a reusable buffer, which is allocated lazily and grown at most to the
 * maximum frame size. The Length is checked as soon as its 4 bytes are in, so
 * a bad length is refused before any of its body is buffered.
 *
 * The payload view passed to `onFrame` is only valid during the call.
 * `pause()` (from inside `onFrame`, e.g. while a login is being checked)
 * parks the rest of the chunk, by reference, until `resume()`.
 * The decoder never throws on any input; an invalid length calls `onError`
 * once and the decoder ignores everything after it (the owner closes).
 */
import { Code } from '../engine/codes.ts';
import { LENGTH_SIZE, MAX_LENGTH, MIN_LENGTH } from './protocol.ts';

export type FrameHandler = (type: number, buf: Buffer, payloadOff: number, payloadLen: number) => void;
export type FrameErrorHandler = (code: Code, detail: string) => void;

const enum State {
  LENGTH = 0,
  BODY = 1,
  FAILED = 2,
}

export interface FrameDecoderOptions {
  /** Largest accepted Length value (Type + Payload); defaults to the protocol maximum. */
  maxLength?: number;
}

export class FrameDecoder {
  private state: State = State.LENGTH;
  /** Bytes of the Length field collected so far (only when it straddles chunks). */
  private lenBytes = 0;
  private lenValue = 0;
  /** Assembly buffer for a frame body split across chunks. */
  private body: Buffer | null = null;
  private bodyFill = 0;
  /** Length value of the frame whose body is being collected. */
  private bodyLen = 0;
  private readonly maxLength: number;
  /** Frames delivered so far (diagnostics). */
  frames = 0;
  private paused = false;
  /** Input that arrived or was left over while paused, in order. */
  private parked: Buffer[] = [];

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly onError: FrameErrorHandler,
    opts: FrameDecoderOptions = {},
  ) {
    this.maxLength = Math.min(opts.maxLength ?? MAX_LENGTH, MAX_LENGTH);
  }

  get failed(): boolean {
    return this.state === State.FAILED;
  }

  /** Bytes held between chunks (a partial header or body). */
  get bufferedBytes(): number {
    return this.state === State.BODY ? this.bodyFill : this.lenBytes;
  }

  /** Stops decoding for good (the owner is closing); later pushes are ignored. */
  stop(): void {
    this.state = State.FAILED;
    this.body = null;
    this.parked = [];
  }

  /** Stop delivering frames after the current one; input is kept until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    while (this.parked.length > 0 && !this.paused && this.state !== State.FAILED) {
      this.feed(this.parked.shift()!);
    }
  }

  push(chunk: Buffer): void {
    if (this.paused || this.parked.length > 0) {
      if (this.state !== State.FAILED) this.parked.push(chunk);
      return;
    }
    this.feed(chunk);
  }

  private feed(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const st = this.state;
      if (st === State.FAILED) return;
      if (st === State.LENGTH) {
        if (this.lenBytes === 0 && n - i >= LENGTH_SIZE) {
          // Fast path: whole header in this chunk.
          const len = (chunk[i]! | (chunk[i + 1]! << 8) | (chunk[i + 2]! << 16) | (chunk[i + 3]! << 24)) >>> 0;
          if (!this.checkLength(len)) return;
          i += LENGTH_SIZE;
          if (n - i >= len) {
            // Whole frame in this chunk: hand out a view, no copy.
            this.frames++;
            this.onFrame(chunk[i]!, chunk, i + 1, len - 1);
            i += len;
            if (this.paused) return this.park(chunk, i);
            continue;
          }
          this.beginBody(len);
          continue;
        }
        // Length straddles chunks: collect it byte by byte.
        this.lenValue |= chunk[i]! << (8 * this.lenBytes);
        this.lenBytes++;
        i++;
        if (this.lenBytes === LENGTH_SIZE) {
          const len = this.lenValue >>> 0;
          this.lenBytes = 0;
          this.lenValue = 0;
          if (!this.checkLength(len)) return;
          if (n - i >= len) {
            this.frames++;
            this.onFrame(chunk[i]!, chunk, i + 1, len - 1);
            i += len;
            if (this.paused) return this.park(chunk, i);
            continue;
          }
          this.beginBody(len);
        }
        continue;
      }
      // BODY: copy what this chunk has of the split frame.
      const body = this.body!;
      const want = this.bodyLen - this.bodyFill;
      const take = want < n - i ? want : n - i;
      chunk.copy(body, this.bodyFill, i, i + take);
      this.bodyFill += take;
      i += take;
      if (this.bodyFill === this.bodyLen) {
        this.state = State.LENGTH;
        this.bodyFill = 0;
        this.frames++;
        this.onFrame(body[0]!, body, 1, this.bodyLen - 1);
        if (this.paused) return this.park(chunk, i);
      }
    }
  }

  private park(chunk: Buffer, i: number): void {
    if (i < chunk.length && this.state !== State.FAILED) this.parked.unshift(chunk.subarray(i));
  }

  private checkLength(len: number): boolean {
    if (len >= MIN_LENGTH && len <= this.maxLength) return true;
    this.state = State.FAILED;
    this.body = null;
    this.parked = [];
    if (len < MIN_LENGTH) this.onError(Code.BAD_FRAME_LENGTH, `frame length ${len} below ${MIN_LENGTH}`);
    else this.onError(Code.MESSAGE_TOO_LARGE, `frame length ${len} above ${this.maxLength}`);
    return false;
  }

  private beginBody(len: number): void {
    if (this.body === null || this.body.length < len) {
      // Grow in powers of two so a session settles on one buffer; never above the max.
      let cap = this.body ? this.body.length : 256;
      while (cap < len) cap *= 2;
      this.body = Buffer.allocUnsafe(Math.min(cap, this.maxLength));
    }
    this.bodyLen = len;
    this.bodyFill = 0;
    this.state = State.BODY;
  }
}
