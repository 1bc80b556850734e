/**
 * Binary serialization of the engine's ExchangeSnapshot (engine/snapshot.ts).
 *
 * The small parts (sequences, symbol configs, index definitions, account
 * headers) go as one JSON header; the parts that grow with the book are binary:
 * order records (fixed numeric fields as float64, enums as bytes, two short
 * strings), each book's resting orders as one aligned Float64Array (6 slots per
 * order, copied in bulk and read back zero-copy), and accounts' retained
 * trades. 1M resting orders serialize to ~150 MB without creating one string
 * per order. If the snapshot contains fields this codec does not know (the
 * engine's format moved on), it falls back to JSON for the whole payload, so a
 * snapshot is never silently lossy; tests pin the binary path.
 */
import type { Code } from '../codes.ts';
import type { RestingOrder } from '../book/layout.ts';
import type { AccountSnapshot, ExchangeSnapshot, OrderRecord, SymbolSnapshot } from '../snapshot.ts';
import type { OrderKind, OrderStatus, Side, TradeEvent } from '../types.ts';
import { ByteReader, ByteWriter } from './byte-buffer.ts';

const MAGIC = 0x31455841; // "AXE1"
const FORMAT_BINARY = 1;
const FORMAT_JSON = 2;

const ORDER_NUM = [
  'orderId', 'accountId', 'price', 'stopPrice', 'qty', 'filledQty', 'remainingQty', 'filledNotionalTicks',
  'code', 'createdTs', 'updatedTs', 'lastSeq', 'resPrice', 'reserved', 'bookType',
] as const;
const TRADE_NUM = ['tradeId', 'seq', 'ts', 'price', 'qty', 'buyOrderId', 'sellOrderId', 'buyAccountId', 'sellAccountId', 'buyFee', 'sellFee'] as const;
/*
 * Key ORDER matters, not only the key set: the engine hashes its state with
 * JSON.stringify and keeps some decoded objects (retained trades) as they are,
 * so decoded objects are built in exactly the engine's key order, and a
 * snapshot whose objects have another order takes the JSON path.
 */
const ORDER_KEYS = [
  'orderId', 'clientOrderId', 'accountId', 'symbol', 'side', 'kind', 'price', 'stopPrice', 'postOnly', 'qty', 'filledQty',
  'remainingQty', 'filledNotionalTicks', 'status', 'code', 'createdTs', 'updatedTs', 'lastSeq', 'resPrice', 'reserved',
  'bookType', 'live', 'pendingStop',
];
const TRADE_KEYS = ['tradeId', 'seq', 'ts', 'symbol', 'price', 'qty', 'buyOrderId', 'sellOrderId', 'buyAccountId', 'sellAccountId', 'aggressor', 'buyFee', 'sellFee'];
const REST_KEYS = ['id', 'account', 'side', 'price', 'remaining', 'ts'];

const KINDS: OrderKind[] = ['LIMIT', 'MARKET', 'IOC', 'FOK', 'STOP', 'STOP_LIMIT'];
const STATUSES: OrderStatus[] = ['NEW', 'OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED'];

function keysMatch(o: object, keys: readonly string[]): boolean {
  let n = 0;
  for (const k in o) {
    if (keys[n] !== k) return false;
    n++;
  }
  return n === keys.length;
}

/** True when every record has exactly the fields the binary layout carries. */
function binaryCompatible(s: ExchangeSnapshot): boolean {
  for (const o of s.orders) {
    if (!keysMatch(o, ORDER_KEYS) || KINDS.indexOf(o.kind) < 0 || STATUSES.indexOf(o.status) < 0) return false;
  }
  for (const sym of s.symbols) {
    for (const r of sym.book) if (!keysMatch(r, REST_KEYS)) return false;
  }
  for (const a of s.accounts) for (const t of a.trades) if (!keysMatch(t, TRADE_KEYS)) return false;
  return true;
}

/** Serialize a snapshot; returns the bytes (a fresh Buffer). */
export function encodeExchangeSnapshot(s: ExchangeSnapshot, w = new ByteWriter(1 << 20)): Buffer {
  w.reset();
  w.u32(MAGIC);
  if (!binaryCompatible(s)) {
    w.u32(FORMAT_JSON);
    const j = Buffer.from(JSON.stringify(s));
    w.u32(j.length);
    w.bytes(j);
    return Buffer.from(w.view());
  }
  w.u32(FORMAT_BINARY);
  const header = {
    ...s,
    orders: [],
    symbols: s.symbols.map((x) => ({ ...x, book: [] })),
    accounts: s.accounts.map((a) => ({ ...a, trades: [] })),
  };
  const hj = Buffer.from(JSON.stringify(header));
  w.u32(hj.length);
  w.bytes(hj);
  // orders
  w.u32(s.orders.length);
  w.ensure(s.orders.length * 140);
  for (const o of s.orders) {
    for (const k of ORDER_NUM) w.f64(o[k]);
    w.u8(o.side === 'BUY' ? 0 : 1);
    w.u8(KINDS.indexOf(o.kind));
    w.u8(STATUSES.indexOf(o.status));
    w.u8((o.postOnly ? 1 : 0) | (o.live ? 2 : 0) | (o.pendingStop ? 4 : 0));
    w.str(o.clientOrderId);
    w.str(o.symbol);
  }
  // books: one aligned float64 block per symbol
  for (const sym of s.symbols) {
    const n = sym.book.length;
    w.u32(n);
    w.align(8);
    const block = new Float64Array(n * 6);
    for (let i = 0, j = 0; i < n; i++, j += 6) {
      const r = sym.book[i]!;
      block[j] = r.id;
      block[j + 1] = r.account;
      block[j + 2] = r.side;
      block[j + 3] = r.price;
      block[j + 4] = r.remaining;
      block[j + 5] = r.ts;
    }
    w.bytes(block);
  }
  // accounts' retained trades
  for (const a of s.accounts) {
    w.u32(a.trades.length);
    for (const t of a.trades) {
      for (const k of TRADE_NUM) w.f64(t[k]);
      w.u8(t.aggressor === 'BUY' ? 0 : 1);
      w.str(t.symbol);
    }
  }
  return Buffer.from(w.view());
}

export function decodeExchangeSnapshot(buf: Buffer): ExchangeSnapshot {
  // Copy into an 8-aligned buffer so the book blocks can be viewed without copying.
  let b = buf;
  if (b.byteOffset % 8 !== 0) {
    const c = Buffer.allocUnsafeSlow(b.length);
    b.copy(c);
    b = c;
  }
  const r = new ByteReader(b);
  if (r.u32() !== MAGIC) throw new RangeError('not an engine snapshot (bad magic)');
  const fmt = r.u32();
  const hlen = r.u32();
  const head = JSON.parse(b.toString('utf8', r.pos, r.pos + hlen)) as ExchangeSnapshot;
  r.pos += hlen;
  if (fmt === FORMAT_JSON) return head;
  if (fmt !== FORMAT_BINARY) throw new RangeError(`unknown snapshot format ${fmt}`);
  const nOrders = r.u32();
  const orders: OrderRecord[] = new Array(nOrders);
  for (let i = 0; i < nOrders; i++) {
    const orderId = r.f64();
    const accountId = r.f64();
    const price = r.f64();
    const stopPrice = r.f64();
    const qty = r.f64();
    const filledQty = r.f64();
    const remainingQty = r.f64();
    const filledNotionalTicks = r.f64();
    const code = r.f64() as Code;
    const createdTs = r.f64();
    const updatedTs = r.f64();
    const lastSeq = r.f64();
    const resPrice = r.f64();
    const reserved = r.f64();
    const bookType = r.f64();
    const side: Side = r.u8() === 0 ? 'BUY' : 'SELL';
    const kind = KINDS[r.u8()]!;
    const status = STATUSES[r.u8()]!;
    const flags = r.u8();
    const clientOrderId = r.str();
    const symbol = r.str();
    orders[i] = {
      orderId, clientOrderId, accountId, symbol, side, kind, price, stopPrice, postOnly: (flags & 1) !== 0,
      qty, filledQty, remainingQty, filledNotionalTicks, status, code, createdTs, updatedTs, lastSeq,
      resPrice, reserved, bookType, live: (flags & 2) !== 0, pendingStop: (flags & 4) !== 0,
    };
  }
  head.orders = orders;
  for (const sym of head.symbols as SymbolSnapshot[]) {
    const n = r.u32();
    r.align(8);
    const block = r.f64Array(n * 6);
    const book: RestingOrder[] = new Array(n);
    for (let i = 0, j = 0; i < n; i++, j += 6) {
      book[i] = { id: block[j]!, account: block[j + 1]!, side: block[j + 2]! as RestingOrder['side'], price: block[j + 3]!, remaining: block[j + 4]!, ts: block[j + 5]! };
    }
    sym.book = book;
  }
  for (const a of head.accounts as AccountSnapshot[]) {
    const n = r.u32();
    const trades: TradeEvent[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const tradeId = r.f64();
      const seq = r.f64();
      const ts = r.f64();
      const price = r.f64();
      const qty = r.f64();
      const buyOrderId = r.f64();
      const sellOrderId = r.f64();
      const buyAccountId = r.f64();
      const sellAccountId = r.f64();
      const buyFee = r.f64();
      const sellFee = r.f64();
      const aggressor: Side = r.u8() === 0 ? 'BUY' : 'SELL';
      const symbol = r.str();
      trades[i] = { tradeId, seq, ts, symbol, price, qty, buyOrderId, sellOrderId, buyAccountId, sellAccountId, aggressor, buyFee, sellFee };
    }
    a.trades = trades;
  }
  return head;
}

/** Which encoding a payload uses ('binary' | 'json'), for tests and tools. */
export function snapshotFormat(buf: Buffer): 'binary' | 'json' {
  return buf.readUInt32LE(4) === FORMAT_BINARY ? 'binary' : 'json';
}
