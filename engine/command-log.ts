/**
 * Where the core writes every stamped command before applying it. The
 * durability engineer's journal (engine/journal/) implements this; the core
 * only relies on the contract below.
 *
 * - append() is called synchronously, in seq order, on the order path: it must
 *   not block and must not throw for I/O (buffer and report at flush).
 * - flush(cb) makes everything appended so far durable (per the configured
 *   mode) and then calls cb once, with an Error if that failed. The core calls
 *   flush once per group (one event-loop turn, or fewer commands when syncFlush)
 *   and never has two flushes outstanding; it releases results and events only
 *   after cb().
 */
import type { Command } from './types.ts';

export interface CommandLog {
  append(cmd: Command): void;
  flush(cb: (err?: Error) => void): void;
  /**
   * True when flush(cb) completes before it returns (no wait for the disk): the
   * core then closes a group as soon as it is full, mid-turn. A log that waits
   * (fsync) leaves it false, so a turn stays one group and pays one sync.
   */
  readonly syncFlush?: boolean;
}

/** No durability at all: flush completes at once (tests, benchmarks, pure in-memory runs). */
export class NoopCommandLog implements CommandLog {
  readonly syncFlush = true;
  append(_cmd: Command): void {}
  flush(cb: (err?: Error) => void): void {
    cb();
  }
}

/** Keeps every appended command in memory (tests, replay checks). */
export class MemoryCommandLog implements CommandLog {
  readonly commands: Command[] = [];
  /** Set to make the next flushes fail (fail-stop tests). */
  failWith: Error | undefined;
  append(cmd: Command): void {
    this.commands.push(structuredClone(cmd));
  }
  flush(cb: (err?: Error) => void): void {
    const err = this.failWith;
    setImmediate(() => cb(err));
  }
}
