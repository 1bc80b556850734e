/**
 * Runs the real server (`server/main.ts`) as a child process, exactly as
 * `npm start` does, with every port at 0; the child reports its bound ports
 * over IPC once it is ready.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../server/node-flags.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServerPorts {
  grpc: number;
  tcp: number;
  metrics: number;
}

export interface ServerProcess {
  child: ChildProcess;
  ports: ServerPorts;
  lastSeq: number;
  output(): string;
  /** Send a signal and resolve with the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export function startServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = fork(path.join(ROOT, 'server', 'main.ts'), [], {
    cwd: ROOT,
    execArgv: [...SERVER_NODE_FLAGS, '--import', 'tsx'],
    env: {
      ...process.env,
      AUREX_GRPC_PORT: '0',
      AUREX_TCP_PORT: '0',
      AUREX_METRICS_PORT: '0',
      AUREX_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not become ready in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before ready:\n${out}`));
    };
    child.once('exit', early);
    child.on('message', (m: { type?: string; ports?: ServerPorts; lastSeq?: number }) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        child,
        ports: m.ports!,
        lastSeq: m.lastSeq ?? 0,
        output: () => out,
        async stop(signal = 'SIGTERM', stopTimeoutMs = 30_000) {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode!;
          child.kill(signal);
          const t = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
          const r = await exited;
          clearTimeout(t);
          return r;
        },
      });
    });
  });
}

/** Run the server to completion (for configurations that must fail fast). */
export function runServerToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const child = fork(path.join(ROOT, 'server', 'main.ts'), [], {
    cwd: ROOT,
    execArgv: [...SERVER_NODE_FLAGS, '--import', 'tsx'],
    env: { ...process.env, AUREX_GRPC_PORT: '0', AUREX_TCP_PORT: '0', AUREX_METRICS_PORT: '0', AUREX_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, output: out });
    });
  });
}
