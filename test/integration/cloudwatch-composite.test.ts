/**
 * Composite alarms and dashboards through the SDK v3 and the AWS CLI, on the manual clock: a
 * composite alarm's SNS action fires when its rule turns true, suppression holds it, the
 * family queries and DeleteAlarms' refusal, dashboards put, got, listed and deleted, and the
 * three CloudFormation types.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  ListDashboardsCommand,
  PutCompositeAlarmCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { startFaultline, type Faultline } from '../harness.ts';

const ARN = 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:';

describe('CloudWatch composite alarms and dashboards', () => {
  let fl: Faultline;
  let cw: CloudWatchClient;
  const put = (name: string, value: number) => cw.send(new PutMetricDataCommand({ Namespace: 'Ops', MetricData: [{ MetricName: name, Value: value }] }));
  /** An alarm in ALARM for each minute whose point is above 0. */
  const metricAlarm = (name: string) =>
    cw.send(new PutMetricAlarmCommand({
      AlarmName: name, Namespace: 'Ops', MetricName: name, Statistic: 'Maximum', Period: 60, EvaluationPeriods: 1, Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching',
    }));
  const composite = async (name: string) =>
    (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['CompositeAlarm'] }))).CompositeAlarms![0];
  const deliveries = async (topicArn: string) => {
    const res = await fetch(`${fl.url}/_faultline/sns/deliveries?topicArn=${encodeURIComponent(topicArn)}`);
    return ((await res.json()) as { deliveries: { subject: string; message: string }[] }).deliveries;
  };
  /** Publishes 1 for the named metrics (their alarms go to ALARM) and 0 for the others, and steps to the next minute's evaluation. */
  const minute = async (...alarming: string[]) => {
    for (const m of ['cpu', 'mem', 'disk', 'maint']) await put(m, alarming.includes(m) ? 1 : 0);
    fl.advance(60);
  };

  before(async () => {
    fl = await startFaultline();
    cw = new CloudWatchClient(fl.sdk);
    const now = fl.app.env.clock.now();
    fl.advance((60_000 - (now % 60_000)) / 1000 + 5);
    for (const n of ['cpu', 'mem', 'disk', 'maint']) await metricAlarm(n);
    fl.advance(0);
  });
  after(() => fl.close());

  it('goes to ALARM when its rule turns true, notifying SNS once, with AWS\'s reason and history', async () => {
    const { TopicArn } = await fl.aws('sns', 'create-topic', '--name', 'composite');
    await fl.aws('sns', 'subscribe', '--topic-arn', TopicArn, '--protocol', 'email', '--notification-endpoint', 'ops@example.com');
    await cw.send(new PutCompositeAlarmCommand({
      AlarmName: 'both', AlarmRule: `ALARM(cpu) AND ALARM("${ARN}mem")`, AlarmActions: [TopicArn], AlarmDescription: 'cpu and memory',
    }));
    assert.equal((await composite('both')).StateValue, 'OK');
    await minute('cpu');
    assert.equal((await composite('both')).StateValue, 'OK'); // only one child in ALARM
    await minute('cpu', 'mem');
    const c = await composite('both');
    assert.equal(c.StateValue, 'ALARM');
    assert.match(c.StateReason!, new RegExp(`^${ARN}mem transitioned to ALARM at [A-Z][a-z]+day \\d{1,2} [A-Z][a-z]+, \\d{4} \\d\\d:\\d\\d:\\d\\d UTC$`));
    assert.equal(JSON.parse(c.StateReasonData!).triggeringAlarms[0].arn, `${ARN}mem`);
    await minute('cpu', 'mem'); // still ALARM: no second notification
    const sent = await deliveries(TopicArn);
    assert.deepEqual(sent.map((d) => d.subject), ['ALARM: "both" in US East (N. Virginia)']);
    const msg = JSON.parse(sent[0].message);
    assert.deepEqual([msg.AlarmName, msg.OldStateValue, msg.NewStateValue, msg.AlarmRule], ['both', 'OK', 'ALARM', `ALARM(cpu) AND ALARM("${ARN}mem")`]);
    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'both', AlarmTypes: ['CompositeAlarm'], ScanBy: 'TimestampAscending' }));
    assert.deepEqual(history.AlarmHistoryItems!.map((h) => [h.AlarmType, h.HistoryItemType, h.HistorySummary]), [
      ['CompositeAlarm', 'ConfigurationUpdate', 'Alarm "both" created'],
      ['CompositeAlarm', 'StateUpdate', 'Alarm updated from INSUFFICIENT_DATA to OK'],
      ['CompositeAlarm', 'StateUpdate', 'Alarm updated from OK to ALARM'],
      ['CompositeAlarm', 'Action', `Successfully executed action ${TopicArn}`],
    ]);
    // The data falls to 0: the children go OK, and so does the composite.
    await minute();
    assert.equal((await composite('both')).StateValue, 'OK');
  });

  it('holds ALARM actions while the suppressor is in ALARM, through the wait and extension periods', async () => {
    const { TopicArn } = await fl.aws('sns', 'create-topic', '--name', 'guarded');
    await cw.send(new PutCompositeAlarmCommand({
      AlarmName: 'disk-guarded', AlarmRule: 'ALARM(disk) OR FALSE', AlarmActions: [TopicArn],
      ActionsSuppressor: 'maint', ActionsSuppressorWaitPeriod: 120, ActionsSuppressorExtensionPeriod: 60,
    }));
    // The wait period: the suppressor stays OK, so the actions run 120 s after the ALARM.
    await minute('disk');
    let c = await composite('disk-guarded');
    assert.deepEqual([c.StateValue, c.ActionsSuppressedBy], ['ALARM', 'WaitPeriod']);
    assert.match(c.ActionsSuppressedReason!, /maint/);
    await minute('disk');
    assert.equal((await deliveries(TopicArn)).length, 0);
    await minute('disk');
    c = await composite('disk-guarded');
    assert.equal(c.ActionsSuppressedBy, undefined);
    assert.equal((await deliveries(TopicArn)).length, 1);
    await minute();
    assert.equal((await composite('disk-guarded')).StateValue, 'OK');

    // The suppressor in ALARM holds them as long as it stays there, then for the extension period.
    await minute('maint');
    await minute('maint', 'disk');
    c = await composite('disk-guarded');
    assert.deepEqual([c.StateValue, c.ActionsSuppressedBy], ['ALARM', 'Alarm']);
    for (let i = 0; i < 4; i++) await minute('maint', 'disk');
    assert.equal((await deliveries(TopicArn)).length, 1);
    await minute('disk'); // maint goes OK: the extension starts
    c = await composite('disk-guarded');
    assert.equal(c.ActionsSuppressedBy, 'ExtensionPeriod');
    assert.equal((await deliveries(TopicArn)).length, 1);
    await minute('disk');
    assert.equal((await composite('disk-guarded')).ActionsSuppressedBy, undefined);
    assert.deepEqual((await deliveries(TopicArn)).map((d) => d.subject), ['ALARM: "disk-guarded" in US East (N. Virginia)', 'ALARM: "disk-guarded" in US East (N. Virginia)']);
  });

  it('lists composites by type and family, refuses to delete a child, and validates rules as AWS does', async () => {
    const all = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    assert.deepEqual(all.CompositeAlarms!.map((a) => a.AlarmName), ['both', 'disk-guarded']);
    assert.deepEqual(all.MetricAlarms!.map((a) => a.AlarmName), ['cpu', 'disk', 'maint', 'mem']);
    assert.equal((await cw.send(new DescribeAlarmsCommand({}))).CompositeAlarms, undefined);
    const children = await cw.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: 'both' }));
    assert.deepEqual(children.MetricAlarms!.map((a) => [a.AlarmName, a.AlarmArn, a.Threshold]), [['cpu', `${ARN}cpu`, undefined], ['mem', `${ARN}mem`, undefined]]);
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: 'outer', AlarmRule: 'NOT (OK(both) OR INSUFFICIENT_DATA(cpu))' }));
    const parents = await cw.send(new DescribeAlarmsCommand({ ParentsOfAlarmName: 'cpu' }));
    assert.deepEqual(parents.CompositeAlarms!.map((a) => a.AlarmName), ['both', 'outer']);

    const out = await fl.python(`
import boto3, json, botocore
cw = boto3.client('cloudwatch')
def err(f, **kw):
    try:
        f(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps({
  'delete_child': err(cw.delete_alarms, AlarmNames=['cpu', 'mem']),
  'unknown': err(cw.put_composite_alarm, AlarmName='x', AlarmRule='ALARM(cpu) OR ALARM(nope) OR OK(gone)'),
  'syntax': err(cw.put_composite_alarm, AlarmName='x', AlarmRule='ALARM(cpu) AND'),
  'too_long': err(cw.put_composite_alarm, AlarmName='x', AlarmRule='TRUE OR ' * 1300 + 'TRUE'),
  'too_deep': err(cw.put_composite_alarm, AlarmName='x', AlarmRule='(' * 5000 + 'TRUE' + ')' * 5000),
  'ec2_action': err(cw.put_composite_alarm, AlarmName='x', AlarmRule='ALARM(cpu)', AlarmActions=['arn:aws:automate:us-east-1:ec2:stop']),
  'family_and_more': err(cw.describe_alarms, ChildrenOfAlarmName='both', StateValue='OK'),
}))
`);
    assert.deepEqual(out.delete_child, ['ValidationError', 'Cannot delete cpu,mem as there are composite alarm(s) depending on them.']);
    assert.deepEqual(out.unknown, ['ValidationError', 'Could not save the composite alarm as alarms [nope, gone] in the alarm rule do not exist']);
    assert.equal(out.syntax[0], 'ValidationError');
    assert.match(out.too_long[1], /length less than or equal to 10240/);
    assert.deepEqual(out.too_deep, ['ValidationError', 'Error in AlarmRule: the rule nests parentheses or NOT more than 100 deep.']);
    assert.equal(out.ec2_action[0], 'ValidationError');
    assert.equal(out.family_and_more[0], 'ValidationError');
    // AWS lets composites form a cycle; it settles, and neither can be deleted until the cycle is broken.
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: 'loop-a', AlarmRule: 'ALARM(disk)' }));
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: 'loop-b', AlarmRule: 'NOT ALARM(loop-a)' }));
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: 'loop-a', AlarmRule: 'ALARM(loop-b)' }));
    await assert.rejects(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['loop-a', 'loop-b'] })), /Cannot delete loop-a,loop-b as there are composite alarm\(s\) depending on them\./);
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: 'loop-a', AlarmRule: 'FALSE' }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['loop-b'] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['loop-a'] }));
    // Parents first, then children: each delete is allowed once nothing reads the alarm.
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['outer'] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['both'] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['cpu', 'mem'] }));
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm'] }))).CompositeAlarms!.map((a) => a.AlarmName), ['disk-guarded']);
  });

  it('puts, gets, lists and deletes dashboards, refusing bodies AWS refuses', async () => {
    const body = JSON.stringify({ widgets: [{ type: 'metric', x: 0, y: 0, width: 12, height: 6, properties: { region: 'us-east-1', metrics: [['Ops', 'cpu']] } }] });
    const put = await fl.aws('cloudwatch', 'put-dashboard', '--dashboard-name', 'ops-main', '--dashboard-body', body);
    assert.deepEqual(put.DashboardValidationMessages, []);
    const dbBody = JSON.stringify({ widgets: [{ type: 'text', properties: { markdown: '# DB' } }] });
    await cw.send(new PutDashboardCommand({ DashboardName: 'ops-db', DashboardBody: dbBody }));
    await cw.send(new PutDashboardCommand({ DashboardName: 'web', DashboardBody: '{"widgets":[]}' }));
    const got = await cw.send(new GetDashboardCommand({ DashboardName: 'ops-main' }));
    assert.deepEqual([got.DashboardArn, got.DashboardBody], ['arn:aws:cloudwatch::000000000000:dashboard/ops-main', body]);
    const listed = await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: 'ops-' }));
    assert.deepEqual(listed.DashboardEntries!.map((d) => [d.DashboardName, d.Size]), [['ops-db', dbBody.length], ['ops-main', body.length]]);

    const bad = await fl.python(`
import boto3, json, botocore
cw = boto3.client('cloudwatch')
def err(f, **kw):
    try:
        f(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
print(json.dumps({
  'no_widgets': err(cw.put_dashboard, DashboardName='d', DashboardBody='{}'),
  'not_json': err(cw.put_dashboard, DashboardName='d', DashboardBody='{widgets'),
  'widgets': err(cw.put_dashboard, DashboardName='d', DashboardBody=json.dumps({'widgets': [{'type': 'chart', 'properties': {}}, {'type': 'text', 'width': 30, 'properties': {}}]})),
  'name': err(cw.put_dashboard, DashboardName='my dashboard', DashboardBody='{"widgets":[]}'),
  'get_unknown': err(cw.get_dashboard, DashboardName='nope'),
  'delete_unknown': err(cw.delete_dashboards, DashboardNames=['web', 'nope']),
}))
`);
    assert.deepEqual(bad.no_widgets, ['InvalidParameterInput', 'The dashboard body is invalid, there are 1 validation errors: [ { "dataPath": "", "message": "Should have required property \'widgets\'" } ]', 400]);
    assert.equal(bad.not_json[0], 'InvalidParameterInput');
    assert.match(bad.widgets[1], /there are 3 validation errors: .*"\/widgets\/0\/type".*"\/widgets\/1\/width", "message": "Should be <= 24".*"\/widgets\/1\/properties", "message": "Should have required property 'markdown'"/);
    assert.equal(bad.name[0], 'InvalidParameterInput');
    assert.deepEqual(bad.get_unknown, ['ResourceNotFound', 'Dashboard nope does not exist', 404]);
    assert.deepEqual(bad.delete_unknown.slice(0, 1), ['ResourceNotFound']);
    // Nothing was deleted by the refused call; a dashboard belongs to the account, seen from every region.
    const west = new CloudWatchClient({ ...fl.sdk, region: 'us-west-2' });
    assert.equal((await west.send(new ListDashboardsCommand({}))).DashboardEntries!.length, 3);
    await west.send(new DeleteDashboardsCommand({ DashboardNames: ['web', 'ops-db'] }));
    assert.deepEqual((await cw.send(new ListDashboardsCommand({}))).DashboardEntries!.map((d) => d.DashboardName), ['ops-main']);
  });

  it('creates and deletes a math alarm, a composite alarm and a dashboard through CloudFormation', async () => {
    const template = JSON.stringify({
      Resources: {
        Ratio: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: 'cfn-ratio', EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold',
            Metrics: [
              { Id: 'a', MetricStat: { Metric: { Namespace: 'Ops', MetricName: 'disk' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
              { Id: 'b', MetricStat: { Metric: { Namespace: 'Ops', MetricName: 'maint' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
              { Id: 'r', Expression: 'a / FILL(b, 1)', ReturnData: true },
            ],
          },
        },
        Any: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: { AlarmRule: { 'Fn::Sub': 'ALARM(${Ratio}) OR ALARM(disk)' }, ActionsEnabled: false } },
        Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardName: 'cfn-board', DashboardBody: '{"widgets":[{"type":"text","properties":{"markdown":"hi"}}]}' } },
      },
      Outputs: { AnyArn: { Value: { 'Fn::GetAtt': ['Any', 'Arn'] } }, AnyName: { Value: { Ref: 'Any' } } },
    });
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'cw', '--template-body', template);
    fl.advance(1);
    const stack = (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'cw')).Stacks[0];
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE');
    const outputs = Object.fromEntries(stack.Outputs.map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue]));
    assert.match(outputs.AnyName, /^cw-Any-[A-Z0-9]+$/);
    assert.equal(outputs.AnyArn, `${ARN}${outputs.AnyName}`);
    const c = await composite(outputs.AnyName);
    assert.deepEqual([c.AlarmRule, c.ActionsEnabled], ['ALARM(cfn-ratio) OR ALARM(disk)', false]);
    const ratio = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['cfn-ratio'] }))).MetricAlarms![0];
    assert.equal(ratio.Metrics![2].Expression, 'a / FILL(b, 1)');
    assert.equal((await cw.send(new GetDashboardCommand({ DashboardName: 'cfn-board' }))).DashboardName, 'cfn-board');
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'cw');
    fl.advance(1);
    assert.equal((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['cfn-ratio', outputs.AnyName], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }))).CompositeAlarms!.length, 0);
    assert.equal((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['cfn-ratio'] }))).MetricAlarms!.length, 0);
    assert.equal((await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: 'cfn-' }))).DashboardEntries!.length, 0);
  });
});
