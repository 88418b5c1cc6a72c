/** The world as the control API and `faultline status` show it: zones, hosts, and what runs where. */
import type { Env } from '../services/service.ts';
import { activeFaults } from './faults.ts';
import { hostLoad } from './placement.ts';
import { HOSTS, ZONES, worldScope, type HostRecord, type ZoneRecord } from './state.ts';

export function worldView(env: Env) {
  return {
    clock: new Date(env.clock.now()).toISOString(),
    regions: Object.keys(env.config.regions).map((region) => {
      const load = hostLoad(env, region);
      const hosts = env.store.list<HostRecord>(HOSTS, worldScope(region));
      return {
        region,
        zones: env.store.list<ZoneRecord>(ZONES, worldScope(region)).map((z) => ({
          ...z,
          hosts: hosts.filter((h) => h.zone === z.zone).map((h) => ({ ...h, instances: load.get(h.hostId) ?? 0 })),
        })),
      };
    }),
    faults: activeFaults(env),
  };
}
