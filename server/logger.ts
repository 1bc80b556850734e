/**
 * pino JSON logs. Each request/session gets a child logger carrying a correlation
 * id (`cid`), so one client's story can be followed through both gateways.
 * Nothing is logged per order at info level on the hot path.
 */
import { pino, type Logger } from 'pino';
import { randomBytes } from 'node:crypto';

export type { Logger };

export function createLogger(level: string, name = 'aurex'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A short random correlation id (12 hex chars). Randomness here is outside the engine. */
export function correlationId(): string {
  return randomBytes(6).toString('hex');
}
