/**
 * Fuzzing a live gateway: >= 100k random and mutated frames from logged-in
 * sessions, each answered exactly as specified (one answer per request, no
 * answer for valid heartbeats/unsubscribes), plus garbage byte streams that
 * end in an Error and a close. Afterwards a well-formed client still trades.
 */
import { expect } from 'chai';
import net from 'node:net';
import { Code } from '../engine/codes.ts';
import {
  decodeMarketDataSubscribe,
  decodeMessage,
  encodeLogin,
  encodeMessage,
  newMarketDataSubscribe,
  sizeOfLogin,
} from '../gateway-tcp/codec.ts';
import { FrameDecoder } from '../gateway-tcp/frame-decoder.ts';
import { MsgType, Size } from '../gateway-tcp/protocol.ts';
import { Rng } from './support/tcp-random.ts';
import { TcpStack, waitFor } from './support/tcp-harness.ts';

const TOTAL_FRAMES = 100_000;
const BATCH = 500;

interface Conn {
  socket: net.Socket;
  answers: number;
  errors: number[];
  closed: boolean;
  types: Map<number, number>;
}

function connect(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
      const c: Conn = { socket, answers: 0, errors: [], closed: false, types: new Map() };
      const d = new FrameDecoder(
        (t, b, o, l) => {
          const r = decodeMessage(t, b, o, l);
          if (!r.ok) throw new Error(`server sent undecodable type ${t}`);
          c.types.set(t, (c.types.get(t) ?? 0) + 1);
          if (t === MsgType.Reject || t === MsgType.OrderResponse || t === MsgType.OrderStatus) c.answers++;
          if (t === MsgType.Error && r.message.type === MsgType.Error) c.errors.push(r.message.msg.code);
        },
        () => {
          throw new Error('server framing error');
        },
      );
      socket.on('data', (ch: Buffer) => d.push(ch));
      socket.on('close', () => (c.closed = true));
      socket.on('error', () => undefined);
      resolve(c);
    });
    socket.once('error', reject);
  });
}

function loginFrame(token: string): Buffer {
  const m = { version: 1, cancelOnDisconnect: false, resume: false, heartbeatMs: 0, cancelGraceMs: 0, resumeFromSeq: 0, token };
  const b = Buffer.alloc(sizeOfLogin(m));
  encodeLogin(b, 0, m);
  return b;
}

function frame(type: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(5 + payload.length);
  f.writeUInt32LE(payload.length + 1, 0);
  f[4] = type;
  payload.copy(f, 5);
  return f;
}

const REQUEST_SIZES: Record<number, number> = {
  [MsgType.OrderSubmit]: Size.OrderSubmit,
  [MsgType.OrderStatusQuery]: Size.OrderStatusQuery,
  [MsgType.MarketDataSubscribe]: Size.MarketDataSubscribe,
  [MsgType.Cancel]: Size.Cancel,
  [MsgType.Replace]: Size.Replace,
};

/** A plausible valid order (then maybe mutated). */
function validOrder(rng: Rng, id: number): Buffer {
  return encodeMessage({
    type: MsgType.OrderSubmit,
    msg: {
      clientOrderId: id,
      price: rng.range(9_000, 11_000),
      qty: rng.range(1, 50),
      stopPrice: 0,
      symbolId: rng.range(1, 2),
      side: rng.bool() ? 'BUY' : 'SELL',
      kind: rng.pick(['LIMIT', 'IOC', 'MARKET', 'FOK'] as const),
      postOnly: false,
    },
  });
}

/**
 * One fuzz frame (never a framing error, never Logout) and how many answers
 * (Reject / Order Response / Order Status) the spec says it gets: 1, or 0 for a
 * valid Heartbeat, a valid unsubscribe and a valid subscribe (answered by market data).
 */
function fuzzFrame(rng: Rng, id: number): { bytes: Buffer; answers: number } {
  const r = rng.int(10);
  let bytes: Buffer;
  if (r < 3) {
    bytes = validOrder(rng, id);
  } else if (r < 6) {
    // A valid order with 1-4 random bytes of the payload changed.
    bytes = validOrder(rng, id);
    for (let k = rng.range(1, 4); k > 0; k--) bytes[5 + rng.int(Size.OrderSubmit)] = rng.u32() & 0xff;
  } else if (r < 8) {
    // A known request type with random payload of the right or a wrong size.
    const type = rng.pick([MsgType.OrderSubmit, MsgType.OrderStatusQuery, MsgType.MarketDataSubscribe, MsgType.Cancel, MsgType.Replace]);
    const size = rng.bool(0.7) ? REQUEST_SIZES[type]! : rng.range(0, 64);
    bytes = frame(type, rng.bytes(size));
  } else {
    // Any type byte but Logout, random payload.
    let type = rng.int(256);
    if (type === MsgType.Logout) type = 0x7f;
    bytes = frame(type, rng.bytes(rng.bool(0.2) ? 0 : rng.range(0, 80)));
  }
  const type = bytes[4]!;
  const len = bytes.length - 5;
  let answers = 1;
  if (type === MsgType.Heartbeat && len === 0) answers = 0;
  if (type === MsgType.MarketDataSubscribe) {
    const m = newMarketDataSubscribe();
    const ok = decodeMarketDataSubscribe(bytes, 5, len, m) === Code.OK;
    // Valid: symbol ids 1..2 exist; a subscribe is answered by a snapshot, an unsubscribe by nothing.
    if (ok && m.symbolId >= 1 && m.symbolId <= 2) answers = 0;
  }
  return { bytes, answers };
}

describe('50 tcp fuzz (live gateway)', function () {
  let stack: TcpStack;

  before(async () => {
    stack = await TcpStack.start({
      core: {
        market: {
          symbols: [
            { symbol: 'AAA', name: 'A', tickSize: 1, lotSize: 1, referencePrice: 10_000, bandPercent: 10, maxOrderQty: 1_000_000, maxOrderNotional: 1e11 },
            { symbol: 'BBB', name: 'B', tickSize: 1, lotSize: 10, referencePrice: 10_000, bandPercent: 10, maxOrderQty: 1_000_000, maxOrderNotional: 1e11 },
          ],
          indices: [],
        },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it(`answers ${TOTAL_FRAMES.toLocaleString('en-US')} random frames exactly as specified and keeps serving`, async () => {
    const users = [await stack.user('fuzz1'), await stack.user('fuzz2')];
    const rng = new Rng(20250101);
    const conns: Conn[] = [];
    for (const u of users) {
      const c = await connect(stack.port);
      c.socket.write(loginFrame(u.token));
      conns.push(c);
    }
    await waitFor(() => conns.every((c) => (c.types.get(MsgType.SymbolDirectory) ?? 0) > 0), 5000, 'logins');
    const expected = [0, 0];
    let sent = 0;
    let id = 1;
    while (sent < TOTAL_FRAMES) {
      for (let k = 0; k < conns.length; k++) {
        const parts: Buffer[] = [];
        for (let i = 0; i < BATCH; i++) {
          const f = fuzzFrame(rng, id++);
          parts.push(f.bytes);
          expected[k]! += f.answers;
        }
        // Random chunking of the batch on the wire.
        const all = Buffer.concat(parts);
        let off = 0;
        while (off < all.length) {
          const n = rng.range(1, 4096);
          conns[k]!.socket.write(all.subarray(off, off + n));
          off += n;
        }
        sent += BATCH;
      }
      // Bounded in-flight: wait for this round's answers before the next.
      await waitFor(() => conns.every((c, k) => c.answers >= expected[k]! || c.closed), 20_000, 'fuzz answers');
    }
    for (let k = 0; k < conns.length; k++) {
      expect(conns[k]!.closed, 'a fuzzed session survives non-framing garbage').to.equal(false);
      expect(conns[k]!.errors).to.deep.equal([]);
    }
    // Let any stragglers arrive, then the counts must match exactly (no duplicate answers either).
    await new Promise((r) => setTimeout(r, 200));
    expect(conns.map((c) => c.answers)).to.deep.equal(expected);
    expect(sent).to.be.at.least(TOTAL_FRAMES);
    for (const c of conns) c.socket.destroy();

    // Garbage streams: each ends in an Error and a close (or is still waiting for more bytes of a frame).
    for (let g = 0; g < 200; g++) {
      const c = await connect(stack.port);
      if (g % 2 === 0) {
        c.socket.write(loginFrame(users[g % 2]!.token));
        await waitFor(() => (c.types.get(MsgType.SymbolDirectory) ?? 0) > 0, 5000, 'login');
      }
      c.socket.write(rng.bytes(rng.range(1, 2000)));
      await new Promise((r) => setTimeout(r, 2));
      c.socket.destroy();
    }

    // A well-formed client is still served.
    const ok = await stack.client(users[0]!);
    const ack = await ok.submit({ symbol: 'AAA', side: 'BUY', price: 10_000, qty: 1 });
    expect(ack.code).to.equal(Code.OK);
    const st = await ok.queryOrder({ orderId: ack.orderId });
    expect(st.code).to.equal(Code.OK);
    ok.destroy();
  });
});
