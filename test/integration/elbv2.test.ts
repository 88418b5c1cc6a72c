/**
 * ELBv2 through boto3 and the AWS CLI, simulated driver, manual clock: an ALB and an NLB with
 * their target groups, listeners and rules of each action type, targets registered, drained and
 * forgotten on the clock, attributes and tags; then the ELBv2 error rows of spec elb.md §5, each
 * with its code and status and nothing half-written after it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

/** A VPC over two zones with a running instance in each, and a second VPC with one instance. */
const SETUP = `
ec2 = boto3.client('ec2')
elb = boto3.client('elbv2', config=no_retry)
def net(cidr, zones):
    vpc = ec2.create_vpc(CidrBlock=cidr + '.0.0/16')['Vpc']['VpcId']
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock='%s.%d.0/24' % (cidr, i + 1), AvailabilityZone=z)['Subnet']['SubnetId'] for i, z in enumerate(zones)]
    return vpc, subnets
def instance(subnet):
    return ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=subnet)['Instances'][0]['InstanceId']
def health(tg, targets=None):
    kw = {'Targets': targets} if targets else {}
    return [(h['Target']['Id'], h['TargetHealth']['State'], h['TargetHealth'].get('Reason')) for h in elb.describe_target_health(TargetGroupArn=tg, **kw)['TargetHealthDescriptions']]
def interfaces(lb_arn):
    full = lb_arn.split(':loadbalancer/')[1]
    return len(ec2.describe_network_interfaces(Filters=[{'Name': 'description', 'Values': ['ELB ' + full]}])['NetworkInterfaces'])
`;

describe('ELBv2 through boto3', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('runs the life of an ALB: provisioning to active, groups, listener, rules of each action, targets drained on the clock, attributes, tags, delete', async () => {
    const r = await fl.python(BOTO3_PRELUDE + SETUP + `
vpc, subnets = net('10.8', ['us-east-1a', 'us-east-1b'])
sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=vpc)['GroupId']
a, b = instance(subnets[0]), instance(subnets[1])
advance(60)
o = {}
alb = elb.create_load_balancer(Name='web', Subnets=subnets, SecurityGroups=[sg], Tags=[{'Key': 'team', 'Value': 'ops'}])['LoadBalancers'][0]
arn = alb['LoadBalancerArn']
o['alb'] = alb
o['again'] = elb.create_load_balancer(Name='web', Subnets=subnets, SecurityGroups=[sg])['LoadBalancers'][0]['LoadBalancerArn']
o['interfaces'] = interfaces(arn)
advance(59)
o['at59'] = elb.describe_load_balancers(LoadBalancerArns=[arn])['LoadBalancers'][0]['State']['Code']
advance(1)
o['at60'] = elb.describe_load_balancers(Names=['web'])['LoadBalancers'][0]['State']['Code']
tg = elb.create_target_group(Name='web-tg', Protocol='HTTP', Port=80, VpcId=vpc, HealthCheckPath='/health', Matcher={'HttpCode': '200-299'})['TargetGroups'][0]['TargetGroupArn']
api = elb.create_target_group(Name='api-tg', Protocol='HTTP', Port=8080, VpcId=vpc)['TargetGroups'][0]
o['api'] = api
ln = elb.create_listener(LoadBalancerArn=arn, Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg}])['Listeners'][0]['ListenerArn']
weighted = elb.create_rule(ListenerArn=ln, Priority=10, Conditions=[{'Field': 'path-pattern', 'Values': ['/api/*']}],
    Actions=[{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': tg, 'Weight': 3}, {'TargetGroupArn': api['TargetGroupArn'], 'Weight': 1}]}}])['Rules'][0]
fixed = elb.create_rule(ListenerArn=ln, Priority=20, Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['maint.example.com']}}],
    Actions=[{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '503', 'ContentType': 'text/plain', 'MessageBody': 'down'}}])['Rules'][0]
moved = elb.create_rule(ListenerArn=ln, Priority=30, Conditions=[{'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': 'X-Old', 'Values': ['yes']}}],
    Actions=[{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}])['Rules'][0]
o['weighted'], o['fixed'], o['moved'] = weighted, fixed, moved
elb.set_rule_priorities(RulePriorities=[{'RuleArn': fixed['RuleArn'], 'Priority': 5}])
o['priorities'] = [r['Priority'] for r in elb.describe_rules(ListenerArn=ln)['Rules']]
o['groupsOfLb'] = sorted(g['TargetGroupName'] for g in elb.describe_target_groups(LoadBalancerArn=arn)['TargetGroups'])
o['tgLbs'] = elb.describe_target_groups(TargetGroupArns=[tg])['TargetGroups'][0]['LoadBalancerArns']
elb.register_targets(TargetGroupArn=tg, Targets=[{'Id': a}, {'Id': b}])
o['registered'] = sorted(health(tg))
o['zones'] = sorted((h['Target']['Id'], h['Target']['AvailabilityZone'], h['HealthCheckPort']) for h in elb.describe_target_health(TargetGroupArn=tg)['TargetHealthDescriptions'])
elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{'Key': 'deregistration_delay.timeout_seconds', 'Value': '30'}])
elb.deregister_targets(TargetGroupArn=tg, Targets=[{'Id': a}])
o['draining'] = health(tg, [{'Id': a}])
advance(29)
o['draining29'] = health(tg, [{'Id': a}])
advance(1)
o['after30'] = sorted(health(tg))
o['asked30'] = health(tg, [{'Id': a}])
o['lbAttrs'] = {x['Key']: x['Value'] for x in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)['Attributes']}
elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{'Key': 'idle_timeout.timeout_seconds', 'Value': '120'}, {'Key': 'deletion_protection.enabled', 'Value': 'true'}])
o['protected'] = outcome(lambda: elb.delete_load_balancer(LoadBalancerArn=arn))
o['idle'] = {x['Key']: x['Value'] for x in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)['Attributes']}['idle_timeout.timeout_seconds']
elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{'Key': 'deletion_protection.enabled', 'Value': 'false'}])
o['tgAttrs'] = {x['Key']: x['Value'] for x in elb.describe_target_group_attributes(TargetGroupArn=tg)['Attributes']}
o['listenerAttrs'] = {x['Key']: x['Value'] for x in elb.describe_listener_attributes(ListenerArn=ln)['Attributes']}
every = [arn, tg, ln, weighted['RuleArn']]
elb.add_tags(ResourceArns=every, Tags=[{'Key': 'env', 'Value': 'test'}])
elb.remove_tags(ResourceArns=[arn], TagKeys=['team'])
o['tags'] = [sorted((t['Key'], t['Value']) for t in d['Tags']) for d in elb.describe_tags(ResourceArns=every)['TagDescriptions']]
elb.delete_load_balancer(LoadBalancerArn=arn)
o['deletedAgain'] = outcome(lambda: elb.delete_load_balancer(LoadBalancerArn=arn))
o['lbGone'] = outcome(lambda: elb.describe_load_balancers(LoadBalancerArns=[arn]))
o['listenerGone'] = outcome(lambda: elb.describe_listeners(ListenerArns=[ln]))
o['ruleGone'] = outcome(lambda: elb.describe_rules(RuleArns=[weighted['RuleArn']]))
o['interfacesAfter'] = interfaces(arn)
o['targetsKept'] = health(tg)
o['tgLbsAfter'] = elb.describe_target_groups(TargetGroupArns=[tg])['TargetGroups'][0]['LoadBalancerArns']
elb.delete_target_group(TargetGroupArn=tg)
elb.delete_target_group(TargetGroupArn=api['TargetGroupArn'])
o['tgGone'] = outcome(lambda: elb.describe_target_groups(Names=['web-tg']))
out(o)
`);
    const alb = r.alb;
    assert.match(alb.LoadBalancerArn, /^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer\/app\/web\/[0-9a-f]{16}$/);
    assert.match(alb.DNSName, /^web-\d{9}\.us-east-1\.elb\.amazonaws\.com$/);
    assert.equal(alb.CanonicalHostedZoneId, 'Z35SXDOTRQ7X7K');
    assert.deepEqual([alb.Type, alb.Scheme, alb.State.Code, alb.IpAddressType], ['application', 'internet-facing', 'provisioning', 'ipv4']);
    assert.deepEqual(alb.AvailabilityZones.map((z: { ZoneName: string }) => z.ZoneName).sort(), ['us-east-1a', 'us-east-1b']);
    assert.equal(r.again, alb.LoadBalancerArn, 'the same settings give back the same load balancer');
    assert.equal(r.interfaces, 2, 'a node interface in each zone');
    assert.deepEqual([r.at59, r.at60], ['provisioning', 'active']);

    assert.match(r.api.TargetGroupArn, /:targetgroup\/api-tg\/[0-9a-f]{16}$/);
    assert.deepEqual(
      [r.api.HealthCheckProtocol, r.api.HealthCheckPort, r.api.HealthCheckPath, r.api.HealthCheckIntervalSeconds, r.api.HealthCheckTimeoutSeconds, r.api.HealthyThresholdCount, r.api.UnhealthyThresholdCount, r.api.Matcher.HttpCode],
      ['HTTP', 'traffic-port', '/', 30, 5, 5, 2, '200'],
      "an ALB group's health check defaults",
    );
    assert.equal(r.weighted.Priority, '10');
    assert.deepEqual(r.weighted.Actions[0].ForwardConfig.TargetGroups.map((g: { Weight: number }) => g.Weight), [3, 1]);
    assert.equal(r.weighted.Actions[0].TargetGroupArn, undefined, 'several groups show only in ForwardConfig');
    assert.deepEqual(r.fixed.Actions[0].FixedResponseConfig, { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'down' });
    assert.deepEqual(r.moved.Actions[0].RedirectConfig, { Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' });
    assert.deepEqual(r.priorities, ['5', '10', '30', 'default'], 'rules by priority, the default last');
    assert.deepEqual(r.groupsOfLb, ['api-tg', 'web-tg']);
    assert.deepEqual(r.tgLbs, [alb.LoadBalancerArn]);

    assert.deepEqual(r.registered.map((h: string[]) => h.slice(1)), [['initial', 'Elb.RegistrationInProgress'], ['initial', 'Elb.RegistrationInProgress']]);
    assert.deepEqual(r.zones.map((z: string[]) => [z[1], z[2]]).sort(), [['us-east-1a', '80'], ['us-east-1b', '80']]);
    assert.deepEqual(r.draining[0].slice(1), ['draining', 'Target.DeregistrationInProgress']);
    assert.deepEqual(r.draining29[0].slice(1), ['draining', 'Target.DeregistrationInProgress'], 'still draining before the delay ends');
    assert.equal(r.after30.length, 1, 'forgotten when the 30 s delay ends');
    assert.deepEqual(r.asked30[0].slice(1), ['unused', 'Target.NotRegistered']);

    assert.equal(r.lbAttrs['idle_timeout.timeout_seconds'], '60');
    assert.equal(r.lbAttrs['load_balancing.cross_zone.enabled'], 'true', 'an ALB is always cross-zone');
    assert.equal(r.lbAttrs['deletion_protection.enabled'], 'false');
    assert.match(r.protected, /^OperationNotPermitted 400 /);
    assert.equal(r.idle, '120');
    assert.equal(r.tgAttrs['deregistration_delay.timeout_seconds'], '30');
    assert.equal(r.tgAttrs['stickiness.type'], 'lb_cookie');
    assert.equal(r.tgAttrs['load_balancing.algorithm.type'], 'round_robin');
    assert.equal(r.listenerAttrs['routing.http.response.server.enabled'], 'true');
    assert.deepEqual(r.tags, [[['env', 'test']], [['env', 'test']], [['env', 'test']], [['env', 'test']]]);

    assert.equal(r.deletedAgain, 'ok', 'deleting a deleted load balancer succeeds');
    assert.match(r.lbGone, /^LoadBalancerNotFound 400 /);
    assert.match(r.listenerGone, /^ListenerNotFound 400 /);
    assert.match(r.ruleGone, /^RuleNotFound 400 /);
    assert.equal(r.interfacesAfter, 0, "the nodes' interfaces go with it");
    assert.equal(r.targetsKept.length, 1, 'targets stay registered');
    assert.deepEqual(r.tgLbsAfter, []);
    assert.match(r.tgGone, /^TargetGroupNotFound 400 /);
  });

  it('runs an internal NLB: zonal addresses, TCP and IP targets, gaining a zone, cross-zone off by default', async () => {
    const r = await fl.python(BOTO3_PRELUDE + SETUP + `
vpc, subnets = net('10.7', ['us-east-1a', 'us-east-1b'])
o = {}
nlb = elb.create_load_balancer(Name='cache', Type='network', Scheme='internal', Subnets=[subnets[0]])['LoadBalancers'][0]
arn = nlb['LoadBalancerArn']
o['nlb'] = nlb
tg = elb.create_target_group(Name='cache-tg', Protocol='TCP', Port=6379, VpcId=vpc, TargetType='ip')['TargetGroups'][0]
o['tg'] = tg
web = elb.create_target_group(Name='cache-http', Protocol='HTTP', Port=80, VpcId=vpc)['TargetGroups'][0]['TargetGroupArn']
ln = elb.create_listener(LoadBalancerArn=arn, Protocol='TCP', Port=6379, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg['TargetGroupArn']}])['Listeners'][0]['ListenerArn']
o['tgAttrs'] = {x['Key']: x['Value'] for x in elb.describe_target_group_attributes(TargetGroupArn=tg['TargetGroupArn'])['Attributes']}
o['lbAttrs'] = {x['Key']: x['Value'] for x in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)['Attributes']}
o['listenerAttrs'] = {x['Key']: x['Value'] for x in elb.describe_listener_attributes(ListenerArn=ln)['Attributes']}
elb.register_targets(TargetGroupArn=tg['TargetGroupArn'], Targets=[{'Id': '10.7.2.50'}, {'Id': '10.7.1.9', 'Port': 7000}])
o['targets'] = sorted((h['Target']['Id'], h['Target']['Port'], h['Target']['AvailabilityZone']) for h in elb.describe_target_health(TargetGroupArn=tg['TargetGroupArn'])['TargetHealthDescriptions'])
o['zones'] = [z['ZoneName'] for z in elb.set_subnets(LoadBalancerArn=arn, Subnets=subnets)['AvailabilityZones']]
o['lose'] = outcome(lambda: elb.set_subnets(LoadBalancerArn=arn, Subnets=[subnets[1]]))
o['zonesAfter'] = [z['ZoneName'] for z in elb.describe_load_balancers(LoadBalancerArns=[arn])['LoadBalancers'][0]['AvailabilityZones']]
o['rule'] = outcome(lambda: elb.create_rule(ListenerArn=ln, Priority=1, Conditions=[{'Field': 'path-pattern', 'Values': ['/']}], Actions=[{'Type': 'forward', 'TargetGroupArn': tg['TargetGroupArn']}]))
o['fixed'] = outcome(lambda: elb.create_listener(LoadBalancerArn=arn, Protocol='TCP', Port=80, DefaultActions=[{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '200'}}]))
o['httpGroup'] = outcome(lambda: elb.create_listener(LoadBalancerArn=arn, Protocol='TCP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': web}]))
o['listeners'] = len(elb.describe_listeners(LoadBalancerArn=arn)['Listeners'])
elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{'Key': 'load_balancing.cross_zone.enabled', 'Value': 'true'}])
o['crossZone'] = {x['Key']: x['Value'] for x in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)['Attributes']}['load_balancing.cross_zone.enabled']
elb.delete_load_balancer(LoadBalancerArn=arn)
for g in (tg['TargetGroupArn'], web): elb.delete_target_group(TargetGroupArn=g)
o['left'] = [len(elb.describe_load_balancers()['LoadBalancers']), len(elb.describe_target_groups()['TargetGroups'])]
out(o)
`);
    const nlb = r.nlb;
    assert.match(nlb.LoadBalancerArn, /:loadbalancer\/net\/cache\/[0-9a-f]{16}$/);
    assert.match(nlb.DNSName, /^cache-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$/);
    assert.equal(nlb.CanonicalHostedZoneId, 'Z26RNL4JYFTOTI');
    assert.equal(nlb.SecurityGroups, undefined, 'an NLB created without security groups has none');
    assert.match(nlb.AvailabilityZones[0].LoadBalancerAddresses[0].PrivateIPv4Address, /^10\.7\.1\.\d+$/);
    assert.deepEqual(
      [r.tg.HealthCheckProtocol, r.tg.HealthCheckTimeoutSeconds, r.tg.HealthCheckIntervalSeconds, r.tg.Matcher, r.tg.HealthCheckPath],
      ['TCP', 10, 30, undefined, undefined],
      "an NLB group's TCP check defaults",
    );
    assert.equal(r.tgAttrs['stickiness.type'], 'source_ip');
    assert.equal(r.tgAttrs['preserve_client_ip.enabled'], 'false', 'off for TCP ip targets');
    assert.equal(r.lbAttrs['load_balancing.cross_zone.enabled'], 'false');
    assert.equal(r.listenerAttrs['tcp.idle_timeout.seconds'], '350');
    assert.deepEqual(r.targets, [['10.7.1.9', 7000, 'us-east-1a'], ['10.7.2.50', 6379, 'us-east-1b']], "an IP target's zone is its subnet's; its port defaults to the group's");
    assert.deepEqual(r.zones.sort(), ['us-east-1a', 'us-east-1b']);
    assert.match(r.lose, /^InvalidConfigurationRequest 400 /);
    assert.deepEqual(r.zonesAfter.sort(), ['us-east-1a', 'us-east-1b'], 'an NLB never loses a zone');
    assert.match(r.rule, /^InvalidConfigurationRequest 400 /);
    assert.match(r.fixed, /^InvalidLoadBalancerAction 400 /);
    assert.match(r.httpGroup, /^IncompatibleProtocols 400 /);
    assert.equal(r.listeners, 1);
    assert.equal(r.crossZone, 'true');
    assert.deepEqual(r.left, [0, 0]);
  });

  it("answers each error row with AWS's code and status, and writes nothing", async () => {
    const r = await fl.python(BOTO3_PRELUDE + SETUP + `
vpc, subnets = net('10.6', ['us-east-1a', 'us-east-1b'])
other_vpc, other_subnets = net('10.5', ['us-east-1a'])
mine, stopped, theirs = instance(subnets[0]), instance(subnets[1]), instance(other_subnets[0])
advance(60)
ec2.stop_instances(InstanceIds=[stopped])
advance(60)
arn = elb.create_load_balancer(Name='errs', Subnets=subnets)['LoadBalancers'][0]['LoadBalancerArn']
tg = elb.create_target_group(Name='errs-tg', Protocol='HTTP', Port=80, VpcId=vpc)['TargetGroups'][0]['TargetGroupArn']
ips = elb.create_target_group(Name='errs-ip', Protocol='HTTP', Port=80, VpcId=vpc, TargetType='ip')['TargetGroups'][0]['TargetGroupArn']
tcp = elb.create_target_group(Name='errs-tcp', Protocol='TCP', Port=80, VpcId=vpc)['TargetGroups'][0]['TargetGroupArn']
ln = elb.create_listener(LoadBalancerArn=arn, Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg}])['Listeners'][0]['ListenerArn']
rule = elb.create_rule(ListenerArn=ln, Priority=10, Conditions=[{'Field': 'path-pattern', 'Values': ['/a']}], Actions=[{'Type': 'forward', 'TargetGroupArn': tg}])['Rules'][0]['RuleArn']
default_rule = [x['RuleArn'] for x in elb.describe_rules(ListenerArn=ln)['Rules'] if x['IsDefault']][0]
fake_tg = tg.rsplit('/', 1)[0] + '/0123456789abcdef'
o = {}
def lbs(): return sorted(x['LoadBalancerName'] for x in elb.describe_load_balancers()['LoadBalancers'])
def groups(): return sorted(x['TargetGroupName'] for x in elb.describe_target_groups()['TargetGroups'])
o['otherVpc'] = [outcome(lambda: elb.register_targets(TargetGroupArn=tg, Targets=[{'Id': mine}, {'Id': theirs}])), health(tg)]
o['notRunning'] = [outcome(lambda: elb.register_targets(TargetGroupArn=tg, Targets=[{'Id': stopped}])), health(tg)]
o['unknownInstance'] = outcome(lambda: elb.register_targets(TargetGroupArn=tg, Targets=[{'Id': 'i-0123456789abcdef0'}]))
o['askUnknown'] = outcome(lambda: elb.describe_target_health(TargetGroupArn=tg, Targets=[{'Id': 'i-0123456789abcdef0'}]))
o['ipOutside'] = [outcome(lambda: elb.register_targets(TargetGroupArn=ips, Targets=[{'Id': '10.6.1.10'}, {'Id': '192.168.0.1'}])), health(ips)]
o['tooManyTargets'] = [outcome(lambda: elb.register_targets(TargetGroupArn=ips, Targets=[{'Id': '10.6.1.%d' % (1 + n % 250), 'Port': 1000 + n // 250} for n in range(1001)])), len(health(ips))]
o['unknownGroup'] = outcome(lambda: elb.describe_target_health(TargetGroupArn=fake_tg))
o['unknownGroupRegister'] = outcome(lambda: elb.register_targets(TargetGroupArn=fake_tg, Targets=[{'Id': mine}]))
o['unknownLb'] = outcome(lambda: elb.describe_load_balancers(Names=['nope']))
o['unknownListener'] = outcome(lambda: elb.describe_listeners(ListenerArns=[ln[:-16] + '0123456789abcdef']))
o['unknownRule'] = outcome(lambda: elb.delete_rule(RuleArn=rule[:-16] + '0123456789abcdef'))
o['dupLb'] = [outcome(lambda: elb.create_load_balancer(Name='errs', Subnets=subnets, Scheme='internal')), lbs()]
o['dupTg'] = [outcome(lambda: elb.create_target_group(Name='errs-tg', Protocol='HTTP', Port=8080, VpcId=vpc)), groups()]
o['dupListener'] = [outcome(lambda: elb.create_listener(LoadBalancerArn=arn, Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404'}}])), len(elb.describe_listeners(LoadBalancerArn=arn)['Listeners'])]
o['timeout'] = [outcome(lambda: elb.create_target_group(Name='slow', Protocol='HTTP', Port=80, VpcId=vpc, HealthCheckIntervalSeconds=10, HealthCheckTimeoutSeconds=10)), groups()]
o['modifyTimeout'] = [outcome(lambda: elb.modify_target_group(TargetGroupArn=tg, HealthCheckTimeoutSeconds=30)), elb.describe_target_groups(TargetGroupArns=[tg])['TargetGroups'][0]['HealthCheckTimeoutSeconds']]
o['tcpCheck'] = outcome(lambda: elb.create_target_group(Name='tcpcheck', Protocol='HTTP', Port=80, VpcId=vpc, HealthCheckProtocol='TCP'))
o['matcher'] = outcome(lambda: elb.create_target_group(Name='matcher', Protocol='HTTP', Port=80, VpcId=vpc, Matcher={'HttpCode': '200-599'}))
o['priority'] = [outcome(lambda: elb.create_rule(ListenerArn=ln, Priority=10, Conditions=[{'Field': 'path-pattern', 'Values': ['/b']}], Actions=[{'Type': 'forward', 'TargetGroupArn': tg}])), len(elb.describe_rules(ListenerArn=ln)['Rules'])]
o['setPriorities'] = outcome(lambda: elb.set_rule_priorities(RulePriorities=[{'RuleArn': default_rule, 'Priority': 3}]))
o['deleteDefault'] = [outcome(lambda: elb.delete_rule(RuleArn=default_rule)), len(elb.describe_rules(ListenerArn=ln)['Rules'])]
o['groupInUse'] = [outcome(lambda: elb.delete_target_group(TargetGroupArn=tg)), groups()]
o['incompatible'] = outcome(lambda: elb.create_rule(ListenerArn=ln, Priority=11, Conditions=[{'Field': 'path-pattern', 'Values': ['/c']}], Actions=[{'Type': 'forward', 'TargetGroupArn': tcp}]))
o['twoHosts'] = outcome(lambda: elb.create_rule(ListenerArn=ln, Priority=12, Conditions=[{'Field': 'host-header', 'Values': ['a']}, {'Field': 'host-header', 'Values': ['b']}], Actions=[{'Type': 'forward', 'TargetGroupArn': tg}]))
o['selfRedirect'] = outcome(lambda: elb.create_rule(ListenerArn=ln, Priority=13, Conditions=[{'Field': 'path-pattern', 'Values': ['/d']}], Actions=[{'Type': 'redirect', 'RedirectConfig': {'StatusCode': 'HTTP_302'}}]))
o['oneZone'] = [outcome(lambda: elb.create_load_balancer(Name='onezone', Subnets=[subnets[0]])), lbs()]
o['badName'] = outcome(lambda: elb.create_load_balancer(Name='-bad', Subnets=subnets))
o['internalName'] = outcome(lambda: elb.create_load_balancer(Name='internal-x', Subnets=subnets))
o['sameZone'] = outcome(lambda: elb.create_load_balancer(Name='samezone', Subnets=[subnets[0], ec2.create_subnet(VpcId=vpc, CidrBlock='10.6.9.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']]))
o['unknownSubnet'] = outcome(lambda: elb.create_load_balancer(Name='nosubnet', Subnets=['subnet-0123456789abcdef0', subnets[0]]))
o['badAttribute'] = outcome(lambda: elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{'Key': 'idle_timeout.timeout_seconds', 'Value': '0'}]))
o['badTgAttribute'] = outcome(lambda: elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{'Key': 'deregistration_delay.timeout_seconds', 'Value': '3601'}]))
o['sslPolicy'] = outcome(lambda: elb.describe_ssl_policies(Names=['NoSuchPolicy']))
o['dupTags'] = outcome(lambda: elb.add_tags(ResourceArns=[arn], Tags=[{'Key': 'k', 'Value': '1'}, {'Key': 'k', 'Value': '2'}]))
o['lbsAtEnd'] = lbs()
o['limits'] = {x['Name']: x['Max'] for x in elb.describe_account_limits()['Limits']}
o['policies'] = [p['Name'] for p in elb.describe_ssl_policies()['SslPolicies']]
out(o)
`);
    const code = (outcome: string, expected: string) => assert.match(outcome, new RegExp(`^${expected} `), outcome);
    code(r.otherVpc[0], 'InvalidTarget 400');
    assert.match(r.otherVpc[0], /not in the target group VPC/);
    assert.deepEqual(r.otherVpc[1], [], 'the instance in the VPC was not registered either');
    code(r.notRunning[0], 'InvalidTarget 400');
    assert.match(r.notRunning[0], /The following targets are not in a running state and cannot be registered: 'i-[0-9a-f]+'/);
    assert.deepEqual(r.notRunning[1], []);
    code(r.unknownInstance, 'InvalidTarget 400');
    code(r.askUnknown, 'InvalidTarget 400');
    code(r.ipOutside[0], 'InvalidTarget 400');
    assert.deepEqual(r.ipOutside[1], []);
    code(r.tooManyTargets[0], 'TooManyTargets 400');
    assert.equal(r.tooManyTargets[1], 0);
    code(r.unknownGroup, 'TargetGroupNotFound 400');
    code(r.unknownGroupRegister, 'TargetGroupNotFound 400');
    code(r.unknownLb, 'LoadBalancerNotFound 400');
    code(r.unknownListener, 'ListenerNotFound 400');
    code(r.unknownRule, 'RuleNotFound 400');
    code(r.dupLb[0], 'DuplicateLoadBalancerName 400');
    assert.deepEqual(r.dupLb[1], ['errs']);
    code(r.dupTg[0], 'DuplicateTargetGroupName 400');
    assert.deepEqual(r.dupTg[1], ['errs-ip', 'errs-tcp', 'errs-tg']);
    code(r.dupListener[0], 'DuplicateListener 400');
    assert.equal(r.dupListener[1], 1);
    code(r.timeout[0], 'ValidationError 400');
    assert.match(r.timeout[0], /Health check interval must be greater than the timeout/);
    assert.deepEqual(r.timeout[1], ['errs-ip', 'errs-tcp', 'errs-tg']);
    code(r.modifyTimeout[0], 'ValidationError 400');
    assert.equal(r.modifyTimeout[1], 5);
    code(r.tcpCheck, 'ValidationError 400');
    code(r.matcher, 'ValidationError 400');
    code(r.priority[0], 'PriorityInUse 400');
    assert.equal(r.priority[1], 2);
    code(r.setPriorities, 'OperationNotPermitted 400');
    code(r.deleteDefault[0], 'OperationNotPermitted 400');
    assert.equal(r.deleteDefault[1], 2);
    code(r.groupInUse[0], 'ResourceInUse 400');
    assert.deepEqual(r.groupInUse[1], ['errs-ip', 'errs-tcp', 'errs-tg']);
    code(r.incompatible, 'IncompatibleProtocols 400');
    code(r.twoHosts, 'ValidationError 400');
    code(r.selfRedirect, 'InvalidLoadBalancerAction 400');
    code(r.oneZone[0], 'ValidationError 400');
    code(r.badName, 'ValidationError 400');
    code(r.internalName, 'ValidationError 400');
    code(r.sameZone, 'InvalidConfigurationRequest 400');
    code(r.unknownSubnet, 'SubnetNotFound 400');
    code(r.badAttribute, 'ValidationError 400');
    code(r.badTgAttribute, 'ValidationError 400');
    code(r.sslPolicy, 'SSLPolicyNotFound 400');
    code(r.dupTags, 'DuplicateTagKeys 400');
    assert.deepEqual(r.lbsAtEnd, ['errs'], 'no refused load balancer was created');
    assert.equal(r.limits['application-load-balancers'], '50');
    assert.equal(r.limits['target-groups'], '3000');
    assert.ok(r.policies.includes('ELBSecurityPolicy-2016-08'));
  });

  it('deploys and deletes a CloudFormation stack of an ALB, a group, a listener and a rule, with the right GetAtt values', async () => {
    const template = {
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.2.0.0/16' } },
        A: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.2.1.0/24', AvailabilityZone: 'us-east-1a' } },
        B: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.2.2.0/24', AvailabilityZone: 'us-east-1b' } },
        Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'lb', VpcId: { Ref: 'Vpc' } } },
        Lb: {
          Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          Properties: { Subnets: [{ Ref: 'A' }, { Ref: 'B' }], SecurityGroups: [{ Ref: 'Sg' }], LoadBalancerAttributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '30' }] },
        },
        Group: {
          Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
          Properties: { Name: 'cfn-tg', Protocol: 'HTTP', Port: 80, VpcId: { Ref: 'Vpc' }, HealthCheckPath: '/ping', TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }] },
        },
        Listener: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: { LoadBalancerArn: { Ref: 'Lb' }, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Group' } }] },
        },
        Rule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            ListenerArn: { Ref: 'Listener' },
            Priority: 1,
            Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/old/*'] } }],
            Actions: [{ Type: 'redirect', RedirectConfig: { Path: '/new/#{path}', StatusCode: 'HTTP_302' } }],
          },
        },
      },
      Outputs: Object.fromEntries(
        [
          ['LbRef', { Ref: 'Lb' }],
          ['Dns', { 'Fn::GetAtt': ['Lb', 'DNSName'] }],
          ['Zone', { 'Fn::GetAtt': ['Lb', 'CanonicalHostedZoneID'] }],
          ['FullName', { 'Fn::GetAtt': ['Lb', 'LoadBalancerFullName'] }],
          ['LbName', { 'Fn::GetAtt': ['Lb', 'LoadBalancerName'] }],
          ['LbGroups', { 'Fn::Join': [',', { 'Fn::GetAtt': ['Lb', 'SecurityGroups'] }] }],
          ['GroupRef', { Ref: 'Group' }],
          ['GroupFullName', { 'Fn::GetAtt': ['Group', 'TargetGroupFullName'] }],
          ['GroupName', { 'Fn::GetAtt': ['Group', 'TargetGroupName'] }],
          ['GroupLbs', { 'Fn::Join': [',', { 'Fn::GetAtt': ['Group', 'LoadBalancerArns'] }] }],
          ['ListenerArn', { 'Fn::GetAtt': ['Listener', 'ListenerArn'] }],
          ['RuleArn', { 'Fn::GetAtt': ['Rule', 'RuleArn'] }],
          ['RuleDefault', { 'Fn::GetAtt': ['Rule', 'IsDefault'] }],
        ].map(([k, v]) => [k, { Value: v }]),
      ),
    };
    const r = await fl.python(BOTO3_PRELUDE + `
cfn = boto3.client('cloudformation')
elb = boto3.client('elbv2')
cfn.create_stack(StackName='web-stack', TemplateBody=json.dumps(${JSON.stringify(template)}))
o = {}
advance(30)
o['waiting'] = cfn.describe_stacks(StackName='web-stack')['Stacks'][0]['StackStatus']
advance(60)
stack = cfn.describe_stacks(StackName='web-stack')['Stacks'][0]
o['status'] = stack['StackStatus']
o['outputs'] = {x['OutputKey']: x['OutputValue'] for x in stack.get('Outputs', [])}
lb = elb.describe_load_balancers(LoadBalancerArns=[o['outputs']['LbRef']])['LoadBalancers'][0]
o['lb'] = lb
o['idle'] = {x['Key']: x['Value'] for x in elb.describe_load_balancer_attributes(LoadBalancerArn=lb['LoadBalancerArn'])['Attributes']}['idle_timeout.timeout_seconds']
o['delay'] = {x['Key']: x['Value'] for x in elb.describe_target_group_attributes(TargetGroupArn=o['outputs']['GroupRef'])['Attributes']}['deregistration_delay.timeout_seconds']
o['rule'] = elb.describe_rules(RuleArns=[o['outputs']['RuleArn']])['Rules'][0]
cfn.delete_stack(StackName='web-stack')
advance(60)
o['deleted'] = outcome(lambda: cfn.describe_stacks(StackName='web-stack'))
o['left'] = [outcome(lambda: elb.describe_load_balancers(LoadBalancerArns=[lb['LoadBalancerArn']])), outcome(lambda: elb.describe_target_groups(Names=['cfn-tg']))]
out(o)
`);
    assert.equal(r.waiting, 'CREATE_IN_PROGRESS', 'the stack waits for the load balancer to be active');
    assert.equal(r.status, 'CREATE_COMPLETE');
    const o = r.outputs;
    assert.equal(o.LbRef, r.lb.LoadBalancerArn);
    assert.equal(r.lb.State.Code, 'active');
    assert.match(o.LbName, /^web-stack-Lb-[A-Z0-9]+$/);
    assert.ok(o.LbName.length <= 32);
    assert.equal(o.Dns, r.lb.DNSName);
    assert.equal(o.Zone, 'Z35SXDOTRQ7X7K');
    assert.equal(o.FullName, `app/${o.LbName}/${o.LbRef.split('/').pop()}`);
    assert.equal(o.LbGroups, r.lb.SecurityGroups.join(','));
    assert.match(o.GroupRef, /:targetgroup\/cfn-tg\/[0-9a-f]{16}$/);
    assert.equal(o.GroupFullName, `targetgroup/cfn-tg/${o.GroupRef.split('/').pop()}`);
    assert.equal(o.GroupName, 'cfn-tg');
    assert.equal(o.GroupLbs, o.LbRef);
    assert.match(o.ListenerArn, /:listener\/app\//);
    assert.equal(o.RuleDefault, 'false');
    assert.equal(r.idle, '30');
    assert.equal(r.delay, '10');
    assert.equal(r.rule.Priority, '1');
    assert.equal(r.rule.Actions[0].RedirectConfig.Path, '/new/#{path}');
    assert.match(r.deleted, /^ValidationError 400 .*does not exist/);
    assert.match(r.left[0], /^LoadBalancerNotFound 400 /);
    assert.match(r.left[1], /^TargetGroupNotFound 400 /);
  });

  it('works from the AWS CLI', async () => {
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.3.0.0/16')).Vpc.VpcId;
    const tg = (await fl.aws('elbv2', 'create-target-group', '--name', 'cli-tg', '--protocol', 'HTTP', '--port', '80', '--vpc-id', vpc, '--health-check-interval-seconds', '10')).TargetGroups[0];
    assert.equal(tg.HealthCheckIntervalSeconds, 10);
    const health = await fl.aws('elbv2', 'describe-target-health', '--target-group-arn', tg.TargetGroupArn);
    assert.deepEqual(health.TargetHealthDescriptions, []);
    const refused = await fl.awsRaw('elbv2', 'delete-rule', '--rule-arn', 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/x/0123456789abcdef/0123456789abcdef/0123456789abcdef');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /RuleNotFound/);
  });
});
