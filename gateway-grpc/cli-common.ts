/**
 * Shared plumbing of the command-line clients (gateway-grpc/cli.ts and
 * scripts/admin.ts): options, connection, token storage, printing.
 *
 * Options: --addr host:port (default $AUREX_GRPC_ADDR or 127.0.0.1:50051),
 * --tls (use TLS; --ca file to trust a private CA), --token T (default
 * $AUREX_TOKEN or the token saved by `login` in ~/.aurex/token).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';

export interface CliArgs {
  positional: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[]): CliArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) flags[k] = v;
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags[k] = argv[++i]!;
      else flags[k] = true;
    } else positional.push(a);
  }
  return { positional, flags };
}

export const TOKEN_FILE = path.join(os.homedir(), '.aurex', 'token');

export function address(a: CliArgs): string {
  const v = a.flags.addr;
  return typeof v === 'string' ? v : (process.env.AUREX_GRPC_ADDR ?? '127.0.0.1:50051');
}

export function channelCredentials(a: CliArgs): ChannelCredentials {
  if (!a.flags.tls) return credentials.createInsecure();
  const ca = typeof a.flags.ca === 'string' ? fs.readFileSync(a.flags.ca) : null;
  return credentials.createSsl(ca);
}

export function saveToken(token: string): void {
  fs.mkdirSync(path.dirname(TOKEN_FILE), { recursive: true, mode: 0o700 });
  fs.writeFileSync(TOKEN_FILE, token + '\n', { mode: 0o600 });
}

export function token(a: CliArgs): string {
  if (typeof a.flags.token === 'string') return a.flags.token;
  if (process.env.AUREX_TOKEN) return process.env.AUREX_TOKEN;
  try {
    return fs.readFileSync(TOKEN_FILE, 'utf8').trim();
  } catch {
    throw new Error('no token: log in first (npm run cli -- login <email> <password>) or pass --token');
  }
}

export function bearerMd(t: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${t}`);
  return md;
}

/** Promise form of a generated unary client method. */
export function unary<Req, Res>(
  fn: (req: Req, md: Metadata, opts: { deadline: number }, cb: (e: ServiceError | null, r: Res) => void) => unknown,
  req: Req,
  md: Metadata = new Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, md, { deadline: Date.now() + 10_000 }, (e, r) => (e ? reject(e) : resolve(r))));
}

/** JSON with bigints as numbers when safe (strings otherwise). */
export function show(v: unknown): void {
  process.stdout.write(
    JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : String(x)) : x), 2) + '\n',
  );
}

export function fail(e: unknown): never {
  const se = e as ServiceError;
  if (se && typeof se.code === 'number' && se.details !== undefined) {
    process.stderr.write(`error: ${se.details} (grpc status ${se.code}${se.metadata?.get('x-aurex-code')[0] ? `, code ${se.metadata.get('x-aurex-code')[0]}` : ''})\n`);
  } else process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
}
