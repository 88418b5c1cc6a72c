/**
 * Classic ELB on the simulated driver and the manual clock: the book's load balancer through the
 * AWS CLI (create, describe, health check, instances and their health, deregister, delete), every
 * Classic error of the spec through boto3 with AWS's code and HTTP status and nothing half-written,
 * zones, attributes, tags and paging; and AWS::ElasticLoadBalancing::LoadBalancer with
 * SecurityGroupIngress/Egress through CloudFormation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

/** A VPC with an internet gateway, two subnets (us-east-1a, us-east-1b), a web group, and a running instance in each subnet; another VPC with one running instance. */
const SETUP = `
ec2 = boto3.client('ec2')
def vpc(cidr, igw=True):
    v = ec2.create_vpc(CidrBlock=cidr)['Vpc']['VpcId']
    if igw:
        g = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
        ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=v)
    return v
def subnet(v, cidr, zone):
    return ec2.create_subnet(VpcId=v, CidrBlock=cidr, AvailabilityZone=zone)['Subnet']['SubnetId']
def instance(s):
    return ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=s)['Instances'][0]['InstanceId']
v = vpc('10.0.0.0/16')
a, b = subnet(v, '10.0.1.0/24', 'us-east-1a'), subnet(v, '10.0.2.0/24', 'us-east-1b')
sg = ec2.create_security_group(GroupName='elb-sg', Description='elb', VpcId=v)['GroupId']
sg2 = ec2.create_security_group(GroupName='elb-sg2', Description='elb', VpcId=v)['GroupId']
other = vpc('10.1.0.0/16')
other_subnet = subnet(other, '10.1.1.0/24', 'us-east-1a')
no_igw = vpc('10.2.0.0/16', igw=False)
no_igw_subnet = subnet(no_igw, '10.2.1.0/24', 'us-east-1a')
ids = [instance(a), instance(b), instance(other_subnet)]
advance(120)
out({'vpc': v, 'a': a, 'b': b, 'sg': sg, 'sg2': sg2, 'otherSubnet': other_subnet, 'noIgwSubnet': no_igw_subnet, 'web1': ids[0], 'web2': ids[1], 'elsewhere': ids[2]})
`;

type Net = { vpc: string; a: string; b: string; sg: string; sg2: string; otherSubnet: string; noIgwSubnet: string; web1: string; web2: string; elsewhere: string };

describe('Classic ELB', () => {
  let fl: Faultline;
  let net: Net;
  const boto3 = (code: string) => fl.python(BOTO3_PRELUDE + `elb = boto3.client('elb', config=no_retry)\nnet = json.loads(${JSON.stringify(JSON.stringify(net))})\n` + code);

  before(async () => {
    fl = await startFaultline();
    net = await fl.python(BOTO3_PRELUDE + SETUP);
  });
  after(() => fl.close());

  it('serves the book load balancer through the AWS CLI: create, describe, health check, instances, deregister, delete', async () => {
    const { DNSName } = await fl.aws(
      'elb', 'create-load-balancer', '--load-balancer-name', 'web', '--subnets', net.a, '--security-groups', net.sg,
      '--listeners', 'Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80',
    );
    assert.match(DNSName, /^web-[1-9]\d{9}\.us-east-1\.elb\.amazonaws\.com$/);

    const [d] = (await fl.aws('elb', 'describe-load-balancers', '--load-balancer-names', 'web')).LoadBalancerDescriptions;
    assert.equal(d.DNSName, DNSName);
    assert.equal(d.CanonicalHostedZoneName, DNSName);
    assert.equal(d.CanonicalHostedZoneNameID, 'Z35SXDOTRQ7X7K');
    assert.deepEqual(d.ListenerDescriptions, [{ Listener: { Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 80 }, PolicyNames: [] }]);
    assert.deepEqual(d.HealthCheck, { Target: 'TCP:80', Interval: 30, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 10 }, 'the API default');
    assert.deepEqual([d.AvailabilityZones, d.Subnets, d.VPCId, d.SecurityGroups, d.Instances], [['us-east-1a'], [net.a], net.vpc, [net.sg], []]);
    assert.deepEqual(d.SourceSecurityGroup, { OwnerAlias: '000000000000', GroupName: 'elb-sg' });
    assert.equal(d.Scheme, 'internet-facing');
    assert.ok(!Number.isNaN(Date.parse(d.CreatedTime)));

    // The node: a requester-managed interface in the subnet, in the load balancer's group.
    const enis = (await fl.aws('ec2', 'describe-network-interfaces', '--filters', 'Name=description,Values=ELB web')).NetworkInterfaces;
    assert.deepEqual(enis.map((e: { SubnetId: string; RequesterManaged: boolean; Groups: { GroupId: string }[] }) => [e.SubnetId, e.RequesterManaged, e.Groups.map((g) => g.GroupId)]), [[net.a, true, [net.sg]]]);

    const hc = await fl.aws('elb', 'configure-health-check', '--load-balancer-name', 'web', '--health-check', 'Target=HTTP:80/index.html,Interval=10,Timeout=5,UnhealthyThreshold=2,HealthyThreshold=3');
    assert.deepEqual(hc.HealthCheck, { Target: 'HTTP:80/index.html', Interval: 10, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 3 });

    const reg = await fl.aws('elb', 'register-instances-with-load-balancer', '--load-balancer-name', 'web', '--instances', net.web1, net.web2);
    assert.deepEqual(reg.Instances.map((i: { InstanceId: string }) => i.InstanceId).sort(), [net.web1, net.web2].sort());

    // Until the health loop checks them, both are registering; web2 sits in us-east-1b, which the load balancer does not use.
    // (The loop's InService after a passing check is asserted where the loop is built.)
    const health = (await fl.aws('elb', 'describe-instance-health', '--load-balancer-name', 'web')).InstanceStates;
    const byId = Object.fromEntries(health.map((s: { InstanceId: string }) => [s.InstanceId, s]));
    assert.deepEqual(byId[net.web1], { InstanceId: net.web1, State: 'OutOfService', ReasonCode: 'Instance', Description: 'Instance registration is still in progress.' });
    assert.deepEqual(byId[net.web2], {
      InstanceId: net.web2, State: 'OutOfService', ReasonCode: 'ELB',
      Description: 'Instance is in the EC2 Availability Zone for which LoadBalancer is not configured to route traffic to.',
    });

    const dereg = await fl.aws('elb', 'deregister-instances-from-load-balancer', '--load-balancer-name', 'web', '--instances', net.web2);
    assert.deepEqual(dereg.Instances, [{ InstanceId: net.web1 }]);
    const [gone] = (await fl.aws('elb', 'describe-instance-health', '--load-balancer-name', 'web', '--instances', net.web2)).InstanceStates;
    assert.deepEqual([gone.State, gone.Description], ['OutOfService', 'Instance is not currently registered with the LoadBalancer.']);

    await fl.aws('elb', 'delete-load-balancer', '--load-balancer-name', 'web');
    const missing = await fl.awsRaw('elb', 'describe-load-balancers', '--load-balancer-names', 'web');
    assert.match(missing.stderr, /\(LoadBalancerNotFound\).*There is no ACTIVE Load Balancer named 'web'/);
    assert.deepEqual((await fl.aws('ec2', 'describe-network-interfaces', '--filters', 'Name=description,Values=ELB web')).NetworkInterfaces, [], 'the node is gone');
    await fl.aws('elb', 'delete-load-balancer', '--load-balancer-name', 'web');
  });

  it("answers each of the spec's Classic errors with AWS's code and status, leaving nothing half-written", async () => {
    const r = await boto3(`
L80 = [{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstanceProtocol': 'HTTP', 'InstancePort': 80}]
elb.create_load_balancer(LoadBalancerName='errs', Listeners=L80, Subnets=[net['a']], SecurityGroups=[net['sg']])
def desc():
    d = elb.describe_load_balancers(LoadBalancerNames=['errs'])['LoadBalancerDescriptions'][0]
    return {'listeners': d['ListenerDescriptions'], 'hc': d['HealthCheck'], 'instances': d['Instances'], 'subnets': d['Subnets']}
before = desc()
hc = lambda target, interval=10, timeout=5: lambda: elb.configure_health_check(LoadBalancerName='errs', HealthCheck={'Target': target, 'Interval': interval, 'Timeout': timeout, 'UnhealthyThreshold': 2, 'HealthyThreshold': 3})
res = {
  'duplicateName': outcome(lambda: elb.create_load_balancer(LoadBalancerName='errs', Listeners=[dict(L80[0], InstancePort=8080)], Subnets=[net['a']])),
  'sameAgain': outcome(lambda: elb.create_load_balancer(LoadBalancerName='errs', Listeners=L80, Subnets=[net['a']], SecurityGroups=[net['sg']])),
  'unknownDescribe': outcome(lambda: elb.describe_load_balancers(LoadBalancerNames=['nope'])),
  'unknownHealth': outcome(lambda: elb.configure_health_check(LoadBalancerName='nope', HealthCheck={'Target': 'TCP:80', 'Interval': 30, 'Timeout': 5, 'UnhealthyThreshold': 2, 'HealthyThreshold': 10})),
  'otherVpc': outcome(lambda: elb.register_instances_with_load_balancer(LoadBalancerName='errs', Instances=[{'InstanceId': net['web1']}, {'InstanceId': net['elsewhere']}])),
  'noSuchInstance': outcome(lambda: elb.register_instances_with_load_balancer(LoadBalancerName='errs', Instances=[{'InstanceId': 'i-0123456789abcdef0'}])),
  'timeoutNotBelowInterval': outcome(hc('TCP:80', 10, 10)),
  'httpWithoutPath': outcome(hc('HTTP:80')),
  'tcpWithPath': outcome(hc('TCP:80/ping')),
  'badProtocol': outcome(hc('FTP:21')),
  'badPort': outcome(hc('HTTP:70000/')),
  'duplicateListener': outcome(lambda: elb.create_load_balancer_listeners(LoadBalancerName='errs', Listeners=[dict(L80[0], InstancePort=8080)])),
  'sameListener': outcome(lambda: elb.create_load_balancer_listeners(LoadBalancerName='errs', Listeners=L80)),
  'mismatchedProtocols': outcome(lambda: elb.create_load_balancer_listeners(LoadBalancerName='errs', Listeners=[{'Protocol': 'TCP', 'LoadBalancerPort': 81, 'InstanceProtocol': 'HTTP', 'InstancePort': 80}])),
  'detachAll': outcome(lambda: elb.detach_load_balancer_from_subnets(LoadBalancerName='errs', Subnets=[net['a']])),
  'badName': outcome(lambda: elb.create_load_balancer(LoadBalancerName='-bad', Listeners=L80, Subnets=[net['a']])),
  'zonesOnly': outcome(lambda: elb.create_load_balancer(LoadBalancerName='classic', Listeners=L80, AvailabilityZones=['us-east-1a'])),
  'noIgw': outcome(lambda: elb.create_load_balancer(LoadBalancerName='noigw', Listeners=L80, Subnets=[net['noIgwSubnet']])),
  'badDraining': outcome(lambda: elb.modify_load_balancer_attributes(LoadBalancerName='errs', LoadBalancerAttributes={'ConnectionDraining': {'Enabled': True, 'Timeout': 0}})),
  'duplicateTagKeys': outcome(lambda: elb.add_tags(LoadBalancerNames=['errs'], Tags=[{'Key': 'k', 'Value': '1'}, {'Key': 'k', 'Value': '2'}])),
}
res['unchanged'] = desc() == before
res['names'] = [d['LoadBalancerName'] for d in elb.describe_load_balancers()['LoadBalancerDescriptions']]
res['draining'] = elb.describe_load_balancer_attributes(LoadBalancerName='errs')['LoadBalancerAttributes']['ConnectionDraining']
res['tags'] = elb.describe_tags(LoadBalancerNames=['errs'])['TagDescriptions'][0]['Tags']
res['instances'] = before['instances']
elb.delete_load_balancer(LoadBalancerName='errs')
out(res)
`);
    assert.match(r.duplicateName, /^DuplicateLoadBalancerName 400 Load Balancer named 'errs' already exists/);
    assert.equal(r.sameAgain, 'ok', 'the same settings again answer with the existing load balancer');
    assert.equal(r.unknownDescribe, "LoadBalancerNotFound 400 There is no ACTIVE Load Balancer named 'nope'");
    assert.equal(r.unknownHealth, "LoadBalancerNotFound 400 There is no ACTIVE Load Balancer named 'nope'");
    assert.match(r.otherVpc, new RegExp(`^InvalidInstance 400 EC2 instance ${net.elsewhere} is not in the load balancer's VPC`));
    assert.equal(r.noSuchInstance, 'InvalidInstance 400 Could not find EC2 instance i-0123456789abcdef0.');
    assert.equal(r.timeoutNotBelowInterval, 'ValidationError 400 HealthCheck Timeout must be less than Interval.');
    for (const k of ['httpWithoutPath', 'tcpWithPath', 'badProtocol', 'badPort']) assert.match(r[k], /^ValidationError 400 Invalid HealthCheck Target/, k);
    assert.equal(r.duplicateListener, 'DuplicateListener 400 A listener already exists for errs with LoadBalancerPort 80, but with a different InstancePort, Protocol, or SSLCertificateId');
    assert.equal(r.sameListener, 'ok');
    assert.match(r.mismatchedProtocols, /^ValidationError 400 Listener protocol TCP cannot use instance protocol HTTP/);
    assert.match(r.detachAll, /^InvalidConfigurationRequest 409 /);
    assert.match(r.badName, /^ValidationError 400 LoadBalancerName '-bad' is not valid/);
    assert.match(r.zonesOnly, /^ValidationError 400 .*EC2-Classic is not offered/);
    assert.match(r.noIgw, /^InvalidSubnet 400 VPC vpc-\w+ has no internet gateway/);
    assert.match(r.badDraining, /^ValidationError 400 ConnectionDraining Timeout 0 is out of range/);
    assert.match(r.duplicateTagKeys, /^DuplicateTagKeys 400 /);
    assert.equal(r.unchanged, true, 'no failed call changed the load balancer');
    assert.deepEqual(r.names, ['errs'], 'no failed create left a load balancer behind');
    assert.deepEqual(r.draining, { Enabled: false, Timeout: 300 });
    assert.deepEqual(r.tags, []);
    assert.deepEqual(r.instances, []);
  });

  it('enables zones through subnets, drains on deregistration, and keeps attributes, groups and tags', async () => {
    const r = await boto3(`
elb.create_load_balancer(LoadBalancerName='zones', Listeners=[{'Protocol': 'tcp', 'LoadBalancerPort': 5000, 'InstancePort': 5000}], Subnets=[net['a']], Scheme='internal')
elb.register_instances_with_load_balancer(LoadBalancerName='zones', Instances=[{'InstanceId': net['web2']}])
state = lambda: elb.describe_instance_health(LoadBalancerName='zones')['InstanceStates'][0]['Description']
res = {'before': state()}
res['attached'] = elb.attach_load_balancer_to_subnets(LoadBalancerName='zones', Subnets=[net['b']])['Subnets']
res['after'] = state()
res['enis'] = len(ec2c.describe_network_interfaces(Filters=[{'Name': 'description', 'Values': ['ELB zones']}])['NetworkInterfaces'])
res['public'] = [e.get('Association') for e in ec2c.describe_network_interfaces(Filters=[{'Name': 'description', 'Values': ['ELB zones']}])['NetworkInterfaces']]
res['disabled'] = elb.disable_availability_zones_for_load_balancer(LoadBalancerName='zones', AvailabilityZones=['us-east-1a'])['AvailabilityZones']
res['enabled'] = elb.enable_availability_zones_for_load_balancer(LoadBalancerName='zones', AvailabilityZones=['us-east-1a'])['AvailabilityZones']
res['groups'] = elb.apply_security_groups_to_load_balancer(LoadBalancerName='zones', SecurityGroups=[net['sg2']])['SecurityGroups']
res['eniGroups'] = sorted(g['GroupId'] for e in ec2c.describe_network_interfaces(Filters=[{'Name': 'description', 'Values': ['ELB zones']}])['NetworkInterfaces'] for g in e['Groups'])
res['modified'] = elb.modify_load_balancer_attributes(LoadBalancerName='zones', LoadBalancerAttributes={
  'ConnectionDraining': {'Enabled': True, 'Timeout': 120}, 'CrossZoneLoadBalancing': {'Enabled': True},
  'ConnectionSettings': {'IdleTimeout': 300}, 'AccessLog': {'Enabled': True, 'S3BucketName': 'logs', 'EmitInterval': 5}})['LoadBalancerAttributes']
elb.deregister_instances_from_load_balancer(LoadBalancerName='zones', Instances=[{'InstanceId': net['web2']}])
drain = lambda: elb.describe_instance_health(LoadBalancerName='zones', Instances=[{'InstanceId': net['web2']}])['InstanceStates'][0]
res['draining'] = drain()
res['listed'] = elb.describe_load_balancers(LoadBalancerNames=['zones'])['LoadBalancerDescriptions'][0]['Instances']
advance(121)
res['drained'] = drain()
elb.add_tags(LoadBalancerNames=['zones'], Tags=[{'Key': 'team', 'Value': 'web'}, {'Key': 'env', 'Value': 'test'}])
elb.remove_tags(LoadBalancerNames=['zones'], Tags=[{'Key': 'env'}])
res['tags'] = elb.describe_tags(LoadBalancerNames=['zones'])['TagDescriptions'][0]['Tags']
d = elb.describe_load_balancers(LoadBalancerNames=['zones'])['LoadBalancerDescriptions'][0]
res['desc'] = [d['Scheme'], d['DNSName'], d.get('CanonicalHostedZoneName'), d['ListenerDescriptions'][0]['Listener']]
for n in ['p1', 'p2', 'p3']:
    elb.create_load_balancer(LoadBalancerName=n, Listeners=[{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstancePort': 80}], Subnets=[net['a']])
page1 = elb.describe_load_balancers(PageSize=2)
page2 = elb.describe_load_balancers(PageSize=2, Marker=page1['NextMarker'])
res['pages'] = [[d['LoadBalancerName'] for d in p['LoadBalancerDescriptions']] for p in (page1, page2)] + ['NextMarker' in page2]
res['limits'] = elb.describe_account_limits()['Limits']
res['policies'] = [p['PolicyName'] for p in elb.describe_load_balancer_policies()['PolicyDescriptions']]
res['ownPolicies'] = elb.describe_load_balancer_policies(LoadBalancerName='zones')['PolicyDescriptions']
res['types'] = len(elb.describe_load_balancer_policy_types()['PolicyTypeDescriptions'])
for n in ['zones', 'p1', 'p2', 'p3']:
    elb.delete_load_balancer(LoadBalancerName=n)
out(res)
`.replace(/ec2c\./g, "boto3.client('ec2')."));
    assert.equal(r.before, 'Instance is in the EC2 Availability Zone for which LoadBalancer is not configured to route traffic to.');
    assert.deepEqual(r.attached, [net.a, net.b]);
    assert.equal(r.after, 'Instance registration is still in progress.', 'enabling its zone puts the instance in play');
    assert.equal(r.enis, 2, 'a node per enabled zone');
    assert.deepEqual(r.public, [null, null], 'an internal load balancer has no public addresses');
    assert.deepEqual(r.disabled, ['us-east-1b']);
    assert.deepEqual(r.enabled, ['us-east-1b', 'us-east-1a']);
    assert.deepEqual(r.groups, [net.sg2]);
    assert.deepEqual(r.eniGroups, [net.sg2, net.sg2]);
    assert.deepEqual(r.modified, {
      CrossZoneLoadBalancing: { Enabled: true },
      AccessLog: { Enabled: true, S3BucketName: 'logs', EmitInterval: 5 },
      ConnectionDraining: { Enabled: true, Timeout: 120 },
      ConnectionSettings: { IdleTimeout: 300 },
      AdditionalAttributes: [{ Key: 'elb.http.desyncmitigationmode', Value: 'defensive' }],
    });
    assert.deepEqual(r.draining, { InstanceId: net.web2, State: 'InService', ReasonCode: 'ELB', Description: 'Instance deregistration currently in progress.' });
    assert.deepEqual(r.listed, [], 'a draining instance is no longer registered');
    assert.equal(r.drained.Description, 'Instance is not currently registered with the LoadBalancer.');
    assert.deepEqual(r.tags, [{ Key: 'team', Value: 'web' }]);
    assert.match(r.desc[1], /^internal-zones-\d{10}\.us-east-1\.elb\.amazonaws\.com$/);
    assert.deepEqual([r.desc[0], r.desc[2], r.desc[3]], ['internal', null, { Protocol: 'TCP', LoadBalancerPort: 5000, InstanceProtocol: 'TCP', InstancePort: 5000 }]);
    assert.deepEqual(r.pages, [['p1', 'p2'], ['p3', 'zones'], false]);
    assert.deepEqual(r.limits.map((l: { Name: string; Max: string }) => `${l.Name}=${l.Max}`), ['classic-load-balancers=20', 'classic-listeners=100', 'classic-registered-instances=1000']);
    assert.ok(r.policies.includes('ELBSecurityPolicy-2016-08'));
    assert.deepEqual(r.ownPolicies, []);
    assert.equal(r.types, 6);
  });
  /** Waits on the manual clock until the stack's operation ends; the stack as described then. */
  const SETTLE = `
cf = boto3.client('cloudformation')
def settle(name):
    for _ in range(40):
        s = cf.describe_stacks(StackName=name)['Stacks'][0]
        if not s['StackStatus'].endswith('_IN_PROGRESS'):
            return s
        advance(15)
    return s
outputs = lambda s: {o['OutputKey']: o['OutputValue'] for o in s.get('Outputs', [])}
`;

  it("deploys the book's chapter 12 template up to the load balancer, with its URL output", async () => {
    // The book's Auto Scaling group (with its launch configuration and CreationPolicy) needs Auto
    // Scaling's load balancer registration and cfn-signal, which are built elsewhere; the rest is
    // deployed as the book has it.
    const template = JSON.parse(readFileSync(new URL('../fixtures/aws-in-action/chapter12-loadbalancer.json', import.meta.url), 'utf8'));
    delete template.Resources.AutoScalingGroup;
    delete template.Resources.LaunchConfiguration;
    const r = await fl.python(BOTO3_PRELUDE + SETTLE + `
boto3.client('ec2').create_key_pair(KeyName='mykey')
sid = cf.create_stack(StackName='chapter12', TemplateBody=${JSON.stringify(JSON.stringify(template))})['StackId']
s = settle(sid)
d = boto3.client('elb').describe_load_balancers(LoadBalancerNames=['elb'])['LoadBalancerDescriptions'][0]
res = {'status': s['StackStatus'], 'reason': s.get('StackStatusReason'), 'url': outputs(s)['URL'], 'dns': d['DNSName'], 'hc': d['HealthCheck'], 'listeners': d['ListenerDescriptions'], 'scheme': d['Scheme']}
cf.delete_stack(StackName='chapter12')
res['deleted'] = settle(sid)['StackStatus']
res['left'] = boto3.client('elb').describe_load_balancers()['LoadBalancerDescriptions']
out(res)
`);
    assert.equal(r.status, 'CREATE_COMPLETE', r.reason);
    assert.equal(r.url, `http://${r.dns}`);
    assert.match(r.dns, /^elb-\d{10}\.us-east-1\.elb\.amazonaws\.com$/);
    assert.deepEqual(r.hc, { Target: 'HTTP:80/index.html', Interval: 10, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 3 }, 'the string numbers of the template');
    assert.deepEqual(r.listeners, [{ Listener: { Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 80 }, PolicyNames: [] }]);
    assert.equal(r.scheme, 'internet-facing');
    assert.equal(r.deleted, 'DELETE_COMPLETE');
    assert.deepEqual(r.left, []);
  });

  it('creates, updates in place and deletes a load balancer with instances and security group rules through CloudFormation', async () => {
    const zone = (n: number) => ({ 'Fn::Select': [String(n), { 'Fn::GetAZs': '' }] });
    const template = (update: boolean) => ({
      Resources: {
        VPC: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.9.0.0/16' } },
        Gateway: { Type: 'AWS::EC2::InternetGateway' },
        Attachment: { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: 'VPC' }, InternetGatewayId: { Ref: 'Gateway' } } },
        SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'VPC' }, CidrBlock: '10.9.1.0/24', AvailabilityZone: zone(0) } },
        SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'VPC' }, CidrBlock: '10.9.2.0/24', AvailabilityZone: zone(1) } },
        LoadBalancerGroup: {
          Type: 'AWS::EC2::SecurityGroup',
          Properties: {
            GroupDescription: 'elb',
            VpcId: { Ref: 'VPC' },
            SecurityGroupIngress: [80, ...(update ? [8080] : [])].map((port) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, CidrIp: '0.0.0.0/0' })),
          },
        },
        WebGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'web', VpcId: { Ref: 'VPC' } } },
        WebFromLoadBalancer: {
          Type: 'AWS::EC2::SecurityGroupIngress',
          Properties: { GroupId: { Ref: 'WebGroup' }, IpProtocol: 'tcp', FromPort: 80, ToPort: 80, SourceSecurityGroupId: { Ref: 'LoadBalancerGroup' }, ...(update ? { Description: 'from the load balancer' } : {}) },
        },
        LoadBalancerToWeb: { Type: 'AWS::EC2::SecurityGroupEgress', Properties: { GroupId: { Ref: 'LoadBalancerGroup' }, IpProtocol: 'tcp', FromPort: 80, ToPort: 80, DestinationSecurityGroupId: { Ref: 'WebGroup' } } },
        Web1: { Type: 'AWS::EC2::Instance', Properties: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro', SubnetId: { Ref: 'SubnetA' }, SecurityGroupIds: [{ Ref: 'WebGroup' }] } },
        Web2: { Type: 'AWS::EC2::Instance', Properties: { ImageId: 'ami-1ecae776', InstanceType: 't2.micro', SubnetId: { Ref: 'SubnetB' }, SecurityGroupIds: [{ Ref: 'WebGroup' }] } },
        LoadBalancer: {
          Type: 'AWS::ElasticLoadBalancing::LoadBalancer',
          DependsOn: 'Attachment',
          Properties: {
            Subnets: [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }],
            SecurityGroups: [{ Ref: 'LoadBalancerGroup' }],
            Listeners: [
              { Protocol: 'HTTP', LoadBalancerPort: '80', InstanceProtocol: 'HTTP', InstancePort: '80' },
              ...(update ? [{ Protocol: 'TCP', LoadBalancerPort: '8080', InstancePort: '8080' }] : []),
            ],
            HealthCheck: { Target: 'HTTP:80/health', Interval: update ? '20' : '10', Timeout: '5', UnhealthyThreshold: '2', HealthyThreshold: '3' },
            CrossZone: update ? 'false' : 'true',
            ConnectionDrainingPolicy: { Enabled: 'true', Timeout: '60' },
            Instances: update ? [{ Ref: 'Web1' }] : [{ Ref: 'Web1' }, { Ref: 'Web2' }],
            Tags: [{ Key: 'team', Value: update ? 'platform' : 'web' }],
          },
        },
      },
      Outputs: {
        Name: { Value: { Ref: 'LoadBalancer' } },
        DNSName: { Value: { 'Fn::GetAtt': ['LoadBalancer', 'DNSName'] } },
        Zone: { Value: { 'Fn::GetAtt': ['LoadBalancer', 'CanonicalHostedZoneNameID'] } },
        SourceGroup: { Value: { 'Fn::GetAtt': ['LoadBalancer', 'SourceSecurityGroup.GroupName'] } },
        Rule: { Value: { Ref: 'WebFromLoadBalancer' } },
        RuleId: { Value: { 'Fn::GetAtt': ['WebFromLoadBalancer', 'Id'] } },
      },
    });
    const r = await fl.python(BOTO3_PRELUDE + SETTLE + `
elb = boto3.client('elb')
ec2 = boto3.client('ec2')
def state(name):
    d = elb.describe_load_balancers(LoadBalancerNames=[name])['LoadBalancerDescriptions'][0]
    a = elb.describe_load_balancer_attributes(LoadBalancerName=name)['LoadBalancerAttributes']
    return {'hc': d['HealthCheck'], 'ports': sorted(l['Listener']['LoadBalancerPort'] for l in d['ListenerDescriptions']), 'instances': len(d['Instances']),
            'zones': sorted(d['AvailabilityZones']), 'crossZone': a['CrossZoneLoadBalancing']['Enabled'], 'draining': a['ConnectionDraining'],
            'tags': elb.describe_tags(LoadBalancerNames=[name])['TagDescriptions'][0]['Tags'], 'dns': d['DNSName']}
sid = cf.create_stack(StackName='elb-stack', TemplateBody=${JSON.stringify(JSON.stringify(template(false)))})['StackId']
s = settle(sid)
if s['StackStatus'] != 'CREATE_COMPLETE':
    out({'created': s['StackStatus'], 'reason': [e.get('ResourceStatusReason') for e in cf.describe_stack_events(StackName=sid)['StackEvents'] if 'FAILED' in e['ResourceStatus']]})
    raise SystemExit
res = {'created': s['StackStatus'], 'reason': s.get('StackStatusReason'), 'outputs': outputs(s)}
name = res['outputs'].get('Name')
res['before'] = state(name) if name else None
web = ec2.describe_security_groups(Filters=[{'Name': 'description', 'Values': ['web']}])['SecurityGroups'][0]
res['webRules'] = [[p['FromPort'], [g['GroupId'] for g in p['UserIdGroupPairs']]] for p in web['IpPermissions']]
cf.update_stack(StackName='elb-stack', TemplateBody=${JSON.stringify(JSON.stringify(template(true)))})
s = settle(sid)
res['updated'] = s['StackStatus']
res['updateReason'] = s.get('StackStatusReason')
res['after'] = state(name)
res['sameName'] = outputs(s)['Name'] == name
res['updatedOutputs'] = outputs(s)
def rules(group_id):
    return ec2.describe_security_group_rules(Filters=[{'Name': 'group-id', 'Values': [group_id]}])['SecurityGroupRules']
web_rules = rules(web['GroupId'])
res['webRulesAfter'] = [[r['SecurityGroupRuleId'], r.get('Description')] for r in web_rules if not r['IsEgress']]
lb_group = ec2.describe_security_groups(Filters=[{'Name': 'description', 'Values': ['elb']}, {'Name': 'vpc-id', 'Values': [web['VpcId']]}])['SecurityGroups'][0]['GroupId']
res['lbRulesAfter'] = sorted(['out' if r['IsEgress'] else 'in', r['IpProtocol'], r['FromPort'], r.get('CidrIpv4') or r['ReferencedGroupInfo']['GroupId']] for r in rules(lb_group))
res['webGroup'] = web['GroupId']
cf.delete_stack(StackName='elb-stack')
res['deleted'] = settle(sid)['StackStatus']
res['left'] = elb.describe_load_balancers()['LoadBalancerDescriptions']
out(res)
`);
    assert.equal(r.created, 'CREATE_COMPLETE', r.reason);
    const o = r.outputs;
    assert.match(o.Name, /^elb-stack-LoadBalancer-[A-Z0-9]{8}$/, 'STACK-LOGICALID-RANDOM, within 32 characters');
    assert.ok(o.Name.length <= 32);
    assert.equal(o.DNSName, r.before.dns);
    assert.equal(o.Zone, 'Z35SXDOTRQ7X7K');
    assert.match(o.SourceGroup, /^elb-stack-LoadBalancerGroup-/);
    assert.match(o.Rule, /^sgr-[0-9a-f]{17}$/);
    assert.deepEqual(r.before, {
      hc: { Target: 'HTTP:80/health', Interval: 10, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 3 },
      ports: [80], instances: 2, zones: ['us-east-1a', 'us-east-1b'], crossZone: true, draining: { Enabled: true, Timeout: 60 },
      tags: [{ Key: 'team', Value: 'web' }], dns: o.DNSName,
    });
    assert.equal(r.webRules.length, 1);
    assert.equal(r.webRules[0][0], 80);
    assert.equal(r.webRules[0][1].length, 1, 'the web group admits the load balancer group');
    assert.equal(r.updated, 'UPDATE_COMPLETE', r.updateReason);
    assert.equal(r.sameName, true, 'updated in place');
    // The rule's new Description is applied in place: the rule is authorized again, and Ref and GetAtt Id give its new id.
    assert.equal(r.webRulesAfter.length, 1);
    assert.deepEqual(r.webRulesAfter[0], [r.updatedOutputs.Rule, 'from the load balancer']);
    assert.notEqual(r.updatedOutputs.Rule, o.Rule);
    assert.equal(r.updatedOutputs.RuleId, r.updatedOutputs.Rule);
    // The group's inline ingress changed; the egress rule the SecurityGroupEgress resource added stays.
    assert.deepEqual(r.lbRulesAfter, [['in', 'tcp', 80, '0.0.0.0/0'], ['in', 'tcp', 8080, '0.0.0.0/0'], ['out', '-1', -1, '0.0.0.0/0'], ['out', 'tcp', 80, r.webGroup]]);
    assert.deepEqual({ ...r.after, dns: undefined }, {
      hc: { Target: 'HTTP:80/health', Interval: 20, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 3 },
      ports: [80, 8080], instances: 1, zones: ['us-east-1a', 'us-east-1b'], crossZone: false, draining: { Enabled: true, Timeout: 60 },
      tags: [{ Key: 'team', Value: 'platform' }], dns: undefined,
    });
    assert.equal(r.deleted, 'DELETE_COMPLETE');
    assert.deepEqual(r.left, []);
  });
});
