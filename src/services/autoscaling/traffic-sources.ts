/**
 * A group's traffic sources: the Classic load balancers (`elb`, by name) and ELBv2 target groups
 * (`elbv2`, by ARN) its instances are registered with (spec elb.md §3).
 *
 * One list on the group holds them all, whichever call attached them (LoadBalancerNames,
 * TargetGroupARNs, TrafficSources, or the Attach calls), each with its attachment State:
 *  - attached with the group: `InService` at once (as AWS documents for CreateAutoScalingGroup);
 *  - attached later: `Adding` until the group loop has registered the group's instances, then
 *    `Added`, then `InService` once one of them passed a load balancer health check while the
 *    group's HealthCheckType includes ELB;
 *  - detached: `Removing` while the group's instances drain, `Removed`, then unlisted.
 * An instance is registered (targets.ts, `registeredBy: autoscaling:GROUP`) just before it enters
 * service, and deregistered, with draining, before it is terminated or detached. A Classic load
 * balancer's instances are the targets of its implicit group `classic:NAME`, on port 0; a target
 * group's are on the group's port.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { classicKey, COLL as ELB, loadBalancer, targetGroup, targetKey, type TargetRecord } from '../elb/state.ts';
import { deregisterTarget, registerTarget } from '../elb/targets.ts';
import { sentence } from './activities.ts';
import { asErrors } from './errors.ts';
import type { GroupRecord, MemberRecord, TrafficSourceAttachment, TrafficSourceType } from './state.ts';

/** At most this many of each type on a group (ec2-auto-scaling-quotas.html), and per Attach call. */
export const MAX_PER_TYPE = 50;
export const MAX_PER_CALL = 10;

export interface SourceId {
  Identifier: string;
  Type: TrafficSourceType;
}

type Group = DeepReadonly<GroupRecord>;

const sourcesOf = (g: Group): readonly DeepReadonly<TrafficSourceAttachment>[] => g.trafficSources ?? [];
/** The attachments that still count: not being removed. */
export const attached = (g: Group) => sourcesOf(g).filter((s) => s.State !== 'Removing' && s.State !== 'Removed');
export const hasElbCheck = (g: Group): boolean => g.HealthCheckType.split(',').some((t) => t.trim() === 'ELB');

/** The ELB group a source's instances are targets of, and their port. */
function targetsFor(env: Env, scope: Scope, s: SourceId): { group: string; port: number } {
  if (s.Type === 'elb') return { group: classicKey(s.Identifier), port: 0 };
  return { group: s.Identifier, port: targetGroup(env.store, scope, s.Identifier)?.port ?? 0 };
}

const registeredBy = (g: Group) => `autoscaling:${g.AutoScalingGroupName}`;

// ---- the API's input ----

/**
 * The sources a request names, from LoadBalancerNames, TargetGroupARNs and TrafficSources.
 * A TrafficSources entry without a Type is a target group when its identifier is one's ARN; a
 * Classic load balancer must say `elb`.
 */
export function requestedSources(input: { LoadBalancerNames?: string[]; TargetGroupARNs?: string[]; TrafficSources?: { Identifier?: string; Type?: string }[] }): SourceId[] {
  const out: SourceId[] = [];
  const add = (s: SourceId) => {
    if (!out.some((o) => o.Type === s.Type && o.Identifier === s.Identifier)) out.push(s);
  };
  for (const name of input.LoadBalancerNames ?? []) add({ Identifier: name, Type: 'elb' });
  for (const arn of input.TargetGroupARNs ?? []) add({ Identifier: arn, Type: 'elbv2' });
  for (const t of input.TrafficSources ?? []) {
    const id = t.Identifier ?? '';
    const type = t.Type ?? (id.startsWith('arn:') && id.includes(':targetgroup/') ? 'elbv2' : undefined);
    if (type === 'vpc-lattice') throw asErrors.validation('faultline does not emulate VPC Lattice: traffic sources of type vpc-lattice are not supported.');
    if (type !== 'elb' && type !== 'elbv2') {
      throw asErrors.validation(t.Type === undefined ? `The traffic source ${id} needs a Type: elb for a Classic Load Balancer.` : `Invalid traffic source type: ${t.Type}. Valid types are elb, elbv2 and vpc-lattice.`);
    }
    add({ Identifier: id, Type: type });
  }
  return out;
}

/** Refuses sources that do not exist (or cannot take a group's instances), with AWS's texts. */
export function checkSourcesExist(ctx: RequestContext, sources: readonly SourceId[]): void {
  for (const s of sources) {
    if (s.Type === 'elb') {
      if (loadBalancer(ctx.env.store, ctx, classicKey(s.Identifier))?.kind !== 'classic') {
        throw asErrors.validation('Provided Load Balancers may not be valid. Please ensure they exist and try again.');
      }
      continue;
    }
    const tg = targetGroup(ctx.env.store, ctx, s.Identifier);
    if (tg?.kind !== 'v2') throw asErrors.validation('Provided Target Groups may not be valid. Please ensure they exist and try again.');
    if (tg.targetType !== 'instance') throw asErrors.validation(`Target group ${s.Identifier} has target type ${tg.targetType}: an Auto Scaling group needs target type instance.`);
  }
}

/** Adds sources to the group (additive: those already attached stay as they are). */
export function attachSources(g: GroupRecord, sources: readonly SourceId[], state: 'Adding' | 'InService'): void {
  const list = (g.trafficSources ??= []);
  for (const s of sources) {
    const existing = list.find((o) => o.Type === s.Type && o.Identifier === s.Identifier);
    if (!existing) list.push({ Identifier: s.Identifier, Type: s.Type, State: state });
    else if (existing.State === 'Removing' || existing.State === 'Removed') {
      // Attached again while leaving: its instances are registered again.
      existing.State = 'Adding';
      delete existing.drainedAt;
    }
  }
  for (const type of ['elb', 'elbv2'] as const) {
    if (attached(g).filter((s) => s.Type === type).length > MAX_PER_TYPE) {
      throw asErrors.limitExceeded(`You have reached the limit of ${MAX_PER_TYPE} ${type === 'elb' ? 'Classic Load Balancers' : 'target groups'} for this Auto Scaling group.`);
    }
  }
}

/** Marks sources Removing; the group loop deregisters the group's instances from them. */
export function detachSources(g: GroupRecord, sources: readonly SourceId[]): void {
  for (const s of sources) {
    const a = g.trafficSources?.find((o) => o.Type === s.Type && o.Identifier === s.Identifier && o.State !== 'Removing' && o.State !== 'Removed');
    if (!a) {
      const what = s.Type === 'elb' ? 'Load Balancers' : 'Target Groups';
      throw asErrors.validation(`Trying to remove ${what} that are not part of the group: ${s.Identifier}.`);
    }
    a.State = 'Removing';
  }
}

// ---- the group loop ----

/**
 * Why the group cannot launch now, if an attached source no longer exists: the status message of
 * the failed launch, as AWS writes it.
 */
export function launchBlocker(env: Env, scope: Scope, g: Group): string | undefined {
  for (const s of attached(g)) {
    if (s.Type === 'elb' && !loadBalancer(env.store, scope, classicKey(s.Identifier))) return `Cannot find Load Balancer ${s.Identifier}. Validating load balancer configuration failed.`;
    if (s.Type === 'elbv2' && !targetGroup(env.store, scope, s.Identifier)) return 'One or more target groups not found. Validating load balancer configuration failed.';
  }
  return undefined;
}

/**
 * Registers an instance that is about to enter service with every attached source. Returns the
 * failure's status message instead when a source has gone since the launch began.
 */
export function registerMember(env: Env, scope: Scope, g: Group, m: DeepReadonly<MemberRecord>): string | undefined {
  const sources = attached(g);
  for (const s of sources) {
    if (s.Type === 'elb' && !loadBalancer(env.store, scope, classicKey(s.Identifier))) return `There is no ACTIVE Load Balancer named '${s.Identifier}'. Updating load balancer configuration failed.`;
    if (s.Type === 'elbv2' && !targetGroup(env.store, scope, s.Identifier)) return 'One or more target groups not found. Updating load balancer configuration failed.';
  }
  for (const s of sources) register(env, scope, g, s, m);
  return undefined;
}

function register(env: Env, scope: Scope, g: Group, s: SourceId, m: DeepReadonly<MemberRecord>): void {
  const { group, port } = targetsFor(env, scope, s);
  registerTarget(env, scope, group, { id: m.InstanceId, port, zone: m.AvailabilityZone, registeredBy: registeredBy(g) });
}

/**
 * Deregisters an instance from one source, if it is registered there; returns when its draining
 * ends (now when there is nothing to drain).
 */
function deregister(env: Env, scope: Scope, s: SourceId, instanceId: string, now: number): number {
  const { group, port } = targetsFor(env, scope, s);
  return deregisterTarget(env, scope, group, instanceId, port) ?? now;
}

/** Deregisters a leaving instance from every source it may be registered with; returns when the draining ends. */
export function deregisterMember(env: Env, scope: Scope, g: Group, instanceId: string, now: number): number {
  return Math.max(now, ...sourcesOf(g).map((s) => deregister(env, scope, s, instanceId, now)));
}

/** Whether one of the group's registered instances passes the source's health checks. */
function anyHealthy(env: Env, scope: Scope, g: Group, s: SourceId): boolean {
  const { group } = targetsFor(env, scope, s);
  const by = registeredBy(g);
  return env.store.list<TargetRecord>(ELB.targets, scope).some((t) => t.group === group && t.registeredBy === by && t.state === 'healthy' && t.drainingUntil === undefined);
}

/**
 * Moves each attachment along: registers the in-service instances of an `Adding` one, promotes
 * `Added` to `InService`, drains a `Removing` one, forgets a `Removed` one. Returns the times the
 * loop must look again (the ends of draining).
 */
export function progressAttachments(env: Env, scope: Scope, g: GroupRecord, members: readonly DeepReadonly<MemberRecord>[], now: number): number[] {
  const wake: number[] = [];
  const inService = members.filter((m) => m.LifecycleState === 'InService');
  for (const s of [...(g.trafficSources ?? [])]) {
    if (s.State === 'Adding') {
      for (const m of inService) register(env, scope, g, s, m);
      s.State = 'Added';
    } else if (s.State === 'Added') {
      if (hasElbCheck(g) && anyHealthy(env, scope, g, s)) s.State = 'InService';
    } else if (s.State === 'Removing') {
      s.drainedAt ??= Math.max(now, ...members.map((m) => deregister(env, scope, s, m.InstanceId, now)));
      if (now >= s.drainedAt) s.State = 'Removed';
      else wake.push(s.drainedAt);
    } else if (s.State === 'Removed') {
      g.trafficSources = g.trafficSources!.filter((o) => o !== s);
    }
  }
  return wake;
}

/** Whether the attachments have nothing to do at this pass (a settled group may then sleep). */
export function attachmentsSettled(env: Env, scope: Scope, g: Group): boolean {
  return sourcesOf(g).every((s) => s.State === 'InService' || (s.State === 'Added' && !(hasElbCheck(g) && anyHealthy(env, scope, g, s))));
}

/**
 * With HealthCheckType ELB, after the grace period: the cause of the instance's replacement when
 * an attached source in service reports it failing its health checks (a Classic load balancer's
 * OutOfService for the instance, a target group's `unhealthy`), else undefined. A registration
 * still `initial`, or draining, does not count.
 */
export function elbHealthProblem(env: Env, scope: Scope, g: Group, m: DeepReadonly<MemberRecord>, now: number): string | undefined {
  if (!hasElbCheck(g) || m.LifecycleState !== 'InService') return undefined;
  if (now < (m.inServiceAt ?? m.launchedAt) + g.HealthCheckGracePeriod * 1000) return undefined;
  for (const s of attached(g)) {
    if (s.State !== 'InService') continue;
    const { group, port } = targetsFor(env, scope, s);
    const t = env.store.get<TargetRecord>(ELB.targets, scope, targetKey(group, m.InstanceId, port));
    if (t?.state === 'unhealthy' && t.drainingUntil === undefined) return sentence(now, 'an instance was taken out of service in response to an ELB system health check failure.');
  }
  return undefined;
}

// ---- what the API shows ----

export const loadBalancerNames = (g: Group): string[] => attached(g).filter((s) => s.Type === 'elb').map((s) => s.Identifier);
export const targetGroupArns = (g: Group): string[] => attached(g).filter((s) => s.Type === 'elbv2').map((s) => s.Identifier);
export const trafficSourceIds = (g: Group): SourceId[] => attached(g).map((s) => ({ Identifier: s.Identifier, Type: s.Type }));
/** Every attachment with its state, Removing and Removed included, for the Describe calls. */
export const attachmentStates = (g: Group, type?: TrafficSourceType) => sourcesOf(g).filter((s) => !type || s.Type === type);
