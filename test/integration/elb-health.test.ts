/**
 * The ELB health loop through the real clients, on the simulated driver and the manual clock: a
 * Classic load balancer's instances go InService and OutOfService at the times the health check's
 * thresholds give (worked out by hand below), when a host loses power or an instance's application
 * fails (the control API's `app` fault, under which EC2's status checks still pass), and an alarm
 * on UnHealthyHostCount goes to ALARM.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const SETUP = `
ec2 = boto3.client('ec2')
elb = boto3.client('elb', config=no_retry)
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
g = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=v)
a = ec2.create_subnet(VpcId=v, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=v, CidrBlock='10.0.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
lb_sg = ec2.create_security_group(GroupName='lb', Description='lb', VpcId=v)['GroupId']
web_sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'UserIdGroupPairs': [{'GroupId': lb_sg}]}])
web = [ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=s, SecurityGroupIds=[web_sg])['Instances'][0]['InstanceId'] for s in (a, b)]
advance(120)
elb.create_load_balancer(LoadBalancerName='web', Subnets=[a, b], SecurityGroups=[lb_sg], Listeners=[{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstanceProtocol': 'HTTP', 'InstancePort': 80}])
elb.configure_health_check(LoadBalancerName='web', HealthCheck={'Target': 'HTTP:80/index.html', 'Interval': 10, 'Timeout': 5, 'UnhealthyThreshold': 2, 'HealthyThreshold': 3})
out({'web1': web[0], 'web2': web[1], 'vpc': v, 'subnets': [a, b], 'lbSg': lb_sg})
`;

describe('ELB health checks on the clock, through the AWS CLI and boto3', () => {
  let fl: Faultline;
  let web1: string;
  let web2: string;
  let net: { vpc: string; subnets: string[]; lbSg: string };
  const boto3 = (code: string) =>
    fl.python(BOTO3_PRELUDE + `elb = boto3.client('elb', config=no_retry)\nec2 = boto3.client('ec2')\ncw = boto3.client('cloudwatch')\nweb1, web2 = ${JSON.stringify(web1)}, ${JSON.stringify(web2)}\n` + code);

  before(async () => {
    fl = await startFaultline();
    let vpc, subnets, lbSg;
    ({ web1, web2, vpc, subnets, lbSg } = await fl.python(BOTO3_PRELUDE + SETUP));
    net = { vpc, subnets, lbSg };
  });
  after(() => fl.close());

  it('Interval 10, UnhealthyThreshold 2, HealthyThreshold 3: InService 40 s after registering (30 s of registration, one check), OutOfService at the second failed check after the host loses power, and an alarm on UnHealthyHostCount fires', async () => {
    const reg = await fl.aws('elb', 'register-instances-with-load-balancer', '--load-balancer-name', 'web', '--instances', web1, web2);
    assert.equal(reg.Instances.length, 2);
    const early = await fl.aws('elb', 'describe-instance-health', '--load-balancer-name', 'web');
    assert.deepEqual(
      early.InstanceStates.map((s: { State: string; Description: string }) => `${s.State}: ${s.Description}`),
      ['OutOfService: Instance registration is still in progress.', 'OutOfService: Instance registration is still in progress.'],
    );

    // t = 0 is the registration. Registration 30 s, the first check at 40 s passes: InService.
    // The host of web1 loses power at 45 s; checks at 50 s and 60 s fail: OutOfService at 60 s.
    const seen = await boto3(`
def states():
    return {s['InstanceId']: s['State'] + ': ' + s['Description'] for s in elb.describe_instance_health(LoadBalancerName='web')['InstanceStates']}
r = {}
advance(39); r['39'] = states()
advance(1); r['40'] = states()
cw.put_metric_alarm(AlarmName='web-unhealthy', Namespace='AWS/ELB', MetricName='UnHealthyHostCount', Dimensions=[{'Name': 'LoadBalancerName', 'Value': 'web'}],
    Statistic='Maximum', Period=60, EvaluationPeriods=1, Threshold=0, ComparisonOperator='GreaterThanThreshold')
advance(5); control('/_faultline/faults', {'kind': 'host', 'instance': web1})
advance(14); r['59'] = states()
advance(1); r['60'] = states()
r['alarmBefore'] = cw.describe_alarms(AlarmNames=['web-unhealthy'])['MetricAlarms'][0]['StateValue']
advance(180)
r['alarmAfter'] = cw.describe_alarms(AlarmNames=['web-unhealthy'])['MetricAlarms'][0]['StateValue']
out(r)
`);
    const inService = 'InService: N/A';
    const failing = 'OutOfService: Instance has failed at least the UnhealthyThreshold number of health checks consecutively.';
    assert.deepEqual(seen['39'], { [web1]: 'OutOfService: Instance registration is still in progress.', [web2]: 'OutOfService: Instance registration is still in progress.' });
    assert.deepEqual(seen['40'], { [web1]: inService, [web2]: inService });
    assert.deepEqual(seen['59'], { [web1]: inService, [web2]: inService });
    assert.deepEqual(seen['60'], { [web1]: failing, [web2]: inService });
    assert.notEqual(seen.alarmBefore, 'ALARM');
    assert.equal(seen.alarmAfter, 'ALARM');

    const events = (await (await fetch(`${fl.url}/_faultline/events`)).json()).events.filter((e: { type: string }) => e.type === 'elb.target.health');
    assert.deepEqual(
      events.map((e: { detail: Record<string, unknown> }) => [e.detail.target, e.detail.from, e.detail.to]),
      [[web1, 'initial', 'healthy'], [web2, 'initial', 'healthy'], [web1, 'healthy', 'unhealthy']],
    );
  });

  it('an app fault from the control API takes an instance out of service while its EC2 status checks pass', async () => {
    const seen = await boto3(`
f = control('/_faultline/faults', {'kind': 'app', 'target': web2})
advance(20)
health = {s['InstanceId']: s['State'] + ': ' + s['Description'] for s in elb.describe_instance_health(LoadBalancerName='web', Instances=[{'InstanceId': web2}])['InstanceStates']}
status = ec2.describe_instance_status(InstanceIds=[web2])['InstanceStatuses'][0]
control('/_faultline/faults/' + f['faultId'] + '/heal', {})
advance(30)
after = elb.describe_instance_health(LoadBalancerName='web', Instances=[{'InstanceId': web2}])['InstanceStates'][0]['State']
out({'health': health, 'instance': status['InstanceStatus']['Status'], 'system': status['SystemStatus']['Status'], 'after': after})
`);
    assert.deepEqual(seen, {
      health: { [web2]: 'OutOfService: Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' },
      instance: 'ok',
      system: 'ok',
      after: 'InService',
    });
  });

  it('lowering the check interval (ConfigureHealthCheck, ModifyTargetGroup) brings the next check of registered targets to one new interval away', async () => {
    // t = 0: registered, with checks every 300 s. Registration ends at 30 s (Classic) and 10 s (ALB),
    // so the first checks would come at 330 s and 310 s. At 31 s the interval becomes 10 s: both
    // are checked at 41 s, and pass.
    const seen = await boto3(`
v2 = boto3.client('elbv2', config=no_retry)
net = json.loads(${JSON.stringify(JSON.stringify(net))})
check = lambda interval: {'Target': 'HTTP:80/index.html', 'Interval': interval, 'Timeout': 5, 'UnhealthyThreshold': 2, 'HealthyThreshold': 3}
elb.create_load_balancer(LoadBalancerName='slow', Subnets=net['subnets'], SecurityGroups=[net['lbSg']], Listeners=[{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstanceProtocol': 'HTTP', 'InstancePort': 80}])
elb.configure_health_check(LoadBalancerName='slow', HealthCheck=check(300))
alb = v2.create_load_balancer(Name='slow', Subnets=net['subnets'], SecurityGroups=[net['lbSg']])['LoadBalancers'][0]['LoadBalancerArn']
tg = v2.create_target_group(Name='slow', Protocol='HTTP', Port=80, VpcId=net['vpc'], HealthCheckIntervalSeconds=300)['TargetGroups'][0]['TargetGroupArn']
v2.create_listener(LoadBalancerArn=alb, Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg}])
elb.register_instances_with_load_balancer(LoadBalancerName='slow', Instances=[{'InstanceId': web2}])
v2.register_targets(TargetGroupArn=tg, Targets=[{'Id': web2}])
def states():
    return [elb.describe_instance_health(LoadBalancerName='slow')['InstanceStates'][0]['State'], v2.describe_target_health(TargetGroupArn=tg)['TargetHealthDescriptions'][0]['TargetHealth']['State']]
advance(31)
elb.configure_health_check(LoadBalancerName='slow', HealthCheck=check(10))
v2.modify_target_group(TargetGroupArn=tg, HealthCheckIntervalSeconds=10)
r = {}
advance(9); r['40'] = states()
advance(1); r['41'] = states()
out(r)
`);
    assert.deepEqual(seen, { 40: ['OutOfService', 'initial'], 41: ['InService', 'healthy'] });
  });
});
