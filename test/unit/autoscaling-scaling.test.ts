/** Auto Scaling's pure rules: adjustments, steps, termination policies, zone choice and cron. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adjustedCapacity, clamp, matchStep, stepProblem } from '../../src/services/autoscaling/scaling.ts';
import { chooseForScaleIn } from '../../src/services/autoscaling/termination-policy.ts';
import { pickLaunchZone, rebalanceTarget, recordLaunchFailure } from '../../src/services/autoscaling/placement.ts';
import { nextCronTime, parseCron } from '../../src/services/autoscaling/cron.ts';
import type { GroupRecord, MemberRecord } from '../../src/services/autoscaling/state.ts';

const group = (over: Partial<GroupRecord> = {}) => ({ TerminationPolicies: ['Default'], launchFailures: {}, ...over }) as GroupRecord;
const member = (id: string, zone: string, over: Partial<MemberRecord> = {}) =>
  ({ InstanceId: id, AvailabilityZone: zone, LifecycleState: 'InService', ProtectedFromScaleIn: false, launchedAt: 0, ...over }) as MemberRecord;

describe('adjustments', () => {
  it('changes, sets, and takes percentages rounded toward zero with ±1 for small changes', () => {
    assert.equal(adjustedCapacity(3, 'ChangeInCapacity', 2), 5);
    assert.equal(adjustedCapacity(3, 'ExactCapacity', 7), 7);
    assert.equal(adjustedCapacity(10, 'PercentChangeInCapacity', 127), 22, '12.7 rounds down to 12');
    assert.equal(adjustedCapacity(15, 'PercentChangeInCapacity', -44.5), 9, '-6.675 rounds up to -6');
    assert.equal(adjustedCapacity(2, 'PercentChangeInCapacity', 10), 3, '0.2 becomes 1');
    assert.equal(adjustedCapacity(2, 'PercentChangeInCapacity', -10), 1, '-0.2 becomes -1');
    assert.equal(adjustedCapacity(10, 'PercentChangeInCapacity', 20, 5), 15, 'MinAdjustmentMagnitude is a floor');
    assert.equal(clamp(9, 1, 6), 6);
    assert.equal(clamp(-1, 1, 6), 1);
  });

  it('matches steps relative to the threshold, inclusive below the lower bound above it', () => {
    const steps = [
      { MetricIntervalUpperBound: -10, ScalingAdjustment: -2 },
      { MetricIntervalLowerBound: -10, MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
    ];
    assert.equal(stepProblem(steps), undefined);
    assert.equal(matchStep(steps, 100, 100)?.ScalingAdjustment, 1, 'at the threshold: lower bound 0 inclusive');
    assert.equal(matchStep(steps, 120, 100)?.ScalingAdjustment, 3);
    assert.equal(matchStep(steps, 92, 100)?.ScalingAdjustment, -1);
    assert.equal(matchStep(steps, 90, 100)?.ScalingAdjustment, -2, 'below: upper bound inclusive, lower exclusive');
    assert.equal(matchStep(steps, 85, 100)?.ScalingAdjustment, -2);
    assert.match(stepProblem([{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 30, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }])!, /overlap/);
    assert.match(stepProblem([{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }])!, /gap/);
  });
});

describe('termination policies', () => {
  const ctx = (g: GroupRecord, now = 10 * 3_600_000) => ({ group: g, now, launchConfigurationCreated: (n: string) => ({ old: 1, new: 2 })[n] });

  it('Default: the fullest zone, launch configurations before templates, the oldest configuration', () => {
    const members = [
      member('a1', 'us-east-1a', { LaunchConfigurationName: 'new' }),
      member('b1', 'us-east-1b', { LaunchConfigurationName: 'new' }),
      member('b2', 'us-east-1b', { LaunchTemplate: { LaunchTemplateId: 'lt-1', LaunchTemplateName: 't', Version: '1' } }),
      member('b3', 'us-east-1b', { LaunchConfigurationName: 'old' }),
    ];
    assert.equal(chooseForScaleIn(members, ctx(group()))!.InstanceId, 'b3');
    // Protected instances count toward their zone but are never chosen.
    members[3].ProtectedFromScaleIn = true;
    assert.equal(chooseForScaleIn(members, ctx(group()))!.InstanceId, 'b1');
    assert.equal(chooseForScaleIn(members.map((m) => ({ ...m, ProtectedFromScaleIn: true })), ctx(group())), undefined);
  });

  it('OldestInstance, NewestInstance and ClosestToNextInstanceHour', () => {
    const hour = 3_600_000;
    const members = [member('x', 'z', { launchedAt: 0 }), member('y', 'z', { launchedAt: 2 * hour + 10 * 60_000 }), member('w', 'z', { launchedAt: 9 * hour + 5 * 60_000 })];
    assert.equal(chooseForScaleIn(members, ctx(group({ TerminationPolicies: ['OldestInstance'] })))!.InstanceId, 'x');
    assert.equal(chooseForScaleIn(members, ctx(group({ TerminationPolicies: ['NewestInstance'] })))!.InstanceId, 'w');
    // At 10 h: y has run 7 h 50 min (10 min to its next hour), w 55 min (5 to go).
    assert.equal(chooseForScaleIn(members.slice(1), ctx(group({ TerminationPolicies: ['ClosestToNextInstanceHour'] })))!.InstanceId, 'w');
  });
});

describe('zone choice', () => {
  it('launches into the zone with the fewest, skipping zones in backoff', () => {
    const g = group();
    const counts = new Map([['us-east-1a', 1], ['us-east-1b', 1], ['us-east-1c', 2]]);
    assert.equal(pickLaunchZone(g, counts, 0), 'us-east-1a');
    recordLaunchFailure(g, 'us-east-1a', 0);
    assert.equal(pickLaunchZone(g, counts, 5_000), 'us-east-1b');
    assert.equal(pickLaunchZone(g, counts, 10_000), 'us-east-1a', 'the first backoff is 10 s');
    recordLaunchFailure(g, 'us-east-1a', 10_000);
    assert.equal(g.launchFailures['us-east-1a'].retryAt, 30_000, 'then it doubles');
  });

  it('finds imbalance only among zones it can launch into', () => {
    const zones = new Map([['us-east-1a', ['s-a']], ['us-east-1b', ['s-b']]]);
    const members = [member('1', 'us-east-1b'), member('2', 'us-east-1b')];
    assert.equal(rebalanceTarget(group(), zones, members, 0), 'us-east-1a');
    const g = group();
    recordLaunchFailure(g, 'us-east-1a', 0);
    assert.equal(rebalanceTarget(g, zones, members, 1), undefined);
    assert.equal(rebalanceTarget(group(), zones, [member('1', 'us-east-1a'), member('2', 'us-east-1b')], 0), undefined);
  });
});

describe('recurrence', () => {
  const at = (s: string) => Date.parse(s);
  it('finds the next time in UTC', () => {
    assert.equal(nextCronTime(parseCron('0 * * * *'), at('2026-03-01T10:00:00Z')), at('2026-03-01T11:00:00Z'));
    assert.equal(nextCronTime(parseCron('*/15 9-17 * * MON-FRI'), at('2026-03-06T17:50:00Z')), at('2026-03-09T09:00:00Z'), 'Friday evening to Monday morning');
    assert.equal(nextCronTime(parseCron('30 2 1 JAN,JUL *'), at('2026-03-01T00:00:00Z')), at('2026-07-01T02:30:00Z'));
    // Both day fields restricted: either matches.
    assert.equal(nextCronTime(parseCron('0 0 13 * 5'), at('2026-03-01T00:00:00Z')), at('2026-03-06T00:00:00Z'));
    assert.throws(() => parseCron('0 * * *'), /five fields/);
    assert.throws(() => parseCron('61 * * * *'), /out of range/);
  });
});
