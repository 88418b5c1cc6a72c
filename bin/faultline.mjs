#!/usr/bin/env node
// The `faultline` command. It runs the built CLI, dist/faultline.cjs, on Node 24 (the npm package
// `node`): in this process when this is Node 24 already (npx and npm scripts put the project's
// Node first on the PATH), else in a child process on it. scripts/build.mjs builds dist/ at
// `npm ci`; it is built again here when a file under src/ is newer, so that a checkout never runs
// stale code (checking costs a few milliseconds; building, about a second).
//
// faultline stops cleanly on SIGINT, SIGTERM and SIGHUP. Launchers do not always pass a signal on
// (npm killed leaves its `sh -c` behind), so it also stops when what started it goes away: the
// wrapper that spawned it (the IPC channel closes) or, under npm, its parent or grandparent (npm's
// `sh -c`, npm itself). Outside npm it does not watch, so `nohup faultline up &` keeps running.
import { spawn } from 'node:child_process';
import module from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');

/** The parent of a process, from /proc (Linux); undefined where that cannot be read. */
function parentOf(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Calls stop once when the processes that started this one are gone. */
function watchLaunchers(stop) {
  if (process.channel) {
    process.once('disconnect', stop);
    process.channel.unref();
  }
  if (!process.env.npm_command) return;
  const parent = process.ppid;
  const grandparent = parentOf(parent);
  const timer = setInterval(() => {
    if (process.ppid === parent && parentOf(parent) === grandparent) return;
    clearInterval(timer);
    stop();
  }, 500);
  timer.unref();
}

if (Number(process.versions.node.split('.')[0]) >= 24) {
  const { build, bundle, compileCache, sourcesMtime } = await import('../scripts/build.mjs');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < sourcesMtime()) {
    process.stderr.write('faultline: building dist/ from src/\n');
    await build();
  }
  // V8's compiled code is kept across runs (in dist/, keyed by the bundle's contents).
  module.enableCompileCache?.(compileCache);
  // The CLI handles SIGINT and SIGTERM; SIGHUP (a closed terminal) stops it the same way.
  process.once('SIGHUP', () => process.kill(process.pid, 'SIGTERM'));
  watchLaunchers(() => process.kill(process.pid, 'SIGTERM'));
  module.createRequire(import.meta.url)(bundle);
} else {
  const node = join(root, 'node_modules', 'node', 'bin', 'node');
  const child = spawn(node, [self, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  child.on('error', (e) => {
    process.stderr.write(`faultline: cannot start Node 24 (${e.message}); run npm ci in ${root}\n`);
    process.exit(1);
  });
  const stop = () => child.kill('SIGTERM');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  watchLaunchers(stop);
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}
