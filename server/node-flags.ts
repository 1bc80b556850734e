/**
 * The Node/V8 flags the server runs with: `npm start` (package.json), the
 * benchmarks' server process and the tests' server processes all use these, and
 * test/70-server-config checks that package.json agrees.
 *
 * --max-semi-space-size=64: the young generation's semi-spaces may grow to
 * 64 MB (Node 20's default cap is 16 MB). Every command leaves young objects
 * (the command, its result and order view, execution reports, trades) that live
 * until its group is released, so with small semi-spaces the collector runs a
 * scavenge every few thousand commands and copies the group in flight each time.
 * Measured on the engine bench's stream (docs/engine.md, "Performance"): the whole
 * ExchangeCore +11% (325k -> 362k commands/s, mean of 12 alternating runs);
 * Exchange.apply alone, which keeps nothing young past its command, unchanged.
 * Cost: up to ~150 MB more young-generation heap at peak.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** The server flags missing from this process (command line or NODE_OPTIONS), for a startup warning. */
export function missingServerFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/).filter(Boolean)]);
  return SERVER_NODE_FLAGS.filter((f) => !given.has(f));
}
