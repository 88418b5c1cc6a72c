/**
 * RDS's daily automated backups through boto3, on the manual clock (simulated driver): with
 * BackupRetentionPeriod 1, a backup when the PreferredBackupWindow opens each day (`backing-up`,
 * "Backing up DB instance." then "Finished DB instance backup."), none at other times,
 * LatestRestorableTime moving on with the 5-minute log uploads, and the automated snapshots older
 * than the retention deleted, but for the one the earliest restorable time restores from.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

let fl: Faultline;
before(async () => {
  fl = await startFaultline();
  await fl.python(RDS + `
vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
rds.create_db_subnet_group(DBSubnetGroupName='main', DBSubnetGroupDescription='two zones', SubnetIds=[a, b])
`);
});
after(() => fl.close());

const RDS = BOTO3_PRELUDE + `
rds = boto3.client('rds', config=no_retry)
ec2 = boto3.client('ec2', config=no_retry)
def state():
    i = rds.describe_db_instances(DBInstanceIdentifier='nightly')['DBInstances'][0]
    snaps = rds.describe_db_snapshots(DBInstanceIdentifier='nightly', SnapshotType='automated')['DBSnapshots']
    backups = rds.describe_db_instance_automated_backups(DBInstanceIdentifier='nightly')['DBInstanceAutomatedBackups']
    return {'status': i['DBInstanceStatus'], 'lrt': i.get('LatestRestorableTime'),
            'snaps': sorted((s['DBSnapshotIdentifier'], s['Status']) for s in snaps),
            'window': backups[0]['RestoreWindow'] if backups else None,
            'events': [e['Message'] for e in rds.describe_events(SourceIdentifier='nightly', SourceType='db-instance', Duration=10080)['Events']]}
`;

const now = () => fl.app.env.clock.now();
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
/** AWS's name of an automated snapshot taken at `ms`. */
const automated = (ms: number) => `rds:nightly-${new Date(ms).toISOString().slice(0, 16).replace(/[T:]/g, '-')}`;
const state = () => fl.python(RDS + `out(state())`);
/** Advances the clock to `at` (ms). */
const advanceTo = (at: number) => fl.advance((at - now()) / 1000);
const iso = (ms: number) => new Date(ms).toISOString();
const parse = (t: string) => Date.parse(t.replace(' ', 'T'));

test('one automated backup a day when the backup window opens; those older than the retention go', async () => {
  // The window opens on the first whole hour at least 30 minutes after the instance is available.
  const opens = Math.ceil((now() + 40 * MINUTE) / 3_600_000) * 3_600_000;
  const created = await fl.python(RDS + `
i = rds.create_db_instance(DBInstanceIdentifier='nightly', Engine='postgres', DBInstanceClass='db.t3.micro', MasterUsername='app', MasterUserPassword='s3cret-pass',
    AllocatedStorage=20, DBSubnetGroupName='main', BackupRetentionPeriod=1, PreferredBackupWindow='${hhmm(opens)}-${hhmm(opens + 30 * MINUTE)}')['DBInstance']
out(i['PreferredBackupWindow'])
`);
  assert.equal(created, `${hhmm(opens)}-${hhmm(opens + 30 * MINUTE)}`);
  const firstAt = now() + 300_000;
  fl.advance(360);
  const first = await state();
  assert.equal(first.status, 'available');
  assert.deepEqual(first.snaps, [[automated(firstAt), 'available']], 'the first backup, at creation');

  // Nothing until the window opens; then a backup, once.
  advanceTo(opens - 10_000);
  const waiting = await state();
  assert.equal(waiting.status, 'available');
  assert.equal(waiting.snaps.length, 1);
  fl.advance(10);
  const backingUp = await state();
  assert.equal(backingUp.status, 'backing-up');
  assert.deepEqual(backingUp.snaps, [[automated(firstAt), 'available'], [automated(opens), 'creating']]);
  fl.advance(60);
  const backedUp = await state();
  assert.equal(backedUp.status, 'available');
  assert.deepEqual(backedUp.snaps, [[automated(firstAt), 'available'], [automated(opens), 'available']]);
  const cycle = ['Backing up DB instance.', 'Finished DB instance backup.'];
  assert.deepEqual(backedUp.events, ['DB instance created.', ...cycle, ...cycle]);

  // The rest of the day: no other backup, and LatestRestorableTime follows the 5-minute uploads.
  advanceTo(opens + DAY - 10_000);
  const dayLater = await state();
  assert.equal(dayLater.events.length, 5);
  assert.equal(dayLater.snaps.length, 2);
  assert.equal(parse(dayLater.lrt), Math.floor(now() / (5 * MINUTE)) * 5 * MINUTE);

  // The next window: a new backup, and the one from creation, older than the one-day retention, goes.
  fl.advance(70);
  const next = await state();
  assert.equal(next.status, 'available');
  assert.deepEqual(next.snaps, [[automated(opens), 'available'], [automated(opens + DAY), 'available']]);
  assert.deepEqual(next.events, ['DB instance created.', ...cycle, ...cycle, ...cycle]);
  assert.equal(parse(next.window.EarliestTime), now() - DAY, 'restorable back to the retention period');

  // A point-in-time restore to the earliest time is accepted: the backup at the window's opening a day ago covers it.
  const restored = await fl.python(RDS + `
out(rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier='nightly', TargetDBInstanceIdentifier='nightly-then', RestoreTime='${iso(now() - DAY)}', DBSubnetGroupName='main')['DBInstance']['DBInstanceStatus'])
`);
  assert.equal(restored, 'creating');
});
