/**
 * DB snapshots, manual and automated, and the restores that make new instances from them or from
 * a point in time (spec rds.md §5). A snapshot is `creating` for `rdsSnapshotSeconds` (the
 * snapshot loop makes it `available`); the engine runtime copies the data of the instance it names
 * (by DbiResourceId) as it was then, or for a copy, its source snapshot's data. A point-in-time
 * restore reaches back to the latest 5-minute log upload.
 */
import { pageOf } from '../../core/paging.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { checkIdentifier, rdsErrors } from './errors.ts';
import { logEvent } from './events.ts';
import { earliestRestorableTime, findInstance, instanceSource, latestRestorableTime, newInstance, portOf, view as instanceView, type NewInstanceInput } from './instances.ts';
import { COLL, SNAPSHOT_LOOP, scopedKey, parseScopedKey, snapshotIdOf, type DBInstanceRecord, type DBSnapshotRecord, type SubnetGroupRecord, type Tag } from './state.ts';

type Read<T> = DeepReadonly<T>;
const MAX_MANUAL = 100;

export const snapshotArn = (scope: Scope, id: string) => `arn:aws:rds:${scope.region}:${scope.account}:snapshot:${id}`;
const snapshotSource = (scope: Scope, id: string) => ({ SourceIdentifier: id, SourceType: 'db-snapshot' as const, SourceArn: snapshotArn(scope, id) });
const iso = (ms: number) => new Date(ms).toISOString();

/** `rds:<db-id>-YYYY-MM-DD-HH-MM`, the name AWS gives automated snapshots. */
export const automatedName = (id: string, at: number) => `rds:${id}-${iso(at).slice(0, 16).replace(/[T:]/g, '-')}`;

export function findSnapshot(ctx: { env: Env } & Scope, id: string): Read<DBSnapshotRecord> {
  const s = ctx.env.store.get<DBSnapshotRecord>(COLL.snapshots, ctx, id.toLowerCase());
  if (!s) throw rdsErrors.snapshotNotFound(id);
  return s;
}

/**
 * Takes a snapshot of an instance now: `creating` until `rdsSnapshotSeconds` (or `takesMs`) have
 * passed. Manual names follow the identifier rules; automated ones are AWS's `rds:` names.
 */
export function takeSnapshot(env: Env, scope: Scope, i: Read<DBInstanceRecord>, name: string, type: 'manual' | 'automated', takesMs = env.config.rdsSnapshotSeconds * 1000, tags?: Tag[]): DBSnapshotRecord {
  const id = type === 'manual' ? checkIdentifier(name, 'DBSnapshotIdentifier', 255) : name;
  if (env.store.get(COLL.snapshots, scope, id)) throw rdsErrors.snapshotExists(id);
  if (type === 'manual' && env.store.list<DBSnapshotRecord>(COLL.snapshots, scope).filter((s) => s.SnapshotType === 'manual').length >= MAX_MANUAL) throw rdsErrors.snapshotQuota();
  const now = env.clock.now();
  const group = env.store.get<SubnetGroupRecord>(COLL.subnetGroups, scope, i.DBSubnetGroupName);
  const s: DBSnapshotRecord = {
    DBSnapshotIdentifier: id,
    DBInstanceIdentifier: i.DBInstanceIdentifier,
    DBSnapshotArn: snapshotArn(scope, id),
    SnapshotCreateTime: iso(now),
    Engine: i.Engine,
    EngineVersion: i.EngineVersion,
    AllocatedStorage: i.AllocatedStorage,
    Status: 'creating',
    Port: portOf(i),
    AvailabilityZone: i.AvailabilityZone,
    VpcId: group?.VpcId,
    InstanceCreateTime: i.InstanceCreateTime,
    MasterUsername: i.MasterUsername,
    SnapshotType: type,
    PercentProgress: 0,
    DbiResourceId: i.DbiResourceId,
    tags: tags ?? (i.CopyTagsToSnapshot ? [...i.tags] : []),
    takenAt: now,
    readyAt: now + takesMs,
    masterPassword: i.masterPassword,
    DBInstanceClass: i.DBInstanceClass,
  };
  env.store.put(COLL.snapshots, scope, id, s);
  logEvent(env, scope, snapshotSource(scope, id), { id: type === 'manual' ? 'RDS-EVENT-0040' : 'RDS-EVENT-0090' });
  env.scheduler.enqueue(SNAPSHOT_LOOP, scopedKey(scope, id), s.readyAt);
  return s;
}

/** A snapshot becomes `available` when its time is up. */
export const snapshotLoop = (env: Env) => (key: string): number | void => {
  const { scope, id } = parseScopedKey(key);
  const s = env.store.mutable<DBSnapshotRecord>(COLL.snapshots, scope, id);
  if (!s || s.Status !== 'creating') return;
  const now = env.clock.now();
  if (s.readyAt !== undefined && now < s.readyAt) return s.readyAt - now;
  s.Status = 'available';
  s.PercentProgress = 100;
  s.readyAt = undefined;
  env.store.put(COLL.snapshots, scope, id, s);
  logEvent(env, scope, snapshotSource(scope, id), { id: s.SnapshotType === 'manual' ? 'RDS-EVENT-0042' : 'RDS-EVENT-0091' });
  if (s.SnapshotType === 'automated') backedUp(env, scope, s);
};

/** The first automated backup of an instance with backups on makes it restorable to a point in time from then. */
function backedUp(env: Env, scope: Scope, s: Read<DBSnapshotRecord>): void {
  const i = env.store.mutable<DBInstanceRecord>(COLL.instances, scope, s.DBInstanceIdentifier);
  if (!i || i.DbiResourceId !== s.DbiResourceId || i.BackupRetentionPeriod === 0 || i.restorableFrom !== undefined) return;
  i.restorableFrom = s.takenAt;
  env.store.put(COLL.instances, scope, i.DBInstanceIdentifier, i);
}

/** Deletes an instance's automated snapshots (its deletion, or backups turned off). */
export function deleteAutomatedBackups(env: Env, scope: Scope, i: Read<DBInstanceRecord>): void {
  for (const s of env.store.list<DBSnapshotRecord>(COLL.snapshots, scope)) {
    if (s.SnapshotType === 'automated' && s.DbiResourceId === i.DbiResourceId) env.store.delete(COLL.snapshots, scope, s.DBSnapshotIdentifier);
  }
}

const view = (s: Read<DBSnapshotRecord>) => ({ ...s, TagList: s.tags, LicenseModel: s.Engine === 'postgres' ? 'postgresql-license' : 'general-public-license', Encrypted: false, StorageType: 'gp3', SnapshotTarget: 'region', OriginalSnapshotCreateTime: s.SnapshotCreateTime });

/** What a new instance from a snapshot or point in time takes from its source, unless the call says otherwise. */
function restoredInput(input: Partial<NewInstanceInput> & { DBInstanceIdentifier: string }, from: { Engine: string; EngineVersion: string; DBInstanceClass: string; AllocatedStorage: number; MasterUsername: string; Port: number }): NewInstanceInput {
  if (input.AllocatedStorage !== undefined && input.AllocatedStorage < from.AllocatedStorage) {
    throw rdsErrors.invalidValue(`The allocated storage ${input.AllocatedStorage} is less than the source's ${from.AllocatedStorage}: storage can't shrink on restore.`);
  }
  if (input.Engine !== undefined && input.Engine !== from.Engine) throw rdsErrors.invalidCombination(`The engine ${input.Engine} does not match the source's engine ${from.Engine}.`);
  return {
    ...input,
    Engine: from.Engine,
    EngineVersion: from.EngineVersion,
    DBInstanceClass: input.DBInstanceClass ?? from.DBInstanceClass,
    AllocatedStorage: input.AllocatedStorage ?? from.AllocatedStorage,
    MasterUsername: from.MasterUsername,
    Port: input.Port ?? from.Port,
  };
}

interface RestoreCommon {
  DBInstanceClass?: string;
  Port?: number;
  AvailabilityZone?: string;
  DBSubnetGroupName?: string;
  MultiAZ?: boolean;
  PubliclyAccessible?: boolean;
  AutoMinorVersionUpgrade?: boolean;
  DBName?: string;
  Engine?: string;
  StorageType?: string;
  AllocatedStorage?: number;
  Tags?: Tag[];
  VpcSecurityGroupIds?: string[];
  DBParameterGroupName?: string;
  DeletionProtection?: boolean;
  CopyTagsToSnapshot?: boolean;
  BackupRetentionPeriod?: number;
}

export const snapshotHandlers = {
  CreateDBSnapshot(input: { DBSnapshotIdentifier: string; DBInstanceIdentifier: string; Tags?: Tag[] }, ctx: RequestContext) {
    const i = findInstance(ctx, input.DBInstanceIdentifier);
    if (i.DBInstanceStatus !== 'available') throw rdsErrors.instanceState(`Cannot create a snapshot because the database instance ${i.DBInstanceIdentifier} is not currently in the available state.`);
    const tags = input.Tags?.length ? input.Tags : undefined;
    return { DBSnapshot: view(takeSnapshot(ctx.env, ctx, i, input.DBSnapshotIdentifier, 'manual', undefined, tags)) };
  },

  DescribeDBSnapshots(input: { DBInstanceIdentifier?: string; DBSnapshotIdentifier?: string; SnapshotType?: string; DbiResourceId?: string; Marker?: string; MaxRecords?: number }, ctx: RequestContext) {
    let list = input.DBSnapshotIdentifier !== undefined ? [findSnapshot(ctx, input.DBSnapshotIdentifier)] : ctx.env.store.list<DBSnapshotRecord>(COLL.snapshots, ctx);
    if (input.DBInstanceIdentifier !== undefined) list = list.filter((s) => s.DBInstanceIdentifier === input.DBInstanceIdentifier!.toLowerCase());
    if (input.SnapshotType !== undefined) list = list.filter((s) => s.SnapshotType === input.SnapshotType);
    if (input.DbiResourceId !== undefined) list = list.filter((s) => s.DbiResourceId === input.DbiResourceId);
    const page = pageOf(list.map(view), input.Marker, input.MaxRecords ?? 100, () => rdsErrors.invalidValue('The marker is not valid.'));
    return { DBSnapshots: page.items, Marker: page.next };
  },

  DeleteDBSnapshot(input: { DBSnapshotIdentifier: string }, ctx: RequestContext) {
    const s = findSnapshot(ctx, input.DBSnapshotIdentifier);
    if (s.Status !== 'available') throw rdsErrors.snapshotState(`Cannot delete the snapshot because it is not currently in the available state.`);
    if (s.SnapshotType === 'automated') throw rdsErrors.snapshotState('Cannot delete an automated snapshot: it goes with its retention period.');
    ctx.env.store.delete(COLL.snapshots, ctx, s.DBSnapshotIdentifier);
    logEvent(ctx.env, ctx, snapshotSource(ctx, s.DBSnapshotIdentifier), { id: 'RDS-EVENT-0041' });
    return { DBSnapshot: view({ ...s, Status: 'deleting' }) };
  },

  CopyDBSnapshot(input: { SourceDBSnapshotIdentifier: string; TargetDBSnapshotIdentifier: string; Tags?: Tag[]; CopyTags?: boolean }, ctx: RequestContext) {
    const src = findSnapshot(ctx, snapshotIdOf(input.SourceDBSnapshotIdentifier));
    if (src.Status !== 'available') throw rdsErrors.snapshotState('Cannot copy the snapshot because it is not currently in the available state.');
    const id = checkIdentifier(input.TargetDBSnapshotIdentifier, 'TargetDBSnapshotIdentifier', 255);
    if (ctx.env.store.get(COLL.snapshots, ctx, id)) throw rdsErrors.snapshotExists(id);
    const now = ctx.env.clock.now();
    const copy: DBSnapshotRecord = {
      ...structuredClone(src as DBSnapshotRecord),
      DBSnapshotIdentifier: id,
      DBSnapshotArn: snapshotArn(ctx, id),
      SnapshotType: 'manual',
      Status: 'creating',
      PercentProgress: 0,
      SnapshotCreateTime: iso(now),
      SourceDBSnapshotIdentifier: src.DBSnapshotArn,
      tags: input.Tags?.length ? input.Tags : input.CopyTags ? [...src.tags] : [],
      readyAt: now + ctx.env.config.rdsSnapshotSeconds * 1000,
    };
    ctx.env.store.put(COLL.snapshots, ctx, id, copy);
    ctx.env.scheduler.enqueue(SNAPSHOT_LOOP, scopedKey(ctx, id), copy.readyAt);
    return { DBSnapshot: view(copy) };
  },

  RestoreDBInstanceFromDBSnapshot(input: RestoreCommon & { DBInstanceIdentifier: string; DBSnapshotIdentifier?: string }, ctx: RequestContext) {
    if (input.DBSnapshotIdentifier === undefined) throw rdsErrors.invalidValue('The parameter DBSnapshotIdentifier must be provided.');
    const s = findSnapshot(ctx, snapshotIdOf(input.DBSnapshotIdentifier));
    if (s.Status !== 'available') throw rdsErrors.snapshotState(`Snapshot ${s.DBSnapshotIdentifier} is not available.`);
    const rec = newInstance(ctx, restoredInput({ ...input, BackupRetentionPeriod: input.BackupRetentionPeriod }, { ...s, Port: s.Port }), {
      masterPassword: s.masterPassword,
      restoredFrom: { snapshot: s.DBSnapshotIdentifier, sourceInstance: s.DBInstanceIdentifier },
      createdEvent: { eventId: 'RDS-EVENT-0043', message: s.DBSnapshotIdentifier },
    });
    return { DBInstance: instanceView(ctx.env, ctx, rec) };
  },

  RestoreDBInstanceToPointInTime(
    input: RestoreCommon & { TargetDBInstanceIdentifier: string; SourceDBInstanceIdentifier?: string; SourceDbiResourceId?: string; RestoreTime?: string | Date; UseLatestRestorableTime?: boolean },
    ctx: RequestContext,
  ) {
    const { env } = ctx;
    if (input.SourceDBInstanceIdentifier === undefined && input.SourceDbiResourceId === undefined) throw rdsErrors.invalidValue('One of SourceDBInstanceIdentifier or SourceDbiResourceId must be provided.');
    const src =
      input.SourceDBInstanceIdentifier !== undefined
        ? findInstance(ctx, input.SourceDBInstanceIdentifier)
        : env.store.list<DBInstanceRecord>(COLL.instances, ctx).find((i) => i.DbiResourceId === input.SourceDbiResourceId);
    if (!src) throw rdsErrors.instanceNotFound(input.SourceDbiResourceId!);
    if (input.RestoreTime !== undefined && input.UseLatestRestorableTime) throw rdsErrors.invalidCombination('Cannot specify both RestoreTime and UseLatestRestorableTime.');
    if (input.RestoreTime === undefined && !input.UseLatestRestorableTime) throw rdsErrors.invalidCombination('Either RestoreTime or UseLatestRestorableTime must be specified.');
    if (src.BackupRetentionPeriod === 0) throw rdsErrors.pitrNotEnabled(src.DBInstanceIdentifier);
    const latest = latestRestorableTime(env, src);
    const earliest = earliestRestorableTime(env, src);
    // Backups are on, but the first one is not done yet: nothing to restore from.
    if (latest === undefined || earliest === undefined) throw rdsErrors.automatedBackupNotFound();
    const at = input.RestoreTime === undefined ? latest : input.RestoreTime instanceof Date ? input.RestoreTime.getTime() : Date.parse(input.RestoreTime);
    if (!(at >= earliest && at <= latest)) {
      throw rdsErrors.invalidRestore(`Restore time ${iso(at)} is outside the restorable window of DB instance ${src.DBInstanceIdentifier}: ${iso(earliest)} to ${iso(latest)}.`);
    }
    const { TargetDBInstanceIdentifier, SourceDBInstanceIdentifier: _s, SourceDbiResourceId: _r, RestoreTime: _t, UseLatestRestorableTime: _u, ...rest } = input;
    const rec = newInstance(ctx, restoredInput({ ...rest, DBInstanceIdentifier: TargetDBInstanceIdentifier }, { ...src, Port: portOf(src) }), {
      masterPassword: src.masterPassword,
      restoredFrom: { sourceInstance: src.DBInstanceIdentifier, sourceDbiResourceId: src.DbiResourceId, pointInTime: iso(at) },
      createdEvent: { eventId: 'RDS-EVENT-0019', message: src.DBInstanceIdentifier },
    });
    return { DBInstance: instanceView(env, ctx, rec) };
  },

  DescribeDBInstanceAutomatedBackups(input: { DBInstanceIdentifier?: string; DbiResourceId?: string; Marker?: string; MaxRecords?: number }, ctx: RequestContext) {
    const { env } = ctx;
    const list = env.store
      .list<DBInstanceRecord>(COLL.instances, ctx)
      .filter((i) => i.BackupRetentionPeriod > 0 && i.InstanceCreateTime)
      .filter((i) => (input.DBInstanceIdentifier === undefined || i.DBInstanceIdentifier === input.DBInstanceIdentifier.toLowerCase()) && (input.DbiResourceId === undefined || i.DbiResourceId === input.DbiResourceId))
      .map((i) => ({ i, earliest: earliestRestorableTime(env, i), latest: latestRestorableTime(env, i) }))
      .map(({ i, earliest, latest }) => ({
        DBInstanceArn: i.DBInstanceArn,
        DbiResourceId: i.DbiResourceId,
        DBInstanceIdentifier: i.DBInstanceIdentifier,
        DBInstanceAutomatedBackupsArn: `arn:aws:rds:${ctx.region}:${ctx.account}:auto-backup:ab-${i.DbiResourceId.slice(3).toLowerCase()}`,
        Region: ctx.region,
        // AWS's `creating`: waiting for the first automated backup, with no restore window yet.
        RestoreWindow: earliest !== undefined && latest !== undefined ? { EarliestTime: iso(earliest), LatestTime: iso(latest) } : {},
        AllocatedStorage: i.AllocatedStorage,
        Status: latest !== undefined ? 'active' : 'creating',
        Port: portOf(i),
        AvailabilityZone: i.AvailabilityZone,
        InstanceCreateTime: i.InstanceCreateTime,
        MasterUsername: i.MasterUsername,
        Engine: i.Engine,
        EngineVersion: i.EngineVersion,
        BackupRetentionPeriod: i.BackupRetentionPeriod,
        StorageType: i.StorageType,
        Encrypted: i.StorageEncrypted,
        BackupTarget: 'region',
      }));
    const page = pageOf(list, input.Marker, input.MaxRecords ?? 100, () => rdsErrors.invalidValue('The marker is not valid.'));
    return { DBInstanceAutomatedBackups: page.items, Marker: page.next };
  },
};

