/** `npm run migrate`: apply pending migrations to DATABASE_URL. */
import { closeDb, openDb } from './pg.ts';
import { migrate } from './migrate.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/aurex)\n');
  process.exit(2);
}
const db = openDb(url, 1);
try {
  const r = await migrate(db);
  process.stdout.write(
    `migrations: applied [${r.applied.join(', ')}], already applied [${r.alreadyApplied.join(', ')}]` +
      (r.changed.length ? `; WARNING changed since applied: [${r.changed.join(', ')}]` : '') +
      '\n',
  );
} catch (e) {
  process.stderr.write(`migration failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await closeDb(db);
}
