/**
 * Running host commands for the runtime, always asynchronously and never forking faultline
 * itself (but for each VPC's agent, vpc-network.ts): every command and sandbox is started by the
 * spawn agent (spawn-agent.ts), a small
 * process whose forks cost little and never hold the event loop that also serves the API.
 * A failed command becomes a typed RuntimeError that names the command and carries its stderr,
 * so the driver can log why a sandbox did not start.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { agentPath } from './agent-path.ts';

export class RuntimeError extends Error {
  constructor(
    readonly code: 'CommandFailed' | 'Unsupported' | 'NotFound' | 'Busy' | 'Cancelled',
    message: string,
    readonly stderr = '',
  ) {
    super(message);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A long-running child (a sandbox) started by the agent. */
export interface Started {
  readonly pid: number;
  /** Its exit code; null when it was killed by a signal or could not be waited for. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

type Reply = { t: 'done' | 'started' | 'exit'; id: number; code?: number | null; stdout?: string; stderr?: string; pid?: number; error?: string };

const AGENT = agentPath('spawn-agent');

/** The client side of the spawn agent: started on first use, again if it ever dies. */
class SpawnAgent {
  private child: ChildProcess | undefined;
  private next = 1;
  private waiting = new Map<number, (r: Reply) => void>();
  private live = new Map<number, (code: number | null) => void>();
  /** The agent each request went to: a dead agent fails only its own, not its successor's. */
  private agentOf = new Map<number, ChildProcess>();

  private agent(): ChildProcess {
    if (this.child?.connected) return this.child;
    const child = fork(AGENT, [], { execArgv: ['--no-warnings'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    child.on('message', (r: Reply) => {
      if (r.t === 'exit') {
        this.live.get(r.id)?.(r.code ?? null);
        this.live.delete(r.id);
        this.agentOf.delete(r.id);
      }
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      if (!this.live.has(r.id)) this.agentOf.delete(r.id);
      w?.(r);
      this.refresh();
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      for (const [id, of] of this.agentOf) {
        if (of !== child) continue;
        this.waiting.get(id)?.({ t: 'done', id, error: 'the spawn agent exited' });
        this.live.get(id)?.(null);
        this.waiting.delete(id);
        this.live.delete(id);
        this.agentOf.delete(id);
      }
    });
    child.unref();
    this.child = child;
    return child;
  }

  /** The agent keeps faultline alive only while it owes an answer. */
  private refresh(): void {
    const channel = this.child?.channel;
    if (this.waiting.size) channel?.ref();
    else channel?.unref();
  }

  private ask(id: number, msg: Record<string, unknown>): Promise<Reply> {
    const child = this.agent();
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.agentOf.set(id, child);
      this.refresh();
      child.send({ ...msg, id });
    });
  }

  run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number }): Promise<Reply> {
    return this.ask(this.next++, { t: 'run', cmd, args, input: opts.input, timeoutMs: opts.timeoutMs });
  }

  async start(cmd: string, args: string[], log: string): Promise<Started> {
    const id = this.next++;
    let ended = false;
    const exited = new Promise<number | null>((resolve) =>
      this.live.set(id, (code) => {
        ended = true;
        resolve(code);
      }),
    );
    const r = await this.ask(id, { t: 'start', cmd, args, log });
    if (r.t !== 'started') throw new RuntimeError('CommandFailed', `${cmd}: ${r.error ?? 'could not start'}`);
    const child = this.child;
    return { pid: r.pid!, exited, kill: (signal = 'SIGKILL') => void (!ended && child?.connected && child.send({ t: 'kill', id, signal })) };
  }
}

const agent = new SpawnAgent();

/**
 * Runs `cmd args`, feeding `input` on stdin. Rejects with RuntimeError on a non-zero exit unless
 * `allowFail`, and always when it gives no answer by `timeoutMs` (30 s): it is then killed, with
 * everything it started.
 */
export async function run(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
  const reply = await agent.run(cmd, args, opts);
  // No answer from the command (it could not start, timed out, or the agent died) fails even with allowFail.
  if (reply.error !== undefined) throw new RuntimeError('CommandFailed', `${[cmd, ...args].join(' ')}: ${reply.error}`, reply.stderr ?? '');
  const r = { code: reply.code ?? 1, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
  if (r.code !== 0 && !opts.allowFail) throw new RuntimeError('CommandFailed', `${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`, r.stderr);
  return r;
}

/** Starts a long-running `cmd args` whose output is appended to `logFile` (a sandbox and its console). */
export const start = (cmd: string, args: string[], logFile: string): Promise<Started> => agent.start(cmd, args, logFile);

/** Runs a POSIX shell script (set -e), for short sequences of `ip` commands that belong together. */
export const sh = (script: string, opts: { allowFail?: boolean } = {}) => run('/bin/sh', ['-e', '-c', script], opts);

/** Single-quotes a value for a shell script. */
export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs tasks one at a time per key (a volume, an instance), so that, e.g., a snapshot never reads
 * a volume that is still being created, while different keys proceed in parallel.
 */
export class KeyedQueue {
  private tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  busy(key: string): boolean {
    return this.tails.has(key);
  }

  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all([...this.tails.values()]);
  }
}

/**
 * Runs at most `size` tasks at once, the others waiting their turn in order: a launch storm boots
 * a few sandboxes at a time instead of starting hundreds of commands at once. `cancel` drops the
 * tasks still waiting (they reject with a Cancelled RuntimeError); `idle` waits for those running.
 */
export class Limiter {
  private active = 0;
  private waiting: { go: () => void; stop: (e: Error) => void }[] = [];
  private running = new Set<Promise<unknown>>();

  constructor(private size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((go, stop) => this.waiting.push({ go, stop }));
    // A finishing task hands its slot to the next in line, so no newcomer can jump the queue.
    const p = Promise.resolve().then(fn);
    this.running.add(p);
    try {
      return await p;
    } finally {
      this.running.delete(p);
      const next = this.waiting.shift();
      if (next) next.go();
      else this.active--;
    }
  }

  cancel(why: string): void {
    for (const w of this.waiting.splice(0)) w.stop(new RuntimeError('Cancelled', why));
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
