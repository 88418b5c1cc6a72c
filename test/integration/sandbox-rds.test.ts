/**
 * RDS's real engines under the sandbox driver: a DB instance whose record says its engine runs
 * is a PostgreSQL server on its endpoint address, with its master user, password and database;
 * `psql` on the host writes rows. Killing it and starting it on another host (a failover) keeps
 * every committed row, through crash recovery on the same storage; a snapshot is a consistent copy
 * taken while it runs, and an instance restored from it starts with that data and nothing later;
 * a copy of the snapshot (CopyDBSnapshot) holds the same data, not what the instance holds since.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { sandboxSkip } from '../sandbox-support.ts';
import { parseCidr4, formatIp4 } from '../../src/services/ec2/cidr.ts';
import { COLL, type DBInstanceRecord, type DBSnapshotRecord } from '../../src/services/rds/state.ts';
import { PASSWORD, dbInstanceRecord as instance, dbSnapshotRecord, psql, psqlUntil } from '../rds-support.ts';
import { readRecords, writeRecord } from '../../src/drills/probes.ts';
import type { RecordProbe } from '../../src/drills/file.ts';

const runFile = promisify(execFile);
const scope = { account: '000000000000', region: 'us-east-1' };

describe('RDS engines (sandbox driver)', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let ip1: string;
  let ip2: string;
  let ip3: string;
  let ip4: string;
  let ip5: string;
  const put = (r: DBInstanceRecord) => fl.app.env.store.transaction(() => fl.app.env.store.put(COLL.instances, scope, r.DBInstanceIdentifier, r));
  const get = (id: string) => fl.app.env.store.get<DBInstanceRecord>(COLL.instances, scope, id) as DBInstanceRecord;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    const pool = parseCidr4(fl.app.env.config.publicIpPool)!;
    [ip1, ip2, ip3, ip4, ip5] = [250, 251, 252, 253, 254].map((n) => formatIp4(pool.base + n));
  });
  after(async () => {
    await fl?.close();
  });

  it('serves the instance with its master user and database, keeps every committed row across a failover, and restores a snapshot', async () => {
    put(instance('orders', ip1));
    assert.equal(await psqlUntil(ip1, 5432, 'shop', 'SELECT current_user'), 'app');
    await psql(ip1, 5432, 'shop', 'CREATE TABLE rows (n int PRIMARY KEY)');
    assert.equal(await psql(ip1, 5432, 'shop', 'INSERT INTO rows SELECT generate_series(1, 100)'), 'INSERT 0 100');
    assert.equal(await psql(ip1, 5432, 'postgres', 'SELECT 1'), '1', 'RDS for PostgreSQL also has the postgres database');
    const wrong = await runFile('psql', ['-h', ip1, '-U', 'app', '-d', 'shop', '-c', 'SELECT 1'], { env: { ...process.env, PGPASSWORD: 'wrong-password' } }).catch((e) => e as { stderr: string });
    assert.match((wrong as { stderr: string }).stderr, /password authentication failed for user "app"/);
    // The drills' sql probe commits its numbered rows through the endpoint.
    const probe: RecordProbe = { name: 'rows', interval: 10, kind: 'sql', url: `postgres://app:${PASSWORD}@${ip1}:5432/shop`, table: 'faultline_rpo', record: 'faultline_rpo row {n}', timeout: 5 };
    for (const n of [1, 2, 3]) assert.deepEqual(await writeRecord(probe, n), { ok: true, detail: `faultline_rpo row ${n}: committed` });

    // The primary's host is lost: the engine is gone (no clean shutdown), then starts on the standby's host on the same storage.
    put({ ...get('orders'), engine: { running: false } });
    await psqlUntil(ip1, 5432, 'shop', 'SELECT 1', { gone: true });
    assert.match((await writeRecord(probe, 4)).detail, /^faultline_rpo row 4: .*ECONNREFUSED/);
    const swapped = get('orders');
    put({ ...swapped, placement: { primary: swapped.placement.standby, standby: swapped.placement.primary }, engine: { running: true } });
    assert.equal(await psqlUntil(ip1, 5432, 'shop', 'SELECT count(*) FROM rows'), '100');
    assert.deepEqual(await readRecords(probe), { numbers: new Set([1, 2, 3]) });

    // A snapshot while it runs, then a row after it: the restored instance has the first 100 rows only.
    fl.app.env.store.transaction(() =>
      fl.app.env.store.put<DBSnapshotRecord>(COLL.snapshots, scope, 'before-101', dbSnapshotRecord('before-101', 'orders', fl.app.env.clock.now())),
    );
    await fl.app.driver.settle();
    await psql(ip1, 5432, 'shop', 'INSERT INTO rows VALUES (101)');
    put(instance('orders-copy', ip2, { engine: { running: true, restoredFrom: { snapshot: 'before-101' } } }));
    assert.equal(await psqlUntil(ip2, 5432, 'shop', 'SELECT count(*) || \',\' || max(n) FROM rows'), '100,100');
    assert.equal(await psql(ip1, 5432, 'shop', 'SELECT count(*) FROM rows'), '101', 'the source keeps serving its own data');

    // CopyDBSnapshot of it, once available: the copy holds the snapshot's 100 rows, not the instance's 101.
    const snapshot = fl.app.env.store.get<DBSnapshotRecord>(COLL.snapshots, scope, 'before-101') as DBSnapshotRecord;
    fl.app.env.store.transaction(() => fl.app.env.store.put<DBSnapshotRecord>(COLL.snapshots, scope, 'before-101', { ...snapshot, Status: 'available', PercentProgress: 100 }));
    await fl.python(BOTO3_PRELUDE + `boto3.client('rds').copy_db_snapshot(SourceDBSnapshotIdentifier='before-101', TargetDBSnapshotIdentifier='copy-of-100')`);
    await fl.app.driver.settle();
    put(instance('from-copy', ip5, { engine: { running: true, restoredFrom: { snapshot: 'copy-of-100' } } }));
    assert.equal(await psqlUntil(ip5, 5432, 'shop', 'SELECT count(*) || \',\' || max(n) FROM rows'), '100,100');
  });

  it('gives the master user no superuser, the engine\'s user no file faultline writes through, and an instance re-created under the same identifier none of the old data', async () => {
    put(instance('jailed', ip3));
    assert.equal(await psqlUntil(ip3, 5432, 'shop', 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user'), 'f');
    await psql(ip3, 5432, 'shop', 'CREATE TABLE old_rows AS SELECT 1 AS n');
    assert.equal(await psql(ip3, 5432, 'shop', "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shop'"), 'app', 'the master user owns DBName');
    const copy = await runFile('psql', ['-h', ip3, '-U', 'app', '-d', 'shop', '-c', "COPY (SELECT 1) TO PROGRAM 'true'"], { env: { ...process.env, PGPASSWORD: PASSWORD } }).catch((e) => e as { stderr: string });
    assert.match((copy as { stderr: string }).stderr, /must be superuser or have privileges of the pg_execute_server_program role/);

    // Whoever runs code as the engine's user in its jail (postgres, its directory at /db) links the files faultline writes there to a file of the test's own.
    const tmp = mkdtempSync(join(tmpdir(), 'rds-jail-'));
    const target = join(tmp, 'target');
    writeFileSync(target, 'untouched\n');
    const dir = join(fl.dataDir, 'runtime', 'rds', scope.account, scope.region, 'jailed');
    const asEngineUser = ['--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
      '--ro-bind', '/etc/passwd', '/etc/passwd', '--ro-bind', '/etc/group', '/etc/group', '--bind', dir, '/db', 'setpriv', '--reuid=postgres', '--regid=postgres', '--clear-groups'];
    for (const name of ['engine.log', 'resource-id', 'admin', 'pg_hba.conf', 'pwfile']) {
      await runFile('bwrap', [...asEngineUser, 'ln', '-sfn', target, `/db/${name}`]).catch(() => undefined);
    }
    // The instance is deleted and another created under its identifier (a new DbiResourceId), the
    // runtime never seeing the identifier free: faultline opens the log, writes the marker, the config and a new database.
    put({ ...get('jailed'), engine: { running: false } });
    await psqlUntil(ip3, 5432, 'shop', 'SELECT 1', { gone: true });
    put(instance('jailed', ip3, { DbiResourceId: 'db-JAILED-AGAIN' }));
    assert.equal(await psqlUntil(ip3, 5432, 'shop', 'SELECT current_user'), 'app');
    assert.equal(await psql(ip3, 5432, 'shop', "SELECT count(*) FROM pg_tables WHERE tablename = 'old_rows'"), '0', 'none of the old instance\'s data');
    assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('gives the running engine a new master password at once, and still takes snapshots after', async () => {
    put(instance('rotated', ip4));
    await psqlUntil(ip4, 5432, 'shop', 'SELECT 1');
    // ModifyDBInstance with MasterUserPassword changes only the record's password.
    put({ ...get('rotated'), masterPassword: 'New-pass2' });
    const as = (password: string) =>
      runFile('psql', ['-h', ip4, '-U', 'app', '-d', 'shop', '-tAc', 'SELECT 1'], { env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '2' } }).then((r) => r.stdout.trim(), (e) => (e as { stderr: string }).stderr);
    const deadline = Date.now() + 30_000;
    while ((await as('New-pass2')) !== '1' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await as('New-pass2'), '1');
    assert.match(await as(PASSWORD), /password authentication failed for user "app"/);
    fl.app.env.store.transaction(() =>
      fl.app.env.store.put<DBSnapshotRecord>(COLL.snapshots, scope, 'after-rotation', {
        DBSnapshotIdentifier: 'after-rotation', DBInstanceIdentifier: 'rotated', DBSnapshotArn: 'arn:aws:rds:us-east-1:000000000000:snapshot:after-rotation', Engine: 'postgres',
        EngineVersion: '15.4', AllocatedStorage: 20, Status: 'creating', Port: 5432, MasterUsername: 'app', SnapshotType: 'manual', PercentProgress: 0, DbiResourceId: 'db-ROTATED', tags: [], masterPassword: 'New-pass2', DBInstanceClass: 'db.t3.micro', takenAt: fl.app.env.clock.now(),
      }),
    );
    await fl.app.driver.settle();
    assert.ok(existsSync(join(fl.dataDir, 'runtime', 'rds', 'snapshots', scope.account, scope.region, 'after-rotation', 'complete')), 'the snapshot captured its data');
  });
});
