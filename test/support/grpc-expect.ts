/** Assertions and bounded waits shared by the gRPC tests. */
import { expect } from 'chai';
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';

/** Awaits a failing call; checks its gRPC status and (optionally) the x-aurex-reason trailer. */
export async function expectStatus(p: Promise<unknown>, code: status, reason?: string): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    expect(status[err.code], `${err.details}`).to.equal(status[code]);
    if (reason !== undefined) expect(err.metadata?.get('x-aurex-reason')[0], err.details).to.equal(reason);
    return err;
  }
  throw new Error(`expected ${status[code]}${reason ? ` (${reason})` : ''}, the call succeeded`);
}

/** Resolves with the first value, or rejects after `ms` (a bound, never an asserted timing). */
export function within<T>(p: Promise<T>, ms = 5000, what = 'condition'): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Polls `cond` every 10 ms until true (bounded). */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects a server stream's messages; `next(n)` waits for the n-th, `ended` for its status. */
export function collect<T>(s: ClientReadableStream<T>) {
  const items: T[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const ended = new Promise<ServiceError | null>((resolve) => {
    s.on('error', (e: ServiceError) => resolve(e));
    s.on('end', () => resolve(null));
  });
  ended.catch(() => undefined);
  s.on('data', (m: T) => {
    items.push(m);
    waiters = waiters.filter((w) => {
      if (items.length >= w.n) {
        w.resolve();
        return false;
      }
      return true;
    });
  });
  return {
    items,
    ended,
    next(n: number, ms = 5000): Promise<T[]> {
      if (items.length >= n) return Promise.resolve(items);
      return within(new Promise<void>((resolve) => waiters.push({ n, resolve })), ms, `${n} stream messages (have ${items.length})`).then(() => items);
    },
  };
}
