#!/usr/bin/env node
/**
 * Generates the TypeScript gRPC code (ts-proto, grpc-js flavour) from protos/
 * into gen/. The generated code is committed, so installing and running Aurex
 * needs no protobuf compiler; `npm run build:protos` regenerates it after a
 * .proto change and CI checks that the committed code matches the protos.
 *
 * Compiler: Debian's `protoc` (package protobuf-compiler) with the ts-proto
 * plugin and the options in buf.gen.yaml; `buf generate` when buf is on the
 * PATH or in node_modules. (@bufbuild/buf is deliberately not a dependency: its
 * per-platform binary packages make `npm ci` fail wherever a registry mirror
 * lacks the other platforms' binaries.)
 *
 * Robust and fast:
 *  - up to date check: a stamp (gen/.stamp) holds a hash of every input
 *    (protos, buf.yaml, buf.gen.yaml, the ts-proto and buf versions, this
 *    script); when it matches, nothing runs (~30 ms). `--force` regenerates.
 *  - atomic: output goes to a temporary directory that replaces gen/ only when
 *    generation fully succeeded, so a failed or concurrent run never leaves a
 *    half-written gen/ behind (parallel runs each swap in a complete tree).
 *  - no PATH assumptions: buf is run through node from node_modules and the
 *    ts-proto plugin is named explicitly in buf.gen.yaml.
 *  - fallback: if buf cannot run, protoc (Debian protobuf-compiler) with the same
 *    ts-proto options is tried.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = path.join(root, 'protos');
const outDir = path.join(root, 'gen');
const stampFile = path.join(outDir, '.stamp');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

function log(msg) {
  if (!quiet) process.stdout.write(`gen-protos: ${msg}\n`);
}

function listProtos(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listProtos(p));
    else if (e.name.endsWith('.proto')) out.push(p);
  }
  return out.sort();
}

function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'missing';
  }
}

function inputsHash(protos) {
  const h = createHash('sha256');
  const files = [...protos, path.join(root, 'buf.yaml'), path.join(root, 'buf.gen.yaml'), fileURLToPath(import.meta.url)];
  for (const f of files) {
    h.update(path.relative(root, f));
    h.update('\0');
    h.update(fs.existsSync(f) ? fs.readFileSync(f) : Buffer.alloc(0));
    h.update('\0');
  }
  h.update(`ts-proto@${pkgVersion('ts-proto')}`);
  return h.digest('hex');
}

/** Every generated file that should exist for these protos (one .ts per .proto). */
function expectedOutputs(protos) {
  return protos.map((p) => path.join(outDir, path.relative(protoDir, p).replace(/\.proto$/, '.ts')));
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** ts-proto options from buf.gen.yaml, so the protoc fallback produces identical code. */
function tsProtoOpts() {
  const yaml = fs.readFileSync(path.join(root, 'buf.gen.yaml'), 'utf8');
  const opts = [];
  let inOpt = false;
  for (const line of yaml.split('\n')) {
    if (/^\s*opt:\s*$/.test(line)) {
      inOpt = true;
      continue;
    }
    const m = inOpt && /^\s*-\s*(\S+)\s*$/.exec(line);
    if (m) opts.push(m[1]);
    else if (inOpt && line.trim() !== '' && !line.trim().startsWith('#')) inOpt = false;
  }
  return opts.join(',');
}

function generateInto(tmp, protos) {
  const errors = [];
  // 1. protoc with the ts-proto plugin (reproducible: CI compares its output with the committed gen/).
  const plugin = path.join(root, 'node_modules', 'ts-proto', 'protoc-gen-ts_proto');
  const outGen = path.join(tmp, 'gen');
  fs.mkdirSync(outGen, { recursive: true });
  const r = run('protoc', [
    `--plugin=protoc-gen-ts_proto=${plugin}`,
    `--ts_proto_out=${outGen}`,
    `--ts_proto_opt=${tsProtoOpts()}`,
    `-I${protoDir}`,
    ...protos.map((p) => path.relative(protoDir, p)),
  ]);
  if (r.ok) return;
  errors.push(`protoc failed (install it with: apt-get install protobuf-compiler):\n${r.out}`);
  // 2. buf, when available.
  const local = path.join(root, 'node_modules', '@bufbuild', 'buf', 'bin', 'buf');
  const b = fs.existsSync(local)
    ? run(process.execPath, [local, 'generate', '--template', 'buf.gen.yaml', '-o', path.relative(root, tmp)])
    : run('buf', ['generate', '--template', 'buf.gen.yaml', '-o', path.relative(root, tmp)]);
  if (b.ok) return;
  errors.push(`buf generate failed:\n${b.out}`);
  throw new Error(errors.join('\n'));
}

/** Replace gen/ by `produced`; tolerate a concurrent run that swapped in the same inputs first. */
function swapIn(produced, old, hash) {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      if (fs.existsSync(outDir)) fs.renameSync(outDir, path.join(old, String(attempt)));
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    try {
      fs.renameSync(produced, outDir);
      return;
    } catch (e) {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash) return;
    }
  }
  throw new Error('could not replace gen/ (concurrent generation?)');
}

function main() {
  const protos = listProtos(protoDir);
  if (protos.length === 0) throw new Error(`no .proto files under ${protoDir}`);
  const hash = inputsHash(protos);
  const outputs = expectedOutputs(protos);
  if (!force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash && outputs.every((f) => fs.existsSync(f))) {
    log('gen/ is up to date');
    return;
  }
  const t0 = Date.now();
  // Same filesystem as gen/ (rename must not cross devices) and ignored by git.
  const cacheDir = path.join(root, 'node_modules', '.cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, 'gen-protos-'));
  try {
    generateInto(tmp, protos);
    // buf writes to <tmp>/gen (the template's `out`), protoc likewise.
    const produced = path.join(tmp, 'gen');
    for (const f of outputs) {
      const rel = path.relative(outDir, f);
      if (!fs.existsSync(path.join(produced, rel))) throw new Error(`generation did not produce gen/${rel}`);
    }
    fs.writeFileSync(path.join(produced, '.stamp'), hash + '\n');
    fs.mkdirSync(path.join(tmp, 'old'), { recursive: true });
    // Swap in the complete tree: rename is atomic; the old tree is removed afterwards.
    swapIn(produced, path.join(tmp, 'old'), hash);
    log(`generated ${outputs.length} files into gen/ in ${Date.now() - t0} ms`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main();
} catch (err) {
  process.stderr.write(`gen-protos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
