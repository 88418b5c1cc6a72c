/**
 * Placement groups and Dedicated Hosts through the SDK v3, on the manual clock, against the
 * world's hosts (8 per zone): spread puts instances on distinct hosts and refuses a launch when
 * none is left (and keeps them apart through automatic recovery), partitions keep disjoint hosts,
 * a cluster keeps one host while it has room, and a Dedicated Host is a world host reserved for
 * the account, whose failure DescribeHosts shows and host recovery replaces.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AllocateHostsCommand,
  CreateLaunchTemplateCommand,
  CreatePlacementGroupCommand,
  DeletePlacementGroupCommand,
  DescribeHostsCommand,
  DescribeInstancesCommand,
  DescribePlacementGroupsCommand,
  EC2Client,
  ModifyHostsCommand,
  ModifyInstancePlacementCommand,
  ReleaseHostsCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Placement,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { startFaultline, type Faultline } from '../harness.ts';

const AMI = 'ami-1ecae776';
const SCOPE = { account: '000000000000', region: 'us-east-1' };

describe('EC2 placement groups and Dedicated Hosts', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  before(async () => {
    fl = await startFaultline({ config: { hostsPerZone: 8 } });
    ec2 = new EC2Client({ ...fl.sdk, maxAttempts: 1 });
  });
  after(() => fl.close());

  const errorOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: Error) => `${e.name}: ${e.message}`);
  const hostOf = (id: string) => (fl.app.env.store.get('ec2.instances', SCOPE, id) as { hostId: string }).hostId;
  const run = async (placement: Placement, count = 1, type: _InstanceType = 't2.micro') =>
    (await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: type, MinCount: count, MaxCount: count, Placement: placement }))).Instances!.map((i) => i.InstanceId!);
  const group = (GroupName: string, Strategy: 'spread' | 'partition' | 'cluster', more: { PartitionCount?: number; SpreadLevel?: 'host' | 'rack' } = {}) =>
    ec2.send(new CreatePlacementGroupCommand({ GroupName, Strategy, ...more }));
  const described = async (ids: string[]) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances!);

  it('creates, describes and deletes placement groups with AWS errors', async () => {
    const created = await ec2.send(
      new CreatePlacementGroupCommand({ GroupName: 'web', Strategy: 'spread', TagSpecifications: [{ ResourceType: 'placement-group', Tags: [{ Key: 'team', Value: 'a' }] }] }),
    );
    assert.match(created.PlacementGroup!.GroupId!, /^pg-[0-9a-f]{17}$/);
    assert.equal(created.PlacementGroup!.SpreadLevel, 'rack');
    assert.equal(created.PlacementGroup!.GroupArn, 'arn:aws:ec2:us-east-1:000000000000:placement-group/web');
    const part = await group('data', 'partition');
    assert.equal(part.PlacementGroup!.PartitionCount, 2, 'two partitions unless told');
    assert.match(await errorOf(group('web', 'cluster')), /InvalidPlacementGroup\.Duplicate: The placement group 'web' already exists\./);
    assert.match(await errorOf(group('p8', 'partition', { PartitionCount: 8 })), /InvalidParameterValue/);
    assert.match(await errorOf(group('sp', 'spread', { PartitionCount: 2 })), /InvalidParameterCombination/);
    assert.match(await errorOf(group('cl', 'cluster', { SpreadLevel: 'rack' })), /InvalidParameterCombination/);

    const byTag = await ec2.send(new DescribePlacementGroupsCommand({ Filters: [{ Name: 'tag:team', Values: ['a'] }] }));
    assert.deepEqual(byTag.PlacementGroups!.map((g) => g.GroupName), ['web']);
    const byId = await ec2.send(new DescribePlacementGroupsCommand({ GroupIds: [part.PlacementGroup!.GroupId!] }));
    assert.deepEqual(byId.PlacementGroups!.map((g) => [g.GroupName, g.Strategy, g.State]), [['data', 'partition', 'available']]);
    const byStrategy = await ec2.send(new DescribePlacementGroupsCommand({ Filters: [{ Name: 'strategy', Values: ['partition'] }] }));
    assert.deepEqual(byStrategy.PlacementGroups!.map((g) => g.GroupName), ['data']);
    assert.match(await errorOf(ec2.send(new DescribePlacementGroupsCommand({ GroupNames: ['nope'] }))), /InvalidPlacementGroup\.Unknown: The Placement Group 'nope' is unknown\./);
    assert.match(await errorOf(run({ AvailabilityZone: 'us-east-1f', GroupName: 'nope' })), /InvalidPlacementGroup\.Unknown/);

    const [id] = await run({ AvailabilityZone: 'us-east-1f', GroupName: 'web' });
    const [inst] = await described([id]);
    assert.deepEqual([inst.Placement!.GroupName, inst.Placement!.GroupId], ['web', created.PlacementGroup!.GroupId]);
    assert.match(await errorOf(ec2.send(new DeletePlacementGroupCommand({ GroupName: 'web' }))), /InvalidPlacementGroup\.InUse/);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    fl.advance(30);
    await ec2.send(new DeletePlacementGroupCommand({ GroupName: 'web' }));
    await ec2.send(new DeletePlacementGroupCommand({ GroupName: 'data' }));
    assert.match(await errorOf(ec2.send(new DeletePlacementGroupCommand({ GroupName: 'web' }))), /InvalidPlacementGroup\.Unknown/);
  });

  it('spread: one instance per host, refused when no distinct host is left or a rack group has seven in the zone', async () => {
    await group('hosts', 'spread', { SpreadLevel: 'host' });
    const eight = await run({ AvailabilityZone: 'us-east-1a', GroupName: 'hosts' }, 8);
    assert.equal(new Set(eight.map(hostOf)).size, 8, 'eight instances on the zone’s eight hosts');
    assert.match(await errorOf(run({ AvailabilityZone: 'us-east-1a', GroupName: 'hosts' })), /InsufficientInstanceCapacity: .*placement group 'hosts'/);
    // Plain launches still fit: the hosts have room, only the group has run out of distinct ones.
    assert.equal((await run({ AvailabilityZone: 'us-east-1a' })).length, 1);

    await group('racks', 'spread');
    const seven = await run({ AvailabilityZone: 'us-east-1b', GroupName: 'racks' }, 7);
    assert.equal(new Set(seven.map(hostOf)).size, 7);
    assert.match(await errorOf(run({ AvailabilityZone: 'us-east-1b', GroupName: 'racks' })), /InsufficientInstanceCapacity: A rack spread placement group can have at most 7 running instances per Availability Zone/);
  });

  it('spread: automatic recovery moves an instance to a host no other instance of the group uses', async () => {
    const zone = 'us-east-1c';
    // Load the zone's hosts evenly (two each), then empty hosts 07 and 08 for the group.
    const filler = await run({ AvailabilityZone: zone }, 16);
    const emptied = filler.filter((id) => /-0[78]$/.test(hostOf(id)));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: emptied }));
    fl.advance(30);
    await group('pair', 'spread');
    const [a, b] = await run({ AvailabilityZone: zone, GroupName: 'pair' }, 2);
    assert.deepEqual([hostOf(a), hostOf(b)], ['h-us-east-1c-07', 'h-us-east-1c-08']);
    await run({ AvailabilityZone: zone }); // to 07: now B's host is the least loaded one
    fl.advance(60);
    await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'host', target: hostOf(a) }) });
    fl.advance(6 * 60 + 60); // impaired for longer than autoRecoverySeconds
    assert.notEqual(hostOf(a), 'h-us-east-1c-07', 'recovered off the failed host');
    assert.notEqual(hostOf(a), hostOf(b), 'and not onto the host of the other instance of the group');
    assert.equal((await described([a]))[0].State!.Name, 'running');
  });

  it('partition: partitions keep disjoint hosts; PartitionNumber in the request and in DescribeInstances', async () => {
    await group('ring', 'partition', { PartitionCount: 3 });
    const spread = await run({ AvailabilityZone: 'us-east-1d', GroupName: 'ring' }, 6);
    const first = await described(spread);
    assert.deepEqual(first.map((i) => i.Placement!.PartitionNumber).sort(), [1, 1, 2, 2, 3, 3], 'spread evenly over the partitions');
    const more = await run({ AvailabilityZone: 'us-east-1d', GroupName: 'ring', PartitionNumber: 1 }, 4);
    const all = await described([...spread, ...more]);
    assert.ok(all.filter((i) => more.includes(i.InstanceId!)).every((i) => i.Placement!.PartitionNumber === 1));
    const hostsOf = (p: number) => new Set(all.filter((i) => i.Placement!.PartitionNumber === p).map((i) => hostOf(i.InstanceId!)));
    for (const [p, q] of [[1, 2], [1, 3], [2, 3]]) {
      const shared = [...hostsOf(p)].filter((h) => hostsOf(q).has(h));
      assert.deepEqual(shared, [], `partitions ${p} and ${q} share no host`);
    }
    assert.match(await errorOf(run({ AvailabilityZone: 'us-east-1d', GroupName: 'ring', PartitionNumber: 4 })), /InvalidParameterValue/);
  });

  it('cluster: one host while it has room, then InsufficientInstanceCapacity; one zone only', async () => {
    await group('hpc', 'cluster');
    const three = await run({ AvailabilityZone: 'us-east-1e', GroupName: 'hpc' }, 3);
    assert.equal(new Set(three.map(hostOf)).size, 1, 'all on one host');
    assert.match(await errorOf(run({ AvailabilityZone: 'us-east-1a', GroupName: 'hpc' })), /InvalidPlacementGroup\.InUse: The placement group 'hpc' is in use in another availability zone: us-east-1e/);
    const rest = await run({ AvailabilityZone: 'us-east-1e', GroupName: 'hpc' }, fl.app.env.config.hostCapacity - 3);
    assert.deepEqual(new Set(rest.map(hostOf)), new Set([hostOf(three[0])]));
    assert.match(await errorOf(run({ AvailabilityZone: 'us-east-1e', GroupName: 'hpc' })), /InsufficientInstanceCapacity: .*cluster placement group 'hpc'/);
  });

  it('Dedicated Hosts: allocation on world hosts, placement by host id or auto-placement, release refused while occupied', async () => {
    const zone = 'us-east-1f'; // its hosts are free: the first test's instance is gone
    const west = ec2;
    const westHost = hostOf;
    const worldHostOf = (hostId: string) => (fl.app.env.store.get('ec2.hosts', SCOPE, hostId) as { worldHostId: string }).worldHostId;
    const launch = async (placement: Placement, type: _InstanceType = 'm5.large', count = 1) =>
      (await west.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: type, MinCount: count, MaxCount: count, Placement: { AvailabilityZone: zone, ...placement } }))).Instances!.map((i) => i.InstanceId!);
    const hosts = async (HostIds?: string[]) => (await west.send(new DescribeHostsCommand({ HostIds }))).Hosts!;

    const { HostIds } = await west.send(new AllocateHostsCommand({ AvailabilityZone: zone, InstanceType: 'm5.large', Quantity: 2, TagSpecifications: [{ ResourceType: 'dedicated-host', Tags: [{ Key: 'k', Value: 'v' }] }] }));
    assert.equal(HostIds!.length, 2);
    const [h1, h2] = HostIds!;
    const fresh = (await hosts([h1]))[0];
    assert.deepEqual([fresh.State, fresh.AutoPlacement, fresh.HostRecovery, fresh.HostProperties!.InstanceType, fresh.AvailabilityZone], ['available', 'on', 'off', 'm5.large', zone]);
    assert.deepEqual(fresh.AvailableCapacity!.AvailableInstanceCapacity, [{ InstanceType: 'm5.large', AvailableCapacity: fl.app.env.config.hostCapacity, TotalCapacity: fl.app.env.config.hostCapacity }]);
    assert.match(await errorOf(west.send(new AllocateHostsCommand({ AvailabilityZone: zone, InstanceType: 'm5.large', Quantity: 7 }))), /InsufficientHostCapacity/);
    assert.match(await errorOf(west.send(new AllocateHostsCommand({ AvailabilityZone: zone, InstanceFamily: 'zz9', Quantity: 1 }))), /InvalidInstanceFamily/);

    const [onH1] = await launch({ Tenancy: 'host', HostId: h1, Affinity: 'host' });
    assert.equal(westHost(onH1), worldHostOf(h1));
    const [inst] = (await west.send(new DescribeInstancesCommand({ InstanceIds: [onH1] }))).Reservations![0].Instances!;
    assert.deepEqual([inst.Placement!.Tenancy, inst.Placement!.HostId, inst.Placement!.Affinity], ['host', h1, 'host']);
    const withInstance = (await hosts([h1]))[0];
    assert.deepEqual(withInstance.Instances!.map((i) => i.InstanceId), [onH1]);
    assert.equal(withInstance.AvailableCapacity!.AvailableInstanceCapacity![0].AvailableCapacity, fl.app.env.config.hostCapacity - 1);

    // Untargeted host tenancy goes to a host of the account that accepts the type; others are refused.
    const [auto] = await launch({ Tenancy: 'host' });
    assert.ok([worldHostOf(h1), worldHostOf(h2)].includes(westHost(auto)));
    assert.match(await errorOf(launch({ Tenancy: 'host' }, 't3.micro')), /IncompatibleHostRequirements/);
    assert.match(await errorOf(launch({ Tenancy: 'host', HostId: h1 }, 't3.micro')), /IncompatibleHostRequirements/);
    assert.match(await errorOf(launch({ Tenancy: 'host', HostId: 'h-0123456789abcdef0' })), /InvalidHostID\.NotFound/);
    // A default-tenancy launch never lands on a reserved host: eight instances share the six others.
    const plain = await launch({}, 't2.micro', 8);
    const reserved = new Set([worldHostOf(h1), worldHostOf(h2)]);
    assert.ok(plain.every((id) => !reserved.has(westHost(id))), plain.map(westHost).join(', '));
    // Naming the host is enough: without a zone or subnet, the launch goes to the host's zone
    // (not the zone EC2 would pick, the one with fewest instances: this zone has the eight above).
    const [byHost] = (await west.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, Placement: { Tenancy: 'host', HostId: h1 } }))).Instances!;
    assert.deepEqual([byHost.Placement!.AvailabilityZone, byHost.Placement!.HostId], [zone, h1]);
    await west.send(new TerminateInstancesCommand({ InstanceIds: [byHost.InstanceId!] }));

    const modified = await west.send(new ModifyHostsCommand({ HostIds: [h2, 'h-0123456789abcdef0'], AutoPlacement: 'off' }));
    assert.deepEqual(modified.Successful, [h2]);
    assert.equal(modified.Unsuccessful![0].Error!.Code, 'Client.InvalidHostID.NotFound');
    await west.send(new TerminateInstancesCommand({ InstanceIds: [auto] }));
    fl.advance(30);
    const released = await west.send(new ReleaseHostsCommand({ HostIds: [h1, h2] }));
    assert.deepEqual(released.Successful, [h2]);
    assert.deepEqual(released.Unsuccessful!.map((u) => [u.ResourceId, u.Error!.Code, u.Error!.Message]), [[h1, 'Client.InvalidHost.Occupied', `Dedicated host '${h1}' cannot be released as it is occupied.`]]);
    const after = await hosts([h2]);
    assert.equal(after[0].State, 'released');
    assert.ok(after[0].ReleaseTime);
    assert.match(await errorOf(hosts(['h-0123456789abcdef0'])), /InvalidHostID\.NotFound/);
  });

  it('Dedicated Hosts: a failed world host shows under-assessment; with host recovery a replacement takes its instances', async () => {
    const zone = 'us-east-1e'; // the cluster group holds one of its hosts; seven are free
    const west = ec2;
    const worldHostOf = (hostId: string) => (fl.app.env.store.get('ec2.hosts', SCOPE, hostId) as { worldHostId: string }).worldHostId;
    const allocate = async (HostRecovery: 'on' | 'off') => (await west.send(new AllocateHostsCommand({ AvailabilityZone: zone, InstanceType: 'c5.large', Quantity: 1, HostRecovery }))).HostIds![0];
    const [plain, recovering] = [await allocate('off'), await allocate('on')];
    const ids = [];
    for (const HostId of [plain, recovering]) {
      const r = await west.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'c5.large', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: zone, Tenancy: 'host', HostId } }));
      ids.push(r.Instances![0].InstanceId!);
    }
    fl.advance(60);
    for (const h of [plain, recovering]) {
      await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'host', target: worldHostOf(h) }) });
    }
    const states = async () => Object.fromEntries((await west.send(new DescribeHostsCommand({ Filter: [{ Name: 'availability-zone', Values: [zone] }] }))).Hosts!.map((h) => [h.HostId, h.State]));
    assert.deepEqual(await states(), { [plain]: 'under-assessment', [recovering]: 'under-assessment' });
    fl.advance(7 * 60); // automatic recovery is due
    const now = await states();
    assert.equal(now[plain], 'under-assessment', 'without host recovery the host waits, and its instance with it');
    assert.equal(now[recovering], 'permanent-failure');
    const replacement = Object.keys(now).find((h) => h !== plain && h !== recovering)!;
    assert.equal(now[replacement], 'available');
    const [moved] = (await west.send(new DescribeInstancesCommand({ InstanceIds: [ids[1]] }))).Reservations![0].Instances!;
    assert.equal(moved.Placement!.HostId, replacement);
    const rep = (await west.send(new DescribeHostsCommand({ HostIds: [replacement] }))).Hosts![0];
    assert.deepEqual([rep.HostRecovery, rep.HostProperties!.InstanceType, rep.Instances!.map((i) => i.InstanceId)], ['on', 'c5.large', [ids[1]]]);
  });

  it("Auto Scaling: the group's PlacementGroup (over the template's) places its launches, which fail as EC2 refuses them", async () => {
    // us-west-2: a world of its own, its eight hosts per zone free.
    const region = 'us-west-2';
    const west = new EC2Client({ ...fl.sdk, region, maxAttempts: 1 });
    const asg = new AutoScalingClient({ ...fl.sdk, region, maxAttempts: 1 });
    const westScope = { account: SCOPE.account, region };
    const westHost = (id: string) => (fl.app.env.store.get('ec2.instances', westScope, id) as { hostId: string }).hostId;
    await west.send(new CreatePlacementGroupCommand({ GroupName: 'fleet', Strategy: 'spread', SpreadLevel: 'host' }));
    await west.send(new CreatePlacementGroupCommand({ GroupName: 'racks', Strategy: 'spread' }));
    await west.send(new CreatePlacementGroupCommand({ GroupName: 'parts', Strategy: 'partition' }));
    await west.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'parted', LaunchTemplateData: { ImageId: 'ami-e7527ed7', InstanceType: 't2.micro', Placement: { GroupName: 'parts' } } }));
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'plain', ImageId: 'ami-e7527ed7', InstanceType: 't2.micro' }));
    const create = (name: string, zone: string, desired: number, source: object) =>
      asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, AvailabilityZones: [zone], MinSize: 0, MaxSize: 10, DesiredCapacity: desired, ...source }));
    await create('hosts', 'us-west-2a', 9, { LaunchTemplate: { LaunchTemplateName: 'parted' }, PlacementGroup: 'fleet' });
    await create('racked', 'us-west-2b', 8, { LaunchConfigurationName: 'plain', PlacementGroup: 'racks' });
    fl.advance(30);

    const groupOf = async (name: string) => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups![0];
    const failures = async (name: string) =>
      (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }))).Activities!.filter((a) => a.StatusCode === 'Failed').map((a) => a.StatusMessage);
    const hosts = await groupOf('hosts');
    assert.equal(hosts.PlacementGroup, 'fleet');
    const hostIds = hosts.Instances!.map((i) => i.InstanceId!);
    assert.equal(hostIds.length, 8, 'one instance on each of the zone’s eight hosts');
    assert.equal(new Set(hostIds.map(westHost)).size, 8);
    const placed = (await west.send(new DescribeInstancesCommand({ InstanceIds: hostIds }))).Reservations!.flatMap((r) => r.Instances!);
    assert.ok(placed.every((i) => i.Placement!.GroupName === 'fleet'), 'the group’s placement group, not the template’s');
    assert.match(
      (await failures('hosts'))[0]!,
      /^We currently do not have sufficient t2\.micro capacity in the Availability Zone you requested \(us-west-2a\) for the spread placement group 'fleet'\..* Launching EC2 instance failed\.$/,
    );
    const racked = await groupOf('racked');
    assert.equal(racked.Instances!.length, 7);
    assert.equal(new Set(racked.Instances!.map((i) => westHost(i.InstanceId!))).size, 7);
    assert.match((await failures('racked'))[0]!, /^A rack spread placement group can have at most 7 running instances per Availability Zone; 'racks' already has 7 in us-west-2b\. Launching EC2 instance failed\.$/);

    // An empty name takes the group out of its placement group: the template's applies again.
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'hosts', PlacementGroup: '' }));
    fl.advance(300);
    const after = await groupOf('hosts');
    assert.equal(after.PlacementGroup, undefined);
    const ninth = after.Instances!.map((i) => i.InstanceId!).filter((id) => !hostIds.includes(id));
    assert.equal(ninth.length, 1);
    const [inst] = (await west.send(new DescribeInstancesCommand({ InstanceIds: ninth }))).Reservations![0].Instances!;
    assert.equal(inst.Placement!.GroupName, 'parts');
    assert.equal(inst.Placement!.PartitionNumber, 1);
  });

  it('ModifyInstancePlacement: a stopped instance moves into and out of groups, partitions, tenancy and Dedicated Hosts, honoured at its start', async () => {
    const region = 'us-west-2';
    const zone = 'us-west-2c'; // untouched by the Auto Scaling test
    const west = new EC2Client({ ...fl.sdk, region, maxAttempts: 1 });
    const westScope = { account: SCOPE.account, region };
    const westHost = (id: string) => (fl.app.env.store.get('ec2.instances', westScope, id) as { hostId: string }).hostId;
    const launch = async (count: number, placement: Placement = {}) =>
      (await west.send(new RunInstancesCommand({ ImageId: 'ami-e7527ed7', InstanceType: 'm5.large', MinCount: count, MaxCount: count, Placement: { AvailabilityZone: zone, ...placement } }))).Instances!.map((i) => i.InstanceId!);
    const modify = (more: Record<string, unknown>) => west.send(new ModifyInstancePlacementCommand({ InstanceId: id, ...more }));
    const placement = async () => (await west.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].Placement!;
    const stop = async () => {
      await west.send(new StopInstancesCommand({ InstanceIds: [id] }));
      fl.advance(60);
    };
    const start = () => west.send(new StartInstancesCommand({ InstanceIds: [id] }));

    await west.send(new CreatePlacementGroupCommand({ GroupName: 'full', Strategy: 'spread' }));
    await west.send(new CreatePlacementGroupCommand({ GroupName: 'halves', Strategy: 'partition', PartitionCount: 2 }));
    await launch(7, { GroupName: 'full' });
    const [id] = await launch(1);
    fl.advance(60);
    assert.match(await errorOf(modify({ GroupName: 'full' })), new RegExp(`^IncorrectInstanceState: The instance '${id}' is not in the 'stopped' state\\.$`));
    assert.match(await errorOf(modify({})), /^MissingParameter: At least one attribute/);
    await stop();
    assert.match(await errorOf(modify({ GroupName: 'nope' })), /InvalidPlacementGroup\.Unknown/);
    assert.equal((await modify({ GroupName: 'full' })).Return, true);
    assert.equal((await placement()).GroupName, 'full');
    // The group already has seven running in the zone: the start is refused as a launch would be.
    assert.match(await errorOf(start()), /^InsufficientInstanceCapacity: A rack spread placement group can have at most 7 running instances per Availability Zone/);

    assert.match(await errorOf(modify({ GroupName: 'halves', PartitionNumber: 3 })), /InvalidParameterValue/);
    await modify({ GroupName: 'halves', PartitionNumber: 2 });
    assert.deepEqual([(await placement()).GroupName, (await placement()).PartitionNumber], ['halves', 2]);

    const [hostId] = (await west.send(new AllocateHostsCommand({ AvailabilityZone: zone, InstanceType: 'm5.large', Quantity: 1, AutoPlacement: 'off' }))).HostIds!;
    const worldHost = (fl.app.env.store.get('ec2.hosts', westScope, hostId) as { worldHostId: string }).worldHostId;
    assert.match(await errorOf(modify({ Tenancy: 'host', HostId: hostId })), /^InvalidParameterCombination: Instances on Dedicated Hosts cannot be launched into placement groups/);
    await modify({ GroupName: '' });
    assert.deepEqual([(await placement()).GroupName, (await placement()).PartitionNumber], ['', undefined]);
    await modify({ Tenancy: 'host', HostId: hostId, Affinity: 'host' });
    await start();
    assert.equal(westHost(id), worldHost, 'started on its Dedicated Host');
    const p = await placement();
    assert.deepEqual([p.Tenancy, p.HostId, p.Affinity], ['host', hostId, 'host']);
    assert.deepEqual((await west.send(new DescribeHostsCommand({ HostIds: [hostId] }))).Hosts![0].Instances!.map((i) => i.InstanceId), [id]);
    fl.advance(60);
    // Affinity alone may change while the instance runs; nothing else may.
    await modify({ Affinity: 'default' });
    assert.equal((await placement()).Affinity, 'default');
    assert.match(await errorOf(modify({ Tenancy: 'default' })), /IncorrectInstanceState/);
    await stop();
    assert.match(await errorOf(modify({ Tenancy: 'dedicated' })), /^InvalidRequest: You can't change the tenancy from host to dedicated\.$/);
    await modify({ Tenancy: 'default' });
    const back = await placement();
    assert.deepEqual([back.Tenancy, back.HostId, back.Affinity], ['default', undefined, undefined]);
    await start();
    assert.notEqual(westHost(id), worldHost, 'off the Dedicated Host');
  });

  it('CloudFormation: AWS::EC2::PlacementGroup and AWS::EC2::Host, used by instances', async () => {
    // us-east-1e has free hosts left by the tests before (its cluster holds one, its Dedicated Hosts three).
    const instance = (placement: Record<string, unknown>) => ({ Type: 'AWS::EC2::Instance', Properties: { ImageId: AMI, InstanceType: 'c5.large', AvailabilityZone: 'us-east-1e', ...placement } });
    const template = {
      Resources: {
        Group: { Type: 'AWS::EC2::PlacementGroup', Properties: { Strategy: 'spread' } },
        A: instance({ PlacementGroupName: { Ref: 'Group' } }),
        B: instance({ PlacementGroupName: { Ref: 'Group' } }),
        Host: { Type: 'AWS::EC2::Host', Properties: { AvailabilityZone: 'us-east-1e', InstanceType: 'c5.large', AutoPlacement: 'off' } },
        OnHost: instance({ Tenancy: 'host', HostId: { Ref: 'Host' } }),
      },
      Outputs: { GroupId: { Value: { 'Fn::GetAtt': ['Group', 'GroupId'] } } },
    };
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'placed', '--template-body', JSON.stringify(template));
    fl.advance(120);
    type Resource = { LogicalResourceId: string; PhysicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string };
    const resources: Resource[] = (await fl.aws('cloudformation', 'describe-stack-resources', '--stack-name', 'placed')).StackResources;
    assert.ok(resources.every((r) => r.ResourceStatus === 'CREATE_COMPLETE'), JSON.stringify(resources.map((r) => [r.LogicalResourceId, r.ResourceStatus, r.ResourceStatusReason])));
    const id = (logical: string) => resources.find((r) => r.LogicalResourceId === logical)!.PhysicalResourceId!;
    const byId = new Map((await described([id('A'), id('B'), id('OnHost')])).map((i) => [i.InstanceId, i]));
    const [a, b, onHost] = [byId.get(id('A'))!, byId.get(id('B'))!, byId.get(id('OnHost'))!];
    assert.equal(a.Placement!.GroupName, id('Group'));
    assert.notEqual(hostOf(a.InstanceId!), hostOf(b.InstanceId!));
    assert.equal(onHost.Placement!.HostId, id('Host'));
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'placed');
    fl.advance(120);
    assert.deepEqual((await ec2.send(new DescribePlacementGroupsCommand({ Filters: [{ Name: 'group-name', Values: [id('Group')] }] }))).PlacementGroups, []);
    assert.equal((await ec2.send(new DescribeHostsCommand({ HostIds: [id('Host')] }))).Hosts![0].State, 'released');
  });
});
