/**
 * Scaling policies through the SDK v3, on the manual clock.
 *
 * - Simple scaling, driven by an application metric the test publishes with PutMetricData (a
 *   queue depth, what a simple policy typically watches): a CloudWatch alarm in ALARM invokes
 *   the policy every minute, and the cooldown spaces the scale-outs; a low alarm scales back in.
 * - Target tracking on ASGAverageCPUUtilization, driven by EC2's own CPUUtilization, which the
 *   simulated instances publish per group from the synthetic load the control API sets
 *   (POST /_faultline/load): the policy's alarms scale out, then back in.
 * - Step scaling through ExecutePolicy, with warming instances counted.
 * - A scheduled action on the clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeletePolicyCommand,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScalingActivitiesCommand,
  DescribeScheduledActionsCommand,
  ExecutePolicyCommand,
  PutScalingPolicyCommand,
  PutScheduledUpdateGroupActionCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { failure, startFaultline, type Faultline } from '../harness.ts';

const POLICY_ARN = /^arn:aws:autoscaling:us-east-1:\d{12}:scalingPolicy:[0-9a-f-]{36}:autoScalingGroupName\/web:policyName\/out$/;

describe('auto scaling policies through the SDK v3', () => {
  let fl: Faultline;
  let asg: AutoScalingClient;
  let cw: CloudWatchClient;
  let subnets: string;

  const desired = async (name: string) => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups![0].DesiredCapacity!;
  const instances = async (name: string) => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups![0].Instances!;
  const queueDepth = (value: number) =>
    cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'QueueDepth', Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }], Value: value }] }));
  const setCpu = async (name: string, cpuPercent: number) => {
    for (const i of await instances(name)) {
      const r = await fetch(`${fl.url}/_faultline/load`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: i.InstanceId, cpuPercent }) });
      assert.equal(r.status, 200);
    }
  };

  before(async () => {
    fl = await startFaultline();
    asg = new AutoScalingClient(fl.sdk);
    cw = new CloudWatchClient(fl.sdk);
    const ec2 = new EC2Client(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.5.0.0/16' }))).Vpc!.VpcId!;
    const a = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.5.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.5.2.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    subnets = `${a},${b}`;
    // Launch configurations turn detailed monitoring on: CPU every minute, as target tracking needs.
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'lc', ImageId: 'ami-1ecae776', InstanceType: 't3.micro' }));
    for (const name of ['web', 'tt']) {
      await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: 'lc', MinSize: 1, MaxSize: name === 'tt' ? 4 : 6, DesiredCapacity: 2, VPCZoneIdentifier: subnets }));
    }
    fl.advance(40);
  });
  after(() => fl.close());

  it('simple policies: an alarm scales out once per cooldown, and a low alarm scales back in', async () => {
    const out = await asg.send(new PutScalingPolicyCommand({ AutoScalingGroupName: 'web', PolicyName: 'out', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1, Cooldown: 120 }));
    assert.match(out.PolicyARN!, POLICY_ARN);
    const inn = await asg.send(new PutScalingPolicyCommand({ AutoScalingGroupName: 'web', PolicyName: 'in', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: -1, Cooldown: 60 }));
    const alarm = (name: string, op: 'GreaterThanThreshold' | 'LessThanThreshold', threshold: number, arn: string) =>
      cw.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'App',
          MetricName: 'QueueDepth',
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: threshold,
          ComparisonOperator: op,
          AlarmActions: [arn],
        }),
      );
    await alarm('queue-high', 'GreaterThanThreshold', 100, out.PolicyARN!);
    await alarm('queue-low', 'LessThanThreshold', 10, inn.PolicyARN!);
    const described = (await asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: 'web', PolicyNames: ['out'] }))).ScalingPolicies![0];
    assert.deepEqual(described.Alarms!.map((a) => a.AlarmName), ['queue-high']);
    assert.equal(described.PolicyType, 'SimpleScaling');

    // The high alarm stays in ALARM and invokes the policy every minute; the cooldown spaces the scale-outs.
    const seen: number[] = [];
    for (let minute = 0; minute < 4; minute++) {
      await queueDepth(500);
      fl.advance(60);
      seen.push(await desired('web'));
    }
    // Triggered at the first minute boundary T; the instance is in service by T+40, the cooldown
    // ends at T+160, and the alarm's next invocation after that, at T+180, adds one more.
    assert.deepEqual(seen, [3, 3, 3, 4], 'one instance per trigger, then nothing until the activity ends and 120 s pass');
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'web' }))).Activities!;
    assert.ok(
      acts.some((a) => /^At \S+Z a monitor alarm queue-high in state ALARM triggered policy out changing the desired capacity from 2 to 3\. {2}At \S+Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 2 to 3\.$/.test(a.Cause!)),
      acts.map((a) => a.Cause).join('\n'),
    );

    for (let minute = 0; minute < 3; minute++) {
      await queueDepth(0);
      fl.advance(60);
    }
    assert.ok((await desired('web')) < 4, 'the low alarm scaled in');
    assert.match(await failure(asg.send(new ExecutePolicyCommand({ AutoScalingGroupName: 'web', PolicyName: 'in', HonorCooldown: true }))), /ScalingActivityInProgress/);
  });

  it('step scaling: the step that holds the breach, with warming instances counted', async () => {
    assert.match(
      await failure(
        asg.send(
          new PutScalingPolicyCommand({
            AutoScalingGroupName: 'web',
            PolicyName: 'gappy',
            PolicyType: 'StepScaling',
            AdjustmentType: 'ChangeInCapacity',
            StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }],
          }),
        ),
      ),
      /ValidationError: There is a gap between step adjustments/,
    );
    await asg.send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: 'web',
        PolicyName: 'steps',
        PolicyType: 'StepScaling',
        AdjustmentType: 'ChangeInCapacity',
        EstimatedInstanceWarmup: 300,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }],
      }),
    );
    fl.advance(400);
    const before = await desired('web');
    await asg.send(new ExecutePolicyCommand({ AutoScalingGroupName: 'web', PolicyName: 'steps', MetricValue: 130, BreachThreshold: 100 }));
    assert.equal(await desired('web'), before + 2, 'a breach of 30 falls in the [20, ∞) step');
    // The same breach again while those two warm up asks for nothing more.
    await asg.send(new ExecutePolicyCommand({ AutoScalingGroupName: 'web', PolicyName: 'steps', MetricValue: 130, BreachThreshold: 100 }));
    assert.equal(await desired('web'), before + 2);
  });

  it('target tracking: owns two alarms on the group CPU, scales out when hot and back in when idle', async () => {
    const put = await asg.send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: 'tt',
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50 },
      }),
    );
    const names = put.Alarms!.map((a) => a.AlarmName!);
    assert.equal(names.length, 2);
    assert.match(names[0], /^TargetTracking-tt-AlarmHigh-[0-9a-f-]{36}$/);
    assert.match(names[1], /^TargetTracking-tt-AlarmLow-[0-9a-f-]{36}$/);
    const alarms = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-tt-' }))).MetricAlarms!;
    const high = alarms.find((a) => a.AlarmName === names[0])!;
    const low = alarms.find((a) => a.AlarmName === names[1])!;
    assert.deepEqual(
      [high.Namespace, high.MetricName, high.Statistic, high.Period, high.EvaluationPeriods, high.DatapointsToAlarm, high.Threshold, high.ComparisonOperator],
      ['AWS/EC2', 'CPUUtilization', 'Average', 60, 3, 3, 50, 'GreaterThanThreshold'],
    );
    assert.deepEqual(high.Dimensions, [{ Name: 'AutoScalingGroupName', Value: 'tt' }]);
    assert.deepEqual(high.AlarmActions, [put.PolicyARN]);
    assert.deepEqual([low.EvaluationPeriods, low.DatapointsToAlarm, low.Threshold, low.ComparisonOperator], [15, 15, 45, 'LessThanThreshold']);

    await setCpu('tt', 90);
    fl.advance(300);
    assert.equal(await desired('tt'), 4, 'ceil(2 × 90 / 50) = 4');
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'tt', MaxRecords: 1 }))).Activities!;
    assert.match(acts[0].Cause!, new RegExp(`a monitor alarm ${names[0]} in state ALARM triggered policy cpu50 changing the desired capacity from 2 to 4\\.`));

    // Idle: two at 10 %, the two new ones at the simulated idle 2 %. Fifteen low minutes scale in.
    await setCpu('tt', 10);
    fl.advance(10 * 60);
    assert.equal(await desired('tt'), 4, 'the low alarm needs 15 points');
    fl.advance(9 * 60);
    assert.equal(await desired('tt'), 1, 'ceil(4 × 6 / 50) = 1, the minimum');
    fl.advance(60);
    assert.equal((await instances('tt')).filter((i) => i.LifecycleState === 'InService').length, 1);

    await asg.send(new DeletePolicyCommand({ AutoScalingGroupName: 'tt', PolicyName: 'cpu50' }));
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-tt-' }))).MetricAlarms, [], 'the policy deletes its alarms');
  });

  it('runs a scheduled action at its time', async () => {
    const at = new Date(fl.app.env.clock.now() + 120_000);
    await asg.send(new PutScheduledUpdateGroupActionCommand({ AutoScalingGroupName: 'tt', ScheduledActionName: 'morning', StartTime: at, MinSize: 2, DesiredCapacity: 3 }));
    await asg.send(new PutScheduledUpdateGroupActionCommand({ AutoScalingGroupName: 'tt', ScheduledActionName: 'yearly', Recurrence: '30 4 1 JAN *', DesiredCapacity: 2 }));
    const listed = (await asg.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: 'tt' }))).ScheduledUpdateGroupActions!;
    assert.deepEqual(listed.map((a) => a.ScheduledActionName), ['morning', 'yearly'], 'next run first');
    const yearly = listed.find((a) => a.ScheduledActionName === 'yearly')!;
    assert.deepEqual([yearly.StartTime!.getUTCMonth(), yearly.StartTime!.getUTCDate(), yearly.StartTime!.getUTCHours(), yearly.StartTime!.getUTCMinutes()], [0, 1, 4, 30]);
    assert.equal(yearly.Recurrence, '30 4 1 JAN *');
    assert.match(
      await failure(asg.send(new PutScheduledUpdateGroupActionCommand({ AutoScalingGroupName: 'tt', ScheduledActionName: 'past', StartTime: new Date(fl.app.env.clock.now() - 60_000), DesiredCapacity: 1 }))),
      /ValidationError: Given start time is in the past/,
    );
    fl.advance(121);
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['tt'] }))).AutoScalingGroups![0];
    assert.deepEqual([g.MinSize, g.DesiredCapacity], [2, 3]);
    const left = (await asg.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: 'tt' }))).ScheduledUpdateGroupActions!;
    assert.deepEqual(left.map((a) => a.ScheduledActionName), ['yearly'], 'a one-time action is gone once it ran');
    fl.advance(10);
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'tt', MaxRecords: 1 }))).Activities!;
    assert.match(acts[0].Cause!, /a scheduled action update of AutoScalingGroup constraints to min: 2, max: 4, desired: 3 changing the desired capacity from 1 to 3\./);
  });
});
