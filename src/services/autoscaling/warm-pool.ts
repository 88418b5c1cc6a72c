/**
 * Warm pools (ec2-auto-scaling-warm-pools.html): instances launched ahead of need, kept stopped
 * (or running) beside the group, that a scale-out takes before it launches anything.
 *
 * - The pool holds max(MinSize, MaxGroupPreparedCapacity (else the group's MaxSize) − desired
 *   capacity) instances; the group loop launches into it, or terminates from it, to that size.
 * - A pool instance is launched as the group's own are, and goes Warmed:Pending → (stopped by EC2)
 *   Warmed:Stopped, or Warmed:Running, or Warmed:Hibernated (faultline stops it: EC2's
 *   hibernation is not emulated). Pool instances do not count toward the group's capacity.
 * - A scale-out takes ready pool instances first: a stopped one is started and goes through
 *   Pending to InService as a launch does; a running one is in service at the next pass.
 * - With ReuseOnScaleIn, a scale-in returns in-service instances to the pool instead of
 *   terminating them.
 * - During an instance refresh, the pool is refilled with the refresh's configuration, pool
 *   instances on another configuration are terminated, and a scale-out takes only those on it.
 *
 * Lifecycle hooks do not apply to pool transitions here (AWS runs launch hooks on the way into the
 * pool as Warmed:Pending:Wait); the launch hooks run when an instance leaves the pool for the group.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { instanceHandlers as ec2Handlers } from '../ec2/instances.provider.ts';
import { loopContext } from '../ec2/scoped.ts';
import { sentence, startActivity, subnetDetails, updateActivity } from './activities.ts';
import { counts, type Pass } from './group.loop.ts';
import { launchingGroup, matcher, sourceOf } from './instance-refresh.ts';
import { ec2Instance, launchInstance, newMember, terminateInstance } from './launch.ts';
import { groupZones, pickLaunchZone, pickSubnet, zoneCounts } from './placement.ts';
import { COLL, isSuspended, type GroupRecord, type MemberRecord, type WarmPoolRecord } from './state.ts';
import { deregisterMember } from './traffic-sources.ts';
import { byLaunch } from './views.ts';

const READY_STATE: Record<WarmPoolRecord['PoolState'], MemberRecord['LifecycleState']> = {
  Stopped: 'Warmed:Stopped',
  Running: 'Warmed:Running',
  Hibernated: 'Warmed:Hibernated',
};
const READY = new Set<string>(Object.values(READY_STATE));
const GONE = new Set(['shutting-down', 'terminated']);

/** The pool's instances. */
export const warmMembers = (env: Env, scope: Scope, group: DeepReadonly<GroupRecord>): DeepReadonly<MemberRecord>[] =>
  (group.warmIds ?? []).map((id) => env.store.get<MemberRecord>(COLL.instances, scope, id)).filter((m): m is DeepReadonly<MemberRecord> => !!m);

/** How many instances the pool should hold. */
export function poolSize(group: DeepReadonly<GroupRecord>): number {
  const wp = group.warmPool;
  if (!wp || wp.Status === 'PendingDelete' || group.deleting) return 0;
  return Math.max(wp.MinSize, (wp.MaxGroupPreparedCapacity ?? group.MaxSize) - group.DesiredCapacity);
}

/** Whether the pool needs no work: every instance ready and as many as it should hold. */
export function warmPoolSettled(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>): boolean {
  if (!group.warmPool && !group.warmIds?.length) return true;
  const members = warmMembers(env, scope, group);
  return !!group.warmPool && !group.warmPool.Status && members.length === poolSize(group) && members.every((m) => READY.has(m.LifecycleState));
}

/** During an instance refresh, whether a pool instance runs the refresh's configuration. */
const onLaunchConfiguration = (p: Pass): ((m: DeepReadonly<MemberRecord>) => boolean) =>
  p.group.activeRefresh ? matcher(p.env, p.scope, sourceOf(launchingGroup(p.env, p.scope, p.group))) : () => true;

/** Moves one pool instance along; returns false once it is gone. */
function advanceWarm(p: Pass, m: MemberRecord): boolean {
  const { env, scope, group } = p;
  const inst = ec2Instance(env, scope, m.InstanceId);
  if (m.LifecycleState === 'Warmed:Terminating') {
    terminateInstance(env, scope, m.InstanceId);
    if (inst && inst.State.Name !== 'terminated') return true;
    updateActivity(env, scope, m.exitActivityId, 'Successful', 100);
    return false;
  }
  // An instance stopped or terminated from outside is lost to the pool, which launches another.
  if (!inst || GONE.has(inst.State.Name)) return false;
  if (m.LifecycleState !== 'Warmed:Pending') return true;
  const ready = READY_STATE[group.warmPool?.PoolState ?? 'Stopped'];
  if (ready === 'Warmed:Running' ? inst.State.Name === 'running' : inst.State.Name === 'stopped') {
    m.LifecycleState = ready;
    updateActivity(env, scope, m.launchActivityId, 'Successful', 100);
    env.events.emit('autoscaling.warm-pool.ready', { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, instanceId: m.InstanceId, state: ready });
  } else if (ready !== 'Warmed:Running' && inst.State.Name === 'running') {
    ec2Handlers.StopInstances({ InstanceIds: [m.InstanceId] }, loopContext(env, scope));
  }
  return true;
}

function startWarmTermination(p: Pass, m: MemberRecord, why: string): void {
  m.LifecycleState = 'Warmed:Terminating';
  const a = startActivity(p.env, p.scope, p.group, {
    description: `Terminating EC2 instance from warm pool: ${m.InstanceId}`,
    cause: sentence(p.now, why),
    statusCode: 'InProgress',
    progress: 0,
    details: subnetDetails(m.subnetId, m.AvailabilityZone),
    instanceId: m.InstanceId,
  });
  m.exitActivityId = a.ActivityId;
  advanceWarm(p, m);
}

function launchIntoPool(p: Pass, members: MemberRecord[], wanted: number): void {
  const { env, scope, group, now } = p;
  const zones = groupZones(env, scope, group);
  // Spread over the zones with the group's own instances, so that what the pool serves keeps them balanced.
  const tally = zoneCounts(zones, [...p.members.filter(counts), ...members]);
  const from = members.length;
  for (let i = 0; i < wanted; i++) {
    const zone = pickLaunchZone(group, tally, now);
    if (!zone) return;
    const subnet = pickSubnet(zones, zone);
    let l;
    try {
      l = launchInstance(env, scope, launchingGroup(env, scope, group), subnet, zone);
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      // Tried again at the next pass; the group's own launches report capacity failures.
      env.events.emit('autoscaling.warm-pool.launch-failed', { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, zone, code: e.code, message: e.message });
      return;
    }
    const a = startActivity(env, scope, group, {
      description: `Launching a new EC2 instance into warm pool: ${l.instanceId}`,
      cause: sentence(now, `an instance was started in response to a difference between desired and actual warm pool capacity, increasing the capacity from ${from} to ${from + wanted}.`),
      statusCode: 'InProgress',
      progress: 30,
      details: subnetDetails(subnet, zone),
      instanceId: l.instanceId,
    });
    const m = newMember(group, l, { zone, subnetId: subnet, now, activityId: a.ActivityId }, 'Warmed:Pending');
    members.push(m);
    tally.set(zone, (tally.get(zone) ?? 0) + 1);
  }
}

/**
 * The pool's step of a group pass: moves its instances along, then launches into it or terminates
 * from it to its size. A pool being deleted (or whose group is) empties, then goes.
 */
export function tendWarmPool(p: Pass): void {
  const { env, scope, group } = p;
  if (!group.warmPool && !group.warmIds?.length) return;
  const members = warmMembers(env, scope, group).map((m) => structuredClone(m) as MemberRecord);
  const kept: MemberRecord[] = [];
  for (const m of members) {
    if (advanceWarm(p, m)) kept.push(m);
    else env.store.delete(COLL.instances, scope, m.InstanceId);
  }
  const current = onLaunchConfiguration(p);
  for (const m of kept) {
    if (m.LifecycleState !== 'Warmed:Terminating' && !current(m)) startWarmTermination(p, m, 'an instance was taken out of the warm pool in response to an instance refresh.');
  }
  const live = kept.filter((m) => m.LifecycleState !== 'Warmed:Terminating');
  const size = poolSize(group);
  if (live.length < size && !isSuspended(group, 'Launch')) launchIntoPool(p, kept, size - live.length);
  else if (live.length > size) {
    // Those not ready yet go first, then the newest.
    const order = [...live].sort((a, b) => Number(READY.has(a.LifecycleState)) - Number(READY.has(b.LifecycleState)) || b.launchedAt - a.launchedAt);
    for (const m of order.slice(0, live.length - size)) {
      startWarmTermination(p, m, `an instance was taken out of service in response to a difference between desired and actual warm pool capacity, shrinking the capacity from ${live.length} to ${size}.`);
    }
  }
  for (const m of kept) env.store.put(COLL.instances, scope, m.InstanceId, m);
  group.warmIds = kept.map((m) => m.InstanceId);
  if (group.warmPool?.Status === 'PendingDelete' && !group.warmIds.length) {
    delete group.warmPool;
    env.events.emit('autoscaling.warm-pool.deleted', { account: scope.account, region: scope.region, group: group.AutoScalingGroupName });
  }
  if (!group.warmIds.length) delete group.warmIds;
}

/**
 * Serves up to `wanted` of a scale-out from the pool: ready instances on the launch configuration,
 * oldest first, started if stopped, join the group as Pending. Returns how many it served.
 */
export function takeFromWarmPool(p: Pass, wanted: number, cause: (from: number, to: number) => string, from: number): number {
  const { env, scope, group, now } = p;
  if (!group.warmPool || group.warmPool.Status || wanted <= 0) return 0;
  const current = onLaunchConfiguration(p);
  const candidates = warmMembers(env, scope, group).filter((m) => READY.has(m.LifecycleState) && current(m)).sort(byLaunch);
  const tally = zoneCounts(groupZones(env, scope, group), p.members.filter(counts));
  const ready: DeepReadonly<MemberRecord>[] = [];
  while (ready.length < wanted && candidates.length) {
    // The zone with the fewest of the group's instances first, as a launch would choose.
    const i = candidates.reduce((best, m, j) => ((tally.get(m.AvailabilityZone) ?? 0) < (tally.get(candidates[best].AvailabilityZone) ?? 0) ? j : best), 0);
    const [w] = candidates.splice(i, 1);
    tally.set(w.AvailabilityZone, (tally.get(w.AvailabilityZone) ?? 0) + 1);
    ready.push(w);
  }
  for (const w of ready) {
    const m = structuredClone(w) as MemberRecord;
    if (ec2Instance(env, scope, m.InstanceId)?.State.Name === 'stopped') ec2Handlers.StartInstances({ InstanceIds: [m.InstanceId] }, loopContext(env, scope));
    const a = startActivity(env, scope, group, {
      description: `Launching a new EC2 instance from warm pool: ${m.InstanceId}`,
      cause: cause(from, from + wanted),
      statusCode: 'PreInService',
      progress: 30,
      details: subnetDetails(m.subnetId, m.AvailabilityZone),
      instanceId: m.InstanceId,
    });
    m.LifecycleState = 'Pending';
    m.launchActivityId = a.ActivityId;
    // It joins the group now: warm-up, instance refresh and termination policies count from here.
    m.launchedAt = now;
    p.members.push(m);
    env.events.emit('autoscaling.warm-pool.taken', { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, instanceId: m.InstanceId });
  }
  const taken = new Set(ready.map((m) => m.InstanceId));
  group.warmIds = (group.warmIds ?? []).filter((id) => !taken.has(id));
  return ready.length;
}

/**
 * With ReuseOnScaleIn, a scale-in returns an in-service instance to the pool (out of the load
 * balancers, then stopped) instead of terminating it. Returns whether it did.
 */
export function returnToWarmPool(p: Pass, m: MemberRecord): boolean {
  const { env, scope, group, now } = p;
  if (!group.warmPool?.InstanceReusePolicy?.ReuseOnScaleIn || group.warmPool.Status || m.LifecycleState !== 'InService') return false;
  deregisterMember(env, scope, group, m.InstanceId, now);
  const a = startActivity(env, scope, group, {
    description: `Moving EC2 instance to warm pool: ${m.InstanceId}`,
    cause: sentence(now, 'an instance was returned to the warm pool in response to a difference between desired and actual capacity.'),
    statusCode: 'InProgress',
    progress: 30,
    details: subnetDetails(m.subnetId, m.AvailabilityZone),
    instanceId: m.InstanceId,
  });
  m.LifecycleState = 'Warmed:Pending';
  m.launchActivityId = a.ActivityId;
  delete m.inServiceAt;
  p.members.splice(p.members.indexOf(m), 1);
  env.store.put(COLL.instances, scope, m.InstanceId, m);
  group.warmIds = [...(group.warmIds ?? []), m.InstanceId];
  return true;
}
