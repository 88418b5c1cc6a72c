/**
 * The alarms a target tracking policy creates and owns (as-scaling-target-tracking.html):
 * `TargetTracking-<group>-AlarmHigh-<uuid>`, breaching when 3 of 3 one-minute points are above
 * the target, and `TargetTracking-<group>-AlarmLow-<uuid>`, breaching when 15 of 15 are below
 * 90 % of it (both observed on AWS). Their action is the policy's ARN. They are made, changed and
 * deleted through CloudWatch's own PutMetricAlarm and DeleteAlarms, so they evaluate on the clock
 * like any alarm; the low alarm is not made while scale-in is disabled.
 *
 * The predefined metrics are EC2's, averaged over the group under the AutoScalingGroupName
 * dimension, which EC2 publishes for instances tagged with the group's name.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { uuid } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { alarmHandlers } from '../cloudwatch/alarms.provider.ts';
import { ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import { asErrors } from './errors.ts';
import type { PolicyRecord, TargetTrackingConfiguration } from './state.ts';

const PREDEFINED: Record<string, { namespace: string; metric: string; unit?: string }> = {
  ASGAverageCPUUtilization: { namespace: 'AWS/EC2', metric: 'CPUUtilization', unit: undefined },
  ASGAverageNetworkIn: { namespace: 'AWS/EC2', metric: 'NetworkIn' },
  ASGAverageNetworkOut: { namespace: 'AWS/EC2', metric: 'NetworkOut' },
};

export const HIGH_POINTS = 3;
export const LOW_POINTS = 15;
export const LOW_FRACTION = 0.9;

/** Checks a TargetTrackingConfiguration; returns the problem or undefined. */
export function targetTrackingProblem(tt: TargetTrackingConfiguration | undefined): string | undefined {
  if (!tt) return 'TargetTrackingConfiguration must be specified for a TargetTrackingScaling policy.';
  const pre = tt.PredefinedMetricSpecification;
  const custom = tt.CustomizedMetricSpecification;
  if (!!pre === !!custom) return 'Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.';
  if (pre && !PREDEFINED[pre.PredefinedMetricType]) {
    if (pre.PredefinedMetricType === 'ALBRequestCountPerTarget') return 'ALBRequestCountPerTarget needs a load balancer target group, and faultline has no load balancers.';
    return `Unsupported PredefinedMetricType ${pre.PredefinedMetricType}.`;
  }
  if (custom) {
    if ((custom as { Metrics?: unknown }).Metrics !== undefined) return 'faultline tracks a single metric: CustomizedMetricSpecification.Metrics (metric math) is not supported.';
    if (!custom.MetricName || !custom.Namespace || !custom.Statistic) return 'CustomizedMetricSpecification needs MetricName, Namespace and Statistic.';
  }
  if (!(tt.TargetValue > 0) || !Number.isFinite(tt.TargetValue)) return `TargetValue must be a positive number; ${tt.TargetValue} is not.`;
  return undefined;
}

function alarmInput(name: string, group: string, arn: string, tt: TargetTrackingConfiguration, side: 'high' | 'low') {
  const custom = tt.CustomizedMetricSpecification;
  const pre = tt.PredefinedMetricSpecification ? PREDEFINED[tt.PredefinedMetricSpecification.PredefinedMetricType] : undefined;
  const points = side === 'high' ? HIGH_POINTS : LOW_POINTS;
  return {
    AlarmName: name,
    AlarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${arn}.`,
    ActionsEnabled: true,
    AlarmActions: [arn],
    MetricName: custom?.MetricName ?? pre!.metric,
    Namespace: custom?.Namespace ?? pre!.namespace,
    Statistic: custom?.Statistic ?? 'Average',
    Dimensions: custom ? (custom.Dimensions ?? []) : [{ Name: 'AutoScalingGroupName', Value: group }],
    ...(custom?.Unit ? { Unit: custom.Unit } : {}),
    Period: custom?.Period ?? 60,
    EvaluationPeriods: points,
    DatapointsToAlarm: points,
    Threshold: side === 'high' ? tt.TargetValue : tt.TargetValue * LOW_FRACTION,
    ComparisonOperator: side === 'high' ? 'GreaterThanThreshold' : 'LessThanThreshold',
  };
}

/**
 * Creates or updates the policy's alarms to match its configuration, in the caller's transaction.
 * Keeps the names of alarms it already owns.
 */
export function syncTargetTrackingAlarms(ctx: RequestContext, policy: PolicyRecord): void {
  const tt = policy.TargetTrackingConfiguration!;
  const group = policy.AutoScalingGroupName;
  const id = uuid();
  const owned = policy.ownedAlarms ?? { high: `TargetTracking-${group}-AlarmHigh-${id}` };
  alarmHandlers.PutMetricAlarm(alarmInput(owned.high, group, policy.PolicyARN, tt, 'high'), ctx);
  if (tt.DisableScaleIn) {
    if (owned.low) deleteAlarms(ctx, [owned.low]);
    delete owned.low;
  } else {
    owned.low ??= `TargetTracking-${group}-AlarmLow-${id}`;
    alarmHandlers.PutMetricAlarm(alarmInput(owned.low, group, policy.PolicyARN, tt, 'low'), ctx);
  }
  policy.ownedAlarms = owned;
  policy.Alarms = [owned.high, owned.low]
    .filter((n): n is string => !!n)
    .map((n) => ({ AlarmName: n, AlarmARN: ctx.env.store.get<AlarmRecord>(ALARMS, ctx, n)?.AlarmArn ?? '' }));
}

/** Deletes the alarms of `names` that still exist (a user may have deleted one). */
export function deleteAlarms(ctx: RequestContext, names: readonly string[]): void {
  const existing = names.filter((n) => ctx.env.store.get(ALARMS, ctx, n));
  if (existing.length) alarmHandlers.DeleteAlarms({ AlarmNames: existing }, ctx);
}

export function deleteOwnedAlarms(ctx: RequestContext, policy: DeepReadonly<PolicyRecord>): void {
  if (policy.ownedAlarms) deleteAlarms(ctx, [policy.ownedAlarms.high, policy.ownedAlarms.low].filter((n): n is string => !!n));
}

export const notTargetTracking = (name: string) => asErrors.validation(`Policy ${name} is a TargetTrackingScaling policy, which cannot be executed.`);
