/**
 * More address space for VPCs and subnets: secondary IPv4 blocks and the Amazon-provided IPv6
 * /56 of a VPC, and a /64 of it for each subnet. Associating a block with a VPC adds its local
 * route to every route table of the VPC, as AWS does; disassociating takes it away. AWS answers
 * with the association `associating` (or `disassociating`), and the next describe shows it done.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { cidr4Contains, cidr4Overlaps, cidr6Contains, cidr6Overlaps, formatCidr4, formatCidr6, parseCidr4, parseCidr6, type Cidr4 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { requireSubnet, requireVpc } from './network.ts';
import { COLL, COMPUTE_COLL, type Ipv6CidrAssociation, type NetworkInterfaceRecord, type RouteTableRecord, type SubnetRecord, type VpcRecord } from './state.ts';
import { amazonIpv6Block, MAX_PREFIX, MIN_PREFIX, parseBlock } from './vpcs.provider.ts';

/** IPv4 blocks a VPC may have, the primary one included (AWS's default quota). */
export const MAX_IPV4_BLOCKS = 5;
/** Amazon-provided IPv6 blocks per VPC in faultline. */
const MAX_IPV6_BLOCKS = 1;

const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr4(c)!);
const SHARED_198_19 = parseCidr4('198.19.0.0/16')!;

/**
 * AWS's restriction on secondary blocks: a VPC whose primary block is in one RFC 1918 range (or
 * 198.19.0.0/16) may add blocks from that range or public ones, not from the other private ranges.
 */
function restricted(primary: Cidr4, block: Cidr4): boolean {
  const privateRanges = [...RFC1918, SHARED_198_19];
  const home = privateRanges.find((r) => cidr4Contains(r, primary));
  const inRange = privateRanges.find((r) => cidr4Overlaps(r, block));
  return !!inRange && inRange !== home;
}

/** Adds (or, with `remove`, drops) a VPC block's local route in each of the VPC's route tables. */
function setLocalRoutes(ctx: RequestContext, vpcId: string, dest: { DestinationCidrBlock: string } | { DestinationIpv6CidrBlock: string }, remove = false): void {
  const same = (r: { DestinationCidrBlock?: string; DestinationIpv6CidrBlock?: string }) =>
    'DestinationCidrBlock' in dest ? r.DestinationCidrBlock === dest.DestinationCidrBlock : r.DestinationIpv6CidrBlock === dest.DestinationIpv6CidrBlock;
  for (const t of ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx)) {
    if (t.VpcId !== vpcId) continue;
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    rec.Routes = rec.Routes.filter((r) => !same(r));
    if (!remove) rec.Routes.push({ ...dest, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' });
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
  }
}

const subnetsOf = (ctx: RequestContext, vpcId: string) => ctx.env.store.list<SubnetRecord>(COLL.subnets, ctx).filter((s) => s.VpcId === vpcId);

/**
 * A subnet's IPv6 block: a /64 inside one of its VPC's IPv6 blocks, overlapping no other
 * subnet's (`subnetId`: the subnet itself, when it exists). Returns it in canonical form.
 */
export function subnetIpv6Block(ctx: RequestContext, vpc: DeepReadonly<VpcRecord>, text: string, subnetId?: string): string {
  const b6 = parseCidr6(text);
  if (!b6) throw ec2Errors.invalidParameterValue(`Value (${text}) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
  const vpc6 = (vpc.Ipv6CidrBlockAssociationSet ?? []).map((a) => parseCidr6(a.Ipv6CidrBlock)!);
  if (b6.prefix !== 64 || !vpc6.some((v) => cidr6Contains(v, b6))) throw ec2Errors.invalidSubnetRange(`The IPv6 CIDR '${text}' is invalid.`);
  const taken = subnetsOf(ctx, vpc.VpcId)
    .filter((s) => s.SubnetId !== subnetId)
    .flatMap((s) => (s.Ipv6CidrBlockAssociationSet ?? []).map((a) => parseCidr6(a.Ipv6CidrBlock)!));
  if (taken.some((t) => cidr6Overlaps(t, b6))) throw ec2Errors.invalidSubnetConflict(`The IPv6 CIDR '${text}' conflicts with another subnet`);
  return formatCidr6(b6);
}

/** The VPC (and its association) that holds an association id, or VPC's NotFound error. */
function findVpcAssociation(ctx: RequestContext, associationId: string) {
  for (const v of ctx.env.store.list<VpcRecord>(COLL.vpcs, ctx)) {
    const v4 = v.CidrBlockAssociationSet.find((a) => a.AssociationId === associationId);
    if (v4) return { vpc: v, v4 };
    const v6 = (v.Ipv6CidrBlockAssociationSet ?? []).find((a) => a.AssociationId === associationId);
    if (v6) return { vpc: v, v6 };
  }
  throw new AwsError('InvalidVpcCidrBlockAssociationID.NotFound', `The vpc CIDR block association ID '${associationId}' does not exist`);
}

export const vpcCidrHandlers = {
  AssociateVpcCidrBlock(
    input: {
      VpcId: string;
      CidrBlock?: string;
      AmazonProvidedIpv6CidrBlock?: boolean;
      Ipv6CidrBlock?: string;
      Ipv6Pool?: string;
      Ipv4IpamPoolId?: string;
      Ipv6IpamPoolId?: string;
      Ipv6CidrBlockNetworkBorderGroup?: string;
    },
    ctx: RequestContext,
  ) {
    const vpc = requireVpc(ctx, input.VpcId);
    if (input.Ipv4IpamPoolId) throw new AwsError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${input.Ipv4IpamPoolId}' does not exist`);
    if (input.Ipv6IpamPoolId) throw new AwsError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${input.Ipv6IpamPoolId}' does not exist`);
    if (input.Ipv6Pool) throw new AwsError('InvalidIpv6PoolID.NotFound', `The ipv6 pool ID '${input.Ipv6Pool}' does not exist`);
    if (input.Ipv6CidrBlock) throw ec2Errors.invalidParameterCombination('Ipv6CidrBlock needs Ipv6Pool or Ipv6IpamPoolId; use AmazonProvidedIpv6CidrBlock');
    if (input.CidrBlock !== undefined && input.AmazonProvidedIpv6CidrBlock) {
      throw ec2Errors.invalidParameterCombination('The parameters cidrBlock and amazonProvidedIpv6CidrBlock cannot be used together.');
    }
    const rec = ctx.env.store.mutable<VpcRecord>(COLL.vpcs, ctx, vpc.VpcId)!;
    if (input.AmazonProvidedIpv6CidrBlock) {
      if (input.Ipv6CidrBlockNetworkBorderGroup !== undefined && input.Ipv6CidrBlockNetworkBorderGroup !== ctx.region) {
        throw ec2Errors.invalidParameterValue(`Value (${input.Ipv6CidrBlockNetworkBorderGroup}) for parameter ipv6CidrBlockNetworkBorderGroup is invalid.`);
      }
      const held = rec.Ipv6CidrBlockAssociationSet ?? [];
      if (held.length >= MAX_IPV6_BLOCKS) throw new AwsError('CidrLimitExceeded', `This network '${vpc.VpcId}' has met its maximum number of allowed CIDRs: ${MAX_IPV6_BLOCKS}`);
      const assoc: Ipv6CidrAssociation = {
        AssociationId: resourceId('vpc-cidr-assoc'),
        Ipv6CidrBlock: amazonIpv6Block(vpc.VpcId),
        Ipv6CidrBlockState: { State: 'associated' },
        NetworkBorderGroup: ctx.region,
        Ipv6Pool: 'Amazon',
        IpSource: 'amazon',
        Ipv6AddressAttribute: 'public',
      };
      rec.Ipv6CidrBlockAssociationSet = [...held, assoc];
      ctx.env.store.put(COLL.vpcs, ctx, rec.VpcId, rec);
      setLocalRoutes(ctx, vpc.VpcId, { DestinationIpv6CidrBlock: assoc.Ipv6CidrBlock });
      return { VpcId: vpc.VpcId, Ipv6CidrBlockAssociation: { ...assoc, Ipv6CidrBlockState: { State: 'associating' } } };
    }
    if (input.CidrBlock === undefined) throw errors.missingParameter('cidrBlock or amazonProvidedIpv6CidrBlock');
    const block = parseBlock(input.CidrBlock, 'cidrBlock');
    const cidr = formatCidr4(block);
    if (block.prefix < MIN_PREFIX || block.prefix > MAX_PREFIX) throw ec2Errors.invalidVpcRange(`The CIDR '${cidr}' is invalid.`);
    const held = rec.CidrBlockAssociationSet;
    if (held.length >= MAX_IPV4_BLOCKS) throw new AwsError('CidrLimitExceeded', `This network '${vpc.VpcId}' has met its maximum number of allowed CIDRs: ${MAX_IPV4_BLOCKS}`);
    const clash = held.find((a) => cidr4Overlaps(parseCidr4(a.CidrBlock)!, block));
    if (clash) throw ec2Errors.invalidVpcRange(`The CIDR '${cidr}' conflicts with the VPC's CIDR block '${clash.CidrBlock}'.`);
    if (restricted(parseCidr4(vpc.CidrBlock)!, block)) {
      throw ec2Errors.invalidVpcRange(`The CIDR '${cidr}' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR.`);
    }
    const assoc = { AssociationId: resourceId('vpc-cidr-assoc'), CidrBlock: cidr, CidrBlockState: { State: 'associated' } };
    rec.CidrBlockAssociationSet = [...held, assoc];
    ctx.env.store.put(COLL.vpcs, ctx, rec.VpcId, rec);
    setLocalRoutes(ctx, vpc.VpcId, { DestinationCidrBlock: cidr });
    return { VpcId: vpc.VpcId, CidrBlockAssociation: { ...assoc, CidrBlockState: { State: 'associating' } } };
  },

  DisassociateVpcCidrBlock(input: { AssociationId: string }, ctx: RequestContext) {
    const { vpc, v4, v6 } = findVpcAssociation(ctx, input.AssociationId);
    const rec = ctx.env.store.mutable<VpcRecord>(COLL.vpcs, ctx, vpc.VpcId)!;
    const subnets = subnetsOf(ctx, vpc.VpcId);
    if (v4) {
      if (v4.CidrBlock === vpc.CidrBlock) {
        throw ec2Errors.operationNotPermitted(`The vpc CIDR block with association ID ${v4.AssociationId} may not be disassociated. It is the primary IPv4 CIDR block of the VPC`);
      }
      const block = parseCidr4(v4.CidrBlock)!;
      const user = subnets.find((s) => cidr4Overlaps(parseCidr4(s.CidrBlock)!, block));
      if (user) throw ec2Errors.dependencyViolation(`The vpc CIDR block '${v4.CidrBlock}' has dependencies (subnet ${user.SubnetId}) and cannot be disassociated.`);
      rec.CidrBlockAssociationSet = rec.CidrBlockAssociationSet.filter((a) => a.AssociationId !== v4.AssociationId);
      ctx.env.store.put(COLL.vpcs, ctx, rec.VpcId, rec);
      setLocalRoutes(ctx, vpc.VpcId, { DestinationCidrBlock: v4.CidrBlock }, true);
      return { VpcId: vpc.VpcId, CidrBlockAssociation: { ...v4, CidrBlockState: { State: 'disassociating' } } };
    }
    const block = parseCidr6(v6!.Ipv6CidrBlock)!;
    const user = subnets.find((s) => (s.Ipv6CidrBlockAssociationSet ?? []).some((a) => cidr6Contains(block, parseCidr6(a.Ipv6CidrBlock)!)));
    if (user) throw ec2Errors.dependencyViolation(`The vpc CIDR block '${v6!.Ipv6CidrBlock}' has dependencies (subnet ${user.SubnetId}) and cannot be disassociated.`);
    rec.Ipv6CidrBlockAssociationSet = (rec.Ipv6CidrBlockAssociationSet ?? []).filter((a) => a.AssociationId !== v6!.AssociationId);
    ctx.env.store.put(COLL.vpcs, ctx, rec.VpcId, rec);
    setLocalRoutes(ctx, vpc.VpcId, { DestinationIpv6CidrBlock: v6!.Ipv6CidrBlock }, true);
    return { VpcId: vpc.VpcId, Ipv6CidrBlockAssociation: { ...v6!, Ipv6CidrBlockState: { State: 'disassociating' } } };
  },

  AssociateSubnetCidrBlock(input: { SubnetId: string; Ipv6CidrBlock?: string; Ipv6IpamPoolId?: string; Ipv6NetmaskLength?: number }, ctx: RequestContext) {
    const subnet = requireSubnet(ctx, input.SubnetId);
    if (input.Ipv6IpamPoolId) throw new AwsError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${input.Ipv6IpamPoolId}' does not exist`);
    if (input.Ipv6CidrBlock === undefined) throw errors.missingParameter('ipv6CidrBlock');
    if (subnet.Ipv6CidrBlockAssociationSet?.length) {
      throw new AwsError('CidrLimitExceeded', `This network '${subnet.SubnetId}' has met its maximum number of allowed CIDRs: 1`);
    }
    const vpc = requireVpc(ctx, subnet.VpcId);
    const cidr = subnetIpv6Block(ctx, vpc, input.Ipv6CidrBlock, subnet.SubnetId);
    const assoc = { AssociationId: resourceId('subnet-cidr-assoc'), Ipv6CidrBlock: cidr, Ipv6CidrBlockState: { State: 'associated' }, IpSource: 'amazon', Ipv6AddressAttribute: 'public' };
    const rec = ctx.env.store.mutable<SubnetRecord>(COLL.subnets, ctx, subnet.SubnetId)!;
    rec.Ipv6CidrBlockAssociationSet = [assoc];
    ctx.env.store.put(COLL.subnets, ctx, rec.SubnetId, rec);
    return { SubnetId: subnet.SubnetId, Ipv6CidrBlockAssociation: { ...assoc, Ipv6CidrBlockState: { State: 'associating' } } };
  },

  DisassociateSubnetCidrBlock(input: { AssociationId: string }, ctx: RequestContext) {
    const subnet = ctx.env.store
      .list<SubnetRecord>(COLL.subnets, ctx)
      .find((s) => (s.Ipv6CidrBlockAssociationSet ?? []).some((a) => a.AssociationId === input.AssociationId));
    if (!subnet) throw new AwsError('InvalidSubnetCidrBlockAssociationID.NotFound', `The subnet CIDR block association ID '${input.AssociationId}' does not exist`);
    const assoc = subnet.Ipv6CidrBlockAssociationSet!.find((a) => a.AssociationId === input.AssociationId)!;
    const user = ctx.env.store.list<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, ctx).find((e) => e.SubnetId === subnet.SubnetId && e.Ipv6Addresses.length > 0);
    if (user) {
      throw ec2Errors.dependencyViolation(`The subnet CIDR block '${assoc.Ipv6CidrBlock}' has dependencies (network interface ${user.NetworkInterfaceId} holds IPv6 addresses) and cannot be disassociated.`);
    }
    const rec = ctx.env.store.mutable<SubnetRecord>(COLL.subnets, ctx, subnet.SubnetId)!;
    rec.Ipv6CidrBlockAssociationSet = [];
    rec.AssignIpv6AddressOnCreation = false;
    ctx.env.store.put(COLL.subnets, ctx, rec.SubnetId, rec);
    return { SubnetId: subnet.SubnetId, Ipv6CidrBlockAssociation: { ...assoc, Ipv6CidrBlockState: { State: 'disassociating' } } };
  },
};
