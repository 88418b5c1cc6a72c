/**
 * IPv6 addresses of network interfaces: taken from the subnet's /64 (random interface ids, as
 * AWS's are, or the ones asked for), at launch (Ipv6AddressCount, Ipv6Addresses, or one when the
 * subnet assigns IPv6 addresses on creation) and with AssignIpv6Addresses; UnassignIpv6Addresses
 * gives them back. An address is in use while an interface of the subnet holds it.
 * The sandbox driver does not route IPv6: the addresses are records only.
 */
import { randomBytes } from 'node:crypto';
import { AwsError, errors } from '../../core/errors.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { formatIp6, parseCidr6, parseIp6 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { getInterface, putInterface, syncInstanceNetwork } from './network-interfaces.ts';
import { idsNotFound } from './scoped.ts';
import { COLL, COMPUTE_COLL, type InstanceRecord, type NetworkInterfaceRecord, type SubnetRecord } from './state.ts';

/** What a launch or an interface asks for: a count, or addresses. */
export interface Ipv6Request {
  count: number;
  addresses: string[];
}

const subnetBlock = (subnet: DeepReadonly<SubnetRecord>) => {
  const a = subnet.Ipv6CidrBlockAssociationSet?.[0];
  return a ? parseCidr6(a.Ipv6CidrBlock)! : undefined;
};

/**
 * The IPv6 addresses a RunInstances request asks for its primary interface (the instance's
 * members or the interface's, never both), checked against the subnet; nothing when it asks for
 * none and the subnet does not assign them on creation.
 */
export function launchIpv6Request(
  subnet: DeepReadonly<SubnetRecord>,
  instance: { Ipv6AddressCount?: number; Ipv6Addresses?: { Ipv6Address?: string }[] },
  nic: { Ipv6AddressCount?: number; Ipv6Addresses?: { Ipv6Address?: string }[] } | undefined,
  maxCount: number,
): Ipv6Request {
  const onInstance = instance.Ipv6AddressCount !== undefined || !!instance.Ipv6Addresses?.length;
  const onNic = nic && (nic.Ipv6AddressCount !== undefined || !!nic.Ipv6Addresses?.length);
  if (onInstance && onNic) throw ec2Errors.invalidParameterCombination('Network interfaces and an instance-level IPv6 addresses may not be specified on the same request');
  const from = onNic ? nic! : instance;
  const request = requestOf(from.Ipv6AddressCount, from.Ipv6Addresses?.map((a) => a.Ipv6Address ?? ''));
  if (request.addresses.length && maxCount > 1) throw ec2Errors.invalidParameterCombination('IPv6 addresses can only be given when launching one instance.');
  if (!onInstance && !onNic && subnet.AssignIpv6AddressOnCreation) return { count: 1, addresses: [] };
  if ((request.count || request.addresses.length) && !subnetBlock(subnet)) {
    throw ec2Errors.invalidParameterValue(`You specified IPv6 addresses, but the subnet ${subnet.SubnetId} has no IPv6 CIDR block.`);
  }
  return request;
}

function requestOf(count: number | undefined, addresses: string[] | undefined): Ipv6Request {
  if (count !== undefined && addresses?.length) throw ec2Errors.invalidParameterCombination('You may specify ipv6AddressCount or ipv6Addresses, not both.');
  if (count !== undefined && count < 0) throw ec2Errors.invalidParameterValue(`Value (${count}) for parameter ipv6AddressCount is invalid.`);
  return { count: count ?? 0, addresses: addresses ?? [] };
}

/** Takes the addresses `want` asks for in the subnet's /64; returns them in canonical form. */
export function takeIpv6(ctx: RequestContext, subnet: DeepReadonly<SubnetRecord>, want: Ipv6Request): string[] {
  if (!want.count && !want.addresses.length) return [];
  const block = subnetBlock(subnet);
  if (!block) throw ec2Errors.invalidParameterValue(`The subnet ${subnet.SubnetId} has no IPv6 CIDR block.`);
  const inUse = new Set(
    ctx.env.store
      .list<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, ctx)
      .filter((e) => e.SubnetId === subnet.SubnetId)
      .flatMap((e) => e.Ipv6Addresses.map((a) => a.Ipv6Address)),
  );
  const host = (n: bigint) => n - block.base;
  const last = (1n << 64n) - 1n;
  const out: string[] = [];
  for (const text of want.addresses) {
    const n = parseIp6(text);
    if (n === undefined) throw ec2Errors.invalidParameterValue(`Invalid value '${text}' for ipv6Address. It is not a valid IPv6 address.`);
    if (n >> 64n !== block.base >> 64n) throw ec2Errors.invalidParameterValue(`Address ${text} does not fall within the subnet's address range`);
    // AWS reserves the first four and the last address of every subnet's IPv6 block too.
    if (host(n) < 4n || host(n) === last) throw ec2Errors.invalidParameterValue(`Address ${text} is in subnet's reserved address range`);
    const ip = formatIp6(n);
    if (inUse.has(ip) || out.includes(ip)) throw new AwsError('InvalidIPAddress.InUse', `Address ${text} is in use.`);
    out.push(ip);
  }
  while (out.length < want.addresses.length + want.count) {
    const ip = formatIp6(block.base | randomBytes(8).readBigUInt64BE());
    if (!inUse.has(ip) && !out.includes(ip) && host(parseIp6(ip)!) >= 4n && host(parseIp6(ip)!) !== last) out.push(ip);
  }
  return out;
}

const eniNotFound = idsNotFound('InvalidNetworkInterfaceID', 'network interface');

function requireEni(ctx: RequestContext, id: string): NetworkInterfaceRecord {
  const eni = getInterface(ctx.env, ctx, id);
  if (!eni) throw eniNotFound(id);
  return eni;
}

/** Writes the interface and, when an instance has it, the instance's copy of its addresses. */
function saveInterface(ctx: RequestContext, eni: NetworkInterfaceRecord): void {
  putInterface(ctx.env, ctx, eni);
  const instanceId = eni.Attachment?.InstanceId;
  const inst = instanceId ? ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, instanceId) : undefined;
  if (!inst) return;
  syncInstanceNetwork(ctx.env, ctx, inst);
  ctx.env.store.put(COLL.instances, ctx, inst.InstanceId, inst);
}

export const ipv6AddressHandlers = {
  AssignIpv6Addresses(
    input: { NetworkInterfaceId: string; Ipv6AddressCount?: number; Ipv6Addresses?: string[]; Ipv6PrefixCount?: number; Ipv6Prefixes?: string[] },
    ctx: RequestContext,
  ) {
    const eni = requireEni(ctx, input.NetworkInterfaceId);
    if (input.Ipv6PrefixCount !== undefined || input.Ipv6Prefixes?.length) throw ec2Errors.unsupported('faultline does not assign IPv6 prefixes.');
    const want = requestOf(input.Ipv6AddressCount, input.Ipv6Addresses);
    if (!want.count && !want.addresses.length) throw errors.missingParameter('ipv6AddressCount or ipv6Addresses');
    const subnet = ctx.env.store.get<SubnetRecord>(COLL.subnets, ctx, eni.SubnetId);
    if (!subnet) throw ec2Errors.invalidParameterValue(`The subnet of network interface ${eni.NetworkInterfaceId} no longer exists.`);
    const assigned = takeIpv6(ctx, subnet, want);
    eni.Ipv6Addresses = [...eni.Ipv6Addresses, ...assigned.map((Ipv6Address) => ({ Ipv6Address, IsPrimaryIpv6: false }))];
    saveInterface(ctx, eni);
    return { NetworkInterfaceId: eni.NetworkInterfaceId, AssignedIpv6Addresses: assigned, AssignedIpv6Prefixes: [] };
  },

  UnassignIpv6Addresses(input: { NetworkInterfaceId: string; Ipv6Addresses?: string[]; Ipv6Prefixes?: string[] }, ctx: RequestContext) {
    const eni = requireEni(ctx, input.NetworkInterfaceId);
    if (input.Ipv6Prefixes?.length) throw ec2Errors.unsupported('faultline does not assign IPv6 prefixes.');
    if (!input.Ipv6Addresses?.length) throw errors.missingParameter('ipv6Addresses');
    const canonical = input.Ipv6Addresses.map((a) => {
      const n = parseIp6(a);
      return n === undefined ? a : formatIp6(n);
    });
    const held = new Set(eni.Ipv6Addresses.map((a) => a.Ipv6Address));
    const missing = input.Ipv6Addresses.filter((_, i) => !held.has(canonical[i]));
    if (missing.length) throw ec2Errors.invalidParameterValue(`Some of the specified addresses are not assigned to interface ${eni.NetworkInterfaceId}: ${missing.join(', ')}`);
    eni.Ipv6Addresses = eni.Ipv6Addresses.filter((a) => !canonical.includes(a.Ipv6Address));
    saveInterface(ctx, eni);
    return { NetworkInterfaceId: eni.NetworkInterfaceId, UnassignedIpv6Addresses: canonical, UnassignedIpv6Prefixes: [] };
  },
};
