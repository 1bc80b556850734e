import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exchange } from '../engine/exchange.ts';
import { readJournal } from '../engine/journal/journal-reader.ts';
import { SnapshotStore } from '../engine/journal/snapshot-store.ts';
import { decodeExchangeSnapshot } from '../engine/journal/snapshot-codec.ts';
import type { Command, CommandResult } from '../engine/types.ts';
import { rng, Workload } from './support/durability-workload.ts';

const CHILD = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'support/durability-child.ts');

interface Child {
  proc: ChildProcess;
  report: { snapshotSeq: number; replayed: number; lastSeq: number };
  call(m: Record<string, unknown>): Promise<any>;
  send(cmd: Command, cb: (r: CommandResult) => void): void;
}

function start(dir: string): Promise<Child> {
  const proc = fork(CHILD, [dir], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let next = 1;
  const waiting = new Map<number, (m: any) => void>();
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.on('message', (m: any) => {
      if (m.ready) {
        resolve({
          proc,
          report: m.report,
          call: (msg) =>
            new Promise((res) => {
              const id = next++;
              waiting.set(id, res);
              proc.send({ ...msg, id });
            }),
          send: (cmd, cb) => {
            const id = next++;
            waiting.set(id, (r) => cb(r.res));
            proc.send({ op: 'cmd', id, cmd });
          },
        });
        return;
      }
      const w = waiting.get(m.id);
      if (w) {
        waiting.delete(m.id);
        w(m);
      }
    });
  });
}

describe('60 crash test: SIGKILL at random moments, restart, nothing acknowledged lost', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-crash-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('recovers every acknowledged command over several kill rounds, and the state hash equals a replay', async () => {
    const r = rng(2024);
    const symbols = new Exchange().symbols().slice(0, 3);
    const acked: { cmd: Command; res: CommandResult }[] = [];
    let lastRecovered = 0;
    for (let round = 0; round < 4; round++) {
      const child = await start(dir);
      expect(child.report.lastSeq).to.be.at.least(lastRecovered);
      // every command acknowledged before the previous kill is in the recovered state
      const maxAcked = acked.reduce((m, a) => Math.max(m, a.res.seq), 0);
      expect(child.report.lastSeq).to.be.at.least(maxAcked);
      const w = new Workload({ symbols, seed: 100 + round, accounts: 10 });
      const stream: Command[] = round === 0 ? w.setup() : [];
      for (let i = 0; i < 20_000; i++) stream.push(w.next());
      for (const c of stream) {
        delete c.seq;
        delete c.ts;
        if ('clientOrderId' in c && c.clientOrderId) c.clientOrderId = `r${round}-${c.clientOrderId}`;
      }
      // several concurrent "clients": interleaved streams with their own pacing
      let sent = 0;
      const killAfterMs = 300 + Math.floor(r() * 1200);
      const t0 = Date.now();
      await new Promise<void>((resolve) => {
        const pump = () => {
          if (Date.now() - t0 >= killAfterMs || sent >= stream.length) {
            child.proc.kill('SIGKILL');
            child.proc.once('exit', () => resolve());
            return;
          }
          const burst = 1 + Math.floor(r() * 200);
          for (let k = 0; k < burst && sent < stream.length; k++) {
            const cmd = stream[sent++]!;
            child.send(cmd, (res) => {
              if (res.seq > 0) acked.push({ cmd: { ...cmd, seq: res.seq, ts: res.ts } as Command, res });
            });
          }
          setTimeout(pump, Math.floor(r() * 3));
        };
        pump();
      });
      lastRecovered = acked.reduce((m, a) => Math.max(m, a.res.seq), 0);
    }
    expect(acked.length).to.be.above(500);

    // final restart: compare with an independent replay of the journal
    const child = await start(dir);
    const orderIds = acked.filter((a) => a.res.order && a.cmd.type === 'new').map((a) => a.res.order!.orderId);
    const state = await child.call({ op: 'state', orderIds });
    child.proc.kill('SIGKILL');
    const journaled = new Map<number, Command>();
    const store = new SnapshotStore({ dir });
    const snaps = store.list();
    // the journal (from the oldest kept snapshot) holds every acknowledged command with its seq
    const base = snaps.length ? store.read(snaps[snaps.length - 1]!)! : undefined;
    const ex = new Exchange();
    if (base) ex.restore(decodeExchangeSnapshot(base.payload));
    readJournal(dir, base?.seq ?? 0, (c) => {
      journaled.set(c.seq!, c);
      ex.apply(c);
    });
    expect(ex.lastSeq()).to.equal(state.lastSeq);
    expect(ex.stateHash()).to.equal(state.hash);
    for (const a of acked) {
      if (a.res.seq <= (base?.seq ?? 0)) continue;
      const j = journaled.get(a.res.seq);
      expect(j, `acked seq ${a.res.seq}`).to.not.equal(undefined);
      expect(j).to.deep.equal(a.cmd);
    }
    // Every acknowledged order is in the recovered server exactly as in the independent replay;
    // finished orders beyond the bounded retention are evicted, identically in both (eviction is
    // part of the deterministic state). Open orders are never evicted.
    const recovered = state.orders as (Record<string, unknown> | null)[];
    let present = 0;
    orderIds.forEach((id, i) => {
      const live = recovered[i] ?? null;
      const replayed = ex.orderById(id) ?? null;
      expect(live === null, `order ${id} present in server vs replay`).to.equal(replayed === null);
      if (live !== null) {
        present++;
        expect(JSON.parse(JSON.stringify(live)), `order ${id}`).to.deep.equal(JSON.parse(JSON.stringify(replayed)));
      }
    });
    expect(present).to.be.above(0);
    ex.close();
  });
});
