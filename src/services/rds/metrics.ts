/**
 * The AWS/RDS metrics alarms commonly use (spec rds.md §9), once a minute on the clock per
 * instance (`METRICS_LOOP`), dimension `DBInstanceIdentifier`, through the same path as
 * PutMetricData. The values are simulated and steady (a lightly loaded database; no engine's
 * connections are counted yet, so `DatabaseConnections` is 0). Nothing is published while the
 * engine is down for an outage or stopped; across a failover or reboot only `DatabaseConnections`.
 */
import type { Scope } from '../../core/store.ts';
import { putMetric } from '../cloudwatch/metrics.provider.ts';
import type { Env } from '../service.ts';
import { COLL, METRICS_LOOP, parseScopedKey, scopedKey, type DBInstanceRecord } from './state.ts';

const MINUTE = 60_000;
const GIB = 1024 ** 3;
/** Statuses in which the engine serves and reports. */
const SERVING = new Set(['available', 'backing-up', 'modifying']);

/** Arms an instance's metrics at the next minute (a no-op when armed). */
export function queueMetrics(env: Env, scope: Scope, id: string): void {
  env.scheduler.enqueue(METRICS_LOOP, scopedKey(scope, id), Math.floor(env.clock.now() / MINUTE) * MINUTE + MINUTE);
}

export const metricsLoop = (env: Env) => (key: string): number | void => {
  const { scope, id } = parseScopedKey(key);
  const i = env.store.get<DBInstanceRecord>(COLL.instances, scope, id);
  if (!i || i.DBInstanceStatus === 'deleting') return;
  const now = env.clock.now();
  const put = (MetricName: string, Value: number, Unit: string) =>
    putMetric(env, scope, { Namespace: 'AWS/RDS', MetricName, Dimensions: [{ Name: 'DBInstanceIdentifier', Value: id }], Value, Unit, Timestamp: now });
  if (i.DBInstanceStatus === 'rebooting') put('DatabaseConnections', 0, 'Count');
  else if (i.engine.running && SERVING.has(i.DBInstanceStatus)) {
    put('CPUUtilization', 2, 'Percent');
    put('DatabaseConnections', 0, 'Count');
    // What the engine itself takes of the storage: a small fixed amount for a new database.
    put('FreeStorageSpace', i.AllocatedStorage * GIB - 0.5 * GIB, 'Bytes');
    put('ReadLatency', 0.001, 'Seconds');
    put('WriteLatency', 0.002, 'Seconds');
  }
  return MINUTE - (now % MINUTE);
};
