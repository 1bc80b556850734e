/**
 * Binary serialization of the engine's ExchangeSnapshot (engine/snapshot.ts).
 *
 * Format 3 (written): the small parts (sequences, symbol configs, index
 * definitions, account headers) go as one JSON header; everything that grows
 * with the state is a typed-array block copied in bulk and read back as a
 * zero-copy view (8-aligned): the order columns (OrderColumns.num, then the
 * client ids as short strings), each book's resting-order rows, each account's
 * retained-trade rows. No object and no string other than the client id is
 * made per order or trade: 1M resting orders encode in about a second and
 * decode in a few hundred ms (bench `engine`, case snapshot-deep).
 * Format 1 (one record per order and trade) and the JSON fallback of either
 * version are still read, converted to the current shape. A snapshot whose
 * parts are not the typed arrays the binary layout carries (a tool built it)
 * goes as JSON, so a snapshot is never silently lossy.
 */
import { REST_STRIDE } from '../book/layout.ts';
import {
  OC_ACCOUNT,
  OC_BOOK_TYPE,
  OC_CODE,
  OC_CREATED_TS,
  OC_FILLED,
  OC_FLAGS,
  OC_ID,
  OC_KIND,
  OC_LAST_SEQ,
  OC_NOTIONAL,
  OC_PRICE,
  OC_QTY,
  OC_REMAINING,
  OC_RESERVED,
  OC_RES_PRICE,
  OC_SIDE,
  OC_STATUS,
  OC_STOP_PRICE,
  OC_SYMBOL,
  OC_UPDATED_TS,
  OF_LIVE,
  OF_PENDING_STOP,
  OF_POST_ONLY,
  ORDER_W,
  SNAPSHOT_VERSION,
  type AccountSnapshot,
  type ExchangeSnapshot,
  type OrderColumns,
  type OrderRecord,
  type SymbolSnapshot,
} from '../snapshot.ts';
import type { TradeEvent } from '../types.ts';
import { BUY, KIND_NAMES, SELL, STATUS_NAMES } from '../order.ts';
import { ByteReader, ByteWriter } from './byte-buffer.ts';
import { TR_SYMBOL, TRADE_W } from '../trade-log.ts';

const MAGIC = 0x31455841; // "AXE1"
/** Version-1 snapshots: one record per order (still decoded, never written). */
const FORMAT_BINARY_V1 = 1;
const FORMAT_JSON = 2;
/** Orders as one aligned float64 block (OrderColumns) plus the client ids. */
const FORMAT_BINARY = 3;

/** The float64 fields of a version-1 order record, in their order on disk, and where they go in OrderColumns. */
const V1_ORDER_NUM = [OC_ID, OC_ACCOUNT, OC_PRICE, OC_STOP_PRICE, OC_QTY, OC_FILLED, OC_REMAINING, OC_NOTIONAL, OC_CODE, OC_CREATED_TS, OC_UPDATED_TS, OC_LAST_SEQ, OC_RES_PRICE, OC_RESERVED, OC_BOOK_TYPE] as const;
/**
 * A version-1 trade on disk: these float64 fields in this order (the ring row's
 * columns 0..8 and 10..11), then the aggressor byte (column 9) and the symbol.
 */
const V1_TRADE_NUM = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11] as const;
const TR_AGGRESSOR = 9;

// Side, kind and status bytes are the engine's codes (engine/order.ts owns the tables).

/** True when every part has exactly the layout the binary format carries. */
function binaryCompatible(s: ExchangeSnapshot): boolean {
  const o = s.orders;
  if (!(o.num instanceof Float64Array) || o.num.length !== o.count * ORDER_W || o.clientOrderIds.length !== o.count) return false;
  for (const sym of s.symbols) {
    if (!(sym.book instanceof Float64Array) || sym.book.length % REST_STRIDE !== 0) return false;
  }
  for (const a of s.accounts) if (!(a.trades instanceof Float64Array) || a.trades.length % TRADE_W !== 0) return false;
  return true;
}

/**
 * Serialize a snapshot; returns the bytes. With a writer of the caller's, the
 * bytes are a fresh copy (the writer is reused), or with `copy: false` a view
 * of the writer's buffer; without a writer, they are the encoder's own buffer,
 * sized up front, so a few hundred MB are neither re-allocated while growing
 * nor copied at the end.
 */
export function encodeExchangeSnapshot(s: ExchangeSnapshot, writer?: ByteWriter, opts: { copy?: boolean } = {}): Buffer {
  // copy: false hands out a view of the caller's writer (valid until its next use)
  const done = (w: ByteWriter): Buffer => (writer === undefined || opts.copy === false ? w.buf.subarray(0, w.pos) : Buffer.from(w.view()));
  if (!binaryCompatible(s)) {
    // Typed arrays go as plain arrays (a Float64Array would stringify as an object) and come back as such.
    const j = Buffer.from(JSON.stringify(s, (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v)));
    const w = writer ?? new ByteWriter(12 + j.length);
    w.reset();
    w.u32(MAGIC);
    w.u32(FORMAT_JSON);
    w.u32(j.length);
    w.bytes(j);
    return done(w);
  }
  const header = {
    ...s,
    orders: { count: 0, num: [], clientOrderIds: [] },
    symbols: s.symbols.map((x) => ({ ...x, book: [] as number[] })),
    accounts: s.accounts.map((a) => ({ ...a, trades: [] })),
  };
  const hj = Buffer.from(JSON.stringify(header));
  const { count, num, clientOrderIds } = s.orders;
  let trades = 0;
  for (const a of s.accounts) trades += a.trades.byteLength;
  // client ids estimated at 24 bytes: a longer id only costs one growth
  const size = 32 + hj.length + num.byteLength + count * 26 + s.symbols.reduce((n, x) => n + 12 + x.book.byteLength, 0) + s.accounts.length * 12 + trades;
  const w = writer ?? new ByteWriter(size);
  w.reset();
  w.ensure(size);
  w.u32(MAGIC);
  w.u32(FORMAT_BINARY);
  w.u32(hj.length);
  w.bytes(hj);
  // orders: the columns' block as it is, then the client ids
  w.u32(count);
  w.align(8);
  w.bytes(new Uint8Array(num.buffer, num.byteOffset, num.byteLength));
  for (let i = 0; i < count; i++) w.str(clientOrderIds[i]!);
  // books: one aligned float64 block per symbol, the rows as they are
  for (const sym of s.symbols) {
    w.u32(sym.book.length / REST_STRIDE);
    w.align(8);
    w.bytes(new Uint8Array(sym.book.buffer, sym.book.byteOffset, sym.book.byteLength));
  }
  // accounts' retained trades: one aligned block of rows each
  for (const a of s.accounts) {
    w.u32(a.trades.length / TRADE_W);
    w.align(8);
    w.bytes(new Uint8Array(a.trades.buffer, a.trades.byteOffset, a.trades.byteLength));
  }
  return done(w);
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
  if (fmt === FORMAT_JSON) return fromJson(head);
  if (fmt !== FORMAT_BINARY && fmt !== FORMAT_BINARY_V1) throw new RangeError(`unknown snapshot format ${fmt}`);
  if (fmt === FORMAT_BINARY) {
    const count = r.u32();
    r.align(8);
    // a view into the payload (aligned above): no copy, no object per order
    const num = r.f64Array(count * ORDER_W);
    const clientOrderIds: string[] = []; // pushed: new Array(n >= 100k) would be a dictionary-mode array in V8
    for (let i = 0; i < count; i++) clientOrderIds.push(r.str());
    head.orders = { count, num, clientOrderIds };
  } else {
    head.orders = readV1Orders(r, symbolIndex(head));
    head.version = SNAPSHOT_VERSION;
  }
  for (const sym of head.symbols as SymbolSnapshot[]) {
    const n = r.u32();
    r.align(8);
    // a view into the payload (aligned above): no copy, no object per resting order
    sym.book = r.f64Array(n * REST_STRIDE);
  }
  const syms = symbolIndex(head);
  for (const a of head.accounts as AccountSnapshot[]) {
    const n = r.u32();
    if (fmt === FORMAT_BINARY) {
      r.align(8);
      a.trades = r.f64Array(n * TRADE_W);
      continue;
    }
    const rows = new Float64Array(n * TRADE_W);
    for (let i = 0; i < n; i++) {
      const b = i * TRADE_W;
      for (const k of V1_TRADE_NUM) rows[b + k] = r.f64();
      rows[b + TR_AGGRESSOR] = r.u8() === BUY ? BUY : SELL;
      rows[b + TR_SYMBOL] = symbolOf(syms, r.str(), rows[b]!);
    }
    a.trades = rows;
  }
  return head;
}

/** Which encoding a payload uses ('binary' | 'json'; 'binary' for both binary versions), for tests and tools. */
export function snapshotFormat(buf: Buffer): 'binary' | 'json' {
  const f = buf.readUInt32LE(4);
  return f === FORMAT_BINARY || f === FORMAT_BINARY_V1 ? 'binary' : 'json';
}

/** Symbol name -> index in the snapshot's symbol list (what OC_SYMBOL holds). */
function symbolIndex(head: ExchangeSnapshot): Map<string, number> {
  const m = new Map<string, number>();
  head.symbols.forEach((s, i) => m.set(s.config.symbol, i));
  return m;
}

function symbolOf(idx: Map<string, number>, name: string, orderId: number): number {
  const i = idx.get(name);
  if (i === undefined) throw new RangeError(`snapshot order ${orderId}: unknown symbol ${name}`);
  return i;
}

/** Version-1 binary orders (one record each) into columns. */
function readV1Orders(r: ByteReader, syms: Map<string, number>): OrderColumns {
  const count = r.u32();
  const num = new Float64Array(count * ORDER_W);
  const clientOrderIds: string[] = []; // pushed: new Array(n >= 100k) would be a dictionary-mode array in V8
  for (let i = 0; i < count; i++) {
    const b = i * ORDER_W;
    for (const k of V1_ORDER_NUM) num[b + k] = r.f64();
    num[b + OC_SIDE] = r.u8() === BUY ? BUY : SELL;
    num[b + OC_KIND] = r.u8();
    num[b + OC_STATUS] = r.u8();
    num[b + OC_FLAGS] = r.u8() & (OF_POST_ONLY | OF_LIVE | OF_PENDING_STOP);
    clientOrderIds.push(r.str());
    num[b + OC_SYMBOL] = symbolOf(syms, r.str(), num[b + OC_ID]!);
  }
  return { count, num, clientOrderIds };
}

/** Version-1 order records (objects) into columns. */
function recordsToColumns(records: OrderRecord[], syms: Map<string, number>): OrderColumns {
  const count = records.length;
  const num = new Float64Array(count * ORDER_W);
  const clientOrderIds: string[] = []; // pushed: new Array(n >= 100k) would be a dictionary-mode array in V8
  records.forEach((o, i) => {
    const b = i * ORDER_W;
    num[b + OC_ID] = o.orderId;
    num[b + OC_ACCOUNT] = o.accountId;
    num[b + OC_PRICE] = o.price;
    num[b + OC_STOP_PRICE] = o.stopPrice;
    num[b + OC_QTY] = o.qty;
    num[b + OC_FILLED] = o.filledQty;
    num[b + OC_REMAINING] = o.remainingQty;
    num[b + OC_NOTIONAL] = o.filledNotionalTicks;
    num[b + OC_CODE] = o.code;
    num[b + OC_CREATED_TS] = o.createdTs;
    num[b + OC_UPDATED_TS] = o.updatedTs;
    num[b + OC_LAST_SEQ] = o.lastSeq;
    num[b + OC_RES_PRICE] = o.resPrice;
    num[b + OC_RESERVED] = o.reserved;
    num[b + OC_BOOK_TYPE] = o.bookType;
    num[b + OC_SIDE] = o.side === 'BUY' ? BUY : SELL;
    const kind = KIND_NAMES.indexOf(o.kind);
    const status = STATUS_NAMES.indexOf(o.status);
    if (kind < 0 || status < 0) throw new RangeError(`snapshot order ${o.orderId}: bad kind or status`);
    num[b + OC_KIND] = kind;
    num[b + OC_STATUS] = status;
    num[b + OC_FLAGS] = (o.postOnly ? OF_POST_ONLY : 0) | (o.live ? OF_LIVE : 0) | (o.pendingStop ? OF_PENDING_STOP : 0);
    num[b + OC_SYMBOL] = symbolOf(syms, o.symbol, o.orderId);
    clientOrderIds.push(o.clientOrderId);
  });
  return { count, num, clientOrderIds };
}

/**
 * A JSON payload back into the current shape: typed arrays went as plain
 * arrays; a version-1 payload has order records and book rows as objects.
 */
function fromJson(head: ExchangeSnapshot): ExchangeSnapshot {
  for (const sym of head.symbols as SymbolSnapshot[]) {
    const book = sym.book as unknown as (number | { id: number; account: number; side: number; price: number; remaining: number; ts: number })[];
    sym.book = book.every((x) => typeof x === 'number')
      ? Float64Array.from(book as number[])
      : Float64Array.from(book.flatMap((x) => (typeof x === 'number' ? [NaN] : [x.id, x.account, x.side, x.price, x.remaining, x.ts])));
  }
  const syms = symbolIndex(head);
  for (const a of head.accounts as AccountSnapshot[]) {
    const tr = a.trades as unknown as (number | TradeEvent)[];
    a.trades = tr.every((x) => typeof x === 'number')
      ? Float64Array.from(tr as number[])
      : Float64Array.from(
          tr.flatMap((t) =>
            typeof t === 'number'
              ? [NaN]
              : [t.tradeId, t.seq, t.ts, t.price, t.qty, t.buyOrderId, t.sellOrderId, t.buyAccountId, t.sellAccountId, t.aggressor === 'BUY' ? BUY : SELL, t.buyFee, t.sellFee, symbolOf(syms, t.symbol, t.tradeId)],
          ),
        );
  }
  const orders = head.orders as unknown;
  if (Array.isArray(orders)) {
    head.orders = recordsToColumns(orders as OrderRecord[], syms);
  } else {
    const o = orders as { count: number; num: number[]; clientOrderIds: string[] };
    head.orders = { count: o.count, num: Float64Array.from(o.num), clientOrderIds: o.clientOrderIds };
  }
  head.version = SNAPSHOT_VERSION;
  return head;
}
