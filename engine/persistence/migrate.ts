/**
 * The migration runner. Applies every `NNNN_name.sql` under
 * engine/auth/sql/ and engine/persistence/sql/ in one global order of NNNN
 * (auth uses 0001-0999, persistence 1000+), each version once, recorded in
 * `schema_migrations`. One transaction under an advisory lock: two processes
 * starting together cannot apply a migration twice, and a failing migration
 * leaves nothing half-applied.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './pg.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MIGRATION_DIRS = [path.resolve(here, '../auth/sql'), path.resolve(here, 'sql')];
const FILE_RE = /^(\d+)_([\w-]+)\.sql$/;
/** Arbitrary constant key for pg_advisory_xact_lock ("AUREXMIG"). */
const LOCK_KEY = 0x4155524558n;

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
  /** Applied versions whose file changed since (reported, not re-run). */
  changed: number[];
}

export function loadMigrations(dirs: string[] = MIGRATION_DIRS): Migration[] {
  const out: Migration[] = [];
  const seen = new Map<number, string>();
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) {
      const m = FILE_RE.exec(f);
      if (!m) continue;
      const version = Number(m[1]);
      const file = path.join(dir, f);
      if (seen.has(version)) throw new Error(`migration version ${version} defined twice: ${seen.get(version)} and ${file}`);
      seen.set(version, file);
      const sql = fs.readFileSync(file, 'utf8');
      out.push({ version, name: m[2]!, file, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') });
    }
  }
  return out.sort((a, b) => a.version - b.version);
}

export async function migrate(db: Db, migrations: Migration[] = loadMigrations()): Promise<MigrateResult> {
  return db.tx('aurex-migrate', async (t) => {
    await t.any('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY.toString()]);
    await t.none(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      checksum   TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const rows = await t.any<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    const res: MigrateResult = { applied: [], alreadyApplied: [], changed: [] };
    for (const m of migrations) {
      const prev = done.get(m.version);
      if (prev !== undefined) {
        res.alreadyApplied.push(m.version);
        if (prev !== m.checksum) res.changed.push(m.version);
        continue;
      }
      await t.none(m.sql);
      await t.none('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      res.applied.push(m.version);
    }
    return res;
  });
}
