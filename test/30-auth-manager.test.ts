/**
 * The auth manager, parametrised over both session stores: in process, and real Redis
 * (127.0.0.1:6379, a unique key prefix deleted afterwards). Time is an injected clock.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { AurexError, Code, codeName } from '../engine/codes.ts';
import type { Principal } from '../engine/types.ts';
import { isAccountId, OrderRateLimiter } from '../engine/auth/order-rate-limiter.ts';
import { MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH } from '../engine/auth/password.ts';
import { MAX_SECOND_FACTOR_LENGTH } from '../engine/auth/totp.ts';
import {
  AuthManager,
  FileAuditSink,
  FileUserStore,
  MemorySessionStore,
  RedisSessionStore,
  createAuthManager,
  seedDemoUsers,
  totpCode,
  type SessionStore,
} from '../engine/auth/index.ts';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const PASSWORD = 'Correct-Horse-9!';
// A multiple of both the 60 s rate window and the 30 s TOTP step.
const T0 = 1_700_000_040_000;

async function expectCode(p: Promise<unknown> | (() => unknown), code: Code): Promise<AurexError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(AurexError);
    expect(codeName((e as AurexError).code)).to.equal(codeName(code));
    return e as AurexError;
  }
  throw new Error(`expected ${codeName(code)}, nothing was thrown`);
}

/** Resolves with the first value, or rejects after `ms` (bounded wait; no timing is asserted). */
function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms);
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

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

interface Backend {
  name: string;
  make(clock: () => number): SessionStore;
  /** A second handle on the same store, as another process would have. */
  peer(first: SessionStore, clock: () => number): SessionStore;
  cleanup(first: SessionStore): Promise<void>;
}

const prefix = `aurex-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
const backends: Backend[] = [
  {
    name: 'in-process store',
    make: (clock) => new MemorySessionStore(clock),
    peer: (first) => first,
    cleanup: async () => undefined,
  },
  {
    name: 'Redis store',
    make: () => new RedisSessionStore({ url: 'redis://127.0.0.1:6379', prefix }),
    peer: () => new RedisSessionStore({ url: 'redis://127.0.0.1:6379', prefix }),
    cleanup: async (first) => {
      await (first as RedisSessionStore).deleteAllKeys();
    },
  },
];

for (const backend of backends) {
  describe(`30 auth manager (${backend.name})`, function () {
    let now = T0;
    const clock = () => now;
    let dir: string;
    let users: FileUserStore;
    let sessions: SessionStore;
    let peerSessions: SessionStore;
    let audit: FileAuditSink;
    let auth: AuthManager;
    let other: AuthManager; // a second gateway process sharing the stores
    const provisioned: { accountId: number; cash: number; positions: Record<string, number> }[] = [];
    let failProvisioning = false;

    function manager(s: SessionStore, extra: Partial<ConstructorParameters<typeof AuthManager>[0]> = {}): AuthManager {
      return new AuthManager({
        users,
        sessions: s,
        audit,
        secret: SECRET,
        clock,
        scrypt: { log2N: 10, r: 8, p: 1 },
        ownsStores: false,
        watchIntervalMs: 50,
        provisionAccount: async (accountId, cash, positions) => {
          if (failProvisioning) throw new AurexError(Code.ACCOUNT_EXISTS, 'engine refused');
          provisioned.push({ accountId, cash, positions });
        },
        rateLimits: { queryPerWindow: { trader: 5, readonly: 5, admin: 5 }, ordersPerSecond: { trader: 5, admin: 5, readonly: 0 } },
        ...extra,
      });
    }

    async function newUser(email: string, role: 'trader' | 'admin' | 'readonly' = 'trader') {
      return auth.createUser({ email, password: PASSWORD, role, cash: 1_000_00, positions: { AAPL: 10 } });
    }

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'aurex-auth-'));
      users = new FileUserStore(dir);
      audit = new FileAuditSink(dir);
      sessions = backend.make(clock);
      peerSessions = backend.peer(sessions, clock);
      auth = manager(sessions);
      other = manager(peerSessions);
      await auth.init();
      await other.init();
    });

    after(async () => {
      await auth.close();
      await other.close();
      await backend.cleanup(sessions);
      await sessions.close();
      if (peerSessions !== sessions) await peerSessions.close();
      await audit.close();
      await users.close();
      await rm(dir, { recursive: true, force: true });
    });

    beforeEach(() => {
      now += 3_600_000; // a fresh hour: windows and lockouts of earlier tests are over
    });

    describe('users', () => {
      it('creates users with dense account ids and provisions their engine accounts', async () => {
        const a = await newUser('Ann@Example.COM ');
        const b = await newUser('ben@example.com');
        expect(a.email).to.equal('ann@example.com');
        expect(a.accountId).to.equal(1);
        expect(b.accountId).to.equal(2);
        expect(a.locked).to.equal(false);
        expect(provisioned.slice(0, 2)).to.deep.equal([
          { accountId: 1, cash: 1_000_00, positions: { AAPL: 10 } },
          { accountId: 2, cash: 1_000_00, positions: { AAPL: 10 } },
        ]);
        expect((await auth.getUser('ANN@example.com')).userId).to.equal(a.userId);
        expect((await auth.listUsers()).map((u) => u.accountId)).to.include.members([1, 2]);
      });

      it('refuses weak passwords, bad emails, duplicates and bad amounts', async () => {
        await expectCode(auth.createUser({ email: 'x@example.com', password: 'short1!A' }), Code.WEAK_PASSWORD);
        await expectCode(auth.createUser({ email: 'x@example.com', password: 'alllowercase-123!' }), Code.WEAK_PASSWORD);
        await expectCode(auth.createUser({ email: 'x@example.com', password: 'NoDigitsHere-abc!' }), Code.WEAK_PASSWORD);
        await expectCode(auth.createUser({ email: 'x@example.com', password: 'NoSymbols1234abc' }), Code.WEAK_PASSWORD);
        await expectCode(auth.createUser({ email: 'not-an-email', password: PASSWORD }), Code.INVALID_EMAIL);
        await expectCode(auth.createUser({ email: 'ANN@example.com', password: PASSWORD }), Code.EMAIL_TAKEN);
        await expectCode(auth.createUser({ email: 'y@example.com', password: PASSWORD, cash: 1.5 }), Code.VALUE_OUT_OF_RANGE);
        await expectCode(auth.createUser({ email: 'y@example.com', password: PASSWORD, role: 'root' as never }), Code.INVALID_ARGUMENT);
      });

      it('fails cleanly when the engine refuses the account', async () => {
        failProvisioning = true;
        try {
          await expectCode(newUser('cleo@example.com'), Code.ACCOUNT_EXISTS);
        } finally {
          failProvisioning = false;
        }
        await expectCode(auth.getUser('cleo@example.com'), Code.UNKNOWN_USER);
        const c = await newUser('cleo@example.com');
        expect(c.accountId).to.be.greaterThan(2);
      });

      it('keeps users across a restart of the file store', async () => {
        const again = new FileUserStore(dir);
        await again.init();
        const u = await again.getByEmail('ann@example.com');
        expect(u?.accountId).to.equal(1);
        expect(u?.passwordHash).to.match(/^scrypt\$/);
        expect(await again.allocateAccountId()).to.be.greaterThan(3);
        await again.close();
      });
    });

    describe('login and tokens', () => {
      let dora: Awaited<ReturnType<typeof newUser>>;
      before(async () => {
        dora = await newUser('dora@example.com');
      });

      it('returns a JWT session token and an opaque trading token that both authenticate', async () => {
        const r = await auth.login({ email: 'Dora@example.com', password: PASSWORD, address: '10.0.0.1' });
        expect(r.sessionToken.split('.')).to.have.length(3);
        expect(r.tradingToken).to.match(/^[A-Za-z0-9_-]{43}$/);
        expect(r.sessionExpiresAt - now).to.be.within(14 * 60_000, 15 * 60_000);
        expect(r.tradingExpiresAt - now).to.equal(8 * 3_600_000);
        const want: Principal = { userId: dora.userId, accountId: dora.accountId, role: 'trader' };
        expect(r.principal).to.deep.equal(want);
        expect(await auth.authenticate(r.sessionToken)).to.deep.equal(want);
        expect(await auth.authenticate(r.tradingToken, 'SubmitOrder')).to.deep.equal(want);
        expect(await other.authenticate(r.tradingToken)).to.deep.equal(want);
        expect(auth.authenticateCached(r.tradingToken)).to.deep.equal(want);
      });

      it('refuses a wrong password and an unknown user alike', async () => {
        await expectCode(auth.login({ email: 'dora@example.com', password: 'Wrong-Password-1!' }), Code.INVALID_CREDENTIALS);
        await expectCode(auth.login({ email: 'nobody@example.com', password: PASSWORD }), Code.INVALID_CREDENTIALS);
        await expectCode(auth.login({ email: 'dora@example.com', password: 'x'.repeat(100_000) }), Code.INVALID_CREDENTIALS);
      });

      it('bounds the raw inputs before normalising them: stable codes, nothing looked up or counted', async () => {
        // Correct credentials padded past 254 characters: trimming would make them valid, but the raw input is refused.
        const padded = `${' '.repeat(MAX_EMAIL_LENGTH)}dora@example.com`;
        await expectCode(auth.login({ email: padded, password: PASSWORD }), Code.INVALID_EMAIL);
        await expectCode(auth.createUser({ email: `${' '.repeat(MAX_EMAIL_LENGTH)}pad@example.com`, password: PASSWORD }), Code.INVALID_EMAIL);
        await expectCode(auth.login({ email: 'x'.repeat(1_000_000), password: PASSWORD }), Code.INVALID_EMAIL);
        // Short as sent, too long once NFKC expands it (U+FDFA is 18 characters): still checked after normalising.
        await expectCode(auth.login({ email: `a@${'\uFDFA'.repeat(14)}.com`, password: PASSWORD }), Code.INVALID_EMAIL);
        // The same address as sent at the limit is normalised and accepted.
        const atLimit = `${' '.repeat(MAX_EMAIL_LENGTH - 'DORA@example.com'.length)}DORA@example.com`;
        expect(atLimit.length).to.equal(MAX_EMAIL_LENGTH);
        expect((await auth.login({ email: atLimit, password: PASSWORD })).principal.userId).to.equal(dora.userId);

        const types: unknown[] = [undefined, null, 42, ['dora@example.com'], { toString: () => 'dora@example.com' }];
        for (const email of types) await expectCode(auth.login({ email: email as string, password: PASSWORD }), Code.INVALID_EMAIL);
        for (const password of [undefined, null, 42, [PASSWORD]]) {
          await expectCode(auth.login({ email: 'dora@example.com', password: password as unknown as string }), Code.INVALID_CREDENTIALS);
        }
        // Over-long passwords and second factors can match no account: refused as they come, never
        // counted as failed logins (more than the 5 that would lock the user out).
        for (let i = 0; i < 8; i++) {
          await expectCode(auth.login({ email: 'dora@example.com', password: `${PASSWORD}${'x'.repeat(MAX_PASSWORD_LENGTH)}`, address: '10.9.0.1' }), Code.INVALID_CREDENTIALS);
          await expectCode(auth.login({ email: 'dora@example.com', password: PASSWORD, totp: ' '.repeat(MAX_SECOND_FACTOR_LENGTH + 1), address: '10.9.0.1' }), Code.TOTP_INVALID);
          await expectCode(auth.login({ email: 'dora@example.com', password: PASSWORD, totp: 123456 as unknown as string, address: '10.9.0.1' }), Code.TOTP_INVALID);
        }
        const r = await auth.login({ email: 'dora@example.com', password: PASSWORD, address: '10.9.0.1' });
        expect(r.principal.userId).to.equal(dora.userId);
        // A password at the limit is an ordinary (wrong) guess: verified and counted.
        await expectCode(auth.login({ email: 'dora@example.com', password: 'P'.repeat(MAX_PASSWORD_LENGTH) }), Code.INVALID_CREDENTIALS);
      });

      it('refuses an over-long new password before judging its characters', async () => {
        const e = await expectCode(auth.setPassword(dora.userId, `Aa1!${'x'.repeat(1_000_000)}`), Code.WEAK_PASSWORD);
        expect(e.message).to.equal(`password needs at most ${MAX_PASSWORD_LENGTH} characters`);
        await auth.login({ email: 'dora@example.com', password: PASSWORD });
      });

      it('locks a user out after 5 failures, then lets them in after the lockout', async () => {
        for (let i = 0; i < 5; i++) {
          await expectCode(auth.login({ email: 'dora@example.com', password: `Wrong-Password-${i}!`, address: `10.1.0.${i}` }), Code.INVALID_CREDENTIALS);
        }
        await expectCode(auth.login({ email: 'dora@example.com', password: PASSWORD }), Code.TOO_MANY_FAILED_LOGINS);
        await expectCode(other.login({ email: 'dora@example.com', password: PASSWORD }), Code.TOO_MANY_FAILED_LOGINS);
        now += 15 * 60_000 + 1;
        const r = await auth.login({ email: 'dora@example.com', password: PASSWORD });
        expect(r.principal.userId).to.equal(dora.userId);
      });

      it('locks out an address after 20 failures across users', async () => {
        for (let i = 0; i < 20; i++) {
          await expectCode(auth.login({ email: `ghost${i}@example.com`, password: PASSWORD, address: '192.0.2.7' }), Code.INVALID_CREDENTIALS);
        }
        await expectCode(auth.login({ email: 'dora@example.com', password: PASSWORD, address: '192.0.2.7' }), Code.TOO_MANY_FAILED_LOGINS);
        const r = await auth.login({ email: 'dora@example.com', password: PASSWORD, address: '192.0.2.8' });
        expect(r.principal.accountId).to.equal(dora.accountId);
      });

      it('expires the session token after 15 minutes; refresh extends it', async () => {
        const r = await auth.login({ email: 'dora@example.com', password: PASSWORD });
        now += 10 * 60_000;
        const f = await auth.refresh(r.sessionToken);
        expect(f.sessionExpiresAt).to.be.greaterThan(r.sessionExpiresAt);
        await expectCode(auth.authenticate(r.sessionToken), Code.TOKEN_REVOKED);
        now += 10 * 60_000; // past the first token's expiry, within the refreshed one's
        expect((await auth.authenticate(f.sessionToken)).userId).to.equal(dora.userId);
        now += 6 * 60_000;
        await expectCode(auth.authenticate(f.sessionToken), Code.TOKEN_EXPIRED);
        await expectCode(other.authenticate(f.sessionToken), Code.TOKEN_EXPIRED);
        await expectCode(auth.refresh(f.sessionToken), Code.TOKEN_EXPIRED);
        // The trading token lives on (8 h).
        expect((await auth.authenticate(r.tradingToken)).userId).to.equal(dora.userId);
      });

      it('expires the trading token after 8 hours', async () => {
        const r = await auth.login({ email: 'dora@example.com', password: PASSWORD });
        now += 8 * 3_600_000 - 2000;
        expect((await auth.authenticate(r.tradingToken)).accountId).to.equal(dora.accountId);
        now += 2000;
        await expectCode(auth.authenticate(r.tradingToken), Code.TOKEN_EXPIRED);
      });

      it('a second login kicks the first session everywhere', async () => {
        const first = await auth.login({ email: 'dora@example.com', password: PASSWORD });
        await other.authenticate(first.tradingToken);
        const ended = new Promise<AurexError>((resolve) => other.watch(first.tradingToken, resolve));
        const second = await auth.login({ email: 'dora@example.com', password: PASSWORD });
        await expectCode(auth.authenticate(first.tradingToken), Code.TOKEN_REVOKED);
        await expectCode(auth.authenticate(first.sessionToken), Code.TOKEN_REVOKED);
        expect((await within(ended)).code).to.equal(Code.TOKEN_REVOKED);
        now += 1001; // past any cached validation in the other process
        await expectCode(other.authenticate(first.tradingToken), Code.TOKEN_REVOKED);
        expect((await other.authenticate(second.tradingToken)).userId).to.equal(dora.userId);
      });

      it('logout revokes both tokens', async () => {
        const r = await auth.login({ email: 'dora@example.com', password: PASSWORD });
        await auth.logout(r.sessionToken);
        await expectCode(auth.authenticate(r.tradingToken), Code.TOKEN_REVOKED);
        await expectCode(auth.authenticate(r.sessionToken), Code.TOKEN_REVOKED);
        await expectCode(auth.logout(r.sessionToken), Code.TOKEN_REVOKED);
      });
    });

    describe('revocation on open connections', () => {
      let eve: Awaited<ReturnType<typeof newUser>>;
      before(async () => {
        eve = await newUser('eve@example.com');
      });

      it('tells a watcher in another process that the trading token was revoked', async () => {
        const r = await auth.login({ email: 'eve@example.com', password: PASSWORD });
        expect((await other.authenticate(r.tradingToken)).userId).to.equal(eve.userId);
        const ended = new Promise<AurexError>((resolve) => other.watch(r.tradingToken, resolve));
        expect(await auth.revokeSessions('eve@example.com')).to.equal(2);
        const err = await within(ended);
        expect(err.code).to.equal(Code.TOKEN_REVOKED);
        expect(other.watchCount).to.equal(0);
        now += 1001;
        await expectCode(other.authenticate(r.tradingToken), Code.TOKEN_REVOKED);
      });

      it('sees a revocation without a notice through the periodic re-validation', async () => {
        // A third process that does not listen to revocation notices: only its sweep can tell.
        const deaf = manager(peerSessions, { revocationNotices: false });
        await deaf.init();
        try {
          const r = await auth.login({ email: 'eve@example.com', password: PASSWORD });
          await deaf.authenticate(r.tradingToken);
          const ended = new Promise<AurexError>((resolve) => deaf.watch(r.tradingToken, resolve));
          await auth.revokeSessions(eve.userId);
          expect((await within(ended)).code).to.equal(Code.TOKEN_REVOKED);
        } finally {
          await deaf.close();
        }
      });

      it('tells a watcher when the token expires', async () => {
        const r = await auth.login({ email: 'eve@example.com', password: PASSWORD });
        await auth.authenticate(r.sessionToken);
        const ended = new Promise<AurexError>((resolve) => auth.watch(r.sessionToken, resolve));
        now += 15 * 60_000;
        expect((await within(ended)).code).to.equal(Code.TOKEN_EXPIRED);
      });

      it('a closed watch is not called; locking a user revokes and blocks login', async () => {
        const r = await auth.login({ email: 'eve@example.com', password: PASSWORD });
        let calls = 0;
        const w = other.watch(r.tradingToken, () => calls++);
        w.close();
        const ended = new Promise<AurexError>((resolve) => other.watch(r.tradingToken, resolve));
        await auth.lockUser(eve.userId, 'test');
        expect((await within(ended)).code).to.equal(Code.TOKEN_REVOKED);
        expect(calls).to.equal(0);
        await expectCode(auth.login({ email: 'eve@example.com', password: PASSWORD }), Code.USER_LOCKED);
        expect((await auth.getUser(eve.userId)).locked).to.equal(true);
        await auth.unlockUser(eve.userId);
        expect((await auth.login({ email: 'eve@example.com', password: PASSWORD })).principal.userId).to.equal(eve.userId);
      });

      it('changing the password revokes the session', async () => {
        const r = await auth.login({ email: 'eve@example.com', password: PASSWORD });
        await auth.setPassword(eve.userId, 'Another-Secret-77?');
        await expectCode(auth.authenticate(r.tradingToken), Code.TOKEN_REVOKED);
        await expectCode(auth.login({ email: 'eve@example.com', password: PASSWORD }), Code.INVALID_CREDENTIALS);
        await auth.changePassword('eve@example.com', 'Another-Secret-77?', PASSWORD);
        await auth.login({ email: 'eve@example.com', password: PASSWORD });
      });
    });

    describe('TOTP', () => {
      let fay: Awaited<ReturnType<typeof newUser>>;
      let secret: string;
      let backup: string[];
      before(async () => {
        fay = await newUser('fay@example.com');
        const e = await auth.enrolTotp(fay.userId);
        expect(e.otpauthUri).to.match(/^otpauth:\/\/totp\/Aurex:fay%40example\.com\?/);
        expect(e.otpauthUri).to.contain(`secret=${e.secret}`);
        expect(e.backupCodes).to.have.length(10);
        secret = e.secret;
        backup = e.backupCodes;
        // Not active until confirmed.
        await auth.login({ email: 'fay@example.com', password: PASSWORD });
        await expectCode(auth.confirmTotp(fay.userId, '000000'), Code.TOTP_INVALID);
        await auth.confirmTotp(fay.userId, totpCode(secret, now));
        expect((await auth.getUser(fay.userId)).totpEnabled).to.equal(true);
      });

      it('requires a code, refuses a wrong one, accepts a right one once', async () => {
        now += 60_000;
        await expectCode(auth.login({ email: 'fay@example.com', password: PASSWORD }), Code.TOTP_REQUIRED);
        const good = totpCode(secret, now);
        const wrong = good === '123456' ? '654321' : '123456';
        await expectCode(auth.login({ email: 'fay@example.com', password: PASSWORD, totp: wrong }), Code.TOTP_INVALID);
        await expectCode(auth.login({ email: 'fay@example.com', password: PASSWORD, totp: 'abc' }), Code.TOTP_INVALID);
        const r = await auth.login({ email: 'fay@example.com', password: PASSWORD, totp: good });
        expect(r.principal.userId).to.equal(fay.userId);
        await expectCode(auth.login({ email: 'fay@example.com', password: PASSWORD, totp: good }), Code.TOTP_REUSED);
        // A code with a wrong password is still a wrong password.
        await expectCode(auth.login({ email: 'fay@example.com', password: 'Wrong-Password-1!', totp: good }), Code.INVALID_CREDENTIALS);
      });

      it('tolerates one step of drift, not more', async () => {
        now += 60_000;
        const previous = totpCode(secret, now - 30_000);
        const r = await auth.login({ email: 'fay@example.com', password: PASSWORD, totp: previous });
        expect(r.principal.userId).to.equal(fay.userId);
        now += 60_000;
        const expired = totpCode(secret, now - 60_000);
        const current = totpCode(secret, now);
        if (expired !== current && expired !== totpCode(secret, now + 30_000)) {
          await expectCode(auth.login({ email: 'fay@example.com', password: PASSWORD, totp: expired }), Code.TOTP_INVALID);
        }
        const next = totpCode(secret, now + 30_000);
        expect((await auth.login({ email: 'fay@example.com', password: PASSWORD, totp: next })).principal.userId).to.equal(fay.userId);
      });

      it('bounds the second factor as sent, then trims it', async () => {
        now += 60_000;
        const good = totpCode(secret, now);
        const pad = ' '.repeat((MAX_SECOND_FACTOR_LENGTH - good.length) / 2);
        await expectCode(auth.login({ email: 'fay@example.com', password: PASSWORD, totp: `${pad}${good}${pad} ` }), Code.TOTP_INVALID);
        // Refused as sent, so the code was not spent: the same code padded to the limit is accepted.
        expect(`${pad}${good}${pad}`.length).to.equal(MAX_SECOND_FACTOR_LENGTH);
        const r = await auth.login({ email: 'fay@example.com', password: PASSWORD, totp: `${pad}${good}${pad}` });
        expect(r.principal.userId).to.equal(fay.userId);
        await expectCode(auth.confirmTotp(fay.userId, '1'.repeat(1_000_000)), Code.TOTP_INVALID);
        await expectCode(auth.confirmTotp(fay.userId, 123456 as unknown as string), Code.TOTP_INVALID);
      });

      it('accepts each backup code once', async () => {
        const r = await auth.login({ email: 'fay@example.com', password: PASSWORD, totp: backup[0].toUpperCase() });
        expect(r.principal.userId).to.equal(fay.userId);
        await expectCode(auth.login({ email: 'fay@example.com', password: PASSWORD, totp: backup[0] }), Code.TOTP_INVALID);
        await auth.login({ email: 'fay@example.com', password: PASSWORD, totp: backup[1] });
      });

      it('admin can enable and disable TOTP', async () => {
        const u = await newUser('gil@example.com');
        const e = await auth.enableTotp(u.userId);
        await expectCode(auth.login({ email: 'gil@example.com', password: PASSWORD }), Code.TOTP_REQUIRED);
        await auth.login({ email: 'gil@example.com', password: PASSWORD, totp: totpCode(e.secret, now) });
        await auth.disableTotp('gil@example.com');
        await auth.login({ email: 'gil@example.com', password: PASSWORD });
      });
    });

    describe('authorisation and rate limits', () => {
      let hal: Principal;
      let ivy: Principal;
      let ro: Principal;
      let hal_t: string;
      let ro_t: string;
      before(async () => {
        await newUser('hal@example.com');
        await newUser('ivy@example.com');
        await newUser('ro@example.com', 'readonly');
        const h = await auth.login({ email: 'hal@example.com', password: PASSWORD });
        hal = h.principal;
        hal_t = h.tradingToken;
        ivy = (await auth.login({ email: 'ivy@example.com', password: PASSWORD })).principal;
        const r = await auth.login({ email: 'ro@example.com', password: PASSWORD });
        ro = r.principal;
        ro_t = r.tradingToken;
      });

      it('never lets one user\'s token act on another user\'s account', async () => {
        const p = await auth.authenticate(hal_t);
        expect(p.accountId).to.equal(hal.accountId);
        expect(p.accountId).to.not.equal(ivy.accountId);
        auth.authorizeAccount(p, hal.accountId);
        await expectCode(() => auth.authorizeAccount(p, ivy.accountId), Code.PERMISSION_DENIED);
      });

      it('applies role rules per endpoint', async () => {
        await expectCode(auth.authenticate(ro_t, '/aurex.v1.Trading/SubmitOrder'), Code.PERMISSION_DENIED);
        await expectCode(auth.authenticate(ro_t, 'tcp.CancelOrder'), Code.PERMISSION_DENIED);
        expect((await auth.authenticate(ro_t, 'GetBook')).role).to.equal('readonly');
        await expectCode(auth.authenticate(hal_t, '/aurex.v1.Admin/CreateUser'), Code.PERMISSION_DENIED);
        expect(auth.endpointClass('/aurex.v1.Trading/GetOrder')).to.equal('query');
        expect(auth.endpointClass('ReplaceOrder')).to.equal('order');
        expect(ro.role).to.equal('readonly');
      });

      it('limits queries per user and endpoint; refused calls count nothing', async () => {
        for (let i = 0; i < 5; i++) await auth.checkRate(hal, 'GetBook');
        await expectCode(auth.checkRate(hal, 'GetBook'), Code.RATE_LIMITED);
        await expectCode(other.checkRate(hal, 'GetBook'), Code.RATE_LIMITED); // shared counter
        for (let i = 0; i < 20; i++) await expectCode(auth.checkRate(hal, 'GetBook'), Code.RATE_LIMITED);
        await auth.checkRate(hal, 'GetTrades'); // another endpoint
        await auth.checkRate(ivy, 'GetBook'); // another user
        // Half-way into the next window the previous one weighs 5 * 0.5 = 2.5: exactly two more fit,
        // which would be none had the refused calls been counted.
        now += 60_000 + 30_000;
        await auth.checkRate(hal, 'GetBook');
        await auth.checkRate(hal, 'GetBook');
        await expectCode(auth.checkRate(hal, 'GetBook'), Code.RATE_LIMITED);
        await expectCode(auth.guard(hal_t, 'GetBook'), Code.RATE_LIMITED);
      });

      it('limits orders per account per second without counting refusals', async () => {
        for (let i = 0; i < 5; i++) expect(auth.checkOrderRate(ivy)).to.equal(Code.OK);
        expect(auth.checkOrderRate(ivy)).to.equal(Code.RATE_LIMITED);
        for (let i = 0; i < 50; i++) expect(auth.checkOrderRate(ivy)).to.equal(Code.RATE_LIMITED);
        await expectCode(auth.checkRate(ivy, 'SubmitOrder'), Code.RATE_LIMITED);
        expect(auth.checkOrderRate(hal)).to.equal(Code.OK);
        now += 200; // one token at 5/s
        expect(auth.checkOrderRate(ivy)).to.equal(Code.OK);
        expect(auth.checkOrderRate(ivy)).to.equal(Code.RATE_LIMITED);
        now += 1000;
        expect(auth.checkOrderRate(ro)).to.equal(Code.RATE_LIMITED); // readonly: no orders
      });

      it('refuses account ids that are not non-negative safe integers, every time, with INVALID_ACCOUNT_ID', async () => {
        now += 1000;
        const bad = [-1, -1024, 0.5, 1.5, hal.accountId + 0.5, NaN, Infinity, -Infinity, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e300, '3' as unknown as number];
        for (const accountId of bad) {
          const p: Principal = { ...hal, accountId };
          // Never a bucket (the limit is 5): refused on every call, the first as the twentieth.
          for (let i = 0; i < 20; i++) expect(codeName(auth.checkOrderRate(p)), String(accountId)).to.equal('INVALID_ACCOUNT_ID');
          await expectCode(auth.checkRate(p, 'SubmitOrder'), Code.INVALID_ACCOUNT_ID);
        }
        // The real account's bucket was not touched.
        for (let i = 0; i < 5; i++) expect(auth.checkOrderRate(hal)).to.equal(Code.OK);
        expect(auth.checkOrderRate(hal)).to.equal(Code.RATE_LIMITED);
      });
    });

    describe('malformed tokens', () => {
      let jay: Awaited<ReturnType<typeof newUser>>;
      let session: string;
      before(async () => {
        jay = await newUser('jay@example.com');
      });
      beforeEach(async () => {
        session = (await auth.login({ email: 'jay@example.com', password: PASSWORD })).sessionToken;
      });

      it('refuses empty, huge, binary and unknown tokens', async () => {
        await expectCode(auth.authenticate(''), Code.UNAUTHENTICATED);
        await expectCode(auth.authenticate(undefined as unknown as string), Code.UNAUTHENTICATED);
        await expectCode(auth.authenticate(42 as unknown as string), Code.UNAUTHENTICATED);
        await expectCode(auth.authenticate('a'.repeat(1_000_000)), Code.TOKEN_MALFORMED);
        await expectCode(auth.authenticate(`${'a.'.repeat(2000)}b`), Code.TOKEN_MALFORMED);
        await expectCode(auth.authenticate(randomBytes(43).toString('latin1')), Code.TOKEN_MALFORMED);
        await expectCode(auth.authenticate('\u0000'.repeat(43)), Code.TOKEN_MALFORMED);
        await expectCode(auth.authenticate('x.y'), Code.TOKEN_MALFORMED);
        await expectCode(auth.authenticate(randomBytes(32).toString('base64url')), Code.UNAUTHENTICATED);
        await expectCode(auth.authenticate('abc.def.ghi'), Code.TOKEN_MALFORMED);
        await expectCode(() => auth.watch('nope', () => undefined), Code.TOKEN_MALFORMED);
      });

      it('refuses a wrong signature, alg=none, a tampered payload and a foreign issuer', async () => {
        const [h, p, s] = session.split('.');
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
        const other = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-that-is-32-bytes-long!'));
        await expectCode(auth.authenticate(other), Code.UNAUTHENTICATED);
        await expectCode(auth.authenticate(`${b64url({ alg: 'none', typ: 'JWT' })}.${p}.`), Code.UNAUTHENTICATED);
        await expectCode(auth.authenticate(`${b64url({ alg: 'HS512', typ: 'JWT' })}.${p}.${s}`), Code.UNAUTHENTICATED);
        const forged = b64url({ ...claims, acc: claims.acc + 1 });
        await expectCode(auth.authenticate(`${h}.${forged}.${s}`), Code.UNAUTHENTICATED);
        const foreign = await new SignJWT({ ...claims, iss: 'elsewhere' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
        await expectCode(auth.authenticate(foreign), Code.UNAUTHENTICATED);
        // A correctly signed token never issued as a session is not in the store.
        const unissued = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
        if (unissued !== session) await expectCode(auth.authenticate(unissued), Code.TOKEN_REVOKED);
        expect((await auth.authenticate(session)).userId).to.equal(jay.userId);
      });
    });

    describe('audit (runs last: mocha runs nested suites after direct tests)', () => {
      it('writes the audit log', async () => {
        await audit.flush();
        const lines = (await readFile(audit.path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
        const events = new Set(lines.map((l) => l.event));
        for (const e of ['user_created', 'login', 'login_failed', 'lockout', 'revoke', 'logout', 'lock', 'unlock', 'totp_enabled', 'backup_code_used']) {
          expect(events, e).to.include(e);
        }
        const fail = lines.find((l) => l.event === 'login_failed' && l.code === Code.INVALID_CREDENTIALS);
        expect(fail.email).to.be.a('string');
        expect(JSON.stringify(lines)).to.not.contain(PASSWORD);
      });
    });
  });
}

describe('30 order rate limiter', () => {
  let now = T0;
  const perSecond = { trader: 3, admin: 3, readonly: 0 };

  it('refuses invalid account ids without making buckets, and keeps ids beyond the dense range in a pruned map', () => {
    const l = new OrderRateLimiter(perSecond, () => now);
    for (const id of [-1, 0.25, NaN, 2 ** 53, -(2 ** 40)]) expect(codeName(l.take(id, 'trader')), String(id)).to.equal('INVALID_ACCOUNT_ID');
    expect(l.sparseCount).to.equal(0);
    for (const id of [0, 7, 2 ** 22 - 1, 2 ** 22 + 1, Number.MAX_SAFE_INTEGER]) expect(isAccountId(id), String(id)).to.equal(true);
    // A valid id beyond the dense range: a full bucket at first use, limited like any other.
    const far = Number.MAX_SAFE_INTEGER;
    for (let i = 0; i < 3; i++) expect(l.take(far, 'trader')).to.equal(Code.OK);
    expect(l.take(far, 'trader')).to.equal(Code.RATE_LIMITED);
    expect(l.sparseCount).to.equal(1);
    // Many distinct far ids: once idle for a second (full again) they are dropped, not kept forever.
    for (let i = 0; i < 4095; i++) expect(l.take(2 ** 40 + i, 'trader')).to.equal(Code.OK);
    expect(l.sparseCount).to.equal(4096);
    now += 1000;
    expect(l.take(2 ** 41, 'trader')).to.equal(Code.OK);
    expect(l.sparseCount).to.equal(1);
    // A dropped bucket comes back full.
    for (let i = 0; i < 3; i++) expect(l.take(far, 'trader')).to.equal(Code.OK);
    expect(l.take(far, 'trader')).to.equal(Code.RATE_LIMITED);
    expect(l.take(far, 'readonly')).to.equal(Code.RATE_LIMITED);
  });
});

describe('30 auth factory and demo users', () => {
  it('builds the embedded default from a data directory and seeds demo users', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aurex-auth-'));
    const created: number[] = [];
    const auth = await createAuthManager({
      dataDir: dir,
      scrypt: { log2N: 10, r: 8, p: 1 },
      provisionAccount: async (id) => {
        created.push(id);
      },
    });
    try {
      const lines: string[] = [];
      const seeded = await seedDemoUsers(auth, { symbols: ['AAPL', 'MSFT'], print: (l) => lines.push(l) });
      expect(seeded.map((s) => s.accountId)).to.deep.equal([1, 2, 3, 4]);
      expect(created).to.deep.equal([1, 2, 3, 4]);
      expect(lines.join('\n')).to.contain('alice@demo.aurex').and.to.contain(seeded[0].password);
      const again = await seedDemoUsers(auth, { print: () => undefined });
      expect(again.every((s) => !s.created)).to.equal(true);
      const r = await auth.login({ email: seeded[0].email, password: seeded[0].password });
      expect(r.principal.role).to.equal('trader');
    } finally {
      await auth.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a Redis store without a configured secret, and a validation cache over 1 s', async () => {
    await expectCode(createAuthManager({ redisUrl: 'redis://127.0.0.1:6379', dataDir: tmpdir() }), Code.INVALID_CONFIG);
    await expectCode(
      createAuthManager({ dataDir: join(tmpdir(), `aurex-auth-none-${process.pid}`), cacheMs: 5000 }),
      Code.INVALID_CONFIG,
    );
    await rm(join(tmpdir(), `aurex-auth-none-${process.pid}`), { recursive: true, force: true });
  });
});
