/**
 * RDS's records (DB instances, not Aurora), scoped by account and region. A DB instance keeps the
 * members DescribeDBInstances returns (AWS's names) plus internal fields (lower camel case) that
 * the loops and the engine runtime read:
 *  - `placement`: the physical hosts of the primary and, for Multi-AZ, the standby (world hosts,
 *    in the instance's AZs), which faults reach as they reach EC2 instances;
 *  - `endpointIp`: the stable address of `Endpoint.Address` (from the loopback pool, like a public
 *    IP), which moves with the primary on failover, as AWS's CNAME does;
 *  - `networkInterface`: the endpoint inside the VPC, a requester-managed interface in the
 *    primary's subnet and the instance's security groups, whose private address the name answers
 *    inside the VPC; on failover it moves to the new primary's subnet;
 *  - `engine`: what the runtime should run now (`running` while the primary's host and zone are
 *    up and the status allows connections), and for a restore, where its data comes from. The
 *    runtime keeps an instance's data by its `DbiResourceId`, so an instance re-created under the
 *    same identifier starts with new data.
 * Statuses and timings follow ../shared/spec/rds.md on the clock (the instance loop).
 */
import type { Scope } from '../../core/store.ts';

export const COLL = {
  /** Keyed by the lower-case DBSubnetGroupName. */
  subnetGroups: 'rds.subnetGroups',
  /** Keyed by the lower-case DBInstanceIdentifier. */
  instances: 'rds.instances',
  /** Keyed by the lower-case DBSnapshotIdentifier (manual and automated, `rds:ID-YYYY-MM-DD-HH-MM`). */
  snapshots: 'rds.snapshots',
  /** Keyed by the lower-case DBParameterGroupName. */
  parameterGroups: 'rds.parameterGroups',
  /** Keyed by a sequence number, zero-padded (events are listed in order). */
  events: 'rds.events',
} as const;

/** The instance loop, keyed `account/region/id`: status transitions, failover, recovery, backups. */
export const INSTANCE_LOOP = 'rds.instance';
/** The snapshot loop, keyed `account/region/id`: `creating` → `available`. */
export const SNAPSHOT_LOOP = 'rds.snapshot';
/** The metrics loop, keyed `account/region/id`: the instance's AWS/RDS metrics every minute. */
export const METRICS_LOOP = 'rds.metrics';

export const scopedKey = (scope: Scope, id: string): string => `${scope.account}/${scope.region}/${id}`;
export function parseScopedKey(key: string): { scope: Scope; id: string } {
  const [account, region, ...rest] = key.split('/');
  return { scope: { account, region }, id: rest.join('/') };
}

/** A snapshot's identifier from its identifier or its ARN (`arn:aws:rds:REGION:ACCOUNT:snapshot:ID`). */
export const snapshotIdOf = (idOrArn: string): string => (idOrArn.startsWith('arn:') ? idOrArn.slice(idOrArn.lastIndexOf(':snapshot:') + 10) : idOrArn);

export interface Tag {
  Key: string;
  Value?: string;
}

export interface SubnetGroupRecord {
  DBSubnetGroupName: string;
  DBSubnetGroupDescription: string;
  VpcId: string;
  SubnetGroupStatus: 'Complete';
  Subnets: { SubnetIdentifier: string; SubnetAvailabilityZone: { Name: string }; SubnetStatus: 'Active' }[];
  DBSubnetGroupArn: string;
  tags: Tag[];
}

export type Engine = 'postgres' | 'mysql' | 'mariadb';

/** Where one copy of the instance runs. */
export interface Placement {
  zone: string;
  host: string;
  subnetId: string;
}

export interface DBInstanceRecord {
  DBInstanceIdentifier: string;
  DBInstanceArn: string;
  DbiResourceId: string;
  DBInstanceClass: string;
  Engine: Engine;
  EngineVersion: string;
  DBInstanceStatus: string;
  MasterUsername: string;
  DBName?: string;
  /** Set once the instance has an endpoint (after `creating`). */
  Endpoint?: { Address: string; Port: number; HostedZoneId: string };
  AllocatedStorage: number;
  StorageType: string;
  InstanceCreateTime?: string;
  PreferredBackupWindow: string;
  BackupRetentionPeriod: number;
  DBSecurityGroups: never[];
  VpcSecurityGroups: { VpcSecurityGroupId: string; Status: 'active' }[];
  DBParameterGroups: { DBParameterGroupName: string; ParameterApplyStatus: string }[];
  AvailabilityZone?: string;
  SecondaryAvailabilityZone?: string;
  DBSubnetGroupName: string;
  PreferredMaintenanceWindow: string;
  PendingModifiedValues: Record<string, unknown>;
  LatestRestorableTime?: string;
  MultiAZ: boolean;
  AutoMinorVersionUpgrade: boolean;
  PubliclyAccessible: boolean;
  StorageEncrypted: boolean;
  DeletionProtection: boolean;
  CopyTagsToSnapshot: boolean;
  tags: Tag[];
  /** Internal: the master password (the runtime sets it in the engine; never returned). */
  masterPassword: string;
  placement: { primary?: Placement; standby?: Placement };
  endpointIp?: string;
  /** Internal: the interface of the endpoint inside the VPC (network-interface.ts). */
  networkInterface?: { eniId: string; vpcId: string; subnetId: string; privateIp: string };
  /** Clock ms when the current status ends (creating → backing-up → available, rebooting, failover…). */
  statusUntil?: number;
  /**
   * What the engine runtime should do now, and where a restored instance's data comes from: a
   * snapshot, or for a point in time the latest backup then of the source (its identifier and
   * DbiResourceId, so that an instance since re-created under that identifier is not mistaken for it).
   */
  engine: { running: boolean; restoredFrom?: { snapshot?: string; pointInTime?: string; sourceInstance?: string; sourceDbiResourceId?: string } };
  createdAt: number;
  /** Internal: the port the endpoint listens on (Endpoint.Port once the endpoint exists). */
  port?: number;
  /** Internal: what ModifyDBInstance with ApplyImmediately changes when `modifying` ends. */
  modifying?: Modification;
  /** Internal: a Multi-AZ failover under way (status `rebooting`): why, whether the user asked, when it completes. */
  failover?: { reason: string; requested: boolean; until: number };
  /** Internal: the primary's host or zone is down and there is no standby to fail over to; `recoveryUntil` once RDS moves it to new compute in its zone. */
  outage?: { since: number; recoveryUntil?: number };
  /** Internal: the standby's host or zone is down; a new standby is in place at this clock ms. */
  standbyRecoveryUntil?: number;
  /** Internal: the snapshot a deletion takes (`deleting` until it is done). */
  finalSnapshot?: string;
  /**
   * Internal: when the data of the first automated backup since backups were turned on was taken
   * (clock ms), set once that backup is `available`: no LatestRestorableTime, and no point-in-time
   * restore, before it, nor to a time before it.
   */
  restorableFrom?: number;
  /** Internal: when the latest automated backup was started (clock ms): one a day, in the backup window. */
  lastBackupAt?: number;
  /** Internal: the restoration event (RDS-EVENT-0019 or 0043) to log when `creating` ends; a new instance logs RDS-EVENT-0005. */
  createdEvent?: { eventId: string; message: string };
}

/** The changes a ModifyDBInstance applies, as DBInstance members. */
export interface Modification {
  DBInstanceClass?: string;
  MultiAZ?: boolean;
  BackupRetentionPeriod?: number;
  AllocatedStorage?: number;
  DBParameterGroupName?: string;
  EngineVersion?: string;
}

export interface DBSnapshotRecord {
  DBSnapshotIdentifier: string;
  DBInstanceIdentifier: string;
  DBSnapshotArn: string;
  SnapshotCreateTime?: string;
  Engine: Engine;
  EngineVersion: string;
  AllocatedStorage: number;
  Status: 'creating' | 'available' | 'deleting';
  Port: number;
  AvailabilityZone?: string;
  VpcId?: string;
  InstanceCreateTime?: string;
  MasterUsername: string;
  SnapshotType: 'manual' | 'automated';
  PercentProgress: number;
  DbiResourceId: string;
  tags: Tag[];
  /** Internal: when the snapshot's data was taken (clock ms), for point-in-time restore. */
  takenAt: number;
  /** Internal: when `creating` ends (clock ms). */
  readyAt?: number;
  /** Internal: the source instance's master password and class, which a restore starts from. */
  masterPassword: string;
  DBInstanceClass: string;
  SourceDBSnapshotIdentifier?: string;
}

export interface DBParameterGroupRecord {
  DBParameterGroupName: string;
  DBParameterGroupFamily: string;
  Description: string;
  DBParameterGroupArn: string;
  parameters: Record<string, { ParameterValue: string; ApplyMethod?: string }>;
  tags: Tag[];
}

export interface EventRecord {
  SourceIdentifier: string;
  SourceType: 'db-instance' | 'db-snapshot' | 'db-parameter-group' | 'db-subnet-group';
  Message: string;
  EventCategories: string[];
  Date: string;
  SourceArn: string;
  /** e.g. `RDS-EVENT-0049` (not on the wire in Describe; kept for tests and the timeline). */
  eventId?: string;
}
