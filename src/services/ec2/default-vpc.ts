/**
 * The default VPC that AWS gives every account in every region: 172.31.0.0/16 with DNS hostnames
 * on, a /20 default subnet in each AZ that maps public IPs on launch, an internet gateway attached,
 * and a 0.0.0.0/0 route to it in the main route table, besides the default security group and
 * network ACL that every VPC has. faultline makes it at the account's first use of a region (an
 * API request signed for the region), once: an account that deletes it has none until
 * CreateDefaultVpc, as on AWS. `faultline up --no-default-vpc` turns it off.
 *
 * It is built by the same handlers as any VPC, so it is an ordinary VPC in every other way. Under
 * the sandbox driver it costs nothing until an instance runs in it: a VPC gets its network
 * namespace only when one of its instances does.
 */
import { AwsError } from '../../core/errors.ts';
import type { Env, RequestContext } from '../service.ts';
import { ensureWorldRegion } from '../../world/state.ts';
import { cidr4Overlaps, formatCidr4, parseCidr4 } from './cidr.ts';
import { createDefaultDhcpOptions } from './dhcp-options.provider.ts';
import { internetGatewayHandlers } from './internet-gateways.provider.ts';
import { zoneId, zonesOf } from './regions.provider.ts';
import { routeTableHandlers } from './route-tables.provider.ts';
import { COLL, type SubnetRecord, type VpcRecord } from './state.ts';
import { subnetHandlers, type StoredSubnet } from './subnets.provider.ts';
import { vpcHandlers } from './vpcs.provider.ts';

const DEFAULT_CIDR = '172.31.0.0/16';
const SUBNET_PREFIX = 20;
/** Which accounts have used which regions: one record per account and region, id FIRST_USE. */
const FIRST_USES = 'ec2.firstUses';
const FIRST_USE = 'first-use';

export const defaultVpcOf = (ctx: RequestContext): VpcRecord | undefined =>
  ctx.env.store.list<VpcRecord>(COLL.vpcs, ctx).find((v) => v.IsDefault) as VpcRecord | undefined;

export const defaultSubnetIn = (ctx: RequestContext, vpcId: string, zone: string): SubnetRecord | undefined =>
  ctx.env.store.list<SubnetRecord>(COLL.subnets, ctx).find((s) => s.VpcId === vpcId && s.DefaultForAz && s.AvailabilityZone === zone) as SubnetRecord | undefined;

/**
 * Prepares a region for an account's request: the region's world (zones and hosts) and, at the
 * account's first use of the region, its default VPC. Runs before the request's own transaction,
 * so that a request that fails still finds them made.
 */
export function prepareAccountRegion(env: Env, account: string, region: string): void {
  ensureWorldRegion(env, region);
  const scope = { account, region };
  if (env.store.get(FIRST_USES, scope, FIRST_USE)) return;
  env.store.transaction(() => {
    env.store.put(FIRST_USES, scope, FIRST_USE, { at: env.clock.now() });
    const principal = { account, arn: `arn:aws:iam::${account}:root`, userId: account, accessKeyId: '' };
    const ctx = { ...scope, requestId: '', principal, env };
    createDefaultDhcpOptions(ctx);
    if (env.config.defaultVpc) buildDefaultVpc(ctx);
  });
}

function buildDefaultVpc(ctx: RequestContext): VpcRecord {
  const { VpcId } = vpcHandlers.CreateVpc({ CidrBlock: DEFAULT_CIDR }, ctx).Vpc;
  const vpc = ctx.env.store.mutable<VpcRecord>(COLL.vpcs, ctx, VpcId)!;
  vpc.IsDefault = true;
  vpc.enableDnsHostnames = true;
  ctx.env.store.put(COLL.vpcs, ctx, VpcId, vpc);
  const { InternetGatewayId } = internetGatewayHandlers.CreateInternetGateway({}, ctx).InternetGateway;
  internetGatewayHandlers.AttachInternetGateway({ InternetGatewayId, VpcId }, ctx);
  routeTableHandlers.CreateRoute({ RouteTableId: vpc.mainRouteTableId!, DestinationCidrBlock: '0.0.0.0/0', GatewayId: InternetGatewayId }, ctx);
  for (const zone of zonesOf(ctx.env.config, ctx.region)) buildDefaultSubnet(ctx, vpc, zone);
  return ctx.env.store.get<VpcRecord>(COLL.vpcs, ctx, VpcId) as VpcRecord;
}

/** A default subnet in `zone`: the first /20 of the default VPC's block that no subnet holds (AWS hands them out in order). */
function buildDefaultSubnet(ctx: RequestContext, vpc: VpcRecord, zone: string): StoredSubnet {
  const taken = ctx.env.store.list<SubnetRecord>(COLL.subnets, ctx).filter((s) => s.VpcId === vpc.VpcId).map((s) => parseCidr4(s.CidrBlock)!);
  const block = parseCidr4(vpc.CidrBlock)!;
  const size = 2 ** (32 - SUBNET_PREFIX);
  let free: string | undefined;
  for (let base = block.base; base < block.base + block.size; base += size) {
    const candidate = { base, prefix: SUBNET_PREFIX, size };
    if (!taken.some((t) => cidr4Overlaps(t, candidate))) {
      free = formatCidr4(candidate);
      break;
    }
  }
  if (!free) throw new AwsError('InsufficientFreeAddressesInSubnet', `The default VPC ${vpc.VpcId} has no free /${SUBNET_PREFIX} block left for a default subnet.`);
  const { SubnetId } = subnetHandlers.CreateSubnet({ VpcId: vpc.VpcId, CidrBlock: free, AvailabilityZone: zone }, ctx).Subnet;
  const subnet = ctx.env.store.mutable<StoredSubnet>(COLL.subnets, ctx, SubnetId)!;
  subnet.DefaultForAz = true;
  subnet.MapPublicIpOnLaunch = true;
  ctx.env.store.put(COLL.subnets, ctx, SubnetId, subnet);
  return subnet;
}

export const defaultVpcHandlers = {
  CreateDefaultVpc(input: { DryRun?: boolean }, ctx: RequestContext) {
    if (defaultVpcOf(ctx)) throw new AwsError('DefaultVpcAlreadyExists', 'A Default VPC already exists for this account in this region.');
    const vpc = buildDefaultVpc(ctx);
    return { Vpc: { ...vpc, State: 'pending' } };
  },

  CreateDefaultSubnet(input: { AvailabilityZone?: string; AvailabilityZoneId?: string; Ipv6Native?: boolean; DryRun?: boolean }, ctx: RequestContext) {
    const zones = zonesOf(ctx.env.config, ctx.region);
    const zone = input.AvailabilityZone ?? zones.find((z) => input.AvailabilityZoneId !== undefined && zoneIdOf(ctx, z) === input.AvailabilityZoneId);
    if (input.AvailabilityZone && input.AvailabilityZoneId) throw new AwsError('InvalidParameterCombination', 'Only one of availabilityZone and availabilityZoneId may be given.');
    if (input.AvailabilityZone === undefined && input.AvailabilityZoneId === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter availabilityZone');
    if (!zone || !zones.includes(zone)) {
      const given = input.AvailabilityZone ?? input.AvailabilityZoneId;
      throw new AwsError('InvalidParameterValue', `Value (${given}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(', ')}.`);
    }
    if (input.Ipv6Native) throw new AwsError('UnsupportedOperation', 'IPv6-only subnets are not supported by faultline.');
    const vpc = defaultVpcOf(ctx);
    if (!vpc) throw new AwsError('DefaultVpcDoesNotExist', 'No default VPC exists for this account in this region.');
    if (defaultSubnetIn(ctx, vpc.VpcId, zone)) throw new AwsError('DefaultSubnetAlreadyExistsInAvailabilityZone', `A Default Subnet already exists for this account in this availability zone (${zone}).`);
    return { Subnet: buildDefaultSubnet(ctx, vpc, zone) };
  },
};

const zoneIdOf = (ctx: RequestContext, zone: string) => zoneId(ctx.region, zone.slice(ctx.region.length));
