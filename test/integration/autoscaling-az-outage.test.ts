/**
 * An AZ outage through boto3, on the manual clock. A group from a launch template over two
 * subnets in two AZs (min = max = desired = 1, EC2 health checks, grace 600 s) runs in the first
 * AZ; the AZ goes down through the control API; the status checks fail, the group marks the
 * instance unhealthy after tolerating the impairment, terminates it, fails to launch into the dead
 * AZ (a Failed activity with EC2's words) and launches into the other one. With desired 2 while
 * the AZ is down both instances land in the healthy AZ; once the AZ heals the group rebalances,
 * launching first and terminating after. The event log gives the recovery time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';

const PRELUDE = `
import json, os, boto3
kw = dict(endpoint_url=os.environ['FAULTLINE_URL'], region_name='us-east-1')
ec2 = boto3.client('ec2', **kw)
asg = boto3.client('autoscaling', **kw)
def out(x): print(json.dumps(x, default=str))
`;

describe('auto scaling through boto3: an AZ outage', () => {
  let fl: Faultline;
  const py = (code: string) => fl.python(PRELUDE + code);
  const control = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(fl.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  let faultId: string;
  let firstId: string;

  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl.close());

  it('runs the group in the first AZ', async () => {
    const r = await py(`
vpc = ec2.create_vpc(CidrBlock='10.1.0.0/16')['Vpc']['VpcId']
a = ec2.create_subnet(VpcId=vpc, CidrBlock='10.1.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vpc, CidrBlock='10.1.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
ec2.create_launch_template(LaunchTemplateName='web', LaunchTemplateData={'ImageId': 'ami-1ecae776', 'InstanceType': 't2.micro'})
asg.create_auto_scaling_group(AutoScalingGroupName='web', LaunchTemplate={'LaunchTemplateName': 'web', 'Version': '$Latest'},
  MinSize=1, MaxSize=1, DesiredCapacity=1, VPCZoneIdentifier=a + ',' + b, HealthCheckType='EC2', HealthCheckGracePeriod=600)
out({'a': a, 'b': b})
`);
    assert.match(r.a, /^subnet-/);
    fl.advance(30 + 600 + 60);
    const g = await py(`out(asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0])`);
    assert.equal(g.Instances.length, 1);
    assert.equal(g.Instances[0].AvailabilityZone, 'us-east-1a');
    assert.equal(g.Instances[0].LifecycleState, 'InService');
    assert.equal(g.Instances[0].LaunchTemplate.LaunchTemplateName, 'web');
    assert.equal(g.Instances[0].LaunchTemplate.Version, '1');
    firstId = g.Instances[0].InstanceId;
  });

  it('replaces the instance in the other AZ when its AZ goes down, and records the failed launch', async () => {
    const { status, body } = await control('POST', '/_faultline/faults', { kind: 'az', target: 'us-east-1a' });
    assert.equal(status, 201);
    faultId = body.faultId;
    // The status check fails within a minute; the group tolerates the impairment for three.
    fl.advance(60);
    let g = await py(`out(asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]['Instances'])`);
    assert.equal(g[0].HealthStatus, 'Healthy', 'an impaired status check is tolerated for a few minutes');
    // Impaired within 60 s, unhealthy 180 s later, replaced and in service within another 50 s.
    fl.advance(250);
    g = await py(`out(asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]['Instances'])`);
    const replacement = g.find((i: { InstanceId: string }) => i.InstanceId !== firstId);
    assert.ok(replacement, JSON.stringify(g));
    assert.equal(replacement.AvailabilityZone, 'us-east-1b');
    assert.equal(replacement.LifecycleState, 'InService');

    const acts = await py(`out(asg.describe_scaling_activities(AutoScalingGroupName='web')['Activities'])`);
    const failed = acts.find((a: { StatusCode: string }) => a.StatusCode === 'Failed');
    assert.ok(failed, 'a failed launch into the dead AZ');
    assert.match(
      failed.Description,
      /^Launching a new EC2 instance\. {2}Status Reason: We currently do not have sufficient t2\.micro capacity in the Availability Zone you requested \(us-east-1a\)\..* Launching EC2 instance failed\.$/,
    );
    assert.match(failed.StatusMessage, /Launching EC2 instance failed\.$/);
    assert.equal(JSON.parse(failed.Details)['Availability Zone'], 'us-east-1a');
    const terminate = acts.find((a: { Description: string }) => a.Description === `Terminating EC2 instance: ${firstId}`);
    assert.match(terminate.Cause, /an instance was taken out of service in response to an EC2 instance status checks failure\.$/);

    // The recovery time, from the event log: fault injected → replacement in service.
    const events = fl.app.env.events.list();
    const injected = events.find((e) => e.type === 'fault.injected' && e.detail.faultId === faultId)!;
    const back = events.find((e) => e.type === 'autoscaling.instance.in-service' && e.detail.instanceId === replacement.InstanceId)!;
    const rto = (Date.parse(back.time) - Date.parse(injected.time)) / 1000;
    assert.ok(rto > 180 && rto < 300, `RTO ${rto} s: status check (≤60) + tolerance (180) + shutdown and boot`);
    const health = events.find((e) => e.type === 'autoscaling.instance.health' && e.detail.instanceId === firstId)!;
    assert.equal(health.detail.health, 'Unhealthy');
  });

  it('puts both instances in the healthy AZ while the other is down, and rebalances once it heals', async () => {
    await py(`asg.update_auto_scaling_group(AutoScalingGroupName='web', MaxSize=2, DesiredCapacity=2)`);
    fl.advance(40);
    let zones = await py(`out(sorted(i['AvailabilityZone'] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]['Instances']))`);
    assert.deepEqual(zones, ['us-east-1b', 'us-east-1b']);

    await control('POST', `/_faultline/faults/${faultId}/heal`);
    // The next attempt on the zone after its backoff succeeds: launch there first...
    fl.advance(330);
    const g = await py(`out(asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0])`);
    zones = g.Instances.map((i: { AvailabilityZone: string }) => i.AvailabilityZone).sort();
    assert.deepEqual(zones, ['us-east-1a', 'us-east-1b']);
    const acts = await py(`out(asg.describe_scaling_activities(AutoScalingGroupName='web', MaxRecords=3)['Activities'])`);
    // ...then terminate one in the fuller zone: the newest activity is the termination.
    assert.match(acts[0].Description, /^Terminating EC2 instance: i-/);
    assert.match(acts[1].Description, /^Launching a new EC2 instance: i-/);
    assert.match(acts[1].Cause, /instances were launched to balance instances in zones us-east-1a with other zones us-east-1b\.$/);
    assert.equal(JSON.parse(acts[1].Details)['Availability Zone'], 'us-east-1a');
    const launchedAt = Date.parse(acts[1].StartTime);
    const terminatedAt = Date.parse(acts[0].StartTime);
    assert.ok(terminatedAt > launchedAt, 'launch first, then terminate');
  });
});
