/**
 * Insufficient capacity, as FIS's aws:ec2:api-insufficient-instance-capacity-error and
 * aws:ec2:asg-insufficient-instance-capacity-error inject it: RunInstances and StartInstances
 * by the target roles in the given zones fail with InsufficientInstanceCapacity, and an Auto
 * Scaling group's launches in the given zones fail (a Failed activity with EC2's words) while it
 * launches in its other zones. boto3 and the manual clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { startFaultline, type Faultline } from '../harness.ts';

const run = promisify(execFile);
const ACCOUNT = '000000000000';
/** Another account (a 12-digit access key names it). */
const OTHER = '111111111111';

const PRELUDE = BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
asg = boto3.client('autoscaling')
`;

const ice = (zone: string, others: string) =>
  `InsufficientInstanceCapacity 500 We currently do not have sufficient t2.micro capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get t2.micro capacity by not specifying an Availability Zone in your request or choosing ${others}.`;
const OTHERS_THAN_A = 'us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f';

describe('capacity faults', () => {
  let fl: Faultline;
  let subnets: { a: string; b: string };
  const py = (code: string) => fl.python(PRELUDE + code);
  before(async () => {
    fl = await startFaultline();
    subnets = await py(`
vpc = ec2.create_vpc(CidrBlock='10.1.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.1.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.1.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
ec2.create_launch_template(LaunchTemplateName='web', LaunchTemplateData={'ImageId': 'ami-1ecae776', 'InstanceType': 't2.micro'})
out({'a': a, 'b': b})
`);
  });
  after(() => fl.close());

  it("refuses the role's RunInstances and StartInstances in the zone, at the percentage, and no one else's", async () => {
    const r = await py(`
a, b = '${subnets.a}', '${subnets.b}'
trust = json.dumps({'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::${ACCOUNT}:root'}, 'Action': 'sts:AssumeRole'}]})
boto3.client('iam').create_role(RoleName='launcher', AssumeRolePolicyDocument=trust)
role = session('launcher')
launch = lambda client, subnet: (lambda: client.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=subnet))
stopped = ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=a)['Instances'][0]['InstanceId']
control('/_faultline/clock/advance', {'seconds': 30})
ec2.stop_instances(InstanceIds=[stopped])
control('/_faultline/clock/advance', {'seconds': 20})
fault = control('/_faultline/faults', {'kind': 'capacity', 'target': 'us-east-1a', 'roles': ['arn:aws:iam::${ACCOUNT}:role/launcher'], 'rate': 0.5})
r = {'fault': [fault['kind'], fault['target'], fault['region']]}
r['roleStart'] = [outcome(lambda: role.start_instances(InstanceIds=[stopped])) for _ in range(2)]
r['roleInA'] = [outcome(launch(role, a)) for _ in range(3)]
r['roleInB'] = [outcome(launch(role, b)) for _ in range(2)]
r['plainInA'] = [outcome(launch(ec2, a)) for _ in range(2)]
# A fault for one instance type leaves the zone's other types alone.
control('/_faultline/faults', {'kind': 'capacity', 'target': 'us-east-1b', 'instanceTypes': ['m5.large']})
r['typesInB'] = [outcome(lambda: ec2.run_instances(ImageId='ami-1ecae776', InstanceType=t, MinCount=1, MaxCount=1, SubnetId=b)) for t in ['m5.large', 't2.micro']]
out(r)
`);
    assert.deepEqual(r.fault, ['capacity', 'us-east-1a', 'us-east-1']);
    // 50 %, counted over the role's starts and launches in the zone: the 1st, 3rd and 5th fail.
    const refused = ice('us-east-1a', OTHERS_THAN_A);
    assert.deepEqual(r.roleStart, [refused, 'ok']);
    assert.deepEqual(r.roleInA, [refused, 'ok', refused]);
    assert.deepEqual(r.roleInB, ['ok', 'ok']);
    assert.deepEqual(r.plainInA, ['ok', 'ok']);
    assert.deepEqual(r.typesInB, [ice('us-east-1b', 'us-east-1a, us-east-1c, us-east-1d, us-east-1e, us-east-1f').replaceAll('t2.micro', 'm5.large'), 'ok']);
  });

  it("fails a group's launches in the zone (not another account's group of that name) and launches in its other zone, with a Failed activity", async () => {
    const r = await py(`
a, b = '${subnets.a}', '${subnets.b}'
fault = control('/_faultline/faults', {'kind': 'capacity', 'target': 'use1-az1', 'groups': ['web']})
for name in ['web', 'bystander']:
    asg.create_auto_scaling_group(AutoScalingGroupName=name, LaunchTemplate={'LaunchTemplateName': 'web', 'Version': '$Latest'},
      MinSize=0, MaxSize=4, DesiredCapacity=2, VPCZoneIdentifier=a + ',' + b)
# Another account's group of the same name is not the fault's.
other = lambda service: boto3.client(service, aws_access_key_id='${OTHER}', aws_secret_access_key='x')
ec2b = other('ec2')
vpc = ec2b.create_vpc(CidrBlock='10.2.0.0/16')['Vpc']['VpcId']
sb = [ec2b.create_subnet(VpcId=vpc, CidrBlock=f'10.2.{i}.0/24', AvailabilityZone='us-east-1' + z)['Subnet']['SubnetId'] for i, z in [(1, 'a'), (2, 'b')]]
ec2b.create_launch_template(LaunchTemplateName='web', LaunchTemplateData={'ImageId': 'ami-1ecae776', 'InstanceType': 't2.micro'})
other('autoscaling').create_auto_scaling_group(AutoScalingGroupName='web', LaunchTemplate={'LaunchTemplateName': 'web', 'Version': '$Latest'},
  MinSize=0, MaxSize=4, DesiredCapacity=2, VPCZoneIdentifier=','.join(sb))
out({'fault': fault['target']})
`);
    // A zone id names the zone; the fault keeps its name.
    assert.equal(r.fault, 'us-east-1a');
    fl.advance(60);
    const g = await py(`
groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web', 'bystander'])['AutoScalingGroups']
acts = asg.describe_scaling_activities(AutoScalingGroupName='web')['Activities']
otherWeb = boto3.client('autoscaling', aws_access_key_id='${OTHER}', aws_secret_access_key='x').describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]
out({'zones': {x['AutoScalingGroupName']: sorted(i['AvailabilityZone'] for i in x['Instances']) for x in groups},
     'otherWeb': sorted(i['AvailabilityZone'] for i in otherWeb['Instances']),
     'failed': [[a['StatusCode'], a['StatusMessage'], a['Description']] for a in acts if a['StatusCode'] == 'Failed']})
`);
    assert.deepEqual(g.zones, { web: ['us-east-1b', 'us-east-1b'], bystander: ['us-east-1a', 'us-east-1b'] });
    assert.deepEqual(g.otherWeb, ['us-east-1a', 'us-east-1b'], "another account's group named web launches in both zones");
    assert.ok(g.failed.length >= 1, JSON.stringify(g.failed));
    const message = `${ice('us-east-1a', OTHERS_THAN_A).replace(/^InsufficientInstanceCapacity 500 /, '')} Launching EC2 instance failed.`;
    assert.equal(g.failed[0][1], message);
    assert.equal(g.failed[0][2], `Launching a new EC2 instance.  Status Reason: ${message}`);
  });

  it('is injected from the CLI, heals after its duration, and refuses bad input', async () => {
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: fl.clientEnv });
    const { stdout } = await cli('fail', 'capacity', '--az', 'us-east-1c', '--az', 'us-east-1d', '--group', 'api', '--instance-type', 'm5.large', '--percentage', '25', '--duration', '600');
    const faultId = /^(fault-[0-9a-f]+): capacity us-east-1c,us-east-1d failed at /.exec(stdout)?.[1];
    assert.ok(faultId, stdout);
    const faults = async () => (await (await fetch(`${fl.url}/_faultline/faults`)).json()).faults as { faultId: string; rate: number; groups: string[]; instanceTypes: string[] }[];
    const f = (await faults()).find((x) => x.faultId === faultId)!;
    assert.deepEqual([f.rate, f.groups, f.instanceTypes], [0.25, ['api'], ['m5.large']]);
    fl.advance(600);
    assert.equal((await faults()).some((x) => x.faultId === faultId), false);
    const post = (body: unknown) =>
      fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const before = (await faults()).length;
    assert.equal((await post({ kind: 'capacity', target: 'us-east-1z' })).status, 404);
    const twoRegions = await post({ kind: 'capacity', target: 'us-east-1a,eu-west-1a' });
    assert.deepEqual([twoRegions.status, twoRegions.body.error], [400, 'the zones of a capacity fault must be in one region']);
    assert.equal((await post({ kind: 'capacity', target: 'us-east-1a', rate: 0 })).status, 400);
    assert.equal((await post({ kind: 'capacity', target: 'us-east-1a', groups: [''] })).status, 400);
    const badType = await post({ kind: 'capacity', target: 'us-east-1a', instanceTypes: ['m9.huge'] });
    assert.deepEqual([badType.status, badType.body.error], [400, 'instanceTypes: "m9.huge" is not an instance type']);
    assert.equal((await faults()).length, before);
    await assert.rejects(cli('fail', 'capacity', '--az', 'us-east-1a', '--percentage', 'all'), /--percentage must be from 1 to 100/);
  });
});
