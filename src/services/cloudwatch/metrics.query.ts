/**
 * Reading metric data back: which stored metrics a query names, and their buckets aggregated into
 * periods. GetMetricStatistics, GetMetricData and the alarm loop all read through here.
 */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { listMetricRows, metricId, readRows, type Dimension } from './metrics.store.ts';
import { addTo, bucketOf, emptyAgg, type Agg } from './statistics.ts';

export interface MetricRef {
  namespace: string;
  name: string;
  dims: readonly Dimension[];
}

export interface PeriodPoint {
  /** Start of the period, cloud ms. */
  ts: number;
  /** The unit of the data, or '*' when units were merged. */
  unit: string;
  agg: Agg;
}

/**
 * The stored metrics a query reads. A metric is its exact dimension set, except that, as AWS/EC2
 * does, a query on an AWS/EC2 metric with no dimensions aggregates over every instance.
 */
export function metricIdsFor(env: Env, scope: Scope, m: MetricRef): number[] {
  const ids: number[] = [];
  const exact = metricId(env, scope, m.namespace, m.name, m.dims);
  if (exact !== undefined) ids.push(exact);
  if (m.namespace === 'AWS/EC2' && m.dims.length === 0) {
    for (const row of listMetricRows(env, scope, 0, m.namespace, m.name)) {
      if (row.dims.length === 1 && row.dims[0].Name === 'InstanceId') ids.push(row.id);
    }
  }
  return ids;
}

/**
 * The data of `m` in [start, end) aggregated into periods of `periodMs` aligned to `start`, in
 * time order. With `unit` only that unit is read; otherwise each unit is its own series, unless
 * `mergeUnits` (alarms) folds them together.
 */
export function aggregate(
  env: Env,
  scope: Scope,
  m: MetricRef,
  q: { start: number; end: number; periodMs: number; unit?: string; mergeUnits?: boolean },
): PeriodPoint[] {
  const points = new Map<string, PeriodPoint>();
  for (const id of metricIdsFor(env, scope, m)) {
    for (const row of readRows(env, id, q.start, q.end)) {
      if (q.unit !== undefined && row.unit !== q.unit) continue;
      const ts = bucketOf(row.ts, q.start, q.periodMs);
      const unit = q.mergeUnits ? '*' : row.unit;
      const key = `${ts}|${unit}`;
      let p = points.get(key);
      if (!p) points.set(key, (p = { ts, unit, agg: emptyAgg() }));
      addTo(p.agg, row);
    }
  }
  return [...points.values()].sort((a, b) => a.ts - b.ts || (a.unit < b.unit ? -1 : 1));
}
