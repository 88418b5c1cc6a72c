/**
 * Every instance type of the EC2 model, with AWS's published figures (the generated catalogue),
 * through DescribeInstanceTypes and DescribeInstanceTypeOfferings, and launched by RunInstances.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

describe('instance types', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it("lists every type of botocore's InstanceType enumeration with AWS's figures, with filters and pages", async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2')
enum = ec2.meta.service_model.shape_for('InstanceType').enum
listed = [t for p in ec2.get_paginator('describe_instance_types').paginate() for t in p['InstanceTypes']]
first = ec2.describe_instance_types()
page = ec2.describe_instance_types(MaxResults=5)
following = ec2.describe_instance_types(MaxResults=5, NextToken=page['NextToken'])
def pick(name):
    t = ec2.describe_instance_types(InstanceTypes=[name])['InstanceTypes'][0]
    return [t['VCpuInfo']['DefaultVCpus'], t['MemoryInfo']['SizeInMiB'], t['ProcessorInfo']['SupportedArchitectures'], t.get('Hypervisor'),
            t['NetworkInfo']['NetworkPerformance'], t['CurrentGeneration'], t['AutoRecoverySupported']]
arm = ec2.get_paginator('describe_instance_types').paginate(Filters=[
    {'Name': 'processor-info.supported-architecture', 'Values': ['arm64']}, {'Name': 'current-generation', 'Values': ['true']}])
arm = {t['InstanceType'] for p in arm for t in p['InstanceTypes']}
out({
  'enum': len(enum), 'listed': len(listed), 'same': sorted(enum) == sorted(t['InstanceType'] for t in listed),
  'firstPage': [len(first['InstanceTypes']), 'NextToken' in first],
  'pages': [len(page['InstanceTypes']), len(following['InstanceTypes']), set(t['InstanceType'] for t in page['InstanceTypes']).isdisjoint(t['InstanceType'] for t in following['InstanceTypes'])],
  'm3.medium': pick('m3.medium'), 'm6g.large': pick('m6g.large'), 't3.micro': pick('t3.micro'),
  'arm': ['m6g.large' in arm, 'a1.large' in arm, 'm5.large' in arm],
  'unknown': outcome(lambda: ec2.describe_instance_types(InstanceTypes=['m3.medium', 'x9.tiny'])),
})
`);
    assert.ok(out.enum > 1000, `${out.enum} types in the enumeration`);
    assert.equal(out.listed, out.enum);
    assert.equal(out.same, true);
    assert.deepEqual(out.firstPage, [100, true]);
    assert.deepEqual(out.pages, [5, 5, true]);
    assert.deepEqual(out['m3.medium'], [1, 3840, ['x86_64'], 'xen', 'Moderate', false, true]);
    assert.deepEqual(out['m6g.large'], [2, 8192, ['arm64'], 'nitro', 'Up to 10 Gigabit', true, true]);
    assert.deepEqual(out['t3.micro'], [2, 1024, ['x86_64'], 'nitro', 'Up to 5 Gigabit', true, true]);
    // a1 is a previous generation on AWS's pages.
    assert.deepEqual(out.arm, [true, false, false]);
    assert.match(out.unknown, /^InvalidInstanceType 400 The following supplied instance types do not exist: \[x9.tiny\]/);
  });

  it('offers types per region, AZ and AZ id as AWS recorded them', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2')
def where(location_type, name):
    pages = ec2.get_paginator('describe_instance_type_offerings').paginate(LocationType=location_type, Filters=[{'Name': 'instance-type', 'Values': [name]}])
    return sorted(o['Location'] for p in pages for o in p['InstanceTypeOfferings'])
out({
  'region': where('region', 'm3.medium'),
  'zones': where('availability-zone', 't3.micro'),
  'ids': where('availability-zone-id', 't3.micro'),
  'c5': ec2.describe_instance_type_offerings(LocationType='availability-zone', Filters=[{'Name': 'location', 'Values': ['us-east-1a']}, {'Name': 'instance-type', 'Values': ['c5.*']}])['InstanceTypeOfferings'][0]['LocationType'],
  'bad': outcome(lambda: ec2.describe_instance_type_offerings(LocationType='planet')),
})
`);
    assert.deepEqual(out.region, ['us-east-1']);
    // use1-az3, us-east-1c in faultline's account, is AWS's constrained zone: few types, no t3.
    assert.deepEqual(out.zones, ['us-east-1a', 'us-east-1b', 'us-east-1d', 'us-east-1e', 'us-east-1f']);
    assert.deepEqual(out.ids, ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6']);
    assert.equal(out.c5, 'availability-zone');
    assert.match(out.bad, /^InvalidParameterValue 400 /);
  });

  it("launches the book's m3.medium, and refuses an AMI of another architecture", async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2')
book = ec2.run_instances(ImageId='ami-1ecae776', InstanceType='m3.medium', MinCount=1, MaxCount=1)['Instances'][0]
out({
  'book': [book['InstanceType'], book['CpuOptions']],
  'arm': outcome(lambda: ec2.run_instances(ImageId='ami-1ecae776', InstanceType='m6g.large', MinCount=1, MaxCount=1)),
})
`);
    assert.deepEqual(out.book, ['m3.medium', { CoreCount: 1, ThreadsPerCore: 1 }]);
    assert.match(out.arm, /^InvalidParameterValue 400 The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI/);
  });

  it('refuses a type in an AZ that does not offer it, picks an offering AZ when none is named, and an Auto Scaling group goes on to its other zones', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
asg = boto3.client('autoscaling', config=no_retry)
def run(**kw): return ec2.run_instances(ImageId='ami-1ecae776', MinCount=1, MaxCount=1, **kw)['Instances'][0]
refused = outcome(lambda: run(InstanceType='t3.micro', Placement={'AvailabilityZone': 'us-east-1c'}))
nowhere = outcome(lambda: run(InstanceType='cc2.8xlarge'))
picked = [run(InstanceType='t3.micro')['Placement']['AvailabilityZone'] for _ in range(6)]
asg.create_launch_configuration(LaunchConfigurationName='t3', ImageId='ami-1ecae776', InstanceType='t3.micro')
asg.create_auto_scaling_group(AutoScalingGroupName='two-zones', LaunchConfigurationName='t3', MinSize=2, MaxSize=2, AvailabilityZones=['us-east-1b', 'us-east-1c'])
ec2.create_launch_template(LaunchTemplateName='mixed', LaunchTemplateData={'ImageId': 'ami-1ecae776', 'InstanceType': 't3.micro'})
asg.create_auto_scaling_group(AutoScalingGroupName='mixed', MinSize=1, MaxSize=1, AvailabilityZones=['us-east-1c'], MixedInstancesPolicy={
    'LaunchTemplate': {'LaunchTemplateSpecification': {'LaunchTemplateName': 'mixed'}, 'Overrides': [{'InstanceType': 't3.micro'}, {'InstanceType': 't2.micro'}]}})
advance(30)
group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['two-zones', 'mixed'])['AutoScalingGroups']
failed = [a['StatusMessage'] for a in asg.describe_scaling_activities(AutoScalingGroupName='two-zones')['Activities'] if a['StatusCode'] == 'Failed']
out({'refused': refused, 'nowhere': nowhere, 'picked': picked, 'failed': failed,
     'zones': {g['AutoScalingGroupName']: sorted(i['AvailabilityZone'] for i in g['Instances']) for g in group},
     'mixed_type': [i['InstanceType'] for g in group if g['AutoScalingGroupName'] == 'mixed' for i in g['Instances']]})
`);
    assert.equal(
      out.refused,
      'Unsupported 400 Your requested instance type (t3.micro) is not supported in your requested Availability Zone (us-east-1c). Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1b, us-east-1d, us-east-1e, us-east-1f.',
    );
    assert.equal(out.nowhere, 'Unsupported 400 The requested configuration is currently not supported. Please check the documentation for supported configurations.');
    assert.ok(!out.picked.includes('us-east-1c'), `EC2 picks only zones that offer the type: ${out.picked}`);
    assert.equal(new Set(out.picked).size, 5, 'and spreads over all five of them');
    assert.deepEqual(out.zones['two-zones'], ['us-east-1b', 'us-east-1b'], 'the group launches in its zone that offers the type');
    assert.match(out.failed[0], /^Your requested instance type \(t3\.micro\) is not supported in your requested Availability Zone \(us-east-1c\)\. .* Launching EC2 instance failed\.$/);
    assert.deepEqual(out.mixed_type, ['t2.micro'], 'a mixed instances group takes the next type the zone offers');
  });
});
