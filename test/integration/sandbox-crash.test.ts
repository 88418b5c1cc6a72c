/**
 * Crash safety of the sandbox driver: `faultline up` is killed with SIGKILL while an instance
 * runs; its sandbox dies with it, and the next `faultline up` on the same data directory removes
 * the stale namespaces and brings the instance back, as a reboot, from its EBS volume. Stopping
 * faultline with SIGTERM then leaves no namespace behind.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsPrefix } from '../../src/runtime/netns.ts';
import { readOwners } from '../../src/runtime/owners.ts';
import { clientsAt, freePort, launchWebServer, sandboxSkip, startCli, waitFor, waitGone } from '../sandbox-support.ts';

const run = promisify(execFile);

describe('sandbox crash safety', { skip: sandboxSkip }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-crash-'));
  let proc: ChildProcess | undefined;
  after(() => {
    proc?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const up = async (port: number) => (await startCli(['--port', String(port), '--data-dir', dataDir, '--clock', 'manual', '--driver', 'sandbox'])).child;

  // Every run registers under a new tag: the namespaces of this data directory are those of every tag it has had.
  const tags = new Set<string>();
  const namespaces = async () => {
    for (const o of readOwners()) if (o.dataDir === dataDir) tags.add(o.tag);
    return (await run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => [...tags].some((t) => n.startsWith(nsPrefix(t))));
  };

  it('comes back after kill -9 with the instance running again and no stale namespace', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { aws, advance } = clientsAt(url);
    proc = await up(port);
    const id = await launchWebServer(aws, 'survived');
    await advance(60);
    const ip = (await aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0].PublicIpAddress;
    await waitFor(`http://${ip}:8080/index.html`);
    assert.equal((await namespaces()).length, 2);

    proc.kill('SIGKILL');
    await new Promise((r) => proc!.once('exit', r));
    await waitGone(`http://${ip}:8080/index.html`);

    proc = await up(port);
    const page = await waitFor(`http://${ip}:8080/index.html`);
    assert.equal(page.body, 'survived\n');
    assert.equal((await namespaces()).length, 2, 'one for the VPC, one for the instance: the stale ones were replaced');
    const console = (await aws('ec2', 'get-console-output', '--instance-id', id)).Output as string;
    assert.match(console, /running per-boot/);
    assert.doesNotMatch(console, /running user data/, 'user data runs once per instance, not at a reboot');

    proc.kill('SIGTERM');
    await new Promise((r) => proc!.once('exit', r));
    proc = undefined;
    assert.deepEqual(await namespaces(), []);
  });
});
