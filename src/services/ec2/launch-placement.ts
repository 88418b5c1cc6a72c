/**
 * Where an instance may run, beyond a usable host with room in its zone (world/placement.ts): the
 * strategy of its placement group, or its Dedicated Host. One rule serves a launch, a start and a
 * recovery, so that a group stays as its strategy says whatever moves its instances.
 * - spread: every instance on a distinct host; a rack spread group holds at most seven running
 *   instances per zone. With no host left that none of the group uses, the launch fails.
 * - partition: a host holds instances of one partition only, so partitions have disjoint hosts.
 *   An instance given no partition goes to the one with the fewest instances in the zone.
 * - cluster: one zone, and the host of the group's running instances while it has room (a usable one:
 *   a recovery off a failed host takes any).
 * - Dedicated Host (tenancy `host`): the named host, or any of the account's hosts in the zone that
 *   accept untargeted launches of the type.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { OCCUPYING, placeInstance, type HostRule } from '../../world/placement.ts';
import { hostUsable } from '../../world/state.ts';
import type { Env, RequestContext } from '../service.ts';
import { autoPlacementHosts, DEDICATED_HOSTS, hostFits, hostState, replaceFailedHost, requireDedicatedHost, type DedicatedHostRecord } from './hosts.provider.ts';
import { findPlacementGroup, PLACEMENT_GROUPS, type PlacementGroupRecord } from './placement-groups.provider.ts';
import { COLL, type InstanceRecord } from './state.ts';

/** AWS's limit on the running instances of a rack spread group in one zone. */
export const RACK_SPREAD_PER_ZONE = 7;

export interface Slot {
  hostId: string;
  partition?: number;
  /** The Dedicated Host it runs on. */
  dedicatedHostId?: string;
}

export interface Placer {
  /** The place for one more instance, or undefined when none is left (then `refusal` says why). */
  next(load: Map<string, number>): Slot | undefined;
  refusal(): AwsError;
}

export interface Member {
  hostId: string;
  zone: string;
  partition?: number;
}

export interface PlacementNeeds {
  zone: string;
  typeName: string;
  /** The insufficient-capacity error of a plain launch in the zone. */
  noCapacity: () => AwsError;
  group?: DeepReadonly<PlacementGroupRecord>;
  partition?: number;
  /** Candidate Dedicated Hosts, in order of preference (tenancy host). */
  dedicatedHosts?: readonly DeepReadonly<DedicatedHostRecord>[];
  /** Whether the request named its Dedicated Host (InsufficientCapacityOnHost rather than IncompatibleHostRequirements). */
  targeted?: boolean;
  /** The instance being started or recovered: not a member of its own group, and (recovery) off its current host. */
  self?: string;
  leaving?: string;
  /** Members placed by the same call but not yet written (several instances started at once). */
  placed?: readonly Member[];
}

/** The group's instances that hold a host, but `self`. */
function membersOf(env: Env, scope: Scope, groupId: string, self?: string): Member[] {
  return (env.store.list<InstanceRecord>(COLL.instances, scope) as InstanceRecord[])
    .filter((i) => i.Placement.GroupId === groupId && i.InstanceId !== self && i.hostId && OCCUPYING.has(i.State.Name))
    .map((i) => ({ hostId: i.hostId!, zone: i.Placement.AvailabilityZone, partition: i.Placement.PartitionNumber }));
}

/** Checks what a group allows before anything is placed: a cluster group lives in one zone. */
export function checkGroupZone(env: Env, scope: Scope, group: DeepReadonly<PlacementGroupRecord>, zone: string, self?: string): void {
  if (group.Strategy !== 'cluster') return;
  const elsewhere = membersOf(env, scope, group.GroupId, self).find((m) => m.zone !== zone);
  if (elsewhere) throw new AwsError('InvalidPlacementGroup.InUse', `The placement group '${group.GroupName}' is in use in another availability zone: ${elsewhere.zone}`);
}

export function placer(env: Env, scope: Scope, needs: PlacementNeeds): Placer {
  const { zone, group } = needs;
  const members = group ? [...membersOf(env, scope, group.GroupId, needs.self), ...(needs.placed ?? [])].filter((m) => m.zone === zone) : [];
  let refusal = needs.noCapacity;
  const place = (rule: HostRule, load: Map<string, number>) => placeInstance(env, scope.region, zone, needs.leaving, load, rule);
  const hostsOf = (ms: Member[]) => new Set(ms.map((m) => m.hostId));

  function inGroup(g: DeepReadonly<PlacementGroupRecord>, load: Map<string, number>): Slot | undefined {
    const groupFull = () => new AwsError('InsufficientInstanceCapacity', `We currently do not have sufficient ${needs.typeName} capacity in the Availability Zone you requested (${zone}) for the ${g.Strategy} placement group '${g.GroupName}'. Our system will be working on provisioning additional capacity.`, 500, false);
    switch (g.Strategy) {
      case 'spread': {
        if (g.SpreadLevel !== 'host' && members.length >= RACK_SPREAD_PER_ZONE) {
          refusal = () => new AwsError('InsufficientInstanceCapacity', `A rack spread placement group can have at most ${RACK_SPREAD_PER_ZONE} running instances per Availability Zone; '${g.GroupName}' already has ${members.length} in ${zone}.`, 500, false);
          return undefined;
        }
        const hostId = place({ avoid: hostsOf(members) }, load);
        if (!hostId) refusal = groupFull;
        return hostId ? { hostId } : undefined;
      }
      case 'partition': {
        const count = (p: number) => members.filter((m) => m.partition === p).length;
        const order = needs.partition !== undefined ? [needs.partition] : Array.from({ length: g.PartitionCount ?? 1 }, (_, i) => i + 1).sort((a, b) => count(a) - count(b) || a - b);
        for (const partition of order) {
          const hostId = place({ avoid: hostsOf(members.filter((m) => m.partition !== partition)) }, load);
          if (hostId) return { hostId, partition };
        }
        refusal = groupFull;
        return undefined;
      }
      case 'cluster': {
        const held = [...hostsOf(members)].filter((h) => hostUsable(env, scope.region, h));
        const hostId = place(held.length ? { only: new Set(held) } : {}, load);
        if (!hostId) refusal = groupFull;
        return hostId ? { hostId } : undefined;
      }
    }
  }

  function onDedicatedHost(load: Map<string, number>): Slot | undefined {
    for (const h of needs.dedicatedHosts ?? []) {
      const hostId = place({ only: new Set([h.worldHostId]) }, load);
      if (hostId) return { hostId, dedicatedHostId: h.HostId };
    }
    refusal = needs.targeted
      ? () => new AwsError('InsufficientCapacityOnHost', 'There is not enough capacity on the Dedicated Host to launch or start the instance.')
      : () => new AwsError('IncompatibleHostRequirements', 'There are no available or compatible Dedicated Hosts available on which to launch or start the instance.');
    return undefined;
  }

  return {
    next(load) {
      const spot = needs.dedicatedHosts ? onDedicatedHost(load) : group ? inGroup(group, load) : mapHost(place({}, load));
      if (spot) {
        members.push({ hostId: spot.hostId, zone, partition: spot.partition });
        load.set(spot.hostId, (load.get(spot.hostId) ?? 0) + 1);
      }
      return spot;
    },
    refusal: () => refusal(),
  };
}

const mapHost = (hostId: string | undefined): Slot | undefined => (hostId ? { hostId } : undefined);

/**
 * The placer for an instance that exists (a start, a recovery): its group and partition, and its
 * Dedicated Host. A start with host affinity stays on its Dedicated Host; one without may go to
 * any of the account's auto-placement hosts that fit. A recovery stays on the Dedicated Host: off a
 * failed one only with HostRecovery on, to the host's replacement.
 */
export function placerFor(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>, noCapacity: () => AwsError, opts: { recovering?: boolean; placed?: readonly Member[] } = {}): Placer {
  const recovering = opts.recovering ?? false;
  const p = inst.Placement;
  const group = p.GroupId ? env.store.get<PlacementGroupRecord>(PLACEMENT_GROUPS, scope, p.GroupId) : undefined;
  let dedicatedHosts: DeepReadonly<DedicatedHostRecord>[] | undefined;
  let targeted = false;
  if (p.Tenancy === 'host') {
    let own = p.HostId ? env.store.get<DedicatedHostRecord>(DEDICATED_HOSTS, scope, p.HostId) : undefined;
    if (own && recovering && own.HostRecovery === 'on' && !hostUsable(env, scope.region, own.worldHostId)) own = replacementOf(env, scope, own);
    // Only host recovery moves an instance off its Dedicated Host; a start without affinity may go to
    // another, and one with no host yet (ModifyInstancePlacement took it to tenancy host) to any.
    const others = (p.Affinity === 'host' && own) || recovering ? [] : autoPlacementHosts(env, scope, p.AvailabilityZone, inst.InstanceType).filter((h) => h.HostId !== own?.HostId);
    dedicatedHosts = [...(own && own.State === 'available' ? [own] : []), ...others];
    targeted = p.Affinity === 'host' && !!own;
  }
  return placer(env, scope, {
    zone: p.AvailabilityZone,
    typeName: inst.InstanceType,
    noCapacity,
    group,
    partition: p.PartitionNumber,
    dedicatedHosts,
    targeted,
    self: inst.InstanceId,
    leaving: recovering ? inst.hostId : undefined,
    placed: opts.placed,
  });
}

/** The replacement of a failed Dedicated Host: the one host recovery made already, or a new one. */
function replacementOf(env: Env, scope: Scope, failed: DeepReadonly<DedicatedHostRecord>): DeepReadonly<DedicatedHostRecord> | undefined {
  if (failed.State === 'permanent-failure') return env.store.list<DedicatedHostRecord>(DEDICATED_HOSTS, scope).find((h) => h.replaces === failed.HostId);
  return replaceFailedHost(env, scope, failed);
}

/** RunInstances' (and a launch template's) Placement, as far as where the instance runs goes. */
export interface PlacementRequest {
  Tenancy?: string;
  GroupName?: string;
  GroupId?: string;
  PartitionNumber?: number;
  HostId?: string;
  Affinity?: string;
}

export interface CheckedPlacement {
  group?: DeepReadonly<PlacementGroupRecord>;
  dedicatedHosts?: DeepReadonly<DedicatedHostRecord>[];
  /** The Placement members every instance placed so shares. */
  placement: Pick<InstanceRecord['Placement'], 'Tenancy' | 'GroupName' | 'GroupId' | 'Affinity'>;
}

/**
 * Checks a placement in `zone` as EC2 does at launch (and ModifyInstancePlacement for a stopped
 * instance): tenancy, affinity, the placement group and partition, the Dedicated Host.
 */
export function checkPlacement(ctx: RequestContext, req: PlacementRequest | undefined, zone: string, typeName: string): CheckedPlacement {
  const tenancy = req?.Tenancy ?? (req?.HostId ? 'host' : 'default');
  if (!['default', 'dedicated', 'host'].includes(tenancy)) throw new AwsError('InvalidParameterValue', `Value (${tenancy}) for parameter tenancy is invalid.`);
  if (req?.HostId && tenancy !== 'host') throw new AwsError('InvalidParameterCombination', `A host ID can only be given with tenancy host, not ${tenancy}.`);
  if (req?.Affinity !== undefined) {
    if (req.Affinity !== 'default' && req.Affinity !== 'host') throw new AwsError('InvalidAffinity', `The affinity value '${req.Affinity}' is not valid. Valid values are default, host.`);
    if (tenancy !== 'host') throw new AwsError('InvalidParameterCombination', 'Affinity can only be given with tenancy host.');
  }
  const named = req?.GroupId || req?.GroupName;
  const group = named ? findPlacementGroup(ctx, { GroupName: req?.GroupName || undefined, GroupId: req?.GroupId || undefined }) : undefined;
  if (req?.PartitionNumber !== undefined) {
    if (group?.Strategy !== 'partition') throw new AwsError('InvalidParameterCombination', 'A partition number can only be given with a partition placement group.');
    if (!Number.isInteger(req.PartitionNumber) || req.PartitionNumber < 1 || req.PartitionNumber > (group.PartitionCount ?? 1)) {
      throw new AwsError('InvalidParameterValue', `Value (${req.PartitionNumber}) for parameter partitionNumber is invalid. Placement group '${group.GroupName}' has ${group.PartitionCount} partitions.`);
    }
  }
  if (group && tenancy === 'host') throw new AwsError('InvalidParameterCombination', 'Instances on Dedicated Hosts cannot be launched into placement groups.');
  if (group?.Strategy === 'spread' && tenancy === 'dedicated') throw new AwsError('InvalidParameterCombination', 'Dedicated Instances cannot be launched into spread placement groups.');
  if (group) checkGroupZone(ctx.env, ctx, group, zone);
  let dedicatedHosts: DeepReadonly<DedicatedHostRecord>[] | undefined;
  if (tenancy === 'host') {
    if (req?.HostId) {
      const h = requireDedicatedHost(ctx, req.HostId);
      if (hostState(ctx.env, ctx.region, h) !== 'available') throw new AwsError('InvalidHostState', `The Dedicated Host ${h.HostId} must be in the available state to complete the operation.`);
      if (h.AvailabilityZone !== zone) throw new AwsError('InvalidParameterValue', `The Dedicated Host ${h.HostId} is in ${h.AvailabilityZone}, not in the launch's availability zone ${zone}.`);
      if (!hostFits(h, typeName)) throw new AwsError('IncompatibleHostRequirements', `The Dedicated Host ${h.HostId} does not support instance type ${typeName}.`);
      dedicatedHosts = [h];
    } else dedicatedHosts = autoPlacementHosts(ctx.env, ctx, zone, typeName);
  }
  return {
    group,
    dedicatedHosts,
    placement: { Tenancy: tenancy, GroupName: group?.GroupName ?? '', ...(group ? { GroupId: group.GroupId } : {}), ...(req?.Affinity ? { Affinity: req.Affinity } : {}) },
  };
}

/** Checks a launch's placement and gives the placer for its instances in `zone`, with the Placement members they share. */
export function launchPlacement(ctx: RequestContext, req: PlacementRequest | undefined, zone: string, typeName: string, noCapacity: () => AwsError): { placer: Placer; placement: CheckedPlacement['placement'] } {
  const { group, dedicatedHosts, placement } = checkPlacement(ctx, req, zone, typeName);
  return { placer: placer(ctx.env, ctx, { zone, typeName, noCapacity, group, partition: req?.PartitionNumber, dedicatedHosts, targeted: !!req?.HostId }), placement };
}
