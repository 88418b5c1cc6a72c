/**
 * Network ACLs and their entries. Every VPC has a default ACL (created with it) that allows all
 * traffic; every subnet is associated with exactly one ACL, the default one until
 * ReplaceNetworkAclAssociation moves it, and DescribeNetworkAcls lists each association.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { formatCidr4, formatCidr6, parseCidr4, parseCidr6 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { notFound, requireNetworkAcl, requireVpc } from './network.ts';
import { COLL, type NetworkAclEntryRecord, type NetworkAclRecord } from './state.ts';
import { tagsFor } from './tags.ts';
import { own } from '../../core/own.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

/** The rule number of the catch-all deny rules that every ACL ends with. */
export const CATCH_ALL = 32767;
export const CATCH_ALL_IPV6 = 32768;

function entry(ruleNumber: number, egress: boolean, action: 'allow' | 'deny', cidr: string): NetworkAclEntryRecord {
  return { RuleNumber: ruleNumber, Protocol: '-1', RuleAction: action, Egress: egress, ...(cidr.includes(':') ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }) };
}

/** AWS lists outbound entries first, each direction in rule-number order. */
export const sortEntries = (entries: NetworkAclEntryRecord[]) =>
  entries.sort((a, b) => Number(b.Egress) - Number(a.Egress) || a.RuleNumber - b.RuleNumber);

/**
 * Creates and stores an ACL. A default ACL allows everything (rule 100, and 101 for IPv6); every
 * ACL ends with the catch-all deny (`*`, rule 32767, and 32768 for IPv6) in both directions.
 */
export function createNetworkAclRecord(ctx: RequestContext, opts: { vpcId: string; isDefault: boolean; ipv6?: boolean; tags: Tag[] }): NetworkAclRecord {
  const NetworkAclId = resourceId('acl');
  const entries: NetworkAclEntryRecord[] = [];
  for (const egress of [true, false]) {
    if (opts.isDefault) {
      entries.push(entry(100, egress, 'allow', '0.0.0.0/0'));
      if (opts.ipv6) entries.push(entry(101, egress, 'allow', '::/0'));
    }
    entries.push(entry(CATCH_ALL, egress, 'deny', '0.0.0.0/0'));
    if (opts.ipv6) entries.push(entry(CATCH_ALL_IPV6, egress, 'deny', '::/0'));
  }
  const acl: NetworkAclRecord = { NetworkAclId, VpcId: opts.vpcId, OwnerId: ctx.account, IsDefault: opts.isDefault, Entries: sortEntries(entries), Associations: [], Tags: opts.tags };
  ctx.env.store.put(COLL.networkAcls, ctx, NetworkAclId, acl);
  return acl;
}

/** Associates a new subnet with its VPC's default ACL. */
export function associateDefaultAcl(ctx: RequestContext, vpcId: string, subnetId: string): void {
  const acl = ctx.env.store.list<NetworkAclRecord>(COLL.networkAcls, ctx).find((a) => a.VpcId === vpcId && a.IsDefault);
  if (!acl) return;
  const rec = ctx.env.store.mutable<NetworkAclRecord>(COLL.networkAcls, ctx, acl.NetworkAclId)!;
  rec.Associations.push({ NetworkAclAssociationId: resourceId('aclassoc'), NetworkAclId: rec.NetworkAclId, SubnetId: subnetId });
  ctx.env.store.put(COLL.networkAcls, ctx, rec.NetworkAclId, rec);
}

/** Drops a deleted subnet's ACL association, wherever it is. */
export function dropAclAssociation(ctx: RequestContext, subnetId: string): void {
  for (const acl of ctx.env.store.list<NetworkAclRecord>(COLL.networkAcls, ctx)) {
    if (!acl.Associations.some((a) => a.SubnetId === subnetId)) continue;
    const rec = ctx.env.store.mutable<NetworkAclRecord>(COLL.networkAcls, ctx, acl.NetworkAclId)!;
    rec.Associations = rec.Associations.filter((a) => a.SubnetId !== subnetId);
    ctx.env.store.put(COLL.networkAcls, ctx, rec.NetworkAclId, rec);
  }
}


type EntryInput = {
  NetworkAclId: string;
  RuleNumber: number;
  Egress: boolean;
  Protocol: string;
  RuleAction: 'allow' | 'deny';
  CidrBlock?: string;
  Ipv6CidrBlock?: string;
  PortRange?: { From?: number; To?: number };
  IcmpTypeCode?: { Type?: number; Code?: number };
  DryRun?: boolean;
};

const PROTOCOL_NUMBERS: Record<string, string> = { all: '-1', tcp: '6', udp: '17', icmp: '1', icmpv6: '58' };

/** Validates an entry as CreateNetworkAclEntry and ReplaceNetworkAclEntry take it. */
function entryOf(input: EntryInput): NetworkAclEntryRecord {
  if (!Number.isInteger(input.RuleNumber) || input.RuleNumber < 1 || input.RuleNumber > 32766) {
    throw ec2Errors.invalidParameterValue(`Value (${input.RuleNumber}) for parameter ruleNumber is invalid. Rule numbers must be between 1 and 32766.`);
  }
  const p = input.Protocol.trim().toLowerCase();
  const Protocol = own(PROTOCOL_NUMBERS, p) ?? (/^-?\d+$/.test(p) && Number(p) >= -1 && Number(p) <= 255 ? String(Number(p)) : undefined);
  if (Protocol === undefined) throw ec2Errors.invalidParameterValue(`Invalid value '${input.Protocol}' for protocol. Unknown protocol.`);
  if ((input.CidrBlock === undefined) === (input.Ipv6CidrBlock === undefined)) {
    throw input.CidrBlock === undefined ? errors.missingParameter('cidrBlock or ipv6CidrBlock') : ec2Errors.invalidParameterCombination('Only one of cidrBlock and ipv6CidrBlock may be given.');
  }
  const entry: NetworkAclEntryRecord = { RuleNumber: input.RuleNumber, Protocol, RuleAction: input.RuleAction, Egress: input.Egress };
  if (input.CidrBlock !== undefined) {
    const c = parseCidr4(input.CidrBlock, false);
    if (!c) throw ec2Errors.invalidParameterValue(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    entry.CidrBlock = formatCidr4(c);
  } else {
    const c = parseCidr6(input.Ipv6CidrBlock, false);
    if (!c) throw ec2Errors.invalidParameterValue(`Value (${input.Ipv6CidrBlock}) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
    entry.Ipv6CidrBlock = formatCidr6(c);
  }
  if (Protocol === '6' || Protocol === '17') {
    const from = input.PortRange?.From;
    const to = input.PortRange?.To;
    if (from === undefined || to === undefined) throw errors.missingParameter('portRange');
    if (from < 0 || to > 65535 || from > to) throw ec2Errors.invalidParameterValue(`Invalid port range: ${from}-${to}. Ports must be between 0 and 65535, from not above to.`);
    entry.PortRange = { From: from, To: to };
  } else if (Protocol === '1' || Protocol === '58') {
    const type = input.IcmpTypeCode?.Type;
    const code = input.IcmpTypeCode?.Code;
    if (type === undefined || code === undefined) throw errors.missingParameter('icmpTypeCode');
    entry.IcmpTypeCode = { Type: type, Code: code };
  }
  return entry;
}

function findEntry(acl: DeepReadonly<NetworkAclRecord>, ruleNumber: number, egress: boolean) {
  const i = acl.Entries.findIndex((e) => e.RuleNumber === ruleNumber && e.Egress === egress);
  if (i < 0) throw new AwsError('InvalidNetworkAclEntry.NotFound', `The network acl entry identified by ${ruleNumber} does not exist.`);
  return i;
}

function saveAcl(ctx: RequestContext, acl: NetworkAclRecord): void {
  sortEntries(acl.Entries);
  ctx.env.store.put(COLL.networkAcls, ctx, acl.NetworkAclId, acl);
}

export const networkAclHandlers = {
  CreateNetworkAcl(input: { VpcId: string; TagSpecifications?: TagSpecs; ClientToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const vpc = requireVpc(ctx, input.VpcId);
    const tags = tagsFor(input.TagSpecifications, 'network-acl');
    const acl = createNetworkAclRecord(ctx, { vpcId: vpc.VpcId, isDefault: false, ipv6: !!vpc.Ipv6CidrBlockAssociationSet?.length, tags });
    return { NetworkAcl: acl, ClientToken: input.ClientToken };
  },

  DeleteNetworkAcl(input: { NetworkAclId: string; DryRun?: boolean }, ctx: RequestContext) {
    const acl = requireNetworkAcl(ctx, input.NetworkAclId);
    if (acl.IsDefault) throw ec2Errors.invalidParameterValue(`cannot delete default network ACL ${acl.NetworkAclId}`);
    if (acl.Associations.length) throw ec2Errors.dependencyViolation(`The networkAcl '${acl.NetworkAclId}' has dependencies and cannot be deleted.`);
    ctx.env.store.delete(COLL.networkAcls, ctx, acl.NetworkAclId);
    return {};
  },

  DescribeNetworkAcls(input: { NetworkAclIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const acls = selectIds(ctx.env.store.list<NetworkAclRecord>(COLL.networkAcls, ctx), input.NetworkAclIds, (a) => a.NetworkAclId, notFound.networkAcl);
    type A = (typeof acls)[number];
    type E = DeepReadonly<NetworkAclEntryRecord>;
    const entries = (a: A, f: (e: E) => string | number | boolean | undefined) => a.Entries.map(f);
    const filtered = applyFilters(acls, input.Filters, {
      'association.association-id': (a) => a.Associations.map((x) => x.NetworkAclAssociationId),
      'association.network-acl-id': (a) => a.Associations.map((x) => x.NetworkAclId),
      'association.subnet-id': (a) => a.Associations.map((x) => x.SubnetId),
      default: (a) => a.IsDefault,
      'entry.cidr': (a) => entries(a, (e) => e.CidrBlock),
      'entry.ipv6-cidr': (a) => entries(a, (e) => e.Ipv6CidrBlock),
      'entry.icmp.code': (a) => entries(a, (e) => e.IcmpTypeCode?.Code),
      'entry.icmp.type': (a) => entries(a, (e) => e.IcmpTypeCode?.Type),
      'entry.port-range.from': (a) => entries(a, (e) => e.PortRange?.From),
      'entry.port-range.to': (a) => entries(a, (e) => e.PortRange?.To),
      'entry.protocol': (a) => entries(a, (e) => e.Protocol),
      'entry.rule-action': (a) => entries(a, (e) => e.RuleAction),
      'entry.egress': (a) => entries(a, (e) => e.Egress),
      'entry.rule-number': (a) => entries(a, (e) => e.RuleNumber),
      'network-acl-id': (a) => a.NetworkAclId,
      'owner-id': (a) => a.OwnerId,
      'vpc-id': (a) => a.VpcId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { NetworkAcls: page, NextToken };
  },

  CreateNetworkAclEntry(input: EntryInput, ctx: RequestContext) {
    const acl = requireNetworkAcl(ctx, input.NetworkAclId);
    const entry = entryOf(input);
    if (acl.Entries.some((e) => e.RuleNumber === entry.RuleNumber && e.Egress === entry.Egress)) {
      throw new AwsError('NetworkAclEntryAlreadyExists', `The network acl entry identified by ${entry.RuleNumber} already exists.`);
    }
    const rec = ctx.env.store.mutable<NetworkAclRecord>(COLL.networkAcls, ctx, acl.NetworkAclId)!;
    rec.Entries.push(entry);
    saveAcl(ctx, rec);
    return {};
  },

  ReplaceNetworkAclEntry(input: EntryInput, ctx: RequestContext) {
    const acl = requireNetworkAcl(ctx, input.NetworkAclId);
    const entry = entryOf(input);
    const i = findEntry(acl, entry.RuleNumber, entry.Egress);
    const rec = ctx.env.store.mutable<NetworkAclRecord>(COLL.networkAcls, ctx, acl.NetworkAclId)!;
    rec.Entries[i] = entry;
    saveAcl(ctx, rec);
    return {};
  },

  DeleteNetworkAclEntry(input: { NetworkAclId: string; RuleNumber: number; Egress: boolean; DryRun?: boolean }, ctx: RequestContext) {
    const acl = requireNetworkAcl(ctx, input.NetworkAclId);
    if (input.RuleNumber === CATCH_ALL || input.RuleNumber === CATCH_ALL_IPV6) {
      throw ec2Errors.invalidParameterValue(`Value (${input.RuleNumber}) for parameter ruleNumber is invalid. The default rule cannot be deleted.`);
    }
    const i = findEntry(acl, input.RuleNumber, input.Egress);
    const rec = ctx.env.store.mutable<NetworkAclRecord>(COLL.networkAcls, ctx, acl.NetworkAclId)!;
    rec.Entries.splice(i, 1);
    saveAcl(ctx, rec);
    return {};
  },

  ReplaceNetworkAclAssociation(input: { AssociationId: string; NetworkAclId: string; DryRun?: boolean }, ctx: RequestContext) {
    const from = ctx.env.store
      .list<NetworkAclRecord>(COLL.networkAcls, ctx)
      .find((a) => a.Associations.some((x) => x.NetworkAclAssociationId === input.AssociationId));
    if (!from) throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
    const to = requireNetworkAcl(ctx, input.NetworkAclId);
    if (to.VpcId !== from.VpcId) {
      throw ec2Errors.invalidParameterValue(`Network ACL ${to.NetworkAclId} and association ${input.AssociationId} belong to different networks`);
    }
    const assoc = from.Associations.find((x) => x.NetworkAclAssociationId === input.AssociationId)!;
    const src = ctx.env.store.mutable<NetworkAclRecord>(COLL.networkAcls, ctx, from.NetworkAclId)!;
    src.Associations = src.Associations.filter((x) => x.NetworkAclAssociationId !== input.AssociationId);
    ctx.env.store.put(COLL.networkAcls, ctx, src.NetworkAclId, src);
    const dst = ctx.env.store.mutable<NetworkAclRecord>(COLL.networkAcls, ctx, to.NetworkAclId)!;
    const NewAssociationId = resourceId('aclassoc');
    dst.Associations.push({ NetworkAclAssociationId: NewAssociationId, NetworkAclId: dst.NetworkAclId, SubnetId: assoc.SubnetId });
    ctx.env.store.put(COLL.networkAcls, ctx, dst.NetworkAclId, dst);
    return { NewAssociationId };
  },
};
