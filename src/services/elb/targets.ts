/**
 * Registration and deregistration of targets, shared by Classic's instances, ELBv2's targets and
 * Auto Scaling's groups. A registration starts `initial` (registration in progress), and the
 * health loop takes it from there on the clock; a deregistration drains for the group's delay
 * and is then forgotten. Both run inside the caller's transaction and only write records.
 */
import type { Env } from '../service.ts';
import type { Scope } from '../../core/store.ts';
import { COLL, HEALTH_LOOP, scopedKey, targetKey, type TargetGroupRecord, type TargetRecord } from './state.ts';

export interface TargetSpec {
  id: string;
  port: number;
  zone?: string;
  registeredBy?: string;
}

/** Registers a target; registering one that is already registered (and not draining) changes nothing. */
export function registerTarget(env: Env, scope: Scope, group: string, spec: TargetSpec): void {
  const key = targetKey(group, spec.id, spec.port);
  const existing = env.store.get<TargetRecord>(COLL.targets, scope, key);
  if (existing && existing.drainingUntil === undefined) return;
  const now = env.clock.now();
  const record: TargetRecord = {
    key,
    group,
    id: spec.id,
    port: spec.port,
    zone: spec.zone,
    state: 'initial',
    reason: 'Elb.RegistrationInProgress',
    description: 'Target registration is in progress',
    registeredAt: now,
    passes: 0,
    failures: 0,
    registeredBy: spec.registeredBy,
  };
  env.store.put(COLL.targets, scope, key, record);
  env.scheduler.enqueue(HEALTH_LOOP, scopedKey(scope, key), now);
}

/**
 * Starts draining a target for its group's deregistration delay; the health loop forgets it when
 * the delay ends. Returns when the draining ends (already draining: the end already set), or
 * undefined when the target is not registered, which does nothing, as on AWS.
 */
export function deregisterTarget(env: Env, scope: Scope, group: string, id: string, port: number): number | undefined {
  const key = targetKey(group, id, port);
  const t = env.store.mutable<TargetRecord>(COLL.targets, scope, key);
  if (!t || t.drainingUntil !== undefined) return t?.drainingUntil;
  const now = env.clock.now();
  t.drainingUntil = now + (env.store.get<TargetGroupRecord>(COLL.targetGroups, scope, group)?.deregistrationDelay ?? 0) * 1000;
  t.state = 'draining';
  t.reason = 'Target.DeregistrationInProgress';
  t.description = 'Target deregistration is in progress';
  env.store.put(COLL.targets, scope, key, t);
  env.scheduler.enqueue(HEALTH_LOOP, scopedKey(scope, key), now);
  return t.drainingUntil;
}

/**
 * After a group's check interval changed: no target waits longer than one new interval for its
 * next check (a target waiting on the old, longer one would otherwise keep it).
 */
export function rescheduleChecks(env: Env, scope: Scope, group: string, intervalSeconds: number): void {
  const latest = env.clock.now() + intervalSeconds * 1000;
  for (const t of env.store.list<TargetRecord>(COLL.targets, scope)) {
    if (t.group !== group || t.nextCheckAt === undefined || t.nextCheckAt <= latest) continue;
    env.store.put(COLL.targets, scope, t.key, { ...t, nextCheckAt: latest });
    env.scheduler.enqueue(HEALTH_LOOP, scopedKey(scope, t.key), latest);
  }
}

/** Forgets every target of a group at once (the group or its load balancer is deleted). */
export function dropTargets(env: Env, scope: Scope, group: string): void {
  for (const t of env.store.list<TargetRecord>(COLL.targets, scope)) if (t.group === group) env.store.delete(COLL.targets, scope, t.key);
}
