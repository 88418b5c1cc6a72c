/**
 * Puts an instance on a physical host: a usable host in the zone, with free capacity, and the
 * fewest instances on it, so that load spreads as it does across real hardware.
 * Occupancy is derived from the instances themselves, so it cannot drift.
 */
import type { Env } from '../services/service.ts';
import { HOSTS, hostUsable, worldScope, type HostRecord } from './state.ts';

/** What placement needs to know of an instance; EC2's instance records satisfy it. */
export interface Placed {
  hostId?: string;
  State: { Name: string };
}

export const OCCUPYING = new Set(['pending', 'running', 'stopping', 'shutting-down']);

export function hostLoad(env: Env, region: string): Map<string, number> {
  const load = new Map<string, number>();
  for (const [scope, inst] of env.store.scan<Placed>('ec2.instances')) {
    if (scope.region !== region || !inst.hostId || !OCCUPYING.has(inst.State.Name)) continue;
    load.set(inst.hostId, (load.get(inst.hostId) ?? 0) + 1);
  }
  return load;
}

/**
 * What else a host must satisfy for one instance: a placement group's strategy (services/ec2/
 * launch-placement.ts) or the Dedicated Host it must run on.
 */
export interface HostRule {
  /** Only these hosts may take it: a cluster group's host, a Dedicated Host's. */
  only?: ReadonlySet<string>;
  /** These may not: the hosts of a spread group's other instances, or of other partitions. */
  avoid?: ReadonlySet<string>;
}

/**
 * The host for a new or moving instance in `zone`, or undefined when the zone has no usable host
 * with room (the caller answers with InsufficientInstanceCapacity). `avoid` excludes the host an
 * instance is leaving. A host reserved as a Dedicated Host takes only the instances that `rule`
 * sends to it.
 */
export function placeInstance(env: Env, region: string, zone: string, avoid?: string, load = hostLoad(env, region), rule: HostRule = {}): string | undefined {
  let best: { id: string; used: number } | undefined;
  for (const h of env.store.list<HostRecord>(HOSTS, worldScope(region))) {
    if (h.zone !== zone || h.hostId === avoid || !hostUsable(env, region, h.hostId)) continue;
    if (rule.only ? !rule.only.has(h.hostId) : h.dedicatedHostId !== undefined) continue;
    if (rule.avoid?.has(h.hostId)) continue;
    const used = load.get(h.hostId) ?? 0;
    if (used >= h.capacity) continue;
    if (!best || used < best.used || (used === best.used && h.hostId < best.id)) best = { id: h.hostId, used };
  }
  return best?.id;
}

/** Where an instance runs: its region and host, found across accounts (for `fail host --instance`). */
export function locateInstance(env: Env, instanceId: string): { region: string; hostId?: string; zone?: string } | undefined {
  for (const [scope, inst] of env.store.scan<Placed & { InstanceId: string; Placement?: { AvailabilityZone?: string } }>('ec2.instances')) {
    if (inst.InstanceId === instanceId) return { region: scope.region, hostId: inst.hostId, zone: inst.Placement?.AvailabilityZone };
  }
  return undefined;
}
