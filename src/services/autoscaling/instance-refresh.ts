/**
 * Instance refresh (ec2-auto-scaling-instance-refresh.html, API_StartInstanceRefresh.html): the
 * group loop replaces the group's instances in batches, one step per pass (`stepRefresh`):
 *
 * - the instances to replace are those in service when the refresh starts (with SkipMatching,
 *   only those not already on the target configuration), less those protected from scale-in
 *   unless ScaleInProtectedInstances is Refresh; an instance that joins later on another
 *   configuration is added;
 * - a batch starts only when no instance is launching or terminating and every replacement is
 *   in service, healthy and past its warm-up (InstanceWarmup, else the group's
 *   DefaultInstanceWarmup, else its HealthCheckGracePeriod);
 * - with MaxHealthyPercentage 100 (the default) a batch terminates as many old instances as keeps
 *   ceil(desired × MinHealthyPercentage / 100) healthy, at least one, and the group's capacity
 *   loop launches their replacements in the same pass: terminate, then launch. Above 100 the group
 *   first launches up to floor(desired × MaxHealthyPercentage / 100) (the "surge" the loop adds
 *   to the desired capacity), and terminates old instances once those are warm: launch, then
 *   terminate;
 * - a batch stops at the next checkpoint; there the refresh waits CheckpointDelay (3600 s by
 *   default). The last checkpoint is the share of the group to replace: reaching it ends the
 *   refresh, without a delay (asg-adding-checkpoints-instance-refresh.html);
 * - when nothing is left to replace it bakes for BakeTime, then succeeds, and the group takes the
 *   DesiredConfiguration; a rollback replaces, the same way, every instance not on the
 *   configuration the group had at the start;
 * - an alarm of the AlarmSpecification in ALARM fails the refresh (or rolls it back, with
 *   AutoRollback); ScaleInProtectedInstances Wait fails it after an hour of waiting for protected
 *   instances.
 *
 * While a refresh runs, every launch of the group (replacements, scale-outs) uses its target
 * configuration (`launchingGroup`).
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import { resolveLaunchTemplate } from '../ec2/launch-templates.provider.ts';
import { loopContext } from '../ec2/scoped.ts';
import { sentence } from './activities.ts';
import { counts as counted, type Pass } from './group.loop.ts';
import { COLL, isSuspended, type GroupRecord, type LaunchTemplateSpec, type MemberRecord } from './state.ts';
import { byLaunch } from './views.ts';

export type RefreshStatus = 'Pending' | 'InProgress' | 'Successful' | 'Failed' | 'Cancelling' | 'Cancelled' | 'RollbackInProgress' | 'RollbackFailed' | 'RollbackSuccessful' | 'Baking';

/** The statuses of a refresh that is still under way: a group has at most one. */
export const ACTIVE: ReadonlySet<RefreshStatus> = new Set(['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking']);

export interface Preferences {
  MinHealthyPercentage: number;
  MaxHealthyPercentage?: number;
  InstanceWarmup?: number;
  CheckpointPercentages?: number[];
  CheckpointDelay?: number;
  SkipMatching: boolean;
  AutoRollback: boolean;
  ScaleInProtectedInstances: 'Refresh' | 'Ignore' | 'Wait';
  StandbyInstances: 'Terminate' | 'Ignore' | 'Wait';
  AlarmSpecification?: { Alarms: string[] };
  BakeTime?: number;
}

export interface LaunchSource {
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
}

export interface RefreshRecord {
  InstanceRefreshId: string;
  AutoScalingGroupName: string;
  Strategy: 'Rolling';
  Status: RefreshStatus;
  StatusReason?: string;
  StartTime: string;
  EndTime?: string;
  PercentageComplete: number;
  InstancesToUpdate: number;
  Preferences: Preferences;
  DesiredConfiguration?: { LaunchTemplate: LaunchTemplateSpec };
  RollbackDetails?: { RollbackReason: string; RollbackStartTime: string; PercentageCompleteOnRollback: number; InstancesToUpdateOnRollback: number };

  // Internal.
  /** Clock ms the refresh (or its rollback) started: replacements are launched after it. */
  phaseStart: number;
  /** The group's launch source at the start: what a rollback returns to. */
  previous: LaunchSource;
  /** Ids of the instances still to replace. */
  pending: string[];
  /** How many instances the refresh (or its rollback) replaces in all. */
  total: number;
  checkpointsPassed: number;
  /** Clock ms when the checkpoint pause or the bake time ends. */
  waitUntil?: number;
  /** Cancelling: wait for the instances launching or terminating (WaitForTransitioningInstances). */
  waitForTransitioning?: boolean;
  /** Clock ms since which only instances protected from scale-in are left (ScaleInProtectedInstances Wait). */
  protectedWaitSince?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** How long ScaleInProtectedInstances Wait waits for protection to be removed. */
const PROTECTED_WAIT_MS = 3_600_000;

/** The launch source of a group (or of a refresh's desired configuration). */
export const sourceOf = (g: DeepReadonly<LaunchSource>): LaunchSource =>
  g.LaunchTemplate ? { LaunchTemplate: { ...g.LaunchTemplate } } : { LaunchConfigurationName: g.LaunchConfigurationName };

/** Whether a launch template version is an alias ($Latest, $Default, or none, which is $Default): a rollback cannot return to it. */
export const isAliasVersion = (s: LaunchSource): boolean => !!s.LaunchTemplate && !/^\d+$/.test(s.LaunchTemplate.Version ?? '');

/** What a refresh launches: its desired configuration (or the group's own); a rollback, the previous one. */
function targetOf(r: DeepReadonly<RefreshRecord>, group: DeepReadonly<GroupRecord>): LaunchSource {
  if (r.RollbackDetails) return sourceOf(r.previous);
  return sourceOf(r.DesiredConfiguration ?? group);
}

/** Whether an instance runs the launch source (the template version it names, resolved now). */
export function matcher(env: Env, scope: Scope, source: LaunchSource): (m: DeepReadonly<MemberRecord>) => boolean {
  const spec = source.LaunchTemplate;
  if (!spec) return (m) => !m.LaunchTemplate && m.LaunchConfigurationName === source.LaunchConfigurationName;
  try {
    const { template, version } = resolveLaunchTemplate(loopContext(env, scope), spec.LaunchTemplateId ? { LaunchTemplateId: spec.LaunchTemplateId, Version: spec.Version } : spec);
    return (m) => m.LaunchTemplate?.LaunchTemplateId === template.LaunchTemplateId && m.LaunchTemplate.Version === String(version.VersionNumber);
  } catch {
    // A template deleted since: nothing runs it.
    return () => false;
  }
}

/** Whether the refresh replaces this instance at all, given its scale-in protection. */
const replaceable = (r: DeepReadonly<RefreshRecord>, m: DeepReadonly<MemberRecord>) => !m.ProtectedFromScaleIn || r.Preferences.ScaleInProtectedInstances !== 'Ignore';

/** The instances a refresh (or its rollback) starts with. */
export function instancesToReplace(env: Env, scope: Scope, r: DeepReadonly<RefreshRecord>, group: DeepReadonly<GroupRecord>, members: readonly DeepReadonly<MemberRecord>[]): string[] {
  const matches = matcher(env, scope, targetOf(r, group));
  const all = !r.RollbackDetails && !r.Preferences.SkipMatching;
  return members.filter((m) => counted(m) && replaceable(r, m) && (all || !matches(m))).map((m) => m.InstanceId);
}

/** The group as a launch sees it: during a refresh, with the refresh's target configuration. */
export function launchingGroup(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>): DeepReadonly<GroupRecord> {
  const r = group.activeRefresh ? env.store.get<RefreshRecord>(COLL.instanceRefreshes, scope, group.activeRefresh) : undefined;
  if (!r || !ACTIVE.has(r.Status)) return group;
  const { LaunchConfigurationName: _lc, LaunchTemplate: _lt, ...rest } = group;
  return { ...rest, ...targetOf(r, group) } as DeepReadonly<GroupRecord>;
}

/** Starts rolling back: every instance not on the previous configuration is to be replaced. */
export function startRollback(env: Env, scope: Scope, r: RefreshRecord, group: DeepReadonly<GroupRecord>, members: readonly DeepReadonly<MemberRecord>[], reason: string): void {
  const now = env.clock.now();
  r.RollbackDetails = { RollbackReason: reason, RollbackStartTime: iso(now), PercentageCompleteOnRollback: 0, InstancesToUpdateOnRollback: 0 };
  r.Status = 'RollbackInProgress';
  delete r.StatusReason;
  delete r.waitUntil;
  delete r.protectedWaitSince;
  r.phaseStart = now;
  r.pending = instancesToReplace(env, scope, r, group, members);
  r.total = r.pending.length;
  r.RollbackDetails.InstancesToUpdateOnRollback = r.total;
  env.events.emit('autoscaling.instance-refresh.rollback', { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, instanceRefreshId: r.InstanceRefreshId, reason });
}

function setProgress(r: RefreshRecord, updated: number): void {
  const percentage = r.total ? Math.floor((updated * 100) / r.total) : 100;
  const left = r.total - updated;
  if (r.RollbackDetails) {
    r.RollbackDetails.PercentageCompleteOnRollback = percentage;
    r.RollbackDetails.InstancesToUpdateOnRollback = left;
  } else {
    r.PercentageComplete = percentage;
    r.InstancesToUpdate = left;
  }
}

function end(p: Pass, r: RefreshRecord, status: RefreshStatus, reason?: string): void {
  r.Status = status;
  if (reason) r.StatusReason = reason;
  else delete r.StatusReason;
  delete r.waitUntil;
  r.EndTime = iso(p.now);
  if (status === 'Successful' && r.DesiredConfiguration) {
    // The group takes the desired configuration once the refresh succeeds.
    delete p.group.LaunchConfigurationName;
    p.group.LaunchTemplate = { ...r.DesiredConfiguration.LaunchTemplate };
  }
  p.env.events.emit('autoscaling.instance-refresh.end', { account: p.scope.account, region: p.scope.region, group: p.group.AutoScalingGroupName, instanceRefreshId: r.InstanceRefreshId, status, reason: reason ?? null });
}

/** A failure: rolled back with AutoRollback (a refresh, not a rollback), else the end. */
function fail(p: Pass, r: RefreshRecord, reason: string): void {
  if (r.RollbackDetails) return end(p, r, 'RollbackFailed', reason);
  if (r.Preferences.AutoRollback) return startRollback(p.env, p.scope, r, p.group, p.members, reason);
  end(p, r, 'Failed', reason);
}

function complete(p: Pass, r: RefreshRecord): void {
  setProgress(r, r.total);
  if (r.RollbackDetails) return end(p, r, 'RollbackSuccessful');
  if (r.Status === 'InProgress' && r.Preferences.BakeTime) {
    r.Status = 'Baking';
    r.waitUntil = p.now + r.Preferences.BakeTime * 1000;
    p.wake.push(r.waitUntil);
    return;
  }
  end(p, r, 'Successful');
}

function firingAlarm(env: Env, scope: Scope, r: DeepReadonly<RefreshRecord>): string | undefined {
  return r.Preferences.AlarmSpecification?.Alarms.find((name) => env.store.get<AlarmRecord>(ALARMS, scope, name)?.StateValue === 'ALARM');
}

/**
 * One pass's step of the group's refresh, if it has one. `terminate` takes an instance out of
 * service as the group loop does. Returns the instances the group may hold above its desired
 * capacity for the refresh's launches (MaxHealthyPercentage above 100).
 */
export function stepRefresh(p: Pass, terminate: (m: MemberRecord, cause: string) => void): number {
  const { env, scope, group } = p;
  if (!group.activeRefresh) return 0;
  const r = env.store.mutable<RefreshRecord>(COLL.instanceRefreshes, scope, group.activeRefresh);
  let surge = 0;
  if (r && ACTIVE.has(r.Status)) {
    surge = advance(p, r, terminate);
    env.store.put(COLL.instanceRefreshes, scope, r.InstanceRefreshId, r);
  }
  if (!r || !ACTIVE.has(r.Status)) delete group.activeRefresh;
  return surge;
}

function advance(p: Pass, r: RefreshRecord, terminate: (m: MemberRecord, cause: string) => void): number {
  const { env, scope, group, now } = p;
  if (r.Status === 'Pending') r.Status = 'InProgress';
  const inTransition = p.members.some((m) => m.LifecycleState.startsWith('Pending') || m.LifecycleState.startsWith('Terminating'));
  if (r.Status === 'Cancelling') {
    if (!r.waitForTransitioning || !inTransition) end(p, r, 'Cancelled');
    return 0;
  }
  if (r.Status === 'Baking') {
    if (now < r.waitUntil!) {
      p.wake.push(r.waitUntil!);
      return 0;
    }
    end(p, r, 'Successful');
    return 0;
  }
  const alarm = firingAlarm(env, scope, r);
  if (alarm) {
    fail(p, r, `Instance refresh failed because the CloudWatch alarm ${alarm} is in the ALARM state.`);
    return 0;
  }
  if ((['InstanceRefresh', 'Launch', 'Terminate'] as const).some((x) => isSuspended(group, x))) {
    r.StatusReason = 'Waiting for the InstanceRefresh, Launch and Terminate processes to be resumed.';
    return 0;
  }

  const prefs = r.Preferences;
  const matches = matcher(env, scope, targetOf(r, group));
  const warmupMs = (prefs.InstanceWarmup ?? group.DefaultInstanceWarmup ?? group.HealthCheckGracePeriod) * 1000;
  const warmAt = (m: DeepReadonly<MemberRecord>) => (m.inServiceAt ?? m.launchedAt) + warmupMs;
  // Warm-up is for the instances the refresh launched; the others are ready once healthy in service.
  const ready = (m: DeepReadonly<MemberRecord>) => m.LifecycleState === 'InService' && m.HealthStatus === 'Healthy' && (m.launchedAt < r.phaseStart || now >= warmAt(m));
  const members = p.members.filter(counted);

  // Instances that left the group need no replacing; ones that joined on another configuration do.
  const pending = new Set(r.pending.filter((id) => members.some((m) => m.InstanceId === id)));
  for (const m of members) {
    if (!pending.has(m.InstanceId) && replaceable(r, m) && !matches(m) && m.launchedAt >= r.phaseStart) {
      pending.add(m.InstanceId);
      r.total++;
    }
  }
  r.pending = [...pending];
  const old = members.filter((m) => pending.has(m.InstanceId));
  const warming = members.filter((m) => !pending.has(m.InstanceId) && m.launchedAt >= r.phaseStart && !ready(m));
  setProgress(r, Math.max(0, r.total - old.length - warming.length));

  const desired = group.DesiredCapacity;
  const maxHealthy = prefs.MaxHealthyPercentage ?? 100;
  const surgeFor = (left: number) => (maxHealthy > 100 ? Math.min(left, Math.floor((desired * maxHealthy) / 100) - desired) : 0);
  const surge = surgeFor(old.length);
  if (inTransition || warming.length || members.length < desired + surge) {
    const cold = warming.filter((m) => m.LifecycleState === 'InService');
    for (const m of cold) p.wake.push(warmAt(m));
    // AWS names the instance without its "i-" prefix here.
    r.StatusReason = cold.length ? `Waiting for instances to warm up before continuing. For example: ${cold[0].InstanceId.replace(/^i-/, '')} is warming up.` : undefined;
    if (!r.StatusReason) delete r.StatusReason;
    return surge;
  }

  const checkpoints = prefs.CheckpointPercentages ?? [];
  let next = r.RollbackDetails ? undefined : checkpoints[r.checkpointsPassed];
  if (next !== undefined && r.PercentageComplete >= next) {
    // The last checkpoint is the share of the group the refresh replaces: reaching it ends the refresh.
    if (r.checkpointsPassed === checkpoints.length - 1) {
      complete(p, r);
      return 0;
    }
    if (r.waitUntil === undefined) {
      r.waitUntil = now + (prefs.CheckpointDelay ?? 3600) * 1000;
      r.StatusReason = `Waiting for the checkpoint delay to pass before continuing. The instance refresh reached the checkpoint at ${next}% complete.`;
      env.events.emit('autoscaling.instance-refresh.checkpoint', { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, instanceRefreshId: r.InstanceRefreshId, percentage: next });
    }
    if (now < r.waitUntil) {
      p.wake.push(r.waitUntil);
      return surge;
    }
    delete r.waitUntil;
    delete r.StatusReason;
    r.checkpointsPassed++;
    next = checkpoints[r.checkpointsPassed];
  }
  if (!old.length) {
    complete(p, r);
    return 0;
  }

  // Protected instances wait (ScaleInProtectedInstances Wait) until their protection is removed.
  const candidates = old.filter((m) => !m.ProtectedFromScaleIn || prefs.ScaleInProtectedInstances === 'Refresh').sort(byLaunch);
  if (!candidates.length) {
    r.protectedWaitSince ??= now;
    if (now >= r.protectedWaitSince + PROTECTED_WAIT_MS) fail(p, r, 'Instance refresh failed: waited for instances that are protected from scale in for too long.');
    else {
      r.StatusReason = 'Waiting for instances protected from scale in to be unprotected before continuing.';
      p.wake.push(r.protectedWaitSince + PROTECTED_WAIT_MS);
    }
    return surge;
  }
  delete r.protectedWaitSince;
  delete r.StatusReason;
  const minHealthy = Math.ceil((desired * prefs.MinHealthyPercentage) / 100);
  let batch = members.filter(ready).length - minHealthy;
  // Without room above the desired capacity, a refresh always replaces at least one at a time.
  if (maxHealthy <= 100) batch = Math.max(1, batch);
  // A batch goes no further than the next checkpoint.
  if (next !== undefined) batch = Math.min(batch, Math.ceil((next * r.total) / 100) - (r.total - old.length));
  batch = Math.min(batch, candidates.length);
  if (batch <= 0) return surge;
  for (const m of candidates.slice(0, batch)) terminate(m as MemberRecord, sentence(now, 'an instance was taken out of service in response to an instance refresh.'));
  return surgeFor(old.length - batch);
}

/** A deleted group's refreshes go with it. */
export function deleteRefreshes(env: Env, scope: Scope, group: string): void {
  for (const r of env.store.list<RefreshRecord>(COLL.instanceRefreshes, scope)) {
    if (r.AutoScalingGroupName === group) env.store.delete(COLL.instanceRefreshes, scope, r.InstanceRefreshId);
  }
}
