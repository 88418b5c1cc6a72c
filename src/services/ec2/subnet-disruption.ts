/**
 * A subnet's network disrupted the way AWS FIS's `aws:network:disrupt-connectivity` does it:
 * the subnet's network ACL is cloned, deny entries for all traffic go in front of the copied
 * entries, the clone is tagged `managedByFIS=true` and associated with the subnet. At the end the
 * subnet goes back to its original ACL and the clone is deleted. So the disruption is a real
 * record that DescribeNetworkAcls shows and that whatever enforces ACLs (the sandbox driver's
 * router rules) enforces; traffic within the subnet never crosses its ACL, so it still flows.
 * Only scope `all` is emulated.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { notFound } from './network.ts';
import { sortEntries } from './network-acls.provider.ts';
import { COLL, type NetworkAclEntryRecord, type NetworkAclRecord, type SubnetRecord } from './state.ts';

const FIS_TAG = { Key: 'managedByFIS', Value: 'true' };

/** What undoing a disruption needs: the clone, and the ACL the subnet had before. */
export interface SubnetDisruption {
  networkAclId: string;
  originalNetworkAclId: string;
}

/** The network ACL a subnet is associated with. */
export const aclOf = (env: Env, scope: Scope, subnetId: string) =>
  env.store.list<NetworkAclRecord>(COLL.networkAcls, scope).find((a) => a.Associations.some((x) => x.SubnetId === subnetId));

function moveAssociation(env: Env, scope: Scope, subnetId: string, fromId: string, toId: string): void {
  const from = env.store.mutable<NetworkAclRecord>(COLL.networkAcls, scope, fromId)!;
  from.Associations = from.Associations.filter((x) => x.SubnetId !== subnetId);
  env.store.put(COLL.networkAcls, scope, fromId, from);
  const to = env.store.mutable<NetworkAclRecord>(COLL.networkAcls, scope, toId)!;
  to.Associations.push({ NetworkAclAssociationId: resourceId('aclassoc'), NetworkAclId: toId, SubnetId: subnetId });
  env.store.put(COLL.networkAcls, scope, toId, to);
}

export function disruptSubnet(env: Env, scope: Scope, subnetId: string, reach: string): SubnetDisruption {
  if (reach !== 'all') throw new AwsError('InvalidParameter', `scope ${reach} is not supported: faultline disrupts a subnet's connectivity with scope all only`, 400);
  const subnet = env.store.get<SubnetRecord>(COLL.subnets, scope, subnetId);
  if (!subnet) throw notFound.subnet(subnetId);
  const original = aclOf(env, scope, subnetId);
  if (!original) throw new AwsError('InvalidParameter', `subnet ${subnetId} has no network ACL`, 400);
  if (original.Tags.some((t) => t.Key === FIS_TAG.Key && t.Value === FIS_TAG.Value)) {
    throw new AwsError('IncorrectState', `subnet ${subnetId} is already disrupted (its network ACL ${original.NetworkAclId} is managed by FIS)`, 409);
  }
  // Deny everything first (rule 1, and 2 for IPv6 where the ACL has IPv6 entries); the copied
  // entries stay, below them, as FIS leaves them.
  const ipv6 = original.Entries.some((e) => e.Ipv6CidrBlock);
  const deny: NetworkAclEntryRecord[] = [];
  for (const Egress of [true, false]) {
    deny.push({ RuleNumber: 1, Protocol: '-1', RuleAction: 'deny', Egress, CidrBlock: '0.0.0.0/0' });
    if (ipv6) deny.push({ RuleNumber: 2, Protocol: '-1', RuleAction: 'deny', Egress, Ipv6CidrBlock: '::/0' });
  }
  const taken = new Set(deny.map((e) => `${e.Egress}/${e.RuleNumber}`));
  const copied = original.Entries.filter((e) => !taken.has(`${e.Egress}/${e.RuleNumber}`)).map((e) => structuredClone(e) as NetworkAclEntryRecord);
  const clone: NetworkAclRecord = {
    NetworkAclId: resourceId('acl'),
    VpcId: original.VpcId,
    OwnerId: original.OwnerId,
    IsDefault: false,
    Entries: sortEntries([...deny, ...copied]),
    Associations: [],
    Tags: [{ ...FIS_TAG }],
  };
  env.store.put(COLL.networkAcls, scope, clone.NetworkAclId, clone);
  moveAssociation(env, scope, subnetId, original.NetworkAclId, clone.NetworkAclId);
  return { networkAclId: clone.NetworkAclId, originalNetworkAclId: original.NetworkAclId };
}

/**
 * Gives the subnet its original ACL back (or its VPC's default one, if the original was deleted
 * meanwhile) and deletes the clone. A subnet that was moved to another ACL meanwhile, or deleted,
 * is left where it is; the clone goes once nothing is associated with it.
 */
export function restoreSubnet(env: Env, scope: Scope, subnetId: string, d: SubnetDisruption): void {
  const clone = env.store.get<NetworkAclRecord>(COLL.networkAcls, scope, d.networkAclId);
  if (!clone) return;
  if (clone.Associations.some((x) => x.SubnetId === subnetId)) {
    const acls = env.store.list<NetworkAclRecord>(COLL.networkAcls, scope);
    const back = acls.find((a) => a.NetworkAclId === d.originalNetworkAclId) ?? acls.find((a) => a.VpcId === clone.VpcId && a.IsDefault);
    if (back) moveAssociation(env, scope, subnetId, clone.NetworkAclId, back.NetworkAclId);
  }
  if (!env.store.get<NetworkAclRecord>(COLL.networkAcls, scope, d.networkAclId)!.Associations.length) env.store.delete(COLL.networkAcls, scope, d.networkAclId);
}
