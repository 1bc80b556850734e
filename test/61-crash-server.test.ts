/**
 * The crash test of the whole product: the REAL server process (server/main.ts,
 * durability `write`, snapshots during the test) under load from real gRPC and
 * TCP clients, SIGKILLed at a seeded moment with requests in flight, restarted
 * on the same data directory (sometimes with a torn write simulated at the end
 * of the journal), and then held against what the clients were told, its own
 * consistency, and an independent replay of its files. Each round continues
 * from the recovered state.
 *
 * AUREX_CRASH_ROUNDS (default 5, at least 3) and AUREX_CRASH_SEED change the run;
 * AUREX_CRASH_VERBOSE=1 prints what each round did.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadMarketConfig } from '../engine/symbols.ts';
import { listSymbols, openSessions, type ServerSessions } from './support/crash-api.ts';
import { newestSnapshotSeq, tamperJournal, type Tamper } from './support/crash-journal.ts';
import { Ledger } from './support/crash-ledger.ts';
import { rng, tradeUntilKilled } from './support/crash-trader.ts';
import { verifyRecovered, type VerifyResult } from './support/crash-verify.ts';
import { startServer, type ServerProcess } from './support/server-process.ts';

const ROUNDS = Math.max(3, Number(process.env.AUREX_CRASH_ROUNDS ?? 5) || 5);
const SEED = Number(process.env.AUREX_CRASH_SEED ?? 0x61c4a54) >>> 0;
/** What happens to the journal after kill N (cycled). */
const TAMPERS: Tamper[] = ['none', 'garbage', 'cut-unacked', 'truncated-record', 'bad-crc', 'none'];
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA'];
const SUBMITS_PER_SESSION = 45;

interface Recovered {
  snapshotSeq: number;
  replayed: number;
  lastSeq: number;
  torn: { reason: string } | null;
}

/** The server's own recovery report (its "state recovered" log line). */
function recoveryReport(s: ServerProcess): Recovered {
  for (const line of s.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as Recovered & { msg?: string };
      if (j.msg === 'state recovered') return j;
    } catch {
      /* not a log line */
    }
  }
  throw new Error(`no recovery report in the server output:\n${s.output().slice(0, 2000)}`);
}

function exited(s: ServerProcess): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => s.child.once('exit', () => resolve()));
}

describe('61 crash (server): SIGKILL the real server under gRPC + TCP load, restart, nothing acknowledged lost', function () {
  // About 6 s per round on a busy 2-core machine; the default run stays well under 2 minutes.
  this.timeout(20_000 + ROUNDS * 15_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aurex-crash-server-'));
  const journalDir = path.join(dataDir, 'journal');
  let server: ServerProcess | undefined;
  let sessions: ServerSessions | undefined;

  after(async () => {
    sessions?.close();
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await exited(server);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`survives ${ROUNDS} kill/restart rounds (seed ${SEED}) with every acknowledged order intact, torn journal tails ignored, and state equal to a replay`, async () => {
    const env = { AUREX_DATA_DIR: dataDir, AUREX_HOST: '127.0.0.1', AUREX_SNAPSHOT_EVERY: '1000', AUREX_SNAPSHOT_SECONDS: '1', AUREX_LOG_LEVEL: 'info',
      // every acknowledged order is looked up through the API after each restart
      AUREX_QUERIES_PER_MIN: '1000000' };
    const market = loadMarketConfig();
    const totals = { cash: 2 * 100_000_000, shares: 2 * 10_000 };
    const rnd = rng(SEED);
    const ledger = new Ledger();
    const log: string[] = [];
    const verify = async (round: number): Promise<VerifyResult> => {
      const v = await verifyRecovered({ metricsPort: server!.ports.metrics, readySeq: server!.lastSeq, sessions: sessions!, ledger, market, journalDir, round, totals, lookupBudget: Infinity });
      const msg = `seed ${SEED} round ${round}: ${v.problems.length} problems (showing 25):\n${v.problems.slice(0, 25).join('\n')}\n${log.join('\n')}`;
      expect(v.problems, msg).to.deep.equal([]);
      expect(v.lookupsSkipped, 'every order checked through the API').to.equal(0);
      return v;
    };

    server = await startServer(env);
    sessions = await openSessions(server.ports);
    const all = await listSymbols(sessions.users.alice);
    const symbols = SYMBOLS.map((s) => all.find((x) => x.symbol === s)!);
    expect(symbols.every((s) => s !== undefined && s.ref > 10)).to.equal(true);
    await verify(-1);

    let prevSeq = server.lastSeq;
    const stats = { snapshotsFromTrading: 0, inFlightAtKill: 0, tornDetected: 0, snapshotLoads: 0, fullReplays: 0, apiLookups: 0, cut: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      // Trade until the seeded kill.
      const planned = 4 * SUBMITS_PER_SESSION;
      const killAfter = Math.floor(planned * (0.2 + 0.6 * rnd()));
      const d = rnd();
      const killDelay = d < 0.4 ? 'sync' : d < 0.7 ? 'immediate' : 1 + Math.floor(rnd() * 4);
      // A seeded pause first, so that the once-a-second snapshot sometimes falls inside the trading.
      await new Promise((r) => setTimeout(r, Math.floor(rnd() * 800)));
      const victim = server;
      const t = await tradeUntilKilled(sessions, ledger, symbols, {
        round,
        seed: SEED + round * 7919,
        submitsPerSession: SUBMITS_PER_SESSION,
        killAfterAnswers: killAfter,
        kill: () => victim.child.kill('SIGKILL'),
        killDelay,
        timeoutMs: 20_000,
      });
      await exited(victim);
      expect(victim.child.signalCode, victim.output()).to.equal('SIGKILL');
      sessions.close();
      sessions = undefined;
      stats.inFlightAtKill += t.inFlightAtKill;

      // Maybe tear the end of the journal, then restart on the same directory.
      const tamper = TAMPERS[round % TAMPERS.length]!;
      const keep = Math.max(ledger.maxAckedSeq, newestSnapshotSeq(journalDir));
      const tr = tamperJournal(journalDir, tamper, rnd, keep);
      if (tr.applied === 'cut-unacked') stats.cut++;
      log.push(`round ${round}: kill after answer ${killAfter} (${killDelay}); ${t.answers} answers, killed with ${t.inFlightAtKill} in flight; journal ${tr.applied}: ${tr.detail}`);

      server = await startServer(env);
      const rec = recoveryReport(server);
      log.push(`  restart: snapshot ${rec.snapshotSeq} + ${rec.replayed} replayed -> seq ${rec.lastSeq}, torn ${rec.torn?.reason ?? 'no'}`);
      expect(server.lastSeq, log.join('\n')).to.equal(tr.expectLastSeq);
      expect(server.lastSeq, log.join('\n')).to.be.at.least(ledger.maxAckedSeq);
      if (tr.applied !== 'none') {
        expect(rec.torn, `${tr.applied} not reported as a torn tail\n${log.join('\n')}`).to.not.equal(null);
        stats.tornDetected++;
      }
      if (rec.snapshotSeq > 0) stats.snapshotLoads++;
      if (rec.snapshotSeq > prevSeq) stats.snapshotsFromTrading++;
      prevSeq = rec.lastSeq;

      sessions = await openSessions(server.ports);
      const v = await verify(round);
      log.push(`  verified: seq ${v.lastSeq}, ${v.checked} orders checked (${v.apiLookups} looked up over the API, ${v.lookupsSkipped} replay only), ${v.openOrders} open`);
      if (v.fullReplay) stats.fullReplays++;
      stats.apiLookups += v.apiLookups;
    }

    // The run really exercised what it claims to.
    const c = ledger.counts;
    const summary = `${JSON.stringify(c)} ${JSON.stringify(stats)}\n${log.join('\n')}`;
    expect(c.acked, summary).to.be.above(ROUNDS * 20);
    expect(c.cancelsAcked, summary).to.be.above(0);
    expect(c.refused, summary).to.equal(0);
    expect([...ledger.orders.values()].some((r) => r.terminal?.status === 'FILLED'), summary).to.equal(true);
    expect(stats.inFlightAtKill, summary).to.be.above(0);
    expect(stats.tornDetected, summary).to.be.at.least(Math.min(ROUNDS - 1, 3));
    expect(stats.snapshotLoads, summary).to.be.above(0);
    expect(readdirSync(journalDir).some((f) => f.startsWith('snapshot-')), summary).to.equal(true);
    expect(stats.apiLookups, summary).to.be.above(0);

    if (process.env.AUREX_CRASH_VERBOSE) process.stdout.write(`${summary}\n`);

    // And a clean stop still works on the recovered state.
    sessions.close();
    sessions = undefined;
    expect(await server.stop('SIGTERM'), server.output()).to.equal(0);
  });
});
