/**
 * Route tables, routes and their associations. Every VPC has one main table (created with it);
 * subnets without an explicit association use the main table implicitly, which AWS does not
 * list as an association.
 */
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import type { Tag } from './filters.ts';
import { COLL, type RouteRecord, type RouteTableRecord } from './state.ts';

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

export const routeTableHandlers = {};

/** Drops a deleted subnet's explicit association, if it has one. */
export function dropRouteTableAssociations(ctx: RequestContext, subnetId: string): void {
  for (const t of ctx.env.store.list<RouteTableRecord>(COLL.routeTables, ctx)) {
    if (!t.Associations.some((a) => a.SubnetId === subnetId)) continue;
    const rec = ctx.env.store.mutable<RouteTableRecord>(COLL.routeTables, ctx, t.RouteTableId)!;
    rec.Associations = rec.Associations.filter((a) => a.SubnetId !== subnetId);
    ctx.env.store.put(COLL.routeTables, ctx, rec.RouteTableId, rec);
  }
}
