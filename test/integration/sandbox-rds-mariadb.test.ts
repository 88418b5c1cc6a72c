/**
 * RDS's `mariadb` and `mysql` engines under the sandbox driver, driven as a user drives them: boto3
 * creates the instances, the control API fails a zone, the manual clock runs RDS's timings, and
 * MariaDB's own client (`mariadb`, `mysql`) connects to Endpoint.Address:Port (resolved through
 * faultline's DNS). A Multi-AZ instance keeps every committed row through a failover to the other
 * zone; its master user has RDS's privileges, not FILE, SUPER or SHUTDOWN; a `mysql` instance
 * answers, takes a new master password at once, and a snapshot of it restores with its data.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip } from '../sandbox-support.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { PASSWORD, mariadb, mariadbUntil, toMidday } from '../rds-support.ts';
import { COLL, type DBInstanceRecord } from '../../src/services/rds/state.ts';
import { readRecords, writeRecord } from '../../src/drills/probes.ts';
import type { RecordProbe } from '../../src/drills/file.ts';

const RDS = BOTO3_PRELUDE + `
rds = boto3.client('rds', config=no_retry)
def inst(i): return rds.describe_db_instances(DBInstanceIdentifier=i)['DBInstances'][0]
def create(i, **kw):
    args = dict(DBInstanceIdentifier=i, DBInstanceClass='db.t3.micro', MasterUsername='app', MasterUserPassword='${PASSWORD}', AllocatedStorage=20, DBSubnetGroupName='main', BackupRetentionPeriod=0)
    args.update(kw)
    return rds.create_db_instance(**args)['DBInstance']
`;

describe('RDS MariaDB and MySQL engines (sandbox driver)', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  const record = (id: string) => fl.app.env.store.get<DBInstanceRecord>(COLL.instances, { account: '000000000000', region: 'us-east-1' }, id)!;
  /** The endpoint's address, as faultline's DNS answers it (`faultline resolve`). */
  const resolve = async (name: string): Promise<string> => {
    const { addresses } = (await (await fetch(`${fl.url}/_faultline/resolve?name=${encodeURIComponent(name)}`)).json()) as { addresses: string[] };
    assert.equal(addresses.length, 1, `${name} resolves to one address`);
    return addresses[0];
  };
  /** Seconds from now to the instance loop's next health check (on multiples of 10 s). */
  const toNextCheck = () => (Math.ceil(fl.app.env.clock.now() / 10_000) * 10_000 - fl.app.env.clock.now()) / 1000 || 10;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    fl.advance(toMidday(fl.app.env.clock.now()));
    await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
boto3.client('rds').create_db_subnet_group(DBSubnetGroupName='main', DBSubnetGroupDescription='two zones', SubnetIds=[a, b])
`);
  });
  after(async () => {
    await fl?.close();
  });

  it('a Multi-AZ mariadb instance keeps every committed row through a failover of its zone, and its master user is no superuser', async () => {
    const made = await fl.python(RDS + `out(create('shop', Engine='mariadb', MultiAZ=True, DBName='shop'))`);
    assert.equal(made.Engine, 'mariadb');
    fl.advance(300);
    const up = await fl.python(RDS + `out(inst('shop'))`);
    assert.equal(up.DBInstanceStatus, 'available');
    assert.equal(up.Endpoint.Port, 3306);
    const ip = await resolve(up.Endpoint.Address);
    const q = (sql: string) => mariadb(ip, 3306, sql, { db: 'shop' });

    assert.equal(await mariadbUntil(ip, 3306, 'SELECT CURRENT_USER()', { db: 'shop' }), 'app@%');
    assert.equal((await q('SELECT VERSION()')).out?.includes('MariaDB'), true);
    await q('CREATE TABLE rows_committed (n INT PRIMARY KEY) ENGINE=InnoDB');
    for (const range of ['1 AND 50', '51 AND 100']) assert.deepEqual(await q(`INSERT INTO rows_committed SELECT seq FROM seq_1_to_100 WHERE seq BETWEEN ${range}`), { out: '' });
    assert.equal((await q('SELECT COUNT(*) FROM rows_committed')).out, '100');
    assert.match((await mariadb(ip, 3306, 'SELECT 1', { password: 'wrong-password' })).error!, /ERROR 1045 .*Access denied for user 'app'/);

    // RDS's master user: its documented privileges, none that reach the host's files or the server itself.
    const grants = (await q('SHOW GRANTS')).out!;
    assert.match(grants, /^GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, .* ON \*\.\* TO `app`@`%`.* WITH GRANT OPTION$/);
    for (const privilege of ['SUPER', 'FILE', 'SHUTDOWN', 'ALL PRIVILEGES']) assert.doesNotMatch(grants, new RegExp(`\\b${privilege}\\b`), privilege);
    assert.match((await q("SELECT n FROM rows_committed INTO OUTFILE '/db/data/rows.txt'")).error!, /ERROR 1227 .*FILE privilege/);
    assert.match((await q('SHUTDOWN')).error!, /ERROR 1227 .*SHUTDOWN privilege/);
    assert.equal((await q("SELECT GROUP_CONCAT(CONCAT(User, '@', Host) ORDER BY User) FROM mysql.user")).out, 'app@%,mariadb.sys@localhost,rdsadmin@localhost', 'no root; the internal superuser only from inside the jail');

    // The drills' sql probe commits its numbered rows through a mysql:// connection string.
    const probe: RecordProbe = { name: 'rows', interval: 10, kind: 'sql', url: `mysql://app:${PASSWORD}@${ip}:3306/shop`, table: 'faultline_rpo', record: 'faultline_rpo row {n}', timeout: 5 };
    for (const n of [1, 2, 3]) assert.deepEqual(await writeRecord(probe, n), { ok: true, detail: `faultline_rpo row ${n}: committed` });

    // The primary's zone fails: RDS notices at its next health check and fails over in 75 s.
    const zones = [up.AvailabilityZone, up.SecondaryAvailabilityZone];
    await fl.python(RDS + `control('/_faultline/faults', {'kind': 'az', 'target': '${zones[0]}'})`);
    fl.advance(toNextCheck());
    assert.equal(record('shop').DBInstanceStatus, 'rebooting');
    await mariadbUntil(ip, 3306, 'SELECT 1', { gone: true });
    assert.match((await writeRecord(probe, 4)).detail, /^faultline_rpo row 4: .*ECONNREFUSED/);
    fl.advance(75);
    const over = await fl.python(RDS + `out(inst('shop'))`);
    assert.equal(over.DBInstanceStatus, 'available');
    assert.deepEqual([over.AvailabilityZone, over.SecondaryAvailabilityZone], [zones[1], zones[0]]);
    assert.equal(over.Endpoint.Address, up.Endpoint.Address);
    assert.equal(await resolve(over.Endpoint.Address), ip);
    // InnoDB's crash recovery on the same storage, in the standby's zone: every committed row.
    assert.equal(await mariadbUntil(ip, 3306, 'SELECT COUNT(*), SUM(n) FROM rows_committed', { db: 'shop' }), '100\t5050');
    assert.deepEqual(await readRecords(probe), { numbers: new Set([1, 2, 3]) });
    await fl.python(RDS + `control('/_faultline/faults/heal-all', {})`);
  });

  it('a mysql instance answers the mysql client, takes a new master password at once, and restores from a snapshot with its data', async () => {
    await fl.python(RDS + `create('ledger', Engine='mysql', EngineVersion='8.0.36')`);
    fl.advance(300);
    const up = await fl.python(RDS + `out(inst('ledger'))`);
    assert.equal(up.DBInstanceStatus, 'available');
    const ip = await resolve(up.Endpoint.Address);
    const q = (sql: string, password?: string) => mariadb(ip, up.Endpoint.Port, sql, { client: 'mysql', password });
    assert.equal(await mariadbUntil(ip, up.Endpoint.Port, 'SELECT CURRENT_USER()', { client: 'mysql' }), 'app@%');
    assert.equal((await q("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')")).out, '', 'no DBName, no database');
    assert.deepEqual(await q('CREATE DATABASE books; CREATE TABLE books.entries (n INT PRIMARY KEY, memo VARCHAR(20)); INSERT INTO books.entries VALUES (1, \'opening\'), (2, \'rent\')'), { out: '' });

    // ModifyDBInstance's new password reaches the running engine (no restart); the old one no longer logs in.
    await fl.python(RDS + `rds.modify_db_instance(DBInstanceIdentifier='ledger', MasterUserPassword='New-pass2', ApplyImmediately=True)`);
    assert.equal(await mariadbUntil(ip, up.Endpoint.Port, 'SELECT 1', { client: 'mysql', password: 'New-pass2' }), '1');
    assert.match((await q('SELECT 1')).error!, /ERROR 1045 .*Access denied for user 'app'/);

    // A snapshot of the running server (mariadb-backup), then a row after it: the restored instance has the first two only.
    await fl.python(RDS + `rds.create_db_snapshot(DBSnapshotIdentifier='ledger-snap', DBInstanceIdentifier='ledger')`);
    await fl.app.driver.settle();
    await q("INSERT INTO books.entries VALUES (3, 'after')", 'New-pass2');
    fl.advance(60);
    await fl.python(RDS + `rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier='ledger-copy', DBSnapshotIdentifier='ledger-snap', DBSubnetGroupName='main')`);
    fl.advance(300);
    const copy = await fl.python(RDS + `out(inst('ledger-copy'))`);
    assert.equal(copy.Engine, 'mysql');
    const copyIp = await resolve(copy.Endpoint.Address);
    assert.notEqual(copyIp, ip);
    const rows = await mariadbUntil(copyIp, copy.Endpoint.Port, "SELECT GROUP_CONCAT(memo ORDER BY n) FROM books.entries", { client: 'mysql', password: 'New-pass2' });
    assert.equal(rows, 'opening,rent');
    assert.equal((await q("SELECT GROUP_CONCAT(memo ORDER BY n) FROM books.entries", 'New-pass2')).out, 'opening,rent,after', 'the source keeps its own data');
  });
});
