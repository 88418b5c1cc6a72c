/**
 * Route 53 health checks through boto3, on the simulated driver and the manual
 * clock: the API with its errors, the checkers' observations before and after the instance's host
 * fails (at the time the interval and threshold give, worked out below), and the HealthCheckStatus
 * metric with an alarm on it; AWS::Route53::HealthCheck through CloudFormation; and, under the
 * sandbox driver, real requests to an instance's public address.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { healthCheck } from '../../src/services/route53/state.ts';
import { advanceUntil, httpGet, sandboxSkip, waitFor, waitGone, webAppUserData } from '../sandbox-support.ts';

const SETUP = `
ec2 = boto3.client('ec2')
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
g = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=v)
s = ec2.create_subnet(VpcId=v, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
i = ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1,
    NetworkInterfaces=[{'DeviceIndex': 0, 'SubnetId': s, 'Groups': [sg], 'AssociatePublicIpAddress': True}])['Instances'][0]['InstanceId']
advance(120)
ip = ec2.describe_instances(InstanceIds=[i])['Reservations'][0]['Instances'][0]['PublicIpAddress']
out({'instance': i, 'ip': ip})
`;

describe('Route 53 health checks through boto3', () => {
  let fl: Faultline;
  let instance: string;
  let ip: string;
  const boto3 = (code: string) =>
    fl.python(BOTO3_PRELUDE + `r53 = boto3.client('route53', config=no_retry)\ncw = boto3.client('cloudwatch')\ninstance, ip = ${JSON.stringify(instance)}, ${JSON.stringify(ip)}\n` + code);

  before(async () => {
    fl = await startFaultline();
    ({ instance, ip } = await fl.python(BOTO3_PRELUDE + SETUP));
  });
  after(() => fl.close());

  it('creates, replays, gets, lists in pages, updates and deletes checks (even one a record set names), with AWS errors for bad input', async () => {
    const r = await boto3(`
r = {}
cfg = {'Type': 'HTTP', 'IPAddress': ip, 'ResourcePath': 'health', 'RequestInterval': 10}
c = r53.create_health_check(CallerReference='ref-1', HealthCheckConfig=cfg)
hc = c['HealthCheck']
r['status'] = c['ResponseMetadata']['HTTPStatusCode']
r['location'] = c['Location'].endswith('/2013-04-01/healthcheck/' + hc['Id'])
r['config'] = hc['HealthCheckConfig']
r['version'] = hc['HealthCheckVersion']
r['replay'] = r53.create_health_check(CallerReference='ref-1', HealthCheckConfig=cfg)['HealthCheck']['Id'] == hc['Id']
r['other'] = outcome(lambda: r53.create_health_check(CallerReference='ref-1', HealthCheckConfig={**cfg, 'Port': 8080}))
bad = [
    {'Type': 'HTTP'},
    {'Type': 'TCP', 'IPAddress': ip},
    {'Type': 'HTTP', 'IPAddress': ip, 'RequestInterval': 20},
    {'Type': 'HTTP', 'IPAddress': '10.0.1.5'},
    {'Type': 'HTTP', 'IPAddress': ip, 'Regions': ['us-east-1', 'eu-west-1', 'eu-west-1']},
    {'Type': 'HTTP_STR_MATCH', 'IPAddress': ip},
    {'Type': 'CALCULATED', 'IPAddress': ip},
    {'Type': 'CLOUDWATCH_METRIC', 'AlarmIdentifier': {'Region': 'us-east-1', 'Name': 'nope'}},
]
r['bad'] = [outcome(lambda b=b: r53.create_health_check(CallerReference='bad', HealthCheckConfig=b)).split(' ')[0:2] for b in bad]
r['noChild'] = outcome(lambda: r53.create_health_check(CallerReference='calc', HealthCheckConfig={'Type': 'CALCULATED', 'ChildHealthChecks': ['00000000-0000-0000-0000-000000000000'], 'HealthThreshold': 1}))
for n in range(4):
    r53.create_health_check(CallerReference='tcp-%d' % n, HealthCheckConfig={'Type': 'TCP', 'IPAddress': ip, 'Port': 22})
r['count'] = r53.get_health_check_count()['HealthCheckCount']
pages = []
kw = {'MaxItems': '2'}
while True:
    p = r53.list_health_checks(**kw)
    pages.append(len(p['HealthChecks']))
    if not p['IsTruncated']: break
    kw['Marker'] = p['NextMarker']
r['pages'] = pages
r['paged'] = [p for p in r53.get_paginator('list_health_checks').paginate(PaginationConfig={'PageSize': 3})][0]['MaxItems']
u = r53.update_health_check(HealthCheckId=hc['Id'], HealthCheckVersion=1, Port=8080, Inverted=True, ResetElements=['ResourcePath'])['HealthCheck']
r['updated'] = [u['HealthCheckVersion'], u['HealthCheckConfig']['Port'], u['HealthCheckConfig']['Inverted'], 'ResourcePath' in u['HealthCheckConfig']]
r['stale'] = outcome(lambda: r53.update_health_check(HealthCheckId=hc['Id'], HealthCheckVersion=1, Port=81))
r['fixedType'] = outcome(lambda: r53.update_health_check(HealthCheckId=hc['Id'], SearchString='ok'))
# A record set that names the check does not keep it: Route 53 does not prevent the deletion.
z = r53.create_hosted_zone(Name='example.com', CallerReference='zone')['HostedZone']['Id']
r53.change_resource_record_sets(HostedZoneId=z, ChangeBatch={'Changes': [{'Action': 'CREATE', 'ResourceRecordSet': {
    'Name': 'www.example.com', 'Type': 'A', 'SetIdentifier': 'primary', 'Failover': 'PRIMARY', 'TTL': 60, 'ResourceRecords': [{'Value': ip}], 'HealthCheckId': hc['Id']}}]})
r['inUse'] = outcome(lambda: r53.delete_health_check(HealthCheckId=hc['Id']))
r['gone'] = outcome(lambda: r53.get_health_check(HealthCheckId=hc['Id']))
r['deletedRef'] = outcome(lambda: r53.create_health_check(CallerReference='ref-1', HealthCheckConfig=cfg))
r['ranges'] = len(r53.get_checker_ip_ranges()['CheckerIpRanges'])
out(r)
`);
    assert.equal(r.status, 201);
    assert.equal(r.location, true);
    assert.deepEqual(r.config, {
      IPAddress: ip,
      Port: 80,
      Type: 'HTTP',
      ResourcePath: '/health',
      RequestInterval: 10,
      FailureThreshold: 3,
      MeasureLatency: false,
      Inverted: false,
      Disabled: false,
      EnableSNI: false,
    });
    assert.equal(r.version, 1);
    assert.equal(r.replay, true);
    assert.match(r.other, /^HealthCheckAlreadyExists 409 /);
    assert.deepEqual(r.bad, Array(8).fill(['InvalidInput', '400']));
    assert.match(r.noChild, /^NoSuchHealthCheck 404 /);
    assert.equal(r.count, 5);
    assert.deepEqual(r.pages, [2, 2, 1]);
    assert.equal(r.paged, '3');
    assert.deepEqual(r.updated, [2, 8080, true, false]);
    assert.match(r.stale, /^HealthCheckVersionMismatch 409 /);
    assert.match(r.fixedType, /^InvalidInput 400 SearchString is not allowed for health checks of type HTTP/);
    assert.equal(r.inUse, 'ok');
    assert.match(r.gone, /^NoSuchHealthCheck 404 /);
    assert.match(r.deletedRef, /^HealthCheckAlreadyExists 409 /);
    assert.equal(r.ranges, 16);
  });

  it('interval 10, threshold 3: every checker succeeds, then the host fails at 15 s, checks at 20, 30 and 40 s fail, and the check is unhealthy from 40 s; HealthCheckStatus drops to 0 and an alarm on it fires', async () => {
    // Start 30 s into a minute: the check is healthy through that minute and unhealthy from the next (40 s on).
    fl.advance((60_000 - (fl.app.env.clock.now() % 60_000) + 30_000) / 1000);
    const t0 = fl.app.env.clock.now();
    const r = await boto3(`
r = {}
hc = r53.create_health_check(CallerReference='web', HealthCheckConfig={'Type': 'HTTP', 'IPAddress': ip, 'RequestInterval': 10, 'FailureThreshold': 3})['HealthCheck']['Id']
cw.put_metric_alarm(AlarmName='web-down', Namespace='AWS/Route53', MetricName='HealthCheckStatus', Dimensions=[{'Name': 'HealthCheckId', 'Value': hc}],
    Statistic='Minimum', Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator='LessThanThreshold')
def status():
    return sorted(set(o['StatusReport']['Status'] for o in r53.get_health_check_status(HealthCheckId=hc)['HealthCheckObservations']))
def metric():
    import datetime
    now = datetime.datetime.fromisoformat(control('/_faultline/clock')['now'].replace('Z', '+00:00'))
    pts = cw.get_metric_statistics(Namespace='AWS/Route53', MetricName='HealthCheckStatus', Dimensions=[{'Name': 'HealthCheckId', 'Value': hc}],
        StartTime=now - datetime.timedelta(minutes=10), EndTime=now, Period=60, Statistics=['Minimum'])['Datapoints']
    return [p['Minimum'] for p in sorted(pts, key=lambda p: p['Timestamp'])]
r['hc'] = hc
r['before'] = r53.get_health_check_status(HealthCheckId=hc)['HealthCheckObservations']
advance(10)
obs = r53.get_health_check_status(HealthCheckId=hc)['HealthCheckObservations']
r['checkers'] = len(obs)
r['regions'] = len(set(o['Region'] for o in obs))
r['10'] = status()
advance(5)
control('/_faultline/faults', {'kind': 'host', 'instance': instance})
advance(5); r['20'] = status()
advance(20)
r['failures'] = sorted(set(o['StatusReport']['Status'][:29] for o in r53.get_health_check_last_failure_reason(HealthCheckId=hc)['HealthCheckObservations']))
advance(60)
r['metric'] = metric()
r['alarm'] = cw.describe_alarms(AlarmNames=['web-down'])['MetricAlarms'][0]['StateValue']
out(r)
`);
    assert.deepEqual(r.before, []);
    assert.equal(r.checkers, 16);
    assert.equal(r.regions, 8);
    assert.deepEqual(r['10'], ['Success: HTTP Status Code 200, OK']);
    assert.deepEqual(r['20'], [
      'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall. See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-router-firewall-rules.html',
    ]);
    assert.deepEqual(r.failures, ['Failure: Connection timed out']);
    assert.deepEqual(r.metric.slice(-2), [0, 0]);
    assert.equal(r.metric[0], 1);
    assert.equal(r.alarm, 'ALARM');
    const changes = fl.app.env.events
      .list()
      .filter((e) => e.type === 'route53.health-check' && e.detail.healthCheckId === r.hc)
      .map((e) => `${(Date.parse(e.time) - t0) / 1000}s ${e.detail.from} → ${e.detail.to}`);
    assert.deepEqual(changes, ['40s healthy → unhealthy']);
  });
});

describe('AWS::Route53::HealthCheck through CloudFormation', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  it('creates a check from HealthCheckConfig with its tags, gives its id to Ref and GetAtt HealthCheckId, updates it in place and deletes it with the stack', async () => {
    const template = (threshold: number) => ({
      Resources: {
        Check: {
          Type: 'AWS::Route53::HealthCheck',
          Properties: {
            HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: 'www.example.com', ResourcePath: '/health', RequestInterval: 10, FailureThreshold: threshold },
            HealthCheckTags: [{ Key: 'Name', Value: 'web' }],
          },
        },
      },
      Outputs: { Ref: { Value: { Ref: 'Check' } }, Att: { Value: { 'Fn::GetAtt': ['Check', 'HealthCheckId'] } } },
    });
    const prelude = BOTO3_PRELUDE + `
cfn = boto3.client('cloudformation')
r53 = boto3.client('route53')
def outputs():
    s = cfn.describe_stacks(StackName='checks')['Stacks'][0]
    return s['StackStatus'], {o['OutputKey']: o['OutputValue'] for o in s.get('Outputs', [])}
`;
    const r = await fl.python(
      prelude +
        `
r = {}
cfn.create_stack(StackName='checks', TemplateBody=json.dumps(${JSON.stringify(template(3))}))
advance(5)
r['created'], o = outputs()
r['id'] = o['Ref'] if o['Ref'] == o['Att'] else None
hc = r53.get_health_check(HealthCheckId=o['Ref'])['HealthCheck']
r['config'] = [hc['HealthCheckConfig'][k] for k in ('Type', 'Port', 'FailureThreshold', 'EnableSNI')]
out(r)
`,
    );
    assert.deepEqual([r.created, r.config], ['CREATE_COMPLETE', ['HTTPS', 443, 3, true]]);
    assert.deepEqual(healthCheck(fl.app.env.store, '000000000000', r.id)?.tags, [{ Key: 'Name', Value: 'web' }]);
    const u = await fl.python(
      prelude +
        `
r = {}
cfn.update_stack(StackName='checks', TemplateBody=json.dumps(${JSON.stringify(template(5))}))
advance(5)
r['updated'] = outputs()[0]
hc = r53.get_health_check(HealthCheckId=${JSON.stringify(r.id)})['HealthCheck']
r['after'] = [hc['HealthCheckConfig']['FailureThreshold'], hc['HealthCheckVersion']]
cfn.delete_stack(StackName='checks')
advance(5)
r['left'] = r53.get_health_check_count()['HealthCheckCount']
out(r)
`,
    );
    assert.deepEqual(u, { updated: 'UPDATE_COMPLETE', after: [5, 2], left: 0 });
  });
});

describe('Route 53 health checks under the sandbox driver: real requests to the public address', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let ip: string;
  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    fl.clientEnv.USER_DATA = webAppUserData({ port: 80 });
    ({ ip } = await fl.python(BOTO3_PRELUDE + SETUP.replace('MinCount=1, MaxCount=1,', "MinCount=1, MaxCount=1, UserData=os.environ['USER_DATA'],")));
    await waitFor(`http://${ip}/`);
  });
  after(() => fl.close());

  it('a string match passes or fails on the real body, and a server that exits fails the check with a refused connection while the world still says the instance is fine', async () => {
    const r53 = (code: string) => fl.python(BOTO3_PRELUDE + `r53 = boto3.client('route53')\n` + code);
    const { match, miss } = await r53(`
c = lambda ref, s: r53.create_health_check(CallerReference=ref, HealthCheckConfig={'Type': 'HTTP_STR_MATCH', 'IPAddress': '${ip}', 'SearchString': s, 'RequestInterval': 10, 'FailureThreshold': 1})['HealthCheck']['Id']
out({'match': c('match', 'hello from'), 'miss': c('miss', 'NOT THERE')})`);
    const statuses = async (): Promise<Record<string, string[]>> =>
      r53(`
s = lambda i: sorted(set(o['StatusReport']['Status'] for o in r53.get_health_check_status(HealthCheckId=i)['HealthCheckObservations']))
out({'match': s('${match}'), 'miss': s('${miss}')})`);
    /** Moves the clock an interval at a time until `ok` holds (the requests are real, so this waits in real time too). */
    const statusesUntil = (ok: (s: Record<string, string[]>) => boolean, what: string) => advanceUntil((s) => fl.advance(s), statuses, ok, what, 10, 30_000);
    await statusesUntil((s) => s.match[0] === 'Success: HTTP Status Code 200, OK' && s.miss[0] === 'Failure: Search string not found in the response body.', 'the first real checks');
    assert.equal(healthCheck(fl.app.env.store, '000000000000', match)!.healthy, true);
    assert.equal(healthCheck(fl.app.env.store, '000000000000', miss)!.healthy, false);
    await httpGet(`http://${ip}/die`);
    await waitGone(`http://${ip}/`);
    await statusesUntil((s) => s.match[0]?.startsWith('Failure: Connection refused') === true, 'the server gone');
    assert.equal(healthCheck(fl.app.env.store, '000000000000', match)!.healthy, false);
  });
});
