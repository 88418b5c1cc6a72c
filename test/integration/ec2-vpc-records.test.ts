/**
 * IPv6 and more address space for VPCs and subnets, egress-only internet gateways, DHCP options
 * sets, VPC endpoints, VPN records, and DryRun on every EC2 operation that takes it: AWS's
 * shapes, states and error codes through boto3 (and the AWS CLI for DryRun).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const AMI = 'ami-1ecae776';

describe('VPC networking records', () => {
  let fl: Faultline;
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('gives VPCs an Amazon IPv6 /56 and secondary IPv4 blocks, subnets a /64, instances IPv6 addresses, and routes ::/0 to an egress-only gateway', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
import ipaddress
ec2 = boto3.client('ec2', config=no_retry)
code = lambda fn, **kw: outcome(lambda: fn(**kw))
vid = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
a = ec2.associate_vpc_cidr_block(VpcId=vid, AmazonProvidedIpv6CidrBlock=True)
assoc = a['Ipv6CidrBlockAssociation']
vpc = ec2.describe_vpcs(VpcIds=[vid])['Vpcs'][0]
block = vpc['Ipv6CidrBlockAssociationSet'][0]['Ipv6CidrBlock']
second_ipv6 = code(ec2.associate_vpc_cidr_block, VpcId=vid, AmazonProvidedIpv6CidrBlock=True)
main = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vid]}])['RouteTables'][0]
net = ipaddress.ip_network(block)
sub64 = str(list(net.subnets(new_prefix=64))[1])
# Secondary IPv4 blocks: 5 in all, none from another private range, never the primary one away.
v4 = [ec2.associate_vpc_cidr_block(VpcId=vid, CidrBlock='10.%d.0.0/16' % i)['CidrBlockAssociation'] for i in range(1, 5)]
sixth = code(ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock='10.9.0.0/16')
ec2.disassociate_vpc_cidr_block(AssociationId=v4[3]['AssociationId'])
restricted = code(ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock='192.168.0.0/16')
overlap = code(ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock='10.1.0.0/20')
primary = [x for x in ec2.describe_vpcs(VpcIds=[vid])['Vpcs'][0]['CidrBlockAssociationSet'] if x['CidrBlock'] == '10.0.0.0/16'][0]
primary_away = code(ec2.disassociate_vpc_cidr_block, AssociationId=primary['AssociationId'])
sid = ec2.create_subnet(VpcId=vid, CidrBlock='10.0.1.0/24')['Subnet']['SubnetId']
wrong_size = code(ec2.associate_subnet_cidr_block, SubnetId=sid, Ipv6CidrBlock=str(list(net.subnets(new_prefix=60))[0]))
sa = ec2.associate_subnet_cidr_block(SubnetId=sid, Ipv6CidrBlock=sub64)
ec2.modify_subnet_attribute(SubnetId=sid, AssignIpv6AddressOnCreation={'Value': True})
subnet = ec2.describe_subnets(SubnetIds=[sid])['Subnets'][0]
vpc_busy = code(ec2.disassociate_vpc_cidr_block, AssociationId=assoc['AssociationId'])
inst = ec2.run_instances(ImageId='${AMI}', InstanceType='t3.micro', MinCount=1, MaxCount=1, SubnetId=sid)['Instances'][0]
eni = inst['NetworkInterfaces'][0]['NetworkInterfaceId']
given = str(ipaddress.ip_network(sub64).network_address + 100)
assigned = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6AddressCount=1)['AssignedIpv6Addresses']
taken = code(ec2.assign_ipv6_addresses, NetworkInterfaceId=eni, Ipv6Addresses=[inst['NetworkInterfaces'][0]['Ipv6Addresses'][0]['Ipv6Address']])
ec2.assign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6Addresses=[given])
held = [x['Ipv6Address'] for x in ec2.describe_instances(InstanceIds=[inst['InstanceId']])['Reservations'][0]['Instances'][0]['NetworkInterfaces'][0]['Ipv6Addresses']]
by_filter = ec2.describe_network_interfaces(Filters=[{'Name': 'ipv6-addresses.ipv6-address', 'Values': [given]}])['NetworkInterfaces']
unassigned = ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6Addresses=[given])['UnassignedIpv6Addresses']
subnet_busy = code(ec2.disassociate_subnet_cidr_block, AssociationId=sa['Ipv6CidrBlockAssociation']['AssociationId'])
no_ipv6 = ec2.create_subnet(VpcId=vid, CidrBlock='10.0.2.0/24')['Subnet']['SubnetId']
launch_without = code(ec2.run_instances, ImageId='${AMI}', InstanceType='t3.micro', MinCount=1, MaxCount=1, SubnetId=no_ipv6, Ipv6AddressCount=1)
# Egress-only internet gateway and its ::/0 route.
eigw = ec2.create_egress_only_internet_gateway(VpcId=vid, TagSpecifications=[{'ResourceType': 'egress-only-internet-gateway', 'Tags': [{'Key': 'k', 'Value': 'v'}]}])['EgressOnlyInternetGateway']
ec2.create_route(RouteTableId=main['RouteTableId'], DestinationIpv6CidrBlock='::/0', EgressOnlyInternetGatewayId=eigw['EgressOnlyInternetGatewayId'])
ipv4_to_eigw = code(ec2.create_route, RouteTableId=main['RouteTableId'], DestinationCidrBlock='0.0.0.0/0', EgressOnlyInternetGatewayId=eigw['EgressOnlyInternetGatewayId'])
listed = ec2.describe_egress_only_internet_gateways(Filters=[{'Name': 'tag:k', 'Values': ['v']}])['EgressOnlyInternetGateways']
vpc_delete = code(ec2.delete_vpc, VpcId=vid)
deleted = ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw['EgressOnlyInternetGatewayId'])['ReturnCode']
routes = ec2.describe_route_tables(RouteTableIds=[main['RouteTableId']])['RouteTables'][0]['Routes']
gone = code(ec2.describe_egress_only_internet_gateways, EgressOnlyInternetGatewayIds=[eigw['EgressOnlyInternetGatewayId']])
# Disassociate and associate again: the VPC gets the same /56.
ec2.terminate_instances(InstanceIds=[inst['InstanceId']])
advance(120)
ec2.disassociate_subnet_cidr_block(AssociationId=sa['Ipv6CidrBlockAssociation']['AssociationId'])
dis = ec2.disassociate_vpc_cidr_block(AssociationId=assoc['AssociationId'])
again = ec2.associate_vpc_cidr_block(VpcId=vid, AmazonProvidedIpv6CidrBlock=True)['Ipv6CidrBlockAssociation']['Ipv6CidrBlock']
out({
  'associating': [assoc['Ipv6CidrBlockState']['State'], a['VpcId'] == vid, assoc['Ipv6Pool'], assoc['NetworkBorderGroup']],
  'described': [vpc['Ipv6CidrBlockAssociationSet'][0]['Ipv6CidrBlockState']['State'], net.prefixlen, net.subnet_of(ipaddress.ip_network('2001:db8::/32'))],
  'second_ipv6': second_ipv6,
  'local6': [r['GatewayId'] for r in main['Routes'] if r.get('DestinationIpv6CidrBlock') == block],
  'v4': [x['CidrBlockState']['State'] for x in v4],
  'sixth': sixth, 'restricted': restricted, 'overlap': overlap, 'primary_away': primary_away,
  'wrong_size': wrong_size,
  'subnet': [sa['Ipv6CidrBlockAssociation']['Ipv6CidrBlockState']['State'], subnet['Ipv6CidrBlockAssociationSet'][0]['Ipv6CidrBlockState']['State'], subnet['AssignIpv6AddressOnCreation']],
  'vpc_busy': vpc_busy,
  'launched': [ipaddress.ip_address(x['Ipv6Address']) in ipaddress.ip_network(sub64) for x in inst['NetworkInterfaces'][0]['Ipv6Addresses']],
  'taken': taken,
  'held': [len(held), given in held, assigned[0] in held],
  'by_filter': [n['NetworkInterfaceId'] for n in by_filter] == [eni],
  'unassigned': unassigned == [given],
  'subnet_busy': subnet_busy,
  'launch_without': launch_without,
  'eigw': [eigw['EgressOnlyInternetGatewayId'][:5], eigw['Attachments'], [g['EgressOnlyInternetGatewayId'] for g in listed] == [eigw['EgressOnlyInternetGatewayId']]],
  'ipv4_to_eigw': ipv4_to_eigw,
  'vpc_delete': vpc_delete.split(' ')[0],
  'deleted': deleted,
  'route': [[r['DestinationIpv6CidrBlock'], r['State']] for r in routes if r.get('EgressOnlyInternetGatewayId')],
  'gone': gone.split(' ')[0],
  'disassociating': dis['Ipv6CidrBlockAssociation']['Ipv6CidrBlockState']['State'],
  'same_block': again == block,
})
`);
    assert.deepEqual(out.associating, ['associating', true, 'Amazon', 'us-east-1']);
    assert.deepEqual(out.described, ['associated', 56, true]);
    assert.match(out.second_ipv6, /^CidrLimitExceeded 400 This network 'vpc-[0-9a-f]+' has met its maximum number of allowed CIDRs: 1$/);
    assert.deepEqual(out.local6, ['local']);
    assert.deepEqual(out.v4, ['associating', 'associating', 'associating', 'associating']);
    assert.match(out.sixth, /^CidrLimitExceeded 400 This network 'vpc-[0-9a-f]+' has met its maximum number of allowed CIDRs: 5$/);
    assert.match(out.restricted, /^InvalidVpc\.Range 400 The CIDR '192\.168\.0\.0\/16' is restricted/);
    assert.match(out.overlap, /^InvalidVpc\.Range 400 /);
    assert.match(out.primary_away, /^OperationNotPermitted 400 .*primary IPv4 CIDR block/);
    assert.match(out.wrong_size, /^InvalidSubnet\.Range 400 /);
    assert.deepEqual(out.subnet, ['associating', 'associated', true]);
    assert.match(out.vpc_busy, /^DependencyViolation 400 /);
    assert.deepEqual(out.launched, [true]);
    assert.match(out.taken, /^InvalidIPAddress\.InUse 400 /);
    assert.deepEqual(out.held, [3, true, true]);
    assert.equal(out.by_filter, true);
    assert.equal(out.unassigned, true);
    assert.match(out.subnet_busy, /^DependencyViolation 400 /);
    assert.match(out.launch_without, /^InvalidParameterValue 400 .*no IPv6 CIDR block/);
    assert.deepEqual(out.eigw, ['eigw-', [{ State: 'attached', VpcId: out.eigw[1][0].VpcId }], true]);
    assert.match(out.ipv4_to_eigw, /^InvalidParameterValue 400 /);
    assert.equal(out.vpc_delete, 'DependencyViolation');
    assert.equal(out.deleted, true);
    assert.deepEqual(out.route, [['::/0', 'blackhole']]);
    assert.equal(out.gone, 'InvalidGatewayID.NotFound');
    assert.equal(out.disassociating, 'disassociating');
    assert.equal(out.same_block, true);
  });

  it('keeps DHCP options sets: the default set of each region, AWS validation, associations and DependencyViolation', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
west = boto3.client('ec2', region_name='us-west-2', config=no_retry)
code = lambda fn, **kw: outcome(lambda: fn(**kw))
vid = ec2.create_vpc(CidrBlock='10.1.0.0/16')['Vpc']['VpcId']
default_id = ec2.describe_vpcs(VpcIds=[vid])['Vpcs'][0]['DhcpOptionsId']
default = ec2.describe_dhcp_options(DhcpOptionsIds=[default_id])['DhcpOptions'][0]
west_default = west.describe_dhcp_options()['DhcpOptions']
cfg = lambda k, *v: {'Key': k, 'Values': list(v)}
bad = {
  'key': code(ec2.create_dhcp_options, DhcpConfigurations=[cfg('domain-search', 'x')]),
  'ip': code(ec2.create_dhcp_options, DhcpConfigurations=[cfg('ntp-servers', 'not-an-ip')]),
  'five': code(ec2.create_dhcp_options, DhcpConfigurations=[cfg('domain-name-servers', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5')]),
  'node_type': code(ec2.create_dhcp_options, DhcpConfigurations=[cfg('netbios-node-type', '3')]),
}
made = ec2.create_dhcp_options(
  DhcpConfigurations=[cfg('domain-name', 'corp.example'), cfg('domain-name-servers', 'AmazonProvidedDNS', '10.1.0.10'), cfg('ntp-servers', '169.254.169.123')],
  TagSpecifications=[{'ResourceType': 'dhcp-options', 'Tags': [{'Key': 'Name', 'Value': 'corp'}]}])['DhcpOptions']
did = made['DhcpOptionsId']
ec2.associate_dhcp_options(DhcpOptionsId=did, VpcId=vid)
shown = ec2.describe_vpcs(Filters=[{'Name': 'dhcp-options-id', 'Values': [did]}])['Vpcs']
busy = code(ec2.delete_dhcp_options, DhcpOptionsId=did)
by_key = ec2.describe_dhcp_options(Filters=[{'Name': 'value', 'Values': ['corp.example']}])['DhcpOptions']
ec2.associate_dhcp_options(DhcpOptionsId='default', VpcId=vid)
none = ec2.describe_vpcs(VpcIds=[vid])['Vpcs'][0]['DhcpOptionsId']
ec2.delete_dhcp_options(DhcpOptionsId=did)
after_delete = code(ec2.describe_dhcp_options, DhcpOptionsIds=[did])
missing = code(ec2.associate_dhcp_options, DhcpOptionsId='dopt-0123456789abcdef0', VpcId=vid)
out({
  'default': [default_id[:5], sorted((c['Key'], [v['Value'] for v in c['Values']]) for c in default['DhcpConfigurations']), default['OwnerId']],
  'west_default': [c['Values'][0]['Value'] for d in west_default for c in d['DhcpConfigurations'] if c['Key'] == 'domain-name'],
  'bad': bad,
  'made': [made['DhcpConfigurations'], made['Tags']],
  'shown': [v['VpcId'] for v in shown] == [vid],
  'busy': busy,
  'by_key': [d['DhcpOptionsId'] for d in by_key] == [did],
  'none': none,
  'after_delete': after_delete,
  'missing': missing,
})
`);
    assert.equal(out.default[0], 'dopt-');
    assert.deepEqual(out.default[1], [['domain-name', ['ec2.internal']], ['domain-name-servers', ['AmazonProvidedDNS']]]);
    assert.equal(out.default[2], '000000000000');
    assert.deepEqual(out.west_default, ['us-west-2.compute.internal']);
    assert.match(out.bad.key, /^InvalidParameterValue 400 Value \(domain-search\) for parameter name is invalid\. Unknown DHCP option$/);
    assert.match(out.bad.ip, /^InvalidParameterValue 400 /);
    assert.match(out.bad.five, /^InvalidParameterValue 400 /);
    assert.match(out.bad.node_type, /^InvalidParameterValue 400 /);
    assert.deepEqual(out.made, [
      [
        { Key: 'domain-name', Values: [{ Value: 'corp.example' }] },
        { Key: 'domain-name-servers', Values: [{ Value: 'AmazonProvidedDNS' }, { Value: '10.1.0.10' }] },
        { Key: 'ntp-servers', Values: [{ Value: '169.254.169.123' }] },
      ],
      [{ Key: 'Name', Value: 'corp' }],
    ]);
    assert.equal(out.shown, true);
    assert.match(out.busy, /^DependencyViolation 400 The dhcpOptions 'dopt-[0-9a-f]+' has dependencies and cannot be deleted\.$/);
    assert.equal(out.by_key, true);
    assert.equal(out.none, 'default');
    assert.match(out.after_delete, /^InvalidDhcpOptionID\.NotFound 400 The dhcpOption ID 'dopt-[0-9a-f]+' does not exist$/);
    assert.match(out.missing, /^InvalidDhcpOptionID\.NotFound 400 /);
  });

  it('makes VPC endpoints: an S3 gateway endpoint routes to its prefix list, an interface endpoint has an interface per subnet', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
code = lambda fn, **kw: outcome(lambda: fn(**kw))
vid = ec2.create_vpc(CidrBlock='10.2.0.0/16')['Vpc']['VpcId']
rtb = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vid]}])['RouteTables'][0]['RouteTableId']
services = ec2.describe_vpc_endpoint_services()
s3_types = sorted(t['ServiceType'] for d in services['ServiceDetails'] if d['ServiceName'] == 'com.amazonaws.us-east-1.s3' for t in d['ServiceType'])
gw = ec2.create_vpc_endpoint(VpcId=vid, ServiceName='com.amazonaws.us-east-1.s3', RouteTableIds=[rtb])['VpcEndpoint']
route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb])['RouteTables'][0]['Routes'] if r.get('GatewayId') == gw['VpcEndpointId']]
wrong_type = code(ec2.create_vpc_endpoint, VpcId=vid, ServiceName='com.amazonaws.us-east-1.ec2', VpcEndpointType='Gateway', RouteTableIds=[rtb])
unknown = code(ec2.create_vpc_endpoint, VpcId=vid, ServiceName='com.amazonaws.us-east-1.dynamodbx')
private_dns = code(ec2.create_vpc_endpoint, VpcId=vid, ServiceName='com.amazonaws.us-east-1.ec2', VpcEndpointType='Interface')
ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={'Value': True})
a = ec2.create_subnet(VpcId=vid, CidrBlock='10.2.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
a2 = ec2.create_subnet(VpcId=vid, CidrBlock='10.2.2.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=vid, CidrBlock='10.2.3.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
same_zone = code(ec2.create_vpc_endpoint, VpcId=vid, ServiceName='com.amazonaws.us-east-1.ec2', VpcEndpointType='Interface', SubnetIds=[a, a2])
itf = ec2.create_vpc_endpoint(VpcId=vid, ServiceName='com.amazonaws.us-east-1.ec2', VpcEndpointType='Interface', SubnetIds=[a])['VpcEndpoint']
enis = ec2.describe_network_interfaces(Filters=[{'Name': 'vpc-id', 'Values': [vid]}])['NetworkInterfaces']
ec2.modify_vpc_endpoint(VpcEndpointId=itf['VpcEndpointId'], AddSubnetIds=[b])
subnet_busy = code(ec2.delete_subnet, SubnetId=b)
vpc_busy = code(ec2.delete_vpc, VpcId=vid)
described = ec2.describe_vpc_endpoints(Filters=[{'Name': 'vpc-endpoint-type', 'Values': ['Interface']}, {'Name': 'vpc-id', 'Values': [vid]}])['VpcEndpoints'][0]
missing = code(ec2.describe_vpc_endpoints, VpcEndpointIds=['vpce-0123456789abcdef0'])
unsuccessful = ec2.delete_vpc_endpoints(VpcEndpointIds=[gw['VpcEndpointId'], itf['VpcEndpointId'], 'vpce-0123456789abcdef0'])['Unsuccessful']
after = ec2.describe_route_tables(RouteTableIds=[rtb])['RouteTables'][0]['Routes']
left = ec2.describe_network_interfaces(Filters=[{'Name': 'vpc-id', 'Values': [vid]}])['NetworkInterfaces']
out({
  's3_types': s3_types,
  'names': all(n.startswith('com.amazonaws.us-east-1.') for n in services['ServiceNames']),
  'gateway': [gw['VpcEndpointType'], gw['State'], gw['RouteTableIds'] == [rtb], 'Statement' in json.loads(gw['PolicyDocument'])],
  # The route names AWS's S3 prefix list, the one describe-prefix-lists shows.
  'route': [[r['DestinationPrefixListId'], r['State']] for r in route],
  's3_list': [p['PrefixListId'] for p in ec2.describe_prefix_lists(Filters=[{'Name': 'prefix-list-name', 'Values': ['com.amazonaws.us-east-1.s3']}])['PrefixLists']],
  'wrong_type': wrong_type, 'unknown': unknown, 'private_dns': private_dns, 'same_zone': same_zone,
  'interface': [itf['State'], itf['PrivateDnsEnabled'], len(itf['NetworkInterfaceIds']), len(itf['Groups'])],
  'enis': [[e['InterfaceType'], e['RequesterManaged'], e['SubnetId'] == a] for e in enis],
  'subnet_busy': subnet_busy.split(' ')[0], 'vpc_busy': vpc_busy.split(' ')[0],
  'described': [described['State'], sorted(described['SubnetIds']) == sorted([a, b]), len(described['NetworkInterfaceIds']), len(described['DnsEntries'])],
  'missing': missing,
  'unsuccessful': [[u['ResourceId'], u['Error']['Code']] for u in unsuccessful],
  'routes_after': [r.get('DestinationPrefixListId') for r in after if r.get('DestinationPrefixListId')],
  'enis_after': len(left),
})
`);
    assert.deepEqual(out.s3_types, ['Gateway', 'Interface']);
    assert.equal(out.names, true);
    assert.deepEqual(out.gateway, ['Gateway', 'available', true, true]);
    assert.equal(out.s3_list.length, 1);
    assert.deepEqual(out.route, [[out.s3_list[0], 'active']]);
    assert.equal(out.wrong_type, 'InvalidParameter 400 Endpoint type (Gateway) does not match available service types ([Interface]).');
    assert.equal(out.unknown, "InvalidServiceName 400 The Vpc Endpoint Service 'com.amazonaws.us-east-1.dynamodbx' does not exist");
    assert.match(out.private_dns, /^InvalidParameter 400 Enabling private DNS requires both enableDnsSupport and enableDnsHostnames/);
    assert.match(out.same_zone, /^DuplicateSubnetsInSameZone 400 /);
    assert.deepEqual(out.interface, ['pending', true, 1, 1]);
    assert.deepEqual(out.enis, [['vpc_endpoint', true, true]]);
    assert.equal(out.subnet_busy, 'DependencyViolation');
    assert.equal(out.vpc_busy, 'DependencyViolation');
    assert.deepEqual(out.described, ['available', true, 2, 3]);
    assert.equal(out.missing, "InvalidVpcEndpointId.NotFound 400 The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist");
    assert.deepEqual(out.unsuccessful, [['vpce-0123456789abcdef0', 'InvalidVpcEndpoint.NotFound']]);
    assert.deepEqual(out.routes_after, []);
    assert.equal(out.enis_after, 0);
  });

  it('keeps customer gateways, VPN gateways and VPN connections with AWS states, on the clock', async () => {
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
code = lambda fn, **kw: outcome(lambda: fn(**kw))
vid = ec2.create_vpc(CidrBlock='10.3.0.0/16')['Vpc']['VpcId']
cgw = ec2.create_customer_gateway(Type='ipsec.1', IpAddress='198.51.100.7', BgpAsn=65010)['CustomerGateway']
again = ec2.create_customer_gateway(Type='ipsec.1', IpAddress='198.51.100.7', BgpAsn=65010)['CustomerGateway']
bad_ip = code(ec2.create_customer_gateway, Type='ipsec.1', IpAddress='not-an-ip', BgpAsn=65010)
vgw = ec2.create_vpn_gateway(Type='ipsec.1')['VpnGateway']
bad_asn = code(ec2.create_vpn_gateway, Type='ipsec.1', AmazonSideAsn=100)
att = ec2.attach_vpn_gateway(VpnGatewayId=vgw['VpnGatewayId'], VpcId=vid)['VpcAttachment']
vgw2 = ec2.create_vpn_gateway(Type='ipsec.1')['VpnGateway']['VpnGatewayId']
second = code(ec2.attach_vpn_gateway, VpnGatewayId=vgw2, VpcId=vid)
described_vgw = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw['VpnGatewayId']])['VpnGateways'][0]
vpn = ec2.create_vpn_connection(Type='ipsec.1', CustomerGatewayId=cgw['CustomerGatewayId'], VpnGatewayId=vgw['VpnGatewayId'], Options={'StaticRoutesOnly': True})['VpnConnection']
cgw_busy = code(ec2.delete_customer_gateway, CustomerGatewayId=cgw['CustomerGatewayId'])
vgw_attached = code(ec2.delete_vpn_gateway, VpnGatewayId=vgw['VpnGatewayId'])
vpc_busy = code(ec2.delete_vpc, VpcId=vid)
advance(300)
ready = ec2.describe_vpn_connections(VpnConnectionIds=[vpn['VpnConnectionId']])['VpnConnections'][0]
ec2.delete_vpn_connection(VpnConnectionId=vpn['VpnConnectionId'])
deleted = ec2.describe_vpn_connections(Filters=[{'Name': 'state', 'Values': ['deleted']}])['VpnConnections']
ec2.detach_vpn_gateway(VpnGatewayId=vgw['VpnGatewayId'], VpcId=vid)
not_attached = code(ec2.detach_vpn_gateway, VpnGatewayId=vgw['VpnGatewayId'], VpcId=vid)
detached = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw['VpnGatewayId']])['VpnGateways'][0]['VpcAttachments']
ec2.delete_vpn_gateway(VpnGatewayId=vgw['VpnGatewayId'])
ec2.delete_customer_gateway(CustomerGatewayId=cgw['CustomerGatewayId'])
cgw_state = ec2.describe_customer_gateways(CustomerGatewayIds=[cgw['CustomerGatewayId']])['CustomerGateways'][0]['State']
advance(3600)
cgw_gone = code(ec2.describe_customer_gateways, CustomerGatewayIds=[cgw['CustomerGatewayId']])
# Deleting another gateway drops the one deleted over an hour ago from the store.
ec2.delete_customer_gateway(CustomerGatewayId=ec2.create_customer_gateway(Type='ipsec.1', IpAddress='198.51.100.8', BgpAsn=65010)['CustomerGateway']['CustomerGatewayId'])
out({
  'cgw_id': cgw['CustomerGatewayId'],
  'cgw': [cgw['State'], cgw['BgpAsn'], cgw['IpAddress'], cgw['Type'], again['CustomerGatewayId'] == cgw['CustomerGatewayId']],
  'bad_ip': bad_ip.split(' ')[0], 'bad_asn': bad_asn.split(' ')[0],
  'vgw': [vgw['State'], vgw['AmazonSideAsn'], att['State'], described_vgw['State'], described_vgw['VpcAttachments'][0]['State']],
  'second': second.split(' ')[0],
  'vpn': [vpn['State'], vpn['Category'], vpn['Options']['StaticRoutesOnly'], len(vpn['Options']['TunnelOptions']), [t['Status'] for t in vpn['VgwTelemetry']], vpn['CustomerGatewayConfiguration'].startswith('<?xml')],
  'cgw_busy': cgw_busy.split(' ')[0], 'vgw_attached': vgw_attached.split(' ')[0], 'vpc_busy': vpc_busy.split(' ')[0],
  'ready': ready['State'],
  'deleted': [c['VpnConnectionId'] for c in deleted] == [vpn['VpnConnectionId']],
  'not_attached': not_attached.split(' ')[0],
  'detached': detached,
  'cgw_state': cgw_state,
  'cgw_gone': cgw_gone.split(' ')[0],
})
`);
    assert.deepEqual(out.cgw, ['available', '65010', '198.51.100.7', 'ipsec.1', true]);
    assert.equal(out.bad_ip, 'InvalidParameterValue');
    assert.equal(out.bad_asn, 'InvalidParameterValue');
    assert.deepEqual(out.vgw, ['pending', 64512, 'attaching', 'available', 'attached']);
    assert.equal(out.second, 'InvalidParameterValue');
    assert.deepEqual(out.vpn, ['pending', 'VPN', true, 2, ['DOWN', 'DOWN'], true]);
    assert.equal(out.cgw_busy, 'IncorrectState');
    assert.equal(out.vgw_attached, 'IncorrectState');
    assert.equal(out.vpc_busy, 'DependencyViolation');
    assert.equal(out.ready, 'available');
    assert.equal(out.deleted, true);
    assert.equal(out.not_attached, 'InvalidVpnGatewayAttachment.NotFound');
    assert.deepEqual(out.detached, [{ State: 'detached', VpcId: out.detached[0].VpcId }]);
    assert.equal(out.cgw_state, 'deleted');
    assert.equal(out.cgw_gone, 'InvalidCustomerGatewayID.NotFound');
    assert.equal(fl.app.env.store.get('ec2.customerGateways', { account: '000000000000', region: 'us-east-1' }, out.cgw_id), undefined);
  });

  it('answers DryRun once validated, changing nothing: DryRunOperation, the validation error, or UnauthorizedOperation', async () => {
    const cli = await fl.awsRaw('ec2', 'create-vpc', '--cidr-block', '10.77.0.0/16', '--dry-run');
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /An error occurred \(DryRunOperation\) when calling the CreateVpc operation: Request would have succeeded, but DryRun flag is set\./);
    const out = await fl.python(BOTO3_PRELUDE + `
ec2 = boto3.client('ec2', config=no_retry)
code = lambda fn, **kw: outcome(lambda: fn(**kw))
vid = ec2.create_vpc(CidrBlock='10.4.0.0/16')['Vpc']['VpcId']
sid = ec2.create_subnet(VpcId=vid, CidrBlock='10.4.1.0/24')['Subnet']['SubnetId']
builtin = ec2.describe_images(ImageIds=['${AMI}'])['Images'][0]['BlockDeviceMappings'][0]['Ebs']['SnapshotId']
out({
  'run': code(ec2.run_instances, ImageId='${AMI}', InstanceType='t3.micro', MinCount=1, MaxCount=1, SubnetId=sid, DryRun=True),
  'dhcp': code(ec2.create_dhcp_options, DhcpConfigurations=[{'Key': 'domain-name', 'Values': ['x.example']}], DryRun=True),
  'cgw': code(ec2.create_customer_gateway, Type='ipsec.1', IpAddress='198.51.100.9', DryRun=True),
  'describe': code(ec2.describe_vpcs, DryRun=True),
  'invalid': code(ec2.create_subnet, VpcId=vid, CidrBlock='10.5.0.0/24', DryRun=True),
  'missing': code(ec2.delete_vpc, VpcId='vpc-0123456789abcdef0', DryRun=True),
  'unauthorized': code(ec2.delete_snapshot, SnapshotId=builtin, DryRun=True),
  'instances': sum(len(r['Instances']) for r in ec2.describe_instances(Filters=[{'Name': 'subnet-id', 'Values': [sid]}])['Reservations']),
  'vpcs': [v['CidrBlock'] for v in ec2.describe_vpcs(Filters=[{'Name': 'cidr', 'Values': ['10.77.0.0/16']}])['Vpcs']],
  'dopts': [d for d in ec2.describe_dhcp_options()['DhcpOptions'] if any(v['Value'] == 'x.example' for c in d['DhcpConfigurations'] for v in c['Values'])],
  'cgws': ec2.describe_customer_gateways(Filters=[{'Name': 'ip-address', 'Values': ['198.51.100.9']}])['CustomerGateways'],
})
`);
    const dry = 'DryRunOperation 412 Request would have succeeded, but DryRun flag is set.';
    assert.equal(out.run, dry);
    assert.equal(out.dhcp, dry);
    assert.equal(out.cgw, dry);
    assert.equal(out.describe, dry);
    assert.match(out.invalid, /^InvalidSubnet\.Range 400 /);
    assert.match(out.missing, /^InvalidVpcID\.NotFound 400 /);
    assert.match(out.unauthorized, /^UnauthorizedOperation 400 /);
    assert.equal(out.instances, 0);
    assert.deepEqual(out.vpcs, []);
    assert.deepEqual(out.dopts, []);
    assert.deepEqual(out.cgws, []);
  });
});
