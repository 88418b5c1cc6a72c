/**
 * The AWS CLI and boto3 scripts for tests, without a new Python process for each: long-lived
 * workers (client-worker.py) run each command through the CLI's own entry point with a fresh
 * driver and session, and each script in a fresh namespace with a fresh boto3 session, in the
 * environment the caller gives. In a new process a command costs ~1.2 s of CPU and a script
 * ~0.8 s, nearly all of it starting Python and parsing botocore's models; in a worker, ~0.1 s.
 *
 * A request goes to an idle worker, or to a new one when all are busy, up to MAX_WORKERS so that
 * commands that wait on each other (a waiter and what it waits for) can run at once; past that it
 * waits for a worker (a worker costs ~0.7 s of CPU to start, more than ten commands). Idle workers
 * do not keep the test process alive, and each ends when the test process does (its request pipe
 * closes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
}

type Request = { args: string[] } | { script: string };

const WORKER = new URL('./client-worker.py', import.meta.url).pathname;
const MAX_WORKERS = 4;
const idle = new Set<Worker>();
let workers = 0;
/** Requests waiting for a worker, first come first served. */
const queue: ((w: Worker) => void)[] = [];

class Worker {
  private readonly child: ChildProcess;
  private readonly requests: Writable;
  private waiting?: { resolve: (r: ClientResult) => void; reject: (e: Error) => void };
  private gone = false;

  constructor() {
    this.child = spawn('python3', [WORKER], { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe'] });
    this.requests = this.child.stdio[3] as Writable;
    createInterface({ input: this.child.stdio[4] as Readable }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = undefined;
      this.release();
      w?.resolve(JSON.parse(line));
    });
    workers++;
    const fail = (e: Error) => {
      if (!this.gone) workers--;
      this.gone = true;
      idle.delete(this);
      this.waiting?.reject(e);
      this.waiting = undefined;
      queue.shift()?.(new Worker());
    };
    this.child.once('exit', (code, signal) => fail(new Error(`the AWS client worker exited (${signal ?? code}): are awscli and boto3 installed for python3?`)));
    this.child.once('error', fail);
  }

  run(req: Request, env: NodeJS.ProcessEnv): Promise<ClientResult> {
    if (this.gone) return Promise.reject(new Error('the AWS client worker has exited'));
    this.hold();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.requests.write(JSON.stringify({ ...req, env }) + '\n');
    });
  }

  /** Busy: keeps the test process alive until the reply. */
  private hold() {
    idle.delete(this);
    for (const h of this.handles()) h.ref();
  }

  private release() {
    const next = queue.shift();
    if (next) return next(this);
    for (const h of this.handles()) h.unref();
    idle.add(this);
  }

  private handles() {
    return [this.child, this.child.stdio[3], this.child.stdio[4]] as unknown as { ref(): void; unref(): void }[];
  }
}

async function run(req: Request, env: NodeJS.ProcessEnv): Promise<ClientResult> {
  const free = idle.values().next().value ?? (workers < MAX_WORKERS ? new Worker() : await new Promise<Worker>((r) => queue.push(r)));
  return free.run(req, env);
}

/** `aws ARGS` with the environment `env`: its exit code, stdout and stderr (never throws for a failing command). */
export const awsCli = (args: string[], env: NodeJS.ProcessEnv) => run({ args }, env);

/** `python3 -c SCRIPT` with the environment `env`: its exit code, stdout and stderr. */
export const pythonScript = (script: string, env: NodeJS.ProcessEnv) => run({ script }, env);
