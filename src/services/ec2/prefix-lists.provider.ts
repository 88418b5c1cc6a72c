/**
 * Managed prefix lists: named sets of CIDRs, versioned, that routes (DestinationPrefixListId)
 * and security group rules (PrefixListIds) name instead of a CIDR; a rule or route that names a
 * list means every CIDR of its current version, so modifying the list changes what they match.
 *
 * Customer lists are records; AWS's own lists (com.amazonaws.REGION.s3 and .dynamodb) exist in
 * every region, owned by `AWS`, and can be read but not changed. Their CIDR here is the address
 * that instances reach faultline's S3 at inside every VPC (the API address): the sandbox has no
 * other. Changes take effect at once: Create, Modify and Delete answer with AWS's
 * `*-in-progress` state, and the list reads `*-complete` from then on.
 */
import { createHash } from 'node:crypto';
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { formatCidr4, formatCidr6, parseCidr4, parseCidr6 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { arn } from './network.ts';
import { checkTagTypes, idsNotFound } from './scoped.ts';
import { COLL, type ManagedPrefixListRecord, type PrefixListEntryRecord, type RouteTableRecord, type SecurityGroupRecord } from './state.ts';
import { tagsFor } from './tags.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

/** The address instances reach faultline's API (and so S3) at inside every VPC (runtime/vpc-network.ts). */
const API_CIDR = '169.254.169.250/32';
const AWS_SERVICES = ['s3', 'dynamodb'];

export const prefixListNotFound = idsNotFound('InvalidPrefixListID', 'prefix list');

/** The stable id of AWS's prefix list named `com.amazonaws.REGION.SERVICE` (a gateway endpoint's routes name it). */
export const awsPrefixListId = (name: string) => `pl-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;

/** AWS's prefix lists of a region: stable ids, owned by `AWS`. */
function awsLists(region: string): { id: string; name: string; cidrs: string[] }[] {
  return AWS_SERVICES.map((svc) => {
    const name = `com.amazonaws.${region}.${svc}`;
    return { id: awsPrefixListId(name), name, cidrs: [API_CIDR] };
  });
}

function awsManagedView(region: string): ManagedPrefixListRecord[] {
  return awsLists(region).map((l) => ({
    PrefixListId: l.id,
    PrefixListName: l.name,
    PrefixListArn: `arn:aws:ec2:${region}:aws:prefix-list/${l.id}`,
    AddressFamily: 'IPv4',
    State: 'create-complete',
    MaxEntries: l.cidrs.length,
    Version: 1,
    OwnerId: 'AWS',
    Tags: [],
    versions: [l.cidrs.map((Cidr) => ({ Cidr }))],
  }));
}

/** A prefix list of the scope (the customer's or AWS's), if it exists. */
export function findPrefixList(env: Env, scope: Scope, id: string): DeepReadonly<ManagedPrefixListRecord> | undefined {
  return env.store.get<ManagedPrefixListRecord>(COLL.prefixLists, scope, id) ?? awsManagedView(scope.region).find((l) => l.PrefixListId === id);
}

/** The CIDRs a prefix list holds now; none when it does not exist (a rule naming a deleted list matches nothing). */
export function prefixListCidrs(env: Env, scope: Scope, id: string): string[] {
  const l = findPrefixList(env, scope, id);
  return l ? l.versions[l.Version - 1].map((e) => e.Cidr) : [];
}

/** Fails as EC2 does unless the prefix list exists. */
export function requirePrefixList(ctx: RequestContext, id: string): DeepReadonly<ManagedPrefixListRecord> {
  if (!id.startsWith('pl-')) throw new AwsError('InvalidPrefixListID.Malformed', `Invalid id: "${id}" (expecting "pl-...")`);
  const l = findPrefixList(ctx.env, ctx, id);
  if (!l) throw prefixListNotFound(id);
  return l;
}

function ownList(ctx: RequestContext, id: string): ManagedPrefixListRecord {
  const l = requirePrefixList(ctx, id);
  if (l.OwnerId === 'AWS') throw ec2Errors.operationNotPermitted(`The prefix list ${id} is managed by AWS and cannot be modified or deleted.`);
  return ctx.env.store.mutable<ManagedPrefixListRecord>(COLL.prefixLists, ctx, id)!;
}

function entryOf(family: string, e: { Cidr?: string; Description?: string }): PrefixListEntryRecord {
  if (!e.Cidr) throw errors.missingParameter('Cidr');
  const text = family === 'IPv4' ? (parseCidr4(e.Cidr, false) && formatCidr4(parseCidr4(e.Cidr, false)!)) : (parseCidr6(e.Cidr, false) && formatCidr6(parseCidr6(e.Cidr, false)!));
  if (!text) throw ec2Errors.invalidParameterValue(`The CIDR ${e.Cidr} is not a valid ${family} CIDR block.`);
  if (e.Description !== undefined && e.Description.length > 255) throw ec2Errors.invalidParameterValue('The description of an entry must be at most 255 characters.');
  return e.Description === undefined ? { Cidr: text } : { Cidr: text, Description: e.Description };
}

function checkMaxEntries(n: number | undefined): number {
  if (n === undefined) throw errors.missingParameter('MaxEntries');
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw ec2Errors.invalidParameterValue(`The value ${n} for MaxEntries is invalid. It must be between 1 and 1000.`);
  return n;
}

const maxEntriesExceeded = (id: string, max: number) => new AwsError('PrefixListMaxEntriesExceeded', `The prefix list ${id} would have more than its maximum of ${max} entries.`);

/** The list as the API shows it, with `State` as the call answers it. */
const view = (l: DeepReadonly<ManagedPrefixListRecord>, State?: string) => ({ ...l, State: State ?? l.State });

/** The security groups and route tables that name a prefix list. */
function associations(ctx: RequestContext, id: string): { ResourceId: string; ResourceOwner: string }[] {
  const groups = ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx).filter((g) => (g.rules ?? []).some((r) => r.PrefixListId === id));
  const tables = ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx).filter((t) => t.Routes.some((r) => r.DestinationPrefixListId === id));
  return [...groups.map((g) => ({ ResourceId: g.GroupId, ResourceOwner: g.OwnerId })), ...tables.map((t) => ({ ResourceId: t.RouteTableId, ResourceOwner: t.OwnerId }))];
}

export const prefixListHandlers = {
  CreateManagedPrefixList(
    input: { PrefixListName: string; Entries?: { Cidr?: string; Description?: string }[]; MaxEntries: number; AddressFamily: string; TagSpecifications?: TagSpecs; ClientToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const name = input.PrefixListName;
    if (!name || name.length > 255) throw ec2Errors.invalidParameterValue('The prefix list name must be 1 to 255 characters.');
    if (name.toLowerCase().startsWith('com.amazonaws')) throw ec2Errors.invalidParameterValue(`The prefix list name cannot start with 'com.amazonaws'.`);
    if (input.AddressFamily !== 'IPv4' && input.AddressFamily !== 'IPv6') throw ec2Errors.invalidParameterValue(`The address family ${input.AddressFamily} is invalid. Valid values: IPv4, IPv6.`);
    const max = checkMaxEntries(input.MaxEntries);
    checkTagTypes(input.TagSpecifications, ['prefix-list']);
    const tags = tagsFor(input.TagSpecifications, 'prefix-list');
    const entries = (input.Entries ?? []).map((e) => entryOf(input.AddressFamily, e));
    if (new Set(entries.map((e) => e.Cidr)).size !== entries.length) throw ec2Errors.invalidParameterValue('The request contains duplicate CIDRs.');
    const PrefixListId = resourceId('pl');
    if (entries.length > max) throw maxEntriesExceeded(PrefixListId, max);
    const rec: ManagedPrefixListRecord = {
      PrefixListId,
      PrefixListName: name,
      PrefixListArn: arn(ctx, 'prefix-list', PrefixListId),
      AddressFamily: input.AddressFamily,
      State: 'create-complete',
      MaxEntries: max,
      Version: 1,
      OwnerId: ctx.account,
      Tags: tags,
      versions: [entries],
    };
    ctx.env.store.put(COLL.prefixLists, ctx, PrefixListId, rec);
    return { PrefixList: view(rec, 'create-in-progress') };
  },

  ModifyManagedPrefixList(
    input: { PrefixListId: string; CurrentVersion?: number; PrefixListName?: string; AddEntries?: { Cidr?: string; Description?: string }[]; RemoveEntries?: { Cidr?: string }[]; MaxEntries?: number; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const l = ownList(ctx, input.PrefixListId);
    if (input.CurrentVersion !== undefined && input.CurrentVersion !== l.Version) {
      throw new AwsError('PrefixListVersionMismatch', `The prefix list ${l.PrefixListId} is at version ${l.Version}, not ${input.CurrentVersion}.`);
    }
    const changesEntries = !!(input.AddEntries?.length || input.RemoveEntries?.length);
    if (changesEntries && input.MaxEntries !== undefined) {
      throw ec2Errors.invalidParameterCombination('You cannot modify the entries of a prefix list and its maximum number of entries at the same time.');
    }
    if (input.PrefixListName !== undefined) {
      if (!input.PrefixListName || input.PrefixListName.length > 255 || input.PrefixListName.toLowerCase().startsWith('com.amazonaws')) {
        throw ec2Errors.invalidParameterValue(`The prefix list name '${input.PrefixListName}' is invalid.`);
      }
      l.PrefixListName = input.PrefixListName;
    }
    const current = l.versions[l.Version - 1];
    if (input.MaxEntries !== undefined) {
      const max = checkMaxEntries(input.MaxEntries);
      if (max < current.length) throw ec2Errors.invalidParameterValue(`The prefix list ${l.PrefixListId} has ${current.length} entries, more than ${max}.`);
      l.MaxEntries = max;
    }
    if (changesEntries) {
      const next = new Map(current.map((e) => [e.Cidr, e]));
      for (const r of input.RemoveEntries ?? []) {
        const cidr = entryOf(l.AddressFamily, { Cidr: r.Cidr }).Cidr;
        if (!next.delete(cidr)) throw ec2Errors.invalidParameterValue(`The prefix list ${l.PrefixListId} has no entry ${r.Cidr}.`);
      }
      for (const a of input.AddEntries ?? []) {
        const e = entryOf(l.AddressFamily, a);
        next.set(e.Cidr, e);
      }
      if (next.size > l.MaxEntries) throw maxEntriesExceeded(l.PrefixListId, l.MaxEntries);
      l.versions.push([...next.values()]);
      l.Version = l.versions.length;
    }
    l.State = 'modify-complete';
    ctx.env.store.put(COLL.prefixLists, ctx, l.PrefixListId, l);
    return { PrefixList: view(l, 'modify-in-progress') };
  },

  DeleteManagedPrefixList(input: { PrefixListId: string; DryRun?: boolean }, ctx: RequestContext) {
    const l = ownList(ctx, input.PrefixListId);
    const users = associations(ctx, l.PrefixListId);
    if (users.length) throw ec2Errors.dependencyViolation(`The prefix list ${l.PrefixListId} is referenced by ${users.map((u) => u.ResourceId).join(', ')}.`);
    ctx.env.store.delete(COLL.prefixLists, ctx, l.PrefixListId);
    return { PrefixList: view(l, 'delete-in-progress') };
  },

  DescribeManagedPrefixLists(input: { PrefixListIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const all = [...awsManagedView(ctx.region), ...ctx.env.store.list<ManagedPrefixListRecord>(COLL.prefixLists, ctx)];
    const picked = selectIds(all, input.PrefixListIds, (l) => l.PrefixListId, prefixListNotFound);
    const filtered = applyFilters(picked, input.Filters, {
      'owner-id': (l) => l.OwnerId,
      'prefix-list-id': (l) => l.PrefixListId,
      'prefix-list-name': (l) => l.PrefixListName,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 1, 100);
    return { PrefixLists: page.map((l) => view(l)), NextToken };
  },

  GetManagedPrefixListEntries(input: { PrefixListId: string; TargetVersion?: number; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const l = requirePrefixList(ctx, input.PrefixListId);
    const version = input.TargetVersion ?? l.Version;
    if (!Number.isInteger(version) || version < 1 || version > l.Version) {
      throw ec2Errors.invalidParameterValue(`The prefix list ${l.PrefixListId} has no version ${input.TargetVersion}.`);
    }
    const { page, NextToken } = paginate([...l.versions[version - 1]], input.MaxResults, input.NextToken, 1, 100);
    return { Entries: page, NextToken };
  },

  GetManagedPrefixListAssociations(input: { PrefixListId: string; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const l = requirePrefixList(ctx, input.PrefixListId);
    const { page, NextToken } = paginate(associations(ctx, l.PrefixListId), input.MaxResults, input.NextToken, 5, 255);
    return { PrefixListAssociations: page, NextToken };
  },

  DescribePrefixLists(input: { PrefixListIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const all = awsLists(ctx.region).map((l) => ({ PrefixListId: l.id, PrefixListName: l.name, Cidrs: l.cidrs }));
    const picked = selectIds(all, input.PrefixListIds, (l) => l.PrefixListId, prefixListNotFound);
    const filtered = applyFilters(picked, input.Filters, { 'prefix-list-id': (l) => l.PrefixListId, 'prefix-list-name': (l) => l.PrefixListName });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { PrefixLists: page, NextToken };
  },
};
