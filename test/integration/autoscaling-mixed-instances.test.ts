/**
 * Auto Scaling groups with a MixedInstancesPolicy, through boto3 on the manual clock: the API's
 * defaults in DescribeAutoScalingGroups, the On-Demand/Spot split (the base, then the percentage
 * rounded up in favour of On-Demand) as the group grows and shrinks, prioritized and lowest-price
 * picks, Spot spread over the cheapest pools, weights counting toward the desired capacity, the
 * next type when one type lacks capacity in a zone (a capacity fault for that type), the
 * failure in AWS's words when every type does, the validation errors, and the CloudFormation
 * property.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { startFaultline, type Faultline } from '../harness.ts';

const PRELUDE =
  BOTO3_PRELUDE +
  `
ec2 = boto3.client('ec2')
asg = boto3.client('autoscaling', config=no_retry)
def mixed(name, overrides, distribution=None, **kw):
    policy = {'LaunchTemplate': {'LaunchTemplateSpecification': {'LaunchTemplateName': 'web'}, 'Overrides': overrides}}
    if distribution is not None: policy['InstancesDistribution'] = distribution
    args = dict(AutoScalingGroupName=name, MixedInstancesPolicy=policy, MinSize=0, MaxSize=20, AvailabilityZones=['us-east-1a'])
    args.update(kw)
    asg.create_auto_scaling_group(**args)
def group(name): return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])['AutoScalingGroups'][0]
def lifecycles(name):
    ids = [i['InstanceId'] for i in group(name)['Instances']]
    insts = [i for r in ec2.describe_instances(InstanceIds=ids)['Reservations'] for i in r['Instances']] if ids else []
    return sorted((i['InstanceType'], i.get('InstanceLifecycle', 'on-demand')) for i in insts)
def split(name):
    ls = [l for _, l in lifecycles(name)]
    return {'on-demand': ls.count('on-demand'), 'spot': ls.count('spot')}
`;

const types = (pairs: [string, string][]) => pairs.map(([t]) => t);

describe('Auto Scaling: mixed instances groups', () => {
  let fl: Faultline;
  const py = (code: string) => fl.python(PRELUDE + code);
  before(async () => {
    fl = await startFaultline();
    await py(`ec2.create_launch_template(LaunchTemplateName='web', LaunchTemplateData={'ImageId': 'ami-1ecae776', 'InstanceType': 't2.micro'})`);
  });
  after(() => fl.close());

  it("fills in the API's defaults and keeps what an update does not give", async () => {
    const r = await py(`
mixed('defaults', [{'InstanceType': 'm5.large'}, {'InstanceType': 'c5.large'}])
before = group('defaults')['MixedInstancesPolicy']
asg.update_auto_scaling_group(AutoScalingGroupName='defaults', MixedInstancesPolicy={'InstancesDistribution': {'OnDemandPercentageAboveBaseCapacity': 25, 'SpotAllocationStrategy': 'capacity-optimized'}})
out({'before': before, 'after': group('defaults')['MixedInstancesPolicy'], 'hasLaunchTemplate': 'LaunchTemplate' in group('defaults')})
`);
    const lt = r.before.LaunchTemplate.LaunchTemplateSpecification;
    assert.match(lt.LaunchTemplateId, /^lt-/);
    assert.deepEqual([lt.LaunchTemplateName, lt.Version], ['web', '$Default']);
    assert.deepEqual(r.before.LaunchTemplate.Overrides, [{ InstanceType: 'm5.large' }, { InstanceType: 'c5.large' }]);
    assert.deepEqual(r.before.InstancesDistribution, {
      OnDemandAllocationStrategy: 'prioritized',
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 100,
      SpotAllocationStrategy: 'lowest-price',
      SpotInstancePools: 2,
    });
    assert.deepEqual(r.after.LaunchTemplate, r.before.LaunchTemplate, 'the overrides stay');
    assert.deepEqual(r.after.InstancesDistribution, {
      OnDemandAllocationStrategy: 'prioritized',
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 25,
      SpotAllocationStrategy: 'capacity-optimized',
    });
    assert.equal(r.hasLaunchTemplate, false);
  });

  it('splits On-Demand and Spot by the base and the percentage, rounding up for On-Demand, growing and shrinking', async () => {
    await py(`mixed('split', [{'InstanceType': 'm5.large'}, {'InstanceType': 'c5.large'}],
  {'OnDemandBaseCapacity': 2, 'OnDemandPercentageAboveBaseCapacity': 50, 'SpotAllocationStrategy': 'capacity-optimized-prioritized'}, DesiredCapacity=7)`);
    fl.advance(60);
    // 2 + ceil(5 × 50 %) = 5 On-Demand, 2 Spot.
    const seven = await py(`out(lifecycles('split'))`);
    assert.deepEqual(seven, [
      ['m5.large', 'on-demand'],
      ['m5.large', 'on-demand'],
      ['m5.large', 'on-demand'],
      ['m5.large', 'on-demand'],
      ['m5.large', 'on-demand'],
      ['m5.large', 'spot'],
      ['m5.large', 'spot'],
    ]);
    await py(`asg.set_desired_capacity(AutoScalingGroupName='split', DesiredCapacity=12)`);
    fl.advance(60);
    // 2 + ceil(10 × 50 %) = 7.
    assert.deepEqual(await py(`out(split('split'))`), { 'on-demand': 7, spot: 5 });
    await py(`asg.set_desired_capacity(AutoScalingGroupName='split', DesiredCapacity=3)`);
    fl.advance(60);
    // 2 + ceil(1 × 50 %) = 3: each side shrinks to its share.
    assert.deepEqual(await py(`out(split('split'))`), { 'on-demand': 3, spot: 0 });
    await py(`asg.set_desired_capacity(AutoScalingGroupName='split', DesiredCapacity=1)`);
    fl.advance(60);
    // A base above the desired capacity is all of it.
    assert.deepEqual(await py(`out(split('split'))`), { 'on-demand': 1, spot: 0 });
  });

  it('launches the first override with prioritized, the cheapest with lowest-price, and spreads Spot over the cheapest pools', async () => {
    const overrides = `[{'InstanceType': 'm5.large'}, {'InstanceType': 'r5.large'}, {'InstanceType': 'c5.large'}, {'InstanceType': 't3.micro'}]`;
    await py(`
mixed('prioritized', ${overrides}, {'OnDemandAllocationStrategy': 'prioritized'}, DesiredCapacity=2)
mixed('cheapest', ${overrides}, {'OnDemandAllocationStrategy': 'lowest-price'}, DesiredCapacity=2)
mixed('pools', ${overrides}, {'OnDemandPercentageAboveBaseCapacity': 0, 'SpotAllocationStrategy': 'lowest-price', 'SpotInstancePools': 2}, DesiredCapacity=4)
mixed('one-pool', ${overrides}, {'OnDemandPercentageAboveBaseCapacity': 0, 'SpotInstancePools': 1}, DesiredCapacity=2)
`);
    fl.advance(60);
    const r = await py(`out({n: lifecycles(n) for n in ['prioritized', 'cheapest', 'pools', 'one-pool']})`);
    assert.deepEqual(types(r.prioritized), ['m5.large', 'm5.large']);
    // t3.micro is the cheapest (about $0.0104 an hour), then c5.large (about $0.085).
    assert.deepEqual(types(r.cheapest), ['t3.micro', 't3.micro']);
    assert.deepEqual(r.pools, [
      ['c5.large', 'spot'],
      ['c5.large', 'spot'],
      ['t3.micro', 'spot'],
      ['t3.micro', 'spot'],
    ]);
    assert.deepEqual(r['one-pool'], [
      ['t3.micro', 'spot'],
      ['t3.micro', 'spot'],
    ]);
  });

  it('counts weights toward the desired capacity, overshooting rather than falling short, and shows them on the instances', async () => {
    await py(`mixed('weighted', [{'InstanceType': 'c5.large', 'WeightedCapacity': '2'}, {'InstanceType': 'c5.xlarge', 'WeightedCapacity': '4'}], DesiredCapacity=5)`);
    fl.advance(60);
    const five = await py(`g = group('weighted'); out([[i['InstanceType'], i['WeightedCapacity'], i['LaunchTemplate']['LaunchTemplateName']] for i in g['Instances']])`);
    // 3 × 2 units: 6 ≥ 5, and no instance can go without falling below 5.
    assert.deepEqual(five, [
      ['c5.large', '2', 'web'],
      ['c5.large', '2', 'web'],
      ['c5.large', '2', 'web'],
    ]);
    fl.advance(120);
    const settled = await py(`out([a['Description'].split(':')[0] for a in asg.describe_scaling_activities(AutoScalingGroupName='weighted')['Activities']])`);
    assert.equal(settled.length, 3, 'an overshoot is the desired capacity: nothing more is launched or terminated');
    await py(`asg.set_desired_capacity(AutoScalingGroupName='weighted', DesiredCapacity=2)`);
    fl.advance(60);
    const two = await py(`g = group('weighted'); out([g['DesiredCapacity'], [i['WeightedCapacity'] for i in g['Instances'] if i['LifecycleState'] == 'InService']])`);
    assert.deepEqual(two, [2, ['2']]);
  });

  it('launches the next type in a zone whose capacity for one type runs out, and fails there in AWS words when every type does', async () => {
    const r = await py(`
control('/_faultline/faults', {'kind': 'capacity', 'target': 'us-east-1a', 'instanceTypes': ['m5.large']})
mixed('fallback', [{'InstanceType': 'm5.large'}, {'InstanceType': 'c5.large'}], DesiredCapacity=2, AvailabilityZones=['us-east-1a', 'us-east-1b'])
advance(60)
first = sorted([i['AvailabilityZone'], i['InstanceType']] for i in group('fallback')['Instances'])
failed = [a for a in asg.describe_scaling_activities(AutoScalingGroupName='fallback')['Activities'] if a['StatusCode'] == 'Failed']
control('/_faultline/faults', {'kind': 'capacity', 'target': 'us-east-1a', 'instanceTypes': ['c5.large']})
mixed('spot-fallback', [{'InstanceType': 'm5.large'}, {'InstanceType': 'c5.large'}], {'OnDemandPercentageAboveBaseCapacity': 0}, DesiredCapacity=1)
asg.set_desired_capacity(AutoScalingGroupName='fallback', DesiredCapacity=4)
advance(60)
acts = lambda n: [a['StatusMessage'] for a in asg.describe_scaling_activities(AutoScalingGroupName=n)['Activities'] if a['StatusCode'] == 'Failed']
r = {'first': first, 'failedBefore': len(failed), 'then': sorted([i['AvailabilityZone'], i['InstanceType']] for i in group('fallback')['Instances']),
     'onDemand': acts('fallback'), 'spot': acts('spot-fallback'), 'spotInstances': len(group('spot-fallback')['Instances'])}
control('/_faultline/faults/heal-all', {})
out(r)
`);
    assert.deepEqual(r.first, [
      ['us-east-1a', 'c5.large'],
      ['us-east-1b', 'm5.large'],
    ]);
    assert.equal(r.failedBefore, 0, 'a launch that found a type is no failure');
    // With every type refused in us-east-1a, the group launches in us-east-1b.
    assert.deepEqual(r.then, [
      ['us-east-1a', 'c5.large'],
      ['us-east-1b', 'm5.large'],
      ['us-east-1b', 'm5.large'],
      ['us-east-1b', 'm5.large'],
    ]);
    assert.ok(r.onDemand.length >= 1);
    assert.equal(
      r.onDemand[0],
      'Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient c5.large capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. You can currently get c5.large capacity by not specifying an Availability Zone in your request or choosing us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f. Launching EC2 instance failed.',
    );
    assert.equal(r.spot[0], 'Could not launch Spot Instances. UnfulfillableCapacity - There is no capacity available that matches your request. Launching EC2 instance failed.');
    assert.equal(r.spotInstances, 0);
  });

  it('refuses policies that AWS refuses, with ValidationError', async () => {
    const r = await py(`
ov = [{'InstanceType': 'm5.large'}, {'InstanceType': 'c5.large'}]
def refused(name, policy, **kw):
    args = dict(AutoScalingGroupName=name, MixedInstancesPolicy=policy, MinSize=0, MaxSize=2, AvailabilityZones=['us-east-1a'])
    args.update(kw)
    return outcome(lambda: asg.create_auto_scaling_group(**args))
spec = {'LaunchTemplateSpecification': {'LaunchTemplateName': 'web'}}
out([
  refused('a', {'InstancesDistribution': {'OnDemandBaseCapacity': 1}}),
  refused('b', {'LaunchTemplate': dict(spec, Overrides=[{'InstanceType': 'm5.large', 'WeightedCapacity': '2'}, {'InstanceType': 'c5.large'}])}),
  refused('c', {'LaunchTemplate': dict(spec, Overrides=ov), 'InstancesDistribution': {'SpotAllocationStrategy': 'capacity-optimized', 'SpotInstancePools': 2}}),
  refused('d', {'LaunchTemplate': dict(spec, Overrides=ov), 'InstancesDistribution': {'OnDemandPercentageAboveBaseCapacity': 101}}),
  refused('e', {'LaunchTemplate': dict(spec, Overrides=ov), 'InstancesDistribution': {'OnDemandAllocationStrategy': 'cheapest'}}),
  refused('f', {'LaunchTemplate': dict(spec, Overrides=[{'InstanceType': 'm5.large', 'WeightedCapacity': '1000'}])}),
  refused('g', {'LaunchTemplate': dict(spec, Overrides=[{'InstanceType': 'm9.huge'}])}),
  refused('h', {'LaunchTemplate': dict(spec, Overrides=[{'InstanceRequirements': {'VCpuCount': {'Min': 2}, 'MemoryMiB': {'Min': 1024}}}])}),
  refused('i', {'LaunchTemplate': {'LaunchTemplateSpecification': {'LaunchTemplateName': 'nope'}, 'Overrides': ov}}),
  outcome(lambda: asg.create_auto_scaling_group(AutoScalingGroupName='j', LaunchTemplate={'LaunchTemplateName': 'web'}, DesiredCapacityType='vcpu', MinSize=0, MaxSize=2, AvailabilityZones=['us-east-1a'])),
  [g['AutoScalingGroupName'] for g in asg.describe_auto_scaling_groups(AutoScalingGroupNames=list('abcdefghij'))['AutoScalingGroups']],
])
`);
    const v = (m: string) => `ValidationError 400 ${m}`;
    assert.deepEqual(r, [
      v('A mixed instances policy must specify a LaunchTemplate with a LaunchTemplateSpecification.'),
      v('If you specify a value for WeightedCapacity for one instance type, you must specify a value for WeightedCapacity for all of them.'),
      v('SpotInstancePools is only valid with the lowest-price SpotAllocationStrategy, not capacity-optimized.'),
      v('OnDemandPercentageAboveBaseCapacity must be between 0 and 100.'),
      v('Invalid OnDemandAllocationStrategy: cheapest. Valid values are prioritized, lowest-price.'),
      v("The WeightedCapacity '1000' for instance type m5.large is not valid. Value must be in the range of 1–999."),
      v("The instance type 'm9.huge' is not valid. Specify a valid instance type and try again."),
      v('faultline does not support InstanceRequirements (attribute-based instance type selection); list the instance types in Overrides.'),
      v("You must use a valid fully-formed launch template. The specified launch template, with template name nope, does not exist."),
      v('DesiredCapacityType vcpu is only supported for Auto Scaling groups with a MixedInstancesPolicy.'),
      [],
    ]);
  });

  it('creates a group from the MixedInstancesPolicy property of a CloudFormation template', async () => {
    const template = JSON.stringify({
      Resources: {
        Group: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: {
            MinSize: '0',
            MaxSize: '4',
            DesiredCapacity: '2',
            AvailabilityZones: ['us-east-1a'],
            MixedInstancesPolicy: {
              LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateName: 'web', Version: '1' }, Overrides: [{ InstanceType: 'c5.large' }, { InstanceType: 'm5.large' }] },
              InstancesDistribution: { OnDemandBaseCapacity: '1', OnDemandPercentageAboveBaseCapacity: '0', SpotAllocationStrategy: 'price-capacity-optimized' },
            },
          },
        },
      },
    });
    const r = await py(`
cfn = boto3.client('cloudformation')
cfn.create_stack(StackName='mixed', TemplateBody=${JSON.stringify(template)})
advance(60)
name = cfn.describe_stack_resource(StackName='mixed', LogicalResourceId='Group')['StackResourceDetail']['PhysicalResourceId']
out({'status': cfn.describe_stacks(StackName='mixed')['Stacks'][0]['StackStatus'], 'distribution': group(name)['MixedInstancesPolicy']['InstancesDistribution'], 'instances': lifecycles(name)})
`);
    assert.equal(r.status, 'CREATE_COMPLETE');
    assert.deepEqual(r.distribution, { OnDemandAllocationStrategy: 'prioritized', OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' });
    assert.deepEqual(r.instances, [
      ['c5.large', 'on-demand'],
      ['c5.large', 'spot'],
    ]);
  });
});
