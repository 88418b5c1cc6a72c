/**
 * Elastic IPs through the AWS SDK for JavaScript v3: allocate, associate, reassociate,
 * disassociate and release, with the automatic public IP rules of AWS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EC2Client,
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DisassociateAddressCommand,
  ModifySubnetAttributeCommand,
  ReleaseAddressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { failure, startFaultline, type Faultline } from '../harness.ts';

describe('elastic IPs through the SDK v3', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  let a: string;
  let b: string;
  let noAuto: string;
  let alloc: string;
  let eip: string;
  let assoc: string;
  const autoIp = new Map<string, string>();

  const describeOne = async (id: string): Promise<Instance> => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];

  before(async () => {
    fl = await startFaultline();
    ec2 = new EC2Client(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.2.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnet, MapPublicIpOnLaunch: { Value: true } }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 2, MaxCount: 2, SubnetId: subnet }));
    [a, b] = run.Instances!.map((i) => i.InstanceId!);
    for (const i of run.Instances!) autoIp.set(i.InstanceId!, i.PublicIpAddress!);
    assert.equal(run.Instances!.length, 2);
    const plain = await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-1ecae776', MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet, AssociatePublicIpAddress: false }] }),
    );
    noAuto = plain.Instances![0].InstanceId!;
    assert.equal(plain.Instances![0].PublicIpAddress, undefined);
    assert.equal(plain.Instances![0].InstanceType, 'm1.small', 'EC2 defaults the instance type to m1.small');
    fl.advance(30);
  });
  after(() => fl.close());

  it('allocates from the public pool', async () => {
    const r = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'Name', Value: 'jenkins' }] }] }));
    alloc = r.AllocationId!;
    eip = r.PublicIp!;
    assert.match(alloc, /^eipalloc-[0-9a-f]{17}$/);
    assert.match(eip, /^127\.100\.\d+\.\d+$/);
    assert.equal(r.Domain, 'vpc');
    assert.ok(![...autoIp.values()].includes(eip), 'an address is held by one owner');
  });

  it('associates with an instance, which loses its automatic public IP', async () => {
    assoc = (await ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: a }))).AssociationId!;
    assert.match(assoc, /^eipassoc-/);
    const inst = await describeOne(a);
    assert.equal(inst.PublicIpAddress, eip);
    assert.equal(inst.NetworkInterfaces![0].Association!.IpOwnerId, '000000000000');
    const addr = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc] }))).Addresses![0];
    assert.equal(addr.InstanceId, a);
    assert.equal(addr.AssociationId, assoc);
    assert.equal(addr.PrivateIpAddress, inst.PrivateIpAddress);
    const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'association.public-ip', Values: [eip] }] }));
    assert.equal(enis.NetworkInterfaces![0].Attachment!.InstanceId, a);
    const byFilter = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [a] }, { Name: 'tag:Name', Values: ['jenkins'] }] }));
    assert.deepEqual(byFilter.Addresses!.map((x) => x.PublicIp), [eip]);
  });

  it('refuses to move an associated address without AllowReassociation, and moves it with it', async () => {
    const err = await failure(ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: b })));
    assert.equal(err, `Resource.AlreadyAssociated: resource ${alloc} is already associated with associate-id ${assoc}`);
    assert.equal((await describeOne(b)).PublicIpAddress, autoIp.get(b), 'the failed call changed nothing');
    assoc = (await ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: b, AllowReassociation: true }))).AssociationId!;
    const ia = await describeOne(a);
    const ib = await describeOne(b);
    assert.equal(ib.PublicIpAddress, eip);
    assert.match(ia.PublicIpAddress!, /^127\.100\./, 'the instance it left gets an automatic public IP again');
    assert.notEqual(ia.PublicIpAddress, eip);
  });

  it('keeps the address through stop and start', async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [b] }));
    fl.advance(20);
    assert.equal((await describeOne(b)).PublicIpAddress, eip);
    await ec2.send(new StartInstancesCommand({ InstanceIds: [b] }));
    fl.advance(30);
    const ib = await describeOne(b);
    assert.equal(ib.State!.Name, 'running');
    assert.equal(ib.PublicIpAddress, eip);
  });

  it('will not release an associated address; disassociating gives a new automatic IP', async () => {
    const err = await failure(ec2.send(new ReleaseAddressCommand({ AllocationId: alloc })));
    assert.equal(err, `InvalidIPAddress.InUse: Address ${eip} is in use.`);
    await ec2.send(new DisassociateAddressCommand({ AssociationId: assoc }));
    const ib = await describeOne(b);
    assert.match(ib.PublicIpAddress!, /^127\.100\./);
    assert.notEqual(ib.PublicIpAddress, eip);
    const addr = (await ec2.send(new DescribeAddressesCommand({ PublicIps: [eip] }))).Addresses![0];
    assert.equal(addr.AssociationId, undefined);
    assert.equal(addr.InstanceId, undefined);
    const gone = await failure(ec2.send(new DisassociateAddressCommand({ AssociationId: assoc })));
    assert.match(gone, /^InvalidAssociationID\.NotFound/);
  });

  it('gives an instance launched without a public IP none back after disassociation', async () => {
    const id = (await ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: noAuto }))).AssociationId!;
    assert.equal((await describeOne(noAuto)).PublicIpAddress, eip);
    await ec2.send(new DisassociateAddressCommand({ AssociationId: id }));
    assert.equal((await describeOne(noAuto)).PublicIpAddress, undefined);
  });

  it('takes the address off a terminated instance and keeps it allocated, then releases it', async () => {
    await ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: a }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a] }));
    const addr = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc] }))).Addresses![0];
    assert.equal(addr.AssociationId, undefined);
    assert.equal(addr.PublicIp, eip);
    await ec2.send(new ReleaseAddressCommand({ AllocationId: alloc }));
    const err = await failure(ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc] })));
    assert.match(err, /^InvalidAllocationID\.NotFound/);
  });

  it('enforces the Elastic IP quota of five per region', async () => {
    for (let i = 0; i < 5; i++) await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const err = await failure(ec2.send(new AllocateAddressCommand({ Domain: 'vpc' })));
    assert.equal(err, 'AddressLimitExceeded: The maximum number of addresses has been reached.');
    const west = new EC2Client({ ...fl.sdk, region: 'us-west-2' });
    const other = await west.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const east = (await ec2.send(new DescribeAddressesCommand({}))).Addresses!.map((x) => x.PublicIp);
    assert.ok(!east.includes(other.PublicIp), 'addresses are unique across regions');
  });
});
