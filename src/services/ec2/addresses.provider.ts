/**
 * Elastic IPs: AllocateAddress, AssociateAddress, DisassociateAddress, ReleaseAddress and
 * DescribeAddresses. An Elastic IP comes from the same pool as automatic public IPs
 * (public-ips.ts). Associating one takes the interface's automatic public IP away; taking it
 * off gives the instance a new automatic one (if it launched with one). The address follows
 * re-association, stays through stop, start and reboot, and comes off on terminate.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, type Filter, type Tag } from './filters.ts';
import { wantsPublicIp } from './instance.loop.ts';
import { associateElasticIp, dropElasticIp, getInterface, putInterface, reconcileAutoPublicIp, syncInstanceNetwork } from './network-interfaces.ts';
import { allocatePublicIp, releasePublicIp } from './public-ips.ts';
import { checkId, checkTagTypes } from './scoped.ts';
import { COLL, type AddressRecord, type InstanceRecord, type NetworkInterfaceRecord } from './state.ts';
import { tagsFor } from './tags.ts';

/** EC2's default Elastic IP quota per region, as DescribeAccountAttributes reports it. */
const MAX_ELASTIC_IPS = 5;

const allocationNotFound = (id: string) => new AwsError('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`);
const addressNotFound = (ip: string) => new AwsError('InvalidAddress.NotFound', `Address '${ip}' not found.`);

function findAddress(ctx: RequestContext, input: { AllocationId?: string; PublicIp?: string }): AddressRecord {
  if (input.AllocationId) {
    if (!/^eipalloc-[0-9a-f]+$/.test(input.AllocationId)) throw new AwsError('InvalidAllocationID.Malformed', `Invalid id: "${input.AllocationId}" (expecting "eipalloc-...")`);
    const a = ctx.env.store.mutable<AddressRecord>(COLL.addresses, ctx, input.AllocationId);
    if (!a) throw allocationNotFound(input.AllocationId);
    return a;
  }
  if (input.PublicIp) {
    const a = ctx.env.store.list<AddressRecord>(COLL.addresses, ctx).find((x) => x.PublicIp === input.PublicIp);
    if (!a) throw addressNotFound(input.PublicIp);
    return structuredClone(a) as AddressRecord;
  }
  throw new AwsError('MissingParameter', 'Either AllocationId or PublicIp must be specified.');
}

const instanceOfInterface = (ctx: RequestContext, eni: NetworkInterfaceRecord | undefined) =>
  eni?.Attachment ? ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, eni.Attachment.InstanceId) : undefined;

/** After an interface's Elastic IP changed: give or take its automatic IP, and refresh the instance. */
function settle(ctx: RequestContext, eni: NetworkInterfaceRecord): void {
  const inst = instanceOfInterface(ctx, eni);
  reconcileAutoPublicIp(ctx.env, ctx, eni, inst ? wantsPublicIp(inst.State.Name) : false);
  putInterface(ctx.env, ctx, eni);
  if (inst) {
    syncInstanceNetwork(ctx.env, ctx, inst);
    ctx.env.store.put(COLL.instances, ctx, inst.InstanceId, inst);
  }
}

function clearAssociation(a: AddressRecord): void {
  delete a.AssociationId;
  delete a.InstanceId;
  delete a.NetworkInterfaceId;
  delete a.NetworkInterfaceOwnerId;
  delete a.PrivateIpAddress;
  delete a.SubnetId;
}

/** Takes an address off its interface (if any) and saves both. */
function detach(ctx: RequestContext, a: AddressRecord): void {
  const eni = a.NetworkInterfaceId ? getInterface(ctx.env, ctx, a.NetworkInterfaceId) : undefined;
  clearAssociation(a);
  ctx.env.store.put(COLL.addresses, ctx, a.AllocationId, a);
  if (eni) {
    dropElasticIp(eni);
    settle(ctx, eni);
  }
}

export const addressHandlers = {
  AllocateAddress(input: { Domain?: string; Address?: string; PublicIpv4Pool?: string; NetworkBorderGroup?: string; TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[]; DryRun?: boolean }, ctx: RequestContext) {
    if (input.Address) throw new AwsError('InvalidParameterValue', `The address ${input.Address} cannot be allocated: faultline has no BYOIP pools.`);
    if (input.PublicIpv4Pool && input.PublicIpv4Pool !== 'amazon') throw new AwsError('InvalidPublicIpv4PoolID.NotFound', `The pool ID '${input.PublicIpv4Pool}' does not exist`);
    if (input.NetworkBorderGroup && input.NetworkBorderGroup !== ctx.region) {
      throw new AwsError('InvalidParameterValue', `The network border group '${input.NetworkBorderGroup}' is not valid in ${ctx.region}.`);
    }
    checkTagTypes(input.TagSpecifications, ['elastic-ip']);
    const tags = tagsFor(input.TagSpecifications, 'elastic-ip');
    if (ctx.env.store.count(COLL.addresses, ctx) >= MAX_ELASTIC_IPS) throw new AwsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
    const AllocationId = resourceId('eipalloc');
    const PublicIp = allocatePublicIp(ctx.env, { kind: 'elastic', account: ctx.account, region: ctx.region, owner: AllocationId });
    const rec: AddressRecord = { AllocationId, PublicIp, Domain: 'vpc', PublicIpv4Pool: 'amazon', NetworkBorderGroup: ctx.region, Tags: tags };
    ctx.env.store.put(COLL.addresses, ctx, AllocationId, rec);
    return { AllocationId, PublicIp, Domain: 'vpc', PublicIpv4Pool: 'amazon', NetworkBorderGroup: ctx.region };
  },

  AssociateAddress(
    input: { AllocationId?: string; PublicIp?: string; InstanceId?: string; NetworkInterfaceId?: string; PrivateIpAddress?: string; AllowReassociation?: boolean; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const a = findAddress(ctx, input);
    if (!input.InstanceId && !input.NetworkInterfaceId) throw new AwsError('MissingParameter', 'Either instance ID or network interface ID must be specified.');
    let eni: NetworkInterfaceRecord | undefined;
    let inst: InstanceRecord | undefined;
    if (input.InstanceId) {
      checkId('InstanceID', 'i', input.InstanceId);
      inst = ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, input.InstanceId);
      if (!inst) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceId}' does not exist`);
      if (inst.networkInterfaceIds.length > 1 && !input.NetworkInterfaceId) {
        throw new AwsError('InvalidInstanceID', `There are multiple interfaces attached to instance '${inst.InstanceId}'. Please specify an interface ID for the operation instead.`);
      }
      const eniId = input.NetworkInterfaceId ?? inst.networkInterfaceIds[0];
      eni = eniId ? getInterface(ctx.env, ctx, eniId) : undefined;
      if (!eni || !inst.networkInterfaceIds.includes(eni.NetworkInterfaceId)) {
        throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a valid state for this operation.`);
      }
    } else {
      if (!/^eni-[0-9a-f]+$/.test(input.NetworkInterfaceId!)) throw new AwsError('InvalidNetworkInterfaceId.Malformed', `Invalid id: "${input.NetworkInterfaceId}" (expecting "eni-...")`);
      eni = getInterface(ctx.env, ctx, input.NetworkInterfaceId!);
      if (!eni) throw new AwsError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${input.NetworkInterfaceId}' does not exist`);
      inst = instanceOfInterface(ctx, eni);
    }
    if (inst && (inst.State.Name === 'shutting-down' || inst.State.Name === 'terminated')) {
      throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a valid state for this operation.`);
    }
    const privateIp = input.PrivateIpAddress ?? eni.PrivateIpAddress;
    if (!eni.PrivateIpAddresses.some((p) => p.PrivateIpAddress === privateIp)) {
      throw new AwsError('InvalidParameterValue', `The private IP address ${privateIp} is not assigned to the network interface ${eni.NetworkInterfaceId}.`);
    }
    const sameTarget = a.NetworkInterfaceId === eni.NetworkInterfaceId && a.PrivateIpAddress === privateIp;
    if (a.AssociationId && !sameTarget && !input.AllowReassociation) {
      throw new AwsError('Resource.AlreadyAssociated', `resource ${a.AllocationId} is already associated with associate-id ${a.AssociationId}`);
    }
    if (sameTarget && a.AssociationId) return { AssociationId: a.AssociationId };
    // Off its old interface (which may get an automatic IP back), and any other EIP off the new one.
    if (a.AssociationId) detach(ctx, a);
    const displaced = eni.Association?.AllocationId;
    if (displaced && displaced !== a.AllocationId) {
      const other = ctx.env.store.mutable<AddressRecord>(COLL.addresses, ctx, displaced);
      if (other) {
        clearAssociation(other);
        ctx.env.store.put(COLL.addresses, ctx, other.AllocationId, other);
      }
      dropElasticIp(eni);
    }
    eni = getInterface(ctx.env, ctx, eni.NetworkInterfaceId)!; // re-read: detach may have saved it
    const AssociationId = resourceId('eipassoc');
    associateElasticIp(ctx.env, ctx, eni, { PublicIp: a.PublicIp, AllocationId: a.AllocationId, AssociationId });
    settle(ctx, eni);
    a.AssociationId = AssociationId;
    a.NetworkInterfaceId = eni.NetworkInterfaceId;
    a.NetworkInterfaceOwnerId = eni.OwnerId;
    a.PrivateIpAddress = privateIp;
    a.InstanceId = eni.Attachment?.InstanceId;
    a.SubnetId = eni.SubnetId;
    ctx.env.store.put(COLL.addresses, ctx, a.AllocationId, a);
    return { AssociationId };
  },

  DisassociateAddress(input: { AssociationId?: string; PublicIp?: string; DryRun?: boolean }, ctx: RequestContext) {
    let a: AddressRecord | undefined;
    if (input.AssociationId) {
      const found = ctx.env.store.list<AddressRecord>(COLL.addresses, ctx).find((x) => x.AssociationId === input.AssociationId);
      if (!found) throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
      a = structuredClone(found) as AddressRecord;
    } else if (input.PublicIp) {
      a = findAddress(ctx, { PublicIp: input.PublicIp });
    } else throw new AwsError('MissingParameter', 'Either public IP or association id must be specified');
    if (a.AssociationId) detach(ctx, a);
    return {};
  },

  ReleaseAddress(input: { AllocationId?: string; PublicIp?: string; NetworkBorderGroup?: string; DryRun?: boolean }, ctx: RequestContext) {
    const a = findAddress(ctx, input);
    if (a.AssociationId) throw new AwsError('InvalidIPAddress.InUse', `Address ${a.PublicIp} is in use.`);
    ctx.env.store.delete(COLL.addresses, ctx, a.AllocationId);
    releasePublicIp(ctx.env, a.PublicIp);
    return {};
  },

  DescribeAddresses(input: { AllocationIds?: string[]; PublicIps?: string[]; Filters?: Filter[]; DryRun?: boolean }, ctx: RequestContext) {
    const all = ctx.env.store.list<AddressRecord>(COLL.addresses, ctx) as AddressRecord[];
    for (const id of input.AllocationIds ?? []) if (!all.some((a) => a.AllocationId === id)) throw allocationNotFound(id);
    for (const ip of input.PublicIps ?? []) if (!all.some((a) => a.PublicIp === ip)) throw addressNotFound(ip);
    const picked = all.filter(
      (a) => (!input.AllocationIds?.length || input.AllocationIds.includes(a.AllocationId)) && (!input.PublicIps?.length || input.PublicIps.includes(a.PublicIp)),
    );
    return {
      Addresses: applyFilters(picked, input.Filters, {
        'allocation-id': (a) => a.AllocationId,
        'association-id': (a) => a.AssociationId,
        domain: (a) => a.Domain,
        'instance-id': (a) => a.InstanceId,
        'network-interface-id': (a) => a.NetworkInterfaceId,
        'network-interface-owner-id': (a) => a.NetworkInterfaceOwnerId,
        'private-ip-address': (a) => a.PrivateIpAddress,
        'public-ip': (a) => a.PublicIp,
        'network-border-group': (a) => a.NetworkBorderGroup,
        'public-ipv4-pool': (a) => a.PublicIpv4Pool,
      }),
    };
  },
};
