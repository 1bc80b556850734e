/**
 * Crash test (server level): what a client can learn from the REAL server
 * process through its public API, normalised so that the gRPC answer, the TCP
 * answer and an independent journal replay can be compared field by field.
 *
 * One login per user (gRPC AuthService); the trading token is then used on a
 * gRPC channel and on a TCP session at the same time. Order lookups are
 * rationed per gateway because the server rate-limits query endpoints per user
 * (100 per minute by default, per process).
 */
import { credentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { AuthServiceClient } from '../../gen/aurex/auth/v1/auth.ts';
import {
  GetAccountRequest,
  ListOpenOrdersRequest,
  ListSymbolsRequest,
  OrderSide,
  OrderStatus,
  OrderStatusRequest,
  StockServiceClient,
  type GetAccountResponse,
  type OrderInfo,
} from '../../gen/aurex/stock/v1/stock.ts';
import { TcpClient } from '../../gateway-tcp/client.ts';
import type { OrderStatusMsg } from '../../gateway-tcp/codec.ts';
import type { AccountView } from '../../engine/core-api.ts';
import type { OrderView, Side } from '../../engine/types.ts';
import { bearer, call } from './grpc-harness.ts';

export type User = 'alice' | 'bob';
export type Via = 'grpc' | 'tcp';
export type Status = 'NEW' | 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELLED' | 'REJECTED' | 'EXPIRED';

export const USERS: readonly User[] = ['alice', 'bob'];
export const CREDENTIALS: Record<User, { email: string; password: string }> = {
  alice: { email: 'alice@demo.aurex', password: 'Alice-Demo-2025!' },
  bob: { email: 'bob@demo.aurex', password: 'Bob-Demo-2025!!' },
};
export const TERMINAL: ReadonlySet<Status> = new Set<Status>(['FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED']);
export const LIVE: ReadonlySet<Status> = new Set<Status>(['NEW', 'OPEN', 'PARTIALLY_FILLED']);

const STATUS_OF_WIRE: Partial<Record<OrderStatus, Status>> = {
  [OrderStatus.NEW]: 'NEW',
  [OrderStatus.OPEN]: 'OPEN',
  [OrderStatus.PARTIALLY_FILLED]: 'PARTIALLY_FILLED',
  [OrderStatus.FILLED]: 'FILLED',
  [OrderStatus.CANCELLED]: 'CANCELLED',
  [OrderStatus.REJECTED]: 'REJECTED',
  [OrderStatus.EXPIRED]: 'EXPIRED',
};

export function statusOfWire(s: OrderStatus): Status {
  const v = STATUS_OF_WIRE[s];
  if (v === undefined) throw new Error(`unexpected wire order status ${s}`);
  return v;
}

/**
 * One order as seen from outside. The original quantity is left out on purpose:
 * gRPC reports filled + remaining, TCP the engine's original quantity; both are
 * checked separately against what the client submitted.
 */
export interface SeenOrder {
  exchId: number;
  /** Undefined when the gateway cannot express it (TCP shows 0 for non-numeric ids). */
  cid: string | undefined;
  symbol: string;
  side: Side;
  price: number;
  filled: number;
  remaining: number;
  notional: number;
  status: Status;
  code: number;
  createdTs: number;
  updatedTs: number;
  lastSeq: number;
}

export interface SeenAccount {
  accountId: number;
  cash: number;
  reservedCash: number;
  availableCash: number;
  openOrders: number;
  positions: { symbol: string; shares: number; reserved: number; available: number }[];
}

const N = (v: bigint | number): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`unsafe integer ${String(v)}`);
  return n;
};

export function seenOfInfo(o: OrderInfo): SeenOrder {
  return {
    exchId: N(o.exchangeOrderId),
    cid: o.clientOrderId,
    symbol: o.symbol,
    side: o.side === OrderSide.BUY ? 'BUY' : 'SELL',
    price: N(o.priceTicks),
    filled: N(o.filledQuantity),
    remaining: N(o.remainingQuantity),
    notional: N(o.filledNotionalTicks),
    status: statusOfWire(o.status),
    code: o.code,
    createdTs: N(o.createdMs),
    updatedTs: N(o.updatedMs),
    lastSeq: N(o.lastSeq),
  };
}

export function seenOfTcp(m: OrderStatusMsg, symbolOf: (id: number) => string): SeenOrder {
  return {
    exchId: m.orderId,
    cid: m.clientOrderId === 0 ? undefined : String(m.clientOrderId),
    symbol: symbolOf(m.symbolId),
    side: m.side!,
    price: m.price,
    filled: m.filledQty,
    remaining: m.remainingQty,
    notional: m.filledNotionalTicks,
    status: m.status as Status,
    code: m.orderCode,
    createdTs: m.createdTs,
    updatedTs: m.updatedTs,
    lastSeq: m.lastSeq,
  };
}

export function seenOfView(o: OrderView): SeenOrder {
  return {
    exchId: o.orderId,
    cid: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    price: o.price,
    filled: o.filledQty,
    remaining: o.remainingQty,
    notional: o.filledNotionalTicks,
    status: o.status as Status,
    code: o.code,
    createdTs: o.createdTs,
    updatedTs: o.updatedTs,
    lastSeq: o.lastSeq,
  };
}

export function seenOfAccountResponse(a: GetAccountResponse): SeenAccount {
  return {
    accountId: N(a.accountId),
    cash: N(a.cashMinor),
    reservedCash: N(a.reservedCashMinor),
    availableCash: N(a.availableCashMinor),
    openOrders: a.openOrders,
    positions: a.positions
      .map((p) => ({ symbol: p.symbol, shares: N(p.shares), reserved: N(p.reserved), available: N(p.available) }))
      .filter((p) => p.shares !== 0 || p.reserved !== 0)
      .sort((x, y) => x.symbol.localeCompare(y.symbol)),
  };
}

export function seenOfAccountView(a: AccountView): SeenAccount {
  return {
    accountId: a.accountId,
    cash: a.cash,
    reservedCash: a.reservedCash,
    availableCash: a.availableCash,
    openOrders: a.openOrders,
    positions: a.positions
      .map((p) => ({ symbol: p.symbol, shares: p.shares, reserved: p.reserved, available: p.available }))
      .filter((p) => p.shares !== 0 || p.reserved !== 0)
      .sort((x, y) => x.symbol.localeCompare(y.symbol)),
  };
}

/** A user's two connections to one server process. */
export interface UserSession {
  user: User;
  token: string;
  md: Metadata;
  stock: StockServiceClient;
  tcp: TcpClient;
  accountId: number;
}

export interface ServerSessions {
  users: Record<User, UserSession>;
  auth: AuthServiceClient;
  close(): void;
}

/** Logs both users in over gRPC and opens a TCP session with each trading token. */
export async function openSessions(ports: { grpc: number; tcp: number }): Promise<ServerSessions> {
  const addr = `127.0.0.1:${ports.grpc}`;
  const auth = new AuthServiceClient(addr, credentials.createInsecure());
  const opened: UserSession[] = [];
  const close = () => {
    for (const s of opened) {
      s.tcp.destroy();
      s.stock.close();
    }
    auth.close();
  };
  try {
    const users = {} as Record<User, UserSession>;
    for (const user of USERS) {
      const c = CREDENTIALS[user];
      const res = await call(auth.login.bind(auth), { email: c.email, password: c.password, totpCode: '' });
      if (!res.tradingToken) throw new Error(`login of ${user} gave no trading token`);
      const stock = new StockServiceClient(addr, credentials.createInsecure());
      const md = bearer(res.tradingToken);
      const tcp = await TcpClient.open({ port: ports.tcp, token: res.tradingToken });
      const s: UserSession = { user, token: res.tradingToken, md, stock, tcp, accountId: tcp.loginResponse!.accountId };
      opened.push(s);
      users[user] = s;
    }
    return { users, auth, close };
  } catch (e) {
    close();
    throw e;
  }
}

export interface SymbolRef {
  symbol: string;
  ref: number;
  tick: number;
  lot: number;
}

export async function listSymbols(s: UserSession): Promise<SymbolRef[]> {
  const r = await call(s.stock.listSymbols.bind(s.stock), ListSymbolsRequest.fromPartial({}), s.md);
  return r.symbols.map((x) => ({ symbol: x.symbol, ref: N(x.referencePriceTicks), tick: N(x.tickSizeMinor), lot: N(x.lotSize) }));
}

export async function getAccount(s: UserSession): Promise<SeenAccount> {
  return seenOfAccountResponse(await call(s.stock.getAccount.bind(s.stock), GetAccountRequest.fromPartial({}), s.md));
}

export async function listOpenOrders(s: UserSession): Promise<SeenOrder[]> {
  const r = await call(s.stock.listOpenOrders.bind(s.stock), ListOpenOrdersRequest.fromPartial({}), s.md);
  return r.orders.map(seenOfInfo).sort((a, b) => a.exchId - b.exchId);
}

/** How an order is named in a lookup: by exchange id, or by client order id. */
export type OrderKey = { exchId: number } | { cid: string };

/**
 * Order lookups through both gateways, within the server's per-user query
 * limit (gRPC QueryOrderStatus and TCP QueryOrder are counted separately).
 */
export class OrderLookup {
  readonly used: Record<Via, number> = { grpc: 0, tcp: 0 };
  skipped = 0;
  constructor(
    private readonly s: UserSession,
    private readonly budget: Record<Via, number>,
  ) {}

  /** `null` = the server says there is no such order; `undefined` = no budget left. */
  async find(key: OrderKey, prefer: Via): Promise<SeenOrder | null | undefined> {
    const tcpOk = 'exchId' in key || /^[1-9]\d{0,15}$/.test(key.cid);
    const order: Via[] = prefer === 'tcp' ? ['tcp', 'grpc'] : ['grpc', 'tcp'];
    for (const via of order) {
      if (via === 'tcp' && !tcpOk) continue;
      if (this.used[via] >= this.budget[via]) continue;
      this.used[via]++;
      return via === 'grpc' ? this.viaGrpc(key) : this.viaTcp(key);
    }
    this.skipped++;
    return undefined;
  }

  private async viaGrpc(key: OrderKey): Promise<SeenOrder | null> {
    const req = OrderStatusRequest.fromPartial('exchId' in key ? { exchangeOrderId: BigInt(key.exchId) } : { orderId: key.cid });
    try {
      const r = await call(this.s.stock.orderStatus.bind(this.s.stock), req, this.s.md);
      return seenOfInfo(r.order!);
    } catch (e) {
      const reason = (e as ServiceError).metadata?.get('x-aurex-reason')?.[0];
      if (reason === 'UNKNOWN_ORDER') return null;
      throw e;
    }
  }

  private async viaTcp(key: OrderKey): Promise<SeenOrder | null> {
    const tcp = this.s.tcp;
    const m = await tcp.queryOrder('exchId' in key ? { orderId: key.exchId } : { clientOrderId: Number(key.cid) });
    if (m.code !== 0) {
      if (m.orderId === 0) return null;
      throw new Error(`TCP order query answered code ${m.code}`);
    }
    return seenOfTcp(m, (id) => tcp.symbolsById.get(id)?.symbol ?? `#${id}`);
  }
}
