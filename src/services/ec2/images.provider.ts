/**
 * AMIs: CreateImage (from an instance, snapshotting each of its EBS volumes), RegisterImage (from
 * snapshots), DeregisterImage (which keeps the snapshots), DescribeImages, and the loop that
 * takes an image from `pending` to `available` once its time is up and its snapshots are
 * complete. Amazon's built-in images (builtin-images.ts) are visible in every account.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { Env, RequestContext } from '../service.ts';
import { builtinImage, builtinImages } from './builtin-images.ts';
import { applyFilters, paginate, type Filter, type Tag } from './filters.ts';
import { checkId, checkTagTypes, iso, loopKey, parseLoopKey } from './scoped.ts';
import { findSnapshot, snapshotVolume } from './snapshots.provider.ts';
import { COLL, type ImageBlockDeviceRecord, type ImageRecord, type InstanceRecord, type SnapshotRecord, type VolumeRecord } from './state.ts';
import { tagsFor } from './tags.ts';
import { isDeviceName } from './volumes.provider.ts';

export const IMAGE_LOOP = 'ec2.image';
/** Cloud ms a registered image (from existing snapshots) stays pending. */
const REGISTER_MS = 5_000;

export const imageNotFound = (id: string) => new AwsError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);

export function checkImageId(id: string): void {
  if (!/^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) throw new AwsError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
}

/** An image the account can launch or describe by id: its own, or a built-in one of the region. */
export function findImage(ctx: RequestContext, id: string): ImageRecord {
  checkImageId(id);
  const img = (ctx.env.store.get<ImageRecord>(COLL.images, ctx, id) as ImageRecord | undefined) ?? builtinImage(ctx.region, id);
  if (!img) throw imageNotFound(id);
  return img;
}

function checkName(ctx: RequestContext, name: string): void {
  if (name.length < 3 || name.length > 128 || !/^[a-zA-Z0-9()[\] ./\-'@_]+$/.test(name)) {
    throw new AwsError(
      'InvalidAMIName.Malformed',
      `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '[', ']', ' ', '.', '-', '/', ''', '@' and '_'`,
    );
  }
  const dup = ctx.env.store.list<ImageRecord>(COLL.images, ctx).find((i) => i.Name === name);
  if (dup) throw new AwsError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${dup.ImageId}`);
}

type BdmInput = { DeviceName?: string; VirtualName?: string; NoDevice?: string; Ebs?: { SnapshotId?: string; VolumeSize?: number; VolumeType?: string; DeleteOnTermination?: boolean; Encrypted?: boolean; Iops?: number } };

function baseImage(ctx: RequestContext, id: string, name: string, description: string | undefined, root: string, bdms: ImageBlockDeviceRecord[], tags: Tag[], readyAt: number): ImageRecord {
  const now = ctx.env.clock.now();
  return {
    ImageId: id,
    ImageLocation: `${ctx.account}/${name}`,
    State: 'pending',
    OwnerId: ctx.account,
    CreationDate: iso(now),
    Public: false,
    Architecture: 'x86_64',
    ImageType: 'machine',
    Name: name,
    Description: description,
    RootDeviceType: 'ebs',
    RootDeviceName: root,
    BlockDeviceMappings: bdms,
    VirtualizationType: 'hvm',
    Hypervisor: 'xen',
    EnaSupport: true,
    SriovNetSupport: 'simple',
    PlatformDetails: 'Linux/UNIX',
    UsageOperation: 'RunInstances',
    Tags: tags,
    readyAt,
  };
}

export function imageLoops(env: Env) {
  return {
    /** pending → available when its time is up and every snapshot behind it is completed. */
    [IMAGE_LOOP]: (key: string): number | void => {
      const { scope, id } = parseLoopKey(key);
      const img = env.store.mutable<ImageRecord>(COLL.images, scope, id);
      if (!img || img.State !== 'pending') return;
      const now = env.clock.now();
      if (now < img.readyAt) return img.readyAt - now;
      const snaps = img.BlockDeviceMappings.flatMap((b) => (b.Ebs?.SnapshotId ? [b.Ebs.SnapshotId] : []));
      const states = snaps.map((s) => env.store.get<SnapshotRecord>(COLL.snapshots, scope, s)?.State ?? 'completed');
      if (states.includes('error')) {
        img.State = 'failed';
      } else if (states.some((s) => s !== 'completed')) {
        return 5_000;
      } else img.State = 'available';
      env.store.put(COLL.images, scope, id, img);
    },
  };
}

export const imageHandlers = {
  CreateImage(
    input: { InstanceId: string; Name: string; Description?: string; NoReboot?: boolean; BlockDeviceMappings?: BdmInput[]; TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[]; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    checkId('InstanceID', 'i', input.InstanceId);
    const inst = ctx.env.store.mutable<InstanceRecord>(COLL.instances, ctx, input.InstanceId);
    if (!inst) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceId}' does not exist`);
    if (inst.State.Name !== 'running' && inst.State.Name !== 'stopped') {
      throw new AwsError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a state from which it can be imaged (${inst.State.Name}).`);
    }
    checkName(ctx, input.Name);
    checkTagTypes(input.TagSpecifications, ['image', 'snapshot']);
    const imageTags = tagsFor(input.TagSpecifications, 'image');
    const snapTags = tagsFor(input.TagSpecifications, 'snapshot');
    for (const b of input.BlockDeviceMappings ?? []) {
      if (!b.DeviceName || !isDeviceName(b.DeviceName)) throw new AwsError('InvalidBlockDeviceMapping', `Invalid device name ${b.DeviceName ?? ''}`);
    }
    const imageId = resourceId('ami');
    const overrides = new Map((input.BlockDeviceMappings ?? []).map((b) => [b.DeviceName!, b]));
    const bdms: ImageBlockDeviceRecord[] = [];
    for (const b of inst.BlockDeviceMappings) {
      const o = overrides.get(b.DeviceName);
      if (o?.NoDevice !== undefined) continue;
      const v = ctx.env.store.get<VolumeRecord>(COLL.volumes, ctx, b.Ebs.VolumeId);
      if (!v) continue;
      const snap = snapshotVolume(ctx, v, `Created by CreateImage(${inst.InstanceId}) for ${imageId}`, snapTags);
      bdms.push({
        DeviceName: b.DeviceName,
        Ebs: {
          DeleteOnTermination: o?.Ebs?.DeleteOnTermination ?? b.Ebs.DeleteOnTermination,
          SnapshotId: snap.SnapshotId,
          VolumeSize: Math.max(o?.Ebs?.VolumeSize ?? v.Size, v.Size),
          VolumeType: o?.Ebs?.VolumeType ?? v.VolumeType,
          Encrypted: v.Encrypted,
          Iops: v.VolumeType === 'gp2' ? undefined : v.Iops,
        },
      });
    }
    for (const [device, o] of overrides) {
      if (o.NoDevice !== undefined || bdms.some((b) => b.DeviceName === device)) continue;
      if (o.VirtualName) bdms.push({ DeviceName: device, VirtualName: o.VirtualName });
      else if (o.Ebs) bdms.push({ DeviceName: device, Ebs: { DeleteOnTermination: o.Ebs.DeleteOnTermination ?? true, VolumeSize: o.Ebs.VolumeSize ?? 8, VolumeType: o.Ebs.VolumeType ?? 'gp2', Encrypted: !!o.Ebs.Encrypted } });
    }
    const now = ctx.env.clock.now();
    const img = baseImage(ctx, imageId, input.Name, input.Description, inst.RootDeviceName, bdms, imageTags, now + ctx.env.config.imageSeconds * 1000);
    img.SourceInstanceId = inst.InstanceId;
    ctx.env.store.put(COLL.images, ctx, imageId, img);
    if (!input.NoReboot && inst.State.Name === 'running') {
      // The instance reboots so that its file systems are consistent; its state stays running.
      inst.lastRebootAt = now;
      ctx.env.store.put(COLL.instances, ctx, inst.InstanceId, inst);
    }
    ctx.env.scheduler.enqueue(IMAGE_LOOP, loopKey(ctx, imageId), img.readyAt);
    return { ImageId: imageId };
  },

  RegisterImage(
    input: {
      Name: string;
      Description?: string;
      Architecture?: string;
      RootDeviceName?: string;
      VirtualizationType?: string;
      BlockDeviceMappings?: BdmInput[];
      ImageLocation?: string;
      EnaSupport?: boolean;
      SriovNetSupport?: string;
      BootMode?: string;
      TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[];
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    if (input.ImageLocation) throw new AwsError('UnsupportedOperation', 'faultline registers EBS-backed images from snapshots only; ImageLocation (instance-store manifests) is not supported.');
    checkName(ctx, input.Name);
    const root = input.RootDeviceName ?? '/dev/sda1';
    const mappings = input.BlockDeviceMappings ?? [];
    const bdms: ImageBlockDeviceRecord[] = [];
    for (const b of mappings) {
      if (!b.DeviceName || !isDeviceName(b.DeviceName)) throw new AwsError('InvalidBlockDeviceMapping', `Invalid device name ${b.DeviceName ?? ''}`);
      if (b.NoDevice !== undefined) continue;
      if (b.VirtualName) {
        bdms.push({ DeviceName: b.DeviceName, VirtualName: b.VirtualName });
        continue;
      }
      const snap = b.Ebs?.SnapshotId ? findSnapshot(ctx, b.Ebs.SnapshotId) : undefined;
      const size = b.Ebs?.VolumeSize ?? snap?.VolumeSize;
      if (size === undefined) throw new AwsError('InvalidBlockDeviceMapping', `The block device mapping for ${b.DeviceName} needs a snapshot id or a volume size.`);
      if (snap && size < snap.VolumeSize) throw new AwsError('InvalidBlockDeviceMapping', `Volume of size ${size}GiB is smaller than snapshot '${snap.SnapshotId}', expect size >= ${snap.VolumeSize}GiB`);
      bdms.push({ DeviceName: b.DeviceName, Ebs: { DeleteOnTermination: b.Ebs?.DeleteOnTermination ?? true, SnapshotId: snap?.SnapshotId, VolumeSize: size, VolumeType: b.Ebs?.VolumeType ?? 'gp2', Encrypted: !!(b.Ebs?.Encrypted ?? snap?.Encrypted) } });
    }
    const rootMapping = bdms.find((b) => b.DeviceName === root);
    if (!rootMapping?.Ebs?.SnapshotId) {
      throw new AwsError('InvalidBlockDeviceMapping', `The root device ${root} must have a block device mapping with an EBS snapshot.`);
    }
    checkTagTypes(input.TagSpecifications, ['image']);
    const tags = tagsFor(input.TagSpecifications, 'image');
    const imageId = resourceId('ami');
    const img = baseImage(ctx, imageId, input.Name, input.Description, root, bdms, tags, ctx.env.clock.now() + REGISTER_MS);
    img.Architecture = input.Architecture ?? 'x86_64';
    img.VirtualizationType = input.VirtualizationType ?? 'hvm';
    img.EnaSupport = input.EnaSupport ?? false;
    img.SriovNetSupport = input.SriovNetSupport;
    img.BootMode = input.BootMode;
    ctx.env.store.put(COLL.images, ctx, imageId, img);
    ctx.env.scheduler.enqueue(IMAGE_LOOP, loopKey(ctx, imageId), img.readyAt);
    return { ImageId: imageId };
  },

  DeregisterImage(input: { ImageId: string; DeleteAssociatedSnapshots?: boolean; DryRun?: boolean }, ctx: RequestContext) {
    checkImageId(input.ImageId);
    const img = ctx.env.store.get<ImageRecord>(COLL.images, ctx, input.ImageId);
    if (!img) {
      if (builtinImage(ctx.region, input.ImageId)) throw new AwsError('AuthFailure', `Not authorized for image:${input.ImageId}`);
      throw imageNotFound(input.ImageId);
    }
    ctx.env.store.delete(COLL.images, ctx, img.ImageId);
    const results: { SnapshotId: string; ReturnCode: string }[] = [];
    if (input.DeleteAssociatedSnapshots) {
      const others = ctx.env.store.list<ImageRecord>(COLL.images, ctx);
      for (const b of img.BlockDeviceMappings) {
        const sid = b.Ebs?.SnapshotId;
        if (!sid || !ctx.env.store.get(COLL.snapshots, ctx, sid)) continue;
        if (others.some((o) => o.BlockDeviceMappings.some((ob) => ob.Ebs?.SnapshotId === sid))) {
          results.push({ SnapshotId: sid, ReturnCode: 'error-generic' });
          continue;
        }
        ctx.env.store.delete(COLL.snapshots, ctx, sid);
        results.push({ SnapshotId: sid, ReturnCode: 'success' });
      }
    }
    return { Return: true, DeleteSnapshotResults: input.DeleteAssociatedSnapshots ? results : undefined };
  },

  DescribeImages(
    input: { ImageIds?: string[]; Owners?: string[]; ExecutableUsers?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; IncludeDeprecated?: boolean; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    for (const id of input.ImageIds ?? []) checkImageId(id);
    if (input.ImageIds?.length && input.MaxResults !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'The parameter ImageIds cannot be used with the parameter maxResults');
    }
    const own = ctx.env.store.list<ImageRecord>(COLL.images, ctx) as ImageRecord[];
    let pool: ImageRecord[] = [...own, ...builtinImages(ctx.region)];
    if (input.ImageIds?.length) {
      const byId = new Map(pool.map((i) => [i.ImageId, i]));
      const missing = input.ImageIds.filter((id) => !byId.has(id));
      if (missing.length) throw imageNotFound(missing.join(', '));
      pool = [...new Set(input.ImageIds)].map((id) => byId.get(id)!);
    }
    if (input.Owners?.length) {
      const owners = input.Owners;
      pool = pool.filter((i) => owners.some((o) => (o === 'self' ? i.OwnerId === ctx.account : o === 'amazon' ? i.ImageOwnerAlias === 'amazon' : o === i.OwnerId)));
    }
    const filtered = applyFilters(pool, input.Filters, {
      'image-id': (i) => i.ImageId,
      name: (i) => i.Name,
      description: (i) => i.Description,
      state: (i) => i.State,
      'owner-id': (i) => i.OwnerId,
      'owner-alias': (i) => i.ImageOwnerAlias,
      architecture: (i) => i.Architecture,
      'image-type': (i) => i.ImageType,
      'is-public': (i) => i.Public,
      hypervisor: (i) => i.Hypervisor,
      'virtualization-type': (i) => i.VirtualizationType,
      'root-device-type': (i) => i.RootDeviceType,
      'root-device-name': (i) => i.RootDeviceName,
      'platform-details': (i) => i.PlatformDetails,
      'usage-operation': (i) => i.UsageOperation,
      'creation-date': (i) => i.CreationDate,
      'ena-support': (i) => i.EnaSupport,
      'sriov-net-support': (i) => i.SriovNetSupport,
      'manifest-location': (i) => i.ImageLocation,
      'source-instance-id': (i) => i.SourceInstanceId,
      'block-device-mapping.device-name': (i) => i.BlockDeviceMappings.map((b) => b.DeviceName),
      'block-device-mapping.snapshot-id': (i) => i.BlockDeviceMappings.map((b) => b.Ebs?.SnapshotId),
      'block-device-mapping.volume-size': (i) => i.BlockDeviceMappings.map((b) => b.Ebs?.VolumeSize),
      'block-device-mapping.volume-type': (i) => i.BlockDeviceMappings.map((b) => b.Ebs?.VolumeType),
      'block-device-mapping.delete-on-termination': (i) => i.BlockDeviceMappings.map((b) => b.Ebs?.DeleteOnTermination),
      'block-device-mapping.encrypted': (i) => i.BlockDeviceMappings.map((b) => b.Ebs?.Encrypted),
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 6, 1000);
    return { Images: page, NextToken };
  },
};
