/**
 * PutWarmPool, DescribeWarmPool and DeleteWarmPool. The handlers record the pool's configuration
 * on the group and queue it; the group loop fills, uses and empties the pool (warm-pool.ts).
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly } from '../../core/store.ts';
import { resolveLaunchTemplate } from '../ec2/launch-templates.provider.ts';
import type { RequestContext } from '../service.ts';
import { asErrors, pageOf } from './errors.ts';
import { findGroup, liveGroup } from './groups.provider.ts';
import { ACTIVE, type RefreshRecord } from './instance-refresh.ts';
import { queueGroup } from './queue.ts';
import { COLL, type GroupRecord, type LaunchConfigurationRecord, type WarmPoolRecord } from './state.ts';
import { byLaunch, memberView, warmPoolConfiguration } from './views.ts';
import { warmMembers } from './warm-pool.ts';

const POOL_STATES = ['Stopped', 'Running', 'Hibernated'];

/** Whether the group launches spot instances: AWS keeps warm pools to groups of On-Demand instances. */
function launchesSpot(ctx: RequestContext, g: DeepReadonly<GroupRecord>): boolean {
  if (g.MixedInstancesPolicy) return true;
  if (g.LaunchConfigurationName) return !!ctx.env.store.get<LaunchConfigurationRecord>(COLL.launchConfigurations, ctx, g.LaunchConfigurationName)?.SpotPrice;
  if (!g.LaunchTemplate) return false;
  // The group keeps the template's id and name; the id identifies it.
  const { version } = resolveLaunchTemplate(ctx, { LaunchTemplateId: g.LaunchTemplate.LaunchTemplateId, Version: g.LaunchTemplate.Version });
  return version.LaunchTemplateData.InstanceMarketOptions?.MarketType === 'spot';
}

export const warmPoolHandlers = {
  PutWarmPool(
    input: { AutoScalingGroupName: string; MaxGroupPreparedCapacity?: number; MinSize?: number; PoolState?: string; InstanceReusePolicy?: { ReuseOnScaleIn?: boolean } },
    ctx: RequestContext,
  ) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const refresh = g.activeRefresh ? ctx.env.store.get<RefreshRecord>(COLL.instanceRefreshes, ctx, g.activeRefresh) : undefined;
    if (refresh && ACTIVE.has(refresh.Status)) throw new AwsError('InstanceRefreshInProgress', 'An Instance Refresh is already in progress and blocks the execution of this warm pool update.', 400);
    if (g.warmPool?.Status === 'PendingDelete') throw asErrors.validation(`The warm pool of Auto Scaling group ${g.AutoScalingGroupName} is being deleted.`);
    if (launchesSpot(ctx, g)) {
      throw asErrors.validation('You cannot add a warm pool to an Auto Scaling group that has a mixed instances policy or a launch template or launch configuration that requests Spot Instances.');
    }
    const minSize = input.MinSize ?? 0;
    const prepared = input.MaxGroupPreparedCapacity;
    if (minSize < 0) throw asErrors.validation('MinSize must be 0 or greater.');
    if (prepared !== undefined && prepared < -1) throw asErrors.validation('MaxGroupPreparedCapacity must be -1 or greater.');
    if (prepared !== undefined && prepared !== -1 && prepared < minSize) throw asErrors.validation('MaxGroupPreparedCapacity must be greater than or equal to MinSize.');
    const state = input.PoolState ?? 'Stopped';
    if (!POOL_STATES.includes(state)) throw asErrors.validation(`Invalid PoolState ${state}. Valid values are ${POOL_STATES.join(', ')}.`);
    // Put replaces the whole configuration; -1 clears MaxGroupPreparedCapacity (the group's MaxSize applies).
    const pool: WarmPoolRecord = {
      MinSize: minSize,
      ...(prepared !== undefined && prepared !== -1 ? { MaxGroupPreparedCapacity: prepared } : {}),
      PoolState: state as WarmPoolRecord['PoolState'],
      ...(input.InstanceReusePolicy ? { InstanceReusePolicy: { ReuseOnScaleIn: input.InstanceReusePolicy.ReuseOnScaleIn ?? false } } : {}),
    };
    g.warmPool = pool;
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    ctx.env.events.emit('autoscaling.warm-pool.put', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, ...pool });
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return {};
  },

  DescribeWarmPool(input: { AutoScalingGroupName: string; MaxRecords?: number; NextToken?: string }, ctx: RequestContext) {
    const g = findGroup(ctx, input.AutoScalingGroupName);
    const instances = [...warmMembers(ctx.env, ctx, g)].sort(byLaunch).map(memberView);
    const { items, NextToken } = pageOf(instances, input.NextToken, input.MaxRecords, 50, 50);
    return { ...(g.warmPool ? { WarmPoolConfiguration: warmPoolConfiguration(g.warmPool) } : {}), Instances: items, NextToken };
  },

  DeleteWarmPool(input: { AutoScalingGroupName: string; ForceDelete?: boolean }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    if (!g.warmPool) throw asErrors.validation(`No warm pool found for Auto Scaling group ${g.AutoScalingGroupName}.`);
    // Without hooks on pool instances here, ForceDelete has nothing more to skip.
    g.warmPool.Status = 'PendingDelete';
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return {};
  },
};
