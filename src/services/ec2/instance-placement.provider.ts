/**
 * ModifyInstancePlacement: moves a stopped instance into or out of a placement group, to another
 * partition, tenancy or Dedicated Host, or changes its host affinity. The new placement is checked
 * as a launch's is (launch-placement.ts) and takes effect at the next start, which places the
 * instance by it or refuses as a launch would.
 */
import { AwsError } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { requireInstance } from './instances.provider.ts';
import { checkPlacement, type PlacementRequest } from './launch-placement.ts';
import { COLL } from './state.ts';

interface ModifyInput {
  InstanceId: string;
  Affinity?: string;
  GroupName?: string;
  GroupId?: string;
  HostId?: string;
  Tenancy?: string;
  PartitionNumber?: number;
  HostResourceGroupArn?: string;
}

export const instancePlacementHandlers = {
  ModifyInstancePlacement(input: ModifyInput, ctx: RequestContext) {
    const inst = requireInstance(ctx, input.InstanceId);
    const p = inst.Placement;
    const groupGiven = input.GroupName !== undefined || input.GroupId !== undefined;
    const moving = groupGiven || input.HostId !== undefined || input.Tenancy !== undefined || input.PartitionNumber !== undefined;
    if (!moving && input.Affinity === undefined) {
      throw new AwsError('MissingParameter', 'At least one attribute for affinity, host ID, tenancy, or placement group name must be specified in the request.');
    }
    if (input.HostResourceGroupArn !== undefined) throw new AwsError('UnsupportedOperation', 'faultline does not serve host resource groups.');
    const state = inst.State.Name;
    if (state === 'terminated' || state === 'shutting-down') throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a state from which it can be modified.`);
    // Only the affinity may change while the instance runs.
    if (moving && state !== 'stopped') throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in the 'stopped' state.`);

    const tenancy = input.Tenancy ?? (input.HostId ? 'host' : p.Tenancy);
    if ((p.Tenancy === 'dedicated' && tenancy === 'host') || (p.Tenancy === 'host' && tenancy === 'dedicated')) {
      throw new AwsError('InvalidRequest', `You can't change the tenancy from ${p.Tenancy} to ${tenancy}.`);
    }
    // An empty name (or id) takes the instance out of its group; a group named anew starts with no partition.
    const group = groupGiven ? (input.GroupName || input.GroupId ? { GroupName: input.GroupName || undefined, GroupId: input.GroupId || undefined } : {}) : p.GroupId ? { GroupId: p.GroupId } : {};
    const onHost = tenancy === 'host';
    const req: PlacementRequest = {
      Tenancy: tenancy,
      ...group,
      PartitionNumber: input.PartitionNumber ?? (groupGiven ? undefined : p.PartitionNumber),
      // Leaving host tenancy leaves the Dedicated Host and the affinity.
      HostId: onHost ? (input.HostId ?? p.HostId) : undefined,
      Affinity: onHost ? (input.Affinity ?? p.Affinity) : input.Affinity,
    };
    const { placement } = checkPlacement(ctx, req, p.AvailabilityZone, inst.InstanceType);
    inst.Placement = {
      AvailabilityZone: p.AvailabilityZone,
      ...(p.AvailabilityZoneId ? { AvailabilityZoneId: p.AvailabilityZoneId } : {}),
      ...placement,
      ...(req.PartitionNumber !== undefined ? { PartitionNumber: req.PartitionNumber } : {}),
      ...(req.HostId ? { HostId: req.HostId } : {}),
    };
    ctx.env.store.put(COLL.instances, ctx, inst.InstanceId, inst);
    return { Return: true };
  },
};
