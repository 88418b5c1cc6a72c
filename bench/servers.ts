/** Starts faultline and moto_server as separate processes on free loopback ports, for benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Running {
  name: string;
  url: string;
  proc: ChildProcess;
  /** Real milliseconds from spawn to the first answered DescribeRegions. */
  coldStartMs: number;
  stop(): Promise<void>;
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${url}: server exited with ${proc.exitCode}`);
    try {
      const r = await fetch(url + '/', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: 'Action=DescribeRegions&Version=2016-11-15',
      });
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function start(name: string, cmd: string, args: string[], url: string, quiet = false): Promise<Running> {
  const t0 = performance.now();
  // moto logs every request on stderr; that is noise here, not a result.
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', quiet ? 'ignore' : 'inherit'] });
  await waitReady(url, proc);
  const coldStartMs = performance.now() - t0;
  return {
    name,
    url,
    proc,
    coldStartMs,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** The `up` arguments of a faultline for benchmarks: a free port, a fresh data dir, the manual clock unless `scaled`. */
export async function faultlineUp(extra: string[] = [], scaled = false): Promise<{ url: string; args: string[] }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  return { url: `http://127.0.0.1:${port}`, args: ['up', '--port', String(port), '--data-dir', dataDir, ...(scaled ? [] : ['--clock', 'manual']), ...extra] };
}

/** faultline as users run it: bin/faultline.mjs, which runs the built code (dist/). */
export async function startFaultline(extra: string[] = [], scaled = false): Promise<Running> {
  const { url, args } = await faultlineUp(extra, scaled);
  return start('faultline', process.execPath, ['bin/faultline.mjs', ...args], url);
}

export async function startMoto(): Promise<Running> {
  const port = await freePort();
  return start('moto', 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], `http://127.0.0.1:${port}`, true);
}
