/**
 * PutCompositeAlarm (API_PutCompositeAlarm.html). The rule is parsed and every alarm it names
 * must exist; a new composite alarm starts in INSUFFICIENT_DATA and is evaluated at once, an
 * update keeps its state and is evaluated again. The other alarm operations (DescribeAlarms,
 * DeleteAlarms, SetAlarmState, actions, history, tags) serve both kinds, in alarms.provider.ts.
 */
import { AwsError, errors } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { checkAction, ec2ActionOf } from './alarms.provider.ts';
import { alarmArn, ALARMS, type AlarmConfig, type Tag } from './alarms.state.ts';
import { evaluateComposite } from './composite.ts';
import { COMPOSITES, compositeView, parseRule, referencedName, ruleAlarms, type CompositeRecord } from './composite.state.ts';
import { addHistory } from './history.ts';

const validation = (message: string) => errors.validation(message);
const MAX_RULE = 10_240;
const MAX_CHILDREN = 100;

interface PutCompositeAlarmInput {
  AlarmName: string;
  AlarmRule: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
  ActionsSuppressor?: string;
  ActionsSuppressorWaitPeriod?: number;
  ActionsSuppressorExtensionPeriod?: number;
  Tags?: Tag[];
}

const exists = (ctx: RequestContext, name: string) => !!(ctx.env.store.get(ALARMS, ctx, name) ?? ctx.env.store.get(COMPOSITES, ctx, name));

export const compositeHandlers = {
  PutCompositeAlarm(input: PutCompositeAlarmInput, ctx: RequestContext) {
    const { env } = ctx;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(input.AlarmName)) throw validation('The alarm name must not contain ASCII control characters.');
    if (input.AlarmRule.length > MAX_RULE) {
      throw validation(`1 validation error detected: Value at 'alarmRule' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RULE}`);
    }
    if (env.store.get(ALARMS, ctx, input.AlarmName)) throw validation(`The alarm ${input.AlarmName} already exists as a metric alarm.`);
    let refs: string[];
    try {
      refs = ruleAlarms(parseRule(input.AlarmRule));
    } catch (e) {
      throw validation(`Error in AlarmRule: ${(e as Error).message}.`);
    }
    const names = refs.map((r) => referencedName(ctx, r));
    const missing = refs.filter((r, i) => names[i] === undefined || !exists(ctx, names[i]!));
    if (missing.length) throw validation(`Could not save the composite alarm as alarms [${[...new Set(missing)].join(', ')}] in the alarm rule do not exist`);
    const children = [...new Set(names as string[])];
    if (children.length > MAX_CHILDREN) throw validation(`The alarm rule may reference at most ${MAX_CHILDREN} alarms; it references ${children.length}.`);
    if (input.ActionsSuppressor !== undefined) {
      const s = referencedName(ctx, input.ActionsSuppressor);
      if (s === undefined || !exists(ctx, s)) throw validation(`The ActionsSuppressor alarm ${input.ActionsSuppressor} does not exist.`);
      for (const p of ['ActionsSuppressorWaitPeriod', 'ActionsSuppressorExtensionPeriod'] as const) {
        const v = input[p];
        if (v === undefined) throw validation(`${p} is required when ActionsSuppressor is specified.`);
        if (!Number.isInteger(v) || v < 0) throw errors.invalidParameterValue(`The value ${v} for parameter ${p} is invalid.`);
      }
    } else if (input.ActionsSuppressorWaitPeriod !== undefined || input.ActionsSuppressorExtensionPeriod !== undefined) {
      throw validation('ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod apply only with an ActionsSuppressor.');
    }
    const actions = [...(input.AlarmActions ?? []), ...(input.OKActions ?? []), ...(input.InsufficientDataActions ?? [])];
    for (const arn of actions) {
      if (ec2ActionOf(arn) || /^arn:aws[a-z-]*:autoscaling:/.test(arn)) {
        throw validation(`The action ${arn} is not supported for composite alarms. Composite alarms take SNS topics, Lambda functions and Systems Manager OpsItems or incidents.`);
      }
      checkAction(env, ctx, arn, { Dimensions: [] } as unknown as AlarmConfig);
    }

    const now = new Date(env.clock.now()).toISOString();
    const existing = env.store.get<CompositeRecord>(COMPOSITES, ctx, input.AlarmName) as Readonly<CompositeRecord> | undefined;
    const tags = input.Tags ?? [];
    if (!existing && tags.length > 50) throw new AwsError('LimitExceeded', 'The maximum number of tags for a resource is 50.', 400);
    const rec: CompositeRecord = {
      AlarmName: input.AlarmName,
      AlarmArn: alarmArn(ctx, input.AlarmName),
      ...(input.AlarmDescription !== undefined ? { AlarmDescription: input.AlarmDescription } : {}),
      AlarmRule: input.AlarmRule,
      ActionsEnabled: input.ActionsEnabled ?? true,
      OKActions: input.OKActions ?? [],
      AlarmActions: input.AlarmActions ?? [],
      InsufficientDataActions: input.InsufficientDataActions ?? [],
      ...(input.ActionsSuppressor !== undefined
        ? {
            ActionsSuppressor: input.ActionsSuppressor,
            ActionsSuppressorWaitPeriod: input.ActionsSuppressorWaitPeriod,
            ActionsSuppressorExtensionPeriod: input.ActionsSuppressorExtensionPeriod,
          }
        : {}),
      AlarmConfigurationUpdatedTimestamp: now,
      StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
      StateReason: existing?.StateReason ?? 'Unchecked: Initial alarm creation',
      ...(existing?.StateReasonData !== undefined ? { StateReasonData: existing.StateReasonData } : {}),
      StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? now,
      StateTransitionedTimestamp: existing?.StateTransitionedTimestamp ?? now,
      Tags: existing ? structuredClone(existing.Tags as Tag[]) : tags,
      children,
    };
    env.store.put(COMPOSITES, ctx, input.AlarmName, rec);
    addHistory(env, ctx, {
      AlarmName: input.AlarmName,
      AlarmType: 'CompositeAlarm',
      HistoryItemType: 'ConfigurationUpdate',
      HistorySummary: `Alarm "${input.AlarmName}" ${existing ? 'updated' : 'created'}`,
      HistoryData: { version: '1.0', type: existing ? 'Update' : 'Create', [existing ? 'updatedAlarm' : 'createdAlarm']: compositeView(rec) },
    });
    env.events.emit('cloudwatch.alarm.config', { account: ctx.account, region: ctx.region, alarmName: input.AlarmName, type: existing ? 'Update' : 'Create' });
    evaluateComposite(env, ctx, input.AlarmName);
    return {};
  },
};
