/**
 * A StreamWriter whose entries are batches of ready gRPC frames (see
 * frame-builder.ts), written to the call's HTTP/2 stream in one write each.
 *
 * Why under grpc-js: its public write() takes one message per call and runs it
 * through an object-mode Writable, the interceptor chain, the serializer, a copy
 * into a framed buffer and one HTTP/2 write, which cost more than the order
 * itself on the OrderEntry stream. grpc-js has no batch API, so this writer
 * finds the Http2Stream under the call (like resetStream does) and writes the
 * frames itself, after making grpc-js send the response headers. Everything on
 * such a stream must go through this writer (otherwise grpc-js's own buffered
 * writes could be overtaken); the status still goes through grpc-js (call.end /
 * error), which writes its trailers after our data on the same Http2Stream.
 *
 * When the internals are not found (another grpc-js version), each frame of a
 * batch is handed to call.write() as a pre-encoded Buffer (the OrderEntry
 * response serializer passes Buffers through), so behaviour stays the same.
 */
import type { ServerHttp2Stream } from 'node:http2';
import { StreamWriter, type ServerStreamCall, type StreamWriterOptions } from './stream-writer.ts';

interface Inner {
  stream: ServerHttp2Stream;
  maybeSendMetadata(): void;
}

function innerCall(call: ServerStreamCall): Inner | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let c: any = (call as any).call;
  for (let i = 0; i < 8 && c; i++) {
    const s = c.stream;
    if (s && typeof s.write === 'function' && 'rstCode' in s && typeof c.maybeSendMetadata === 'function') return c as Inner;
    c = c.nextCall;
  }
  return undefined;
}

export class FramedWriter extends StreamWriter<Buffer> {
  private readonly inner: Inner | undefined;
  private headersSent = false;

  constructor(call: ServerStreamCall, opts: StreamWriterOptions = {}) {
    super(call, opts);
    this.inner = innerCall(call);
  }

  /** True when batches go straight to HTTP/2 (false: per-message fallback through grpc-js). */
  get direct(): boolean {
    return this.inner !== undefined;
  }

  protected override put(batch: Buffer, done: (err?: Error | null) => void): boolean {
    const inner = this.inner;
    if (inner !== undefined) {
      const s = inner.stream;
      if (s.destroyed || s.closed || s.writableEnded) {
        // the call is gone: grpc-js reports it ('cancelled'/'close'); release the window
        process.nextTick(done);
        return true;
      }
      if (!this.headersSent) {
        this.headersSent = true;
        inner.maybeSendMetadata();
      }
      return s.write(batch, done);
    }
    // fallback: one grpc-js write per frame; the batch is done when its last frame is
    let ok = true;
    let p = 0;
    while (p < batch.length) {
      const len = batch.readUInt32BE(p + 1);
      const msg = batch.subarray(p + 5, p + 5 + len);
      p += 5 + len;
      ok = this.call.write(msg, p >= batch.length ? done : undefined) && ok;
    }
    return ok;
  }
}
