/**
 * Network ACLs and their entries. Every VPC has a default ACL (created with it) that allows all
 * traffic; every subnet is associated with exactly one ACL, the default one until
 * ReplaceNetworkAclAssociation moves it, and DescribeNetworkAcls lists each association.
 */
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import type { Tag } from './filters.ts';
import { COLL, type NetworkAclEntryRecord, type NetworkAclRecord } from './state.ts';

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

export const networkAclHandlers = {};
