/**
 * The health loop: one timer per registered target (`HEALTH_LOOP`, keyed
 * `scopedKey(scope, targetKey)`; targets.ts queues it on register and deregister), which moves the
 * target through AWS's states on the clock (health.ts holds the rules):
 *  - registration takes `lbRegistrationSeconds` of its load balancer's kind, then a check every
 *    `HealthCheckIntervalSeconds`, the first one interval after registration completes;
 *  - a check fails when the world breaks the path to the target (observe.ts); otherwise it is the
 *    driver's latest real one (`runtime.lbHealth`, sandbox), or passes when the driver makes
 *    none (simulated); a driver that has made none yet counts nothing, and the loop looks again in 1 s;
 *  - an unusable target is `unused`, looked at every interval but not checked;
 *  - a draining target is forgotten when its delay ends; so is a target whose instance EC2 has
 *    forgotten: AWS deregisters terminated instances by itself.
 * Each change of state goes into the event log (`elb.target.health`), where drills find it.
 * Also the load balancers' metrics loop (metrics.ts), which the health loop arms.
 */
import type { Reconciler } from '../../core/scheduler.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { COLL as EC2_COLL, type InstanceRecord } from '../ec2/state.ts';
import type { Env } from '../service.ts';
import { afterCheck, checksBegin, registering, unused, UNUSED, type Why } from './health.ts';
import { metricsLoop, METRICS_LOOP, queueMetrics } from './metrics.ts';
import { observe } from './observe.ts';
import {
  COLL,
  HEALTH_LOOP,
  loadBalancer,
  loadBalancersOfGroup,
  parseScopedKey,
  targetGroup,
  type LoadBalancerKind,
  type LoadBalancerRecord,
  type TargetGroupRecord,
  type TargetRecord,
} from './state.ts';

type Read<T> = DeepReadonly<T>;

/** How soon to look again when the driver has not made a real check of the target yet. */
const NO_CHECK_YET_MS = 1000;

export const healthLoops = (env: Env): Record<string, Reconciler> => ({
  [HEALTH_LOOP]: (key) => step(env, key),
  [METRICS_LOOP]: metricsLoop(env),
});

function step(env: Env, key: string): number | void {
  const { scope, key: targetKey } = parseScopedKey(key);
  const t = env.store.get<TargetRecord>(COLL.targets, scope, targetKey);
  if (!t) return;
  const now = env.clock.now();
  const group = targetGroup(env.store, scope, t.group);
  const lbs = loadBalancersOfGroup(env.store, scope, t.group)
    .map((k) => loadBalancer(env.store, scope, k))
    .filter((lb): lb is Read<LoadBalancerRecord> => lb !== undefined);
  if (t.drainingUntil !== undefined) {
    if (now < t.drainingUntil) return t.drainingUntil - now;
    return forget(env, scope, t, group, lbs);
  }
  // A group's deletion forgets its targets (targets.ts); a timer may outlive them.
  if (!group) return;
  const inst = group.targetType === 'instance' ? env.store.get<InstanceRecord>(EC2_COLL.instances, scope, t.id) : undefined;
  if (group.targetType === 'instance' && !inst) return forget(env, scope, t, group, lbs);
  const interval = group.health.intervalSeconds * 1000;

  const why = unusedBecause(t, lbs, inst);
  if (why) {
    if (t.state !== 'unused' || t.reason !== why.reason || t.description !== why.description) save(env, scope, t, unused(t, why), group, lbs);
    return interval;
  }
  const registered = t.registeredAt + env.config.lbRegistrationSeconds[kindOf(group, lbs)] * 1000;
  if (now < registered) {
    if (t.reason !== 'Elb.RegistrationInProgress') save(env, scope, t, registering(t), group, lbs);
    return registered - now;
  }
  if (t.nextCheckAt === undefined) {
    save(env, scope, t, checksBegin(t, group.health, now), group, lbs);
    return interval;
  }
  // Woken early (by a registration or a deregistration of the same key): the check is not due.
  if (now < t.nextCheckAt) return t.nextCheckAt - now;
  // The world is the truth about power, links, ACLs and security groups: when it breaks the
  // path, a check fails now, even if the driver's real checks (made in real time, which a
  // manual or fast clock outruns) have not caught up. On an intact path, the real check says
  // whether the application answers.
  const world = observe(env, scope, t, group, lbs);
  const obs = !world.ok || !env.runtime?.lbHealth ? world : env.runtime.lbHealth(scope, t.key);
  if (!obs) return NO_CHECK_YET_MS;
  save(env, scope, t, afterCheck(t, group.health, kindOf(group, lbs), obs, now), group, lbs);
  return interval;
}

/** Why the target cannot be used now, if it cannot. */
function unusedBecause(t: Read<TargetRecord>, lbs: readonly Read<LoadBalancerRecord>[], inst: Read<InstanceRecord> | undefined): Why | undefined {
  if (!lbs.length) return UNUSED.noLoadBalancer;
  const state = inst?.State.Name;
  if (state === 'stopping' || state === 'stopped') return UNUSED.stopped;
  if (state === 'shutting-down' || state === 'terminated') return UNUSED.terminated;
  const zone = t.zone ?? inst?.Placement.AvailabilityZone;
  if (zone && !lbs.some((lb) => lb.nodes.some((n) => n.zone === zone))) return UNUSED.zoneNotEnabled;
  return undefined;
}

/** Whose rules the target's checks follow: a Classic load balancer's, or the kind of ELBv2 load balancer its group serves. */
function kindOf(group: Read<TargetGroupRecord>, lbs: readonly Read<LoadBalancerRecord>[]): LoadBalancerKind {
  if (group.kind === 'classic') return 'classic';
  return lbs[0]?.kind === 'network' ? 'network' : 'application';
}

function save(env: Env, scope: Scope, before: Read<TargetRecord>, after: TargetRecord, group: Read<TargetGroupRecord>, lbs: readonly Read<LoadBalancerRecord>[]): void {
  env.store.put(COLL.targets, scope, after.key, after);
  if (after.state !== before.state) logChange(env, scope, before, after.state, after.reason, group, lbs);
  // Every target's state or reason changes once checks begin, and host counts change only with
  // states: arming here keeps every load balancer with targets publishing (it re-arms itself).
  if (after.state !== before.state || after.reason !== before.reason) for (const lb of lbs) queueMetrics(env, scope, lb.key);
}

/** Forgets a target whose draining ended, or whose instance is gone. */
function forget(env: Env, scope: Scope, t: Read<TargetRecord>, group: Read<TargetGroupRecord> | undefined, lbs: readonly Read<LoadBalancerRecord>[]): void {
  env.store.delete(COLL.targets, scope, t.key);
  logChange(env, scope, t, 'unused', 'Target.NotRegistered', group, lbs);
  for (const lb of lbs) queueMetrics(env, scope, lb.key);
}

function logChange(env: Env, scope: Scope, t: Read<TargetRecord>, to: string, reason: string | undefined, group: Read<TargetGroupRecord> | undefined, lbs: readonly Read<LoadBalancerRecord>[]): void {
  env.events.emit('elb.target.health', {
    account: scope.account,
    region: scope.region,
    loadBalancers: lbs.map((lb) => lb.name),
    targetGroup: group?.name ?? t.group,
    target: t.id,
    port: t.port,
    from: t.state,
    to,
    ...(reason ? { reason } : {}),
  });
}
