/**
 * Subnets. A subnet lies within its VPC's block, overlaps no other subnet of the VPC, is
 * between a /16 and a /28, and sits in one of the region's AZs: the one asked for, or else the
 * AZ where the VPC has the fewest subnets. It starts associated with the VPC's default network
 * ACL and, implicitly, its main route table.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { cidr4Contains, cidr4Overlaps, formatCidr4, parseCidr4 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { arn, liveInstances, notFound, requireSubnet, requireVpc } from './network.ts';
import { associateDefaultAcl, dropAclAssociation } from './network-acls.provider.ts';
import { zoneId, zonesOf } from './regions.provider.ts';
import { dropRouteTableAssociations } from './route-tables.provider.ts';
import { COLL, type SubnetRecord } from './state.ts';
import { usableAddresses } from './subnet-addresses.ts';
import { tagsFor } from './tags.ts';
import { subnetIpv6Block } from './vpc-cidrs.provider.ts';
import { MAX_PREFIX, MIN_PREFIX, parseBlock } from './vpcs.provider.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];
type AttrValue = { Value?: boolean };

/** The subnet record with the members AWS shows that faultline keeps constant. */
export type StoredSubnet = SubnetRecord & {
  Ipv6Native: boolean;
  EnableDns64: boolean;
  MapCustomerOwnedIpOnLaunch: boolean;
  PrivateDnsNameOptionsOnLaunch: { HostnameType: string; EnableResourceNameDnsARecord: boolean; EnableResourceNameDnsAAAARecord: boolean };
  BlockPublicAccessStates: { InternetGatewayBlockMode: string };
};

/** The AZ for a subnet created without one: the AZ where the VPC has the fewest subnets, earliest on ties. */
function pickZone(ctx: RequestContext, vpcId: string, zones: string[]): string {
  const counts = new Map(zones.map((z) => [z, 0]));
  for (const s of ctx.env.store.list<SubnetRecord>(COLL.subnets, ctx)) {
    if (s.VpcId === vpcId && counts.has(s.AvailabilityZone)) counts.set(s.AvailabilityZone, counts.get(s.AvailabilityZone)! + 1);
  }
  return zones.reduce((best, z) => (counts.get(z)! < counts.get(best)! ? z : best), zones[0]);
}

export const subnetHandlers = {
  CreateSubnet(
    input: {
      VpcId: string;
      CidrBlock?: string;
      Ipv6CidrBlock?: string;
      AvailabilityZone?: string;
      AvailabilityZoneId?: string;
      Ipv6Native?: boolean;
      OutpostArn?: string;
      Ipv4IpamPoolId?: string;
      Ipv6IpamPoolId?: string;
      TagSpecifications?: TagSpecs;
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    const vpc = requireVpc(ctx, input.VpcId);
    if (input.OutpostArn) throw ec2Errors.invalidParameterValue(`Value (${input.OutpostArn}) for parameter outpostArn is invalid. faultline has no Outposts.`);
    if (input.Ipv4IpamPoolId) throw new AwsError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${input.Ipv4IpamPoolId}' does not exist`);
    if (input.Ipv6IpamPoolId) throw new AwsError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${input.Ipv6IpamPoolId}' does not exist`);
    if (input.Ipv6Native) throw ec2Errors.unsupported('IPv6-only subnets are not supported by faultline.');
    if (input.CidrBlock === undefined) throw errors.missingParameter('cidrBlock');
    const block = parseBlock(input.CidrBlock, 'cidrBlock');
    const vpcBlocks = vpc.CidrBlockAssociationSet.filter((a) => a.CidrBlockState.State === 'associated').map((a) => parseCidr4(a.CidrBlock)!);
    if (block.prefix < MIN_PREFIX || block.prefix > MAX_PREFIX || !vpcBlocks.some((v) => cidr4Contains(v, block))) {
      throw ec2Errors.invalidSubnetRange(`The CIDR '${input.CidrBlock}' is invalid.`);
    }
    const siblings = ctx.env.store.list<StoredSubnet>(COLL.subnets, ctx).filter((s) => s.VpcId === vpc.VpcId);
    if (siblings.some((s) => cidr4Overlaps(parseCidr4(s.CidrBlock)!, block))) {
      throw ec2Errors.invalidSubnetConflict(`The CIDR '${input.CidrBlock}' conflicts with another subnet`);
    }
    const ipv6Block = input.Ipv6CidrBlock === undefined ? undefined : subnetIpv6Block(ctx, vpc, input.Ipv6CidrBlock);
    const zones = zonesOf(ctx.env.config, ctx.region);
    const letterOf = (z: string) => z.slice(ctx.region.length);
    const byId = new Map(zones.map((z) => [zoneId(ctx.region, letterOf(z)), z]));
    if (input.AvailabilityZone && input.AvailabilityZoneId) {
      throw ec2Errors.invalidParameterCombination('Only one of availabilityZone and availabilityZoneId may be given.');
    }
    let zone: string;
    if (input.AvailabilityZone) {
      if (!zones.includes(input.AvailabilityZone)) {
        throw ec2Errors.invalidParameterValue(
          `Value (${input.AvailabilityZone}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(', ')}.`,
        );
      }
      zone = input.AvailabilityZone;
    } else if (input.AvailabilityZoneId) {
      const z = byId.get(input.AvailabilityZoneId);
      if (!z) {
        throw ec2Errors.invalidParameterValue(
          `Value (${input.AvailabilityZoneId}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zone ids: ${[...byId.keys()].join(', ')}.`,
        );
      }
      zone = z;
    } else zone = pickZone(ctx, vpc.VpcId, zones);
    const tags = tagsFor(input.TagSpecifications, 'subnet');

    const SubnetId = resourceId('subnet');
    const subnet: StoredSubnet = {
      SubnetId,
      SubnetArn: arn(ctx, 'subnet', SubnetId),
      VpcId: vpc.VpcId,
      CidrBlock: formatCidr4(block),
      AvailabilityZone: zone,
      AvailabilityZoneId: zoneId(ctx.region, letterOf(zone)),
      AvailableIpAddressCount: usableAddresses(block),
      DefaultForAz: false,
      MapPublicIpOnLaunch: false,
      State: 'available',
      OwnerId: ctx.account,
      Tags: tags,
      AssignIpv6AddressOnCreation: false,
      Ipv6CidrBlockAssociationSet: ipv6Block
        ? [{ AssociationId: resourceId('subnet-cidr-assoc'), Ipv6CidrBlock: ipv6Block, Ipv6CidrBlockState: { State: 'associated' }, IpSource: 'amazon', Ipv6AddressAttribute: 'public' }]
        : [],
      Ipv6Native: false,
      EnableDns64: false,
      MapCustomerOwnedIpOnLaunch: false,
      PrivateDnsNameOptionsOnLaunch: { HostnameType: 'ip-name', EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
      BlockPublicAccessStates: { InternetGatewayBlockMode: 'off' },
      usedIps: [],
    };
    ctx.env.store.put(COLL.subnets, ctx, SubnetId, subnet);
    associateDefaultAcl(ctx, vpc.VpcId, SubnetId);
    return { Subnet: subnet };
  },

  DeleteSubnet(input: { SubnetId: string; DryRun?: boolean }, ctx: RequestContext) {
    const subnet = requireSubnet(ctx, input.SubnetId);
    const interfaces = ctx.env.store.list<{ SubnetId?: string }>('ec2.networkInterfaces', ctx);
    if (liveInstances(ctx).some((i) => i.SubnetId === subnet.SubnetId) || interfaces.some((n) => n.SubnetId === subnet.SubnetId)) {
      throw ec2Errors.dependencyViolation(`The subnet '${subnet.SubnetId}' has dependencies and cannot be deleted.`);
    }
    dropAclAssociation(ctx, subnet.SubnetId);
    dropRouteTableAssociations(ctx, subnet.SubnetId);
    ctx.env.store.delete(COLL.subnets, ctx, subnet.SubnetId);
    return {};
  },

  DescribeSubnets(input: { SubnetIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const subnets = selectIds(ctx.env.store.list<StoredSubnet>(COLL.subnets, ctx), input.SubnetIds, (s) => s.SubnetId, notFound.subnet);
    const ipv6 = (s: (typeof subnets)[number]) => s.Ipv6CidrBlockAssociationSet ?? [];
    const filtered = applyFilters(subnets, input.Filters, {
      'availability-zone': (s) => s.AvailabilityZone,
      availabilityZone: (s) => s.AvailabilityZone,
      'availability-zone-id': (s) => s.AvailabilityZoneId,
      availabilityZoneId: (s) => s.AvailabilityZoneId,
      'available-ip-address-count': (s) => s.AvailableIpAddressCount,
      'cidr-block': (s) => s.CidrBlock,
      cidr: (s) => s.CidrBlock,
      cidrBlock: (s) => s.CidrBlock,
      'default-for-az': (s) => s.DefaultForAz,
      defaultForAz: (s) => s.DefaultForAz,
      'ipv6-cidr-block-association.ipv6-cidr-block': (s) => ipv6(s).map((a) => a.Ipv6CidrBlock),
      'ipv6-cidr-block-association.association-id': (s) => ipv6(s).map((a) => a.AssociationId),
      'ipv6-cidr-block-association.state': (s) => ipv6(s).map((a) => a.Ipv6CidrBlockState.State),
      'ipv6-native': (s) => s.Ipv6Native,
      'map-customer-owned-ip-on-launch': (s) => s.MapCustomerOwnedIpOnLaunch,
      'map-public-ip-on-launch': (s) => s.MapPublicIpOnLaunch,
      'owner-id': (s) => s.OwnerId,
      'private-dns-name-options-on-launch.hostname-type': (s) => s.PrivateDnsNameOptionsOnLaunch.HostnameType,
      'private-dns-name-options-on-launch.enable-resource-name-dns-a-record': (s) => s.PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsARecord,
      'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record': (s) => s.PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsAAAARecord,
      state: (s) => s.State,
      'subnet-arn': (s) => s.SubnetArn,
      'subnet-id': (s) => s.SubnetId,
      'vpc-id': (s) => s.VpcId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { Subnets: page, NextToken };
  },

  ModifySubnetAttribute(
    input: {
      SubnetId: string;
      MapPublicIpOnLaunch?: AttrValue;
      AssignIpv6AddressOnCreation?: AttrValue;
      EnableDns64?: AttrValue;
      EnableResourceNameDnsARecordOnLaunch?: AttrValue;
      EnableResourceNameDnsAAAARecordOnLaunch?: AttrValue;
      PrivateDnsHostnameTypeOnLaunch?: string;
      MapCustomerOwnedIpOnLaunch?: AttrValue;
      CustomerOwnedIpv4Pool?: string;
      EnableLniAtDeviceIndex?: number;
      DisableLniAtDeviceIndex?: AttrValue;
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    const subnet = requireSubnet(ctx, input.SubnetId);
    const { SubnetId: _id, DryRun: _dry, ...attrs } = input;
    const names = Object.keys(attrs).filter((k) => attrs[k as keyof typeof attrs] !== undefined);
    if (!names.length) throw errors.missingParameter('attribute');
    if (names.length > 1) throw ec2Errors.invalidParameterCombination(`You can only modify one attribute at a time: ${names.join(', ')}`);
    const name = names[0];
    if (name === 'MapCustomerOwnedIpOnLaunch' || name === 'CustomerOwnedIpv4Pool' || name === 'EnableLniAtDeviceIndex' || name === 'DisableLniAtDeviceIndex') {
      throw ec2Errors.invalidParameterValue(`The attribute ${name} applies only to subnets on an Outpost.`);
    }
    const rec = ctx.env.store.mutable<StoredSubnet>(COLL.subnets, ctx, subnet.SubnetId)!;
    const bool = (v: AttrValue | undefined) => {
      if (v?.Value === undefined) throw errors.missingParameter(`${name}.Value`);
      return v.Value;
    };
    switch (name) {
      case 'MapPublicIpOnLaunch':
        rec.MapPublicIpOnLaunch = bool(input.MapPublicIpOnLaunch);
        break;
      case 'AssignIpv6AddressOnCreation':
        rec.AssignIpv6AddressOnCreation = bool(input.AssignIpv6AddressOnCreation);
        if (rec.AssignIpv6AddressOnCreation && !rec.Ipv6CidrBlockAssociationSet?.length) {
          throw ec2Errors.invalidParameterValue(`Subnet ${rec.SubnetId} has no IPv6 CIDR block, so IPv6 addresses cannot be assigned on creation.`);
        }
        break;
      case 'EnableDns64':
        rec.EnableDns64 = bool(input.EnableDns64);
        break;
      case 'EnableResourceNameDnsARecordOnLaunch':
        rec.PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsARecord = bool(input.EnableResourceNameDnsARecordOnLaunch);
        break;
      case 'EnableResourceNameDnsAAAARecordOnLaunch':
        rec.PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsAAAARecord = bool(input.EnableResourceNameDnsAAAARecordOnLaunch);
        break;
      case 'PrivateDnsHostnameTypeOnLaunch':
        rec.PrivateDnsNameOptionsOnLaunch.HostnameType = input.PrivateDnsHostnameTypeOnLaunch!;
        break;
    }
    ctx.env.store.put(COLL.subnets, ctx, rec.SubnetId, rec);
    return {};
  },
};
