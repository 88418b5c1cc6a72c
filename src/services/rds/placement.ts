/**
 * Where an instance's copies run (spec rds.md §3): each on a physical host in an AZ of its subnet
 * group, chosen as EC2 chooses hosts (world/placement.ts: a usable host with room, least loaded).
 * Zones are taken in name order, so that where an instance lands is predictable: the primary in
 * the first usable zone (or the one asked for), a Multi-AZ standby in the next one.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { placeInstance } from '../../world/placement.ts';
import { zoneHealthy } from '../../world/state.ts';
import type { Env } from '../service.ts';
import type { Placement, SubnetGroupRecord } from './state.ts';

/** The group's zones in name order, each with its first subnet. */
function zonesOf(group: DeepReadonly<SubnetGroupRecord>): { zone: string; subnetId: string }[] {
  const out = new Map<string, string>();
  for (const s of group.Subnets) if (!out.has(s.SubnetAvailabilityZone.Name)) out.set(s.SubnetAvailabilityZone.Name, s.SubnetIdentifier);
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([zone, subnetId]) => ({ zone, subnetId }));
}

/**
 * A copy's place: in `zone` if given, else in the first usable zone of the group other than
 * `avoidZone`; on another host than `avoidHost`. Undefined when no such zone has a usable host with room.
 */
export function placeCopy(env: Env, region: string, group: DeepReadonly<SubnetGroupRecord>, opts: { zone?: string; avoidZone?: string; avoidHost?: string } = {}): Placement | undefined {
  for (const { zone, subnetId } of zonesOf(group)) {
    if (opts.zone !== undefined ? zone !== opts.zone : zone === opts.avoidZone) continue;
    if (!zoneHealthy(env, region, zone)) continue;
    const host = placeInstance(env, region, zone, opts.avoidHost);
    if (host) return { zone, host, subnetId };
  }
  return undefined;
}

export const groupZones = (group: DeepReadonly<SubnetGroupRecord>) => zonesOf(group).map((z) => z.zone);
