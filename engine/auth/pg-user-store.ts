/**
 * PostgreSQL user store (pg-promise). Tables come from engine/auth/sql/*.sql. The server applies
 * them through the migration runner (engine/persistence/migrate.ts, versioned and recorded) and
 * opens the store with applySchema: false; standalone use (tools, tests) lets init() apply them
 * itself (they are idempotent). Account ids come from the sequence auth_account_id_seq (never reused).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pgPromise from 'pg-promise';
import { AurexError, Code } from '../codes.ts';
import type { UserRecord } from './auth-types.ts';
import { isRole } from './auth-types.ts';
import type { UserPatch, UserStore } from './user-store.ts';

export type PgDb = pgPromise.IDatabase<unknown>;

export const AUTH_SQL_DIR = join(dirname(fileURLToPath(import.meta.url)), 'sql');

export interface PgUserStoreOptions {
  /** A pg-promise database to share; or a connection string (the store then owns its pool). */
  db?: PgDb;
  databaseUrl?: string;
  /** Schema to use (search_path, with databaseUrl only); created by init() when missing. Tests use a throwaway one. */
  schema?: string;
  /**
   * Apply engine/auth/sql/*.sql in init() (default true; idempotent). false when migrate() owns
   * the schema (the server): one path creates the tables, so the two can never disagree.
   */
  applySchema?: boolean;
}

const COLS = `id, email, password_hash, role, account_id, totp_enabled, totp_secret, totp_last_step,
  totp_backup_codes, locked, (extract(epoch from created_at) * 1000)::bigint AS created_ms,
  (extract(epoch from updated_at) * 1000)::bigint AS updated_ms`;

interface Row {
  id: string;
  email: string;
  password_hash: string;
  role: string;
  account_id: string;
  totp_enabled: boolean;
  totp_secret: string | null;
  totp_last_step: string;
  totp_backup_codes: string[];
  locked: boolean;
  created_ms: string;
  updated_ms: string;
}

function fromRow(r: Row): UserRecord {
  if (!isRole(r.role)) throw new AurexError(Code.INTERNAL, `bad role in users row ${r.id}`);
  return {
    id: r.id,
    email: r.email,
    passwordHash: r.password_hash,
    role: r.role,
    accountId: Number(r.account_id),
    totpEnabled: r.totp_enabled,
    totpSecret: r.totp_secret,
    totpLastStep: Number(r.totp_last_step),
    backupCodes: r.totp_backup_codes ?? [],
    locked: r.locked,
    createdAt: Number(r.created_ms),
    updatedAt: Number(r.updated_ms),
  };
}

/** Identifier check for schema names (they are interpolated as identifiers, never as values). */
function checkIdent(s: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(s)) throw new AurexError(Code.INVALID_CONFIG, `invalid schema name ${s}`);
  return s;
}

export class PgUserStore implements UserStore {
  readonly kind = 'postgres' as const;
  readonly db: PgDb;
  private readonly ownsPool: boolean;
  private readonly schema: string | undefined;

  constructor(private readonly opts: PgUserStoreOptions) {
    this.schema = opts.schema ? checkIdent(opts.schema) : undefined;
    if (opts.db && this.schema) {
      throw new AurexError(Code.INVALID_CONFIG, 'schema applies to a store-owned pool (databaseUrl); set search_path on a shared db yourself');
    }
    if (opts.db) {
      this.db = opts.db;
      this.ownsPool = false;
    } else {
      if (!opts.databaseUrl) throw new AurexError(Code.INVALID_CONFIG, 'PgUserStore needs db or databaseUrl');
      const pgp = pgPromise({ schema: this.schema, noWarnings: true });
      this.db = pgp({ connectionString: opts.databaseUrl, max: 4 });
      this.ownsPool = true;
    }
  }

  async init(): Promise<void> {
    if (this.opts.applySchema === false) return;
    const files = (await readdir(AUTH_SQL_DIR)).filter((f) => f.endsWith('.sql')).sort();
    await this.db.tx(async (t) => {
      // Several processes may start together: serialise schema creation.
      await t.any("SELECT pg_advisory_xact_lock(hashtext('aurex.auth.schema'))");
      if (this.schema) {
        await t.none(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await t.none(`SET LOCAL search_path TO ${this.schema}`);
      }
      for (const f of files) await t.none(await readFile(join(AUTH_SQL_DIR, f), 'utf8'));
    });
  }

  async allocateAccountId(): Promise<number> {
    const r = await this.db.one<{ id: string }>("SELECT nextval('auth_account_id_seq')::text AS id");
    const id = Number(r.id);
    if (!Number.isSafeInteger(id)) throw new AurexError(Code.INTERNAL, 'account id out of range');
    return id;
  }

  async insert(u: UserRecord): Promise<void> {
    try {
      await this.db.none(
        `INSERT INTO users (id, email, password_hash, role, account_id, totp_enabled, totp_secret, totp_last_step,
           totp_backup_codes, locked, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10, to_timestamp($11 / 1000.0), to_timestamp($12 / 1000.0))`,
        [u.id, u.email, u.passwordHash, u.role, u.accountId, u.totpEnabled, u.totpSecret, u.totpLastStep, u.backupCodes, u.locked, u.createdAt, u.updatedAt],
      );
    } catch (e) {
      const err = e as { code?: string; constraint?: string };
      if (err.code === '23505' && String(err.constraint ?? '').includes('email')) {
        throw new AurexError(Code.EMAIL_TAKEN, 'email already registered');
      }
      throw e;
    }
  }

  async getById(id: string): Promise<UserRecord | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const r = await this.db.oneOrNone<Row>(`SELECT ${COLS} FROM users WHERE id = $1`, [id]);
    return r ? fromRow(r) : undefined;
  }

  async getByEmail(email: string): Promise<UserRecord | undefined> {
    const r = await this.db.oneOrNone<Row>(`SELECT ${COLS} FROM users WHERE email = $1`, [email]);
    return r ? fromRow(r) : undefined;
  }

  async update(id: string, patch: UserPatch, now: number): Promise<UserRecord> {
    const map: Record<keyof UserPatch, string> = {
      passwordHash: 'password_hash',
      role: 'role',
      totpEnabled: 'totp_enabled',
      totpSecret: 'totp_secret',
      totpLastStep: 'totp_last_step',
      backupCodes: 'totp_backup_codes',
      locked: 'locked',
    };
    const sets: string[] = [];
    const vals: unknown[] = [id, now];
    for (const k of Object.keys(patch) as (keyof UserPatch)[]) {
      if (patch[k] === undefined) continue;
      vals.push(patch[k]);
      sets.push(`${map[k]} = $${vals.length}${k === 'backupCodes' ? '::text[]' : ''}`);
    }
    sets.push('updated_at = to_timestamp($2 / 1000.0)');
    const r = await this.db.oneOrNone<Row>(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLS}`, vals);
    if (!r) throw new AurexError(Code.UNKNOWN_USER, 'unknown user');
    return fromRow(r);
  }

  async delete(id: string): Promise<void> {
    await this.db.none('DELETE FROM users WHERE id = $1', [id]);
  }

  async list(offset: number, limit: number): Promise<UserRecord[]> {
    const rows = await this.db.any<Row>(`SELECT ${COLS} FROM users ORDER BY account_id OFFSET $1 LIMIT $2`, [offset, limit]);
    return rows.map(fromRow);
  }

  async advanceTotpStep(id: string, step: number, now: number): Promise<boolean> {
    const r = await this.db.result(
      'UPDATE users SET totp_last_step = $2, updated_at = to_timestamp($3 / 1000.0) WHERE id = $1 AND totp_last_step < $2',
      [id, step, now],
    );
    return r.rowCount === 1;
  }

  async consumeBackupCode(id: string, codeHash: string, now: number): Promise<boolean> {
    const r = await this.db.result(
      `UPDATE users SET totp_backup_codes = array_remove(totp_backup_codes, $2), updated_at = to_timestamp($3 / 1000.0)
       WHERE id = $1 AND $2 = ANY(totp_backup_codes)`,
      [id, codeHash, now],
    );
    return r.rowCount === 1;
  }

  async close(): Promise<void> {
    // Only this pool: pgp.end() would shut down every pool in the process.
    if (this.ownsPool) await this.db.$pool.end();
  }
}
