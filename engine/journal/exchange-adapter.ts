/**
 * Glue between the deterministic Exchange and the journal machinery: snapshot
 * capture (engine state -> bytes) and the RecoverableEngine used by recovery.
 * ExchangeCore wires the same functions around its own Exchange.
 */
import type { Exchange } from '../exchange.ts';
import type { Code } from '../codes.ts';
import type { RecoverableEngine } from './recovery.ts';
import type { SnapshotCapture } from './snapshot-scheduler.ts';
import { decodeExchangeSnapshot, encodeExchangeSnapshot } from './snapshot-codec.ts';
import { ByteWriter } from './byte-buffer.ts';

/** Serialize the exchange now (synchronous). */
export function captureExchange(ex: Exchange, w?: ByteWriter): SnapshotCapture {
  const snap = ex.snapshot();
  return { seq: snap.seq, payload: encodeExchangeSnapshot(snap, w) };
}

/**
 * Repeated captures of one exchange that reuse their big buffers (the order
 * columns and the encoder's output): a fresh few hundred MB is first-touched
 * page by page, which on this kind of VM costs ~3 ms per MB on the matching
 * thread. A payload is valid until the next capture: the snapshot scheduler
 * writes it to disk before it captures again.
 */
export class SnapshotCapturer {
  private readonly w = new ByteWriter(1 << 20);

  constructor(private readonly ex: Exchange) {}

  capture(): SnapshotCapture {
    const snap = this.ex.snapshot({ reuseBuffers: true });
    return { seq: snap.seq, payload: encodeExchangeSnapshot(snap, this.w, { copy: false }) };
  }
}

/** Recovery target backed by a (fresh) Exchange: restore decodes, replay applies. */
export function recoverableExchange(ex: Exchange): RecoverableEngine & { replay(cmd: Parameters<Exchange['apply']>[0]): Code } {
  return {
    restore: (payload) => ex.restore(decodeExchangeSnapshot(payload)),
    replay: (cmd) => ex.replay(cmd),
  };
}
