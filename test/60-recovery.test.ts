import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exchange } from '../engine/exchange.ts';
import { SnapshotCapturer, captureExchange, recoverableExchange } from '../engine/journal/exchange-adapter.ts';
import { listJournalFiles } from '../engine/journal/journal-format.ts';
import { JournalWriter } from '../engine/journal/journal-writer.ts';
import { recoverAndOpen, recoverState } from '../engine/journal/recovery.ts';
import { decodeExchangeSnapshot, encodeExchangeSnapshot, snapshotFormat } from '../engine/journal/snapshot-codec.ts';
import { SnapshotScheduler } from '../engine/journal/snapshot-scheduler.ts';
import { SnapshotStore } from '../engine/journal/snapshot-store.ts';
import type { Command } from '../engine/types.ts';
import { Workload } from './support/durability-workload.ts';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-recovery-'));
}

describe('60 snapshots and recovery (real Exchange)', function () {
  const dirs: string[] = [];
  const exchanges: Exchange[] = [];
  const mkEx = () => {
    const e = new Exchange();
    exchanges.push(e);
    return e;
  };
  const mk = () => {
    const d = tmpDir();
    dirs.push(d);
    return d;
  };
  after(() => {
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    exchanges.forEach((e) => e.close());
  });

  function drive(ex: Exchange, j: JournalWriter | undefined, cmds: Command[]): void {
    for (const c of cmds) {
      j?.append(c);
      ex.apply(c);
    }
  }

  it('binary snapshot codec round-trips a live exchange exactly', () => {
    const ex = mkEx();
    const w = new Workload({ symbols: ex.symbols().slice(0, 3), seed: 7 });
    drive(ex, undefined, w.setup());
    for (let i = 0; i < 5000; i++) drive(ex, undefined, [w.next()]);
    const snap = ex.snapshot();
    expect(snap.orders.count).to.be.above(100);
    const bytes = encodeExchangeSnapshot(snap);
    expect(snapshotFormat(bytes)).to.equal('binary');
    expect(decodeExchangeSnapshot(bytes)).to.deep.equal(snap);
    const ex2 = mkEx();
    ex2.restore(decodeExchangeSnapshot(bytes));
    expect(ex2.stateHash()).to.equal(ex.stateHash());
  });

  it('a capturer that reuses its buffers gives, capture after capture, the bytes of a fresh encode', () => {
    const ex = mkEx();
    const w = new Workload({ symbols: ex.symbols().slice(0, 3), seed: 11, restingShare: 0.6 });
    drive(ex, undefined, w.setup());
    const capturer = new SnapshotCapturer(ex);
    const sizes: number[] = [];
    // the book grows, then shrinks under mass cancels: the reused buffers must never leak stale bytes
    for (let round = 0; round < 6; round++) {
      if (round < 4) for (let i = 0; i < 3000; i++) drive(ex, undefined, [w.next()]);
      else drive(ex, undefined, [{ type: 'massCancel', seq: ++w.seq, ts: ++w.ts, accountId: 1 + round } as Command]);
      const cap = capturer.capture();
      const fresh = encodeExchangeSnapshot(ex.snapshot());
      expect(Buffer.compare(cap.payload as Buffer, fresh), `round ${round}`).to.equal(0);
      expect(cap.seq).to.equal(ex.lastSeq());
      const back = mkEx();
      back.restore(decodeExchangeSnapshot(Buffer.from(cap.payload as Buffer)));
      expect(back.stateHash()).to.equal(ex.stateHash());
      sizes.push((cap.payload as Buffer).length);
    }
    expect(sizes[3]!).to.be.above(sizes[0]!);
    expect(sizes[5]!).to.be.below(sizes[3]!);
  });

  it('snapshot store writes atomically, keeps the newest N, skips a corrupt newest one', async () => {
    const dir = mk();
    const store = new SnapshotStore({ dir, keep: 2 });
    for (const seq of [10, 20, 30]) await store.write(seq, [Buffer.from(`state-${seq}`), Buffer.from('!')]);
    expect(store.list().map((s) => s.seq)).to.deep.equal([30, 20]);
    expect(store.loadNewest().snapshot?.payload.toString()).to.equal('state-30!');
    // corrupt the newest: recovery falls back to the previous valid one
    const p30 = store.list()[0]!.path;
    const b = fs.readFileSync(p30);
    b[b.length - 2] ^= 1;
    fs.writeFileSync(p30, b);
    const { snapshot, skipped } = store.loadNewest();
    expect(snapshot?.seq).to.equal(20);
    expect(skipped).to.deep.equal([p30]);
    expect(store.loadNewest(15).snapshot).to.equal(undefined);
    // a protected base below the kept ones survives pruning
    await store.write(40, Buffer.from('x'), 20);
    await store.write(50, Buffer.from('y'), 20);
    expect(store.list().map((s) => s.seq)).to.deep.equal([50, 40, 20]);
  });

  it('recovers the exact state from snapshot + journal after a torn tail, then continues', async () => {
    const dir = mk();
    const ex = mkEx();
    const syms = ex.symbols().slice(0, 4);
    const w = new Workload({ symbols: syms, seed: 11 });
    const j = JournalWriter.open({ dir, mode: 'write', rollBytes: 64 * 1024 });
    const store = new SnapshotStore({ dir, keep: 2 });
    const sched = new SnapshotScheduler({
      store,
      journal: j,
      capture: () => captureExchange(ex),
      lastSeq: () => ex.lastSeq(),
      everyCommands: 3000,
      everyMs: 60_000,
    });
    drive(ex, j, w.setup());
    for (let i = 1; i <= 10_000; i++) {
      drive(ex, j, [w.next()]);
      if (i % 100 === 0) await j.flushAsync();
      if (i % 3000 === 0) sched.check();
      if (sched.busy) await new Promise((r) => setTimeout(r, 0));
    }
    while (sched.busy) await new Promise((r) => setTimeout(r, 5));
    await j.flushAsync();
    expect(sched.last?.seq).to.be.above(0);
    expect(sched.last!.removedJournalFiles).to.be.above(0);
    const acked = ex.stateHash();
    const ackedSeq = ex.lastSeq();
    // an unacknowledged command half-written at the crash
    const extra = w.next();
    j.append(extra);
    await j.flushAsync();
    await j.closeAsync();
    const files = listJournalFiles(dir);
    const last = files[files.length - 1]!.path;
    fs.truncateSync(last, fs.statSync(last).size - 5);

    const ex2 = mkEx();
    const { report, journal } = recoverAndOpen({ dir, engine: recoverableExchange(ex2), mode: 'write' });
    expect(report.snapshotSeq).to.equal(sched.last!.seq);
    expect(report.torn).to.not.equal(undefined);
    expect(report.lastSeq).to.equal(ackedSeq);
    expect(report.replayed).to.equal(ackedSeq - report.snapshotSeq);
    expect(ex2.stateHash()).to.equal(acked);
    // appending continues after the recovered sequence; a second recovery sees it
    w.seq = ackedSeq;
    const next = [w.next(), w.next()];
    drive(ex2, journal, next);
    await journal.closeAsync();
    const ex3 = mkEx();
    const r3 = recoverState({ dir, engine: recoverableExchange(ex3) });
    expect(r3.torn).to.equal(undefined);
    expect(r3.lastSeq).to.equal(ackedSeq + 2);
    expect(ex3.stateHash()).to.equal(ex2.stateHash());
  });

  it('keeps the journal from the oldest kept snapshot, so a fallback to it recovers the exact state', async () => {
    const dir = mk();
    const ex = mkEx();
    const w = new Workload({ symbols: ex.symbols().slice(0, 3), seed: 23 });
    const j = JournalWriter.open({ dir, mode: 'write', rollBytes: 32 * 1024 });
    const store = new SnapshotStore({ dir, keep: 2 });
    const sched = new SnapshotScheduler({ store, journal: j, capture: () => captureExchange(ex), lastSeq: () => ex.lastSeq(), everyCommands: 2000, everyMs: 60_000 });
    drive(ex, j, w.setup());
    for (let i = 1; i <= 9000; i++) {
      drive(ex, j, [w.next()]);
      if (i % 100 === 0) await j.flushAsync();
      if (i % 2000 === 0) {
        sched.check();
        while (sched.busy) await new Promise((r) => setTimeout(r, 2));
      }
    }
    await j.closeAsync();
    const kept = store.list();
    expect(kept.length).to.equal(2);
    // the newest snapshot is lost (bit rot): recovery falls back to the older one
    const newest = kept[0]!.path;
    const b = fs.readFileSync(newest);
    b[b.length >> 1] ^= 0xff;
    fs.writeFileSync(newest, b);
    const ex2 = mkEx();
    const report = recoverState({ dir, engine: recoverableExchange(ex2) });
    expect(report.snapshotSeq).to.equal(kept[1]!.seq);
    expect(report.skippedSnapshots).to.deep.equal([newest]);
    expect(report.lastSeq).to.equal(ex.lastSeq());
    expect(ex2.stateHash()).to.equal(ex.stateHash());
  });

  it('detects a gap in the journal instead of recovering a wrong state', async () => {
    const dir = mk();
    const ex = mkEx();
    const w = new Workload({ symbols: ex.symbols().slice(0, 2), seed: 3 });
    const j = JournalWriter.open({ dir, mode: 'write', rollBytes: 2048 });
    drive(ex, j, w.setup());
    for (let i = 0; i < 400; i++) {
      drive(ex, j, [w.next()]);
      if (i % 10 === 0) await j.flushAsync();
    }
    await j.closeAsync();
    fs.unlinkSync(listJournalFiles(dir)[1]!.path);
    expect(() => recoverState({ dir, engine: recoverableExchange(mkEx()) })).to.throw(/gap/);
  });
});
