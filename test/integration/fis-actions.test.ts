/**
 * FIS's network, storage, API-error and capacity-error actions, and the "AZ Availability: Power
 * Interruption" scenario, through boto3 and the AWS CLI on the manual clock, on one server: each
 * action's effect shows through EC2's and Auto Scaling's APIs while it runs and is undone when it
 * ends or when the experiment is stopped; bad parameters are refused at create, and targets it
 * cannot act on (volumes it cannot pause, groups with a launch configuration) fail the experiment
 * with nothing injected. The scenario, instantiated for a zone
 * from the CLI and created with the AWS CLI, stops the zone's tagged instances (a group replaces
 * its own in its other zone), refuses launches there, cuts the zone's subnet off and pauses a
 * volume's I/O, and everything comes back after its duration.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { startFaultline, type Faultline } from '../harness.ts';
import { AMI, ROLE_ARN } from './fis-support.ts';

const run = promisify(execFile);
const ACCOUNT = '000000000000';
const ARN = `arn:aws:ec2:us-east-1:${ACCOUNT}`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

/** Clients, sessions of a role, the clock, and a call's outcome as "Code status Message". */
const PRELUDE = BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
asg = boto3.client('autoscaling')
fis = boto3.client('fis')
iam = boto3.client('iam')
def launch(client, subnet):
    return lambda: client.run_instances(ImageId='${AMI}', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=subnet)
def start(targets, actions):
    t = fis.create_experiment_template(description='test', roleArn='${ROLE_ARN}', stopConditions=[{'source': 'none'}], targets=targets, actions=actions)
    return fis.start_experiment(experimentTemplateId=t['experimentTemplate']['id'])['experiment']['id']
def experiment(x):
    e = fis.get_experiment(id=x)['experiment']
    return {'status': e['state']['status'], 'reason': e['state']['reason'], 'error': e['state'].get('error'), 'actions': {k: a['state']['status'] for k, a in e['actions'].items()}}
def acl_of(subnet):
    a = ec2.describe_network_acls(Filters=[{'Name': 'association.subnet-id', 'Values': [subnet]}])['NetworkAcls'][0]
    return {'id': a['NetworkAclId'], 'fis': {'Key': 'managedByFIS', 'Value': 'true'} in a.get('Tags', []), 'denyAll': [e['RuleAction'] for e in a['Entries'] if e['RuleNumber'] == 1]}
def volume_status(v): return ec2.describe_volume_status(VolumeIds=[v])['VolumeStatuses'][0]['VolumeStatus']['Status']
def states(ids): return {i['InstanceId']: i['State']['Name'] for r in ec2.describe_instances(InstanceIds=ids)['Reservations'] for i in r['Instances']}
def group_zones(name): return sorted(i['AvailabilityZone'] for g in asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])['AutoScalingGroups'] for i in g['Instances'] if i['LifecycleState'] == 'InService')
trust = json.dumps({'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::${ACCOUNT}:root'}, 'Action': 'sts:AssumeRole'}]})
`;

const ice = (zone: string) => new RegExp(`^InsufficientInstanceCapacity 500 We currently do not have sufficient t2.micro capacity in the Availability Zone you requested \\(${zone}\\)`);

describe('FIS network, storage, API and capacity actions, and the AZ power interruption scenario', () => {
  let fl: Faultline;
  const dir = mkdtempSync(join(tmpdir(), 'faultline-scenario-'));
  /** The shared network: a subnet in each of two zones, one instance in each, their root volumes, an extra volume attached in zone a. */
  let w: { vpc: string; a: string; b: string; instA: string; instB: string; rootA: string; rootB: string; extraA: string; acl: string };
  const py = (code: string) => fl.python(PRELUDE + code);
  const subnetArn = (id: string) => `${ARN}:subnet/${id}`;
  const volumeArn = (id: string) => `${ARN}:volume/${id}`;

  before(async () => {
    fl = await startFaultline();
    w = await py(`
vpc = ec2.create_vpc(CidrBlock='10.3.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.3.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.3.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
ia = ec2.run_instances(ImageId='${AMI}', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=a)['Instances'][0]
ib = ec2.run_instances(ImageId='${AMI}', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=b)['Instances'][0]
extra = ec2.create_volume(AvailabilityZone='us-east-1a', Size=1)['VolumeId']
advance(60)
ec2.attach_volume(VolumeId=extra, InstanceId=ia['InstanceId'], Device='/dev/sdf')
for name in ['chaos', 'bystander', 'launcher']:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, Tags=[{'Key': 'Chaos', 'Value': 'yes'}] if name == 'chaos' else [])
ec2.create_launch_template(LaunchTemplateName='fis-web', LaunchTemplateData={'ImageId': '${AMI}', 'InstanceType': 't2.micro'})
advance(60)
out({'vpc': vpc, 'a': a, 'b': b, 'instA': ia['InstanceId'], 'instB': ib['InstanceId'], 'rootA': ia['BlockDeviceMappings'][0]['Ebs']['VolumeId'],
     'rootB': ib['BlockDeviceMappings'][0]['Ebs']['VolumeId'], 'extraA': extra, 'acl': acl_of(a)['id']})
`);
  });
  after(async () => {
    await fl.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists each action with its description, targets and parameters (ListActions, GetAction)', async () => {
    const r = await py(`
ids = [a['id'] for p in fis.get_paginator('list_actions').paginate(PaginationConfig={'PageSize': 5}) for a in p['actions']]
new = ['aws:network:disrupt-connectivity', 'aws:ebs:pause-volume-io', 'aws:fis:inject-api-internal-error', 'aws:fis:inject-api-throttle-error',
       'aws:fis:inject-api-unavailable-error', 'aws:ec2:api-insufficient-instance-capacity-error', 'aws:ec2:asg-insufficient-instance-capacity-error']
got = {}
for i in new:
    a = fis.get_action(id=i)['action']
    got[i] = {'listed': i in ids, 'described': len(a['description']) > 20, 'targets': {k: v['resourceType'] for k, v in a['targets'].items()},
              'required': sorted(k for k, p in a['parameters'].items() if p['required']), 'optional': sorted(k for k, p in a['parameters'].items() if not p['required'])}
out(got)
`);
    const api = { listed: true, described: true, targets: { Roles: 'aws:iam:role' }, required: ['duration', 'operations', 'percentage', 'service'], optional: [] };
    const capacity = { required: ['availabilityZoneIdentifiers', 'duration'], optional: ['percentage'] };
    assert.deepEqual(r, {
      'aws:network:disrupt-connectivity': { listed: true, described: true, targets: { Subnets: 'aws:ec2:subnet' }, required: ['duration'], optional: ['prefixListIdentifier', 'scope'] },
      'aws:ebs:pause-volume-io': { listed: true, described: true, targets: { Volumes: 'aws:ec2:ebs-volume' }, required: ['duration'], optional: [] },
      'aws:fis:inject-api-internal-error': api,
      'aws:fis:inject-api-throttle-error': api,
      'aws:fis:inject-api-unavailable-error': api,
      'aws:ec2:api-insufficient-instance-capacity-error': { listed: true, described: true, targets: { Roles: 'aws:iam:role' }, ...capacity },
      'aws:ec2:asg-insufficient-instance-capacity-error': { listed: true, described: true, targets: { AutoScalingGroups: 'aws:ec2:autoscaling-group' }, ...capacity },
    });
  });

  it("cuts a subnet off with a FIS-managed network ACL and pauses a volume's I/O, each for its duration", async () => {
    const r = await py(`
x = start({'cut': {'resourceType': 'aws:ec2:subnet', 'resourceArns': ['${subnetArn(w.a)}'], 'selectionMode': 'ALL'},
           'vol': {'resourceType': 'aws:ec2:ebs-volume', 'resourceArns': ['${volumeArn(w.rootA)}'], 'selectionMode': 'ALL'}},
          {'cut': {'actionId': 'aws:network:disrupt-connectivity', 'parameters': {'duration': 'PT2M'}, 'targets': {'Subnets': 'cut'}},
           'pause': {'actionId': 'aws:ebs:pause-volume-io', 'parameters': {'duration': 'PT3M'}, 'targets': {'Volumes': 'vol'}}})
r = {}
advance(0)
r['t0'] = {'a': acl_of('${w.a}'), 'b': acl_of('${w.b}')['fis'], 'volume': volume_status('${w.rootA}'), 'x': experiment(x)}
advance(60)
r['t60'] = volume_status('${w.rootA}')
advance(60)
r['t120'] = {'a': acl_of('${w.a}'), 'clones': len(ec2.describe_network_acls(Filters=[{'Name': 'tag:managedByFIS', 'Values': ['true']}])['NetworkAcls']), 'volume': volume_status('${w.rootA}')}
advance(60)
r['t180'] = {'volume': volume_status('${w.rootA}'), 'x': experiment(x)}
out(r)
`);
    assert.equal(r.t0.a.fis, true);
    assert.notEqual(r.t0.a.id, w.acl);
    assert.deepEqual(r.t0.a.denyAll, ['deny', 'deny']);
    assert.equal(r.t0.b, false);
    // Impaired once the volume has been paused for 60 s, as EBS reports a stalled volume.
    assert.equal(r.t0.volume, 'ok');
    assert.deepEqual(r.t0.x.actions, { cut: 'running', pause: 'running' });
    assert.equal(r.t60, 'impaired');
    assert.deepEqual(r.t120, { a: { id: w.acl, fis: false, denyAll: [] }, clones: 0, volume: 'impaired' });
    assert.deepEqual(r.t180, { volume: 'ok', x: { status: 'completed', reason: 'Experiment completed.', error: null, actions: { cut: 'completed', pause: 'completed' } } });
  });

  it("fails the calls of the target roles' sessions with each API error, on the listed operations only, for the duration", async () => {
    const r = await py(`
chaos, bystander, plain = session('chaos'), session('bystander'), ec2
roles = {'resourceType': 'aws:iam:role', 'resourceTags': {'Chaos': 'yes'}, 'selectionMode': 'ALL'}
p = lambda op: {'service': 'ec2', 'operations': op, 'percentage': '100', 'duration': 'PT1M'}
x = start({'roles': roles}, {
    'internal': {'actionId': 'aws:fis:inject-api-internal-error', 'parameters': p('DescribeVpcs'), 'targets': {'Roles': 'roles'}},
    'throttle': {'actionId': 'aws:fis:inject-api-throttle-error', 'parameters': p('DescribeSubnets, DescribeKeyPairs'), 'targets': {'Roles': 'roles'}},
    'unavailable': {'actionId': 'aws:fis:inject-api-unavailable-error', 'parameters': p('DescribeSecurityGroups'), 'targets': {'Roles': 'roles'}}})
calls = lambda c: [outcome(c.describe_vpcs), outcome(c.describe_subnets), outcome(c.describe_key_pairs), outcome(c.describe_security_groups), outcome(c.describe_images)]
advance(0)
r = {'chaos': calls(chaos), 'bystander': calls(bystander), 'plain': calls(plain)}
advance(60)
r['after'] = calls(chaos)
r['x'] = experiment(x)['status']
out(r)
`);
    const throttled = 'RequestLimitExceeded 503 Request limit exceeded.';
    assert.deepEqual(r.chaos, [
      'InternalError 500 An internal error has occurred',
      throttled,
      throttled,
      "Unavailable 503 The server is overloaded and can't handle the request.",
      'ok',
    ]);
    assert.deepEqual(r.bystander, ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.deepEqual(r.plain, ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.deepEqual(r.after, ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(r.x, 'completed');
  });

  it("refuses the role's launches in the zone, and makes a group launch in its other zone, until the duration ends", async () => {
    const r = await py(`
launcher = session('launcher')
asg.create_auto_scaling_group(AutoScalingGroupName='fis-web', LaunchTemplate={'LaunchTemplateName': 'fis-web', 'Version': '$Latest'}, MinSize=0, MaxSize=4, DesiredCapacity=0, VPCZoneIdentifier='${w.a},${w.b}')
group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['fis-web'])['AutoScalingGroups'][0]['AutoScalingGroupARN']
p = {'availabilityZoneIdentifiers': 'use1-az1', 'duration': 'PT2M'}
x = start({'launcher': {'resourceType': 'aws:iam:role', 'resourceArns': ['${roleArn('launcher')}'], 'selectionMode': 'ALL'},
           'group': {'resourceType': 'aws:ec2:autoscaling-group', 'resourceArns': [group], 'selectionMode': 'ALL'}},
          {'api': {'actionId': 'aws:ec2:api-insufficient-instance-capacity-error', 'parameters': p, 'targets': {'Roles': 'launcher'}},
           'asg': {'actionId': 'aws:ec2:asg-insufficient-instance-capacity-error', 'parameters': dict(p, percentage='100'), 'targets': {'AutoScalingGroups': 'group'}}})
advance(0)
r = {'launcherA': outcome(launch(launcher, '${w.a}')), 'launcherB': outcome(launch(launcher, '${w.b}')), 'plainA': outcome(launch(ec2, '${w.a}'))}
asg.set_desired_capacity(AutoScalingGroupName='fis-web', DesiredCapacity=2)
advance(60)
r['during'] = group_zones('fis-web')
advance(60)
r['x'] = experiment(x)['status']
r['launcherAfter'] = outcome(launch(launcher, '${w.a}'))
asg.set_desired_capacity(AutoScalingGroupName='fis-web', DesiredCapacity=3)
# The group tries the zone again once its backoff after the failed launches is over (at most 5 minutes).
advance(300)
r['afterwards'] = group_zones('fis-web')
out(r)
`);
    assert.match(r.launcherA, ice('us-east-1a'));
    assert.deepEqual([r.launcherB, r.plainA], ['ok', 'ok']);
    assert.deepEqual(r.during, ['us-east-1b', 'us-east-1b']);
    assert.equal(r.x, 'completed');
    assert.equal(r.launcherAfter, 'ok');
    assert.deepEqual(r.afterwards, ['us-east-1a', 'us-east-1b', 'us-east-1b']);
  });

  it('rolls every fault back when the experiment is stopped', async () => {
    const r = await py(`
launcher, chaos = session('launcher'), session('chaos')
group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['fis-web'])['AutoScalingGroups'][0]['AutoScalingGroupARN']
long = 'PT10M'
x = start({'cut': {'resourceType': 'aws:ec2:subnet', 'filters': [{'path': 'SubnetId', 'values': ['${w.b}']}], 'selectionMode': 'ALL'},
           'vol': {'resourceType': 'aws:ec2:ebs-volume', 'resourceArns': ['${volumeArn(w.extraA)}'], 'selectionMode': 'ALL'},
           'roles': {'resourceType': 'aws:iam:role', 'resourceArns': ['${roleArn('chaos')}', '${roleArn('launcher')}'], 'selectionMode': 'ALL'},
           'group': {'resourceType': 'aws:ec2:autoscaling-group', 'resourceArns': [group], 'selectionMode': 'ALL'}},
          {'cut': {'actionId': 'aws:network:disrupt-connectivity', 'parameters': {'duration': long, 'scope': 'all'}, 'targets': {'Subnets': 'cut'}},
           'pause': {'actionId': 'aws:ebs:pause-volume-io', 'parameters': {'duration': long}, 'targets': {'Volumes': 'vol'}},
           'errors': {'actionId': 'aws:fis:inject-api-internal-error', 'parameters': {'service': 'ec2', 'operations': 'DescribeVpcs', 'percentage': '100', 'duration': long}, 'targets': {'Roles': 'roles'}},
           'api': {'actionId': 'aws:ec2:api-insufficient-instance-capacity-error', 'parameters': {'availabilityZoneIdentifiers': 'us-east-1a', 'duration': long}, 'targets': {'Roles': 'roles'}},
           'asg': {'actionId': 'aws:ec2:asg-insufficient-instance-capacity-error', 'parameters': {'availabilityZoneIdentifiers': 'us-east-1a', 'duration': long}, 'targets': {'AutoScalingGroups': 'group'}}})
advance(61)
r = {'faults': sorted(f['kind'] for f in control('/_faultline/faults')['faults']), 'b': acl_of('${w.b}')['fis'], 'volume': volume_status('${w.extraA}'),
     'vpcs': outcome(chaos.describe_vpcs), 'launch': outcome(launch(launcher, '${w.a}'))}
fis.stop_experiment(id=x)
advance(0)
r['stopped'] = experiment(x)
r['after'] = {'faults': control('/_faultline/faults')['faults'], 'b': acl_of('${w.b}'), 'volume': volume_status('${w.extraA}'),
              'vpcs': outcome(chaos.describe_vpcs), 'launch': outcome(launch(launcher, '${w.a}'))}
out(r)
`);
    assert.deepEqual(r.faults, ['api', 'capacity', 'capacity', 'subnet', 'volume']);
    assert.equal(r.b, true);
    assert.equal(r.volume, 'impaired');
    assert.equal(r.vpcs, 'InternalError 500 An internal error has occurred');
    assert.match(r.launch, ice('us-east-1a'));
    const stopped = { cut: 'stopped', pause: 'stopped', errors: 'stopped', api: 'stopped', asg: 'stopped' };
    assert.deepEqual(r.stopped, { status: 'stopped', reason: 'Experiment stopped by user.', error: null, actions: stopped });
    assert.deepEqual(r.after.faults, []);
    assert.equal(r.after.b.fis, false);
    assert.equal(r.after.volume, 'ok');
    assert.deepEqual([r.after.vpcs, r.after.launch], ['ok', 'ok']);
  });

  it('refuses bad parameters at create, and fails an experiment on volumes it cannot pause or groups with a launch configuration, with nothing injected', async () => {
    const r = await py(`
subnets = {'s': {'resourceType': 'aws:ec2:subnet', 'resourceArns': ['${subnetArn(w.a)}'], 'selectionMode': 'ALL'}}
roles = {'r': {'resourceType': 'aws:iam:role', 'resourceArns': ['${roleArn('chaos')}'], 'selectionMode': 'ALL'}}
tagged = {'r': {'resourceType': 'aws:iam:role', 'resourceTags': {'Chaos': 'yes'}, 'selectionMode': 'ALL'}}
vols = {'v': {'resourceType': 'aws:ec2:ebs-volume', 'resourceArns': ['${volumeArn(w.rootA)}'], 'selectionMode': 'ALL'}}
cut = lambda p: {'a': {'actionId': 'aws:network:disrupt-connectivity', 'parameters': p, 'targets': {'Subnets': 's'}}}
api = lambda p: {'a': {'actionId': 'aws:fis:inject-api-throttle-error', 'parameters': dict({'service': 'ec2', 'operations': 'DescribeVpcs', 'percentage': '50', 'duration': 'PT1M'}, **p), 'targets': {'Roles': 'r'}}}
ice = lambda p: {'a': {'actionId': 'aws:ec2:api-insufficient-instance-capacity-error', 'parameters': dict({'availabilityZoneIdentifiers': 'us-east-1a', 'duration': 'PT1M'}, **p), 'targets': {'Roles': 'r'}}}
bad = {
  'scopeVpc': (subnets, cut({'duration': 'PT1M', 'scope': 'vpc'})),
  'scopeBogus': (subnets, cut({'duration': 'PT1M', 'scope': 'everything'})),
  'prefixList': (subnets, cut({'duration': 'PT1M', 'prefixListIdentifier': 'pl-0123'})),
  'noDuration': (subnets, cut({})),
  'shortDuration': (subnets, cut({'duration': 'PT30S'})),
  'pauseTooLong': (vols, {'a': {'actionId': 'aws:ebs:pause-volume-io', 'parameters': {'duration': 'PT13H'}, 'targets': {'Volumes': 'v'}}}),
  'kinesis': (roles, api({'service': 'kinesis'})),
  'service': (roles, api({'service': 's3'})),
  'operation': (roles, api({'operations': 'DescribeVpcs,LaunchRocket'})),
  'percentage': (roles, api({'percentage': '0'})),
  'noOperations': (roles, {'a': {'actionId': 'aws:fis:inject-api-throttle-error', 'parameters': {'service': 'ec2', 'percentage': '50', 'duration': 'PT1M'}, 'targets': {'Roles': 'r'}}}),
  'zone': (roles, ice({'availabilityZoneIdentifiers': 'us-east-1a,use1-az9'})),
  'rolesByTag': (tagged, ice({})),
}
r = {'created': {}}
before = len(fis.list_experiment_templates()['experimentTemplates'])
for name, (targets, actions) in bad.items():
    try:
        fis.create_experiment_template(description='bad', roleArn='${ROLE_ARN}', stopConditions=[{'source': 'none'}], targets=targets, actions=actions)
        r['created'][name] = 'created'
    except botocore.exceptions.ClientError as e:
        r['created'][name] = '%s %d %s' % (e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message'])
r['templates'] = len(fis.list_experiment_templates()['experimentTemplates']) - before
detached = ec2.create_volume(AvailabilityZone='us-east-1a', Size=1)['VolumeId']
pause = {'a': {'actionId': 'aws:ebs:pause-volume-io', 'parameters': {'duration': 'PT1M'}, 'targets': {'Volumes': 'v'}}}
twoZones = start({'v': {'resourceType': 'aws:ec2:ebs-volume', 'resourceArns': ['${volumeArn(w.rootA)}', '${volumeArn(w.rootB)}'], 'selectionMode': 'ALL'}}, pause)
unattached = start({'v': {'resourceType': 'aws:ec2:ebs-volume', 'resourceArns': ['${volumeArn(w.rootA)}', '${ARN}:volume/' + detached], 'selectionMode': 'ALL'}}, pause)
asg.create_launch_configuration(LaunchConfigurationName='fis-lc', ImageId='${AMI}', InstanceType='t2.micro')
asg.create_auto_scaling_group(AutoScalingGroupName='fis-lc', LaunchConfigurationName='fis-lc', MinSize=0, MaxSize=2, DesiredCapacity=0, VPCZoneIdentifier='${w.a}')
lcGroup = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['fis-lc'])['AutoScalingGroups'][0]['AutoScalingGroupARN']
configured = start({'g': {'resourceType': 'aws:ec2:autoscaling-group', 'resourceArns': [lcGroup], 'selectionMode': 'ALL'}},
                   {'a': {'actionId': 'aws:ec2:asg-insufficient-instance-capacity-error', 'parameters': {'availabilityZoneIdentifiers': 'us-east-1a', 'duration': 'PT1M'}, 'targets': {'AutoScalingGroups': 'g'}}})
advance(0)
r['twoZones'], r['unattached'], r['configured'] = experiment(twoZones), experiment(unattached), experiment(configured)
r['faults'] = control('/_faultline/faults')['faults']
r['volume'] = volume_status('${w.rootA}')
r['detached'] = detached
out(r)
`);
    const v = (m: string) => `ValidationException 400 Action a: ${m}`;
    assert.deepEqual(r.created, {
      scopeVpc: v('parameter scope vpc is not supported by faultline, which disrupts connectivity with scope all only.'),
      scopeBogus: v('parameter scope must be one of all, availability-zone, dynamodb, prefix-list, s3, s3express, vpc, not everything.'),
      prefixList: v('parameter prefixListIdentifier is used only with scope prefix-list, which faultline does not support.'),
      noDuration: v('aws:network:disrupt-connectivity requires the parameter duration.'),
      shortDuration: v('parameter duration must be from PT1M to PT12H.'),
      pauseTooLong: v('parameter duration must be from PT1S to PT12H.'),
      kinesis: v('parameter service kinesis is not supported: faultline does not serve Kinesis; use ec2.'),
      service: v('parameter service must be ec2, not s3.'),
      operation: v('parameter operations names no EC2 operation: LaunchRocket.'),
      percentage: v('parameter percentage must be a whole number from 1 to 100, not 0.'),
      noOperations: v('aws:fis:inject-api-throttle-error requires the parameter operations.'),
      zone: v('parameter availabilityZoneIdentifiers names no Availability Zone of us-east-1: use1-az9.'),
      rolesByTag: v('aws:ec2:api-insufficient-instance-capacity-error takes its target r by resourceArns only.'),
    });
    assert.equal(r.templates, 0);
    assert.deepEqual(r.twoZones.actions, { a: 'failed' });
    assert.equal(r.twoZones.status, 'failed');
    assert.equal(r.twoZones.error.code, 'InvalidTarget');
    assert.equal(r.twoZones.reason, 'Action a failed: The target volumes must be in one Availability Zone; they are in us-east-1a, us-east-1b.');
    assert.equal(r.unattached.reason, `Action a failed: The target volumes must be attached to instances; ${r.detached} is not.`);
    assert.deepEqual([r.configured.status, r.configured.error.code], ['failed', 'InvalidTarget']);
    assert.equal(r.configured.reason, 'Action a failed: Auto Scaling groups fis-lc use a launch configuration; the action supports groups with a launch template only.');
    assert.deepEqual(r.faults, []);
    assert.equal(r.volume, 'ok');
  });
  it('is instantiated for a zone from the CLI, created with the AWS CLI, and powers the zone off and back on', async () => {
    const w = await fl.python(`${PRELUDE}
vpc = ec2.create_vpc(CidrBlock='10.4.0.0/16')['Vpc']['VpcId']
tag = lambda v: [{'Key': 'AzImpairmentPower', 'Value': v}]
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.4.1.0/24', AvailabilityZone='us-east-1a', TagSpecifications=[{'ResourceType': 'subnet', 'Tags': tag('DisruptSubnet')}])['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.4.2.0/24', AvailabilityZone='us-east-1b', TagSpecifications=[{'ResourceType': 'subnet', 'Tags': tag('DisruptSubnet')}])['Subnet']['SubnetId']
run = lambda s, n: [i['InstanceId'] for i in ec2.run_instances(ImageId='${AMI}', InstanceType='t2.micro', MinCount=n, MaxCount=n, SubnetId=s,
    TagSpecifications=[{'ResourceType': 'instance', 'Tags': tag('StopInstances')}])['Instances']]
inA, inB = run(a, 2), run(b, 1)
data = ec2.create_volume(AvailabilityZone='us-east-1a', Size=1, TagSpecifications=[{'ResourceType': 'volume', 'Tags': tag('ApiPauseVolume')}])['VolumeId']
asg.create_auto_scaling_group(AutoScalingGroupName='ice', LaunchTemplate={'LaunchTemplateName': 'fis-web', 'Version': '$Latest'}, MinSize=2, MaxSize=2, DesiredCapacity=2,
    VPCZoneIdentifier=a + ',' + b, Tags=[{'Key': 'AzImpairmentPower', 'Value': 'IceAsg', 'PropagateAtLaunch': True}])
advance(60)
ec2.attach_volume(VolumeId=data, InstanceId=inA[0], Device='/dev/sdf')
out({'a': a, 'b': b, 'inA': inA, 'inB': inB, 'data': data, 'acl': acl_of(a)['id']})
`);
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: fl.clientEnv });
    const { stdout } = await cli('fis', 'scenario', 'az-power-interruption', '--az', 'use1-az1', '--duration', 'PT5M', '--launch-role', roleArn('launcher'));
    const template = JSON.parse(stdout);
    const viaControl = await (await fetch(`${fl.url}/_faultline/fis/scenarios/az-power-interruption?az=use1-az1&duration=PT5M&launchRole=${encodeURIComponent(roleArn('launcher'))}`)).json();
    assert.deepEqual(viaControl, template);
    // Composed as AWS composes it: its action names, AWS's tag values, startAfter, skip, no stop condition.
    assert.deepEqual(Object.keys(template.actions).sort(), ['Pause-ASG-Scaling', 'Pause-EBS-IO', 'Pause-Instance-Launches', 'Pause-network-connectivity', 'Stop-ASG-Instances', 'Stop-Instances']);
    assert.deepEqual(template.actions['Pause-EBS-IO'].startAfter, ['Stop-Instances', 'Stop-ASG-Instances']);
    assert.deepEqual(template.targets['EC2-Instances'].filters, [{ path: 'State.Name', values: ['running'] }, { path: 'Placement.AvailabilityZone', values: ['us-east-1a'] }]);
    assert.deepEqual(template.stopConditions, [{ source: 'none' }]);
    assert.equal(template.experimentOptions.emptyTargetResolutionMode, 'skip');
    assert.match(template.description, /Failover-RDS .*Pause-ElastiCache .*Start-ARC-Zonal-Autoshift/);

    const file = join(dir, 't.json');
    writeFileSync(file, stdout);
    const created = await fl.aws('fis', 'create-experiment-template', '--cli-input-json', `file://${file}`);
    const started = await fl.aws('fis', 'start-experiment', '--experiment-template-id', created.experimentTemplate.id);
    const x = started.experiment.id;

    const r = await fl.python(`${PRELUDE}
launcher = session('launcher')
ids = ${JSON.stringify([...w.inA, ...w.inB])}
r = {}
advance(60)
r['t60'] = {'states': states(ids), 'acl': acl_of('${w.a}')['fis'], 'aclB': acl_of('${w.b}')['fis'], 'launchA': outcome(launch(launcher, '${w.a}')), 'launchB': outcome(launch(launcher, '${w.b}')), 'x': experiment('${x}'), 'ice': group_zones('ice')}
advance(90)
r['t150'] = acl_of('${w.a}')['id']
advance(250)
r['t400'] = {'ice': group_zones('ice'), 'states': states(ids), 'volume': volume_status('${w.data}'), 'launchA': outcome(launch(launcher, '${w.a}')), 'x': experiment('${x}')['actions']}
advance(300)
r['t700'] = {'ice': group_zones('ice'), 'states': states(ids), 'volume': volume_status('${w.data}'), 'x': experiment('${x}')}
out(r)
`);
    const [a0, a1] = w.inA;
    const [b0] = w.inB;
    // Power off: the zone's tagged instances stop, launches there fail, its subnet is cut off.
    assert.deepEqual(r.t60.states, { [a0]: 'stopped', [a1]: 'stopped', [b0]: 'running' });
    assert.deepEqual([r.t60.acl, r.t60.aclB], [true, false]);
    assert.match(r.t60.launchA, ice('us-east-1a'));
    assert.equal(r.t60.launchB, 'ok');
    assert.equal(r.t60.x.status, 'running');
    assert.deepEqual(r.t60.x.actions, {
      'Stop-Instances': 'running',
      'Stop-ASG-Instances': 'running',
      'Pause-ASG-Scaling': 'running',
      'Pause-Instance-Launches': 'running',
      'Pause-network-connectivity': 'running',
      'Pause-EBS-IO': 'pending',
    });
    // The group's instance in the zone was stopped; the group replaced it in its other zone.
    assert.deepEqual(r.t60.ice, ['us-east-1b', 'us-east-1b']);
    // Connectivity returns after 2 minutes.
    assert.equal(r.t150, w.acl);
    // After the 5 minutes the instances are back, launches succeed, and the tagged volume's I/O is paused.
    assert.deepEqual(r.t400.states, { [a0]: 'running', [a1]: 'running', [b0]: 'running' });
    assert.equal(r.t400.launchA, 'ok');
    assert.equal(r.t400.volume, 'impaired');
    assert.equal(r.t400.x['Pause-EBS-IO'], 'running');
    assert.equal(r.t700.volume, 'ok');
    // Launches in the zone work again: the group has rebalanced into it.
    assert.deepEqual(r.t700.ice, ['us-east-1a', 'us-east-1b']);
    assert.equal(r.t700.x.status, 'completed');
  });

  it('refuses a zone that does not exist or a bad duration, from the CLI and the control API', async () => {
    const res = await fetch(`${fl.url}/_faultline/fis/scenarios/az-power-interruption?az=us-east-1z`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'There is no Availability Zone us-east-1z in us-east-1.', code: 'ValidationException' });
    const cli = run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'fis', 'scenario', 'az-power-interruption', '--az', 'us-east-1a', '--duration', 'PT30S'], { env: fl.clientEnv });
    await assert.rejects(cli, /The duration must be from PT1M to PT12H\./);
  });
});
