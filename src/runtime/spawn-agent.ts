/**
 * The spawn agent: a small Node process that starts every host command and sandbox for faultline.
 *
 * Why a process of its own: starting a child process forks the parent, and fork copies the
 * parent's page tables while the parent's thread waits. For faultline, with hundreds of MB of
 * records and instances, that is 20 to 60 ms per command, on the event loop that serves the API;
 * a launch storm runs thousands of commands. This process stays small, so its forks are cheap,
 * and they never hold faultline's event loop.
 *
 * Messages (JSON over the IPC channel):
 *  - run {id, cmd, args, input, timeoutMs} → done {id, code, stdout, stderr}, or {id, error, stdout,
 *    stderr} when it could not start or timed out (30 s unless timeoutMs says)
 *  - start {id, cmd, args, log}: a long-running child whose stdout and stderr append to `log`
 *    → started {id, pid} (or exit {id, code: null, error}), later exit {id, code}
 *  - kill {id, signal}: signals a started child that is still running.
 * It exits when faultline goes away (the channel closes); sandboxes die with it (bwrap's
 * --die-with-parent), so a crash of faultline leaves nothing running.
 *
 * It runs, and so does everything it starts (sandboxes included), at a lower CPU priority than
 * faultline: faultline is the cloud's control plane, and its API answers in time even while a
 * launch storm's boots take every core.
 *
 * Run by Node directly (type stripping): keep this file free of TypeScript-only runtime syntax.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The agent's niceness, inherited by every command and sandbox (0 is faultline's, 19 the lowest). */
const NICENESS = 10;

interface Msg {
  t: 'run' | 'start' | 'kill';
  id: number;
  cmd: string;
  args: string[];
  input?: string;
  timeoutMs?: number;
  log?: string;
  signal?: NodeJS.Signals;
}

if (!process.send) process.exit(2);
try {
  setPriority(NICENESS);
} catch {
  /* not allowed here: same priority as faultline */
}
const send = process.send.bind(process);
const started = new Map<number, ChildProcess>();

/** Real ms a command may run unless its request says otherwise. */
const RUN_TIMEOUT_MS = 30_000;

/**
 * Runs a command and answers once: when it has exited and its output is closed, or at its
 * deadline. It leads a process group of its own, so that at the deadline everything it started
 * is killed with it: a shell killed alone leaves its running command holding the output open,
 * and waiting for that output could wait as long as the command runs. The answer at the deadline
 * does not wait for the output either, so that not even a process that cannot be killed (stuck
 * in the kernel) holds faultline up.
 */
function run(m: Msg): void {
  const child = spawn(m.cmd, m.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let answered = false;
  const answer = (r: { code?: number; error?: string }) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    send({ t: 'done', id: m.id, ...r, stdout, stderr });
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ms = m.timeoutMs ?? RUN_TIMEOUT_MS;
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    child.stdout!.destroy();
    child.stderr!.destroy();
    answer({ error: `timed out after ${ms / 1000} s` });
  }, ms);
  child.on('error', (e) => answer({ error: e.message }));
  child.on('close', (code, signal) => answer({ code: code ?? (signal ? 128 : 1) }));
  child.stdin!.on('error', () => {});
  child.stdin!.end(m.input ?? '');
}

function start(m: Msg): void {
  let fd: number;
  try {
    fd = openSync(m.log!, 'a');
  } catch (e) {
    send({ t: 'exit', id: m.id, code: null, error: (e as Error).message });
    return;
  }
  const child = spawn(m.cmd, m.args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.on('error', (e) => send({ t: 'exit', id: m.id, code: null, error: e.message }));
  if (child.pid === undefined) return;
  started.set(m.id, child);
  send({ t: 'started', id: m.id, pid: child.pid });
  child.on('exit', (code) => {
    started.delete(m.id);
    send({ t: 'exit', id: m.id, code });
  });
}

process.on('message', (m: Msg) => {
  if (m.t === 'run') run(m);
  else if (m.t === 'start') start(m);
  else if (m.t === 'kill') started.get(m.id)?.kill(m.signal ?? 'SIGKILL');
});
// A Ctrl-C reaches the whole process group; faultline decides when everything stops.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => {
  for (const c of started.values()) c.kill('SIGKILL');
  process.exit(0);
});
