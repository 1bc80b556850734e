/**
 * Crash test (server level): the data directory seen from outside the server.
 *
 * - `replayDataDir`: an independent rebuild of the state from the files (newest
 *   snapshot + journal tail into a fresh Exchange; and, while the journal still
 *   starts at sequence 1, the whole journal into another fresh Exchange with no
 *   snapshot at all).
 * - `tamperJournal`: simulates a torn write at the end of the last journal file
 *   of a killed server (garbage, a half-written next record, a next record with
 *   a bad checksum, or the unacknowledged tail cut in the middle of a record).
 */
import fs from 'node:fs';
import { Exchange } from '../../engine/exchange.ts';
import { crc32c } from '../../engine/journal/crc32c.ts';
import { FILE_HEADER_BYTES, listJournalFiles, RECORD_HEADER_BYTES } from '../../engine/journal/journal-format.ts';
import { readJournal, scanRecords, type ReplayStats } from '../../engine/journal/journal-reader.ts';
import { decodeExchangeSnapshot } from '../../engine/journal/snapshot-codec.ts';
import { SnapshotStore } from '../../engine/journal/snapshot-store.ts';
import type { MarketConfig } from '../../engine/symbols.ts';

export interface Replayed {
  /** Newest valid snapshot + journal after it. */
  ex: Exchange;
  snapshotSeq: number;
  skippedSnapshots: string[];
  /** The whole journal from sequence 1, when it is all still there. */
  full: Exchange | undefined;
  stats: ReplayStats;
  close(): void;
}

export function replayDataDir(dir: string, market: MarketConfig): Replayed {
  const store = new SnapshotStore({ dir });
  const { snapshot, skipped } = store.loadNewest();
  const ex = new Exchange({ market });
  let full: Exchange | undefined;
  try {
    if (snapshot) ex.restore(decodeExchangeSnapshot(snapshot.payload));
    const stats = readJournal(dir, snapshot?.seq ?? 0, (c) => ex.apply(c));
    const files = listJournalFiles(dir);
    if (files.length > 0 && files[0]!.firstSeq === 1) {
      full = new Exchange({ market });
      const f = full;
      readJournal(dir, 0, (c) => f.apply(c));
    }
    return {
      ex,
      snapshotSeq: snapshot?.seq ?? 0,
      skippedSnapshots: skipped,
      full,
      stats,
      close() {
        ex.close();
        full?.close();
      },
    };
  } catch (e) {
    ex.close();
    full?.close();
    throw e;
  }
}

/** Replays, retrying while a running server moves files under us (snapshot written, journal trimmed). */
export async function replayWhenSettled(dir: string, market: MarketConfig, expectLastSeq: number): Promise<Replayed> {
  let last: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const r = replayDataDir(dir, market);
      if (r.ex.lastSeq() === expectLastSeq && r.skippedSnapshots.length === 0) return r;
      last = new Error(`replay reached seq ${r.ex.lastSeq()} (server at ${expectLastSeq}), skipped snapshots ${r.skippedSnapshots.join(', ')}`);
      r.close();
    } catch (e) {
      last = e;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw last;
}

export type Tamper = 'none' | 'garbage' | 'truncated-record' | 'bad-crc' | 'cut-unacked';

export interface TamperResult {
  applied: Tamper;
  /** The sequence the recovered server must be at. */
  expectLastSeq: number;
  detail: string;
}

interface Rec {
  /** Offset of the record header. */
  at: number;
  end: number;
  seq: number;
  /** Offset where its group (one write, ended by a commit record) starts. */
  group: number;
}

/** The valid records of the last journal file and the journal's last valid sequence. */
function lastFile(dir: string): { path: string; buf: Buffer; recs: Rec[]; validEnd: number; lastSeq: number } {
  const files = listJournalFiles(dir);
  if (files.length === 0) throw new Error(`no journal in ${dir}`);
  const lastSeq = readJournal(dir, 0, () => undefined).lastSeq;
  const f = files[files.length - 1]!;
  const buf = fs.readFileSync(f.path);
  const recs: Rec[] = [];
  const scan = scanRecords(buf, (start, end, seq, group) => recs.push({ at: start - RECORD_HEADER_BYTES, end, seq, group }));
  return { path: f.path, buf, recs, validEnd: scan.validEnd, lastSeq };
}

/** A well-formed record that would follow `r` (sequence + 1), copied from it. */
function nextRecord(buf: Buffer, r: Rec): Buffer {
  const rec = Buffer.from(buf.subarray(r.at, r.end));
  const p = RECORD_HEADER_BYTES;
  rec.writeDoubleLE(r.seq + 1, p + 1);
  rec.writeUInt32LE(crc32c(rec, p, rec.length), 4);
  return rec;
}

/**
 * Damages the end of the last journal file the way a torn write would.
 * `keepSeq`: records up to here were acknowledged (or are covered by a
 * snapshot) and must never be cut.
 */
export function tamperJournal(dir: string, kind: Tamper, rnd: () => number, keepSeq: number): TamperResult {
  const f = lastFile(dir);
  if (kind === 'none') return { applied: 'none', expectLastSeq: f.lastSeq, detail: 'untouched' };
  const lastRec = f.recs[f.recs.length - 1];
  if (kind === 'cut-unacked') {
    // Only a group with no acknowledged record can be torn: one with any was written (and synced) whole before its acks.
    const ackedGroup = f.recs.filter((r) => r.seq <= keepSeq).pop()?.group ?? -1;
    const victim = f.recs.find((r) => r.seq > keepSeq && r.group > ackedGroup);
    if (victim !== undefined) {
      const cutAt = victim.at + RECORD_HEADER_BYTES + Math.max(1, Math.floor((victim.end - victim.at - RECORD_HEADER_BYTES) / 2));
      const prev = f.recs[f.recs.indexOf(victim) - 1];
      fs.truncateSync(f.path, cutAt);
      const dropped = f.recs.filter((r) => r.seq >= victim.seq).length;
      return {
        applied: 'cut-unacked',
        // sequences are contiguous: without a record before it in this file, the previous file ends at victim.seq - 1
        expectLastSeq: prev?.seq ?? victim.seq - 1,
        detail: `cut at byte ${cutAt} inside seq ${victim.seq} (${dropped} unacknowledged records dropped, acknowledged up to ${keepSeq})`,
      };
    }
    // Everything journaled was acknowledged: tear a next record instead.
    kind = 'truncated-record';
  }
  if ((kind === 'truncated-record' || kind === 'bad-crc') && lastRec === undefined) kind = 'garbage';
  let tail: Buffer;
  if (kind === 'garbage') {
    const n = 1 + Math.floor(rnd() * 48);
    tail = Buffer.alloc(n);
    for (let i = 0; i < n; i++) tail[i] = Math.floor(rnd() * 256);
  } else if (kind === 'truncated-record') {
    const rec = nextRecord(f.buf, lastRec!);
    tail = rec.subarray(0, RECORD_HEADER_BYTES + Math.max(1, Math.floor((rec.length - RECORD_HEADER_BYTES) * rnd())));
    if (tail.length >= rec.length) tail = rec.subarray(0, rec.length - 1);
  } else {
    tail = nextRecord(f.buf, lastRec!);
    const i = RECORD_HEADER_BYTES + 9 + Math.floor(rnd() * (tail.length - RECORD_HEADER_BYTES - 9));
    tail[i] = tail[i]! ^ 0x5a;
  }
  fs.appendFileSync(f.path, tail);
  const size = fs.statSync(f.path).size;
  return {
    applied: kind,
    expectLastSeq: f.lastSeq,
    detail: `${tail.length} bytes appended after seq ${f.lastSeq} (file ${size} bytes, valid end ${f.validEnd}, header ${FILE_HEADER_BYTES})`,
  };
}

/** Newest snapshot sequence in the directory (0 when none). */
export function newestSnapshotSeq(dir: string): number {
  return new SnapshotStore({ dir }).list()[0]?.seq ?? 0;
}
