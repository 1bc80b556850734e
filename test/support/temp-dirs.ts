/**
 * Temporary directories for one describe block: `tempDirs(prefix)` returns a
 * maker of fresh directories and removes them all after the block.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
