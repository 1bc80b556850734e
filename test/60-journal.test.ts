import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ByteReader, ByteWriter } from '../engine/journal/byte-buffer.ts';
import { decodeCommand, encodeCommand } from '../engine/journal/command-codec.ts';
import { crc32c } from '../engine/journal/crc32c.ts';
import {
  COMMIT_RECORD_BYTES,
  FILE_HEADER_BYTES,
  JOURNAL_VERSION_V1,
  journalFileName,
  listJournalFiles,
  checkRecord,
  MAX_RECORD_BYTES,
  MIN_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  verifiedRecords,
  writeCommitRecord,
  writeFileHeader,
} from '../engine/journal/journal-format.ts';
import { nativeAvailable } from '../engine/book-factory.ts';
import { loadAddon } from '../engine/book/native-addon.ts';
import { Prng } from '../bench/lib/workload.ts';
import { JournalCursor } from '../engine/journal/journal-cursor.ts';
import { readJournal, readJournalFile, scanRecords, JournalCorruptError } from '../engine/journal/journal-reader.ts';
import { JournalWriter } from '../engine/journal/journal-writer.ts';
import { Code } from '../engine/codes.ts';
import { ExchangeCore } from '../engine/core.ts';
import type { Command } from '../engine/types.ts';
import { everyCommandVariant, orderCmd } from './support/durability-fixtures.ts';
import { tempDirs } from './support/temp-dirs.ts';

function readAll(dir: string, from = 0): { cmds: Command[]; stats: ReturnType<typeof readJournal> } {
  const cmds: Command[] = [];
  const stats = readJournal(dir, from, (c) => cmds.push(c));
  return { cmds, stats };
}

describe('60 journal: codec, CRC, writer, reader', () => {
  const mk = tempDirs('aurex-journal-');

  it('CRC-32C matches the standard check value and handles offsets', () => {
    const b = Buffer.from('xx123456789yy');
    expect(crc32c(b, 2, 11)).to.equal(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).to.equal(0);
    // sanity against a different algorithm: differs from plain CRC-32 (so the polynomial is really Castagnoli)
    expect(crc32c(Buffer.from('123456789'))).to.not.equal(zlib.crc32(Buffer.from('123456789')));
    // long input crosses the 8-byte fast path: equal to the byte-at-a-time continuation
    const long = Buffer.from(Array.from({ length: 1001 }, (_, i) => (i * 31) & 0xff));
    expect(crc32c(long)).to.equal(crc32c(long, 500, 1001, crc32c(long, 0, 500)));
  });

  it('the native record check (verifiedRecords) vouches for exactly the prefix the TypeScript check accepts, under random damage', () => {
    // without the addon (not built, or AUREX_NATIVE_CRC=0) it vouches for nothing, and checkRecord checks every checksum itself
    const native = nativeAvailable() && process.env.AUREX_NATIVE_CRC !== '0';
    const rnd = new Prng(2026_12_02);
    let damaged = 0;
    for (let round = 0; round < 400; round++) {
      // records of random lengths (some payloads long enough for the 8-byte path, some odd)
      const parts: Buffer[] = [];
      const starts: number[] = [];
      let at = 0;
      const n = 1 + rnd.int(40);
      for (let i = 0; i < n; i++) {
        const len = MIN_RECORD_BYTES + rnd.int(rnd.chance(0.1) ? 3000 : 80);
        const rec = Buffer.alloc(RECORD_HEADER_BYTES + len);
        for (let k = RECORD_HEADER_BYTES; k < rec.length; k++) rec[k] = rnd.int(256);
        rec.writeUInt32LE(len, 0);
        rec.writeUInt32LE(crc32c(rec, RECORD_HEADER_BYTES, rec.length), 4);
        parts.push(rec);
        starts.push(at);
        at += rec.length;
      }
      const buf = Buffer.concat(parts);
      // damage: a flipped bit anywhere, a bad length, or a cut
      const what = rnd.int(4);
      let limit = buf.length;
      if (what === 1) buf[rnd.int(buf.length)] ^= 1 << rnd.int(8);
      else if (what === 2) buf.writeUInt32LE(rnd.chance(0.5) ? MAX_RECORD_BYTES + 1 + rnd.int(10) : rnd.int(MIN_RECORD_BYTES), starts[rnd.int(n)]!);
      else if (what === 3) limit = rnd.int(buf.length + 1);
      // the plain walk: the first record checkRecord refuses (checksum computed in TypeScript)
      let p = 0;
      for (;;) {
        const end = checkRecord(buf, p, limit);
        if (end < 0) break;
        p = end;
      }
      if (p < limit) damaged++;
      expect(verifiedRecords(buf, 0, limit), `round ${round}`).to.equal(native ? p : 0);
    }
    expect(damaged).to.be.greaterThan(100);
    expect(verifiedRecords(Buffer.alloc(0), 0)).to.equal(0);
    if (!native) return;
    // arguments the addon refuses rather than reading out of bounds
    const a = loadAddon();
    expect(() => a.crc32cVerify(Buffer.alloc(8), 0, 9, MIN_RECORD_BYTES, MAX_RECORD_BYTES)).to.throw(RangeError);
    expect(() => a.crc32cVerify(new Float64Array(2) as unknown as Uint8Array, 0, 8, MIN_RECORD_BYTES, MAX_RECORD_BYTES)).to.throw(TypeError);
  });

  it('encodes and decodes every Command variant exactly', () => {
    const w = new ByteWriter(16);
    const cmds = everyCommandVariant();
    const offsets: number[] = [];
    for (const c of cmds) {
      offsets.push(w.pos);
      encodeCommand(w, c);
    }
    offsets.push(w.pos);
    // one record per reader window, as the journal stores them
    cmds.forEach((c, i) => {
      const r = new ByteReader(w.view(), offsets[i]!, offsets[i + 1]!);
      expect(decodeCommand(r)).to.deep.equal(c);
      expect(r.pos).to.equal(offsets[i + 1]);
    });
    // compact: a limit order with short strings is well under 100 bytes
    expect(offsets[7]! - offsets[6]!).to.be.below(80);
  });

  it('reads symbols through the short-string cache exactly, with more distinct strings than it holds', () => {
    const words = ['', 'A', 'AAPL', 'MSFT', 'BRK.B', 'ABCDEFGH', 'ABCDEFGHI', 'Ünï', 'ÄÄÄÄ', '€', 'X1', 'X2', 'Y1', 'AB\u0000', 'AB'];
    for (let i = 0; i < 100; i++) words.push(`S${i}`, `${i}S`);
    const w = new ByteWriter();
    const order: string[] = [];
    for (let round = 0; round < 3; round++) for (let i = 0; i < words.length; i++) order.push(words[(i * 7 + round) % words.length]!);
    for (const s of order) w.str(s);
    const r = new ByteReader(w.view());
    for (const want of order) expect(r.sym()).to.equal(want);
    expect(r.pos).to.equal(w.view().length);
  });

  it('reads strings exactly: short ASCII built from the bytes, anything else through the UTF-8 decoder', () => {
    const words = ['', 'A', 'c1', 'w123456', 'ABCDEFGHIJKLMNO', 'ABCDEFGHIJKLMNOP', 'ABCDEFGHIJKLMNOPQ', '9007199254740991', 'a\u007f', 'a\u0080', 'é', 'Üñï-1', '€uro', '😀', 'x😀y', 'AB\u0000', '\u0000'];
    for (let n = 1; n <= 20; n++) words.push('z'.repeat(n - 1) + 'é', 'q'.repeat(n));
    const w = new ByteWriter();
    for (const s of words) w.str(s);
    const r = new ByteReader(w.view());
    for (const want of words) expect(r.str()).to.equal(want);
    expect(r.pos).to.equal(w.view().length);
  });

  it('rejects a malformed record instead of inventing a command', () => {
    const w = new ByteWriter();
    encodeCommand(w, everyCommandVariant()[6]!);
    const bad = Buffer.from(w.view());
    bad[0] = 99;
    expect(() => decodeCommand(new ByteReader(bad))).to.throw(RangeError);
    expect(() => decodeCommand(new ByteReader(w.view().subarray(0, 20)))).to.throw(RangeError);
  });

  for (const mode of ['fsync', 'write'] as const) {
    it(`writes groups in ${mode} mode, ordered callbacks, and reads them back`, async () => {
      const dir = mk();
      const j = JournalWriter.open({ dir, mode });
      const order: number[] = [];
      const cmds = everyCommandVariant();
      // three flushes interleaved with appends while the first group is in flight
      j.append(cmds[0]!);
      j.append(cmds[1]!);
      j.flush(() => order.push(1));
      for (let i = 2; i < 10; i++) j.append(cmds[i]!);
      j.flush(() => order.push(2));
      j.flush(() => order.push(3)); // nothing new: waits for the group before it
      for (let i = 10; i < cmds.length; i++) j.append(cmds[i]!);
      await j.flushAsync();
      order.push(4);
      expect(order).to.deep.equal([1, 2, 3, 4]);
      expect(j.durableSeq).to.equal(cmds.length);
      expect(j.stats.groups).to.be.at.least(2);
      await j.closeAsync();
      const { cmds: back, stats } = readAll(dir);
      expect(back).to.deep.equal(cmds);
      expect(stats.torn).to.equal(undefined);
      expect(readAll(dir, 10).cmds.map((c) => c.seq)).to.deep.equal(cmds.slice(10).map((c) => c.seq));
    });
  }

  it('refuses out-of-order sequences', () => {
    const j = JournalWriter.open({ dir: mk(), mode: 'write' });
    j.append(orderCmd(5));
    expect(() => j.append(orderCmd(5))).to.throw(RangeError);
    j.close();
  });

  it('rolls files at the size limit without splitting records, and removes covered files', async () => {
    const dir = mk();
    const j = JournalWriter.open({ dir, mode: 'write', rollBytes: 4096 });
    for (let s = 1; s <= 2000; s++) {
      j.append(orderCmd(s));
      if (s % 50 === 0) await j.flushAsync();
    }
    await j.flushAsync();
    const files = listJournalFiles(dir);
    expect(files.length).to.be.above(5);
    expect(files[0]!.firstSeq).to.equal(1);
    for (let i = 1; i < files.length; i++) {
      const { commands, scan } = readJournalFile(files[i]!);
      expect(scan.tornReason).to.equal(undefined);
      expect(commands[0]!.seq).to.equal(files[i]!.firstSeq);
    }
    const { cmds } = readAll(dir);
    expect(cmds.length).to.equal(2000);
    expect(cmds.every((c, i) => c.seq === i + 1)).to.equal(true);
    // a snapshot at 1000 covers the files whose successor starts at or before 1001
    const removed = j.removeCoveredBy(1000);
    expect(removed.length).to.be.above(0);
    const left = listJournalFiles(dir);
    expect(left[0]!.firstSeq).to.be.at.most(1001);
    expect(readAll(dir, 1000).cmds.map((c) => c.seq)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => 1001 + i));
    // never removes the file being appended to
    j.removeCoveredBy(1e9);
    expect(listJournalFiles(dir).length).to.equal(1);
    await j.closeAsync();
  });

  it('detects a torn tail by length/CRC, ignores it, and truncates it when reopened', async () => {
    const dir = mk();
    const j = JournalWriter.open({ dir, mode: 'write' });
    // one group per command, so that tearing the end drops exactly the last command
    for (let s = 1; s <= 100; s++) {
      j.append(orderCmd(s));
      await j.flushAsync();
    }
    await j.closeAsync();
    const file = listJournalFiles(dir)[0]!.path;
    const full = fs.statSync(file).size;
    // 1) a record cut in the middle (crash mid-write)
    fs.truncateSync(file, full - 7);
    let r = readAll(dir);
    expect(r.cmds.length).to.equal(99);
    expect(r.stats.torn?.reason).to.match(/truncated/);
    // 2) garbage bytes after the last full record (a write that landed partly)
    const good = r.stats.torn!.offset;
    fs.truncateSync(file, good);
    fs.appendFileSync(file, Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]));
    r = readAll(dir);
    expect(r.cmds.length).to.equal(99);
    expect(r.stats.torn).to.not.equal(undefined);
    // 3) a flipped bit inside the last record's payload
    const buf = fs.readFileSync(file).subarray(0, good);
    buf[good - 3] ^= 0x10;
    fs.writeFileSync(file, buf);
    r = readAll(dir);
    expect(r.cmds.length).to.equal(98);
    expect(r.stats.torn?.reason).to.match(/checksum/);
    // reopening for writing truncates the bad tail and continues after seq 98
    const j2 = JournalWriter.open({ dir, mode: 'fsync' });
    expect(j2.lastSeq).to.equal(98);
    j2.append(orderCmd(99, 1000));
    await j2.flushAsync();
    await j2.closeAsync();
    r = readAll(dir);
    expect(r.stats.torn).to.equal(undefined);
    expect(r.cmds.map((c) => c.seq)).to.deep.equal(Array.from({ length: 99 }, (_, i) => i + 1));
    expect((r.cmds[98] as { clientOrderId: string }).clientOrderId).to.equal('o-1000');
  });

  it('treats corruption before the last file as an error, not a torn tail', async () => {
    const dir = mk();
    const j = JournalWriter.open({ dir, mode: 'write', rollBytes: 2048 });
    for (let s = 1; s <= 300; s++) {
      j.append(orderCmd(s));
      if (s % 20 === 0) await j.flushAsync();
    }
    await j.closeAsync();
    const first = listJournalFiles(dir)[0]!.path;
    const buf = fs.readFileSync(first);
    buf[40] ^= 0xff;
    fs.writeFileSync(first, buf);
    expect(() => readAll(dir)).to.throw(JournalCorruptError);
  });

  it('fails stop on a write error: every waiting and later flush gets the error', async () => {
    const dir = mk();
    let fatal: Error | undefined;
    const j = JournalWriter.open({ dir, mode: 'write', onFatal: (e) => (fatal = e) });
    j.append(orderCmd(1));
    await j.flushAsync();
    // close the descriptor behind the writer's back: the next write fails with EBADF
    fs.closeSync((j as unknown as { fd: number }).fd);
    j.append(orderCmd(2));
    const errs: (Error | undefined)[] = [];
    j.flush((e) => errs.push(e));
    await new Promise((r) => setTimeout(r, 50));
    expect(errs.length).to.equal(1);
    expect(errs[0]).to.be.instanceOf(Error);
    expect(fatal).to.equal(errs[0]);
    j.append(orderCmd(3)); // dropped: append never throws for I/O
    let late: Error | undefined;
    j.flush((e) => (late = e));
    expect(late).to.equal(fatal);
  });

  it('mode none journals nothing and calls back at once', () => {
    const dir = path.join(mk(), 'none');
    const j = JournalWriter.open({ dir, mode: 'none' });
    j.append(orderCmd(1));
    let called = false;
    j.flush(() => (called = true));
    expect(called).to.equal(true);
    expect(fs.existsSync(dir)).to.equal(false);
  });
});

/** Offsets [header, payloadEnd, seq, start of its group] of every committed command record of a journal file. */
function recordsOf(file: string): { at: number; end: number; seq: number; group: number }[] {
  const out: { at: number; end: number; seq: number; group: number }[] = [];
  scanRecords(fs.readFileSync(file), (start, end, seq, group) => out.push({ at: start - RECORD_HEADER_BYTES, end, seq, group }));
  return out;
}

/** Appends `payloads` to a journal file as one group: records, then its commit record (the writer's framing). */
function appendGroup(file: string, payloads: Buffer[], lastSeq: number): void {
  const groupStart = fs.statSync(file).size;
  const parts: Buffer[] = [];
  for (const payload of payloads) {
    const head = Buffer.alloc(RECORD_HEADER_BYTES);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32c(payload), 4);
    parts.push(head, payload);
  }
  const commit = Buffer.alloc(COMMIT_RECORD_BYTES);
  writeCommitRecord(commit, 0, lastSeq, groupStart, payloads.length);
  parts.push(commit);
  fs.appendFileSync(file, Buffer.concat(parts));
}

async function journalOf(dir: string, n: number, opts: { rollBytes?: number; every?: number } = {}): Promise<JournalWriter> {
  const j = JournalWriter.open({ dir, mode: 'write', rollBytes: opts.rollBytes });
  for (let s = 1; s <= n; s++) {
    j.append(orderCmd(s));
    if (s % (opts.every ?? 25) === 0) await j.flushAsync();
  }
  await j.flushAsync();
  return j;
}

const bigSymbolConfig = (symbol: string) => ({
  symbol, name: 'Huge', tickSize: 1, lotSize: 1, referencePrice: 100, bandPercent: 10, maxOrderQty: 10, maxOrderNotional: 1_000_000,
});

describe('60 journal: records that cannot be written, damage that is not a torn tail, codec strictness', () => {
  const mk = tempDirs('aurex-journal-');

  it('the edge refuses an addSymbol the journal cannot encode: the journal stays whole and later commands are acknowledged', async () => {
    const dir = mk();
    const journal = JournalWriter.open({ dir, mode: 'fsync' });
    const core = new ExchangeCore({ market: { indices: [], symbols: [bigSymbolConfig('AAA')] }, book: 'reference', log: journal, indexIntervalMs: 0 });
    try {
      expect((await core.executeAsync({ type: 'createAccount', accountId: 1, cash: 1_000 })).code).to.equal(Code.OK);
      // 70,000 bytes: more than ByteWriter.str's u16 length; used to throw inside append and leave half a record
      const huge = await core.executeAsync({ type: 'addSymbol', config: bigSymbolConfig('A'.repeat(70_000)) } as Command);
      expect(huge).to.deep.include({ code: Code.INVALID_CONFIG, seq: 0 });
      expect((await core.executeAsync({ type: 'deposit', accountId: 1, amount: 5 })).code).to.equal(Code.OK);
      expect(journal.error).to.equal(undefined);
    } finally {
      core.close();
      core.exchange.close();
      await journal.closeAsync();
    }
    const { cmds, stats } = readAll(dir);
    expect(stats.torn).to.equal(undefined);
    expect(cmds.map((c) => c.type)).to.deep.equal(['createAccount', 'deposit']);
    expect(cmds.map((c) => c.seq)).to.deep.equal([1, 2]);
  });

  it('an unencodable command fails the writer (fail-stop) without a partial record: earlier groups stay readable', async () => {
    const dir = mk();
    const fatal: Error[] = [];
    const j = JournalWriter.open({ dir, mode: 'fsync', onFatal: (e) => fatal.push(e) });
    j.append(orderCmd(1));
    j.append(orderCmd(2));
    await j.flushAsync();
    j.append(orderCmd(3)); // same group as the bad one: never written, its flush fails
    expect(() => j.append({ type: 'addSymbol', seq: 4, ts: 4, config: bigSymbolConfig('B'.repeat(70_000)) })).to.not.throw();
    expect(fatal).to.have.length(1);
    expect(fatal[0]!.message).to.match(/cannot record command 4 \(addSymbol\): string longer than 65535 bytes/);
    j.append(orderCmd(5)); // dropped
    const errs: (Error | undefined)[] = [];
    j.flush((e) => errs.push(e));
    expect(errs).to.deep.equal([fatal[0]]);
    expect(j.lastSeq).to.equal(3);
    expect(j.durableSeq).to.equal(2);
    await j.closeAsync().catch(() => undefined);
    const { cmds, stats } = readAll(dir);
    expect(stats.torn).to.equal(undefined);
    expect(cmds.map((c) => c.seq)).to.deep.equal([1, 2]);
    // the directory reopens cleanly and continues after the last durable record
    const j2 = JournalWriter.open({ dir, mode: 'fsync' });
    expect(j2.lastSeq).to.equal(2);
    await j2.closeAsync();
  });

  it('refuses a record above MAX_RECORD_BYTES and a map whose count does not fit its u16', async () => {
    const positions = (n: number, keyLen: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i).padStart(keyLen, 'K'), 1]));
    for (const [cmd, msg] of [
      // 20,000 entries x 70 bytes: every string fits, the record does not (1.4 MB)
      [{ type: 'createAccount', seq: 1, ts: 1, accountId: 1, cash: 0, positions: positions(20_000, 60) }, /exceeds 1048576/],
      // 70,000 entries: the u16 count would wrap to 4,464
      [{ type: 'createAccount', seq: 1, ts: 1, accountId: 1, cash: 0, positions: positions(70_000, 6) }, /map of 70000 entries/],
    ] as [Command, RegExp][]) {
      const dir = mk();
      let fatal: Error | undefined;
      const j = JournalWriter.open({ dir, mode: 'write', onFatal: (e) => (fatal = e) });
      j.append(cmd);
      expect(fatal?.message).to.match(msg);
      await j.flushAsync().then(
        () => expect.fail('flush after a failed append must fail'),
        (e: Error) => expect(e).to.equal(fatal),
      );
      await j.closeAsync().catch(() => undefined);
      expect(readAll(dir).cmds).to.have.length(0);
    }
  });

  it('a failed append while a group is in flight lets that group complete and close() still finishes', async () => {
    const dir = mk();
    const j = JournalWriter.open({ dir, mode: 'fsync' });
    j.append(orderCmd(1));
    const first: (Error | undefined)[] = [];
    j.flush((e) => first.push(e)); // in flight now
    j.append({ type: 'addSymbol', seq: 2, ts: 2, config: bigSymbolConfig('C'.repeat(70_000)) });
    let closeErr: Error | undefined;
    await new Promise<void>((resolve) => j.close((e) => ((closeErr = e), resolve())));
    expect(first).to.deep.equal([undefined]); // record 1 was written and synced
    expect(closeErr?.message).to.match(/cannot record command 2/);
    expect(readAll(dir).cmds.map((c) => c.seq)).to.deep.equal([1]);
  });

  const damages: [string, (buf: Buffer, rec: { at: number; end: number }) => void][] = [
    ['flipped payload bit', (b, r) => (b[r.end - 2] ^= 0x01)],
    ['zeroed length', (b, r) => b.writeUInt32LE(0, r.at)],
    ['huge length', (b, r) => b.writeUInt32LE(0x7fffffff, r.at)],
    ['flipped CRC', (b, r) => (b[r.at + 4] ^= 0x80)],
  ];

  /** A journal of 100 commands in groups of 25 (1-25, 26-50, 51-75, 76-100) with record `victim` damaged, plus `tail` bytes. */
  const damagedJournal = async (damage: (buf: Buffer, rec: { at: number; end: number }) => void, victim: number, tail = Buffer.alloc(0)) => {
    const dir = mk();
    await (await journalOf(dir, 100)).closeAsync();
    const file = listJournalFiles(dir)[0]!.path;
    const recs = recordsOf(file);
    const buf = fs.readFileSync(file);
    damage(buf, recs[victim]!);
    fs.writeFileSync(file, Buffer.concat([buf, tail]));
    return { dir, file, recs, size: buf.length + tail.length };
  };

  it('damage in a group that a committed group follows is corruption: read refuses, reopening refuses and truncates nothing', async () => {
    for (const [what, damage] of damages) {
      for (const victim of [0, 49, 74]) {
        const { dir, file, size } = await damagedJournal(damage, victim);
        expect(() => readAll(dir), `${what} in record ${victim + 1}`).to.throw(JournalCorruptError, /not a torn tail/);
        expect(() => JournalWriter.open({ dir, mode: 'fsync' }), `${what} in record ${victim + 1}`).to.throw(JournalCorruptError);
        expect(fs.statSync(file).size).to.equal(size);
      }
    }
  });

  it('damage anywhere in the last group is a torn write (a power loss persisting its pages out of order): the group is dropped whole', async () => {
    for (const [what, damage] of damages) {
      for (const victim of [75, 80, 99]) {
        // a zero-filled region after it, as a lost page leaves it
        const { dir, recs } = await damagedJournal(damage, victim, Buffer.alloc(4096));
        const r = readAll(dir);
        expect(r.cmds.map((c) => c.seq), `${what} in record ${victim + 1}`).to.deep.equal(Array.from({ length: 75 }, (_, i) => i + 1));
        expect(r.stats.torn?.offset).to.equal(recs[75]!.group);
        const j = JournalWriter.open({ dir, mode: 'fsync' });
        expect(j.lastSeq).to.equal(75);
        j.append(orderCmd(76, 7600));
        await j.closeAsync();
        expect(readAll(dir).cmds.map((c) => c.seq)).to.deep.equal(Array.from({ length: 76 }, (_, i) => i + 1));
        expect((readAll(dir).cmds[75] as { clientOrderId: string }).clientOrderId).to.equal('o-7600');
      }
    }
  });

  it('a hole in the last group with its later records and commit record intact (pages written out of order) is torn, not corruption', async () => {
    const dir = mk();
    await (await journalOf(dir, 100)).closeAsync();
    const file = listJournalFiles(dir)[0]!.path;
    const recs = recordsOf(file);
    const buf = fs.readFileSync(file);
    // records 78-80 lost (zeros), 81-100 and the commit record on disk
    buf.fill(0, recs[77]!.at, recs[80]!.at);
    fs.writeFileSync(file, buf);
    expect(readAll(dir).cmds).to.have.length(75);
    const j = JournalWriter.open({ dir, mode: 'fsync' });
    expect(j.lastSeq).to.equal(75);
    await j.closeAsync();
    expect(fs.statSync(file).size).to.equal(recs[75]!.group);
  });

  it('a group whose commit record is missing, or does not match it, is dropped; a commit record of another group after damage is corruption', async () => {
    // commit record lost: complete records without it at the end
    let dir = mk();
    await (await journalOf(dir, 50)).closeAsync();
    let file = listJournalFiles(dir)[0]!.path;
    let recs = recordsOf(file);
    fs.truncateSync(file, recs[49]!.end);
    let r = readAll(dir);
    expect(r.cmds).to.have.length(25);
    expect(r.stats.torn?.reason).to.match(/uncommitted group of 25 records/);
    // a commit record that counts the wrong number of records
    dir = mk();
    await (await journalOf(dir, 50)).closeAsync();
    file = listJournalFiles(dir)[0]!.path;
    recs = recordsOf(file);
    let buf = fs.readFileSync(file);
    writeCommitRecord(buf, recs[49]!.end, 50, recs[25]!.group, 24);
    fs.writeFileSync(file, buf);
    r = readAll(dir);
    expect(r.cmds).to.have.length(25);
    expect(r.stats.torn?.reason).to.match(/commit record .* does not match its group/);
    // damage in group 1 with group 2's commit record (its own group start) after it
    dir = mk();
    await (await journalOf(dir, 50)).closeAsync();
    file = listJournalFiles(dir)[0]!.path;
    recs = recordsOf(file);
    buf = fs.readFileSync(file);
    buf.fill(0, recs[10]!.at, recs[30]!.at);
    fs.writeFileSync(file, buf);
    expect(() => readAll(dir)).to.throw(JournalCorruptError, /a committed group .* follows/);
  });

  it('reads version 1 files (no commit records) and continues them in a new version 2 file', async () => {
    const dir = mk();
    const v1 = path.join(dir, journalFileName(1));
    const head = Buffer.alloc(FILE_HEADER_BYTES);
    writeFileHeader(head, 1);
    head.writeUInt32LE(JOURNAL_VERSION_V1, 4);
    const parts = [head];
    for (let s = 1; s <= 10; s++) {
      const w = new ByteWriter();
      encodeCommand(w, orderCmd(s));
      const payload = Buffer.from(w.view());
      const h = Buffer.alloc(RECORD_HEADER_BYTES);
      h.writeUInt32LE(payload.length, 0);
      h.writeUInt32LE(crc32c(payload), 4);
      parts.push(h, payload);
    }
    // and a torn last record
    parts.push(Buffer.from([60, 0, 0, 0, 1, 2, 3]));
    fs.writeFileSync(v1, Buffer.concat(parts));
    let r = readAll(dir);
    expect(r.cmds.map((c) => c.seq)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(r.stats.torn?.reason).to.match(/short record header/);
    const j = JournalWriter.open({ dir, mode: 'fsync' });
    expect(j.lastSeq).to.equal(10);
    for (let s = 11; s <= 20; s++) j.append(orderCmd(s));
    await j.closeAsync();
    expect(listJournalFiles(dir).map((f) => f.firstSeq)).to.deep.equal([1, 11]);
    r = readAll(dir);
    expect(r.cmds.map((c) => c.seq)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(r.stats.torn).to.equal(undefined);
    // damage in the middle of a version 1 file stays corruption (no commit records to tell a torn group)
    const buf = fs.readFileSync(v1);
    buf[FILE_HEADER_BYTES + 20] ^= 0xff;
    fs.writeFileSync(v1, buf);
    expect(() => readAll(dir)).to.throw(JournalCorruptError);
  });

  it('a damaged file header followed by valid records is corruption, not a file torn at creation', async () => {
    const dir = mk();
    await (await journalOf(dir, 10)).closeAsync();
    const file = listJournalFiles(dir)[0]!.path;
    const buf = fs.readFileSync(file);
    buf[1] ^= 0xff;
    fs.writeFileSync(file, buf);
    expect(() => JournalWriter.open({ dir, mode: 'fsync' })).to.throw(JournalCorruptError, /bad file header/);
    expect(fs.statSync(file).size).to.equal(buf.length);
  });

  it('decodeCommand rejects trailing bytes; a CRC-valid record with them is reported as corruption', async () => {
    const w = new ByteWriter();
    encodeCommand(w, orderCmd(1));
    const rec = Buffer.concat([w.view(), Buffer.from([0])]);
    expect(() => decodeCommand(new ByteReader(rec))).to.throw(RangeError, /1 trailing bytes after a new command/);
    expect(decodeCommand(new ByteReader(rec, 0, rec.length - 1))).to.deep.equal(orderCmd(1));
    // the same payload framed with a correct length and CRC in a journal file
    const dir = mk();
    await (await journalOf(dir, 3)).closeAsync();
    const file = listJournalFiles(dir)[0]!.path;
    const payload = Buffer.from(rec);
    payload.writeDoubleLE(4, 1); // seq 4 follows the file's 3
    appendGroup(file, [payload], 4);
    expect(() => readAll(dir)).to.throw(JournalCorruptError, /undecodable record .* trailing bytes/);
  });

  it('decoded maps have no prototype: a "__proto__" key is plain data; a repeated key is refused', () => {
    const positions = JSON.parse('{"__proto__": 5, "AAPL": 1}') as Record<string, number>;
    const w = new ByteWriter();
    encodeCommand(w, { type: 'createAccount', seq: 1, ts: 1, accountId: 1, cash: 0, positions });
    const back = decodeCommand(new ByteReader(w.view())) as { positions: Record<string, number> };
    expect(Object.getPrototypeOf(back.positions)).to.equal(null);
    expect(Object.keys(back.positions)).to.deep.equal(['__proto__', 'AAPL']);
    expect(back.positions['__proto__']).to.equal(5);
    expect(({} as Record<string, unknown>).AAPL).to.equal(undefined);
    // the same with indices of an addSymbol
    const w2 = new ByteWriter();
    encodeCommand(w2, { type: 'addSymbol', seq: 1, ts: 1, config: { ...bigSymbolConfig('X'), indices: JSON.parse('{"__proto__": 2}') } });
    const cfg = (decodeCommand(new ByteReader(w2.view())) as { config: { indices: Record<string, number> } }).config;
    expect(Object.getOwnPropertyNames(cfg.indices)).to.deep.equal(['__proto__']);
    // {AAPL, AAPM} -> {AAPL, AAPL}
    const w3 = new ByteWriter();
    encodeCommand(w3, { type: 'createAccount', seq: 1, ts: 1, accountId: 1, cash: 0, positions: { AAPL: 1, AAPM: 2 } });
    const dup = Buffer.from(w3.view());
    dup[dup.indexOf('AAPM')! + 3] = 'L'.charCodeAt(0);
    expect(() => decodeCommand(new ByteReader(dup))).to.throw(RangeError, /repeated key "AAPL"/);
  });
});

describe('60 journal cursor: retention under the cursor, damage while tailing', () => {
  const mk = tempDirs('aurex-journal-');

  it('continues in the next file when retention removes the file it has fully read', async () => {
    const dir = mk();
    const j = await journalOf(dir, 600, { rollBytes: 2048, every: 20 });
    const files = listJournalFiles(dir);
    expect(files.length).to.be.above(4);
    const endOfThird = files[3]!.firstSeq - 1;
    const c = new JournalCursor(dir, 0);
    const got: number[] = [];
    // stop exactly at the end of the third file (max, not untilSeq, so the cursor stays on that file)
    expect(c.read(endOfThird, Infinity, (cmd) => got.push(cmd.seq!))).to.equal(endOfThird);
    expect(j.removeCoveredBy(endOfThird)).to.have.length(3); // the file the cursor sits on is gone
    while (c.read(100, Infinity, (cmd) => got.push(cmd.seq!)) > 0);
    expect(got).to.deep.equal(Array.from({ length: 600 }, (_, i) => i + 1));
    await j.closeAsync();
  });

  it('reports a gap (not ENOENT) when retention removed records it had not delivered yet', async () => {
    const dir = mk();
    const j = await journalOf(dir, 600, { rollBytes: 2048, every: 20 });
    const files = listJournalFiles(dir);
    const c = new JournalCursor(dir, 0);
    const got: number[] = [];
    expect(c.read(5, Infinity, (cmd) => got.push(cmd.seq!))).to.equal(5);
    j.removeCoveredBy(files[3]!.firstSeq - 1);
    // what it had already loaded of the removed file is still delivered, then the gap is reported
    expect(() => {
      while (c.read(100, Infinity, (cmd) => got.push(cmd.seq!)) > 0);
    }).to.throw(JournalCorruptError, new RegExp(`journal starts at ${files[3]!.firstSeq}, records after ${files[1]!.firstSeq - 1} are gone`));
    expect(got).to.deep.equal(Array.from({ length: files[1]!.firstSeq - 1 }, (_, i) => i + 1));
    await j.closeAsync();
  });

  it('damage with valid records after it in the newest file throws instead of waiting forever; a torn tail just waits', async () => {
    const dir = mk();
    await (await journalOf(dir, 50)).closeAsync();
    const file = listJournalFiles(dir)[0]!.path;
    const recs = recordsOf(file);
    const pristine = fs.readFileSync(file);
    // torn tail: the cursor delivers what is valid and reports nothing new
    fs.writeFileSync(file, pristine.subarray(0, recs[49]!.end - 3));
    const tail: number[] = [];
    const c1 = new JournalCursor(dir, 0);
    expect(c1.read(1000, Infinity, (cmd) => tail.push(cmd.seq!))).to.equal(49);
    expect(c1.read(1000, Infinity, () => undefined)).to.equal(0);
    // the rest of the write lands: the cursor picks it up
    fs.writeFileSync(file, pristine);
    expect(c1.read(1000, Infinity, (cmd) => tail.push(cmd.seq!))).to.equal(1);
    expect(tail).to.have.length(50);
    // a flipped bit in record 20 of 50
    const bad = Buffer.from(pristine);
    bad[recs[19]!.end - 2] ^= 0x01;
    fs.writeFileSync(file, bad);
    const got: number[] = [];
    const c2 = new JournalCursor(dir, 0);
    expect(() => c2.read(1000, Infinity, (cmd) => got.push(cmd.seq!))).to.throw(JournalCorruptError, /checksum mismatch .* valid record after it/);
    expect(got).to.deep.equal(Array.from({ length: 19 }, (_, i) => i + 1));
  });
});
