/**
 * DB instances (spec rds.md §2, §5, §6): create with AWS's validations (nothing is written until
 * all pass), describe, modify, reboot, stop, start and delete. Each call sets the status and when
 * it ends (`statusUntil`); the instance loop (instance.loop.ts) moves it on the clock, watches the
 * world and fails over. The endpoint's address is `ID.cXXXXXXXXXXX.REGION.rds.amazonaws.com`,
 * served at `endpointIp`, a loopback address from the public IP pool that stays the instance's
 * for its life (it moves with the primary, as AWS's CNAME does), and inside the VPC at the
 * private address of its interface in the primary's subnet (network-interface.ts).
 */
import { createHash, randomInt } from 'node:crypto';
import { pageOf } from '../../core/paging.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { allocatePublicIp, releasePublicIp } from '../ec2/public-ips.ts';
import { COLL as EC2, type SecurityGroupRecord, type VpcRecord } from '../ec2/state.ts';
import type { Env, RequestContext } from '../service.ts';
import { checkClass, checkStorage, ENGINES, engineOf, versionOf } from './catalogue.ts';
import { checkIdentifier, rdsErrors } from './errors.ts';
import { logEvent } from './events.ts';
import { defaultParameterGroup, findParameterGroup } from './parameter-groups.ts';
import { placeInterface, releaseInterface, syncInterfaceGroups } from './network-interface.ts';
import { groupZones, placeCopy } from './placement.ts';
import { deleteAutomatedBackups, takeSnapshot } from './snapshots.ts';
import { defaultSubnetGroup, findSubnetGroup, view as subnetGroupView } from './subnet-groups.ts';
import { COLL, INSTANCE_LOOP, scopedKey, type DBInstanceRecord, type Engine, type Modification, type SubnetGroupRecord, type Tag } from './state.ts';

type Read<T> = DeepReadonly<T>;
const MINUTE = 60_000;
const RESTORE_GRANULARITY_MS = 5 * MINUTE;
const MAX_INSTANCES = 40;

/** AWS's hosted zone of RDS endpoints by region (Endpoint.HostedZoneId). */
const HOSTED_ZONES: Record<string, string> = { 'us-east-1': 'Z2R2ITUGPM61AM', 'us-west-2': 'Z1PVIF0B656C1W', 'eu-west-1': 'Z29XKXDKYMONMX' };
const hostedZoneId = (region: string) => HOSTED_ZONES[region] ?? 'Z2R2ITUGPM61AM';

/** The 12-character part of endpoint names, fixed per account and region (spec §6). */
const endpointCode = (scope: Scope) => 'c' + BigInt('0x' + createHash('sha256').update(`${scope.account}/${scope.region}`).digest('hex').slice(0, 16)).toString(36).padStart(11, '0').slice(-11);
export const endpointAddress = (scope: Scope, id: string) => `${id}.${endpointCode(scope)}.${scope.region}.rds.amazonaws.com`;
export const instanceArn = (scope: Scope, id: string) => `arn:aws:rds:${scope.region}:${scope.account}:db:${id}`;
const resourceId = () => 'db-' + Array.from({ length: 26 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[randomInt(36)]).join('');
export const portOf = (i: Read<DBInstanceRecord>) => i.Endpoint?.Port ?? i.port ?? ENGINES[i.Engine].port;

export const schedule = (env: Env, scope: Scope, id: string, at = env.clock.now()) => env.scheduler.enqueue(INSTANCE_LOOP, scopedKey(scope, id), at);
export const instanceSource = (scope: Scope, id: string) => ({ SourceIdentifier: id, SourceType: 'db-instance' as const, SourceArn: instanceArn(scope, id) });

export function findInstance(ctx: { env: Env } & Scope, id: string): Read<DBInstanceRecord> {
  const i = ctx.env.store.get<DBInstanceRecord>(COLL.instances, ctx, id.toLowerCase());
  if (!i) throw rdsErrors.instanceNotFound(id);
  return i;
}
export const mutableInstance = (ctx: { env: Env } & Scope, id: string) => structuredClone(findInstance(ctx, id)) as DBInstanceRecord;
export const saveInstance = (env: Env, scope: Scope, i: DBInstanceRecord) => env.store.put(COLL.instances, scope, i.DBInstanceIdentifier, i);

/**
 * The latest time a point-in-time restore can reach: the last 5-minute log upload (spec §5), not
 * before the first automated backup; none until that backup is done.
 */
export function latestRestorableTime(env: Env, i: Read<DBInstanceRecord>): number | undefined {
  if (i.BackupRetentionPeriod === 0 || i.restorableFrom === undefined) return undefined;
  return Math.max(i.restorableFrom, Math.floor(env.clock.now() / RESTORE_GRANULARITY_MS) * RESTORE_GRANULARITY_MS);
}
/** The earliest: the later of the first automated backup and now minus the retention. */
export function earliestRestorableTime(env: Env, i: Read<DBInstanceRecord>): number | undefined {
  if (i.BackupRetentionPeriod === 0 || i.restorableFrom === undefined) return undefined;
  return Math.max(i.restorableFrom, env.clock.now() - i.BackupRetentionPeriod * 86_400_000);
}

/** The instance as DescribeDBInstances shows it. */
export function view(env: Env, scope: Scope, i: Read<DBInstanceRecord>) {
  const group = env.store.get<SubnetGroupRecord>(COLL.subnetGroups, scope, i.DBSubnetGroupName);
  const lrt = latestRestorableTime(env, i);
  return {
    ...i,
    DBSubnetGroup: group ? subnetGroupView(group) : undefined,
    DbInstancePort: 0,
    LatestRestorableTime: lrt === undefined ? undefined : new Date(lrt).toISOString(),
    TagList: i.tags,
    LicenseModel: i.Engine === 'postgres' ? 'postgresql-license' : 'general-public-license',
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    MonitoringInterval: 0,
    IAMDatabaseAuthenticationEnabled: false,
    PerformanceInsightsEnabled: false,
    NetworkType: 'IPV4',
    OptionGroupMemberships: [{ OptionGroupName: `default:${i.Engine}-${i.EngineVersion.split('.').slice(0, i.Engine === 'postgres' ? 1 : 2).join('-')}`, Status: 'in-sync' }],
    ReadReplicaDBInstanceIdentifiers: [],
    StatusInfos: [],
    BackupTarget: 'region',
  };
}

// ---- validation ----

/** Names the engines reserve (undocumented as a list; spec §6 suggests rdsadmin and SQL keywords). */
const RESERVED_USERS = new Set(['rdsadmin', 'rdsrepladmin', 'rds_superuser', 'select', 'insert', 'update', 'delete', 'from', 'where', 'table', 'user', 'grant', 'create', 'drop', 'all', 'and', 'or', 'not', 'null', 'order', 'group']);

function checkUsername(name: string | undefined): string {
  if (name === undefined || name === '') throw rdsErrors.invalidValue('The parameter MasterUsername must be provided and must not be blank.');
  if (!/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(name)) throw rdsErrors.invalidValue('MasterUsername must begin with a letter and contain only letters, digits and underscores, at most 16 characters.');
  if (RESERVED_USERS.has(name.toLowerCase())) throw rdsErrors.invalidValue(`MasterUsername ${name} cannot be used as it is a reserved word used by the engine`);
  return name;
}

export function checkPassword(engine: Engine, password: string | undefined): string {
  if (password === undefined || password === '') throw rdsErrors.invalidValue('The parameter MasterUserPassword must be provided and must not be blank.');
  if (!/^[\x21-\x7e]*$/.test(password) || /[/@"]/.test(password)) throw rdsErrors.invalidValue(`The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '"', ' ' may be used.`);
  const { min, max } = ENGINES[engine].password;
  if (password.length < min) throw rdsErrors.invalidValue(`The parameter MasterUserPassword is not a valid password because it is shorter than ${min} characters.`);
  if (password.length > max) throw rdsErrors.invalidValue(`The parameter MasterUserPassword is not a valid password because it is longer than ${max} characters.`);
  return password;
}

function checkRetention(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 35) throw rdsErrors.invalidValue(`Invalid backup retention period: ${n}. It must be between 0 and 35 days.`);
  return n;
}

const WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const MAINTENANCE = /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;

function securityGroupsOf(ctx: RequestContext, ids: readonly string[] | undefined, vpcId: string) {
  if (!ids?.length) {
    const id = ctx.env.store.get<VpcRecord>(EC2.vpcs, ctx, vpcId)?.defaultSecurityGroupId;
    return id ? [{ VpcSecurityGroupId: id, Status: 'active' as const }] : [];
  }
  return [...new Set(ids)].map((id) => {
    const g = ctx.env.store.get<SecurityGroupRecord>(EC2.securityGroups, ctx, id);
    if (!g) throw rdsErrors.invalidValue(`Invalid security group , groupId= ${id}, groupName=.`);
    if (g.VpcId !== vpcId) throw rdsErrors.invalidCombination(`The DB instance and EC2 security group ${id} are in different VPCs.`);
    return { VpcSecurityGroupId: id, Status: 'active' as const };
  });
}

export interface NewInstanceInput {
  DBInstanceIdentifier: string;
  DBInstanceClass: string;
  Engine: string;
  EngineVersion?: string;
  MasterUsername?: string;
  MasterUserPassword?: string;
  ManageMasterUserPassword?: boolean;
  DBName?: string;
  AllocatedStorage?: number;
  StorageType?: string;
  Iops?: number;
  MultiAZ?: boolean;
  AvailabilityZone?: string;
  DBSubnetGroupName?: string;
  VpcSecurityGroupIds?: string[];
  DBParameterGroupName?: string;
  BackupRetentionPeriod?: number;
  PreferredBackupWindow?: string;
  PreferredMaintenanceWindow?: string;
  Port?: number;
  PubliclyAccessible?: boolean;
  StorageEncrypted?: boolean;
  DeletionProtection?: boolean;
  CopyTagsToSnapshot?: boolean;
  AutoMinorVersionUpgrade?: boolean;
  Tags?: Tag[];
}

/** What a restore brings over from its source (the data, the master user and password). */
export interface Restored {
  masterPassword: string;
  restoredFrom: DBInstanceRecord['engine']['restoredFrom'];
  createdEvent: DBInstanceRecord['createdEvent'];
}

/** Creates an instance (CreateDBInstance and both restores): every check first, then the writes. */
export function newInstance(ctx: RequestContext, input: NewInstanceInput, restored?: Restored): DBInstanceRecord {
  const { env } = ctx;
  const id = checkIdentifier(input.DBInstanceIdentifier, 'DBInstanceIdentifier', 63);
  const engine = engineOf(input.Engine);
  const version = versionOf(engine, input.EngineVersion);
  const cls = checkClass(input.DBInstanceClass);
  const username = checkUsername(input.MasterUsername);
  if (!restored && input.ManageMasterUserPassword && input.MasterUserPassword !== undefined) throw rdsErrors.invalidCombination('Password cannot be specified when ManageMasterUserPassword is true.');
  const password = restored ? restored.masterPassword : checkPassword(engine, input.MasterUserPassword);
  if (input.AllocatedStorage === undefined) throw rdsErrors.invalidValue('The parameter AllocatedStorage must be provided and must not be null.');
  const storageType = input.StorageType ?? (input.Iops !== undefined ? 'io1' : 'gp3');
  checkStorage(engine, storageType, input.AllocatedStorage);
  const multiAz = input.MultiAZ ?? false;
  if (multiAz && input.AvailabilityZone !== undefined) throw rdsErrors.invalidCombination('Requesting a specific availability zone is not valid for Multi-AZ instances.');
  const retention = checkRetention(input.BackupRetentionPeriod ?? 1);
  const port = input.Port ?? ENGINES[engine].port;
  if (!Number.isInteger(port) || port < 1150 || port > 65535) throw rdsErrors.invalidValue(`Invalid port ${port}: it must be between 1150 and 65535.`);
  if (input.PreferredBackupWindow !== undefined && !WINDOW.test(input.PreferredBackupWindow)) throw rdsErrors.invalidValue(`The backup window must be in the format hh24:mi-hh24:mi: ${input.PreferredBackupWindow}`);
  if (input.PreferredMaintenanceWindow !== undefined && !MAINTENANCE.test(input.PreferredMaintenanceWindow.toLowerCase())) throw rdsErrors.invalidValue(`The maintenance window must be in the format ddd:hh24:mi-ddd:hh24:mi: ${input.PreferredMaintenanceWindow}`);
  if (env.store.get(COLL.instances, ctx, id)) throw rdsErrors.instanceExists();
  if (env.store.count(COLL.instances, ctx) >= MAX_INSTANCES) throw rdsErrors.instanceQuota();
  const group = input.DBSubnetGroupName === undefined ? defaultSubnetGroup(ctx) : findSubnetGroup(ctx, input.DBSubnetGroupName);
  const zones = groupZones(group);
  if (input.AvailabilityZone !== undefined && !zones.includes(input.AvailabilityZone)) {
    throw rdsErrors.invalidCombination(`The DB subnet group ${group.DBSubnetGroupName} has no subnet in availability zone ${input.AvailabilityZone}.`);
  }
  if (multiAz && zones.length < 2) throw rdsErrors.notEnoughAzs(zones.length);
  const family = ENGINES[engine].family(version);
  const parameterGroup = input.DBParameterGroupName !== undefined ? findParameterGroup(ctx, input.DBParameterGroupName) : undefined;
  if (parameterGroup && parameterGroup.DBParameterGroupFamily !== family) {
    throw rdsErrors.invalidCombination(`The parameter group ${parameterGroup.DBParameterGroupName} with DBParameterGroupFamily ${parameterGroup.DBParameterGroupFamily} cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily ${family}`);
  }
  const securityGroups = securityGroupsOf(ctx, input.VpcSecurityGroupIds, group.VpcId);
  const primary = placeCopy(env, ctx.region, group, { zone: input.AvailabilityZone });
  if (!primary) throw rdsErrors.capacity(input.AvailabilityZone ?? zones.join(', '));
  const standby = multiAz ? placeCopy(env, ctx.region, group, { avoidZone: primary.zone }) : undefined;
  if (multiAz && !standby) throw rdsErrors.capacity(zones.filter((z) => z !== primary.zone).join(', '));
  const now = env.clock.now();
  const arn = instanceArn(ctx, id);
  const rec: DBInstanceRecord = {
    DBInstanceIdentifier: id,
    DBInstanceArn: arn,
    DbiResourceId: resourceId(),
    DBInstanceClass: cls,
    Engine: engine,
    EngineVersion: version,
    DBInstanceStatus: 'creating',
    MasterUsername: username,
    ...(input.DBName !== undefined ? { DBName: input.DBName } : {}),
    AllocatedStorage: input.AllocatedStorage,
    StorageType: storageType,
    PreferredBackupWindow: input.PreferredBackupWindow ?? '03:00-03:30',
    BackupRetentionPeriod: retention,
    DBSecurityGroups: [],
    VpcSecurityGroups: securityGroups,
    DBParameterGroups: [{ DBParameterGroupName: parameterGroup?.DBParameterGroupName ?? defaultParameterGroup(family), ParameterApplyStatus: 'in-sync' }],
    AvailabilityZone: primary.zone,
    ...(standby ? { SecondaryAvailabilityZone: standby.zone } : {}),
    DBSubnetGroupName: group.DBSubnetGroupName,
    PreferredMaintenanceWindow: (input.PreferredMaintenanceWindow ?? 'sun:05:00-sun:05:30').toLowerCase(),
    PendingModifiedValues: {},
    MultiAZ: multiAz,
    AutoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? true,
    PubliclyAccessible: input.PubliclyAccessible ?? false,
    StorageEncrypted: input.StorageEncrypted ?? false,
    DeletionProtection: input.DeletionProtection ?? false,
    CopyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
    tags: input.Tags ?? [],
    masterPassword: password,
    placement: { primary, ...(standby ? { standby } : {}) },
    endpointIp: allocatePublicIp(env, { kind: 'rds', account: ctx.account, region: ctx.region, owner: arn }),
    statusUntil: now + env.config.rdsCreateSeconds * 1000,
    engine: { running: false, ...(restored?.restoredFrom ? { restoredFrom: restored.restoredFrom } : {}) },
    createdAt: now,
    port,
    ...(restored?.createdEvent ? { createdEvent: restored.createdEvent } : {}),
  };
  if (!placeInterface(env, ctx, rec, primary.subnetId)) {
    throw rdsErrors.subnetFull(primary.subnetId, group.DBSubnetGroupName);
  }
  env.store.put(COLL.instances, ctx, id, rec);
  schedule(env, ctx, id, rec.statusUntil);
  return rec;
}

/** The endpoint the instance gets once `creating` ends. */
export const endpointOf = (scope: Scope, i: Read<DBInstanceRecord>) => ({ Address: endpointAddress(scope, i.DBInstanceIdentifier), Port: portOf(i), HostedZoneId: hostedZoneId(scope.region) });

function requireStatus(i: Read<DBInstanceRecord>, allowed: string[], what: string): void {
  if (!allowed.includes(i.DBInstanceStatus)) throw rdsErrors.instanceState(`${what}: DB instance ${i.DBInstanceIdentifier} is not in the ${allowed.join(' or ')} state (it is ${i.DBInstanceStatus}).`);
}

const FILTERS: Record<string, (i: Read<DBInstanceRecord>) => string[]> = {
  'db-instance-id': (i) => [i.DBInstanceIdentifier, i.DBInstanceArn],
  'dbi-resource-id': (i) => [i.DbiResourceId],
  engine: (i) => [i.Engine],
  'db-cluster-id': () => [],
  domain: () => [],
};

interface ModifyInput {
  DBInstanceIdentifier: string;
  ApplyImmediately?: boolean;
  DBInstanceClass?: string;
  MultiAZ?: boolean;
  BackupRetentionPeriod?: number;
  MasterUserPassword?: string;
  AllocatedStorage?: number;
  DBParameterGroupName?: string;
  EngineVersion?: string;
  DeletionProtection?: boolean;
  CopyTagsToSnapshot?: boolean;
  PreferredBackupWindow?: string;
  PreferredMaintenanceWindow?: string;
  VpcSecurityGroupIds?: string[];
  PubliclyAccessible?: boolean;
  AutoMinorVersionUpgrade?: boolean;
  NewDBInstanceIdentifier?: string;
}

export const instanceHandlers = {
  CreateDBInstance(input: NewInstanceInput, ctx: RequestContext) {
    return { DBInstance: view(ctx.env, ctx, newInstance(ctx, input)) };
  },

  DescribeDBInstances(input: { DBInstanceIdentifier?: string; Filters?: { Name: string; Values: string[] }[]; Marker?: string; MaxRecords?: number }, ctx: RequestContext) {
    let list = input.DBInstanceIdentifier !== undefined ? [findInstance(ctx, input.DBInstanceIdentifier)] : ctx.env.store.list<DBInstanceRecord>(COLL.instances, ctx);
    for (const f of input.Filters ?? []) {
      const read = Object.hasOwn(FILTERS, f.Name) ? FILTERS[f.Name] : undefined;
      if (!read) throw rdsErrors.invalidValue(`Unrecognized filter name: ${f.Name}`);
      list = list.filter((i) => read(i).some((v) => f.Values.includes(v)));
    }
    const max = input.MaxRecords ?? 100;
    if (max < 20 || max > 100) throw rdsErrors.invalidValue(`Invalid value ${max} for MaxRecords. Must be between 20 and 100`);
    const page = pageOf(list, input.Marker, max, () => rdsErrors.invalidValue('The marker is not valid.'));
    return { DBInstances: page.items.map((i) => view(ctx.env, ctx, i)), Marker: page.next };
  },

  ModifyDBInstance(input: ModifyInput, ctx: RequestContext) {
    const { env } = ctx;
    const i = mutableInstance(ctx, input.DBInstanceIdentifier);
    if (i.DBInstanceStatus !== 'available') {
      throw rdsErrors.instanceState(`Database instance is not in available state.`);
    }
    if (input.NewDBInstanceIdentifier !== undefined) throw rdsErrors.invalidCombination('Renaming a DB instance is not supported by faultline.');
    // Checks first.
    const change: Modification = {};
    if (input.DBInstanceClass !== undefined && input.DBInstanceClass !== i.DBInstanceClass) change.DBInstanceClass = checkClass(input.DBInstanceClass);
    if (input.EngineVersion !== undefined && input.EngineVersion !== i.EngineVersion) {
      const v = versionOf(i.Engine, input.EngineVersion);
      if (ENGINES[i.Engine].family(v) !== ENGINES[i.Engine].family(i.EngineVersion)) throw rdsErrors.invalidCombination('The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.');
      if (v !== i.EngineVersion) change.EngineVersion = v;
    }
    if (input.AllocatedStorage !== undefined && input.AllocatedStorage !== i.AllocatedStorage) {
      if (input.AllocatedStorage < i.AllocatedStorage) throw rdsErrors.invalidCombination(`Invalid storage size for engine name ${i.Engine} and storage type ${i.StorageType}: ${input.AllocatedStorage}`);
      checkStorage(i.Engine, i.StorageType, input.AllocatedStorage);
      change.AllocatedStorage = input.AllocatedStorage;
    }
    if (input.MultiAZ !== undefined && input.MultiAZ !== i.MultiAZ) {
      if (input.MultiAZ && groupZones(findSubnetGroup(ctx, i.DBSubnetGroupName)).length < 2) throw rdsErrors.notEnoughAzs(1);
      change.MultiAZ = input.MultiAZ;
    }
    if (input.DBParameterGroupName !== undefined && input.DBParameterGroupName !== i.DBParameterGroups[0]?.DBParameterGroupName) {
      const g = findParameterGroup(ctx, input.DBParameterGroupName);
      if (g.DBParameterGroupFamily !== ENGINES[i.Engine].family(i.EngineVersion)) throw rdsErrors.invalidCombination(`The parameter group ${g.DBParameterGroupName} with DBParameterGroupFamily ${g.DBParameterGroupFamily} cannot be used for this instance.`);
      change.DBParameterGroupName = g.DBParameterGroupName;
    }
    let retentionNow: number | undefined;
    if (input.BackupRetentionPeriod !== undefined && input.BackupRetentionPeriod !== i.BackupRetentionPeriod) {
      const n = checkRetention(input.BackupRetentionPeriod);
      // Between non-zero values the change is immediate; turning backups on or off is an outage (spec §2).
      if ((n === 0) === (i.BackupRetentionPeriod === 0)) retentionNow = n;
      else change.BackupRetentionPeriod = n;
    }
    const password = input.MasterUserPassword !== undefined ? checkPassword(i.Engine, input.MasterUserPassword) : undefined;
    if (input.PreferredBackupWindow !== undefined && !WINDOW.test(input.PreferredBackupWindow)) throw rdsErrors.invalidValue(`The backup window must be in the format hh24:mi-hh24:mi: ${input.PreferredBackupWindow}`);
    if (input.PreferredMaintenanceWindow !== undefined && !MAINTENANCE.test(input.PreferredMaintenanceWindow.toLowerCase())) throw rdsErrors.invalidValue(`The maintenance window must be in the format ddd:hh24:mi-ddd:hh24:mi: ${input.PreferredMaintenanceWindow}`);
    const groups = input.VpcSecurityGroupIds !== undefined ? securityGroupsOf(ctx, input.VpcSecurityGroupIds, findSubnetGroup(ctx, i.DBSubnetGroupName).VpcId) : undefined;

    // Immediate, with no outage (spec §2).
    if (input.DeletionProtection !== undefined) i.DeletionProtection = input.DeletionProtection;
    if (input.CopyTagsToSnapshot !== undefined) i.CopyTagsToSnapshot = input.CopyTagsToSnapshot;
    if (input.PubliclyAccessible !== undefined) i.PubliclyAccessible = input.PubliclyAccessible;
    if (input.AutoMinorVersionUpgrade !== undefined) i.AutoMinorVersionUpgrade = input.AutoMinorVersionUpgrade;
    if (input.PreferredBackupWindow !== undefined) i.PreferredBackupWindow = input.PreferredBackupWindow;
    if (input.PreferredMaintenanceWindow !== undefined) i.PreferredMaintenanceWindow = input.PreferredMaintenanceWindow.toLowerCase();
    if (groups) {
      i.VpcSecurityGroups = groups;
      syncInterfaceGroups(env, ctx, i);
    }
    if (retentionNow !== undefined) i.BackupRetentionPeriod = retentionNow;
    // The password applies at once, with no restart: the engine runtime sets it in the running engine, or before its next start.
    if (password !== undefined) i.masterPassword = password;

    const changes = Object.keys(change).length > 0;
    if (changes && input.ApplyImmediately) {
      i.DBInstanceStatus = 'modifying';
      i.statusUntil = env.clock.now() + env.config.rdsModifySeconds * 1000;
      i.modifying = change;
      i.PendingModifiedValues = { ...change, ...(password !== undefined ? { MasterUserPassword: '****' } : {}) };
      // A class or version change restarts the engine (downtime); the others do not (spec §2).
      if (change.DBInstanceClass !== undefined || change.EngineVersion !== undefined || change.BackupRetentionPeriod !== undefined) i.engine.running = false;
      if (change.MultiAZ === true) logEvent(env, ctx, instanceSource(ctx, i.DBInstanceIdentifier), { id: 'RDS-EVENT-0024' });
      if (change.MultiAZ === false) logEvent(env, ctx, instanceSource(ctx, i.DBInstanceIdentifier), { id: 'RDS-EVENT-0030' });
      schedule(env, ctx, i.DBInstanceIdentifier, i.statusUntil);
    } else if (changes) {
      // Waits for the maintenance window: shown in PendingModifiedValues.
      i.PendingModifiedValues = { ...i.PendingModifiedValues, ...change };
    }
    saveInstance(env, ctx, i);
    return { DBInstance: view(env, ctx, i) };
  },

  RebootDBInstance(input: { DBInstanceIdentifier: string; ForceFailover?: boolean }, ctx: RequestContext) {
    const { env } = ctx;
    const i = mutableInstance(ctx, input.DBInstanceIdentifier);
    requireStatus(i, ['available'], 'Cannot reboot');
    if (input.ForceFailover && !i.MultiAZ) throw rdsErrors.invalidCombination('Cannot reboot a Single-AZ DB instance with failover: ForceFailover needs a Multi-AZ instance.');
    const src = instanceSource(ctx, i.DBInstanceIdentifier);
    const now = env.clock.now();
    i.DBInstanceStatus = 'rebooting';
    i.engine.running = false;
    if (input.ForceFailover) {
      i.failover = { reason: 'requested', requested: true, until: now + env.config.rdsFailoverSeconds * 1000 };
      i.statusUntil = i.failover.until;
      logEvent(env, ctx, src, { id: 'RDS-EVENT-0013' });
      env.events.emit('rds.failover', { account: ctx.account, region: ctx.region, instance: i.DBInstanceIdentifier, phase: 'started', from: i.AvailabilityZone, to: i.SecondaryAvailabilityZone, reason: 'requested' });
    } else {
      i.statusUntil = now + env.config.rdsRebootSeconds * 1000;
      if (i.MultiAZ) logEvent(env, ctx, src, { id: 'RDS-EVENT-0004' });
    }
    saveInstance(env, ctx, i);
    schedule(env, ctx, i.DBInstanceIdentifier, i.statusUntil);
    return { DBInstance: view(env, ctx, i) };
  },

  StopDBInstance(input: { DBInstanceIdentifier: string; DBSnapshotIdentifier?: string }, ctx: RequestContext) {
    const { env } = ctx;
    const i = mutableInstance(ctx, input.DBInstanceIdentifier);
    requireStatus(i, ['available'], 'Cannot stop');
    if (input.DBSnapshotIdentifier !== undefined) takeSnapshot(env, ctx, i, input.DBSnapshotIdentifier, 'manual');
    i.DBInstanceStatus = 'stopping';
    i.engine.running = false;
    i.statusUntil = env.clock.now() + env.config.rdsStopSeconds * 1000;
    saveInstance(env, ctx, i);
    schedule(env, ctx, i.DBInstanceIdentifier, i.statusUntil);
    return { DBInstance: view(env, ctx, i) };
  },

  StartDBInstance(input: { DBInstanceIdentifier: string }, ctx: RequestContext) {
    const { env } = ctx;
    const i = mutableInstance(ctx, input.DBInstanceIdentifier);
    if (i.DBInstanceStatus !== 'stopped') throw rdsErrors.instanceState(`Instance ${i.DBInstanceIdentifier} is not stopped, cannot be started.`);
    startInstance(env, ctx, i);
    saveInstance(env, ctx, i);
    return { DBInstance: view(env, ctx, i) };
  },

  DeleteDBInstance(input: { DBInstanceIdentifier: string; SkipFinalSnapshot?: boolean; FinalDBSnapshotIdentifier?: string; DeleteAutomatedBackups?: boolean }, ctx: RequestContext) {
    const { env } = ctx;
    const i = mutableInstance(ctx, input.DBInstanceIdentifier);
    if (i.DeletionProtection) throw rdsErrors.invalidCombination('Cannot delete protected DB Instance, please disable deletion protection and try again.');
    if (input.SkipFinalSnapshot && input.FinalDBSnapshotIdentifier !== undefined) throw rdsErrors.invalidCombination('Cannot specify FinalDBSnapshotIdentifier when SkipFinalSnapshot is true.');
    if (!input.SkipFinalSnapshot && input.FinalDBSnapshotIdentifier === undefined) throw rdsErrors.invalidCombination('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
    if (i.DBInstanceStatus === 'deleting') throw rdsErrors.instanceState(`Instance ${i.DBInstanceIdentifier} is already being deleted.`);
    if (!input.SkipFinalSnapshot && !['available', 'stopped', 'backing-up', 'modifying', 'rebooting', 'storage-full'].includes(i.DBInstanceStatus)) {
      throw rdsErrors.instanceState(`Instance ${i.DBInstanceIdentifier} is in the ${i.DBInstanceStatus} state: only SkipFinalSnapshot can delete it now.`);
    }
    if (input.FinalDBSnapshotIdentifier !== undefined) i.finalSnapshot = takeSnapshot(env, ctx, i, input.FinalDBSnapshotIdentifier, 'manual', env.config.rdsDeleteSeconds * 1000).DBSnapshotIdentifier;
    i.DBInstanceStatus = 'deleting';
    i.engine.running = false;
    i.failover = undefined;
    i.modifying = undefined;
    i.statusUntil = env.clock.now() + env.config.rdsDeleteSeconds * 1000;
    saveInstance(env, ctx, i);
    schedule(env, ctx, i.DBInstanceIdentifier, i.statusUntil);
    return { DBInstance: view(env, ctx, i) };
  },
};

/** stopped → starting (StartDBInstance, and RDS itself after seven days stopped). */
export function startInstance(env: Env, scope: Scope, i: DBInstanceRecord): void {
  i.DBInstanceStatus = 'starting';
  i.statusUntil = env.clock.now() + env.config.rdsStopSeconds * 1000;
  schedule(env, scope, i.DBInstanceIdentifier, i.statusUntil);
}

/** Forgets a deleted instance: its endpoint addresses go back to the pool and the subnet, its interface and its automated snapshots go. */
export function forgetInstance(env: Env, scope: Scope, i: Read<DBInstanceRecord>): void {
  deleteAutomatedBackups(env, scope, i);
  releasePublicIp(env, i.endpointIp);
  releaseInterface(env, scope, i);
  env.store.delete(COLL.instances, scope, i.DBInstanceIdentifier);
}
