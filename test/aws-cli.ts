/**
 * The AWS CLI for tests, without a new process for each command: long-lived Python workers
 * (aws-cli-worker.py) run each command through the CLI's own entry point with a fresh driver
 * and session, in the environment the caller gives. A command in a new process costs ~1.2 s of
 * CPU, nearly all of it starting Python and parsing botocore's models; in a worker, ~0.1 s.
 *
 * A command goes to an idle worker, or to a new one when all are busy, so commands that wait on
 * each other (a waiter and what it waits for) can run at once. Idle workers do not keep the test
 * process alive, and each ends when the test process does (its request pipe closes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const WORKER = new URL('./aws-cli-worker.py', import.meta.url).pathname;

class Worker {
  private readonly child: ChildProcess;
  private readonly requests: Writable;
  private waiting?: { resolve: (r: CliResult) => void; reject: (e: Error) => void };

  constructor() {
    this.child = spawn('python3', [WORKER], { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe'] });
    this.requests = this.child.stdio[3] as Writable;
    const replies = this.child.stdio[4] as Readable;
    createInterface({ input: replies }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = undefined;
      this.idle();
      w?.resolve(JSON.parse(line));
    });
    this.child.once('exit', (code, signal) => {
      idle.delete(this);
      this.waiting?.reject(new Error(`the AWS CLI worker exited (${signal ?? code}); is awscli installed for python3?`));
      this.waiting = undefined;
    });
    this.child.once('error', (e) => this.waiting?.reject(e));
  }

  run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
    this.busy();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.requests.write(JSON.stringify({ args, env }) + '\n');
    });
  }

  /** Keeps the test process alive while a command runs, and only then. */
  private busy() {
    idle.delete(this);
    for (const h of [this.child, this.child.stdio[3], this.child.stdio[4]] as unknown as { ref(): void }[]) h.ref();
  }

  private idle() {
    for (const h of [this.child, this.child.stdio[3], this.child.stdio[4]] as unknown as { unref(): void }[]) h.unref();
    idle.add(this);
  }
}

const idle = new Set<Worker>();

/** Runs `aws ARGS` with the environment `env`; never throws for a failing command. */
export function awsCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const worker = idle.values().next().value ?? new Worker();
  return worker.run(args, env);
}
