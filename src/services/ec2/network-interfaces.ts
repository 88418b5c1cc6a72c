/**
 * Network interfaces of instances. Each instance has a primary interface (eni-…) that holds its
 * private address and its public one: an automatic public IP, or an Elastic IP when one is
 * associated. The interface record is the truth for addresses; `syncInstanceNetwork` copies the
 * instance's view of them (NetworkInterfaces, PrivateIpAddress, PublicIpAddress, DNS names) onto
 * the instance record, so that both describe calls and other services read consistent records.
 */
import { randomBytes } from 'node:crypto';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { allocatePublicIp, privateDnsName, publicDnsName, releasePublicIp } from './public-ips.ts';
import { idsNotFound } from './scoped.ts';
import { COLL, COMPUTE_COLL, type GroupIdentifier, type InstanceRecord, type NetworkInterfaceRecord, type SubnetRecord, type VpcRecord } from './state.ts';
import type { Tag } from './filters.ts';

const ENIS = COMPUTE_COLL.networkInterfaces;

/** A new MAC address: locally administered, as AWS's interfaces have. */
const newMac = () => ['02', ...[...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');

export function createInstanceInterface(
  ctx: RequestContext,
  opts: { subnet: SubnetRecord; instanceId: string; groups: GroupIdentifier[]; privateIp: string; autoPublicIp: boolean; now: string; deleteOnTermination: boolean; description?: string; tags: Tag[] },
): NetworkInterfaceRecord {
  const dns = privateDnsName(ctx.region, opts.privateIp);
  const eni: NetworkInterfaceRecord = {
    NetworkInterfaceId: resourceId('eni'),
    SubnetId: opts.subnet.SubnetId,
    VpcId: opts.subnet.VpcId,
    AvailabilityZone: opts.subnet.AvailabilityZone,
    AvailabilityZoneId: opts.subnet.AvailabilityZoneId,
    Description: opts.description ?? '',
    OwnerId: ctx.account,
    RequesterManaged: false,
    Status: 'in-use',
    MacAddress: newMac(),
    PrivateIpAddress: opts.privateIp,
    PrivateDnsName: dns,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: opts.privateIp, PrivateDnsName: dns }],
    SourceDestCheck: true,
    InterfaceType: 'interface',
    Groups: opts.groups,
    Ipv6Addresses: [],
    Attachment: {
      AttachmentId: resourceId('eni-attach'),
      AttachTime: opts.now,
      DeleteOnTermination: opts.deleteOnTermination,
      DeviceIndex: 0,
      NetworkCardIndex: 0,
      InstanceId: opts.instanceId,
      InstanceOwnerId: ctx.account,
      Status: 'attached',
    },
    Tags: opts.tags,
    TagSet: opts.tags,
    autoPublicIp: opts.autoPublicIp,
  };
  return eni;
}

/** The interface's view of security groups: each id with its group's name. */
export const groupIdentifiers = (ctx: RequestContext, ids: readonly string[]): GroupIdentifier[] =>
  ids.map((id) => ({ GroupId: id, GroupName: ctx.env.store.get<{ GroupName: string }>(COLL.securityGroups, ctx, id)?.GroupName ?? id }));

/**
 * An interface that an AWS service makes for itself in a customer's subnet (a load balancer's
 * node, a DB instance's endpoint): requester-managed, with no attachment, in the service's
 * security groups, at a private address of the subnet that the caller has taken (`id`: one the
 * caller chose, when it names other things after it). Put in the store.
 */
export function createServiceInterface(
  ctx: RequestContext,
  opts: { id?: string; subnet: DeepReadonly<SubnetRecord>; privateIp: string; groupIds: readonly string[]; description: string; interfaceType?: NetworkInterfaceRecord['InterfaceType']; association?: NetworkInterfaceRecord['Association'] },
): NetworkInterfaceRecord {
  const dns = privateDnsName(ctx.region, opts.privateIp);
  const eni: NetworkInterfaceRecord = {
    NetworkInterfaceId: opts.id ?? resourceId('eni'),
    SubnetId: opts.subnet.SubnetId,
    VpcId: opts.subnet.VpcId,
    AvailabilityZone: opts.subnet.AvailabilityZone,
    AvailabilityZoneId: opts.subnet.AvailabilityZoneId,
    Description: opts.description,
    OwnerId: ctx.account,
    RequesterManaged: true,
    Status: 'in-use',
    MacAddress: newMac(),
    PrivateIpAddress: opts.privateIp,
    PrivateDnsName: dns,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: opts.privateIp, PrivateDnsName: dns, Association: opts.association }],
    SourceDestCheck: true,
    InterfaceType: opts.interfaceType ?? 'interface',
    Groups: groupIdentifiers(ctx, opts.groupIds),
    Ipv6Addresses: [],
    Association: opts.association,
    Tags: [],
    TagSet: [],
    autoPublicIp: false,
  };
  ctx.env.store.put(ENIS, ctx, eni.NetworkInterfaceId, eni);
  return eni;
}

function setAssociation(eni: NetworkInterfaceRecord, assoc: NetworkInterfaceRecord['Association']): void {
  eni.Association = assoc;
  eni.PrivateIpAddresses = eni.PrivateIpAddresses.map((p) => (p.Primary ? { ...p, Association: assoc } : p));
}

/**
 * Gives the interface an automatic public IP when it wants one and holds no address, or takes
 * the automatic one away when `wanted` is false. An Elastic IP is never touched here.
 */
export function reconcileAutoPublicIp(env: Env, scope: Scope, eni: NetworkInterfaceRecord, wanted: boolean): void {
  if (eni.Association?.AllocationId) return;
  if (wanted && eni.autoPublicIp && !eni.Association) {
    const ip = allocatePublicIp(env, { kind: 'auto', account: scope.account, region: scope.region, owner: eni.NetworkInterfaceId });
    setAssociation(eni, { IpOwnerId: 'amazon', PublicIp: ip, PublicDnsName: dnsFor(env, scope, eni.VpcId, ip) });
  } else if (!wanted && eni.Association) {
    releasePublicIp(env, eni.Association.PublicIp);
    setAssociation(eni, undefined);
  }
}

/** Public DNS names exist only in VPCs with DNS hostnames enabled, as on AWS. */
function dnsFor(env: Env, scope: Scope, vpcId: string, ip: string): string {
  const vpc = env.store.get<VpcRecord>(COLL.vpcs, scope, vpcId);
  return vpc && vpc.enableDnsHostnames === false ? '' : publicDnsName(scope.region, ip);
}

/** Puts an Elastic IP on the interface, releasing its automatic public IP. */
export function associateElasticIp(env: Env, scope: Scope, eni: NetworkInterfaceRecord, eip: { PublicIp: string; AllocationId: string; AssociationId: string }): void {
  if (eni.Association && !eni.Association.AllocationId) releasePublicIp(env, eni.Association.PublicIp);
  setAssociation(eni, { IpOwnerId: scope.account, PublicIp: eip.PublicIp, PublicDnsName: dnsFor(env, scope, eni.VpcId, eip.PublicIp), AllocationId: eip.AllocationId, AssociationId: eip.AssociationId });
}

/** Takes an Elastic IP off the interface; the caller then reconciles the automatic one. */
export function dropElasticIp(eni: NetworkInterfaceRecord): void {
  if (eni.Association?.AllocationId) setAssociation(eni, undefined);
}

export const getInterface = (env: Env, scope: Scope, id: string) => env.store.mutable<NetworkInterfaceRecord>(ENIS, scope, id);

export const putInterface = (env: Env, scope: Scope, eni: NetworkInterfaceRecord) => {
  eni.TagSet = eni.Tags;
  env.store.put(ENIS, scope, eni.NetworkInterfaceId, eni);
};

/** Copies the interfaces' addresses onto the instance record (which the caller then puts). */
export function syncInstanceNetwork(env: Env, scope: Scope, inst: InstanceRecord): void {
  const enis = inst.networkInterfaceIds.map((id) => env.store.get<NetworkInterfaceRecord>(ENIS, scope, id)).filter((e) => !!e) as NetworkInterfaceRecord[];
  inst.NetworkInterfaces = enis.map((e) => ({
    Association: e.Association ? { IpOwnerId: e.Association.IpOwnerId, PublicDnsName: e.Association.PublicDnsName, PublicIp: e.Association.PublicIp } : undefined,
    Attachment: {
      AttachTime: e.Attachment!.AttachTime,
      AttachmentId: e.Attachment!.AttachmentId,
      DeleteOnTermination: e.Attachment!.DeleteOnTermination,
      DeviceIndex: e.Attachment!.DeviceIndex,
      NetworkCardIndex: e.Attachment!.NetworkCardIndex,
      Status: e.Attachment!.Status,
    },
    Description: e.Description,
    Groups: e.Groups,
    Ipv6Addresses: e.Ipv6Addresses,
    MacAddress: e.MacAddress,
    NetworkInterfaceId: e.NetworkInterfaceId,
    OwnerId: e.OwnerId,
    PrivateDnsName: e.PrivateDnsName,
    PrivateIpAddress: e.PrivateIpAddress,
    PrivateIpAddresses: e.PrivateIpAddresses.map((p) => ({
      ...p,
      Association: p.Association ? { IpOwnerId: p.Association.IpOwnerId, PublicDnsName: p.Association.PublicDnsName, PublicIp: p.Association.PublicIp } : undefined,
    })),
    SourceDestCheck: e.SourceDestCheck,
    Status: e.Status,
    SubnetId: e.SubnetId,
    VpcId: e.VpcId,
    InterfaceType: e.InterfaceType,
  }));
  const primary = enis[0];
  if (!primary) {
    inst.PrivateIpAddress = undefined;
    inst.PublicIpAddress = undefined;
    inst.PrivateDnsName = '';
    inst.PublicDnsName = '';
    return;
  }
  inst.PrivateIpAddress = primary.PrivateIpAddress;
  inst.PrivateDnsName = primary.PrivateDnsName;
  inst.PublicIpAddress = primary.Association?.PublicIp;
  inst.PublicDnsName = primary.Association?.PublicDnsName ?? '';
}

/** The primary interface of an instance. */
export const primaryInterface = (env: Env, scope: Scope, inst: { networkInterfaceIds: readonly string[] }) =>
  inst.networkInterfaceIds[0] ? getInterface(env, scope, inst.networkInterfaceIds[0]) : undefined;

export const interfaceHandlers = {
  DescribeNetworkInterfaces(input: { NetworkInterfaceIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const all = ctx.env.store.list<NetworkInterfaceRecord>(ENIS, ctx) as NetworkInterfaceRecord[];
    const picked = selectIds(all, input.NetworkInterfaceIds, (e) => e.NetworkInterfaceId, idsNotFound('InvalidNetworkInterfaceID', 'network interface'));
    const filtered = applyFilters(picked, input.Filters, {
      'network-interface-id': (e) => e.NetworkInterfaceId,
      'subnet-id': (e) => e.SubnetId,
      'vpc-id': (e) => e.VpcId,
      'availability-zone': (e) => e.AvailabilityZone,
      description: (e) => e.Description,
      status: (e) => e.Status,
      'owner-id': (e) => e.OwnerId,
      'mac-address': (e) => e.MacAddress,
      'interface-type': (e) => e.InterfaceType,
      'private-ip-address': (e) => e.PrivateIpAddress,
      'private-dns-name': (e) => e.PrivateDnsName,
      'addresses.private-ip-address': (e) => e.PrivateIpAddresses.map((p) => p.PrivateIpAddress),
      'addresses.primary': (e) => e.PrivateIpAddresses.map((p) => p.Primary),
      'ipv6-addresses.ipv6-address': (e) => e.Ipv6Addresses.map((a) => a.Ipv6Address),
      'association.public-ip': (e) => e.Association?.PublicIp,
      'association.allocation-id': (e) => e.Association?.AllocationId,
      'association.association-id': (e) => e.Association?.AssociationId,
      'association.ip-owner-id': (e) => e.Association?.IpOwnerId,
      'association.public-dns-name': (e) => e.Association?.PublicDnsName,
      'attachment.instance-id': (e) => e.Attachment?.InstanceId,
      'attachment.instance-owner-id': (e) => e.Attachment?.InstanceOwnerId,
      'attachment.attachment-id': (e) => e.Attachment?.AttachmentId,
      'attachment.device-index': (e) => e.Attachment?.DeviceIndex,
      'attachment.status': (e) => e.Attachment?.Status,
      'attachment.delete-on-termination': (e) => e.Attachment?.DeleteOnTermination,
      'group-id': (e) => e.Groups.map((g) => g.GroupId),
      'group-name': (e) => e.Groups.map((g) => g.GroupName),
      'source-dest-check': (e) => e.SourceDestCheck,
      'requester-managed': (e) => e.RequesterManaged,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { NetworkInterfaces: page.map((e) => ({ ...e, TagSet: e.Tags })), NextToken };
  },
};
