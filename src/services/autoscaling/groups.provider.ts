/**
 * Auto Scaling groups: CreateAutoScalingGroup, UpdateAutoScalingGroup, DeleteAutoScalingGroup,
 * DescribeAutoScalingGroups, SetDesiredCapacity and DescribeAccountLimits.
 *
 * Each handler validates everything first, then records the group's new desired state (and the
 * sentence that will head the cause of the activities it leads to) and queues the group. It never
 * launches or terminates: the group loop does (group.loop.ts).
 */
import { uuid } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { resolveLaunchTemplate } from '../ec2/launch-templates.provider.ts';
import { COLL as EC2, type SubnetRecord } from '../ec2/state.ts';
import { activeActivities, causes } from './activities.ts';
import { asErrors, pageOf } from './errors.ts';
import { membersOf } from './group.loop.ts';
import { checkNotificationTarget, hookRecord, MAX_HOOKS_PER_GROUP, type HookInput } from './lifecycle-hooks.provider.ts';
import { findLaunchConfiguration, MAX_LAUNCH_CONFIGURATIONS } from './launch-configurations.provider.ts';
import { DESIRED_CAPACITY_TYPES, mixedInstancesPolicy } from './mixed-instances.ts';
import { queueGroup } from './queue.ts';
import { inCooldown } from './scaling.ts';
import { childKey, COLL, groupArn, type GroupRecord, type LaunchTemplateSpec } from './state.ts';
import { checkTags } from './tags.provider.ts';
import { TERMINATION_POLICIES } from './termination-policy.ts';
import { attachSources, checkSourcesExist, requestedSources } from './traffic-sources.ts';
import { groupView } from './views.ts';

export const MAX_GROUPS = 500;
const HEALTH_CHECK_TYPES = ['EC2', 'ELB', 'VPC_LATTICE', 'EBS'];

export function findGroup(ctx: RequestContext, name: string): DeepReadonly<GroupRecord> {
  const g = ctx.env.store.get<GroupRecord>(COLL.groups, ctx, name);
  if (!g) throw asErrors.groupNotFound(name);
  return g;
}

/** A group that may still be changed: one being deleted refuses changes. */
export function liveGroup(ctx: RequestContext, name: string): GroupRecord {
  const g = findGroup(ctx, name);
  if (g.deleting) throw asErrors.validation(`AutoScalingGroup ${name} is pending delete.`);
  return structuredClone(g) as GroupRecord;
}

interface GroupInput {
  AutoScalingGroupName: string;
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
  MixedInstancesPolicy?: unknown;
  InstanceId?: string;
  MinSize?: number;
  MaxSize?: number;
  DesiredCapacity?: number;
  DefaultCooldown?: number;
  AvailabilityZones?: string[];
  LoadBalancerNames?: string[];
  TargetGroupARNs?: string[];
  TrafficSources?: { Identifier?: string; Type?: string }[];
  HealthCheckType?: string;
  HealthCheckGracePeriod?: number;
  PlacementGroup?: string;
  VPCZoneIdentifier?: string;
  TerminationPolicies?: string[];
  NewInstancesProtectedFromScaleIn?: boolean;
  CapacityRebalance?: boolean;
  LifecycleHookSpecificationList?: (HookInput & { LifecycleTransition: string })[];
  Tags?: { Key: string; Value?: string; PropagateAtLaunch?: boolean; ResourceId?: string; ResourceType?: string }[];
  ServiceLinkedRoleARN?: string;
  MaxInstanceLifetime?: number;
  DefaultInstanceWarmup?: number;
  Context?: string;
  DesiredCapacityType?: string;
}

/**
 * The launch configuration, template or mixed instances policy a group is to use: exactly one, and
 * it must exist. A policy given to a group that has one changes only what it gives.
 */
function launchSource(ctx: RequestContext, input: GroupInput, current?: DeepReadonly<GroupRecord>): Pick<GroupRecord, 'LaunchConfigurationName' | 'LaunchTemplate' | 'MixedInstancesPolicy'> {
  const given = [input.LaunchConfigurationName, input.LaunchTemplate, input.MixedInstancesPolicy, input.InstanceId].filter((x) => x !== undefined).length;
  if (given !== 1) throw asErrors.validation('Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.');
  if (input.MixedInstancesPolicy !== undefined) {
    if (current?.warmPool) throw asErrors.validation('You cannot add a mixed instances policy to an Auto Scaling group that has a warm pool.');
    return { MixedInstancesPolicy: mixedInstancesPolicy(input.MixedInstancesPolicy as never, current?.MixedInstancesPolicy, (spec) => checkLaunchTemplate(ctx, spec)) };
  }
  if (input.InstanceId !== undefined) throw asErrors.validation('faultline does not create groups from an instance; use a launch template or a launch configuration.');
  if (input.LaunchConfigurationName !== undefined) {
    findLaunchConfiguration(ctx, input.LaunchConfigurationName);
    return { LaunchConfigurationName: input.LaunchConfigurationName };
  }
  return { LaunchTemplate: checkLaunchTemplate(ctx, input.LaunchTemplate!) };
}

export function checkLaunchTemplate(ctx: RequestContext, spec: DeepReadonly<LaunchTemplateSpec>): LaunchTemplateSpec {
  if ((spec.LaunchTemplateId === undefined) === (spec.LaunchTemplateName === undefined)) {
    throw asErrors.validation('Valid requests must contain either launchTemplateId or LaunchTemplateName, but not both.');
  }
  try {
    const { template } = resolveLaunchTemplate(ctx, spec);
    return { LaunchTemplateId: template.LaunchTemplateId, LaunchTemplateName: template.LaunchTemplateName, Version: spec.Version ?? '$Default' };
  } catch (e) {
    throw asErrors.validation(`You must use a valid fully-formed launch template. ${(e as Error).message}`);
  }
}

/** Subnets and zones: from VPCZoneIdentifier (all in one VPC), or zones alone. */
function network(ctx: RequestContext, vpcZoneIdentifier: string | undefined, zones: readonly string[] | undefined): { subnets: string[]; zones: string[] } {
  const subnetIds = (vpcZoneIdentifier ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (subnetIds.length) {
    const recs = subnetIds.map((id) => {
      const s = ctx.env.store.get<SubnetRecord>(EC2.subnets, ctx, id);
      if (!s) throw asErrors.validation(`The subnet ID '${id}' does not exist`);
      return s;
    });
    if (new Set(recs.map((s) => s.VpcId)).size > 1) throw asErrors.validation('The subnets in VPCZoneIdentifier must all belong to the same VPC.');
    const subnetZones = [...new Set(recs.map((s) => s.AvailabilityZone))].sort();
    if (zones?.length && subnetZones.some((z) => !zones.includes(z))) {
      throw asErrors.validation('The availability zones of the specified subnets and the Auto Scaling group do not match');
    }
    return { subnets: [...new Set(subnetIds)], zones: subnetZones };
  }
  if (!zones?.length) throw asErrors.validation('At least one Availability Zone or VPC Subnet is required.');
  const known = (ctx.env.config.regions[ctx.region] ?? []).map((l) => ctx.region + l);
  for (const z of zones) if (!known.includes(z)) throw asErrors.validation(`Invalid Availability Zone: ${z}`);
  return { subnets: [], zones: [...new Set(zones)] };
}

function checkBounds(min: number, max: number, desired: number): void {
  if (min > max) throw asErrors.validation(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired < min || desired > max) throw asErrors.validation(`Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
}

/** Capacity in vCPUs or MiB needs the types' sizes: only a mixed instances group has them to count. */
function checkCapacityType(type: string | undefined, mixed: boolean): void {
  if (type === undefined) return;
  if (!DESIRED_CAPACITY_TYPES.includes(type)) throw asErrors.validation(`Invalid DesiredCapacityType: ${type}. Valid values are ${DESIRED_CAPACITY_TYPES.join(', ')}.`);
  if (type !== 'units' && !mixed) throw asErrors.validation(`DesiredCapacityType ${type} is only supported for Auto Scaling groups with a MixedInstancesPolicy.`);
}

function checkSettings(input: Partial<GroupInput>): void {
  if (input.HealthCheckType !== undefined && !input.HealthCheckType.split(',').every((t) => HEALTH_CHECK_TYPES.includes(t.trim()))) {
    throw asErrors.validation(`Invalid health check type: ${input.HealthCheckType}. Valid types are ${HEALTH_CHECK_TYPES.join(', ')}.`);
  }
  for (const p of input.TerminationPolicies ?? []) {
    if (!(TERMINATION_POLICIES as readonly string[]).includes(p) && !p.startsWith('arn:')) throw asErrors.validation(`Termination policy ${p} is not supported.`);
  }
  for (const [name, v] of [['HealthCheckGracePeriod', input.HealthCheckGracePeriod], ['DefaultCooldown', input.DefaultCooldown]] as const) {
    if (v !== undefined && v < 0) throw asErrors.validation(`${name} must be a non-negative number of seconds.`);
  }
  // 0 to 3600 seconds; -1 turns the default instance warmup off (enable-default-instance-warmup.html).
  const warmup = input.DefaultInstanceWarmup;
  if (warmup !== undefined && warmup !== -1 && (warmup < 0 || warmup > 3600)) throw asErrors.validation('DefaultInstanceWarmup must be between 0 and 3600 seconds, or -1 to turn it off.');
  if (input.MaxInstanceLifetime !== undefined && input.MaxInstanceLifetime !== 0 && (input.MaxInstanceLifetime < 86_400 || input.MaxInstanceLifetime > 31_536_000)) {
    throw asErrors.validation('MaxInstanceLifetime must be 0, or between 86400 and 31536000 seconds.');
  }
}

const byName = (a: DeepReadonly<GroupRecord>, b: DeepReadonly<GroupRecord>) => (a.AutoScalingGroupName < b.AutoScalingGroupName ? -1 : a.AutoScalingGroupName > b.AutoScalingGroupName ? 1 : 0);

export const groupHandlers = {
  CreateAutoScalingGroup(input: GroupInput, ctx: RequestContext) {
    const { env } = ctx;
    const name = input.AutoScalingGroupName;
    if (env.store.get(COLL.groups, ctx, name)) throw asErrors.alreadyExists(`AutoScalingGroup by this name already exists - A group with the name ${name} already exists`);
    if (env.store.count(COLL.groups, ctx) >= MAX_GROUPS) throw asErrors.limitExceeded(`Max number of Auto Scaling groups reached for this account (${MAX_GROUPS}).`);
    const source = launchSource(ctx, input);
    const net = network(ctx, input.VPCZoneIdentifier, input.AvailabilityZones);
    const min = input.MinSize!;
    const max = input.MaxSize!;
    const desired = input.DesiredCapacity ?? min;
    checkBounds(min, max, desired);
    checkSettings(input);
    checkCapacityType(input.DesiredCapacityType, !!source.MixedInstancesPolicy);
    const sources = requestedSources(input);
    checkSourcesExist(ctx, sources);
    const tags = checkTags(
      (input.Tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value ?? '', PropagateAtLaunch: t.PropagateAtLaunch ?? false })),
      [],
    );
    const hooks = (input.LifecycleHookSpecificationList ?? []).map((h) => hookRecord(name, h));
    for (const h of hooks) checkNotificationTarget(ctx, h);
    if (hooks.length > MAX_HOOKS_PER_GROUP) throw asErrors.limitExceeded(`Max number of lifecycle hooks per group is ${MAX_HOOKS_PER_GROUP}.`);
    const now = env.clock.now();
    const group: GroupRecord = {
      AutoScalingGroupName: name,
      AutoScalingGroupARN: groupArn(ctx, uuid(), name),
      ...source,
      MinSize: min,
      MaxSize: max,
      DesiredCapacity: desired,
      ...(input.DesiredCapacityType ? { DesiredCapacityType: input.DesiredCapacityType } : {}),
      DefaultCooldown: input.DefaultCooldown ?? 300,
      AvailabilityZones: net.zones,
      HealthCheckType: input.HealthCheckType ?? 'EC2',
      HealthCheckGracePeriod: input.HealthCheckGracePeriod ?? 0,
      CreatedTime: new Date(now).toISOString(),
      SuspendedProcesses: [],
      ...(input.PlacementGroup ? { PlacementGroup: input.PlacementGroup } : {}),
      ...(net.subnets.length ? { VPCZoneIdentifier: net.subnets.join(',') } : {}),
      EnabledMetrics: [],
      Tags: tags,
      TerminationPolicies: input.TerminationPolicies?.length ? input.TerminationPolicies : ['Default'],
      NewInstancesProtectedFromScaleIn: input.NewInstancesProtectedFromScaleIn ?? false,
      ServiceLinkedRoleARN: input.ServiceLinkedRoleARN ?? `arn:aws:iam::${ctx.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      ...(input.MaxInstanceLifetime ? { MaxInstanceLifetime: input.MaxInstanceLifetime } : {}),
      CapacityRebalance: input.CapacityRebalance ?? false,
      ...(input.DefaultInstanceWarmup !== undefined && input.DefaultInstanceWarmup !== -1 ? { DefaultInstanceWarmup: input.DefaultInstanceWarmup } : {}),
      ...(input.Context !== undefined ? { Context: input.Context } : {}),
      subnets: net.subnets,
      memberIds: [],
      trafficSources: [],
      capacityCause: causes.desiredChange(now, 'a user request created an AutoScalingGroup', 0, desired),
      launchFailures: {},
      activitySeq: 0,
    };
    // Sources given with the group are InService at once, as AWS documents.
    attachSources(group, sources, 'InService');
    env.store.put(COLL.groups, ctx, name, group);
    for (const h of hooks) env.store.put(COLL.lifecycleHooks, ctx, childKey(name, h.LifecycleHookName), h);
    env.events.emit('autoscaling.group.created', { account: ctx.account, region: ctx.region, group: name, min, max, desired, zones: net.zones });
    queueGroup(env, ctx, name);
    return {};
  },

  UpdateAutoScalingGroup(input: Partial<GroupInput> & { AutoScalingGroupName: string }, ctx: RequestContext) {
    const { env } = ctx;
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const source =
      input.LaunchConfigurationName !== undefined || input.LaunchTemplate !== undefined || input.MixedInstancesPolicy !== undefined
        ? launchSource(ctx, { ...input, InstanceId: undefined }, g)
        : undefined;
    const net = input.VPCZoneIdentifier !== undefined || input.AvailabilityZones !== undefined ? network(ctx, input.VPCZoneIdentifier ?? g.VPCZoneIdentifier, input.AvailabilityZones) : undefined;
    const min = input.MinSize ?? g.MinSize;
    const max = input.MaxSize ?? g.MaxSize;
    // Without a new desired capacity, the old one moves into the new bounds.
    const desired = input.DesiredCapacity ?? Math.min(max, Math.max(min, g.DesiredCapacity));
    checkBounds(min, max, desired);
    checkSettings(input);
    checkCapacityType(input.DesiredCapacityType ?? g.DesiredCapacityType, !!(source ?? g).MixedInstancesPolicy);
    const now = env.clock.now();
    if (source) {
      delete g.LaunchConfigurationName;
      delete g.LaunchTemplate;
      delete g.MixedInstancesPolicy;
      Object.assign(g, source);
    }
    if (net) {
      g.subnets = net.subnets;
      g.AvailabilityZones = net.zones;
      if (net.subnets.length) g.VPCZoneIdentifier = net.subnets.join(',');
      else delete g.VPCZoneIdentifier;
      for (const z of Object.keys(g.launchFailures)) if (!net.zones.includes(z)) delete g.launchFailures[z];
    }
    if (desired !== g.DesiredCapacity) {
      g.capacityCause = causes.desiredChange(now, `a user request update of AutoScalingGroup constraints to min: ${min}, max: ${max}, desired: ${desired}`, g.DesiredCapacity, desired);
    }
    g.MinSize = min;
    g.MaxSize = max;
    g.DesiredCapacity = desired;
    if (input.DefaultCooldown !== undefined) g.DefaultCooldown = input.DefaultCooldown;
    if (input.HealthCheckType !== undefined) g.HealthCheckType = input.HealthCheckType;
    if (input.HealthCheckGracePeriod !== undefined) g.HealthCheckGracePeriod = input.HealthCheckGracePeriod;
    // An empty name takes the group out of its placement group, as AWS documents.
    if (input.PlacementGroup) g.PlacementGroup = input.PlacementGroup;
    else if (input.PlacementGroup !== undefined) delete g.PlacementGroup;
    if (input.TerminationPolicies?.length) g.TerminationPolicies = input.TerminationPolicies;
    if (input.NewInstancesProtectedFromScaleIn !== undefined) g.NewInstancesProtectedFromScaleIn = input.NewInstancesProtectedFromScaleIn;
    if (input.CapacityRebalance !== undefined) g.CapacityRebalance = input.CapacityRebalance;
    if (input.MaxInstanceLifetime !== undefined) g.MaxInstanceLifetime = input.MaxInstanceLifetime || undefined;
    if (input.DefaultInstanceWarmup === -1) delete g.DefaultInstanceWarmup;
    else if (input.DefaultInstanceWarmup !== undefined) g.DefaultInstanceWarmup = input.DefaultInstanceWarmup;
    if (input.ServiceLinkedRoleARN !== undefined) g.ServiceLinkedRoleARN = input.ServiceLinkedRoleARN;
    if (input.Context !== undefined) g.Context = input.Context;
    if (input.DesiredCapacityType !== undefined) g.DesiredCapacityType = input.DesiredCapacityType;
    env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    env.events.emit('autoscaling.group.updated', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, min, max, desired });
    queueGroup(env, ctx, g.AutoScalingGroupName);
    return {};
  },

  DeleteAutoScalingGroup(input: { AutoScalingGroupName: string; ForceDelete?: boolean }, ctx: RequestContext) {
    const { env } = ctx;
    const g = structuredClone(findGroup(ctx, input.AutoScalingGroupName)) as GroupRecord;
    const force = input.ForceDelete ?? false;
    const members = membersOf(env, ctx, g.AutoScalingGroupName);
    if (!force && !g.deleting) {
      if (members.length) {
        throw asErrors.resourceInUse('You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.');
      }
      if (activeActivities(env, ctx, g.AutoScalingGroupName).length) {
        throw asErrors.scalingActivityInProgress('You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.');
      }
    }
    const now = env.clock.now();
    if (!g.deleting || (force && !g.deleting.force)) {
      if (g.DesiredCapacity > 0) g.capacityCause = causes.desiredChange(now, 'a user request deleted the AutoScalingGroup', g.DesiredCapacity, 0);
      g.deleting = { force: force || !!g.deleting?.force, at: now };
      g.Status = 'Delete in progress';
      g.MinSize = 0;
      g.MaxSize = 0;
      g.DesiredCapacity = 0;
      env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
      env.events.emit('autoscaling.group.deleting', { account: ctx.account, region: ctx.region, group: g.AutoScalingGroupName, force, instances: members.length });
    }
    queueGroup(env, ctx, g.AutoScalingGroupName);
    return {};
  },

  DescribeAutoScalingGroups(
    input: { AutoScalingGroupNames?: string[]; MaxRecords?: number; NextToken?: string; Filters?: { Name?: string; Values?: string[] }[]; IncludeInstances?: boolean },
    ctx: RequestContext,
  ) {
    let groups = [...ctx.env.store.list<GroupRecord>(COLL.groups, ctx)];
    if (input.AutoScalingGroupNames?.length) groups = groups.filter((g) => input.AutoScalingGroupNames!.includes(g.AutoScalingGroupName));
    for (const f of input.Filters ?? []) {
      const values = f.Values ?? [];
      const name = f.Name ?? '';
      if (name === 'tag-key') groups = groups.filter((g) => g.Tags.some((t) => values.includes(t.Key)));
      else if (name === 'tag-value') groups = groups.filter((g) => g.Tags.some((t) => values.includes(t.Value)));
      else if (name.startsWith('tag:')) groups = groups.filter((g) => g.Tags.some((t) => t.Key === name.slice(4) && values.includes(t.Value)));
      else throw asErrors.validation(`The filter '${name}' is not valid. Valid filters are tag-key, tag-value and tag:<key>.`);
    }
    const { items, NextToken } = pageOf(groups.sort(byName), input.NextToken, input.MaxRecords, 50, 100);
    return {
      AutoScalingGroups: items.map((g) => {
        const view = groupView(g, membersOf(ctx.env, ctx, g.AutoScalingGroupName));
        return input.IncludeInstances === false ? { ...view, Instances: undefined } : view;
      }),
      NextToken,
    };
  },

  SetDesiredCapacity(input: { AutoScalingGroupName: string; DesiredCapacity: number; HonorCooldown?: boolean }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const d = input.DesiredCapacity;
    if (d > g.MaxSize) throw asErrors.validation(`New SetDesiredCapacity value ${d} is above max value ${g.MaxSize} for the AutoScalingGroup.`);
    if (d < g.MinSize) throw asErrors.validation(`New SetDesiredCapacity value ${d} is below min value ${g.MinSize} for the AutoScalingGroup.`);
    const now = ctx.env.clock.now();
    if (input.HonorCooldown && inCooldown(g, now)) {
      throw asErrors.scalingActivityInProgress(`Scaling activity for AutoScalingGroup ${g.AutoScalingGroupName} is in progress or in cooldown.`);
    }
    if (d !== g.DesiredCapacity) {
      g.capacityCause = causes.desiredChange(now, 'a user request explicitly set group desired capacity', g.DesiredCapacity, d);
      g.DesiredCapacity = d;
      ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    }
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return {};
  },

  DescribeAccountLimits(_input: unknown, ctx: RequestContext) {
    return {
      MaxNumberOfAutoScalingGroups: MAX_GROUPS,
      MaxNumberOfLaunchConfigurations: MAX_LAUNCH_CONFIGURATIONS,
      NumberOfAutoScalingGroups: ctx.env.store.count(COLL.groups, ctx),
      NumberOfLaunchConfigurations: ctx.env.store.count(COLL.launchConfigurations, ctx),
    };
  },
};
