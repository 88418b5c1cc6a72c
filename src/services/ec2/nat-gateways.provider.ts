/**
 * NAT gateways, on the clock: `pending` for PENDING_MS, then `available`, or `failed` with one of
 * AWS's failure codes (no internet gateway on a public gateway's VPC, an Elastic IP that does not
 * exist or is already associated, a full subnet), the failure decided when the call is made and
 * shown when the gateway would have come up. DeleteNatGateway makes it `deleting`; DELETING_MS
 * later it is `deleted`, its interface gone and its Elastic IP free again. Failed and deleted
 * gateways are listed for an hour.
 *
 * A gateway has a requester-managed interface (`natGateway`) at a private address of its subnet,
 * which holds its Elastic IP. Routes that name it are `active` while it is available, `blackhole`
 * otherwise. In the sandbox, instances whose subnet routes to it reach the internet from its
 * Elastic IP (runtime/vpc-routes.ts) while its zone is up.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { Env, RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter } from './filters.ts';
import { requireSubnet } from './network.ts';
import { createServiceInterface } from './network-interfaces.ts';
import { setTargetRoutesState } from './route-tables.provider.ts';
import { checkTagTypes, iso, loopContext, loopKey, parseLoopKey } from './scoped.ts';
import { COLL, COMPUTE_COLL, type AddressRecord, type InternetGatewayRecord, type NatGatewayRecord } from './state.ts';
import { allocatePrivateIp, releasePrivateIp } from './subnet-addresses.ts';
import { tagsFor } from './tags.ts';

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];

export const NAT_LOOP = 'ec2.natGateway';
/** Clock ms from CreateNatGateway to `available` (AWS's gateways typically take a minute or two). */
export const PENDING_MS = 90_000;
/** Clock ms from DeleteNatGateway to `deleted`. */
export const DELETING_MS = 60_000;
/** How long a failed or deleted gateway stays listed. */
const LISTED_MS = 3600_000;

/** AWS's code for a missing NAT gateway has no dot: `NatGatewayNotFound`. */
const notFound = (ids: string) => new AwsError('NatGatewayNotFound', `The natGateway ID '${ids}' does not exist`);

/** Why a gateway asked for now would fail, in AWS's failure codes and messages; undefined when it would not. */
function failureOf(ctx: RequestContext, vpcId: string, subnetId: string, allocationId: string | undefined): NatGatewayRecord['failure'] {
  if (allocationId !== undefined) {
    const eip = ctx.env.store.get<AddressRecord>(COLL.addresses, ctx, allocationId);
    if (!eip) return { code: 'InvalidAllocationID.NotFound', message: `Elastic IP address ${allocationId} could not be associated with this NAT gateway` };
    if (eip.AssociationId) return { code: 'Resource.AlreadyAssociated', message: `Elastic IP address ${allocationId} is already associated` };
    const igw = ctx.env.store.list<InternetGatewayRecord>(COLL.internetGateways, ctx).some((g) => g.Attachments.some((a) => a.VpcId === vpcId));
    if (!igw) return { code: 'Gateway.NotAttached', message: `Network ${vpcId} has no Internet gateway attached` };
  }
  const subnet = requireSubnet(ctx, subnetId);
  if (subnet.AvailableIpAddressCount < 1) return { code: 'InsufficientFreeAddressesInSubnet', message: 'Subnet has insufficient free addresses to create this NAT gateway' };
  return undefined;
}

function put(ctx: RequestContext, n: NatGatewayRecord): void {
  ctx.env.store.put(COLL.natGateways, ctx, n.NatGatewayId, n);
  ctx.env.scheduler.enqueue(NAT_LOOP, loopKey(ctx, n.NatGatewayId), n.readyAt);
}

/** Takes the gateway's interface and address away and gives its Elastic IP back. */
function release(ctx: RequestContext, n: NatGatewayRecord): void {
  for (const a of n.NatGatewayAddresses) {
    if (a.NetworkInterfaceId) ctx.env.store.delete(COMPUTE_COLL.networkInterfaces, ctx, a.NetworkInterfaceId);
    if (a.PrivateIp) releasePrivateIp(ctx, n.SubnetId, a.PrivateIp);
    const eip = a.AllocationId ? ctx.env.store.mutable<AddressRecord>(COLL.addresses, ctx, a.AllocationId) : undefined;
    if (eip && eip.AssociationId === a.AssociationId) {
      for (const k of ['AssociationId', 'NetworkInterfaceId', 'NetworkInterfaceOwnerId', 'PrivateIpAddress'] as const) delete eip[k];
      ctx.env.store.put(COLL.addresses, ctx, eip.AllocationId, eip);
    }
  }
}

export function natGatewayLoops(env: Env) {
  return {
    /** pending → available or failed; deleting → deleted; a gateway ended an hour ago is forgotten. */
    [NAT_LOOP]: (key: string): number | void => {
      const { scope, id } = parseLoopKey(key);
      const ctx = loopContext(env, scope);
      const n = env.store.mutable<NatGatewayRecord>(COLL.natGateways, scope, id);
      if (!n) return;
      const wait = n.readyAt - env.clock.now();
      if (wait > 0) return wait;
      if (n.State === 'failed' || n.State === 'deleted') return void env.store.delete(COLL.natGateways, scope, id);
      if (n.State === 'pending' && n.failure) {
        n.State = 'failed';
        n.FailureCode = n.failure.code;
        n.FailureMessage = n.failure.message;
        delete n.failure;
        n.NatGatewayAddresses = n.NatGatewayAddresses.map((a) => ({ ...a, Status: 'failed' }));
        n.readyAt = env.clock.now() + LISTED_MS;
      } else if (n.State === 'pending') {
        n.State = 'available';
        n.NatGatewayAddresses = n.NatGatewayAddresses.map((a) => ({ ...a, Status: 'succeeded' }));
        setTargetRoutesState(ctx, n.VpcId, 'NatGatewayId', n.NatGatewayId, 'active');
        env.store.put(COLL.natGateways, scope, id, n);
        return;
      } else if (n.State === 'deleting') {
        release(ctx, n);
        n.State = 'deleted';
        n.DeleteTime = iso(env.clock.now());
        n.NatGatewayAddresses = n.NatGatewayAddresses.map((a) => ({ ...a, Status: 'succeeded' }));
        n.readyAt = env.clock.now() + LISTED_MS;
      } else return;
      put(ctx, n);
    },
  };
}

export const natGatewayHandlers = {
  CreateNatGateway(
    input: { SubnetId?: string; AllocationId?: string; ConnectivityType?: string; PrivateIpAddress?: string; TagSpecifications?: TagSpecs; ClientToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    if (!input.SubnetId) throw errors.missingParameter('subnetId');
    const subnet = requireSubnet(ctx, input.SubnetId);
    const type = input.ConnectivityType ?? 'public';
    if (type !== 'public' && type !== 'private') throw errors.invalidParameterValue(`Value (${type}) for parameter connectivityType is invalid. Valid values: public, private.`);
    if (type === 'public' && !input.AllocationId) throw errors.missingParameter('allocationId');
    if (type === 'private' && input.AllocationId) throw new AwsError('InvalidParameterCombination', 'A private NAT gateway cannot have an Elastic IP address (AllocationId).');
    checkTagTypes(input.TagSpecifications, ['natgateway']);
    const tags = tagsFor(input.TagSpecifications, 'natgateway');
    const now = ctx.env.clock.now();
    const NatGatewayId = resourceId('nat');
    const failure = failureOf(ctx, subnet.VpcId, subnet.SubnetId, input.AllocationId);
    const address: NatGatewayRecord['NatGatewayAddresses'][number] = { AllocationId: input.AllocationId, IsPrimary: true, Status: 'associating' };
    if (!failure) {
      const privateIp = allocatePrivateIp(ctx, subnet.SubnetId, input.PrivateIpAddress);
      const eip = input.AllocationId ? ctx.env.store.mutable<AddressRecord>(COLL.addresses, ctx, input.AllocationId)! : undefined;
      const AssociationId = eip ? resourceId('eipassoc') : undefined;
      const association = eip && { IpOwnerId: ctx.account, PublicIp: eip.PublicIp, PublicDnsName: '', AllocationId: eip.AllocationId, AssociationId: AssociationId! };
      const eni = createServiceInterface(ctx, { subnet, privateIp, groupIds: [], description: `Interface for NAT Gateway ${NatGatewayId}`, interfaceType: 'natGateway', association });
      Object.assign(address, { NetworkInterfaceId: eni.NetworkInterfaceId, PrivateIp: privateIp, PublicIp: eip?.PublicIp, AssociationId });
      if (eip) {
        Object.assign(eip, { AssociationId, NetworkInterfaceId: eni.NetworkInterfaceId, NetworkInterfaceOwnerId: ctx.account, PrivateIpAddress: privateIp });
        ctx.env.store.put(COLL.addresses, ctx, eip.AllocationId, eip);
      }
    }
    const n: NatGatewayRecord = {
      NatGatewayId,
      VpcId: subnet.VpcId,
      SubnetId: subnet.SubnetId,
      State: 'pending',
      ConnectivityType: type,
      CreateTime: iso(now),
      NatGatewayAddresses: [JSON.parse(JSON.stringify(address))],
      Tags: tags,
      readyAt: now + PENDING_MS,
      failure,
    };
    put(ctx, n);
    const { readyAt: _r, failure: _f, ...shown } = n;
    return { NatGateway: shown, ClientToken: input.ClientToken };
  },

  DeleteNatGateway(input: { NatGatewayId: string; DryRun?: boolean }, ctx: RequestContext) {
    const n = ctx.env.store.mutable<NatGatewayRecord>(COLL.natGateways, ctx, input.NatGatewayId);
    if (!n || n.State === 'deleted') throw notFound(input.NatGatewayId);
    if (n.State === 'failed') throw new AwsError('InvalidParameterValue', `The NAT gateway ${n.NatGatewayId} has failed and is deleted already.`);
    if (n.State !== 'deleting') {
      n.State = 'deleting';
      delete n.failure;
      n.NatGatewayAddresses = n.NatGatewayAddresses.map((a) => ({ ...a, Status: 'disassociating' }));
      n.readyAt = ctx.env.clock.now() + DELETING_MS;
      setTargetRoutesState(ctx, n.VpcId, 'NatGatewayId', n.NatGatewayId, 'blackhole');
      put(ctx, n);
    }
    return { NatGatewayId: n.NatGatewayId };
  },

  DescribeNatGateways(input: { NatGatewayIds?: string[]; Filter?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const all = ctx.env.store.list<NatGatewayRecord>(COLL.natGateways, ctx);
    const picked = selectIds(all, input.NatGatewayIds, (n) => n.NatGatewayId, notFound);
    const filtered = applyFilters(picked, input.Filter, {
      'nat-gateway-id': (n) => n.NatGatewayId,
      state: (n) => n.State,
      'subnet-id': (n) => n.SubnetId,
      'vpc-id': (n) => n.VpcId,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { NatGateways: page.map(({ readyAt: _r, failure: _f, ...n }) => n), NextToken };
  },
};
