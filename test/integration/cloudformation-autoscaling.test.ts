/**
 * An Auto Scaling group's UpdatePolicy through the AWS CLI on the manual clock: a new launch
 * configuration rolls through the group one instance at a time (AutoScalingRollingUpdate:
 * MaxBatchSize 1, MinInstancesInService 1, PauseTime PT1M), and with
 * AutoScalingReplacingUpdate.WillReplace the group itself is replaced.
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
});
