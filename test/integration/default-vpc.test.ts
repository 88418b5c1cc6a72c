/**
 * The default VPC of every account in every region, as AWS's VPC guide describes it, made at the
 * account's first use of the region; launches without a subnet go into it; CreateDefaultVpc and
 * CreateDefaultSubnet bring it back; `--no-default-vpc` keeps accounts without one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const AMI = 'ami-1ecae776'; // us-east-1's; us-west-2's is ami-e7527ed7

describe('the default VPC', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('is there at first use: 172.31.0.0/16, a /20 default subnet per AZ, an internet gateway and a route to it', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', region_name='eu-west-1')
vpcs = ec2.describe_vpcs()['Vpcs']
vpc = vpcs[0]
vid = vpc['VpcId']
subnets = sorted(ec2.describe_subnets(Filters=[{'Name': 'vpc-id', 'Values': [vid]}])['Subnets'], key=lambda s: s['AvailabilityZone'])
igws = ec2.describe_internet_gateways(Filters=[{'Name': 'attachment.vpc-id', 'Values': [vid]}])['InternetGateways']
main = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vid]}, {'Name': 'association.main', 'Values': ['true']}])['RouteTables'][0]
groups = ec2.describe_security_groups(Filters=[{'Name': 'vpc-id', 'Values': [vid]}])['SecurityGroups']
acls = ec2.describe_network_acls(Filters=[{'Name': 'vpc-id', 'Values': [vid]}, {'Name': 'default', 'Values': ['true']}])['NetworkAcls']
attrs = ec2.describe_account_attributes(AttributeNames=['default-vpc'])['AccountAttributes'][0]['AttributeValues']
dns = ec2.describe_vpc_attribute(VpcId=vid, Attribute='enableDnsHostnames')['EnableDnsHostnames']['Value']
out({
  'vpcs': [[v['CidrBlock'], v['IsDefault']] for v in vpcs],
  'subnets': [[s['AvailabilityZone'], s['CidrBlock'], s['DefaultForAz'], s['MapPublicIpOnLaunch']] for s in subnets],
  'igw': [a['State'] for g in igws for a in g['Attachments']],
  'route': [[r['DestinationCidrBlock'], r.get('GatewayId', '')[:4], r['State']] for r in main['Routes']],
  'groups': [g['GroupName'] for g in groups],
  'acls': len(acls),
  'attribute': attrs[0]['AttributeValue'] == vid,
  'dnsHostnames': dns,
})
`);
    assert.deepEqual(out.vpcs, [['172.31.0.0/16', true]]);
    assert.deepEqual(out.subnets, [
      ['eu-west-1a', '172.31.0.0/20', true, true],
      ['eu-west-1b', '172.31.16.0/20', true, true],
      ['eu-west-1c', '172.31.32.0/20', true, true],
    ]);
    assert.deepEqual(out.igw, ['available']);
    assert.deepEqual(out.route, [['172.31.0.0/16', 'loca', 'active'], ['0.0.0.0/0', 'igw-', 'active']]);
    assert.deepEqual(out.groups, ['default']);
    assert.equal(out.acls, 1);
    assert.equal(out.attribute, true);
    assert.equal(out.dnsHostnames, true);
  });

  it('takes launches and security groups that name no VPC, and answers AWS errors for default subnets it has', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2')
vid = ec2.describe_vpcs(Filters=[{'Name': 'is-default', 'Values': ['true']}])['Vpcs'][0]['VpcId']
picked = ec2.run_instances(ImageId='${AMI}', InstanceType='t2.micro', MinCount=1, MaxCount=1)['Instances'][0]
placed = ec2.run_instances(ImageId='${AMI}', InstanceType='t2.micro', MinCount=1, MaxCount=1, Placement={'AvailabilityZone': 'us-east-1c'})['Instances'][0]
sg = ec2.create_security_group(GroupName='web', Description='web')['GroupId']
named = ec2.run_instances(ImageId='${AMI}', InstanceType='t2.micro', MinCount=1, MaxCount=1, SecurityGroups=['web'])['Instances'][0]
advance(60)
running = ec2.describe_instances(InstanceIds=[picked['InstanceId']])['Reservations'][0]['Instances'][0]
subnet_1c = ec2.describe_subnets(Filters=[{'Name': 'default-for-az', 'Values': ['true']}, {'Name': 'availability-zone', 'Values': ['us-east-1c']}])['Subnets'][0]['SubnetId']
out({
  'picked': [picked['VpcId'] == vid, picked['Placement']['AvailabilityZone']],
  'placed': [placed['SubnetId'] == subnet_1c, placed['Placement']['AvailabilityZone']],
  'publicIp': bool(running.get('PublicIpAddress')),
  'sg': ec2.describe_security_groups(GroupIds=[sg])['SecurityGroups'][0]['VpcId'] == vid,
  'named': [g['GroupName'] for g in named['SecurityGroups']],
  'vpcAgain': outcome(lambda: ec2.create_default_vpc()),
  'subnetAgain': outcome(lambda: ec2.create_default_subnet(AvailabilityZone='us-east-1a')),
  'badZone': outcome(lambda: ec2.create_default_subnet(AvailabilityZone='us-east-1z')),
})
`);
    assert.deepEqual(out.picked, [true, 'us-east-1a']);
    assert.deepEqual(out.placed, [true, 'us-east-1c']);
    assert.equal(out.publicIp, true);
    assert.equal(out.sg, true);
    assert.deepEqual(out.named, ['web']);
    assert.match(out.vpcAgain, /^DefaultVpcAlreadyExists 400 /);
    assert.match(out.subnetAgain, /^DefaultSubnetAlreadyExistsInAvailabilityZone 400 /);
    assert.match(out.badZone, /^InvalidParameterValue 400 Value \(us-east-1z\) for parameter availabilityZone is invalid/);
  });

  it('once deleted, is gone until create-default-vpc and create-default-subnet bring it back', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', region_name='us-west-2', config=no_retry)
vid = ec2.describe_vpcs(Filters=[{'Name': 'is-default', 'Values': ['true']}])['Vpcs'][0]['VpcId']
for s in ec2.describe_subnets(Filters=[{'Name': 'vpc-id', 'Values': [vid]}])['Subnets']:
    ec2.delete_subnet(SubnetId=s['SubnetId'])
for g in ec2.describe_internet_gateways(Filters=[{'Name': 'attachment.vpc-id', 'Values': [vid]}])['InternetGateways']:
    ec2.detach_internet_gateway(InternetGatewayId=g['InternetGatewayId'], VpcId=vid)
    ec2.delete_internet_gateway(InternetGatewayId=g['InternetGatewayId'])
ec2.delete_vpc(VpcId=vid)
gone = {
  'run': outcome(lambda: ec2.run_instances(ImageId='ami-e7527ed7', InstanceType='t2.micro', MinCount=1, MaxCount=1)),
  'subnet': outcome(lambda: ec2.create_default_subnet(AvailabilityZone='us-west-2a')),
  'attribute': ec2.describe_account_attributes(AttributeNames=['default-vpc'])['AccountAttributes'][0]['AttributeValues'][0]['AttributeValue'],
}
vpc = ec2.create_default_vpc()['Vpc']
subnets = ec2.describe_subnets(Filters=[{'Name': 'vpc-id', 'Values': [vpc['VpcId']]}])['Subnets']
one = subnets[0]
ec2.delete_subnet(SubnetId=one['SubnetId'])
again = ec2.create_default_subnet(AvailabilityZone=one['AvailabilityZone'])['Subnet']
out({'gone': gone, 'vpc': [vpc['CidrBlock'], vpc['IsDefault'], vpc['VpcId'] != vid], 'subnets': len(subnets),
     'again': [again['CidrBlock'] == one['CidrBlock'], again['DefaultForAz'], again['MapPublicIpOnLaunch']]})
`);
    assert.match(out.gone.run, /^VPCIdNotSpecified 400 No default VPC for this user/);
    assert.match(out.gone.subnet, /^DefaultVpcDoesNotExist 400 /);
    assert.equal(out.gone.attribute, 'none');
    assert.deepEqual(out.vpc, ['172.31.0.0/16', true, true]);
    assert.equal(out.subnets, 4);
    assert.deepEqual(out.again, [true, true, true]);
  });
});

describe('faultline up --no-default-vpc', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline({ config: { defaultVpc: false } })));
  after(() => fl.close());

  it('keeps accounts without a default VPC: launches and security groups need one', async () => {
    const vpcs = await fl.aws('ec2', 'describe-vpcs');
    assert.deepEqual(vpcs.Vpcs, []);
    const run = await fl.awsRaw('ec2', 'run-instances', '--image-id', AMI, '--instance-type', 't2.micro');
    assert.match(run.stderr, /VPCIdNotSpecified.*No default VPC for this user/);
    const group = await fl.awsRaw('ec2', 'create-security-group', '--group-name', 'nodefault', '--description', 'x');
    assert.match(group.stderr, /VPCIdNotSpecified.*No default VPC for this user/);
  });
});
