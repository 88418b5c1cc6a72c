/**
 * Runs the `faultline` command as a user does from their shell: `npx faultline ...` in the
 * checkout, with the user's PATH (the machine's own Node, not the project's) and none of the npm
 * variables that `npm test` sets. For the tests of the command itself and of the README.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const checkout = join(import.meta.dirname, '..');

/** The environment of a user's shell: no npm_* variables, no node_modules/.bin on the PATH. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  env.PATH = (env.PATH ?? '')
    .split(':')
    .filter((p) => !p.includes('node_modules'))
    .join(':');
  return { ...env, ...extra };
}

export interface RunningCommand {
  proc: ChildProcess;
  url: string;
  output(): string;
}

/**
 * Starts `npx faultline up --port 0 ARGS` and resolves with the address it prints. `ownGroup`
 * makes npx lead a process group of its own, as a shell's foreground job does.
 */
export function npxFaultlineUp(args: string[], opts: { env?: NodeJS.ProcessEnv; ownGroup?: boolean } = {}): Promise<RunningCommand> {
  const proc = spawn('npx', ['faultline', 'up', '--port', '0', ...args], { cwd: checkout, env: opts.env ?? userEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownGroup });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /faultline is up on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve({ proc, url: m[1], output: () => out });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`npx faultline up exited with ${code}: ${out}`)));
  });
}

/** The fields of /proc/PID/stat after the command's name: [state, ppid, ...] (Linux). */
export const procStat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');

/** A process and its descendants, from /proc (Linux). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const ppid = Number(procStat(Number(name))[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** Whether a process still runs (a zombie waiting for its parent to reap it does not). */
export function running(pid: number): boolean {
  try {
    return procStat(pid)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Whether anything answers HTTP at url. */
export async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url + '/_faultline/health', { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** Polls (real time) until check() holds; false if it still does not after timeoutMs. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}
