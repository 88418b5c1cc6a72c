/**
 * Calls on a group's instances: DescribeAutoScalingInstances, SetInstanceHealth,
 * SetInstanceProtection, TerminateInstanceInAutoScalingGroup, AttachInstances and
 * DetachInstances. They record the instance's new lifecycle state or health (and the activity
 * AWS reports at once) and queue the group; the group loop terminates, detaches and replaces.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { COLL as EC2, type InstanceRecord } from '../ec2/state.ts';
import { activityView, causes, joinCause, sentence, startActivity, subnetDetails, updateActivity } from './activities.ts';
import { asErrors, pageOf } from './errors.ts';
import { counts, membersOf } from './group.loop.ts';
import { liveGroup } from './groups.provider.ts';
import { GROUP_TAG, tagInstance } from './launch.ts';
import { groupZones } from './placement.ts';
import { queueGroup } from './queue.ts';
import { COLL, type GroupRecord, type MemberRecord } from './state.ts';
import { memberView } from './views.ts';

function findMember(ctx: RequestContext, id: string): MemberRecord {
  const m = ctx.env.store.get<MemberRecord>(COLL.instances, ctx, id);
  if (!m) throw asErrors.instanceNotFound(id);
  return structuredClone(m) as MemberRecord;
}

function memberOf(ctx: RequestContext, group: string, id: string): MemberRecord {
  const m = ctx.env.store.get<MemberRecord>(COLL.instances, ctx, id);
  if (!m || m.AutoScalingGroupName !== group) throw asErrors.validation(`The instance ${id} is not part of Auto Scaling group ${group}.`);
  return structuredClone(m) as MemberRecord;
}

const put = (ctx: RequestContext, m: MemberRecord) => ctx.env.store.put(COLL.instances, ctx, m.InstanceId, m);

function minViolation(g: DeepReadonly<GroupRecord>): Error {
  return asErrors.validation(
    `Currently, desiredSize equals minSize (${g.MinSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
  );
}

export const instanceHandlers = {
  DescribeAutoScalingInstances(input: { InstanceIds?: string[]; MaxRecords?: number; NextToken?: string }, ctx: RequestContext) {
    let list = ctx.env.store.list<MemberRecord>(COLL.instances, ctx).filter((m) => m.LifecycleState !== 'Terminated' && m.LifecycleState !== 'Detached');
    if (input.InstanceIds?.length) list = list.filter((m) => input.InstanceIds!.includes(m.InstanceId));
    const sorted = [...list].sort((a, b) => a.InstanceId.localeCompare(b.InstanceId));
    const { items, NextToken } = pageOf(sorted, input.NextToken, input.MaxRecords, 50, 50);
    return { AutoScalingInstances: items.map((m) => ({ ...memberView(m), AutoScalingGroupName: m.AutoScalingGroupName })), NextToken };
  },

  SetInstanceHealth(input: { InstanceId: string; HealthStatus: string; ShouldRespectGracePeriod?: boolean }, ctx: RequestContext) {
    const m = findMember(ctx, input.InstanceId);
    if (input.HealthStatus !== 'Healthy' && input.HealthStatus !== 'Unhealthy') {
      throw asErrors.validation(`Invalid health status ${input.HealthStatus}. Valid values are Healthy and Unhealthy.`);
    }
    const g = liveGroup(ctx, m.AutoScalingGroupName);
    const now = ctx.env.clock.now();
    if (input.HealthStatus === m.HealthStatus || !counts(m)) return {};
    // By default the call respects the grace period: an instance still in it keeps its health.
    const inGrace = m.LifecycleState !== 'InService' || now < (m.inServiceAt ?? m.launchedAt) + g.HealthCheckGracePeriod * 1000;
    if (input.HealthStatus === 'Unhealthy' && (input.ShouldRespectGracePeriod ?? true) && inGrace && g.HealthCheckGracePeriod > 0) return {};
    m.HealthStatus = input.HealthStatus;
    if (input.HealthStatus === 'Unhealthy') m.unhealthyCause = causes.userHealthCheck(now);
    else delete m.unhealthyCause;
    put(ctx, m);
    ctx.env.events.emit('autoscaling.instance.health', { account: ctx.account, region: ctx.region, group: m.AutoScalingGroupName, instanceId: m.InstanceId, health: m.HealthStatus, zone: m.AvailabilityZone, reason: m.unhealthyCause ?? 'a user request' });
    queueGroup(ctx.env, ctx, m.AutoScalingGroupName);
    return {};
  },

  SetInstanceProtection(input: { InstanceIds: string[]; AutoScalingGroupName: string; ProtectedFromScaleIn: boolean }, ctx: RequestContext) {
    liveGroup(ctx, input.AutoScalingGroupName);
    const members = input.InstanceIds.map((id) => memberOf(ctx, input.AutoScalingGroupName, id));
    for (const m of members) {
      m.ProtectedFromScaleIn = input.ProtectedFromScaleIn;
      put(ctx, m);
    }
    return {};
  },

  TerminateInstanceInAutoScalingGroup(input: { InstanceId: string; ShouldDecrementDesiredCapacity: boolean }, ctx: RequestContext) {
    const m = findMember(ctx, input.InstanceId);
    const g = liveGroup(ctx, m.AutoScalingGroupName);
    if (!counts(m)) {
      // Already on its way out: the call answers with the activity under way.
      const a = m.exitActivityId ? ctx.env.store.get(COLL.activities, ctx, m.exitActivityId) : undefined;
      if (a) return { Activity: activityView(a as never) };
      throw asErrors.validation(`The instance ${m.InstanceId} is not in a state from which it can be terminated (${m.LifecycleState}).`);
    }
    const now = ctx.env.clock.now();
    let cause = sentence(now, `instance ${m.InstanceId} was taken out of service in response to a user request.`);
    if (input.ShouldDecrementDesiredCapacity) {
      if (g.DesiredCapacity - 1 < g.MinSize) throw minViolation(g);
      cause = sentence(now, `instance ${m.InstanceId} was taken out of service in response to a user request, shrinking the capacity from ${g.DesiredCapacity} to ${g.DesiredCapacity - 1}.`);
      g.DesiredCapacity -= 1;
    }
    if (m.LifecycleState.startsWith('Pending')) updateActivity(ctx.env, ctx, m.launchActivityId, 'Cancelled', 100, 'The instance was terminated before it entered service.');
    m.LifecycleState = 'Terminating';
    m.actions = undefined;
    const a = startActivity(ctx.env, ctx, g, {
      description: `Terminating EC2 instance: ${m.InstanceId}`,
      cause,
      statusCode: 'InProgress',
      progress: 0,
      details: subnetDetails(m.subnetId, m.AvailabilityZone),
      instanceId: m.InstanceId,
    });
    m.exitActivityId = a.ActivityId;
    put(ctx, m);
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return { Activity: activityView(a) };
  },

  AttachInstances(input: { InstanceIds?: string[]; AutoScalingGroupName: string }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const ids = [...new Set(input.InstanceIds ?? [])];
    const zones = groupZones(ctx.env, ctx, g);
    const insts = ids.map((id) => {
      const inst = ctx.env.store.get<InstanceRecord>(EC2.instances, ctx, id);
      if (!inst) throw asErrors.validation(`Instance ${id} is not valid: it does not exist.`);
      if (inst.State.Name !== 'running') throw asErrors.validation(`Instance ${id} is not in correct state: it is ${inst.State.Name}, and only running instances can be attached.`);
      const owner = inst.Tags.find((t) => t.Key === GROUP_TAG)?.Value ?? ctx.env.store.get<MemberRecord>(COLL.instances, ctx, id)?.AutoScalingGroupName;
      if (owner) throw asErrors.validation(`Instance ${id} is already part of Auto Scaling group ${owner}.`);
      const inSubnet = g.subnets.length ? g.subnets.includes(inst.SubnetId ?? '') : zones.has(inst.Placement.AvailabilityZone);
      if (!inSubnet) throw asErrors.validation(`Instance ${id} is not in a subnet or Availability Zone of Auto Scaling group ${g.AutoScalingGroupName}.`);
      return inst;
    });
    const to = g.DesiredCapacity + insts.length;
    if (to > g.MaxSize) throw asErrors.validation(`New SetDesiredCapacity value ${to} is above max value ${g.MaxSize} for the AutoScalingGroup.`);
    const now = ctx.env.clock.now();
    g.memberIds ??= membersOf(ctx.env, ctx, g.AutoScalingGroupName).map((m) => m.InstanceId);
    for (const [i, inst] of insts.entries()) {
      const from = g.DesiredCapacity;
      g.DesiredCapacity += 1;
      const cause = joinCause(
        sentence(now, `a user request attached instance ${inst.InstanceId} to the group, increasing the desired capacity from ${from} to ${g.DesiredCapacity}.`),
        i === insts.length - 1 ? sentence(now, `an instance was added in response to user request. Keeping the capacity at the new desired capacity ${to}.`) : undefined,
      );
      const a = startActivity(ctx.env, ctx, g, {
        description: `Attaching an existing EC2 instance: ${inst.InstanceId}`,
        cause,
        statusCode: 'Successful',
        progress: 100,
        details: subnetDetails(inst.SubnetId, inst.Placement.AvailabilityZone),
        instanceId: inst.InstanceId,
        done: true,
      });
      tagInstance(ctx.env, ctx, inst.InstanceId, g.AutoScalingGroupName);
      put(ctx, {
        InstanceId: inst.InstanceId,
        AutoScalingGroupName: g.AutoScalingGroupName,
        AvailabilityZone: inst.Placement.AvailabilityZone,
        ...(inst.Placement.AvailabilityZoneId ? { AvailabilityZoneId: inst.Placement.AvailabilityZoneId } : {}),
        LifecycleState: 'InService',
        HealthStatus: 'Healthy',
        ProtectedFromScaleIn: g.NewInstancesProtectedFromScaleIn,
        InstanceType: inst.InstanceType,
        ImageId: inst.ImageId,
        subnetId: inst.SubnetId,
        launchedAt: now,
        inServiceAt: now,
        launchActivityId: a.ActivityId,
      });
      g.memberIds.push(inst.InstanceId);
    }
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return {};
  },

  DetachInstances(input: { InstanceIds?: string[]; AutoScalingGroupName: string; ShouldDecrementDesiredCapacity: boolean }, ctx: RequestContext) {
    const g = liveGroup(ctx, input.AutoScalingGroupName);
    const members = [...new Set(input.InstanceIds ?? [])].map((id) => memberOf(ctx, g.AutoScalingGroupName, id));
    for (const m of members) {
      if (m.LifecycleState !== 'InService') throw asErrors.validation(`The instance ${m.InstanceId} is not in InService or Standby.`);
    }
    if (input.ShouldDecrementDesiredCapacity && g.DesiredCapacity - members.length < g.MinSize) throw minViolation(g);
    const now = ctx.env.clock.now();
    const activities = members.map((m) => {
      const from = g.DesiredCapacity;
      if (input.ShouldDecrementDesiredCapacity) g.DesiredCapacity -= 1;
      const cause = input.ShouldDecrementDesiredCapacity
        ? sentence(now, `instance ${m.InstanceId} was detached in response to a user request, shrinking the capacity from ${from} to ${g.DesiredCapacity}.`)
        : sentence(now, `instance ${m.InstanceId} was detached in response to a user request.`);
      const a = startActivity(ctx.env, ctx, g, {
        description: `Detaching EC2 instance: ${m.InstanceId}`,
        cause,
        statusCode: 'InProgress',
        progress: 50,
        details: subnetDetails(m.subnetId, m.AvailabilityZone),
        instanceId: m.InstanceId,
      });
      m.LifecycleState = 'Detaching';
      m.exitActivityId = a.ActivityId;
      m.detachOnly = !input.ShouldDecrementDesiredCapacity;
      put(ctx, m);
      return activityView(a);
    });
    ctx.env.store.put(COLL.groups, ctx, g.AutoScalingGroupName, g);
    queueGroup(ctx.env, ctx, g.AutoScalingGroupName);
    return { Activities: activities };
  },
};
