/**
 * Crash safety of the sandbox driver: `faultline up` is killed with SIGKILL while an instance
 * runs; its sandbox dies with it, and the next `faultline up` on the same data directory removes
 * the stale namespaces and brings the instance back, as a reboot, from its EBS volume. Stopping
 * faultline with SIGTERM then leaves no namespace behind.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { nsPrefix } from '../../src/runtime/netns.ts';
import { readOwners } from '../../src/runtime/owners.ts';
import { sandboxSkip, waitFor, waitGone } from '../sandbox-support.ts';

const run = promisify(execFile);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('sandbox crash safety', { skip: sandboxSkip }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-crash-'));
  let proc: ChildProcess | undefined;
  after(() => {
    proc?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function up(port: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'up', '--port', String(port), '--data-dir', dataDir, '--clock', 'manual', '--driver', 'sandbox'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('faultline is up')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`faultline up exited ${code}: ${out}`)));
    });
    child.stdout!.resume();
    return child;
  }

  // Every run registers under a new tag: the namespaces of this data directory are those of every tag it has had.
  const tags = new Set<string>();
  const namespaces = async () => {
    for (const o of readOwners()) if (o.dataDir === dataDir) tags.add(o.tag);
    return (await run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => [...tags].some((t) => n.startsWith(nsPrefix(t))));
  };

  it('comes back after kill -9 with the instance running again and no stale namespace', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: url, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_MAX_ATTEMPTS: '1' };
    const aws = async (...args: string[]) => JSON.parse((await run('aws', ['--endpoint-url', url, '--output', 'json', ...args], { env })).stdout || '{}');
    const advance = (seconds: number) => fetch(`${url}/_faultline/clock/advance`, { method: 'POST', body: JSON.stringify({ seconds }) });
    proc = await up(port);
    const vpc = (await aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    const subnet = (await aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    const sg = (await aws('ec2', 'create-security-group', '--group-name', 'web', '--description', 'web', '--vpc-id', vpc)).GroupId;
    await aws('ec2', 'authorize-security-group-ingress', '--group-id', sg, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    const userData = `#!/bin/sh
mkdir -p /var/lib/app && echo survived > /var/lib/app/index.html
printf '#!/bin/sh\\ncd /var/lib/app && nohup python3 -m http.server 8080 >/dev/null 2>&1 &\\n' > /var/lib/cloud/scripts/per-boot/app.sh
chmod +x /var/lib/cloud/scripts/per-boot/app.sh && /var/lib/cloud/scripts/per-boot/app.sh
`;
    const id = (await aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', subnet, '--security-group-ids', sg, '--associate-public-ip-address', '--user-data', userData)).Instances[0].InstanceId;
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
