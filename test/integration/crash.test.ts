/**
 * Durability: everything an API call acknowledged survives `kill -9`, and transitions that were
 * in flight (an instance still pending) resume after the restart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client, CreateVpcCommand, CreateSubnetCommand, RunInstancesCommand, DescribeInstancesCommand, DescribeVpcsCommand, CreateKeyPairCommand, DescribeKeyPairsCommand } from '@aws-sdk/client-ec2';

async function up(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'up', '--port', '0', '--clock', 'manual', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /faultline is up on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`faultline exited with ${code}: ${out}`)));
  });
  return { proc, url };
}

const killed = (proc: ChildProcess) => new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r(null) : proc.once('exit', r)));

describe('crash safety', () => {
  it('keeps acknowledged state across kill -9 and resumes in-flight transitions', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faultline-crash-'));
    const first = await up(dataDir);
    try {
      const ec2 = new EC2Client({ endpoint: first.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!;
      const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.1.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!;
      await ec2.send(new CreateKeyPairCommand({ KeyName: 'mykey' }));
      const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet.SubnetId }));
      const instanceId = run.Instances![0].InstanceId!;
      assert.equal(run.Instances![0].State?.Name, 'pending');
      ec2.destroy();

      first.proc.kill('SIGKILL');
      await killed(first.proc);

      const second = await up(dataDir);
      try {
        const again = new EC2Client({ endpoint: second.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
        const vpcs = await again.send(new DescribeVpcsCommand({ VpcIds: [vpc.VpcId!] }));
        assert.equal(vpcs.Vpcs![0].CidrBlock, '10.1.0.0/16');
        const keys = await again.send(new DescribeKeyPairsCommand({ KeyNames: ['mykey'] }));
        assert.equal(keys.KeyPairs!.length, 1);
        const described = await again.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
        const inst = described.Reservations![0].Instances![0];
        assert.equal(inst.State?.Name, 'pending');
        assert.equal(inst.SubnetId, subnet.SubnetId);
        // The boot that was in flight resumes on the restored clock.
        const adv = await fetch(second.url + '/_faultline/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: 120 }) });
        assert.equal(adv.status, 200);
        const later = await again.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
        assert.equal(later.Reservations![0].Instances![0].State?.Name, 'running');
        again.destroy();
      } finally {
        second.proc.kill('SIGTERM');
        await killed(second.proc);
      }
    } finally {
      if (first.proc.exitCode === null && first.proc.signalCode === null) first.proc.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
