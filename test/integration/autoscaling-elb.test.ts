/**
 * Auto Scaling with load balancers through boto3 on the manual clock: LoadBalancerNames,
 * TargetGroupARNs and TrafficSources on groups, the attach, detach and describe calls with the
 * attachment State, scale-in waiting for the deregistration delay (WaitingForELBConnectionDraining),
 * AWS's errors on the wire, and CloudFormation's create and update of a group's sources.
 *
 * The load balancer and target group are written as records into the running faultline (the ELB
 * APIs are separate work); everything Auto Scaling does is driven through the real client.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { startFaultline, type Faultline } from '../harness.ts';
import { classicKey, COLL as ELB, CROSS_ZONE, targetKey, type LoadBalancerRecord, type TargetGroupRecord, type TargetRecord } from '../../src/services/elb/state.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/app/0123456789abcdef';
const HEALTH = { enabled: true, protocol: 'HTTP' as const, port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' };

describe('Auto Scaling with load balancers through boto3', () => {
  let fl: Faultline;
  const target = (group: string, id: string, port: number) => fl.app.env.store.get<TargetRecord>(ELB.targets, scope, targetKey(group, id, port));

  before(async () => {
    fl = await startFaultline();
    const { store } = fl.app.env;
    const key = classicKey('web');
    const lb: LoadBalancerRecord = {
      key, kind: 'classic', name: 'web', dnsName: 'web-1.us-east-1.elb.amazonaws.com', canonicalHostedZoneId: 'Z35SXDOTRQ7X7K', scheme: 'internet-facing', vpcId: 'vpc-1',
      securityGroups: [], nodes: [], activeAt: 0, createdTime: '', createdAt: 0, ipAddressType: 'ipv4', attributes: { [CROSS_ZONE]: 'false' }, tags: [],
    };
    const classic: TargetGroupRecord = { key, kind: 'classic', name: 'web', vpcId: 'vpc-1', targetType: 'instance', health: HEALTH, deregistrationDelay: 20, attributes: {}, tags: [], createdAt: 0 };
    const v2: TargetGroupRecord = { key: TG, kind: 'v2', name: 'app', arn: TG, protocol: 'HTTP', port: 80, vpcId: 'vpc-1', targetType: 'instance', health: HEALTH, deregistrationDelay: 45, attributes: {}, tags: [], createdAt: 0 };
    store.transaction(() => {
      store.put(ELB.loadBalancers, scope, key, lb);
      store.put(ELB.targetGroups, scope, key, classic);
      store.put(ELB.targetGroups, scope, TG, v2);
    });
  });
  after(() => fl.close());

  it('attaches, describes, scales in through the deregistration delay, and refuses what does not exist', async () => {
    const r = await fl.python(`${BOTO3_PRELUDE}
TG = '${TG}'
asg = boto3.client('autoscaling', config=no_retry)
ec2 = boto3.client('ec2')
vpc = ec2.create_vpc(CidrBlock='10.9.0.0/16')['Vpc']['VpcId']
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock='10.9.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
asg.create_launch_configuration(LaunchConfigurationName='lc', ImageId='ami-1ecae776', InstanceType='t2.micro')
res = {'errors': {
  'create': outcome(lambda: asg.create_auto_scaling_group(AutoScalingGroupName='bad', LaunchConfigurationName='lc', MinSize=0, MaxSize=1, VPCZoneIdentifier=subnet, LoadBalancerNames=['missing'])),
}}
asg.create_auto_scaling_group(AutoScalingGroupName='web', LaunchConfigurationName='lc', MinSize=0, MaxSize=4, DesiredCapacity=2, VPCZoneIdentifier=subnet, TargetGroupARNs=[TG], HealthCheckType='ELB')
res['errors']['attach-tg'] = outcome(lambda: asg.attach_load_balancer_target_groups(AutoScalingGroupName='web', TargetGroupARNs=[TG + '0']))
res['errors']['detach-lb'] = outcome(lambda: asg.detach_load_balancers(AutoScalingGroupName='web', LoadBalancerNames=['web']))
res['errors']['no-type'] = outcome(lambda: asg.attach_traffic_sources(AutoScalingGroupName='web', TrafficSources=[{'Identifier': 'web'}]))
res['errors']['no-group'] = outcome(lambda: asg.describe_load_balancers(AutoScalingGroupName='nope'))
def group(): return asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]
for _ in range(20):
    if len([i for i in group()['Instances'] if i['LifecycleState'] == 'InService']) == 2: break
    advance(5)
res['instances'] = sorted(i['InstanceId'] for i in group()['Instances'])
res['tgStates'] = asg.describe_load_balancer_target_groups(AutoScalingGroupName='web')['LoadBalancerTargetGroups']
asg.attach_load_balancers(AutoScalingGroupName='web', LoadBalancerNames=['web'])
res['lbAdding'] = asg.describe_load_balancers(AutoScalingGroupName='web')['LoadBalancers']
advance(1)
res['lbAdded'] = asg.describe_load_balancers(AutoScalingGroupName='web')['LoadBalancers']
res['sources'] = asg.describe_traffic_sources(AutoScalingGroupName='web')['TrafficSources']
res['elbOnly'] = asg.describe_traffic_sources(AutoScalingGroupName='web', TrafficSourceType='elb')['TrafficSources']
g = group()
res['group'] = {k: g[k] for k in ['LoadBalancerNames', 'TargetGroupARNs', 'TrafficSources']}
asg.set_desired_capacity(AutoScalingGroupName='web', DesiredCapacity=1)
advance(1)
def terminating(): return [a for a in asg.describe_scaling_activities(AutoScalingGroupName='web')['Activities'] if a['Description'].startswith('Terminating')]
res['draining'] = [(a['StatusCode'], a['Description']) for a in terminating()]
res['runningWhileDraining'] = ec2.describe_instances(InstanceIds=[terminating()[0]['Description'].split(': ')[1]])['Reservations'][0]['Instances'][0]['State']['Name']
advance(43)
res['stillDraining'] = terminating()[0]['StatusCode']
advance(1)
res['after'] = terminating()[0]['StatusCode']
advance(60)
res['done'] = terminating()[0]['StatusCode']
res['left'] = [i['InstanceId'] for i in group()['Instances']]
out(res)
`);
    assert.deepEqual(r.errors, {
      create: 'ValidationError 400 Provided Load Balancers may not be valid. Please ensure they exist and try again.',
      'attach-tg': 'ValidationError 400 Provided Target Groups may not be valid. Please ensure they exist and try again.',
      'detach-lb': 'ValidationError 400 Trying to remove Load Balancers that are not part of the group: web.',
      'no-type': 'ValidationError 400 The traffic source web needs a Type: elb for a Classic Load Balancer.',
      'no-group': "ValidationError 400 AutoScalingGroup name not found - AutoScalingGroup 'nope' not found",
    });
    assert.equal(r.instances.length, 2);
    assert.deepEqual(r.tgStates, [{ LoadBalancerTargetGroupARN: TG, State: 'InService' }]);
    assert.deepEqual(r.lbAdding, [{ LoadBalancerName: 'web', State: 'Adding' }]);
    assert.deepEqual(r.lbAdded, [{ LoadBalancerName: 'web', State: 'Added' }]);
    assert.deepEqual(r.sources, [
      { TrafficSource: TG, Identifier: TG, Type: 'elbv2', State: 'InService' },
      { TrafficSource: 'web', Identifier: 'web', Type: 'elb', State: 'Added' },
    ]);
    assert.deepEqual(r.elbOnly.map((s: { Identifier: string }) => s.Identifier), ['web']);
    assert.deepEqual(r.group, { LoadBalancerNames: ['web'], TargetGroupARNs: [TG], TrafficSources: [{ Identifier: TG, Type: 'elbv2' }, { Identifier: 'web', Type: 'elb' }] });

    assert.equal(r.draining.length, 1);
    assert.equal(r.draining[0][0], 'WaitingForELBConnectionDraining');
    assert.equal(r.runningWhileDraining, 'running');
    assert.equal(r.stillDraining, 'WaitingForELBConnectionDraining', '44 s of the target group’s 45 s delay');
    assert.equal(r.after, 'InProgress', 'drained at 45 s: EC2 is terminating the instance');
    assert.equal(r.done, 'Successful');
    const gone = r.draining[0][1].split(': ')[1];
    const [kept] = r.left;
    assert.equal(target(TG, gone, 80), undefined, 'deregistered, drained and forgotten');
    assert.equal(target(classicKey('web'), gone, 0), undefined);
    assert.equal(target(TG, kept, 80)?.registeredBy, 'autoscaling:web', 'the instance that stays is registered with both');
    assert.equal(target(classicKey('web'), kept, 0)?.registeredBy, 'autoscaling:web');
  });

  it('CloudFormation: a group created with TargetGroupARNs, updated to LoadBalancerNames without interruption', async () => {
    const template = (sources: Record<string, unknown>) =>
      JSON.stringify({
        Resources: {
          Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.8.0.0/16' } },
          Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.8.1.0/24', AvailabilityZone: 'us-east-1a' } },
          Config: { Type: 'AWS::AutoScaling::LaunchConfiguration', Properties: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro' } },
          Group: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { LaunchConfigurationName: { Ref: 'Config' }, MinSize: '1', MaxSize: '2', VPCZoneIdentifier: [{ Ref: 'Subnet' }], ...sources } },
        },
      });
    const r = await fl.python(`${BOTO3_PRELUDE}
cfn = boto3.client('cloudformation')
asg = boto3.client('autoscaling')
def settle(want):
    for _ in range(30):
        s = cfn.describe_stacks(StackName='lb')['Stacks'][0]['StackStatus']
        if s == want: return s
        advance(5)
    return s
res = {}
cfn.create_stack(StackName='lb', TemplateBody=${JSON.stringify(template({ TargetGroupARNs: [TG] }))})
res['created'] = settle('CREATE_COMPLETE')
name = cfn.describe_stack_resource(StackName='lb', LogicalResourceId='Group')['StackResourceDetail']['PhysicalResourceId']
res['before'] = asg.describe_traffic_sources(AutoScalingGroupName=name)['TrafficSources']
instances = [i['InstanceId'] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])['AutoScalingGroups'][0]['Instances']]
cfn.update_stack(StackName='lb', TemplateBody=${JSON.stringify(template({ LoadBalancerNames: ['web'] }))})
res['updated'] = settle('UPDATE_COMPLETE')
res['after'] = asg.describe_traffic_sources(AutoScalingGroupName=name)['TrafficSources']
res['same'] = instances == [i['InstanceId'] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])['AutoScalingGroups'][0]['Instances']]
advance(60)
res['later'] = asg.describe_traffic_sources(AutoScalingGroupName=name)['TrafficSources']
res['instance'] = instances[0]
res['name'] = name
out(res)
`);
    assert.equal(r.created, 'CREATE_COMPLETE');
    assert.deepEqual(r.before, [{ TrafficSource: TG, Identifier: TG, Type: 'elbv2', State: 'InService' }]);
    assert.equal(r.updated, 'UPDATE_COMPLETE');
    assert.ok(r.same, 'the same instances: no replacement');
    const states = (list: { Identifier: string; State: string }[]) => Object.fromEntries(list.map((s) => [s.Identifier, s.State]));
    assert.equal(states(r.after).web, 'Added');
    assert.equal(states(r.after)[TG], 'Removing', 'the target group drains its instance for 45 s');
    assert.deepEqual(states(r.later), { web: 'Added' }, 'the target group is gone once drained');
    assert.equal(target(classicKey('web'), r.instance, 0)?.registeredBy, `autoscaling:${r.name}`, 'attaching registered the running instance');
  });
});

describe('Auto Scaling with a Classic load balancer through its API: HealthCheckType ELB', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  it('replaces an instance whose application fails while its EC2 status checks pass, and registers the replacement', async () => {
    const r = await fl.python(`${BOTO3_PRELUDE}
elb = boto3.client('elb', config=no_retry)
asg = boto3.client('autoscaling', config=no_retry)
ec2 = boto3.client('ec2')
v = ec2.create_vpc(CidrBlock='10.6.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=v, CidrBlock='10.6.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=v, CidrBlock='10.6.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
lb_sg = ec2.create_security_group(GroupName='lb', Description='lb', VpcId=v)['GroupId']
web_sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'UserIdGroupPairs': [{'GroupId': lb_sg}]}])
elb.create_load_balancer(LoadBalancerName='front', Scheme='internal', Subnets=[a, b], SecurityGroups=[lb_sg], Listeners=[{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstanceProtocol': 'HTTP', 'InstancePort': 80}])
elb.configure_health_check(LoadBalancerName='front', HealthCheck={'Target': 'HTTP:80/', 'Interval': 10, 'Timeout': 5, 'UnhealthyThreshold': 2, 'HealthyThreshold': 2})
asg.create_launch_configuration(LaunchConfigurationName='lc', ImageId='ami-1ecae776', InstanceType='t2.micro', SecurityGroups=[web_sg])
asg.create_auto_scaling_group(AutoScalingGroupName='front', LaunchConfigurationName='lc', MinSize=2, MaxSize=2, VPCZoneIdentifier=a + ',' + b,
    LoadBalancerNames=['front'], HealthCheckType='ELB', HealthCheckGracePeriod=60)
def health(): return {s['InstanceId']: s['State'] for s in elb.describe_instance_health(LoadBalancerName='front')['InstanceStates']}
res = {}
for _ in range(30):
    h = health()
    if len(h) == 2 and all(s == 'InService' for s in h.values()): break
    advance(10)
res['first'] = health()
victim = sorted(res['first'])[0]
advance(120)  # EC2's status checks have passed their initialization
control('/_faultline/faults', {'kind': 'app', 'target': victim})
advance(10)
st = ec2.describe_instance_status(InstanceIds=[victim])['InstanceStatuses'][0]
res['ec2'] = [st['InstanceStatus']['Status'], st['SystemStatus']['Status']]
advance(30)
acts = [a for a in asg.describe_scaling_activities(AutoScalingGroupName='front')['Activities'] if a['Description'] == 'Terminating EC2 instance: ' + victim]
res['cause'] = acts[0]['Cause'] if acts else None
for _ in range(30):
    h = health()
    if victim not in h and len(h) == 2 and all(s == 'InService' for s in h.values()): break
    advance(10)
res['second'] = health()
res['victim'] = victim
res['state'] = asg.describe_load_balancers(AutoScalingGroupName='front')['LoadBalancers']
out(res)
`);
    assert.deepEqual(Object.values(r.first), ['InService', 'InService']);
    assert.deepEqual(r.ec2, ['ok', 'ok'], "EC2's status checks still pass");
    assert.match(r.cause ?? '', /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ an instance was taken out of service in response to an ELB system health check failure\.$/);
    assert.equal(Object.keys(r.second).length, 2);
    assert.ok(!(r.victim in r.second), 'the replacement took its place behind the load balancer');
    assert.deepEqual(Object.values(r.second), ['InService', 'InService']);
    assert.deepEqual(r.state, [{ LoadBalancerName: 'front', State: 'InService' }]);
  });
});
