/**
 * Instance refresh through the SDK v3, on the manual clock: a group of four replaced in batches
 * that keep MinHealthyPercentage in service (sampled every 5 s of cloud time), a checkpoint
 * pause, the error for a second refresh, cancel, and rollback to the previous configuration.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { failure, startFaultline, type Faultline } from '../harness.ts';

describe('instance refresh through the SDK v3', () => {
  let fl: Faultline;
  let asg: AutoScalingClient;
  let templateId: string;
  const GROUP = 'web';

  const group = async (): Promise<AutoScalingGroup> => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }))).AutoScalingGroups![0];
  const latest = async (): Promise<InstanceRefresh> => (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: GROUP }))).InstanceRefreshes![0];
  const healthyInService = (g: AutoScalingGroup) => g.Instances!.filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy');
  const versions = (g: AutoScalingGroup) => g.Instances!.map((i) => i.LaunchTemplate!.Version).sort();

  /**
   * Advances 5 s at a time until `done`, sampling at each step the group's healthy in-service
   * instances and those in service or pending.
   */
  async function runUntil(done: (r: InstanceRefresh) => boolean, limitSeconds: number): Promise<{ r: InstanceRefresh; minHealthy: number; maxInstances: number }> {
    let minHealthy = Infinity;
    let maxInstances = 0;
    for (let t = 0; t <= limitSeconds; t += 5) {
      const [g, r] = [await group(), await latest()];
      minHealthy = Math.min(minHealthy, healthyInService(g).length);
      maxInstances = Math.max(maxInstances, g.Instances!.filter((i) => !i.LifecycleState!.startsWith('Terminating')).length);
      if (done(r)) return { r, minHealthy, maxInstances };
      fl.advance(5);
    }
    throw new Error(`not done within ${limitSeconds} s: ${JSON.stringify(await latest())}`);
  }

  before(async () => {
    fl = await startFaultline();
    asg = new AutoScalingClient(fl.sdk);
    const ec2 = new EC2Client(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }))).Vpc!.VpcId!;
    const a = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.7.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.7.2.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    templateId = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro' } }))).LaunchTemplate!.LaunchTemplateId!;
    for (const type of ['t2.small', 't2.medium'] as const) {
      await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: templateId, LaunchTemplateData: { ImageId: 'ami-1ecae776', InstanceType: type } }));
    }
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: GROUP,
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '1' },
        MinSize: 4,
        MaxSize: 8,
        DesiredCapacity: 4,
        VPCZoneIdentifier: `${a},${b}`,
        DefaultInstanceWarmup: 60,
      }),
    );
    fl.advance(40);
    assert.equal(healthyInService(await group()).length, 4);
  });
  after(() => fl.close());

  it('replaces a group of 4 in batches, never below MinHealthyPercentage, pausing at a checkpoint', async () => {
    const { InstanceRefreshId } = await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: GROUP,
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: templateId, Version: '2' } },
        Preferences: { MinHealthyPercentage: 50, CheckpointPercentages: [50, 100], CheckpointDelay: 300 },
      }),
    );
    const second = await failure(asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: GROUP })));
    assert.equal(second, 'InstanceRefreshInProgressFault: An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.');

    let r = await latest();
    assert.equal(r.InstanceRefreshId, InstanceRefreshId);
    assert.equal(r.InstancesToUpdate, 4);
    assert.deepEqual(r.Preferences, {
      MinHealthyPercentage: 50,
      CheckpointPercentages: [50, 100],
      CheckpointDelay: 300,
      SkipMatching: false,
      AutoRollback: false,
      ScaleInProtectedInstances: 'Ignore',
      StandbyInstances: 'Ignore',
    });

    // First batch: two replaced (4 × 50 % stay healthy), then the checkpoint at 50 %.
    const first = await runUntil((x) => x.PercentageComplete === 50, 200);
    assert.equal(first.minHealthy, 2, 'two of four stay healthy and in service throughout');
    r = first.r;
    assert.equal(r.Status, 'InProgress');
    assert.match(r.StatusReason!, /checkpoint/);
    assert.deepEqual(r.ProgressDetails, { LivePoolProgress: { PercentageComplete: 50, InstancesToUpdate: 2 } });
    assert.deepEqual(versions(await group()), ['1', '1', '2', '2']);

    // The pause holds for the checkpoint delay: nothing is replaced in the meantime.
    fl.advance(240);
    assert.deepEqual(versions(await group()), ['1', '1', '2', '2']);
    assert.equal((await latest()).PercentageComplete, 50);

    const rest = await runUntil((x) => x.Status === 'Successful', 300);
    assert.equal(rest.minHealthy, 2);
    r = rest.r;
    assert.equal(r.PercentageComplete, 100);
    assert.equal(r.InstancesToUpdate, 0);
    assert.ok(r.EndTime);
    const g = await group();
    assert.deepEqual(versions(g), ['2', '2', '2', '2']);
    assert.equal(g.LaunchTemplate!.Version, '2', 'the group takes the desired configuration once the refresh succeeds');
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: GROUP }))).Activities!;
    assert.equal(acts.filter((x) => /in response to an instance refresh\.$/.test(x.Cause!)).length, 4);
  });

  it('cancels: Cancelling until the instances in transition settle, then Cancelled; the group keeps its configuration', async () => {
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: GROUP, DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: templateId, Version: '3' } }, Preferences: { MinHealthyPercentage: 75 } }));
    fl.advance(10);
    assert.equal((await latest()).Status, 'InProgress');
    await asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: GROUP }));
    assert.equal((await latest()).Status, 'Cancelling');
    const { r } = await runUntil((x) => x.Status === 'Cancelled', 120);
    assert.ok(r.EndTime);
    const g = await group();
    assert.equal(g.LaunchTemplate!.Version, '2');
    assert.deepEqual(versions(g), ['2', '2', '2', '3'], 'the one replacement made stays');
    const again = await failure(asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: GROUP })));
    assert.equal(again, `ActiveInstanceRefreshNotFoundFault: No in progress or pending Instance Refresh found for Auto Scaling group ${GROUP}`);
  });

  it('rolls back to the previous configuration; a refresh without a desired configuration cannot be rolled back', async () => {
    // Back to four instances on version 2 first (SkipMatching replaces only the version 3 one).
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: GROUP, Preferences: { SkipMatching: true } }));
    assert.equal((await latest()).InstancesToUpdate, 1);
    const irreversible = await failure(asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: GROUP })));
    assert.match(irreversible, /^IrreversibleInstanceRefreshFault: Rollback is not supported because no desired configuration/);
    await runUntil((x) => x.Status === 'Successful', 200);
    assert.deepEqual(versions(await group()), ['2', '2', '2', '2']);

    // Rolled back while paused at its checkpoint, half done.
    await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: GROUP,
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: templateId, Version: '3' } },
        Preferences: { MinHealthyPercentage: 50, CheckpointPercentages: [50, 100] },
      }),
    );
    await runUntil((x) => x.PercentageComplete === 50, 200);
    assert.deepEqual(versions(await group()), ['2', '2', '3', '3']);
    await asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: GROUP }));
    let r = await latest();
    assert.equal(r.Status, 'RollbackInProgress');
    assert.equal(r.RollbackDetails!.RollbackReason, 'Rollback requested by user.');
    assert.equal(r.RollbackDetails!.InstancesToUpdateOnRollback, 2, 'the two instances already replaced');
    const rollback = await runUntil((x) => x.Status === 'RollbackSuccessful', 300);
    assert.equal(rollback.minHealthy, 2);
    r = rollback.r;
    assert.equal(r.RollbackDetails!.PercentageCompleteOnRollback, 100);
    assert.equal(r.PercentageComplete, 50, 'the refresh itself stopped at 50 %');
    const g = await group();
    assert.deepEqual(versions(g), ['2', '2', '2', '2']);
    assert.equal(g.LaunchTemplate!.Version, '2');
  });

  it('with MaxHealthyPercentage 150 launches first: all four stay in service, at most six in service or pending', async () => {
    await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: GROUP,
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: templateId, Version: '3' } },
        Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 150 },
      }),
    );
    const run = await runUntil((x) => x.Status === 'Successful', 400);
    assert.equal(run.minHealthy, 4);
    assert.equal(run.maxInstances, 6);
    assert.deepEqual(versions(await group()), ['3', '3', '3', '3']);
    const bad = await failure(asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: GROUP, Preferences: { MaxHealthyPercentage: 150 } })));
    assert.equal(bad, 'ValidationError: MinHealthyPercentage must be specified when MaxHealthyPercentage is specified.');
  });
});
