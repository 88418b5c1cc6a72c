/** The records of metric alarms: one document per alarm, keyed by name, in the alarm's account and region. */
import type { Scope } from '../../core/store.ts';
import type { AlarmState, ComparisonOperator, TreatMissingData } from './evaluate.ts';
import type { Dimension } from './metrics.store.ts';

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
  MetricName: string;
  Namespace: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions: Dimension[];
  Period: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  TreatMissingData?: TreatMissingData;
  EvaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
}

export interface AlarmRecord extends AlarmConfig {
  AlarmArn: string;
  AlarmConfigurationUpdatedTimestamp: string;
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: string;
  StateTransitionedTimestamp: string;
  Tags: Tag[];
}

export const alarmArn = (scope: Scope, name: string): string => `arn:aws:cloudwatch:${scope.region}:${scope.account}:alarm:${name}`;

/** What DescribeAlarms shows of a record: everything but the tags. */
export function alarmView(rec: Readonly<AlarmRecord>): Omit<AlarmRecord, 'Tags'> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { Tags, ...view } = rec;
  return view;
}

/** The actions for entering `state`. */
export function actionsFor(rec: Readonly<AlarmConfig>, state: AlarmState): readonly string[] {
  return state === 'ALARM' ? rec.AlarmActions : state === 'OK' ? rec.OKActions : rec.InsufficientDataActions;
}
