/**
 * aurex.admin.v1.AdminService: users (through the auth manager) and exchange
 * administration (deposits, positions, halts, symbols, mass cancel) through
 * engine commands. Admin role only.
 */
import type { AuthManager, UserView } from '../engine/auth/index.ts';
import { AurexError, Code } from '../engine/codes.ts';
import type { ExchangeApi } from '../engine/core-api.ts';
import type { Command, SymbolConfig } from '../engine/types.ts';
import type {
  AddSymbolRequest,
  AdjustPositionRequest,
  CancelAllOrdersRequest,
  CreateUserRequest,
  DepositRequest,
  EnableTwoFactorRequest,
  GetAccountRequest,
  RevokeSessionsRequest,
  SetUserLockedRequest,
  SymbolRequest,
  User,
} from '../gen/aurex/admin/v1/admin.ts';
import { roleFromWire, roleToWire } from './auth-service.ts';
import { unaryHandler, type MethodSpec } from './call-helpers.ts';
import { accountResponse, symbolInfo } from './convert.ts';
import { symbolConfig } from './order-commands.ts';
import { int64ToSafe } from './price.ts';
import { serviceError } from './errors.ts';

const B = BigInt;
const spec = (name: string): MethodSpec => ({ cls: 'admin', rateName: `/aurex.admin.v1.AdminService/${name}` });

function userMsg(u: UserView): User {
  return { userId: u.userId, email: u.email, accountId: B(u.accountId), role: roleToWire(u.role), locked: u.locked, twoFactorEnabled: u.totpEnabled };
}

function signedSafe(v: bigint, code: Code, field: string): number {
  if (v < 0n) return -int64ToSafe(-v, code, field);
  return int64ToSafe(v, code, field);
}

export function adminHandlers(exchange: ExchangeApi, auth: AuthManager) {
  const run = async (cmd: Command) => {
    const res = await exchange.executeAsync(cmd);
    if (res.code !== Code.OK) throw new AurexError(res.code);
    return res;
  };
  const accountOut = (accountId: number, seq: number) => {
    const a = exchange.account(accountId);
    if (a === undefined) throw new AurexError(Code.UNKNOWN_ACCOUNT, `no account ${accountId}`);
    return { account: accountResponse(a), seq: B(seq) };
  };
  const accountIdOf = (v: bigint) => {
    const id = int64ToSafe(v, Code.INVALID_ACCOUNT_ID, 'account_id');
    if (id === 0) throw new AurexError(Code.MISSING_FIELD, 'account_id is required');
    return id;
  };

  return {
    createUser: unaryHandler(auth, spec('CreateUser'), async (_p, req: CreateUserRequest, _c, done) => {
      const role = roleFromWire(req.role);
      if (role === undefined) throw new AurexError(Code.INVALID_ENUM, 'unknown role');
      const positions: Record<string, number> = {};
      for (const [s, q] of Object.entries(req.initialPositions)) positions[s] = int64ToSafe(q, Code.INVALID_QUANTITY, `initial_positions[${s}]`);
      const u = await auth.createUser({
        email: req.email,
        password: req.password,
        role,
        cash: int64ToSafe(req.initialCashMinor, Code.VALUE_OUT_OF_RANGE, 'initial_cash_minor'),
        positions,
      });
      done(null, { user: userMsg(u) });
    }),

    listUsers: unaryHandler(auth, spec('ListUsers'), async (_p, _req: unknown, _c, done) => {
      done(null, { users: (await auth.listUsers({ limit: 10_000 })).map(userMsg) });
    }),

    setUserLocked: unaryHandler(auth, spec('SetUserLocked'), async (_p, req: SetUserLockedRequest, _c, done) => {
      if (req.userId === '') throw new AurexError(Code.MISSING_FIELD, 'user_id is required');
      if (req.locked) await auth.lockUser(req.userId);
      else await auth.unlockUser(req.userId);
      done(null, { user: userMsg(await auth.getUser(req.userId)) });
    }),

    revokeSessions: unaryHandler(auth, spec('RevokeSessions'), async (_p, req: RevokeSessionsRequest, _c, done) => {
      if (req.userId === '') throw new AurexError(Code.MISSING_FIELD, 'user_id is required');
      done(null, { revoked: await auth.revokeSessions(req.userId) });
    }),

    enableTwoFactor: unaryHandler(auth, spec('EnableTwoFactor'), async (_p, req: EnableTwoFactorRequest, _c, done) => {
      if (req.userId === '') throw new AurexError(Code.MISSING_FIELD, 'user_id is required');
      const e = await auth.enableTotp(req.userId);
      done(null, { secret: e.secret, otpauthUri: e.otpauthUri });
    }),

    deposit: unaryHandler(auth, spec('Deposit'), async (_p, req: DepositRequest, _c, done) => {
      const accountId = accountIdOf(req.accountId);
      const amount = signedSafe(req.amountMinor, Code.VALUE_OUT_OF_RANGE, 'amount_minor');
      if (amount === 0) throw new AurexError(Code.MISSING_FIELD, 'amount_minor is required');
      const res = await run({ type: 'deposit', accountId, amount });
      done(null, accountOut(accountId, res.seq));
    }),

    adjustPosition: unaryHandler(auth, spec('AdjustPosition'), async (_p, req: AdjustPositionRequest, _c, done) => {
      const accountId = accountIdOf(req.accountId);
      const symbol = symbolConfig(exchange, req.symbol).symbol;
      const delta = signedSafe(req.delta, Code.INVALID_QUANTITY, 'delta');
      if (delta === 0) throw new AurexError(Code.MISSING_FIELD, 'delta is required');
      const res = await run({ type: 'adjustPosition', accountId, symbol, delta });
      done(null, accountOut(accountId, res.seq));
    }),

    getAccount: unaryHandler(auth, spec('GetAccount'), (_p, req: GetAccountRequest, _c, done) => {
      done(null, accountOut(accountIdOf(req.accountId), exchange.lastSeq()));
    }),

    haltSymbol: unaryHandler(auth, spec('HaltSymbol'), async (_p, req: SymbolRequest, _c, done) => {
      const cfg = symbolConfig(exchange, req.symbol);
      const res = await run({ type: 'halt', symbol: cfg.symbol });
      done(null, { symbol: symbolInfo(cfg, exchange.isHalted(cfg.symbol)), seq: B(res.seq) });
    }),

    resumeSymbol: unaryHandler(auth, spec('ResumeSymbol'), async (_p, req: SymbolRequest, _c, done) => {
      const cfg = symbolConfig(exchange, req.symbol);
      const res = await run({ type: 'resume', symbol: cfg.symbol });
      done(null, { symbol: symbolInfo(cfg, exchange.isHalted(cfg.symbol)), seq: B(res.seq) });
    }),

    addSymbol: unaryHandler(auth, spec('AddSymbol'), async (_p, req: AddSymbolRequest, _c, done) => {
      if (req.symbol === '') throw new AurexError(Code.MISSING_FIELD, 'symbol is required');
      if (!Number.isFinite(req.bandPercent)) throw new AurexError(Code.INVALID_CONFIG, 'band_percent must be finite');
      const config: SymbolConfig = {
        symbol: req.symbol,
        name: req.name,
        tickSize: int64ToSafe(req.tickSizeMinor, Code.INVALID_CONFIG, 'tick_size_minor'),
        lotSize: int64ToSafe(req.lotSize, Code.INVALID_CONFIG, 'lot_size'),
        referencePrice: int64ToSafe(req.referencePriceTicks, Code.INVALID_CONFIG, 'reference_price_ticks'),
        bandPercent: req.bandPercent,
        maxOrderQty: int64ToSafe(req.maxOrderQuantity, Code.INVALID_CONFIG, 'max_order_quantity'),
        maxOrderNotional: int64ToSafe(req.maxOrderNotionalMinor, Code.INVALID_CONFIG, 'max_order_notional_minor'),
        makerFeeBps: req.makerFeeBps,
        takerFeeBps: req.takerFeeBps,
      };
      if (Object.keys(req.indices).length) config.indices = { ...req.indices };
      const res = await run({ type: 'addSymbol', config });
      const cfg = exchange.symbol(req.symbol);
      if (cfg === undefined) throw serviceError(Code.INTERNAL, 'symbol not listed after addSymbol');
      done(null, { symbol: symbolInfo(cfg, exchange.isHalted(cfg.symbol)), seq: B(res.seq) });
    }),

    listSymbols: unaryHandler(auth, spec('ListSymbols'), (_p, _req: unknown, _c, done) => {
      done(null, { symbols: exchange.symbols().map((c) => symbolInfo(c, exchange.isHalted(c.symbol))) });
    }),

    cancelAllOrders: unaryHandler(auth, spec('CancelAllOrders'), async (_p, req: CancelAllOrdersRequest, _c, done) => {
      const accountId = accountIdOf(req.accountId);
      const cmd: Command = { type: 'massCancel', accountId, reason: Code.CANCEL_BY_ADMIN };
      if (req.symbol !== '') cmd.symbol = symbolConfig(exchange, req.symbol).symbol;
      const res = await run(cmd);
      done(null, { seq: B(res.seq), code: res.code });
    }),
  };
}
