/**
 * Route 53 hosted zones (spec route53.md §1): public and private zones with their automatic apex
 * SOA and NS sets, VPC associations, tags, and the limits, DNSSEC and query-logging reads that
 * Terraform's aws_route53_zone makes.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly } from '../../core/store.ts';
import { COLL as EC2, type VpcRecord } from '../ec2/state.ts';
import type { Handler, RequestContext } from '../service.ts';
import { changeInfo, route53Id, submitChange, type SetWrites } from './changes.loop.ts';
import { r53Errors } from './errors.ts';
import { liveSets, maxItems, requireZone } from './lookups.ts';
import { checkDomainName, reversedName } from './names.ts';
import { accountScope, canonicalName, COLL, healthCheck, recordKey, stripZonePrefix, type HealthCheckRecord, type HostedZoneRecord, type ResourceRecordSet, type Tag } from './state.ts';

/**
 * The delegation set of every public zone, and the set private zones answer with (observed); as
 * DelegationSet shows them, without the trailing dot the zone's NS and SOA values have.
 */
const PUBLIC_NAME_SERVERS = ['ns-2048.awsdns-64.com', 'ns-2049.awsdns-65.net', 'ns-2050.awsdns-66.org', 'ns-2051.awsdns-67.co.uk'];
const PRIVATE_NAME_SERVERS = ['ns-0.awsdns-00.com', 'ns-512.awsdns-00.net', 'ns-1024.awsdns-00.org', 'ns-1536.awsdns-00.co.uk'];
const NS_TTL = 172800;
const SOA_TTL = 900;
/** Mailbox, serial (never incremented), refresh, retry, expire and minimum (negative-caching TTL). */
const SOA_TAIL = 'awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400';

const ACCOUNT_LIMITS: Record<string, number> = {
  MAX_HEALTH_CHECKS_BY_OWNER: 200,
  MAX_HOSTED_ZONES_BY_OWNER: 500,
  MAX_REUSABLE_DELEGATION_SETS_BY_OWNER: 100,
  MAX_TRAFFIC_POLICIES_BY_OWNER: 50,
  MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER: 5,
};
const MAX_RRSETS_BY_ZONE = 10000;
const MAX_VPCS_BY_ZONE = 300;
const ENDPOINT = 'https://route53.amazonaws.com/2013-04-01';

const isPrivate = (z: DeepReadonly<HostedZoneRecord>) => z.Config?.PrivateZone === true;

/** HostedZone in its wire shape. */
function view(ctx: RequestContext, z: DeepReadonly<HostedZoneRecord>) {
  return {
    Id: `/hostedzone/${z.Id}`,
    Name: z.Name,
    CallerReference: z.CallerReference,
    Config: z.Config,
    ResourceRecordSetCount: liveSets(ctx, z.Id).length,
  };
}

const delegationSet = (z: DeepReadonly<HostedZoneRecord>) => ({ NameServers: [...z.nameServers] });

/** The apex SOA and NS sets a new zone starts with. */
function apexSets(name: string, priv: boolean): ResourceRecordSet[] {
  const servers = (priv ? PRIVATE_NAME_SERVERS : PUBLIC_NAME_SERVERS).map((s) => s + '.');
  return [
    { Name: name, Type: 'NS', TTL: NS_TTL, ResourceRecords: servers.map((Value) => ({ Value })) },
    { Name: name, Type: 'SOA', TTL: SOA_TTL, ResourceRecords: [{ Value: `${priv ? servers[3] : servers[0]} ${SOA_TAIL}` }] },
  ];
}

/** The VPC named in a request, which must exist in that region of the account. */
function requireVpc(ctx: RequestContext, vpc: { VPCId?: string; VPCRegion?: string } | undefined): { VPCRegion: string; VPCId: string } {
  if (!vpc?.VPCId || !vpc.VPCRegion) throw r53Errors.invalidInput('Invalid request: a VPC needs both VPCId and VPCRegion.');
  const found = ctx.env.store.get<VpcRecord>(EC2.vpcs, { account: ctx.account, region: vpc.VPCRegion }, vpc.VPCId);
  if (!found) throw new AwsError('InvalidVPCId', `The VPC ${vpc.VPCId} does not exist in ${vpc.VPCRegion}.`, 400);
  return { VPCRegion: vpc.VPCRegion, VPCId: vpc.VPCId };
}

const zonesOf = (ctx: RequestContext) => ctx.env.store.list<HostedZoneRecord>(COLL.zones, accountScope(ctx.account));

/** A VPC can be associated with one private zone of a name only. */
function checkNoConflict(ctx: RequestContext, name: string, vpc: { VPCRegion: string; VPCId: string }, except?: string): void {
  const clash = zonesOf(ctx).find((z) => z.Id !== except && z.Name === name && z.vpcs.some((v) => v.VPCId === vpc.VPCId && v.VPCRegion === vpc.VPCRegion));
  if (clash) throw new AwsError('ConflictingDomainExists', `The VPC ${vpc.VPCId} in ${vpc.VPCRegion} is already associated with another private hosted zone named ${name}.`, 400);
}

function tagTarget(ctx: RequestContext, type: string, id: string): { tags: readonly DeepReadonly<Tag>[]; write: (tags: Tag[]) => void } {
  const scope = accountScope(ctx.account);
  if (type === 'hostedzone') {
    const z = requireZone(ctx, id);
    return { tags: z.tags, write: (tags) => ctx.env.store.put(COLL.zones, scope, z.Id, { ...structuredClone(z as HostedZoneRecord), tags }) };
  }
  const hc = healthCheck(ctx.env.store, ctx.account, id);
  if (!hc) throw r53Errors.noSuchHealthCheck(id);
  return { tags: hc.tags, write: (tags) => ctx.env.store.put(COLL.healthChecks, scope, hc.Id, { ...structuredClone(hc as HealthCheckRecord), tags }) };
}

const tagSet = (ctx: RequestContext, type: string, id: string) => ({ ResourceType: type, ResourceId: stripZonePrefix(id), Tags: tagTarget(ctx, type, id).tags.map((t) => ({ ...t })) });

export const zonesHandlers: Record<string, Handler> = {
  CreateHostedZone(input: { Name: string; CallerReference: string; HostedZoneConfig?: { Comment?: string; PrivateZone?: boolean }; VPC?: { VPCId?: string; VPCRegion?: string }; DelegationSetId?: string }, ctx) {
    const name = canonicalName(input.Name);
    checkDomainName(name, input.Name);
    if (name.split('.').length <= 2) throw r53Errors.invalidDomainName(`${name} is reserved by AWS!`);
    if (input.DelegationSetId) throw new AwsError('NoSuchDelegationSet', `faultline has no reusable delegation sets: ${input.DelegationSetId}`, 400);
    const zones = zonesOf(ctx);
    if (zones.some((z) => z.CallerReference === input.CallerReference)) {
      throw new AwsError('HostedZoneAlreadyExists', `A hosted zone has already been created with the specified caller reference.`, 409);
    }
    if (zones.length >= ACCOUNT_LIMITS.MAX_HOSTED_ZONES_BY_OWNER) throw new AwsError('TooManyHostedZones', 'This operation would exceed the limit of 500 hosted zones per account.', 400);
    const priv = input.HostedZoneConfig?.PrivateZone === true || input.VPC !== undefined;
    if (input.HostedZoneConfig?.PrivateZone === true && !input.VPC) throw r53Errors.invalidInput('When you create a private hosted zone, you must specify a VPC.');
    const vpc = priv ? requireVpc(ctx, input.VPC) : undefined;
    if (vpc) checkNoConflict(ctx, name, vpc);
    const z: HostedZoneRecord = {
      Id: route53Id('Z'),
      Name: name,
      CallerReference: input.CallerReference,
      // Left out of responses when the request gave none (spec §1).
      Config: input.HostedZoneConfig ? { Comment: input.HostedZoneConfig.Comment, PrivateZone: priv } : priv ? { PrivateZone: true } : undefined,
      vpcs: vpc ? [vpc] : [],
      nameServers: [...(priv ? PRIVATE_NAME_SERVERS : PUBLIC_NAME_SERVERS)],
      tags: [],
      createdAt: ctx.env.clock.now(),
    };
    ctx.env.store.put(COLL.zones, accountScope(ctx.account), z.Id, z);
    const writes: SetWrites = new Map(apexSets(name, priv).map((s) => [recordKey(z.Id, s.Name, s.Type), s]));
    const change = submitChange(ctx, z.Id, writes);
    return {
      HostedZone: view(ctx, z),
      ChangeInfo: changeInfo(change),
      DelegationSet: delegationSet(z),
      VPC: vpc,
      Location: `${ENDPOINT}/hostedzone/${z.Id}`,
    };
  },

  GetHostedZone(input: { Id: string }, ctx) {
    const z = requireZone(ctx, input.Id);
    return isPrivate(z) ? { HostedZone: view(ctx, z), VPCs: z.vpcs.map((v) => ({ ...v })) } : { HostedZone: view(ctx, z), DelegationSet: delegationSet(z) };
  },

  GetHostedZoneCount(_input: unknown, ctx) {
    return { HostedZoneCount: zonesOf(ctx).length };
  },

  ListHostedZones(input: { Marker?: string; MaxItems?: string; HostedZoneType?: string; DelegationSetId?: string }, ctx) {
    const max = maxItems(input.MaxItems, 100, 100);
    const all = zonesOf(ctx)
      .filter((z) => !input.HostedZoneType || isPrivate(z))
      .sort((a, b) => a.createdAt - b.createdAt || (a.Id < b.Id ? -1 : 1));
    let start = 0;
    if (input.Marker !== undefined) {
      start = all.findIndex((z) => z.Id === stripZonePrefix(input.Marker!));
      if (start < 0) throw r53Errors.invalidInput(`Invalid marker: ${input.Marker}`);
    }
    const page = all.slice(start, start + max);
    const next = all[start + max];
    return { HostedZones: page.map((z) => view(ctx, z)), Marker: input.Marker ?? '', IsTruncated: next !== undefined, NextMarker: next?.Id, MaxItems: String(max) };
  },

  ListHostedZonesByName(input: { DNSName?: string; HostedZoneId?: string; MaxItems?: string }, ctx) {
    if (input.HostedZoneId && !input.DNSName) throw r53Errors.invalidInput('Invalid request: HostedZoneId requires DNSName.');
    const max = maxItems(input.MaxItems, 100, 100);
    const order = (z: DeepReadonly<HostedZoneRecord>) => [reversedName(z.Name), z.Id] as const;
    const all = zonesOf(ctx).sort((a, b) => {
      const [an, ai] = order(a);
      const [bn, bi] = order(b);
      return an < bn ? -1 : an > bn ? 1 : ai < bi ? -1 : ai > bi ? 1 : 0;
    });
    let start = 0;
    if (input.DNSName !== undefined) {
      const from = reversedName(canonicalName(input.DNSName));
      const fromId = input.HostedZoneId ? stripZonePrefix(input.HostedZoneId) : '';
      start = all.findIndex((z) => reversedName(z.Name) > from || (reversedName(z.Name) === from && z.Id >= fromId));
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + max);
    const next = all[start + max];
    return {
      HostedZones: page.map((z) => view(ctx, z)),
      DNSName: input.DNSName,
      HostedZoneId: input.HostedZoneId,
      IsTruncated: next !== undefined,
      NextDNSName: next?.Name,
      NextHostedZoneId: next?.Id,
      MaxItems: String(max),
    };
  },

  ListHostedZonesByVPC(input: { VPCId: string; VPCRegion: string; MaxItems?: string; NextToken?: string }, ctx) {
    const max = maxItems(input.MaxItems, 100, 100);
    const all = zonesOf(ctx)
      .filter((z) => z.vpcs.some((v) => v.VPCId === input.VPCId && v.VPCRegion === input.VPCRegion))
      .sort((a, b) => (a.Id < b.Id ? -1 : 1));
    const start = input.NextToken ? all.findIndex((z) => z.Id === input.NextToken) : 0;
    if (start < 0) throw new AwsError('InvalidPaginationToken', 'The value that you specified for NextToken in a List request is not valid.', 400);
    const next = all[start + max];
    return {
      HostedZoneSummaries: all.slice(start, start + max).map((z) => ({ HostedZoneId: z.Id, Name: z.Name, Owner: { OwningAccount: ctx.account } })),
      MaxItems: String(max),
      NextToken: next?.Id,
    };
  },

  UpdateHostedZoneComment(input: { Id: string; Comment?: string }, ctx) {
    const z = structuredClone(requireZone(ctx, input.Id)) as HostedZoneRecord;
    z.Config = { PrivateZone: isPrivate(z), Comment: input.Comment };
    ctx.env.store.put(COLL.zones, accountScope(ctx.account), z.Id, z);
    return { HostedZone: view(ctx, z) };
  },

  DeleteHostedZone(input: { Id: string }, ctx) {
    const z = requireZone(ctx, input.Id);
    const sets = liveSets(ctx, z.Id);
    if (sets.some((s) => !((s.Type === 'SOA' || s.Type === 'NS') && canonicalName(s.Name) === z.Name))) {
      throw new AwsError('HostedZoneNotEmpty', 'The specified hosted zone contains non-required resource record sets and so cannot be deleted.', 400);
    }
    const scope = accountScope(ctx.account);
    for (const r of ctx.env.store.list<{ key: string; zoneId: string }>(COLL.records, scope)) if (r.zoneId === z.Id) ctx.env.store.delete(COLL.records, scope, r.key);
    ctx.env.store.delete(COLL.zones, scope, z.Id);
    return { ChangeInfo: changeInfo(submitChange(ctx, z.Id, new Map())) };
  },

  AssociateVPCWithHostedZone(input: { HostedZoneId: string; VPC: { VPCId?: string; VPCRegion?: string }; Comment?: string }, ctx) {
    const z = structuredClone(requireZone(ctx, input.HostedZoneId)) as HostedZoneRecord;
    if (!isPrivate(z)) throw new AwsError('PublicZoneVPCAssociation', 'Public hosted zones cannot be associated with a VPC.', 400);
    const vpc = requireVpc(ctx, input.VPC);
    if (z.vpcs.some((v) => v.VPCId === vpc.VPCId && v.VPCRegion === vpc.VPCRegion)) throw new AwsError('ConflictingDomainExists', `The VPC ${vpc.VPCId} is already associated with the hosted zone ${z.Id}.`, 400);
    checkNoConflict(ctx, z.Name, vpc, z.Id);
    if (z.vpcs.length >= MAX_VPCS_BY_ZONE) throw new AwsError('LimitsExceeded', `A private hosted zone can be associated with at most ${MAX_VPCS_BY_ZONE} VPCs.`, 400);
    z.vpcs.push(vpc);
    ctx.env.store.put(COLL.zones, accountScope(ctx.account), z.Id, z);
    return { ChangeInfo: changeInfo(submitChange(ctx, z.Id, new Map(), input.Comment)) };
  },

  DisassociateVPCFromHostedZone(input: { HostedZoneId: string; VPC: { VPCId?: string; VPCRegion?: string }; Comment?: string }, ctx) {
    const z = structuredClone(requireZone(ctx, input.HostedZoneId)) as HostedZoneRecord;
    const at = z.vpcs.findIndex((v) => v.VPCId === input.VPC.VPCId && (!input.VPC.VPCRegion || v.VPCRegion === input.VPC.VPCRegion));
    if (at < 0) throw new AwsError('VPCAssociationNotFound', `The VPC ${input.VPC.VPCId} is not associated with the hosted zone ${z.Id}.`, 404);
    if (z.vpcs.length === 1) throw new AwsError('LastVPCAssociation', 'The VPC that you are trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone.', 400);
    z.vpcs.splice(at, 1);
    ctx.env.store.put(COLL.zones, accountScope(ctx.account), z.Id, z);
    return { ChangeInfo: changeInfo(submitChange(ctx, z.Id, new Map(), input.Comment)) };
  },

  ChangeTagsForResource(input: { ResourceType: string; ResourceId: string; AddTags?: Tag[]; RemoveTagKeys?: string[] }, ctx) {
    const target = tagTarget(ctx, input.ResourceType, input.ResourceId);
    const remove = new Set(input.RemoveTagKeys ?? []);
    const add = input.AddTags ?? [];
    const tags = target.tags.filter((t) => !remove.has(t.Key) && !add.some((a) => a.Key === t.Key)).map((t) => ({ ...t }));
    tags.push(...add.map((t) => ({ Key: t.Key, Value: t.Value })));
    if (tags.length > 50) throw r53Errors.invalidInput('A resource can have at most 50 tags.');
    target.write(tags);
    return {};
  },

  ListTagsForResource(input: { ResourceType: string; ResourceId: string }, ctx) {
    return { ResourceTagSet: tagSet(ctx, input.ResourceType, input.ResourceId) };
  },

  ListTagsForResources(input: { ResourceType: string; ResourceIds: string[] }, ctx) {
    return { ResourceTagSets: input.ResourceIds.map((id) => tagSet(ctx, input.ResourceType, id)) };
  },

  GetAccountLimit(input: { Type: string }, ctx) {
    const counts: Record<string, number> = {
      MAX_HOSTED_ZONES_BY_OWNER: zonesOf(ctx).length,
      MAX_HEALTH_CHECKS_BY_OWNER: ctx.env.store.count(COLL.healthChecks, accountScope(ctx.account)),
    };
    return { Limit: { Type: input.Type, Value: ACCOUNT_LIMITS[input.Type] }, Count: counts[input.Type] ?? 0 };
  },

  GetHostedZoneLimit(input: { HostedZoneId: string; Type: string }, ctx) {
    const z = requireZone(ctx, input.HostedZoneId);
    if (input.Type === 'MAX_VPCS_ASSOCIATED_BY_ZONE') {
      if (!isPrivate(z)) throw new AwsError('HostedZoneNotPrivate', 'The specified hosted zone is a public hosted zone, not a private hosted zone.', 400);
      return { Limit: { Type: input.Type, Value: MAX_VPCS_BY_ZONE }, Count: z.vpcs.length };
    }
    return { Limit: { Type: input.Type, Value: MAX_RRSETS_BY_ZONE }, Count: liveSets(ctx, z.Id).length };
  },

  // faultline signs nothing: every zone answers as one with DNSSEC signing never enabled.
  GetDNSSEC(input: { HostedZoneId: string }, ctx) {
    requireZone(ctx, input.HostedZoneId);
    return { Status: { ServeSignature: 'NOT_SIGNING' }, KeySigningKeys: [] };
  },

  // No query logging: the list is always empty (Terraform's aws_route53_zone reads it).
  ListQueryLoggingConfigs(input: { HostedZoneId?: string }, ctx) {
    if (input.HostedZoneId) requireZone(ctx, input.HostedZoneId);
    return { QueryLoggingConfigs: [] };
  },
};
