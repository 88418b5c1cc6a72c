/**
 * The health check loop (`HEALTH_CHECK_LOOP`, one timer per check, keyed `account/id`), on the
 * clock (spec route53.md §4, DG/dns-failover-determining-health-of-endpoints.html):
 *  - an endpoint check is checked every `RequestInterval` by each of its checkers (two per region,
 *    health-check.config.ts), the first one interval after creation. Each checker keeps its own
 *    view, which flips after `FailureThreshold` results in a row that disagree with it. The
 *    check is healthy when more than 18% of the checkers' views are. A checker sees the world
 *    (health-check.probe.ts); under the sandbox driver, when the world lets the request through,
 *    it sees the driver's latest real request instead (`runtime.route53Health`); until the driver
 *    has made one, nothing is counted and the loop looks again in a second;
 *  - a CALCULATED check counts its children's statuses, whenever one of them changes: healthy
 *    when at least `HealthThreshold` are (a disabled child is healthy; a deleted one is not);
 *  - a CLOUDWATCH_METRIC check evaluates its alarm's own settings over the alarm's latest metric
 *    data, at each of the alarm's evaluation steps, never the alarm's state: OK is healthy, ALARM
 *    unhealthy, and too little data gives `InsufficientDataHealthStatus` (the last status by default);
 *  - `Disabled`: no checks, healthy; `Inverted` swaps the result; a new check starts healthy.
 * Each change of status goes into the event log (`route53.health-check`, with from and to), where
 * drills find the detection time; the metrics are AWS/Route53's in us-east-1 (publishMetrics).
 */
import type { Reconciler } from '../../core/scheduler.ts';
import type { DeepReadonly } from '../../core/store.ts';
import { alarmPeriod, ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import { evaluationRange } from '../cloudwatch/alarm.loop.ts';
import { evaluationStep } from '../cloudwatch/alarm-index.ts';
import { evaluate } from '../cloudwatch/evaluate.ts';
import { putMetric } from '../cloudwatch/metrics.provider.ts';
import { setSeries } from '../cloudwatch/metrics.store.ts';
import type { Env } from '../service.ts';
import { checkersOf, isEndpointType } from './health-check.config.ts';
import { endpointOf, withResolvedIp, worldProbe, type ProbeResult } from './health-check.probe.ts';
import { accountScope, COLL, HEALTH_CHECK_LOOP, healthCheck, type CheckerObservation, type HealthCheckRecord } from './state.ts';

type Read<T> = DeepReadonly<T>;

/** How soon to look again when the driver has not made a real request yet. */
const NO_CHECK_YET_MS = 1000;
/** Share of checkers that must find an endpoint healthy: more than 18%. */
const HEALTHY_SHARE = 0.18;
const METRICS_SCOPE_REGION = 'us-east-1';

export const healthCheckLoops = (env: Env): Record<string, Reconciler> => ({ [HEALTH_CHECK_LOOP]: (key) => step(env, key) });

const healthCheckKey = (account: string, id: string): string => `${account}/${id}`;

/** Arms a check's timer: an endpoint check's first check is one interval away; the others are computed now. */
export function scheduleHealthCheck(env: Env, account: string, rec: Read<HealthCheckRecord>): void {
  env.scheduler.enqueue(HEALTH_CHECK_LOOP, healthCheckKey(account, rec.Id), rec.nextCheckAt ?? env.clock.now());
}

function step(env: Env, key: string): number | void {
  const slash = key.indexOf('/');
  const account = key.slice(0, slash);
  const rec = healthCheck(env.store, account, key.slice(slash + 1));
  if (!rec) return;
  const type = rec.HealthCheckConfig.Type;
  if (isEndpointType(type)) return endpointStep(env, account, rec);
  if (type === 'CALCULATED') return void save(env, account, rec, { ...copy(rec), measured: childrenHealthy(env, account, rec) >= Number(rec.HealthCheckConfig.HealthThreshold ?? 0) });
  if (type === 'CLOUDWATCH_METRIC') return metricStep(env, account, rec);
}

const copy = (rec: Read<HealthCheckRecord>): HealthCheckRecord => structuredClone(rec) as HealthCheckRecord;

function endpointStep(env: Env, account: string, rec: Read<HealthCheckRecord>): number {
  const now = env.clock.now();
  const c = rec.HealthCheckConfig;
  const interval = Number(c.RequestInterval) * 1000;
  // Woken early (by an update): the check is not due.
  if (rec.nextCheckAt !== undefined && now < rec.nextCheckAt) return rec.nextCheckAt - now;
  const next = copy(rec);
  next.nextCheckAt = now + interval;
  if (c.Disabled) return (save(env, account, rec, next), interval);
  const ep = endpointOf(env, c);
  const runtime = env.runtime;
  const checkers = checkersOf(c);
  const results: (ProbeResult | undefined)[] = checkers.map((ch) => {
    const seen = worldProbe(env, c, ep, ch);
    return !seen.ok || !runtime?.route53Health ? seen : runtime.route53Health(account, rec.Id);
  });
  if (results.some((r) => r === undefined)) return NO_CHECK_YET_MS;
  const threshold = Number(c.FailureThreshold);
  const at = new Date(now).toISOString();
  const before = new Map(rec.observations.map((o, i) => [o.IPAddress, rec.checkers[i]]));
  const failures = new Map(rec.lastFailures.map((o) => [o.IPAddress, o]));
  next.observations = [];
  next.checkers = [];
  checkers.forEach((ch, i) => {
    const r = withResolvedIp(results[i]!, ep);
    const obs: CheckerObservation = { Region: ch.Region, IPAddress: ch.IPAddress, ok: r.ok, Status: r.status, CheckedTime: at };
    next.observations.push(obs);
    next.checkers.push(afterResult(before.get(ch.IPAddress) ?? { healthy: true, streak: 0 }, r.ok, threshold));
    if (!r.ok) failures.set(ch.IPAddress, obs);
  });
  next.lastFailures = checkers.flatMap((ch) => failures.get(ch.IPAddress) ?? []);
  next.measured = healthyShare(next) > HEALTHY_SHARE;
  save(env, account, rec, next);
  publishLatency(env, account, rec, results as ProbeResult[], checkers.map((ch) => ch.Region));
  return interval;
}

/** One checker's view after a result: `threshold` results in a row that disagree with it flip it. */
function afterResult(view: { healthy: boolean; streak: number }, ok: boolean, threshold: number): { healthy: boolean; streak: number } {
  if (ok === view.healthy) return { healthy: view.healthy, streak: 0 };
  return view.streak + 1 >= threshold ? { healthy: ok, streak: 0 } : { healthy: view.healthy, streak: view.streak + 1 };
}

const healthyShare = (rec: Read<HealthCheckRecord>): number => (rec.checkers.length ? rec.checkers.filter((v) => v.healthy).length / rec.checkers.length : 1);

function childrenHealthy(env: Env, account: string, rec: Read<HealthCheckRecord>): number {
  const children = (rec.HealthCheckConfig.ChildHealthChecks as readonly string[] | undefined) ?? [];
  return children.filter((id) => healthCheck(env.store, account, id)?.healthy === true).length;
}

function metricStep(env: Env, account: string, rec: Read<HealthCheckRecord>): number {
  const now = env.clock.now();
  const id = rec.HealthCheckConfig.AlarmIdentifier as { Region: string; Name: string };
  const scope = { account, region: id.Region };
  const alarm = env.store.get<AlarmRecord>(ALARMS, scope, id.Name) as Readonly<AlarmRecord> | undefined;
  const stepMs = alarm ? evaluationStep(alarmPeriod(alarm)) : 60_000;
  let state: string = 'INSUFFICIENT_DATA';
  if (alarm) {
    const range = evaluationRange(env, scope, alarm, Math.floor(now / stepMs) * stepMs);
    state = evaluate(range, {
      comparison: alarm.ComparisonOperator,
      threshold: alarm.Threshold,
      evaluationPeriods: alarm.EvaluationPeriods,
      treatMissingData: alarm.TreatMissingData,
    }).state;
  }
  const insufficient = rec.HealthCheckConfig.InsufficientDataHealthStatus;
  const measured = state === 'OK' ? true : state === 'ALARM' ? false : insufficient === 'Healthy' ? true : insufficient === 'Unhealthy' ? false : rec.measured;
  save(env, account, rec, { ...copy(rec), measured });
  return stepMs - (now % stepMs);
}

/** The status DNS reads: what the checks measured, unless disabled (healthy), then inverted if asked. */
function statusOf(rec: Pick<Read<HealthCheckRecord>, 'measured' | 'HealthCheckConfig'>): boolean {
  const healthy = rec.HealthCheckConfig.Disabled ? true : rec.measured;
  return rec.HealthCheckConfig.Inverted ? !healthy : healthy;
}

/**
 * Writes a check's new record with its status computed, and, when the status changes, logs the
 * change and wakes the calculated checks that count it. Publishes the check's metrics.
 */
export function save(env: Env, account: string, before: Read<HealthCheckRecord> | undefined, after: HealthCheckRecord): void {
  const now = env.clock.now();
  after.healthy = statusOf(after);
  if (before && before.healthy !== after.healthy) {
    after.statusSince = now;
    env.events.emit('route53.health-check', {
      account,
      healthCheckId: after.Id,
      type: after.HealthCheckConfig.Type,
      from: before.healthy ? 'healthy' : 'unhealthy',
      to: after.healthy ? 'healthy' : 'unhealthy',
    });
    wakeParents(env, account, after.Id);
  }
  env.store.put(COLL.healthChecks, accountScope(account), after.Id, after);
  publishMetrics(env, account, after);
}

/** Queues the calculated checks that count `id` (its status changed, or it is gone). */
export function wakeParents(env: Env, account: string, id: string): void {
  for (const parent of env.store.list<HealthCheckRecord>(COLL.healthChecks, accountScope(account))) {
    if ((parent.HealthCheckConfig.ChildHealthChecks as readonly string[] | undefined)?.includes(id)) env.scheduler.enqueue(HEALTH_CHECK_LOOP, healthCheckKey(account, parent.Id));
  }
}

/**
 * AWS/Route53's metrics, in us-east-1 only, one point a minute (steady series, written when they
 * change): HealthCheckStatus (1 or 0), HealthCheckPercentageHealthy (endpoint checks, not while
 * disabled) and ChildHealthCheckHealthyCount (calculated checks). A deleted check's stop.
 */
export function publishMetrics(env: Env, account: string, rec: Read<HealthCheckRecord>, deleted = false): void {
  const scope = { account, region: METRICS_SCOPE_REGION };
  const dims = [{ Name: 'HealthCheckId', Value: rec.Id }];
  const ts = env.clock.now();
  const series = (name: string, unit: string, value: number | undefined) => setSeries(env, scope, { namespace: 'AWS/Route53', name, dims, unit, period: 60, ts, value: deleted ? undefined : value });
  series('HealthCheckStatus', 'None', rec.healthy ? 1 : 0);
  const type = rec.HealthCheckConfig.Type;
  if (isEndpointType(type)) series('HealthCheckPercentageHealthy', 'Percent', rec.HealthCheckConfig.Disabled ? undefined : Math.round(healthyShare(rec) * 1000) / 10);
  if (type === 'CALCULATED') series('ChildHealthCheckHealthyCount', 'None', childrenHealthy(env, account, rec));
}

/** MeasureLatency: the real requests' connection time and time to first byte, per checker region (sandbox driver only). */
function publishLatency(env: Env, account: string, rec: Read<HealthCheckRecord>, results: readonly ProbeResult[], regions: readonly string[]): void {
  if (!rec.HealthCheckConfig.MeasureLatency) return;
  const scope = { account, region: METRICS_SCOPE_REGION };
  const seen = new Set<string>();
  results.forEach((r, i) => {
    if (seen.has(regions[i])) return;
    seen.add(regions[i]);
    const dims = [
      { Name: 'HealthCheckId', Value: rec.Id },
      { Name: 'Region', Value: regions[i] },
    ];
    if (r.connectMs !== undefined) putMetric(env, scope, { Namespace: 'AWS/Route53', MetricName: 'ConnectionTime', Dimensions: dims, Value: r.connectMs, Unit: 'Milliseconds' });
    if (r.firstByteMs !== undefined) putMetric(env, scope, { Namespace: 'AWS/Route53', MetricName: 'TimeToFirstByte', Dimensions: dims, Value: r.firstByteMs, Unit: 'Milliseconds' });
  });
}
