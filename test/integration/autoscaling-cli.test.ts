/**
 * The chapter's exercise through the AWS CLI, on the manual clock: a launch configuration and a
 * group over two subnets in two AZs (min = max = desired = 1, EC2 health checks, grace 600 s)
 * launches one instance; `aws ec2 terminate-instances` on it makes the group replace it with a new
 * instance (new id, new addresses), and describe-scaling-activities tells the story.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const AMI = 'ami-1ecae776';

describe('auto scaling through the AWS CLI: the multi-AZ exercise', () => {
  let fl: Faultline;
  let subnets: string[];
  let first: { id: string; privateIp: string; publicIp: string; subnet: string };

  const running = async () =>
    fl.aws(
      'ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=jenkins-multiaz', 'Name=instance-state-code,Values=16',
      '--query', 'Reservations[].Instances[].{id: InstanceId, publicIp: PublicIpAddress, privateIp: PrivateIpAddress, subnet: SubnetId, tags: Tags}',
    );

  before(async () => {
    fl = await startFaultline();
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId as string;
    subnets = [];
    for (const [cidr, zone] of [['10.0.1.0/24', 'us-east-1a'], ['10.0.2.0/24', 'us-east-1b']]) {
      const s = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', cidr, '--availability-zone', zone)).Subnet.SubnetId as string;
      await fl.aws('ec2', 'modify-subnet-attribute', '--subnet-id', s, '--map-public-ip-on-launch');
      subnets.push(s);
    }
  });
  after(() => fl.close());

  it('creates a launch configuration and a group that launches one instance into the first AZ', async () => {
    await fl.aws(
      'autoscaling', 'create-launch-configuration', '--launch-configuration-name', 'jenkins-lc', '--image-id', AMI, '--instance-type', 't2.micro',
      '--user-data', '#!/bin/bash -ex\nyum install -y jenkins\n', '--associate-public-ip-address',
    );
    await fl.aws(
      'autoscaling', 'create-auto-scaling-group', '--auto-scaling-group-name', 'jenkins', '--launch-configuration-name', 'jenkins-lc',
      '--min-size', '1', '--max-size', '1', '--desired-capacity', '1', '--vpc-zone-identifier', subnets.join(','),
      '--health-check-type', 'EC2', '--health-check-grace-period', '600', '--tags', 'Key=Name,Value=jenkins-multiaz,PropagateAtLaunch=true',
    );
    fl.advance(1);
    let g = (await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'jenkins')).AutoScalingGroups[0];
    assert.deepEqual(g.AvailabilityZones, ['us-east-1a', 'us-east-1b']);
    assert.equal(g.Instances.length, 1);
    assert.equal(g.Instances[0].LifecycleState, 'Pending');
    assert.equal(g.Instances[0].AvailabilityZone, 'us-east-1a');
    assert.match(g.AutoScalingGroupARN, /^arn:aws:autoscaling:us-east-1:\d{12}:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/jenkins$/);
    fl.advance(30);
    g = (await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'jenkins')).AutoScalingGroups[0];
    assert.equal(g.Instances[0].LifecycleState, 'InService');
    assert.equal(g.Instances[0].HealthStatus, 'Healthy');
    assert.equal(g.Instances[0].LaunchConfigurationName, 'jenkins-lc');

    const [inst] = await running();
    assert.equal(inst.id, g.Instances[0].InstanceId);
    assert.equal(inst.subnet, subnets[0]);
    assert.match(inst.publicIp, /^127\.100\./);
    const tags = Object.fromEntries(inst.tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    assert.equal(tags['aws:autoscaling:groupName'], 'jenkins');
    assert.equal(tags.Name, 'jenkins-multiaz');
    first = inst;
  });

  it('replaces an instance terminated through EC2 with a new one: new id, new addresses', async () => {
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', first.id);
    // The group's next health check (within 30 s for a settled group) sees it shutting down:
    // terminate, then launch.
    fl.advance(30);
    const g = (await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'jenkins')).AutoScalingGroups[0];
    const fresh = g.Instances.find((i: { InstanceId: string }) => i.InstanceId !== first.id);
    assert.ok(fresh, 'a replacement is launching');
    assert.equal(fresh.LifecycleState, 'Pending');
    fl.advance(40);
    const now = await running();
    assert.equal(now.length, 1);
    assert.notEqual(now[0].id, first.id);
    assert.notEqual(now[0].publicIp, first.publicIp);
    assert.equal(now[0].id, fresh.InstanceId);

    const acts = (await fl.aws('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', 'jenkins')).Activities;
    assert.deepEqual(
      acts.map((a: { Description: string }) => a.Description),
      [`Launching a new EC2 instance: ${now[0].id}`, `Terminating EC2 instance: ${first.id}`, `Launching a new EC2 instance: ${first.id}`],
      'newest first',
    );
    assert.ok(acts.every((a: { StatusCode: string; Progress: number }) => a.StatusCode === 'Successful' && a.Progress === 100));
    assert.match(acts[1].Cause, /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped\.$/);
    assert.match(acts[0].Cause, /^At \S+Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 1\.$/);
    assert.match(
      acts[2].Cause,
      /^At \S+Z a user request created an AutoScalingGroup changing the desired capacity from 0 to 1\. {2}At \S+Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 1\.$/,
    );
    assert.deepEqual(JSON.parse(acts[2].Details), { 'Subnet ID': subnets[0], 'Availability Zone': 'us-east-1a' });
    assert.ok(Date.parse(acts[1].EndTime) >= Date.parse(acts[1].StartTime));
  });

  it('refuses to delete the group while it has instances, then ForceDelete removes it and its instances', async () => {
    const refused = await fl.awsRaw('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'jenkins');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ResourceInUse.*instances or pending Spot instance request\(s\) still in the group/);
    await fl.aws('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'jenkins', '--force-delete');
    const deleting = (await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'jenkins')).AutoScalingGroups[0];
    assert.equal(deleting.Status, 'Delete in progress');
    fl.advance(60);
    assert.deepEqual((await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'jenkins')).AutoScalingGroups, []);
    assert.deepEqual(await running(), []);
    const inUse = await fl.awsRaw('autoscaling', 'delete-launch-configuration', '--launch-configuration-name', 'jenkins-lc');
    assert.equal(inUse.code, 0, inUse.stderr);
  });
});
