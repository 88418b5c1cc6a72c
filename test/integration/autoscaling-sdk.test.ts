/**
 * Auto Scaling through the SDK v3, on the manual clock: spreading over two AZs, scale-in by the
 * Default termination policy with instance protection, suspended Launch, lifecycle hooks, launch
 * template versions, ForceDelete with hooks, attach, detach and terminate on request, group metrics, and
 * Auto Scaling's errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttachInstancesCommand,
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DescribeAccountLimitsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  DescribeScalingProcessTypesCommand,
  DescribeTagsCommand,
  DescribeTerminationPolicyTypesCommand,
  DetachInstancesCommand,
  EnableMetricsCollectionCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type Instance,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { failure, startFaultline, type Faultline } from '../harness.ts';

describe('auto scaling through the SDK v3', () => {
  let fl: Faultline;
  let asg: AutoScalingClient;
  let ec2: EC2Client;
  let cw: CloudWatchClient;
  let subnets: string;

  const group = async (name: string): Promise<AutoScalingGroup> => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups![0];
  const inService = async (name: string): Promise<Instance[]> => (await group(name)).Instances!.filter((i) => i.LifecycleState === 'InService');
  const byZone = (instances: Instance[]) => instances.map((i) => i.AvailabilityZone).sort();

  before(async () => {
    fl = await startFaultline();
    asg = new AutoScalingClient(fl.sdk);
    ec2 = new EC2Client(fl.sdk);
    cw = new CloudWatchClient(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.4.0.0/16' }))).Vpc!.VpcId!;
    const a = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.4.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.4.2.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    subnets = `${a},${b}`;
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'lc-1', ImageId: 'ami-1ecae776', InstanceType: 't2.micro' }));
    fl.advance(1);
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'lc-2', ImageId: 'ami-1ecae776', InstanceType: 't2.small' }));
  });
  after(() => fl.close());

  it('spreads desired capacity 2 over the two AZs', async () => {
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'spread',
        LaunchConfigurationName: 'lc-1',
        MinSize: 0,
        MaxSize: 6,
        DesiredCapacity: 2,
        VPCZoneIdentifier: subnets,
        Tags: [{ Key: 'team', Value: 'ops', PropagateAtLaunch: true }, { Key: 'cost', Value: 'x', PropagateAtLaunch: false }],
      }),
    );
    fl.advance(40);
    const instances = await inService('spread');
    assert.deepEqual(byZone(instances), ['us-east-1a', 'us-east-1b']);
    const ec2Tags = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instances[0].InstanceId!] }))).Reservations![0].Instances![0].Tags!;
    assert.deepEqual(ec2Tags.map((t) => t.Key).sort(), ['aws:autoscaling:groupName', 'team'], 'only tags that propagate at launch');
    const tags = await asg.send(new DescribeTagsCommand({ Filters: [{ Name: 'auto-scaling-group', Values: ['spread'] }] }));
    assert.deepEqual(tags.Tags!.map((t) => [t.Key, t.PropagateAtLaunch, t.ResourceType]), [['cost', false, 'auto-scaling-group'], ['team', true, 'auto-scaling-group']]);
    const asi = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instances[0].InstanceId!] }));
    assert.equal(asi.AutoScalingInstances![0].AutoScalingGroupName, 'spread');
  });

  it('scales in by the Default policy: the fullest AZ, the oldest launch configuration, sparing protected instances', async () => {
    // Two lc-1 instances, one per zone; the group moves to lc-2 and grows to four (two per zone).
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'spread', LaunchConfigurationName: 'lc-2' }));
    const old = await inService('spread');
    assert.ok(old.every((i) => i.LaunchConfigurationName === 'lc-1'), 'changing the configuration does not replace instances');
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'spread', DesiredCapacity: 4 }));
    fl.advance(40);
    let now = await inService('spread');
    assert.deepEqual(byZone(now), ['us-east-1a', 'us-east-1a', 'us-east-1b', 'us-east-1b']);
    const oldB = old.find((i) => i.AvailabilityZone === 'us-east-1b')!;
    const newB = now.find((i) => i.AvailabilityZone === 'us-east-1b' && i.LaunchConfigurationName === 'lc-2')!;

    // 4 → 3: the zones are even, and in the zone chosen the lc-1 instance goes.
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'spread', DesiredCapacity: 3 }));
    fl.advance(30);
    now = await inService('spread');
    assert.equal(now.length, 3);
    assert.equal(now.filter((i) => i.LaunchConfigurationName === 'lc-1').length, 1, 'an lc-1 instance went first');
    assert.ok(now.some((i) => i.InstanceId === oldB.InstanceId));

    // 3 → 2: us-east-1b now holds two; its lc-1 instance is protected, so its lc-2 one goes.
    await asg.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: 'spread', InstanceIds: [oldB.InstanceId!], ProtectedFromScaleIn: true }));
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'spread', DesiredCapacity: 2 }));
    fl.advance(30);
    now = await inService('spread');
    assert.deepEqual(byZone(now), ['us-east-1a', 'us-east-1b']);
    assert.ok(now.some((i) => i.InstanceId === oldB.InstanceId && i.ProtectedFromScaleIn));
    assert.ok(!now.some((i) => i.InstanceId === newB.InstanceId));
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'spread', MaxRecords: 1 }))).Activities!;
    assert.equal(acts[0].Description, `Terminating EC2 instance: ${newB.InstanceId}`);
    assert.match(
      acts[0].Cause!,
      /^At \S+Z a user request explicitly set group desired capacity changing the desired capacity from 3 to 2\. {2}At \S+Z an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from 3 to 2\.$/,
    );
  });

  it('with Launch suspended, terminates but does not replace until resumed', async () => {
    await asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'spread', ScalingProcesses: ['Launch'] }));
    const g = await group('spread');
    assert.equal(g.SuspendedProcesses![0].ProcessName, 'Launch');
    assert.match(g.SuspendedProcesses![0].SuspensionReason!, /^User suspended at \d{4}-/);
    const victim = g.Instances!.find((i) => !i.ProtectedFromScaleIn)!;
    await asg.send(new SetInstanceHealthCommand({ InstanceId: victim.InstanceId!, HealthStatus: 'Unhealthy' }));
    fl.advance(120);
    let instances = (await group('spread')).Instances!;
    assert.equal(instances.length, 1, 'the unhealthy instance went and nothing replaced it');
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'spread', MaxRecords: 1 }))).Activities!;
    assert.match(acts[0].Cause!, /in response to a user health-check\.$/);
    await asg.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'spread', ScalingProcesses: ['Launch'] }));
    fl.advance(40);
    instances = await inService('spread');
    assert.equal(instances.length, 2);
    assert.equal((await group('spread')).SuspendedProcesses!.length, 0);
  });

  it('holds a launching instance in Pending:Wait until its lifecycle action completes', async () => {
    await asg.send(
      new PutLifecycleHookCommand({ AutoScalingGroupName: 'spread', LifecycleHookName: 'warm', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 300, DefaultResult: 'ABANDON' }),
    );
    const hooks = (await asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'spread' }))).LifecycleHooks!;
    assert.deepEqual([hooks[0].HeartbeatTimeout, hooks[0].GlobalTimeout, hooks[0].DefaultResult], [300, 30000, 'ABANDON']);
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'spread', DesiredCapacity: 3 }));
    fl.advance(40);
    let waiting = (await group('spread')).Instances!.find((i) => i.LifecycleState === 'Pending:Wait');
    assert.ok(waiting, 'the new instance waits for the hook');
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'spread', MaxRecords: 1 }))).Activities!;
    assert.equal(acts[0].StatusCode, 'MidLifecycleAction');
    // A heartbeat at 250 s pushes the 300 s timeout out; the instance still waits at 400 s.
    fl.advance(250);
    await asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'spread', LifecycleHookName: 'warm', InstanceId: waiting.InstanceId }));
    fl.advance(150);
    waiting = (await group('spread')).Instances!.find((i) => i.InstanceId === waiting!.InstanceId);
    assert.equal(waiting?.LifecycleState, 'Pending:Wait');
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'spread', LifecycleHookName: 'warm', InstanceId: waiting!.InstanceId, LifecycleActionResult: 'CONTINUE' }));
    fl.advance(1);
    const done = (await group('spread')).Instances!.find((i) => i.InstanceId === waiting!.InstanceId);
    assert.equal(done?.LifecycleState, 'InService');
    assert.match(
      await failure(asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'spread', LifecycleHookName: 'warm', InstanceId: waiting!.InstanceId, LifecycleActionResult: 'CONTINUE' }))),
      /ValidationError: No active Lifecycle Action found with instance ID/,
    );
    // Without an answer, the default result (ABANDON) terminates the instance, and the group tries again.
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'spread', DesiredCapacity: 4 }));
    fl.advance(40);
    const abandoned = (await group('spread')).Instances!.find((i) => i.LifecycleState === 'Pending:Wait')!;
    fl.advance(300);
    const after = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'spread' }));
    const launch = after.Activities!.find((a) => a.Description === `Launching a new EC2 instance: ${abandoned.InstanceId}`)!;
    assert.equal(launch.StatusCode, 'Cancelled');
    assert.match(launch.StatusMessage!, /Lifecycle Action Completed with ABANDON Result/);
  });

  it('launches from the launch template version the group names; new versions apply to new instances only', async () => {
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'tpl', LaunchTemplateData: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro' } }));
    await asg.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'tpl', LaunchTemplate: { LaunchTemplateName: 'tpl', Version: '$Latest' }, MinSize: 1, MaxSize: 3, VPCZoneIdentifier: subnets }),
    );
    fl.advance(40);
    const [first] = await inService('tpl');
    assert.equal(first.InstanceType, 't2.micro');
    assert.equal(first.LaunchTemplate!.Version, '1');
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'tpl', SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.micro' } }));
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'tpl', DesiredCapacity: 2 }));
    fl.advance(40);
    const instances = await inService('tpl');
    assert.deepEqual(instances.map((i) => [i.InstanceType, i.LaunchTemplate!.Version]).sort(), [['t2.micro', '1'], ['t3.micro', '2']]);
    const g = await group('tpl');
    assert.equal(g.LaunchTemplate!.Version, '$Latest');
    assert.match(g.LaunchTemplate!.LaunchTemplateId!, /^lt-/);
  });

  it('ForceDelete terminates the instances without waiting for hooks, then the group is gone', async () => {
    await asg.send(
      new PutLifecycleHookCommand({ AutoScalingGroupName: 'tpl', LifecycleHookName: 'drain', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 3600 }),
    );
    const ids = (await inService('tpl')).map((i) => i.InstanceId!);
    await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'tpl', ForceDelete: true }));
    const g = await group('tpl');
    assert.equal(g.Status, 'Delete in progress');
    assert.equal(g.DesiredCapacity, 0);
    assert.match(await failure(asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'tpl', DesiredCapacity: 1 }))), /ValidationError: .*pending delete/);
    fl.advance(30);
    assert.equal((await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['tpl'] }))).AutoScalingGroups!.length, 0);
    const states = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances!.map((i) => i.State!.Name));
    assert.deepEqual(states, ['terminated', 'terminated']);
    const kept = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'tpl', IncludeDeletedGroups: true }));
    assert.ok(kept.Activities!.length >= 4, 'activities of a deleted group stay visible with IncludeDeletedGroups');
    assert.equal((await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'tpl' }))).Activities!.length, 0);
  });

  it('attaches, detaches and terminates instances on request, and publishes group metrics', async () => {
    await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'ops', LaunchConfigurationName: 'lc-1', MinSize: 1, MaxSize: 4, VPCZoneIdentifier: subnets }));
    await asg.send(new EnableMetricsCollectionCommand({ AutoScalingGroupName: 'ops', Granularity: '1Minute', Metrics: ['GroupDesiredCapacity', 'GroupInServiceInstances'] }));
    const standalone = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 1, MaxCount: 1, SubnetId: subnets.split(',')[1] }))).Instances![0].InstanceId!;
    fl.advance(40);
    const [original] = await inService('ops');
    // The group's instance is in us-east-1a and the one attached in us-east-1b: the zones stay balanced.
    assert.equal(original.AvailabilityZone, 'us-east-1a');

    await asg.send(new AttachInstancesCommand({ AutoScalingGroupName: 'ops', InstanceIds: [standalone] }));
    let g = await group('ops');
    assert.equal(g.DesiredCapacity, 2);
    assert.ok(g.Instances!.some((i) => i.InstanceId === standalone && i.LifecycleState === 'InService'));
    const tag = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
    assert.ok((await tag(standalone)).Tags!.some((t) => t.Key === 'aws:autoscaling:groupName' && t.Value === 'ops'));
    fl.advance(60);

    // Detached without decrementing: it keeps running outside the group, and the group replaces it.
    const detached = await asg.send(new DetachInstancesCommand({ AutoScalingGroupName: 'ops', InstanceIds: [original.InstanceId!], ShouldDecrementDesiredCapacity: false }));
    assert.equal(detached.Activities![0].Description, `Detaching EC2 instance: ${original.InstanceId}`);
    fl.advance(40);
    g = await group('ops');
    assert.ok(!g.Instances!.some((i) => i.InstanceId === original.InstanceId));
    assert.equal(g.Instances!.filter((i) => i.LifecycleState === 'InService').length, 2);
    const outside = await tag(original.InstanceId!);
    assert.equal(outside.State!.Name, 'running');
    assert.ok(!outside.Tags?.some((t) => t.Key === 'aws:autoscaling:groupName'));

    const t = await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: standalone, ShouldDecrementDesiredCapacity: true }));
    assert.equal(t.Activity!.Description, `Terminating EC2 instance: ${standalone}`);
    assert.match(t.Activity!.Cause!, new RegExp(`instance ${standalone} was taken out of service in response to a user request, shrinking the capacity from 2 to 1\\.$`));
    assert.equal((await group('ops')).DesiredCapacity, 1);
    fl.advance(30);
    assert.equal((await tag(standalone)).State!.Name, 'terminated');
    assert.equal((await group('ops')).Instances!.length, 1);

    const end = new Date(fl.app.env.clock.now());
    const stats = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/AutoScaling',
        MetricName: 'GroupDesiredCapacity',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'ops' }],
        StartTime: new Date(end.getTime() - 600_000),
        EndTime: end,
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    assert.ok(stats.Datapoints!.some((d) => d.Maximum === 2), JSON.stringify(stats.Datapoints));
    await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'ops', ForceDelete: true }));
    fl.advance(60);
  });

  it('answers with Auto Scaling errors', async () => {
    assert.match(
      await failure(asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'spread', LaunchConfigurationName: 'lc-1', MinSize: 0, MaxSize: 1, VPCZoneIdentifier: subnets }))),
      /AlreadyExistsFault: AutoScalingGroup by this name already exists/,
    );
    assert.match(
      await failure(asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'x', LaunchConfigurationName: 'lc-1', MinSize: 2, MaxSize: 1, VPCZoneIdentifier: subnets }))),
      /ValidationError: Max bound, 1, must be greater than or equal to min bound, 2/,
    );
    assert.match(
      await failure(asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'x', LaunchConfigurationName: 'nope', MinSize: 0, MaxSize: 1, VPCZoneIdentifier: subnets }))),
      /ValidationError: Launch configuration name not found/,
    );
    assert.match(await failure(asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'x', LaunchConfigurationName: 'lc-1', MinSize: 0, MaxSize: 1 }))), /At least one Availability Zone or VPC Subnet is required/);
    assert.match(
      await failure(asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'spread', DesiredCapacity: 9 }))),
      /ValidationError: New SetDesiredCapacity value 9 is above max value 6 for the AutoScalingGroup\./,
    );
    assert.match(await failure(asg.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: 'lc-2' }))), /ResourceInUseFault: Cannot delete launch configuration lc-2/);
    assert.match(await failure(asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'spread' }))), /ResourceInUseFault: You cannot delete an AutoScalingGroup while there are instances/);
    assert.match(await failure(asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'nope' }))), /ValidationError: AutoScalingGroup name not found/);
    assert.match(
      await failure(asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: 'i-0123456789abcdef0', ShouldDecrementDesiredCapacity: false }))),
      /ValidationError: Instance Id not found/,
    );
    const limits = await asg.send(new DescribeAccountLimitsCommand({}));
    assert.deepEqual([limits.MaxNumberOfAutoScalingGroups, limits.NumberOfAutoScalingGroups, limits.NumberOfLaunchConfigurations], [500, 1, 2]);
    assert.equal((await asg.send(new DescribeScalingProcessTypesCommand({}))).Processes!.length, 9);
    assert.ok((await asg.send(new DescribeTerminationPolicyTypesCommand({}))).TerminationPolicyTypes!.includes('OldestLaunchConfiguration'));
  });
});
