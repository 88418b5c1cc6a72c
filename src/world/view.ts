/**
 * The world as the control API and `faultline status` show it: zones, hosts, what runs on each
 * host (EC2 instances, and the primary and standby of RDS instances), and the active faults.
 */
import type { Env } from '../services/service.ts';
import type { DBInstanceRecord } from '../services/rds/state.ts';
import { COLL as RDS } from '../services/rds/state.ts';
import { activeFaults } from './faults.ts';
import { OCCUPYING, type Placed } from './placement.ts';
import { HOSTS, ZONES, worldScope, type HostRecord, type ZoneRecord } from './state.ts';

/** One thing running on a host. */
export interface Resident {
  kind: 'instance' | 'db-instance';
  id: string;
  account: string;
  /** The instance's state, or the DB instance's status. */
  state: string;
  /** For a DB instance: which copy runs here. */
  role?: 'primary' | 'standby';
}

function residentsByHost(env: Env, region: string): Map<string, Resident[]> {
  const byHost = new Map<string, Resident[]>();
  const add = (host: string, r: Resident) => byHost.set(host, [...(byHost.get(host) ?? []), r]);
  for (const [scope, inst] of env.store.scan<Placed & { InstanceId: string }>('ec2.instances')) {
    if (scope.region !== region || !inst.hostId || !OCCUPYING.has(inst.State.Name)) continue;
    add(inst.hostId, { kind: 'instance', id: inst.InstanceId, account: scope.account, state: inst.State.Name });
  }
  for (const [scope, db] of env.store.scan<DBInstanceRecord>(RDS.instances)) {
    if (scope.region !== region) continue;
    for (const role of ['primary', 'standby'] as const) {
      const at = db.placement[role];
      if (at) add(at.host, { kind: 'db-instance', id: db.DBInstanceIdentifier, account: scope.account, state: db.DBInstanceStatus, role });
    }
  }
  return byHost;
}

export function worldView(env: Env) {
  return {
    clock: new Date(env.clock.now()).toISOString(),
    clockMode: { mode: env.clock.mode, scale: env.clock.scale },
    // The regions in use: a region's world is made at its first use (state.ts).
    regions: Object.keys(env.config.regions).filter((region) => env.store.list(ZONES, worldScope(region)).length).map((region) => {
      const residents = residentsByHost(env, region);
      const hosts = env.store.list<HostRecord>(HOSTS, worldScope(region));
      return {
        region,
        zones: env.store.list<ZoneRecord>(ZONES, worldScope(region)).map((z) => ({
          ...z,
          hosts: hosts
            .filter((h) => h.zone === z.zone)
            .map((h) => {
              const here = residents.get(h.hostId) ?? [];
              return { ...h, instances: here.filter((r) => r.kind === 'instance').length, residents: here };
            }),
        })),
      };
    }),
    faults: activeFaults(env),
  };
}
