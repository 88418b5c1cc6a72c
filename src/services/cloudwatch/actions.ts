/**
 * Alarm actions: an explicit registry of executors, one per kind of action ARN, and the code that
 * runs the actions of a state change and records each outcome as an Action history item.
 *
 * Other services add their executor to `alarmActionExecutors` below (EC2's stop, terminate,
 * reboot and recover; Auto Scaling's policies). An executor runs inside the alarm loop's
 * transaction: it must validate before it writes, and report failure through its result rather
 * than by throwing (a throw is caught and recorded as a failure, but writes it made before
 * throwing stay).
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { publishToTopic } from '../sns/topics.provider.ts';
import { ec2AlarmAction } from '../ec2/alarm-actions.ts';
import { scalingPolicyAlarmAction } from '../autoscaling/policy-action.ts';
import { parseTopicArn } from '../sns/state.ts';
import { alarmPeriod, type AlarmConfig, type AlarmRecord } from './alarms.state.ts';
import type { CompositeRecord } from './composite.state.ts';
import type { AlarmState } from './evaluate.ts';
import { addHistory } from './history.ts';
import { awsTime } from './reason.ts';

/** A state change, as actions see it. */
export interface AlarmTransition {
  oldState: AlarmState;
  newState: AlarmState;
  reason: string;
  reasonData?: string;
  /** Cloud ms of the change. */
  time: number;
  /** True when an Auto Scaling policy is invoked again because the alarm stays in ALARM. */
  repeat?: boolean;
}

export interface ActionResult {
  ok: boolean;
  message: string;
  /** Extra fields for the Action history item's HistoryData. */
  data?: Record<string, unknown>;
}

export interface AlarmActionExecutor {
  /** For logs and events, e.g. `sns`, `ec2`, `autoscaling`. */
  name: string;
  matches(arn: string): boolean;
  /**
   * Optional check when PutMetricAlarm names this action; return a message to refuse the alarm
   * with ValidationError (e.g. an EC2 action on an instance that does not exist).
   */
  validate?(env: Env, scope: Scope, arn: string, alarm: Readonly<AlarmConfig>): string | undefined;
  run(env: Env, scope: Scope, arn: string, alarm: DeepReadonly<AlarmRecord>, transition: AlarmTransition): ActionResult;
}

/** Long region names, as alarm notifications write them. */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'sa-east-1': 'South America (Sao Paulo)',
};
export const regionName = (region: string): string => REGION_NAMES[region] ?? region;

/** The JSON message CloudWatch sends to SNS for an alarm's state change; a composite alarm's names its rule, not a trigger. */
export function alarmNotification(scope: Scope, alarm: DeepReadonly<AlarmRecord> | DeepReadonly<CompositeRecord>, t: AlarmTransition): Record<string, unknown> {
  const head = {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: scope.account,
    AlarmConfigurationUpdatedTimestamp: awsTime(Date.parse(alarm.AlarmConfigurationUpdatedTimestamp)),
    NewStateValue: t.newState,
    NewStateReason: t.reason,
    StateChangeTime: awsTime(t.time),
    Region: regionName(scope.region),
    AlarmArn: alarm.AlarmArn,
    OldStateValue: t.oldState,
    OKActions: alarm.OKActions,
    AlarmActions: alarm.AlarmActions,
    InsufficientDataActions: alarm.InsufficientDataActions,
  };
  if ('AlarmRule' in alarm) return { ...head, AlarmRule: alarm.AlarmRule };
  return {
    ...head,
    Trigger: {
      // A metric math alarm names its queries instead of one metric.
      ...(alarm.Metrics
        ? { Metrics: alarm.Metrics }
        : {
            MetricName: alarm.MetricName,
            Namespace: alarm.Namespace,
            StatisticType: alarm.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
            ...(alarm.ExtendedStatistic ? { ExtendedStatistic: alarm.ExtendedStatistic } : { Statistic: (alarm.Statistic ?? '').toUpperCase() }),
            Unit: alarm.Unit ?? null,
            Dimensions: alarm.Dimensions.map((d) => ({ value: d.Value, name: d.Name })),
          }),
      Period: alarmPeriod(alarm),
      EvaluationPeriods: alarm.EvaluationPeriods,
      DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
      ComparisonOperator: alarm.ComparisonOperator,
      Threshold: alarm.Threshold,
      TreatMissingData: alarm.TreatMissingData ?? 'missing',
      EvaluateLowSampleCountPercentile: alarm.EvaluateLowSampleCountPercentile ?? '',
    },
  };
}

/** Publishes an alarm's notification to an SNS topic, as CloudWatch for the alarm. */
function publishNotification(env: Env, scope: Scope, arn: string, alarm: { AlarmName: string; AlarmArn: string }, t: AlarmTransition, message: Record<string, unknown>): ActionResult {
  if (!parseTopicArn(arn)) return { ok: false, message: `Invalid SNS topic ARN ${arn}` };
  const subject = `${t.newState}: "${alarm.AlarmName}" in ${regionName(scope.region)}`.slice(0, 100);
  try {
    // CloudWatch publishes as itself for the alarm: another account's topic takes it only if its policy allows.
    const caller = { service: 'cloudwatch.amazonaws.com', account: scope.account, sourceArn: alarm.AlarmArn };
    const { MessageId } = publishToTopic(env, arn, { Message: JSON.stringify(message), Subject: subject }, 'cloudwatch', caller);
    return { ok: true, message: `Successfully executed action ${arn}`, data: { notificationResource: arn, publishedMessage: { id: MessageId, message } } };
  } catch (e) {
    if (e instanceof AwsError) return { ok: false, message: e.code === 'NotFound' ? `Resource: ${arn} does not exist` : e.message };
    throw e;
  }
}

/** Publishes the alarm notification to an SNS topic. */
export const snsAlarmAction: AlarmActionExecutor = {
  name: 'sns',
  matches: (arn) => /^arn:aws[a-z-]*:sns:/.test(arn),
  run: (env, scope, arn, alarm, t) => publishNotification(env, scope, arn, alarm, t, alarmNotification(scope, alarm, t)),
};

/**
 * Every executor faultline has, in the order they are tried. Add yours here, explicitly.
 */
export const alarmActionExecutors: AlarmActionExecutor[] = [snsAlarmAction, ec2AlarmAction, scalingPolicyAlarmAction];

export const executorFor = (arn: string): AlarmActionExecutor | undefined => alarmActionExecutors.find((e) => e.matches(arn));

/** Auto Scaling policies are invoked again every minute while their alarm stays in ALARM. */
export const isScalingPolicyArn = (arn: string): boolean => /^arn:aws[a-z-]*:autoscaling:[^:]*:\d{12}:scalingPolicy:/.test(arn);

/**
 * Runs actions for a transition, records each outcome as an Action history item and an event,
 * and returns the outcomes.
 */
export function runAlarmActions(
  env: Env,
  scope: Scope,
  alarm: DeepReadonly<AlarmRecord> | DeepReadonly<CompositeRecord>,
  arns: readonly string[],
  t: AlarmTransition,
  log: (m: string) => void = () => {},
): ActionResult[] {
  const composite = 'AlarmRule' in alarm;
  return arns.map((arn) => {
    // A composite alarm's actions are SNS topics (and Lambda and Systems Manager, which faultline does not run).
    const executor = composite ? (snsAlarmAction.matches(arn) ? snsAlarmAction : undefined) : executorFor(arn);
    let result: ActionResult;
    if (!executor) result = { ok: false, message: `faultline has no executor for action ${arn}` };
    else {
      try {
        result = 'AlarmRule' in alarm ? publishNotification(env, scope, arn, alarm, t, alarmNotification(scope, alarm, t)) : executor.run(env, scope, arn, alarm, t);
      } catch (e) {
        log(`faultline: alarm action ${arn} of ${alarm.AlarmName} threw: ${(e as Error)?.stack ?? e}`);
        result = { ok: false, message: e instanceof Error ? e.message : String(e) };
      }
    }
    const summary = result.ok ? `Successfully executed action ${arn}` : `Failed to execute action ${arn}. Received error: "${result.message}"`;
    addHistory(env, scope, {
      AlarmName: alarm.AlarmName,
      AlarmType: composite ? 'CompositeAlarm' : 'MetricAlarm',
      HistoryItemType: 'Action',
      HistorySummary: summary,
      HistoryData: { actionState: result.ok ? 'Succeeded' : 'Failed', stateUpdateTimestamp: t.time, ...(result.ok ? {} : { error: result.message }), ...result.data },
      at: t.time,
    });
    env.events.emit('cloudwatch.alarm.action', {
      account: scope.account,
      region: scope.region,
      alarmName: alarm.AlarmName,
      action: arn,
      executor: executor?.name ?? null,
      state: t.newState,
      ok: result.ok,
      message: result.message,
      repeat: t.repeat ?? false,
    });
    return result;
  });
}
