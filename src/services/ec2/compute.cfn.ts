/**
 * CloudFormation resource handlers for EC2 compute and storage: instances (complete once
 * running), Elastic IPs and their associations, volumes (complete once available; Snapshot
 * deletion policy) and volume attachments. Each acts through EC2's own operation handlers and
 * polls the records that EC2's loops move on.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, deleteWithRetry, isGone, tagSpec } from '../../cloudformation/handler-kit.ts';
import { DONE, wait, type Props, type ResourceContext, type ResourceHandler, type ResourceState } from '../../cloudformation/resource-handler.ts';
import { ec2 } from './index.ts';
import { syncTags } from './network.cfn.ts';
import { COLL, type AddressRecord, type InstanceRecord, type VolumeRecord } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(ec2, op, input, rc.request);
const POLL_MS = 5_000;

const instanceOf = (rc: ResourceContext, id: string) => rc.env.store.get<InstanceRecord>(COLL.instances, rc.request, id) as InstanceRecord | undefined;
const volumeOf = (rc: ResourceContext, id: string) => rc.env.store.get<VolumeRecord>(COLL.volumes, rc.request, id) as VolumeRecord | undefined;
const addressOf = (rc: ResourceContext, id: string) => rc.env.store.get<AddressRecord>(COLL.addresses, rc.request, id) as AddressRecord | undefined;

// ---- AWS::EC2::Instance ----

type Obj = Record<string, unknown>;

function blockDevices(v: unknown) {
  if (!Array.isArray(v)) return undefined;
  return (v as Obj[]).map((b) => ({
    DeviceName: b.DeviceName,
    VirtualName: b.VirtualName,
    // The template writes NoDevice as an empty object; the API takes an empty string.
    NoDevice: b.NoDevice !== undefined ? '' : undefined,
    Ebs: b.Ebs,
  }));
}

function networkInterfaces(v: unknown) {
  if (!Array.isArray(v)) return undefined;
  return (v as Obj[]).map((n) => ({
    AssociatePublicIpAddress: n.AssociatePublicIpAddress,
    DeleteOnTermination: n.DeleteOnTermination,
    Description: n.Description,
    DeviceIndex: n.DeviceIndex,
    Groups: n.GroupSet,
    NetworkInterfaceId: n.NetworkInterfaceId,
    PrivateIpAddress: n.PrivateIpAddress,
    SecondaryPrivateIpAddressCount: n.SecondaryPrivateIpAddressCount,
    SubnetId: n.SubnetId,
  }));
}

/** Properties an instance can take in place: what ModifyInstanceAttribute and tags can change. */
const INSTANCE_IN_PLACE = ['Tags', 'SecurityGroupIds', 'DisableApiTermination', 'InstanceInitiatedShutdownBehavior', 'SourceDestCheck'];
/** Properties that need the instance stopped (the documentation's "some interruptions"): stop, modify, start. */
const INSTANCE_STOPPED = ['InstanceType', 'UserData', 'EbsOptimized'];

/**
 * The stop, modify, start sequence of an interrupting update, one step per poll: ask to stop,
 * wait for `stopped`, modify and start, then wait for `running` (the instance's stabilize).
 */
function interruptStep(rc: ResourceContext, s: ResourceState): ReturnType<NonNullable<ResourceHandler['stabilize']>> | undefined {
  const pending = s.data.pendingModify as Record<string, unknown> | undefined;
  if (!pending) return undefined;
  const inst = instanceOf(rc, s.physicalId);
  const state = inst?.State.Name;
  if (state === 'running' || state === 'pending') {
    if (state === 'running' && !s.data.stopRequested) {
      call(rc, 'StopInstances', { InstanceIds: [s.physicalId] });
      return wait(POLL_MS, { stopRequested: true });
    }
    return wait(POLL_MS);
  }
  if (state === 'stopping') return wait(POLL_MS);
  if (state !== 'stopped') throw new AwsError('NotStabilized', `Instance ${s.physicalId} is ${state ?? 'gone'} and cannot be updated`);
  const id = s.physicalId;
  if (pending.InstanceType !== undefined) call(rc, 'ModifyInstanceAttribute', { InstanceId: id, InstanceType: { Value: pending.InstanceType } });
  if (pending.UserData !== undefined) call(rc, 'ModifyInstanceAttribute', { InstanceId: id, UserData: { Value: Buffer.from(String(pending.UserData), 'base64') } });
  if (pending.EbsOptimized !== undefined) call(rc, 'ModifyInstanceAttribute', { InstanceId: id, EbsOptimized: { Value: bool(pending.EbsOptimized) ?? false } });
  call(rc, 'StartInstances', { InstanceIds: [id] });
  return wait(POLL_MS, { pendingModify: undefined, stopRequested: undefined });
}

const instance: ResourceHandler = {
  type: 'AWS::EC2::Instance',
  create(props, rc) {
    if (props.LaunchTemplate !== undefined) throw new AwsError('InvalidParameterValue', 'faultline does not launch CloudFormation instances from launch templates yet; give the properties directly.');
    const monitoring = bool(props.Monitoring);
    const credit = props.CreditSpecification as Obj | undefined;
    const out = call(rc, 'RunInstances', {
      MinCount: 1,
      MaxCount: 1,
      ImageId: props.ImageId,
      InstanceType: props.InstanceType,
      KeyName: props.KeyName,
      SecurityGroupIds: props.SecurityGroupIds,
      SecurityGroups: props.SecurityGroups,
      SubnetId: props.SubnetId,
      PrivateIpAddress: props.PrivateIpAddress,
      UserData: props.UserData,
      Placement: [props.AvailabilityZone, props.Tenancy, props.PlacementGroupName, props.HostId].some((v) => v !== undefined)
        ? { AvailabilityZone: props.AvailabilityZone, Tenancy: props.Tenancy, GroupName: props.PlacementGroupName, HostId: props.HostId, Affinity: props.Affinity }
        : undefined,
      Monitoring: monitoring === undefined ? undefined : { Enabled: monitoring },
      DisableApiTermination: props.DisableApiTermination,
      InstanceInitiatedShutdownBehavior: props.InstanceInitiatedShutdownBehavior,
      EbsOptimized: props.EbsOptimized,
      IamInstanceProfile: props.IamInstanceProfile === undefined ? undefined : String(props.IamInstanceProfile).startsWith('arn:') ? { Arn: props.IamInstanceProfile } : { Name: props.IamInstanceProfile },
      BlockDeviceMappings: blockDevices(props.BlockDeviceMappings),
      NetworkInterfaces: networkInterfaces(props.NetworkInterfaces),
      CreditSpecification: credit ? { CpuCredits: credit.CPUCredits } : undefined,
      MetadataOptions: props.MetadataOptions,
      CpuOptions: props.CpuOptions,
      TagSpecifications: tagSpec('instance', props.Tags),
    });
    return { physicalId: out.Instances[0].InstanceId };
  },
  stabilize(s, rc) {
    const step = interruptStep(rc, s);
    if (step) return step;
    const inst = instanceOf(rc, s.physicalId);
    const state = inst?.State.Name ?? 'terminated';
    if (state === 'pending') return wait(POLL_MS);
    if (state !== 'running') {
      throw new AwsError('NotStabilized', `Instance ${s.physicalId} failed to stabilize. Current state: ${state}. Reason: ${inst?.StateReason?.Message ?? 'unknown'}`);
    }
    // Volumes listed on the instance attach once it runs.
    const volumes = (s.props.Volumes ?? []) as Obj[];
    if (volumes.length && !s.data.volumesAttached) {
      for (const v of volumes) call(rc, 'AttachVolume', { InstanceId: s.physicalId, VolumeId: v.VolumeId, Device: v.Device });
      return { done: true, data: { volumesAttached: true } };
    }
    return DONE;
  },
  update(props, old, changed, rc) {
    const other = changed.filter((c) => !INSTANCE_IN_PLACE.includes(c) && !INSTANCE_STOPPED.includes(c));
    if (other.length) throw new AwsError('NotUpdatable', `faultline cannot update ${other.join(', ')} of an EC2 instance in place yet.`);
    const id = old.physicalId;
    const stopped = changed.filter((c) => INSTANCE_STOPPED.includes(c));
    if (changed.includes('SecurityGroupIds')) call(rc, 'ModifyInstanceAttribute', { InstanceId: id, Groups: props.SecurityGroupIds });
    if (changed.includes('DisableApiTermination')) call(rc, 'ModifyInstanceAttribute', { InstanceId: id, DisableApiTermination: { Value: bool(props.DisableApiTermination) ?? false } });
    if (changed.includes('InstanceInitiatedShutdownBehavior')) call(rc, 'ModifyInstanceAttribute', { InstanceId: id, InstanceInitiatedShutdownBehavior: { Value: props.InstanceInitiatedShutdownBehavior ?? 'stop' } });
    if (changed.includes('SourceDestCheck')) call(rc, 'ModifyInstanceAttribute', { InstanceId: id, SourceDestCheck: { Value: bool(props.SourceDestCheck) ?? true } });
    if (changed.includes('Tags')) syncTags(rc, id, old.props.Tags, props.Tags);
    if (stopped.length) {
      const pendingModify = Object.fromEntries(stopped.map((c) => [c, props[c] ?? (c === 'UserData' ? '' : undefined)]));
      return { data: { pendingModify, stopRequested: false } };
    }
  },
  delete(s, rc) {
    const inst = instanceOf(rc, s.physicalId);
    if (!inst || inst.State.Name === 'terminated') return DONE;
    if (inst.State.Name !== 'shutting-down') {
      try {
        call(rc, 'TerminateInstances', { InstanceIds: [s.physicalId] });
      } catch (e) {
        if (isGone(e)) return DONE;
        throw e;
      }
    }
    return wait(POLL_MS);
  },
  getAtt(s, name, rc) {
    const inst = instanceOf(rc, s.physicalId);
    if (!inst) throw new AwsError('NotFound', `Instance ${s.physicalId} no longer exists`);
    return attribute<InstanceRecord>(
      {
        AvailabilityZone: (i) => i.Placement.AvailabilityZone,
        PrivateDnsName: (i) => i.PrivateDnsName,
        PrivateIp: (i) => i.PrivateIpAddress,
        PublicDnsName: (i) => i.PublicDnsName,
        PublicIp: (i) => i.PublicIpAddress ?? '',
        InstanceId: (i) => i.InstanceId,
        VpcId: (i) => i.VpcId,
        State: (i) => i.State.Name,
      },
      name,
      inst,
    );
  },
};

// ---- AWS::EC2::EIP and AWS::EC2::EIPAssociation ----

function associate(rc: ResourceContext, allocationId: string, instanceId: unknown): void {
  call(rc, 'AssociateAddress', { AllocationId: allocationId, InstanceId: instanceId, AllowReassociation: true });
}

const eip: ResourceHandler = {
  type: 'AWS::EC2::EIP',
  create(props, rc) {
    if (props.Domain !== undefined && props.Domain !== 'vpc') throw new AwsError('InvalidParameterValue', `Domain ${props.Domain} is not supported: EC2-Classic is retired; use vpc.`);
    const out = call(rc, 'AllocateAddress', { Domain: 'vpc', PublicIpv4Pool: props.PublicIpv4Pool, TagSpecifications: tagSpec('elastic-ip', props.Tags) });
    if (props.InstanceId !== undefined) associate(rc, out.AllocationId, props.InstanceId);
    return { physicalId: out.PublicIp, data: { allocationId: out.AllocationId } };
  },
  update(props, old, changed, rc) {
    const allocationId = String(old.data.allocationId);
    if (changed.includes('InstanceId')) {
      const a = addressOf(rc, allocationId);
      if (a?.AssociationId) call(rc, 'DisassociateAddress', { AssociationId: a.AssociationId });
      if (props.InstanceId !== undefined) associate(rc, allocationId, props.InstanceId);
    }
    if (changed.includes('Tags')) syncTags(rc, allocationId, old.props.Tags, props.Tags);
    const other = changed.filter((c) => c !== 'InstanceId' && c !== 'Tags');
    if (other.length) throw new AwsError('NotUpdatable', `faultline cannot update ${other.join(', ')} of an Elastic IP in place.`);
  },
  delete(s, rc) {
    const allocationId = String(s.data.allocationId);
    return deleteWithRetry(s, rc.env.clock.now(), () => {
      const a = addressOf(rc, allocationId);
      if (!a) return;
      if (a.AssociationId) call(rc, 'DisassociateAddress', { AssociationId: a.AssociationId });
      call(rc, 'ReleaseAddress', { AllocationId: allocationId });
    });
  },
  getAtt: (s, name) => attribute({ AllocationId: () => s.data.allocationId, PublicIp: () => s.physicalId }, name, s),
};

const eipAssociation: ResourceHandler = {
  type: 'AWS::EC2::EIPAssociation',
  create(props, rc) {
    const out = call(rc, 'AssociateAddress', {
      AllocationId: props.AllocationId,
      PublicIp: props.AllocationId === undefined ? props.EIP : undefined,
      InstanceId: props.InstanceId,
      NetworkInterfaceId: props.NetworkInterfaceId,
      PrivateIpAddress: props.PrivateIpAddress,
      AllowReassociation: true,
    });
    return { physicalId: out.AssociationId };
  },
  delete(s, rc) {
    const held = rc.env.store.list<AddressRecord>(COLL.addresses, rc.request).some((a) => a.AssociationId === s.physicalId);
    if (!held) return DONE;
    return deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DisassociateAddress', { AssociationId: s.physicalId }));
  },
  getAtt: (s, name) => attribute({ Id: () => s.physicalId }, name, s),
};

// ---- AWS::EC2::Volume and AWS::EC2::VolumeAttachment ----

const volume: ResourceHandler = {
  type: 'AWS::EC2::Volume',
  create(props, rc) {
    const out = call(rc, 'CreateVolume', {
      AvailabilityZone: props.AvailabilityZone,
      Size: props.Size,
      SnapshotId: props.SnapshotId,
      VolumeType: props.VolumeType,
      Iops: props.Iops,
      Throughput: props.Throughput,
      Encrypted: props.Encrypted,
      KmsKeyId: props.KmsKeyId,
      MultiAttachEnabled: props.MultiAttachEnabled,
      TagSpecifications: tagSpec('volume', props.Tags),
    });
    return { physicalId: out.VolumeId };
  },
  stabilize(s, rc) {
    const v = volumeOf(rc, s.physicalId);
    if (!v) throw new AwsError('NotStabilized', `Volume ${s.physicalId} no longer exists`);
    if (v.State === 'creating') return wait(POLL_MS);
    if (v.State === 'error') throw new AwsError('NotStabilized', `Volume ${s.physicalId} failed to create`);
    return DONE;
  },
  update(props, old, changed, rc) {
    const other = changed.filter((c) => c !== 'Tags');
    if (other.length) throw new AwsError('NotUpdatable', `faultline cannot modify ${other.join(', ')} of a volume in place yet (ModifyVolume is not served).`);
    syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  snapshot(s, rc) {
    if (!volumeOf(rc, s.physicalId)) return;
    call(rc, 'CreateSnapshot', { VolumeId: s.physicalId, Description: `Created by CloudFormation stack ${rc.stackName} for ${rc.logicalId}` });
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteVolume', { VolumeId: s.physicalId })),
  getAtt: (s, name) => attribute({ VolumeId: () => s.physicalId }, name, s),
};

const attachmentOf = (rc: ResourceContext, s: ResourceState | { props: Props }) =>
  volumeOf(rc, String(s.props.VolumeId))?.Attachments.find((a) => a.InstanceId === s.props.InstanceId);

const volumeAttachment: ResourceHandler = {
  type: 'AWS::EC2::VolumeAttachment',
  create(props, rc) {
    call(rc, 'AttachVolume', { VolumeId: props.VolumeId, InstanceId: props.InstanceId, Device: props.Device });
    return { physicalId: String(props.VolumeId) };
  },
  stabilize(s, rc) {
    const a = attachmentOf(rc, s);
    if (!a) throw new AwsError('NotStabilized', `Volume ${s.props.VolumeId} is not attached to ${s.props.InstanceId}`);
    return a.State === 'attached' ? DONE : wait(POLL_MS);
  },
  delete(s, rc) {
    const a = attachmentOf(rc, s);
    if (!a) return DONE;
    if (a.State === 'attached' || a.State === 'attaching') {
      const p = deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DetachVolume', { VolumeId: s.props.VolumeId, InstanceId: s.props.InstanceId }));
      // Detaching takes time: come back until the attachment is gone.
      return wait(POLL_MS, p.data);
    }
    return wait(POLL_MS);
  },
};

export const ec2ComputeResources: ResourceHandler[] = [instance, eip, eipAssociation, volume, volumeAttachment];
