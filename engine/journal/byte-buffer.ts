/**
 * A growable little-endian byte writer and a matching reader.
 *
 * Shared by the command codec (journal records) and the snapshot serializer.
 * The writer reuses one Buffer across calls (reset() keeps the capacity), so
 * encoding a command allocates nothing once the buffer has grown to its working
 * size. Numbers that can exceed 32 bits (ids, prices, cash) are written as
 * float64: exact for every safe integer, which is what the edge admits.
 */
import { ASCII_STRING_MAX, asciiString } from '../ascii-string.ts';

// String.prototype.charCodeAt.call(s, i): inlined for strings of any shape (docs/engine.md, "Strings of many shapes")

/** A DataView over `buf`: its float64 reads and writes are one load or store (Buffer.readDoubleLE and writeDoubleLE go byte by byte). */
export function dataViewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

export class ByteWriter {
  buf: Buffer;
  pos = 0;
  private dv: DataView;

  constructor(initialCapacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
    this.dv = dataViewOf(this.buf);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Make room for n more bytes (doubling, copying what is written so far). */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
    this.dv = dataViewOf(nb);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** u16 byte length + UTF-8 bytes; ASCII strings take a copy loop with no native call. */
  str(s: string): void {
    const n = s.length;
    this.ensure(2 + n * 3);
    const b = this.buf;
    let p = this.pos + 2;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = String.prototype.charCodeAt.call(s, i);
      if (c > 0x7f) {
        ascii = false;
        break;
      }
      b[p + i] = c;
    }
    let len = n;
    if (!ascii) len = b.write(s, p, 'utf8');
    if (len > 0xffff) throw new RangeError('string longer than 65535 bytes');
    b[this.pos] = len;
    b[this.pos + 1] = len >>> 8;
    this.pos = p + len;
  }

  /** Raw bytes of a typed array (its byte view), preceded by nothing: the caller writes the length. */
  bytes(src: ArrayBufferView): void {
    const u8 = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    this.ensure(u8.length);
    this.buf.set(u8, this.pos);
    this.pos += u8.length;
  }

  /** Pad with zeros to a multiple of `a` bytes (typed-array alignment in snapshots). */
  align(a: number): void {
    const r = this.pos % a;
    if (r === 0) return;
    const k = a - r;
    this.ensure(k);
    this.buf.fill(0, this.pos, this.pos + k);
    this.pos += k;
  }

  /** The written bytes (a view, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** ByteReader.sym's cache: bytes (length, two 32-bit halves) -> the string they decode to. */
const SYM_CACHE = 32;
const symLen = new Uint8Array(SYM_CACHE);
const symLo = new Int32Array(SYM_CACHE);
const symHi = new Int32Array(SYM_CACHE);
const symStr: string[] = new Array<string>(SYM_CACHE).fill('');

export class ByteReader {
  buf: Buffer;
  pos: number;
  end: number;
  private dv: DataView;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.dv = dataViewOf(buf);
    this.pos = start;
    this.end = end;
  }

  /** Continue on another buffer (the journal cursor's grows as the file does). */
  setBuf(buf: Buffer): void {
    this.buf = buf;
    this.dv = dataViewOf(buf);
    this.end = buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError(`read past end (${this.pos}+${n} > ${this.end})`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const p = this.pos;
    this.pos = p + 2;
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  str(): string {
    const len = this.u16();
    this.need(len);
    const p = this.pos;
    this.pos = p + len;
    const b = this.buf;
    // client order ids: short ASCII, built without the C++ decoder (engine/ascii-string.ts)
    if (len !== 0 && len <= ASCII_STRING_MAX) {
      let or = 0;
      for (let i = 0; i < len; i++) or |= b[p + i]!;
      if (or < 0x80) return asciiString(b, p, len);
    }
    return b.toString('utf8', p, p + len);
  }

  /**
   * str() for a short string that repeats (a symbol): up to 8 bytes are looked up
   * by their bytes in a small cache and the same string object comes back each
   * time, so nothing is decoded and a Map lookup by it reuses its cached hash
   * (a fresh string per record is hashed again for every lookup).
   */
  sym(): string {
    const len = this.u16();
    this.need(len);
    const p = this.pos;
    this.pos = p + len;
    const b = this.buf;
    if (len === 0 || len > 8) return b.toString('utf8', p, p + len);
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < len; i++) {
      if (i < 4) lo |= b[p + i]! << (8 * i);
      else hi |= b[p + i]! << (8 * (i - 4));
    }
    const k = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1) ^ len, 0x85ebca6b) >>> 27) & (SYM_CACHE - 1);
    if (symLen[k] === len && symLo[k] === lo && symHi[k] === hi) return symStr[k]!;
    const s = b.toString('utf8', p, p + len);
    symLen[k] = len;
    symLo[k] = lo;
    symHi[k] = hi;
    symStr[k] = s;
    return s;
  }

  align(a: number): void {
    const r = this.pos % a;
    if (r !== 0) this.pos += a - r;
  }

  /** A zero-copy typed-array view when aligned within the underlying ArrayBuffer, else a copy. */
  f64Array(count: number): Float64Array {
    const bytes = count * 8;
    this.need(bytes);
    const off = this.buf.byteOffset + this.pos;
    let out: Float64Array;
    if (off % 8 === 0) out = new Float64Array(this.buf.buffer, off, count);
    else out = new Float64Array(new Uint8Array(this.buf.buffer.slice(off, off + bytes) as ArrayBuffer).buffer);
    this.pos += bytes;
    return out;
  }

  i32Array(count: number): Int32Array {
    const bytes = count * 4;
    this.need(bytes);
    const off = this.buf.byteOffset + this.pos;
    let out: Int32Array;
    if (off % 4 === 0) out = new Int32Array(this.buf.buffer, off, count);
    else out = new Int32Array(new Uint8Array(this.buf.buffer.slice(off, off + bytes) as ArrayBuffer).buffer);
    this.pos += bytes;
    return out;
  }
}
