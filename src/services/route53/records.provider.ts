/**
 * Route 53 record sets (spec route53.md §2): ChangeResourceRecordSets validates a whole batch
 * against the zone as the batch would leave it, and either writes every change as one PENDING
 * change or answers InvalidChangeBatch with every problem and changes nothing;
 * ListResourceRecordSets and GetChange.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { loadBalancerByDnsName } from '../elb/resolve.ts';
import type { Handler, RequestContext } from '../service.ts';
import { changeInfo, submitChange, type SetWrites } from './changes.loop.ts';
import { r53Errors } from './errors.ts';
import { liveSets, maxItems, requireZone, zoneRecords } from './lookups.ts';
import { inZone, reversedName, wireName } from './names.ts';
import { checkChangeInput, notInTargetZone, policyOf, setProblems, type Change } from './record-validation.ts';
import { accountScope, canonicalName, COLL, recordKey, stripZonePrefix, zone as zoneById, type ChangeRecord, type HostedZoneRecord, type ResourceRecordSet } from './state.ts';

type RRSet = DeepReadonly<ResourceRecordSet>;

/** Per request: ResourceRecord elements (an alias counts as one) and characters of values; an UPSERT counts twice. */
const MAX_BATCH_RECORDS = 1000;
const MAX_BATCH_CHARS = 32000;
const MAX_LIST_ITEMS = 300;

/** A set as Route 53 keeps it: canonical names, nothing but the wire fields. */
function normalized(rr: Change['ResourceRecordSet']): ResourceRecordSet {
  const { TrafficPolicyInstanceId: _ignored, ...rest } = rr;
  const out: ResourceRecordSet = { ...rest, Name: canonicalName(rr.Name) };
  if (rr.AliasTarget) out.AliasTarget = { ...rr.AliasTarget, HostedZoneId: stripZonePrefix(rr.AliasTarget.HostedZoneId), DNSName: canonicalName(rr.AliasTarget.DNSName) };
  return out;
}

/** A DELETE must give every field of the current set; the values in any order. */
function sameSet(a: RRSet, b: RRSet): boolean {
  const form = (s: RRSet) =>
    JSON.stringify([
      s.Type, s.SetIdentifier, s.Weight, s.Region, s.Failover, s.MultiValueAnswer, s.TTL, s.HealthCheckId,
      s.GeoLocation && [s.GeoLocation.ContinentCode, s.GeoLocation.CountryCode, s.GeoLocation.SubdivisionCode],
      s.ResourceRecords?.map((r) => r.Value).sort(),
      s.AliasTarget && [s.AliasTarget.HostedZoneId, s.AliasTarget.DNSName, s.AliasTarget.EvaluateTargetHealth],
    ]);
  return form(a) === form(b);
}

const setText = (rr: RRSet) => `[name='${rr.Name}', type='${rr.Type}'${rr.SetIdentifier !== undefined ? `, set-identifier='${rr.SetIdentifier}'` : ''}]`;

function checkBatchSize(changes: Change[]): void {
  let records = 0;
  let chars = 0;
  for (const c of changes) {
    const times = c.Action === 'UPSERT' ? 2 : 1;
    const values = c.ResourceRecordSet.ResourceRecords ?? [];
    records += times * (c.ResourceRecordSet.AliasTarget ? 1 : values.length);
    chars += times * values.reduce((n, r) => n + r.Value.length, 0);
  }
  if (records > MAX_BATCH_RECORDS) throw r53Errors.invalidChangeBatch([`Number of records limit of ${MAX_BATCH_RECORDS} exceeded.`]);
  if (chars > MAX_BATCH_CHARS) throw r53Errors.invalidChangeBatch([`Number of characters in values limit of ${MAX_BATCH_CHARS} exceeded.`]);
}

/** Rules between the sets of one name, as the batch leaves the zone. */
function nameProblems(zone: DeepReadonly<HostedZoneRecord>, rr: RRSet, atName: RRSet[]): string[] {
  const out: string[] = [];
  if (rr.Type === 'CNAME') {
    if (rr.Name === zone.Name) out.push(`RRSet of type CNAME with DNS name ${rr.Name} is not permitted at apex in zone ${zone.Name}`);
    else if (atName.some((s) => s.Type !== 'CNAME')) out.push(`RRSet of type CNAME with DNS name ${rr.Name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.Name}`);
  } else if (atName.some((s) => s.Type === 'CNAME')) {
    out.push(`RRSet of type ${rr.Type} with DNS name ${rr.Name} is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone ${zone.Name}`);
  }
  const group = atName.filter((s) => s.Type === rr.Type);
  const policies = [...new Set(group.map(policyOf))];
  const what = `RRSet with DNS name ${rr.Name}, type ${rr.Type}`;
  if (policies.length > 1) out.push(`${what} is not permitted: one name and type cannot mix routing policies (${policies.join(', ')})`);
  const dup = (key: (s: RRSet) => string | undefined, text: string) => {
    const keys = group.map(key).filter((k) => k !== undefined);
    if (new Set(keys).size < keys.length) out.push(`${what} is not permitted: ${text}`);
  };
  dup((s) => s.Failover, 'there can be one PRIMARY and one SECONDARY failover record set only');
  dup((s) => s.Region, 'there can be one latency record set per Region only');
  dup((s) => (s.GeoLocation ? JSON.stringify([s.GeoLocation.ContinentCode, s.GeoLocation.CountryCode, s.GeoLocation.SubdivisionCode]) : undefined), 'there can be one geolocation record set per location only');
  const ttls = new Set(group.filter((s) => s.Weight !== undefined && s.TTL !== undefined).map((s) => s.TTL));
  if (ttls.size > 1) out.push(`${what} is not permitted: the weighted record sets of one name and type must all have the same TTL`);
  return out;
}

/**
 * An alias to a set in a hosted zone of the account (load balancers are checked with the set on
 * its own): the target must be a set of the same name and type, as the batch leaves this zone.
 */
function aliasProblem(ctx: RequestContext, zone: DeepReadonly<HostedZoneRecord>, rr: RRSet, working: Map<string, RRSet>): string | undefined {
  const target = rr.AliasTarget!;
  if (loadBalancerByDnsName(ctx.env.store, target.DNSName, ctx.account)) return undefined;
  const targetZone = target.HostedZoneId === zone.Id ? zone : zoneById(ctx.env.store, ctx.account, target.HostedZoneId);
  if (!targetZone || !inZone(target.DNSName, targetZone.Name)) return notInTargetZone(target.DNSName, rr.Type, target.HostedZoneId);
  const sets = targetZone === zone ? [...working.values()] : liveSets(ctx, targetZone.Id);
  if (!sets.some((s) => s.Name === target.DNSName && s.Type === rr.Type)) {
    return `Tried to create an alias that targets ${target.DNSName}, type ${rr.Type} in zone ${target.HostedZoneId}, but that target was not found`;
  }
  return undefined;
}

function listOrder(a: RRSet, b: RRSet): number {
  const ka = [reversedName(a.Name), a.Type, a.SetIdentifier ?? ''];
  const kb = [reversedName(b.Name), b.Type, b.SetIdentifier ?? ''];
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return 0;
}

export const recordsHandlers: Record<string, Handler> = {
  ChangeResourceRecordSets(input: { HostedZoneId: string; ChangeBatch: { Changes: Change[]; Comment?: string } }, ctx) {
    const zone = requireZone(ctx, input.HostedZoneId);
    const changes = input.ChangeBatch.Changes;
    for (const c of changes) checkChangeInput(c);
    checkBatchSize(changes);
    const working = new Map<string, RRSet>();
    for (const rec of zoneRecords(ctx, zone.Id)) if (rec.rrset) working.set(rec.key, rec.rrset);
    const writes: SetWrites = new Map();
    const problems: string[] = [];
    const written: RRSet[] = [];
    for (const c of changes) {
      const rr = normalized(c.ResourceRecordSet);
      const key = recordKey(zone.Id, rr.Name, rr.Type, rr.SetIdentifier);
      const current = working.get(key);
      if (c.Action === 'DELETE') {
        if (!current) problems.push(`Tried to delete resource record set ${setText(rr)} but it was not found`);
        else if (!sameSet(current, rr)) problems.push(`Tried to delete resource record set ${setText(rr)} but the values provided do not match the current values`);
        else {
          working.delete(key);
          writes.set(key, undefined);
        }
        continue;
      }
      problems.push(...setProblems(ctx, zone, rr));
      if (c.Action === 'CREATE' && current) {
        problems.push(`Tried to create resource record set ${setText(rr)} but it already exists`);
        continue;
      }
      working.set(key, rr);
      writes.set(key, rr);
      written.push(rr);
    }
    const byName = new Map<string, RRSet[]>();
    for (const s of working.values()) byName.set(s.Name, [...(byName.get(s.Name) ?? []), s]);
    for (const rr of written) {
      problems.push(...nameProblems(zone, rr, byName.get(rr.Name) ?? []));
      const alias = rr.AliasTarget && aliasProblem(ctx, zone, rr, working);
      if (alias) problems.push(alias);
    }
    const apex = byName.get(zone.Name) ?? [];
    if (apex.filter((s) => s.Type === 'SOA').length !== 1) problems.push('A HostedZone must contain exactly one SOA record.');
    if (!apex.some((s) => s.Type === 'NS')) problems.push('A HostedZone must contain at least one NS record for the zone itself.');
    if (problems.length) throw r53Errors.invalidChangeBatch([...new Set(problems)]);
    return { ChangeInfo: changeInfo(submitChange(ctx, zone.Id, writes, input.ChangeBatch.Comment)) };
  },

  ListResourceRecordSets(input: { HostedZoneId: string; StartRecordName?: string; StartRecordType?: string; StartRecordIdentifier?: string; MaxItems?: string }, ctx) {
    const zone = requireZone(ctx, input.HostedZoneId);
    if (input.StartRecordType !== undefined && input.StartRecordName === undefined) throw r53Errors.invalidInput('The input is not valid: StartRecordType requires StartRecordName.');
    if (input.StartRecordIdentifier !== undefined && input.StartRecordType === undefined) throw r53Errors.invalidInput('The input is not valid: StartRecordIdentifier requires StartRecordType.');
    const max = maxItems(input.MaxItems, MAX_LIST_ITEMS, MAX_LIST_ITEMS);
    const sets = [...liveSets(ctx, zone.Id)].sort(listOrder);
    let start = 0;
    if (input.StartRecordName !== undefined) {
      const from: RRSet = { Name: canonicalName(input.StartRecordName), Type: input.StartRecordType ?? '', SetIdentifier: input.StartRecordIdentifier };
      start = sets.findIndex((s) => listOrder(s, from) >= 0);
      if (start < 0) start = sets.length;
    }
    const page = sets.slice(start, start + max);
    const next = sets[start + max];
    return {
      ResourceRecordSets: page.map((s) => ({ ...s, Name: wireName(s.Name) })),
      IsTruncated: next !== undefined,
      NextRecordName: next && wireName(next.Name),
      NextRecordType: next?.Type,
      NextRecordIdentifier: next?.SetIdentifier,
      MaxItems: String(max),
    };
  },

  GetChange(input: { Id: string }, ctx) {
    const id = input.Id.replace(/^\/?change\//, '');
    const change = ctx.env.store.get<ChangeRecord>(COLL.changes, accountScope(ctx.account), id);
    if (!change) throw r53Errors.noSuchChange(id);
    return { ChangeInfo: changeInfo(change) };
  },
};
