import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { ALARM_LOOP } from '../../src/services/cloudwatch/alarm.loop.ts';
import { alarmHandlers } from '../../src/services/cloudwatch/alarms.provider.ts';
import { metricId, readRows, setSeries } from '../../src/services/cloudwatch/metrics.store.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const dims = [{ Name: 'InstanceId', Value: 'i-0000000000000000a' }];

describe('steady metric series', () => {
  let app: App;
  let dir: string;
  let t0: number;
  const advance = (s: number) => app.env.scheduler.advanceTo(app.env.clock.now() + s * 1000);
  const set = (value: number | undefined) =>
    app.env.store.transaction(() => setSeries(app.env, scope, { namespace: 'AWS/EC2', name: 'StatusCheckFailed_System', dims, unit: 'Count', period: 60, ts: app.env.clock.now(), value }));
  const changes = () => (app.env.store.sql.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-series-'));
    app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
    const now = app.env.clock.now();
    t0 = now - (now % 60_000) + 60_000;
    app.env.scheduler.advanceTo(t0);
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads back one sample per period, and writes nothing while the value stays the same', () => {
    set(0);
    const id = metricId(app.env, scope, 'AWS/EC2', 'StatusCheckFailed_System', dims)!;
    for (let i = 0; i < 5; i++) {
      advance(60);
      const before = changes();
      set(0);
      assert.equal(changes(), before, 'a steady value costs no write');
    }
    advance(60);
    set(1); // the host fails
    advance(120);
    set(undefined); // the instance stops publishing
    advance(300);
    const rows = readRows(app.env, id, t0, app.env.clock.now());
    assert.deepEqual(
      rows.map((r) => [(r.ts - t0) / 60_000, r.sum, r.n]),
      [[0, 0, 1], [1, 0, 1], [2, 0, 1], [3, 0, 1], [4, 0, 1], [5, 0, 1], [6, 1, 1], [7, 1, 1]],
    );
  });

  it('lets an alarm on steady data sleep, and wakes it when the data changes', () => {
    const ctx = { ...scope, requestId: 'r', principal: { account: scope.account, arn: '', userId: '', accessKeyId: '' }, env: app.env };
    const other = [{ Name: 'InstanceId', Value: 'i-0000000000000000b' }];
    const put = (value: number | undefined) =>
      app.env.store.transaction(() => setSeries(app.env, scope, { namespace: 'AWS/EC2', name: 'StatusCheckFailed_System', dims: other, unit: 'Count', period: 60, ts: app.env.clock.now(), value }));
    put(0);
    app.env.store.transaction(() =>
      alarmHandlers.PutMetricAlarm(
        { AlarmName: 'sys', Namespace: 'AWS/EC2', MetricName: 'StatusCheckFailed_System', Dimensions: other, Statistic: 'Minimum', Period: 60, EvaluationPeriods: 2, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' },
        ctx,
      ),
    );
    advance(600);
    const state = () => (app.env.store.get('cloudwatch.alarms', scope, 'sys') as { StateValue: string }).StateValue;
    assert.equal(state(), 'OK');
    assert.deepEqual(app.env.scheduler.pending(ALARM_LOOP), [], 'steady data: no evaluations are queued');
    put(1);
    assert.equal(app.env.scheduler.pending(ALARM_LOOP).length, 1, 'the change wakes the alarm');
    advance(180);
    assert.equal(state(), 'ALARM');
    advance(600);
    assert.deepEqual(app.env.scheduler.pending(ALARM_LOOP), [], 'steady again: asleep in ALARM');
    put(0);
    advance(180);
    assert.equal(state(), 'OK');
  });
});
