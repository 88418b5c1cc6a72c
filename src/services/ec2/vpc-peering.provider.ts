/**
 * VPC peering connections between two VPCs of one account in one region (faultline refuses
 * other accounts and regions rather than keep records that could never become active). AWS's
 * states: a request is `initiating-request` as CreateVpcPeeringConnection answers it, then
 * `pending-acceptance` until the accepter accepts (`active`) or rejects (`rejected`), or 7 days
 * pass (`expired`); VPCs whose CIDRs overlap make a `failed` connection. Deleting makes it
 * `deleted`. Ended connections are listed for 2 days (failed ones for 2 hours), then forgotten.
 *
 * Routes that name the connection are `active` while it is, `blackhole` otherwise. In the
 * sandbox, traffic crosses it where the route tables of both sides send the other's CIDR to it
 * (runtime/vpc-routes.ts).
 */
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { cidr4Overlaps, parseCidr4 } from './cidr.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { requireVpc } from './network.ts';
import { setTargetRoutesState } from './route-tables.provider.ts';
import { checkTagTypes, idsNotFound, iso } from './scoped.ts';
import { COLL, type PeeringVpcInfo, type VpcPeeringConnectionRecord, type VpcRecord } from './state.ts';
import { tagsFor } from './tags.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];
type Status = VpcPeeringConnectionRecord['Status'];

const DAY = 24 * 3600_000;
/** How long a pending request waits for its accepter. */
const EXPIRES_MS = 7 * DAY;
/** How long an ended connection stays listed: 2 days, a failed one 2 hours. */
const listedFor = (code: string) => (code === 'failed' ? 2 * 3600_000 : 2 * DAY);

const notFound = idsNotFound('InvalidVpcPeeringConnectionID', 'vpcPeeringConnection');

const noOptions = { AllowDnsResolutionFromRemoteVpc: false, AllowEgressFromLocalClassicLinkToRemoteVpc: false, AllowEgressFromLocalVpcToRemoteClassicLink: false };

function infoOf(vpc: DeepReadonly<VpcRecord>, region: string): PeeringVpcInfo {
  const cidrs = vpc.CidrBlockAssociationSet.filter((a) => a.CidrBlockState.State === 'associated').map((a) => ({ CidrBlock: a.CidrBlock }));
  return { VpcId: vpc.VpcId, OwnerId: vpc.OwnerId, Region: region, CidrBlock: vpc.CidrBlock, CidrBlockSet: cidrs.length ? cidrs : [{ CidrBlock: vpc.CidrBlock }] };
}

const overlaps = (a: PeeringVpcInfo, b: PeeringVpcInfo) =>
  a.CidrBlockSet.some((x) => b.CidrBlockSet.some((y) => cidr4Overlaps(parseCidr4(x.CidrBlock, false)!, parseCidr4(y.CidrBlock, false)!)));

/** The connection as it stands at `now`: a pending request past its expiration has expired. */
function current(p: DeepReadonly<VpcPeeringConnectionRecord>, now: number): DeepReadonly<VpcPeeringConnectionRecord> {
  if (p.Status.Code !== 'pending-acceptance' || !p.ExpirationTime || Date.parse(p.ExpirationTime) > now) return p;
  return { ...p, Status: { Code: 'expired', Message: 'Expired' }, endedAt: Date.parse(p.ExpirationTime) };
}

/** The connections of the scope as they stand now, without those ended long enough ago to be forgotten. */
function listed(ctx: RequestContext): DeepReadonly<VpcPeeringConnectionRecord>[] {
  const now = ctx.env.clock.now();
  return ctx.env.store
    .list<VpcPeeringConnectionRecord>(COLL.vpcPeeringConnections, ctx)
    .map((p) => current(p, now))
    .filter((p) => p.endedAt === undefined || now - p.endedAt < listedFor(p.Status.Code));
}

/** Drops the connections ended long enough ago that no call shows them, so that ended ones do not pile up in the store. */
function forgetEnded(ctx: RequestContext): void {
  const now = ctx.env.clock.now();
  for (const p of ctx.env.store.list<VpcPeeringConnectionRecord>(COLL.vpcPeeringConnections, ctx)) {
    const c = current(p, now);
    if (c.endedAt !== undefined && now - c.endedAt >= listedFor(c.Status.Code)) ctx.env.store.delete(COLL.vpcPeeringConnections, ctx, p.VpcPeeringConnectionId);
  }
}

function find(ctx: RequestContext, id: string | undefined): VpcPeeringConnectionRecord {
  if (!id) throw errors.missingParameter('vpcPeeringConnectionId');
  const p = listed(ctx).find((x) => x.VpcPeeringConnectionId === id);
  if (!p) throw notFound(id);
  return structuredClone(p) as VpcPeeringConnectionRecord;
}

const invalidTransition = (p: DeepReadonly<VpcPeeringConnectionRecord>, to: string) =>
  new AwsError('InvalidStateTransition', `Invalid state transition for ${p.VpcPeeringConnectionId}, attempted to transition from ${p.Status.Code} to ${to}`);

function save(ctx: RequestContext, p: VpcPeeringConnectionRecord, status: Status): void {
  p.Status = status;
  if (status.Code !== 'pending-acceptance') delete p.ExpirationTime;
  if (status.Code === 'active') {
    p.RequesterVpcInfo.PeeringOptions ??= { ...noOptions };
    p.AccepterVpcInfo.PeeringOptions ??= { ...noOptions };
  } else {
    delete p.RequesterVpcInfo.PeeringOptions;
    delete p.AccepterVpcInfo.PeeringOptions;
    p.endedAt = ctx.env.clock.now();
  }
  ctx.env.store.put(COLL.vpcPeeringConnections, ctx, p.VpcPeeringConnectionId, p);
  for (const vpcId of [p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId]) {
    setTargetRoutesState(ctx, vpcId, 'VpcPeeringConnectionId', p.VpcPeeringConnectionId, status.Code === 'active' ? 'active' : 'blackhole');
  }
}

/** The active connections of a scope, for the sandbox's routing. */
export const activePeerings = (env: Env, scope: Scope) =>
  env.store.list<VpcPeeringConnectionRecord>(COLL.vpcPeeringConnections, scope).filter((p) => p.Status.Code === 'active');

/** A VPC is going: its connections are deleted with it, as on AWS. */
export function endPeeringsOf(ctx: RequestContext, vpcId: string): void {
  for (const p of listed(ctx)) {
    const ends = [p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId];
    if (!ends.includes(vpcId) || !['active', 'pending-acceptance', 'initiating-request'].includes(p.Status.Code)) continue;
    save(ctx, structuredClone(p) as VpcPeeringConnectionRecord, { Code: 'deleted', Message: `Deleted by ${ctx.account}` });
  }
}

export const vpcPeeringHandlers = {
  CreateVpcPeeringConnection(input: { VpcId: string; PeerVpcId?: string; PeerOwnerId?: string; PeerRegion?: string; TagSpecifications?: TagSpecs; DryRun?: boolean }, ctx: RequestContext) {
    const vpc = requireVpc(ctx, input.VpcId);
    if (!input.PeerVpcId) throw errors.missingParameter('peerVpcId');
    if ((input.PeerOwnerId && input.PeerOwnerId !== ctx.account) || (input.PeerRegion && input.PeerRegion !== ctx.region)) {
      throw ec2Errors.unsupported('faultline peers VPCs of the same account and region only: PeerOwnerId and PeerRegion must be those of the request.');
    }
    const peer = requireVpc(ctx, input.PeerVpcId);
    if (peer.VpcId === vpc.VpcId) throw ec2Errors.invalidParameterValue(`The requester VPC and the accepter VPC are the same VPC: ${vpc.VpcId}.`);
    checkTagTypes(input.TagSpecifications, ['vpc-peering-connection']);
    const tags = tagsFor(input.TagSpecifications, 'vpc-peering-connection');
    forgetEnded(ctx);
    const now = ctx.env.clock.now();
    const p: VpcPeeringConnectionRecord = {
      VpcPeeringConnectionId: resourceId('pcx'),
      RequesterVpcInfo: infoOf(vpc, ctx.region),
      AccepterVpcInfo: { VpcId: peer.VpcId, OwnerId: peer.OwnerId, Region: ctx.region, CidrBlock: peer.CidrBlock, CidrBlockSet: infoOf(peer, ctx.region).CidrBlockSet },
      Status: { Code: 'pending-acceptance', Message: `Pending Acceptance by ${peer.OwnerId}` },
      ExpirationTime: iso(now + EXPIRES_MS),
      Tags: tags,
    };
    // Overlapping CIDRs do not fail the call: the connection is created, failed, as on AWS.
    if (overlaps(p.RequesterVpcInfo, p.AccepterVpcInfo)) save(ctx, p, { Code: 'failed', Message: 'Overlapping CIDR blocks' });
    else ctx.env.store.put(COLL.vpcPeeringConnections, ctx, p.VpcPeeringConnectionId, p);
    const answered = p.Status.Code === 'failed' ? p : { ...p, Status: { Code: 'initiating-request', Message: `Initiating Request to ${peer.OwnerId}` } };
    return { VpcPeeringConnection: answered };
  },

  AcceptVpcPeeringConnection(input: { VpcPeeringConnectionId?: string; DryRun?: boolean }, ctx: RequestContext) {
    const p = find(ctx, input.VpcPeeringConnectionId);
    if (p.Status.Code !== 'pending-acceptance') throw invalidTransition(p, 'active');
    // The accepter's VPC as it is now (a CIDR may have been added since the request).
    const accepter = ctx.env.store.get<VpcRecord>(COLL.vpcs, ctx, p.AccepterVpcInfo.VpcId);
    if (accepter) p.AccepterVpcInfo = { ...p.AccepterVpcInfo, ...infoOf(accepter, ctx.region) };
    save(ctx, p, { Code: 'active', Message: 'Active' });
    return { VpcPeeringConnection: p };
  },

  RejectVpcPeeringConnection(input: { VpcPeeringConnectionId: string; DryRun?: boolean }, ctx: RequestContext) {
    const p = find(ctx, input.VpcPeeringConnectionId);
    if (p.Status.Code !== 'pending-acceptance') throw invalidTransition(p, 'rejected');
    save(ctx, p, { Code: 'rejected', Message: `Rejected by ${ctx.account}` });
    return { Return: true };
  },

  DeleteVpcPeeringConnection(input: { VpcPeeringConnectionId: string; DryRun?: boolean }, ctx: RequestContext) {
    const p = find(ctx, input.VpcPeeringConnectionId);
    if (p.Status.Code !== 'active' && p.Status.Code !== 'pending-acceptance') throw invalidTransition(p, 'deleted');
    save(ctx, p, { Code: 'deleted', Message: `Deleted by ${ctx.account}` });
    return { Return: true };
  },

  DescribeVpcPeeringConnections(input: { VpcPeeringConnectionIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const picked = selectIds(listed(ctx), input.VpcPeeringConnectionIds, (p) => p.VpcPeeringConnectionId, notFound);
    type P = (typeof picked)[number];
    const side = (p: P, s: 'AccepterVpcInfo' | 'RequesterVpcInfo') => p[s];
    const filtered = applyFilters(picked, input.Filters, {
      'accepter-vpc-info.cidr-block': (p) => side(p, 'AccepterVpcInfo').CidrBlockSet.map((c) => c.CidrBlock),
      'accepter-vpc-info.owner-id': (p) => side(p, 'AccepterVpcInfo').OwnerId,
      'accepter-vpc-info.vpc-id': (p) => side(p, 'AccepterVpcInfo').VpcId,
      'requester-vpc-info.cidr-block': (p) => side(p, 'RequesterVpcInfo').CidrBlockSet.map((c) => c.CidrBlock),
      'requester-vpc-info.owner-id': (p) => side(p, 'RequesterVpcInfo').OwnerId,
      'requester-vpc-info.vpc-id': (p) => side(p, 'RequesterVpcInfo').VpcId,
      'expiration-time': (p) => p.ExpirationTime,
      'status-code': (p) => p.Status.Code,
      'status-message': (p) => p.Status.Message,
      'vpc-peering-connection-id': (p) => p.VpcPeeringConnectionId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { VpcPeeringConnections: page, NextToken };
  },

  ModifyVpcPeeringConnectionOptions(
    input: {
      VpcPeeringConnectionId: string;
      AccepterPeeringConnectionOptions?: { AllowDnsResolutionFromRemoteVpc?: boolean; AllowEgressFromLocalClassicLinkToRemoteVpc?: boolean; AllowEgressFromLocalVpcToRemoteClassicLink?: boolean };
      RequesterPeeringConnectionOptions?: { AllowDnsResolutionFromRemoteVpc?: boolean; AllowEgressFromLocalClassicLinkToRemoteVpc?: boolean; AllowEgressFromLocalVpcToRemoteClassicLink?: boolean };
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    const p = find(ctx, input.VpcPeeringConnectionId);
    if (!input.AccepterPeeringConnectionOptions && !input.RequesterPeeringConnectionOptions) {
      throw errors.missingParameter('accepterPeeringConnectionOptions or requesterPeeringConnectionOptions');
    }
    if (p.Status.Code !== 'active') throw ec2Errors.operationNotPermitted(`Peering connection ${p.VpcPeeringConnectionId} is not active (${p.Status.Code}).`);
    for (const o of [input.AccepterPeeringConnectionOptions, input.RequesterPeeringConnectionOptions]) {
      if (o?.AllowEgressFromLocalClassicLinkToRemoteVpc || o?.AllowEgressFromLocalVpcToRemoteClassicLink) throw ec2Errors.unsupported('EC2-Classic and ClassicLink are retired.');
    }
    const out: Record<string, { AllowDnsResolutionFromRemoteVpc: boolean }> = {};
    for (const [given, info, key] of [
      [input.AccepterPeeringConnectionOptions, p.AccepterVpcInfo, 'AccepterPeeringConnectionOptions'],
      [input.RequesterPeeringConnectionOptions, p.RequesterVpcInfo, 'RequesterPeeringConnectionOptions'],
    ] as const) {
      if (!given) continue;
      info.PeeringOptions = { ...noOptions, ...info.PeeringOptions, AllowDnsResolutionFromRemoteVpc: given.AllowDnsResolutionFromRemoteVpc ?? info.PeeringOptions?.AllowDnsResolutionFromRemoteVpc ?? false };
      out[key] = { AllowDnsResolutionFromRemoteVpc: info.PeeringOptions.AllowDnsResolutionFromRemoteVpc };
    }
    ctx.env.store.put(COLL.vpcPeeringConnections, ctx, p.VpcPeeringConnectionId, p);
    return out;
  },
};
