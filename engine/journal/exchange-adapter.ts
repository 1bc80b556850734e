/**
 * Glue between the deterministic Exchange and the journal machinery: snapshot
 * capture (engine state -> bytes) and the RecoverableEngine used by recovery.
 * ExchangeCore wires the same functions around its own Exchange.
 */
import type { Exchange } from '../exchange.ts';
import type { CommandResult } from '../types.ts';
import type { RecoverableEngine } from './recovery.ts';
import type { SnapshotCapture } from './snapshot-scheduler.ts';
import { decodeExchangeSnapshot, encodeExchangeSnapshot } from './snapshot-codec.ts';
import { ByteWriter } from './byte-buffer.ts';

/** Serialize the exchange now (synchronous). */
export function captureExchange(ex: Exchange, w?: ByteWriter): SnapshotCapture {
  const snap = ex.snapshot();
  return { seq: snap.seq, payload: encodeExchangeSnapshot(snap, w) };
}

/** Recovery target backed by a (fresh) Exchange: restore decodes, replay applies. */
export function recoverableExchange(ex: Exchange): RecoverableEngine & { replay(cmd: Parameters<Exchange['apply']>[0]): CommandResult } {
  return {
    restore: (payload) => ex.restore(decodeExchangeSnapshot(payload)),
    replay: (cmd) => ex.apply(cmd),
  };
}
