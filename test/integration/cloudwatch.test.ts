import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { startFaultline, type Faultline } from '../harness.ts';

const AUTH = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00';

describe('CloudWatch through the real clients', () => {
  let fl: Faultline;
  let cw: CloudWatchClient;
  /** Cloud ms of the current minute's start. */
  let minute: () => number;
  const iso = (ms: number) => new Date(ms).toISOString();
  /** Steps the clock to `s` seconds past the next minute boundary. */
  const toNextMinute = (s = 5) => {
    const now = fl.app.env.clock.now();
    fl.advance((60_000 - (now % 60_000)) / 1000 + s);
  };
  const alarm = async (name: string) => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms![0];
  const put = (ns: string, name: string, value: number, dims: { Name: string; Value: string }[] = []) =>
    cw.send(new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: name, Value: value, Dimensions: dims }] }));

  before(async () => {
    fl = await startFaultline();
    cw = new CloudWatchClient(fl.sdk);
    minute = () => Math.floor(fl.app.env.clock.now() / 60_000) * 60_000;
  });
  after(() => fl.close());

  describe('metrics', () => {
    it('stores data from the CLI and reads statistics back, stamped at period starts, with percentiles', async () => {
      toNextMinute(10);
      const m0 = minute();
      await fl.aws('cloudwatch', 'put-metric-data', '--namespace', 'Shop', '--metric-data',
        JSON.stringify([{ MetricName: 'Latency', Unit: 'Milliseconds', Values: [10, 20, 30, 1000], Counts: [5, 3, 1, 1], Dimensions: [{ Name: 'Api', Value: 'cart' }] }]));
      fl.advance(60);
      await fl.aws('cloudwatch', 'put-metric-data', '--namespace', 'Shop', '--metric-data',
        JSON.stringify([{ MetricName: 'Latency', Unit: 'Milliseconds', StatisticValues: { SampleCount: 4, Sum: 100, Minimum: 5, Maximum: 50 }, Dimensions: [{ Name: 'Api', Value: 'cart' }] }]));
      const out = await fl.aws('cloudwatch', 'get-metric-statistics', '--namespace', 'Shop', '--metric-name', 'Latency',
        '--dimensions', 'Name=Api,Value=cart', '--start-time', iso(m0 + 30_000), '--end-time', iso(m0 + 180_000), '--period', '60',
        '--statistics', 'Sum', 'SampleCount', 'Maximum', 'Average', '--extended-statistics', 'p50', 'p90');
      // The CLI v1 prints awsJson timestamps as they come on the wire: epoch seconds.
      const points = out.Datapoints.sort((a: { Timestamp: number }, b: { Timestamp: number }) => a.Timestamp - b.Timestamp);
      assert.equal(points.length, 2);
      // StartTime is rounded down to the minute, so each point is stamped at its minute.
      assert.equal(points[0].Timestamp * 1000, m0);
      assert.equal(points[1].Timestamp * 1000, m0 + 60_000);
      assert.deepEqual(
        { n: points[0].SampleCount, sum: points[0].Sum, max: points[0].Maximum, avg: points[0].Average, unit: points[0].Unit },
        { n: 10, sum: 50 + 60 + 30 + 1000, max: 1000, avg: 114, unit: 'Milliseconds' },
      );
      assert.deepEqual(points[0].ExtendedStatistics, { p50: 10, p90: 30 });
      // A statistic set with a spread gives no percentiles, but the other statistics.
      assert.equal(points[1].Sum, 100);
      assert.deepEqual(points[1].ExtendedStatistics, {});
    });

    it('aggregates periods wider than the data, filters by unit, and enforces the 1,440-points limit', async () => {
      const m0 = minute();
      const out = await fl.python(`
import boto3, json, datetime, botocore
cw = boto3.client('cloudwatch')
t = datetime.datetime.fromtimestamp(${m0 / 1000} - 60, datetime.timezone.utc)
r = cw.get_metric_statistics(Namespace='Shop', MetricName='Latency', Dimensions=[{'Name':'Api','Value':'cart'}],
    StartTime=t, EndTime=t + datetime.timedelta(minutes=10), Period=600, Statistics=['SampleCount'])
wrong_unit = cw.get_metric_statistics(Namespace='Shop', MetricName='Latency', Dimensions=[{'Name':'Api','Value':'cart'}],
    StartTime=t, EndTime=t + datetime.timedelta(minutes=10), Period=600, Statistics=['SampleCount'], Unit='Seconds')
try:
    cw.get_metric_statistics(Namespace='Shop', MetricName='Latency', StartTime=t, EndTime=t + datetime.timedelta(days=2),
        Period=60, Statistics=['Sum'])
    limit = None
except botocore.exceptions.ClientError as e:
    limit = [e.response['Error']['Code'], e.response['Error']['Message']]
try:
    cw.get_metric_statistics(Namespace='Shop', MetricName='Latency', StartTime=t, EndTime=t + datetime.timedelta(hours=1),
        Period=45, Statistics=['Sum'])
    period = None
except botocore.exceptions.ClientError as e:
    period = e.response['Error']['Code']
print(json.dumps({'counts': [p['SampleCount'] for p in r['Datapoints']], 'wrong_unit': len(wrong_unit['Datapoints']), 'limit': limit, 'period': period}))
`);
      assert.deepEqual(out.counts, [14]);
      assert.equal(out.wrong_unit, 0);
      assert.equal(out.limit[0], 'InvalidParameterCombination');
      assert.match(out.limit[1], /2,880 datapoints, which exceeds the limit of 1,440/);
      assert.equal(out.period, 'InvalidParameterValue');
    });

    it('answers GetMetricData (SDK v3) with labels, ScanBy and pagination, and ListMetrics with dimension filters', async () => {
      const m0 = minute();
      for (let i = 0; i < 3; i++) {
        await put('Jobs', 'Done', i + 1, [{ Name: 'Queue', Value: 'q1' }]);
        await put('Jobs', 'Done', 10, [{ Name: 'Queue', Value: 'q2' }]);
        fl.advance(60);
      }
      const q = (id: string, queue: string, label?: string) => ({
        Id: id,
        Label: label,
        MetricStat: { Metric: { Namespace: 'Jobs', MetricName: 'Done', Dimensions: [{ Name: 'Queue', Value: queue }] }, Period: 60, Stat: 'Sum' },
      });
      const all = await cw.send(new GetMetricDataCommand({
        MetricDataQueries: [q('a', 'q1', 'first'), { ...q('b', 'q2'), ReturnData: false }],
        StartTime: new Date(m0),
        EndTime: new Date(m0 + 180_000),
        ScanBy: 'TimestampAscending',
      }));
      assert.equal(all.MetricDataResults!.length, 1);
      assert.equal(all.MetricDataResults![0].Label, 'first');
      assert.deepEqual(all.MetricDataResults![0].Values, [1, 2, 3]);
      assert.deepEqual(all.MetricDataResults![0].Timestamps!.map((t) => t.getTime()), [m0, m0 + 60_000, m0 + 120_000]);
      const first = await cw.send(new GetMetricDataCommand({ MetricDataQueries: [q('a', 'q1')], StartTime: new Date(m0), EndTime: new Date(m0 + 180_000), MaxDatapoints: 2 }));
      assert.deepEqual(first.MetricDataResults![0].Values, [3, 2]);
      assert.equal(first.MetricDataResults![0].StatusCode, 'PartialData');
      const second = await cw.send(new GetMetricDataCommand({ MetricDataQueries: [q('a', 'q1')], StartTime: new Date(m0), EndTime: new Date(m0 + 180_000), MaxDatapoints: 2, NextToken: first.NextToken }));
      assert.deepEqual(second.MetricDataResults![0].Values, [1]);
      assert.equal(second.NextToken, undefined);
      await assert.rejects(
        cw.send(new GetMetricDataCommand({ MetricDataQueries: [{ Id: 'e', Expression: 'SUM(METRICS()' }], StartTime: new Date(m0), EndTime: new Date(m0 + 60_000) })),
        (e: Error & { Code?: string }) => e.Code === 'ValidationError' && /^Error in expression e: Expected '\)'/.test(e.message),
      );
      const listed = await cw.send(new ListMetricsCommand({ Namespace: 'Jobs', Dimensions: [{ Name: 'Queue', Value: 'q2' }] }));
      assert.deepEqual(listed.Metrics, [{ Namespace: 'Jobs', MetricName: 'Done', Dimensions: [{ Name: 'Queue', Value: 'q2' }] }]);
      const byName = await cw.send(new ListMetricsCommand({ Dimensions: [{ Name: 'Queue' }] }));
      assert.equal(byName.Metrics!.length, 2);
    });

    it('refuses bad PutMetricData input with AWS codes', async () => {
      const bad = async (...args: string[]) => (await fl.awsRaw('cloudwatch', 'put-metric-data', '--namespace', ...args)).stderr;
      assert.match(await bad('AWS/EC2', '--metric-name', 'X', '--value', '1'), /InvalidParameterValue/);
      assert.match(await bad('App', '--metric-data', JSON.stringify([{ MetricName: 'X', Value: 1, Values: [1] }])), /InvalidParameterCombination.*mutually exclusive/);
      assert.match(await bad('App', '--metric-data', JSON.stringify([{ MetricName: 'X', Values: [1, 2], Counts: [1] }])), /InvalidParameterValue.*same size/);
      assert.match(await bad('App', '--metric-data', JSON.stringify([{ MetricName: 'X', Value: 1, StorageResolution: 5 }])), /InvalidParameterValue/);
      const old = iso(fl.app.env.clock.now() - 15 * 86_400_000);
      assert.match(await bad('App', '--metric-data', JSON.stringify([{ MetricName: 'X', Value: 1, Timestamp: old }])), /two weeks/);
      const out = await fl.python(`
import boto3, json, botocore
cw = boto3.client('cloudwatch')
codes = []
for v in [float('nan'), float('inf')]:
    try:
        cw.put_metric_data(Namespace='App', MetricData=[{'MetricName': 'X', 'Value': v}])
        codes.append(None)
    except botocore.exceptions.ClientError as e:
        codes.append(e.response['Error']['Code'])
try:
    cw.put_metric_data(Namespace='App', MetricData=[{'MetricName': 'X', 'Values': list(range(151))}])
except botocore.exceptions.ClientError as e:
    codes.append(e.response['Error']['Code'])
print(json.dumps(codes))
`);
      assert.deepEqual(out, ['InvalidParameterValue', 'InvalidParameterValue', 'InvalidParameterValue']);
      const listed = await fl.aws('cloudwatch', 'list-metrics', '--namespace', 'App');
      assert.deepEqual(listed.Metrics, []);
    });
  });

  describe('alarms', () => {
    it('goes INSUFFICIENT_DATA -> ALARM -> OK as data arrives and the clock moves, with its history', async () => {
      toNextMinute(5);
      const m0 = minute();
      await cw.send(new PutMetricAlarmCommand({
        AlarmName: 'latency-high',
        Namespace: 'Web',
        MetricName: 'Latency',
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 3,
        ComparisonOperator: 'GreaterThanThreshold',
      }));
      fl.advance(0);
      assert.equal((await alarm('latency-high')).StateValue, 'INSUFFICIENT_DATA');
      await put('Web', 'Latency', 5);
      fl.advance(60); // evaluated at m0+60 over [m0, m0+60)
      const a1 = await alarm('latency-high');
      assert.equal(a1.StateValue, 'ALARM');
      const stamp = new Date(m0).toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d).*$/, '$3/$2/$1 $4');
      assert.equal(a1.StateReason, `Threshold Crossed: 1 datapoint [5.0 (${stamp})] was greater than the threshold (3.0).`);
      const data = JSON.parse(a1.StateReasonData!);
      assert.equal(data.statistic, 'Maximum');
      assert.deepEqual(data.recentDatapoints, [5]);
      assert.equal(a1.StateUpdatedTimestamp!.getTime(), m0 + 60_000);
      await put('Web', 'Latency', 1);
      fl.advance(60);
      const a2 = await alarm('latency-high');
      assert.equal(a2.StateValue, 'OK');
      assert.match(a2.StateReason!, /^Threshold Crossed: 1 datapoint \[1\.0 \(.*\)\] was not greater than the threshold \(3\.0\)\.$/);
      const hist = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'latency-high', HistoryItemType: 'StateUpdate' }));
      assert.deepEqual(hist.AlarmHistoryItems!.map((h) => h.HistorySummary), ['Alarm updated from ALARM to OK', 'Alarm updated from INSUFFICIENT_DATA to ALARM']);
      const item = JSON.parse(hist.AlarmHistoryItems![1].HistoryData!);
      assert.equal(item.oldState.stateValue, 'INSUFFICIENT_DATA');
      assert.equal(item.newState.stateValue, 'ALARM');
      assert.equal(item.newState.stateReasonData.evaluatedDatapoints[0].value, 5);
      const created = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'latency-high', HistoryItemType: 'ConfigurationUpdate' }));
      assert.equal(created.AlarmHistoryItems![0].HistorySummary, 'Alarm "latency-high" created');
    });

    it('alarms on 2 of 3 breaching points, naming them in the reason', async () => {
      toNextMinute(5);
      await fl.aws('cloudwatch', 'put-metric-alarm', '--alarm-name', 'cpu-2of3', '--namespace', 'Web', '--metric-name', 'CPU',
        '--statistic', 'Average', '--period', '60', '--evaluation-periods', '3', '--datapoints-to-alarm', '2',
        '--threshold', '80', '--comparison-operator', 'GreaterThanOrEqualToThreshold');
      const states: string[] = [];
      for (const v of [90, 10, 95]) {
        await put('Web', 'CPU', v);
        fl.advance(60);
        states.push((await alarm('cpu-2of3')).StateValue!);
      }
      // 90: one real point, 2 missing (not yet 2 of 3); 10: 90 10 (1 of 2); 95: 90 10 95 -> 2 of 3.
      assert.deepEqual(states, ['INSUFFICIENT_DATA', 'OK', 'ALARM']);
      assert.match((await alarm('cpu-2of3')).StateReason!, /^Threshold Crossed: 2 out of the last 3 datapoints \[95\.0 \(.*\), 90\.0 \(.*\)\] were greater than or equal to the threshold \(80\.0\) \(minimum 2 datapoints for OK -> ALARM transition\)\.$/);
    });

    it('treats missing data as each TreatMissingData mode says (M=2, N=3, one breaching point)', async () => {
      toNextMinute(5);
      const modes = ['missing', 'ignore', 'breaching', 'notBreaching'];
      for (const mode of modes) {
        await fl.aws('cloudwatch', 'put-metric-alarm', '--alarm-name', `gaps-${mode}`, '--namespace', 'Gaps', '--metric-name', 'Errors',
          '--statistic', 'Sum', '--period', '60', '--evaluation-periods', '3', '--datapoints-to-alarm', '2', '--threshold', '0',
          '--comparison-operator', 'GreaterThanThreshold', '--treat-missing-data', mode);
      }
      const snapshot = async () => {
        const out = await fl.aws('cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'gaps-');
        return Object.fromEntries(out.MetricAlarms.map((a: { AlarmName: string; StateValue: string }) => [a.AlarmName.slice(5), a.StateValue]));
      };
      fl.advance(0); // - - - - - : the first evaluation
      assert.deepEqual(await snapshot(), { missing: 'INSUFFICIENT_DATA', ignore: 'INSUFFICIENT_DATA', breaching: 'ALARM', notBreaching: 'OK' });
      await put('Gaps', 'Errors', 1);
      fl.advance(60); // - - - - X : too recent to alarm on missing data (the premature-alarm guard)
      assert.deepEqual(await snapshot(), { missing: 'INSUFFICIENT_DATA', ignore: 'INSUFFICIENT_DATA', breaching: 'ALARM', notBreaching: 'OK' });
      fl.advance(60); // - - - X - : the spec's vector
      assert.deepEqual(await snapshot(), { missing: 'ALARM', ignore: 'INSUFFICIENT_DATA', breaching: 'ALARM', notBreaching: 'OK' });
      await put('Gaps', 'Errors', 0);
      fl.advance(60); // - - X - 0 : X and 0 real, one slot filled
      assert.deepEqual(await snapshot(), { missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' });
      const breaching = await alarm('gaps-breaching');
      assert.match(breaching.StateReason!, /no datapoints were received for 3 periods and 3 missing datapoints were treated as \[Breaching\]/);
    });

    it('runs an SNS action once on the change, visible through the control API, and records the outcome', async () => {
      const { TopicArn } = await fl.aws('sns', 'create-topic', '--name', 'ops');
      await fl.aws('sns', 'subscribe', '--topic-arn', TopicArn, '--protocol', 'email', '--notification-endpoint', 'ops@example.com');
      toNextMinute(5);
      await cw.send(new PutMetricAlarmCommand({
        AlarmName: 'disk-full',
        AlarmDescription: 'disk is full',
        Namespace: 'Host',
        MetricName: 'DiskUsed',
        Dimensions: [{ Name: 'Host', Value: 'h1' }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 90,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [TopicArn, 'arn:aws:sns:us-east-1:000000000000:no-such-topic'],
      }));
      await put('Host', 'DiskUsed', 99, [{ Name: 'Host', Value: 'h1' }]);
      fl.advance(60);
      await put('Host', 'DiskUsed', 99, [{ Name: 'Host', Value: 'h1' }]);
      fl.advance(60); // still ALARM: no second notification
      const res = await fetch(`${fl.url}/_faultline/sns/deliveries?topicArn=${encodeURIComponent(TopicArn)}`);
      const { deliveries } = (await res.json()) as { deliveries: { source: string; subject: string; message: string; deliveredTo: { endpoint: string }[] }[] };
      assert.equal(deliveries.length, 1);
      assert.equal(deliveries[0].source, 'cloudwatch');
      assert.equal(deliveries[0].subject, 'ALARM: "disk-full" in US East (N. Virginia)');
      assert.deepEqual(deliveries[0].deliveredTo.map((d) => d.endpoint), ['ops@example.com']);
      const msg = JSON.parse(deliveries[0].message);
      assert.deepEqual(
        { name: msg.AlarmName, newState: msg.NewStateValue, oldState: msg.OldStateValue, region: msg.Region, metric: msg.Trigger.MetricName, dims: msg.Trigger.Dimensions },
        { name: 'disk-full', newState: 'ALARM', oldState: 'INSUFFICIENT_DATA', region: 'US East (N. Virginia)', metric: 'DiskUsed', dims: [{ value: 'h1', name: 'Host' }] },
      );
      assert.match(msg.NewStateReason, /^Threshold Crossed/);
      const actions = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'disk-full', HistoryItemType: 'Action', ScanBy: 'TimestampAscending' }));
      assert.deepEqual(actions.AlarmHistoryItems!.map((h) => h.HistorySummary), [
        `Successfully executed action ${TopicArn}`,
        'Failed to execute action arn:aws:sns:us-east-1:000000000000:no-such-topic. Received error: "Resource: arn:aws:sns:us-east-1:000000000000:no-such-topic does not exist"',
      ]);
      const events = (await (await fetch(`${fl.url}/_faultline/events`)).json()) as { events: { type: string; detail: { alarmName?: string; ok?: boolean } }[] };
      const mine = events.events.filter((e) => e.detail.alarmName === 'disk-full');
      assert.deepEqual(mine.map((e) => e.type), ['cloudwatch.alarm.config', 'cloudwatch.alarm.state', 'cloudwatch.alarm.action', 'cloudwatch.alarm.action']);
    });

    it('SetAlarmState runs the actions on a change and the next evaluation reverts it; disabled actions do not run', async () => {
      const { TopicArn } = await fl.aws('sns', 'create-topic', '--name', 'manual');
      toNextMinute(5);
      await cw.send(new PutMetricAlarmCommand({
        AlarmName: 'manual', Namespace: 'Man', MetricName: 'M', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching', AlarmActions: [TopicArn], OKActions: [TopicArn],
      }));
      fl.advance(0);
      assert.equal((await alarm('manual')).StateValue, 'OK');
      await cw.send(new SetAlarmStateCommand({ AlarmName: 'manual', StateValue: 'ALARM', StateReason: 'testing the pager' }));
      const set = await alarm('manual');
      assert.deepEqual([set.StateValue, set.StateReason], ['ALARM', 'testing the pager']);
      fl.advance(60);
      assert.equal((await alarm('manual')).StateValue, 'OK');
      const deliveries = async () => ((await (await fetch(`${fl.url}/_faultline/sns/deliveries?topicArn=${encodeURIComponent(TopicArn)}`)).json()) as { deliveries: { message: string }[] }).deliveries;
      // The first evaluation (no data, notBreaching) moved it to OK and ran the OK action too.
      assert.deepEqual((await deliveries()).map((d) => JSON.parse(d.message).NewStateValue), ['OK', 'ALARM', 'OK']);
      await fl.aws('cloudwatch', 'disable-alarm-actions', '--alarm-names', 'manual');
      assert.equal((await alarm('manual')).ActionsEnabled, false);
      await cw.send(new SetAlarmStateCommand({ AlarmName: 'manual', StateValue: 'ALARM', StateReason: 'quietly' }));
      assert.equal((await deliveries()).length, 3);
      await assert.rejects(
        cw.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'ALARM', StateReason: 'x' })),
        (e: Error & { Code?: string; name: string }) => e.Code === 'ResourceNotFound',
      );
    });

    it('lists alarms by prefix, state and action prefix, pages them, and keeps history after deletion', async () => {
      for (const n of ['page-1', 'page-2', 'page-3']) {
        await fl.aws('cloudwatch', 'put-metric-alarm', '--alarm-name', n, '--namespace', 'P', '--metric-name', 'M', '--statistic', 'Sum',
          '--period', '60', '--evaluation-periods', '1', '--threshold', '1', '--comparison-operator', 'GreaterThanThreshold',
          '--ok-actions', 'arn:aws:sns:us-east-1:000000000000:pager');
      }
      const first = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'page-', MaxRecords: 2 }));
      assert.deepEqual(first.MetricAlarms!.map((a) => a.AlarmName), ['page-1', 'page-2']);
      const rest = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'page-', MaxRecords: 2, NextToken: first.NextToken }));
      assert.deepEqual(rest.MetricAlarms!.map((a) => a.AlarmName), ['page-3']);
      const byAction = await cw.send(new DescribeAlarmsCommand({ ActionPrefix: 'arn:aws:sns:us-east-1:000000000000:pag' }));
      assert.equal(byAction.MetricAlarms!.length, 3);
      const insufficient = await fl.aws('cloudwatch', 'describe-alarms', '--state-value', 'INSUFFICIENT_DATA', '--alarm-name-prefix', 'page-');
      assert.equal(insufficient.MetricAlarms.length, 3);
      const forMetric = await fl.aws('cloudwatch', 'describe-alarms-for-metric', '--namespace', 'P', '--metric-name', 'M');
      assert.equal(forMetric.MetricAlarms.length, 3);
      const missing = await fl.awsRaw('cloudwatch', 'delete-alarms', '--alarm-names', 'page-1', 'page-9');
      assert.match(missing.stderr, /ResourceNotFound/);
      assert.equal((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'page-' }))).MetricAlarms!.length, 3);
      await fl.aws('cloudwatch', 'delete-alarms', '--alarm-names', 'page-1');
      assert.equal((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'page-' }))).MetricAlarms!.length, 2);
      const hist = await fl.aws('cloudwatch', 'describe-alarm-history', '--alarm-name', 'page-1');
      assert.deepEqual(hist.AlarmHistoryItems.map((h: { HistorySummary: string }) => h.HistorySummary), ['Alarm "page-1" deleted', 'Alarm "page-1" created']);
    });

    it('tags alarms', async () => {
      const arn = (await alarm('page-2')).AlarmArn!;
      await fl.aws('cloudwatch', 'tag-resource', '--resource-arn', arn, '--tags', 'Key=team,Value=web', 'Key=env,Value=prod');
      await fl.aws('cloudwatch', 'untag-resource', '--resource-arn', arn, '--tag-keys', 'env');
      const out = await fl.aws('cloudwatch', 'list-tags-for-resource', '--resource-arn', arn);
      assert.deepEqual(out.Tags, [{ Key: 'team', Value: 'web' }]);
      const missing = await fl.awsRaw('cloudwatch', 'list-tags-for-resource', '--resource-arn', arn + 'x');
      assert.match(missing.stderr, /ResourceNotFoundException/);
    });

    it('refuses invalid alarms with AWS codes (CLI, boto3, SDK v3)', async () => {
      const base = ['cloudwatch', 'put-metric-alarm', '--alarm-name', 'bad', '--namespace', 'AWS/EC2', '--metric-name', 'CPUUtilization',
        '--statistic', 'Average', '--threshold', '1', '--comparison-operator', 'GreaterThanThreshold'];
      const badPeriod = await fl.awsRaw(...base, '--period', '45', '--evaluation-periods', '1');
      assert.match(badPeriod.stderr, /\(ValidationError\).*Period/);
      const tooLong = await fl.awsRaw(...base, '--period', '60', '--evaluation-periods', '1441');
      assert.match(tooLong.stderr, /\(ValidationError\).*more than a day/);
      const mOverN = await fl.awsRaw(...base, '--period', '60', '--evaluation-periods', '2', '--datapoints-to-alarm', '3');
      assert.match(mOverN.stderr, /\(ValidationError\).*DatapointsToAlarm/);
      const both = await fl.awsRaw(...base, '--period', '60', '--evaluation-periods', '1', '--extended-statistic', 'p99');
      assert.match(both.stderr, /\(InvalidParameterCombination\)/);
      const sixActions = await fl.awsRaw(...base, '--period', '60', '--evaluation-periods', '1', '--alarm-actions',
        ...Array.from({ length: 6 }, (_, i) => `arn:aws:sns:us-east-1:000000000000:t${i}`));
      assert.match(sixActions.stderr, /\(ValidationError\).*length less than or equal to 5/);
      const out = await fl.python(`
import boto3, json, botocore
cw = boto3.client('cloudwatch')
def code(**kw):
    args = dict(AlarmName='bad', Namespace='AWS/EC2', Statistic='Minimum', Period=60, EvaluationPeriods=2, Threshold=0,
                ComparisonOperator='GreaterThanThreshold')
    args.update(kw)
    try:
        cw.put_metric_alarm(**args)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps({
  'no_instance': code(MetricName='StatusCheckFailed_System', AlarmActions=['arn:aws:automate:us-east-1:ec2:recover']),
  'recover_cpu': code(MetricName='CPUUtilization', Dimensions=[{'Name': 'InstanceId', 'Value': 'i-0123456789abcdef0'}],
                      AlarmActions=['arn:aws:automate:us-east-1:ec2:recover']),
  'other_region': code(MetricName='StatusCheckFailed_System', Dimensions=[{'Name': 'InstanceId', 'Value': 'i-0123456789abcdef0'}],
                      AlarmActions=['arn:aws:automate:eu-west-1:ec2:recover']),
  'bad_arn': code(MetricName='CPUUtilization', AlarmActions=['not-an-arn']),
  'ok_recover': code(MetricName='StatusCheckFailed_System', Dimensions=[{'Name': 'InstanceId', 'Value': 'i-0123456789abcdef0'}],
                      AlarmActions=['arn:aws:automate:us-east-1:ec2:recover']),
}))
`);
      assert.equal(out.no_instance[0], 'ValidationError');
      assert.match(out.no_instance[1], /An EC2 action can only be used if the alarm is monitoring an EC2 instance/);
      assert.equal(out.recover_cpu[0], 'ValidationError');
      assert.match(out.recover_cpu[1], /StatusCheckFailed_System/);
      assert.equal(out.other_region[0], 'ValidationError');
      assert.deepEqual(out.bad_arn, ['ValidationError', 'Invalid arn syntax: not-an-arn']);
      assert.equal(out.ok_recover, null);
      await assert.rejects(
        cw.send(new PutMetricAlarmCommand({ AlarmName: 'bad2', Namespace: 'X', MetricName: 'Y', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'sometimes' })),
        (e: Error & { Code?: string; $metadata: { httpStatusCode?: number } }) => e.Code === 'ValidationError' && e.$metadata.httpStatusCode === 400,
      );
      const names = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['bad', 'bad2'] }))).MetricAlarms!.map((a) => a.AlarmName);
      assert.deepEqual(names, ['bad']); // only the valid recover alarm was created
    });
  });

  describe('wire', () => {
    it('answers awsQuery (form-encoded, as Terraform sends) in XML', async () => {
      const res = await fetch(fl.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: AUTH },
        body: 'Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=latency-high',
      });
      assert.equal(res.status, 200);
      const xml = await res.text();
      assert.match(xml, /<DescribeAlarmsResponse xmlns="http:\/\/monitoring.amazonaws.com\/doc\/2010-08-01\/">/);
      assert.match(xml, /<AlarmName>latency-high<\/AlarmName>/);
      // Its data stopped two minutes ago, and missing data with `missing` means INSUFFICIENT_DATA.
      assert.match(xml, /<StateValue>INSUFFICIENT_DATA<\/StateValue>/);
      assert.match(xml, /<StateReason>Insufficient Data: 1 datapoint was unknown.<\/StateReason>/);
      const bad = await fetch(fl.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH },
        body: 'Action=PutMetricAlarm&Version=2010-08-01&AlarmName=q&Namespace=N&MetricName=M&Statistic=Sum&Period=7&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold',
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /<Code>ValidationError<\/Code>/);
    });

    it('answers malformed JSON, wrong types and unknown targets as AWS JSON services do', async () => {
      const send = (target: string, body: string) =>
        fetch(fl.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target, authorization: AUTH }, body });
      const malformed = await send('GraniteServiceVersion20100801.DescribeAlarms', '{"AlarmNames": [');
      assert.equal(malformed.status, 400);
      assert.equal(((await malformed.json()) as { __type: string }).__type, 'SerializationException');
      const wrongType = await send('GraniteServiceVersion20100801.DescribeAlarms', '{"MaxRecords": "ten"}');
      assert.equal(wrongType.status, 400);
      const wt = (await wrongType.json()) as { __type: string; message: string };
      assert.equal(wt.__type, 'SerializationException');
      assert.match(wt.message, /VALUE_STRING can not be converted to an Integer/);
      const unknown = await send('GraniteServiceVersion20100801.LaunchRockets', '{}');
      assert.equal(unknown.status, 400);
      assert.equal(((await unknown.json()) as { __type: string }).__type, 'UnknownOperationException');
      const notFound = await send('GraniteServiceVersion20100801.SetAlarmState', '{"AlarmName":"none","StateValue":"OK","StateReason":"r"}');
      assert.equal(notFound.status, 404);
      assert.equal(notFound.headers.get('x-amzn-query-error'), 'ResourceNotFound;Sender');
      assert.equal(((await notFound.json()) as { __type: string }).__type, 'ResourceNotFound');
      const invalid = await send('GraniteServiceVersion20100801.PutMetricData', '{"Namespace":"AWS/X","MetricData":[{"MetricName":"m","Value":1}]}');
      assert.equal(invalid.headers.get('x-amzn-query-error'), 'InvalidParameterValue;Sender');
      assert.equal(((await invalid.json()) as { __type: string }).__type, 'InvalidParameterValueException');
      const ok = await send('GraniteServiceVersion20100801.DescribeAlarms', '');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('content-type'), 'application/x-amz-json-1.0');
    });
  });
});
