/**
 * Worker-thread entry of the PostgreSQL write-behind pipeline: JournalFeed
 * (shadow Exchange replaying the journal) + PgWriter (batched upserts) run
 * here, on their own event loop and their own pg pool, so neither the shadow
 * replay nor pg-promise's row building competes with matching. Started and
 * driven by PgWriterThread (pg-writer-thread.ts); the protocol is in
 * pg-writer-protocol.ts.
 *
 * The journal's durable seq comes from the main thread through a shared slot
 * (Atomics.load per feed step); the committed position goes back the same way
 * (Atomics.store per transaction) plus a 'commit' message that wakes drain
 * waiters. PostgreSQL being unreachable at start is retried here with backoff
 * (reported as errors); an outage later is PgWriter's own retry loop, with the
 * feed paused on a full backlog. Anything unexpected ends the worker with a
 * 'fatal' message and a non-zero exit: the handle restarts it, and the new
 * worker resumes from writer_position like a restarted process.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { JournalFeed } from './journal-feed.ts';
import { closeDb, openDb, type Db } from './pg.ts';
import { PgWriter } from './pg-writer.ts';
import { SLOT_COMMITTED, SLOT_DURABLE, toWire, type MainToWorker, type PgWriterWorkerData, type WireError, type WorkerToMain } from './pg-writer-protocol.ts';

if (!parentPort) throw new Error('pg-writer-worker.ts must run in a worker thread (see PgWriterThread)');
const port: MessagePort = parentPort;
const d = workerData as PgWriterWorkerData;
const shared = new BigInt64Array(d.shared);
const post = (m: WorkerToMain) => port.postMessage(m);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let db: Db | undefined;
let writer: PgWriter | undefined;
let feed: JournalFeed | undefined;
let reporter: NodeJS.Timeout | undefined;
let stopping = false;

function durableSeq(): number {
  return Number(Atomics.load(shared, SLOT_DURABLE));
}

/** Read writer_position, retrying while PostgreSQL is unreachable (until asked to stop). */
async function createWriter(database: Db): Promise<PgWriter | undefined> {
  let delay = 50;
  while (!stopping) {
    try {
      return await PgWriter.create({
        db: database,
        name: d.name,
        batchRows: d.batchRows,
        flushIntervalMs: d.flushIntervalMs,
        // Smaller than the in-thread default: the feed pauses while a few transactions' worth of
        // rows wait, so the replay does not starve the writer's own I/O on this loop (commits
        // would otherwise wait until the feed reached the end of the journal).
        maxBacklogRows: d.maxBacklogRows ?? 20_000,
        onError: (err) => post({ type: 'error', error: toWire('writer', err) }),
        onCommit: (seq) => {
          Atomics.store(shared, SLOT_COMMITTED, BigInt(seq));
          post({ type: 'commit', seq });
        },
      });
    } catch (e) {
      post({ type: 'error', error: toWire('connect', e) });
      await sleep(delay);
      delay = Math.min(2000, delay * 2);
    }
  }
  return undefined;
}

function report(): void {
  if (!writer || !feed) return;
  post({ type: 'metrics', metrics: writer.metrics(), appliedSeq: feed.appliedSeq });
}

async function main(): Promise<void> {
  db = openDb(d.databaseUrl, d.poolSize);
  const w = await createWriter(db);
  if (!w || stopping) return; // stopped before PostgreSQL answered: stop() closes the pool
  writer = w;
  Atomics.store(shared, SLOT_COMMITTED, BigInt(writer.position));
  feed = new JournalFeed({
    dir: d.dir,
    writer,
    exchange: d.exchange,
    durableSeq,
    step: d.step ?? 500,
    idleMs: d.idleMs,
    onError: (err) => post({ type: 'error', error: toWire('feed', err) }),
  });
  feed.start(); // throws when the journal cannot serve the committed position: fatal
  writer.start();
  post({ type: 'ready', position: writer.position, startupReplayed: feed.startup?.replayed ?? 0 });
  reporter = setInterval(report, d.reportMs);
}

/** Drain up to the durable seq (bounded), then stop the loops and close the pool. */
async function stop(drainTimeoutMs: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const deadline = Date.now() + drainTimeoutMs;
  if (writer && feed) {
    while (writer.position < durableSeq() && Date.now() < deadline) await sleep(5);
  }
  feed?.close();
  if (writer) await writer.stop(true, Math.max(0, deadline - Date.now()));
  if (reporter) clearInterval(reporter);
  report();
  const position = writer?.position ?? Number(Atomics.load(shared, SLOT_COMMITTED));
  if (db) await closeDb(db).catch(() => undefined);
  post({ type: 'stopped', position });
  port.close(); // nothing else keeps this thread alive: it exits
}

function fatal(error: WireError): void {
  post({ type: 'fatal', error });
  // Let the message go out first; the handle decides whether to restart.
  setImmediate(() => process.exit(1));
}

port.on('message', (m: MainToWorker) => {
  if (m.type === 'stop') stop(m.drainTimeoutMs).catch((e) => fatal(toWire('worker', e)));
});

main().catch((e) => fatal(toWire('worker', e)));
