/**
 * EBS volumes: CreateVolume, DeleteVolume, DescribeVolumes, AttachVolume and DetachVolume, and
 * the loop that moves a volume from `creating` to `available` and an attachment from `attaching`
 * to `attached` or from `detaching` to gone. A volume lives in one AZ and attaches only to an
 * instance there. The instance's BlockDeviceMappings mirror its volumes' attachments.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { applyFilters, paginate, selectIds, type Filter, type Tag } from './filters.ts';
import { zoneId } from './regions.provider.ts';
import { checkId, checkTagTypes, iso, loopKey, parseLoopKey } from './scoped.ts';
import { findSnapshot } from './snapshots.provider.ts';
import { COLL, type InstanceRecord, type VolumeRecord } from './state.ts';
import { tagsFor } from './tags.ts';

export const VOLUME_LOOP = 'ec2.volume';
/** Cloud ms a new volume stays `creating`, and an attachment `attaching` or `detaching`. */
const CREATE_MS = 5_000;
const ATTACH_MS = 2_000;

const VOLUME_TYPES = ['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'];
const SIZE_LIMITS: Record<string, [number, number]> = {
  standard: [1, 1024],
  gp2: [1, 16384],
  gp3: [1, 16384],
  io1: [4, 16384],
  io2: [4, 65536],
  st1: [125, 16384],
  sc1: [125, 16384],
};

export const volumeNotFound = (id: string) =>
  id.includes(', ') ? new AwsError('InvalidVolume.NotFound', `The volumes '${id}' do not exist.`) : new AwsError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);

export function requireVolume(ctx: RequestContext, id: string): VolumeRecord {
  checkId('Volume', 'vol', id);
  const v = ctx.env.store.mutable<VolumeRecord>(COLL.volumes, ctx, id);
  if (!v) throw volumeNotFound(id);
  return v;
}

export const isDeviceName = (d: string) => /^\/dev\/(sd[a-z]|xvd[a-z]{1,2}|sd[a-z][1-9])$/.test(d);

/** Validates a volume's size, type and IOPS as EC2 does, and returns its settings with defaults. */
export function volumeSettings(input: { Size?: number; VolumeType?: string; Iops?: number; Throughput?: number }, snapshotSize?: number) {
  const type = input.VolumeType ?? 'gp2';
  if (!VOLUME_TYPES.includes(type)) throw new AwsError('InvalidParameterValue', `Value (${type}) for parameter volumeType is invalid. Valid volume types: ${VOLUME_TYPES.join(', ')}`);
  const size = input.Size ?? snapshotSize;
  if (size === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter size or snapshotId');
  if (snapshotSize !== undefined && size < snapshotSize) throw new AwsError('InvalidParameterValue', `The volume size is invalid for the given snapshot: volume size ${size} GiB is smaller than the snapshot size ${snapshotSize} GiB.`);
  const [lo, hi] = SIZE_LIMITS[type];
  if (size < lo || size > hi) throw new AwsError('InvalidParameterValue', `Volume of ${size}GiB is too ${size < lo ? 'small' : 'large'}; minimum is ${lo}GiB, maximum is ${hi}GiB.`);
  let iops = input.Iops;
  if ((type === 'io1' || type === 'io2') && iops === undefined) throw new AwsError('MissingParameter', `The parameter iops must be specified for ${type} volumes.`);
  if ((type === 'standard' || type === 'st1' || type === 'sc1' || type === 'gp2') && input.Iops !== undefined) {
    throw new AwsError('InvalidParameterCombination', `The parameter iops is not supported for ${type} volumes.`);
  }
  if (type === 'gp2') iops = Math.max(100, Math.min(16000, 3 * size));
  if (type === 'gp3') iops = iops ?? 3000;
  const throughput = type === 'gp3' ? (input.Throughput ?? 125) : undefined;
  return { size, type, iops, throughput };
}

/** A new volume record; `attach` makes it in-use on an instance from the start (launch volumes). */
export function newVolume(
  ctx: RequestContext,
  opts: {
    zone: string;
    size: number;
    type: string;
    iops?: number;
    throughput?: number;
    snapshotId?: string;
    encrypted?: boolean;
    tags: Tag[];
    now: number;
    attach?: { instanceId: string; device: string; deleteOnTermination: boolean };
  },
): VolumeRecord {
  const VolumeId = resourceId('vol');
  const letter = opts.zone.slice(ctx.region.length);
  return {
    VolumeId,
    Size: opts.size,
    SnapshotId: opts.snapshotId ?? '',
    AvailabilityZone: opts.zone,
    AvailabilityZoneId: zoneId(ctx.region, letter),
    State: opts.attach ? 'in-use' : 'creating',
    CreateTime: iso(opts.now),
    Attachments: opts.attach
      ? [{ AttachTime: iso(opts.now), Device: opts.attach.device, InstanceId: opts.attach.instanceId, State: 'attached', VolumeId, DeleteOnTermination: opts.attach.deleteOnTermination }]
      : [],
    VolumeType: opts.type,
    Iops: opts.iops,
    Throughput: opts.throughput,
    Encrypted: !!opts.encrypted,
    MultiAttachEnabled: false,
    Tags: opts.tags,
    readyAt: opts.now + (opts.attach ? 0 : CREATE_MS),
  };
}

export const putVolume = (env: Env, scope: Scope, v: VolumeRecord) => env.store.put(COLL.volumes, scope, v.VolumeId, v);

/**
 * What happens to an instance's volumes when it terminates: those marked DeleteOnTermination
 * are deleted, the others are detached and become available.
 */
export function releaseInstanceVolumes(env: Env, scope: Scope, inst: InstanceRecord): void {
  for (const bdm of inst.BlockDeviceMappings) {
    const v = env.store.mutable<VolumeRecord>(COLL.volumes, scope, bdm.Ebs.VolumeId);
    if (!v) continue;
    if (bdm.Ebs.DeleteOnTermination) {
      env.store.delete(COLL.volumes, scope, v.VolumeId);
    } else {
      v.Attachments = v.Attachments.filter((a) => a.InstanceId !== inst.InstanceId);
      v.State = v.Attachments.length ? 'in-use' : 'available';
      putVolume(env, scope, v);
    }
  }
  inst.BlockDeviceMappings = [];
}

function attachmentView(v: VolumeRecord) {
  const a = v.Attachments[0];
  return { AttachTime: a.AttachTime, Device: a.Device, InstanceId: a.InstanceId, State: a.State, VolumeId: v.VolumeId, DeleteOnTermination: a.DeleteOnTermination };
}

export function volumeLoops(env: Env) {
  return {
    /** creating → available; attaching → attached; detaching → detached (the attachment goes). */
    [VOLUME_LOOP]: (key: string): number | void => {
      const { scope, id } = parseLoopKey(key);
      const v = env.store.mutable<VolumeRecord>(COLL.volumes, scope, id);
      if (!v) return;
      const wait = v.readyAt - env.clock.now();
      if (wait > 0) return wait;
      let changed = false;
      if (v.State === 'creating') {
        v.State = 'available';
        changed = true;
      }
      for (const a of [...v.Attachments]) {
        if (a.State !== 'attaching' && a.State !== 'detaching') continue;
        const inst = env.store.mutable<InstanceRecord>(COLL.instances, scope, a.InstanceId);
        if (a.State === 'attaching') {
          a.State = 'attached';
          if (inst) {
            for (const b of inst.BlockDeviceMappings) if (b.Ebs.VolumeId === v.VolumeId) b.Ebs.Status = 'attached';
          }
        } else {
          v.Attachments = v.Attachments.filter((x) => x !== a);
          if (inst) inst.BlockDeviceMappings = inst.BlockDeviceMappings.filter((b) => b.Ebs.VolumeId !== v.VolumeId);
          v.State = v.Attachments.length ? 'in-use' : 'available';
        }
        if (inst) env.store.put(COLL.instances, scope, inst.InstanceId, inst);
        changed = true;
      }
      if (changed) putVolume(env, scope, v);
    },
  };
}

export const volumeHandlers = {
  CreateVolume(
    input: {
      AvailabilityZone?: string;
      AvailabilityZoneId?: string;
      Size?: number;
      SnapshotId?: string;
      VolumeType?: string;
      Iops?: number;
      Throughput?: number;
      Encrypted?: boolean;
      MultiAttachEnabled?: boolean;
      TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[];
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    const zones = (ctx.env.config.regions[ctx.region] ?? []).map((l) => ({ name: ctx.region + l, id: zoneId(ctx.region, l) }));
    let zone: string | undefined;
    if (input.AvailabilityZone) {
      zone = zones.find((z) => z.name === input.AvailabilityZone)?.name;
      if (!zone) throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${input.AvailabilityZone}]`);
    } else if (input.AvailabilityZoneId) {
      zone = zones.find((z) => z.id === input.AvailabilityZoneId)?.name;
      if (!zone) throw new AwsError('InvalidParameterValue', `Invalid availability zone ID: [${input.AvailabilityZoneId}]`);
    } else throw new AwsError('MissingParameter', 'The request must contain the parameter AvailabilityZone');
    let snapSize: number | undefined;
    if (input.SnapshotId) {
      const snap = findSnapshot(ctx, input.SnapshotId);
      if (snap.State !== 'completed') throw new AwsError('IncorrectState', `Snapshot is in invalid state - ${snap.State}`);
      snapSize = snap.VolumeSize;
    }
    const s = volumeSettings(input, snapSize);
    checkTagTypes(input.TagSpecifications, ['volume']);
    const tags = tagsFor(input.TagSpecifications, 'volume');
    const now = ctx.env.clock.now();
    const v = newVolume(ctx, { zone, size: s.size, type: s.type, iops: s.iops, throughput: s.throughput, snapshotId: input.SnapshotId, encrypted: input.Encrypted, tags, now });
    putVolume(ctx.env, ctx, v);
    ctx.env.scheduler.enqueue(VOLUME_LOOP, loopKey(ctx, v.VolumeId), v.readyAt);
    return v;
  },

  DeleteVolume(input: { VolumeId: string; DryRun?: boolean }, ctx: RequestContext) {
    const v = requireVolume(ctx, input.VolumeId);
    if (v.Attachments.length) throw new AwsError('VolumeInUse', `Volume ${v.VolumeId} is currently attached to ${v.Attachments[0].InstanceId}`);
    ctx.env.store.delete(COLL.volumes, ctx, v.VolumeId);
    return {};
  },

  DescribeVolumes(input: { VolumeIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    for (const id of input.VolumeIds ?? []) checkId('Volume', 'vol', id);
    if (input.VolumeIds?.length && input.MaxResults !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'The parameter volumeSet cannot be used with the parameter maxResults');
    }
    const all = ctx.env.store.list<VolumeRecord>(COLL.volumes, ctx) as VolumeRecord[];
    const picked = selectIds(all, input.VolumeIds, (v) => v.VolumeId, volumeNotFound);
    const filtered = applyFilters(picked, input.Filters, {
      'volume-id': (v) => v.VolumeId,
      'availability-zone': (v) => v.AvailabilityZone,
      'create-time': (v) => v.CreateTime,
      encrypted: (v) => v.Encrypted,
      size: (v) => v.Size,
      'snapshot-id': (v) => v.SnapshotId,
      status: (v) => v.State,
      'volume-type': (v) => v.VolumeType,
      'multi-attach-enabled': (v) => v.MultiAttachEnabled,
      'attachment.attach-time': (v) => v.Attachments.map((a) => a.AttachTime),
      'attachment.delete-on-termination': (v) => v.Attachments.map((a) => a.DeleteOnTermination),
      'attachment.device': (v) => v.Attachments.map((a) => a.Device),
      'attachment.instance-id': (v) => v.Attachments.map((a) => a.InstanceId),
      'attachment.status': (v) => v.Attachments.map((a) => a.State),
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 500);
    return { Volumes: page, NextToken };
  },

  AttachVolume(input: { VolumeId: string; InstanceId: string; Device: string; DryRun?: boolean }, ctx: RequestContext) {
    const v = requireVolume(ctx, input.VolumeId);
    checkId('InstanceID', 'i', input.InstanceId);
    const inst = ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, input.InstanceId);
    if (!inst) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceId}' does not exist`);
    if (!isDeviceName(input.Device)) throw new AwsError('InvalidParameterValue', `Value (${input.Device}) for parameter device is invalid. ${input.Device} is not a valid EBS device name.`);
    if (v.Attachments.length) throw new AwsError('VolumeInUse', `${v.VolumeId} is already attached to an instance`);
    if (v.State !== 'available') throw new AwsError('IncorrectState', `The volume '${v.VolumeId}' is not 'available'.`);
    if (inst.State.Name !== 'running' && inst.State.Name !== 'stopped') {
      throw new AwsError('IncorrectInstanceState', `Instance '${inst.InstanceId}' is not 'running' or 'stopped'.`);
    }
    if (v.AvailabilityZone !== inst.Placement.AvailabilityZone) {
      throw new AwsError('InvalidVolume.ZoneMismatch', `The volume '${v.VolumeId}' is not in the same availability zone as instance '${inst.InstanceId}'`);
    }
    if (inst.BlockDeviceMappings.some((b) => b.DeviceName === input.Device)) {
      throw new AwsError('InvalidParameterValue', `Invalid value '${input.Device}' for unixDevice. Attachment point ${input.Device} is already in use`);
    }
    const now = ctx.env.clock.now();
    v.Attachments = [{ AttachTime: iso(now), Device: input.Device, InstanceId: inst.InstanceId, State: 'attaching', VolumeId: v.VolumeId, DeleteOnTermination: false }];
    v.State = 'in-use';
    v.readyAt = now + ATTACH_MS;
    inst.BlockDeviceMappings.push({ DeviceName: input.Device, Ebs: { AttachTime: iso(now), DeleteOnTermination: false, Status: 'attaching', VolumeId: v.VolumeId } });
    putVolume(ctx.env, ctx, v);
    ctx.env.store.put(COLL.instances, ctx, inst.InstanceId, inst);
    ctx.env.scheduler.enqueue(VOLUME_LOOP, loopKey(ctx, v.VolumeId), v.readyAt);
    return attachmentView(v);
  },

  DetachVolume(input: { VolumeId: string; InstanceId?: string; Device?: string; Force?: boolean; DryRun?: boolean }, ctx: RequestContext) {
    const v = requireVolume(ctx, input.VolumeId);
    const a = v.Attachments[0];
    if (!a) throw new AwsError('IncorrectState', `Volume '${v.VolumeId}' is in the '${v.State}' state.`);
    if ((input.InstanceId && input.InstanceId !== a.InstanceId) || (input.Device && input.Device !== a.Device)) {
      throw new AwsError('InvalidAttachment.NotFound', `The volume ${v.VolumeId} is not attached to instance ${input.InstanceId ?? a.InstanceId} as device ${input.Device ?? a.Device}`);
    }
    const inst = ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, a.InstanceId);
    if (inst && a.Device === inst.RootDeviceName && inst.State.Name !== 'stopped') {
      throw new AwsError('OperationNotPermitted', `Unable to detach root volume '${v.VolumeId}' from instance '${inst.InstanceId}'`);
    }
    if (a.State === 'detaching') return attachmentView(v);
    const now = ctx.env.clock.now();
    a.State = 'detaching';
    v.readyAt = now + ATTACH_MS;
    if (inst) {
      for (const b of inst.BlockDeviceMappings) if (b.Ebs.VolumeId === v.VolumeId) b.Ebs.Status = 'detaching';
      ctx.env.store.put(COLL.instances, ctx, inst.InstanceId, inst);
    }
    putVolume(ctx.env, ctx, v);
    ctx.env.scheduler.enqueue(VOLUME_LOOP, loopKey(ctx, v.VolumeId), v.readyAt);
    return attachmentView(v);
  },
};
