/**
 * The user store contract, parametrised over the file store and real PostgreSQL (database
 * `test` on 127.0.0.1, a throwaway schema dropped afterwards); and the full production wiring
 * (PostgreSQL users and audit, Redis sessions) through createAuthManager.
 */
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgPromise from 'pg-promise';
import { AurexError, Code } from '../engine/codes.ts';
import { FileUserStore, PgUserStore, RedisSessionStore, createAuthManager, type UserStore } from '../engine/auth/index.ts';
import type { UserRecord } from '../engine/auth/auth-types.ts';
import { migrate } from '../engine/persistence/migrate.ts';

const DB_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PASSWORD = 'Correct-Horse-9!';

function user(email: string, accountId: number, now: number): UserRecord {
  return {
    id: randomUUID(),
    email,
    passwordHash: 'scrypt$10$8$1$c2FsdA$aGFzaA',
    role: 'trader',
    accountId,
    totpEnabled: false,
    totpSecret: null,
    totpLastStep: 0,
    backupCodes: ['aa', 'bb'],
    locked: false,
    createdAt: now,
    updatedAt: now,
  };
}

async function expectCode(p: Promise<unknown>, code: Code): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(AurexError);
    expect((e as AurexError).code).to.equal(code);
    return;
  }
  throw new Error(`expected code ${code}`);
}

const pgp = pgPromise({ noWarnings: true });
const admin = pgp({ connectionString: DB_URL, max: 1 });

interface Kind {
  name: string;
  make(): Promise<{ store: UserStore; reopen(): Promise<UserStore>; cleanup(): Promise<void> }>;
}

const kinds: Kind[] = [
  {
    name: 'file',
    async make() {
      const dir = await mkdtemp(join(tmpdir(), 'aurex-users-'));
      return {
        store: new FileUserStore(dir),
        reopen: async () => new FileUserStore(dir),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    async make() {
      const schema = `aurex_auth_test_${process.pid}_${randomBytes(3).toString('hex')}`;
      return {
        store: new PgUserStore({ databaseUrl: DB_URL, schema }),
        reopen: async () => new PgUserStore({ databaseUrl: DB_URL, schema }),
        cleanup: async () => {
          await admin.none(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        },
      };
    },
  },
];

// Root-level hook: runs once after the whole run; ends only this file's pool.
after(async () => {
  await admin.$pool.end();
});

for (const kind of kinds) {
  describe(`30 auth user store (${kind.name})`, () => {
    let store: UserStore;
    let reopen: () => Promise<UserStore>;
    let cleanup: () => Promise<void>;
    const t = 1_700_000_000_123;

    before(async () => {
      ({ store, reopen, cleanup } = await kind.make());
      await store.init();
      await store.init(); // idempotent
    });

    after(async () => {
      await store.close();
      await cleanup();
    });

    it('allocates dense account ids from 1', async () => {
      expect(await store.allocateAccountId()).to.equal(1);
      expect(await store.allocateAccountId()).to.equal(2);
    });

    it('inserts, reads, updates, lists and deletes users', async () => {
      const a = user('a@example.com', 1, t);
      const b = user('b@example.com', 2, t + 1);
      await store.insert(a);
      await store.insert(b);
      expect(await store.getById(a.id)).to.deep.equal(a);
      expect(await store.getByEmail('b@example.com')).to.deep.equal(b);
      expect(await store.getById(randomUUID())).to.equal(undefined);
      expect(await store.getById('not-a-uuid')).to.equal(undefined);
      await expectCode(store.insert(user('a@example.com', 3, t)), Code.EMAIL_TAKEN);
      const u = await store.update(a.id, { locked: true, role: 'admin', backupCodes: ['cc'] }, t + 5);
      expect(u).to.include({ locked: true, role: 'admin', updatedAt: t + 5, createdAt: t });
      expect(u.backupCodes).to.deep.equal(['cc']);
      await expectCode(store.update(randomUUID(), { locked: true }, t), Code.UNKNOWN_USER);
      expect((await store.list(0, 10)).map((x) => x.email)).to.deep.equal(['a@example.com', 'b@example.com']);
      expect((await store.list(1, 10)).map((x) => x.email)).to.deep.equal(['b@example.com']);
      await store.delete(b.id);
      expect(await store.getByEmail('b@example.com')).to.equal(undefined);
    });

    it('advances the TOTP step only forwards and consumes a backup code once', async () => {
      const c = user('c@example.com', 3, t);
      await store.insert(c);
      expect(await store.advanceTotpStep(c.id, 100, t)).to.equal(true);
      expect(await store.advanceTotpStep(c.id, 100, t)).to.equal(false);
      expect(await store.advanceTotpStep(c.id, 99, t)).to.equal(false);
      expect(await store.advanceTotpStep(c.id, 101, t)).to.equal(true);
      const both = await Promise.all([store.advanceTotpStep(c.id, 200, t), store.advanceTotpStep(c.id, 200, t)]);
      expect(both.filter(Boolean)).to.have.length(1);
      expect(await store.consumeBackupCode(c.id, 'aa', t)).to.equal(true);
      expect(await store.consumeBackupCode(c.id, 'aa', t)).to.equal(false);
      expect(await store.consumeBackupCode(c.id, 'zz', t)).to.equal(false);
      expect((await store.getById(c.id))?.backupCodes).to.deep.equal(['bb']);
    });

    it('keeps everything across a reopen', async () => {
      const again = await reopen();
      await again.init();
      try {
        expect((await again.getByEmail('c@example.com'))?.totpLastStep).to.equal(200);
        expect(await again.allocateAccountId()).to.equal(3);
      } finally {
        await again.close();
      }
    });
  });
}

describe('30 auth PostgreSQL schema: one owner (migrate) for the server, self-applied standalone', () => {
  const schema = `aurex_auth_mig_${process.pid}_${randomBytes(3).toString('hex')}`;
  // search_path = the throwaway schema, as migrate() runs it in the server's database
  const pgpSchema = pgPromise({ schema, noWarnings: true });
  const db = pgpSchema({ connectionString: DB_URL, max: 2 });
  const usersTable = async () => (await admin.one<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${schema}.users`])).t;

  after(async () => {
    await db.$pool.end();
    await admin.none(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('applySchema: false leaves the tables to migrate(); the store then works on them', async () => {
    await admin.none(`CREATE SCHEMA ${schema}`);
    const store = new PgUserStore({ db, applySchema: false });
    await store.init();
    expect(await usersTable()).to.equal(null); // init() created nothing
    const m = await migrate(db as never);
    expect(m.applied).to.include(1); // 0001_auth.sql, through the versioned runner
    expect(await usersTable()).to.equal(`${schema}.users`);
    const t = Date.now();
    await store.insert(user('mig@example.com', await store.allocateAccountId(), t));
    expect((await store.getByEmail('mig@example.com'))?.accountId).to.equal(1);
    await store.close();
  });

  it('createAuthManager passes dbApplySchema through (what the server uses after migrate())', async () => {
    const other = `${schema}_b`;
    try {
      const auth = await createAuthManager({
        databaseUrl: DB_URL,
        dbSchema: other,
        dbApplySchema: false,
        secret: randomBytes(32),
        dataDir: tmpdir(),
        provisionAccount: async () => undefined,
      });
      await auth.close();
      expect((await admin.one<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${other}.users`])).t).to.equal(null);
    } finally {
      await admin.none(`DROP SCHEMA IF EXISTS ${other} CASCADE`);
    }
  });
});

describe('30 auth with PostgreSQL users and audit, Redis sessions', () => {
  const schema = `aurex_auth_full_${process.pid}_${randomBytes(3).toString('hex')}`;
  const prefix = `aurex-test-full-${process.pid}-${randomBytes(3).toString('hex')}:`;

  after(async () => {
    await admin.none(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const s = new RedisSessionStore({ prefix });
    await s.deleteAllKeys();
    await s.close();
  });

  it('creates users, logs in, audits to audit_log', async () => {
    const auth = await createAuthManager({
      databaseUrl: DB_URL,
      dbSchema: schema,
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: prefix,
      secret: randomBytes(32),
      scrypt: { log2N: 10, r: 8, p: 1 },
      provisionAccount: async () => undefined,
    });
    try {
      const u = await auth.createUser({ email: 'kim@example.com', password: PASSWORD, cash: 500 });
      expect(u.accountId).to.equal(1);
      await expectCode(auth.login({ email: 'kim@example.com', password: 'Wrong-Password-1!' }), Code.INVALID_CREDENTIALS);
      const r = await auth.login({ email: 'kim@example.com', password: PASSWORD, address: '127.0.0.1' });
      expect((await auth.authenticate(r.tradingToken)).accountId).to.equal(1);
      await auth.revokeSessions(u.userId);
      await expectCode(auth.authenticate(r.tradingToken), Code.TOKEN_REVOKED);
      await auth.audit.flush();
      const rows = await admin.any<{ event: string; code: number | null }>(`SELECT event, code FROM ${schema}.audit_log ORDER BY id`);
      expect(rows.map((x) => x.event)).to.deep.equal(['user_created', 'login_failed', 'login', 'revoke']);
      expect(rows[1].code).to.equal(Code.INVALID_CREDENTIALS);
      const dbUser = await admin.one(`SELECT email, account_id::int AS account_id, role, locked FROM ${schema}.users`);
      expect(dbUser).to.deep.equal({ email: 'kim@example.com', account_id: 1, role: 'trader', locked: false });
    } finally {
      await auth.close();
    }
  });
});
