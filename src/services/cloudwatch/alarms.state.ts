/** The records of metric alarms: one document per alarm, keyed by name, in the alarm's account and region. */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { AlarmState, ComparisonOperator, TreatMissingData } from './evaluate.ts';
import type { Dimension } from './metrics.store.ts';
import type { QueryIn } from './math/queries.ts';
import type { MetricRef } from './metrics.query.ts';

export const ALARMS = 'cloudwatch.alarms';

export interface Tag {
  Key: string;
  Value: string;
}

/** The configuration PutMetricAlarm sets; an update replaces all of it. */
export interface AlarmConfig {
  AlarmName: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  /** Absent, with Namespace, Period and the statistic, on an alarm over metric math (`Metrics`). */
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions: Dimension[];
  Period?: number;
  /** The queries of a metric math alarm; the one with ReturnData true is the alarm's series. */
  Metrics?: QueryIn[];
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  TreatMissingData?: TreatMissingData;
  EvaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
}

/** What every alarm record has, metric or composite: its ARN, its state and its tags. */
export interface AlarmStateFields {
  AlarmArn: string;
  AlarmConfigurationUpdatedTimestamp: string;
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: string;
  StateTransitionedTimestamp: string;
  Tags: Tag[];
}

export interface AlarmRecord extends AlarmConfig, AlarmStateFields {}

export const alarmArn = (scope: Scope, name: string): string => `arn:aws:cloudwatch:${scope.region}:${scope.account}:alarm:${name}`;

/** What DescribeAlarms shows of a record: everything but the tags. */
export function alarmView(rec: Readonly<AlarmRecord>): Omit<AlarmRecord, 'Tags'> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { Tags, ...view } = rec;
  return view;
}

/** The actions for entering `state`. */
export function actionsFor(rec: { readonly AlarmActions: readonly string[]; readonly OKActions: readonly string[]; readonly InsufficientDataActions: readonly string[] }, state: AlarmState): readonly string[] {
  return state === 'ALARM' ? rec.AlarmActions : state === 'OK' ? rec.OKActions : rec.InsufficientDataActions;
}

/** The query whose series a metric math alarm watches (ReturnData true, or the only one). */
export const returnedQuery = (metrics: readonly DeepReadonly<QueryIn>[]): DeepReadonly<QueryIn> => metrics.find((q) => q.ReturnData !== false) ?? metrics[0];

/** The period of the series an alarm watches, in seconds. */
export function alarmPeriod(a: { Period?: number; Metrics?: readonly DeepReadonly<QueryIn>[] }): number {
  if (a.Period !== undefined) return a.Period;
  const q = returnedQuery(a.Metrics!);
  return q.Period ?? q.MetricStat?.Period ?? Math.max(60, ...a.Metrics!.map((m) => m.MetricStat?.Period ?? 0));
}

/** The stored metrics an alarm reads: its metric, or the MetricStat queries of its math. */
export function watchedMetrics(a: { Namespace?: string; MetricName?: string; Dimensions: readonly Dimension[]; Metrics?: readonly DeepReadonly<QueryIn>[] }): MetricRef[] {
  if (!a.Metrics) return [{ namespace: a.Namespace!, name: a.MetricName!, dims: a.Dimensions }];
  return a.Metrics.filter((q) => q.MetricStat).map((q) => ({ namespace: q.MetricStat!.Metric.Namespace!, name: q.MetricStat!.Metric.MetricName!, dims: q.MetricStat!.Metric.Dimensions ?? [] }));
}

/** Whether an alarm's math searches the metrics, so that no single metric's data can wake it. */
export const searches = (a: { Metrics?: readonly DeepReadonly<QueryIn>[] }): boolean => !!a.Metrics?.some((q) => q.Expression?.includes('SEARCH'));

/** Writes a new state into an alarm record (metric or composite) at `now`. */
export function setState(
  rec: AlarmStateFields,
  state: AlarmState,
  reason: string,
  reasonData: string | undefined,
  now: number,
): void {
  rec.StateValue = state;
  rec.StateReason = reason;
  if (reasonData === undefined) delete rec.StateReasonData;
  else rec.StateReasonData = reasonData;
  rec.StateUpdatedTimestamp = new Date(now).toISOString();
  rec.StateTransitionedTimestamp = rec.StateUpdatedTimestamp;
}
