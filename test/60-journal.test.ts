import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ByteReader, ByteWriter } from '../engine/journal/byte-buffer.ts';
import { decodeCommand, encodeCommand } from '../engine/journal/command-codec.ts';
import { crc32c } from '../engine/journal/crc32c.ts';
import { listJournalFiles } from '../engine/journal/journal-format.ts';
import { readJournal, readJournalFile, JournalCorruptError } from '../engine/journal/journal-reader.ts';
import { JournalWriter } from '../engine/journal/journal-writer.ts';
import type { Command } from '../engine/types.ts';
import { everyCommandVariant, orderCmd } from './support/durability-fixtures.ts';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-journal-'));
}

function readAll(dir: string, from = 0): { cmds: Command[]; stats: ReturnType<typeof readJournal> } {
  const cmds: Command[] = [];
  const stats = readJournal(dir, from, (c) => cmds.push(c));
  return { cmds, stats };
}

describe('60 journal: codec, CRC, writer, reader', () => {
  const dirs: string[] = [];
  const mk = () => {
    const d = tmpDir();
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

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

  it('encodes and decodes every Command variant exactly', () => {
    const w = new ByteWriter(16);
    const cmds = everyCommandVariant();
    const offsets: number[] = [];
    for (const c of cmds) {
      offsets.push(w.pos);
      encodeCommand(w, c);
    }
    const r = new ByteReader(w.view());
    for (const c of cmds) expect(decodeCommand(r)).to.deep.equal(c);
    expect(r.pos).to.equal(w.pos);
    // compact: a limit order with short strings is well under 100 bytes
    expect(offsets[7]! - offsets[6]!).to.be.below(80);
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
    const j = JournalWriter.open({ dir, mode: 'fsync' });
    for (let s = 1; s <= 100; s++) j.append(orderCmd(s));
    await j.flushAsync();
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
