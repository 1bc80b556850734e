/**
 * Server configuration: 12-factor environment variables, optionally layered over
 * a JSON config file (AUREX_CONFIG). Every value is validated at start; a bad one
 * stops the process with a message naming the setting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_RETAIN_TERMINAL } from '../engine/exchange.ts';
import { MAX_ORDER_SLOTS } from '../engine/order.ts';

export type Durability = 'fsync' | 'write' | 'none';
export type Profile = 'embedded' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  profile: Profile;
  host: string;
  grpcPort: number;
  tcpPort: number;
  metricsPort: number;
  dataDir: string;
  durability: Durability;
  databaseUrl?: string;
  redisUrl?: string;
  logLevel: LogLevel;
  tlsCert?: string;
  tlsKey?: string;
  demo: boolean;
  symbolsFile: string;
  jwtSecret?: string;
  snapshotEveryCommands: number;
  snapshotEverySeconds: number;
  ordersPerSecond: number;
  queriesPerMinute: number;
  /** Closed orders kept queryable and recognised as duplicates, exchange-wide (pinned with the state). */
  retainTerminalOrders: number;
  /** Seconds to wait for in-flight work at shutdown before forcing exit. */
  shutdownGraceSeconds: number;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid configuration: ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

interface Spec {
  env: string;
  key: keyof ServerConfig;
  help: string;
  /** Default shown in --help. */
  def: string;
}

/** Every setting, in the order --help lists them. */
export const SETTINGS: Spec[] = [
  { env: 'AUREX_CONFIG', key: 'profile', help: 'optional JSON file with any of the settings below (camelCase keys); env wins', def: '(none)' },
  { env: 'AUREX_PROFILE', key: 'profile', help: 'embedded (demo defaults) or production (fsync, no demo users, JWT secret required)', def: 'embedded' },
  { env: 'AUREX_HOST', key: 'host', help: 'bind address of every listener', def: '127.0.0.1' },
  { env: 'AUREX_GRPC_PORT', key: 'grpcPort', help: 'gRPC port (0 = any free port)', def: '50051' },
  { env: 'AUREX_TCP_PORT', key: 'tcpPort', help: 'binary TCP gateway port (0 = any free port)', def: '8080' },
  { env: 'AUREX_METRICS_PORT', key: 'metricsPort', help: 'HTTP port for /metrics, /healthz, /readyz (0 = any free port)', def: '9464' },
  { env: 'AUREX_DATA_DIR', key: 'dataDir', help: 'journal, snapshots, users and secrets', def: './data' },
  { env: 'AUREX_DURABILITY', key: 'durability', help: 'fsync (per group commit) | write (survives a process crash) | none', def: 'write (embedded), fsync (production)' },
  { env: 'DATABASE_URL', key: 'databaseUrl', help: 'PostgreSQL store of record (users, orders, trades, stocks); unset = embedded', def: '(unset)' },
  { env: 'REDIS_URL', key: 'redisUrl', help: 'Redis for sessions, rate limits and the market cache; unset = in-process', def: '(unset)' },
  { env: 'AUREX_LOG_LEVEL', key: 'logLevel', help: 'fatal|error|warn|info|debug|trace|silent', def: 'info' },
  { env: 'AUREX_TLS_CERT', key: 'tlsCert', help: 'PEM certificate file for gRPC TLS (with AUREX_TLS_KEY)', def: '(plaintext)' },
  { env: 'AUREX_TLS_KEY', key: 'tlsKey', help: 'PEM private key file for gRPC TLS', def: '(plaintext)' },
  { env: 'AUREX_DEMO', key: 'demo', help: '1 creates demo users with printed credentials (never on in production)', def: '1 (embedded), 0 (production)' },
  { env: 'AUREX_SYMBOLS_FILE', key: 'symbolsFile', help: 'symbol configuration (JSON)', def: 'config/symbols.json' },
  { env: 'AUREX_JWT_SECRET', key: 'jwtSecret', help: 'HS256 secret for session JWTs (>= 32 chars); embedded default: generated once into the data dir', def: '(generated)' },
  { env: 'AUREX_SNAPSHOT_EVERY', key: 'snapshotEveryCommands', help: 'take a snapshot every N journaled commands', def: '1000000' },
  { env: 'AUREX_SNAPSHOT_SECONDS', key: 'snapshotEverySeconds', help: 'and at least every N seconds when anything changed', def: '300' },
  { env: 'AUREX_ORDERS_PER_SEC', key: 'ordersPerSecond', help: 'order-entry rate limit per account (trader tier)', def: '5000' },
  { env: 'AUREX_QUERIES_PER_MIN', key: 'queriesPerMinute', help: 'query rate limit per user and endpoint (trader and read-only tiers; admin 3x)', def: '100' },
  {
    env: 'AUREX_RETAIN_TERMINAL_ORDERS',
    key: 'retainTerminalOrders',
    help: 'closed orders kept queryable and recognised as duplicates by client id, exchange-wide (0-16777216; about 175 bytes of memory each); recorded with a new state, an existing state keeps its own',
    def: String(DEFAULT_RETAIN_TERMINAL),
  },
  { env: 'AUREX_SHUTDOWN_GRACE', key: 'shutdownGraceSeconds', help: 'seconds to drain at shutdown before forcing exit', def: '10' },
];

export function helpText(): string {
  const w = Math.max(...SETTINGS.map((s) => s.env.length));
  const lines = SETTINGS.map((s) => `  ${s.env.padEnd(w)}  ${s.help}\n  ${' '.repeat(w)}  default: ${s.def}`);
  return [
    'Aurex exchange server',
    '',
    'usage: npm start [-- --help]',
    '',
    'Configuration comes from environment variables (or a JSON file named by AUREX_CONFIG):',
    ...lines,
    '',
  ].join('\n');
}

type Source = Record<string, string | undefined>;

function port(setting: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(setting, `"${raw}" is not a port number (0-65535)`);
  const n = Number(raw);
  if (n > 65535) throw new ConfigError(setting, `${n} is out of range (0-65535)`);
  return n;
}

function posInt(setting: string, raw: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(setting, `"${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(setting, `${n} is out of range (${min}-${max})`);
  return n;
}

function bool(setting: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new ConfigError(setting, `"${raw}" is not a boolean (1/0, true/false)`);
}

function oneOf<T extends string>(setting: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(setting, `"${raw}" is not one of ${allowed.join(', ')}`);
  return raw as T;
}

function url(setting: string, raw: string, schemes: string[]): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(setting, 'is not a valid URL');
  }
  if (!schemes.includes(u.protocol.replace(/:$/, ''))) throw new ConfigError(setting, `scheme must be ${schemes.join(' or ')}`);
  return raw;
}

function readable(setting: string, file: string): string {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new ConfigError(setting, `cannot read file ${file}`);
  }
  return file;
}

/** Map camelCase config-file keys onto env names so one validator handles both. */
function fileSource(file: string): Source {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('AUREX_CONFIG', `cannot read ${file}: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('AUREX_CONFIG', 'must contain a JSON object');
  const out: Source = {};
  const byKey = new Map(SETTINGS.filter((s) => s.env !== 'AUREX_CONFIG').map((s) => [s.key as string, s.env]));
  for (const [k, v] of Object.entries(parsed)) {
    const env = byKey.get(k);
    if (!env) throw new ConfigError('AUREX_CONFIG', `unknown setting "${k}" (known: ${[...byKey.keys()].join(', ')})`);
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new ConfigError(k, 'must be a string, number or boolean');
    out[env] = v === null ? undefined : String(v === true ? '1' : v === false ? '0' : v);
  }
  return out;
}

/** Build and validate the configuration. Throws ConfigError naming the bad setting. */
export function loadConfig(env: Source = process.env, cwd = process.cwd()): ServerConfig {
  const src: Source = { ...(env.AUREX_CONFIG ? fileSource(path.resolve(cwd, env.AUREX_CONFIG)) : {}) };
  for (const s of SETTINGS) if (env[s.env] !== undefined && env[s.env] !== '') src[s.env] = env[s.env];
  const get = (k: string) => (src[k] === undefined || src[k] === '' ? undefined : src[k]);

  const profile = oneOf('AUREX_PROFILE', get('AUREX_PROFILE') ?? 'embedded', ['embedded', 'production'] as const);
  const prod = profile === 'production';
  const host = get('AUREX_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(host)) throw new ConfigError('AUREX_HOST', `"${host}" is not a host name or address`);

  const cfg: ServerConfig = {
    profile,
    host,
    grpcPort: port('AUREX_GRPC_PORT', get('AUREX_GRPC_PORT') ?? '50051'),
    tcpPort: port('AUREX_TCP_PORT', get('AUREX_TCP_PORT') ?? '8080'),
    metricsPort: port('AUREX_METRICS_PORT', get('AUREX_METRICS_PORT') ?? '9464'),
    dataDir: path.resolve(cwd, get('AUREX_DATA_DIR') ?? './data'),
    durability: oneOf('AUREX_DURABILITY', get('AUREX_DURABILITY') ?? (prod ? 'fsync' : 'write'), ['fsync', 'write', 'none'] as const),
    databaseUrl: get('DATABASE_URL') && url('DATABASE_URL', get('DATABASE_URL')!, ['postgres', 'postgresql']),
    redisUrl: get('REDIS_URL') && url('REDIS_URL', get('REDIS_URL')!, ['redis', 'rediss']),
    logLevel: oneOf('AUREX_LOG_LEVEL', get('AUREX_LOG_LEVEL') ?? 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    tlsCert: get('AUREX_TLS_CERT') && readable('AUREX_TLS_CERT', path.resolve(cwd, get('AUREX_TLS_CERT')!)),
    tlsKey: get('AUREX_TLS_KEY') && readable('AUREX_TLS_KEY', path.resolve(cwd, get('AUREX_TLS_KEY')!)),
    demo: bool('AUREX_DEMO', get('AUREX_DEMO') ?? (prod ? '0' : '1')),
    symbolsFile: readable('AUREX_SYMBOLS_FILE', path.resolve(cwd, get('AUREX_SYMBOLS_FILE') ?? 'config/symbols.json')),
    jwtSecret: get('AUREX_JWT_SECRET'),
    snapshotEveryCommands: posInt('AUREX_SNAPSHOT_EVERY', get('AUREX_SNAPSHOT_EVERY') ?? '1000000', 1000),
    snapshotEverySeconds: posInt('AUREX_SNAPSHOT_SECONDS', get('AUREX_SNAPSHOT_SECONDS') ?? '300', 1),
    ordersPerSecond: posInt('AUREX_ORDERS_PER_SEC', get('AUREX_ORDERS_PER_SEC') ?? '5000', 1, 10_000_000),
    queriesPerMinute: posInt('AUREX_QUERIES_PER_MIN', get('AUREX_QUERIES_PER_MIN') ?? '100', 1, 10_000_000),
    retainTerminalOrders: posInt('AUREX_RETAIN_TERMINAL_ORDERS', get('AUREX_RETAIN_TERMINAL_ORDERS') ?? String(DEFAULT_RETAIN_TERMINAL), 0, MAX_ORDER_SLOTS),
    shutdownGraceSeconds: posInt('AUREX_SHUTDOWN_GRACE', get('AUREX_SHUTDOWN_GRACE') ?? '10', 1, 3600),
  };
  if (!!cfg.tlsCert !== !!cfg.tlsKey) throw new ConfigError(cfg.tlsCert ? 'AUREX_TLS_KEY' : 'AUREX_TLS_CERT', 'TLS needs both AUREX_TLS_CERT and AUREX_TLS_KEY');
  if (cfg.jwtSecret !== undefined && cfg.jwtSecret.length < 32) throw new ConfigError('AUREX_JWT_SECRET', 'must be at least 32 characters');
  if (prod && !cfg.jwtSecret) throw new ConfigError('AUREX_JWT_SECRET', 'is required in the production profile');
  if (prod && cfg.demo) throw new ConfigError('AUREX_DEMO', 'demo users are never enabled in the production profile');
  const ports = [
    ['AUREX_GRPC_PORT', cfg.grpcPort],
    ['AUREX_TCP_PORT', cfg.tcpPort],
    ['AUREX_METRICS_PORT', cfg.metricsPort],
  ] as const;
  for (let i = 0; i < ports.length; i++)
    for (let j = i + 1; j < ports.length; j++)
      if (ports[i]![1] !== 0 && ports[i]![1] === ports[j]![1]) throw new ConfigError(ports[j]![0], `port ${ports[j]![1]} is already used by ${ports[i]![0]}`);
  return cfg;
}
