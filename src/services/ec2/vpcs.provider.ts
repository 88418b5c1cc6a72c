/**
 * VPCs. CreateVpc also makes what AWS makes with every VPC: the default security group, the
 * main route table (with the local route) and the default network ACL; DeleteVpc removes them,
 * and refuses while anything else still lives in the VPC.
 */
import { createHash } from 'node:crypto';
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { formatCidr4, formatCidr6, parseCidr4 } from './cidr.ts';
import { EGRESS_ONLY_GATEWAYS, type EgressOnlyGatewayRecord } from './egress-only-gateways.provider.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { notFound, requireVpc } from './network.ts';
import { createNetworkAclRecord } from './network-acls.provider.ts';
import { createRouteTableRecord } from './route-tables.provider.ts';
import { createSecurityGroupRecord, removeSecurityGroupRecord } from './security-groups.provider.ts';
import {
  COLL,
  type InternetGatewayRecord,
  type NetworkAclRecord,
  type RouteTableRecord,
  type SecurityGroupRecord,
  type SubnetRecord,
  type VpcRecord,
} from './state.ts';
import { tagsFor } from './tags.ts';
import { endPeeringsOf } from './vpc-peering.provider.ts';
import { vpcHasEndpoints } from './vpc-endpoints.provider.ts';
import { vpcHasVpnGateway } from './vpn.provider.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

/** The smallest and largest VPC (and subnet) blocks AWS allows. */
export const MIN_PREFIX = 16;
export const MAX_PREFIX = 28;

/** faultline has no DHCP options API; each account and region has one default set, with a stable id. */
export const defaultDhcpOptionsId = (ctx: RequestContext) =>
  'dopt-' + createHash('sha256').update(`${ctx.account}/${ctx.region}`).digest('hex').slice(0, 17);

/**
 * The Amazon-provided /56 of a VPC: from the IPv6 documentation range 2001:db8::/32 (RFC 3849),
 * which routes nowhere, picked from the VPC's id so that a VPC gets the same block each time.
 */
export function amazonIpv6Block(vpcId: string): string {
  const h = createHash('sha256').update(vpcId).digest();
  return formatCidr6({ base: (0x20010db8n << 96n) | (BigInt(h.readUIntBE(0, 3)) << 72n), prefix: 56 });
}

export function parseBlock(cidr: string | undefined, param: string) {
  const c = parseCidr4(cidr);
  if (!c) throw ec2Errors.invalidParameterValue(`Value (${cidr}) for parameter ${param} is invalid. This is not a valid CIDR block.`);
  return c;
}

type AttrValue = { Value?: boolean };

export const vpcHandlers = {
  CreateVpc(
    input: {
      CidrBlock?: string;
      AmazonProvidedIpv6CidrBlock?: boolean;
      InstanceTenancy?: string;
      Ipv4IpamPoolId?: string;
      Ipv6IpamPoolId?: string;
      Ipv6Pool?: string;
      Ipv6CidrBlock?: string;
      TagSpecifications?: TagSpecs;
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    if (input.Ipv4IpamPoolId) throw new AwsError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${input.Ipv4IpamPoolId}' does not exist`);
    if (input.Ipv6IpamPoolId) throw new AwsError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${input.Ipv6IpamPoolId}' does not exist`);
    if (input.Ipv6Pool) throw new AwsError('InvalidIpv6PoolID.NotFound', `The ipv6 pool ID '${input.Ipv6Pool}' does not exist`);
    if (input.Ipv6CidrBlock) throw ec2Errors.invalidParameterCombination('Ipv6CidrBlock needs Ipv6Pool or Ipv6IpamPoolId; use AmazonProvidedIpv6CidrBlock');
    if (input.CidrBlock === undefined) throw errors.missingParameter('cidrBlock');
    const block = parseBlock(input.CidrBlock, 'cidrBlock');
    if (block.prefix < MIN_PREFIX || block.prefix > MAX_PREFIX) throw ec2Errors.invalidVpcRange(`The CIDR '${input.CidrBlock}' is invalid.`);
    const tags = tagsFor(input.TagSpecifications, 'vpc');

    const VpcId = resourceId('vpc');
    const cidr = formatCidr4(block);
    const ipv6 = input.AmazonProvidedIpv6CidrBlock
      ? [
          {
            AssociationId: resourceId('vpc-cidr-assoc'),
            Ipv6CidrBlock: amazonIpv6Block(VpcId),
            Ipv6CidrBlockState: { State: 'associated' },
            NetworkBorderGroup: ctx.region,
            Ipv6Pool: 'Amazon',
            IpSource: 'amazon',
            Ipv6AddressAttribute: 'public',
          },
        ]
      : [];
    const sg = createSecurityGroupRecord(ctx, { vpcId: VpcId, name: 'default', description: 'default VPC security group', tags: [], isDefault: true, ipv6: ipv6.length > 0 });
    const rtb = createRouteTableRecord(ctx, { vpcId: VpcId, cidr, ipv6Cidr: ipv6[0]?.Ipv6CidrBlock, main: true, tags: [] });
    const acl = createNetworkAclRecord(ctx, { vpcId: VpcId, isDefault: true, ipv6: ipv6.length > 0, tags: [] });
    const vpc: VpcRecord = {
      VpcId,
      CidrBlock: cidr,
      State: 'available',
      DhcpOptionsId: defaultDhcpOptionsId(ctx),
      InstanceTenancy: input.InstanceTenancy ?? 'default',
      IsDefault: false,
      OwnerId: ctx.account,
      CidrBlockAssociationSet: [{ AssociationId: resourceId('vpc-cidr-assoc'), CidrBlock: cidr, CidrBlockState: { State: 'associated' } }],
      Ipv6CidrBlockAssociationSet: ipv6,
      Tags: tags,
      enableDnsSupport: true,
      enableDnsHostnames: false,
      enableNetworkAddressUsageMetrics: false,
      defaultSecurityGroupId: sg.GroupId,
      mainRouteTableId: rtb.RouteTableId,
      defaultNetworkAclId: acl.NetworkAclId,
    };
    ctx.env.store.put(COLL.vpcs, ctx, VpcId, vpc);
    // AWS answers CreateVpc while the VPC is still pending; it is available by the next describe.
    return { Vpc: { ...vpc, State: 'pending' } };
  },

  DeleteVpc(input: { VpcId: string; DryRun?: boolean }, ctx: RequestContext) {
    const vpc = requireVpc(ctx, input.VpcId);
    const { store } = ctx.env;
    const inVpc = <T extends { VpcId?: string }>(coll: string) => store.list<T>(coll, ctx).filter((r) => r.VpcId === vpc.VpcId);
    const busy =
      inVpc<SubnetRecord>(COLL.subnets).length > 0 ||
      store.list<InternetGatewayRecord>(COLL.internetGateways, ctx).some((g) => g.Attachments.some((a) => a.VpcId === vpc.VpcId)) ||
      inVpc<SecurityGroupRecord>(COLL.securityGroups).some((g) => g.GroupId !== vpc.defaultSecurityGroupId) ||
      inVpc<RouteTableRecord>(COLL.routeTables).some((t) => t.RouteTableId !== vpc.mainRouteTableId) ||
      inVpc<NetworkAclRecord>(COLL.networkAcls).some((a) => a.NetworkAclId !== vpc.defaultNetworkAclId) ||
      store.list<EgressOnlyGatewayRecord>(EGRESS_ONLY_GATEWAYS, ctx).some((g) => g.Attachments.some((a) => a.VpcId === vpc.VpcId)) ||
      vpcHasEndpoints(ctx, vpc.VpcId) ||
      vpcHasVpnGateway(ctx, vpc.VpcId);
    if (busy) throw ec2Errors.dependencyViolation(`The vpc '${vpc.VpcId}' has dependencies and cannot be deleted.`);
    endPeeringsOf(ctx, vpc.VpcId);
    for (const g of inVpc<SecurityGroupRecord>(COLL.securityGroups)) removeSecurityGroupRecord(ctx, g.GroupId);
    for (const t of inVpc<RouteTableRecord>(COLL.routeTables)) store.delete(COLL.routeTables, ctx, t.RouteTableId);
    for (const a of inVpc<NetworkAclRecord>(COLL.networkAcls)) store.delete(COLL.networkAcls, ctx, a.NetworkAclId);
    store.delete(COLL.vpcs, ctx, vpc.VpcId);
    return {};
  },

  DescribeVpcs(input: { VpcIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const vpcs = selectIds(ctx.env.store.list<VpcRecord>(COLL.vpcs, ctx), input.VpcIds, (v) => v.VpcId, notFound.vpc);
    const filtered = applyFilters(vpcs, input.Filters, {
      cidr: (v) => v.CidrBlock,
      'cidr-block-association.cidr-block': (v) => v.CidrBlockAssociationSet.map((a) => a.CidrBlock),
      'cidr-block-association.association-id': (v) => v.CidrBlockAssociationSet.map((a) => a.AssociationId),
      'cidr-block-association.state': (v) => v.CidrBlockAssociationSet.map((a) => a.CidrBlockState.State),
      'ipv6-cidr-block-association.ipv6-cidr-block': (v) => (v.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock),
      'ipv6-cidr-block-association.ipv6-pool': (v) => (v.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6Pool),
      'ipv6-cidr-block-association.association-id': (v) => (v.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.AssociationId),
      'ipv6-cidr-block-association.state': (v) => (v.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlockState.State),
      'dhcp-options-id': (v) => v.DhcpOptionsId,
      'is-default': (v) => v.IsDefault,
      'owner-id': (v) => v.OwnerId,
      state: (v) => v.State,
      'vpc-id': (v) => v.VpcId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { Vpcs: page, NextToken };
  },

  ModifyVpcAttribute(
    input: { VpcId: string; EnableDnsSupport?: AttrValue; EnableDnsHostnames?: AttrValue; EnableNetworkAddressUsageMetrics?: AttrValue; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const vpc = requireVpc(ctx, input.VpcId);
    const given = (
      [
        ['enableDnsSupport', input.EnableDnsSupport],
        ['enableDnsHostnames', input.EnableDnsHostnames],
        ['enableNetworkAddressUsageMetrics', input.EnableNetworkAddressUsageMetrics],
      ] as const
    ).filter(([, v]) => v !== undefined);
    if (given.length === 0) throw errors.missingParameter('enableDnsSupport, enableDnsHostnames or enableNetworkAddressUsageMetrics');
    if (given.length > 1) throw ec2Errors.invalidParameterCombination(`Fields for multiple attribute types specified: ${given.map(([n]) => n).join(', ')}`);
    const [name, value] = given[0];
    if (value?.Value === undefined) throw errors.missingParameter(`${name}.value`);
    if (name === 'enableDnsHostnames' && value.Value && !vpc.enableDnsSupport) {
      throw ec2Errors.invalidParameterValue('DNS hostnames cannot be enabled on a VPC whose DNS support is disabled.');
    }
    const rec = ctx.env.store.mutable<VpcRecord>(COLL.vpcs, ctx, vpc.VpcId)!;
    rec[name] = value.Value;
    ctx.env.store.put(COLL.vpcs, ctx, rec.VpcId, rec);
    return {};
  },

  DescribeVpcAttribute(input: { VpcId: string; Attribute: string; DryRun?: boolean }, ctx: RequestContext) {
    const vpc = requireVpc(ctx, input.VpcId);
    switch (input.Attribute) {
      case 'enableDnsSupport':
        return { VpcId: vpc.VpcId, EnableDnsSupport: { Value: vpc.enableDnsSupport } };
      case 'enableDnsHostnames':
        return { VpcId: vpc.VpcId, EnableDnsHostnames: { Value: vpc.enableDnsHostnames } };
      case 'enableNetworkAddressUsageMetrics':
        return { VpcId: vpc.VpcId, EnableNetworkAddressUsageMetrics: { Value: vpc.enableNetworkAddressUsageMetrics ?? false } };
      default:
        throw ec2Errors.invalidParameterValue(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
    }
  },
};
