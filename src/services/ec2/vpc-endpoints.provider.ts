/**
 * VPC endpoints, as records: a gateway endpoint (S3) adds a route to the AWS-managed S3 prefix
 * list in each of its route tables, as AWS does; an interface endpoint has a requester-managed
 * network interface in each of its subnets (one per AZ). DescribeVpcEndpointServices lists the
 * com.amazonaws.<region>.* services that faultline serves. Instances already reach faultline's API
 * inside every VPC, so the sandbox routes nothing through an endpoint.
 */
import { createHash } from 'node:crypto';
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { createServiceInterface } from './network-interfaces.ts';
import { requireRouteTable, requireSecurityGroup, requireSubnet, requireVpc } from './network.ts';
import { awsPrefixListId } from './prefix-lists.provider.ts';
import { zonesOf } from './regions.provider.ts';
import { checkTagTypes, iso } from './scoped.ts';
import { COLL, COMPUTE_COLL, type RouteTableRecord, type VpcRecord } from './state.ts';
import { allocatePrivateIp, releasePrivateIp } from './subnet-addresses.ts';
import { tagsFor } from './tags.ts';

export const VPC_ENDPOINTS = 'ec2.vpcEndpoints';

type EndpointType = 'Gateway' | 'Interface';

export interface VpcEndpointRecord {
  VpcEndpointId: string;
  VpcEndpointType: EndpointType;
  VpcId: string;
  ServiceName: string;
  State: 'available';
  PolicyDocument: string;
  RouteTableIds: string[];
  SubnetIds: string[];
  Groups: { GroupId: string; GroupName: string }[];
  IpAddressType: 'ipv4';
  DnsOptions?: { DnsRecordIpType: 'ipv4' };
  PrivateDnsEnabled: boolean;
  RequesterManaged: false;
  NetworkInterfaceIds: string[];
  DnsEntries: { DnsName: string; HostedZoneId: string }[];
  CreationTimestamp: string;
  Tags: Tag[];
  OwnerId: string;
}

/**
 * The services faultline serves that AWS offers endpoints for (endpoint service name suffix),
 * and S3, which has both a gateway and an interface endpoint service.
 */
const SERVICES: { suffix: string; types: EndpointType[] }[] = [
  { suffix: 'autoscaling', types: ['Interface'] },
  { suffix: 'cloudformation', types: ['Interface'] },
  { suffix: 'ec2', types: ['Interface'] },
  { suffix: 'ecr.api', types: ['Interface'] },
  { suffix: 'elasticloadbalancing', types: ['Interface'] },
  { suffix: 'fis', types: ['Interface'] },
  { suffix: 'kms', types: ['Interface'] },
  { suffix: 'monitoring', types: ['Interface'] },
  { suffix: 'rds', types: ['Interface'] },
  { suffix: 's3', types: ['Gateway', 'Interface'] },
  { suffix: 'sns', types: ['Interface'] },
  { suffix: 'ssm', types: ['Interface'] },
  { suffix: 'sts', types: ['Interface'] },
];

/** The full access policy an endpoint has when none is given. */
const FULL_ACCESS = JSON.stringify({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] });

const hash = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);


const serviceName = (region: string, suffix: string) => `com.amazonaws.${region}.${suffix}`;

function findService(ctx: RequestContext, name: string) {
  const s = SERVICES.find((x) => serviceName(ctx.region, x.suffix) === name);
  if (!s) throw new AwsError('InvalidServiceName', `The Vpc Endpoint Service '${name}' does not exist`);
  return s;
}

const notFound = (ids: string) => new AwsError('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${ids}' does not exist`);

function checkPolicy(doc: string | undefined): void {
  if (doc === undefined) return;
  try {
    if (typeof JSON.parse(doc) !== 'object') throw new Error();
  } catch {
    throw new AwsError('MalformedPolicy', 'The policy document is not valid JSON.');
  }
}

/** Adds or removes a gateway endpoint's route to its service's prefix list in route tables of its VPC. */
function gatewayRoutes(ctx: RequestContext, ep: { VpcEndpointId: string; VpcId: string; ServiceName: string }, tableIds: readonly string[], add: boolean): void {
  const pl = awsPrefixListId(ep.ServiceName);
  for (const id of tableIds) {
    const t = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, id);
    if (!t) continue;
    if (add) {
      if (t.VpcId !== ep.VpcId) throw new AwsError('InvalidParameter', `Route table ${id} does not belong to ${ep.VpcId}.`);
      if (t.Routes.some((r) => r.DestinationPrefixListId === pl)) throw new AwsError('RouteAlreadyExists', `Route table ${id} already has a route with destination-prefix-list-id ${pl}.`);
      t.Routes.push({ DestinationPrefixListId: pl, GatewayId: ep.VpcEndpointId, Origin: 'CreateRoute', State: 'active' });
    } else t.Routes = t.Routes.filter((r) => r.GatewayId !== ep.VpcEndpointId);
    ctx.env.store.put(COLL.routeTables, ctx, id, t);
  }
}

/** Checks an interface endpoint's subnets: in its VPC, at most one per AZ (with those it has). */
function checkSubnets(ctx: RequestContext, vpcId: string, ids: readonly string[], have: readonly string[]): void {
  const zones = new Map(have.map((id) => [requireSubnet(ctx, id).AvailabilityZone, id]));
  for (const id of ids) {
    const s = requireSubnet(ctx, id);
    if (s.VpcId !== vpcId) throw new AwsError('InvalidParameter', `The subnet ${id} does not belong to ${vpcId}.`);
    if (zones.has(s.AvailabilityZone)) throw new AwsError('DuplicateSubnetsInSameZone', `Found another VPC endpoint subnet in the availability zone of ${id}`);
    zones.set(s.AvailabilityZone, id);
  }
}

function endpointGroups(ctx: RequestContext, vpc: { VpcId: string; defaultSecurityGroupId?: string }, ids: readonly string[] | undefined) {
  const chosen = ids?.length ? ids : vpc.defaultSecurityGroupId ? [vpc.defaultSecurityGroupId] : [];
  return chosen.map((id) => {
    const g = requireSecurityGroup(ctx, id);
    if (g.VpcId !== vpc.VpcId) throw new AwsError('InvalidParameter', `The security group ${id} does not belong to ${vpc.VpcId}.`);
    return { GroupId: g.GroupId, GroupName: g.GroupName };
  });
}

/** Makes the endpoint's interface in each subnet; returns their ids. */
function addInterfaces(ctx: RequestContext, ep: VpcEndpointRecord, subnetIds: readonly string[]): string[] {
  return subnetIds.map((id) => {
    const subnet = requireSubnet(ctx, id);
    const privateIp = allocatePrivateIp(ctx, id);
    const groupIds = ep.Groups.map((g) => g.GroupId);
    return createServiceInterface(ctx, { subnet, privateIp, groupIds, description: `VPC Endpoint Interface ${ep.VpcEndpointId}`, interfaceType: 'vpc_endpoint' }).NetworkInterfaceId;
  });
}

function removeInterfaces(ctx: RequestContext, ep: VpcEndpointRecord, subnetIds: readonly string[]): string[] {
  const gone: string[] = [];
  for (const id of ep.NetworkInterfaceIds) {
    const eni = ctx.env.store.get<{ SubnetId: string; PrivateIpAddress: string }>(COMPUTE_COLL.networkInterfaces, ctx, id);
    if (!eni || !subnetIds.includes(eni.SubnetId)) continue;
    releasePrivateIp(ctx, eni.SubnetId, eni.PrivateIpAddress);
    ctx.env.store.delete(COMPUTE_COLL.networkInterfaces, ctx, id);
    gone.push(id);
  }
  return gone;
}

/** The endpoint's DNS names: one regional, one per AZ, under the region's vpce domain. */
function dnsEntries(ctx: RequestContext, ep: VpcEndpointRecord): VpcEndpointRecord['DnsEntries'] {
  const service = ep.ServiceName.slice(`com.amazonaws.${ctx.region}.`.length);
  const base = `${ep.VpcEndpointId}-${hash(ep.VpcEndpointId, 8)}`;
  const HostedZoneId = `Z${hash(`vpce/${ctx.region}`, 12).toUpperCase()}`;
  const zones = ep.SubnetIds.map((id) => ctx.env.store.get<{ AvailabilityZone: string }>(COLL.subnets, ctx, id)?.AvailabilityZone).filter((z) => !!z);
  return [`${base}`, ...zones.map((z) => `${base}-${z}`)].map((name) => ({ DnsName: `${name}.${service}.${ctx.region}.vpce.amazonaws.com`, HostedZoneId }));
}

function put(ctx: RequestContext, ep: VpcEndpointRecord): void {
  if (ep.VpcEndpointType === 'Interface') ep.DnsEntries = dnsEntries(ctx, ep);
  ctx.env.store.put(VPC_ENDPOINTS, ctx, ep.VpcEndpointId, ep);
}

function checkPrivateDns(vpc: { VpcId: string; enableDnsSupport: boolean; enableDnsHostnames: boolean }): void {
  if (!vpc.enableDnsSupport || !vpc.enableDnsHostnames) {
    throw new AwsError('InvalidParameter', `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${vpc.VpcId}`);
  }
}

/** Whether any endpoint still lives in the VPC (DeleteVpc refuses then). */
export const vpcHasEndpoints = (ctx: RequestContext, vpcId: string) => ctx.env.store.list<VpcEndpointRecord>(VPC_ENDPOINTS, ctx).some((e) => e.VpcId === vpcId);

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

export const vpcEndpointHandlers = {
  CreateVpcEndpoint(
    input: {
      VpcId: string;
      ServiceName?: string;
      VpcEndpointType?: string;
      PolicyDocument?: string;
      RouteTableIds?: string[];
      SubnetIds?: string[];
      SecurityGroupIds?: string[];
      IpAddressType?: string;
      PrivateDnsEnabled?: boolean;
      ClientToken?: string;
      TagSpecifications?: TagSpecs;
      ServiceNetworkArn?: string;
      ResourceConfigurationArn?: string;
    },
    ctx: RequestContext,
  ) {
    const vpc = requireVpc(ctx, input.VpcId) as VpcRecord;
    const type = (input.VpcEndpointType ?? 'Gateway') as EndpointType;
    if (type !== 'Gateway' && type !== 'Interface') throw ec2Errors.unsupported(`faultline makes Gateway and Interface endpoints, not ${type} endpoints.`);
    if (input.ServiceName === undefined) throw errors.missingParameter('serviceName');
    const service = findService(ctx, input.ServiceName);
    if (!service.types.includes(type)) throw new AwsError('InvalidParameter', `Endpoint type (${type}) does not match available service types ([${service.types.join(', ')}]).`);
    if (input.IpAddressType !== undefined && input.IpAddressType !== 'ipv4') throw ec2Errors.unsupported('faultline endpoints are IPv4 only.');
    checkPolicy(input.PolicyDocument);
    checkTagTypes(input.TagSpecifications, ['vpc-endpoint']);
    const ep: VpcEndpointRecord = {
      VpcEndpointId: resourceId('vpce'),
      VpcEndpointType: type,
      VpcId: vpc.VpcId,
      ServiceName: input.ServiceName,
      State: 'available',
      PolicyDocument: input.PolicyDocument ?? FULL_ACCESS,
      RouteTableIds: [],
      SubnetIds: [],
      Groups: [],
      IpAddressType: 'ipv4',
      PrivateDnsEnabled: false,
      RequesterManaged: false,
      NetworkInterfaceIds: [],
      DnsEntries: [],
      CreationTimestamp: iso(ctx.env.clock.now()),
      Tags: tagsFor(input.TagSpecifications, 'vpc-endpoint'),
      OwnerId: ctx.account,
    };
    if (type === 'Gateway') {
      if (input.SubnetIds?.length || input.SecurityGroupIds?.length) throw new AwsError('InvalidParameter', 'Subnets and security groups are for interface endpoints; a gateway endpoint takes route tables.');
      if (input.PrivateDnsEnabled) throw new AwsError('InvalidParameter', 'Private DNS is for interface endpoints.');
      const tables = [...new Set(input.RouteTableIds ?? [])];
      for (const id of tables) requireRouteTable(ctx, id);
      gatewayRoutes(ctx, ep, tables, true);
      ep.RouteTableIds = tables;
    } else {
      if (input.RouteTableIds?.length) throw new AwsError('InvalidParameter', 'Route tables are for gateway endpoints; an interface endpoint takes subnets.');
      ep.PrivateDnsEnabled = input.PrivateDnsEnabled ?? true;
      if (ep.PrivateDnsEnabled) checkPrivateDns(vpc);
      const subnets = [...new Set(input.SubnetIds ?? [])];
      checkSubnets(ctx, vpc.VpcId, subnets, []);
      ep.Groups = endpointGroups(ctx, vpc, input.SecurityGroupIds);
      ep.DnsOptions = { DnsRecordIpType: 'ipv4' };
      ep.SubnetIds = subnets;
      ep.NetworkInterfaceIds = addInterfaces(ctx, ep, subnets);
    }
    put(ctx, ep);
    // AWS answers while an interface endpoint is still pending; it is available by the next describe.
    return { VpcEndpoint: { ...ep, State: type === 'Interface' ? 'pending' : 'available' }, ClientToken: input.ClientToken };
  },

  DescribeVpcEndpoints(input: { VpcEndpointIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    const picked = selectIds(ctx.env.store.list<VpcEndpointRecord>(VPC_ENDPOINTS, ctx), input.VpcEndpointIds, (e) => e.VpcEndpointId, notFound);
    const filtered = applyFilters(picked, input.Filters, {
      'ip-address-type': (e) => e.IpAddressType,
      'service-name': (e) => e.ServiceName,
      'vpc-id': (e) => e.VpcId,
      'vpc-endpoint-id': (e) => e.VpcEndpointId,
      'vpc-endpoint-state': (e) => e.State,
      'vpc-endpoint-type': (e) => e.VpcEndpointType,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 1, 1000);
    return { VpcEndpoints: page, NextToken };
  },

  ModifyVpcEndpoint(
    input: {
      VpcEndpointId: string;
      ResetPolicy?: boolean;
      PolicyDocument?: string;
      AddRouteTableIds?: string[];
      RemoveRouteTableIds?: string[];
      AddSubnetIds?: string[];
      RemoveSubnetIds?: string[];
      AddSecurityGroupIds?: string[];
      RemoveSecurityGroupIds?: string[];
      PrivateDnsEnabled?: boolean;
    },
    ctx: RequestContext,
  ) {
    const ep = ctx.env.store.mutable<VpcEndpointRecord>(VPC_ENDPOINTS, ctx, input.VpcEndpointId);
    if (!ep) throw notFound(input.VpcEndpointId);
    if (input.ResetPolicy && input.PolicyDocument !== undefined) throw ec2Errors.invalidParameterCombination('ResetPolicy and PolicyDocument cannot both be given.');
    checkPolicy(input.PolicyDocument);
    if (input.ResetPolicy) ep.PolicyDocument = FULL_ACCESS;
    if (input.PolicyDocument !== undefined) ep.PolicyDocument = input.PolicyDocument;
    const gateway = ep.VpcEndpointType === 'Gateway';
    const forGateway = !!(input.AddRouteTableIds?.length || input.RemoveRouteTableIds?.length);
    const forInterface = !!(input.AddSubnetIds?.length || input.RemoveSubnetIds?.length || input.AddSecurityGroupIds?.length || input.RemoveSecurityGroupIds?.length || input.PrivateDnsEnabled !== undefined);
    if ((gateway && forInterface) || (!gateway && forGateway)) throw new AwsError('InvalidParameter', `The change does not apply to a ${ep.VpcEndpointType} endpoint.`);
    if (gateway) {
      const remove = (input.RemoveRouteTableIds ?? []).filter((id) => ep.RouteTableIds.includes(id));
      const add = [...new Set(input.AddRouteTableIds ?? [])].filter((id) => !ep.RouteTableIds.includes(id));
      for (const id of add) requireRouteTable(ctx, id);
      gatewayRoutes(ctx, ep, remove, false);
      gatewayRoutes(ctx, ep, add, true);
      ep.RouteTableIds = [...ep.RouteTableIds.filter((id) => !remove.includes(id)), ...add];
    } else {
      const vpc = requireVpc(ctx, ep.VpcId) as VpcRecord;
      if (input.PrivateDnsEnabled) checkPrivateDns(vpc);
      if (input.PrivateDnsEnabled !== undefined) ep.PrivateDnsEnabled = input.PrivateDnsEnabled;
      const removeGroups = input.RemoveSecurityGroupIds ?? [];
      const addGroups = input.AddSecurityGroupIds?.length ? endpointGroups(ctx, vpc, input.AddSecurityGroupIds).filter((g) => !ep.Groups.some((h) => h.GroupId === g.GroupId)) : [];
      ep.Groups = [...ep.Groups.filter((g) => !removeGroups.includes(g.GroupId)), ...addGroups];
      const removeSubnets = (input.RemoveSubnetIds ?? []).filter((id) => ep.SubnetIds.includes(id));
      const kept = ep.SubnetIds.filter((id) => !removeSubnets.includes(id));
      const addSubnets = [...new Set(input.AddSubnetIds ?? [])].filter((id) => !ep.SubnetIds.includes(id));
      checkSubnets(ctx, ep.VpcId, addSubnets, kept);
      const gone = removeInterfaces(ctx, ep, removeSubnets);
      ep.NetworkInterfaceIds = [...ep.NetworkInterfaceIds.filter((id) => !gone.includes(id)), ...addInterfaces(ctx, ep, addSubnets)];
      ep.SubnetIds = [...kept, ...addSubnets];
      for (const id of ep.NetworkInterfaceIds) {
        const eni = ctx.env.store.mutable<{ Groups: { GroupId: string; GroupName: string }[] }>(COMPUTE_COLL.networkInterfaces, ctx, id);
        if (!eni) continue;
        eni.Groups = ep.Groups;
        ctx.env.store.put(COMPUTE_COLL.networkInterfaces, ctx, id, eni);
      }
    }
    put(ctx, ep);
    return { Return: true };
  },

  DeleteVpcEndpoints(input: { VpcEndpointIds: string[] }, ctx: RequestContext) {
    const Unsuccessful: { ResourceId: string; Error: { Code: string; Message: string } }[] = [];
    for (const id of input.VpcEndpointIds ?? []) {
      const ep = ctx.env.store.get<VpcEndpointRecord>(VPC_ENDPOINTS, ctx, id) as VpcEndpointRecord | undefined;
      if (!ep) {
        Unsuccessful.push({ ResourceId: id, Error: { Code: 'InvalidVpcEndpoint.NotFound', Message: `The VPC endpoint '${id}' does not exist` } });
        continue;
      }
      gatewayRoutes(ctx, ep, ep.RouteTableIds, false);
      removeInterfaces(ctx, ep, ep.SubnetIds);
      ctx.env.store.delete(VPC_ENDPOINTS, ctx, id);
    }
    return { Unsuccessful };
  },

  DescribeVpcEndpointServices(input: { ServiceNames?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    for (const name of input.ServiceNames ?? []) findService(ctx, name);
    const zones = zonesOf(ctx.env.config, ctx.region);
    const details = SERVICES.flatMap((s) =>
      s.types.map((type) => {
        const name = serviceName(ctx.region, s.suffix);
        const gateway = type === 'Gateway';
        return {
          ServiceName: name,
          ServiceId: `vpce-svc-${hash(`${name}/${type}`, 17)}`,
          ServiceType: [{ ServiceType: type }],
          ServiceRegion: ctx.region,
          AvailabilityZones: zones,
          Owner: 'amazon',
          BaseEndpointDnsNames: [gateway ? `${s.suffix}.${ctx.region}.amazonaws.com` : `${s.suffix}.${ctx.region}.vpce.amazonaws.com`],
          PrivateDnsName: gateway ? undefined : `${s.suffix}.${ctx.region}.amazonaws.com`,
          PrivateDnsNames: gateway ? undefined : [{ PrivateDnsName: `${s.suffix}.${ctx.region}.amazonaws.com` }],
          PrivateDnsNameVerificationState: gateway ? undefined : 'verified',
          VpcEndpointPolicySupported: true,
          AcceptanceRequired: false,
          ManagesVpcEndpoints: false,
          SupportedIpAddressTypes: ['ipv4'],
          Tags: [],
        };
      }),
    );
    const named = input.ServiceNames?.length ? details.filter((d) => input.ServiceNames!.includes(d.ServiceName)) : details;
    const filtered = applyFilters(named, input.Filters, {
      'service-name': (d) => d.ServiceName,
      'service-type': (d) => d.ServiceType.map((t) => t.ServiceType),
      'service-region': (d) => d.ServiceRegion,
      owner: (d) => d.Owner,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { ServiceDetails: page, ServiceNames: [...new Set(page.map((d) => d.ServiceName))], NextToken };
  },
};
