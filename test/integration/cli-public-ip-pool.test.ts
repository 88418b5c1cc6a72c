/**
 * `faultline up --public-ip-pool CIDR`: public and Elastic IPs come from the given block, and a
 * block that cannot serve as local endpoints is refused at start with a clear message.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientsAt, freePort, startCli } from '../sandbox-support.ts';

const run = promisify(execFile);

describe('faultline up --public-ip-pool', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-pool-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('hands out Elastic IPs from the given pool', async () => {
    const port = await freePort();
    const started = await startCli(['--port', String(port), '--data-dir', dataDir, '--clock', 'manual', '--public-ip-pool', '127.101.5.0/24']);
    child = started.child;
    assert.match(started.banner, /public IPs: 127\.101\.5\.0\/24/);
    const { aws } = clientsAt(`http://127.0.0.1:${port}`);
    const first = await aws('ec2', 'allocate-address', '--domain', 'vpc');
    const second = await aws('ec2', 'allocate-address', '--domain', 'vpc');
    assert.equal(first.PublicIp, '127.101.5.1');
    assert.equal(second.PublicIp, '127.101.5.2');
    const exited = new Promise<number | null>((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    child = undefined;
  });

  for (const [pool, message] of [
    ['10.0.0.0/24', 'public IP pool 10.0.0.0/24 must lie inside 127.0.0.0/8 (loopback addresses, which this machine answers on with no set-up)'],
    ['127.101.5.9/24', 'public IP pool 127.101.5.9/24 is not a network address; did you mean 127.101.5.0/24?'],
    ['127.101.5.0/31', 'public IP pool 127.101.5.0/31: the prefix must be /8 to /30'],
    ['localhost', 'public IP pool must be a CIDR block such as 127.101.0.0/24, not "localhost"'],
  ]) {
    it(`refuses ${pool} with a clear message`, async () => {
      const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'up', '--port', '0', '--data-dir', dataDir, '--public-ip-pool', pool]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `faultline: ${message}\n`);
    });
  }
});
