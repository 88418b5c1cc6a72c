/**
 * The RDS API through boto3 and the AWS CLI, on the manual clock, simulated driver: the life of a
 * Multi-AZ postgres instance (creating 5 min → backing-up 1 min → available, its endpoint, its
 * events), an AZ failure of its primary (failover detected on the next 10 s health check, done
 * 75 s later, AZs swapped, the same endpoint), a Single-AZ instance in the failed zone unavailable
 * until the heal, ForceFailover, snapshot and point-in-time restores, deletion with a final
 * snapshot, and each bad input with AWS's code and nothing created.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { COLL, type DBInstanceRecord } from '../../src/services/rds/state.ts';
import { ROLE_ARN } from './fis-support.ts';
import { toMidday } from '../rds-support.ts';

let fl: Faultline;
before(async () => {
  fl = await startFaultline();
  fl.advance(toMidday(fl.app.env.clock.now()));
  await fl.python(RDS + `
vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
c = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.3.0/24', AvailabilityZone='us-east-1c')['Subnet']['SubnetId']
rds.create_db_subnet_group(DBSubnetGroupName='Main', DBSubnetGroupDescription='two zones', SubnetIds=[a, b])
rds.create_db_subnet_group(DBSubnetGroupName='wide', DBSubnetGroupDescription='three zones', SubnetIds=[a, b, c])
out({})
`);
});
after(() => fl.close());

const RDS = BOTO3_PRELUDE + `
rds = boto3.client('rds', config=no_retry)
ec2 = boto3.client('ec2', config=no_retry)
def inst(i): return rds.describe_db_instances(DBInstanceIdentifier=i)['DBInstances'][0]
def events(i, kind='db-instance'): return [e['Message'] for e in rds.describe_events(SourceIdentifier=i, SourceType=kind, Duration=10080)['Events']]
def create(i, **kw):
    args = dict(DBInstanceIdentifier=i, Engine='postgres', DBInstanceClass='db.t3.micro', MasterUsername='app', MasterUserPassword='s3cret-pass', AllocatedStorage=20, DBSubnetGroupName='main')
    args.update(kw)
    return rds.create_db_instance(**args)['DBInstance']
`;

const record = (id: string) => fl.app.env.store.get<DBInstanceRecord>(COLL.instances, { account: '000000000000', region: 'us-east-1' }, id)!;
const now = () => fl.app.env.clock.now();
/** Seconds from now to the instance loop's next health check (on multiples of 10 s) at or after now. */
const toNextCheck = () => (Math.ceil(now() / 10_000) * 10_000 - now()) / 1000;

test('a Multi-AZ instance: created on the clock, fails over when its primary zone fails, the Single-AZ one waits for the heal', async () => {
  const made = await fl.python(RDS + `
m = create('Orders', MultiAZ=True, Tags=[{'Key': 'team', 'Value': 'web'}])
s = create('ledger', AvailabilityZone='us-east-1a', BackupRetentionPeriod=0)
out({'m': m, 's': s})
`);
  assert.equal(made.m.DBInstanceIdentifier, 'orders');
  assert.equal(made.m.DBInstanceStatus, 'creating');
  assert.equal(made.m.Endpoint, undefined);
  assert.deepEqual([made.m.AvailabilityZone, made.m.SecondaryAvailabilityZone, made.m.MultiAZ], ['us-east-1a', 'us-east-1b', true]);
  assert.match(made.m.DbiResourceId, /^db-[A-Z0-9]{26}$/);
  assert.equal(made.m.DBInstanceArn, 'arn:aws:rds:us-east-1:000000000000:db:orders');
  assert.equal(made.m.DBSubnetGroup.DBSubnetGroupName, 'main');
  assert.deepEqual(made.m.TagList, [{ Key: 'team', Value: 'web' }]);
  assert.equal(made.m.BackupRetentionPeriod, 1);
  assert.equal(made.s.AvailabilityZone, 'us-east-1a');

  fl.advance(299);
  assert.equal(record('orders').DBInstanceStatus, 'creating');
  fl.advance(1);
  const up = await fl.python(RDS + `out({'m': inst('orders'), 's': inst('ledger')})`);
  assert.equal(up.m.DBInstanceStatus, 'backing-up');
  assert.equal(up.s.DBInstanceStatus, 'available');
  assert.match(up.m.Endpoint.Address, /^orders\.c[a-z0-9]{11}\.us-east-1\.rds\.amazonaws\.com$/);
  assert.equal(up.m.Endpoint.Port, 5432);
  assert.equal(up.m.Endpoint.HostedZoneId, 'Z2R2ITUGPM61AM');
  assert.equal(up.s.Endpoint.Address.split('.')[1], up.m.Endpoint.Address.split('.')[1], 'one endpoint code per account and region');
  assert.equal(record('orders').engine.running, true);
  assert.match(record('orders').endpointIp!, /^127\.100\./);
  fl.advance(60);
  const ready = await fl.python(RDS + `
i = inst('orders')
out({'status': i['DBInstanceStatus'], 'lrt': i['LatestRestorableTime'], 'created': i['InstanceCreateTime'], 'events': events('orders'),
     'auto': [(s['DBSnapshotIdentifier'], s['SnapshotType'], s['Status']) for s in rds.describe_db_snapshots(DBInstanceIdentifier='orders')['DBSnapshots']]})
`);
  assert.equal(ready.status, 'available');
  assert.deepEqual(ready.events, ['DB instance created.', 'Backing up DB instance.', 'Finished DB instance backup.']);
  assert.ok(Date.parse(ready.lrt) >= Date.parse(ready.created) && Date.parse(ready.lrt) <= now());
  assert.equal(Date.parse(ready.lrt) % 300_000 === 0 || ready.lrt === ready.created, true, 'LatestRestorableTime is on a 5-minute upload or at creation');
  assert.equal(ready.auto.length, 1);
  assert.match(ready.auto[0][0], /^rds:orders-\d{4}-\d\d-\d\d-\d\d-\d\d$/);
  assert.deepEqual(ready.auto[0].slice(1), ['automated', 'available']);

  const address = up.m.Endpoint.Address;
  const ip = record('orders').endpointIp;
  const fault = await fl.python(RDS + `out(control('/_faultline/faults', {'kind': 'az', 'target': 'us-east-1a'}))`);
  const detectIn = toNextCheck();
  fl.advance(detectIn);
  assert.equal(record('orders').DBInstanceStatus, 'rebooting');
  assert.equal(record('orders').engine.running, false);
  assert.equal(record('ledger').engine.running, false, 'the Single-AZ instance is down with its zone');
  assert.equal(record('ledger').DBInstanceStatus, 'available');
  fl.advance(74);
  assert.equal(record('orders').DBInstanceStatus, 'rebooting');
  fl.advance(1);
  const over = await fl.python(RDS + `i = inst('orders'); out({'i': i, 'events': events('orders')})`);
  assert.equal(over.i.DBInstanceStatus, 'available');
  assert.deepEqual([over.i.AvailabilityZone, over.i.SecondaryAvailabilityZone], ['us-east-1b', 'us-east-1a']);
  assert.equal(over.i.Endpoint.Address, address);
  assert.equal(record('orders').endpointIp, ip);
  assert.equal(record('orders').engine.running, true);
  assert.equal(record('orders').placement.primary!.zone, 'us-east-1b');
  assert.deepEqual(over.events.slice(3), [
    'Multi-AZ instance failover started.',
    'The primary host of the RDS Multi-AZ instance is unreachable due to loss of network connectivity.',
    'Multi-AZ instance failover completed.',
    'DB instance restarted.',
    'Multi-AZ instance recovery started.',
  ]);
  const log = fl.app.env.events.list().filter((e) => e.type === 'rds.failover').map((e) => [e.detail.phase, e.detail.from, e.detail.to]);
  assert.deepEqual(log, [['started', 'us-east-1a', 'us-east-1b'], ['completed', 'us-east-1a', 'us-east-1b']]);

  // Still down an hour later; back at the first health check after the heal, with "restarted".
  fl.advance(3600);
  assert.equal(record('ledger').engine.running, false);
  await fl.python(RDS + `control('/_faultline/faults/${fault.faultId}/heal', {})`);
  fl.advance(toNextCheck() || 10);
  assert.equal(record('ledger').engine.running, true);
  const healed = await fl.python(RDS + `out({'s': events('ledger'), 'm': events('orders'), 'i': inst('orders')})`);
  assert.deepEqual(healed.s, ['DB instance created.', 'DB instance restarted.']);
  assert.equal(healed.m.at(-1), 'Multi-AZ instance recovery completed. Pending failover or activation.');
  assert.equal(healed.i.SecondaryAvailabilityZone, 'us-east-1a');
});

test('ForceFailover is a planned failover; a Single-AZ instance refuses it', async () => {
  await fl.python(RDS + `create('planned', MultiAZ=True, DBSubnetGroupName='wide', BackupRetentionPeriod=0); create('single', DBSubnetGroupName='wide', BackupRetentionPeriod=0)`);
  fl.advance(300);
  const r = await fl.python(RDS + `
res = {'single': outcome(lambda: rds.reboot_db_instance(DBInstanceIdentifier='single', ForceFailover=True))}
i = rds.reboot_db_instance(DBInstanceIdentifier='planned', ForceFailover=True)['DBInstance']
res['status'] = i['DBInstanceStatus']
res['zones'] = [i['AvailabilityZone'], i['SecondaryAvailabilityZone']]
out(res)
`);
  assert.equal(r.single, 'InvalidParameterCombination 400 Cannot reboot a Single-AZ DB instance with failover: ForceFailover needs a Multi-AZ instance.');
  assert.equal(r.status, 'rebooting');
  fl.advance(75);
  const done = await fl.python(RDS + `i = inst('planned'); out({'zones': [i['AvailabilityZone'], i['SecondaryAvailabilityZone']], 'status': i['DBInstanceStatus'], 'events': events('planned')})`);
  assert.equal(done.status, 'available');
  assert.deepEqual(done.zones, [r.zones[1], r.zones[0]]);
  assert.deepEqual(done.events, ['DB instance created.', 'Multi-AZ instance failover started.', 'Multi-AZ instance failover completed.', 'The user requested a failover of the DB instance.', 'DB instance restarted.']);
});

test('snapshots and restores make new instances from the data; deletion takes a final snapshot', async () => {
  await fl.python(RDS + `create('source', DBSubnetGroupName='wide', DeletionProtection=True)`);
  fl.advance(360);
  const r = await fl.python(RDS + `
res = {}
res['early'] = outcome(lambda: rds.create_db_snapshot(DBSnapshotIdentifier='x', DBInstanceIdentifier='nope'))
s = rds.create_db_snapshot(DBSnapshotIdentifier='Nightly', DBInstanceIdentifier='source')['DBSnapshot']
res['snap'] = [s['DBSnapshotIdentifier'], s['Status'], s['SnapshotType'], s['Engine'], s['MasterUsername']]
res['restore_early'] = outcome(lambda: rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier='copy', DBSnapshotIdentifier='nightly'))
advance(60)
res['snap_after'] = rds.describe_db_snapshots(DBSnapshotIdentifier='nightly')['DBSnapshots'][0]['Status']
c = rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier='copy', DBSnapshotIdentifier='nightly', DBSubnetGroupName='wide')['DBInstance']
res['copy'] = [c['DBInstanceStatus'], c['MasterUsername'], c['Engine'], c['DBInstanceClass']]
res['both'] = outcome(lambda: rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier='source', TargetDBInstanceIdentifier='pitr', UseLatestRestorableTime=True, RestoreTime='2020-01-01T00:00:00Z', DBSubnetGroupName='wide'))
res['too_old'] = outcome(lambda: rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier='source', TargetDBInstanceIdentifier='pitr', RestoreTime='2020-01-01T00:00:00Z', DBSubnetGroupName='wide'))
lrt = inst('source')['LatestRestorableTime']
p = rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier='source', TargetDBInstanceIdentifier='pitr', UseLatestRestorableTime=True, DBSubnetGroupName='wide')['DBInstance']
res['pitr'] = p['DBInstanceStatus']
res['lrt'] = str(lrt)
res['protected'] = outcome(lambda: rds.delete_db_instance(DBInstanceIdentifier='source', SkipFinalSnapshot=True))
res['no_final'] = outcome(lambda: rds.delete_db_instance(DBInstanceIdentifier='copy'))
out(res)
`);
  assert.equal(r.early, 'DBInstanceNotFound 404 DBInstance nope not found.');
  assert.deepEqual(r.snap, ['nightly', 'creating', 'manual', 'postgres', 'app']);
  assert.equal(r.restore_early, 'InvalidDBSnapshotState 400 Snapshot nightly is not available.');
  assert.equal(r.snap_after, 'available');
  assert.deepEqual(r.copy, ['creating', 'app', 'postgres', 'db.t3.micro']);
  assert.equal(r.both, 'InvalidParameterCombination 400 Cannot specify both RestoreTime and UseLatestRestorableTime.');
  assert.match(r.too_old, /^InvalidRestoreFault 400 Restore time 2020-01-01T00:00:00.000Z is outside the restorable window/);
  assert.equal(r.pitr, 'creating');
  assert.equal(r.protected, 'InvalidParameterCombination 400 Cannot delete protected DB Instance, please disable deletion protection and try again.');
  assert.equal(r.no_final, 'InvalidParameterCombination 400 FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
  const source = record('source');
  assert.deepEqual(record('copy').engine.restoredFrom, { snapshot: 'nightly', sourceInstance: 'source' });
  assert.deepEqual(record('pitr').engine.restoredFrom, { sourceInstance: 'source', sourceDbiResourceId: source.DbiResourceId, pointInTime: new Date(Date.parse(r.lrt.replace(' ', 'T'))).toISOString() });
  assert.equal(record('copy').masterPassword, source.masterPassword);
  assert.notEqual(record('copy').endpointIp, source.endpointIp);

  fl.advance(360);
  const d = await fl.python(RDS + `
res = {'copy': events('copy'), 'pitr': events('pitr')}
i = rds.delete_db_instance(DBInstanceIdentifier='copy', FinalDBSnapshotIdentifier='copy-final')['DBInstance']
res['deleting'] = i['DBInstanceStatus']
res['final'] = rds.describe_db_snapshots(DBSnapshotIdentifier='copy-final')['DBSnapshots'][0]['Status']
advance(60)
res['gone'] = outcome(lambda: inst('copy'))
res['final_after'] = rds.describe_db_snapshots(DBSnapshotIdentifier='copy-final')['DBSnapshots'][0]['Status']
res['copy_after'] = events('copy')
res['snap_events'] = events('copy-final', 'db-snapshot')
out(res)
`);
  assert.deepEqual(d.copy, ['Restored from snapshot nightly.', 'Backing up DB instance.', 'Finished DB instance backup.']);
  assert.deepEqual(d.pitr, ['Restored from DB instance source to pitr.', 'Backing up DB instance.', 'Finished DB instance backup.']);
  assert.equal(d.deleting, 'deleting');
  assert.equal(d.final, 'creating');
  assert.equal(d.gone, 'DBInstanceNotFound 404 DBInstance copy not found.');
  assert.equal(d.final_after, 'available');
  assert.equal(d.copy_after.at(-1), 'DB instance deleted.');
  assert.deepEqual(d.snap_events, ['Creating manual snapshot.', 'Manual snapshot created.']);
});

test('bad input gets AWS\'s code and creates nothing', async () => {
  const before = fl.app.env.store.count(COLL.instances, { account: '000000000000', region: 'us-east-1' });
  const r = await fl.python(RDS + `
sub = ec2.describe_subnets(Filters=[{'Name': 'availability-zone', 'Values': ['us-east-1a']}])['Subnets'][0]['SubnetId']
out({
  'engine': outcome(lambda: create('bad1', Engine='oracle-xe')),
  'class': outcome(lambda: create('bad2', DBInstanceClass='db.z9.huge')),
  'one_az_group': outcome(lambda: rds.create_db_subnet_group(DBSubnetGroupName='solo', DBSubnetGroupDescription='one', SubnetIds=[sub])),
  'az_and_multi': outcome(lambda: create('bad3', MultiAZ=True, AvailabilityZone='us-east-1a')),
  'password_chars': outcome(lambda: create('bad4', MasterUserPassword='has/slash1')),
  'password_short': outcome(lambda: create('bad5', MasterUserPassword='short')),
  'password_long': outcome(lambda: create('bad6', Engine='mysql', MasterUserPassword='x' * 42)),
  'identifier': outcome(lambda: create('1bad--id')),
  'storage': outcome(lambda: create('bad7', AllocatedStorage=10)),
  'no_storage': outcome(lambda: rds.create_db_instance(DBInstanceIdentifier='bad8', Engine='postgres', DBInstanceClass='db.t3.micro', MasterUsername='app', MasterUserPassword='s3cret-pass', DBSubnetGroupName='main')),
  'duplicate': outcome(lambda: create('ORDERS')),
  'no_group': outcome(lambda: create('bad9', DBSubnetGroupName='nope')),
  'groups': sorted(g['DBSubnetGroupName'] for g in rds.describe_db_subnet_groups()['DBSubnetGroups']),
})
`);
  assert.equal(r.engine, 'InvalidParameterValue 400 Invalid DB engine: oracle-xe');
  assert.equal(r.class, 'InvalidParameterValue 400 Invalid DB Instance class: db.z9.huge');
  assert.equal(r.one_az_group, "DBSubnetGroupDoesNotCoverEnoughAZs 400 DB Subnet Group doesn't meet availability zone coverage requirement. Please add subnets to cover at least 2 availability zones. Current coverage: 1");
  assert.equal(r.az_and_multi, 'InvalidParameterCombination 400 Requesting a specific availability zone is not valid for Multi-AZ instances.');
  assert.equal(r.password_chars, `InvalidParameterValue 400 The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '"', ' ' may be used.`);
  assert.equal(r.password_short, 'InvalidParameterValue 400 The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.');
  assert.equal(r.password_long, 'InvalidParameterValue 400 The parameter MasterUserPassword is not a valid password because it is longer than 41 characters.');
  assert.match(r.identifier, /^InvalidParameterValue 400 The parameter DBInstanceIdentifier is not a valid identifier\./);
  assert.equal(r.storage, 'InvalidParameterCombination 400 Invalid storage size for engine name postgres and storage type gp3: 10');
  assert.equal(r.no_storage, 'InvalidParameterValue 400 The parameter AllocatedStorage must be provided and must not be null.');
  assert.equal(r.duplicate, 'DBInstanceAlreadyExists 400 DB instance already exists');
  assert.equal(r.no_group, 'DBSubnetGroupNotFoundFault 404 DBSubnetGroup nope not found.');
  assert.deepEqual(r.groups, ['main', 'wide']);
  assert.equal(fl.app.env.store.count(COLL.instances, { account: '000000000000', region: 'us-east-1' }), before);

  // The AWS CLI: a few calls as a user types them.
  const engines = await fl.aws('rds', 'describe-db-engine-versions', '--engine', 'postgres', '--default-only');
  assert.equal(engines.DBEngineVersions[0].DBParameterGroupFamily, 'postgres15');
  const listed = await fl.aws('rds', 'describe-db-instances', '--filters', 'Name=engine,Values=postgres', '--query', 'DBInstances[].DBInstanceIdentifier');
  assert.ok(listed.includes('orders'));
  const bad = await fl.awsRaw('rds', 'create-db-instance', '--db-instance-identifier', 'cli-bad', '--engine', 'postgres', '--db-instance-class', 'db.t3.micro', '--master-username', 'app', '--master-user-password', 'pass word!', '--allocated-storage', '20', '--db-subnet-group-name', 'main');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /InvalidParameterValue.*not a valid password/);
});

test('CloudFormation: a subnet group, a parameter group and a Multi-AZ instance; Endpoint attributes; an update that removes an instance, and a stack deletion, snapshot it', async () => {
  const spare = { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: '20', BackupRetentionPeriod: '0', MasterUsername: 'app', MasterUserPassword: 's3cret-pass', DBSubnetGroupName: { Ref: 'Subnets' } } };
  const templateOf = (withSpare: boolean) => JSON.stringify({
    Parameters: { A: { Type: 'String' }, B: { Type: 'String' } },
    Resources: {
      Subnets: { Type: 'AWS::RDS::DBSubnetGroup', Properties: { DBSubnetGroupDescription: 'db', SubnetIds: [{ Ref: 'A' }, { Ref: 'B' }] } },
      Params: { Type: 'AWS::RDS::DBParameterGroup', Properties: { Family: 'postgres15', Description: 'tuned', Parameters: { work_mem: '8192' } } },
      Db: {
        Type: 'AWS::RDS::DBInstance',
        Properties: {
          Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: '20', MultiAZ: 'true', BackupRetentionPeriod: '0',
          MasterUsername: 'app', MasterUserPassword: 's3cret-pass', DBSubnetGroupName: { Ref: 'Subnets' }, DBParameterGroupName: { Ref: 'Params' },
        },
      },
      ...(withSpare ? { Spare: spare } : {}),
    },
    Outputs: { Address: { Value: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] } }, Port: { Value: { 'Fn::GetAtt': ['Db', 'Endpoint.Port'] } }, Group: { Value: { Ref: 'Params' } } },
  });
  const started = await fl.python(RDS + `
cfn = boto3.client('cloudformation', config=no_retry)
subs = {s['AvailabilityZone']: s['SubnetId'] for s in ec2.describe_subnets(Filters=[{'Name': 'default-for-az', 'Values': ['false']}])['Subnets']}
cfn.create_stack(StackName='db-stack', TemplateBody=${JSON.stringify(templateOf(true))}, Parameters=[{'ParameterKey': 'A', 'ParameterValue': subs['us-east-1a']}, {'ParameterKey': 'B', 'ParameterValue': subs['us-east-1b']}])
out(cfn.describe_stacks(StackName='db-stack')['Stacks'][0]['StackStatus'])
`);
  assert.equal(started, 'CREATE_IN_PROGRESS');
  fl.advance(320);
  const r = await fl.python(RDS + `
cfn = boto3.client('cloudformation', config=no_retry)
s = cfn.describe_stacks(StackName='db-stack')['Stacks'][0]
db = [x for x in cfn.describe_stack_resources(StackName='db-stack')['StackResources'] if x['LogicalResourceId'] == 'Db'][0]['PhysicalResourceId']
i = inst(db)
out({'status': s['StackStatus'], 'outputs': {o['OutputKey']: o['OutputValue'] for o in s.get('Outputs', [])}, 'db': db, 'address': i['Endpoint']['Address'], 'multi': i['MultiAZ'],
     'pg': i['DBParameterGroups'][0]['DBParameterGroupName'], 'params': rds.describe_db_parameters(DBParameterGroupName=i['DBParameterGroups'][0]['DBParameterGroupName'])['Parameters']})
`);
  assert.equal(r.status, 'CREATE_COMPLETE');
  assert.match(r.db, /^db-stack-db-[a-z0-9]+$/);
  assert.equal(r.outputs.Address, r.address);
  assert.equal(r.outputs.Port, '5432');
  assert.equal(r.outputs.Group, r.pg);
  assert.equal(r.multi, true);
  assert.deepEqual(r.params.map((p: { ParameterName: string; ParameterValue: string }) => [p.ParameterName, p.ParameterValue]), [['work_mem', '8192']]);
  // Removed from the template, an instance without a DeletionPolicy gets RDS's default, Snapshot.
  const spareId = await fl.python(RDS + `
cfn = boto3.client('cloudformation', config=no_retry)
spare = [x for x in cfn.describe_stack_resources(StackName='db-stack')['StackResources'] if x['LogicalResourceId'] == 'Spare'][0]['PhysicalResourceId']
cfn.update_stack(StackName='db-stack', TemplateBody=${JSON.stringify(templateOf(false))}, Parameters=[{'ParameterKey': 'A', 'UsePreviousValue': True}, {'ParameterKey': 'B', 'UsePreviousValue': True}])
out(spare)
`);
  fl.advance(200);
  const removed = await fl.python(RDS + `
cfn = boto3.client('cloudformation', config=no_retry)
out({'status': cfn.describe_stacks(StackName='db-stack')['Stacks'][0]['StackStatus'], 'db': outcome(lambda: inst('${spareId}')),
     'snaps': [(s['Status'], s['SnapshotType']) for s in rds.describe_db_snapshots(DBInstanceIdentifier='${spareId}')['DBSnapshots']]})
`);
  assert.deepEqual(removed, { status: 'UPDATE_COMPLETE', db: `DBInstanceNotFound 404 DBInstance ${spareId} not found.`, snaps: [['available', 'manual']] });
  await fl.python(RDS + `boto3.client('cloudformation').delete_stack(StackName='db-stack')`);
  fl.advance(200);
  const d = await fl.python(RDS + `
cfn = boto3.client('cloudformation', config=no_retry)
out({'db': outcome(lambda: inst('${r.db}')),
     'snaps': [(s['DBSnapshotIdentifier'], s['Status'], s['SnapshotType']) for s in rds.describe_db_snapshots(DBInstanceIdentifier='${r.db}')['DBSnapshots']]})
`);
  assert.equal(d.db, `DBInstanceNotFound 404 DBInstance ${r.db} not found.`);
  assert.equal(d.snaps.length, 1);
  assert.match(d.snaps[0][0], /^db-stack-db-[a-z0-9]+$/);
  assert.notEqual(d.snaps[0][0], r.db);
  assert.deepEqual(d.snaps[0].slice(1), ['available', 'manual']);
});

test('FIS aws:rds:reboot-db-instances with forceFailover fails a Multi-AZ instance over; on a Single-AZ one the action fails', async () => {
  await fl.python(RDS + `create('drill', MultiAZ=True, DBSubnetGroupName='wide', BackupRetentionPeriod=0)`);
  fl.advance(300);
  const r = await fl.python(RDS + `
fis = boto3.client('fis', config=no_retry)
def run(db):
    t = fis.create_experiment_template(description='db failover', roleArn='${ROLE_ARN}', stopConditions=[{'source': 'none'}],
        targets={'dbs': {'resourceType': 'aws:rds:db', 'resourceArns': ['arn:aws:rds:us-east-1:000000000000:db:' + db], 'selectionMode': 'ALL'}},
        actions={'failover': {'actionId': 'aws:rds:reboot-db-instances', 'parameters': {'forceFailover': 'true'}, 'targets': {'DBInstances': 'dbs'}}})
    return fis.start_experiment(experimentTemplateId=t['experimentTemplate']['id'])['experiment']['id']
before = inst('drill')
x = run('drill')
advance(1)
mid = inst('drill')['DBInstanceStatus']
y = run('single')
advance(80)
e = lambda i: fis.get_experiment(id=i)['experiment']['state']
after = inst('drill')
out({'before': [before['AvailabilityZone'], before['SecondaryAvailabilityZone']], 'mid': mid, 'after': [after['AvailabilityZone'], after['SecondaryAvailabilityZone']],
     'x': e(x)['status'], 'y': [e(y)['status'], e(y)['reason']]})
`);
  assert.equal(r.mid, 'rebooting');
  assert.deepEqual(r.after, [r.before[1], r.before[0]]);
  assert.equal(r.x, 'completed');
  assert.equal(r.y[0], 'failed');
  assert.equal(r.y[1], 'Action failover failed: InvalidParameterCombination: Cannot reboot a Single-AZ DB instance with failover: ForceFailover needs a Multi-AZ instance.', 'RDS\'s refusal, as the dependent service\'s failure');
});

test('ModifyDBInstance: applied at once with ApplyImmediately (modifying for 60 s), else kept pending; backups turned on take one before any restore, turned off go', async () => {
  await fl.python(RDS + `create('resized', DBSubnetGroupName='wide', BackupRetentionPeriod=0)`);
  fl.advance(300);
  // Terraform sends EngineVersion '' when none is set: the engine's default version, as with none.
  const blank = await fl.python(RDS + `out(create('blank-version', Engine='mariadb', EngineVersion='', BackupRetentionPeriod=0)['EngineVersion'])`);
  assert.match(blank, /^10\.11\./);
  const r = await fl.python(RDS + `
before = inst('resized')['DBInstanceStatus']
off = outcome(lambda: rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier='resized', TargetDBInstanceIdentifier='resized-pitr', UseLatestRestorableTime=True, DBSubnetGroupName='wide'))
now = rds.modify_db_instance(DBInstanceIdentifier='resized', DBInstanceClass='db.t3.small', BackupRetentionPeriod=3, ApplyImmediately=True)['DBInstance']
out({'before': before, 'now': now['DBInstanceStatus'], 'off': off, 'lrt': now.get('LatestRestorableTime')})
`);
  assert.deepEqual(r, { before: 'available', now: 'modifying', off: 'PointInTimeRestoreNotEnabled 400 Point-in-time restore is not enabled for DB instance resized: its backup retention period is 0.', lrt: null });
  fl.advance(59);
  assert.equal(await fl.python(RDS + `out(inst('resized')['DBInstanceStatus'])`), 'modifying');
  fl.advance(1);
  const PITR = `lambda: rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier='resized', TargetDBInstanceIdentifier='resized-pitr', UseLatestRestorableTime=True, DBSubnetGroupName='wide')`;
  const SNAPS = `[(s['SnapshotType'], s['Status']) for s in rds.describe_db_snapshots(DBInstanceIdentifier='resized')['DBSnapshots']]`;
  const BACKUPS = `[(b['Status'], sorted(b['RestoreWindow'])) for b in rds.describe_db_instance_automated_backups(DBInstanceIdentifier='resized')['DBInstanceAutomatedBackups']]`;
  const done = await fl.python(RDS + `
i = inst('resized')
res = {'applied': [i['DBInstanceStatus'], i['DBInstanceClass'], i['BackupRetentionPeriod'], i['PendingModifiedValues']], 'lrt': i.get('LatestRestorableTime'),
       'pitr': outcome(${PITR}), 'snaps': ${SNAPS}, 'backups': ${BACKUPS}}
advance(60)
i = inst('resized')
res['after'] = [i['DBInstanceStatus'], 'LatestRestorableTime' in i, ${SNAPS}, ${BACKUPS}, outcome(${PITR})]
res['events'] = events('resized')
later = rds.modify_db_instance(DBInstanceIdentifier='resized', DBInstanceClass='db.t3.medium')['DBInstance']
res['later'] = [later['DBInstanceStatus'], later['DBInstanceClass'], later['PendingModifiedValues']]
out(res)
`);
  // Turning backups on is an outage that ends with the first backup (RDS-EVENT-0001, 0002); until it is done, nothing to restore from.
  assert.deepEqual(done.applied, ['backing-up', 'db.t3.small', 3, {}]);
  assert.equal(done.lrt, null);
  assert.equal(done.pitr, 'DBInstanceAutomatedBackupNotFound 404 No automated backup for this DB instance was found.');
  assert.deepEqual(done.snaps, [['automated', 'creating']]);
  assert.deepEqual(done.backups, [['creating', []]]);
  assert.deepEqual(done.after, ['available', true, [['automated', 'available']], [['active', ['EarliestTime', 'LatestTime']]], 'ok']);
  assert.deepEqual(done.events, ['DB instance created.', 'Backing up DB instance.', 'Finished DB instance backup.']);
  assert.deepEqual(done.later, ['available', 'db.t3.small', { DBInstanceClass: 'db.t3.medium' }]);

  // Turned off: an outage, then no automated backups and no restorable time.
  await fl.python(RDS + `rds.modify_db_instance(DBInstanceIdentifier='resized', BackupRetentionPeriod=0, ApplyImmediately=True)`);
  fl.advance(60);
  const off = await fl.python(RDS + `i = inst('resized'); out([i['DBInstanceStatus'], 'LatestRestorableTime' in i, ${SNAPS}])`);
  assert.deepEqual(off, ['available', false, []]);
});

test('an instance without a subnet group goes into the default VPC, through the `default` subnet group RDS makes over its default subnets', async () => {
  const r = await fl.python(RDS + `
args = dict(DBInstanceIdentifier='plain', Engine='postgres', DBInstanceClass='db.t3.micro', MasterUsername='app', MasterUserPassword='s3cret-pass', AllocatedStorage=20)
g = rds.create_db_instance(**args)['DBInstance']['DBSubnetGroup']
vpc = ec2.describe_vpcs(Filters=[{'Name': 'is-default', 'Values': ['true']}])['Vpcs'][0]['VpcId']
defaults = sorted(s['SubnetId'] for s in ec2.describe_subnets(Filters=[{'Name': 'default-for-az', 'Values': ['true']}])['Subnets'])
listed = rds.describe_db_subnet_groups(DBSubnetGroupName='default')['DBSubnetGroups'][0]
out({'name': g['DBSubnetGroupName'], 'description': g['DBSubnetGroupDescription'], 'vpc': g['VpcId'] == vpc, 'subnets': sorted(s['SubnetIdentifier'] for s in listed['Subnets']) == defaults, 'count': len(defaults),
     'again': rds.create_db_instance(**dict(args, DBInstanceIdentifier='plain2'))['DBInstance']['DBSubnetGroup']['DBSubnetGroupName']})
`);
  assert.deepEqual(r, { name: 'default', description: 'default', vpc: true, subnets: true, count: 6, again: 'default' });
});
