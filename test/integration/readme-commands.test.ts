/**
 * Every command block of README.md and examples/<name>/README.md runs as written, in order, on a
 * fresh faultline: one document is one user's session, so its blocks run one after the other in
 * one bash (variables and `cd` carry over), and any failing command fails the test (`set -e`).
 *
 * How a block is treated, by its language tag and first line:
 *  - tagged other than sh/bash/shell (hcl, json, ...): not commands, not run;
 *  - first line `apt-get ...` or `npm ci|install|test ...`: setting up the machine or the
 *    checkout, which the test runs inside already; not run;
 *  - first line `npx faultline up ...`: the test starts that faultline itself, through npx as the
 *    user does, with the line's options plus a free port and a temporary data dir (the user runs
 *    it in a terminal of its own, where it blocks); the block's other lines run;
 *  - anything else runs. `faultline up` anywhere else fails the test (it would block), and so
 *    does a second `npx faultline up` block in one document.
 * The user's faultline listens on 127.0.0.1:4566; the test's is on a free port, so that address is
 * replaced in the commands, and FAULTLINE_URL (what `npx faultline` reads) names it. Its DNS is on
 * 127.0.0.1:4553 unless another faultline (another test) has that port, when it takes a free one
 * and prints it: `dig @127.0.0.1 -p 4553` is given the port it printed. Nothing else of the user's
 * shell is set: the documents export their AWS variables themselves.
 * Inside the commands, `npx faultline ...` runs the checkout's own command on the project's Node,
 * which is what npx resolves it to, without npm's start-up (about 0.9 s of CPU a call, and the
 * documents make some eighty calls); the `up` line still goes through npx itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkout, eventually, npxFaultlineUp, processTree, running, userEnv } from '../user-shell.ts';
import { sandboxSkip } from '../sandbox-support.ts';

interface Block {
  /** Where it starts, as doc:line. */
  at: string;
  lang: string;
  lines: string[];
}

const SHELL_TAGS = new Set(['', 'sh', 'bash', 'shell']);
const SETUP = /^(sudo )?apt-get |^npm (ci|install|test)\b/;
const UP = /^npx faultline up\b/;
const USER_ADDRESS = '127.0.0.1:4566';
const USER_DIG = '@127.0.0.1 -p 4553';

function blocks(doc: string): Block[] {
  const out: Block[] = [];
  let open: Block | undefined;
  readFileSync(join(checkout, doc), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const fence = /^```\s*(\S*)/.exec(line);
      if (fence && !open) open = { at: `${doc}:${i + 1}`, lang: fence[1], lines: [] };
      else if (fence && open) {
        out.push(open);
        open = undefined;
      } else open?.lines.push(line);
    });
  return out;
}

const docs = [
  'README.md',
  ...readdirSync(join(checkout, 'examples'))
    .sort()
    .map((d) => join('examples', d, 'README.md'))
    .filter((p) => existsSync(join(checkout, p))),
];

/** A directory whose `npx` runs `npx faultline ...` as npx would, and hands anything else to npx. */
function npxShim(dir: string): string {
  const npx = execFileSync('bash', ['-c', 'command -v npx'], { env: userEnv(), encoding: 'utf8' }).trim();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh\nif [ "$1" = faultline ]; then shift; exec ${JSON.stringify(join(checkout, 'node_modules/node/bin/node'))} ${JSON.stringify(join(checkout, 'bin/faultline.mjs'))} "$@"; fi\nexec ${JSON.stringify(npx)} "$@"\n`,
  );
  chmodSync(join(bin, 'npx'), 0o755);
  return bin;
}

/** The options of the document's `npx faultline up` line, without its comment. */
const upOptions = (line: string) => line.replace(/#.*/, '').trim().split(/\s+/).slice(3);

// The documents run at once: each has its own faultline and shell, and together they are the
// suite's longest file (minutes under the sandbox driver).
describe('the command blocks of the README and the examples', { concurrency: true }, () => {
  for (const doc of docs) {
    const all = blocks(doc);
    const upLine = all.find((b) => SHELL_TAGS.has(b.lang) && UP.test(b.lines[0] ?? ''))?.lines[0];
    const needsSandbox = !!upLine && /--driver[ =]sandbox/.test(upLine);

    it(`runs ${doc} as written`, { skip: needsSandbox && sandboxSkip, timeout: 15 * 60_000 }, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-readme-'));
      const script: string[] = [
        'set -eo pipefail',
        `trap 'echo "readme-commands: failed in $README_BLOCK (\${BASH_SOURCE[0]##*/} line $LINENO): $BASH_COMMAND" >&2' ERR`,
      ];
      let server: Awaited<ReturnType<typeof npxFaultlineUp>> | undefined;
      try {
        for (const [i, b] of all.entries()) {
          if (!SHELL_TAGS.has(b.lang)) continue;
          const first = b.lines[0] ?? '';
          if (SETUP.test(first)) {
            t.diagnostic(`not run (setting up): ${b.at} ${first}`);
            continue;
          }
          let lines = b.lines;
          if (UP.test(first)) {
            assert.equal(server, undefined, `${b.at}: a second npx faultline up block; a document is one session on one faultline, so show other options inline or in a table`);
            server = await npxFaultlineUp([...upOptions(first), '--data-dir', join(dir, 'data')]);
            t.diagnostic(`started for ${b.at}: ${first.replace(/#.*/, '').trim()} (on ${server.url})`);
            lines = lines.slice(1);
          }
          const blocking = lines.find((l) => /faultline up\b/.test(l));
          assert.equal(blocking, undefined, `${b.at}: faultline up blocks; put it first in a block of its own`);
          const file = join(dir, `block-${i}.sh`);
          const address = server ? new URL(server.url).host : USER_ADDRESS;
          const dns = server && /\bdns: 127\.0\.0\.1:(\d+)/.exec(server.output())?.[1];
          writeFileSync(file, lines.join('\n').replaceAll(USER_ADDRESS, address).replaceAll(USER_DIG, dns ? `@127.0.0.1 -p ${dns}` : USER_DIG) + '\n');
          script.push(`README_BLOCK=${JSON.stringify(b.at)}`, `echo "=== $README_BLOCK"`, `source ${JSON.stringify(file)}`);
        }
        assert.ok(server, `${doc} has command blocks but no npx faultline up`);
        // The machine's own AWS settings stay out of it, as on a fresh machine.
        const env = Object.fromEntries(Object.entries(userEnv()).filter(([k]) => !k.startsWith('AWS_')));
        Object.assign(env, { FAULTLINE_URL: server.url, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', PATH: `${npxShim(dir)}:${env.PATH}` });
        const { code, output } = await bash(script.join('\n'), env);
        assert.equal(code, 0, `${doc} failed:\n${output.slice(-6000)}`);
      } finally {
        if (server) await stop(server.proc.pid!);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn('bash', ['-c', script], { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    proc.on('close', (code) => resolve({ code, output }));
  });
}

/** Stops npx faultline up as a user would (SIGTERM to npx) and waits until none of it runs. */
async function stop(npx: number): Promise<void> {
  const tree = processTree(npx);
  process.kill(npx, 'SIGTERM');
  if (!(await eventually(() => tree.every((pid) => !running(pid)), 30_000))) {
    for (const pid of tree.filter(running)) process.kill(pid, 'SIGKILL');
  }
}
