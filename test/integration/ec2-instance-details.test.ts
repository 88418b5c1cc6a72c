/**
 * The rest of the instance API through the SDK v3: instance types, credit specifications,
 * maintenance options, attributes, idempotent launches, paging, network interfaces, IAM
 * instance profiles, and recovery onto another host.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EC2Client,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  ModifyInstanceAttributeCommand,
  ModifyInstanceMaintenanceOptionsCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { failure, startFaultline, type Faultline } from '../harness.ts';
import { instanceInitiatedShutdown, recoverInstance } from '../../src/services/ec2/instance.loop.ts';
import { injectFault } from '../../src/world/faults.ts';

describe('ec2 instance details through the SDK v3', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  let subnet: string;
  const scope = { account: '000000000000', region: 'us-east-1' };
  const hostOf = (id: string) => fl.app.env.store.get<{ hostId?: string }>('ec2.instances', scope, id)?.hostId;

  before(async () => {
    fl = await startFaultline();
    ec2 = new EC2Client(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.3.0.0/16' }))).Vpc!.VpcId!;
    subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.3.1.0/24', AvailabilityZone: 'us-east-1d' }))).Subnet!.SubnetId!;
  });
  after(() => fl.close());

  it('describes the built-in instance types with filters', async () => {
    const r = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t2.micro', 'm5.large', 't1.micro'] }));
    const byName = new Map(r.InstanceTypes!.map((t) => [t.InstanceType, t]));
    assert.equal(byName.get('t2.micro')!.VCpuInfo!.DefaultVCpus, 1);
    assert.equal(byName.get('t2.micro')!.MemoryInfo!.SizeInMiB, 1024);
    assert.equal(byName.get('m5.large')!.MemoryInfo!.SizeInMiB, 8192);
    assert.equal(byName.get('t1.micro')!.AutoRecoverySupported, false);
    const two = await ec2.send(new DescribeInstanceTypesCommand({ Filters: [{ Name: 'vcpu-info.default-vcpus', Values: ['2'] }, { Name: 'instance-type', Values: ['c5.*'] }] }));
    assert.deepEqual(two.InstanceTypes!.map((t) => t.InstanceType), ['c5.large']);
    assert.match(await failure(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['z9.mega' as never] }))), /^InvalidInstanceType/);
  });

  it('launches idempotently with a client token, and pages through reservations', async () => {
    const first = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't3.micro', MinCount: 3, MaxCount: 3, SubnetId: subnet, ClientToken: 'tok-1' }));
    const again = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't3.micro', MinCount: 3, MaxCount: 3, SubnetId: subnet, ClientToken: 'tok-1' }));
    assert.equal(again.ReservationId, first.ReservationId);
    assert.deepEqual(again.Instances!.map((i) => i.InstanceId), first.Instances!.map((i) => i.InstanceId));
    assert.deepEqual(first.Instances!.map((i) => i.AmiLaunchIndex), [0, 1, 2]);
    await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 3, MaxCount: 3, SubnetId: subnet }));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: token }));
      for (const r of page.Reservations!) for (const i of r.Instances!) seen.push(i.InstanceId!);
      token = page.NextToken;
      pages++;
    } while (token);
    assert.equal(pages, 2);
    assert.equal(new Set(seen).size, 6);
    assert.match(await failure(ec2.send(new DescribeInstancesCommand({ MaxResults: 4 }))), /^InvalidParameterValue/);
    fl.advance(30);
  });

  it('reports credit specifications and maintenance options, and refuses recovery settings t1 cannot have', async () => {
    const all = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-type', Values: ['t3.micro'] }] }));
    const t3 = all.Reservations![0].Instances![0].InstanceId!;
    const credits = await ec2.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [t3] }));
    assert.deepEqual(credits.InstanceCreditSpecifications, [{ InstanceId: t3, CpuCredits: 'unlimited' }]);
    const m = await ec2.send(new ModifyInstanceMaintenanceOptionsCommand({ InstanceId: t3, AutoRecovery: 'disabled' }));
    assert.equal(m.AutoRecovery, 'disabled');
    const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [t3] }));
    assert.equal(d.Reservations![0].Instances![0].MaintenanceOptions!.AutoRecovery, 'disabled');
    const t1 = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't1.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet, MaintenanceOptions: { AutoRecovery: 'disabled' } }))).Instances![0].InstanceId!;
    assert.match(await failure(ec2.send(new ModifyInstanceMaintenanceOptionsCommand({ InstanceId: t1, AutoRecovery: 'default' }))), /^UnsupportedOperation/);
  });

  it('changes the instance type only while stopped', async () => {
    const id = (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-type', Values: ['t2.micro'] }] }))).Reservations![0].Instances![0].InstanceId!;
    const early = await failure(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't2.small' } })));
    assert.match(early, /^IncorrectInstanceState/);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    fl.advance(20);
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't2.small' } }));
    const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceType' }));
    assert.equal(attr.InstanceType!.Value, 't2.small');
    const dat = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' }));
    assert.equal(dat.DisableApiTermination!.Value, false);
  });

  it('lists the primary network interfaces of instances', async () => {
    const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnet] }] }));
    assert.equal(enis.NetworkInterfaces!.length, 7);
    const one = enis.NetworkInterfaces![0];
    assert.equal(one.Status, 'in-use');
    assert.equal(one.Attachment!.DeviceIndex, 0);
    assert.match(one.PrivateIpAddress!, /^10\.3\.1\./);
    assert.match(one.MacAddress!, /^02(:[0-9a-f]{2}){5}$/);
    assert.match(await failure(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0123456789abcdef0'] }))), /^InvalidNetworkInterfaceID\.NotFound/);
  });

  it('refuses an instance profile IAM does not know', async () => {
    const err = await failure(ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', MinCount: 1, MaxCount: 1, SubnetId: subnet, IamInstanceProfile: { Name: 'nope' } })));
    assert.equal(err, 'InvalidParameterValue: Value (nope) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name');
  });

  it('recovers a running instance onto another host of its zone, keeping its addresses', async () => {
    const r = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet }));
    const id = r.Instances![0].InstanceId!;
    fl.advance(30 + 120);
    const host = hostOf(id)!;
    injectFault(fl.app.env, { kind: 'host', target: host, region: 'us-east-1', effect: 'network' });
    fl.advance(60);
    let s = (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }))).InstanceStatuses![0];
    assert.equal(s.SystemStatus!.Status, 'impaired');
    const before = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
    const to = fl.app.env.store.transaction(() => recoverInstance(fl.app.env, scope, id));
    assert.ok(to && to !== host && to.startsWith('h-us-east-1d-'), `recovered onto another host in the zone, got ${to}`);
    const afterRecovery = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
    assert.equal(afterRecovery.State!.Name, 'running');
    assert.equal(afterRecovery.PrivateIpAddress, before.PrivateIpAddress);
    assert.equal(afterRecovery.PublicIpAddress, before.PublicIpAddress);
    assert.deepEqual(afterRecovery.BlockDeviceMappings, before.BlockDeviceMappings);
    s = (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }))).InstanceStatuses![0];
    assert.equal(s.SystemStatus!.Status, 'initializing');
    fl.advance(120);
    s = (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }))).InstanceStatuses![0];
    assert.equal(s.SystemStatus!.Status, 'ok');
    assert.equal(fl.app.env.events.list().filter((e) => e.type === 'ec2.instance-recovered').length, 1);
  });

  it('follows InstanceInitiatedShutdownBehavior when the instance shuts itself down', async () => {
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 2, MaxCount: 2, SubnetId: subnet }),
    );
    const [stopper, quitter] = run.Instances!.map((i) => i.InstanceId!);
    fl.advance(30);
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: quitter, InstanceInitiatedShutdownBehavior: { Value: 'terminate' } }));
    const states = fl.app.env.store.transaction(() => [stopper, quitter].map((id) => instanceInitiatedShutdown(fl.app.env, scope, id)));
    assert.deepEqual(states, ['stopping', 'shutting-down']);
    fl.advance(20);
    const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [stopper, quitter] }));
    const byId = new Map(d.Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId, i]));
    assert.equal(byId.get(stopper)!.State!.Name, 'stopped');
    assert.equal(byId.get(quitter)!.State!.Name, 'terminated');
    assert.equal(byId.get(stopper)!.StateReason!.Code, 'Client.InstanceInitiatedShutdown');
  });
});
