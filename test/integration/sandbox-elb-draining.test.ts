/**
 * Deregistration delay on scale-in, through real sandboxed instances behind an ALB: a request in
 * flight on the instance that the group scales in completes, no new request reaches it while its
 * target drains, and the group terminates it only when the delay has run out on the clock.
 * Requests are held in flight by the app itself (`/hold` waits for `/release`, sent to the
 * instance's public address), so nothing here depends on real time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { advanceUntil, httpGet, sandboxSkip, waitFor, webAppUserData } from '../sandbox-support.ts';

const DELAY = 60;

const SETUP = `
import base64
ec2 = boto3.client('ec2')
elbv2 = boto3.client('elbv2', config=no_retry)
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=v, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=v, CidrBlock='10.0.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
igw = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v)
sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': p, 'ToPort': p, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]} for p in (80, 8080)])
alb = elbv2.create_load_balancer(Name='web', Subnets=[a, b], SecurityGroups=[sg])['LoadBalancers'][0]
tg = elbv2.create_target_group(Name='web', Protocol='HTTP', Port=8080, VpcId=v, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
    HealthyThresholdCount=2, UnhealthyThresholdCount=2)['TargetGroups'][0]['TargetGroupArn']
elbv2.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{'Key': 'deregistration_delay.timeout_seconds', 'Value': '${DELAY}'}])
elbv2.create_listener(LoadBalancerArn=alb['LoadBalancerArn'], Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg}])
ec2.create_launch_template(LaunchTemplateName='web', LaunchTemplateData={'ImageId': 'ami-1ecae776', 'InstanceType': 't2.micro',
    'UserData': base64.b64encode(os.environ['USER_DATA'].encode()).decode(),
    'NetworkInterfaces': [{'DeviceIndex': 0, 'Groups': [sg], 'AssociatePublicIpAddress': True}]})
boto3.client('autoscaling').create_auto_scaling_group(AutoScalingGroupName='web', MinSize=1, MaxSize=2, DesiredCapacity=2,
    VPCZoneIdentifier=a + ',' + b, TargetGroupARNs=[tg], LaunchTemplate={'LaunchTemplateName': 'web'})
out({'dns': alb['DNSName'], 'tg': tg})
`;

describe('deregistration delay on scale-in, through sandboxed instances behind an ALB', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let setup: { dns: string; tg: string };

  /** The group's members (id: lifecycle state), the targets' health (id: state), and the state, public IP and host name of each of their instances and of `also`. */
  const look = async (also: string[] = []): Promise<{ members: Record<string, string>; health: Record<string, string>; state: Record<string, string>; ip: Record<string, string>; name: Record<string, string>; activities: { Description: string; StatusCode: string }[] }> =>
    fl.python(BOTO3_PRELUDE + `
asg = boto3.client('autoscaling')
g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]
h = boto3.client('elbv2').describe_target_health(TargetGroupArn='${setup.tg}')['TargetHealthDescriptions']
ids = [m['InstanceId'] for m in g['Instances']] + [t['Target']['Id'] for t in h] + ${JSON.stringify(also)}
insts = [i for r in boto3.client('ec2').describe_instances(Filters=[{'Name': 'instance-id', 'Values': ids}])['Reservations'] for i in r['Instances']] if ids else []
out({'members': {m['InstanceId']: m['LifecycleState'] for m in g['Instances']},
     'health': {t['Target']['Id']: t['TargetHealth']['State'] for t in h},
     'state': {i['InstanceId']: i['State']['Name'] for i in insts},
     'ip': {i['InstanceId']: i.get('PublicIpAddress') for i in insts},
     'name': {i['InstanceId']: 'ip-' + i['PrivateIpAddress'].replace('.', '-') for i in insts if 'PrivateIpAddress' in i},
     'activities': [{'Description': a['Description'], 'StatusCode': a['StatusCode']} for a in asg.describe_scaling_activities(AutoScalingGroupName='web')['Activities']]})
`);

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    fl.clientEnv.USER_DATA = webAppUserData();
    setup = await fl.python(BOTO3_PRELUDE + SETUP);
  });
  after(() => fl?.close());

  it('lets a request in flight on the scaled-in instance complete, sends no new request there, and terminates it after the delay', async () => {
    const ready = await advanceUntil(
      (s) => fl.advance(s),
      () => look(),
      (x) => Object.keys(x.members).length === 2 && Object.keys(x.members).every((id) => x.health[id] === 'healthy'),
      'both targets healthy',
      5,
    );
    const { addresses: [node] } = (await (await fetch(`${fl.url}/_faultline/resolve?name=${setup.dns}`)).json()) as { addresses: string[] };
    // Two held requests through the same node: round robin gives each instance one.
    const held = [httpGet(`http://${node}/hold`, 60_000), httpGet(`http://${node}/hold`, 60_000)];
    const [kept, gone] = Object.keys(ready.members);
    for (const id of [kept, gone]) await waitFor(`http://${ready.ip[id]}:8080/holding`, (r) => r.body === '1');

    await fl.python(BOTO3_PRELUDE + `
asg = boto3.client('autoscaling')
asg.set_instance_protection(AutoScalingGroupName='web', InstanceIds=['${kept}'], ProtectedFromScaleIn=True)
asg.set_desired_capacity(AutoScalingGroupName='web', DesiredCapacity=1)
`);
    // One second at a time, so that the delay does not run out while the request is held.
    const draining = await advanceUntil((s) => fl.advance(s), () => look(), (x) => x.health[gone] === 'draining', 'the scaled-in target draining', 1);
    assert.equal(draining.health[kept], 'healthy');
    assert.equal(draining.state[gone], 'running', 'the group waits for the delay before it terminates');
    assert.deepEqual(draining.activities.find((a) => a.Description === `Terminating EC2 instance: ${gone}`)?.StatusCode, 'WaitingForELBConnectionDraining');

    for (let i = 0; i < 6; i++) assert.equal((await httpGet(`http://${node}/`))?.body.split('\n')[0], `hello from ${ready.name[kept]} /`, 'new requests reach only the instance kept');

    for (const id of [gone, kept]) assert.equal((await httpGet(`http://${ready.ip[id]}:8080/release`))?.status, 200);
    const answers = await Promise.all(held);
    assert.deepEqual(new Set(answers.map((r) => `${r?.status} ${r?.body.split('\n')[0]}`)), new Set([`200 hello from ${ready.name[kept]} /hold`, `200 hello from ${ready.name[gone]} /hold`]));

    const done = await advanceUntil((s) => fl.advance(s), () => look([gone]), (x) => !(gone in x.health) && x.state[gone] === 'terminated', 'the target forgotten and the instance terminated', 10);
    assert.deepEqual(Object.keys(done.members), [kept]);
  });
});
