/**
 * An Auto Scaling group's UpdatePolicy through the AWS CLI on the manual clock: a new launch
 * configuration rolls through the group one instance at a time (AutoScalingRollingUpdate:
 * MaxBatchSize 1, MinInstancesInService 1, PauseTime PT1M), and with
 * AutoScalingReplacingUpdate.WillReplace the group itself is replaced; an AWS::AutoScaling::WarmPool
 * made and deleted with its stack.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startFaultline, type Faultline } from '../harness.ts';

const TEMPLATE = `file://${fileURLToPath(new URL('../fixtures/cloudformation/rolling.yaml', import.meta.url))}`;

describe('CloudFormation: Auto Scaling UpdatePolicy', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  const status = async () => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'rolling')).Stacks[0].StackStatus;
  const physical = async (id: string) => (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'rolling', '--logical-resource-id', id)).StackResourceDetail.PhysicalResourceId;
  const members = async () =>
    (await fl.aws('autoscaling', 'describe-auto-scaling-groups')).AutoScalingGroups.flatMap((g: { AutoScalingGroupName: string; Instances: { InstanceId: string; LaunchConfigurationName: string; LifecycleState: string }[] }) =>
      g.Instances.map((i) => ({ group: g.AutoScalingGroupName, ...i })),
    );

  it('rolls a new launch configuration through the group one instance at a time', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'rolling', '--template-body', TEMPLATE);
    fl.advance(60);
    assert.equal(await status(), 'CREATE_COMPLETE');
    const before = await members();
    assert.equal(before.length, 2);
    await fl.aws('cloudformation', 'update-stack', '--stack-name', 'rolling', '--use-previous-template', '--parameters', 'ParameterKey=InstanceType,ParameterValue=t2.small');
    fl.advance(1);
    const config = await physical('Config');
    let now = await members();
    assert.equal(now.filter((m: { LifecycleState: string }) => m.LifecycleState === 'InService').length, 1, 'one instance at a time, one stays in service');
    fl.advance(60);
    assert.equal(await status(), 'UPDATE_IN_PROGRESS', 'the pause after the first batch');
    fl.advance(120);
    now = await members();
    assert.equal(await status(), 'UPDATE_COMPLETE');
    assert.equal(now.length, 2);
    assert.ok(now.every((m: { LaunchConfigurationName: string; InstanceId: string }) => m.LaunchConfigurationName === config && !before.some((b: { InstanceId: string }) => b.InstanceId === m.InstanceId)));
  });

  it('replaces the whole group with WillReplace', async () => {
    const group = await physical('Group');
    await fl.aws('cloudformation', 'update-stack', '--stack-name', 'rolling', '--use-previous-template', '--parameters', 'ParameterKey=InstanceType,ParameterValue=t2.micro', 'ParameterKey=Replace,ParameterValue=true');
    fl.advance(120);
    assert.equal(await status(), 'UPDATE_COMPLETE');
    const replaced = await physical('Group');
    assert.notEqual(replaced, group);
    const now = await members();
    assert.deepEqual([...new Set(now.map((m: { group: string }) => m.group))], [replaced], 'the old group and its instances are gone');
  });

  it('makes an AWS::AutoScaling::WarmPool, and deleting the stack empties it', async () => {
    const template = {
      Resources: {
        Config: { Type: 'AWS::AutoScaling::LaunchConfiguration', Properties: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro' } },
        Pooled: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { LaunchConfigurationName: { Ref: 'Config' }, MinSize: '1', MaxSize: '2', AvailabilityZones: ['us-east-1a'] } },
        Pool: { Type: 'AWS::AutoScaling::WarmPool', Properties: { AutoScalingGroupName: { Ref: 'Pooled' }, MinSize: 1, PoolState: 'Running' } },
      },
    };
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'warm', '--template-body', JSON.stringify(template));
    fl.advance(60);
    const stack = async () => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'warm')).Stacks[0].StackStatus;
    assert.equal(await stack(), 'CREATE_COMPLETE');
    const group = (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'warm', '--logical-resource-id', 'Pooled')).StackResourceDetail.PhysicalResourceId;
    const pool = await fl.aws('autoscaling', 'describe-warm-pool', '--auto-scaling-group-name', group);
    assert.deepEqual(pool.WarmPoolConfiguration, { MinSize: 1, PoolState: 'Running' });
    assert.deepEqual(pool.Instances.map((i: { LifecycleState: string }) => i.LifecycleState), ['Warmed:Running']);
    const pooled = pool.Instances[0].InstanceId;
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'warm');
    fl.advance(120);
    const gone = await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'warm', '--query', 'Stacks[0].StackStatus').catch((e: Error) => e.message);
    assert.match(String(gone), /does not exist|DELETE_COMPLETE/);
    const ec2 = await fl.aws('ec2', 'describe-instances', '--instance-ids', pooled);
    assert.equal(ec2.Reservations[0].Instances[0].State.Name, 'terminated');
  });
});
