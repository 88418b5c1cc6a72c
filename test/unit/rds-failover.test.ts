/**
 * RDS's reactions to host failures, on the manual clock through the handlers and the world's
 * faults: a Single-AZ instance whose host (not zone) fails is moved to new compute in its zone
 * after rdsSingleAzRecoverySeconds (RDS-EVENT-0020, 0021); a Multi-AZ instance whose primary host
 * loses power fails over with the "unhealthy" reason, and the lost standby is rebuilt in another
 * zone after rdsStandbyRecoverySeconds (0052, 0053); the drill timeline reads the failover.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { ec2 } from '../../src/services/ec2/index.ts';
import { rds } from '../../src/services/rds/index.ts';
import { COLL, type DBInstanceRecord, type EventRecord } from '../../src/services/rds/state.ts';
import { injectFault } from '../../src/world/faults.ts';
import { eventEntry } from '../../src/drills/timeline.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
let app: App;
let dir: string;
const ctx = () => ({ ...scope, requestId: 'r', principal: { account: scope.account, arn: '', userId: '', accessKeyId: '' }, env: app.env });
const call = (svc: typeof rds, op: string, input: Record<string, unknown>) => app.env.store.transaction(() => svc.handlers[op](input, ctx())) as any;
const advance = (s: number) => app.env.scheduler.advanceTo(app.env.clock.now() + s * 1000);
const record = (id: string) => app.env.store.get<DBInstanceRecord>(COLL.instances, scope, id)!;
const messages = (id: string) => app.env.store.list<EventRecord>(COLL.events, scope).filter((e) => e.SourceIdentifier === id).map((e) => e.Message);
/** To the instance loop's next health check (multiples of 10 s), and past it. */
const toCheck = () => advance((10_000 - (app.env.clock.now() % 10_000)) / 1000);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rds-failover-'));
  app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
  const vpc = call(ec2, 'CreateVpc', { CidrBlock: '10.0.0.0/16' }).Vpc.VpcId;
  const subnets = ['a', 'b', 'c', 'd'].map((z, n) => call(ec2, 'CreateSubnet', { VpcId: vpc, CidrBlock: `10.0.${n}.0/24`, AvailabilityZone: `us-east-1${z}` }).Subnet.SubnetId);
  call(rds, 'CreateDBSubnetGroup', { DBSubnetGroupName: 'g', DBSubnetGroupDescription: 'g', SubnetIds: subnets.slice(0, 2) });
  // The pair lives in other zones than the solo instance, whose host the first test fails.
  call(rds, 'CreateDBSubnetGroup', { DBSubnetGroupName: 'g2', DBSubnetGroupDescription: 'g2', SubnetIds: subnets.slice(1) });
  const base = { Engine: 'mysql', DBInstanceClass: 'db.t3.small', MasterUsername: 'app', MasterUserPassword: 'password1', AllocatedStorage: 20, DBSubnetGroupName: 'g', BackupRetentionPeriod: 0 };
  call(rds, 'CreateDBInstance', { ...base, DBInstanceIdentifier: 'solo' });
  call(rds, 'CreateDBInstance', { ...base, DBInstanceIdentifier: 'pair', MultiAZ: true, DBSubnetGroupName: 'g2' });
  advance(300);
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a Single-AZ instance whose host fails moves to new compute in its zone after the recovery time', () => {
  const host = record('solo').placement.primary!.host;
  assert.equal(record('solo').engine.running, true);
  app.env.store.transaction(() => injectFault(app.env, { kind: 'host', target: host, region: 'us-east-1' }));
  toCheck();
  assert.equal(record('solo').engine.running, false);
  assert.deepEqual(messages('solo').slice(1), ['Recovery of the DB instance has started. Recovery time will vary with the amount of data to be recovered.']);
  advance(590);
  assert.equal(record('solo').engine.running, false);
  advance(10);
  const moved = record('solo');
  assert.equal(moved.engine.running, true);
  assert.equal(moved.placement.primary!.zone, 'us-east-1a');
  assert.notEqual(moved.placement.primary!.host, host);
  assert.equal(messages('solo').at(-1), 'Recovery of the DB instance is complete.');
});

test('a Multi-AZ instance whose primary host loses power fails over, and gets a new standby in another zone', () => {
  const before = record('pair');
  assert.deepEqual([before.AvailabilityZone, before.SecondaryAvailabilityZone], ['us-east-1b', 'us-east-1c']);
  // The primary's host loses power, its zone stays up: a host failure, not an AZ outage.
  app.env.store.transaction(() => injectFault(app.env, { kind: 'host', target: before.placement.primary!.host, region: 'us-east-1' }));
  toCheck();
  assert.equal(record('pair').DBInstanceStatus, 'rebooting');
  advance(75);
  const after = record('pair');
  assert.deepEqual([after.AvailabilityZone, after.SecondaryAvailabilityZone, after.DBInstanceStatus], ['us-east-1c', 'us-east-1b', 'available']);
  assert.equal(after.endpointIp, before.endpointIp);
  assert.deepEqual(messages('pair').slice(1), [
    'Multi-AZ instance failover started.',
    'The primary host of the RDS Multi-AZ instance is unhealthy.',
    'Multi-AZ instance failover completed.',
    'DB instance restarted.',
    'Multi-AZ instance recovery started.',
  ]);
  advance(300);
  const rebuilt = record('pair');
  assert.equal(messages('pair').at(-1), 'Multi-AZ instance recovery completed. Pending failover or activation.');
  // The new standby goes to the first usable zone other than the primary's: the old zone, on another host.
  assert.equal(rebuilt.SecondaryAvailabilityZone, 'us-east-1b');
  assert.notEqual(rebuilt.placement.standby!.host, before.placement.primary!.host);

  const lines = app.env.events.list().map(eventEntry).filter((l) => l && /^rds\./.test(l.source) && l.resource === 'pair');
  assert.deepEqual(lines.map((l) => l!.phase), ['detect', 'decide', 'repair']);
});
