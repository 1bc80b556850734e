/**
 * File-backed user store (embedded default): all users in memory, persisted as one JSON file
 * (`users.json` in the data directory) written to a temp file, fsynced and renamed over the old
 * one, so a crash leaves either the old or the new file, never a torn one. Writes are serialised;
 * every mutation resolves only once its state is on disk. One process owns the file.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { AurexError, Code } from '../codes.ts';
import type { UserRecord } from './auth-types.ts';
import type { UserPatch, UserStore } from './user-store.ts';

interface FileShape {
  version: 1;
  nextAccountId: number;
  users: UserRecord[];
}

export class FileUserStore implements UserStore {
  readonly kind = 'file' as const;
  readonly path: string;
  private readonly byId = new Map<string, UserRecord>();
  private readonly byEmail = new Map<string, UserRecord>();
  private nextAccountId = 1;
  private writing: Promise<void> = Promise.resolve();
  private loaded = false;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, 'users.json');
  }

  async init(): Promise<void> {
    if (this.loaded) return;
    await mkdir(this.dataDir, { recursive: true });
    let text: string | undefined;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined) {
      const data = JSON.parse(text) as FileShape;
      if (data.version !== 1 || !Array.isArray(data.users) || !Number.isSafeInteger(data.nextAccountId)) {
        throw new AurexError(Code.INVALID_CONFIG, `unrecognised user file ${this.path}`);
      }
      for (const u of data.users) {
        this.byId.set(u.id, u);
        this.byEmail.set(u.email, u);
      }
      this.nextAccountId = data.nextAccountId;
    }
    this.loaded = true;
  }

  /** Queue a snapshot write; resolves when this state (or a later one) is durable. */
  private persist(): Promise<void> {
    const snapshot: FileShape = { version: 1, nextAccountId: this.nextAccountId, users: [...this.byId.values()] };
    const text = JSON.stringify(snapshot);
    const run = async () => {
      const tmp = `${this.path}.${process.pid}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
      // fsync the directory so the rename itself survives a power loss.
      const dir = await open(this.dataDir, 'r');
      try {
        await dir.sync();
      } catch {
        /* some filesystems refuse fsync on directories */
      } finally {
        await dir.close();
      }
    };
    const p = this.writing.then(run, run);
    this.writing = p.catch(() => undefined);
    return p;
  }

  async allocateAccountId(): Promise<number> {
    const id = this.nextAccountId++;
    await this.persist();
    return id;
  }

  async insert(u: UserRecord): Promise<void> {
    if (this.byEmail.has(u.email)) throw new AurexError(Code.EMAIL_TAKEN, 'email already registered');
    if (this.byId.has(u.id)) throw new AurexError(Code.INTERNAL, 'duplicate user id');
    const copy = { ...u, backupCodes: [...u.backupCodes] };
    this.byId.set(u.id, copy);
    this.byEmail.set(u.email, copy);
    try {
      await this.persist();
    } catch (e) {
      this.byId.delete(u.id);
      this.byEmail.delete(u.email);
      throw e;
    }
  }

  async getById(id: string): Promise<UserRecord | undefined> {
    const u = this.byId.get(id);
    return u ? { ...u, backupCodes: [...u.backupCodes] } : undefined;
  }

  async getByEmail(email: string): Promise<UserRecord | undefined> {
    const u = this.byEmail.get(email);
    return u ? { ...u, backupCodes: [...u.backupCodes] } : undefined;
  }

  async update(id: string, patch: UserPatch, now: number): Promise<UserRecord> {
    const u = this.byId.get(id);
    if (!u) throw new AurexError(Code.UNKNOWN_USER, 'unknown user');
    Object.assign(u, patch, { updatedAt: now });
    if (patch.backupCodes) u.backupCodes = [...patch.backupCodes];
    await this.persist();
    return { ...u, backupCodes: [...u.backupCodes] };
  }

  async delete(id: string): Promise<void> {
    const u = this.byId.get(id);
    if (!u) return;
    this.byId.delete(id);
    this.byEmail.delete(u.email);
    await this.persist();
  }

  async list(offset: number, limit: number): Promise<UserRecord[]> {
    return [...this.byId.values()]
      .sort((a, b) => a.accountId - b.accountId)
      .slice(offset, offset + limit)
      .map((u) => ({ ...u, backupCodes: [...u.backupCodes] }));
  }

  async advanceTotpStep(id: string, step: number, now: number): Promise<boolean> {
    const u = this.byId.get(id);
    if (!u || step <= u.totpLastStep) return false;
    u.totpLastStep = step;
    u.updatedAt = now;
    await this.persist();
    return true;
  }

  async consumeBackupCode(id: string, codeHash: string, now: number): Promise<boolean> {
    const u = this.byId.get(id);
    if (!u) return false;
    const i = u.backupCodes.indexOf(codeHash);
    if (i < 0) return false;
    u.backupCodes.splice(i, 1);
    u.updatedAt = now;
    await this.persist();
    return true;
  }

  async close(): Promise<void> {
    await this.writing;
  }
}
