/**
 * The instance lifecycle through the AWS CLI, on the manual clock: launch into a subnet, pending
 * then running, the seed's describe-instances query, status checks, stop/start/reboot/terminate,
 * and the errors AWS gives.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { injectFault } from '../../src/world/faults.ts';

const AMI = 'ami-1ecae776';

async function network(fl: Faultline, cidr = '10.0.0.0/16', subnetCidr = '10.0.1.0/24', zone = 'us-east-1a') {
  const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', cidr)).Vpc.VpcId as string;
  await fl.aws('ec2', 'modify-vpc-attribute', '--vpc-id', vpc, '--enable-dns-hostnames', '{"Value":true}');
  const subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', subnetCidr, '--availability-zone', zone)).Subnet.SubnetId as string;
  await fl.aws('ec2', 'modify-subnet-attribute', '--subnet-id', subnet, '--map-public-ip-on-launch');
  const sg = (await fl.aws('ec2', 'create-security-group', '--group-name', 'jenkins', '--description', 'jenkins', '--vpc-id', vpc)).GroupId as string;
  return { vpc, subnet, sg };
}

async function errorOf(fl: Faultline, ...args: string[]): Promise<string> {
  const r = await fl.awsRaw(...args);
  assert.notEqual(r.code, 0, `expected ${args.join(' ')} to fail`);
  return r.stderr;
}

describe('ec2 instances through the AWS CLI', () => {
  let fl: Faultline;
  let net: { vpc: string; subnet: string; sg: string };
  let id: string;
  let firstPublicIp: string;
  let privateIp: string;
  let rootVolume: string;

  before(async () => {
    fl = await startFaultline();
    net = await network(fl);
  });
  after(() => fl.close());

  it('launches a pending instance with addresses, a root volume and tags', async () => {
    const userData = '#!/bin/bash -ex\nyum install -y jenkins\nservice jenkins start\n';
    const r = await fl.aws(
      'ec2', 'run-instances', '--image-id', AMI, '--instance-type', 't2.micro', '--subnet-id', net.subnet,
      '--security-group-ids', net.sg, '--count', '1', '--user-data', userData,
      '--tag-specifications', 'ResourceType=instance,Tags=[{Key=Name,Value=jenkins-multiaz}]', 'ResourceType=volume,Tags=[{Key=Name,Value=jenkins-root}]',
    );
    assert.match(r.ReservationId, /^r-[0-9a-f]{17}$/);
    const inst = r.Instances[0];
    id = inst.InstanceId;
    assert.match(id, /^i-[0-9a-f]{17}$/);
    assert.deepEqual(inst.State, { Code: 0, Name: 'pending' });
    assert.deepEqual(inst.StateReason, { Code: 'pending', Message: 'pending' });
    assert.equal(inst.Placement.AvailabilityZone, 'us-east-1a');
    assert.equal(inst.SubnetId, net.subnet);
    assert.equal(inst.VpcId, net.vpc);
    privateIp = inst.PrivateIpAddress;
    assert.equal(privateIp, '10.0.1.4', 'the first free address after the four reserved ones');
    assert.equal(inst.PrivateDnsName, 'ip-10-0-1-4.ec2.internal');
    firstPublicIp = inst.PublicIpAddress;
    assert.match(firstPublicIp, /^127\.100\.\d+\.\d+$/);
    assert.equal(inst.PublicDnsName, `ec2-${firstPublicIp.replace(/\./g, '-')}.compute-1.amazonaws.com`);
    assert.deepEqual(inst.SecurityGroups.map((g: { GroupId: string }) => g.GroupId), [net.sg]);
    assert.equal(inst.RootDeviceName, '/dev/xvda');
    assert.equal(inst.RootDeviceType, 'ebs');
    assert.equal(inst.Hypervisor, 'xen');
    assert.equal(inst.Architecture, 'x86_64');
    assert.equal(inst.MetadataOptions.HttpTokens, 'optional');
    assert.equal(inst.MetadataOptions.HttpEndpoint, 'enabled');
    assert.equal(inst.MaintenanceOptions.AutoRecovery, 'default');
    assert.equal(inst.Monitoring.State, 'disabled');
    assert.equal(inst.NetworkInterfaces[0].Association.PublicIp, firstPublicIp);
    assert.match(inst.NetworkInterfaces[0].NetworkInterfaceId, /^eni-/);
    assert.equal(inst.BlockDeviceMappings[0].DeviceName, '/dev/xvda');
    assert.equal(inst.BlockDeviceMappings[0].Ebs.DeleteOnTermination, true);
    rootVolume = inst.BlockDeviceMappings[0].Ebs.VolumeId;
    const vols = await fl.aws('ec2', 'describe-volumes', '--volume-ids', rootVolume);
    assert.equal(vols.Volumes[0].State, 'in-use');
    assert.equal(vols.Volumes[0].Size, 8);
    assert.equal(vols.Volumes[0].AvailabilityZone, 'us-east-1a');
    assert.equal(vols.Volumes[0].Attachments[0].InstanceId, id);
    assert.deepEqual(vols.Volumes[0].Tags, [{ Key: 'Name', Value: 'jenkins-root' }]);
    const attr = await fl.aws('ec2', 'describe-instance-attribute', '--instance-id', id, '--attribute', 'userData');
    assert.equal(Buffer.from(attr.UserData.Value, 'base64').toString(), userData);
  });

  it('moves from pending to running after the boot time, and answers the seed query', async () => {
    fl.advance(29);
    let d = await fl.aws('ec2', 'describe-instances', '--instance-ids', id);
    assert.equal(d.Reservations[0].Instances[0].State.Name, 'pending');
    fl.advance(1);
    d = await fl.aws('ec2', 'describe-instances', '--instance-ids', id);
    assert.deepEqual(d.Reservations[0].Instances[0].State, { Code: 16, Name: 'running' });
    assert.equal(d.Reservations[0].Instances[0].StateReason, undefined);
    const q = await fl.aws(
      'ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=jenkins-multiaz', 'Name=instance-state-code,Values=16',
      '--query', 'Reservations[0].Instances[0].[InstanceId, PublicIpAddress, PrivateIpAddress, SubnetId]',
    );
    assert.deepEqual(q, [id, firstPublicIp, privateIp, net.subnet]);
    const none = await fl.aws('ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=jenkins-multiaz', 'Name=instance-state-code,Values=80');
    assert.deepEqual(none.Reservations, []);
    for (const [name, value] of [
      ['instance-state-name', 'running'], ['subnet-id', net.subnet], ['vpc-id', net.vpc], ['availability-zone', 'us-east-1a'],
      ['ip-address', firstPublicIp], ['private-ip-address', privateIp], ['instance-type', 't2.micro'], ['image-id', AMI],
      ['network-interface.addresses.private-ip-address', privateIp], ['private-dns-name', 'ip-10-0-1-4.ec2.internal'],
      ['instance.group-id', net.sg], ['instance.group-name', 'jenkins'], ['tag-key', 'Name'], ['tag-value', 'jenkins-*'],
    ]) {
      const f = await fl.aws('ec2', 'describe-instances', '--filters', `Name=${name},Values=${value}`, '--query', 'Reservations[].Instances[].InstanceId');
      assert.deepEqual(f, [id], `filter ${name}=${value}`);
    }
    const events = fl.app.env.events.list().filter((e) => e.type === 'ec2.instance-state-change' && e.detail.instanceId === id);
    assert.deepEqual(events.map((e) => e.detail.state), ['pending', 'running']);
  });

  it('reports status checks initializing for two minutes, then ok, and impaired when the host fails', async () => {
    let s = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id);
    assert.equal(s.InstanceStatuses[0].InstanceStatus.Status, 'initializing');
    assert.equal(s.InstanceStatuses[0].SystemStatus.Details[0].Status, 'initializing');
    fl.advance(120);
    s = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id);
    assert.equal(s.InstanceStatuses[0].InstanceStatus.Status, 'ok');
    assert.equal(s.InstanceStatuses[0].SystemStatus.Status, 'ok');
    assert.deepEqual(s.InstanceStatuses[0].SystemStatus.Details, [{ Name: 'reachability', Status: 'passed' }]);
    const ok = await fl.aws('ec2', 'describe-instance-status', '--filters', 'Name=system-status.status,Values=ok', '--query', 'InstanceStatuses[].InstanceId');
    assert.deepEqual(ok, [id]);

    const inst = fl.app.env.store.list<{ InstanceId: string; hostId: string }>('ec2.instances', { account: '000000000000', region: 'us-east-1' }).find((i) => i.InstanceId === id)!;
    injectFault(fl.app.env, { kind: 'host', target: inst.hostId, region: 'us-east-1', effect: 'power' });
    fl.advance(60);
    s = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id);
    assert.equal(s.InstanceStatuses[0].SystemStatus.Status, 'impaired');
    assert.equal(s.InstanceStatuses[0].SystemStatus.Details[0].Status, 'failed');
    assert.ok(s.InstanceStatuses[0].SystemStatus.Details[0].ImpairedSince);
    assert.equal(s.InstanceStatuses[0].InstanceStatus.Status, 'impaired');
    // The instance itself stays running on a failed host, as on AWS.
    assert.equal(s.InstanceStatuses[0].InstanceState.Name, 'running');
  });

  it('reboots keeping addresses, and writes the user data run to the console output', async () => {
    await fl.aws('ec2', 'reboot-instances', '--instance-ids', id);
    const d = await fl.aws('ec2', 'describe-instances', '--instance-ids', id);
    const inst = d.Reservations[0].Instances[0];
    assert.equal(inst.State.Name, 'running');
    assert.equal(inst.PublicIpAddress, firstPublicIp);
    assert.equal(inst.PrivateIpAddress, privateIp);
    const out = await fl.aws('ec2', 'get-console-output', '--instance-id', id);
    // The CLI decodes Output from base64.
    assert.match(out.Output, /Cloud-init .* running 'modules:final'/);
    assert.match(out.Output, /yum install -y jenkins/);
  });

  it('stops: the public IP is released, the private IP kept; start gives a new public IP', async () => {
    const r = await fl.aws('ec2', 'stop-instances', '--instance-ids', id);
    assert.deepEqual(r.StoppingInstances[0].PreviousState, { Code: 16, Name: 'running' });
    assert.deepEqual(r.StoppingInstances[0].CurrentState, { Code: 64, Name: 'stopping' });
    fl.advance(20);
    let inst = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    assert.deepEqual(inst.State, { Code: 80, Name: 'stopped' });
    assert.equal(inst.PublicIpAddress, undefined);
    assert.equal(inst.PublicDnsName, '');
    assert.equal(inst.PrivateIpAddress, privateIp);
    assert.match(inst.StateTransitionReason, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
    assert.equal(inst.StateReason.Code, 'Client.UserInitiatedShutdown');
    const status = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id);
    assert.deepEqual(status.InstanceStatuses, [], 'only running instances without --include-all-instances');
    const all = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id, '--include-all-instances');
    assert.equal(all.InstanceStatuses[0].InstanceStatus.Status, 'not-applicable');

    // The host it ran on is still failed, so the start moves it to another host.
    const start = await fl.aws('ec2', 'start-instances', '--instance-ids', id);
    assert.deepEqual(start.StartingInstances[0].CurrentState, { Code: 0, Name: 'pending' });
    fl.advance(30);
    inst = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    assert.equal(inst.State.Name, 'running');
    assert.match(inst.PublicIpAddress, /^127\.100\./);
    assert.notEqual(inst.PublicIpAddress, firstPublicIp);
    assert.equal(inst.PrivateIpAddress, privateIp);
    fl.advance(180);
    const s = await fl.aws('ec2', 'describe-instance-status', '--instance-ids', id);
    assert.equal(s.InstanceStatuses[0].SystemStatus.Status, 'ok', 'a healthy host after the start');
  });

  it('refuses what the state does not allow', async () => {
    const r = await fl.aws('ec2', 'run-instances', '--image-id', AMI, '--instance-type', 't2.micro', '--subnet-id', net.subnet);
    const pending = r.Instances[0].InstanceId;
    assert.match(await errorOf(fl, 'ec2', 'stop-instances', '--instance-ids', pending), /IncorrectInstanceState.*not in a state from which it can be stopped/);
    assert.match(await errorOf(fl, 'ec2', 'start-instances', '--instance-ids', id, 'i-0123456789abcdef0'), /InvalidInstanceID\.NotFound.*i-0123456789abcdef0/);
    assert.match(await errorOf(fl, 'ec2', 'describe-instances', '--instance-ids', 'i-bogus'), /InvalidInstanceID\.Malformed/);
    assert.match(await errorOf(fl, 'ec2', 'describe-instances', '--instance-ids', id, '--max-results', '5'), /InvalidParameterCombination/);
    // Termination protection.
    await fl.aws('ec2', 'modify-instance-attribute', '--instance-id', pending, '--disable-api-termination');
    assert.match(await errorOf(fl, 'ec2', 'terminate-instances', '--instance-ids', pending), /OperationNotPermitted.*disableApiTermination/);
    await fl.aws('ec2', 'modify-instance-attribute', '--instance-id', pending, '--no-disable-api-termination');
    // One bad id: nothing is terminated.
    assert.match(await errorOf(fl, 'ec2', 'terminate-instances', '--instance-ids', pending, 'i-00000000000000000'), /InvalidInstanceID\.NotFound/);
    const still = await fl.aws('ec2', 'describe-instances', '--instance-ids', pending);
    assert.equal(still.Reservations[0].Instances[0].State.Name, 'pending');
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', pending);
  });

  it('answers launch errors as AWS does', async () => {
    assert.match(await errorOf(fl, 'ec2', 'run-instances', '--image-id', 'ami-12345678', '--subnet-id', net.subnet), /InvalidAMIID\.NotFound.*ami-12345678/);
    assert.match(await errorOf(fl, 'ec2', 'run-instances', '--image-id', AMI, '--instance-type', 't2.micro', '--placement', 'AvailabilityZone=us-east-1z'), /InvalidParameterValue.*Invalid availability zone: \[us-east-1z\]/);
    assert.match(await errorOf(fl, 'ec2', 'run-instances', '--image-id', AMI, '--subnet-id', 'subnet-0123456789abcdef0'), /InvalidSubnetID\.NotFound/);
    assert.match(await errorOf(fl, 'ec2', 'run-instances', '--image-id', AMI, '--subnet-id', net.subnet, '--key-name', 'nokey'), /InvalidKeyPair\.NotFound/);
    assert.match(await errorOf(fl, 'ec2', 'run-instances', '--image-id', AMI, '--subnet-id', net.subnet, '--instance-type', 'x9.huge'), /InvalidParameterValue/);
    assert.match(await errorOf(fl, 'ec2', 'run-instances', '--image-id', AMI, '--subnet-id', net.subnet, '--security-groups', 'jenkins'), /InvalidParameterCombination/);
    // More than the zone's hosts can hold, with MinCount above what fits.
    const { hostsPerZone, hostCapacity } = fl.app.env.config;
    const tooMany = String(hostsPerZone * hostCapacity + 1);
    assert.match(await errorOf(fl, 'ec2', 'run-instances', '--image-id', AMI, '--subnet-id', net.subnet, '--count', tooMany), /InsufficientInstanceCapacity.*us-east-1a/);
  });

  it('terminates: shutting-down, terminated with volumes gone, then disappears after an hour', async () => {
    const r = await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
    assert.deepEqual(r.TerminatingInstances[0].CurrentState, { Code: 32, Name: 'shutting-down' });
    const again = await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
    assert.equal(again.TerminatingInstances[0].CurrentState.Name, 'shutting-down', 'terminate is idempotent');
    fl.advance(20);
    const inst = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    assert.deepEqual(inst.State, { Code: 48, Name: 'terminated' });
    assert.equal(inst.PublicIpAddress, undefined);
    assert.equal(inst.PrivateIpAddress, undefined);
    assert.deepEqual(inst.NetworkInterfaces, []);
    assert.match(await errorOf(fl, 'ec2', 'describe-volumes', '--volume-ids', rootVolume), /InvalidVolume\.NotFound/);
    const enis = await fl.aws('ec2', 'describe-network-interfaces', '--filters', `Name=attachment.instance-id,Values=${id}`);
    assert.deepEqual(enis.NetworkInterfaces, []);
    const subnet = (await fl.aws('ec2', 'describe-subnets', '--subnet-ids', net.subnet)).Subnets[0];
    assert.equal(subnet.AvailableIpAddressCount, 251, 'both private addresses are back in the subnet');
    fl.advance(59 * 60);
    const still = await fl.aws('ec2', 'describe-instances', '--instance-ids', id);
    assert.equal(still.Reservations[0].Instances[0].State.Name, 'terminated');
    fl.advance(60);
    assert.match(await errorOf(fl, 'ec2', 'describe-instances', '--instance-ids', id), /InvalidInstanceID\.NotFound/);
    const events = fl.app.env.events.list().filter((e) => e.type === 'ec2.instance-state-change' && e.detail.instanceId === id);
    assert.deepEqual(events.map((e) => e.detail.state), ['pending', 'running', 'stopping', 'stopped', 'pending', 'running', 'shutting-down', 'terminated']);
  });
});
