/**
 * Egress-only internet gateways: IPv6 egress for a VPC, made attached to it. Routes name one by
 * EgressOnlyInternetGatewayId (route-tables.provider.ts); deleting the gateway leaves them as
 * blackholes, as AWS does. The sandbox driver does not route IPv6, so the gateway is a record.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { idNotFound, requireVpc } from './network.ts';
import { checkTagTypes } from './scoped.ts';
import { COLL, type RouteTableRecord } from './state.ts';
import { tagsFor } from './tags.ts';

export const EGRESS_ONLY_GATEWAYS = 'ec2.egressOnlyInternetGateways';

export interface EgressOnlyGatewayRecord {
  EgressOnlyInternetGatewayId: string;
  Attachments: { State: 'attached'; VpcId: string }[];
  Tags: Tag[];
}

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

const notFound = idNotFound('GatewayID', 'egressOnlyInternetGateway');

export const egressOnlyGatewayHandlers = {
  CreateEgressOnlyInternetGateway(input: { VpcId: string; ClientToken?: string; TagSpecifications?: TagSpecs }, ctx: RequestContext) {
    const vpc = requireVpc(ctx, input.VpcId);
    checkTagTypes(input.TagSpecifications, ['egress-only-internet-gateway']);
    const gw: EgressOnlyGatewayRecord = {
      EgressOnlyInternetGatewayId: resourceId('eigw'),
      Attachments: [{ State: 'attached', VpcId: vpc.VpcId }],
      Tags: tagsFor(input.TagSpecifications, 'egress-only-internet-gateway'),
    };
    ctx.env.store.put(EGRESS_ONLY_GATEWAYS, ctx, gw.EgressOnlyInternetGatewayId, gw);
    return { EgressOnlyInternetGateway: gw, ClientToken: input.ClientToken };
  },

  DescribeEgressOnlyInternetGateways(input: { EgressOnlyInternetGatewayIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    const all = ctx.env.store.list<EgressOnlyGatewayRecord>(EGRESS_ONLY_GATEWAYS, ctx);
    const picked = selectIds(all, input.EgressOnlyInternetGatewayIds, (g) => g.EgressOnlyInternetGatewayId, notFound);
    const filtered = applyFilters(picked, input.Filters, {
      'egress-only-internet-gateway-id': (g) => g.EgressOnlyInternetGatewayId,
      'attachment.state': (g) => g.Attachments.map((a) => a.State),
      'attachment.vpc-id': (g) => g.Attachments.map((a) => a.VpcId),
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 255);
    return { EgressOnlyInternetGateways: page, NextToken };
  },

  DeleteEgressOnlyInternetGateway(input: { EgressOnlyInternetGatewayId: string }, ctx: RequestContext) {
    const id = input.EgressOnlyInternetGatewayId;
    if (!ctx.env.store.get(EGRESS_ONLY_GATEWAYS, ctx, id)) throw notFound(id);
    for (const t of ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx)) {
      if (!t.Routes.some((r) => r.EgressOnlyInternetGatewayId === id)) continue;
      const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
      for (const r of rec.Routes) if (r.EgressOnlyInternetGatewayId === id) r.State = 'blackhole';
      ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
    }
    ctx.env.store.delete(EGRESS_ONLY_GATEWAYS, ctx, id);
    return { ReturnCode: true };
  },
};

/** A route to an egress-only gateway: the gateway must be the route table's VPC's, and the destination IPv6. */
export function checkEgressOnlyRoute(ctx: RequestContext, table: { RouteTableId: string; VpcId: string }, id: string, ipv6Destination: boolean): void {
  const gw = ctx.env.store.get<EgressOnlyGatewayRecord>(EGRESS_ONLY_GATEWAYS, ctx, id);
  if (!gw) throw new AwsError('InvalidGatewayID.NotFound', `The gateway ID '${id}' does not exist`);
  if (!gw.Attachments.some((a) => a.VpcId === table.VpcId)) {
    throw new AwsError('InvalidParameterValue', `route table ${table.RouteTableId} and network gateway ${id} belong to different networks`);
  }
  if (!ipv6Destination) throw new AwsError('InvalidParameterValue', `Egress-only internet gateway ${id} can only be the target of an IPv6 route.`);
}
