/**
 * The group loop: one reconcile per group, level-triggered and idempotent, requeued every health
 * check interval (10 s while busy, 30 s when settled; sooner when a lifecycle timeout, a launch
 * backoff, a grace period or a cooldown ends).
 * Each pass reads the group and its instances and closes the gap:
 *
 * 1. moves each instance along its lifecycle (Pending → [Pending:Wait →] InService;
 *    Terminating → [Terminating:Wait →] Terminating:Proceed → Terminated), reading EC2's state;
 * 2. a group being deleted terminates what is left, then disappears with its policies, hooks and
 *    scheduled actions;
 * 3. health checks mark instances Unhealthy (health.ts); unhealthy ones are terminated, which
 *    leaves the group short, so step 4 launches their replacements: terminate, then launch;
 * 4. fewer instances than desired: launch into the zone with the fewest, skipping zones whose
 *    launches fail (a failed activity, and a backoff before that zone is tried again);
 *    more than desired: terminate by the termination policies, sparing protected instances;
 *    as many as desired but zones unbalanced: launch one in the emptiest zone, and once it is in
 *    service the group is over capacity and terminates one in the fullest: launch first, then
 *    terminate;
 * 5. a simple scaling cooldown starts once the group has settled.
 *
 * Suspended processes switch the matching steps off. Everything that changes an instance or an
 * activity also goes to the event log.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { putMetric } from '../cloudwatch/metrics.provider.ts';
import { loopContext } from '../ec2/scoped.ts';
import { causes, joinCause, retireActivities, startActivity, subnetDetails, updateActivity } from './activities.ts';
import { HEALTH_CHECK_INTERVAL_MS, healthProblem, nextHealthEvent, SETTLED_CHECK_INTERVAL_MS } from './health.ts';
import { deleteRefreshes, launchingGroup, stepRefresh } from './instance-refresh.ts';
import { ec2Instance, launchInstance, newMember, terminateInstance, untagInstance, ZONAL_REFUSALS, type Launched } from './launch.ts';
import { atDesired, capacityOf, launchMixed, scaleInCandidates, unitsOf, type MixedLaunch } from './mixed-instances.ts';
import { beginLifecycleActions, LAUNCHING, nextLifecycleTimeout, settleLifecycleActions, TERMINATING } from './lifecycle.ts';
import { clearLaunchFailure, groupZones, nextRetry, pickLaunchZone, pickSubnet, rebalanceTarget, recordLaunchFailure, zoneCounts } from './placement.ts';
import { childKey, COLL, isSuspended, parseScopedKey, type GroupRecord, type LaunchConfigurationRecord, type MemberRecord, type PolicyRecord } from './state.ts';
import { deleteOwnedAlarms } from './target-tracking.ts';
import { attached, attachmentsSettled, deregisterMember, elbHealthProblem, hasElbCheck, launchBlocker, progressAttachments, registerMember } from './traffic-sources.ts';
import { chooseForScaleIn } from './termination-policy.ts';
import { atRisk, rebalanceCapacity, replacingSpot } from './capacity-rebalance.ts';
import { returnToWarmPool, takeFromWarmPool, tendWarmPool, warmPoolSettled } from './warm-pool.ts';

/** States that count toward the group's capacity. */
const COUNTED = new Set(['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService']);
export const counts = (m: DeepReadonly<MemberRecord>): boolean => COUNTED.has(m.LifecycleState);

/** What one pass works on. Members are private copies, written back at the end. */
export interface Pass {
  env: Env;
  scope: Scope;
  group: GroupRecord;
  now: number;
  members: MemberRecord[];
  removed: Set<string>;
  wake: number[];
}

const emit = (p: Pass, type: string, detail: Record<string, unknown>) =>
  p.env.events.emit(type, { account: p.scope.account, region: p.scope.region, group: p.group.AutoScalingGroupName, ...detail });

/** A group's instances, through the ids the group keeps (groups stored before those ids existed are scanned for). */
export function membersOf(env: Env, scope: Scope, group: string): DeepReadonly<MemberRecord>[] {
  const ids = env.store.get<GroupRecord>(COLL.groups, scope, group)?.memberIds;
  if (!ids) return env.store.list<MemberRecord>(COLL.instances, scope).filter((m) => m.AutoScalingGroupName === group);
  return ids.map((id) => env.store.get<MemberRecord>(COLL.instances, scope, id)).filter((m): m is DeepReadonly<MemberRecord> => m?.AutoScalingGroupName === group);
}

// ---- 1. lifecycle ----

/**
 * Puts a launched instance in service, registering it first with the group's load balancers and
 * target groups (unless AddToLoadBalancer is suspended). A source deleted since the launch
 * began fails the launch, and the instance is terminated.
 */
function enterService(p: Pass, m: MemberRecord): void {
  const failure = isSuspended(p.group, 'AddToLoadBalancer') ? undefined : registerMember(p.env, p.scope, p.group, m);
  if (failure) {
    updateActivity(p.env, p.scope, m.launchActivityId, 'Failed', 100, failure);
    m.skipHooks = true;
    m.LifecycleState = 'Terminating:Proceed';
    m.actions = undefined;
    terminateInstance(p.env, p.scope, m.InstanceId);
    emit(p, 'autoscaling.launch-failed', { instanceId: m.InstanceId, zone: m.AvailabilityZone, message: failure });
    return;
  }
  m.LifecycleState = 'InService';
  m.inServiceAt = p.now;
  m.actions = undefined;
  updateActivity(p.env, p.scope, m.launchActivityId, 'Successful', 100);
  emit(p, 'autoscaling.instance.in-service', { instanceId: m.InstanceId, zone: m.AvailabilityZone });
}

function proceedTermination(p: Pass, m: MemberRecord): void {
  m.LifecycleState = 'Terminating:Proceed';
  m.actions = undefined;
  updateActivity(p.env, p.scope, m.exitActivityId, 'InProgress', 50);
  terminateInstance(p.env, p.scope, m.InstanceId);
}

function abandonLaunch(p: Pass, m: MemberRecord): void {
  const token = m.actions?.find((a) => a.result === 'ABANDON')?.token ?? '';
  updateActivity(
    p.env,
    p.scope,
    m.launchActivityId,
    'Cancelled',
    100,
    `Instance failed to complete user's Lifecycle Action: Lifecycle Action with token ${token} was abandoned: Lifecycle Action Completed with ABANDON Result`,
  );
  m.skipHooks = true;
  m.LifecycleState = 'Terminating:Proceed';
  m.actions = undefined;
  terminateInstance(p.env, p.scope, m.InstanceId);
  emit(p, 'autoscaling.launch-abandoned', { instanceId: m.InstanceId });
}

function advance(p: Pass, m: MemberRecord): void {
  const { env, scope, now } = p;
  switch (m.LifecycleState) {
    case 'Pending': {
      if (ec2Instance(env, scope, m.InstanceId)?.State.Name !== 'running') return;
      if (beginLifecycleActions(env, scope, m, LAUNCHING)) {
        m.LifecycleState = 'Pending:Wait';
        updateActivity(env, scope, m.launchActivityId, 'MidLifecycleAction', 40);
        emit(p, 'autoscaling.instance.lifecycle', { instanceId: m.InstanceId, state: m.LifecycleState });
      } else enterService(p, m);
      return;
    }
    case 'Pending:Wait': {
      const result = settleLifecycleActions(env, scope, m, now);
      if (result === 'CONTINUE') {
        m.LifecycleState = 'Pending:Proceed';
        enterService(p, m);
      } else if (result === 'ABANDON') abandonLaunch(p, m);
      return;
    }
    case 'Terminating': {
      const state = ec2Instance(env, scope, m.InstanceId)?.State.Name;
      const alive = state !== undefined && state !== 'terminated' && state !== 'shutting-down';
      // Out of the load balancers first; a live instance's termination waits for the draining.
      if (alive && draining(p, m, m.exitActivityId, 50)) return;
      if (alive && !m.skipHooks && beginLifecycleActions(env, scope, m, TERMINATING)) {
        m.LifecycleState = 'Terminating:Wait';
        updateActivity(env, scope, m.exitActivityId, 'MidLifecycleAction', 50);
        emit(p, 'autoscaling.instance.lifecycle', { instanceId: m.InstanceId, state: m.LifecycleState });
      } else proceedTermination(p, m);
      return advance(p, m);
    }
    case 'Terminating:Wait':
      if (m.skipHooks || settleLifecycleActions(env, scope, m, now)) {
        proceedTermination(p, m);
        advance(p, m);
      }
      return;
    case 'Terminating:Proceed': {
      const inst = ec2Instance(env, scope, m.InstanceId);
      if (inst && inst.State.Name !== 'terminated') return;
      m.LifecycleState = 'Terminated';
      updateActivity(env, scope, m.exitActivityId, 'Successful', 100);
      emit(p, 'autoscaling.instance.terminated', { instanceId: m.InstanceId, zone: m.AvailabilityZone });
      p.removed.add(m.InstanceId);
      return;
    }
    case 'Detaching':
      if (draining(p, m, m.exitActivityId, 50)) return;
      m.LifecycleState = 'Detached';
      untagInstance(env, scope, m.InstanceId);
      updateActivity(env, scope, m.exitActivityId, 'Successful', 100);
      emit(p, 'autoscaling.instance.detached', { instanceId: m.InstanceId });
      p.removed.add(m.InstanceId);
      return;
    default:
      return;
  }
}

/**
 * Deregisters a leaving instance from the group's load balancers and target groups (once), and
 * says whether it must still wait for their draining: its activity shows
 * WaitingForELBConnectionDraining until then.
 */
function draining(p: Pass, m: MemberRecord, activityId: string | undefined, progress: number): boolean {
  m.drainedAt ??= deregisterMember(p.env, p.scope, p.group, m.InstanceId, p.now);
  if (p.now >= m.drainedAt) return false;
  updateActivity(p.env, p.scope, activityId, 'WaitingForELBConnectionDraining', progress);
  p.wake.push(m.drainedAt);
  return true;
}

/** Takes an instance out of service: a Terminating activity now, EC2's termination after any hooks. */
export function startTermination(p: Pass, m: MemberRecord, cause: string): void {
  if (m.LifecycleState.startsWith('Pending')) updateActivity(p.env, p.scope, m.launchActivityId, 'Cancelled', 100, 'The instance was terminated before it entered service.');
  m.LifecycleState = 'Terminating';
  m.actions = undefined;
  const a = startActivity(p.env, p.scope, p.group, {
    description: `Terminating EC2 instance: ${m.InstanceId}`,
    cause,
    statusCode: 'InProgress',
    progress: 0,
    details: subnetDetails(m.subnetId, m.AvailabilityZone),
    instanceId: m.InstanceId,
  });
  m.exitActivityId = a.ActivityId;
  advance(p, m);
}

// ---- 2. deletion ----

function finishDeletion(p: Pass): void {
  const { env, scope, group } = p;
  const name = group.AutoScalingGroupName;
  const ctx = loopContext(env, scope);
  for (const pol of env.store.list<PolicyRecord>(COLL.policies, scope).filter((x) => x.AutoScalingGroupName === name)) {
    deleteOwnedAlarms(ctx, pol);
    env.store.delete(COLL.policies, scope, childKey(name, pol.PolicyName));
  }
  for (const coll of [COLL.scheduledActions, COLL.lifecycleHooks]) {
    for (const rec of env.store.list<{ AutoScalingGroupName: string; ScheduledActionName?: string; LifecycleHookName?: string }>(coll, scope)) {
      if (rec.AutoScalingGroupName === name) env.store.delete(coll, scope, childKey(name, (rec.ScheduledActionName ?? rec.LifecycleHookName)!));
    }
  }
  retireActivities(env, scope, name);
  deleteRefreshes(env, scope, name);
  env.store.delete(COLL.groups, scope, name);
  emit(p, 'autoscaling.group.deleted', {});
}

// ---- 3. health ----

function checkHealth(p: Pass): void {
  const { env, scope, group, now } = p;
  if (isSuspended(group, 'HealthCheck')) return;
  for (const m of p.members) {
    if (!counts(m) || m.HealthStatus === 'Unhealthy') continue;
    const inst = ec2Instance(env, scope, m.InstanceId);
    const problem = healthProblem(group, m, inst, now) ?? elbHealthProblem(env, scope, group, m, now);
    if (problem) {
      m.HealthStatus = 'Unhealthy';
      m.unhealthyCause = problem;
      emit(p, 'autoscaling.instance.health', { instanceId: m.InstanceId, health: 'Unhealthy', zone: m.AvailabilityZone, reason: problem });
    } else {
      const t = nextHealthEvent(group, m, inst, now);
      if (t) p.wake.push(t);
    }
  }
}

function replaceUnhealthy(p: Pass): void {
  const { env, scope, group, now } = p;
  if (isSuspended(group, 'ReplaceUnhealthy') || isSuspended(group, 'Terminate')) return;
  // Dead instances go at once; running but unhealthy ones in batches of at most 10 % of desired.
  const batch = Math.max(1, Math.floor(group.DesiredCapacity / 10));
  let replacing = p.members.filter((m) => m.LifecycleState.startsWith('Terminating') && m.HealthStatus === 'Unhealthy' && ec2Instance(env, scope, m.InstanceId)?.State.Name === 'running').length;
  for (const m of p.members) {
    if (!counts(m) || m.HealthStatus !== 'Unhealthy') continue;
    const running = ec2Instance(env, scope, m.InstanceId)?.State.Name === 'running';
    if (running && replacing >= batch) continue;
    if (running) replacing++;
    startTermination(p, m, m.unhealthyCause ?? causes.userHealthCheck(now));
  }
}

// ---- 4. capacity ----

function launch(p: Pass, wanted: number, cause: (from: number, to: number) => string, rebalanceZone?: string): number {
  const { env, scope, group, now } = p;
  const zones = groupZones(env, scope, group);
  const counted = p.members.filter(counts);
  const tally = zoneCounts(zones, counted);
  const failed = new Set<string>();
  // In capacity units: instances, or the weights of a mixed instances group's types.
  const from = capacityOf(counted);
  let launched = 0;
  while (launched < wanted) {
    const zone = rebalanceZone && launched === 0 && !failed.has(rebalanceZone) ? rebalanceZone : pickLaunchZone(group, tally, now, failed);
    if (!zone || failed.has(zone)) break;
    const subnet = pickSubnet(zones, zone);
    const text = cause(from, from + wanted);
    const failLaunch = (statusMessage: string, detail: Record<string, unknown>) => {
      startActivity(env, scope, group, {
        description: `Launching a new EC2 instance.  Status Reason: ${statusMessage}`,
        cause: text,
        statusCode: 'Failed',
        statusMessage,
        progress: 100,
        details: subnetDetails(subnet, zone),
        done: true,
      });
      emit(p, 'autoscaling.launch-failed', { zone, subnetId: subnet ?? null, ...detail });
      recordLaunchFailure(group, zone, now);
      failed.add(zone);
    };
    // A load balancer or target group that is gone fails every launch before EC2 is asked.
    const blocker = launchBlocker(env, scope, group);
    if (blocker) {
      failLaunch(blocker, { message: blocker });
      break;
    }
    try {
      // An instance refresh launches its desired configuration.
      const from = launchingGroup(env, scope, group);
      const l: Launched & Partial<MixedLaunch> = from.MixedInstancesPolicy
        ? launchMixed(env, scope, from, p.members.filter(counts), subnet, zone, (instanceType, e) => emit(p, 'autoscaling.launch-type-refused', { zone, instanceType, code: e.code, message: e.message }))
        : launchInstance(env, scope, from, subnet, zone);
      const a = startActivity(env, scope, group, {
        description: `Launching a new EC2 instance: ${l.instanceId}`,
        cause: text,
        statusCode: 'PreInService',
        progress: 30,
        details: subnetDetails(subnet, zone),
        instanceId: l.instanceId,
      });
      const m: MemberRecord = {
        ...newMember(group, l, { zone, subnetId: subnet, now, activityId: a.ActivityId }, 'Pending'),
        ...(rebalanceZone ? { rebalance: true } : {}),
      };
      p.members.push(m);
      clearLaunchFailure(group, zone);
      tally.set(zone, (tally.get(zone) ?? 0) + 1);
      launched += unitsOf(m);
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      const reason = /[.!?]$/.test(e.message) ? e.message : `${e.message}.`;
      failLaunch(`${reason} Launching EC2 instance failed.`, { code: e.code, message: e.message });
      // Only a zone's capacity or offerings are worth trying elsewhere (any other refusal would
      // repeat in every zone), and a rebalancing launch is for its zone only.
      if (!ZONAL_REFUSALS.has(e.code) || rebalanceZone) break;
    }
  }
  return launched;
}

/** Terminates down to the desired capacity, never below it (a mixed group's weights may leave it above). */
/** Takes the group down to `desired` units (the desired capacity, plus what an instance refresh may hold above it). */
function scaleIn(p: Pass, desired: number, cause: string): void {
  const { env, scope, group, now } = p;
  const zones = groupZones(env, scope, group);
  for (;;) {
    const pool = scaleInCandidates(group, p.members.filter(counts), desired);
    // Instances in zones the group no longer uses go first.
    const strays = pool.filter((m) => !zones.has(m.AvailabilityZone) && !m.ProtectedFromScaleIn);
    const victim = chooseForScaleIn(strays.length ? strays : pool, {
      group,
      now,
      launchConfigurationCreated: (name) => env.store.get<LaunchConfigurationRecord>(COLL.launchConfigurations, scope, name)?.createdAt,
    });
    if (!victim) return;
    if (!returnToWarmPool(p, victim as MemberRecord)) startTermination(p, victim as MemberRecord, cause);
  }
}

/** `surge`: instances an instance refresh may hold above the desired capacity. */
function reconcileCapacity(p: Pass, surge: number): void {
  const { env, scope, group, now } = p;
  const counted = p.members.filter(counts);
  const desired = group.DesiredCapacity + surge;
  const capacity = capacityOf(counted);
  if (capacity < desired) {
    if (isSuspended(group, 'Launch')) return;
    const cause = (from: number, to: number) => joinCause(group.capacityCause, causes.launchForCapacity(now, from, to));
    // A warm pool serves first; what it cannot is launched.
    const served = takeFromWarmPool(p, desired - capacity, cause, capacity);
    launch(p, desired - capacity - served, cause);
  } else if (!atDesired(group, counted, desired)) {
    if (isSuspended(group, 'Terminate')) return;
    // Rebalancing launches first: terminate only once the new instance is in service.
    if (counted.some((m) => m.rebalance && m.LifecycleState.startsWith('Pending')) || replacingSpot(counted)) return;
    const rebalancing = counted.some((m) => m.rebalance);
    for (const m of counted) delete m.rebalance;
    scaleIn(p, desired, joinCause(rebalancing ? undefined : group.capacityCause, causes.terminateForCapacity(now, capacity, desired)));
  } else {
    const target = rebalanceZone(env, scope, group, p.members, now);
    if (!target) return;
    const others = [...groupZones(env, scope, group).keys()].filter((z) => z !== target).sort();
    launch(p, 1, () => causes.rebalanceLaunch(now, target, others), target);
  }
}

/**
 * The zone a group at its desired capacity should launch into to even out its zones, if any:
 * only when every instance is in service, rebalancing is not suspended, and the extra instance
 * stays within MaxSize plus 10 % (at least 1).
 */
function rebalanceZone(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>, members: readonly DeepReadonly<MemberRecord>[], now: number): string | undefined {
  if ((['AZRebalance', 'Launch', 'Terminate'] as const).some((x) => isSuspended(group, x))) return undefined;
  if (members.some((m) => m.LifecycleState !== 'InService')) return undefined;
  if (members.length + 1 > group.MaxSize + Math.max(1, Math.floor(group.MaxSize / 10))) return undefined;
  return rebalanceTarget(group, groupZones(env, scope, group), members, now);
}

// ---- 5. cooldown, metrics ----

function settle(p: Pass): void {
  const { group, now } = p;
  const counted = p.members.filter(counts);
  const busy = p.members.some((m) => m.LifecycleState !== 'InService');
  const done = atDesired(group, counted);
  if (done) delete group.capacityCause;
  if (group.cooldownPending && !busy && done) {
    group.cooldownUntil = now + group.cooldownPending.seconds * 1000;
    delete group.cooldownPending;
  }
  if (group.cooldownUntil && group.cooldownUntil > now) p.wake.push(group.cooldownUntil);
}

const GROUP_METRICS: Record<string, (g: DeepReadonly<GroupRecord>, m: readonly DeepReadonly<MemberRecord>[]) => number> = {
  GroupMinSize: (g) => g.MinSize,
  GroupMaxSize: (g) => g.MaxSize,
  GroupDesiredCapacity: (g) => g.DesiredCapacity,
  GroupInServiceInstances: (_, m) => m.filter((x) => x.LifecycleState === 'InService').length,
  GroupPendingInstances: (_, m) => m.filter((x) => x.LifecycleState.startsWith('Pending')).length,
  GroupStandbyInstances: () => 0,
  GroupTerminatingInstances: (_, m) => m.filter((x) => x.LifecycleState.startsWith('Terminating')).length,
  GroupTotalInstances: (_, m) => m.length,
  GroupInServiceCapacity: (_, m) => capacityOf(m.filter((x) => x.LifecycleState === 'InService')),
  GroupPendingCapacity: (_, m) => capacityOf(m.filter((x) => x.LifecycleState.startsWith('Pending'))),
  GroupStandbyCapacity: () => 0,
  GroupTerminatingCapacity: (_, m) => capacityOf(m.filter((x) => x.LifecycleState.startsWith('Terminating'))),
  GroupTotalCapacity: (_, m) => capacityOf(m),
};
export const GROUP_METRIC_NAMES = Object.keys(GROUP_METRICS);

/** With metrics collection enabled, the group's AWS/AutoScaling metrics, once a minute. */
function publishMetrics(p: Pass): void {
  const { env, scope, group, now } = p;
  if (!group.EnabledMetrics.length) return;
  const minute = Math.floor(now / 60_000) * 60_000;
  if (group.metricsPublishedFor === minute) return;
  group.metricsPublishedFor = minute;
  const live = p.members.filter((m) => !p.removed.has(m.InstanceId));
  for (const { Metric } of group.EnabledMetrics) {
    const f = GROUP_METRICS[Metric];
    if (!f) continue;
    putMetric(env, scope, { Namespace: 'AWS/AutoScaling', MetricName: Metric, Dimensions: [{ Name: 'AutoScalingGroupName', Value: group.AutoScalingGroupName }], Value: f(group, live), Unit: 'None', Timestamp: minute });
  }
}

// ---- the loop ----

/**
 * Most passes find a settled group: every instance in service and healthy, as many as desired,
 * zones balanced, nothing pending. That is checked on the stored records without copying them,
 * and such a pass ends there, asking to run again at the next health check (or sooner, when a
 * grace period or a tolerated impairment ends). Returns that time, or undefined when the pass
 * has work to do.
 */
function settled(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>, members: readonly DeepReadonly<MemberRecord>[], now: number): number | undefined {
  if (group.deleting || group.capacityCause || group.cooldownPending || group.activeRefresh || !atDesired(group, members)) return undefined;
  if (!warmPoolSettled(env, scope, group)) return undefined;
  if (group.EnabledMetrics.length && group.metricsPublishedFor !== Math.floor(now / 60_000) * 60_000) return undefined;
  if (!attachmentsSettled(env, scope, group)) return undefined;
  const checking = !isSuspended(group, 'HealthCheck');
  // Load balancers' health is looked at every health check interval, as AWS's groups do.
  const elbChecks = checking && hasElbCheck(group) && attached(group).length > 0;
  const wake = [now + (elbChecks ? HEALTH_CHECK_INTERVAL_MS : SETTLED_CHECK_INTERVAL_MS)];
  for (const m of members) {
    if (m.LifecycleState !== 'InService' || m.HealthStatus !== 'Healthy' || m.rebalance || atRisk(env, scope, group, m)) return undefined;
    if (!checking) continue;
    const inst = ec2Instance(env, scope, m.InstanceId);
    if (healthProblem(group, m, inst, now) || (elbChecks && elbHealthProblem(env, scope, group, m, now))) return undefined;
    const t = nextHealthEvent(group, m, inst, now);
    if (t) wake.push(t);
  }
  if (rebalanceZone(env, scope, group, members, now)) return undefined;
  if (group.cooldownUntil && group.cooldownUntil > now) wake.push(group.cooldownUntil);
  const retry = nextRetry(group, now);
  if (retry) wake.push(retry);
  return Math.min(...wake);
}

/** Writes back what the pass changed; a pass that changed nothing writes nothing. */
function save(p: Pass): void {
  const { env, scope } = p;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  p.group.memberIds = p.members.filter((m) => !p.removed.has(m.InstanceId)).map((m) => m.InstanceId);
  for (const m of p.members) {
    if (p.removed.has(m.InstanceId)) env.store.delete(COLL.instances, scope, m.InstanceId);
    else if (!same(m, env.store.get(COLL.instances, scope, m.InstanceId))) env.store.put(COLL.instances, scope, m.InstanceId, m);
  }
  if (!same(p.group, env.store.get(COLL.groups, scope, p.group.AutoScalingGroupName))) env.store.put(COLL.groups, scope, p.group.AutoScalingGroupName, p.group);
}

export function groupLoop(env: Env) {
  return (key: string): number | void => {
    const { scope, name } = parseScopedKey(key);
    const stored = env.store.get<GroupRecord>(COLL.groups, scope, name);
    if (!stored) return;
    const now = env.clock.now();
    const current = membersOf(env, scope, name);
    const quiet = settled(env, scope, stored, current, now);
    if (quiet) return quiet - now;
    const group = structuredClone(stored) as GroupRecord;
    const p: Pass = { env, scope, group, now, members: current.map((m) => structuredClone(m) as MemberRecord), removed: new Set(), wake: [] };
    for (const m of p.members) advance(p, m);

    if (group.deleting) {
      const cause = joinCause(group.capacityCause, causes.terminateForCapacity(now, capacityOf(p.members.filter(counts)), 0));
      for (const m of p.members) {
        if (!counts(m)) continue;
        m.skipHooks = group.deleting.force;
        startTermination(p, m, cause);
      }
      tendWarmPool(p);
      if (p.members.every((m) => p.removed.has(m.InstanceId)) && !group.warmIds?.length) {
        for (const id of p.removed) env.store.delete(COLL.instances, scope, id);
        finishDeletion(p);
        return;
      }
    } else {
      p.wake.push(...progressAttachments(env, scope, group, p.members, now));
      checkHealth(p);
      replaceUnhealthy(p);
      rebalanceCapacity(p, launch, startTermination, counts);
      reconcileCapacity(p, stepRefresh(p, (m, cause) => startTermination(p, m, cause)));
      tendWarmPool(p);
      settle(p);
      publishMetrics(p);
    }
    save(p);
    for (const m of p.members) {
      const t = nextLifecycleTimeout(m);
      if (t) p.wake.push(t);
    }
    const retry = nextRetry(group, now);
    if (retry) p.wake.push(retry);
    const soonest = Math.min(now + HEALTH_CHECK_INTERVAL_MS, ...p.wake.filter((t) => t > now));
    return soonest - now;
  };
}
