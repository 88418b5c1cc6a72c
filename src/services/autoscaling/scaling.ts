/**
 * What executing a scaling policy does to the group's desired capacity (as-scaling-simple-step.html,
 * as-scaling-target-tracking.html, ec2-auto-scaling-scaling-cooldowns.html). A policy only records
 * the new desired capacity and the reason for it, and queues the group: the group loop launches
 * or terminates.
 *
 * - AdjustmentType: ChangeInCapacity adds, ExactCapacity sets, PercentChangeInCapacity adds a
 *   percentage rounded toward zero, except that a change between 0 and ±1 becomes ±1;
 *   MinAdjustmentMagnitude is a floor on that change. The result is clamped to [min, max].
 * - Simple scaling waits, after it triggers, for its activities to finish and then for its
 *   cooldown (the policy's, or the group's DefaultCooldown), ignoring alarms meanwhile.
 * - Step scaling picks the step whose bounds, relative to the alarm threshold, hold the metric;
 *   it keeps responding during activities, and instances still warming up count toward capacity
 *   so that a repeated alarm does not add them again.
 * - Target tracking scales out to ceil(in-service × metric / target) (rounding toward
 *   availability) when its high alarm fires, and in to that number when its low alarm fires,
 *   unless DisableScaleIn or another target tracking policy of the group does not agree.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import { causes } from './activities.ts';
import { asErrors } from './errors.ts';
import { queueGroup } from './queue.ts';
import { COLL, isSuspended, type GroupRecord, type MemberRecord, type PolicyRecord, type StepAdjustment } from './state.ts';

export const ADJUSTMENT_TYPES = ['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity'] as const;

export const clamp = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, n));

/** The capacity an adjustment asks for, before clamping. */
export function adjustedCapacity(current: number, type: string, adjustment: number, minMagnitude?: number): number {
  switch (type) {
    case 'ExactCapacity':
      return adjustment;
    case 'PercentChangeInCapacity': {
      const raw = (current * adjustment) / 100;
      let change = raw > 0 ? Math.floor(raw) : Math.ceil(raw);
      if (raw !== 0 && Math.abs(raw) < 1) change = Math.sign(raw);
      if (minMagnitude && change !== 0 && Math.abs(change) < minMagnitude) change = Math.sign(change) * minMagnitude;
      return current + change;
    }
    default:
      return current + adjustment;
  }
}

/**
 * The step that holds `metric` for an alarm at `threshold`: above the threshold a step's lower
 * bound is inclusive and its upper bound exclusive, below it the other way round.
 */
export function matchStep(steps: readonly StepAdjustment[], metric: number, threshold: number): StepAdjustment | undefined {
  const d = metric - threshold;
  return steps.find((s) => {
    const lo = s.MetricIntervalLowerBound ?? -Infinity;
    const hi = s.MetricIntervalUpperBound ?? Infinity;
    return d >= 0 ? d >= lo && d < hi : d > lo && d <= hi;
  });
}

/** Checks that steps neither overlap nor leave gaps; returns the problem or undefined. */
export function stepProblem(steps: readonly StepAdjustment[]): string | undefined {
  if (!steps.length) return 'StepAdjustments must be specified for a StepScaling policy.';
  const sorted = [...steps].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity));
  if (steps.filter((s) => s.MetricIntervalLowerBound === undefined).length > 1) return 'Only one step adjustment may have an unspecified lower bound.';
  if (steps.filter((s) => s.MetricIntervalUpperBound === undefined).length > 1) return 'Only one step adjustment may have an unspecified upper bound.';
  if (!steps.some((s) => s.MetricIntervalLowerBound === undefined) && !steps.some((s) => s.MetricIntervalUpperBound === undefined)) {
    return 'At least one step adjustment must have an unspecified lower or upper bound (null means infinity).';
  }
  for (const s of sorted) {
    if ((s.MetricIntervalLowerBound ?? -Infinity) >= (s.MetricIntervalUpperBound ?? Infinity)) {
      return `The lower bound of a step adjustment (${s.MetricIntervalLowerBound}) must be less than its upper bound (${s.MetricIntervalUpperBound}).`;
    }
  }
  for (let i = 1; i < sorted.length; i++) {
    const prevHi = sorted[i - 1].MetricIntervalUpperBound ?? Infinity;
    const lo = sorted[i].MetricIntervalLowerBound ?? -Infinity;
    if (prevHi > lo) return 'Step adjustment intervals must not overlap.';
    if (prevHi < lo) return `There is a gap between step adjustments: no step covers ${prevHi} to ${lo}.`;
  }
  return undefined;
}

export type Trigger =
  | { kind: 'alarm'; alarmName: string; metric?: number; threshold?: number }
  | { kind: 'user'; honorCooldown: boolean; metric?: number; threshold?: number };

export interface ScalingOutcome {
  executed: boolean;
  message: string;
  from?: number;
  to?: number;
}

const members = (env: Env, scope: Scope, group: string) => env.store.list<MemberRecord>(COLL.instances, scope).filter((m) => m.AutoScalingGroupName === group);

export const inCooldown = (g: DeepReadonly<GroupRecord>, now: number): boolean => !!g.cooldownPending || (g.cooldownUntil ?? 0) > now;

/** Whether every other target tracking policy of the group asks to scale in (its low alarm is in ALARM). */
function othersAgreeToScaleIn(env: Env, scope: Scope, policy: DeepReadonly<PolicyRecord>): boolean {
  return env.store
    .list<PolicyRecord>(COLL.policies, scope)
    .filter((p) => p.AutoScalingGroupName === policy.AutoScalingGroupName && p.PolicyType === 'TargetTrackingScaling' && p.Enabled && p.PolicyName !== policy.PolicyName)
    .every((p) => {
      const low = p.ownedAlarms?.low;
      return !!low && env.store.get<AlarmRecord>(ALARMS, scope, low)?.StateValue === 'ALARM';
    });
}

/** The new desired capacity a policy asks for, or a reason it asks for none. */
function decide(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>, policy: DeepReadonly<PolicyRecord>, trigger: Trigger, now: number): number | string {
  const desired = group.DesiredCapacity;
  if (policy.PolicyType === 'SimpleScaling') {
    return adjustedCapacity(desired, policy.AdjustmentType!, policy.ScalingAdjustment!, policy.MinAdjustmentMagnitude);
  }
  if (policy.PolicyType === 'StepScaling') {
    if (trigger.metric === undefined || trigger.threshold === undefined) return 'no metric value to match a step against';
    const step = matchStep(policy.StepAdjustments, trigger.metric, trigger.threshold);
    if (!step) return `no step adjustment holds the metric value ${trigger.metric}`;
    const warmupMs = (policy.EstimatedInstanceWarmup ?? group.DefaultInstanceWarmup ?? group.DefaultCooldown) * 1000;
    const target = adjustedCapacity(desired, policy.AdjustmentType!, step.ScalingAdjustment, policy.MinAdjustmentMagnitude);
    if (step.ScalingAdjustment > 0 && policy.AdjustmentType !== 'ExactCapacity') {
      // Capacity still on its way (not launched yet, pending, or in service but warming up)
      // already answers this alarm: scale from the settled instances, never below desired.
      const settled = members(env, scope, group.AutoScalingGroupName).filter((m) => m.LifecycleState === 'InService' && now >= (m.inServiceAt ?? m.launchedAt) + warmupMs).length;
      return Math.max(desired, adjustedCapacity(settled, policy.AdjustmentType!, step.ScalingAdjustment, policy.MinAdjustmentMagnitude));
    }
    return target;
  }
  // Target tracking: which alarm fired says the direction.
  const tt = policy.TargetTrackingConfiguration!;
  if (trigger.metric === undefined) return 'no metric value';
  const inService = members(env, scope, group.AutoScalingGroupName).filter((m) => m.LifecycleState === 'InService' && m.HealthStatus === 'Healthy').length;
  const needed = Math.ceil((inService * trigger.metric) / tt.TargetValue);
  const low = trigger.kind === 'alarm' && trigger.alarmName === policy.ownedAlarms?.low;
  if (!low) return Math.max(desired, needed);
  if (tt.DisableScaleIn) return 'scale-in is disabled for this policy';
  if (!othersAgreeToScaleIn(env, scope, policy)) return 'another target tracking policy does not ask to scale in';
  return Math.min(desired, Math.max(needed, 0));
}

/**
 * Executes a policy: decides the new desired capacity, records it with its cause, and queues the
 * group. Refusals a user must hear about (HonorCooldown during a cooldown) throw; everything else
 * is reported in the outcome.
 */
export function executePolicy(env: Env, scope: Scope, policy: DeepReadonly<PolicyRecord>, trigger: Trigger): ScalingOutcome {
  const group = env.store.mutable<GroupRecord>(COLL.groups, scope, policy.AutoScalingGroupName);
  if (!group || group.deleting) return { executed: false, message: `The group ${policy.AutoScalingGroupName} does not exist or is being deleted.` };
  const now = env.clock.now();
  if (trigger.kind === 'alarm' && !policy.Enabled) return { executed: false, message: `Policy ${policy.PolicyName} is disabled.` };
  if (trigger.kind === 'alarm' && isSuspended(group, 'AlarmNotification')) {
    return { executed: false, message: `The AlarmNotification process is suspended for group ${group.AutoScalingGroupName}.` };
  }
  if (policy.PolicyType === 'SimpleScaling' && inCooldown(group, now) && (trigger.kind === 'alarm' || trigger.honorCooldown)) {
    if (trigger.kind === 'user') throw asErrors.scalingActivityInProgress(`Scaling activity for AutoScalingGroup ${group.AutoScalingGroupName} is in progress or in cooldown.`);
    return { executed: false, message: `Group ${group.AutoScalingGroupName} is in cooldown; policy ${policy.PolicyName} waits.` };
  }
  const decision = decide(env, scope, group, policy, trigger, now);
  if (typeof decision === 'string') return { executed: false, message: decision };
  const from = group.DesiredCapacity;
  const to = clamp(decision, group.MinSize, group.MaxSize);
  if (policy.PolicyType === 'SimpleScaling' && to !== from) group.cooldownPending = { seconds: policy.Cooldown ?? group.DefaultCooldown };
  if (to !== from) {
    const who =
      trigger.kind === 'alarm'
        ? `a monitor alarm ${trigger.alarmName} in state ALARM triggered policy ${policy.PolicyName}`
        : `a user request executed policy ${policy.PolicyName}`;
    group.DesiredCapacity = to;
    group.capacityCause = causes.desiredChange(now, who, from, to);
  }
  env.store.put(COLL.groups, scope, group.AutoScalingGroupName, group);
  env.events.emit('autoscaling.policy.executed', { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, policy: policy.PolicyName, trigger: trigger.kind === 'alarm' ? trigger.alarmName : 'user', from, to });
  queueGroup(env, scope, group.AutoScalingGroupName);
  return { executed: true, message: to === from ? `Desired capacity stays at ${to}.` : `Desired capacity changed from ${from} to ${to}.`, from, to };
}

/** The most recent value an alarm evaluated, from its StateReasonData. */
export function alarmMetricValue(alarm: Readonly<{ StateReasonData?: string }>): number | undefined {
  if (!alarm.StateReasonData) return undefined;
  try {
    const data = JSON.parse(alarm.StateReasonData) as { evaluatedDatapoints?: { value?: number }[]; recentDatapoints?: number[] };
    const point = data.evaluatedDatapoints?.find((p) => p.value !== undefined)?.value;
    return point ?? data.recentDatapoints?.[0];
  } catch {
    return undefined;
  }
}

