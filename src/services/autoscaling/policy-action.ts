/**
 * The alarm action for scaling policy ARNs, registered in CloudWatch's executor list
 * (cloudwatch/actions.ts). CloudWatch runs it when the alarm enters ALARM, and again every
 * minute while it stays there; the policy decides what that means (a simple policy in cooldown
 * ignores it, a step policy matches the alarm's latest value against its steps).
 */
import type { AlarmActionExecutor } from '../cloudwatch/actions.ts';
import { ARN_PATTERN, policyByArn } from './policy-arn.ts';
import { alarmMetricValue, executePolicy } from './scaling.ts';

export const scalingPolicyAlarmAction: AlarmActionExecutor = {
  name: 'autoscaling',
  matches: (arn) => ARN_PATTERN.test(arn),
  run(env, scope, arn, alarm) {
    const policy = policyByArn(env, scope, arn);
    if (!policy) return { ok: false, message: `The policy ${arn} does not exist.` };
    const outcome = executePolicy(env, scope, policy, {
      kind: 'alarm',
      alarmName: alarm.AlarmName,
      metric: alarmMetricValue(alarm),
      threshold: alarm.Threshold,
    });
    return {
      ok: true,
      message: outcome.message,
      data: { policyName: policy.PolicyName, autoScalingGroupName: policy.AutoScalingGroupName, executed: outcome.executed, ...(outcome.to !== undefined ? { from: outcome.from, to: outcome.to } : {}) },
    };
  },
};
