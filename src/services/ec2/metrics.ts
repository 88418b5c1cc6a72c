/**
 * The metrics EC2 publishes to CloudWatch for each running instance, as AWS does: the status-check
 * metrics every minute once the checks have initialised, and CPUUtilization every 5 minutes
 * (basic monitoring) or every minute (detailed). Instances of an Auto Scaling group also publish
 * under the AutoScalingGroupName dimension, where CloudWatch aggregates them across the group.
 * CPU comes from the compute driver; for the simulated driver it is the synthetic load.
 */
import type { Scope } from '../../core/store.ts';
import { cpuLoad } from '../../world/load.ts';
import { putMetric } from '../cloudwatch/metrics.provider.ts';
import type { Env } from '../service.ts';
import type { InstanceRecord, StatusCheckResult } from './state.ts';

const NS = 'AWS/EC2';
const BASIC_PERIOD_MS = 300_000;

const failed = (r: StatusCheckResult | undefined) => (r?.status === 'impaired' ? 1 : 0);

export function publishInstanceMetrics(env: Env, scope: Scope, inst: InstanceRecord, now: number, initialised: boolean): void {
  const dims = [{ Name: 'InstanceId', Value: inst.InstanceId }];
  const group = inst.Tags.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value;
  const put = (MetricName: string, Value: number, Unit: string, Timestamp = now) => {
    putMetric(env, scope, { Namespace: NS, MetricName, Dimensions: dims, Value, Unit, Timestamp });
    if (group) putMetric(env, scope, { Namespace: NS, MetricName, Dimensions: [{ Name: 'AutoScalingGroupName', Value: group }], Value, Unit, Timestamp });
  };
  const checks = inst.statusChecks;
  if (initialised && checks) {
    const system = failed(checks.system);
    const instance = failed(checks.instance);
    put('StatusCheckFailed_System', system, 'Count');
    put('StatusCheckFailed_Instance', instance, 'Count');
    put('StatusCheckFailed', system || instance ? 1 : 0, 'Count');
    put('StatusCheckFailed_AttachedEBS', failed(checks.ebs), 'Count');
  }
  // An instance whose host is down publishes no CPU: nothing is measured there.
  if (checks?.system.status === 'impaired') return;
  const detailed = inst.Monitoring.State === 'enabled';
  if (detailed) put('CPUUtilization', cpuLoad(env, inst.InstanceId), 'Percent');
  else {
    const slot = Math.floor(now / BASIC_PERIOD_MS) * BASIC_PERIOD_MS;
    if (inst.cpuPublishedFor !== slot) {
      put('CPUUtilization', cpuLoad(env, inst.InstanceId), 'Percent', slot);
      inst.cpuPublishedFor = slot;
    }
  }
}
