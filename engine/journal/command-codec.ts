/**
 * Binary encoding of every engine `Command` (engine/types.ts) for the journal.
 *
 * Layout: [type u8][seq f64][ts f64][type-specific fields]. Fixed-width fields
 * first, then optional ones announced by a flags byte, then strings (u16 length
 * + UTF-8). Numbers that may exceed 32 bits are float64 (exact for safe
 * integers); enums are single bytes. No JSON: an order command is ~70 bytes and
 * encodes without allocating. decode(encode(c)) deep-equals c for a stamped c
 * (optional fields absent stay absent), which is what makes replay exact.
 */
import type { Code } from '../codes.ts';
import type { Command, OrderKind, Side, SymbolConfig } from '../types.ts';
import { BUY, KIND_NAMES, kindCode, SELL, SIDE_NAMES } from '../order.ts';
import { ByteReader, ByteWriter } from './byte-buffer.ts';

export const CmdTag = {
  new: 1,
  cancel: 2,
  replace: 3,
  massCancel: 4,
  createAccount: 5,
  deposit: 6,
  adjustPosition: 7,
  halt: 8,
  resume: 9,
  addSymbol: 10,
} as const;

/*
 * Side and kind bytes are the engine's codes (engine/order.ts owns the tables).
 * The engine's kindCode maps anything unknown to STOP_LIMIT; the journal must
 * not record a kind it was not given, so the code is checked against the table.
 */
function sideCode(s: Side): number {
  return s === 'BUY' ? BUY : SELL;
}
function journalKindCode(k: OrderKind): number {
  const c = kindCode(k);
  if (KIND_NAMES[c] !== k) throw new TypeError(`unknown order kind ${String(k)}`);
  return c;
}

function writeRecordMap(w: ByteWriter, m: Record<string, number>): void {
  const keys = Object.keys(m);
  // The count is a u16: a larger map would wrap into a record that decodes as something else.
  if (keys.length > 0xffff) throw new RangeError(`map of ${keys.length} entries does not fit a journal record`);
  w.u16(keys.length);
  for (const k of keys) {
    w.str(k);
    w.f64(m[k]!);
  }
}

/** Keys come from the file: a prototype-less object makes `__proto__` an ordinary key, and a repeated key is corruption. */
function readRecordMap(r: ByteReader): Record<string, number> {
  const n = r.u16();
  const m = Object.create(null) as Record<string, number>;
  for (let i = 0; i < n; i++) {
    const k = r.str();
    if (Object.hasOwn(m, k)) throw new RangeError(`repeated key ${JSON.stringify(k)} in journal record`);
    m[k] = r.f64();
  }
  return m;
}

/** Append the encoding of `cmd` at w.pos. */
export function encodeCommand(w: ByteWriter, cmd: Command): void {
  w.ensure(64);
  const tag = CmdTag[cmd.type];
  if (tag === undefined) throw new TypeError(`unknown command type ${String((cmd as { type: unknown }).type)}`);
  w.u8(tag);
  w.f64(cmd.seq ?? 0);
  w.f64(cmd.ts ?? 0);
  switch (cmd.type) {
    case 'new': {
      w.f64(cmd.accountId);
      w.f64(cmd.price);
      w.f64(cmd.qty);
      w.f64(cmd.stopPrice ?? 0);
      w.u8(sideCode(cmd.side));
      w.u8(journalKindCode(cmd.kind));
      w.u8((cmd.stopPrice !== undefined ? 1 : 0) | (cmd.postOnly !== undefined ? 2 : 0) | (cmd.postOnly ? 4 : 0));
      w.str(cmd.clientOrderId);
      w.str(cmd.symbol);
      return;
    }
    case 'cancel': {
      w.f64(cmd.accountId);
      w.u8((cmd.orderId !== undefined ? 1 : 0) | (cmd.clientOrderId !== undefined ? 2 : 0));
      if (cmd.orderId !== undefined) w.f64(cmd.orderId);
      if (cmd.clientOrderId !== undefined) w.str(cmd.clientOrderId);
      return;
    }
    case 'replace': {
      w.f64(cmd.accountId);
      w.f64(cmd.price);
      w.f64(cmd.qty);
      w.u8((cmd.orderId !== undefined ? 1 : 0) | (cmd.clientOrderId !== undefined ? 2 : 0));
      if (cmd.orderId !== undefined) w.f64(cmd.orderId);
      if (cmd.clientOrderId !== undefined) w.str(cmd.clientOrderId);
      return;
    }
    case 'massCancel': {
      w.f64(cmd.accountId);
      w.u16(cmd.reason);
      w.u8(cmd.symbol !== undefined ? 1 : 0);
      if (cmd.symbol !== undefined) w.str(cmd.symbol);
      return;
    }
    case 'createAccount': {
      w.f64(cmd.accountId);
      w.f64(cmd.cash);
      w.u8(cmd.positions !== undefined ? 1 : 0);
      if (cmd.positions !== undefined) writeRecordMap(w, cmd.positions);
      return;
    }
    case 'deposit':
      w.f64(cmd.accountId);
      w.f64(cmd.amount);
      return;
    case 'adjustPosition':
      w.f64(cmd.accountId);
      w.f64(cmd.delta);
      w.str(cmd.symbol);
      return;
    case 'halt':
    case 'resume':
      w.str(cmd.symbol);
      return;
    case 'addSymbol': {
      const c = cmd.config;
      w.str(c.symbol);
      w.str(c.name);
      w.f64(c.tickSize);
      w.f64(c.lotSize);
      w.f64(c.referencePrice);
      w.f64(c.bandPercent);
      w.f64(c.maxOrderQty);
      w.f64(c.maxOrderNotional);
      w.u8((c.makerFeeBps !== undefined ? 1 : 0) | (c.takerFeeBps !== undefined ? 2 : 0) | (c.indices !== undefined ? 4 : 0));
      if (c.makerFeeBps !== undefined) w.f64(c.makerFeeBps);
      if (c.takerFeeBps !== undefined) w.f64(c.takerFeeBps);
      if (c.indices !== undefined) writeRecordMap(w, c.indices);
      return;
    }
  }
}

/**
 * Decode the one command in r's window [r.pos, r.end) (advancing r.pos to r.end).
 * Throws on a malformed record, including bytes left over after the command:
 * the encoder never writes any, so they mean damage, not a newer field.
 */
export function decodeCommand(r: ByteReader): Command {
  const c = decodeFields(r);
  if (r.pos !== r.end) throw new RangeError(`${r.end - r.pos} trailing bytes after a ${c.type} command in journal record`);
  return c;
}

function decodeFields(r: ByteReader): Command {
  const tag = r.u8();
  const seq = r.f64();
  const ts = r.f64();
  switch (tag) {
    case CmdTag.new: {
      const accountId = r.f64();
      const price = r.f64();
      const qty = r.f64();
      const stopPrice = r.f64();
      const side = SIDE_NAMES[r.u8()];
      const kind = KIND_NAMES[r.u8()];
      const flags = r.u8();
      const clientOrderId = r.str();
      const symbol = r.sym();
      if (side === undefined || kind === undefined) throw new RangeError('bad side/kind in journal record');
      const c: Command = { type: 'new', seq, ts, accountId, clientOrderId, symbol, side, kind, price, qty };
      if (flags & 1) c.stopPrice = stopPrice;
      if (flags & 2) c.postOnly = (flags & 4) !== 0;
      return c;
    }
    case CmdTag.cancel: {
      const accountId = r.f64();
      const flags = r.u8();
      const c: Command = { type: 'cancel', seq, ts, accountId };
      if (flags & 1) c.orderId = r.f64();
      if (flags & 2) c.clientOrderId = r.str();
      return c;
    }
    case CmdTag.replace: {
      const accountId = r.f64();
      const price = r.f64();
      const qty = r.f64();
      const flags = r.u8();
      const c: Command = { type: 'replace', seq, ts, accountId, price, qty };
      if (flags & 1) c.orderId = r.f64();
      if (flags & 2) c.clientOrderId = r.str();
      return c;
    }
    case CmdTag.massCancel: {
      const accountId = r.f64();
      const reason = r.u16() as Code;
      const flags = r.u8();
      const c: Command = { type: 'massCancel', seq, ts, accountId, reason };
      if (flags & 1) c.symbol = r.sym();
      return c;
    }
    case CmdTag.createAccount: {
      const accountId = r.f64();
      const cash = r.f64();
      const flags = r.u8();
      const c: Command = { type: 'createAccount', seq, ts, accountId, cash };
      if (flags & 1) c.positions = readRecordMap(r);
      return c;
    }
    case CmdTag.deposit:
      return { type: 'deposit', seq, ts, accountId: r.f64(), amount: r.f64() };
    case CmdTag.adjustPosition: {
      const accountId = r.f64();
      const delta = r.f64();
      return { type: 'adjustPosition', seq, ts, accountId, delta, symbol: r.str() };
    }
    case CmdTag.halt:
      return { type: 'halt', seq, ts, symbol: r.str() };
    case CmdTag.resume:
      return { type: 'resume', seq, ts, symbol: r.str() };
    case CmdTag.addSymbol: {
      const symbol = r.str();
      const name = r.str();
      const config: SymbolConfig = {
        symbol,
        name,
        tickSize: r.f64(),
        lotSize: r.f64(),
        referencePrice: r.f64(),
        bandPercent: r.f64(),
        maxOrderQty: r.f64(),
        maxOrderNotional: r.f64(),
      };
      const flags = r.u8();
      if (flags & 1) config.makerFeeBps = r.f64();
      if (flags & 2) config.takerFeeBps = r.f64();
      if (flags & 4) config.indices = readRecordMap(r);
      return { type: 'addSymbol', seq, ts, config };
    }
    default:
      throw new RangeError(`unknown command tag ${tag} in journal record`);
  }
}
