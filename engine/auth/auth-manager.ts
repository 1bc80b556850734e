/**
 * The one auth manager both gateways use: users and credentials, login with TOTP, session and
 * trading tokens, per-request validation with a short local cache, revocation watching for
 * long-lived connections, rate limits, audit. See docs/auth.md.
 */
import { randomUUID } from 'node:crypto';
import { AurexError, Code } from '../codes.ts';
import type { Principal, Role } from '../types.ts';
import {
  isRole,
  userView,
  type Clock,
  type CreateUserInput,
  type LoginInput,
  type LoginResult,
  type RefreshResult,
  type Subscription,
  type TokenRecord,
  type TotpEnrolment,
  type UserRecord,
  type UserView,
} from './auth-types.ts';
import type { AuditEvent, AuditEventType, AuditSink } from './audit.ts';
import { EndpointClassifier, permissionDenied, roleAllows, type EndpointClass } from './endpoints.ts';
import { OrderRateLimiter } from './order-rate-limiter.ts';
import {
  checkPasswordStrength,
  DEFAULT_SCRYPT,
  hashPassword,
  MAX_EMAIL_LENGTH,
  MAX_PASSWORD_LENGTH,
  normaliseEmail,
  verifyPassword,
  type ScryptParams,
} from './password.ts';
import { SecretBox } from './secret-box.ts';
import { EXPIRED_GRACE_MS, type SessionStore, type TokenRef } from './session-store.ts';
import { JwtCodec, newTradingToken, tokenHash, tokenShape } from './tokens.ts';
import {
  hashBackupCode,
  looksLikeBackupCode,
  MAX_SECOND_FACTOR_LENGTH,
  newBackupCodes,
  newTotpSecret,
  totpUri,
  verifyTotp,
} from './totp.ts';
import type { UserStore } from './user-store.ts';

/** Creates the engine trading account of a new user through the engine's command path. */
export type ProvisionAccount = (accountId: number, cash: number, positions: Record<string, number>) => Promise<void>;

export interface RateLimitOptions {
  /** Window of the query limits (default 60 s). */
  windowMs?: number;
  /** Requests per window per user and endpoint on query endpoints, per role (default 100/100/300). */
  queryPerWindow?: Partial<Record<Role, number>>;
  /** Orders per second per account (token bucket, burst = 1 s), per role (default trader 50, admin 200, readonly 0). */
  ordersPerSecond?: Partial<Record<Role, number>>;
  /** Per-endpoint override of the query limit (requests per window). */
  endpointLimits?: Record<string, number>;
  /** Override the endpoint classification by name (see endpoints.ts). */
  endpointClasses?: Record<string, EndpointClass>;
}

export interface LoginFailureOptions {
  /** Failures per user within the window before the user is locked out (default 5). */
  maxPerUser?: number;
  /** Failures per client address within the window before the address is locked out (default 20). */
  maxPerAddress?: number;
  /** Default 5 min. */
  windowMs?: number;
  /** How long a lockout lasts (default 15 min). */
  lockoutMs?: number;
}

export interface AuthManagerOptions {
  users: UserStore;
  sessions: SessionStore;
  audit: AuditSink;
  /** At least 32 bytes: signs session JWTs (HS256) and derives the TOTP-secret encryption key. */
  secret: Uint8Array | string;
  /** Wired by the server to ExchangeApi.executeAsync({type:'createAccount', ...}). */
  provisionAccount?: ProvisionAccount;
  clock?: Clock;
  /** Session JWT lifetime (default 15 min). */
  sessionTtlMs?: number;
  /** Trading token lifetime (default 8 h). */
  tradingTtlMs?: number;
  /** How long a validation result may be reused locally (default and maximum 1000 ms). */
  cacheMs?: number;
  maxCacheEntries?: number;
  /** Period of the re-validation of watched tokens (default 250 ms). */
  watchIntervalMs?: number;
  scrypt?: ScryptParams;
  /** Issuer shown by authenticator apps (default "Aurex"). */
  issuer?: string;
  rateLimits?: RateLimitOptions;
  loginFailures?: LoginFailureOptions;
  /**
   * Listen to the store's revocation notices (Redis pub/sub) to drop cached validations at once
   * (default true). Without them revocations are still seen within cacheMs / watchIntervalMs.
   */
  revocationNotices?: boolean;
  /** Close the stores and the audit sink in close() (default true). */
  ownsStores?: boolean;
  /** Diagnostics (store failures during the watch sweep). */
  onError?: (err: unknown) => void;
}

interface CacheEntry {
  principal: Principal;
  hash: string;
  exp: number;
  until: number;
}

interface Watcher {
  token: string;
  ref: TokenRef;
  exp: number;
  onEnd: (err: AurexError) => void;
  closed: boolean;
}

const MIN = 60_000;

function fail(code: Code, msg?: string): never {
  throw new AurexError(code, msg);
}

function safeAddress(a: unknown): string {
  return typeof a === 'string' && a.length > 0 && a.length <= 128 ? a.replace(/[^\x21-\x7e]/g, '?') : 'unknown';
}

export class AuthManager {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly sessionTtlMs: number;
  readonly tradingTtlMs: number;
  readonly cacheMs: number;

  private readonly jwt: JwtCodec;
  private readonly box: SecretBox;
  private readonly provision: ProvisionAccount | undefined;
  private readonly scryptParams: ScryptParams;
  private readonly issuer: string;
  private readonly classifier: EndpointClassifier;
  private readonly orderLimiter: OrderRateLimiter;
  private readonly rl: { windowMs: number; query: Record<Role, number>; endpointLimits: Record<string, number> };
  private readonly lf: Required<LoginFailureOptions>;
  private readonly tombstoneMs: number;
  private readonly maxCache: number;
  private readonly watchIntervalMs: number;
  private readonly ownsStores: boolean;
  private readonly notices: boolean;
  private readonly onError: (err: unknown) => void;

  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheByHash = new Map<string, string>();
  /** Bumped on every revocation seen; a validation that raced with one is not cached. */
  private revocations = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly watchersByHash = new Map<string, Set<Watcher>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private unsubscribe: (() => void) | undefined;
  private dummyHash: Promise<string> | undefined;
  private closed = false;

  constructor(opts: AuthManagerOptions) {
    this.users = opts.users;
    this.sessions = opts.sessions;
    this.audit = opts.audit;
    this.clock = opts.clock ?? Date.now;
    const secret = typeof opts.secret === 'string' ? new TextEncoder().encode(opts.secret) : opts.secret;
    this.jwt = new JwtCodec(secret);
    this.box = new SecretBox(secret);
    this.provision = opts.provisionAccount;
    this.sessionTtlMs = opts.sessionTtlMs ?? 15 * MIN;
    this.tradingTtlMs = opts.tradingTtlMs ?? 8 * 60 * MIN;
    this.cacheMs = opts.cacheMs ?? 1000;
    if (!(this.cacheMs >= 0 && this.cacheMs <= 1000)) fail(Code.INVALID_CONFIG, 'cacheMs must be within 0..1000');
    if (!(this.sessionTtlMs >= 1000) || !(this.tradingTtlMs >= 1000)) fail(Code.INVALID_CONFIG, 'token lifetimes must be >= 1 s');
    this.maxCache = opts.maxCacheEntries ?? 100_000;
    this.watchIntervalMs = opts.watchIntervalMs ?? 250;
    if (!(this.watchIntervalMs >= 10 && this.watchIntervalMs <= 1000)) fail(Code.INVALID_CONFIG, 'watchIntervalMs must be within 10..1000');
    this.scryptParams = opts.scrypt ?? DEFAULT_SCRYPT;
    this.issuer = opts.issuer ?? 'Aurex';
    const r = opts.rateLimits ?? {};
    this.classifier = new EndpointClassifier(r.endpointClasses);
    this.orderLimiter = new OrderRateLimiter({ trader: 50, admin: 200, readonly: 0, ...r.ordersPerSecond }, this.clock);
    this.rl = {
      windowMs: r.windowMs ?? MIN,
      query: { trader: 100, readonly: 100, admin: 300, ...r.queryPerWindow },
      endpointLimits: r.endpointLimits ?? {},
    };
    const f = opts.loginFailures ?? {};
    this.lf = {
      maxPerUser: f.maxPerUser ?? 5,
      maxPerAddress: f.maxPerAddress ?? 20,
      windowMs: f.windowMs ?? 5 * MIN,
      lockoutMs: f.lockoutMs ?? 15 * MIN,
    };
    this.tombstoneMs = Math.max(this.sessionTtlMs, this.tradingTtlMs) + EXPIRED_GRACE_MS;
    this.ownsStores = opts.ownsStores ?? true;
    this.notices = opts.revocationNotices ?? true;
    this.onError = opts.onError ?? (() => undefined);
  }

  /** Prepare the stores and subscribe to revocations made by other processes. */
  async init(): Promise<void> {
    await this.users.init();
    if (this.notices) this.unsubscribe ??= this.sessions.onRevoked((hashes) => this.revoked(hashes, Code.TOKEN_REVOKED));
  }

  // ================================================================== users

  /**
   * Create a user and its engine trading account. The user row is inserted locked, the account
   * provisioned, then the user unlocked; if provisioning fails the row is removed and the error
   * is rethrown (the allocated account id is not reused).
   */
  async createUser(input: CreateUserInput): Promise<UserView> {
    const email = normaliseEmail(input?.email);
    checkPasswordStrength(input.password);
    const role = input.role ?? 'trader';
    if (!isRole(role)) fail(Code.INVALID_ARGUMENT, 'role must be trader, admin or readonly');
    const cash = input.cash ?? 0;
    if (!Number.isSafeInteger(cash) || cash < 0) fail(Code.VALUE_OUT_OF_RANGE, 'cash must be a non-negative safe integer (minor units)');
    const positions: Record<string, number> = {};
    if (input.positions !== undefined) {
      if (typeof input.positions !== 'object' || input.positions === null) fail(Code.INVALID_ARGUMENT, 'positions must be an object');
      for (const [sym, qty] of Object.entries(input.positions)) {
        if (!/^[A-Z0-9][A-Z0-9._-]{0,15}$/.test(sym)) fail(Code.INVALID_SYMBOL, `invalid symbol ${sym.slice(0, 20)}`);
        if (!Number.isSafeInteger(qty) || qty < 0) fail(Code.INVALID_QUANTITY, `position of ${sym} must be a non-negative safe integer`);
        positions[sym] = qty;
      }
    }
    if (await this.users.getByEmail(email)) fail(Code.EMAIL_TAKEN, 'email already registered');
    const passwordHash = await hashPassword(input.password, this.scryptParams);
    const accountId = await this.users.allocateAccountId();
    const now = this.clock();
    const rec: UserRecord = {
      id: randomUUID(),
      email,
      passwordHash,
      role,
      accountId,
      totpEnabled: false,
      totpSecret: null,
      totpLastStep: 0,
      backupCodes: [],
      locked: true, // until its account exists
      createdAt: now,
      updatedAt: now,
    };
    await this.users.insert(rec);
    try {
      if (this.provision) await this.provision(accountId, cash, positions);
    } catch (e) {
      await this.users.delete(rec.id).catch(() => undefined);
      if (e instanceof AurexError) throw e;
      fail(Code.INTERNAL, `account provisioning failed: ${(e as Error)?.message ?? e}`);
    }
    const u = await this.users.update(rec.id, { locked: false }, this.clock());
    this.log('user_created', { userId: u.id, email, detail: `role=${role} account=${accountId}` });
    return userView(u);
  }

  /** A user by id (UUID) or email. Throws UNKNOWN_USER. */
  async getUser(ref: string): Promise<UserView> {
    return userView(await this.resolve(ref));
  }

  async listUsers(opts: { offset?: number; limit?: number } = {}): Promise<UserView[]> {
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? 100;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      fail(Code.VALUE_OUT_OF_RANGE, 'offset >= 0 and 1 <= limit <= 10000');
    }
    return (await this.users.list(offset, limit)).map(userView);
  }

  /** Set a new password (admin or after verification by the caller); revokes the user's sessions. */
  async setPassword(ref: string, password: string): Promise<void> {
    checkPasswordStrength(password);
    const u = await this.resolve(ref);
    await this.users.update(u.id, { passwordHash: await hashPassword(password, this.scryptParams) }, this.clock());
    this.log('password_changed', { userId: u.id, email: u.email });
    await this.revokeSessions(u.id, 'password changed');
  }

  /** Change one's own password: the current one must verify. */
  async changePassword(ref: string, current: string, next: string): Promise<void> {
    const u = await this.resolve(ref);
    if (typeof current !== 'string' || current.length > MAX_PASSWORD_LENGTH || !(await verifyPassword(current, u.passwordHash))) {
      fail(Code.INVALID_CREDENTIALS, 'current password does not match');
    }
    await this.setPassword(u.id, next);
  }

  /**
   * Start TOTP enrolment: a new secret and backup codes; 2FA becomes active with confirmTotp().
   * Refused while 2FA is enabled (disable first).
   */
  async enrolTotp(ref: string): Promise<TotpEnrolment> {
    const u = await this.resolve(ref);
    if (u.totpEnabled) fail(Code.INVALID_ARGUMENT, 'TOTP already enabled; disable it first');
    const e = await this.newTotp(u, false);
    this.log('totp_enrolled', { userId: u.id, email: u.email });
    return e;
  }

  /** Finish enrolment with a current code from the authenticator app. */
  async confirmTotp(ref: string, code: string): Promise<void> {
    if (typeof code !== 'string' || code.length > MAX_SECOND_FACTOR_LENGTH) fail(Code.TOTP_INVALID, 'invalid TOTP code');
    const u = await this.resolve(ref);
    if (u.totpEnabled) return;
    if (!u.totpSecret) fail(Code.INVALID_ARGUMENT, 'no TOTP enrolment in progress');
    const now = this.clock();
    const step = verifyTotp(this.box.open(u.totpSecret), code, now);
    if (step < 0) fail(Code.TOTP_INVALID, 'invalid TOTP code');
    if (!(await this.users.advanceTotpStep(u.id, step, now))) fail(Code.TOTP_REUSED, 'TOTP code already used');
    await this.users.update(u.id, { totpEnabled: true }, now);
    this.log('totp_enabled', { userId: u.id, email: u.email });
  }

  /** Admin: enable TOTP at once with a fresh secret (the user scans the returned URI). */
  async enableTotp(ref: string): Promise<TotpEnrolment> {
    const u = await this.resolve(ref);
    const e = await this.newTotp(u, true);
    this.log('totp_enabled', { userId: u.id, email: u.email, detail: 'by admin' });
    return e;
  }

  async disableTotp(ref: string): Promise<void> {
    const u = await this.resolve(ref);
    await this.users.update(u.id, { totpEnabled: false, totpSecret: null, backupCodes: [], totpLastStep: 0 }, this.clock());
    this.log('totp_disabled', { userId: u.id, email: u.email });
  }

  /** Lock a user: no login until unlocked; live sessions are revoked at once. */
  async lockUser(ref: string, reason = 'locked by admin'): Promise<void> {
    const u = await this.resolve(ref);
    await this.users.update(u.id, { locked: true }, this.clock());
    this.log('lock', { userId: u.id, email: u.email, detail: reason });
    await this.revokeSessions(u.id, reason);
  }

  /** Unlock a user, also clearing a failed-login lockout of that user. */
  async unlockUser(ref: string): Promise<void> {
    const u = await this.resolve(ref);
    await this.users.update(u.id, { locked: false }, this.clock());
    await Promise.all([this.sessions.del(`lockout:user:${u.email}`), this.sessions.del(`loginfail:user:${u.email}`)]);
    this.log('unlock', { userId: u.id, email: u.email });
  }

  /** Revoke the user's session and trading token (every gateway refuses them within 1 s). Returns tokens revoked. */
  async revokeSessions(ref: string, reason = 'revoked by admin'): Promise<number> {
    const u = await this.resolve(ref);
    const hashes = await this.storeCall(() => this.sessions.revokeUser(u.id, this.clock(), this.tombstoneMs));
    this.revoked(hashes, Code.TOKEN_REVOKED);
    if (hashes.length) this.log('revoke', { userId: u.id, email: u.email, detail: reason });
    return hashes.length;
  }

  // ================================================================== login / tokens

  /**
   * Email + password (+ TOTP or backup code when 2FA is on). Errors: INVALID_EMAIL,
   * INVALID_CREDENTIALS, TOTP_REQUIRED, TOTP_INVALID, TOTP_REUSED, USER_LOCKED,
   * TOO_MANY_FAILED_LOGINS. A new login replaces the user's previous session and trading token.
   */
  async login(input: LoginInput): Promise<LoginResult> {
    try {
      return await this.loginOnce(input);
    } catch (e) {
      this.countFailure(e);
      throw e;
    }
  }

  private async loginOnce(input: LoginInput): Promise<LoginResult> {
    const now = this.clock();
    const address = safeAddress(input?.address);
    // Type and length of every raw input first, with its stable code: nothing is normalised,
    // looked up, hashed or counted for an input no account could have (docs/auth.md).
    const rawEmail: unknown = input?.email;
    const password: unknown = input?.password;
    const totp: unknown = input?.totp;
    if (typeof rawEmail !== 'string' || rawEmail.length > MAX_EMAIL_LENGTH) fail(Code.INVALID_EMAIL, 'invalid email address');
    if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) fail(Code.INVALID_CREDENTIALS, 'invalid email or password');
    if (totp !== undefined && totp !== null && (typeof totp !== 'string' || totp.length > MAX_SECOND_FACTOR_LENGTH)) {
      fail(Code.TOTP_INVALID, 'invalid TOTP code');
    }
    const email = normaliseEmail(rawEmail);
    const [lu, la] = await this.storeCall(() =>
      Promise.all([this.sessions.getUntil(`lockout:user:${email}`, now), this.sessions.getUntil(`lockout:addr:${address}`, now)]),
    );
    if (lu !== undefined || la !== undefined) {
      this.log('login_failed', { email, address, code: Code.TOO_MANY_FAILED_LOGINS });
      fail(Code.TOO_MANY_FAILED_LOGINS, 'too many failed logins; try again later');
    }
    const user = await this.users.getByEmail(email);
    // Unknown users cost the same hash as known ones, so timing does not reveal who exists.
    const ok = await verifyPassword(password, user ? user.passwordHash : await this.getDummyHash());
    if (!user || !ok) return this.loginFailed(email, address, user?.id, Code.INVALID_CREDENTIALS);
    if (user.locked) {
      this.log('login_failed', { userId: user.id, email, address, code: Code.USER_LOCKED });
      fail(Code.USER_LOCKED, 'user is locked');
    }
    if (user.totpEnabled) {
      const code = typeof totp === 'string' ? totp.trim() : '';
      if (code === '') {
        this.log('login_failed', { userId: user.id, email, address, code: Code.TOTP_REQUIRED });
        fail(Code.TOTP_REQUIRED, 'TOTP code required');
      }
      await this.checkSecondFactor(user, code, address);
    }
    await this.storeCall(() => this.sessions.del(`loginfail:user:${email}`));
    const res = await this.issue(user, this.clock());
    this.log('login', { userId: user.id, email, address });
    return res;
  }

  /** A fresh session JWT for a live one (the trading token keeps its own expiry). */
  async refresh(sessionToken: string): Promise<RefreshResult> {
    if (typeof sessionToken !== 'string' || sessionToken === '') fail(Code.UNAUTHENTICATED, 'no token');
    if (tokenShape(sessionToken) !== 'session') fail(Code.TOKEN_MALFORMED, 'not a session token');
    const now = this.clock();
    const claims = await this.jwt.verify(sessionToken, now);
    const hash = tokenHash(sessionToken);
    const rec = await this.storeCall(() => this.sessions.get('session', hash, now, false));
    if (!rec || rec.userId !== claims.userId) fail(Code.TOKEN_REVOKED, 'session revoked');
    if (now >= rec.exp) fail(Code.TOKEN_EXPIRED, 'session expired');
    const exp = this.expiry(now, this.sessionTtlMs);
    const token = await this.jwt.sign({ userId: rec.userId, accountId: rec.accountId, role: rec.role, exp }, now);
    const ok = await this.storeCall(() =>
      this.sessions.replaceSession(rec.userId, hash, { ...rec, hash: tokenHash(token), last: now, exp }, now, this.tombstoneMs),
    );
    if (!ok) fail(Code.TOKEN_REVOKED, 'session revoked');
    this.revoked([hash], Code.TOKEN_REVOKED);
    this.log('refresh', { userId: rec.userId });
    return { sessionToken: token, sessionExpiresAt: exp };
  }

  /** Revoke both tokens of the caller's session (either token may be presented). */
  async logout(token: string): Promise<void> {
    const p = await this.authenticate(token);
    const hashes = await this.storeCall(() => this.sessions.revokeUser(p.userId, this.clock(), this.tombstoneMs));
    this.revoked(hashes, Code.TOKEN_REVOKED);
    this.log('logout', { userId: p.userId });
  }

  // ================================================================== per-request checks

  /**
   * The per-request check: a session JWT or a trading token -> its principal. With `endpoint`,
   * also checks the role may call it (PERMISSION_DENIED). Errors: UNAUTHENTICATED (missing,
   * unknown, bad signature, alg=none), TOKEN_MALFORMED, TOKEN_EXPIRED, TOKEN_REVOKED,
   * NOT_READY (store unreachable). Results are reused for at most `cacheMs` (<= 1 s).
   */
  authenticate(token: string, endpoint?: string): Promise<Principal> {
    // Not `async`: a cache hit then costs one resolved promise, not an async frame as well.
    let p: Principal | undefined;
    try {
      p = this.authenticateCached(token, endpoint);
    } catch (e) {
      return Promise.reject(e);
    }
    if (p !== undefined) return Promise.resolve(p);
    return this.validate(token, endpoint).catch((e: unknown) => {
      this.countFailure(e);
      throw e;
    });
  }

  /** Refused logins and token validations since start, by code (for metrics). */
  readonly failures = new Map<Code, number>();

  private countFailure(e: unknown): void {
    const code = e instanceof AurexError ? e.code : Code.INTERNAL;
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  /**
   * Synchronous fast path: the principal when a validation of `token` younger than `cacheMs` is
   * cached, undefined otherwise (then call authenticate()). Throws TOKEN_EXPIRED / PERMISSION_DENIED.
   */
  authenticateCached(token: string, endpoint?: string): Principal | undefined {
    const e = this.cache.get(token);
    if (e === undefined) return undefined;
    const now = this.clock();
    if (now >= e.until) return undefined;
    if (now >= e.exp) {
      this.countFailure(new AurexError(Code.TOKEN_EXPIRED));
      fail(Code.TOKEN_EXPIRED, 'token expired');
    }
    if (endpoint !== undefined && !roleAllows(e.principal.role, this.classifier.classify(endpoint))) {
      this.countFailure(new AurexError(Code.PERMISSION_DENIED));
      throw permissionDenied(e.principal.role, endpoint);
    }
    return e.principal;
  }

  /** authenticate + rate limit: the one call a gRPC interceptor needs. */
  async guard(token: string, endpoint: string): Promise<Principal> {
    const p = await this.authenticate(token, endpoint);
    await this.checkRate(p, endpoint);
    return p;
  }

  /** PERMISSION_DENIED unless the principal's role may call the endpoint. */
  authorize(p: Principal, endpoint: string): void {
    if (!roleAllows(p.role, this.classifier.classify(endpoint))) throw permissionDenied(p.role, endpoint);
  }

  /** PERMISSION_DENIED unless the principal owns the account (admins may act on any). */
  authorizeAccount(p: Principal, accountId: number): void {
    if (p.accountId !== accountId && p.role !== 'admin') {
      fail(Code.PERMISSION_DENIED, 'token does not authorise this account');
    }
  }

  endpointClass(endpoint: string): EndpointClass {
    return this.classifier.classify(endpoint);
  }

  /**
   * RATE_LIMITED when the call would exceed the caller's limit; a refused call is not counted.
   * Order endpoints: in-process token bucket per account. Other endpoints: sliding-window counter
   * per user and endpoint in the session store (shared through Redis).
   */
  async checkRate(p: Principal, endpoint: string): Promise<void> {
    if (this.classifier.classify(endpoint) === 'order') {
      const code = this.orderLimiter.take(p.accountId, p.role);
      if (code === Code.INVALID_ACCOUNT_ID) fail(code, 'account id must be a non-negative safe integer');
      if (code !== Code.OK) fail(Code.RATE_LIMITED, 'order rate limit exceeded');
      return;
    }
    const limit = this.rl.endpointLimits[endpoint] ?? this.rl.query[p.role];
    const key = `ratelimit:${p.userId}:${endpoint.length <= 128 ? endpoint : endpoint.slice(0, 128)}`;
    const r = await this.storeCall(() => this.sessions.hit(key, limit, this.rl.windowMs, this.clock()));
    if (!r.allowed) fail(Code.RATE_LIMITED, `rate limit of ${limit} per ${this.rl.windowMs / 1000}s exceeded on ${endpoint}`);
  }

  /**
   * Order-path rate check without I/O, allocation or throw: Code.OK, Code.RATE_LIMITED, or
   * Code.INVALID_ACCOUNT_ID when the principal's account id is not a non-negative safe integer.
   */
  checkOrderRate(p: Principal): Code {
    return this.orderLimiter.take(p.accountId, p.role);
  }

  /**
   * Be told when `token` stops being valid (revoked, replaced by a new login, logged out, user
   * locked, or expired): `onEnd` is called once, within ~`watchIntervalMs` (+ one store round
   * trip), also for revocations by other processes. Throws TOKEN_MALFORMED for a malformed token.
   * Call on a token that authenticate() accepted; close() the returned handle when the connection ends.
   */
  watch(token: string, onEnd: (err: AurexError) => void): Subscription {
    const kind = typeof token === 'string' ? tokenShape(token) : undefined;
    if (!kind) fail(Code.TOKEN_MALFORMED, 'malformed token');
    const cached = this.cache.get(token);
    const w: Watcher = { token, ref: { kind, hash: cached?.hash ?? tokenHash(token) }, exp: cached?.exp ?? Infinity, onEnd, closed: false };
    this.watchers.add(w);
    let set = this.watchersByHash.get(w.ref.hash);
    if (!set) this.watchersByHash.set(w.ref.hash, (set = new Set()));
    set.add(w);
    if (!this.sweepTimer && !this.closed) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.watchIntervalMs);
      this.sweepTimer.unref();
    }
    return { close: () => this.unwatch(w) };
  }

  get watchCount(): number {
    return this.watchers.size;
  }

  /** Stop timers, flush the audit log, close the stores (when owned). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.unsubscribe?.();
    this.watchers.clear();
    this.watchersByHash.clear();
    this.cache.clear();
    this.cacheByHash.clear();
    if (this.ownsStores) {
      await this.audit.close();
      await this.sessions.close();
      await this.users.close();
    } else {
      await this.audit.flush();
    }
  }

  // ================================================================== internals

  private async validate(token: string, endpoint: string | undefined): Promise<Principal> {
    if (typeof token !== 'string' || token.length === 0) fail(Code.UNAUTHENTICATED, 'no token');
    const kind = tokenShape(token);
    if (kind === undefined) fail(Code.TOKEN_MALFORMED, 'malformed token');
    const now = this.clock();
    const claims = kind === 'session' ? await this.jwt.verify(token, now) : undefined;
    const hash = tokenHash(token);
    const epoch = this.revocations;
    const rec = await this.storeCall(() => this.sessions.get(kind, hash, now, true));
    if (!rec) {
      // A verified JWT that is gone from the store was revoked; an unknown opaque token may just be unknown.
      if (kind === 'session' || (await this.storeCall(() => this.sessions.isRevoked(hash)))) fail(Code.TOKEN_REVOKED, 'token revoked');
      fail(Code.UNAUTHENTICATED, 'unknown or expired token');
    }
    if (now >= rec.exp) fail(Code.TOKEN_EXPIRED, 'token expired');
    if (claims && claims.userId !== rec.userId) fail(Code.UNAUTHENTICATED, 'token does not match its session');
    const principal: Principal = Object.freeze({ userId: rec.userId, accountId: rec.accountId, role: rec.role });
    if (this.cacheMs > 0 && epoch === this.revocations && !this.closed) {
      if (this.cache.size >= this.maxCache) {
        this.cache.clear();
        this.cacheByHash.clear();
      }
      this.cache.set(token, { principal, hash, exp: rec.exp, until: now + this.cacheMs });
      this.cacheByHash.set(hash, token);
    }
    if (endpoint !== undefined) this.authorize(principal, endpoint);
    return principal;
  }

  /** Tokens revoked (here, through the store's notice, or found gone by the sweep). */
  private revoked(hashes: readonly string[], code: Code): void {
    if (hashes.length === 0) return;
    this.revocations++;
    for (const h of hashes) {
      const t = this.cacheByHash.get(h);
      if (t !== undefined) {
        this.cache.delete(t);
        this.cacheByHash.delete(h);
      }
      const set = this.watchersByHash.get(h);
      if (set) for (const w of [...set]) this.endWatch(w, code);
    }
  }

  private endWatch(w: Watcher, code: Code): void {
    if (w.closed) return;
    this.unwatch(w);
    const t = this.cacheByHash.get(w.ref.hash);
    if (t !== undefined) {
      this.cache.delete(t);
      this.cacheByHash.delete(w.ref.hash);
    }
    try {
      w.onEnd(new AurexError(code, code === Code.TOKEN_EXPIRED ? 'token expired' : 'token revoked'));
    } catch (e) {
      this.onError(e);
    }
  }

  private unwatch(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    this.watchers.delete(w);
    const set = this.watchersByHash.get(w.ref.hash);
    if (set) {
      set.delete(w);
      if (set.size === 0) this.watchersByHash.delete(w.ref.hash);
    }
    if (this.watchers.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  /** Re-validate every watched token in one store round trip. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.watchers.size === 0) return;
    this.sweeping = true;
    try {
      const hashes = [...this.watchersByHash.keys()];
      const refs: TokenRef[] = hashes.map((h) => this.watchersByHash.get(h)!.values().next().value!.ref);
      let recs: (TokenRecord | undefined)[];
      try {
        recs = await this.sessions.getMany(refs);
      } catch (e) {
        // Store unreachable: keep connections; per-request validation fails closed meanwhile.
        this.onError(e);
        return;
      }
      const now = this.clock();
      for (let i = 0; i < hashes.length; i++) {
        const set = this.watchersByHash.get(hashes[i]);
        if (!set) continue;
        const rec = recs[i];
        for (const w of [...set]) {
          if (rec) w.exp = rec.exp;
          if (now >= w.exp) this.endWatch(w, Code.TOKEN_EXPIRED);
          else if (!rec) this.endWatch(w, Code.TOKEN_REVOKED);
        }
      }
    } finally {
      this.sweeping = false;
    }
  }

  private async issue(user: UserRecord, now: number): Promise<LoginResult> {
    const sExp = this.expiry(now, this.sessionTtlMs);
    const tExp = now + this.tradingTtlMs;
    const sessionToken = await this.jwt.sign({ userId: user.id, accountId: user.accountId, role: user.role, exp: sExp }, now);
    const tradingToken = newTradingToken();
    const sh = tokenHash(sessionToken);
    const th = tokenHash(tradingToken);
    const base = { userId: user.id, accountId: user.accountId, role: user.role, created: now, last: now };
    const replaced = await this.storeCall(() =>
      this.sessions.createPair(user.id, { ...base, hash: sh, exp: sExp, peer: th }, { ...base, hash: th, exp: tExp, peer: sh }, now, this.tombstoneMs),
    );
    if (replaced.length) {
      this.revoked(replaced, Code.TOKEN_REVOKED);
      this.log('revoke', { userId: user.id, email: user.email, detail: 'replaced by a new login' });
    }
    const principal: Principal = Object.freeze({ userId: user.id, accountId: user.accountId, role: user.role });
    return { sessionToken, tradingToken, sessionExpiresAt: sExp, tradingExpiresAt: tExp, principal };
  }

  /** JWT `exp` has whole seconds: round the session expiry down so both agree. */
  private expiry(now: number, ttl: number): number {
    return Math.floor((now + ttl) / 1000) * 1000;
  }

  private async checkSecondFactor(user: UserRecord, code: string, address: string): Promise<void> {
    const now = this.clock();
    if (looksLikeBackupCode(code)) {
      if (await this.users.consumeBackupCode(user.id, hashBackupCode(code), now)) {
        this.log('backup_code_used', { userId: user.id, email: user.email, address });
        return;
      }
      return this.loginFailed(user.email, address, user.id, Code.TOTP_INVALID);
    }
    if (!user.totpSecret) fail(Code.INTERNAL, 'TOTP enabled without a secret');
    const step = verifyTotp(this.box.open(user.totpSecret), code, now);
    if (step < 0) return this.loginFailed(user.email, address, user.id, Code.TOTP_INVALID);
    if (!(await this.users.advanceTotpStep(user.id, step, now))) return this.loginFailed(user.email, address, user.id, Code.TOTP_REUSED);
  }

  /** Count a failure per user and per address, lock out past the limits, throw `code`. */
  private async loginFailed(email: string, address: string, userId: string | undefined, code: Code): Promise<never> {
    const now = this.clock();
    const big = Number.MAX_SAFE_INTEGER;
    const [u, a] = await this.storeCall(() =>
      Promise.all([
        this.sessions.hit(`loginfail:user:${email}`, big, this.lf.windowMs, now),
        this.sessions.hit(`loginfail:addr:${address}`, big, this.lf.windowMs, now),
      ]),
    );
    this.log('login_failed', { userId, email, address, code });
    const until = now + this.lf.lockoutMs;
    if (u.count >= this.lf.maxPerUser) {
      await this.storeCall(() => this.sessions.setUntil(`lockout:user:${email}`, until, now));
      await this.storeCall(() => this.sessions.del(`loginfail:user:${email}`));
      this.log('lockout', { userId, email, address, detail: `user locked out until ${new Date(until).toISOString()}` });
    }
    if (a.count >= this.lf.maxPerAddress) {
      await this.storeCall(() => this.sessions.setUntil(`lockout:addr:${address}`, until, now));
      await this.storeCall(() => this.sessions.del(`loginfail:addr:${address}`));
      this.log('lockout', { email, address, detail: `address locked out until ${new Date(until).toISOString()}` });
    }
    fail(code, code === Code.INVALID_CREDENTIALS ? 'invalid email or password' : code === Code.TOTP_REUSED ? 'TOTP code already used' : 'invalid TOTP code');
  }

  private async newTotp(u: UserRecord, enable: boolean): Promise<TotpEnrolment> {
    const secret = newTotpSecret();
    const backupCodes = newBackupCodes();
    await this.users.update(
      u.id,
      { totpSecret: this.box.seal(secret), totpEnabled: enable, totpLastStep: 0, backupCodes: backupCodes.map(hashBackupCode) },
      this.clock(),
    );
    return { secret, otpauthUri: totpUri(secret, u.email, this.issuer), backupCodes };
  }

  private async resolve(ref: string): Promise<UserRecord> {
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 254) fail(Code.UNKNOWN_USER, 'unknown user');
    const u = ref.includes('@') ? await this.users.getByEmail(normaliseEmail(ref)) : await this.users.getById(ref);
    if (!u) fail(Code.UNKNOWN_USER, 'unknown user');
    return u;
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= hashPassword('dummy-Password-1!', this.scryptParams);
    return this.dummyHash;
  }

  /** Store failures become NOT_READY (fail closed) instead of leaking driver errors. */
  private async storeCall<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof AurexError) throw e;
      this.onError(e);
      throw new AurexError(Code.NOT_READY, 'session store unavailable');
    }
  }

  private log(event: AuditEventType, f: Omit<AuditEvent, 'ts' | 'event'>): void {
    this.audit.write({ ts: this.clock(), event, ...f });
  }
}
