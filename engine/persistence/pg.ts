/**
 * The one pg-promise instance of the process (pg-promise warns when several
 * are created) and helpers to open a database from a URL.
 */
import pgPromise from 'pg-promise';

export const pgp = pgPromise({ capSQL: true, noWarnings: true });
export type Db = ReturnType<typeof pgp>;

const dbs = new Map<string, Db>();

/** A (cached) database object for a connection URL; pool of `max` connections. */
export function openDb(url: string, max = 4): Db {
  const key = `${url}#${max}`;
  let db = dbs.get(key);
  if (!db) {
    db = pgp({ connectionString: url, max, application_name: 'aurex' });
    dbs.set(key, db);
  }
  return db;
}

/** Close the pool of a database opened by openDb. */
export async function closeDb(db: Db): Promise<void> {
  for (const [k, v] of dbs) if (v === db) dbs.delete(k);
  await db.$pool.end();
}
