/**
 * CloudFormation's AWS::RDS::DBInstance, DBSubnetGroup and DBParameterGroup (spec rds.md §10),
 * through RDS's own operations.
 *  - DBInstance: created with CreateDBInstance (or RestoreDBInstanceFromDBSnapshot when
 *    `DBSnapshotIdentifier` is given), ready when `available`; a generated identifier is
 *    `stack-logicalid-random` in lower case. Changes that need no replacement go through
 *    ModifyDBInstance with ApplyImmediately (a conditional change replaces only when the engine
 *    family changes). `Endpoint.Address`, `Endpoint.Port` and the other attributes read the
 *    instance. A stack's deletion snapshots it unless the template says otherwise (AWS's default
 *    DeletionPolicy for DB instances): DeleteDBInstance with a final snapshot named like a
 *    generated identifier.
 *  - DBSubnetGroup and DBParameterGroup: Ref is the name; subnets, description and parameters
 *    change in place.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, deleteWithRetry, isGone, num, strings, tagsOf } from '../../cloudformation/handler-kit.ts';
import { DONE, wait, type Props, type ResourceContext, type ResourceHandler, type ResourceState } from '../../cloudformation/resource-handler.ts';
import { rds } from './index.ts';
import { COLL, type DBInstanceRecord, type DBParameterGroupRecord, type SubnetGroupRecord } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(rds, op, input, rc.request);
const POLL_MS = 10_000;
const instanceOf = (rc: ResourceContext, id: string) => rc.env.store.get<DBInstanceRecord>(COLL.instances, rc.request, id.toLowerCase());

/** The settings CreateDBInstance and ModifyDBInstance share, from the template's properties (callService drops those left undefined). */
const settings = (p: Props): Record<string, unknown> => ({
    DBInstanceClass: p.DBInstanceClass,
    AllocatedStorage: num(p.AllocatedStorage),
    MultiAZ: bool(p.MultiAZ),
    BackupRetentionPeriod: num(p.BackupRetentionPeriod) ?? 1,
    PreferredBackupWindow: p.PreferredBackupWindow,
    PreferredMaintenanceWindow: p.PreferredMaintenanceWindow,
    DBParameterGroupName: p.DBParameterGroupName,
    VpcSecurityGroupIds: p.VPCSecurityGroups === undefined ? undefined : strings(p.VPCSecurityGroups),
    PubliclyAccessible: bool(p.PubliclyAccessible),
    DeletionProtection: bool(p.DeletionProtection),
    CopyTagsToSnapshot: bool(p.CopyTagsToSnapshot),
    AutoMinorVersionUpgrade: bool(p.AutoMinorVersionUpgrade),
    EngineVersion: p.EngineVersion === undefined ? undefined : String(p.EngineVersion),
});

const family = (engine: unknown) => {
  const e = String(engine ?? '').toLowerCase();
  return e === 'mariadb' || e.startsWith('mysql') ? 'mysql' : e;
};

const dbInstance: ResourceHandler = {
  type: 'AWS::RDS::DBInstance',
  defaultDeletionPolicy: 'Snapshot',
  create(props, rc) {
    const id = props.DBInstanceIdentifier !== undefined ? String(props.DBInstanceIdentifier) : rc.physicalName({ maxLength: 63, lowercase: true });
    const common = {
      ...settings(props),
      DBInstanceIdentifier: id,
      DBSubnetGroupName: props.DBSubnetGroupName,
      AvailabilityZone: props.AvailabilityZone,
      Port: num(props.Port),
      DBName: props.DBName,
      StorageType: props.StorageType,
      Iops: num(props.Iops),
      StorageEncrypted: bool(props.StorageEncrypted),
      Tags: tagsOf(props.Tags),
    };
    const out =
      props.DBSnapshotIdentifier !== undefined
        ? call(rc, 'RestoreDBInstanceFromDBSnapshot', { ...common, DBSnapshotIdentifier: props.DBSnapshotIdentifier, AllocatedStorage: undefined, BackupRetentionPeriod: undefined })
        : call(rc, 'CreateDBInstance', { ...common, Engine: props.Engine, MasterUsername: props.MasterUsername, MasterUserPassword: props.MasterUserPassword });
    return { physicalId: out.DBInstance.DBInstanceIdentifier };
  },
  stabilize(s, rc) {
    const i = instanceOf(rc, s.physicalId);
    if (!i) throw new AwsError('NotStabilized', `DB instance ${s.physicalId} no longer exists`);
    return i.DBInstanceStatus === 'available' ? DONE : wait(POLL_MS);
  },
  replacesOnConditional: (prop, oldValue, newValue) => prop === 'Engine' && family(oldValue) !== family(newValue),
  update(props, old, changed, rc) {
    const input: Record<string, unknown> = { DBInstanceIdentifier: old.physicalId, ApplyImmediately: true };
    const now = settings(props);
    const before = settings(old.props);
    for (const [k, v] of Object.entries(now)) if (v !== undefined && JSON.stringify(v) !== JSON.stringify(before[k])) input[k] = v;
    if (changed.includes('MasterUserPassword')) input.MasterUserPassword = props.MasterUserPassword;
    if (changed.includes('AvailabilityZone') || changed.includes('StorageType')) {
      throw new AwsError('NotUpdatable', `faultline cannot change ${changed.filter((c) => c === 'AvailabilityZone' || c === 'StorageType').join(', ')} of a DB instance in place.`);
    }
    if (Object.keys(input).length > 2) call(rc, 'ModifyDBInstance', input);
    if (changed.includes('Tags')) {
      const arn = instanceOf(rc, old.physicalId)?.DBInstanceArn;
      const keys = tagsOf(old.props.Tags).map((t) => t.Key);
      if (arn && keys.length) call(rc, 'RemoveTagsFromResource', { ResourceName: arn, TagKeys: keys });
      if (arn && tagsOf(props.Tags).length) call(rc, 'AddTagsToResource', { ResourceName: arn, Tags: tagsOf(props.Tags) });
    }
  },
  snapshot(s, rc) {
    const i = instanceOf(rc, s.physicalId);
    if (!i || i.DBInstanceStatus === 'deleting') return;
    call(rc, 'DeleteDBInstance', { DBInstanceIdentifier: s.physicalId, FinalDBSnapshotIdentifier: rc.physicalName({ maxLength: 255, lowercase: true }) });
  },
  delete(s, rc) {
    const i = instanceOf(rc, s.physicalId);
    if (!i) return DONE;
    if (i.DBInstanceStatus === 'deleting') return wait(POLL_MS);
    try {
      call(rc, 'DeleteDBInstance', { DBInstanceIdentifier: s.physicalId, SkipFinalSnapshot: true });
    } catch (e) {
      if (isGone(e) || (e instanceof AwsError && e.code === 'DBInstanceNotFound')) return DONE;
      throw e;
    }
    return wait(POLL_MS);
  },
  getAtt(s, name, rc) {
    const i = instanceOf(rc, s.physicalId);
    if (!i) throw new AwsError('NotFound', `DB instance ${s.physicalId} no longer exists`);
    return attribute(
      {
        'Endpoint.Address': () => i.Endpoint?.Address,
        'Endpoint.Port': () => String(i.Endpoint?.Port ?? i.port),
        'Endpoint.HostedZoneId': () => i.Endpoint?.HostedZoneId,
        DBInstanceArn: () => i.DBInstanceArn,
        DbiResourceId: () => i.DbiResourceId,
        'CertificateDetails.CAIdentifier': () => 'rds-ca-rsa2048-g1',
        'CertificateDetails.ValidTill': () => '2061-01-01T00:00:00Z',
      },
      name,
      i,
    );
  },
};

const subnetGroup: ResourceHandler = {
  type: 'AWS::RDS::DBSubnetGroup',
  create(props, rc) {
    const name = props.DBSubnetGroupName !== undefined ? String(props.DBSubnetGroupName) : rc.physicalName({ maxLength: 255, lowercase: true });
    const out = call(rc, 'CreateDBSubnetGroup', { DBSubnetGroupName: name, DBSubnetGroupDescription: props.DBSubnetGroupDescription, SubnetIds: strings(props.SubnetIds), Tags: tagsOf(props.Tags) });
    return { physicalId: out.DBSubnetGroup.DBSubnetGroupName };
  },
  update(props, old, _changed, rc) {
    call(rc, 'ModifyDBSubnetGroup', { DBSubnetGroupName: old.physicalId, DBSubnetGroupDescription: props.DBSubnetGroupDescription, SubnetIds: strings(props.SubnetIds) });
    setTags<SubnetGroupRecord>(rc, COLL.subnetGroups, old, props);
  },
  delete: (s, rc) => deleteGroup(s, rc, 'DeleteDBSubnetGroup', { DBSubnetGroupName: s.physicalId }),
  getAtt: (s, name, rc) => attribute({ DBSubnetGroupArn: (id: string) => rc.env.store.get<SubnetGroupRecord>(COLL.subnetGroups, rc.request, id)?.DBSubnetGroupArn }, name, s.physicalId),
};

const parametersOf = (p: Props) => Object.entries((p.Parameters ?? {}) as Record<string, unknown>).map(([ParameterName, v]) => ({ ParameterName, ParameterValue: String(v), ApplyMethod: 'pending-reboot' }));

const parameterGroup: ResourceHandler = {
  type: 'AWS::RDS::DBParameterGroup',
  create(props, rc) {
    const name = props.DBParameterGroupName !== undefined ? String(props.DBParameterGroupName) : rc.physicalName({ maxLength: 255, lowercase: true });
    const out = call(rc, 'CreateDBParameterGroup', { DBParameterGroupName: name, DBParameterGroupFamily: props.Family, Description: props.Description, Tags: tagsOf(props.Tags) });
    const params = parametersOf(props);
    for (let i = 0; i < params.length; i += 20) call(rc, 'ModifyDBParameterGroup', { DBParameterGroupName: name, Parameters: params.slice(i, i + 20) });
    return { physicalId: out.DBParameterGroup.DBParameterGroupName };
  },
  update(props, old, _changed, rc) {
    call(rc, 'ResetDBParameterGroup', { DBParameterGroupName: old.physicalId, ResetAllParameters: true });
    const params = parametersOf(props);
    for (let i = 0; i < params.length; i += 20) call(rc, 'ModifyDBParameterGroup', { DBParameterGroupName: old.physicalId, Parameters: params.slice(i, i + 20) });
    setTags<DBParameterGroupRecord>(rc, COLL.parameterGroups, old, props);
  },
  delete: (s, rc) => deleteGroup(s, rc, 'DeleteDBParameterGroup', { DBParameterGroupName: s.physicalId }),
  getAtt: (s, name) => attribute({ DBParameterGroupName: (id: string) => id }, name, s.physicalId),
};

function setTags<T extends { tags: unknown }>(rc: ResourceContext, coll: string, old: ResourceState, props: Props): void {
  const rec = rc.env.store.mutable<T>(coll, rc.request, old.physicalId);
  if (!rec) return;
  rec.tags = tagsOf(props.Tags);
  rc.env.store.put(coll, rc.request, old.physicalId, rec);
}

/** Deletes a group; one still used by an instance that is being deleted is retried (for up to ten minutes, as other held resources are). */
function deleteGroup(s: ResourceState, rc: ResourceContext, op: string, input: Record<string, unknown>) {
  return deleteWithRetry(s, rc.env.clock.now(), () => {
    try {
      call(rc, op, input);
    } catch (e) {
      if (e instanceof AwsError && (e.code === 'DBSubnetGroupNotFoundFault' || e.code === 'DBParameterGroupNotFound')) return;
      if (e instanceof AwsError && (e.code === 'InvalidDBSubnetGroupStateFault' || e.code === 'InvalidDBParameterGroupState')) throw new AwsError('ResourceInUse', e.message);
      throw e;
    }
  });
}

export const rdsResources: ResourceHandler[] = [dbInstance, subnetGroup, parameterGroup];
