/**
 * Internet gateways. A gateway attaches to at most one VPC and a VPC has at most one gateway.
 * Routes through a gateway go blackhole when it detaches, and active again when it comes back.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { liveInstances, notFound, requireInternetGateway, requireVpc } from './network.ts';
import { setGatewayRoutesState } from './route-tables.provider.ts';
import { COLL, type InternetGatewayRecord } from './state.ts';
import { tagsFor } from './tags.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

/** The attachment state AWS reports for an attached internet gateway. */
export const ATTACHED = 'available';

/** Elastic IPs held in a VPC; kept loose because the addresses provider owns the record. */
interface AddressView {
  AssociationId?: string;
  InstanceId?: string;
  NetworkInterfaceId?: string;
  PrivateIpAddress?: string;
}

/** Whether anything in the VPC has a public address that needs the gateway. */
function hasMappedPublicAddresses(ctx: RequestContext, vpcId: string): boolean {
  const instances = liveInstances(ctx).filter((i) => i.VpcId === vpcId);
  if (instances.some((i) => i.PublicIpAddress)) return true;
  const ids = new Set(instances.map((i) => i.InstanceId));
  return ctx.env.store.list<AddressView>(COLL.addresses, ctx).some((a) => a.AssociationId && a.InstanceId && ids.has(a.InstanceId));
}

export const internetGatewayHandlers = {
  CreateInternetGateway(input: { TagSpecifications?: TagSpecs; DryRun?: boolean }, ctx: RequestContext) {
    const tags = tagsFor(input.TagSpecifications, 'internet-gateway');
    const igw: InternetGatewayRecord = { InternetGatewayId: resourceId('igw'), OwnerId: ctx.account, Attachments: [], Tags: tags };
    ctx.env.store.put(COLL.internetGateways, ctx, igw.InternetGatewayId, igw);
    return { InternetGateway: igw };
  },

  DeleteInternetGateway(input: { InternetGatewayId: string; DryRun?: boolean }, ctx: RequestContext) {
    const igw = requireInternetGateway(ctx, input.InternetGatewayId);
    if (igw.Attachments.length) throw ec2DependencyViolation(igw.InternetGatewayId);
    ctx.env.store.delete(COLL.internetGateways, ctx, igw.InternetGatewayId);
    return {};
  },

  AttachInternetGateway(input: { InternetGatewayId: string; VpcId: string; DryRun?: boolean }, ctx: RequestContext) {
    const igw = requireInternetGateway(ctx, input.InternetGatewayId);
    const vpc = requireVpc(ctx, input.VpcId);
    if (igw.Attachments.length) {
      throw new AwsError('Resource.AlreadyAssociated', `resource ${igw.InternetGatewayId} is already attached to network ${igw.Attachments[0].VpcId}`);
    }
    const other = ctx.env.store.list<InternetGatewayRecord>(COLL.internetGateways, ctx).find((g) => g.Attachments.some((a) => a.VpcId === vpc.VpcId));
    if (other) throw new AwsError('Resource.AlreadyAssociated', `resource ${vpc.VpcId} already has an internet gateway attached (${other.InternetGatewayId})`);
    const rec = ctx.env.store.mutable<InternetGatewayRecord>(COLL.internetGateways, ctx, igw.InternetGatewayId)!;
    rec.Attachments = [{ VpcId: vpc.VpcId, State: ATTACHED }];
    ctx.env.store.put(COLL.internetGateways, ctx, rec.InternetGatewayId, rec);
    setGatewayRoutesState(ctx, vpc.VpcId, igw.InternetGatewayId, 'active');
    return {};
  },

  DetachInternetGateway(input: { InternetGatewayId: string; VpcId: string; DryRun?: boolean }, ctx: RequestContext) {
    const igw = requireInternetGateway(ctx, input.InternetGatewayId);
    const vpc = requireVpc(ctx, input.VpcId);
    if (!igw.Attachments.some((a) => a.VpcId === vpc.VpcId)) {
      throw new AwsError('Gateway.NotAttached', `resource ${igw.InternetGatewayId} is not attached to network ${vpc.VpcId}`);
    }
    if (hasMappedPublicAddresses(ctx, vpc.VpcId)) {
      throw new AwsError(
        'DependencyViolation',
        `Network ${vpc.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
      );
    }
    const rec = ctx.env.store.mutable<InternetGatewayRecord>(COLL.internetGateways, ctx, igw.InternetGatewayId)!;
    rec.Attachments = [];
    ctx.env.store.put(COLL.internetGateways, ctx, rec.InternetGatewayId, rec);
    setGatewayRoutesState(ctx, vpc.VpcId, igw.InternetGatewayId, 'blackhole');
    return {};
  },

  DescribeInternetGateways(
    input: { InternetGatewayIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const igws = selectIds(
      ctx.env.store.list<InternetGatewayRecord>(COLL.internetGateways, ctx),
      input.InternetGatewayIds,
      (g) => g.InternetGatewayId,
      notFound.internetGateway,
    );
    const filtered = applyFilters(igws, input.Filters, {
      'attachment.state': (g) => g.Attachments.map((a) => a.State),
      'attachment.vpc-id': (g) => g.Attachments.map((a) => a.VpcId),
      'internet-gateway-id': (g) => g.InternetGatewayId,
      'owner-id': (g) => g.OwnerId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { InternetGateways: page, NextToken };
  },
};

const ec2DependencyViolation = (id: string) =>
  new AwsError('DependencyViolation', `The internetGateway '${id}' has dependencies and cannot be deleted.`);
