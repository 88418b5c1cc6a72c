import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { alarmActionExecutors, type AlarmActionExecutor } from '../../src/services/cloudwatch/actions.ts';
import { ALARM_LOOP, alarmKey } from '../../src/services/cloudwatch/alarm.loop.ts';
import { alarmHandlers } from '../../src/services/cloudwatch/alarms.provider.ts';
import { listHistory } from '../../src/services/cloudwatch/history.ts';
import { putMetric } from '../../src/services/cloudwatch/metrics.provider.ts';
import { aggregate } from '../../src/services/cloudwatch/metrics.query.ts';
import { addDatum, applyRetention, readRows, metricId } from '../../src/services/cloudwatch/metrics.store.ts';

const POLICY = 'arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:1b2c3d4e-0000-1111-2222-333344445555:autoScalingGroupName/web:policyName/out';
const scope = { account: '000000000000', region: 'us-east-1' };

describe('the alarm loop and the action registry', () => {
  let app: App;
  let dir: string;
  const calls: { arn: string; state: string; repeat: boolean }[] = [];
  const fake: AlarmActionExecutor = {
    name: 'test-autoscaling',
    matches: (arn) => arn.startsWith('arn:aws:autoscaling:'),
    run: (_env, _scope, arn, _alarm, t) => {
      calls.push({ arn, state: t.newState, repeat: t.repeat ?? false });
      return { ok: true, message: 'ok' };
    },
  };
  const ctx = () => ({ ...scope, requestId: 'r', principal: { account: scope.account, arn: '', userId: '', accessKeyId: '' }, env: app.env });
  const advance = (s: number) => app.env.scheduler.advanceTo(app.env.clock.now() + s * 1000);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-cw-'));
    app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
    alarmActionExecutors.unshift(fake); // ahead of the real Auto Scaling executor
    const now = app.env.clock.now();
    app.env.scheduler.advanceTo(now - (now % 60_000) + 60_000 + 5_000);
  });
  after(async () => {
    alarmActionExecutors.splice(alarmActionExecutors.indexOf(fake), 1);
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one timer per alarm on the minute boundary, invokes scaling policies every minute in ALARM, and records unknown actions as failed', () => {
    app.env.store.transaction(() =>
      alarmHandlers.PutMetricAlarm(
        {
          AlarmName: 'cpu-high',
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          Dimensions: [{ Name: 'InstanceId', Value: 'i-00000000000000001' }],
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 50,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [POLICY, 'arn:aws:automate:us-east-1:ec2:reboot'],
        },
        ctx(),
      ),
    );
    const key = alarmKey(scope, 'cpu-high');
    assert.deepEqual(app.env.scheduler.pending(ALARM_LOOP).map((p) => p.key), [key]);
    advance(0);
    // With no data at all the alarm's result cannot change: it sleeps until its metric is written.
    assert.deepEqual(app.env.scheduler.pending(ALARM_LOOP), []);
    for (let i = 0; i < 3; i++) {
      app.env.store.transaction(() => putMetric(app.env, scope, { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'InstanceId', Value: 'i-00000000000000001' }], Value: 90, Unit: 'Percent' }));
      // The write wakes it at the next minute boundary.
      assert.equal(app.env.scheduler.pending(ALARM_LOOP)[0].due % 60_000, 0);
      advance(60);
    }
    assert.deepEqual(calls.map((c) => [c.state, c.repeat]), [['ALARM', false], ['ALARM', true], ['ALARM', true]]);
    const actions = listHistory(app.env, scope, { alarmName: 'cpu-high', type: 'Action', descending: false });
    // The instance does not exist, so the reboot action is recorded as failed, once, on the change.
    assert.equal(actions.filter((a) => a.HistorySummary.startsWith('Failed to execute action arn:aws:automate:us-east-1:ec2:reboot.')).length, 1);
    assert.equal(actions.filter((a) => a.HistorySummary === `Successfully executed action ${POLICY}`).length, 3);
    app.env.store.transaction(() => alarmHandlers.DeleteAlarms({ AlarmNames: ['cpu-high'] }, ctx()));
    advance(60);
    assert.deepEqual(app.env.scheduler.pending(ALARM_LOOP), []);
  });

  it('aggregates an AWS/EC2 metric with no dimensions over every instance', () => {
    const now = app.env.clock.now();
    const start = now - (now % 60_000);
    app.env.store.transaction(() => {
      for (const [id, v] of [['i-a', 10], ['i-b', 30]] as const) {
        putMetric(app.env, scope, { Namespace: 'AWS/EC2', MetricName: 'NetworkIn', Dimensions: [{ Name: 'InstanceId', Value: id }], Value: v, Unit: 'Bytes' });
      }
    });
    const [p] = aggregate(app.env, scope, { namespace: 'AWS/EC2', name: 'NetworkIn', dims: [] }, { start, end: start + 60_000, periodMs: 60_000 });
    assert.deepEqual([p.agg.n, p.agg.sum], [2, 40]);
  });

  it('rolls high-resolution data up into minutes after 3 hours, keeping percentiles', () => {
    const now = app.env.clock.now();
    const t0 = now - 4 * 3_600_000;
    const base = t0 - (t0 % 60_000);
    const dims = [{ Name: 'Fn', Value: 'x' }];
    app.env.store.transaction(() => {
      for (let s = 0; s < 3; s++) {
        addDatum(app.env, scope, { namespace: 'Hi', name: 'Lat', dims, unit: 'None', res: 1, ts: base + s * 1000, n: 1, sum: s + 1, min: s + 1, max: s + 1, vals: [[s + 1, 1]] });
      }
      applyRetention(app.env, now);
    });
    const rows = readRows(app.env, metricId(app.env, scope, 'Hi', 'Lat', dims)!, base - 60_000, base + 60_000);
    assert.equal(rows.length, 1);
    assert.deepEqual({ res: rows[0].res, ts: rows[0].ts, n: rows[0].n, sum: rows[0].sum, vals: rows[0].vals }, { res: 60, ts: base, n: 3, sum: 6, vals: [[1, 1], [2, 1], [3, 1]] });
  });

  it('forgets metrics and alarm history on a store reset', () => {
    assert.ok(metricId(app.env, scope, 'Hi', 'Lat', [{ Name: 'Fn', Value: 'x' }]) !== undefined);
    app.env.store.reset();
    assert.equal(metricId(app.env, scope, 'Hi', 'Lat', [{ Name: 'Fn', Value: 'x' }]), undefined);
    assert.deepEqual(listHistory(app.env, scope, { descending: true }), []);
  });
});
