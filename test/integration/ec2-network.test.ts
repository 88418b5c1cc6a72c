/** EC2 networking through the real clients: the SDK v3, the AWS CLI and boto3. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EC2Client,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  ModifySubnetAttributeCommand,
} from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';

/** The AWS error code an SDK v3 call fails with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { name: string }).name;
  }
  return 'no error';
}

describe('EC2 networking through the real clients', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  let dir: string;
  before(async () => {
    fl = await startFaultline();
    ec2 = new EC2Client(fl.sdk);
    dir = mkdtempSync(join(tmpdir(), 'ec2-network-keys-'));
  });
  after(async () => {
    ec2.destroy();
    await fl.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds a public two-AZ network with the SDK v3, and refuses what AWS refuses', async () => {
    const vpc = (
      await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'main' }] }] }))
    ).Vpc!;
    const VpcId = vpc.VpcId!;
    assert.equal(vpc.CidrBlock, '10.0.0.0/16');
    assert.deepEqual(vpc.Tags, [{ Key: 'Name', Value: 'main' }]);

    const a = (await ec2.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!;
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!;
    assert.equal(a.AvailableIpAddressCount, 251);
    assert.equal(b.AvailabilityZoneId, 'use1-az2');
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: a.SubnetId, MapPublicIpOnLaunch: { Value: true } }));

    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId }));
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId }))).RouteTable!;
    assert.equal((await ec2.send(new CreateRouteCommand({ RouteTableId: rtb.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.InternetGatewayId }))).Return, true);
    for (const s of [a, b]) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb.RouteTableId, SubnetId: s.SubnetId }));

    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers', VpcId }));
    const auth = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg.GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'http' }] },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
        ],
      }),
    );
    assert.equal(auth.SecurityGroupRules?.length, 2);

    // Describe with filters.
    const publicSubnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [VpcId] }, { Name: 'map-public-ip-on-launch', Values: ['true'] }] }),
    );
    assert.deepEqual(publicSubnets.Subnets?.map((s) => s.SubnetId), [a.SubnetId]);
    const byAz = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1b'] }, { Name: 'vpc-id', Values: [VpcId] }] }));
    assert.deepEqual(byAz.Subnets?.map((s) => s.CidrBlock), ['10.0.2.0/24']);
    const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['main'] }, { Name: 'cidr', Values: ['10.0.*'] }] }));
    assert.deepEqual(vpcs.Vpcs?.map((v) => [v.VpcId, v.State, v.IsDefault]), [[VpcId, 'available', false]]);
    const routed = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.destination-cidr-block', Values: ['0.0.0.0/0'] }, { Name: 'association.subnet-id', Values: [b.SubnetId!] }] }),
    );
    assert.equal(routed.RouteTables?.length, 1);
    assert.deepEqual(routed.RouteTables![0].Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State]), [
      ['10.0.0.0/16', 'local', 'active'],
      ['0.0.0.0/0', igw.InternetGatewayId, 'active'],
    ]);
    const gws = await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [VpcId] }] }));
    assert.deepEqual(gws.InternetGateways?.[0].Attachments, [{ VpcId, State: 'available' }]);
    const acls = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [VpcId] }, { Name: 'default', Values: ['true'] }] }));
    assert.deepEqual(acls.NetworkAcls?.[0].Associations?.map((x) => x.SubnetId).sort(), [a.SubnetId, b.SubnetId].sort());
    const web = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.cidr', Values: ['10.0.0.0/16'] }] }));
    assert.deepEqual(web.SecurityGroups?.map((g) => g.GroupName), ['web']);
    assert.deepEqual(web.SecurityGroups![0].IpPermissions?.[0].IpRanges, [{ CidrIp: '0.0.0.0/0', Description: 'http' }]);
    const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [sg.GroupId!] }] }));
    assert.deepEqual(rules.SecurityGroupRules?.map((r) => [r.IsEgress, r.IpProtocol, r.FromPort, r.CidrIpv4]), [
      [true, '-1', -1, '0.0.0.0/0'],
      [false, 'tcp', 80, '0.0.0.0/0'],
      [false, 'tcp', 22, '10.0.0.0/16'],
    ]);
    const paged = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5, Filters: [{ Name: 'vpc-id', Values: [VpcId] }] }));
    assert.equal(paged.SecurityGroups?.length, 2);
    assert.equal(paged.NextToken, undefined);

    // What AWS refuses.
    assert.equal(await codeOf(ec2.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.0.1.0/25' }))), 'InvalidSubnet.Conflict');
    assert.equal(await codeOf(ec2.send(new CreateSubnetCommand({ VpcId, CidrBlock: '192.168.0.0/24' }))), 'InvalidSubnet.Range');
    assert.equal(await codeOf(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/12' }))), 'InvalidVpc.Range');
    assert.equal(await codeOf(ec2.send(new DeleteVpcCommand({ VpcId }))), 'DependencyViolation');
    assert.equal(
      await codeOf(
        ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })),
      ),
      'InvalidPermission.Duplicate',
    );
    assert.equal(await codeOf(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] }))), 'InvalidVpcID.NotFound');
    assert.equal(await codeOf(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] }))), 'InvalidSubnetID.NotFound');
    assert.equal(await codeOf(ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0123456789abcdef0'] }))), 'InvalidRouteTableID.NotFound');
  });

  it('manages security groups and key pairs with the AWS CLI, with fingerprints as AWS documents them', async () => {
    const vpcId = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '172.16.0.0/16')).Vpc.VpcId;
    const { GroupId } = await fl.aws('ec2', 'create-security-group', '--group-name', 'db', '--description', 'database', '--vpc-id', vpcId);
    await fl.aws(
      'ec2',
      'authorize-security-group-ingress',
      '--group-id',
      GroupId,
      '--ip-permissions',
      'IpProtocol=tcp,FromPort=5432,ToPort=5432,IpRanges=[{CidrIp=172.16.0.0/16}]',
    );
    const dup = await fl.awsRaw('ec2', 'authorize-security-group-ingress', '--group-id', GroupId, '--protocol', 'tcp', '--port', '5432', '--cidr', '172.16.0.0/16');
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /InvalidPermission\.Duplicate/);
    const found = await fl.aws('ec2', 'describe-security-groups', '--filters', 'Name=ip-permission.from-port,Values=5432', `Name=vpc-id,Values=${vpcId}`);
    assert.deepEqual(found.SecurityGroups.map((g: { GroupId: string }) => g.GroupId), [GroupId]);
    const missing = await fl.awsRaw('ec2', 'describe-security-groups', '--group-ids', 'sg-0123456789abcdef0');
    assert.match(missing.stderr, /InvalidGroup\.NotFound/);

    // An RSA key made by faultline: the fingerprint is the SHA-1 of the private key's PKCS#8 DER.
    const created = await fl.aws('ec2', 'create-key-pair', '--key-name', 'cli-rsa');
    const pem = join(dir, 'cli-rsa.pem');
    writeFileSync(pem, created.KeyMaterial, { mode: 0o600 });
    const sha1 = execFileSync('sh', ['-c', `openssl pkcs8 -in ${pem} -inform PEM -outform DER -topk8 -nocrypt | openssl sha1 -c`]).toString();
    assert.equal(sha1.trim().split('= ')[1], created.KeyFingerprint);

    // An imported RSA key: the fingerprint is the MD5 of the public key's DER.
    const key = join(dir, 'imported');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'me@host', '-f', key]);
    const imported = await fl.aws('ec2', 'import-key-pair', '--key-name', 'cli-imported', '--public-key-material', `fileb://${key}.pub`);
    const md5 = execFileSync('sh', ['-c', `ssh-keygen -ef ${key}.pub -m PEM | openssl rsa -RSAPublicKey_in -outform DER 2>/dev/null | openssl md5 -c`]).toString();
    assert.equal(md5.trim().split('= ')[1], imported.KeyFingerprint);

    const listed = await fl.aws('ec2', 'describe-key-pairs', '--filters', `Name=fingerprint,Values=${imported.KeyFingerprint}`);
    assert.deepEqual(listed.KeyPairs.map((k: { KeyName: string }) => k.KeyName), ['cli-imported']);
    const again = await fl.awsRaw('ec2', 'import-key-pair', '--key-name', 'cli-imported', '--public-key-material', `fileb://${key}.pub`);
    assert.match(again.stderr, /InvalidKeyPair\.Duplicate/);
  });

  it('builds subnets and ED25519 keys with boto3, and reports its errors', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ed@host', '-f', join(dir, 'ed')]);
    const out = await fl.python(`
import boto3, json, botocore
ec2 = boto3.client('ec2', region_name='eu-west-1')
def code(f, **kw):
    try:
        f(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
vpc = ec2.create_vpc(CidrBlock='10.8.0.0/16')['Vpc']['VpcId']
zones = [ec2.create_subnet(VpcId=vpc, CidrBlock='10.8.%d.0/24' % i)['Subnet']['AvailabilityZone'] for i in range(4)]
key = ec2.create_key_pair(KeyName='boto-ed', KeyType='ed25519')
open(${JSON.stringify(join(dir, 'boto-ed'))}, 'w').write(key['KeyMaterial'])
imported = ec2.import_key_pair(KeyName='boto-imported', PublicKeyMaterial=open(${JSON.stringify(join(dir, 'ed.pub'))}, 'rb').read())
print(json.dumps({
    'zones': zones,
    'fingerprint': key['KeyFingerprint'],
    'importedFingerprint': imported['KeyFingerprint'],
    'keyType': ec2.describe_key_pairs(KeyNames=['boto-ed'])['KeyPairs'][0]['KeyType'],
    'cidrFilter': [s['CidrBlock'] for s in ec2.describe_subnets(Filters=[{'Name': 'cidr-block', 'Values': ['10.8.2.0/24']}])['Subnets']],
    'conflict': code(ec2.create_subnet, VpcId=vpc, CidrBlock='10.8.0.0/16'),
    'tooSmall': code(ec2.create_subnet, VpcId=vpc, CidrBlock='10.8.9.0/29'),
    'badVpc': code(ec2.create_subnet, VpcId='vpc-0123456789abcdef0', CidrBlock='10.8.9.0/24'),
    'badAz': code(ec2.create_subnet, VpcId=vpc, CidrBlock='10.8.9.0/24', AvailabilityZone='us-east-1a'),
    'noKey': code(ec2.describe_key_pairs, KeyNames=['nope']),
    'noIgw': code(ec2.describe_internet_gateways, InternetGatewayIds=['igw-0123456789abcdef0']),
    'noAcl': code(ec2.describe_network_acls, NetworkAclIds=['acl-0123456789abcdef0']),
    'dependency': code(ec2.delete_vpc, VpcId=vpc),
}))
`);
    assert.deepEqual(out.zones, ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1a']);
    assert.equal(out.keyType, 'ed25519');
    assert.deepEqual(out.cidrFilter, ['10.8.2.0/24']);
    assert.deepEqual(
      [out.conflict, out.tooSmall, out.badVpc, out.badAz, out.noKey, out.noIgw, out.noAcl, out.dependency],
      ['InvalidSubnet.Conflict', 'InvalidSubnet.Range', 'InvalidVpcID.NotFound', 'InvalidParameterValue', 'InvalidKeyPair.NotFound', 'InvalidInternetGatewayID.NotFound', 'InvalidNetworkAclID.NotFound', 'DependencyViolation'],
    );
    // ssh-keygen reads the private key faultline made, and agrees on the fingerprint (base64 SHA-256, AWS keeps the padding).
    const priv = join(dir, 'boto-ed');
    execFileSync('chmod', ['600', priv]);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', priv]).toString();
    assert.match(derived, /^ssh-ed25519 AAAA/);
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', priv]).toString();
    assert.equal(fp.split(' ')[1], `SHA256:${out.fingerprint.replace(/=+$/, '')}`);
    const importedFp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'ed.pub')]).toString();
    assert.equal(importedFp.split(' ')[1], `SHA256:${out.importedFingerprint.replace(/=+$/, '')}`);
    assert.ok(readFileSync(join(dir, 'ed.pub'), 'utf8').startsWith('ssh-ed25519 '));
  });
});
