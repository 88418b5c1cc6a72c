/**
 * What the networking providers share: finding records or failing with EC2's own NotFound
 * codes, the DryRun answer, and ARNs.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { ec2Errors } from './errors.ts';
import { idsNotFound } from './scoped.ts';
import {
  COLL,
  type InternetGatewayRecord,
  type NetworkAclRecord,
  type RouteTableRecord,
  type SecurityGroupRecord,
  type SubnetRecord,
  type VpcRecord,
} from './state.ts';

/** `The vpc ID 'vpc-1' does not exist`, or for several, `The vpc IDs 'vpc-1, vpc-2' do not exist`. */
export const idNotFound = (code: string, what: string) => idsNotFound(`Invalid${code}`, what);

export const notFound = {
  vpc: idNotFound('VpcID', 'vpc'),
  subnet: idNotFound('SubnetID', 'subnet'),
  internetGateway: idNotFound('InternetGatewayID', 'internetGateway'),
  routeTable: idNotFound('RouteTableID', 'routeTable'),
  networkAcl: idNotFound('NetworkAclID', 'networkAcl'),
  securityGroup: (ids: string) =>
    ids.includes(', ')
      ? new AwsError('InvalidGroup.NotFound', `The security groups '${ids}' do not exist`)
      : new AwsError('InvalidGroup.NotFound', `The security group '${ids}' does not exist`),
  keyPair: (names: string) => new AwsError('InvalidKeyPair.NotFound', `The key pair '${names}' does not exist`),
};

export const arn = (ctx: RequestContext, type: string, id: string) => `arn:aws:ec2:${ctx.region}:${ctx.account}:${type}/${id}`;

function must<T>(coll: string, ctx: RequestContext, id: string | undefined, nf: (id: string) => Error): DeepReadonly<T> {
  const rec = id ? ctx.env.store.get<T>(coll, ctx, id) : undefined;
  if (!rec) throw nf(id ?? '');
  return rec;
}

export const requireVpc = (ctx: RequestContext, id: string | undefined) => must<VpcRecord>(COLL.vpcs, ctx, id, notFound.vpc);
export const requireSubnet = (ctx: RequestContext, id: string | undefined) => must<SubnetRecord>(COLL.subnets, ctx, id, notFound.subnet);
export const requireInternetGateway = (ctx: RequestContext, id: string | undefined) =>
  must<InternetGatewayRecord>(COLL.internetGateways, ctx, id, notFound.internetGateway);
export const requireRouteTable = (ctx: RequestContext, id: string | undefined) => must<RouteTableRecord>(COLL.routeTables, ctx, id, notFound.routeTable);
export const requireNetworkAcl = (ctx: RequestContext, id: string | undefined) => must<NetworkAclRecord>(COLL.networkAcls, ctx, id, notFound.networkAcl);
export const requireSecurityGroup = (ctx: RequestContext, id: string | undefined) => {
  if (id && !id.startsWith('sg-')) throw new AwsError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
  return must<SecurityGroupRecord>(COLL.securityGroups, ctx, id, notFound.securityGroup);
};

/** Instances that still hold addresses and group memberships: anything not terminated. */
export interface InstanceView {
  InstanceId: string;
  SubnetId?: string;
  VpcId?: string;
  PublicIpAddress?: string;
  State?: { Name?: string };
  SecurityGroups?: { GroupId?: string; GroupName?: string }[];
}

export const liveInstances = (ctx: RequestContext) =>
  ctx.env.store.list<InstanceView>(COLL.instances, ctx).filter((i) => i.State?.Name !== 'terminated');
