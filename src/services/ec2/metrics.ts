/**
 * The metrics EC2 publishes to CloudWatch for each running instance, as AWS does: the status-check
 * metrics every minute once the checks have initialised, and CPUUtilization every 5 minutes
 * (basic monitoring) or every minute (detailed). CPU comes from the compute driver; for the
 * simulated driver it is the synthetic load.
 *
 * Per-instance values are published as steady series (CloudWatch's setSeries): one sample per
 * period, written only when the value changes, which is what lets ten thousand instances run for
 * simulated days. Instances of an Auto Scaling group also publish CPU under the
 * AutoScalingGroupName dimension as ordinary datapoints, which CloudWatch aggregates across the
 * group.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { cpuLoad } from '../../world/load.ts';
import { putMetric } from '../cloudwatch/metrics.provider.ts';
import { setSeries } from '../cloudwatch/metrics.store.ts';
import type { Env } from '../service.ts';
import type { InstanceRecord, StatusCheckResult } from './state.ts';

const NS = 'AWS/EC2';
const STATUS_METRICS = ['StatusCheckFailed_System', 'StatusCheckFailed_Instance', 'StatusCheckFailed', 'StatusCheckFailed_AttachedEBS'] as const;

const failed = (r: StatusCheckResult | undefined) => (r?.status === 'impaired' ? 1 : 0);

/**
 * What each instance last published, so that a minute with nothing new costs no lookup at all.
 * A cache only: a miss republishes, which setSeries makes idempotent. The status loop forgets it
 * whenever a run fails, since that run's writes are rolled back.
 */
const published = new WeakMap<object, Map<string, string>>();
export const forgetPublished = (env: Env) => published.delete(env.store);

/**
 * Publishes (or, with `running` false, stops publishing) an instance's metrics at `now`.
 * `initialised` is false while the status checks initialise, when no status metric is published.
 */
export function publishInstanceMetrics(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>, now: number, running: boolean, initialised: boolean): void {
  const dims = [{ Name: 'InstanceId', Value: inst.InstanceId }];
  const series = (name: string, value: number | undefined, unit: string, period = 60) =>
    setSeries(env, scope, { namespace: NS, name, dims, unit, period, ts: now, value });
  const checks = inst.statusChecks;
  const values: Record<(typeof STATUS_METRICS)[number], number> | undefined =
    running && initialised && checks
      ? {
          StatusCheckFailed_System: failed(checks.system),
          StatusCheckFailed_Instance: failed(checks.instance),
          StatusCheckFailed: failed(checks.system) || failed(checks.instance) ? 1 : 0,
          StatusCheckFailed_AttachedEBS: failed(checks.ebs),
        }
      : undefined;
  // An instance whose host is down publishes no CPU: nothing is measured there.
  const measured = running && checks?.system.status !== 'impaired';
  const period = inst.Monitoring.State === 'enabled' ? 60 : 300;
  const cpu = measured ? cpuLoad(env, inst.InstanceId) : undefined;
  const signature = `${STATUS_METRICS.map((m) => values?.[m]).join()}|${cpu}|${period}|${scope.account}`;
  let mine = published.get(env.store);
  if (!mine) published.set(env.store, (mine = new Map()));
  if (mine.get(inst.InstanceId) !== signature) {
    for (const m of STATUS_METRICS) series(m, values?.[m], 'Count');
    series('CPUUtilization', cpu, 'Percent', period);
    mine.set(inst.InstanceId, signature);
  }
  const group = inst.Tags.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value;
  if (group && cpu !== undefined && now % (period * 1000) < 60_000) {
    putMetric(env, scope, { Namespace: NS, MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: group }], Value: cpu, Unit: 'Percent', Timestamp: Math.floor(now / (period * 1000)) * period * 1000 });
  }
}
