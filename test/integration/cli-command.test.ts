/**
 * The `faultline` command as the README runs it, `npx faultline ...` from a user's shell: it warns
 * about nothing on a supported set-up, and a signal to any process of the chain that npx starts
 * (npm, its `sh -c`, faultline) stops faultline, leaving no process behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { answers, checkout, eventually, npxFaultlineUp, processTree, running, userEnv } from '../user-shell.ts';

const run = promisify(execFile);
const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

describe('the faultline command', () => {
  it('runs through npx without an engine warning, the first time and after', async () => {
    // A fresh npm cache, as on a new machine: npx links the checkout into it at the first call.
    const cache = mkdtempSync(join(tmpdir(), 'faultline-npm-cache-'));
    try {
      for (let i = 0; i < 2; i++) {
        const { stdout, stderr } = await run('npx', ['faultline', '--help'], { cwd: checkout, env: userEnv({ npm_config_cache: cache }) });
        assert.match(stdout, /usage: faultline <command>/);
        assert.doesNotMatch(stderr, /EBADENGINE|npm warn/);
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('runs the JavaScript built at npm ci, not TypeScript compiled at every start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
    const fl = await npxFaultlineUp(['--data-dir', dataDir, '--driver', 'simulated']);
    const tree = processTree(fl.proc.pid!);
    try {
      assert.ok(await answers(fl.url));
      // The server is the command itself (npx runs it through a link), loading the bundle.
      const server = readFileSync(`/proc/${tree.at(-1)}/cmdline`, 'utf8').split('\0');
      assert.equal(realpathSync(server[1]), join(checkout, 'bin', 'faultline.mjs'));
      assert.deepEqual(server.slice(2, 3), ['up']);
      assert.doesNotMatch(server.join(' '), /tsx|src\/cli\/main\.ts/);
      // Files the bundle reads beside itself are found: the table of services it does not serve.
      const lambda = await run('aws', ['--endpoint-url', fl.url, 'lambda', 'list-functions'], { env: userEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' }) }).then(
        () => '',
        (e: { stderr: string }) => e.stderr,
      );
      assert.match(lambda, /UnknownOperationException.*faultline does not offer AWS Lambda/);
      const built = statSync(join(checkout, 'dist', 'faultline.cjs')).mtimeMs;
      assert.ok(built >= statSync(join(checkout, 'src', 'cli', 'main.ts')).mtimeMs, 'the bundle is newer than the sources');
    } finally {
      process.kill(tree.at(-1)!, 'SIGTERM');
      assert.ok(await eventually(() => tree.every((pid) => !running(pid)), 15_000));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // Which process of the chain gets the signal: npx itself, the `sh -c` that npm runs faultline
  // in, faultline, or the whole process group (Ctrl-C in a terminal). A negative pid is a group.
  const sh = (tree: number[]) => tree.find((pid) => commandOf(pid).startsWith('sh -c'))!;
  const group = (tree: number[]) => -tree[0];
  const cases: [string, NodeJS.Signals, (tree: number[]) => number][] = [
    ['SIGTERM to npx', 'SIGTERM', (tree) => tree[0]],
    ['SIGKILL to npx (its sh -c is left)', 'SIGKILL', (tree) => tree[0]],
    ['SIGHUP to npx', 'SIGHUP', (tree) => tree[0]],
    ['SIGTERM to the sh -c that npm started', 'SIGTERM', sh],
    ['SIGKILL to the sh -c that npm started', 'SIGKILL', sh],
    ['SIGTERM to faultline', 'SIGTERM', (tree) => tree.at(-1)!],
    ['SIGINT to the process group (Ctrl-C)', 'SIGINT', group],
  ];
  for (const [name, signal, target] of cases) {
    it(`stops on ${name}`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
      const fl = await npxFaultlineUp(['--data-dir', dataDir, '--driver', 'simulated'], { ownGroup: target === group });
      const tree = processTree(fl.proc.pid!);
      try {
        assert.ok(tree.length >= 3, `npx, sh and faultline: ${tree.map(commandOf).join('; ')}`);
        assert.ok(await answers(fl.url));
        process.kill(target(tree), signal);
        assert.ok(await eventually(async () => !(await answers(fl.url)), 15_000), `faultline still answers after ${name}`);
        assert.ok(await eventually(() => tree.every((pid) => !running(pid)), 15_000), `left running: ${tree.filter(running).map(commandOf).join('; ')}`);
      } finally {
        for (const pid of tree.filter(running)) process.kill(pid, 'SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
