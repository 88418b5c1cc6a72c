/**
 * CloudFormation's AWS::EC2::PlacementGroup and AWS::EC2::Host through EC2's handlers. A placement
 * group is named by CloudFormation (Ref is the name) and replaced on any change; a Dedicated Host's
 * AutoPlacement, HostRecovery, HostMaintenance and tags change in place (Ref is the host id).
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry, tagSpec } from '../../cloudformation/handler-kit.ts';
import type { ResourceContext, ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { ec2 } from './index.ts';
import { syncTags } from './network.cfn.ts';
import { PLACEMENT_GROUPS, type PlacementGroupRecord } from './placement-groups.provider.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(ec2, op, input, rc.request);

const placementGroup: ResourceHandler = {
  type: 'AWS::EC2::PlacementGroup',
  create(props, rc) {
    const out = call(rc, 'CreatePlacementGroup', {
      GroupName: rc.physicalName({ maxLength: 255 }),
      Strategy: props.Strategy ?? 'cluster',
      PartitionCount: props.PartitionCount === undefined ? undefined : Number(props.PartitionCount),
      SpreadLevel: props.SpreadLevel,
      TagSpecifications: tagSpec('placement-group', props.Tags),
    });
    return { physicalId: out.PlacementGroup.GroupName, data: { groupId: out.PlacementGroup.GroupId } };
  },
  delete: (s, rc) =>
    deleteWithRetry(s, rc.env.clock.now(), () => {
      try {
        call(rc, 'DeletePlacementGroup', { GroupName: s.physicalId });
      } catch (e) {
        if (!(e instanceof AwsError && e.code === 'InvalidPlacementGroup.Unknown')) throw e;
      }
    }),
  getAtt: (s, name, rc) =>
    attribute(
      {
        GroupName: () => s.physicalId,
        GroupId: () => String(s.data.groupId ?? rc.env.store.list<PlacementGroupRecord>(PLACEMENT_GROUPS, rc.request).find((g) => g.GroupName === s.physicalId)?.GroupId),
      },
      name,
      s,
    ),
};

const MUTABLE = ['AutoPlacement', 'HostRecovery', 'HostMaintenance', 'Tags'];

const host: ResourceHandler = {
  type: 'AWS::EC2::Host',
  create(props, rc) {
    const out = call(rc, 'AllocateHosts', {
      AvailabilityZone: props.AvailabilityZone,
      InstanceType: props.InstanceType,
      InstanceFamily: props.InstanceFamily,
      AutoPlacement: props.AutoPlacement,
      HostRecovery: props.HostRecovery,
      HostMaintenance: props.HostMaintenance,
      Quantity: 1,
      TagSpecifications: tagSpec('dedicated-host', props.Tags),
    });
    return { physicalId: out.HostIds[0] };
  },
  update(props, old, changed, rc) {
    const other = changed.filter((c) => !MUTABLE.includes(c));
    if (other.length) throw new AwsError('NotUpdatable', `faultline cannot update ${other.join(', ')} of a Dedicated Host in place.`);
    if (changed.some((c) => c !== 'Tags')) {
      const out = call(rc, 'ModifyHosts', { HostIds: [old.physicalId], AutoPlacement: props.AutoPlacement, HostRecovery: props.HostRecovery, HostMaintenance: props.HostMaintenance });
      if (out.Unsuccessful.length) throw new AwsError(out.Unsuccessful[0].Error.Code, out.Unsuccessful[0].Error.Message);
    }
    if (changed.includes('Tags')) syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  // A host still running instances (ones shutting down with the stack) is released once they are gone.
  delete: (s, rc) =>
    deleteWithRetry(s, rc.env.clock.now(), () => {
      const out = call(rc, 'ReleaseHosts', { HostIds: [s.physicalId] });
      const failed = out.Unsuccessful[0]?.Error;
      if (failed?.Code === 'Client.InvalidHost.Occupied') throw new AwsError('DependencyViolation', failed.Message);
      if (failed && failed.Code !== 'Client.InvalidHostID.NotFound') throw new AwsError(failed.Code, failed.Message);
    }),
  getAtt: (s, name) => attribute({ HostId: () => s.physicalId }, name, s),
};

export const placementResources: ResourceHandler[] = [placementGroup, host];
