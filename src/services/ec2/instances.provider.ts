/**
 * Instances: RunInstances and the calls that read and steer them. Each handler validates every
 * id and parameter first, then writes the desired state and queues the lifecycle loop
 * (instance.loop.ts), which moves the instance on in cloud time.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import { capacityRefused } from '../../world/faults.ts';
import { hostLoad } from '../../world/placement.ts';
import { requireDedicatedHost } from './hosts.provider.ts';
import { launchPlacement, placerFor, type PlacementRequest, type Slot } from './launch-placement.ts';
import { machineRoom } from './machine-capacity.ts';
import type { RequestContext } from '../service.ts';
import { bootLog } from './console-output.ts';
import { applyFilters, paginate, type Filter, type Tag } from './filters.ts';
import { findImage } from './images.provider.ts';
import { applyLaunchTemplate } from './launch-templates.provider.ts';
import { disassociateElasticIps, osUpAt, queueInstance, reconcilePublicIps, setState, stateOf } from './instance.loop.ts';
import { autoRecoverySupported, instanceType, offeredIn, unsupportedIn } from './instance-types.ts';
import { createInstanceInterface, getInterface, putInterface, syncInstanceNetwork } from './network-interfaces.ts';
import { launchIpv6Request, takeIpv6 } from './ipv6-addresses.ts';
import { zoneId, zonesOf } from './regions.provider.ts';
import { defaultSubnetIn, defaultVpcOf } from './default-vpc.ts';
import { liveInstances } from './network.ts';
import { zoneHealthy } from '../../world/state.ts';
import { checkId, checkTagTypes, gmt, idsNotFound, iso } from './scoped.ts';
import { findSnapshot } from './snapshots.provider.ts';
import { checkSpotStop, spotLaunch } from './spot.provider.ts';
import { COLL, type GroupIdentifier, type InstanceRecord, type KeyPairRecord, type SecurityGroupRecord, type SubnetRecord, type VpcRecord } from './state.ts';
import { allocatePrivateIp } from './subnet-addresses.ts';
import { tagsFor } from './tags.ts';
import { isDeviceName, newVolume, putVolume, volumeSettings } from './volumes.provider.ts';

const instanceNotFound = idsNotFound('InvalidInstanceID', 'instance');

/** One instance by id, for changing: malformed and unknown ids fail as EC2's do. */
export function requireInstance(ctx: RequestContext, id: string): InstanceRecord {
  checkId('InstanceID', 'i', id);
  const inst = ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, id);
  if (!inst) throw instanceNotFound(id);
  return inst;
}

/** Several instances by id, all or nothing: any unknown id fails the whole call. */
export function requireInstances(ctx: RequestContext, ids: string[]): InstanceRecord[] {
  for (const id of ids) checkId('InstanceID', 'i', id);
  const unique = [...new Set(ids)];
  const found = unique.map((id) => ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, id));
  const missing = unique.filter((_, i) => !found[i]);
  if (missing.length) throw instanceNotFound(missing.join(', '));
  return found as InstanceRecord[];
}

const put = (ctx: RequestContext, inst: InstanceRecord) => ctx.env.store.put(COLL.instances, ctx, inst.InstanceId, inst);

const change = (inst: InstanceRecord, previous: InstanceRecord['State']) => ({ InstanceId: inst.InstanceId, CurrentState: inst.State, PreviousState: previous });

function reservationOf(ctx: RequestContext, instances: readonly InstanceRecord[]) {
  const first = instances[0];
  return { ReservationId: first.reservationId, OwnerId: first.ownerId, RequesterId: first.requesterId, Groups: [], Instances: instances };
}

export function insufficientCapacity(ctx: RequestContext, type: string, zone: string) {
  const others = (ctx.env.config.regions[ctx.region] ?? []).map((l) => ctx.region + l).filter((z) => z !== zone);
  return new AwsError(
    'InsufficientInstanceCapacity',
    `We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get ${type} capacity by not specifying an Availability Zone in your request or choosing ${others.join(', ')}.`,
    500,
    false,
  );
}

/**
 * The subnet of a launch that names none: the default subnet of the AZ asked for, or else of the
 * AZ (with a usable zone, offering the type) where the account runs the fewest instances, as EC2 picks one.
 */
function defaultSubnetFor(ctx: RequestContext, zone: string | undefined, typeName: string): string {
  const vpc = defaultVpcOf(ctx);
  if (!vpc) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
  if (zone !== undefined) {
    if (!zonesOf(ctx.env.config, ctx.region).includes(zone)) throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
    const subnet = defaultSubnetIn(ctx, vpc.VpcId, zone);
    if (!subnet) throw new AwsError('MissingInput', `No default subnet for availability zone: '${zone}'.`);
    return subnet.SubnetId;
  }
  const subnets = ctx.env.store.list<SubnetRecord>(COLL.subnets, ctx).filter((s) => s.VpcId === vpc.VpcId && s.DefaultForAz);
  if (!subnets.length) throw new AwsError('MissingInput', 'No default subnets are available in the default VPC; create one with CreateDefaultSubnet.');
  const running = new Map<string, number>();
  for (const i of liveInstances(ctx)) if (i.SubnetId) running.set(i.SubnetId, (running.get(i.SubnetId) ?? 0) + 1);
  // With no AZ offering the type, the launch goes on to be refused as Unsupported.
  const offering = subnets.filter((s) => offeredIn(ctx.region, s.AvailabilityZone, typeName));
  const pool = offering.length ? offering : subnets;
  const usable = pool.filter((s) => zoneHealthy(ctx.env, ctx.region, s.AvailabilityZone));
  const candidates = (usable.length ? usable : pool).sort((a, b) => (running.get(a.SubnetId) ?? 0) - (running.get(b.SubnetId) ?? 0) || a.AvailabilityZone.localeCompare(b.AvailabilityZone));
  return candidates[0].SubnetId;
}

interface RunInput {
  ImageId?: string;
  InstanceType?: string;
  MinCount: number;
  MaxCount: number;
  KeyName?: string;
  SecurityGroupIds?: string[];
  SecurityGroups?: string[];
  SubnetId?: string;
  PrivateIpAddress?: string;
  UserData?: string;
  Placement?: { AvailabilityZone?: string } & PlacementRequest;
  Monitoring?: { Enabled?: boolean };
  DisableApiTermination?: boolean;
  DisableApiStop?: boolean;
  InstanceInitiatedShutdownBehavior?: 'stop' | 'terminate';
  EbsOptimized?: boolean;
  ClientToken?: string;
  IamInstanceProfile?: { Arn?: string; Name?: string };
  TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[];
  BlockDeviceMappings?: { DeviceName?: string; VirtualName?: string; NoDevice?: string; Ebs?: { SnapshotId?: string; VolumeSize?: number; VolumeType?: string; DeleteOnTermination?: boolean; Encrypted?: boolean; Iops?: number; Throughput?: number } }[];
  NetworkInterfaces?: { DeviceIndex?: number; SubnetId?: string; Groups?: string[]; AssociatePublicIpAddress?: boolean; PrivateIpAddress?: string; DeleteOnTermination?: boolean; NetworkInterfaceId?: string; Description?: string; SecondaryPrivateIpAddressCount?: number; Ipv6AddressCount?: number; Ipv6Addresses?: { Ipv6Address?: string }[] }[];
  Ipv6AddressCount?: number;
  Ipv6Addresses?: { Ipv6Address?: string }[];
  MetadataOptions?: { HttpTokens?: 'optional' | 'required'; HttpEndpoint?: 'enabled' | 'disabled'; HttpPutResponseHopLimit?: number; HttpProtocolIpv6?: 'enabled' | 'disabled'; InstanceMetadataTags?: 'enabled' | 'disabled' };
  MaintenanceOptions?: { AutoRecovery?: 'default' | 'disabled' };
  CreditSpecification?: { CpuCredits?: string };
  CpuOptions?: { CoreCount?: number; ThreadsPerCore?: number };
  LaunchTemplate?: unknown;
  /** `spot` runs the instances as spot instances (InstanceLifecycle `spot`). */
  InstanceMarketOptions?: { MarketType?: string; SpotOptions?: { MaxPrice?: string; SpotInstanceType?: string; InstanceInterruptionBehavior?: string; ValidUntil?: string; BlockDurationMinutes?: number } };
  /** Internal, never on the wire: the spot request this launch fulfils (the spot request loop's launches). */
  spotRequestId?: string;
  DryRun?: boolean;
}

/** Security groups for a launch: by id or (default VPC only) by name, all in the subnet's VPC; the VPC's default group otherwise. */
function launchGroups(ctx: RequestContext, vpc: VpcRecord, subnet: SubnetRecord, ids: string[] | undefined, names: string[] | undefined): GroupIdentifier[] {
  const all = ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx);
  const out: GroupIdentifier[] = [];
  for (const id of ids ?? []) {
    if (!/^sg-[0-9a-f]+$/.test(id)) throw new AwsError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
    const g = all.find((x) => x.GroupId === id);
    if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    if (g.VpcId !== vpc.VpcId) throw new AwsError('InvalidParameter', `Security group ${id} and subnet ${subnet.SubnetId} belong to different networks.`);
    out.push({ GroupId: g.GroupId, GroupName: g.GroupName });
  }
  if (names?.length) {
    // AWS accepts group names only in a default VPC; in any other VPC they must be ids.
    if (!vpc.IsDefault) throw new AwsError('InvalidParameterCombination', 'The parameter groupName cannot be used with the parameter subnet');
    for (const name of names) {
      const g = all.find((x) => x.GroupName === name && x.VpcId === vpc.VpcId);
      if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${vpc.VpcId}'`);
      out.push({ GroupId: g.GroupId, GroupName: g.GroupName });
    }
  }
  if (!out.length) {
    const def = all.find((x) => x.VpcId === vpc.VpcId && (x.GroupId === vpc.defaultSecurityGroupId || x.GroupName === 'default'));
    if (def) out.push({ GroupId: def.GroupId, GroupName: def.GroupName });
  }
  return [...new Map(out.map((g) => [g.GroupId, g])).values()];
}

/** IAM's instance profiles (services/iam/state.ts INSTANCE_PROFILES), kept per account under region `global`. */
const IAM_INSTANCE_PROFILES = 'iam.instanceProfiles';

/** The instance profile, by ARN or name, from IAM's records: an unknown one fails as on AWS. */
function resolveProfile(ctx: RequestContext, spec: { Arn?: string; Name?: string }): { Arn: string; Id: string } {
  if (!spec.Arn && !spec.Name) throw new AwsError('InvalidParameterValue', 'Value () for parameter iamInstanceProfile is invalid. Specify an Arn or a Name.');
  const profiles = ctx.env.store.list<{ InstanceProfileName: string; Arn: string; InstanceProfileId: string }>(IAM_INSTANCE_PROFILES, { account: ctx.account, region: 'global' });
  const found = spec.Arn ? profiles.find((p) => p.Arn === spec.Arn) : profiles.find((p) => p.InstanceProfileName.toLowerCase() === spec.Name!.toLowerCase());
  if (!found) {
    const [field, kind, value] = spec.Arn ? ['arn', 'ARN', spec.Arn] : ['name', 'name', spec.Name!];
    throw new AwsError('InvalidParameterValue', `Value (${value}) for parameter iamInstanceProfile.${field} is invalid. Invalid IAM Instance Profile ${kind}`);
  }
  return { Arn: found.Arn, Id: found.InstanceProfileId };
}

function metadataOptions(o: RunInput['MetadataOptions']): InstanceRecord['MetadataOptions'] {
  const hop = o?.HttpPutResponseHopLimit ?? 1;
  if (hop < 1 || hop > 64) throw new AwsError('InvalidParameterValue', `Value (${hop}) for parameter HttpPutResponseHopLimit is invalid. Expected a value from 1 to 64.`);
  return {
    State: 'applied',
    HttpTokens: o?.HttpTokens ?? 'optional',
    HttpPutResponseHopLimit: hop,
    HttpEndpoint: o?.HttpEndpoint ?? 'enabled',
    HttpProtocolIpv6: o?.HttpProtocolIpv6 ?? 'disabled',
    InstanceMetadataTags: o?.InstanceMetadataTags ?? 'disabled',
  };
}

/** The reasons EC2 gives for a stop or terminate that the user asked for. */
function userInitiatedShutdown(inst: InstanceRecord, now: number): void {
  inst.StateTransitionReason = `User initiated (${gmt(now)})`;
  inst.StateReason = { Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
}

export const instanceHandlers = {
  RunInstances(request: RunInput, ctx: RequestContext) {
    const { env } = ctx;
    if (request.ClientToken) {
      const same = env.store.list<InstanceRecord>(COLL.instances, ctx).filter((i) => i.ClientToken === request.ClientToken) as InstanceRecord[];
      if (same.length) return reservationOf(ctx, same);
    }
    // A launch template fills in what the request leaves out (launch-templates.provider.ts).
    const { input, tags: templateTags } = request.LaunchTemplate ? applyLaunchTemplate(ctx, request) : { input: request, tags: [] };
    if (input.MinCount < 1) throw new AwsError('InvalidParameterValue', `Value (${input.MinCount}) for parameter minCount is invalid. Expected a positive integer.`);
    if (input.MaxCount < input.MinCount) throw new AwsError('InvalidParameterValue', `Value (${input.MaxCount}) for parameter maxCount is invalid. Expected a value greater than or equal to minCount (${input.MinCount}).`);
    if (!input.ImageId) throw new AwsError('MissingParameter', 'The request must contain the parameter ImageId');
    const image = findImage(ctx, input.ImageId);
    if (image.State !== 'available') throw new AwsError('InvalidAMIID.Unavailable', `AMI '${image.ImageId}' is ${image.State}, and cannot be run`);
    const typeName = input.InstanceType ?? 'm1.small';
    const type = instanceType(typeName);
    if (!type) throw new AwsError('InvalidParameterValue', `Invalid value '${typeName}' for InstanceType.`);
    if (image.VirtualizationType === 'hvm' && typeName === 't1.micro' && image.Architecture !== 'x86_64') {
      throw new AwsError('InvalidParameterCombination', `The instance type '${typeName}' does not support the architecture of image '${image.ImageId}'.`);
    }
    if (image.Architecture && !type.architectures.includes(image.Architecture)) {
      throw new AwsError(
        'InvalidParameterValue',
        `The architecture '${type.architectures.join(', ')}' of the specified instance type does not match the architecture '${image.Architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.`,
      );
    }

    // Network: a subnet, from the request or its primary network interface, else a default subnet.
    const nics = input.NetworkInterfaces ?? [];
    if (nics.length > 1) throw new AwsError('UnsupportedOperation', 'faultline launches instances with one network interface; attach others later.');
    const nic = nics[0];
    if (nic) {
      if (nic.NetworkInterfaceId) throw new AwsError('UnsupportedOperation', 'faultline does not launch instances on existing network interfaces.');
      if ((nic.DeviceIndex ?? 0) !== 0) throw new AwsError('InvalidParameterValue', 'Each network interface requires a device index; the primary one is 0.');
      if (input.SubnetId) throw new AwsError('InvalidParameterCombination', 'Network interfaces and an instance-level subnet ID may not be specified on the same request');
      if (input.SecurityGroupIds?.length || input.SecurityGroups?.length) {
        throw new AwsError('InvalidParameterCombination', 'Network interfaces and an instance-level security groups may not be specified on the same request');
      }
      if (input.PrivateIpAddress) throw new AwsError('InvalidParameterCombination', 'Network interfaces and an instance-level private IP address may not be specified on the same request');
    }
    // An empty zone (Terraform sends one) is no zone, as on AWS; a launch onto a Dedicated Host is in the host's zone.
    const hostZone = () => (input.Placement?.HostId ? requireDedicatedHost(ctx, input.Placement.HostId).AvailabilityZone : undefined);
    const subnetId = input.SubnetId ?? nic?.SubnetId ?? defaultSubnetFor(ctx, input.Placement?.AvailabilityZone || hostZone(), typeName);
    const subnet = env.store.get<SubnetRecord>(COLL.subnets, ctx, subnetId) as SubnetRecord | undefined;
    if (!subnet) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    const vpc = env.store.get<VpcRecord>(COLL.vpcs, ctx, subnet.VpcId) as VpcRecord | undefined;
    if (!vpc) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    const zone = subnet.AvailabilityZone;
    if (input.Placement?.AvailabilityZone && input.Placement.AvailabilityZone !== zone) {
      throw new AwsError('InvalidParameterValue', `Value (${input.Placement.AvailabilityZone}) for parameter availabilityZone is invalid. Subnet '${subnet.SubnetId}' is in the availability zone ${zone}`);
    }
    if (!offeredIn(ctx.region, zone, typeName)) throw unsupportedIn(ctx.region, zonesOf(env.config, ctx.region), zone, typeName);
    // Where it may run: its placement group's strategy, or its Dedicated Host (launch-placement.ts).
    const { placer, placement } = launchPlacement(ctx, input.Placement, zone, typeName, () => insufficientCapacity(ctx, typeName, zone));
    const groups = launchGroups(ctx, vpc, subnet, nic ? nic.Groups : input.SecurityGroupIds, nic ? undefined : input.SecurityGroups);
    const privateIp = nic?.PrivateIpAddress ?? input.PrivateIpAddress;
    if (privateIp && input.MaxCount > 1) throw new AwsError('InvalidParameterCombination', 'A private IP address can only be given when launching one instance.');
    const ipv6 = launchIpv6Request(subnet, input, nic, input.MaxCount);

    if (input.KeyName !== undefined && !env.store.list<KeyPairRecord>(COLL.keyPairs, ctx).some((k) => k.KeyName === input.KeyName)) {
      throw new AwsError('InvalidKeyPair.NotFound', `The key pair '${input.KeyName}' does not exist`);
    }
    const profile = input.IamInstanceProfile ? resolveProfile(ctx, input.IamInstanceProfile) : undefined;
    if (input.UserData !== undefined) {
      const bytes = Buffer.from(input.UserData, 'base64').length;
      if (bytes > 16384) throw new AwsError('InvalidParameterValue', 'User data is limited to 16384 bytes');
    }
    const metadata = metadataOptions(input.MetadataOptions);
    let cpuCredits: string | undefined;
    if (input.CreditSpecification?.CpuCredits) {
      if (!type.burstable) throw new AwsError('InvalidParameterCombination', `The parameter CreditSpecification is not supported for ${typeName} instances.`);
      if (!['standard', 'unlimited'].includes(input.CreditSpecification.CpuCredits)) {
        throw new AwsError('InvalidParameterValue', `Value (${input.CreditSpecification.CpuCredits}) for parameter cpuCredits is invalid. Valid values are standard, unlimited.`);
      }
      cpuCredits = input.CreditSpecification.CpuCredits;
    } else if (type.burstable) cpuCredits = type.credits;
    const autoRecovery = input.MaintenanceOptions?.AutoRecovery ?? 'default';

    checkTagTypes(input.TagSpecifications, ['instance', 'volume', 'network-interface', 'spot-instances-request', 'elastic-gpu']);
    const instanceTags = tagsFor(input.TagSpecifications, 'instance');
    const volumeTags = tagsFor(input.TagSpecifications, 'volume');
    const eniTags = tagsFor(input.TagSpecifications, 'network-interface');

    // Block devices: the image's mappings, with the request's overrides and additions.
    type Disk = { device: string; size: number; type: string; iops?: number; throughput?: number; snapshotId?: string; encrypted: boolean; deleteOnTermination: boolean };
    const disks = new Map<string, Disk>();
    for (const b of image.BlockDeviceMappings) {
      if (!b.Ebs) continue;
      disks.set(b.DeviceName, { device: b.DeviceName, size: b.Ebs.VolumeSize, type: b.Ebs.VolumeType, iops: b.Ebs.Iops, snapshotId: b.Ebs.SnapshotId, encrypted: b.Ebs.Encrypted, deleteOnTermination: b.Ebs.DeleteOnTermination });
    }
    for (const b of input.BlockDeviceMappings ?? []) {
      if (!b.DeviceName || !isDeviceName(b.DeviceName)) throw new AwsError('InvalidBlockDeviceMapping', `Invalid device name ${b.DeviceName ?? ''}`);
      if (b.NoDevice !== undefined) {
        if (b.DeviceName === image.RootDeviceName) throw new AwsError('InvalidBlockDeviceMapping', 'The root device cannot be removed with NoDevice.');
        disks.delete(b.DeviceName);
        continue;
      }
      if (!b.Ebs) continue; // ephemeral (instance-store) mappings: EBS-only types have none
      const base = disks.get(b.DeviceName);
      const snapshotId = b.Ebs.SnapshotId ?? base?.snapshotId;
      const snap = b.Ebs.SnapshotId ? findSnapshot(ctx, b.Ebs.SnapshotId) : undefined;
      const snapSize = snap?.VolumeSize ?? base?.size;
      const s = volumeSettings({ Size: b.Ebs.VolumeSize ?? snapSize, VolumeType: b.Ebs.VolumeType ?? base?.type, Iops: b.Ebs.Iops, Throughput: b.Ebs.Throughput }, snapSize);
      disks.set(b.DeviceName, {
        device: b.DeviceName,
        size: s.size,
        type: s.type,
        iops: s.iops,
        throughput: s.throughput,
        snapshotId,
        encrypted: b.Ebs.Encrypted ?? base?.encrypted ?? false,
        deleteOnTermination: b.Ebs.DeleteOnTermination ?? true,
      });
    }
    const rootDisk = disks.get(image.RootDeviceName);
    if (!rootDisk) throw new AwsError('InvalidBlockDeviceMapping', `The image ${image.ImageId} has no block device for its root device ${image.RootDeviceName}.`);

    const spot = spotLaunch(ctx, input, typeName, zone);

    // Capacity: a capacity fault, the machine's (sandbox driver), hosts in the subnet's zone, and addresses in the subnet.
    if (capacityRefused(env, ctx.region, zone, typeName, { caller: ctx.principal })) throw insufficientCapacity(ctx, typeName, zone);
    const load = hostLoad(env, ctx.region);
    const room = machineRoom(env);
    const hosts: Slot[] = [];
    let refusal = () => insufficientCapacity(ctx, typeName, zone);
    for (let i = 0; i < input.MaxCount; i++) {
      if (!room.take(typeName)) break;
      const slot = placer.next(load);
      if (!slot) {
        refusal = placer.refusal;
        break;
      }
      hosts.push(slot);
    }
    if (hosts.length < input.MinCount) throw refusal();
    const free = subnet.AvailableIpAddressCount;
    if (free < input.MinCount) {
      throw new AwsError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnet.SubnetId}' to satisfy the requested number of instances.`);
    }
    const count = Math.min(hosts.length, free);

    // Everything is valid: write.
    const now = env.clock.now();
    const launchTime = iso(now);
    const reservationId = resourceId('r');
    const autoPublicIp = nic?.AssociatePublicIpAddress ?? subnet.MapPublicIpOnLaunch;
    const created: InstanceRecord[] = [];
    for (let n = 0; n < count; n++) {
      const InstanceId = resourceId('i');
      const ip = allocatePrivateIp(ctx, subnet.SubnetId, privateIp);
      const eni = createInstanceInterface(ctx, {
        subnet,
        instanceId: InstanceId,
        groups,
        privateIp: ip,
        autoPublicIp,
        now: launchTime,
        deleteOnTermination: nic?.DeleteOnTermination ?? true,
        description: nic?.Description,
        tags: eniTags,
      });
      eni.Ipv6Addresses = takeIpv6(ctx, subnet, ipv6).map((Ipv6Address) => ({ Ipv6Address, IsPrimaryIpv6: false }));
      putInterface(env, ctx, eni);
      const mappings: InstanceRecord['BlockDeviceMappings'] = [];
      for (const d of disks.values()) {
        const v = newVolume(ctx, {
          zone,
          size: d.size,
          type: d.type,
          iops: d.iops,
          throughput: d.throughput,
          snapshotId: d.snapshotId,
          encrypted: d.encrypted,
          tags: volumeTags,
          now,
          attach: { instanceId: InstanceId, device: d.device, deleteOnTermination: d.deleteOnTermination },
        });
        putVolume(env, ctx, v);
        mappings.push({ DeviceName: d.device, Ebs: { AttachTime: launchTime, DeleteOnTermination: d.deleteOnTermination, Status: 'attached', VolumeId: v.VolumeId } });
      }
      const inst: InstanceRecord = {
        InstanceId,
        ImageId: image.ImageId,
        State: stateOf('pending'),
        PrivateDnsName: '',
        PublicDnsName: '',
        StateTransitionReason: '',
        StateReason: { Code: 'pending', Message: 'pending' },
        KeyName: input.KeyName,
        AmiLaunchIndex: n,
        ProductCodes: [],
        InstanceType: typeName,
        LaunchTime: launchTime,
        Placement: {
          AvailabilityZone: zone,
          AvailabilityZoneId: zoneId(ctx.region, zone.slice(ctx.region.length)),
          ...placement,
          ...(hosts[n].partition !== undefined ? { PartitionNumber: hosts[n].partition } : {}),
          ...(hosts[n].dedicatedHostId ? { HostId: hosts[n].dedicatedHostId } : {}),
        },
        Monitoring: { State: input.Monitoring?.Enabled ? 'enabled' : 'disabled' },
        SubnetId: subnet.SubnetId,
        VpcId: subnet.VpcId,
        Architecture: image.Architecture,
        RootDeviceType: 'ebs',
        RootDeviceName: image.RootDeviceName,
        BlockDeviceMappings: mappings,
        VirtualizationType: image.VirtualizationType,
        ClientToken: input.ClientToken ?? '',
        Tags: [...instanceTags, ...templateTags],
        SecurityGroups: groups,
        SourceDestCheck: true,
        Hypervisor: 'xen',
        NetworkInterfaces: [],
        IamInstanceProfile: profile,
        EbsOptimized: input.EbsOptimized ?? false,
        EnaSupport: image.EnaSupport,
        CpuOptions: { CoreCount: input.CpuOptions?.CoreCount ?? type.cores, ThreadsPerCore: input.CpuOptions?.ThreadsPerCore ?? type.threadsPerCore },
        CapacityReservationSpecification: { CapacityReservationPreference: 'open' },
        HibernationOptions: { Configured: false },
        MetadataOptions: metadata,
        EnclaveOptions: { Enabled: false },
        PlatformDetails: 'Linux/UNIX',
        UsageOperation: 'RunInstances',
        UsageOperationUpdateTime: launchTime,
        PrivateDnsNameOptions: { HostnameType: 'ip-name', EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
        MaintenanceOptions: { AutoRecovery: autoRecovery, RebootMigration: 'default' },
        CurrentInstanceBootMode: 'legacy-bios',
        BootMode: image.BootMode,
        hostId: hosts[n].hostId,
        reservationId,
        ownerId: ctx.account,
        userData: input.UserData,
        disableApiTermination: input.DisableApiTermination ?? false,
        disableApiStop: input.DisableApiStop ?? false,
        shutdownBehavior: input.InstanceInitiatedShutdownBehavior ?? 'stop',
        stateSince: now,
        iamInstanceProfile: input.IamInstanceProfile,
        cpuCredits,
        networkInterfaceIds: [eni.NetworkInterfaceId],
      };
      spot?.attach(ctx, inst);
      reconcilePublicIps(env, ctx, inst);
      put(ctx, inst);
      env.events.emit('ec2.instance-state-change', { account: ctx.account, region: ctx.region, instanceId: InstanceId, previousState: null, state: 'pending' });
      queueInstance(env, ctx, InstanceId, now + env.config.bootSeconds * 1000);
      created.push(inst);
    }
    return reservationOf(ctx, created);
  },

  DescribeInstances(input: { InstanceIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    for (const id of input.InstanceIds ?? []) checkId('InstanceID', 'i', id);
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    let pool = ctx.env.store.list<InstanceRecord>(COLL.instances, ctx) as InstanceRecord[];
    if (input.InstanceIds?.length) pool = requireInstances(ctx, input.InstanceIds);
    const filtered = applyFilters(pool, input.Filters, INSTANCE_FILTERS);
    const sorted = filtered.sort((a, b) => a.LaunchTime.localeCompare(b.LaunchTime) || a.reservationId.localeCompare(b.reservationId) || a.AmiLaunchIndex - b.AmiLaunchIndex);
    const { page, NextToken } = paginate(sorted, input.MaxResults, input.NextToken, 5, 1000);
    const byReservation = new Map<string, InstanceRecord[]>();
    for (const i of page) byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
    return { Reservations: [...byReservation.values()].map((list) => reservationOf(ctx, list)), NextToken };
  },

  DescribeInstanceStatus(
    input: { InstanceIds?: string[]; IncludeAllInstances?: boolean; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    for (const id of input.InstanceIds ?? []) checkId('InstanceID', 'i', id);
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    // Named instances are read by id: a drill's probe names a few among thousands.
    let pool = input.InstanceIds?.length ? requireInstances(ctx, input.InstanceIds) : (ctx.env.store.list<InstanceRecord>(COLL.instances, ctx) as InstanceRecord[]);
    if (!input.IncludeAllInstances) pool = pool.filter((i) => i.State.Name === 'running');
    const now = ctx.env.clock.now();
    const statuses = pool.map((i) => instanceStatus(ctx, i, now));
    const filtered = applyFilters(statuses, input.Filters, {
      'availability-zone': (s) => s.AvailabilityZone,
      'instance-state-code': (s) => s.InstanceState.Code & 255,
      'instance-state-name': (s) => s.InstanceState.Name,
      'instance-status.status': (s) => s.InstanceStatus.Status,
      'instance-status.reachability': (s) => s.InstanceStatus.Details.map((d) => d.Status),
      'system-status.status': (s) => s.SystemStatus.Status,
      'system-status.reachability': (s) => s.SystemStatus.Details.map((d) => d.Status),
      'attached-ebs-status.status': (s) => s.AttachedEbsStatus.Status,
      'attached-ebs-status.reachability': (s) => s.AttachedEbsStatus.Details.map((d) => d.Status),
      'event.code': () => [],
      'event.description': () => [],
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { InstanceStatuses: page, NextToken };
  },

  StartInstances(input: { InstanceIds: string[]; DryRun?: boolean }, ctx: RequestContext) {
    const insts = requireInstances(ctx, input.InstanceIds);
    const { env } = ctx;
    const load = hostLoad(env, ctx.region);
    const room = machineRoom(env);
    const hosts = new Map<string, Slot>();
    for (const inst of insts) {
      const s = inst.State.Name;
      if (s === 'pending' || s === 'running') continue;
      if (s !== 'stopped') throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a state from which it can be started.`);
      // A start may land on another host: placement picks again, as its group or Dedicated Host allows.
      const noCapacity = () => insufficientCapacity(ctx, inst.InstanceType, inst.Placement.AvailabilityZone);
      if (capacityRefused(env, ctx.region, inst.Placement.AvailabilityZone, inst.InstanceType, { caller: ctx.principal }) || !room.take(inst.InstanceType)) throw noCapacity();
      // Instances of one group started together see each other's new hosts.
      const placed = insts.filter((o) => hosts.has(o.InstanceId) && o.Placement.GroupId === inst.Placement.GroupId).map((o) => ({ zone: o.Placement.AvailabilityZone, ...hosts.get(o.InstanceId)! }));
      const placer = placerFor(env, ctx, inst, noCapacity, { placed });
      const slot = placer.next(load);
      if (!slot) throw placer.refusal();
      hosts.set(inst.InstanceId, slot);
    }
    const now = env.clock.now();
    return {
      StartingInstances: insts.map((inst) => {
        const previous = inst.State;
        const host = hosts.get(inst.InstanceId);
        if (host) {
          inst.hostId = host.hostId;
          if (host.dedicatedHostId) inst.Placement.HostId = host.dedicatedHostId;
          setState(env, ctx, inst, 'pending');
          inst.StateReason = undefined;
          inst.StateTransitionReason = '';
          reconcilePublicIps(env, ctx, inst);
          put(ctx, inst);
          queueInstance(env, ctx, inst.InstanceId, now + env.config.bootSeconds * 1000);
        }
        return change(inst, previous);
      }),
    };
  },

  StopInstances(input: { InstanceIds: string[]; Force?: boolean; Hibernate?: boolean; DryRun?: boolean }, ctx: RequestContext) {
    const insts = requireInstances(ctx, input.InstanceIds);
    if (input.Hibernate) throw new AwsError('UnsupportedHibernationConfiguration', 'The instance is not configured for hibernation.');
    for (const inst of insts) {
      const s = inst.State.Name;
      if (s === 'stopping' || s === 'stopped') continue;
      if (s !== 'running') throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a state from which it can be stopped.`);
      checkSpotStop(ctx, inst);
      if (inst.disableApiStop) {
        throw new AwsError('OperationNotPermitted', `The instance '${inst.InstanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`);
      }
    }
    const now = ctx.env.clock.now();
    return {
      StoppingInstances: insts.map((inst) => {
        const previous = inst.State;
        if (inst.State.Name === 'running') {
          setState(ctx.env, ctx, inst, 'stopping');
          userInitiatedShutdown(inst, now);
          put(ctx, inst);
          queueInstance(ctx.env, ctx, inst.InstanceId, now + ctx.env.config.stopSeconds * 1000);
        }
        return change(inst, previous);
      }),
    };
  },

  RebootInstances(input: { InstanceIds: string[]; DryRun?: boolean }, ctx: RequestContext) {
    const insts = requireInstances(ctx, input.InstanceIds);
    for (const inst of insts) {
      const s = inst.State.Name;
      if (s === 'stopped' || s === 'stopping' || s === 'pending') {
        throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a state from which it can be rebooted.`);
      }
    }
    const now = ctx.env.clock.now();
    for (const inst of insts) {
      // Reboots of terminated (or terminating) instances are ignored. A reboot keeps host, IPs and volumes.
      if (inst.State.Name !== 'running') continue;
      inst.lastRebootAt = now;
      put(ctx, inst);
      ctx.env.events.emit('ec2.instance-reboot', { account: ctx.account, region: ctx.region, instanceId: inst.InstanceId });
    }
    return {};
  },

  TerminateInstances(input: { InstanceIds: string[]; DryRun?: boolean }, ctx: RequestContext) {
    const insts = requireInstances(ctx, input.InstanceIds);
    for (const inst of insts) {
      if (inst.disableApiTermination && inst.State.Name !== 'terminated' && inst.State.Name !== 'shutting-down') {
        throw new AwsError('OperationNotPermitted', `The instance '${inst.InstanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
      }
    }
    const now = ctx.env.clock.now();
    return {
      TerminatingInstances: insts.map((inst) => {
        const previous = inst.State;
        if (inst.State.Name !== 'terminated' && inst.State.Name !== 'shutting-down') {
          const wasStopped = inst.State.Name === 'stopped';
          setState(ctx.env, ctx, inst, 'shutting-down');
          userInitiatedShutdown(inst, now);
          // A stopped instance has nothing to shut down: the loop finishes it at once.
          if (wasStopped) inst.stateSince = now - ctx.env.config.stopSeconds * 1000;
          // The Elastic IP comes off at once (it stays allocated), and with it any public address.
          disassociateElasticIps(ctx.env, ctx, inst);
          reconcilePublicIps(ctx.env, ctx, inst);
          put(ctx, inst);
          queueInstance(ctx.env, ctx, inst.InstanceId, wasStopped ? now : now + ctx.env.config.stopSeconds * 1000);
        }
        return change(inst, previous);
      }),
    };
  },

  GetConsoleOutput(input: { InstanceId: string; Latest?: boolean; DryRun?: boolean }, ctx: RequestContext) {
    const inst = requireInstance(ctx, input.InstanceId);
    const bootedAt = inst.lastRebootAt && inst.runningSince && inst.lastRebootAt > inst.runningSince ? inst.lastRebootAt : inst.runningSince;
    if (bootedAt === undefined) return { InstanceId: inst.InstanceId, Timestamp: iso(ctx.env.clock.now()) };
    // A sandboxed instance's real output (its init and user data); the synthetic boot log otherwise.
    const real = ctx.env.runtime?.consoleOutput(ctx, inst.InstanceId);
    return { InstanceId: inst.InstanceId, Timestamp: iso(bootedAt), Output: Buffer.from(real ?? bootLog(inst, bootedAt)).toString('base64') };
  },

  DescribeInstanceAttribute(input: { InstanceId: string; Attribute: string; DryRun?: boolean }, ctx: RequestContext) {
    const inst = requireInstance(ctx, input.InstanceId);
    const out: Record<string, unknown> = { InstanceId: inst.InstanceId };
    switch (input.Attribute) {
      case 'instanceType':
        out.InstanceType = { Value: inst.InstanceType };
        break;
      case 'kernel':
        out.KernelId = {};
        break;
      case 'ramdisk':
        out.RamdiskId = {};
        break;
      case 'userData':
        out.UserData = inst.userData ? { Value: inst.userData } : {};
        break;
      case 'disableApiTermination':
        out.DisableApiTermination = { Value: inst.disableApiTermination };
        break;
      case 'disableApiStop':
        out.DisableApiStop = { Value: inst.disableApiStop };
        break;
      case 'instanceInitiatedShutdownBehavior':
        out.InstanceInitiatedShutdownBehavior = { Value: inst.shutdownBehavior };
        break;
      case 'rootDeviceName':
        out.RootDeviceName = { Value: inst.RootDeviceName };
        break;
      case 'blockDeviceMapping':
        out.BlockDeviceMappings = inst.BlockDeviceMappings;
        break;
      case 'productCodes':
        out.ProductCodes = [];
        break;
      case 'sourceDestCheck':
        out.SourceDestCheck = { Value: inst.SourceDestCheck };
        break;
      case 'groupSet':
        out.Groups = inst.SecurityGroups;
        break;
      case 'ebsOptimized':
        out.EbsOptimized = { Value: inst.EbsOptimized };
        break;
      case 'sriovNetSupport':
        out.SriovNetSupport = {};
        break;
      case 'enaSupport':
        out.EnaSupport = { Value: inst.EnaSupport };
        break;
      case 'enclaveOptions':
        out.EnclaveOptions = inst.EnclaveOptions;
        break;
      default:
        throw new AwsError('InvalidParameterValue', `Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
    }
    return out;
  },

  ModifyInstanceAttribute(
    input: {
      InstanceId: string;
      Attribute?: string;
      Value?: string;
      InstanceType?: { Value?: string };
      UserData?: { Value?: Buffer };
      DisableApiTermination?: { Value?: boolean };
      DisableApiStop?: { Value?: boolean };
      InstanceInitiatedShutdownBehavior?: { Value?: string };
      SourceDestCheck?: { Value?: boolean };
      EbsOptimized?: { Value?: boolean };
      EnaSupport?: { Value?: boolean };
      Groups?: string[];
      BlockDeviceMappings?: { DeviceName?: string; Ebs?: { VolumeId?: string; DeleteOnTermination?: boolean } }[];
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    const inst = requireInstance(ctx, input.InstanceId);
    // The single Attribute/Value form maps onto the structured members.
    const a = input.Attribute;
    const v = input.Value;
    const bool = (s: string | undefined) => s === 'true';
    const want = {
      instanceType: input.InstanceType?.Value ?? (a === 'instanceType' ? v : undefined),
      userData: input.UserData?.Value !== undefined ? Buffer.from(input.UserData.Value).toString('base64') : a === 'userData' ? v : undefined,
      disableApiTermination: input.DisableApiTermination?.Value ?? (a === 'disableApiTermination' ? bool(v) : undefined),
      disableApiStop: input.DisableApiStop?.Value ?? (a === 'disableApiStop' ? bool(v) : undefined),
      shutdown: input.InstanceInitiatedShutdownBehavior?.Value ?? (a === 'instanceInitiatedShutdownBehavior' ? v : undefined),
      sourceDestCheck: input.SourceDestCheck?.Value ?? (a === 'sourceDestCheck' ? bool(v) : undefined),
      ebsOptimized: input.EbsOptimized?.Value ?? (a === 'ebsOptimized' ? bool(v) : undefined),
      enaSupport: input.EnaSupport?.Value,
      groups: input.Groups ?? (a === 'groupSet' && v ? [v] : undefined),
    };
    if (inst.State.Name === 'terminated' || inst.State.Name === 'shutting-down') {
      throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a state from which it can be modified.`);
    }
    const needsStopped = want.instanceType !== undefined || want.userData !== undefined || want.ebsOptimized !== undefined || want.enaSupport !== undefined;
    if (needsStopped && inst.State.Name !== 'stopped') {
      throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in the 'stopped' state.`);
    }
    if (want.instanceType !== undefined && !instanceType(want.instanceType)) {
      throw new AwsError('InvalidParameterValue', `Invalid value '${want.instanceType}' for InstanceType.`);
    }
    if (want.shutdown !== undefined && want.shutdown !== 'stop' && want.shutdown !== 'terminate') {
      throw new AwsError('InvalidParameterValue', `Value (${want.shutdown}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values are stop, terminate.`);
    }
    let groups: GroupIdentifier[] | undefined;
    if (want.groups) {
      const all = ctx.env.store.list<SecurityGroupRecord>(COLL.securityGroups, ctx);
      groups = want.groups.map((id) => {
        const g = all.find((x) => x.GroupId === id);
        if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
        if (g.VpcId !== inst.VpcId) throw new AwsError('InvalidParameter', `Security group ${id} and instance ${inst.InstanceId} belong to different networks.`);
        return { GroupId: g.GroupId, GroupName: g.GroupName };
      });
    }
    const volumeChanges = (input.BlockDeviceMappings ?? []).map((b) => {
      const m = inst.BlockDeviceMappings.find((x) => x.DeviceName === b.DeviceName);
      if (!m) throw new AwsError('InvalidInstanceAttributeValue', `No device is currently mapped at ${b.DeviceName}`);
      return { m, deleteOnTermination: b.Ebs?.DeleteOnTermination };
    });
    if (want.instanceType !== undefined) inst.InstanceType = want.instanceType;
    if (want.userData !== undefined) inst.userData = want.userData;
    if (want.disableApiTermination !== undefined) inst.disableApiTermination = want.disableApiTermination;
    if (want.disableApiStop !== undefined) inst.disableApiStop = want.disableApiStop;
    if (want.shutdown !== undefined) inst.shutdownBehavior = want.shutdown as 'stop' | 'terminate';
    if (want.ebsOptimized !== undefined) inst.EbsOptimized = want.ebsOptimized;
    if (want.enaSupport !== undefined) inst.EnaSupport = want.enaSupport;
    if (want.sourceDestCheck !== undefined || groups) {
      if (want.sourceDestCheck !== undefined) inst.SourceDestCheck = want.sourceDestCheck;
      if (groups) inst.SecurityGroups = groups;
      const eni = inst.networkInterfaceIds[0] ? getInterface(ctx.env, ctx, inst.networkInterfaceIds[0]) : undefined;
      if (eni) {
        if (want.sourceDestCheck !== undefined) eni.SourceDestCheck = want.sourceDestCheck;
        if (groups) eni.Groups = groups;
        putInterface(ctx.env, ctx, eni);
        syncInstanceNetwork(ctx.env, ctx, inst);
      }
    }
    for (const { m, deleteOnTermination } of volumeChanges) {
      if (deleteOnTermination === undefined) continue;
      m.Ebs.DeleteOnTermination = deleteOnTermination;
      const vol = ctx.env.store.mutable<{ Attachments: { InstanceId: string; DeleteOnTermination: boolean }[] }>(COLL.volumes, ctx, m.Ebs.VolumeId);
      if (vol) {
        for (const att of vol.Attachments) if (att.InstanceId === inst.InstanceId) att.DeleteOnTermination = deleteOnTermination;
        ctx.env.store.put(COLL.volumes, ctx, m.Ebs.VolumeId, vol);
      }
    }
    if (want.instanceType !== undefined) {
      const t = instanceType(want.instanceType)!;
      inst.cpuCredits = t.burstable ? (inst.cpuCredits ?? t.credits) : undefined;
      inst.CpuOptions = { CoreCount: t.cores, ThreadsPerCore: t.threadsPerCore };
    }
    put(ctx, inst);
    return {};
  },

  DescribeInstanceCreditSpecifications(input: { InstanceIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    let pool = ctx.env.store.list<InstanceRecord>(COLL.instances, ctx) as InstanceRecord[];
    if (input.InstanceIds?.length) pool = requireInstances(ctx, input.InstanceIds);
    const specs = pool.filter((i) => i.cpuCredits && i.State.Name !== 'terminated').map((i) => ({ InstanceId: i.InstanceId, CpuCredits: i.cpuCredits! }));
    const filtered = applyFilters(specs, input.Filters, { 'instance-id': (s) => s.InstanceId });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { InstanceCreditSpecifications: page, NextToken };
  },

  ModifyInstanceMaintenanceOptions(input: { InstanceId: string; AutoRecovery?: 'default' | 'disabled'; RebootMigration?: 'default' | 'disabled'; DryRun?: boolean }, ctx: RequestContext) {
    const inst = requireInstance(ctx, input.InstanceId);
    if (inst.State.Name === 'terminated' || inst.State.Name === 'shutting-down') {
      throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a state from which its maintenance options can be modified.`);
    }
    if (input.AutoRecovery === 'default' && !autoRecoverySupported(instanceType(inst.InstanceType)!)) {
      throw new AwsError('UnsupportedOperation', `The instance '${inst.InstanceId}' does not support simplified automatic recovery (${inst.InstanceType}).`);
    }
    if (input.AutoRecovery) inst.MaintenanceOptions.AutoRecovery = input.AutoRecovery;
    if (input.RebootMigration) inst.MaintenanceOptions.RebootMigration = input.RebootMigration;
    put(ctx, inst);
    return { InstanceId: inst.InstanceId, AutoRecovery: inst.MaintenanceOptions.AutoRecovery, RebootMigration: inst.MaintenanceOptions.RebootMigration };
  },
};

const INSTANCE_FILTERS: Parameters<typeof applyFilters<InstanceRecord>>[2] = {
  'instance-id': (i) => i.InstanceId,
  'instance-type': (i) => i.InstanceType,
  'image-id': (i) => i.ImageId,
  'key-name': (i) => i.KeyName,
  'reservation-id': (i) => i.reservationId,
  'owner-id': (i) => i.ownerId,
  'instance-state-code': (i) => i.State.Code & 255,
  'instance-state-name': (i) => i.State.Name,
  'availability-zone': (i) => i.Placement.AvailabilityZone,
  'subnet-id': (i) => i.SubnetId,
  'vpc-id': (i) => i.VpcId,
  'ip-address': (i) => i.PublicIpAddress,
  'private-ip-address': (i) => i.PrivateIpAddress,
  'dns-name': (i) => i.PublicDnsName,
  'private-dns-name': (i) => i.PrivateDnsName,
  'launch-time': (i) => i.LaunchTime,
  'launch-index': (i) => i.AmiLaunchIndex,
  architecture: (i) => i.Architecture,
  'root-device-type': (i) => i.RootDeviceType,
  'root-device-name': (i) => i.RootDeviceName,
  'virtualization-type': (i) => i.VirtualizationType,
  hypervisor: (i) => i.Hypervisor,
  tenancy: (i) => i.Placement.Tenancy,
  'monitoring-state': (i) => i.Monitoring.State,
  'client-token': (i) => i.ClientToken,
  'source-dest-check': (i) => i.SourceDestCheck,
  'state-reason-code': (i) => i.StateReason?.Code,
  'state-reason-message': (i) => i.StateReason?.Message,
  'reason': (i) => i.StateTransitionReason,
  'iam-instance-profile.arn': (i) => i.IamInstanceProfile?.Arn,
  'iam-instance-profile.id': (i) => i.IamInstanceProfile?.Id,
  'instance.group-id': (i) => i.SecurityGroups.map((g) => g.GroupId),
  'instance.group-name': (i) => i.SecurityGroups.map((g) => g.GroupName),
  'group-id': (i) => i.SecurityGroups.map((g) => g.GroupId),
  'group-name': (i) => i.SecurityGroups.map((g) => g.GroupName),
  'block-device-mapping.device-name': (i) => i.BlockDeviceMappings.map((b) => b.DeviceName),
  'block-device-mapping.volume-id': (i) => i.BlockDeviceMappings.map((b) => b.Ebs.VolumeId),
  'block-device-mapping.status': (i) => i.BlockDeviceMappings.map((b) => b.Ebs.Status),
  'block-device-mapping.delete-on-termination': (i) => i.BlockDeviceMappings.map((b) => b.Ebs.DeleteOnTermination),
  'block-device-mapping.attach-time': (i) => i.BlockDeviceMappings.map((b) => b.Ebs.AttachTime),
  'network-interface.network-interface-id': (i) => i.NetworkInterfaces.map((n) => n.NetworkInterfaceId),
  'network-interface.subnet-id': (i) => i.NetworkInterfaces.map((n) => n.SubnetId),
  'network-interface.vpc-id': (i) => i.NetworkInterfaces.map((n) => n.VpcId),
  'network-interface.mac-address': (i) => i.NetworkInterfaces.map((n) => n.MacAddress),
  'network-interface.private-dns-name': (i) => i.NetworkInterfaces.map((n) => n.PrivateDnsName),
  'network-interface.status': (i) => i.NetworkInterfaces.map((n) => n.Status),
  'network-interface.group-id': (i) => i.NetworkInterfaces.flatMap((n) => n.Groups.map((g) => g.GroupId)),
  'network-interface.group-name': (i) => i.NetworkInterfaces.flatMap((n) => n.Groups.map((g) => g.GroupName)),
  'network-interface.addresses.private-ip-address': (i) => i.NetworkInterfaces.flatMap((n) => n.PrivateIpAddresses.map((p) => p.PrivateIpAddress)),
  'network-interface.addresses.primary': (i) => i.NetworkInterfaces.flatMap((n) => n.PrivateIpAddresses.map((p) => p.Primary)),
  'network-interface.ipv6-addresses.ipv6-address': (i) => i.NetworkInterfaces.flatMap((n) => n.Ipv6Addresses.map((a) => a.Ipv6Address)),
  'network-interface.addresses.association.public-ip': (i) => i.NetworkInterfaces.flatMap((n) => n.PrivateIpAddresses.map((p) => p.Association?.PublicIp)),
  'network-interface.association.public-ip': (i) => i.NetworkInterfaces.map((n) => n.Association?.PublicIp),
  'network-interface.association.ip-owner-id': (i) => i.NetworkInterfaces.map((n) => n.Association?.IpOwnerId),
  'network-interface.attachment.attachment-id': (i) => i.NetworkInterfaces.map((n) => n.Attachment.AttachmentId),
  'network-interface.attachment.device-index': (i) => i.NetworkInterfaces.map((n) => n.Attachment.DeviceIndex),
  'network-interface.attachment.status': (i) => i.NetworkInterfaces.map((n) => n.Attachment.Status),
  'metadata-options.http-tokens': (i) => i.MetadataOptions.HttpTokens,
  'metadata-options.http-endpoint': (i) => i.MetadataOptions.HttpEndpoint,
  'metadata-options.http-put-response-hop-limit': (i) => i.MetadataOptions.HttpPutResponseHopLimit,
  'placement-group-name': (i) => i.Placement.GroupName,
  'platform-details': (i) => i.PlatformDetails,
  'product-code': () => [],
};

type Summary = { Status: string; Details: { Name: string; Status: string; ImpairedSince?: string }[] };

/** One instance's status checks, as DescribeInstanceStatus reports them. */
function instanceStatus(ctx: RequestContext, inst: InstanceRecord, now: number) {
  const base = {
    InstanceId: inst.InstanceId,
    AvailabilityZone: inst.Placement.AvailabilityZone,
    AvailabilityZoneId: inst.Placement.AvailabilityZoneId,
    InstanceState: inst.State,
    Events: [] as never[],
  };
  const flat = (status: string): Summary => ({ Status: status, Details: [] });
  if (inst.State.Name !== 'running') {
    return { ...base, SystemStatus: flat('not-applicable'), InstanceStatus: flat('not-applicable'), AttachedEbsStatus: flat('not-applicable') };
  }
  const initMs = ctx.env.config.statusCheckInitSeconds * 1000;
  const summary = (r: { status: 'ok' | 'impaired'; impairedSince?: number } | undefined, initializing: boolean): Summary => {
    if (initializing) return { Status: 'initializing', Details: [{ Name: 'reachability', Status: 'initializing' }] };
    if (!r) return { Status: 'insufficient-data', Details: [{ Name: 'reachability', Status: 'insufficient-data' }] };
    if (r.status === 'ok') return { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] };
    return { Status: 'impaired', Details: [{ Name: 'reachability', Status: 'failed', ImpairedSince: r.impairedSince !== undefined ? iso(r.impairedSince) : undefined }] };
  };
  const checks = inst.statusChecks;
  // The checks initialise after a launch, a start and a recovery; the instance check also while
  // the OS boots again after a reboot (the hardware, which the system check covers, stays up).
  const initializing = inst.runningSince === undefined || now - inst.runningSince < initMs;
  const booting = now < (osUpAt(ctx.env, inst) ?? Infinity);
  // A failure seen by the checks shows at once, even while the others are still initialising.
  return {
    ...base,
    SystemStatus: summary(checks?.system, initializing && checks?.system.status !== 'impaired'),
    InstanceStatus: summary(checks?.instance, (initializing || booting) && checks?.instance.status !== 'impaired'),
    AttachedEbsStatus: summary(checks?.ebs, initializing && checks?.ebs.status !== 'impaired'),
  };
}
