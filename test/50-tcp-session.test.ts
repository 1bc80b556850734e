/**
 * The TCP gateway against a real ExchangeCore and AuthManager over real
 * sockets on 127.0.0.1: login, orders, rejects, framing errors, pipelining,
 * revocation, heartbeats, cancel-on-disconnect, resume, market data, flow control.
 */
import { expect } from 'chai';
import net from 'node:net';
import { AurexError, Code, codeName } from '../engine/codes.ts';
import type { SymbolConfig } from '../engine/types.ts';
import {
  decodeMessage,
  encodeCancel,
  encodeLogin,
  encodeOrderSubmit,
  encodeReplace,
  FRAME_SIZE,
  sizeOfLogin,
  type ExecutionReportMsg,
  type Message,
  type OrderSubmitMsg,
} from '../gateway-tcp/codec.ts';
import { TcpClient, TcpRequestError } from '../gateway-tcp/client.ts';
import { FrameDecoder } from '../gateway-tcp/frame-decoder.ts';
import { MsgType, PROTOCOL_VERSION } from '../gateway-tcp/protocol.ts';
import { TcpStack, waitFor, within, type TestUser } from './support/tcp-harness.ts';

const SYMBOLS: SymbolConfig[] = [
  {
    symbol: 'AAA',
    name: 'Triple A',
    tickSize: 1,
    lotSize: 1,
    referencePrice: 10_000,
    bandPercent: 10,
    maxOrderQty: 1_000_000,
    maxOrderNotional: 100_000_000_000,
  },
  {
    symbol: 'LOTS',
    name: 'Round lots',
    tickSize: 5,
    lotSize: 100,
    referencePrice: 5_000,
    bandPercent: 10,
    maxOrderQty: 100_000,
    maxOrderNotional: 100_000_000_000,
  },
];

type MsgOf<T> = Extract<Message, { type: T }>['msg'];

/** A raw connection that records every decoded message (for exact protocol assertions). */
class RawPeer {
  readonly messages: Message[] = [];
  closed = false;
  readonly decoder: FrameDecoder;
  private constructor(readonly socket: net.Socket) {
    this.decoder = new FrameDecoder(
      (t, b, o, l) => {
        const r = decodeMessage(t, b, o, l);
        if (!r.ok) throw new Error(`server sent an undecodable ${t}: ${codeName(r.code)}`);
        this.messages.push(r.message);
      },
      (c) => {
        throw new Error(`server framing error ${c}`);
      },
    );
    socket.on('data', (c: Buffer) => this.decoder.push(c));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }
  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  send(b: Buffer): void {
    this.socket.write(b);
  }
  async login(token: string, extra: { heartbeatMs?: number; version?: number } = {}): Promise<void> {
    const m = {
      version: extra.version ?? PROTOCOL_VERSION,
      cancelOnDisconnect: false,
      resume: false,
      heartbeatMs: extra.heartbeatMs ?? 0,
      cancelGraceMs: 0,
      resumeFromSeq: 0,
      token,
    };
    const b = Buffer.alloc(sizeOfLogin(m));
    encodeLogin(b, 0, m);
    this.send(b);
    await waitFor(() => this.messages.some((x) => x.type === MsgType.SymbolDirectory && x.msg.last) || this.closed, 5000, 'login');
  }
  of<T extends Message['type']>(type: T): MsgOf<T>[] {
    const out: MsgOf<T>[] = [];
    for (const m of this.messages) if (m.type === type) out.push(m.msg as MsgOf<T>);
    return out;
  }
  destroy(): void {
    this.socket.destroy();
  }
}

function frame(type: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(5 + payload.length);
  f.writeUInt32LE(payload.length + 1, 0);
  f[4] = type;
  payload.copy(f, 5);
  return f;
}

function submitFrame(m: Partial<OrderSubmitMsg> & { clientOrderId: number }): Buffer {
  const b = Buffer.alloc(45);
  encodeOrderSubmit(b, 0, { price: 10_000, qty: 10, stopPrice: 0, symbolId: 1, side: 'BUY', kind: 'LIMIT', postOnly: false, ...m });
  return b;
}

async function expectRejected(p: Promise<unknown>, code: Code): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(AurexError);
    expect(codeName((e as AurexError).code)).to.equal(codeName(code));
    return;
  }
  expect.fail(`expected ${codeName(code)}`);
}

describe('50 tcp session (live gateway, real engine and auth)', function () {
  let stack: TcpStack;
  let alice: TestUser;
  let bob: TestUser;
  const clients: TcpClient[] = [];
  const peers: RawPeer[] = [];

  async function client(u: TestUser, login: Parameters<TcpStack['client']>[1] = {}): Promise<TcpClient> {
    const c = await stack.client(u, login);
    clients.push(c);
    return c;
  }
  async function raw(): Promise<RawPeer> {
    const p = await RawPeer.connect(stack.port);
    peers.push(p);
    return p;
  }

  before(async () => {
    stack = await TcpStack.start({
      core: { market: { symbols: SYMBOLS, indices: [] } },
      gateway: { minHeartbeatMs: 20, closeTimeoutMs: 300, loginTimeoutMs: 2000 },
    });
    alice = await stack.user('alice');
    bob = await stack.user('bob');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
    for (const p of peers.splice(0)) p.destroy();
  });
  after(async () => {
    await stack?.stop();
  });

  it('logs in, sends the symbol directory, acknowledges an order once and streams its execution report', async () => {
    const c = await client(alice);
    expect(c.loginResponse!.code).to.equal(Code.OK);
    expect(c.loginResponse!.accountId).to.equal(alice.accountId);
    expect([...c.symbols.keys()]).to.deep.equal(['AAA', 'LOTS']);
    expect(c.symbols.get('LOTS')).to.include({ tickSize: 5, lotSize: 100 });
    const reports: ExecutionReportMsg[] = [];
    c.on('execReport', (r: ExecutionReportMsg) => reports.push(r));
    const ack = await c.submit({ clientOrderId: 101, symbol: 'AAA', side: 'BUY', price: 9_990, qty: 5 });
    expect(ack).to.include({ code: Code.OK, corrId: 101, reqType: MsgType.OrderSubmit, status: 'OPEN', qty: 5, remainingQty: 5 });
    expect(ack.orderId).to.be.greaterThan(0);
    await waitFor(() => reports.length >= 1, 5000, 'exec report');
    expect(reports[0]).to.include({ kind: 'ACCEPTED', clientOrderId: 101, orderId: ack.orderId, symbolId: 1, side: 'BUY' });
    expect(reports[0]!.accountSeq).to.be.greaterThan(0);
    const st = await c.queryOrder({ clientOrderId: 101 });
    expect(st).to.include({ code: Code.OK, orderId: ack.orderId, status: 'OPEN', price: 9_990, qty: 5, symbolId: 1 });
    const byId = await c.queryOrder({ orderId: ack.orderId });
    expect(byId.clientOrderId).to.equal(101);
    const missing = await c.queryOrder({ clientOrderId: 999_999 });
    expect(missing.code).to.equal(Code.UNKNOWN_ORDER);
  });

  it('matches crossing orders: fills on both sides, replace and cancel', async () => {
    const a = await client(alice);
    const b = await client(bob);
    const fillsA: ExecutionReportMsg[] = [];
    const fillsB: ExecutionReportMsg[] = [];
    a.on('execReport', (r: ExecutionReportMsg) => r.kind === 'FILL' && fillsA.push(r));
    b.on('execReport', (r: ExecutionReportMsg) => r.kind === 'FILL' && fillsB.push(r));
    const sell = await a.submit({ clientOrderId: 201, symbol: 'AAA', side: 'SELL', price: 10_050, qty: 30 });
    expect(sell.code).to.equal(Code.OK);
    const buy = await b.submit({ clientOrderId: 202, symbol: 'AAA', side: 'BUY', price: 10_050, qty: 10 });
    expect(buy).to.include({ code: Code.OK, status: 'FILLED', filledQty: 10 });
    await waitFor(() => fillsA.length === 1 && fillsB.length === 1, 5000, 'fills');
    expect(fillsA[0]).to.include({ lastPrice: 10_050, lastQty: 10, liquidity: 'MAKER', clientOrderId: 201 });
    expect(fillsB[0]).to.include({ lastPrice: 10_050, lastQty: 10, liquidity: 'TAKER', clientOrderId: 202 });
    expect(fillsA[0]!.tradeId).to.equal(fillsB[0]!.tradeId);

    const rep = await a.replace({ clientOrderId: 201, price: 10_060, qty: 15 });
    expect(rep).to.include({ code: Code.OK, reqType: MsgType.Replace, price: 10_060, remainingQty: 15 });
    const can = await a.cancel({ orderId: sell.orderId });
    expect(can).to.include({ code: Code.OK, reqType: MsgType.Cancel, status: 'CANCELLED' });
    const again = await a.cancel({ orderId: sell.orderId });
    expect(again.code).to.not.equal(Code.OK);
    const unknown = await a.cancel({ clientOrderId: 424242 });
    expect(codeName(unknown.code)).to.equal('UNKNOWN_ORDER');
  });

  it('puts the right wire client order id in reports of orders this session did and did not submit', async () => {
    const a = await client(alice);
    const reports: ExecutionReportMsg[] = [];
    a.on('execReport', (r: ExecutionReportMsg) => reports.push(r));
    // Orders of the same account entered elsewhere (another gateway): a decimal id reads as its u64, another as 0.
    const viaEngine = async (clientOrderId: string, price: number): Promise<number> => {
      const r = await stack.core.executeAsync({ type: 'new', accountId: alice.accountId, clientOrderId, symbol: 'AAA', side: 'BUY', kind: 'LIMIT', price, qty: 1 });
      expect(r.code).to.equal(Code.OK);
      return r.order!.orderId;
    };
    const numeric = await viaEngine('7001', 9_501);
    const text = await viaEngine('grpc-order-1', 9_502);
    // Enough orders in flight at once that the session's pending ring and its order id -> client order id cache grow.
    const mine: { orderId: number; cid: number }[] = [];
    const acks = await Promise.all(
      Array.from({ length: 2500 }, (_, i) => a.submit({ clientOrderId: 80_000 + 3 * i, symbol: 'AAA', side: 'BUY', price: 9_503 + (i % 20), qty: 1 })),
    );
    acks.forEach((ack, i) => mine.push({ orderId: ack.orderId, cid: 80_000 + 3 * i }));
    for (const id of [numeric, text, ...mine.slice(0, 5).map((m) => m.orderId)]) expect((await a.cancel({ orderId: id })).code).to.equal(Code.OK);
    await waitFor(() => reports.filter((r) => r.kind === 'CANCELLED').length === 7, 5000, 'cancel reports');
    const cidOf = new Map<number, number>([[numeric, 7001], [text, 0], ...mine.map((m): [number, number] => [m.orderId, m.cid])]);
    for (const r of reports) expect(r.clientOrderId, `order ${r.orderId} ${r.kind}`).to.equal(cidOf.get(r.orderId));
    expect(reports.filter((r) => r.kind === 'ACCEPTED')).to.have.length(2502);
    // leave the book as the later tests expect it
    const left = await Promise.all(mine.slice(5).map((m) => stack.core.executeAsync({ type: 'cancel', accountId: alice.accountId, orderId: m.orderId })));
    expect(left.every((r) => r.code === Code.OK)).to.equal(true);
  });

  it('answers bad requests with a Reject carrying the type, code and correlation id; nothing reaches the engine', async () => {
    const p = await raw();
    await p.login(alice.token);
    const seq0 = stack.core.lastSeq();
    const cases: [Buffer, number, Code, number][] = [
      [frame(0x7a, Buffer.alloc(8)), 0x7a, Code.UNKNOWN_MESSAGE_TYPE, 0],
      [frame(MsgType.OrderResponse, Buffer.alloc(72)), MsgType.OrderResponse, Code.UNKNOWN_MESSAGE_TYPE, 0],
      [submitFrame({ clientOrderId: 301 }).subarray(0, 40), MsgType.OrderSubmit, Code.MALFORMED_FRAME, 301], // short (length fixed below)
      [frame(MsgType.OrderSubmit, Buffer.concat([submitFrame({ clientOrderId: 302 }).subarray(5), Buffer.alloc(1)])), MsgType.OrderSubmit, Code.MALFORMED_FRAME, 302],
      [submitFrame({ clientOrderId: 303, symbolId: 99 }), MsgType.OrderSubmit, Code.UNKNOWN_SYMBOL, 303],
      [submitFrame({ clientOrderId: 304, price: 2 ** 31 }), MsgType.OrderSubmit, Code.INVALID_PRICE, 304],
      [submitFrame({ clientOrderId: 305, price: 0 }), MsgType.OrderSubmit, Code.INVALID_PRICE, 305],
      [submitFrame({ clientOrderId: 306, qty: 0 }), MsgType.OrderSubmit, Code.QUANTITY_NOT_POSITIVE, 306],
      [submitFrame({ clientOrderId: 307, symbolId: 2, price: 5_000, qty: 150 }), MsgType.OrderSubmit, Code.QUANTITY_OFF_LOT, 307],
      [submitFrame({ clientOrderId: 308, qty: 2_000_000 }), MsgType.OrderSubmit, Code.QUANTITY_ABOVE_MAX, 308],
      [submitFrame({ clientOrderId: 0 }), MsgType.OrderSubmit, Code.INVALID_CLIENT_ORDER_ID, 0],
      [submitFrame({ clientOrderId: 309, kind: 'IOC', postOnly: true }), MsgType.OrderSubmit, Code.INVALID_ORDER_TYPE, 309],
      [submitFrame({ clientOrderId: 310, stopPrice: 5 }), MsgType.OrderSubmit, Code.INVALID_STOP_PRICE, 310],
      [frame(MsgType.Cancel, Buffer.alloc(24)), MsgType.Cancel, Code.MISSING_FIELD, 0],
      [frame(MsgType.Heartbeat, Buffer.alloc(3)), MsgType.Heartbeat, Code.MALFORMED_FRAME, 0],
      [frame(MsgType.Login, Buffer.alloc(30)), MsgType.Login, Code.ALREADY_LOGGED_IN, 0],
    ];
    // Case 3: a 40-byte frame whose Length claims 40 (one byte short of the 41 an Order Submit needs).
    cases[2]![0].writeUInt32LE(35, 0);
    const shortFrame = cases[2]![0].subarray(0, 39);
    cases[2]![0] = shortFrame;
    // Invalid enum: side 3.
    const badSide = submitFrame({ clientOrderId: 311 });
    badSide[5 + 34] = 3;
    cases.push([badSide, MsgType.OrderSubmit, Code.INVALID_ENUM, 311]);
    // u64 above 2^53 - 1 in the price.
    const huge = submitFrame({ clientOrderId: 312 });
    huge.writeUInt32LE(0xffffffff, 5 + 12);
    cases.push([huge, MsgType.OrderSubmit, Code.VALUE_OUT_OF_RANGE, 312]);

    for (const [bytes] of cases) p.send(bytes);
    await waitFor(() => p.of(MsgType.Reject).length >= cases.length, 5000, 'rejects');
    const rejects = p.of(MsgType.Reject);
    expect(rejects.length).to.equal(cases.length);
    for (let i = 0; i < cases.length; i++) {
      const [, refType, code, corrId] = cases[i]!;
      expect({ i, refType: rejects[i]!.refType, code: codeName(rejects[i]!.code), corrId: rejects[i]!.corrId }).to.deep.equal({
        i,
        refType,
        code: codeName(code),
        corrId,
      });
    }
    expect(stack.core.lastSeq(), 'no command reached the engine').to.equal(seq0);
    // The session goes on.
    p.send(submitFrame({ clientOrderId: 320, price: 9_500 }));
    await waitFor(() => p.of(MsgType.OrderResponse).length === 1, 5000, 'ack');
    expect(p.of(MsgType.OrderResponse)[0]).to.include({ corrId: 320, code: Code.OK });
    expect(p.closed).to.equal(false);
  });

  it('refuses anything before Login with Error NOT_LOGGED_IN and closes', async () => {
    const p = await raw();
    p.send(submitFrame({ clientOrderId: 1 }));
    await waitFor(() => p.closed, 5000, 'close');
    expect(p.messages).to.deep.equal([{ type: MsgType.Error, msg: { code: Code.NOT_LOGGED_IN, refType: MsgType.OrderSubmit } }]);
  });

  it('answers framing errors with Error and a close, before and after login', async () => {
    const p = await raw();
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(0x7fffffff, 0);
    p.send(bad);
    await waitFor(() => p.closed, 5000, 'close');
    expect(p.messages).to.deep.equal([{ type: MsgType.Error, msg: { code: Code.MESSAGE_TOO_LARGE, refType: 0 } }]);

    const q = await raw();
    await q.login(alice.token);
    q.send(Buffer.from([0, 0, 0, 0, 1]));
    await waitFor(() => q.closed, 5000, 'close');
    expect(q.of(MsgType.Error)).to.deep.equal([{ code: Code.BAD_FRAME_LENGTH, refType: 0 }]);
  });

  it('refuses a bad token, a malformed login and an unsupported version', async () => {
    await expectRejected(TcpClient.open({ port: stack.port, token: 'not-a-real-token-at-all' }), Code.TOKEN_MALFORMED);
    await expectRejected(TcpClient.open({ port: stack.port, token: 'A'.repeat(43) }), Code.UNAUTHENTICATED);
    await expectRejected(TcpClient.open({ port: stack.port, token: alice.token, version: 99 }), Code.UNSUPPORTED_PROTOCOL_VERSION);
    const p = await raw();
    p.send(frame(MsgType.Login, Buffer.alloc(10)));
    await waitFor(() => p.closed, 5000, 'close');
    expect(p.of(MsgType.Error)).to.deep.equal([{ code: Code.MALFORMED_FRAME, refType: MsgType.Login }]);
  });

  it('serves pipelined requests (including ones sent right behind the Login) with exactly one answer each', async () => {
    const p = await raw();
    const m = { version: 1, cancelOnDisconnect: false, resume: false, heartbeatMs: 0, cancelGraceMs: 0, resumeFromSeq: 0, token: alice.token };
    const login = Buffer.alloc(sizeOfLogin(m));
    encodeLogin(login, 0, m);
    const n = 3000;
    const orders: Buffer[] = [];
    for (let i = 0; i < n; i++) orders.push(submitFrame({ clientOrderId: 10_000 + i, price: 9_500 + (i % 50), qty: 1 }));
    p.send(Buffer.concat([login, ...orders]));
    await waitFor(() => p.of(MsgType.OrderResponse).length >= n, 10_000, 'acks');
    const acks = p.of(MsgType.OrderResponse);
    expect(acks.length).to.equal(n);
    expect(acks.map((a) => a.corrId)).to.deep.equal(orders.map((_, i) => 10_000 + i));
    expect(acks.every((a) => a.code === Code.OK)).to.equal(true);

    // Through the client library, 2000 in flight at once.
    const c = await client(bob);
    const acks2 = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => c.submit({ clientOrderId: 50_000 + i, symbol: 'AAA', side: 'SELL', price: 10_600 - (i % 50), qty: 1 })),
    );
    expect(new Set(acks2.map((a) => a.corrId)).size).to.equal(2000);
    expect(acks2.every((a) => a.code === Code.OK)).to.equal(true);
    expect(c.inFlight).to.equal(0);
  });

  it('ends the session with Logout TOKEN_REVOKED when the token is revoked', async () => {
    const carol = await stack.user('carol');
    const c = await client(carol);
    const logout = new Promise<number>((r) => c.once('logout', r));
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await stack.auth.revokeSessions(carol.email);
    expect(await within(logout, 3000, 'logout')).to.equal(Code.TOKEN_REVOKED);
    await within(closed, 3000, 'close');
    // A new login replaces the previous token: the old session ends the same way.
    const d = await client(carol, { token: await stack.relogin(carol) });
    const ended = new Promise<number>((r) => d.once('logout', r));
    await stack.relogin(carol);
    expect(await within(ended, 3000, 'logout')).to.equal(Code.TOKEN_REVOKED);
  });

  it('ends the session with Logout TOKEN_EXPIRED when the trading token expires', async () => {
    let now = Date.now();
    const timed = await TcpStack.start({ core: { market: { symbols: SYMBOLS, indices: [] } }, clock: () => now });
    try {
      const u = await timed.user('expiring');
      const c = await timed.client(u);
      const logout = new Promise<number>((r) => c.once('logout', r));
      now += 9 * 3600_000; // past the 8 h trading-token lifetime
      expect(await within(logout, 3000, 'logout')).to.equal(Code.TOKEN_EXPIRED);
      await waitFor(() => c.closed, 3000, 'close');
      // Refused again (the in-process store may already have purged the long-expired token).
      const err = await timed.client(u).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(AurexError);
      expect(['TOKEN_EXPIRED', 'UNAUTHENTICATED']).to.include(codeName((err as AurexError).code));
    } finally {
      await timed.stop();
    }
  });

  it('disconnects a silent peer with Logout HEARTBEAT_TIMEOUT, keeps a heartbeating one', async () => {
    const p = await raw();
    await p.login(alice.token, { heartbeatMs: 30 });
    expect(p.of(MsgType.LoginResponse)[0]).to.include({ code: Code.OK, heartbeatMs: 30, timeoutMs: 90 });
    const c = await client(bob, { heartbeatMs: 30 });
    await waitFor(() => p.closed, 5000, 'silent peer closed');
    expect(p.of(MsgType.Logout)).to.deep.equal([{ code: Code.HEARTBEAT_TIMEOUT }]);
    expect(p.of(MsgType.Heartbeat).length).to.be.greaterThan(0);
    // The library heartbeats on its own: still served after the silent one was dropped.
    expect(c.closed).to.equal(false);
    const ack = await c.submit({ symbol: 'AAA', side: 'BUY', price: 9_500, qty: 1 });
    expect(ack.code).to.equal(Code.OK);
  });

  it('cancels open orders on disconnect after the grace period when asked to, and only then', async () => {
    const dave = await stack.user('dave');
    const c = await client(dave, { cancelOnDisconnect: true, cancelGraceMs: 30 });
    expect(c.loginResponse).to.include({ cancelOnDisconnect: true, cancelGraceMs: 30 });
    const a = await c.submit({ clientOrderId: 1, symbol: 'AAA', side: 'BUY', price: 9_500, qty: 3 });
    c.destroy();
    await waitFor(() => stack.core.getOrder(dave.accountId, { orderId: a.orderId })?.status === 'CANCELLED', 5000, 'cancel on disconnect');
    expect(codeName(stack.core.getOrder(dave.accountId, { orderId: a.orderId })!.code)).to.equal('CANCEL_ON_DISCONNECT');

    // Clean Logout: orders stay. No opt-in: orders stay.
    const d = await client(dave, { cancelOnDisconnect: true });
    const b = await d.submit({ clientOrderId: 2, symbol: 'AAA', side: 'BUY', price: 9_500, qty: 3 });
    await d.logout();
    const e = await client(dave);
    const f = await e.submit({ clientOrderId: 3, symbol: 'AAA', side: 'BUY', price: 9_500, qty: 3 });
    e.destroy();
    // A later COD session's disconnect proves earlier ones had their chance to act.
    const g = await client(dave, { cancelOnDisconnect: true, cancelGraceMs: 0 });
    const h = await g.submit({ clientOrderId: 4, symbol: 'AAA', side: 'BUY', price: 9_500, qty: 3 });
    expect(stack.core.getOrder(dave.accountId, { orderId: b.orderId })!.status).to.equal('OPEN');
    expect(stack.core.getOrder(dave.accountId, { orderId: f.orderId })!.status).to.equal('OPEN');
    g.destroy();
    await waitFor(() => stack.core.getOrder(dave.accountId, { orderId: h.orderId })?.status === 'CANCELLED', 5000, 'mass cancel');
  });

  it('resumes execution reports from a sequence after reconnecting', async () => {
    const erin = await stack.user('erin');
    const c = await client(erin);
    const seen: ExecutionReportMsg[] = [];
    c.on('execReport', (r: ExecutionReportMsg) => seen.push(r));
    for (let i = 0; i < 10; i++) await c.submit({ clientOrderId: 700 + i, symbol: 'AAA', side: 'BUY', price: 9_500 + i, qty: 1 });
    await waitFor(() => seen.length === 10, 5000, 'reports');
    const seqs = seen.map((r) => r.accountSeq);
    expect(seqs).to.deep.equal([...seqs].sort((x, y) => x - y));
    expect(c.lastExecSeq).to.equal(seqs[9]);
    c.destroy();

    const from = seqs[3]!;
    const r = await TcpClient.connect({ port: stack.port });
    clients.push(r);
    const replay: ExecutionReportMsg[] = [];
    r.on('execReport', (x: ExecutionReportMsg) => replay.push(x));
    await r.login({ token: erin.token, resumeFromSeq: from });
    await waitFor(() => replay.length === 6, 5000, 'replay');
    expect(replay.map((x) => x.accountSeq)).to.deep.equal(seqs.slice(4));
    expect(replay.map((x) => x.clientOrderId)).to.deep.equal([704, 705, 706, 707, 708, 709]);
    // Live ones continue the sequence.
    await r.submit({ clientOrderId: 800, symbol: 'AAA', side: 'BUY', price: 9_500, qty: 1 });
    await waitFor(() => replay.length === 7, 5000, 'live');
    expect(replay[6]!.accountSeq).to.equal(seqs[9]! + 1);

    const all = await TcpClient.connect({ port: stack.port });
    clients.push(all);
    const every: ExecutionReportMsg[] = [];
    all.on('execReport', (x: ExecutionReportMsg) => every.push(x));
    await all.login({ token: erin.token, resumeFromSeq: 0 });
    await waitFor(() => every.length === 11, 5000, 'full replay');
  });

  it('streams market data: a snapshot first, then updates with trades; unknown symbols are rejected', async () => {
    const c = await client(alice);
    const t = await client(bob);
    const snap = await c.subscribe('AAA', 5);
    expect(snap.snapshot).to.equal(true);
    expect(snap.symbolId).to.equal(1);
    const updates: Message['msg'][] = [];
    c.on('marketData', (u) => updates.push(u));
    await t.submit({ symbol: 'AAA', side: 'SELL', price: 9_990, qty: 2 });
    await waitFor(
      () => updates.some((u) => 'trades' in u && u.trades.length > 0),
      5000,
      'trade update',
    );
    const withTrade = updates.find((u) => 'trades' in u && u.trades.length > 0) as { trades: { price: number }[]; prevMdSeq: number; snapshot: boolean };
    expect(withTrade.snapshot).to.equal(false);
    expect(withTrade.prevMdSeq).to.be.greaterThan(0);
    await expectRejected(c.subscribe(77), Code.UNKNOWN_SYMBOL);
  });

  it('bounds a client that does not read: reading pauses, nothing is lost, and it catches up', async function () {
    const small = await TcpStack.start({
      core: { market: { symbols: SYMBOLS, indices: [] } },
      gateway: { highWaterBytes: 32 * 1024, hardLimitBytes: 64 * 1024 * 1024 },
    });
    try {
      const u = await small.user('slow');
      const c = await small.client(u);
      c.socket.pause(); // stop reading
      const seq0 = small.core.lastSeq();
      let sent = 0;
      let acked = 0;
      let stalled = false;
      // The kernel's socket buffers take a varying share of the answers first (seen: those of 20k
      // to over 60k orders), so orders go in batches until the server has stopped taking them.
      while (!stalled && sent < 400_000) {
        for (const end = sent + 10_000; sent < end; sent++) {
          const i = sent;
          c.submitCb({ clientOrderId: i + 1, symbol: 'AAA', side: i % 2 ? 'BUY' : 'SELL', price: i % 2 ? 9_000 : 11_000, qty: 1 }, (err) => {
            if (!err) acked++;
          });
        }
        let before = -1;
        for (;;) {
          await new Promise((r) => setTimeout(r, 100));
          const now = small.core.lastSeq();
          if (now === before) break;
          before = now;
        }
        // Settled with orders still unread: the server stopped reading from us (its output to us passed the high-water mark).
        stalled = small.core.lastSeq() - seq0 < sent;
      }
      expect(stalled, 'the server stopped taking orders from a client that does not read').to.equal(true);
      c.socket.resume();
      await waitFor(() => acked === sent, 60_000, 'all acks');
      expect(c.inFlight).to.equal(0);
      c.destroy();
    } finally {
      await small.stop();
    }
  });

  it('disconnects a slow consumer past the hard limit with SLOW_CONSUMER and keeps serving others', async function () {
    const small = await TcpStack.start({
      core: { market: { symbols: SYMBOLS, indices: [] } },
      gateway: { highWaterBytes: 16 * 1024, hardLimitBytes: 256 * 1024 },
    });
    try {
      const slowUser = await small.user('slow2');
      const fastUser = await small.user('fast2');
      const slow = await small.client(slowUser);
      const maker = await slow.submit({ clientOrderId: 1, symbol: 'AAA', side: 'SELL', price: 10_000, qty: 1_000_000 });
      expect(maker.code).to.equal(Code.OK);
      slow.socket.pause();
      const fast = await small.client(fastUser);
      // Every fill produces an execution report for the slow account that it never reads.
      let sent = 0;
      while (!slow.closed && sent < 400_000) {
        const batch: Promise<unknown>[] = [];
        for (let i = 0; i < 2000; i++) batch.push(fast.submit({ clientOrderId: ++sent, symbol: 'AAA', side: 'BUY', price: 10_000, qty: 1 }));
        await Promise.all(batch);
        // Let the slow client's socket report the close.
        await new Promise((r) => setImmediate(r));
      }
      await waitFor(() => small.gateway.stats().slowConsumers === 1, 10_000, 'slow consumer dropped');
      expect(small.gateway.stats().slowConsumers).to.equal(1);
      const ack = await fast.submit({ symbol: 'AAA', side: 'BUY', price: 9_000, qty: 1 });
      expect(ack.code).to.equal(Code.OK);
      fast.destroy();
      slow.destroy();
    } finally {
      await small.stop();
    }
  });

  it('rejects orders beyond the auth rate limit with RATE_LIMITED and orders of a readonly user with PERMISSION_DENIED', async () => {
    const limited = await TcpStack.start({ core: { market: { symbols: SYMBOLS, indices: [] } }, ordersPerSecond: 5 });
    try {
      const u = await limited.user('ratey');
      const c = await limited.client(u);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => c.submit({ clientOrderId: i + 1, symbol: 'AAA', side: 'BUY', price: 9_000, qty: 1 })),
      );
      const limitedCount = results.filter(
        (r) => r.status === 'rejected' && r.reason instanceof TcpRequestError && r.reason.code === Code.RATE_LIMITED,
      ).length;
      expect(limitedCount).to.be.greaterThan(0);
      expect(results.filter((r) => r.status === 'fulfilled').length).to.be.at.most(6);
      const ro = await limited.user('reader', { role: 'readonly', cash: 0 });
      const rc = await limited.client(ro);
      await expectRejected(rc.submit({ symbol: 'AAA', side: 'BUY', price: 9_000, qty: 1 }), Code.PERMISSION_DENIED);
      c.destroy();
      rc.destroy();
    } finally {
      await limited.stop();
    }
  });

  it('closes every session with Logout SHUTTING_DOWN on close()', async () => {
    const other = await TcpStack.start({ core: { market: { symbols: SYMBOLS, indices: [] } } });
    const u = await other.user('bye');
    const c = await other.client(u);
    const logout = new Promise<number>((r) => c.once('logout', r));
    await other.stop();
    expect(await within(logout, 3000)).to.equal(Code.SHUTTING_DOWN);
    expect(c.closed).to.equal(true);
  });
  it('pairs every engine answer with its request across interleaved submits, cancels, replaces and gateway rejects', async () => {
    // The session keeps the requests in flight in a ring (64 slots to start): the first round moves
    // its head, the second wraps it and grows it while commands of several engine groups are pending.
    // Buy prices inside the band of any last price earlier tests leave (AAA trades near 10_000-10_050).
    const p = await raw();
    await p.login(alice.token);
    const first = 40;
    const round1: Buffer[] = [];
    for (let i = 0; i < first; i++) round1.push(submitFrame({ clientOrderId: 60_000 + i, price: 9_500 + i, qty: 2 }));
    p.send(Buffer.concat(round1));
    await waitFor(() => p.of(MsgType.OrderResponse).length >= first, 5000, 'first acks');
    const firstAcks = p.of(MsgType.OrderResponse);
    expect(firstAcks.map((a) => codeName(a.code))).to.deep.equal(Array(first).fill('OK'));
    const placed = new Map(firstAcks.map((a) => [a.corrId, a.orderId]));
    expect(placed.size).to.equal(first);

    type Want = { corrId: number; reqType: number; code: string; orderId?: number; price?: number } | { reject: number; code: string };
    const want: Want[] = [];
    const ordered: Buffer[] = [];
    for (let i = 0; i < 160; i++) {
      const corrId = 70_000 + i;
      switch (i % 5) {
        case 0: // a new order
          ordered.push(submitFrame({ clientOrderId: corrId, price: 9_600, qty: 1 }));
          want.push({ corrId, reqType: MsgType.OrderSubmit, code: 'OK' });
          break;
        case 1: // refused by the gateway: takes no slot
          ordered.push(submitFrame({ clientOrderId: corrId, price: 0 }));
          want.push({ reject: corrId, code: 'INVALID_PRICE' });
          break;
        case 2: {
          // cancel one of the first round's orders, by its client order id
          const orig = 60_000 + (i - 2) / 5; // each first-round order once
          const f = Buffer.alloc(FRAME_SIZE.Cancel);
          encodeCancel(f, 0, { corrId, orderId: 0, origClientOrderId: orig });
          ordered.push(f);
          want.push({ corrId, reqType: MsgType.Cancel, code: 'OK', orderId: placed.get(orig) });
          break;
        }
        case 3: {
          const f = Buffer.alloc(FRAME_SIZE.Cancel);
          encodeCancel(f, 0, { corrId, orderId: 0, origClientOrderId: 999_999 });
          ordered.push(f);
          want.push({ corrId, reqType: MsgType.Cancel, code: 'UNKNOWN_ORDER' });
          break;
        }
        default: {
          // replace the order this round placed five requests ago
          const f = Buffer.alloc(FRAME_SIZE.Replace);
          encodeReplace(f, 0, { corrId, orderId: 0, origClientOrderId: corrId - 4, price: 9_700 + i, qty: 1 });
          ordered.push(f);
          want.push({ corrId, reqType: MsgType.Replace, code: 'OK', price: 9_700 + i });
        }
      }
    }
    // One write of 100 requests (80 engine commands in flight at once, past the ring's end and its
    // 64 slots), then two more a turn apart, whose commands land in later engine groups.
    for (const [from, to] of [[0, 100], [100, 130], [130, 160]] as const) {
      p.send(Buffer.concat(ordered.slice(from, to)));
      await new Promise((r) => setImmediate(r));
    }
    const engineAnswers = want.filter((w) => 'corrId' in w).length;
    await waitFor(() => p.of(MsgType.OrderResponse).length >= first + engineAnswers, 5000, 'second round answers');
    const acks = p.of(MsgType.OrderResponse).slice(first);
    const rejects = p.of(MsgType.Reject);
    expect(acks.length).to.equal(engineAnswers);
    let a = 0;
    let r = 0;
    for (const w of want) {
      if ('reject' in w) {
        const got = rejects[r++]!;
        expect({ corrId: got.corrId, code: codeName(got.code) }).to.deep.equal({ corrId: w.reject, code: w.code });
        continue;
      }
      const got = acks[a++]!;
      const view: Record<string, unknown> = { corrId: got.corrId, reqType: got.reqType, code: codeName(got.code) };
      if (w.orderId !== undefined) view.orderId = got.orderId;
      if (w.price !== undefined) view.price = got.price;
      expect(view).to.deep.equal(w);
    }
    expect(r).to.equal(rejects.length);
  });
});

