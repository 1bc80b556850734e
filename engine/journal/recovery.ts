/**
 * Recovery: newest valid snapshot + replay of the journal after it, then the
 * journal is reopened for appending (its torn tail, if any, truncated).
 *
 * The engine side is abstract (`RecoverableEngine`) so the same procedure
 * rebuilds the live ExchangeCore and the shadow exchange the PostgreSQL writer
 * uses to re-derive rows it missed.
 */
import type { Command } from '../types.ts';
import { JournalCorruptError, readJournal, type ReplayStats } from './journal-reader.ts';
import { JournalWriter, type DurabilityMode } from './journal-writer.ts';
import { SnapshotStore } from './snapshot-store.ts';

export interface RecoverableEngine {
  /** Replace the whole state with a snapshot payload (the engine's own format). */
  restore(payload: Buffer): void;
  /** Apply one journaled command (already stamped). */
  replay(cmd: Command): void;
}

export interface RecoveryOptions {
  dir: string;
  engine: RecoverableEngine;
  /** Store to load from (default: a SnapshotStore on `dir`). */
  snapshots?: SnapshotStore;
  /** Only consider snapshots with seq <= this (shadow replays for the PG writer). */
  maxSnapshotSeq?: number;
  /** Stop replaying after this sequence (default: the end of the journal). */
  untilSeq?: number;
  /** Sequences must be gap-free (default true: the core stamps 1, 2, 3 ...). */
  requireContiguous?: boolean;
}

export interface RecoveryReport {
  /** Sequence of the snapshot loaded (0 = none). */
  snapshotSeq: number;
  snapshotPath?: string;
  snapshotBytes: number;
  snapshotLoadMs: number;
  /** Newer snapshot files that failed verification and were skipped. */
  skippedSnapshots: string[];
  replayed: number;
  replayMs: number;
  /** Commands per second during replay. */
  replayRate: number;
  /** Last sequence of the recovered state. */
  lastSeq: number;
  torn?: ReplayStats['torn'];
  journalFiles: number;
}

/** Rebuild `engine` from the data directory. Does not open the journal for writing. */
export function recoverState(opts: RecoveryOptions): RecoveryReport {
  const store = opts.snapshots ?? new SnapshotStore({ dir: opts.dir });
  const t0 = performance.now();
  const { snapshot, skipped } = store.loadNewest(opts.maxSnapshotSeq ?? Infinity);
  const snapSeq = snapshot?.seq ?? 0;
  if (snapshot) opts.engine.restore(snapshot.payload);
  const t1 = performance.now();
  const contiguous = opts.requireContiguous ?? true;
  const until = opts.untilSeq ?? Infinity;
  let expected = snapSeq + 1;
  let replayed = 0;
  let last = snapSeq;
  const engine = opts.engine;
  class Stop extends Error {}
  let stats: ReplayStats;
  try {
    stats = readJournal(opts.dir, snapSeq, (cmd) => {
      const seq = cmd.seq!;
      if (seq > until) throw new Stop();
      if (contiguous && seq !== expected) {
        throw new JournalCorruptError(`journal gap: expected seq ${expected}, found ${seq} (snapshot ${snapSeq})`);
      }
      expected = seq + 1;
      engine.replay(cmd);
      last = seq;
      replayed++;
    });
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    stats = { replayed, lastSeq: last, files: 0, bytes: 0 };
  }
  const t2 = performance.now();
  const replayMs = t2 - t1;
  return {
    snapshotSeq: snapSeq,
    snapshotPath: snapshot?.path,
    snapshotBytes: snapshot?.payload.length ?? 0,
    snapshotLoadMs: t1 - t0,
    skippedSnapshots: skipped,
    replayed,
    replayMs,
    replayRate: replayMs > 0 ? Math.round((replayed / replayMs) * 1000) : 0,
    lastSeq: Math.max(last, snapSeq),
    torn: stats.torn,
    journalFiles: stats.files,
  };
}

export interface OpenDurableOptions extends RecoveryOptions {
  mode: DurabilityMode;
  rollBytes?: number;
  onFatal?: (err: Error) => void;
}

/**
 * Recover `engine`, then open the journal for appending. The returned writer
 * continues after `report.lastSeq`.
 */
export function recoverAndOpen(opts: OpenDurableOptions): { report: RecoveryReport; journal: JournalWriter; snapshots: SnapshotStore } {
  const snapshots = opts.snapshots ?? new SnapshotStore({ dir: opts.dir });
  const report = recoverState({ ...opts, snapshots });
  const journal = JournalWriter.open({ dir: opts.dir, mode: opts.mode, rollBytes: opts.rollBytes, onFatal: opts.onFatal });
  if (opts.mode !== 'none' && journal.lastSeq > report.lastSeq) {
    // Cannot happen unless untilSeq cut the replay short: appending would fork history.
    throw new JournalCorruptError(`journal ends at ${journal.lastSeq} but state recovered to ${report.lastSeq}`);
  }
  return { report, journal, snapshots };
}
