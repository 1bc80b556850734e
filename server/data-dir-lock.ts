/**
 * One server per data directory: two processes appending to the same journal
 * would fork history. The lock is a file holding the owner's pid, created with
 * O_EXCL; a lock left by a process that no longer exists (SIGKILL, crash) is
 * taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AurexError, Code } from '../engine/codes.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirLock {
  private released = false;
  private constructor(readonly file: string) {}

  static acquire(dataDir: string): DataDirLock {
    const file = path.join(dataDir, 'LOCK');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx', 0o644);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        return new DataDirLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
          throw new AurexError(Code.INVALID_CONFIG, `AUREX_DATA_DIR: ${dataDir} is in use by process ${pid}`);
        }
        fs.rmSync(file, { force: true }); // stale: its owner is gone
      }
    }
    throw new AurexError(Code.INVALID_CONFIG, `AUREX_DATA_DIR: cannot lock ${dataDir}`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (Number.parseInt(fs.readFileSync(this.file, 'utf8'), 10) === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      /* already gone */
    }
  }
}
