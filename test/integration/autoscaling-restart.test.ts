/**
 * The group loop resumes from the store after a restart: a group whose instance was pending when
 * faultline stopped brings it into service afterwards, and replaces an instance terminated while
 * faultline was down.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';

describe('auto scaling across restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-asg-restart-'));
  let fl: Faultline | undefined;
  after(async () => {
    await fl?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const instances = async (f: Faultline) =>
    (await new AutoScalingClient(f.sdk).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['durable'] }))).AutoScalingGroups![0].Instances!;

  it('picks up where it stopped', async () => {
    fl = await startFaultline({ dataDir });
    const ec2 = new EC2Client(fl.sdk);
    const asg = new AutoScalingClient(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.6.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.6.1.0/24', AvailabilityZone: 'us-east-1c' }))).Subnet!.SubnetId!;
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'lc', ImageId: 'ami-1ecae776', InstanceType: 't2.micro' }));
    await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'durable', LaunchConfigurationName: 'lc', MinSize: 1, MaxSize: 1, VPCZoneIdentifier: subnet }));
    fl.advance(1);
    const [pending] = await instances(fl);
    assert.equal(pending.LifecycleState, 'Pending');
    await fl.close();

    fl = await startFaultline({ dataDir });
    fl.advance(40);
    const [running] = await instances(fl);
    assert.equal(running.InstanceId, pending.InstanceId);
    assert.equal(running.LifecycleState, 'InService');
    await new EC2Client(fl.sdk).send(new TerminateInstancesCommand({ InstanceIds: [running.InstanceId!] }));
    await fl.close();

    fl = await startFaultline({ dataDir });
    fl.advance(60);
    const now = await instances(fl);
    assert.equal(now.length, 1);
    assert.notEqual(now[0].InstanceId, running.InstanceId);
    assert.equal(now[0].LifecycleState, 'InService');
  });
});
