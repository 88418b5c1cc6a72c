/**
 * Route tables, routes and their associations. Every VPC has one main table (created with it);
 * subnets without an explicit association use the main table implicitly, which AWS does not
 * list as an association.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { formatCidr4, formatCidr6, parseCidr4, parseCidr6 } from './cidr.ts';
import { checkEgressOnlyRoute } from './egress-only-gateways.provider.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { notFound, requireRouteTable, requireSubnet, requireVpc } from './network.ts';
import { requirePrefixList } from './prefix-lists.provider.ts';
import { COLL, type InternetGatewayRecord, type NatGatewayRecord, type VpcPeeringConnectionRecord, type RouteRecord, type RouteTableAssociationRecord, type RouteTableRecord } from './state.ts';
import { tagsFor } from './tags.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

/** Creates and stores a route table with its local route(s); `main` also gives it the VPC's main association. */
export function createRouteTableRecord(ctx: RequestContext, opts: { vpcId: string; cidr: string; ipv6Cidr?: string; main?: boolean; tags: Tag[] }): RouteTableRecord {
  const RouteTableId = resourceId('rtb');
  const routes: RouteRecord[] = [{ DestinationCidrBlock: opts.cidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' }];
  if (opts.ipv6Cidr) routes.push({ DestinationIpv6CidrBlock: opts.ipv6Cidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' });
  const rtb: RouteTableRecord = {
    RouteTableId,
    VpcId: opts.vpcId,
    OwnerId: ctx.account,
    Routes: routes,
    Associations: opts.main
      ? [{ RouteTableAssociationId: resourceId('rtbassoc'), RouteTableId, Main: true, AssociationState: { State: 'associated' } }]
      : [],
    PropagatingVgws: [],
    Tags: opts.tags,
  };
  ctx.env.store.put(COLL.routeTables, ctx, RouteTableId, rtb);
  return rtb;
}


/** Drops a deleted subnet's explicit association, if it has one. */
export function dropRouteTableAssociations(ctx: RequestContext, subnetId: string): void {
  for (const t of ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx)) {
    if (!t.Associations.some((a) => a.SubnetId === subnetId)) continue;
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    rec.Associations = rec.Associations.filter((a) => a.SubnetId !== subnetId);
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
  }
}

/** Marks the routes of a VPC's tables that go through `gatewayId` active or blackhole, as the gateway attaches or detaches. */
export function setGatewayRoutesState(ctx: RequestContext, vpcId: string, gatewayId: string, state: 'active' | 'blackhole'): void {
  setTargetRoutesState(ctx, vpcId, 'GatewayId', gatewayId, state);
}

/** Marks the routes of a VPC's tables whose target `key` is `id` active or blackhole, as the target comes or goes. */
export function setTargetRoutesState(ctx: RequestContext, vpcId: string, key: 'GatewayId' | 'NatGatewayId' | 'VpcPeeringConnectionId', id: string, state: 'active' | 'blackhole'): void {
  for (const t of ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx)) {
    if (t.VpcId !== vpcId || !t.Routes.some((r) => r[key] === id && r.State !== state)) continue;
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    for (const r of rec.Routes) if (r[key] === id) r.State = state;
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
  }
}

type RouteInput = {
  RouteTableId: string;
  DestinationCidrBlock?: string;
  DestinationIpv6CidrBlock?: string;
  DestinationPrefixListId?: string;
  GatewayId?: string;
  InstanceId?: string;
  NatGatewayId?: string;
  NetworkInterfaceId?: string;
  TransitGatewayId?: string;
  VpcPeeringConnectionId?: string;
  EgressOnlyInternetGatewayId?: string;
  CarrierGatewayId?: string;
  LocalGatewayId?: string;
  VpcEndpointId?: string;
  CoreNetworkArn?: string;
  OdbNetworkArn?: string;
  LocalTarget?: boolean;
  DryRun?: boolean;
};

type Destination = Pick<RouteRecord, 'DestinationCidrBlock' | 'DestinationIpv6CidrBlock' | 'DestinationPrefixListId'>;

function destinationOf(ctx: RequestContext, input: RouteInput): { dest: Destination; text: string; param: string } {
  const given = [input.DestinationCidrBlock, input.DestinationIpv6CidrBlock, input.DestinationPrefixListId].filter((d) => d !== undefined);
  if (!given.length) throw errors.missingParameter('destinationCidrBlock or destinationIpv6CidrBlock or destinationPrefixListId');
  if (given.length > 1) throw ec2Errors.invalidParameterCombination('Only one of destinationCidrBlock, destinationIpv6CidrBlock and destinationPrefixListId may be given.');
  if (input.DestinationCidrBlock !== undefined) {
    const c = parseCidr4(input.DestinationCidrBlock, false);
    if (!c) throw ec2Errors.invalidParameterValue(`Value (${input.DestinationCidrBlock}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`);
    const text = formatCidr4(c);
    return { dest: { DestinationCidrBlock: text }, text, param: 'destination-cidr-block' };
  }
  if (input.DestinationIpv6CidrBlock !== undefined) {
    const c = parseCidr6(input.DestinationIpv6CidrBlock, false);
    if (!c) throw ec2Errors.invalidParameterValue(`Value (${input.DestinationIpv6CidrBlock}) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
    const text = formatCidr6(c);
    return { dest: { DestinationIpv6CidrBlock: text }, text, param: 'destination-ipv6-cidr-block' };
  }
  requirePrefixList(ctx, input.DestinationPrefixListId!);
  return { dest: { DestinationPrefixListId: input.DestinationPrefixListId }, text: input.DestinationPrefixListId!, param: 'destination-prefix-list-id' };
}

const sameDestination = (r: DeepReadonly<RouteRecord>, d: Destination) =>
  (d.DestinationCidrBlock !== undefined && r.DestinationCidrBlock === d.DestinationCidrBlock) ||
  (d.DestinationIpv6CidrBlock !== undefined && r.DestinationIpv6CidrBlock === d.DestinationIpv6CidrBlock) ||
  (d.DestinationPrefixListId !== undefined && r.DestinationPrefixListId === d.DestinationPrefixListId);

/** Route targets: where each lives in the store (if faultline models it) and how a missing one is reported. */
const TARGETS = [
  { param: 'GatewayId', coll: COLL.internetGateways, code: 'InvalidGatewayID.NotFound', what: 'gateway ID' },
  { param: 'InstanceId', coll: COLL.instances, code: 'InvalidInstanceID.NotFound', what: 'instance ID' },
  { param: 'NatGatewayId', coll: 'ec2.natGateways', code: 'NatGatewayNotFound', what: 'natGateway ID' },
  { param: 'NetworkInterfaceId', coll: 'ec2.networkInterfaces', code: 'InvalidNetworkInterfaceID.NotFound', what: 'networkInterface ID' },
  { param: 'TransitGatewayId', coll: 'ec2.transitGateways', code: 'InvalidTransitGatewayID.NotFound', what: 'transitGateway ID' },
  { param: 'VpcPeeringConnectionId', coll: 'ec2.vpcPeeringConnections', code: 'InvalidVpcPeeringConnectionID.NotFound', what: 'vpcPeeringConnection ID' },
  { param: 'EgressOnlyInternetGatewayId', coll: 'ec2.egressOnlyInternetGateways', code: 'InvalidGatewayID.NotFound', what: 'gateway ID' },
  { param: 'CarrierGatewayId', coll: 'ec2.carrierGateways', code: 'InvalidCarrierGatewayID.NotFound', what: 'carrierGateway ID' },
  { param: 'LocalGatewayId', coll: 'ec2.localGateways', code: 'InvalidLocalGatewayID.NotFound', what: 'localGateway ID' },
  { param: 'VpcEndpointId', coll: 'ec2.vpcEndpoints', code: 'InvalidVpcEndpointId.NotFound', what: 'vpcEndpoint ID' },
  { param: 'CoreNetworkArn', coll: 'networkmanager.coreNetworks', code: 'InvalidParameterValue', what: 'core network' },
  { param: 'OdbNetworkArn', coll: 'odb.networks', code: 'InvalidParameterValue', what: 'ODB network' },
] as const;

interface InstanceLike {
  InstanceId: string;
  VpcId?: string;
  OwnerId?: string;
  State?: { Name?: string };
  NetworkInterfaces?: { NetworkInterfaceId?: string }[];
}

/** Validates the one target of a CreateRoute or ReplaceRoute and returns the route's target members and state. */
function targetOf(ctx: RequestContext, table: DeepReadonly<RouteTableRecord>, input: RouteInput): Omit<RouteRecord, 'Origin' | keyof Destination> {
  const given = TARGETS.filter((t) => input[t.param] !== undefined);
  if (input.LocalTarget) {
    if (given.length) throw ec2Errors.invalidParameterCombination('LocalTarget cannot be combined with another target.');
    return { GatewayId: 'local', State: 'active' };
  }
  if (!given.length) {
    throw errors.missingParameter('gatewayId, egressOnlyInternetGatewayId, natGatewayId, instanceId, networkInterfaceId, transitGatewayId, vpcPeeringConnectionId or another target');
  }
  if (given.length > 1) throw ec2Errors.invalidParameterCombination(`Only one target may be given: ${given.map((t) => t.param).join(', ')}.`);
  const t = given[0];
  const id = input[t.param]!;
  if (t.param === 'GatewayId' && id === 'local') throw ec2Errors.invalidParameterValue(`Cannot create a route to 'local'; the local route exists already.`);
  const rec = ctx.env.store.get<Record<string, unknown>>(t.coll, ctx, id);
  if (!rec) throw new AwsError(t.code, `The ${t.what} '${id}' does not exist`);
  if (t.param === 'GatewayId') {
    const igw = rec as DeepReadonly<InternetGatewayRecord>;
    if (!igw.Attachments.some((a) => a.VpcId === table.VpcId)) {
      throw ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and network gateway ${id} belong to different networks`);
    }
    return { GatewayId: id, State: 'active' };
  }
  if (t.param === 'InstanceId') {
    const i = rec as DeepReadonly<InstanceLike>;
    if (i.VpcId && i.VpcId !== table.VpcId) throw ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and instance ${id} belong to different networks`);
    const live = i.State?.Name === 'running' || i.State?.Name === 'pending';
    return { InstanceId: id, InstanceOwnerId: i.OwnerId ?? ctx.account, NetworkInterfaceId: i.NetworkInterfaces?.[0]?.NetworkInterfaceId, State: live ? 'active' : 'blackhole' };
  }
  if (t.param === 'NatGatewayId') {
    const nat = rec as DeepReadonly<NatGatewayRecord>;
    if (nat.State === 'deleted' || nat.State === 'failed') throw new AwsError(t.code, `The ${t.what} '${id}' does not exist`);
    if (nat.VpcId !== table.VpcId) throw ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and NAT gateway ${id} belong to different networks`);
    return { NatGatewayId: id, State: nat.State === 'available' ? 'active' : 'blackhole' };
  }
  if (t.param === 'VpcPeeringConnectionId') {
    const pcx = rec as DeepReadonly<VpcPeeringConnectionRecord>;
    if (pcx.RequesterVpcInfo.VpcId !== table.VpcId && pcx.AccepterVpcInfo.VpcId !== table.VpcId) {
      throw ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and peering connection ${id} belong to different networks`);
    }
    return { VpcPeeringConnectionId: id, State: pcx.Status.Code === 'active' ? 'active' : 'blackhole' };
  }
  return { [t.param]: id, State: 'active' } as Omit<RouteRecord, 'Origin' | keyof Destination>;
}

const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Every association of every table, with its table. */
function findAssociation(ctx: RequestContext, associationId: string) {
  for (const t of ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx)) {
    const a = t.Associations.find((x) => x.RouteTableAssociationId === associationId);
    if (a) return { table: t, assoc: a };
  }
  throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
}

const associated = { State: 'associated' };

export const routeTableHandlers = {
  CreateRouteTable(input: { VpcId: string; TagSpecifications?: TagSpecs; ClientToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const vpc = requireVpc(ctx, input.VpcId);
    const tags = tagsFor(input.TagSpecifications, 'route-table');
    const rtb = createRouteTableRecord(ctx, { vpcId: vpc.VpcId, cidr: vpc.CidrBlock, ipv6Cidr: vpc.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock, tags });
    return { RouteTable: rtb, ClientToken: input.ClientToken };
  },

  DeleteRouteTable(input: { RouteTableId: string; DryRun?: boolean }, ctx: RequestContext) {
    const t = requireRouteTable(ctx, input.RouteTableId);
    if (t.Associations.length) throw ec2Errors.dependencyViolation(`The routeTable '${t.RouteTableId}' has dependencies and cannot be deleted.`);
    ctx.env.store.delete(COLL.routeTables, ctx, t.RouteTableId);
    return {};
  },

  DescribeRouteTables(input: { RouteTableIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const tables = selectIds(ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx), input.RouteTableIds, (t) => t.RouteTableId, notFound.routeTable);
    type T = (typeof tables)[number];
    const routes = (t: T, f: (r: DeepReadonly<RouteRecord>) => string | undefined) => t.Routes.map(f);
    const assocs = (t: T, f: (a: DeepReadonly<RouteTableAssociationRecord>) => string | boolean | undefined) => t.Associations.map(f);
    const filtered = applyFilters(tables, input.Filters, {
      'association.route-table-association-id': (t) => assocs(t, (a) => a.RouteTableAssociationId),
      'association.route-table-id': (t) => assocs(t, (a) => a.RouteTableId),
      'association.subnet-id': (t) => assocs(t, (a) => a.SubnetId),
      'association.gateway-id': (t) => assocs(t, (a) => a.GatewayId),
      'association.main': (t) => assocs(t, (a) => a.Main),
      'owner-id': (t) => t.OwnerId,
      'route-table-id': (t) => t.RouteTableId,
      'route.destination-cidr-block': (t) => routes(t, (r) => r.DestinationCidrBlock),
      'route.destination-ipv6-cidr-block': (t) => routes(t, (r) => r.DestinationIpv6CidrBlock),
      'route.destination-prefix-list-id': (t) => routes(t, (r) => r.DestinationPrefixListId),
      'route.egress-only-internet-gateway-id': (t) => routes(t, (r) => r.EgressOnlyInternetGatewayId),
      'route.gateway-id': (t) => routes(t, (r) => r.GatewayId),
      'route.instance-id': (t) => routes(t, (r) => r.InstanceId),
      'route.nat-gateway-id': (t) => routes(t, (r) => r.NatGatewayId),
      'route.transit-gateway-id': (t) => routes(t, (r) => r.TransitGatewayId),
      'route.origin': (t) => routes(t, (r) => r.Origin),
      'route.state': (t) => routes(t, (r) => r.State),
      'route.vpc-peering-connection-id': (t) => routes(t, (r) => r.VpcPeeringConnectionId),
      'vpc-id': (t) => t.VpcId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 100);
    return { RouteTables: page, NextToken };
  },

  CreateRoute(input: RouteInput, ctx: RequestContext) {
    const t = requireRouteTable(ctx, input.RouteTableId);
    const { dest, text } = destinationOf(ctx, input);
    if (input.LocalTarget) throw ec2Errors.invalidParameterValue('LocalTarget is only valid in ReplaceRoute.');
    const target = targetOf(ctx, t, input);
    if (input.EgressOnlyInternetGatewayId) checkEgressOnlyRoute(ctx, t, input.EgressOnlyInternetGatewayId, dest.DestinationIpv6CidrBlock !== undefined);
    if (t.Routes.some((r) => sameDestination(r, dest))) throw new AwsError('RouteAlreadyExists', `The route identified by ${text} already exists.`);
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    rec.Routes.push(clean({ ...dest, ...target, Origin: 'CreateRoute' as const }));
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
    return { Return: true };
  },

  ReplaceRoute(input: RouteInput, ctx: RequestContext) {
    const t = requireRouteTable(ctx, input.RouteTableId);
    const { dest, text } = destinationOf(ctx, input);
    const i = t.Routes.findIndex((r) => sameDestination(r, dest));
    if (i < 0) throw ec2Errors.invalidParameterValue(`There is no route defined for '${text}' in the route table. Use CreateRoute instead.`);
    const target = targetOf(ctx, t, input);
    if (input.EgressOnlyInternetGatewayId) checkEgressOnlyRoute(ctx, t, input.EgressOnlyInternetGatewayId, dest.DestinationIpv6CidrBlock !== undefined);
    const isLocal = t.Routes[i].Origin === 'CreateRouteTable';
    if (target.GatewayId === 'local' && !isLocal) throw ec2Errors.invalidParameterValue(`Only the route for the VPC's own block can target 'local'.`);
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    rec.Routes[i] = clean({ ...dest, ...target, Origin: rec.Routes[i].Origin });
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
    return {};
  },

  DeleteRoute(input: { RouteTableId: string; DestinationCidrBlock?: string; DestinationIpv6CidrBlock?: string; DestinationPrefixListId?: string; DryRun?: boolean }, ctx: RequestContext) {
    const t = requireRouteTable(ctx, input.RouteTableId);
    const { dest, text, param } = destinationOf(ctx, input);
    const route = t.Routes.find((r) => sameDestination(r, dest));
    if (!route) throw new AwsError('InvalidRoute.NotFound', `no route with ${param} ${text} in route table ${t.RouteTableId}`);
    if (route.GatewayId === 'local' && route.Origin === 'CreateRouteTable') {
      throw ec2Errors.invalidParameterValue(`cannot remove local route ${text} in route table ${t.RouteTableId}`);
    }
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    rec.Routes = rec.Routes.filter((r) => !sameDestination(r, dest));
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
    return {};
  },

  AssociateRouteTable(input: { RouteTableId: string; SubnetId?: string; GatewayId?: string; PublicIpv4Pool?: string; DryRun?: boolean }, ctx: RequestContext) {
    const t = requireRouteTable(ctx, input.RouteTableId);
    if (!input.SubnetId === !input.GatewayId) {
      throw input.SubnetId ? ec2Errors.invalidParameterCombination('Only one of subnetId and gatewayId may be given.') : errors.missingParameter('subnetId or gatewayId');
    }
    const all = ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx).flatMap((x) => x.Associations);
    let member: { SubnetId: string } | { GatewayId: string };
    if (input.SubnetId) {
      const s = requireSubnet(ctx, input.SubnetId);
      if (s.VpcId !== t.VpcId) throw ec2Errors.invalidParameterValue(`Route table ${t.RouteTableId} and subnet ${s.SubnetId} belong to different networks`);
      if (all.some((a) => a.SubnetId === s.SubnetId)) {
        throw new AwsError('Resource.AlreadyAssociated', `the specified association for route table ${t.RouteTableId} conflicts with an existing association`);
      }
      member = { SubnetId: s.SubnetId };
    } else {
      const igw = ctx.env.store.get<InternetGatewayRecord>(COLL.internetGateways, ctx, input.GatewayId!);
      if (!igw) throw new AwsError('InvalidGatewayID.NotFound', `The gateway ID '${input.GatewayId}' does not exist`);
      if (!igw.Attachments.some((a) => a.VpcId === t.VpcId)) {
        throw ec2Errors.invalidParameterValue(`route table ${t.RouteTableId} and network gateway ${igw.InternetGatewayId} belong to different networks`);
      }
      if (all.some((a) => a.GatewayId === igw.InternetGatewayId)) {
        throw new AwsError('Resource.AlreadyAssociated', `the specified association for route table ${t.RouteTableId} conflicts with an existing association`);
      }
      member = { GatewayId: igw.InternetGatewayId };
    }
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    const AssociationId = resourceId('rtbassoc');
    rec.Associations.push({ RouteTableAssociationId: AssociationId, RouteTableId: t.RouteTableId, Main: false, ...member, AssociationState: associated });
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
    return { AssociationId, AssociationState: associated };
  },

  DisassociateRouteTable(input: { AssociationId: string; DryRun?: boolean }, ctx: RequestContext) {
    const { table, assoc } = findAssociation(ctx, input.AssociationId);
    if (assoc.Main) throw ec2Errors.invalidParameterValue(`cannot disassociate the main route table association ${assoc.RouteTableAssociationId}`);
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, table.RouteTableId)!;
    rec.Associations = rec.Associations.filter((a) => a.RouteTableAssociationId !== assoc.RouteTableAssociationId);
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
    return {};
  },

  ReplaceRouteTableAssociation(input: { AssociationId: string; RouteTableId: string; DryRun?: boolean }, ctx: RequestContext) {
    const { table, assoc } = findAssociation(ctx, input.AssociationId);
    const target = requireRouteTable(ctx, input.RouteTableId);
    if (target.VpcId !== table.VpcId) {
      throw ec2Errors.invalidParameterValue(`Route table ${target.RouteTableId} and association ${assoc.RouteTableAssociationId} belong to different networks`);
    }
    const from = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, table.RouteTableId)!;
    from.Associations = from.Associations.filter((a) => a.RouteTableAssociationId !== assoc.RouteTableAssociationId);
    ctx.env.store.put(COLL.routeTables, ctx, from.RouteTableId, from);
    const to = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, target.RouteTableId)!;
    const NewAssociationId = resourceId('rtbassoc');
    to.Associations.push(
      clean({ RouteTableAssociationId: NewAssociationId, RouteTableId: to.RouteTableId, Main: assoc.Main, SubnetId: assoc.SubnetId, GatewayId: assoc.GatewayId, AssociationState: associated }),
    );
    ctx.env.store.put(COLL.routeTables, ctx, to.RouteTableId, to);
    if (assoc.Main) {
      const vpc = ctx.env.store.mutable<{ VpcId: string; mainRouteTableId?: string }>(COLL.vpcs, ctx, to.VpcId);
      if (vpc) {
        vpc.mainRouteTableId = to.RouteTableId;
        ctx.env.store.put(COLL.vpcs, ctx, vpc.VpcId, vpc);
      }
    }
    return { NewAssociationId, AssociationState: associated };
  },
};

/** The route table a subnet uses: its explicit association, else its VPC's main table. */
export function routeTableOfSubnet(ctx: RequestContext, subnetId: string, vpcId: string): DeepReadonly<RouteTableRecord> | undefined {
  const tables = ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx).filter((t) => t.VpcId === vpcId);
  return tables.find((t) => t.Associations.some((a) => a.SubnetId === subnetId)) ?? tables.find((t) => t.Associations.some((a) => a.Main));
}
