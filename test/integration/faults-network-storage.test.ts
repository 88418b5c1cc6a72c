/**
 * The two faults that FIS's network and storage actions need, under the simulated driver on the
 * manual clock: a subnet's disruption as a network ACL swap that DescribeNetworkAcls shows (and
 * that leaves status checks ok), and paused I/O on a volume as DescribeVolumeStatus, AWS/EBS
 * metrics and the attached-EBS status check show it. Bad targets are refused with nothing written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeInstanceStatusCommand,
  DescribeNetworkAclsCommand,
  DescribeVolumeStatusCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';

const run = promisify(execFile);

describe('subnet and volume faults', () => {
  let fl: Faultline;
  let subnetId: string;
  let instanceId: string;
  let rootVolume: string;
  let ec2: EC2Client;
  let cw: CloudWatchClient;
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: fl.clientEnv });
  const control = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(fl.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  const acls = async (input: { NetworkAclIds?: string[]; Filters?: { Name: string; Values: string[] }[] } = {}) => (await ec2.send(new DescribeNetworkAclsCommand(input))).NetworkAcls!;
  const aclsOf = (subnet: string) => acls({ Filters: [{ Name: 'association.subnet-id', Values: [subnet] }] });
  const instanceStatus = async () => (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId] }))).InstanceStatuses![0];
  const volumeStatus = async (id: string) => (await ec2.send(new DescribeVolumeStatusCommand({ VolumeIds: [id] }))).VolumeStatuses![0].VolumeStatus!;
  /** The latest minute's Maximum of an AWS/EBS metric of the volume. */
  const ebsMetric = async (name: string, volumeId: string) => {
    const now = fl.app.env.clock.now();
    const r = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/EBS', MetricName: name, Dimensions: [{ Name: 'VolumeId', Value: volumeId }], StartTime: new Date(now - 60_000), EndTime: new Date(now + 1), Period: 60, Statistics: ['Maximum'] }));
    return r.Datapoints!.sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime()).at(-1)?.Maximum;
  };

  before(async () => {
    fl = await startFaultline();
    ec2 = new EC2Client({ ...fl.sdk, maxAttempts: 1 });
    cw = new CloudWatchClient({ ...fl.sdk, maxAttempts: 1 });
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId;
    subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const inst = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', SubnetId: subnetId, MinCount: 1, MaxCount: 1 }))).Instances![0];
    instanceId = inst.InstanceId!;
    rootVolume = inst.BlockDeviceMappings![0].Ebs!.VolumeId!;
    fl.advance(300); // running, status checks initialised
  });
  after(async () => {
    ec2?.destroy();
    cw?.destroy();
    await fl?.close();
  });

  it('disrupts a subnet from the CLI with a FIS-managed clone of its ACL, leaves status checks ok, and restores it on the clock', async () => {
    const [original] = await aclsOf(subnetId);
    assert.equal(original.IsDefault, true);
    const { stdout } = await cli('fail', 'subnet', subnetId, '--scope', 'all', '--duration', '300');
    const faultId = /^(fault-[0-9a-f]+):/.exec(stdout)![1];

    // As the AWS CLI shows it.
    const [clone] = (await fl.aws('ec2', 'describe-network-acls', '--filters', `Name=association.subnet-id,Values=${subnetId}`)).NetworkAcls;
    assert.notEqual(clone.NetworkAclId, original.NetworkAclId);
    assert.equal(clone.IsDefault, false);
    assert.deepEqual(clone.Tags, [{ Key: 'managedByFIS', Value: 'true' }]);
    const denies = clone.Entries.filter((e: { RuleNumber: number }) => e.RuleNumber === 1);
    assert.deepEqual(denies.map((e: { Egress: boolean; RuleAction: string; CidrBlock: string; Protocol: string }) => [e.Egress, e.RuleAction, e.CidrBlock, e.Protocol]), [[true, 'deny', '0.0.0.0/0', '-1'], [false, 'deny', '0.0.0.0/0', '-1']]);
    // The original's entries are copied below the denies.
    assert.ok(clone.Entries.some((e: { RuleNumber: number; RuleAction: string }) => e.RuleNumber === 100 && e.RuleAction === 'allow'));
    const [stillOriginal] = await acls({ NetworkAclIds: [original.NetworkAclId!] });
    assert.deepEqual(stillOriginal.Associations, []);

    fl.advance(180);
    const s = await instanceStatus();
    assert.deepEqual([s.SystemStatus!.Status, s.InstanceStatus!.Status, s.AttachedEbsStatus!.Status], ['ok', 'ok', 'ok']);

    fl.advance(120); // the duration runs out
    const [back] = await aclsOf(subnetId);
    assert.equal(back.NetworkAclId, original.NetworkAclId);
    await assert.rejects(acls({ NetworkAclIds: [clone.NetworkAclId] }), (e: Error) => e.name === 'InvalidNetworkAclID.NotFound');
    const events = (await control('GET', '/_faultline/events')).body.events.filter((e: { detail: { faultId: string } }) => e.detail.faultId === faultId);
    assert.deepEqual(events.map((e: { type: string }) => e.type), ['fault.injected', 'fault.healed']);
    assert.equal(events[0].detail.networkAclId, clone.NetworkAclId);
  });

  it('refuses an unknown subnet, an unsupported scope and a second disruption, writing nothing', async () => {
    const count = (await acls()).length;
    const unknown = await control('POST', '/_faultline/faults', { kind: 'subnet', target: 'subnet-0123456789abcdef0' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'InvalidSubnetID.NotFound');
    const scope = await control('POST', '/_faultline/faults', { kind: 'subnet', target: subnetId, scope: 'availability-zone' });
    assert.equal(scope.status, 400);
    assert.match(scope.body.error, /scope availability-zone is not supported/);
    const first = await control('POST', '/_faultline/faults', { kind: 'subnet', target: subnetId });
    assert.equal(first.status, 201);
    const again = await control('POST', '/_faultline/faults', { kind: 'subnet', target: subnetId });
    assert.equal(again.status, 409);
    assert.equal((await control('GET', '/_faultline/faults')).body.faults.length, 1);
    assert.equal((await acls()).length, count + 1);
    await control('POST', `/_faultline/faults/${first.body.faultId}/heal`);
    assert.equal((await acls()).length, count);
  });

  it('pauses a volume: impaired after 60 s with AWS/EBS metrics at the minute and the attached-EBS check failing, then back to ok', async () => {
    assert.equal((await volumeStatus(rootVolume)).Status, 'ok');
    // Half a minute before the next status tick, which publishes EC2's metrics each minute.
    fl.advance(((90_000 - (fl.app.env.clock.now() % 60_000)) % 60_000) / 1000);
    const { stdout } = await cli('fail', 'volume', rootVolume);
    const faultId = /^(fault-[0-9a-f]+):/.exec(stdout)![1];

    fl.advance(30); // the tick: paused for 30 s
    assert.equal(await ebsMetric('VolumeQueueLength', rootVolume), 1);
    assert.equal(await ebsMetric('VolumeReadOps', rootVolume), 0);
    assert.equal(await ebsMetric('VolumeWriteOps', rootVolume), 0);
    assert.equal(await ebsMetric('VolumeStalledIOCheck', rootVolume), 0);
    assert.equal((await volumeStatus(rootVolume)).Status, 'ok');
    fl.advance(30); // paused for 60 s
    const impaired = await volumeStatus(rootVolume);
    assert.equal(impaired.Status, 'impaired');
    assert.deepEqual(impaired.Details, [{ Name: 'io-enabled', Status: 'failed' }, { Name: 'io-performance', Status: 'not-applicable' }]);

    fl.advance(30); // the next tick
    assert.equal(await ebsMetric('VolumeStalledIOCheck', rootVolume), 1);
    const s = await instanceStatus();
    assert.deepEqual([s.SystemStatus!.Status, s.InstanceStatus!.Status, s.AttachedEbsStatus!.Status], ['ok', 'ok', 'impaired']);
    const ebsCheck = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/EC2', MetricName: 'StatusCheckFailed_AttachedEBS', Dimensions: [{ Name: 'InstanceId', Value: instanceId }], StartTime: new Date(fl.app.env.clock.now() - 60_000), EndTime: new Date(fl.app.env.clock.now() + 1), Period: 60, Statistics: ['Maximum'] }));
    assert.equal(ebsCheck.Datapoints!.at(-1)!.Maximum, 1);

    await control('POST', `/_faultline/faults/${faultId}/heal`);
    assert.equal((await volumeStatus(rootVolume)).Status, 'ok');
    fl.advance(60); // the next tick
    assert.equal(await ebsMetric('VolumeStalledIOCheck', rootVolume), 0);
    assert.equal(await ebsMetric('VolumeQueueLength', rootVolume), 0);
    assert.equal((await instanceStatus()).AttachedEbsStatus!.Status, 'ok');
  });

  it('refuses an unknown or unattached volume, writing nothing', async () => {
    const unknown = await control('POST', '/_faultline/faults', { kind: 'volume', target: 'vol-0123456789abcdef0' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'InvalidVolume.NotFound');
    const spare = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }))).VolumeId!;
    const unattached = await control('POST', '/_faultline/faults', { kind: 'volume', target: spare });
    assert.equal(unattached.status, 409);
    assert.match(unattached.body.error, /not attached/);
    assert.deepEqual((await control('GET', '/_faultline/faults')).body.faults, []);
  });
});
