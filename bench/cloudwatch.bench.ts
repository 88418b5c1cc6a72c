/**
 * CloudWatch at the scale of the mission: 10,000 instances publishing 4 metrics every minute
 * (as EC2's status-check loop will, through putMetric), and one recovery alarm per instance
 * evaluated every minute on the clock. In-process, on a manual clock, on a real SQLite file.
 * Then, over HTTP, PutMetricData and GetMetricStatistics through the SDK v3 against faultline and
 * moto_server in the same run.
 *
 *   npx tsx bench/cloudwatch.bench.ts [instances] [minutes]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { createApp } from '../src/app.ts';
import { putMetric } from '../src/services/cloudwatch/metrics.provider.ts';
import { alarmHandlers } from '../src/services/cloudwatch/alarms.provider.ts';
import { aggregate } from '../src/services/cloudwatch/metrics.query.ts';
import { ALARM_LOOP } from '../src/services/cloudwatch/alarm.loop.ts';
import { requestId } from '../src/core/ids.ts';
import { startFaultline, startMoto, type Running } from './servers.ts';

const INSTANCES = Number(process.argv[2] ?? 10_000);
const MINUTES = Number(process.argv[3] ?? 30);
const METRICS = ['StatusCheckFailed', 'StatusCheckFailed_System', 'StatusCheckFailed_Instance', 'CPUUtilization'];

function inProcess() {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-cwbench-'));
  const app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
  const { env } = app;
  const scope = { account: env.config.defaultAccount, region: 'us-east-1' };
  const ids = Array.from({ length: INSTANCES }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
  // Start on a minute boundary.
  env.scheduler.advanceTo(Math.ceil(env.clock.now() / 60_000) * 60_000);

  let t = performance.now();
  const principal = { account: scope.account, arn: '', userId: '', accessKeyId: 'test' };
  env.store.transaction(() => {
    for (const id of ids) {
      alarmHandlers.PutMetricAlarm(
        {
          AlarmName: `recover-${id}`,
          Namespace: 'AWS/EC2',
          MetricName: 'StatusCheckFailed_System',
          Dimensions: [{ Name: 'InstanceId', Value: id }],
          Statistic: 'Minimum',
          Period: 60,
          EvaluationPeriods: 5,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [`arn:aws:automate:us-east-1:ec2:recover`],
        },
        { ...scope, requestId: requestId(), principal, env },
      );
    }
  });
  const createAlarmsMs = performance.now() - t;

  const publish: number[] = [];
  const evaluate: number[] = [];
  for (let m = 0; m < MINUTES; m++) {
    t = performance.now();
    env.store.transaction(() => {
      for (const [i, id] of ids.entries()) {
        const dims = [{ Name: 'InstanceId', Value: id }];
        const failed = m >= MINUTES - 6 && i % 100 === 0 ? 1 : 0; // 1% of hosts fail near the end
        for (const name of METRICS) {
          putMetric(env, scope, { Namespace: 'AWS/EC2', MetricName: name, Dimensions: dims, Value: name === 'CPUUtilization' ? (i % 97) + 0.5 : failed, Unit: name === 'CPUUtilization' ? 'Percent' : 'Count' });
        }
      }
    });
    publish.push(performance.now() - t);
    t = performance.now();
    env.scheduler.advanceTo(env.clock.now() + 60_000);
    evaluate.push(performance.now() - t);
  }
  const alarming = [...env.store.scan<{ StateValue: string }>('cloudwatch.alarms')].filter(([, a]) => a.StateValue === 'ALARM').length;

  const now = env.clock.now();
  t = performance.now();
  const Q = 200;
  for (let q = 0; q < Q; q++) {
    aggregate(env, scope, { namespace: 'AWS/EC2', name: 'CPUUtilization', dims: [{ Name: 'InstanceId', Value: ids[(q * 37) % ids.length] }] }, { start: now - 3_600_000, end: now, periodMs: 300_000 });
  }
  const queryMs = (performance.now() - t) / Q;
  t = performance.now();
  const fleet = aggregate(env, scope, { namespace: 'AWS/EC2', name: 'CPUUtilization', dims: [] }, { start: now - 600_000, end: now, periodMs: 60_000 });
  const fleetMs = performance.now() - t;

  const dbBytes = ['faultline.db', 'faultline.db-wal'].reduce((s, f) => {
    try {
      return s + statSync(join(dir, f)).size;
    } catch {
      return s;
    }
  }, 0);
  const rows = (env.store.sql.prepare('SELECT count(*) AS n FROM cw_datapoints').get() as { n: number }).n;
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out = {
    instances: INSTANCES,
    minutes: MINUTES,
    createAlarmsMs: Math.round(createAlarmsMs),
    publishMsPerMinute: { avg: Math.round(avg(publish)), max: Math.round(Math.max(...publish)) },
    evaluateMsPerMinute: { avg: Math.round(avg(evaluate)), max: Math.round(Math.max(...evaluate)), each: evaluate.map(Math.round) },
    alarmTimers: env.scheduler.pending(ALARM_LOOP).length,
    alarmsInAlarm: alarming,
    getStatistics1hPer5minMs: Number(queryMs.toFixed(3)),
    fleetAverage10minMs: Number(fleetMs.toFixed(1)),
    fleetPoints: fleet.length,
    datapointRows: rows,
    dbMB: Number((dbBytes / 1e6).toFixed(1)),
  };
  void app.close().then(() => rmSync(dir, { recursive: true, force: true }));
  return out;
}

async function overHttp(server: Running) {
  const cw = new CloudWatchClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const REQUESTS = 200;
  let t = performance.now();
  for (let r = 0; r < REQUESTS; r++) {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Bench',
        MetricData: Array.from({ length: 20 }, (_, i) => ({ MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: `h${i}` }], Values: [r, r + 1, r + 2], Unit: 'Milliseconds' })),
      }),
    );
  }
  const putMs = (performance.now() - t) / REQUESTS;
  const end = new Date(Date.now() + 60_000);
  const start = new Date(end.getTime() - 3_600_000);
  t = performance.now();
  let points = 0;
  for (let r = 0; r < 100; r++) {
    const out = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: 'Bench', MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: `h${r % 20}` }], StartTime: start, EndTime: end, Period: 60, Statistics: ['Average', 'Maximum', 'SampleCount'] }),
    );
    points += out.Datapoints?.length ?? 0;
  }
  const getMs = (performance.now() - t) / 100;
  return { putMetricData20x3Ms: Number(putMs.toFixed(2)), getMetricStatisticsMs: Number(getMs.toFixed(2)), points };
}

const scale = inProcess();
console.log(JSON.stringify({ scale }, null, 1));
const results: Record<string, unknown> = {};
for (const starter of [startFaultline, startMoto]) {
  let server: Running | undefined;
  try {
    server = await starter();
    results[server.name] = await overHttp(server);
  } catch (e) {
    results[starter.name] = { error: String(e) };
  } finally {
    await server?.stop();
  }
}
console.log(JSON.stringify({ http: results }, null, 1));
