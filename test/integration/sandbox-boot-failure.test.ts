/**
 * Boots that fail for real under the sandbox driver, and boots that must not fail:
 *  - an instance whose root volume's data is missing on the host cannot boot; EC2 still says
 *    `running`, as AWS does, but its instance status check fails (reachability), the metric
 *    StatusCheckFailed_Instance goes to 1, and its console output says why. It never looks healthy.
 *  - many first boots at once on a fresh data dir all come up, each running its user data, with
 *    no boot failing on the way (they share the base image's tree, built once).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip } from '../sandbox-support.ts';

const AMI = 'ami-1ecae776';

async function network(fl: Faultline): Promise<string> {
  const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
  return (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
}

/** The console output through the AWS CLI, polled (real time) until `re` matches. */
async function consoleMatching(fl: Faultline, id: string, re: RegExp, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    const out = await fl.aws('ec2', 'get-console-output', '--instance-id', id);
    text = out.Output ?? '';
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`console of ${id} never matched ${re}; it says:\n${text}`);
}

describe('sandbox driver: a boot that fails shows as a failed instance status check', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let subnet: string;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    subnet = await network(fl);
  });
  after(() => fl?.close());

  it('fails the instance status check and says why on the console when the image data is missing', async () => {
    const source = (await fl.aws('ec2', 'run-instances', '--image-id', AMI, '--instance-type', 't2.micro', '--subnet-id', subnet)).Instances[0].InstanceId;
    fl.advance(60);
    await consoleMatching(fl, source, /cloud-init\[faultline\]: finished/);
    const image = (await fl.aws('ec2', 'create-image', '--instance-id', source, '--name', 'broken', '--no-reboot')).ImageId;
    await fl.app.driver.settle();
    fl.advance(120);
    const snap = (await fl.aws('ec2', 'describe-images', '--image-ids', image)).Images[0].BlockDeviceMappings[0].Ebs.SnapshotId;
    // The snapshot's data is lost on the host, as a failed disk would lose it.
    rmSync(join(fl.dataDir, 'runtime', 'snapshots', 'manifests', `${snap}.json`));

    const id = (await fl.aws('ec2', 'run-instances', '--image-id', image, '--instance-type', 't2.micro', '--subnet-id', subnet)).Instances[0].InstanceId;
    fl.advance(60);
    const text = await consoleMatching(fl, id, /could not boot/);
    assert.match(text, new RegExp(`the sandbox of ${id} could not boot: snapshot ${snap} has no data`));

    fl.advance(60); // the next status tick
    const state = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0].State.Name;
    assert.equal(state, 'running');
    const status = (await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id)).InstanceStatuses[0];
    assert.equal(status.InstanceStatus.Status, 'impaired');
    assert.deepEqual(
      status.InstanceStatus.Details.map((d: { Name: string; Status: string }) => [d.Name, d.Status]),
      [['reachability', 'failed']],
    );
    const impaired = (await fl.aws('ec2', 'describe-instance-status', '--filters', 'Name=instance-status.reachability,Values=failed')).InstanceStatuses.map((s: { InstanceId: string }) => s.InstanceId);
    assert.deepEqual(impaired, [id]);

    fl.advance(120); // past the checks' initialisation, the metric is published
    const now = fl.app.env.clock.now();
    const stats = await fl.aws('cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/EC2', '--metric-name', 'StatusCheckFailed_Instance',
      '--dimensions', `Name=InstanceId,Value=${id}`, '--statistics', 'Maximum', '--period', '60',
      '--start-time', new Date(now - 600_000).toISOString(), '--end-time', new Date(now).toISOString());
    assert.ok(stats.Datapoints.length > 0, 'StatusCheckFailed_Instance is published');
    assert.equal(Math.max(...stats.Datapoints.map((d: { Maximum: number }) => d.Maximum)), 1);
  });
});

describe('sandbox driver: concurrent first boots', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  const logged: string[] = [];

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox', log: (m) => logged.push(m) });
  });
  after(() => fl?.close());

  it('brings up 12 instances launched at once on a fresh data dir, each running its user data, none failing to boot', async () => {
    const subnet = await network(fl);
    const userData = '#!/bin/sh\necho "user data of $(cat /run/faultline-instance/instance-id): $(grep -c . /etc/passwd) users"\n';
    const ids: string[] = (await fl.aws('ec2', 'run-instances', '--image-id', AMI, '--instance-type', 't2.micro', '--subnet-id', subnet, '--count', '12', '--user-data', userData)).Instances.map(
      (i: { InstanceId: string }) => i.InstanceId,
    );
    fl.advance(60);
    for (const id of ids) await consoleMatching(fl, id, new RegExp(`user data of ${id}: [1-9]\\d* users`), 300_000);
    assert.deepEqual(logged.filter((l) => /could not boot|exited with/.test(l)), []);
    fl.advance(60);
    const statuses = (await fl.aws('ec2', 'describe-instance-status', '--instance-ids', ...ids)).InstanceStatuses;
    assert.deepEqual(statuses.map((s: { InstanceStatus: { Status: string } }) => s.InstanceStatus.Status), ids.map(() => 'initializing'));
  });
});
