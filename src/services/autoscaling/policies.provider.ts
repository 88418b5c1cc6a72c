/**
 * Scaling policies: PutScalingPolicy, DescribePolicies, DeletePolicy, ExecutePolicy and
 * DescribeAdjustmentTypes. A policy's ARN keeps its id across updates; target tracking policies
 * create, update and delete their alarms with them (target-tracking.ts). Executing a policy only
 * sets the desired capacity (scaling.ts); the group loop does the rest.
 */
import { uuid } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import { asErrors, pageOf } from './errors.ts';
import { findGroup, liveGroup } from './groups.provider.ts';
import { ADJUSTMENT_TYPES, executePolicy, stepProblem } from './scaling.ts';
import { arnId, childKey, COLL, policyArn, type PolicyRecord, type StepAdjustment, type TargetTrackingConfiguration } from './state.ts';
import { deleteOwnedAlarms, notTargetTracking, syncTargetTrackingAlarms, targetTrackingProblem } from './target-tracking.ts';

export const MAX_POLICIES_PER_GROUP = 50;
const POLICY_TYPES = ['SimpleScaling', 'StepScaling', 'TargetTrackingScaling'] as const;

interface PutInput {
  AutoScalingGroupName: string;
  PolicyName: string;
  PolicyType?: string;
  AdjustmentType?: string;
  MinAdjustmentStep?: number;
  MinAdjustmentMagnitude?: number;
  ScalingAdjustment?: number;
  Cooldown?: number;
  MetricAggregationType?: string;
  StepAdjustments?: StepAdjustment[];
  EstimatedInstanceWarmup?: number;
  TargetTrackingConfiguration?: TargetTrackingConfiguration;
  Enabled?: boolean;
  PredictiveScalingConfiguration?: unknown;
}

const ARN = /^arn:aws[a-z-]*:autoscaling:[^:]*:\d{12}:scalingPolicy:[^:]+:autoScalingGroupName\/(.+):policyName\/(.+)$/;

/** A policy by name (with its group) or by ARN. */
export function findPolicy(ctx: RequestContext, nameOrArn: string, group?: string): DeepReadonly<PolicyRecord> {
  const m = ARN.exec(nameOrArn);
  const [g, name] = m ? [m[1], m[2]] : [group, nameOrArn];
  const p = g !== undefined ? ctx.env.store.get<PolicyRecord>(COLL.policies, ctx, childKey(g, name)) : undefined;
  if (!p || (m && p.PolicyARN !== nameOrArn)) throw asErrors.validation(`No policy found with name ${nameOrArn}${g ? ` for AutoScalingGroup ${g}` : ''}.`);
  return p;
}

function checkPolicy(input: PutInput, type: PolicyRecord['PolicyType']): void {
  const has = (k: keyof PutInput) => input[k] !== undefined;
  const refuse = (k: string) => asErrors.validation(`${k} is not supported for policy type ${type}.`);
  if (type !== 'TargetTrackingScaling') {
    if (!input.AdjustmentType) throw asErrors.validation(`AdjustmentType must be specified for policy type ${type}.`);
    if (!(ADJUSTMENT_TYPES as readonly string[]).includes(input.AdjustmentType)) {
      throw asErrors.validation(`Invalid AdjustmentType: ${input.AdjustmentType}. Valid values are ${ADJUSTMENT_TYPES.join(', ')}.`);
    }
    const magnitude = input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep;
    if (magnitude !== undefined && input.AdjustmentType !== 'PercentChangeInCapacity') {
      throw asErrors.validation('MinAdjustmentMagnitude is only supported with AdjustmentType PercentChangeInCapacity.');
    }
    if (magnitude !== undefined && magnitude < 1) throw asErrors.validation('MinAdjustmentMagnitude must be at least 1.');
    if (has('TargetTrackingConfiguration')) throw refuse('TargetTrackingConfiguration');
  }
  if (type === 'SimpleScaling') {
    if (input.ScalingAdjustment === undefined) throw asErrors.validation('ScalingAdjustment must be specified for policy type SimpleScaling.');
    if (input.AdjustmentType === 'ExactCapacity' && input.ScalingAdjustment < 0) throw asErrors.validation('ScalingAdjustment must not be negative for ExactCapacity.');
    for (const k of ['StepAdjustments', 'MetricAggregationType', 'EstimatedInstanceWarmup'] as const) if (has(k)) throw refuse(k);
  } else if (type === 'StepScaling') {
    for (const k of ['ScalingAdjustment', 'Cooldown'] as const) if (has(k)) throw refuse(k);
    const problem = stepProblem(input.StepAdjustments ?? []);
    if (problem) throw asErrors.validation(problem);
    if (input.MetricAggregationType !== undefined && !['Average', 'Minimum', 'Maximum'].includes(input.MetricAggregationType)) {
      throw asErrors.validation(`Invalid MetricAggregationType: ${input.MetricAggregationType}. Valid values are Average, Minimum and Maximum.`);
    }
  } else {
    for (const k of ['AdjustmentType', 'ScalingAdjustment', 'Cooldown', 'StepAdjustments', 'MinAdjustmentMagnitude', 'MetricAggregationType'] as const) if (has(k)) throw refuse(k);
    const problem = targetTrackingProblem(input.TargetTrackingConfiguration);
    if (problem) throw asErrors.validation(problem);
  }
}

/** The alarms that name a policy among their actions (simple and step policies). */
function alarmsFor(ctx: RequestContext, arn: string) {
  return ctx.env.store
    .list<AlarmRecord>(ALARMS, ctx)
    .filter((a) => [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].includes(arn))
    .map((a) => ({ AlarmName: a.AlarmName, AlarmARN: a.AlarmArn }))
    .sort((a, b) => a.AlarmName.localeCompare(b.AlarmName));
}

function policyView(ctx: RequestContext, p: DeepReadonly<PolicyRecord>) {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { ownedAlarms, ...view } = p;
  return { ...view, Alarms: p.PolicyType === 'TargetTrackingScaling' ? p.Alarms : alarmsFor(ctx, p.PolicyARN) };
}

export const policyHandlers = {
  PutScalingPolicy(input: PutInput, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const type = (input.PolicyType ?? 'SimpleScaling') as PolicyRecord['PolicyType'];
    if (input.PolicyType === 'PredictiveScaling') throw asErrors.validation('faultline does not forecast load: PredictiveScaling policies are not supported.');
    if (!(POLICY_TYPES as readonly string[]).includes(type)) throw asErrors.validation(`Invalid PolicyType: ${type}. Valid values are ${POLICY_TYPES.join(', ')}.`);
    checkPolicy(input, type);
    const key = childKey(g.AutoScalingGroupName, input.PolicyName);
    const existing = ctx.env.store.get<PolicyRecord>(COLL.policies, ctx, key);
    if (existing && existing.PolicyType !== type) {
      throw asErrors.validation(`The policy ${input.PolicyName} is a ${existing.PolicyType} policy; its type cannot be changed to ${type}.`);
    }
    if (!existing && ctx.env.store.list<PolicyRecord>(COLL.policies, ctx).filter((p) => p.AutoScalingGroupName === g.AutoScalingGroupName).length >= MAX_POLICIES_PER_GROUP) {
      throw asErrors.limitExceeded(`Max number of scaling policies reached for group ${g.AutoScalingGroupName} (${MAX_POLICIES_PER_GROUP}).`);
    }
    const rec: PolicyRecord = {
      AutoScalingGroupName: g.AutoScalingGroupName,
      PolicyName: input.PolicyName,
      PolicyARN: existing?.PolicyARN ?? policyArn(ctx, uuid(), g.AutoScalingGroupName, input.PolicyName),
      PolicyType: type,
      ...(input.AdjustmentType !== undefined ? { AdjustmentType: input.AdjustmentType } : {}),
      ...((input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep) !== undefined
        ? { MinAdjustmentMagnitude: input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep, MinAdjustmentStep: input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep }
        : {}),
      ...(input.ScalingAdjustment !== undefined ? { ScalingAdjustment: input.ScalingAdjustment } : {}),
      ...(input.Cooldown !== undefined ? { Cooldown: input.Cooldown } : {}),
      StepAdjustments: input.StepAdjustments ?? [],
      ...(type === 'StepScaling' ? { MetricAggregationType: input.MetricAggregationType ?? 'Average' } : {}),
      ...(input.EstimatedInstanceWarmup !== undefined ? { EstimatedInstanceWarmup: input.EstimatedInstanceWarmup } : {}),
      Alarms: [],
      ...(input.TargetTrackingConfiguration ? { TargetTrackingConfiguration: { ...input.TargetTrackingConfiguration, DisableScaleIn: input.TargetTrackingConfiguration.DisableScaleIn ?? false } } : {}),
      Enabled: input.Enabled ?? true,
      ...(existing?.ownedAlarms ? { ownedAlarms: structuredClone(existing.ownedAlarms) as PolicyRecord['ownedAlarms'] } : {}),
    };
    if (type === 'TargetTrackingScaling') syncTargetTrackingAlarms(ctx, rec);
    ctx.env.store.put(COLL.policies, ctx, key, rec);
    ctx.env.events.emit('autoscaling.policy.put', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, policy: rec.PolicyName, type, arn: rec.PolicyARN });
    return { PolicyARN: rec.PolicyARN, Alarms: rec.Alarms };
  },

  DescribePolicies(
    input: { AutoScalingGroupName?: string; PolicyNames?: string[]; PolicyTypes?: string[]; MaxRecords?: number; NextToken?: string },
    ctx: RequestContext,
  ) {
    if (input.AutoScalingGroupName !== undefined) findGroup(ctx, input.AutoScalingGroupName);
    let list = [...ctx.env.store.list<PolicyRecord>(COLL.policies, ctx)];
    if (input.AutoScalingGroupName !== undefined) list = list.filter((p) => p.AutoScalingGroupName === input.AutoScalingGroupName);
    if (input.PolicyNames?.length) list = list.filter((p) => input.PolicyNames!.includes(p.PolicyName) || input.PolicyNames!.includes(p.PolicyARN));
    if (input.PolicyTypes?.length) list = list.filter((p) => input.PolicyTypes!.includes(p.PolicyType));
    list.sort((a, b) => a.AutoScalingGroupName.localeCompare(b.AutoScalingGroupName) || a.PolicyName.localeCompare(b.PolicyName));
    const { items, NextToken } = pageOf(list, input.NextToken, input.MaxRecords, 50, 100);
    return { ScalingPolicies: items.map((p) => policyView(ctx, p)), NextToken };
  },

  DeletePolicy(input: { AutoScalingGroupName?: string; PolicyName: string }, ctx: RequestContext) {
    const p = findPolicy(ctx, input.PolicyName, input.AutoScalingGroupName);
    deleteOwnedAlarms(ctx, p);
    ctx.env.store.delete(COLL.policies, ctx, childKey(p.AutoScalingGroupName, p.PolicyName));
    ctx.env.events.emit('autoscaling.policy.deleted', { account: ctx.account, region: ctx.region, group: p.AutoScalingGroupName, policy: p.PolicyName, id: arnId(p.PolicyARN) });
    return {};
  },

  ExecutePolicy(input: { AutoScalingGroupName?: string; PolicyName: string; HonorCooldown?: boolean; MetricValue?: number; BreachThreshold?: number }, ctx: RequestContext) {
    const p = findPolicy(ctx, input.PolicyName, input.AutoScalingGroupName);
    liveGroup(ctx, p.AutoScalingGroupName);
    if (p.PolicyType === 'TargetTrackingScaling') throw notTargetTracking(p.PolicyName);
    if (p.PolicyType === 'StepScaling' && (input.MetricValue === undefined || input.BreachThreshold === undefined)) {
      throw asErrors.validation('MetricValue and BreachThreshold are required to execute a StepScaling policy.');
    }
    executePolicy(ctx.env, ctx, p, { kind: 'user', honorCooldown: input.HonorCooldown ?? false, metric: input.MetricValue, threshold: input.BreachThreshold });
    return {};
  },

  DescribeAdjustmentTypes() {
    return { AdjustmentTypes: ADJUSTMENT_TYPES.map((AdjustmentType) => ({ AdjustmentType })) };
  },
};
