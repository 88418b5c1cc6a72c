/**
 * Which alarms watch which metric, so that a write to a metric wakes exactly those alarms. With
 * it, an alarm whose data is steady sleeps until the data changes instead of being evaluated
 * every minute (alarm.loop.ts), and ten thousand quiet alarms cost nothing.
 *
 * The index is derived from the alarm records: built on first use, and extended by
 * PutMetricAlarm. A stale entry (an alarm since deleted or moved to another metric) only causes
 * a harmless wake-up, so entries are never removed, which keeps it correct across rollbacks.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { alarmPeriod, ALARMS, watchedMetrics, type AlarmRecord } from './alarms.state.ts';
import { dimKey, type Dimension } from './metrics.store.ts';

export const ALARM_LOOP = 'cloudwatch.alarms';

export const alarmKey = (scope: Scope, name: string): string => `${scope.account}/${scope.region}/${name}`;

/** How often an alarm is evaluated: every minute, or every period for high-resolution alarms. */
export const evaluationStep = (period: number): number => (period >= 60 ? 60_000 : period * 1000);

const indexes = new WeakMap<DatabaseSync, Map<string, Map<string, number>>>();

const metricKey = (scope: Scope, namespace: string, name: string, dims: readonly Dimension[]) =>
  `${scope.account}\0${scope.region}\0${namespace}\0${name}\0${dimKey(dims)}`;

/** Alarm key to its evaluation step, per metric. */
function index(env: Env): Map<string, Map<string, number>> {
  let idx = indexes.get(env.store.sql);
  if (!idx) {
    indexes.set(env.store.sql, (idx = new Map()));
    for (const [scope, a] of env.store.scan<AlarmRecord>(ALARMS)) add(idx, scope, a);
  }
  return idx;
}

type Watching = Parameters<typeof watchedMetrics>[0] & { AlarmName: string; Period?: number };

function add(idx: Map<string, Map<string, number>>, scope: Scope, a: Watching) {
  const step = evaluationStep(alarmPeriod(a));
  for (const m of watchedMetrics(a)) {
    const k = metricKey(scope, m.namespace, m.name, m.dims);
    let set = idx.get(k);
    if (!set) idx.set(k, (set = new Map()));
    set.set(alarmKey(scope, a.AlarmName), step);
    // AWS/EC2 alarms without dimensions aggregate every instance: any instance's data wakes them.
    if (m.namespace === 'AWS/EC2' && m.dims.length === 0) {
      const any = `${scope.account}\0${scope.region}\0AWS/EC2\0${m.name}\0*`;
      let all = idx.get(any);
      if (!all) idx.set(any, (all = new Map()));
      all.set(alarmKey(scope, a.AlarmName), step);
    }
  }
}

/** Records that an alarm watches its metric (PutMetricAlarm). */
export function indexAlarm(env: Env, scope: Scope, a: Watching): void {
  add(index(env), scope, a);
}

/** The names of the alarms (possibly some since deleted) that watch exactly this metric. */
export function alarmsWatching(env: Env, scope: Scope, namespace: string, name: string, dims: readonly Dimension[]): string[] {
  const prefix = alarmKey(scope, '');
  return [...(index(env).get(metricKey(scope, namespace, name, dims))?.keys() ?? [])].map((k) => k.slice(prefix.length));
}

/** Queues, at their next evaluation time, the alarms that watch a metric that just got data. */
export function wakeAlarms(env: Env, scope: Scope, namespace: string, name: string, dims: readonly Dimension[]): void {
  const idx = index(env);
  const now = env.clock.now();
  const wake = (set: Map<string, number> | undefined) => {
    for (const [key, step] of set ?? []) env.scheduler.enqueue(ALARM_LOOP, key, Math.ceil(now / step) * step);
  };
  wake(idx.get(metricKey(scope, namespace, name, dims)));
  if (namespace === 'AWS/EC2' && dims.length === 1 && dims[0].Name === 'InstanceId') wake(idx.get(`${scope.account}\0${scope.region}\0AWS/EC2\0${name}\0*`));
}
