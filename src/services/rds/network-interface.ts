/**
 * A DB instance's endpoint inside its VPC, as AWS makes it: a requester-managed network
 * interface (`RDSNetworkInterface`) at a private address of the primary's subnet, in the
 * instance's VPC security groups. Inside the VPC the endpoint's name answers this address (the
 * Amazon resolver, route53/answer.ts), the sandbox driver serves it (runtime/db-endpoints.ts),
 * and security group rules that name the instance's groups admit it as they admit any interface.
 * On failover the name moves to the new primary's private address in the other zone: the
 * interface is made anew in the new primary's subnet, and the old address goes back.
 * Each of these runs inside the caller's transaction.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { createServiceInterface, groupIdentifiers } from '../ec2/network-interfaces.ts';
import { loopContext } from '../ec2/scoped.ts';
import { COLL as EC2, COMPUTE_COLL, type NetworkInterfaceRecord, type SubnetRecord } from '../ec2/state.ts';
import { allocatePrivateIp, releasePrivateIp } from '../ec2/subnet-addresses.ts';
import type { Env } from '../service.ts';
import type { DBInstanceRecord } from './state.ts';

const groupIdsOf = (i: Pick<DBInstanceRecord, 'VpcSecurityGroups'>) => i.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId);

/**
 * Gives the instance its interface in `subnetId` (the primary's subnet), replacing any it had
 * elsewhere. False, with the old interface kept, when the subnet has no free address.
 */
export function placeInterface(env: Env, scope: Scope, i: DBInstanceRecord, subnetId: string): boolean {
  if (i.networkInterface?.subnetId === subnetId) return true;
  const subnet = env.store.get<SubnetRecord>(EC2.subnets, scope, subnetId);
  if (!subnet || subnet.AvailableIpAddressCount < 1) return false;
  const ctx = loopContext(env, scope);
  const privateIp = allocatePrivateIp(ctx, subnetId);
  releaseInterface(env, scope, i);
  const eni = createServiceInterface(ctx, { subnet, privateIp, groupIds: groupIdsOf(i), description: 'RDSNetworkInterface' });
  i.networkInterface = { eniId: eni.NetworkInterfaceId, vpcId: subnet.VpcId, subnetId, privateIp };
  return true;
}

/** Removes the instance's interface and gives its address back (the caller replaces or forgets `networkInterface`). */
export function releaseInterface(env: Env, scope: Scope, i: DeepReadonly<DBInstanceRecord>): void {
  const n = i.networkInterface;
  if (!n) return;
  releasePrivateIp(loopContext(env, scope), n.subnetId, n.privateIp);
  env.store.delete(COMPUTE_COLL.networkInterfaces, scope, n.eniId);
}

/** Keeps the interface in the instance's security groups (ModifyDBInstance's VpcSecurityGroupIds). */
export function syncInterfaceGroups(env: Env, scope: Scope, i: DBInstanceRecord): void {
  const eni = i.networkInterface && env.store.mutable<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope, i.networkInterface.eniId);
  if (!eni) return;
  eni.Groups = groupIdentifiers(loopContext(env, scope), groupIdsOf(i));
  env.store.put(COMPUTE_COLL.networkInterfaces, scope, eni.NetworkInterfaceId, eni);
}
