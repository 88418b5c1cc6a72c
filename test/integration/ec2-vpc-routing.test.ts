/**
 * VPC peering connections, NAT gateways and managed prefix lists through boto3, on the manual
 * clock: AWS's states and their transitions, the failure codes and errors, routes and security
 * group rules that name them, and the shapes (checked against the model by the harness).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

describe('VPC peering, NAT gateways and prefix lists (boto3)', () => {
  let fl: Faultline;
  before(async () => {
    fl = await startFaultline();
  });
  after(() => fl?.close());

  it('peers two VPCs: request, acceptance, routes, overlap, rejection and deletion', async () => {
    const r = await fl.python(`${BOTO3_PRELUDE}
ec2 = boto3.client('ec2', config=no_retry)
a = ec2.create_vpc(CidrBlock='10.10.0.0/16')['Vpc']['VpcId']
b = ec2.create_vpc(CidrBlock='10.20.0.0/16')['Vpc']['VpcId']
same = ec2.create_vpc(CidrBlock='10.10.128.0/17')['Vpc']['VpcId']
created = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, TagSpecifications=[{'ResourceType': 'vpc-peering-connection', 'Tags': [{'Key': 'Name', 'Value': 'ab'}]}])['VpcPeeringConnection']
pcx = created['VpcPeeringConnectionId']
pending = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])['VpcPeeringConnections'][0]
rtb = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [a]}])['RouteTables'][0]['RouteTableId']
ec2.create_route(RouteTableId=rtb, DestinationCidrBlock='10.20.0.0/16', VpcPeeringConnectionId=pcx)
def route_state():
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])['RouteTables'][0]['Routes']
    return [x['State'] for x in routes if x.get('VpcPeeringConnectionId') == pcx][0]
before_accept = route_state()
options_pending = outcome(lambda: ec2.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions={'AllowDnsResolutionFromRemoteVpc': True}))
accepted = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)['VpcPeeringConnection']
options = ec2.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions={'AllowDnsResolutionFromRemoteVpc': True})
active = ec2.describe_vpc_peering_connections(Filters=[{'Name': 'status-code', 'Values': ['active']}])['VpcPeeringConnections']
after_accept = route_state()
accept_again = outcome(lambda: ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx))
# A group of the peered VPC may be named in a rule once the connection is active; another VPC's may not.
ga = ec2.create_security_group(GroupName='ga', Description='a', VpcId=a)['GroupId']
gb = ec2.create_security_group(GroupName='gb', Description='b', VpcId=b)['GroupId']
gs = ec2.create_security_group(GroupName='gs', Description='s', VpcId=same)['GroupId']
ec2.authorize_security_group_ingress(GroupId=ga, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'UserIdGroupPairs': [{'GroupId': gb}]}])
unpeered_group = outcome(lambda: ec2.authorize_security_group_ingress(GroupId=ga, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 81, 'ToPort': 81, 'UserIdGroupPairs': [{'GroupId': gs}]}]))
overlap = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=same)['VpcPeeringConnection']
rejected_id = ec2.create_vpc_peering_connection(VpcId=b, PeerVpcId=same)['VpcPeeringConnection']['VpcPeeringConnectionId']
ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=rejected_id)
rejected = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[rejected_id])['VpcPeeringConnections'][0]['Status']
expiring = ec2.create_vpc_peering_connection(VpcId=b, PeerVpcId=same)['VpcPeeringConnection']['VpcPeeringConnectionId']
advance(8 * 86400)
expired = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[expiring])['VpcPeeringConnections'][0]['Status']
accept_expired = outcome(lambda: ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=expiring))
ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
deleted = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])['VpcPeeringConnections'][0]['Status']
after_delete = route_state()
advance(3 * 86400)
forgotten = outcome(lambda: ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx]))
# A new request drops the connections no call shows any more from the store.
ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)['VpcPeeringConnection']['VpcPeeringConnectionId'])
other_account = outcome(lambda: ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerOwnerId='111122223333'))
missing = outcome(lambda: ec2.create_route(RouteTableId=rtb, DestinationCidrBlock='10.30.0.0/16', VpcPeeringConnectionId='pcx-0123456789abcdef0'))
out(dict(created=created, pending=pending, before_accept=before_accept, options_pending=options_pending, accepted=accepted, options=options,
    active=[p['VpcPeeringConnectionId'] for p in active], pcx=pcx, after_accept=after_accept, accept_again=accept_again, unpeered_group=unpeered_group,
    overlap=overlap['Status'], rejected=rejected, expired=expired, accept_expired=accept_expired, deleted=deleted, after_delete=after_delete,
    forgotten=forgotten, other_account=other_account, missing=missing, a=a, b=b, rejected_id=rejected_id))
`);
    assert.deepEqual(r.created.Status, { Code: 'initiating-request', Message: 'Initiating Request to 000000000000' });
    assert.equal(r.created.RequesterVpcInfo.VpcId, r.a);
    assert.equal(r.created.AccepterVpcInfo.CidrBlock, '10.20.0.0/16');
    assert.deepEqual(r.created.Tags, [{ Key: 'Name', Value: 'ab' }]);
    assert.equal(r.pending.Status.Code, 'pending-acceptance');
    assert.ok(r.pending.ExpirationTime, 'a pending request shows when it expires');
    assert.equal(r.before_accept, 'blackhole', 'a route to a connection that is not active is a blackhole');
    assert.match(r.options_pending, /^OperationNotPermitted 400/);
    assert.deepEqual(r.accepted.Status, { Code: 'active', Message: 'Active' });
    assert.equal(r.accepted.AccepterVpcInfo.PeeringOptions.AllowDnsResolutionFromRemoteVpc, false);
    assert.deepEqual(r.options.RequesterPeeringConnectionOptions, { AllowDnsResolutionFromRemoteVpc: true });
    assert.deepEqual(r.active, [r.pcx]);
    assert.equal(r.after_accept, 'active');
    assert.match(r.accept_again, /^InvalidStateTransition 400 .*from active to active/);
    assert.match(r.unpeered_group, /^InvalidGroup.NotFound 400 You have specified two resources that belong to different networks/);
    assert.deepEqual(r.overlap, { Code: 'failed', Message: 'Overlapping CIDR blocks' });
    assert.deepEqual(r.rejected, { Code: 'rejected', Message: 'Rejected by 000000000000' });
    assert.deepEqual(r.expired, { Code: 'expired', Message: 'Expired' });
    assert.match(r.accept_expired, /^InvalidStateTransition 400/);
    assert.deepEqual(r.deleted, { Code: 'deleted', Message: 'Deleted by 000000000000' });
    assert.equal(r.after_delete, 'blackhole');
    assert.match(r.forgotten, /^InvalidVpcPeeringConnectionID.NotFound 400/);
    for (const id of [r.pcx, r.rejected_id]) assert.equal(fl.app.env.store.get('ec2.vpcPeeringConnections', { account: '000000000000', region: 'us-east-1' }, id), undefined);
    assert.match(r.other_account, /^UnsupportedOperation 400 .*same account and region/);
    assert.match(r.missing, /^InvalidVpcPeeringConnectionID.NotFound 400 The vpcPeeringConnection ID 'pcx-0123456789abcdef0' does not exist/);
  });

  it('brings NAT gateways up on the clock, fails them with AWS\'s codes, and deletes them, freeing the Elastic IP', async () => {
    const r = await fl.python(`${BOTO3_PRELUDE}
ec2 = boto3.client('ec2', config=no_retry)
vpc = ec2.create_vpc(CidrBlock='10.40.0.0/16')['Vpc']['VpcId']
sub = ec2.create_subnet(VpcId=vpc, CidrBlock='10.40.0.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
eip = ec2.allocate_address(Domain='vpc')
no_igw = ec2.create_nat_gateway(SubnetId=sub, AllocationId=eip['AllocationId'])['NatGateway']['NatGatewayId']
igw = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
created = ec2.create_nat_gateway(SubnetId=sub, AllocationId=eip['AllocationId'], TagSpecifications=[{'ResourceType': 'natgateway', 'Tags': [{'Key': 'Name', 'Value': 'nat-a'}]}])['NatGateway']
nat = created['NatGatewayId']
taken = ec2.create_nat_gateway(SubnetId=sub, AllocationId=eip['AllocationId'])['NatGateway']['NatGatewayId']
nowhere = ec2.create_nat_gateway(SubnetId=sub, AllocationId='eipalloc-0123456789abcdef0')['NatGateway']['NatGatewayId']
private = ec2.create_nat_gateway(SubnetId=sub, ConnectivityType='private')['NatGateway']
no_alloc = outcome(lambda: ec2.create_nat_gateway(SubnetId=sub))
rtb = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['RouteTables'][0]['RouteTableId']
ec2.create_route(RouteTableId=rtb, DestinationCidrBlock='0.0.0.0/0', NatGatewayId=nat)
def route_state():
    return [x['State'] for x in ec2.describe_route_tables(RouteTableIds=[rtb])['RouteTables'][0]['Routes'] if x.get('NatGatewayId') == nat][0]
def state(i):
    return ec2.describe_nat_gateways(NatGatewayIds=[i])['NatGateways'][0]
pending_route = route_state()
eni = ec2.describe_network_interfaces(Filters=[{'Name': 'interface-type', 'Values': ['natGateway']}])['NetworkInterfaces']
release_in_use = outcome(lambda: ec2.release_address(AllocationId=eip['AllocationId']))
advance(60)
still = state(nat)['State']
advance(60)
up = state(nat)
by_filter = [n['NatGatewayId'] for n in ec2.describe_nat_gateways(Filter=[{'Name': 'state', 'Values': ['available']}, {'Name': 'vpc-id', 'Values': [vpc]}, {'Name': 'tag:Name', 'Values': ['nat-a']}])['NatGateways']]
failed = {k: {f: state(i).get(f) for f in ('State', 'FailureCode', 'FailureMessage')} for k, i in (('no_igw', no_igw), ('taken', taken), ('nowhere', nowhere))}
available_route = route_state()
delete_subnet = outcome(lambda: ec2.delete_subnet(SubnetId=sub))
ec2.delete_nat_gateway(NatGatewayId=nat)
deleting = state(nat)['State']
deleting_route = route_state()
advance(61)
deleted = state(nat)
address = ec2.describe_addresses(AllocationIds=[eip['AllocationId']])['Addresses'][0]
enis_after = len(ec2.describe_network_interfaces(Filters=[{'Name': 'description', 'Values': ['Interface for NAT Gateway ' + nat]}])['NetworkInterfaces'])
delete_again = outcome(lambda: ec2.delete_nat_gateway(NatGatewayId=nat))
advance(3700)
gone = outcome(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat]))
out(dict(created=created, private=private, no_alloc=no_alloc, pending_route=pending_route, eni=eni, release_in_use=release_in_use, still=still, up=up, by_filter=by_filter,
    failed=failed, available_route=available_route, delete_subnet=delete_subnet, deleting=deleting, deleting_route=deleting_route, deleted=deleted,
    address=address, enis_after=enis_after, delete_again=delete_again, gone=gone, nat=nat, eip=eip))
`);
    assert.equal(r.created.State, 'pending');
    assert.equal(r.created.ConnectivityType, 'public');
    assert.equal(r.created.NatGatewayAddresses[0].PublicIp, r.eip.PublicIp);
    assert.deepEqual(r.created.Tags, [{ Key: 'Name', Value: 'nat-a' }]);
    assert.equal(r.private.ConnectivityType, 'private');
    assert.equal(r.private.NatGatewayAddresses[0].PublicIp, undefined);
    assert.match(r.no_alloc, /^MissingParameter 400 .*allocationId/);
    assert.equal(r.pending_route, 'blackhole');
    const natEni = r.eni.find((e: { Description: string }) => e.Description === `Interface for NAT Gateway ${r.nat}`);
    assert.equal(natEni.RequesterManaged, true);
    assert.equal(natEni.Association.PublicIp, r.eip.PublicIp);
    assert.match(r.release_in_use, /^InvalidIPAddress.InUse 400/);
    assert.equal(r.still, 'pending', 'still pending after a minute');
    assert.equal(r.up.State, 'available', 'available after 90 s');
    assert.equal(r.up.NatGatewayAddresses[0].Status, 'succeeded');
    assert.deepEqual(r.by_filter, [r.nat]);
    assert.deepEqual(r.failed, {
      no_igw: { State: 'failed', FailureCode: 'Gateway.NotAttached', FailureMessage: `Network ${r.up.VpcId} has no Internet gateway attached` },
      taken: { State: 'failed', FailureCode: 'Resource.AlreadyAssociated', FailureMessage: `Elastic IP address ${r.eip.AllocationId} is already associated` },
      nowhere: { State: 'failed', FailureCode: 'InvalidAllocationID.NotFound', FailureMessage: 'Elastic IP address eipalloc-0123456789abcdef0 could not be associated with this NAT gateway' },
    });
    assert.equal(r.available_route, 'active');
    assert.match(r.delete_subnet, /^DependencyViolation 400/);
    assert.equal(r.deleting, 'deleting');
    assert.equal(r.deleting_route, 'blackhole');
    assert.equal(r.deleted.State, 'deleted');
    assert.ok(r.deleted.DeleteTime);
    assert.equal(r.address.AssociationId, undefined, 'the Elastic IP is free again');
    assert.equal(r.enis_after, 0);
    assert.match(r.delete_again, /^NatGatewayNotFound 400/);
    assert.match(r.gone, /^NatGatewayNotFound 400/);
  });

  it('versions prefix lists and lets routes and security group rules name them', async () => {
    const r = await fl.python(`${BOTO3_PRELUDE}
ec2 = boto3.client('ec2', config=no_retry)
created = ec2.create_managed_prefix_list(PrefixListName='offices', AddressFamily='IPv4', MaxEntries=3, Entries=[{'Cidr': '10.1.0.0/16', 'Description': 'hq'}])['PrefixList']
pl = created['PrefixListId']
too_many = outcome(lambda: ec2.create_managed_prefix_list(PrefixListName='x', AddressFamily='IPv4', MaxEntries=1, Entries=[{'Cidr': '10.1.0.0/16'}, {'Cidr': '10.2.0.0/16'}]))
reserved = outcome(lambda: ec2.create_managed_prefix_list(PrefixListName='com.amazonaws.mine', AddressFamily='IPv4', MaxEntries=1))
bad_cidr = outcome(lambda: ec2.create_managed_prefix_list(PrefixListName='y', AddressFamily='IPv4', MaxEntries=1, Entries=[{'Cidr': 'fd00::/8'}]))
modified = ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=1, AddEntries=[{'Cidr': '10.2.0.0/16'}, {'Cidr': '10.3.0.0/16'}])['PrefixList']
stale = outcome(lambda: ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=1, RemoveEntries=[{'Cidr': '10.1.0.0/16'}]))
full = outcome(lambda: ec2.modify_managed_prefix_list(PrefixListId=pl, AddEntries=[{'Cidr': '10.4.0.0/16'}]))
both = outcome(lambda: ec2.modify_managed_prefix_list(PrefixListId=pl, MaxEntries=10, AddEntries=[{'Cidr': '10.4.0.0/16'}]))
ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=2, RemoveEntries=[{'Cidr': '10.1.0.0/16'}])
v1 = ec2.get_managed_prefix_list_entries(PrefixListId=pl, TargetVersion=1)['Entries']
v3 = sorted(e['Cidr'] for e in ec2.get_managed_prefix_list_entries(PrefixListId=pl)['Entries'])
described = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])['PrefixLists'][0]
aws = ec2.describe_prefix_lists()['PrefixLists']
aws_owned = ec2.describe_managed_prefix_lists(Filters=[{'Name': 'owner-id', 'Values': ['AWS']}])['PrefixLists']
s3 = [p for p in aws if p['PrefixListName'] == 'com.amazonaws.us-east-1.s3'][0]['PrefixListId']
modify_aws = outcome(lambda: ec2.modify_managed_prefix_list(PrefixListId=s3, PrefixListName='mine'))
vpc = ec2.create_vpc(CidrBlock='10.50.0.0/16')['Vpc']['VpcId']
g = ec2.create_security_group(GroupName='pl', Description='pl', VpcId=vpc)['GroupId']
ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'PrefixListIds': [{'PrefixListId': pl, 'Description': 'offices'}]}])
perm = ec2.describe_security_groups(GroupIds=[g])['SecurityGroups'][0]['IpPermissions'][0]['PrefixListIds']
missing_rule = outcome(lambda: ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 23, 'ToPort': 23, 'PrefixListIds': [{'PrefixListId': 'pl-0123456789abcdef0'}]}]))
igw = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
rtb = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['RouteTables'][0]['RouteTableId']
ec2.create_route(RouteTableId=rtb, DestinationPrefixListId=pl, GatewayId=igw)
by_route = [t['RouteTableId'] for t in ec2.describe_route_tables(Filters=[{'Name': 'route.destination-prefix-list-id', 'Values': [pl]}])['RouteTables']]
missing_route = outcome(lambda: ec2.create_route(RouteTableId=rtb, DestinationPrefixListId='pl-0123456789abcdef0', GatewayId=igw))
assocs = sorted(a['ResourceId'] for a in ec2.get_managed_prefix_list_associations(PrefixListId=pl)['PrefixListAssociations'])
in_use = outcome(lambda: ec2.delete_managed_prefix_list(PrefixListId=pl))
ec2.delete_route(RouteTableId=rtb, DestinationPrefixListId=pl)
ec2.revoke_security_group_ingress(GroupId=g, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'PrefixListIds': [{'PrefixListId': pl}]}])
deleted = ec2.delete_managed_prefix_list(PrefixListId=pl)['PrefixList']['State']
gone = outcome(lambda: ec2.describe_managed_prefix_lists(PrefixListIds=[pl]))
out(dict(created=created, too_many=too_many, reserved=reserved, bad_cidr=bad_cidr, modified=modified, stale=stale, full=full, both=both, v1=v1, v3=v3, described=described,
    aws=aws, aws_owned=aws_owned, modify_aws=modify_aws, perm=perm, missing_rule=missing_rule, by_route=by_route, rtb=rtb, g=g, missing_route=missing_route,
    assocs=assocs, in_use=in_use, deleted=deleted, gone=gone))
`);
    assert.equal(r.created.State, 'create-in-progress');
    assert.equal(r.created.Version, 1);
    assert.equal(r.created.MaxEntries, 3);
    assert.match(r.created.PrefixListArn, /^arn:aws:ec2:us-east-1:000000000000:prefix-list\/pl-/);
    assert.match(r.too_many, /^PrefixListMaxEntriesExceeded 400/);
    assert.match(r.reserved, /^InvalidParameterValue 400/);
    assert.match(r.bad_cidr, /^InvalidParameterValue 400/);
    assert.equal(r.modified.State, 'modify-in-progress');
    assert.equal(r.modified.Version, 2);
    assert.match(r.stale, /^PrefixListVersionMismatch 400/);
    assert.match(r.full, /^PrefixListMaxEntriesExceeded 400/);
    assert.match(r.both, /^InvalidParameterCombination 400/);
    assert.deepEqual(r.v1, [{ Cidr: '10.1.0.0/16', Description: 'hq' }]);
    assert.deepEqual(r.v3, ['10.2.0.0/16', '10.3.0.0/16']);
    assert.equal(r.described.Version, 3);
    assert.equal(r.described.State, 'modify-complete');
    assert.deepEqual(r.aws.map((p: { PrefixListName: string }) => p.PrefixListName).sort(), ['com.amazonaws.us-east-1.dynamodb', 'com.amazonaws.us-east-1.s3']);
    assert.ok(r.aws.every((p: { PrefixListId: string; Cidrs: string[] }) => /^pl-[0-9a-f]{8}$/.test(p.PrefixListId) && p.Cidrs.length > 0));
    assert.deepEqual(r.aws_owned.map((p: { OwnerId: string }) => p.OwnerId), ['AWS', 'AWS']);
    assert.match(r.modify_aws, /^OperationNotPermitted 400/);
    assert.equal(r.perm[0].Description, 'offices');
    assert.match(r.missing_rule, /^InvalidPrefixListID.NotFound 400 The prefix list ID 'pl-0123456789abcdef0' does not exist/);
    assert.deepEqual(r.by_route, [r.rtb]);
    assert.match(r.missing_route, /^InvalidPrefixListID.NotFound 400/);
    assert.deepEqual(r.assocs, [r.g, r.rtb].sort());
    assert.match(r.in_use, /^DependencyViolation 400/);
    assert.equal(r.deleted, 'delete-in-progress');
    assert.match(r.gone, /^InvalidPrefixListID.NotFound 400/);
  });

  it('CloudFormation: a peering connection accepted in the account, a NAT gateway waited for until available and deleted, a prefix list changed in place', async () => {
    const template = (entries: object[], max: number) => ({
      Resources: {
        Left: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.40.0.0/16' } },
        Right: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.50.0.0/16' } },
        Peering: { Type: 'AWS::EC2::VPCPeeringConnection', Properties: { VpcId: { Ref: 'Left' }, PeerVpcId: { Ref: 'Right' }, Tags: [{ Key: 'Name', Value: 'lr' }] } },
        Table: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Left' } } },
        ToRight: { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: 'Table' }, DestinationCidrBlock: '10.50.0.0/16', VpcPeeringConnectionId: { Ref: 'Peering' } } },
        Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Left' }, CidrBlock: '10.40.1.0/24' } },
        Gateway: { Type: 'AWS::EC2::InternetGateway' },
        Attach: { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: 'Left' }, InternetGatewayId: { Ref: 'Gateway' } } },
        Ip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
        Nat: { Type: 'AWS::EC2::NatGateway', DependsOn: 'Attach', Properties: { SubnetId: { Ref: 'Subnet' }, AllocationId: { 'Fn::GetAtt': ['Ip', 'AllocationId'] } } },
        ToNat: { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: 'Table' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'Nat' } } },
        Offices: { Type: 'AWS::EC2::PrefixList', Properties: { PrefixListName: 'offices', AddressFamily: 'IPv4', MaxEntries: max, Entries: entries } },
      },
      Outputs: {
        Eni: { Value: { 'Fn::GetAtt': ['Nat', 'EniId'] } },
        ListVersion: { Value: { 'Fn::GetAtt': ['Offices', 'Version'] } },
        ListArn: { Value: { 'Fn::GetAtt': ['Offices', 'Arn'] } },
      },
    });
    const first = template([{ Cidr: '192.0.2.0/24', Description: 'hq' }], 2);
    const second = template([{ Cidr: '192.0.2.0/24', Description: 'head office' }, { Cidr: '198.51.100.0/24' }, { Cidr: '203.0.113.0/24' }], 5);
    const r = await fl.python(`${BOTO3_PRELUDE}
cfn = boto3.client('cloudformation', config=no_retry)
ec2 = boto3.client('ec2', config=no_retry)
def status(): return cfn.describe_stacks(StackName='links')['Stacks'][0]['StackStatus']
def physical(logical): return cfn.describe_stack_resource(StackName='links', LogicalResourceId=logical)['StackResourceDetail']['PhysicalResourceId']
def nat_state(): return ec2.describe_nat_gateways(NatGatewayIds=[physical('Nat')])['NatGateways'][0]['State']
cfn.create_stack(StackName='links', TemplateBody=${JSON.stringify(JSON.stringify(first))})
advance(30)
early = [status(), cfn.describe_stack_resource(StackName='links', LogicalResourceId='Nat')['StackResourceDetail']['ResourceStatus'], nat_state()]
advance(120)
created = status()
nat = ec2.describe_nat_gateways(NatGatewayIds=[physical('Nat')])['NatGateways'][0]
peering = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[physical('Peering')])['VpcPeeringConnections'][0]
routes = ec2.describe_route_tables(RouteTableIds=[physical('Table')])['RouteTables'][0]['Routes']
outputs = {o['OutputKey']: o['OutputValue'] for o in cfn.describe_stacks(StackName='links')['Stacks'][0]['Outputs']}
pl = physical('Offices')
cfn.update_stack(StackName='links', TemplateBody=${JSON.stringify(JSON.stringify(second))})
advance(60)
updated = status()
same_list = physical('Offices') == pl
listed = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])['PrefixLists'][0]
entries = ec2.get_managed_prefix_list_entries(PrefixListId=pl)['Entries']
version_out = {o['OutputKey']: o['OutputValue'] for o in cfn.describe_stacks(StackName='links')['Stacks'][0]['Outputs']}['ListVersion']
pcx = physical('Peering')
nat_id = physical('Nat')
cfn.delete_stack(StackName='links')
advance(30)
deleting = [status(), nat_state()]
advance(120)
deleted = cfn.describe_stacks(StackName=cfn.list_stacks()['StackSummaries'][0]['StackId'])['Stacks'][0]['StackStatus']
nat_after = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])['NatGateways'][0]['State']
pcx_after = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])['VpcPeeringConnections'][0]['Status']['Code']
list_after = outcome(lambda: ec2.describe_managed_prefix_lists(PrefixListIds=[pl]))
out(dict(early=early, created=created, nat=nat, peering=peering, routes=routes, outputs=outputs, updated=updated, same_list=same_list, listed=listed,
    entries=entries, version_out=version_out, deleting=deleting, deleted=deleted, nat_after=nat_after, pcx_after=pcx_after, list_after=list_after))
`);
    assert.deepEqual(r.early, ['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'pending'], 'the stack waits for the NAT gateway to be available');
    assert.equal(r.created, 'CREATE_COMPLETE');
    assert.equal(r.nat.State, 'available');
    assert.equal(r.outputs.Eni, r.nat.NatGatewayAddresses[0].NetworkInterfaceId);
    assert.deepEqual(r.peering.Status, { Code: 'active', Message: 'Active' }, 'accepted without a peer role: same account');
    assert.deepEqual(r.peering.Tags, [{ Key: 'Name', Value: 'lr' }]);
    const state = (key: string, value: string) => r.routes.find((x: Record<string, string>) => x[key] === value)?.State;
    assert.equal(state('VpcPeeringConnectionId', r.peering.VpcPeeringConnectionId), 'active');
    assert.equal(state('NatGatewayId', r.nat.NatGatewayId), 'active');
    assert.match(r.outputs.ListArn, /^arn:aws:ec2:us-east-1:000000000000:prefix-list\/pl-[0-9a-f]{17}$/);
    assert.equal(r.outputs.ListVersion, '1');
    assert.equal(r.updated, 'UPDATE_COMPLETE');
    assert.ok(r.same_list, 'entries and the maximum change in place');
    assert.equal(r.listed.MaxEntries, 5);
    assert.deepEqual(
      r.entries.map((e: { Cidr: string; Description?: string }) => [e.Cidr, e.Description]).sort(),
      [['192.0.2.0/24', 'head office'], ['198.51.100.0/24', undefined], ['203.0.113.0/24', undefined]],
    );
    assert.equal(r.version_out, String(r.listed.Version));
    assert.deepEqual(r.deleting, ['DELETE_IN_PROGRESS', 'deleting'], 'the stack waits for the NAT gateway to be deleted');
    assert.equal(r.deleted, 'DELETE_COMPLETE');
    assert.equal(r.nat_after, 'deleted');
    assert.equal(r.pcx_after, 'deleted');
    assert.match(r.list_after, /^InvalidPrefixListID\.NotFound 400/);
  });
});
