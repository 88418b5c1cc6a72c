/**
 * Where a group launches: the enabled zone with the fewest of its instances, and a subnet of the
 * group's at random within it (spec section 5). A zone where a launch failed is skipped until its
 * backoff expires, so the group keeps capacity in the other zones and comes back to the failed
 * one later; that later attempt is also how AZ rebalancing notices a zone has recovered.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { COLL as EC2, type SubnetRecord } from '../ec2/state.ts';
import type { GroupRecord, MemberRecord } from './state.ts';

/** Backoff after a failed launch in a zone: 10 s, doubling, at most 5 minutes (AWS publishes no figures). */
export const LAUNCH_BACKOFF_BASE_MS = 10_000;
export const LAUNCH_BACKOFF_MAX_MS = 300_000;

/** The group's enabled zones, each with the subnets the group may launch into there. */
export function groupZones(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>): Map<string, string[]> {
  const zones = new Map<string, string[]>();
  if (group.subnets.length) {
    for (const id of group.subnets) {
      const s = env.store.get<SubnetRecord>(EC2.subnets, scope, id);
      // A subnet deleted since the group was made: EC2 will refuse it, which the activity records.
      const zone = s?.AvailabilityZone ?? group.AvailabilityZones[0];
      zones.set(zone, [...(zones.get(zone) ?? []), id]);
    }
    return zones;
  }
  // Zones without subnets launch into the zone's default subnet, if the account has one.
  const defaults = env.store.list<SubnetRecord>(EC2.subnets, scope).filter((s) => s.DefaultForAz);
  for (const z of group.AvailabilityZones) zones.set(z, defaults.filter((s) => s.AvailabilityZone === z).map((s) => s.SubnetId));
  return zones;
}

/** Instances per enabled zone (instances in zones no longer enabled are not counted here). */
export function zoneCounts(zones: ReadonlyMap<string, string[]>, members: readonly DeepReadonly<MemberRecord>[]): Map<string, number> {
  const counts = new Map<string, number>([...zones.keys()].map((z) => [z, 0]));
  for (const m of members) if (counts.has(m.AvailabilityZone)) counts.set(m.AvailabilityZone, counts.get(m.AvailabilityZone)! + 1);
  return counts;
}

export const inBackoff = (group: DeepReadonly<GroupRecord>, zone: string, now: number): boolean => (group.launchFailures[zone]?.retryAt ?? 0) > now;

/** The zone for the next launch: fewest instances, not backing off, not excluded; ties go to the first by name. */
export function pickLaunchZone(group: DeepReadonly<GroupRecord>, counts: ReadonlyMap<string, number>, now: number, exclude: ReadonlySet<string> = new Set()): string | undefined {
  let best: { zone: string; n: number } | undefined;
  for (const [zone, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (exclude.has(zone) || inBackoff(group, zone, now)) continue;
    if (!best || n < best.n) best = { zone, n };
  }
  return best?.zone;
}

export function pickSubnet(zones: ReadonlyMap<string, string[]>, zone: string, random = Math.random): string | undefined {
  const subnets = zones.get(zone) ?? [];
  return subnets.length ? subnets[Math.floor(random() * subnets.length)] : undefined;
}

export function recordLaunchFailure(group: GroupRecord, zone: string, now: number): void {
  const failures = (group.launchFailures[zone]?.failures ?? 0) + 1;
  const wait = Math.min(LAUNCH_BACKOFF_BASE_MS * 2 ** (failures - 1), LAUNCH_BACKOFF_MAX_MS);
  group.launchFailures[zone] = { failures, retryAt: now + wait };
}

export function clearLaunchFailure(group: GroupRecord, zone: string): void {
  delete group.launchFailures[zone];
}

/** The earliest time a zone in backoff may be tried again. */
export function nextRetry(group: DeepReadonly<GroupRecord>, now: number): number | undefined {
  const times = Object.values(group.launchFailures).map((f) => f.retryAt).filter((t) => t > now);
  return times.length ? Math.min(...times) : undefined;
}

/**
 * Whether the group's zones are out of balance, counting only zones it could launch into now:
 * more than one instance between the fullest and the emptiest zone, or instances in zones no
 * longer enabled. Returns the zone to launch into, or undefined when balanced.
 */
export function rebalanceTarget(group: DeepReadonly<GroupRecord>, zones: ReadonlyMap<string, string[]>, members: readonly DeepReadonly<MemberRecord>[], now: number): string | undefined {
  const counts = zoneCounts(zones, members);
  const usable = [...counts].filter(([z]) => !inBackoff(group, z, now));
  if (usable.length === 0) return undefined;
  const strays = members.some((m) => !zones.has(m.AvailabilityZone));
  const min = Math.min(...usable.map(([, n]) => n));
  const max = Math.max(...[...counts.values()]);
  if (!strays && max - min <= 1) return undefined;
  return pickLaunchZone(group, counts, now);
}
