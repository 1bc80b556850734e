/**
 * Audit log of security events. Sinks never block the caller: write() queues, and the sink
 * flushes in the background (file: one JSON object per line; PostgreSQL: batched inserts).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { PgDb } from './pg-user-store.ts';

export type AuditEventType =
  | 'user_created'
  | 'login'
  | 'login_failed'
  | 'lockout'
  | 'logout'
  | 'refresh'
  | 'revoke'
  | 'lock'
  | 'unlock'
  | 'password_changed'
  | 'totp_enrolled'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'backup_code_used';

export interface AuditEvent {
  ts: number;
  event: AuditEventType;
  userId?: string;
  email?: string;
  address?: string;
  /** engine/codes.ts code of a failure. */
  code?: number;
  detail?: string;
}

export interface AuditSink {
  write(e: AuditEvent): void;
  /** Resolves once everything written so far is stored. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** JSON lines appended to `<dataDir>/audit.log` (embedded default). */
export class FileAuditSink implements AuditSink {
  readonly path: string;
  private readonly out: WriteStream;
  private failed: Error | undefined;
  /** Settles when the last line written so far is handed to the OS. */
  private last: Promise<void> = Promise.resolve();

  constructor(dataDir: string, file = 'audit.log') {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, file);
    this.out = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    this.out.on('error', (e) => {
      this.failed = e;
    });
  }

  write(e: AuditEvent): void {
    if (this.failed) return;
    this.last = new Promise((resolve) => {
      this.out.write(`${JSON.stringify(e)}\n`, () => resolve());
    });
  }

  async flush(): Promise<void> {
    await this.last;
    if (this.failed) throw this.failed;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

/** Rows in the `audit_log` table, inserted in batches. */
export class PgAuditSink implements AuditSink {
  private queue: AuditEvent[] = [];
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Failures are counted, not thrown: auditing must not take logins down. */
  errors = 0;

  constructor(private readonly db: PgDb, private readonly flushMs = 50) {}

  write(e: AuditEvent): void {
    this.queue.push(e);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.running;
    const run = async () => {
      const params: unknown[] = [];
      const rows = batch.map((e) => {
        const b = params.length;
        params.push(e.ts, e.event, e.userId ?? null, e.email ?? null, e.address ?? null, e.code ?? null, e.detail ?? null);
        return `(to_timestamp($${b + 1} / 1000.0), $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
      });
      try {
        await this.db.none(`INSERT INTO audit_log (ts, event, user_id, email, address, code, detail) VALUES ${rows.join(',')}`, params);
      } catch {
        this.errors++;
      }
    };
    this.running = this.running.then(run);
    return this.running;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** Keeps events in memory (embedding in tools; tests use the real sinks). */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  write(e: AuditEvent): void {
    this.events.push(e);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
