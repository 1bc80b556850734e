/**
 * `npm start`: the Aurex server on embedded defaults (or whatever the
 * environment configures). `npm start -- --help` lists every setting.
 *
 * Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on bad
 * configuration (the message names the setting), 130/143 when a second signal
 * forces the exit.
 */
import { ConfigError, helpText, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { AurexServer } from './app.ts';
import { missingServerFlags } from './node-flags.ts';
import { AurexError, Code } from '../engine/codes.ts';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}

let cfg;
try {
  cfg = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`aurex: ${e.message}\n(see npm start -- --help)\n`);
    process.exit(2);
  }
  throw e;
}

const log = createLogger(cfg.logLevel);
const missingFlags = missingServerFlags();
if (missingFlags.length !== 0) {
  log.warn({ missing: missingFlags }, 'started without the Node flags `npm start` passes (server/node-flags.ts): expect lower throughput');
}
let server: AurexServer | undefined;
let firstSignalAt = 0;

function onSignal(sig: NodeJS.Signals): void {
  // A terminal's Ctrl-C reaches us twice (the process group, and tsx relaying it):
  // only a signal at least a second after the first one forces the exit.
  const now = Date.now();
  if (firstSignalAt !== 0 && now - firstSignalAt < 1000) return;
  if (firstSignalAt !== 0) {
    log.warn({ signal: sig }, 'second signal: forcing exit');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  }
  firstSignalAt = now;
  log.info({ signal: sig }, 'shutdown requested');
  const force = setTimeout(() => {
    log.error('shutdown took too long: forcing exit');
    process.exit(1);
  }, (cfg!.shutdownGraceSeconds + 5) * 1000);
  force.unref();
  (server ? server.stop(sig) : Promise.resolve()).then(
    () => process.exit(0),
    (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  server = await AurexServer.start(cfg, { logger: log });
  if (process.send) process.send({ type: 'ready', ports: server.ports, lastSeq: server.core.lastSeq() });
} catch (e) {
  const cfgError = e instanceof AurexError && e.code === Code.INVALID_CONFIG;
  if (cfgError) process.stderr.write(`aurex: invalid configuration: ${e.message}\n`);
  log.fatal({ err: e }, 'start failed');
  process.exit(cfgError ? 2 : 1);
}
