/** Lookups the Route 53 providers share: a zone by id (either form), a zone's record sets, a list's page size. */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { r53Errors } from './errors.ts';
import { accountScope, COLL, stripZonePrefix, zone, type HostedZoneRecord, type RecordSetRecord } from './state.ts';

export function requireZone(ctx: RequestContext, id: string): DeepReadonly<HostedZoneRecord> {
  const z = zone(ctx.env.store, ctx.account, id);
  if (!z) throw r53Errors.noSuchHostedZone(stripZonePrefix(id));
  return z;
}

/** Every record of a zone, tombstones (sets deleted by a change not yet INSYNC) included. */
export const zoneRecords = (ctx: RequestContext, zoneId: string): DeepReadonly<RecordSetRecord>[] =>
  ctx.env.store.list<RecordSetRecord>(COLL.records, accountScope(ctx.account)).filter((r) => r.zoneId === zoneId);

/** The record sets the API shows for a zone. */
export const liveSets = (ctx: RequestContext, zoneId: string) => zoneRecords(ctx, zoneId).flatMap((r) => (r.rrset ? [r.rrset] : []));

/** A list's MaxItems: a string in the model, `dflt` when absent, at most `cap`; a bad one is InvalidInput. */
export function maxItems(v: string | undefined, dflt: number, cap: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw r53Errors.invalidInput(`Invalid value for MaxItems: ${v}`);
  return Math.min(n, cap);
}
