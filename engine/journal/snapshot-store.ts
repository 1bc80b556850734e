/**
 * Snapshot files: `snapshot-<seq>.bin` in the data directory, each the full
 * engine state after command `seq` (the engine's own serialization, opaque
 * here). Header (32 bytes): [magic "AXS1" u32][version u32][seq f64]
 * [payload length f64][crc32 of payload u32][reserved u32].
 *
 * Writing is atomic: temp file, write, fsync, rename, fsync the directory; a
 * crash at any point leaves either the old set of snapshots or the new one,
 * never a half file under the final name (and a torn one would fail its CRC).
 * The payload CRC is node:zlib's CRC-32 (native, whole-buffer: no offsets are
 * needed here, unlike the journal's per-record checksum).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fsyncDir } from './journal-format.ts';

const MAGIC = 0x31535841; // "AXS1"
const VERSION = 1;
const HEADER = 32;
const NAME_RE = /^snapshot-(\d{16})\.bin$/;

export interface SnapshotInfo {
  seq: number;
  path: string;
}

export interface LoadedSnapshot extends SnapshotInfo {
  payload: Buffer;
}

export interface SnapshotStoreOptions {
  dir: string;
  /** Snapshots kept after a successful write (the newest N). Default 2. */
  keep?: number;
  /** fsync file and directory (default true). */
  sync?: boolean;
}

function crcOf(chunks: readonly Uint8Array[]): number {
  let c = 0;
  for (const ch of chunks) c = zlib.crc32(ch, c);
  return c >>> 0;
}

export class SnapshotStore {
  readonly dir: string;
  private readonly keep: number;
  private readonly sync: boolean;

  constructor(opts: SnapshotStoreOptions) {
    this.dir = opts.dir;
    this.keep = Math.max(1, opts.keep ?? 2);
    this.sync = opts.sync ?? true;
    fs.mkdirSync(this.dir, { recursive: true });
  }

  static fileName(seq: number): string {
    return `snapshot-${String(seq).padStart(16, '0')}.bin`;
  }

  /** Snapshot files, newest first (validity not checked). */
  list(): SnapshotInfo[] {
    const out: SnapshotInfo[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const m = NAME_RE.exec(name);
      if (m) out.push({ seq: Number(m[1]), path: path.join(this.dir, name) });
    }
    return out.sort((a, b) => b.seq - a.seq);
  }

  /**
   * Write the snapshot for `seq` (payload given as one or more chunks) atomically,
   * then prune to the newest `keep`. Resolves once the file is durable.
   */
  async write(seq: number, payload: Uint8Array | readonly Uint8Array[], protectSeq = Infinity): Promise<SnapshotInfo> {
    const chunks = payload instanceof Uint8Array ? [payload] : payload;
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    header.writeDoubleLE(seq, 8);
    header.writeDoubleLE(total, 16);
    header.writeUInt32LE(crcOf(chunks), 24);
    const final = path.join(this.dir, SnapshotStore.fileName(seq));
    const tmp = `${final}.tmp`;
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writev([header, ...chunks]);
      if (this.sync) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, final);
    if (this.sync) fsyncDir(this.dir);
    this.prune(protectSeq);
    return { seq, path: final };
  }

  /**
   * Keep the newest `keep` snapshots, plus the newest one at or below
   * `protectSeq` (a base the PostgreSQL writer's catch-up may still replay
   * from); remove the others and stale temp files.
   */
  prune(protectSeq = Infinity): void {
    const all = this.list();
    const base = all.find((s) => s.seq <= protectSeq);
    for (const s of all.slice(this.keep)) if (s !== base) fs.rmSync(s.path, { force: true });
    for (const name of fs.readdirSync(this.dir)) if (name.startsWith('snapshot-') && name.endsWith('.tmp')) fs.rmSync(path.join(this.dir, name), { force: true });
  }

  /** Read and verify one snapshot file; undefined when it is invalid. */
  read(info: SnapshotInfo): LoadedSnapshot | undefined {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(info.path);
    } catch {
      return undefined;
    }
    if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return undefined;
    const seq = buf.readDoubleLE(8);
    const len = buf.readDoubleLE(16);
    if (seq !== info.seq || buf.length !== HEADER + len) return undefined;
    const payload = buf.subarray(HEADER);
    if ((zlib.crc32(payload) >>> 0) !== buf.readUInt32LE(24)) return undefined;
    return { seq, path: info.path, payload };
  }

  /**
   * The newest valid snapshot (optionally with seq <= maxSeq); invalid newer
   * ones are skipped and listed in `skipped`.
   */
  loadNewest(maxSeq = Infinity): { snapshot?: LoadedSnapshot; skipped: string[] } {
    const skipped: string[] = [];
    for (const info of this.list()) {
      if (info.seq > maxSeq) continue;
      const s = this.read(info);
      if (s) return { snapshot: s, skipped };
      skipped.push(info.path);
    }
    return { skipped };
  }
}
