/**
 * RDS's real engines under the sandbox driver: a DB instance whose record says its engine runs
 * is a PostgreSQL server on its endpoint address, with its master user, password and database;
 * `psql` on the host writes rows. Killing it and starting it on another host (a failover) keeps
 * every committed row, through crash recovery on the same storage; a snapshot is a consistent copy
 * taken while it runs, and an instance restored from it starts with that data and nothing later.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';
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
  const put = (r: DBInstanceRecord) => fl.app.env.store.transaction(() => fl.app.env.store.put(COLL.instances, scope, r.DBInstanceIdentifier, r));
  const get = (id: string) => fl.app.env.store.get<DBInstanceRecord>(COLL.instances, scope, id) as DBInstanceRecord;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    const pool = parseCidr4(fl.app.env.config.publicIpPool)!;
    [ip1, ip2] = [formatIp4(pool.base + 250), formatIp4(pool.base + 251)];
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
    put({ ...get('orders'), engine: { running: false, dataGeneration: 0 } });
    await psqlUntil(ip1, 5432, 'shop', 'SELECT 1', { gone: true });
    assert.match((await writeRecord(probe, 4)).detail, /^faultline_rpo row 4: .*ECONNREFUSED/);
    const swapped = get('orders');
    put({ ...swapped, placement: { primary: swapped.placement.standby, standby: swapped.placement.primary }, engine: { running: true, dataGeneration: 0 } });
    assert.equal(await psqlUntil(ip1, 5432, 'shop', 'SELECT count(*) FROM rows'), '100');
    assert.deepEqual(await readRecords(probe), { numbers: new Set([1, 2, 3]) });

    // A snapshot while it runs, then a row after it: the restored instance has the first 100 rows only.
    fl.app.env.store.transaction(() =>
      fl.app.env.store.put<DBSnapshotRecord>(COLL.snapshots, scope, 'before-101', dbSnapshotRecord('before-101', 'orders', fl.app.env.clock.now())),
    );
    await fl.app.driver.settle();
    await psql(ip1, 5432, 'shop', 'INSERT INTO rows VALUES (101)');
    put(instance('orders-copy', ip2, { engine: { running: true, dataGeneration: 1, restoredFrom: { snapshot: 'before-101' } } }));
    assert.equal(await psqlUntil(ip2, 5432, 'shop', 'SELECT count(*) || \',\' || max(n) FROM rows'), '100,100');
    assert.equal(await psql(ip1, 5432, 'shop', 'SELECT count(*) FROM rows'), '101', 'the source keeps serving its own data');
  });
});
