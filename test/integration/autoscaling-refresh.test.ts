/**
 * Instance refresh and warm pools through the SDK v3, on the manual clock: a group of four
 * replaced in batches that keep MinHealthyPercentage in service (sampled every 5 s of cloud time),
 * a checkpoint pause, the error for a second refresh, cancel, rollback to the previous
 * configuration, launch-first with MaxHealthyPercentage; a warm pool filling with stopped
 * instances, a scale-out served from it, a scale-in returning to it, a running pool putting
 * capacity in service sooner than a launch, and the pool's deletion.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DeleteWarmPoolCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  PutWarmPoolCommand,
  RollbackInstanceRefreshCommand,
  SetDesiredCapacityCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { failure, startFaultline, type Faultline } from '../harness.ts';

describe('instance refresh and warm pools through the SDK v3', () => {
  let fl: Faultline;
  let asg: AutoScalingClient;
  let ec2: EC2Client;
  let templateId: string;
  let subnets: string;
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
    ec2 = new EC2Client(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }))).Vpc!.VpcId!;
    const a = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.7.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.7.2.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    subnets = `${a},${b}`;
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
        VPCZoneIdentifier: subnets,
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

  it('DefaultInstanceWarmup, which a refresh uses: -1 turns it off, above 3600 is refused', async () => {
    assert.equal((await group()).DefaultInstanceWarmup, 60);
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, DefaultInstanceWarmup: -1 }));
    assert.equal((await group()).DefaultInstanceWarmup, undefined);
    const bad = await failure(asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, DefaultInstanceWarmup: 3601 })));
    assert.equal(bad, 'ValidationError: DefaultInstanceWarmup must be between 0 and 3600 seconds, or -1 to turn it off.');
  });

  describe('warm pools', () => {
    const create = (name: string, desired: number, max: number) =>
      asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: { LaunchTemplateId: templateId, Version: '1' }, MinSize: 1, MaxSize: max, DesiredCapacity: desired, VPCZoneIdentifier: subnets }));
    const describeGroup = async (name: string) => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups![0];
    const pool = (name: string) => asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: name }));
    const ec2States = async (ids: string[]) =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances!).map((i) => i.State!.Name).sort();

    it('fills with stopped instances, serves a scale-out from them, takes an instance back on scale-in, and is deleted', async () => {
      await create('pool', 1, 4);
      await asg.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'pool', MinSize: 1, InstanceReusePolicy: { ReuseOnScaleIn: true } }));
      fl.advance(10);
      let wp = await pool('pool');
      assert.deepEqual(wp.WarmPoolConfiguration, { MinSize: 1, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } });
      assert.deepEqual(wp.Instances!.map((i) => i.LifecycleState), ['Warmed:Pending', 'Warmed:Pending', 'Warmed:Pending'], 'MaxSize 4 − desired 1');
      fl.advance(70);
      wp = await pool('pool');
      const warmed = wp.Instances!.map((i) => i.InstanceId!);
      assert.deepEqual(wp.Instances!.map((i) => i.LifecycleState), ['Warmed:Stopped', 'Warmed:Stopped', 'Warmed:Stopped']);
      assert.deepEqual(await ec2States(warmed), ['stopped', 'stopped', 'stopped']);
      let g = await describeGroup('pool');
      assert.equal(g.Instances!.length, 1, 'pool instances are not the group’s');
      assert.equal(g.WarmPoolSize, 3);

      await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'pool', DesiredCapacity: 2 }));
      fl.advance(10);
      g = await describeGroup('pool');
      const served = g.Instances!.find((i) => i.LifecycleState !== 'InService')!;
      assert.ok(warmed.includes(served.InstanceId!), 'the new instance came from the pool');
      const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'pool', MaxRecords: 1 }))).Activities!;
      assert.equal(acts[0].Description, `Launching a new EC2 instance from warm pool: ${served.InstanceId}`);
      fl.advance(40);
      g = await describeGroup('pool');
      assert.equal(g.Instances!.filter((i) => i.LifecycleState === 'InService').length, 2);
      assert.equal(g.WarmPoolSize, 2, 'max(MinSize 1, 4 − 2): nothing new launched');

      // ReuseOnScaleIn: the instance scaled in is stopped into the pool, not terminated.
      await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'pool', DesiredCapacity: 1 }));
      fl.advance(40);
      g = await describeGroup('pool');
      const left = g.Instances!.map((i) => i.InstanceId!);
      wp = await pool('pool');
      assert.equal(left.length, 1);
      assert.equal(wp.Instances!.length, 3);
      const returned = wp.Instances!.map((i) => i.InstanceId!).filter((id) => !warmed.includes(id) || id === served.InstanceId);
      assert.equal(returned.length, 1);
      assert.deepEqual(await ec2States(wp.Instances!.map((i) => i.InstanceId!)), ['stopped', 'stopped', 'stopped']);

      await asg.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: 'pool' }));
      assert.equal((await pool('pool')).WarmPoolConfiguration!.Status, 'PendingDelete');
      fl.advance(40);
      wp = await pool('pool');
      assert.equal(wp.WarmPoolConfiguration, undefined);
      assert.deepEqual(wp.Instances, []);
      assert.equal((await describeGroup('pool')).WarmPoolConfiguration, undefined);
    });

    it('is refused to groups that launch spot instances, and a warm pool keeps a mixed instances policy out', async () => {
      const spot = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'spot', LaunchTemplateData: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro', InstanceMarketOptions: { MarketType: 'spot' } } }))).LaunchTemplate!.LaunchTemplateId!;
      await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'spotty', LaunchTemplate: { LaunchTemplateId: spot, Version: '1' }, MinSize: 0, MaxSize: 2, DesiredCapacity: 0, VPCZoneIdentifier: subnets }));
      const refused = await failure(asg.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'spotty', MinSize: 1 })));
      assert.equal(refused, 'ValidationError: You cannot add a warm pool to an Auto Scaling group that has a mixed instances policy or a launch template or launch configuration that requests Spot Instances.');
      assert.equal((await pool('spotty')).WarmPoolConfiguration, undefined);

      await create('warm', 1, 2);
      await asg.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'warm', MinSize: 1 }));
      const mixed = await failure(
        asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'warm', MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: templateId, Version: '1' }, Overrides: [{ InstanceType: 't3.micro' }] } } })),
      );
      assert.equal(mixed, 'ValidationError: You cannot add a mixed instances policy to an Auto Scaling group that has a warm pool.');
      assert.equal((await describeGroup('warm')).MixedInstancesPolicy, undefined);
    });

    it('a running pool puts a scale-out in service at the next pass, a launch only after booting', async () => {
      await create('hot', 1, 2);
      await create('plain', 1, 2);
      await asg.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'hot', PoolState: 'Running', MaxGroupPreparedCapacity: 2 }));
      fl.advance(40);
      assert.deepEqual((await pool('hot')).Instances!.map((i) => i.LifecycleState), ['Warmed:Running']);
      for (const name of ['hot', 'plain']) await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 2 }));
      fl.advance(10);
      const states = async (name: string) => (await describeGroup(name)).Instances!.map((i) => i.LifecycleState).sort();
      assert.deepEqual(await states('hot'), ['InService', 'InService']);
      assert.deepEqual(await states('plain'), ['InService', 'Pending']);
      fl.advance(30);
      assert.deepEqual(await states('plain'), ['InService', 'InService']);
    });
  });
});
