/**
 * Running host commands for the runtime, always asynchronously: the reconciler must never block
 * the event loop that also serves the API. A failed command becomes a typed RuntimeError that
 * names the command and carries its stderr, so the driver can log why a sandbox did not start.
 */
import { spawn } from 'node:child_process';

export class RuntimeError extends Error {
  constructor(
    readonly code: 'CommandFailed' | 'Unsupported' | 'NotFound' | 'Busy',
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

/** Runs `cmd args`, feeding `input` on stdin. Rejects with RuntimeError on a non-zero exit unless `allowFail`. */
export function run(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new RuntimeError('CommandFailed', `${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (r.code !== 0 && !opts.allowFail) reject(new RuntimeError('CommandFailed', `${cmd} ${args.join(' ')} exited ${r.code}: ${stderr.trim()}`, stderr));
      else resolve(r);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

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
