/**
 * Metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
 * SetAlarmState, EnableAlarmActions, DisableAlarmActions, DescribeAlarmHistory and tags.
 *
 * Rules from API_PutMetricAlarm.html and spec section 4. A new alarm starts in
 * INSUFFICIENT_DATA and is queued for evaluation at once; an update keeps the state and replaces
 * the whole configuration. An alarm on metric math (`Metrics`) watches the series of its one
 * query with ReturnData true. Anomaly detection and PromQL alarms are out of scope and refused
 * with a clear message. Composite alarms are in composite.provider.ts.
 */
import { AwsError, errors } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { executorFor } from './actions.ts';
import { changeAlarmState, queueAlarm } from './alarm.loop.ts';
import { ALARM_LOOP, alarmKey, evaluationStep, indexAlarm } from './alarm-index.ts';
import { alarmArn, alarmPeriod, ALARMS, alarmView, returnedQuery, type AlarmConfig, type AlarmRecord, type Tag } from './alarms.state.ts';
import { checkQueries, runQueries, type QueryIn } from './math/queries.ts';
import { COMPARISON_OPERATORS, TREAT_MISSING, type AlarmState, type ComparisonOperator, type TreatMissingData } from './evaluate.ts';
import { addHistory, listHistory, type HistoryItemType } from './history.ts';
import { changeCompositeState } from './composite.ts';
import { COMPOSITES, compositeView, type CompositeRecord } from './composite.state.ts';
import type { Dimension } from './metrics.store.ts';
import { isPercentile, validAlarmPeriod } from './statistics.ts';
import { page } from './tokens.ts';

const validation = (message: string) => errors.validation(message);
const mustNotBeNull = (member: string) =>
  validation(`1 validation error detected: Value null at '${member.charAt(0).toLowerCase() + member.slice(1)}' failed to satisfy constraint: Member must not be null`);

const MAX_TAGS = 50;

interface PutMetricAlarmInput {
  AlarmName: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  OKActions?: string[];
  AlarmActions?: string[];
  InsufficientDataActions?: string[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: QueryIn[];
  ThresholdMetricId?: string;
  EvaluationCriteria?: unknown;
  EvaluationInterval?: number;
  Tags?: Tag[];
}

const EC2_AUTOMATE = /^arn:aws[a-z-]*:automate:([a-z0-9-]+):ec2:(stop|terminate|reboot|recover)$/;
const EC2_SWF = /^arn:aws[a-z-]*:swf:([a-z0-9-]+):(\d{12}):action\/actions\/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot|Recover)\/1\.0$/;
const ARN = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/;
const OTHER_ACTIONS: Record<string, RegExp> = {
  sns: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
  autoscaling: /^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:scalingPolicy:[0-9a-f-]+:autoScalingGroupName\/.+:policyName\/.+$/,
  lambda: /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/,
  ssm: /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:opsitem:\d+(#CATEGORY=.+)?$/,
  'ssm-incidents': /^arn:aws[a-z-]*:ssm-incidents::\d{12}:responseplan\/.+$/,
};

/** The EC2 action an ARN names, in either form, or undefined. */
export function ec2ActionOf(arn: string): { region: string; action: 'stop' | 'terminate' | 'reboot' | 'recover' } | undefined {
  const a = EC2_AUTOMATE.exec(arn);
  if (a) return { region: a[1], action: a[2] as 'stop' };
  const s = EC2_SWF.exec(arn);
  if (s) return { region: s[1], action: s[3].toLowerCase() as 'stop' };
  return undefined;
}

export function checkAction(env: Env, scope: Scope, arn: string, cfg: AlarmConfig): void {
  const ec2 = ec2ActionOf(arn);
  if (ec2) {
    if (ec2.region !== scope.region) throw validation(`Invalid region ${ec2.region} specified. Only ${scope.region} is supported.`);
    if (!cfg.Dimensions.some((d) => d.Name === 'InstanceId')) {
      throw validation('Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring an EC2 instance.');
    }
    if (ec2.action === 'recover' && !(cfg.Namespace === 'AWS/EC2' && cfg.MetricName === 'StatusCheckFailed_System')) {
      throw validation(
        `Invalid use of EC2 'Recover' action. The 'Recover' action can only be used with the StatusCheckFailed_System metric of namespace AWS/EC2, not ${cfg.Namespace}/${cfg.MetricName}.`,
      );
    }
  } else {
    const m = ARN.exec(arn);
    if (!m) throw validation(`Invalid arn syntax: ${arn}`);
    const pattern = OTHER_ACTIONS[m[1]];
    if (!pattern) throw validation(`The action ${arn} is not supported. Alarm actions are EC2 actions, Auto Scaling policies, SNS topics, Lambda functions and Systems Manager OpsItems or incidents.`);
    if (!pattern.test(arn)) throw validation(`Invalid arn syntax: ${arn}`);
    if (m[2] && m[2] !== scope.region) throw validation(`Invalid region ${m[2]} specified. Only ${scope.region} is supported.`);
  }
  const problem = executorFor(arn)?.validate?.(env, scope, arn, cfg);
  if (problem) throw validation(problem);
}

const MATH_EXCLUSIVE = ['MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period', 'Unit'] as const;

/**
 * Validates the Metrics of a metric math alarm (API_PutMetricAlarm.html): at most 20 queries, 10
 * of each kind, exactly one returning data, and that one a single time series; none of the
 * single-metric parameters beside them.
 */
function checkMetrics(env: Env, scope: Scope, input: PutMetricAlarmInput): QueryIn[] {
  const metrics = input.Metrics!;
  const single = MATH_EXCLUSIVE.filter((p) => input[p] !== undefined);
  if (single.length) throw validation(`The parameter Metrics cannot be combined with ${single.join(', ')}.`);
  if (metrics.length === 0 || metrics.length > 20) throw validation('The collection Metrics must hold between 1 and 20 queries.');
  if (metrics.filter((q) => q.MetricStat).length > 10) throw validation('The collection Metrics must not hold more than 10 MetricStat queries.');
  if (metrics.filter((q) => q.Expression !== undefined).length > 10) throw validation('The collection Metrics must not hold more than 10 Expression queries.');
  const parsed = checkQueries(metrics, 'Metrics');
  if (metrics.filter((q) => q.ReturnData !== false).length !== 1) throw validation('Exactly one element of the metrics list should return data.');
  // Whether the returned query is one time series does not depend on the data: run it once now.
  const q = returnedQuery(metrics);
  const now = env.clock.now();
  const value = runQueries(env, scope, metrics, parsed, now - alarmPeriod({ Metrics: metrics }) * 1000, now)(q.Id).value;
  if (value.t !== 'series') throw validation(`The expression of ${q.Id} must return a single time series, not ${value.t === 'scalar' ? 'a scalar' : 'an array of time series'}.`);
  return metrics;
}

/** Validates a PutMetricAlarm request into the alarm configuration. */
function toConfig(env: Env, scope: Scope, input: PutMetricAlarmInput): AlarmConfig {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input.AlarmName)) throw validation('The alarm name must not contain ASCII control characters.');
  if (input.ThresholdMetricId !== undefined) {
    throw validation('faultline does not support anomaly detection alarms: ThresholdMetricId is not supported.');
  }
  if (input.EvaluationCriteria !== undefined || input.EvaluationInterval !== undefined) {
    throw validation('faultline does not support PromQL alarms (EvaluationCriteria, EvaluationInterval).');
  }
  const metrics = input.Metrics === undefined ? undefined : checkMetrics(env, scope, input);
  const required = metrics ? (['EvaluationPeriods', 'Threshold', 'ComparisonOperator'] as const) : (['MetricName', 'Namespace', 'Period', 'EvaluationPeriods', 'Threshold', 'ComparisonOperator'] as const);
  for (const m of required) {
    if (input[m] === undefined) throw mustNotBeNull(m);
  }
  const period = metrics ? alarmPeriod({ Metrics: metrics }) : input.Period!;
  const n = input.EvaluationPeriods!;
  if (!validAlarmPeriod(period)) throw validation(`The parameter Period must be 10, 20, 30 or a multiple of 60; ${period} is not.`);
  if (period < 3600 && period * n > 86_400) throw validation('Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).');
  if (period >= 3600 && period * n > 604_800) throw validation('Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800).');
  if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > n) {
    throw validation(`DatapointsToAlarm (${input.DatapointsToAlarm}) must be less than or equal to EvaluationPeriods (${n}).`);
  }
  if (input.Statistic !== undefined && input.ExtendedStatistic !== undefined) {
    throw errors.invalidParameterCombination('Exactly one of Statistic and ExtendedStatistic must be specified; you specified both.');
  }
  if (!metrics && input.Statistic === undefined && input.ExtendedStatistic === undefined) {
    throw errors.missingParameter('Statistic or ExtendedStatistic');
  }
  if (input.ExtendedStatistic !== undefined && !isPercentile(input.ExtendedStatistic)) {
    throw errors.invalidParameterValue(`The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is invalid. faultline evaluates percentiles p0 to p100.`);
  }
  if (!(COMPARISON_OPERATORS as readonly string[]).includes(input.ComparisonOperator!)) {
    throw validation(`faultline does not support anomaly detection alarms; ComparisonOperator ${input.ComparisonOperator} is out of scope.`);
  }
  if (input.TreatMissingData !== undefined && !(TREAT_MISSING as readonly string[]).includes(input.TreatMissingData)) {
    throw validation(`Invalid value for TreatMissingData: ${input.TreatMissingData}. Valid values are [breaching, notBreaching, ignore, missing].`);
  }
  if (input.EvaluateLowSampleCountPercentile !== undefined) {
    if (input.ExtendedStatistic === undefined) throw validation('EvaluateLowSampleCountPercentile applies only to alarms on percentiles (ExtendedStatistic).');
    if (!['evaluate', 'ignore'].includes(input.EvaluateLowSampleCountPercentile)) {
      throw validation(`Invalid value for EvaluateLowSampleCountPercentile: ${input.EvaluateLowSampleCountPercentile}. Valid values are [evaluate, ignore].`);
    }
  }
  if (!Number.isFinite(input.Threshold!)) throw errors.invalidParameterValue(`The value ${input.Threshold} for parameter Threshold is invalid.`);
  const dims = input.Dimensions ?? [];
  const names = new Set(dims.map((d) => d.Name));
  if (names.size !== dims.length) throw errors.invalidParameterValue('No metric may have duplicate dimension names.');
  const cfg: AlarmConfig = {
    AlarmName: input.AlarmName,
    ...(input.AlarmDescription !== undefined ? { AlarmDescription: input.AlarmDescription } : {}),
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    ...(metrics
      ? { Metrics: metrics }
      : {
          MetricName: input.MetricName!,
          Namespace: input.Namespace!,
          ...(input.Statistic !== undefined ? { Statistic: input.Statistic } : { ExtendedStatistic: input.ExtendedStatistic }),
          Period: period,
        }),
    Dimensions: dims,
    ...(input.Unit !== undefined ? { Unit: input.Unit } : {}),
    EvaluationPeriods: n,
    ...(input.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: input.DatapointsToAlarm } : {}),
    Threshold: input.Threshold!,
    ComparisonOperator: input.ComparisonOperator as ComparisonOperator,
    ...(input.TreatMissingData !== undefined ? { TreatMissingData: input.TreatMissingData as TreatMissingData } : {}),
    ...(input.EvaluateLowSampleCountPercentile !== undefined ? { EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile as 'evaluate' | 'ignore' } : {}),
  };
  for (const arn of [...cfg.OKActions, ...cfg.AlarmActions, ...cfg.InsufficientDataActions]) checkAction(env, scope, arn, cfg);
  return cfg;
}

/** Keys in lower camel case, as AWS writes alarms inside HistoryData. */
function camel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camel);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k === 'OKActions' ? 'okactions' : k.charAt(0).toLowerCase() + k.slice(1), camel(v)]));
  }
  return value;
}

const CONFIG_FIELDS: (keyof AlarmConfig)[] = [
  'AlarmDescription',
  'ActionsEnabled',
  'OKActions',
  'AlarmActions',
  'InsufficientDataActions',
  'MetricName',
  'Namespace',
  'Statistic',
  'ExtendedStatistic',
  'Dimensions',
  'Period',
  'Unit',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'EvaluateLowSampleCountPercentile',
  'Metrics',
];

function findAlarm(env: Env, scope: Scope, name: string): Readonly<AlarmRecord> {
  const rec = env.store.get<AlarmRecord>(ALARMS, scope, name) as Readonly<AlarmRecord> | undefined;
  if (!rec) throw new AwsError('ResourceNotFound', `Alarm ${name} does not exist.`, 404);
  return rec;
}

function alarmByArn(env: Env, scope: Scope, arn: string): { rec: { AlarmName: string; Tags: Tag[] }; collection: string } {
  const m = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/.exec(arn);
  if (!m) throw errors.invalidParameterValue(`Invalid ARN: ${arn}`);
  const here = m[1] === scope.region && m[2] === scope.account;
  const composite = here ? env.store.mutable<CompositeRecord>(COMPOSITES, scope, m[3]) : undefined;
  const rec = composite ?? (here ? env.store.mutable<AlarmRecord>(ALARMS, scope, m[3]) : undefined);
  if (!rec) throw new AwsError('ResourceNotFoundException', 'The specified resource does not exist.', 404);
  return { rec, collection: composite ? COMPOSITES : ALARMS };
}

const sortByName = (a: { AlarmName: string }, b: { AlarmName: string }) => (a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0);

export const alarmHandlers = {
  PutMetricAlarm(input: PutMetricAlarmInput, ctx: RequestContext) {
    const { env } = ctx;
    const cfg = toConfig(env, ctx, input);
    if (env.store.get(COMPOSITES, ctx, input.AlarmName)) throw validation(`The alarm ${input.AlarmName} already exists as a composite alarm.`);
    const now = new Date(env.clock.now()).toISOString();
    const existing = env.store.get<AlarmRecord>(ALARMS, ctx, input.AlarmName) as Readonly<AlarmRecord> | undefined;
    let rec: AlarmRecord;
    if (existing) {
      // An update keeps the state and the tags, and replaces the whole configuration.
      rec = { ...structuredClone(existing as AlarmRecord), ...cfg, AlarmConfigurationUpdatedTimestamp: now };
      for (const f of CONFIG_FIELDS) if (!(f in cfg)) delete (rec as unknown as Record<string, unknown>)[f];
      const original: Record<string, unknown> = {};
      for (const f of CONFIG_FIELDS) {
        if (JSON.stringify(existing[f]) !== JSON.stringify(cfg[f])) original[f] = existing[f] ?? null;
      }
      addHistory(env, ctx, {
        AlarmName: cfg.AlarmName,
        HistoryItemType: 'ConfigurationUpdate',
        HistorySummary: `Alarm "${cfg.AlarmName}" updated`,
        HistoryData: { version: '1.0', type: 'Update', updatedAlarm: camel(alarmView(rec)), originalUpdatedFields: camel(original) },
      });
    } else {
      const tags = input.Tags ?? [];
      if (tags.length > MAX_TAGS) throw new AwsError('LimitExceeded', `The maximum number of tags for a resource is ${MAX_TAGS}.`, 400);
      rec = {
        ...cfg,
        AlarmArn: alarmArn(ctx, cfg.AlarmName),
        AlarmConfigurationUpdatedTimestamp: now,
        StateValue: 'INSUFFICIENT_DATA',
        StateReason: 'Unchecked: Initial alarm creation',
        StateUpdatedTimestamp: now,
        StateTransitionedTimestamp: now,
        Tags: tags,
      };
      addHistory(env, ctx, {
        AlarmName: cfg.AlarmName,
        HistoryItemType: 'ConfigurationUpdate',
        HistorySummary: `Alarm "${cfg.AlarmName}" created`,
        HistoryData: { version: '1.0', type: 'Create', createdAlarm: camel(alarmView(rec)) },
      });
    }
    env.store.put(ALARMS, ctx, cfg.AlarmName, rec);
    env.events.emit('cloudwatch.alarm.config', { account: ctx.account, region: ctx.region, alarmName: cfg.AlarmName, type: existing ? 'Update' : 'Create' });
    indexAlarm(env, ctx, cfg);
    queueAlarm(env, ctx, cfg.AlarmName);
    return {};
  },

  DescribeAlarms(
    input: {
      AlarmNames?: string[];
      AlarmNamePrefix?: string;
      AlarmTypes?: string[];
      StateValue?: AlarmState;
      ActionPrefix?: string;
      MaxRecords?: number;
      NextToken?: string;
      ChildrenOfAlarmName?: string;
      ParentsOfAlarmName?: string;
    },
    ctx: RequestContext,
  ) {
    if (input.AlarmNames?.length && input.AlarmNamePrefix !== undefined) {
      throw errors.invalidParameterCombination('AlarmNames and AlarmNamePrefix cannot be specified together.');
    }
    const { env } = ctx;
    const family = input.ChildrenOfAlarmName ?? input.ParentsOfAlarmName;
    if (family !== undefined) return relatives(ctx, input);
    const types = input.AlarmTypes?.length ? input.AlarmTypes : ['MetricAlarm'];
    type Any = Readonly<AlarmRecord> | Readonly<CompositeRecord>;
    let alarms: Any[] = [
      ...(types.includes('MetricAlarm') ? (env.store.list<AlarmRecord>(ALARMS, ctx) as Readonly<AlarmRecord>[]) : []),
      ...(types.includes('CompositeAlarm') ? (env.store.list<CompositeRecord>(COMPOSITES, ctx) as Readonly<CompositeRecord>[]) : []),
    ];
    if (input.AlarmNames?.length) alarms = alarms.filter((a) => input.AlarmNames!.includes(a.AlarmName));
    if (input.AlarmNamePrefix !== undefined) alarms = alarms.filter((a) => a.AlarmName.startsWith(input.AlarmNamePrefix!));
    if (input.StateValue !== undefined) alarms = alarms.filter((a) => a.StateValue === input.StateValue);
    if (input.ActionPrefix !== undefined) {
      alarms = alarms.filter((a) => [...a.OKActions, ...a.AlarmActions, ...a.InsufficientDataActions].some((x) => x.startsWith(input.ActionPrefix!)));
    }
    alarms.sort(sortByName);
    const { items, NextToken } = page(alarms, input.NextToken, input.MaxRecords ?? 50);
    const metric = items.filter((a): a is Readonly<AlarmRecord> => !('AlarmRule' in a));
    const composite = items.filter((a): a is Readonly<CompositeRecord> => 'AlarmRule' in a);
    return {
      MetricAlarms: metric.map(alarmView),
      ...(types.includes('CompositeAlarm') ? { CompositeAlarms: composite.map(compositeView) } : {}),
      NextToken,
    };
  },

  DescribeAlarmsForMetric(
    input: { MetricName: string; Namespace: string; Statistic?: string; ExtendedStatistic?: string; Dimensions?: Dimension[]; Period?: number; Unit?: string },
    ctx: RequestContext,
  ) {
    const key = (dims: readonly Dimension[]) => JSON.stringify([...dims].map((d) => [d.Name, d.Value]).sort());
    const alarms = (ctx.env.store.list<AlarmRecord>(ALARMS, ctx) as Readonly<AlarmRecord>[])
      .filter(
        (a) =>
          a.MetricName === input.MetricName &&
          a.Namespace === input.Namespace &&
          (input.Statistic === undefined || a.Statistic === input.Statistic) &&
          (input.ExtendedStatistic === undefined || a.ExtendedStatistic === input.ExtendedStatistic) &&
          (input.Dimensions === undefined || key(a.Dimensions) === key(input.Dimensions)) &&
          (input.Period === undefined || a.Period === input.Period) &&
          (input.Unit === undefined || a.Unit === input.Unit),
      )
      .sort(sortByName);
    return { MetricAlarms: alarms.map(alarmView) };
  },

  DeleteAlarms(input: { AlarmNames: string[] }, ctx: RequestContext) {
    const { env } = ctx;
    const composite = (n: string) => env.store.get<CompositeRecord>(COMPOSITES, ctx, n) as Readonly<CompositeRecord> | undefined;
    // If any name is wrong, nothing is deleted (API_DeleteAlarms.html).
    const missing = input.AlarmNames.filter((n) => !env.store.get(ALARMS, ctx, n) && !composite(n));
    if (missing.length) throw new AwsError('ResourceNotFound', `The following alarms were not found: [${missing.join(', ')}]`, 404);
    // Nor while a composite alarm's rule reads one of them, even a composite deleted in the same call.
    const names = [...new Set(input.AlarmNames)];
    const parents = env.store.list<CompositeRecord>(COMPOSITES, ctx);
    const needed = names.filter((n) => parents.some((p) => p.children.includes(n)));
    if (needed.length) {
      throw validation(`Cannot delete ${needed.join(',')} as there are composite alarm(s) depending on ${needed.length === 1 ? 'it' : 'them'}.`);
    }
    for (const name of names) {
      const c = composite(name);
      const rec = c ?? (env.store.get<AlarmRecord>(ALARMS, ctx, name) as Readonly<AlarmRecord>);
      addHistory(env, ctx, {
        AlarmName: name,
        ...(c ? { AlarmType: 'CompositeAlarm' as const } : {}),
        HistoryItemType: 'ConfigurationUpdate',
        HistorySummary: `Alarm "${name}" deleted`,
        HistoryData: { version: '1.0', type: 'Delete', deletedAlarm: c ? compositeView(c) : camel(alarmView(rec as Readonly<AlarmRecord>)) },
      });
      env.store.delete(c ? COMPOSITES : ALARMS, ctx, name);
      env.events.emit('cloudwatch.alarm.config', { account: ctx.account, region: ctx.region, alarmName: name, type: 'Delete' });
    }
    return {};
  },

  SetAlarmState(input: { AlarmName: string; StateValue: AlarmState; StateReason: string; StateReasonData?: string }, ctx: RequestContext) {
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw new AwsError('InvalidFormat', 'The StateReasonData is not valid JSON.', 400);
      }
    }
    // A composite alarm keeps the state until one of its children changes.
    if (ctx.env.store.get(COMPOSITES, ctx, input.AlarmName)) {
      changeCompositeState(ctx.env, ctx, input.AlarmName, input.StateValue, input.StateReason, input.StateReasonData);
      return {};
    }
    const alarm = findAlarm(ctx.env, ctx, input.AlarmName);
    // The actions run if the state changes; the next evaluation sets the state the data says.
    changeAlarmState(ctx.env, ctx, input.AlarmName, input.StateValue, input.StateReason, input.StateReasonData);
    // A quiet alarm sleeps until its data changes; the revert must not wait for that.
    const step = evaluationStep(alarmPeriod(alarm));
    ctx.env.scheduler.enqueue(ALARM_LOOP, alarmKey(ctx, input.AlarmName), Math.floor(ctx.env.clock.now() / step) * step + step);
    return {};
  },

  EnableAlarmActions(input: { AlarmNames: string[] }, ctx: RequestContext) {
    setActionsEnabled(ctx, input.AlarmNames, true);
    return {};
  },

  DisableAlarmActions(input: { AlarmNames: string[] }, ctx: RequestContext) {
    setActionsEnabled(ctx, input.AlarmNames, false);
    return {};
  },

  DescribeAlarmHistory(
    input: {
      AlarmName?: string;
      AlarmTypes?: string[];
      HistoryItemType?: HistoryItemType;
      StartDate?: Date;
      EndDate?: Date;
      MaxRecords?: number;
      NextToken?: string;
      ScanBy?: 'TimestampDescending' | 'TimestampAscending';
    },
    ctx: RequestContext,
  ) {

    if (input.StartDate && input.EndDate && input.StartDate.getTime() > input.EndDate.getTime()) {
      throw errors.invalidParameterValue('The parameter StartDate must be less than or equal to the parameter EndDate.');
    }
    const items = listHistory(ctx.env, ctx, {
      alarmName: input.AlarmName,
      type: input.HistoryItemType,
      start: input.StartDate?.getTime(),
      end: input.EndDate?.getTime(),
      descending: (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending',
    }).filter((h) => !input.AlarmTypes?.length || input.AlarmTypes.includes(h.AlarmType));
    const { items: pageItems, NextToken } = page(items, input.NextToken, input.MaxRecords ?? 100);
    return { AlarmHistoryItems: pageItems, NextToken };
  },

  TagResource(input: { ResourceARN: string; Tags: Tag[] }, ctx: RequestContext) {
    const { rec, collection } = alarmByArn(ctx.env, ctx, input.ResourceARN);
    const tags = new Map(rec.Tags.map((t) => [t.Key, t.Value]));
    for (const t of input.Tags) tags.set(t.Key, t.Value);
    if (tags.size > MAX_TAGS) throw new AwsError('LimitExceeded', `The maximum number of tags for a resource is ${MAX_TAGS}.`, 400);
    rec.Tags = [...tags].map(([Key, Value]) => ({ Key, Value }));
    ctx.env.store.put(collection, ctx, rec.AlarmName, rec);
    return {};
  },

  UntagResource(input: { ResourceARN: string; TagKeys: string[] }, ctx: RequestContext) {
    const { rec, collection } = alarmByArn(ctx.env, ctx, input.ResourceARN);
    rec.Tags = rec.Tags.filter((t) => !input.TagKeys.includes(t.Key));
    ctx.env.store.put(collection, ctx, rec.AlarmName, rec);
    return {};
  },

  ListTagsForResource(input: { ResourceARN: string }, ctx: RequestContext) {
    return { Tags: alarmByArn(ctx.env, ctx, input.ResourceARN).rec.Tags };
  },
};

function setActionsEnabled(ctx: RequestContext, names: string[], enabled: boolean): void {
  for (const name of names) {
    for (const collection of [ALARMS, COMPOSITES]) {
      const rec = ctx.env.store.mutable<{ ActionsEnabled: boolean }>(collection, ctx, name);
      if (!rec || rec.ActionsEnabled === enabled) continue;
      rec.ActionsEnabled = enabled;
      ctx.env.store.put(collection, ctx, name, rec);
    }
  }
}

/**
 * DescribeAlarms with ChildrenOfAlarmName (the alarms a composite's rule reads) or
 * ParentsOfAlarmName (the composites whose rule reads the alarm): only MaxRecords and NextToken
 * may come with them, and each alarm shows only its name, ARN, state and state time.
 */
function relatives(
  ctx: RequestContext,
  input: { ChildrenOfAlarmName?: string; ParentsOfAlarmName?: string; MaxRecords?: number; NextToken?: string } & Record<string, unknown>,
) {
  const others = Object.keys(input).filter((k) => input[k] !== undefined && !['ChildrenOfAlarmName', 'ParentsOfAlarmName', 'MaxRecords', 'NextToken'].includes(k));
  if (others.length || (input.ChildrenOfAlarmName !== undefined && input.ParentsOfAlarmName !== undefined)) {
    throw validation('If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you cannot specify any other parameters in the request except for MaxRecords and NextToken.');
  }
  const { env } = ctx;
  const composites = env.store.list<CompositeRecord>(COMPOSITES, ctx) as Readonly<CompositeRecord>[];
  let names: readonly string[];
  if (input.ChildrenOfAlarmName !== undefined) names = composites.find((c) => c.AlarmName === input.ChildrenOfAlarmName)?.children ?? [];
  else names = composites.filter((c) => c.children.includes(input.ParentsOfAlarmName!)).map((c) => c.AlarmName);
  type Brief = { AlarmName: string; AlarmArn: string; StateValue: AlarmState; StateUpdatedTimestamp: string; composite: boolean };
  const found: Brief[] = [];
  for (const name of names) {
    const c = env.store.get<CompositeRecord>(COMPOSITES, ctx, name);
    const rec = c ?? env.store.get<AlarmRecord>(ALARMS, ctx, name);
    if (rec) found.push({ AlarmName: rec.AlarmName, AlarmArn: rec.AlarmArn, StateValue: rec.StateValue, StateUpdatedTimestamp: rec.StateUpdatedTimestamp, composite: !!c });
  }
  found.sort(sortByName);
  const { items, NextToken } = page(found, input.NextToken, input.MaxRecords ?? 50);
  const strip = ({ composite: _c, ...b }: Brief) => b;
  return { MetricAlarms: items.filter((b) => !b.composite).map(strip), CompositeAlarms: items.filter((b) => b.composite).map(strip), NextToken };
}
