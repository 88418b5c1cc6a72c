/**
 * StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh and
 * RollbackInstanceRefresh. The handlers record the refresh and queue the group; the group loop
 * replaces the instances (instance-refresh.ts).
 */
import { AwsError } from '../../core/errors.ts';
import { uuid } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { ALARMS } from '../cloudwatch/alarms.state.ts';
import { asErrors, pageOf } from './errors.ts';
import { membersOf } from './group.loop.ts';
import { checkLaunchTemplate, findGroup, liveGroup } from './groups.provider.ts';
import { ACTIVE, instancesToReplace, isAliasVersion, sourceOf, startRollback, type Preferences, type RefreshRecord, type RefreshStatus } from './instance-refresh.ts';
import { queueGroup } from './queue.ts';
import { COLL, type GroupRecord, type LaunchTemplateSpec } from './state.ts';

interface PreferencesInput {
  MinHealthyPercentage?: number;
  MaxHealthyPercentage?: number;
  InstanceWarmup?: number;
  CheckpointPercentages?: number[];
  CheckpointDelay?: number;
  SkipMatching?: boolean;
  AutoRollback?: boolean;
  ScaleInProtectedInstances?: Preferences['ScaleInProtectedInstances'];
  StandbyInstances?: Preferences['StandbyInstances'];
  AlarmSpecification?: { Alarms?: string[] };
  BakeTime?: number;
}

const refreshInProgress = () => new AwsError('InstanceRefreshInProgress', 'An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.', 400);
const noActiveRefresh = (group: string) => new AwsError('ActiveInstanceRefreshNotFound', `No in progress or pending Instance Refresh found for Auto Scaling group ${group}`, 400);
const irreversible = (why: string) => new AwsError('IrreversibleInstanceRefresh', why, 400);

/** Why a refresh cannot be rolled back (API_RefreshPreferences.html, AutoRollback), if it cannot. */
function rollbackProblem(desired: RefreshRecord['DesiredConfiguration'], previous: ReturnType<typeof sourceOf>): string | undefined {
  if (!desired) return 'Rollback is not supported because no desired configuration was specified for the instance refresh.';
  if (isAliasVersion(previous)) return "Rollback is not supported because the Auto Scaling group uses the launch template's $Latest or $Default version.";
  return undefined;
}

/** The preferences with AWS's defaults filled in, as DescribeInstanceRefreshes shows them. */
function preferences(input: PreferencesInput | undefined): Preferences {
  const p = input ?? {};
  if (p.CheckpointDelay !== undefined && !p.CheckpointPercentages?.length) throw asErrors.validation('CheckpointDelay can only be specified together with CheckpointPercentages.');
  const cps = p.CheckpointPercentages ?? [];
  if (cps.some((c, i) => c < 1 || c > 100 || (i > 0 && c <= cps[i - 1]))) throw asErrors.validation('CheckpointPercentages must be unique values between 1 and 100, in ascending order.');
  if (p.MaxHealthyPercentage !== undefined) {
    if (p.MinHealthyPercentage === undefined) throw asErrors.validation('MinHealthyPercentage must be specified when MaxHealthyPercentage is specified.');
    if (p.MaxHealthyPercentage - p.MinHealthyPercentage > 100) throw asErrors.validation('The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100.');
    // Both at 100 would leave no room to replace anything.
    if (p.MaxHealthyPercentage === 100 && p.MinHealthyPercentage === 100) throw asErrors.validation('MinHealthyPercentage and MaxHealthyPercentage cannot both be 100.');
  }
  if (p.InstanceWarmup !== undefined && p.InstanceWarmup < 0) throw asErrors.validation('InstanceWarmup must be a non-negative number of seconds.');
  return {
    MinHealthyPercentage: p.MinHealthyPercentage ?? 90,
    ...(p.MaxHealthyPercentage !== undefined ? { MaxHealthyPercentage: p.MaxHealthyPercentage } : {}),
    ...(p.InstanceWarmup !== undefined ? { InstanceWarmup: p.InstanceWarmup } : {}),
    ...(cps.length ? { CheckpointPercentages: [...cps], CheckpointDelay: p.CheckpointDelay ?? 3600 } : {}),
    SkipMatching: p.SkipMatching ?? false,
    AutoRollback: p.AutoRollback ?? false,
    ScaleInProtectedInstances: p.ScaleInProtectedInstances ?? 'Ignore',
    StandbyInstances: p.StandbyInstances ?? 'Ignore',
    ...(p.AlarmSpecification?.Alarms?.length ? { AlarmSpecification: { Alarms: [...p.AlarmSpecification.Alarms] } } : {}),
    ...(p.BakeTime !== undefined ? { BakeTime: p.BakeTime } : {}),
  };
}

function activeRefresh(ctx: RequestContext, g: DeepReadonly<GroupRecord>): RefreshRecord | undefined {
  const r = g.activeRefresh ? ctx.env.store.get<RefreshRecord>(COLL.instanceRefreshes, ctx, g.activeRefresh) : undefined;
  return r && ACTIVE.has(r.Status) ? (structuredClone(r) as RefreshRecord) : undefined;
}

const VIEW_KEYS = ['InstanceRefreshId', 'AutoScalingGroupName', 'Status', 'StatusReason', 'StartTime', 'EndTime', 'PercentageComplete', 'InstancesToUpdate', 'Preferences', 'DesiredConfiguration', 'Strategy'] as const;

function refreshView(r: DeepReadonly<RefreshRecord>) {
  const out: Record<string, unknown> = {};
  for (const k of VIEW_KEYS) if (r[k] !== undefined) out[k] = r[k];
  out.ProgressDetails = { LivePoolProgress: { PercentageComplete: r.PercentageComplete, InstancesToUpdate: r.InstancesToUpdate } };
  const rb = r.RollbackDetails;
  if (rb) {
    out.RollbackDetails = {
      ...rb,
      ProgressDetailsOnRollback: { LivePoolProgress: { PercentageComplete: rb.PercentageCompleteOnRollback, InstancesToUpdate: rb.InstancesToUpdateOnRollback } },
    };
  }
  return out;
}

export const instanceRefreshHandlers = {
  StartInstanceRefresh(
    input: { AutoScalingGroupName: string; Strategy?: string; DesiredConfiguration?: { LaunchTemplate?: LaunchTemplateSpec; MixedInstancesPolicy?: unknown }; Preferences?: PreferencesInput },
    ctx: RequestContext,
  ) {
    const { env } = ctx;
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    if (activeRefresh(ctx, g)) throw refreshInProgress();
    const strategy = input.Strategy ?? 'Rolling';
    if (strategy !== 'Rolling') throw asErrors.validation(`faultline supports only the Rolling strategy for instance refresh, not ${strategy}.`);
    const prefs = preferences(input.Preferences);
    if (input.DesiredConfiguration?.MixedInstancesPolicy !== undefined) throw asErrors.validation('faultline does not support a MixedInstancesPolicy in an instance refresh; give a LaunchTemplate.');
    const template = input.DesiredConfiguration?.LaunchTemplate;
    const desired = template ? { LaunchTemplate: checkLaunchTemplate(ctx, template) } : undefined;
    const previous = sourceOf(g);
    if (prefs.AutoRollback) {
      const problem = rollbackProblem(desired, previous);
      if (problem) throw asErrors.validation(problem);
    }
    for (const alarm of prefs.AlarmSpecification?.Alarms ?? []) {
      if (!env.store.get(ALARMS, ctx, alarm)) throw asErrors.validation(`The alarm ${alarm} does not exist.`);
    }
    const now = env.clock.now();
    const r: RefreshRecord = {
      InstanceRefreshId: uuid(),
      AutoScalingGroupName: g.AutoScalingGroupName,
      Strategy: 'Rolling',
      Status: 'Pending',
      StartTime: new Date(now).toISOString(),
      PercentageComplete: 0,
      InstancesToUpdate: 0,
      Preferences: prefs,
      ...(desired ? { DesiredConfiguration: desired } : {}),
      phaseStart: now,
      previous,
      pending: [],
      total: 0,
      checkpointsPassed: 0,
    };
    r.pending = instancesToReplace(env, ctx, r, g, membersOf(env, ctx, g.AutoScalingGroupName));
    r.total = r.InstancesToUpdate = r.pending.length;
    env.store.put(COLL.instanceRefreshes, ctx, r.InstanceRefreshId, r);
    g.activeRefresh = r.InstanceRefreshId;
    env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    env.events.emit('autoscaling.instance-refresh.start', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, instanceRefreshId: r.InstanceRefreshId, instances: r.total });
    queueGroup(env, ctx, g.AutoScalingGroupName);
    return { InstanceRefreshId: r.InstanceRefreshId };
  },

  DescribeInstanceRefreshes(input: { AutoScalingGroupName: string; InstanceRefreshIds?: string[]; MaxRecords?: number; NextToken?: string }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    let list = ctx.env.store.list<RefreshRecord>(COLL.instanceRefreshes, ctx).filter((r) => r.AutoScalingGroupName === input.AutoScalingGroupName);
    if (input.InstanceRefreshIds?.length) list = list.filter((r) => input.InstanceRefreshIds!.includes(r.InstanceRefreshId));
    // Newest first.
    const sorted = [...list].sort((a, b) => b.StartTime.localeCompare(a.StartTime) || b.InstanceRefreshId.localeCompare(a.InstanceRefreshId));
    const { items, NextToken } = pageOf(sorted, input.NextToken, input.MaxRecords, 50, 100);
    return { InstanceRefreshes: items.map(refreshView), NextToken };
  },

  CancelInstanceRefresh(input: { AutoScalingGroupName: string; WaitForTransitioningInstances?: boolean }, ctx: RequestContext) {
    const g = findGroup(ctx, input.AutoScalingGroupName);
    const r = activeRefresh(ctx, g);
    if (!r || r.Status === 'Cancelling') throw noActiveRefresh(g.AutoScalingGroupName);
    r.Status = 'Cancelling' satisfies RefreshStatus;
    delete r.StatusReason;
    r.waitForTransitioning = input.WaitForTransitioningInstances ?? true;
    ctx.env.store.put(COLL.instanceRefreshes, ctx, r.InstanceRefreshId, r);
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return { InstanceRefreshId: r.InstanceRefreshId };
  },

  RollbackInstanceRefresh(input: { AutoScalingGroupName: string }, ctx: RequestContext) {
    const g = findGroup(ctx, input.AutoScalingGroupName);
    const r = activeRefresh(ctx, g);
    if (!r || !['Pending', 'InProgress', 'Baking'].includes(r.Status)) throw noActiveRefresh(g.AutoScalingGroupName);
    const problem = rollbackProblem(r.DesiredConfiguration, r.previous);
    if (problem) throw irreversible(problem);
    startRollback(ctx.env, ctx, r, g, membersOf(ctx.env, ctx, g.AutoScalingGroupName), 'Rollback requested by user.');
    ctx.env.store.put(COLL.instanceRefreshes, ctx, r.InstanceRefreshId, r);
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return { InstanceRefreshId: r.InstanceRefreshId };
  },
};
