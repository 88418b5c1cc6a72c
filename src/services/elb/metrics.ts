/**
 * The CloudWatch metrics load balancers publish (spec elb.md §4), once a minute on the clock, one
 * loop per load balancer (`METRICS_LOOP`, keyed `scopedKey(scope, lbKey)`), through the same path
 * as PutMetricData:
 *  - host counts: `HealthyHostCount` and `UnHealthyHostCount`, Classic's on `LoadBalancerName`,
 *    ELBv2's on `TargetGroup`+`LoadBalancer`, each also per `AvailabilityZone`. As on AWS, each
 *    node sends its own sample: the per-zone metric counts the zone's targets, and the load
 *    balancer's metric has one sample per node of what that node may send to (all enabled zones'
 *    targets with cross-zone on, its own zone's with it off), so Minimum is the worst zone.
 *    Classic publishes them while instances are registered, ELBv2 for every group it forwards to.
 *  - traffic: per-minute differences of the data plane's cumulative counters (`lbTraffic`, the
 *    sandbox driver's; the simulated driver carries no traffic and so publishes none), only while
 *    traffic flows, except the counts AWS publishes "always" (ALB `RequestCount`, NLB
 *    `NewFlowCount` and `ProcessedBytes`). One sample per load balancer: the counters are not per node.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { putMetric } from '../cloudwatch/metrics.provider.ts';
import type { Dimension } from '../cloudwatch/metrics.store.ts';
import { COLL as EC2_COLL, type InstanceRecord } from '../ec2/state.ts';
import type { Env } from '../service.ts';
import { loadBalancerFullName, targetGroupFullName } from './arns.ts';
import {
  crossZone,
  groupsOfLoadBalancer,
  loadBalancer,
  parseScopedKey,
  scopedKey,
  targetGroup,
  targetsOf,
  type LoadBalancerRecord,
  type TrafficCounters,
} from './state.ts';

type Read<T> = DeepReadonly<T>;

export const METRICS_LOOP = 'elb.metrics';
const MINUTE = 60_000;
/** The counters each load balancer's last run saw, to publish differences (a document per load balancer). */
const LAST_TRAFFIC = 'elb.lastTraffic';

/**
 * Arms a load balancer's metrics at the next minute (a no-op when they are armed already). Always
 * after now: on a minute's boundary, that minute's run may have published already.
 */
export function queueMetrics(env: Env, scope: Scope, lbKey: string): void {
  env.scheduler.enqueue(METRICS_LOOP, scopedKey(scope, lbKey), Math.floor(env.clock.now() / MINUTE) * MINUTE + MINUTE);
}

/** One run: publishes the minute's metrics, and runs again next minute while the load balancer exists. */
export const metricsLoop = (env: Env) => (key: string): number | void => {
  const { scope, key: lbKey } = parseScopedKey(key);
  const lb = loadBalancer(env.store, scope, lbKey);
  if (!lb) return void env.store.delete(LAST_TRAFFIC, scope, lbKey);
  const now = env.clock.now();
  publishHostCounts(env, scope, lb, now);
  publishTraffic(env, scope, lb, now);
  return MINUTE - (now % MINUTE);
};

const namespaceOf = (lb: Read<LoadBalancerRecord>) => (lb.kind === 'classic' ? 'AWS/ELB' : lb.kind === 'application' ? 'AWS/ApplicationELB' : 'AWS/NetworkELB');
/** Classic's `LoadBalancerName`, or ELBv2's `LoadBalancer` (`app/NAME/ID`, `net/NAME/ID`, from the ARN). */
const lbDimension = (lb: Read<LoadBalancerRecord>): Dimension =>
  lb.kind === 'classic' ? { Name: 'LoadBalancerName', Value: lb.name } : { Name: 'LoadBalancer', Value: loadBalancerFullName(lb.arn!) };

function publishHostCounts(env: Env, scope: Scope, lb: Read<LoadBalancerRecord>, now: number): void {
  for (const groupKey of groupsOfLoadBalancer(env.store, scope, lb.key)) {
    const group = targetGroup(env.store, scope, groupKey);
    if (!group) continue;
    const targets = targetsOf(env.store, scope, groupKey);
    if (lb.kind === 'classic' && !targets.length) continue;
    const byZone = new Map(lb.nodes.map((n) => [n.zone, { healthy: 0, unhealthy: 0 }]));
    for (const t of targets) {
      const counts = byZone.get(t.zone ?? env.store.get<InstanceRecord>(EC2_COLL.instances, scope, t.id)?.Placement.AvailabilityZone ?? '');
      if (counts && (t.state === 'healthy' || t.state === 'unhealthy')) counts[t.state]++;
    }
    // ELBv2's group dimension: `targetgroup/NAME/ID`, the end of its ARN.
    const dims = lb.kind === 'classic' ? [lbDimension(lb)] : [{ Name: 'TargetGroup', Value: targetGroupFullName(group.arn!) }, lbDimension(lb)];
    const everywhere = crossZone(lb, group);
    for (const [name, state] of [['HealthyHostCount', 'healthy'], ['UnHealthyHostCount', 'unhealthy']] as const) {
      const total = [...byZone.values()].reduce((sum, c) => sum + c[state], 0);
      const put = (d: Dimension[], value: number) => putMetric(env, scope, { Namespace: namespaceOf(lb), MetricName: name, Dimensions: d, Value: value, Unit: 'Count', Timestamp: now });
      for (const [zone, counts] of byZone) {
        put([...dims, { Name: 'AvailabilityZone', Value: zone }], counts[state]);
        // This zone's node's sample of the load balancer's metric: what it may send to.
        put(dims, everywhere ? total : counts[state]);
      }
    }
  }
}

function publishTraffic(env: Env, scope: Scope, lb: Read<LoadBalancerRecord>, now: number): void {
  const current = env.runtime?.lbTraffic?.(scope, lb.key);
  if (!current) return;
  const last = env.store.get<TrafficCounters>(LAST_TRAFFIC, scope, lb.key);
  env.store.put(LAST_TRAFFIC, scope, lb.key, current);
  // Counters start again from zero when faultline restarts: then the minute's traffic is all of them.
  const d = last && current.requests >= last.requests ? difference(current, last) : current;
  const ts = now - MINUTE;
  const put = (name: string, value: number, unit = 'Count') => putMetric(env, scope, { Namespace: namespaceOf(lb), MetricName: name, Dimensions: [lbDimension(lb)], Value: value, Unit: unit, Timestamp: ts });
  const some = (name: string, value: number, unit?: string) => value > 0 && put(name, value, unit);
  const targetAnswers = Object.values(d.targetCodes).reduce((s, n) => s + n, 0);
  // Response time is over the requests a target served: for TCP, the connections it accepted.
  const served = targetAnswers || d.requests - d.targetConnectionErrors;
  const elbClass = (c: string) => Object.entries(d.elbCodes).reduce((s, [code, n]) => s + (code[0] === c ? n : 0), 0);
  if (lb.kind === 'network') {
    put('NewFlowCount', d.requests);
    put('ProcessedBytes', d.processedBytes, 'Bytes');
    some('UnHealthyRoutingFlowCount', d.unhealthyRouting);
    return;
  }
  if (lb.kind === 'classic') {
    some('RequestCount', d.requests);
    if (served > 0) put('Latency', d.targetMsSum / served / 1000, 'Seconds');
    for (const c of ['2', '3', '4', '5']) some(`HTTPCode_Backend_${c}XX`, d.targetCodes[`${c}XX`] ?? 0);
    for (const c of ['4', '5']) some(`HTTPCode_ELB_${c}XX`, elbClass(c));
    some('BackendConnectionErrors', d.targetConnectionErrors);
    return;
  }
  put('RequestCount', d.requests);
  if (served > 0) put('TargetResponseTime', d.targetMsSum / served / 1000, 'Seconds');
  for (const c of ['2', '3', '4', '5']) some(`HTTPCode_Target_${c}XX_Count`, d.targetCodes[`${c}XX`] ?? 0);
  for (const c of ['3', '4', '5']) some(`HTTPCode_ELB_${c}XX_Count`, elbClass(c));
  for (const code of ['502', '503', '504']) some(`HTTPCode_ELB_${code}_Count`, d.elbCodes[code] ?? 0);
  some('TargetConnectionErrorCount', d.targetConnectionErrors);
  some('HTTP_Fixed_Response_Count', d.fixedResponses);
  some('HTTP_Redirect_Count', d.redirects);
  some('UnHealthyRoutingRequestCount', d.unhealthyRouting);
  some('ProcessedBytes', d.processedBytes, 'Bytes');
}

function difference(now: TrafficCounters, before: Read<TrafficCounters>): TrafficCounters {
  const codes = (a: Record<string, number>, b: Read<Record<string, number>>) => Object.fromEntries(Object.entries(a).map(([k, n]) => [k, n - (b[k] ?? 0)]));
  return {
    requests: now.requests - before.requests,
    targetMsSum: now.targetMsSum - before.targetMsSum,
    elbCodes: codes(now.elbCodes, before.elbCodes),
    targetCodes: codes(now.targetCodes, before.targetCodes),
    targetConnectionErrors: now.targetConnectionErrors - before.targetConnectionErrors,
    processedBytes: now.processedBytes - before.processedBytes,
    fixedResponses: now.fixedResponses - before.fixedResponses,
    redirects: now.redirects - before.redirects,
    // Absent from counts saved before faultline counted it.
    unhealthyRouting: now.unhealthyRouting - (before.unhealthyRouting ?? 0),
  };
}
