/**
 * The world AWS hides: availability zones and the physical hosts in them, with their power and
 * network. Hosts are per region and shared by every account, as AWS's are. Faults change only
 * these records; status checks, alarms, recovery and Auto Scaling react through their loops.
 */
import { regionZones } from '../config.ts';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';

export const HOSTS = 'world.hosts';
export const ZONES = 'world.zones';

export type Power = 'on' | 'off';
export type Network = 'up' | 'down';

export interface HostRecord {
  hostId: string;
  zone: string;
  /** How many instances fit. */
  capacity: number;
  power: Power;
  network: Network;
  /** The Dedicated Host (services/ec2/hosts.provider.ts) that reserves this host for one account, if any. */
  dedicatedHostId?: string;
}

export interface ZoneRecord {
  zone: string;
  power: Power;
  network: Network;
}

/** World records are regional and belong to no account. */
export const worldScope = (region: string): Scope => ({ account: '*', region });

export const hostHealthy = (h: { power: Power; network: Network }) => h.power === 'on' && h.network === 'up';

/**
 * Creates a region's zones and hosts at the region's first use (an API request signed for it, a
 * fault in it), so that offering every region costs nothing until one is used; later calls find
 * them and write nothing. A region outside the configuration gets none.
 */
export function ensureWorldRegion(env: Env, region: string): void {
  const letters = regionZones(env.config, region);
  if (!letters?.length || letters.every((l) => env.store.get(ZONES, worldScope(region), region + l))) return;
  env.store.transaction(() => {
    const scope = worldScope(region);
    for (const letter of letters) {
      const zone = region + letter;
      if (!env.store.get(ZONES, scope, zone)) env.store.put<ZoneRecord>(ZONES, scope, zone, { zone, power: 'on', network: 'up' });
      for (let i = 1; i <= env.config.hostsPerZone; i++) {
        const hostId = `h-${zone}-${String(i).padStart(2, '0')}`;
        if (!env.store.get(HOSTS, scope, hostId)) {
          env.store.put<HostRecord>(HOSTS, scope, hostId, { hostId, zone, capacity: env.config.hostCapacity, power: 'on', network: 'up' });
        }
      }
    }
  });
}

/** At start and after a reset: the default region's world, so that it is there before any request (`faultline status`, a host fault). */
export const seedWorld = (env: Env): void => ensureWorldRegion(env, env.config.defaultRegion);

export function zoneHealthy(env: Env, region: string, zone: string): boolean {
  const z = env.store.get<ZoneRecord>(ZONES, worldScope(region), zone);
  return !!z && hostHealthy(z);
}

/** A host is usable when it and its zone both have power and network. */
export function hostUsable(env: Env, region: string, hostId: string): boolean {
  const h = env.store.get<HostRecord>(HOSTS, worldScope(region), hostId);
  return !!h && hostHealthy(h) && zoneHealthy(env, region, h.zone);
}
