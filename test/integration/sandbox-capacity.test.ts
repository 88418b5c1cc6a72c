/**
 * The machine's capacity under the sandbox driver: launches and starts beyond it fail at once
 * with EC2's InsufficientInstanceCapacity (HTTP 500, AWS's words), having created nothing; Auto
 * Scaling's launches meet the same refusal; `faultline up --max-instances N` sets the limit and
 * prints it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip } from '../sandbox-support.ts';

const AMI = 'ami-1ecae776';
const WORDING =
  /InsufficientInstanceCapacity\) when calling the (RunInstances|StartInstances) operation \(reached max retries: 0\): We currently do not have sufficient t2\.micro capacity in the Availability Zone you requested \(us-east-1a\)\. Our system will be working on provisioning additional capacity\. You can currently get t2\.micro capacity by not specifying an Availability Zone in your request or choosing us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f\./;

describe('sandbox driver: the machine holds so many instances', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let subnet: string;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox', config: { maxInstances: 3 } });
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
  });
  after(() => fl?.close());

  const count = async (what: 'instances' | 'volumes' | 'network-interfaces') => {
    if (what === 'instances') return (await fl.aws('ec2', 'describe-instances')).Reservations.flatMap((r: { Instances: unknown[] }) => r.Instances).length;
    if (what === 'volumes') return (await fl.aws('ec2', 'describe-volumes', '--no-paginate')).Volumes.length;
    return (await fl.aws('ec2', 'describe-network-interfaces')).NetworkInterfaces.length;
  };
  const run = (n: string) => fl.awsRaw('ec2', 'run-instances', '--image-id', AMI, '--instance-type', 't2.micro', '--subnet-id', subnet, '--count', n);

  it('launches up to the limit, then refuses with InsufficientInstanceCapacity before creating anything', async () => {
    assert.equal((await run('2')).code, 0);
    const before = { instances: await count('instances'), volumes: await count('volumes'), enis: await count('network-interfaces') };
    const refused = await run('2');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, WORDING);
    // AWS answers it with HTTP 500 (the SDK sees the status).
    const sdk = new EC2Client({ ...fl.sdk, maxAttempts: 1 });
    await assert.rejects(
      sdk.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't2.micro', SubnetId: subnet, MinCount: 2, MaxCount: 2 })),
      (e: Error & { $metadata: { httpStatusCode?: number } }) => e.name === 'InsufficientInstanceCapacity' && e.$metadata.httpStatusCode === 500,
    );
    assert.deepEqual({ instances: await count('instances'), volumes: await count('volumes'), enis: await count('network-interfaces') }, before);
    // Between MinCount and MaxCount, EC2 launches what fits.
    const some = await run('1:4');
    assert.equal(some.code, 0, some.stderr);
    assert.equal(JSON.parse(some.stdout).Instances.length, 1);
  });

  it('refuses to start a stopped instance when the machine is full', async () => {
    const ids: string[] = (await fl.aws('ec2', 'describe-instances')).Reservations.flatMap((r: { Instances: { InstanceId: string }[] }) => r.Instances.map((i) => i.InstanceId));
    fl.advance(60);
    await fl.aws('ec2', 'stop-instances', '--instance-ids', ids[0]);
    fl.advance(60);
    assert.equal((await run('1')).code, 0); // the stopped instance gave its room back
    const refused = await fl.awsRaw('ec2', 'start-instances', '--instance-ids', ids[0]);
    assert.match(refused.stderr, WORDING);
    const state = (await fl.aws('ec2', 'describe-instances', '--instance-ids', ids[0])).Reservations[0].Instances[0].State.Name;
    assert.equal(state, 'stopped');
  });

  it('makes Auto Scaling launches fail the same way', async () => {
    await fl.aws('autoscaling', 'create-launch-configuration', '--launch-configuration-name', 'full', '--image-id', AMI, '--instance-type', 't2.micro');
    await fl.aws('autoscaling', 'create-auto-scaling-group', '--auto-scaling-group-name', 'full', '--launch-configuration-name', 'full', '--min-size', '1', '--max-size', '1', '--vpc-zone-identifier', subnet);
    fl.advance(10);
    const activities = (await fl.aws('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', 'full')).Activities;
    assert.ok(activities.length > 0);
    assert.equal(activities[0].StatusCode, 'Failed');
    assert.match(activities[0].StatusMessage, /We currently do not have sufficient t2\.micro capacity in the Availability Zone you requested \(us-east-1a\)/);
    await fl.aws('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'full', '--force-delete');
  });
});

describe('faultline up --max-instances', { skip: sandboxSkip }, () => {
  it('sets the limit and prints it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faultline-test-'));
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'up', '--port', '0', '--data-dir', dataDir, '--driver', 'sandbox', '--clock', 'manual', '--max-instances', '7'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        proc.stdout!.on('data', () => out.includes('faultline is up') && resolve());
        proc.once('exit', () => reject(new Error(`faultline exited: ${out}`)));
      });
      assert.match(out, /driver: sandbox, room for 7 instances \(--max-instances\)/);
    } finally {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
