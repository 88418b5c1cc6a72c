/**
 * The alarm loop: one timer per alarm. Alarms with Period ≥ 60 s are evaluated at every minute
 * boundary over the periods ending at that minute; alarms with a 10, 20 or 30 s period at every
 * multiple of their period. Each run reads the evaluation range (N + extra periods) from the
 * metric store, evaluates it (evaluate.ts), and on a change of state writes the state, the reason,
 * a StateUpdate history item and an event, and runs the new state's actions once. Auto Scaling
 * policy actions run again at each evaluation while the alarm stays in ALARM.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { actionsFor, alarmPeriod, ALARMS, returnedQuery, searches, setState, watchedMetrics, type AlarmRecord } from './alarms.state.ts';
import { checkQueries, runQueries, type QueryIn } from './math/queries.ts';
import { isScalingPolicyArn, runAlarmActions } from './actions.ts';
import { alarmChanged } from './composite.ts';
import { evaluate, type AlarmState, type Slot } from './evaluate.ts';
import { addHistory } from './history.ts';
import { aggregate, metricIdsFor } from './metrics.query.ts';
import { steadySince } from './metrics.store.ts';
import { ALARM_LOOP, alarmKey, evaluationStep } from './alarm-index.ts';
import { stateReason, stateReasonData } from './reason.ts';
import { isPercentile, percentileSignificant, statistic } from './statistics.ts';
import { stopExperimentsOnAlarm } from '../fis/stop-conditions.ts';

export { ALARM_LOOP, alarmKey, evaluationStep } from './alarm-index.ts';

export function parseAlarmKey(key: string): { scope: Scope; name: string } {
  const a = key.indexOf('/');
  const b = key.indexOf('/', a + 1);
  return { scope: { account: key.slice(0, a), region: key.slice(a + 1, b) }, name: key.slice(b + 1) };
}


/** Queues an alarm for evaluation now (new or updated alarms). */
export function queueAlarm(env: Env, scope: Scope, name: string): void {
  env.scheduler.enqueue(ALARM_LOOP, alarmKey(scope, name), env.clock.now());
}

/** The evaluation range of an alarm ending at `end` (a step boundary), oldest first. */
export function evaluationRange(env: Env, scope: Scope, alarm: DeepReadonly<AlarmRecord>, end: number): Slot[] {
  const periodMs = alarmPeriod(alarm) * 1000;
  const count = alarm.EvaluationPeriods + env.config.alarmEvaluationExtraPeriods;
  const start = end - count * periodMs;
  if (alarm.Metrics) return mathRange(env, scope, alarm.Metrics, start, periodMs, count);
  const stat = (alarm.Statistic ?? alarm.ExtendedStatistic)!;
  const points = aggregate(env, scope, { namespace: alarm.Namespace!, name: alarm.MetricName!, dims: alarm.Dimensions }, {
    start,
    end,
    periodMs,
    unit: alarm.Unit,
    mergeUnits: true,
  });
  const byTs = new Map(points.map((p) => [p.ts, p.agg]));
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const ts = start + i * periodMs;
    const agg = byTs.get(ts);
    const value = agg ? statistic(agg, stat) : undefined;
    slots.push(
      value === undefined
        ? { ts }
        : { ts, value, sampleCount: agg!.n, ...(isPercentile(stat) && !percentileSignificant(stat, agg!.n) ? { lowSample: true } : {}) },
    );
  }
  return slots;
}

/**
 * The evaluation range of a metric math alarm: the returned query's series over the range. A
 * result that is not one series (a SEARCH that finds several metrics) is missing data.
 */
function mathRange(env: Env, scope: Scope, metrics: DeepReadonly<QueryIn[]>, start: number, periodMs: number, count: number): Slot[] {
  const queries = metrics as QueryIn[];
  const run = runQueries(env, scope, queries, checkQueries(queries, 'Metrics'), start, start + count * periodMs);
  const value = run(returnedQuery(queries).Id).value;
  const points = value.t === 'series' ? value.s.points : new Map<number, number>();
  return Array.from({ length: count }, (_, i) => {
    const ts = start + i * periodMs;
    const v = points.get(ts);
    return v === undefined ? { ts } : { ts, value: v };
  });
}

/**
 * Moves an alarm to `state`: record, StateUpdate history, event, and (when ActionsEnabled) the
 * actions of the new state. Used by evaluations and by SetAlarmState. Does nothing if the state
 * is unchanged.
 */
export function changeAlarmState(
  env: Env,
  scope: Scope,
  name: string,
  state: AlarmState,
  reason: string,
  reasonData: string | undefined,
  log?: (m: string) => void,
): boolean {
  const rec = env.store.mutable<AlarmRecord>(ALARMS, scope, name);
  if (!rec || rec.StateValue === state) return false;
  const now = env.clock.now();
  const old = { stateValue: rec.StateValue, stateReason: rec.StateReason, ...(rec.StateReasonData ? { stateReasonData: JSON.parse(rec.StateReasonData) } : {}) };
  setState(rec, state, reason, reasonData, now);
  env.store.put(ALARMS, scope, name, rec);
  addHistory(env, scope, {
    AlarmName: name,
    HistoryItemType: 'StateUpdate',
    HistorySummary: `Alarm updated from ${old.stateValue} to ${state}`,
    HistoryData: {
      version: '1.0',
      oldState: old,
      newState: { stateValue: state, stateReason: reason, ...(reasonData ? { stateReasonData: safeJson(reasonData) } : {}) },
    },
    at: now,
  });
  env.events.emit('cloudwatch.alarm.state', { account: scope.account, region: scope.region, alarmName: name, oldState: old.stateValue, newState: state, reason });
  // FIS stops the experiments that name this alarm as a stop condition when it goes to ALARM.
  stopExperimentsOnAlarm(env, scope, rec.AlarmArn, state);
  if (rec.ActionsEnabled) {
    runAlarmActions(env, scope, rec, actionsFor(rec, state), { oldState: old.stateValue, newState: state, reason, reasonData, time: now }, log);
  }
  alarmChanged(env, scope, name, state);
  return true;
}

const safeJson = (s: string): unknown => {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

/** Evaluates one alarm at the clock's time. Returns the state it is in afterwards. */
export function evaluateAlarm(env: Env, scope: Scope, name: string, log?: (m: string) => void): AlarmState | undefined {
  const alarm = env.store.get<AlarmRecord>(ALARMS, scope, name) as Readonly<AlarmRecord> | undefined;
  if (!alarm) return undefined;
  const now = env.clock.now();
  const step = evaluationStep(alarmPeriod(alarm));
  const end = Math.floor(now / step) * step;
  const range = evaluationRange(env, scope, alarm, end);
  const result = evaluate(range, {
    comparison: alarm.ComparisonOperator,
    threshold: alarm.Threshold,
    evaluationPeriods: alarm.EvaluationPeriods,
    datapointsToAlarm: alarm.DatapointsToAlarm,
    treatMissingData: alarm.TreatMissingData,
    evaluateLowSampleCountPercentile: alarm.EvaluateLowSampleCountPercentile,
  });
  if (result.state === 'keep') return alarm.StateValue;
  if (result.state !== alarm.StateValue) {
    const reason = stateReason(alarm, result, alarm.StateValue, result.state);
    const data = stateReasonData(alarm, range, result, now);
    changeAlarmState(env, scope, name, result.state, reason, data, log);
  } else if (result.state === 'ALARM' && alarm.ActionsEnabled) {
    const policies = alarm.AlarmActions.filter(isScalingPolicyArn);
    if (policies.length) {
      const rec = env.store.get<AlarmRecord>(ALARMS, scope, name)!;
      runAlarmActions(env, scope, rec, policies, { oldState: 'ALARM', newState: 'ALARM', reason: alarm.StateReason, reasonData: alarm.StateReasonData, time: now, repeat: true }, log);
    }
  }
  return result.state;
}

/**
 * Whether evaluating the alarm again would give the same result until its metric gets new data:
 * its whole evaluation range is steady (no datapoints, any steady series covering it), and it is
 * not an ALARM that re-invokes scaling policies every minute.
 */
function quiet(env: Env, scope: Scope, alarm: DeepReadonly<AlarmRecord>, state: AlarmState | undefined, now: number, step: number): boolean {
  if (state === 'ALARM' && alarm.ActionsEnabled && alarm.AlarmActions.some(isScalingPolicyArn)) return false;
  if (searches(alarm)) return false;
  const rangeStart = Math.floor(now / step) * step - (alarm.EvaluationPeriods + env.config.alarmEvaluationExtraPeriods) * alarmPeriod(alarm) * 1000;
  return steadySince(env, watchedMetrics(alarm).flatMap((m) => metricIdsFor(env, scope, m)), rangeStart);
}

export function alarmLoop(env: Env, log?: (m: string) => void) {
  return (key: string): number | void => {
    const { scope, name } = parseAlarmKey(key);
    const alarm = env.store.get<AlarmRecord>(ALARMS, scope, name);
    if (!alarm) return; // deleted: the timer ends with it
    const state = evaluateAlarm(env, scope, name, log);
    const step = evaluationStep(alarmPeriod(alarm));
    const now = env.clock.now();
    if (quiet(env, scope, alarm, state, now, step)) return; // a write to its metric wakes it
    return step - (now % step);
  };
}
