/**
 * The contract between the PostgreSQL writer's worker thread
 * (pg-writer-worker.ts) and its main-thread handle (pg-writer-thread.ts):
 * the workerData, the shared position slots and the messages. Everything in
 * here crosses the thread boundary by structured clone, so it is plain data.
 */
import type { BookConfig } from '../book/index.ts';
import type { BookChoice } from '../book-factory.ts';
import type { MarketConfig } from '../symbols.ts';
import type { PgWriterMetrics } from './pg-writer.ts';

/**
 * Slots of the shared BigInt64Array. DURABLE is written by the main thread
 * (the journal's durable seq: the worker never feeds past it); COMMITTED by
 * the worker (writer_position after each transaction), so both sides read the
 * other's progress with one Atomics.load and no message round trip.
 */
export const SLOT_DURABLE = 0;
export const SLOT_COMMITTED = 1;
export const SLOT_COUNT = 2;

/** The shadow exchange's options, as plain data (no book factory function). */
export interface WorkerExchangeOptions {
  market?: MarketConfig;
  book?: BookChoice;
  bookConfig?: BookConfig;
  maxOpenOrdersPerAccount?: number;
  maxOrdersPerSecond?: number;
  retainTerminalOrders?: number;
  retainTrades?: number;
  /** Retained trades are part of the state, so the shadow needs the engine's trade window too. */
  tradeLogRows?: number;
}

export interface PgWriterWorkerData {
  dir: string;
  databaseUrl: string;
  poolSize: number;
  shared: SharedArrayBuffer;
  exchange: WorkerExchangeOptions;
  name?: string;
  batchRows?: number;
  flushIntervalMs?: number;
  maxBacklogRows?: number;
  step?: number;
  idleMs?: number;
  reportMs: number;
}

export interface WireError {
  source: 'writer' | 'feed' | 'connect' | 'worker';
  message: string;
  stack?: string;
  code?: string | number;
}

export type WorkerToMain =
  | { type: 'ready'; position: number; startupReplayed: number }
  | { type: 'commit'; seq: number }
  | { type: 'metrics'; metrics: PgWriterMetrics; appliedSeq: number }
  | { type: 'error'; error: WireError }
  | { type: 'fatal'; error: WireError }
  | { type: 'stopped'; position: number };

export type MainToWorker = { type: 'stop'; drainTimeoutMs: number };

export function toWire(source: WireError['source'], e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return { source, message: err.message, stack: err.stack, code: typeof code === 'string' || typeof code === 'number' ? code : undefined };
}

export function fromWire(w: WireError): Error {
  const err = new Error(`pg-writer ${w.source}: ${w.message}`);
  if (w.stack) err.stack = w.stack;
  if (w.code !== undefined) (err as Error & { code?: string | number }).code = w.code;
  return err;
}
