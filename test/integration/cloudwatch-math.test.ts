/**
 * Metric math through the SDK v3 and boto3: GetMetricData expressions checked against values
 * computed by hand, labels as AWS documents them, AWS's validation errors, and an alarm on an
 * expression evaluated by the alarm loop on the manual clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, PutMetricAlarmCommand, PutMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { startFaultline, type Faultline } from '../harness.ts';

describe('CloudWatch metric math', () => {
  let fl: Faultline;
  let cw: CloudWatchClient;
  let m0: number;
  const put = (name: string, value: number, dims: { Name: string; Value: string }[] = []) =>
    cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: name, Value: value, Dimensions: dims }] }));
  const stat = (id: string, name: string, dims: { Name: string; Value: string }[] = [], extra: Partial<MetricDataQuery> = {}): MetricDataQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'App', MetricName: name, Dimensions: dims }, Period: 60, Stat: 'Sum' },
    ReturnData: false,
    ...extra,
  });
  const query = (queries: MetricDataQuery[], extra: Record<string, unknown> = {}) =>
    cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(m0), EndTime: new Date(m0 + 4 * 60_000), ScanBy: 'TimestampAscending', ...extra }));

  before(async () => {
    fl = await startFaultline();
    cw = new CloudWatchClient(fl.sdk);
    const now = fl.app.env.clock.now();
    fl.advance((60_000 - (now % 60_000)) / 1000 + 5);
    m0 = Math.floor(fl.app.env.clock.now() / 60_000) * 60_000;
    // Minute by minute: Errors 1, 2, -, 4; Requests 10, 0, 30, 40; Latency per host.
    const errors = [1, 2, undefined, 4];
    const requests = [10, 0, 30, 40];
    for (let i = 0; i < 4; i++) {
      if (errors[i] !== undefined) await put('Errors', errors[i]!);
      await put('Requests', requests[i]);
      await put('Latency', 100 + i, [{ Name: 'Host', Value: 'h1' }]);
      await put('Latency', 200 + i, [{ Name: 'Host', Value: 'h2' }]);
      fl.advance(60);
    }
  });
  after(() => fl.close());

  it('computes arithmetic, FILL and IF point by point, labelled by Id or Label, and flags dropped points', async () => {
    const out = await query([
      stat('errors', 'Errors'),
      stat('requests', 'Requests'),
      { Id: 'rate', Expression: 'errors / requests * 100', Label: 'Error rate' },
      { Id: 'filled', Expression: 'FILL(errors, REPEAT) + FILL(errors, 0)' },
      { Id: 'busy', Expression: 'IF(requests >= 30 AND errors > 0, 1, 0)' },
      { Id: 'avg', Expression: 'AVG(requests)', Period: 120 },
    ]);
    const r = Object.fromEntries(out.MetricDataResults!.map((x) => [x.Id, x]));
    // 1/10*100 = 10; 2/0 dropped; no errors at minute 2; 4/40*100 = 10.
    assert.deepEqual(r.rate.Values, [10, 10]);
    assert.deepEqual(r.rate.Timestamps!.map((t: Date) => t.getTime()), [m0, m0 + 180_000]);
    assert.equal(r.rate.Label, 'Error rate');
    assert.deepEqual(r.rate.Messages, [{ Code: 'ArithmeticError', Value: 'One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)' }]);
    // REPEAT fills minute 2 with 2, the value fills it with 0: 1+1, 2+2, 2+0, 4+4.
    assert.deepEqual(r.filled.Values, [2, 4, 2, 8]);
    assert.equal(r.filled.Label, 'filled');
    assert.deepEqual(r.filled.Messages, []);
    // Only minute 3 has requests >= 30 and errors; minute 2 has no errors, so no point.
    assert.deepEqual(r.busy.Values, [0, 0, 1]);
    // A scalar is given at every period of the expression's Period: (10+0+30+40)/4.
    assert.deepEqual(r.avg.Values, [20, 20]);
    assert.deepEqual(out.MetricDataResults!.map((x) => x.Id), ['rate', 'filled', 'busy', 'avg']);
  });

  it('reads METRICS() and SEARCH over the metrics that exist, with labels per series, and dynamic labels', async () => {
    const out = await query([
      stat('lat_h1', 'Latency', [{ Name: 'Host', Value: 'h1' }]),
      stat('lat_h2', 'Latency', [{ Name: 'Host', Value: 'h2' }]),
      stat('req', 'Requests', [], { ReturnData: true, Label: '${PROP(\'MetricName\')} (avg ${AVG}, last ${LAST})' }),
      { Id: 'worst', Expression: "MAX(METRICS('lat'))" },
      { Id: 'found', Expression: `SEARCH('{App,Host} MetricName="Latency"', 'Maximum', 60)`, Label: 'Lat' },
    ], { ScanBy: 'TimestampDescending' });
    const results = out.MetricDataResults!;
    assert.deepEqual(results.map((x) => [x.Id, x.Label]), [
      ['req', 'Requests (avg 20, last 40)'],
      ['worst', 'worst'],
      ['found', 'Lat h1'],
      ['found', 'Lat h2'],
    ]);
    // TimestampDescending: newest first.
    assert.deepEqual(results[1].Values, [203, 202, 201, 200]);
    assert.deepEqual(results[2].Values, [103, 102, 101, 100]);
    assert.equal(results[1].Timestamps![0].getTime(), m0 + 180_000);
  });

  it('pages across results with MaxDatapoints and NextToken, marking PartialData', async () => {
    const qs = [stat('r', 'Requests'), { Id: 'double', Expression: 'r * 2' }];
    const first = await query(qs, { MaxDatapoints: 3 });
    assert.deepEqual(first.MetricDataResults!.map((x) => [x.Values, x.StatusCode]), [[[20, 0, 60], 'PartialData']]);
    const second = await query(qs, { MaxDatapoints: 3, NextToken: first.NextToken });
    assert.deepEqual(second.MetricDataResults!.map((x) => [x.Values, x.StatusCode]), [[[80], 'Complete']]);
    assert.equal(second.NextToken, undefined);
  });

  it('refuses bad expressions and bad LabelOptions as AWS does', async () => {
    const out = await fl.python(`
import boto3, json, datetime, botocore
cw = boto3.client('cloudwatch')
t = datetime.datetime.fromtimestamp(${m0 / 1000}, datetime.timezone.utc)
m = {'Id': 'm1', 'MetricStat': {'Metric': {'Namespace': 'App', 'MetricName': 'Errors'}, 'Period': 60, 'Stat': 'Sum'}}
def err(queries, **kw):
    try:
        cw.get_metric_data(MetricDataQueries=queries, StartTime=t, EndTime=t + datetime.timedelta(minutes=4), **kw)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps({
  'syntax': err([m, {'Id': 'e1', 'Expression': 'm1 +'}]),
  'unknown_fn': err([m, {'Id': 'e1', 'Expression': 'STDDEVX(m1)'}]),
  'unknown_id': err([m, {'Id': 'e1', 'Expression': 'm1 + m9'}]),
  'cycle': err([m, {'Id': 'e1', 'Expression': 'e2 + 1'}, {'Id': 'e2', 'Expression': 'e1 * 2'}]),
  'both': err([{**m, 'Expression': 'm1'}]),
  'tz': err([m], LabelOptions={'Timezone': '+2500'}),
}))
`);
    assert.deepEqual(out.syntax, ['ValidationError', 'Error in expression e1: Unexpected end of expression at position 5.']);
    assert.deepEqual(out.unknown_fn, ['ValidationError', 'Error in expression e1: Unrecognized function STDDEVX.']);
    assert.deepEqual(out.unknown_id, ['ValidationError', 'Error in expression e1: Unrecognized metric or expression id m9.']);
    assert.equal(out.cycle[0], 'ValidationError');
    assert.match(out.cycle[1], /Circular reference/);
    assert.equal(out.both[0], 'InvalidParameterCombination');
    assert.equal(out.tz[0], 'InvalidParameterValue');
  });

  it('alarms on an expression, evaluated by the alarm loop on the clock, and refuses bad Metrics lists', async () => {
    const errorRate: MetricDataQuery[] = [
      stat('e', 'Errors'),
      stat('r', 'Requests'),
      { Id: 'rate', Expression: 'FILL(e, 0) / r * 100', Label: 'Error rate', ReturnData: true },
    ];
    await cw.send(new PutMetricAlarmCommand({
      AlarmName: 'error-rate', Metrics: errorRate, EvaluationPeriods: 1, Threshold: 20, ComparisonOperator: 'GreaterThanThreshold',
    }));
    const state = async () => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['error-rate'] }))).MetricAlarms![0];
    fl.advance(0);
    // The last full minute has no data: INSUFFICIENT_DATA; then 5 errors in 10 requests is 50 %.
    await put('Errors', 5);
    await put('Requests', 10);
    fl.advance(60);
    let a = await state();
    assert.equal(a.StateValue, 'ALARM');
    assert.equal(a.MetricName, undefined);
    assert.equal(a.Period, undefined);
    assert.deepEqual(a.Metrics!.map((q) => q.Id), ['e', 'r', 'rate']);
    assert.match(a.StateReason!, /^Threshold Crossed: 1 datapoint \[50\.0 \(.*\)\] was greater than the threshold \(20\.0\)\.$/);
    // No errors now: FILL makes the rate 0.
    await put('Requests', 10);
    fl.advance(60);
    a = await state();
    assert.equal(a.StateValue, 'OK');

    const bad = await fl.python(`
import boto3, json, botocore
cw = boto3.client('cloudwatch')
m = {'Id': 'm1', 'MetricStat': {'Metric': {'Namespace': 'App', 'MetricName': 'Errors'}, 'Period': 60, 'Stat': 'Sum'}, 'ReturnData': False}
def err(metrics, **kw):
    args = dict(AlarmName='bad-math', Metrics=metrics, EvaluationPeriods=1, Threshold=1, ComparisonOperator='GreaterThanThreshold')
    args.update(kw)
    try:
        cw.put_metric_alarm(**args)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps({
  'none_returned': err([m]),
  'two_returned': err([{**m, 'ReturnData': True}, {'Id': 'e1', 'Expression': 'm1 * 2'}]),
  'array': err([m, {'Id': 'e1', 'Expression': 'METRICS()', 'ReturnData': True}]),
  'with_metric_name': err([m, {'Id': 'e1', 'Expression': 'm1 * 2'}], MetricName='Errors'),
}))
`);
    assert.deepEqual(bad.none_returned, ['ValidationError', 'Exactly one element of the metrics list should return data.']);
    assert.deepEqual(bad.two_returned, ['ValidationError', 'Exactly one element of the metrics list should return data.']);
    assert.deepEqual(bad.array, ['ValidationError', 'The expression of e1 must return a single time series, not an array of time series.']);
    assert.deepEqual(bad.with_metric_name, ['ValidationError', 'The parameter Metrics cannot be combined with MetricName.']);
  });
});

describe('CloudWatch metric math on a fresh server', () => {
  it('a refused expression that read the metrics first does not take the metric tables with it', async () => {
    // The first metric lookup of a server creates CloudWatch's tables inside the request's
    // transaction; a SEARCH refused after that lookup used to roll them back, and every later
    // metric call failed with InternalFailure (no such table).
    const fl = await startFaultline();
    try {
      const cw = new CloudWatchClient(fl.sdk);
      const end = new Date(fl.app.env.clock.now());
      const start = new Date(end.getTime() - 3600_000);
      const refused = await cw
        .send(new GetMetricDataCommand({ MetricDataQueries: [{ Id: 'e1', Expression: "SEARCH('{AWS/EC2', 'Average', 300)" }], StartTime: start, EndTime: end }))
        .catch((e: { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode);
      assert.equal(refused, 400);
      const out = await cw.send(
        new GetMetricDataCommand({ MetricDataQueries: [{ Id: 'm1', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' } }], StartTime: start, EndTime: end }),
      );
      assert.deepEqual(out.MetricDataResults?.[0].Values, []);
    } finally {
      await fl.close();
    }
  });
});
