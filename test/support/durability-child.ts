/**
 * Child process for the crash test: recovers ExchangeCore from a data directory
 * (snapshot + journal, mode `write`), takes snapshots every 1,500 commands, and
 * executes commands received over IPC, answering each only after its group is
 * durable (the core's contract). The parent kills it with SIGKILL.
 * Usage: node --import tsx durability-child.ts <dataDir>
 */
import { ExchangeCore } from '../../engine/core.ts';
import { Exchange } from '../../engine/exchange.ts';
import { captureExchange, recoverableExchange } from '../../engine/journal/exchange-adapter.ts';
import { recoverAndOpen } from '../../engine/journal/recovery.ts';
import { SnapshotScheduler } from '../../engine/journal/snapshot-scheduler.ts';
import type { Command } from '../../engine/types.ts';

const dir = process.argv[2]!;
const ex = new Exchange();
const { report, journal, snapshots } = recoverAndOpen({ dir, engine: recoverableExchange(ex), mode: 'write', rollBytes: 256 * 1024 });
const core = new ExchangeCore({ exchange: ex, log: journal, indexIntervalMs: 0 });
const sched = new SnapshotScheduler(
  { store: snapshots, journal, capture: () => captureExchange(ex), lastSeq: () => ex.lastSeq(), everyCommands: 1500, everyMs: 3_600_000, checkMs: 20 },
  report.snapshotSeq,
);
sched.start();

type Msg = { id: number; op: 'cmd'; cmd: Command } | { id: number; op: 'state'; orderIds: number[] };
const send = (m: unknown) => process.send!(m);
process.on('message', (m: Msg) => {
  if (m.op === 'cmd') core.execute(m.cmd, (res) => send({ id: m.id, res }));
  else if (m.op === 'state') {
    const orders = m.orderIds.map((id) => ex.orderById(id) ?? null);
    send({ id: m.id, hash: core.stateHash(), lastSeq: core.lastSeq(), orders });
  }
});
process.on('disconnect', () => process.exit(0));
send({ ready: true, report });
