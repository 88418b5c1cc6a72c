/**
 * EBS snapshots: CreateSnapshot, DeleteSnapshot, DescribeSnapshots, and the loop that takes a
 * snapshot from `pending` to `completed` over `config.snapshotSeconds`, with its Progress
 * climbing on the way. A snapshot behind a registered image cannot be deleted.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { builtinSnapshot, builtinSnapshots } from './builtin-images.ts';
import { applyFilters, paginate, type Filter, type Tag } from './filters.ts';
import { checkId, checkTagTypes, iso, loopKey, parseLoopKey } from './scoped.ts';
import { COLL, type ImageRecord, type SnapshotRecord, type VolumeRecord } from './state.ts';
import { tagsFor } from './tags.ts';

export const SNAPSHOT_LOOP = 'ec2.snapshot';

export const snapshotNotFound = (id: string) => new AwsError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);

/** A snapshot the account can use: its own, or one behind a built-in image. */
export function findSnapshot(ctx: RequestContext, id: string): SnapshotRecord {
  checkId('Snapshot', 'snap', id);
  const s = (ctx.env.store.mutable<SnapshotRecord>(COLL.snapshots, ctx, id) as SnapshotRecord | undefined) ?? builtinSnapshot(ctx.region, id);
  if (!s) throw snapshotNotFound(id);
  return s;
}

/** A new pending snapshot of a volume, queued to complete on the clock. */
export function snapshotVolume(ctx: RequestContext, v: Pick<VolumeRecord, 'VolumeId' | 'Size' | 'Encrypted'>, description: string, tags: Tag[]): SnapshotRecord {
  const now = ctx.env.clock.now();
  const snap: SnapshotRecord = {
    SnapshotId: resourceId('snap'),
    VolumeId: v.VolumeId,
    State: 'pending',
    StartTime: iso(now),
    Progress: '0%',
    OwnerId: ctx.account,
    VolumeSize: v.Size,
    Description: description,
    Encrypted: v.Encrypted,
    StorageTier: 'standard',
    Tags: tags,
    readyAt: now + ctx.env.config.snapshotSeconds * 1000,
  };
  ctx.env.store.put(COLL.snapshots, ctx, snap.SnapshotId, snap);
  ctx.env.scheduler.enqueue(SNAPSHOT_LOOP, loopKey(ctx, snap.SnapshotId), now);
  return snap;
}

/** The images of this account and region whose block devices use the snapshot. */
export function imagesUsing(env: Env, scope: Scope, snapshotId: string): string[] {
  return env.store
    .list<ImageRecord>(COLL.images, scope)
    .filter((img) => img.BlockDeviceMappings.some((b) => b.Ebs?.SnapshotId === snapshotId))
    .map((img) => img.ImageId);
}

export function snapshotLoops(env: Env) {
  return {
    /** pending → completed at readyAt; Progress is refreshed in quarter steps until then. */
    [SNAPSHOT_LOOP]: (key: string): number | void => {
      const { scope, id } = parseLoopKey(key);
      const s = env.store.mutable<SnapshotRecord>(COLL.snapshots, scope, id);
      if (!s || s.State !== 'pending') return;
      const now = env.clock.now();
      const start = Date.parse(s.StartTime);
      const total = Math.max(1, s.readyAt - start);
      if (now >= s.readyAt) {
        s.State = 'completed';
        s.Progress = '100%';
        s.CompletionTime = iso(now);
        env.store.put(COLL.snapshots, scope, id, s);
        return;
      }
      const pct = `${Math.floor(((now - start) / total) * 100)}%`;
      if (pct !== s.Progress) {
        s.Progress = pct;
        env.store.put(COLL.snapshots, scope, id, s);
      }
      return Math.min(s.readyAt - now, Math.ceil(total / 4));
    },
  };
}

export const snapshotHandlers = {
  CreateSnapshot(input: { VolumeId: string; Description?: string; TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[]; DryRun?: boolean }, ctx: RequestContext) {
    checkId('Volume', 'vol', input.VolumeId);
    const v = ctx.env.store.get<VolumeRecord>(COLL.volumes, ctx, input.VolumeId);
    if (!v) throw new AwsError('InvalidVolume.NotFound', `The volume '${input.VolumeId}' does not exist.`);
    if (v.State === 'creating') throw new AwsError('IncorrectState', `The volume '${v.VolumeId}' is not ready: it is still being created.`);
    checkTagTypes(input.TagSpecifications, ['snapshot']);
    const tags = tagsFor(input.TagSpecifications, 'snapshot');
    return snapshotVolume(ctx, v, input.Description ?? '', tags);
  },

  DeleteSnapshot(input: { SnapshotId: string; DryRun?: boolean }, ctx: RequestContext) {
    checkId('Snapshot', 'snap', input.SnapshotId);
    const s = ctx.env.store.get<SnapshotRecord>(COLL.snapshots, ctx, input.SnapshotId);
    if (!s) {
      if (builtinSnapshot(ctx.region, input.SnapshotId)) throw new AwsError('UnauthorizedOperation', `You are not authorized to delete snapshot ${input.SnapshotId}; it is owned by amazon.`);
      throw snapshotNotFound(input.SnapshotId);
    }
    const users = imagesUsing(ctx.env, ctx, s.SnapshotId);
    if (users.length) throw new AwsError('InvalidSnapshot.InUse', `The snapshot ${s.SnapshotId} is currently in use by ${users[0]}`);
    ctx.env.store.delete(COLL.snapshots, ctx, s.SnapshotId);
    return {};
  },

  DescribeSnapshots(
    input: { SnapshotIds?: string[]; OwnerIds?: string[]; RestorableByUserIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    for (const id of input.SnapshotIds ?? []) checkId('Snapshot', 'snap', id);
    if (input.SnapshotIds?.length && input.MaxResults !== undefined) {
      throw new AwsError('InvalidParameterCombination', 'The parameter snapshotSet cannot be used with the parameter maxResults');
    }
    const own = ctx.env.store.list<SnapshotRecord>(COLL.snapshots, ctx) as SnapshotRecord[];
    const amazon = builtinSnapshots(ctx.region);
    let pool: SnapshotRecord[];
    if (input.SnapshotIds?.length) {
      const byId = new Map([...amazon, ...own].map((s) => [s.SnapshotId, s]));
      const missing = input.SnapshotIds.filter((id) => !byId.has(id));
      if (missing.length) throw snapshotNotFound(missing.join(', '));
      pool = [...new Set(input.SnapshotIds)].map((id) => byId.get(id)!);
    } else pool = [...own, ...amazon];
    if (input.OwnerIds?.length) {
      const owners = input.OwnerIds;
      pool = pool.filter((s) => owners.some((o) => (o === 'self' ? s.OwnerId === ctx.account : o === 'amazon' ? s.OwnerAlias === 'amazon' : o === s.OwnerId)));
    } else if (!input.SnapshotIds?.length) {
      // Without owners or ids, list what the account owns (AWS would add every public snapshot).
      pool = pool.filter((s) => s.OwnerId === ctx.account);
    }
    const filtered = applyFilters(pool, input.Filters, {
      'snapshot-id': (s) => s.SnapshotId,
      'volume-id': (s) => s.VolumeId,
      'volume-size': (s) => s.VolumeSize,
      status: (s) => s.State,
      progress: (s) => s.Progress,
      'start-time': (s) => s.StartTime,
      'owner-id': (s) => s.OwnerId,
      'owner-alias': (s) => s.OwnerAlias,
      description: (s) => s.Description,
      encrypted: (s) => s.Encrypted,
      'storage-tier': (s) => s.StorageTier,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 1000);
    return { Snapshots: page, NextToken };
  },
};
