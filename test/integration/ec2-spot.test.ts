/**
 * Spot instances on the manual clock, through the SDK v3 (and boto3 for FIS), on one server:
 * requests and their status codes, deterministic spot prices, the interruption (the rebalance
 * recommendation and two-minute notice in the instance metadata service and on the event log,
 * then the interruption two minutes later, not before), persistent requests launching again,
 * stop-behaviour instances stopping and starting again, the FIS action, the `faultline
 * interrupt-spot` command, and Auto Scaling's capacity rebalancing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CancelSpotInstanceRequestsCommand,
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  type Instance,
  type SpotInstanceRequest,
} from '@aws-sdk/client-ec2';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { MetadataServer } from '../../src/runtime/metadata.server.ts';
import type { InstanceRecord } from '../../src/services/ec2/state.ts';
import { AMI, ROLE_ARN } from './fis-support.ts';

const run = promisify(execFile);

describe('spot instances, their interruptions and capacity rebalancing', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  let imds: MetadataServer;
  before(async () => {
    fl = await startFaultline();
    ec2 = new EC2Client({ ...fl.sdk, maxAttempts: 1 });
    imds = new MetadataServer(fl.app.env);
  });
  after(() => fl.close());

  /** What the instance metadata service answers the instance at `path`. */
  const metadata = (id: string, path: string) => {
    for (const [scope, inst] of fl.app.env.store.scan<InstanceRecord>('ec2.instances')) {
      if (inst.InstanceId === id) return imds.answer({ scope, inst: inst as InstanceRecord }, 'GET', path, {});
    }
    throw new Error(`no instance ${id}`);
  };
  const instance = async (id: string): Promise<Instance> => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
  const request = async (id: string): Promise<SpotInstanceRequest> => (await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [id] }))).SpotInstanceRequests![0];
  const status = (r: SpotInstanceRequest) => `${r.State} ${r.Status!.Code}`;
  const interrupt = async (body: Record<string, unknown>) => {
    const r = await fetch(`${fl.url}/_faultline/spot-interruptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  const eventsOf = async (type: string, id: string) =>
    ((await (await fetch(`${fl.url}/_faultline/events?kind=${type}&resource=${id}`)).json()).events as { detail: Record<string, unknown> }[]).map((e) => e.detail);
  const spotRequest = async (extra: Record<string, unknown> = {}) =>
    (await ec2.send(new RequestSpotInstancesCommand({ LaunchSpecification: { ImageId: AMI, InstanceType: 'm5.large', Placement: { AvailabilityZone: 'us-east-1a' } }, ...extra }))).SpotInstanceRequests!;

  it('prices spot deterministically below on-demand, and fulfils a request after its evaluation', async () => {
    const prices = async () =>
      (await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m5.large'], ProductDescriptions: ['Linux/UNIX'] }))).SpotPriceHistory!.map((p) => [p.AvailabilityZone, p.SpotPrice]);
    const first = await prices();
    assert.equal(first.length, 6, 'one price per zone of us-east-1');
    assert.deepEqual(await prices(), first);
    for (const [, price] of first) assert.ok(Number(price) >= 0.096 * 0.3 && Number(price) <= 0.096 * 0.45, `${price} is 30-45 % of m5.large's on-demand $0.096`);

    const [open] = await spotRequest({ TagSpecifications: [{ ResourceType: 'spot-instances-request', Tags: [{ Key: 'team', Value: 'web' }] }] });
    assert.match(open.SpotInstanceRequestId!, /^sir-[0-9a-z]{8}$/);
    assert.equal(status(open), 'open pending-evaluation');
    assert.equal(open.SpotPrice, '0.096', 'the maximum price defaults to the on-demand price');
    assert.deepEqual(open.Tags, [{ Key: 'team', Value: 'web' }]);
    fl.advance(5);
    const active = await request(open.SpotInstanceRequestId!);
    assert.equal(status(active), 'active fulfilled');
    assert.equal(active.Status!.Message, 'Your spot request is fulfilled.');
    assert.equal(active.LaunchedAvailabilityZone, 'us-east-1a');
    const inst = await instance(active.InstanceId!);
    assert.equal(inst.InstanceLifecycle, 'spot');
    assert.equal(inst.SpotInstanceRequestId, open.SpotInstanceRequestId);

    // A maximum price under the spot price leaves the request open; RunInstances refuses it.
    const [low] = await spotRequest({ SpotPrice: '0.001' });
    fl.advance(5);
    const held = await request(low.SpotInstanceRequestId!);
    assert.equal(status(held), 'open price-too-low');
    assert.match(held.Status!.Message!, /^Your Spot request price of 0.001 is lower than the minimum required Spot request fulfillment price of 0\.0\d+\.$/);
    await assert.rejects(
      ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.001' } } })),
      (e: Error) => e.name === 'SpotMaxPriceTooLow',
    );
    const cancelled = await ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [low.SpotInstanceRequestId!, open.SpotInstanceRequestId!] }));
    assert.deepEqual(cancelled.CancelledSpotInstanceRequests!.map((c) => c.State), ['cancelled', 'cancelled']);
    assert.equal((await request(open.SpotInstanceRequestId!)).Status!.Code, 'request-canceled-and-instance-running');
    assert.equal((await instance(active.InstanceId!)).State!.Name, 'pending');
    await assert.rejects(ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ['sir-00000000'] })), (e: Error) => e.name === 'InvalidSpotInstanceRequestID.NotFound');
    await assert.rejects(spotRequest({ Type: 'one-time', InstanceInterruptionBehavior: 'stop' }), (e: Error) => e.name === 'InvalidParameterCombination');
    // A huge InstanceCount is refused whole (it used to write one request per instance, and the request loop stalled on them).
    await assert.rejects(spotRequest({ InstanceCount: 100_000 }), (e: Error) => e.name === 'MaxSpotInstanceCountExceeded');
  });

  it('gives the two-minute notice in the metadata service and the event log, and interrupts two minutes later, not before', async () => {
    const reservation = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: 'spot' } }));
    const id = reservation.Instances![0].InstanceId!;
    const sir = reservation.Instances![0].SpotInstanceRequestId!;
    assert.equal(status(await request(sir)), 'active fulfilled');
    assert.equal((await request(sir)).Type, 'one-time');
    fl.advance(60);
    assert.equal(metadata(id, '/latest/meta-data/spot/instance-action').status, 404);
    assert.equal(metadata(id, '/latest/meta-data/events/recommendations/rebalance').status, 404);
    await assert.rejects(ec2.send(new StopInstancesCommand({ InstanceIds: [id] })), (e: Error) => e.name === 'UnsupportedOperation' && /one-time Spot Instance request/.test(e.message));

    const started = await interrupt({ instance: id });
    assert.equal(started.status, 201);
    const at = started.body.interruptionAt.replace(/\.\d{3}Z$/, 'Z');
    assert.deepEqual(JSON.parse(metadata(id, '/latest/meta-data/spot/instance-action').body), { action: 'terminate', time: at });
    assert.equal(metadata(id, '/latest/meta-data/spot/termination-time').body, at);
    assert.deepEqual(Object.keys(JSON.parse(metadata(id, '/latest/meta-data/events/recommendations/rebalance').body)), ['noticeTime']);
    assert.equal(status(await request(sir)), 'active marked-for-termination');
    const [warning] = await eventsOf('ec2.spot-interruption-warning', id);
    assert.equal(warning['detail-type'], 'EC2 Spot Instance Interruption Warning');
    assert.equal(warning.source, 'aws.ec2');
    assert.deepEqual(warning.resources, [`arn:aws:ec2:us-east-1:000000000000:instance/${id}`]);
    assert.deepEqual(warning.detail, { 'instance-id': id, 'instance-action': 'terminate' });
    assert.equal((await eventsOf('ec2.rebalance-recommendation', id))[0]['detail-type'], 'EC2 Instance Rebalance Recommendation');
    assert.equal((await interrupt({ instance: id })).status, 409, 'one interruption at a time');

    fl.advance(119);
    assert.equal((await instance(id)).State!.Name, 'running');
    fl.advance(1);
    const interrupted = await instance(id);
    assert.equal(interrupted.State!.Name, 'shutting-down');
    assert.equal(interrupted.StateReason!.Code, 'Server.SpotInstanceTermination');
    fl.advance(20);
    assert.equal((await instance(id)).State!.Name, 'terminated');
    assert.equal(status(await request(sir)), 'closed instance-terminated-no-capacity');
  });

  it('launches a persistent request again after an interruption, and restarts a stop-behaviour instance', async () => {
    const [persistent] = await spotRequest({ Type: 'persistent' });
    fl.advance(5);
    const first = (await request(persistent.SpotInstanceRequestId!)).InstanceId!;
    fl.advance(30);
    await interrupt({ instance: first, reason: 'price' });
    fl.advance(120 + 20);
    const reopened = await request(persistent.SpotInstanceRequestId!);
    assert.equal(status(reopened), 'open instance-terminated-by-price');
    fl.advance(60);
    const relaunched = await request(persistent.SpotInstanceRequestId!);
    assert.equal(status(relaunched), 'active fulfilled');
    assert.notEqual(relaunched.InstanceId, first);
    assert.equal((await instance(relaunched.InstanceId!)).SpotInstanceRequestId, persistent.SpotInstanceRequestId);

    const options = { MarketType: 'spot' as const, SpotOptions: { SpotInstanceType: 'persistent' as const, InstanceInterruptionBehavior: 'stop' as const } };
    const stopper = (await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, InstanceMarketOptions: options }))).Instances![0];
    fl.advance(30);
    await interrupt({ instance: stopper.InstanceId });
    assert.deepEqual(JSON.parse(metadata(stopper.InstanceId!, '/latest/meta-data/spot/instance-action').body).action, 'stop');
    assert.equal(status(await request(stopper.SpotInstanceRequestId!)), 'active marked-for-stop');
    fl.advance(120 + 20);
    const stopped = await instance(stopper.InstanceId!);
    assert.equal(stopped.State!.Name, 'stopped');
    assert.equal(stopped.StateReason!.Code, 'Server.SpotInstanceShutdown');
    assert.equal(status(await request(stopper.SpotInstanceRequestId!)), 'disabled instance-stopped-no-capacity');
    fl.advance(60 + 30);
    assert.equal((await instance(stopper.InstanceId!)).State!.Name, 'running', 'started again when capacity returns');
    assert.equal(status(await request(stopper.SpotInstanceRequestId!)), 'active fulfilled');
    assert.equal(metadata(stopper.InstanceId!, '/latest/meta-data/spot/instance-action').status, 404, 'the notice is over');
  });

  it('interrupts from the faultline command, and the control API refuses on-demand instances', async () => {
    const [spot, onDemand] = await Promise.all([
      ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: 'spot' } })),
      ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 })),
    ]).then((r) => r.map((x) => x.Instances![0].InstanceId!));
    fl.advance(30);
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: fl.clientEnv });
    const { stdout } = await cli('interrupt-spot', spot, '--after', '300');
    assert.match(stdout, new RegExp(`^${spot} \\(sir-[0-9a-z]{8}\\): rebalance recommendation at \\S+, interruption notice at \\S+, terminate at \\S+\\n$`));
    // With five minutes' warning, the notice comes three minutes on: the recommendation at once.
    assert.equal(metadata(spot, '/latest/meta-data/events/recommendations/rebalance').status, 200);
    assert.equal(metadata(spot, '/latest/meta-data/spot/instance-action').status, 404);
    fl.advance(180);
    assert.equal(metadata(spot, '/latest/meta-data/spot/instance-action').status, 200);
    const refused = await interrupt({ instance: onDemand });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error, /is an on-demand instance: only spot instances are interrupted/);
    assert.match((await cli('help', 'interrupt-spot')).stdout, /interrupt-spot i-\.\.\. \[--after SECONDS\] \[--reason capacity\|price\]/);
  });

  it('runs the FIS action aws:ec2:send-spot-instance-interruptions', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2')
fis = boto3.client('fis')
i = ec2.run_instances(ImageId='${AMI}', InstanceType='m5.large', MinCount=1, MaxCount=1, InstanceMarketOptions={'MarketType': 'spot'},
    TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'chaos', 'Value': 'spot'}]}])['Instances'][0]
ec2.run_instances(ImageId='${AMI}', InstanceType='m5.large', MinCount=1, MaxCount=1, TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'chaos', 'Value': 'spot'}]}])
advance(30)
targets = {'spot': {'resourceType': 'aws:ec2:spot-instance', 'resourceTags': {'chaos': 'spot'}, 'selectionMode': 'ALL'}}
action = lambda d: {'interrupt': {'actionId': 'aws:ec2:send-spot-instance-interruptions', 'parameters': {'durationBeforeInterruption': d}, 'targets': {'SpotInstances': 'spot'}}}
r = {'short': outcome(lambda: fis.create_experiment_template(description='t', roleArn='${ROLE_ARN}', stopConditions=[{'source': 'none'}], targets=targets, actions=action('PT1M')))}
t = fis.create_experiment_template(description='t', roleArn='${ROLE_ARN}', stopConditions=[{'source': 'none'}], targets=targets, actions=action('PT3M'))
x = fis.start_experiment(experimentTemplateId=t['experimentTemplate']['id'])['experiment']['id']
advance(1)
r['resolved'] = [t['targetInformation']['identifier'].split('/')[-1] for t in fis.list_experiment_resolved_targets(experimentId=x)['resolvedTargets']]
def req(): return ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[i['SpotInstanceRequestId']])['SpotInstanceRequests'][0]['Status']['Code']
def state(): return ec2.describe_instances(InstanceIds=[i['InstanceId']])['Reservations'][0]['Instances'][0]['State']['Name']
r['start'] = [req(), fis.get_experiment(id=x)['experiment']['state']['status']]
advance(60)
r['notice'] = [req(), state()]
advance(118)
r['before'] = state()
advance(1)
r['after'] = [state(), fis.get_experiment(id=x)['experiment']['state']['status']]
advance(20)
r['end'] = req()
r['id'] = i['InstanceId']
out(r)
`);
    assert.match(out.short, /^ValidationException 400 .*durationBeforeInterruption.*must be from PT2M/);
    assert.deepEqual(out.resolved, [out.id], 'only the spot instance is a target');
    assert.deepEqual(out.start, ['fulfilled', 'running']);
    assert.deepEqual(out.notice, ['marked-for-termination', 'running']);
    assert.equal(out.before, 'running');
    assert.deepEqual(out.after, ['shutting-down', 'completed']);
    assert.equal(out.end, 'instance-terminated-by-experiment');
  });

  it('replaces an at-risk spot instance of a group with capacity rebalancing before terminating it', async () => {
    const asg = new AutoScalingClient({ ...fl.sdk, maxAttempts: 1 });
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'spot-web', LaunchTemplateData: { ImageId: AMI, InstanceType: 'm5.large', InstanceMarketOptions: { MarketType: 'spot' } } }));
    await asg.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'spot-web', LaunchTemplate: { LaunchTemplateName: 'spot-web' }, MinSize: 1, MaxSize: 1, DesiredCapacity: 1, AvailabilityZones: ['us-east-1a', 'us-east-1b'], CapacityRebalance: true }),
    );
    const members = async () => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['spot-web'] }))).AutoScalingGroups![0].Instances!.map((i) => `${i.InstanceId} ${i.LifecycleState}`);
    fl.advance(60);
    const [old] = (await members()).map((m) => m.split(' ')[0]);
    assert.equal((await instance(old)).InstanceLifecycle, 'spot');
    await interrupt({ instance: old, afterSeconds: 600 });
    fl.advance(10);
    const during = await members();
    assert.equal(during.length, 2, 'the replacement launches at once, beyond MaxSize');
    const replacement = during.find((m) => !m.startsWith(old))!.split(' ')[0];
    assert.deepEqual(during.sort(), [`${old} InService`, `${replacement} Pending`].sort());
    fl.advance(60);
    assert.deepEqual(await members(), [`${replacement} InService`]);
    assert.equal((await instance(old)).State!.Name, 'terminated', 'terminated once its replacement was in service, long before the interruption');
    const activities = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'spot-web' }))).Activities!;
    const launch = activities.find((a) => a.Description === `Launching a new EC2 instance: ${replacement}`)!;
    const terminate = activities.find((a) => a.Description === `Terminating EC2 instance: ${old}`)!;
    assert.match(launch.Cause!, new RegExp(`an instance was launched in response to an EC2 instance rebalance recommendation for instance ${old}\\.$`));
    assert.match(terminate.Cause!, /an instance was taken out of service in response to an EC2 instance rebalance recommendation\.$/);
    assert.ok(Date.parse(terminate.StartTime!.toISOString()) >= Date.parse(launch.EndTime!.toISOString()), 'launch first, then terminate');
  });
});
