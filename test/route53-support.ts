/**
 * Route 53 records written straight into a faultline's store, as the API and its change loop
 * leave them (zones with their apex SOA and NS, served record sets, health checks' status), for
 * tests of what DNS answers.
 */
import type { Env } from '../src/services/service.ts';
import { COLL, accountScope, recordKey, type HealthCheckRecord, type HostedZoneRecord, type RecordSetRecord, type ResourceRecordSet } from '../src/services/route53/state.ts';

const ACCOUNT = '000000000000';
export const SOA_VALUE = 'ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400';
let seq = 0;

/** A hosted zone with its apex SOA and NS; public unless `vpcs` are given. Returns its id. */
export function seedZone(env: Env, name: string, opts: { account?: string; vpcs?: string[]; createdAt?: number } = {}): string {
  const id = `Z${String(++seq).padStart(13, '0')}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
  const account = opts.account ?? ACCOUNT;
  const zone: HostedZoneRecord = {
    Id: id,
    Name: name,
    CallerReference: id,
    Config: { PrivateZone: !!opts.vpcs },
    vpcs: (opts.vpcs ?? []).map((VPCId) => ({ VPCId, VPCRegion: 'us-east-1' })),
    nameServers: ['ns-2048.awsdns-64.com', 'ns-2049.awsdns-65.net', 'ns-2050.awsdns-66.org', 'ns-2051.awsdns-67.co.uk'],
    tags: [],
    createdAt: opts.createdAt ?? seq,
  };
  env.store.transaction(() => env.store.put(COLL.zones, accountScope(account), id, zone));
  seedRecordSet(env, id, { Name: name, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: SOA_VALUE }] }, { account });
  seedRecordSet(env, id, { Name: name, Type: 'NS', TTL: 172800, ResourceRecords: zone.nameServers.map((n) => ({ Value: `${n}.` })) }, { account });
  return id;
}

/**
 * A record set, served (its change INSYNC) unless `served` says otherwise; `shown` is what the
 * API shows when it differs (a pending change), null for a pending delete.
 */
export function seedRecordSet(env: Env, zoneId: string, set: ResourceRecordSet, opts: { account?: string; served?: ResourceRecordSet | null; shown?: ResourceRecordSet | null } = {}): void {
  const key = recordKey(zoneId, set.Name, set.Type, set.SetIdentifier);
  const rec: RecordSetRecord = { key, zoneId, rrset: opts.shown === null ? undefined : (opts.shown ?? set), served: opts.served === null ? undefined : (opts.served ?? set) };
  env.store.transaction(() => env.store.put(COLL.records, accountScope(opts.account ?? ACCOUNT), key, rec));
}

/** A health check whose computed status is `healthy`. */
export function seedHealthCheck(env: Env, id: string, healthy: boolean): void {
  const rec: HealthCheckRecord = {
    Id: id,
    CallerReference: id,
    HealthCheckConfig: { Type: 'HTTP', IPAddress: '192.0.2.1', Port: 80 },
    HealthCheckVersion: 1,
    tags: [],
    observations: [],
    lastFailures: [],
    checkers: [],
    measured: healthy,
    healthy,
    statusSince: 0,
    createdAt: 0,
  };
  env.store.transaction(() => env.store.put(COLL.healthChecks, accountScope(ACCOUNT), id, rec));
}
