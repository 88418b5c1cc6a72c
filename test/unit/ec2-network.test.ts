import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { AwsError } from '../../src/core/errors.ts';
import { ec2 } from '../../src/services/ec2/index.ts';
import type { RequestContext } from '../../src/services/service.ts';
import { COLL } from '../../src/services/ec2/state.ts';
import { allocatePrivateIp, releasePrivateIp } from '../../src/services/ec2/subnet-addresses.ts';

let app: App;
let dir: string;
let ctx: RequestContext;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (op: string, input: Record<string, unknown> = {}): any => app.env.store.transaction(() => ec2.handlers[op](input, ctx));
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof AwsError) return e.code;
    throw e;
  }
  return 'no error';
};
const inTx = <T>(fn: () => T): T => app.env.store.transaction(fn);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ec2-network-'));
  app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
  ctx = {
    account: '000000000000',
    region: 'us-east-1',
    requestId: 'test',
    principal: { account: '000000000000', arn: 'arn:aws:iam::000000000000:root', userId: '000000000000', accessKeyId: 'test' },
    env: app.env,
  };
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('VPCs', () => {
  it('creates the default security group, main route table and default ACL with the VPC, and removes them with it', () => {
    const { Vpc } = call('CreateVpc', { CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'one' }] }] });
    assert.equal(Vpc.State, 'pending');
    assert.match(Vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
    assert.deepEqual(Vpc.Tags, [{ Key: 'Name', Value: 'one' }]);
    const described = call('DescribeVpcs', { VpcIds: [Vpc.VpcId] }).Vpcs[0];
    assert.equal(described.State, 'available');
    assert.match(described.DhcpOptionsId, /^dopt-/);

    const sgs = call('DescribeSecurityGroups', { Filters: [{ Name: 'vpc-id', Values: [Vpc.VpcId] }] }).SecurityGroups;
    assert.equal(sgs.length, 1);
    assert.equal(sgs[0].GroupName, 'default');
    assert.deepEqual(sgs[0].IpPermissions, [
      { IpProtocol: '-1', IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [{ GroupId: sgs[0].GroupId, UserId: '000000000000' }] },
    ]);
    assert.deepEqual(sgs[0].IpPermissionsEgress, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);

    const rtbs = call('DescribeRouteTables', { Filters: [{ Name: 'vpc-id', Values: [Vpc.VpcId] }] }).RouteTables;
    assert.equal(rtbs.length, 1);
    assert.equal(rtbs[0].Associations[0].Main, true);
    assert.deepEqual(rtbs[0].Routes, [{ DestinationCidrBlock: '10.1.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' }]);

    const acls = call('DescribeNetworkAcls', { Filters: [{ Name: 'vpc-id', Values: [Vpc.VpcId] }] }).NetworkAcls;
    assert.equal(acls.length, 1);
    assert.equal(acls[0].IsDefault, true);
    assert.deepEqual(
      acls[0].Entries.map((e: { RuleNumber: number; Egress: boolean; RuleAction: string }) => `${e.Egress ? 'out' : 'in'} ${e.RuleNumber} ${e.RuleAction}`),
      ['out 100 allow', 'out 32767 deny', 'in 100 allow', 'in 32767 deny'],
    );

    call('DeleteVpc', { VpcId: Vpc.VpcId });
    assert.equal(code(() => call('DescribeVpcs', { VpcIds: [Vpc.VpcId] })), 'InvalidVpcID.NotFound');
    for (const coll of [COLL.securityGroups, COLL.routeTables, COLL.networkAcls]) {
      assert.equal(app.env.store.list<{ VpcId: string }>(coll, ctx).filter((r) => r.VpcId === Vpc.VpcId).length, 0, coll);
    }
  });

  it('accepts only /16 to /28 blocks', () => {
    assert.equal(code(() => call('CreateVpc', { CidrBlock: '10.0.0.0/8' })), 'InvalidVpc.Range');
    assert.equal(code(() => call('CreateVpc', { CidrBlock: '10.0.0.0/29' })), 'InvalidVpc.Range');
    assert.equal(code(() => call('CreateVpc', { CidrBlock: '10.0.0.300/16' })), 'InvalidParameterValue');
    assert.equal(call('CreateVpc', { CidrBlock: '10.0.0.0/28' }).Vpc.CidrBlock, '10.0.0.0/28');
  });

  it('answers DryRun without creating anything', () => {
    const before = app.env.store.count(COLL.vpcs, ctx);
    assert.equal(code(() => call('CreateVpc', { CidrBlock: '10.9.0.0/16', DryRun: true })), 'DryRunOperation');
    assert.equal(app.env.store.count(COLL.vpcs, ctx), before);
  });

  it('modifies and describes DNS attributes one at a time', () => {
    const { Vpc } = call('CreateVpc', { CidrBlock: '10.2.0.0/16' });
    assert.deepEqual(call('DescribeVpcAttribute', { VpcId: Vpc.VpcId, Attribute: 'enableDnsHostnames' }).EnableDnsHostnames, { Value: false });
    call('ModifyVpcAttribute', { VpcId: Vpc.VpcId, EnableDnsHostnames: { Value: true } });
    assert.deepEqual(call('DescribeVpcAttribute', { VpcId: Vpc.VpcId, Attribute: 'enableDnsHostnames' }).EnableDnsHostnames, { Value: true });
    assert.equal(
      code(() => call('ModifyVpcAttribute', { VpcId: Vpc.VpcId, EnableDnsHostnames: { Value: true }, EnableDnsSupport: { Value: true } })),
      'InvalidParameterCombination',
    );
  });
});

describe('subnets', () => {
  let vpcId: string;
  before(() => (vpcId = call('CreateVpc', { CidrBlock: '10.10.0.0/16' }).Vpc.VpcId));

  it('validates range and overlap, and counts usable addresses', () => {
    const s = call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.1.0/24', AvailabilityZone: 'us-east-1b' }).Subnet;
    assert.equal(s.AvailableIpAddressCount, 251);
    assert.equal(s.AvailabilityZone, 'us-east-1b');
    assert.equal(s.AvailabilityZoneId, 'use1-az2');
    assert.equal(s.MapPublicIpOnLaunch, false);
    assert.equal(code(() => call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.11.0.0/24' })), 'InvalidSubnet.Range');
    assert.equal(code(() => call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.0.0/29' })), 'InvalidSubnet.Range');
    assert.equal(code(() => call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.1.128/25' })), 'InvalidSubnet.Conflict');
    assert.equal(code(() => call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.2.0/24', AvailabilityZone: 'us-east-1z' })), 'InvalidParameterValue');
    assert.equal(code(() => call('CreateSubnet', { VpcId: 'vpc-00000000000000000', CidrBlock: '10.10.2.0/24' })), 'InvalidVpcID.NotFound');
    assert.equal(call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.3.0/28' }).Subnet.AvailableIpAddressCount, 11);
  });

  it('puts a subnet without an AZ in the AZ with the fewest subnets of the VPC', () => {
    const { Vpc } = call('CreateVpc', { CidrBlock: '10.20.0.0/16' });
    const zones = [0, 1, 2, 3, 4, 5, 6].map((i) => call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: `10.20.${i}.0/24` }).Subnet.AvailabilityZone);
    assert.deepEqual(zones, ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f', 'us-east-1a']);
  });

  it('associates each subnet with the default ACL, and moves it with ReplaceNetworkAclAssociation', () => {
    const s = call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.9.0/24' }).Subnet;
    const acl = call('DescribeNetworkAcls', { Filters: [{ Name: 'association.subnet-id', Values: [s.SubnetId] }] }).NetworkAcls[0];
    assert.equal(acl.IsDefault, true);
    const assoc = acl.Associations.find((a: { SubnetId: string }) => a.SubnetId === s.SubnetId);
    const custom = call('CreateNetworkAcl', { VpcId: vpcId }).NetworkAcl;
    const { NewAssociationId } = call('ReplaceNetworkAclAssociation', { AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: custom.NetworkAclId });
    assert.match(NewAssociationId, /^aclassoc-/);
    const now = call('DescribeNetworkAcls', { Filters: [{ Name: 'association.subnet-id', Values: [s.SubnetId] }] }).NetworkAcls;
    assert.deepEqual(now.map((a: { NetworkAclId: string }) => a.NetworkAclId), [custom.NetworkAclId]);
    assert.equal(code(() => call('DeleteNetworkAcl', { NetworkAclId: custom.NetworkAclId })), 'DependencyViolation');
    call('DeleteSubnet', { SubnetId: s.SubnetId });
    call('DeleteNetworkAcl', { NetworkAclId: custom.NetworkAclId });
  });

  it('allocates and releases private addresses, skipping the reserved ones', () => {
    const s = call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.20.0/28' }).Subnet;
    const got = inTx(() => [allocatePrivateIp(ctx, s.SubnetId), allocatePrivateIp(ctx, s.SubnetId), allocatePrivateIp(ctx, s.SubnetId, '10.10.20.10')]);
    assert.deepEqual(got, ['10.10.20.4', '10.10.20.5', '10.10.20.10']);
    assert.equal(call('DescribeSubnets', { SubnetIds: [s.SubnetId] }).Subnets[0].AvailableIpAddressCount, 8);
    assert.equal(code(() => inTx(() => allocatePrivateIp(ctx, s.SubnetId, '10.10.20.10'))), 'InvalidIPAddress.InUse');
    assert.equal(code(() => inTx(() => allocatePrivateIp(ctx, s.SubnetId, '10.10.20.1'))), 'InvalidParameterValue');
    assert.equal(code(() => inTx(() => allocatePrivateIp(ctx, s.SubnetId, '10.10.20.15'))), 'InvalidParameterValue');
    assert.equal(code(() => inTx(() => allocatePrivateIp(ctx, s.SubnetId, '10.10.21.5'))), 'InvalidParameterValue');
    inTx(() => releasePrivateIp(ctx, s.SubnetId, '10.10.20.4'));
    assert.equal(inTx(() => allocatePrivateIp(ctx, s.SubnetId)), '10.10.20.4');
    inTx(() => {
      for (let i = 0; i < 8; i++) allocatePrivateIp(ctx, s.SubnetId);
    });
    assert.equal(call('DescribeSubnets', { SubnetIds: [s.SubnetId] }).Subnets[0].AvailableIpAddressCount, 0);
    assert.equal(code(() => inTx(() => allocatePrivateIp(ctx, s.SubnetId))), 'InsufficientFreeAddressesInSubnet');
    assert.equal(code(() => inTx(() => allocatePrivateIp(ctx, 'subnet-00000000000000000'))), 'InvalidSubnetID.NotFound');
  });

  it('refuses to delete a subnet with a live instance, or a VPC with a subnet', () => {
    const s = call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.30.0/24' }).Subnet;
    inTx(() => app.env.store.put(COLL.instances, ctx, 'i-0123456789abcdef0', { InstanceId: 'i-0123456789abcdef0', SubnetId: s.SubnetId, State: { Name: 'running' } }));
    assert.equal(code(() => call('DeleteSubnet', { SubnetId: s.SubnetId })), 'DependencyViolation');
    assert.equal(code(() => call('DeleteVpc', { VpcId: vpcId })), 'DependencyViolation');
    inTx(() => app.env.store.put(COLL.instances, ctx, 'i-0123456789abcdef0', { InstanceId: 'i-0123456789abcdef0', SubnetId: s.SubnetId, State: { Name: 'terminated' } }));
    call('DeleteSubnet', { SubnetId: s.SubnetId });
    inTx(() => app.env.store.delete(COLL.instances, ctx, 'i-0123456789abcdef0'));
  });

  it('sets MapPublicIpOnLaunch and filters on it', () => {
    const s = call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.10.40.0/24' }).Subnet;
    call('ModifySubnetAttribute', { SubnetId: s.SubnetId, MapPublicIpOnLaunch: { Value: true } });
    const found = call('DescribeSubnets', { Filters: [{ Name: 'map-public-ip-on-launch', Values: ['true'] }] }).Subnets;
    assert.deepEqual(found.map((x: { SubnetId: string }) => x.SubnetId), [s.SubnetId]);
  });
});

describe('security groups', () => {
  let vpcId: string;
  before(() => (vpcId = call('CreateVpc', { CidrBlock: '10.30.0.0/16' }).Vpc.VpcId));

  it('needs a VPC, since faultline has no default VPC', () => {
    assert.equal(code(() => call('CreateSecurityGroup', { GroupName: 'x', Description: 'x' })), 'VPCIdNotSpecified');
  });

  it('authorizes, groups, describes and revokes rules', () => {
    const { GroupId } = call('CreateSecurityGroup', { GroupName: 'web', Description: 'web tier', VpcId: vpcId });
    assert.equal(code(() => call('CreateSecurityGroup', { GroupName: 'web', Description: 'again', VpcId: vpcId })), 'InvalidGroup.Duplicate');
    const other = call('CreateSecurityGroup', { GroupName: 'lb', Description: 'lb', VpcId: vpcId }).GroupId;
    const out = call('AuthorizeSecurityGroupIngress', {
      GroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8', Description: 'internal' }] },
        { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: other }] },
        { IpProtocol: '6', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] },
      ],
    });
    assert.equal(out.SecurityGroupRules.length, 4);
    assert.ok(out.SecurityGroupRules.every((r: { SecurityGroupRuleId: string }) => /^sgr-[0-9a-f]{17}$/.test(r.SecurityGroupRuleId)));
    const g = call('DescribeSecurityGroups', { GroupIds: [GroupId] }).SecurityGroups[0];
    assert.deepEqual(g.IpPermissions[0], {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8', Description: 'internal' }],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [],
    });
    assert.deepEqual(g.IpPermissions[1].UserIdGroupPairs, [{ GroupId: other, UserId: '000000000000' }]);
    assert.equal(g.IpPermissions[2].IpProtocol, 'tcp');

    assert.equal(
      code(() => call('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })),
      'InvalidPermission.Duplicate',
    );
    assert.equal(code(() => call('AuthorizeSecurityGroupIngress', { GroupId, IpProtocol: 'tcp', CidrIp: '1.2.3.4/32' })), 'InvalidParameterValue');
    // Legacy flat members.
    call('AuthorizeSecurityGroupIngress', { GroupId, IpProtocol: 'udp', FromPort: 53, ToPort: 53, CidrIp: '10.30.0.0/16' });

    const byFilter = call('DescribeSecurityGroups', { Filters: [{ Name: 'ip-permission.from-port', Values: ['53'] }] }).SecurityGroups;
    assert.deepEqual(byFilter.map((x: { GroupId: string }) => x.GroupId), [GroupId]);
    const byGroup = call('DescribeSecurityGroups', { Filters: [{ Name: 'ip-permission.group-name', Values: ['lb'] }] }).SecurityGroups;
    assert.deepEqual(byGroup.map((x: { GroupId: string }) => x.GroupId), [GroupId]);

    const rules = call('DescribeSecurityGroupRules', { Filters: [{ Name: 'group-id', Values: [GroupId] }] }).SecurityGroupRules;
    assert.equal(rules.length, 6); // 5 ingress + the default egress rule
    assert.equal(rules.filter((r: { IsEgress: boolean }) => r.IsEgress).length, 1);

    // The referenced group cannot go while the rule stands.
    assert.equal(code(() => call('DeleteSecurityGroup', { GroupId: other })), 'DependencyViolation');

    // A rule that is not there fails the whole revoke, and nothing is revoked.
    assert.equal(
      code(() =>
        call('RevokeSecurityGroupIngress', {
          GroupId,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            { IpProtocol: 'tcp', FromPort: 444, ToPort: 444, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          ],
        }),
      ),
      'InvalidPermission.NotFound',
    );
    const revoked = call('RevokeSecurityGroupIngress', {
      GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: other }] }],
    });
    assert.equal(revoked.RevokedSecurityGroupRules[0].ReferencedGroupId, other);
    const ruleId = rules.find((r: { CidrIpv4?: string; FromPort: number }) => r.CidrIpv4 === '0.0.0.0/0' && r.FromPort === 443).SecurityGroupRuleId;
    call('RevokeSecurityGroupIngress', { GroupId, SecurityGroupRuleIds: [ruleId] });
    const after = call('DescribeSecurityGroups', { GroupIds: [GroupId] }).SecurityGroups[0];
    assert.deepEqual(after.IpPermissions[0].IpRanges, [{ CidrIp: '10.0.0.0/8', Description: 'internal' }]);
    call('DeleteSecurityGroup', { GroupId: other });
  });

  it('refuses to delete the default group, or a group an instance uses', () => {
    const def = call('DescribeSecurityGroups', { Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: ['default'] }] }).SecurityGroups[0];
    assert.equal(code(() => call('DeleteSecurityGroup', { GroupId: def.GroupId })), 'CannotDelete');
    const { GroupId } = call('CreateSecurityGroup', { GroupName: 'used', Description: 'used', VpcId: vpcId });
    inTx(() => app.env.store.put(COLL.instances, ctx, 'i-00000000000000001', { InstanceId: 'i-00000000000000001', State: { Name: 'stopped' }, SecurityGroups: [{ GroupId, GroupName: 'used' }] }));
    assert.equal(code(() => call('DeleteSecurityGroup', { GroupId })), 'DependencyViolation');
    inTx(() => app.env.store.delete(COLL.instances, ctx, 'i-00000000000000001'));
    assert.equal(call('DeleteSecurityGroup', { GroupName: 'used' }).Return, true);
    assert.equal(code(() => call('DescribeSecurityGroups', { GroupIds: [GroupId] })), 'InvalidGroup.NotFound');
    assert.equal(code(() => call('DescribeSecurityGroups', { GroupIds: ['web'] })), 'InvalidGroupId.Malformed');
  });
});

describe('internet gateways and routes', () => {
  it('attaches, routes, blackholes on detach, and guards deletes', () => {
    const vpcId = call('CreateVpc', { CidrBlock: '10.40.0.0/16' }).Vpc.VpcId;
    const vpc2 = call('CreateVpc', { CidrBlock: '10.41.0.0/16' }).Vpc.VpcId;
    const igw = call('CreateInternetGateway', { TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: [{ Key: 'k', Value: 'v' }] }] }).InternetGateway;
    assert.deepEqual(igw.Attachments, []);
    const rtb = call('CreateRouteTable', { VpcId: vpcId }).RouteTable;
    assert.equal(code(() => call('CreateRoute', { RouteTableId: rtb.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.InternetGatewayId })), 'InvalidParameterValue');
    call('AttachInternetGateway', { InternetGatewayId: igw.InternetGatewayId, VpcId: vpcId });
    assert.equal(code(() => call('AttachInternetGateway', { InternetGatewayId: igw.InternetGatewayId, VpcId: vpc2 })), 'Resource.AlreadyAssociated');
    assert.equal(code(() => call('DeleteInternetGateway', { InternetGatewayId: igw.InternetGatewayId })), 'DependencyViolation');
    assert.equal(code(() => call('DeleteVpc', { VpcId: vpcId })), 'DependencyViolation');
    assert.equal(call('CreateRoute', { RouteTableId: rtb.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.InternetGatewayId }).Return, true);
    assert.equal(code(() => call('CreateRoute', { RouteTableId: rtb.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.InternetGatewayId })), 'RouteAlreadyExists');
    assert.equal(code(() => call('CreateRoute', { RouteTableId: rtb.RouteTableId, DestinationCidrBlock: '1.0.0.0/8', GatewayId: 'igw-00000000000000000' })), 'InvalidGatewayID.NotFound');
    assert.equal(code(() => call('DeleteRoute', { RouteTableId: rtb.RouteTableId, DestinationCidrBlock: '10.40.0.0/16' })), 'InvalidParameterValue');
    assert.equal(code(() => call('DeleteRoute', { RouteTableId: rtb.RouteTableId, DestinationCidrBlock: '1.0.0.0/8' })), 'InvalidRoute.NotFound');

    const described = call('DescribeInternetGateways', { Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }).InternetGateways;
    assert.deepEqual(described[0].Attachments, [{ VpcId: vpcId, State: 'available' }]);
    const found = call('DescribeRouteTables', { Filters: [{ Name: 'route.gateway-id', Values: [igw.InternetGatewayId] }] }).RouteTables;
    assert.deepEqual(found.map((t: { RouteTableId: string }) => t.RouteTableId), [rtb.RouteTableId]);

    call('DetachInternetGateway', { InternetGatewayId: igw.InternetGatewayId, VpcId: vpcId });
    const route = call('DescribeRouteTables', { RouteTableIds: [rtb.RouteTableId] }).RouteTables[0].Routes[1];
    assert.deepEqual(route, { DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.InternetGatewayId, Origin: 'CreateRoute', State: 'blackhole' });
    assert.equal(code(() => call('DetachInternetGateway', { InternetGatewayId: igw.InternetGatewayId, VpcId: vpcId })), 'Gateway.NotAttached');
    call('DeleteInternetGateway', { InternetGatewayId: igw.InternetGatewayId });
    assert.equal(code(() => call('DescribeInternetGateways', { InternetGatewayIds: [igw.InternetGatewayId] })), 'InvalidInternetGatewayID.NotFound');
  });

  it('associates subnets explicitly, replaces the main association, and guards deletes', () => {
    const vpcId = call('CreateVpc', { CidrBlock: '10.42.0.0/16' }).Vpc.VpcId;
    const subnet = call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.42.1.0/24' }).Subnet.SubnetId;
    const main = call('DescribeRouteTables', { Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'association.main', Values: ['true'] }] }).RouteTables[0];
    const rtb = call('CreateRouteTable', { VpcId: vpcId }).RouteTable;
    const { AssociationId } = call('AssociateRouteTable', { RouteTableId: rtb.RouteTableId, SubnetId: subnet });
    assert.match(AssociationId, /^rtbassoc-/);
    assert.equal(code(() => call('AssociateRouteTable', { RouteTableId: main.RouteTableId, SubnetId: subnet })), 'Resource.AlreadyAssociated');
    assert.equal(code(() => call('DeleteRouteTable', { RouteTableId: rtb.RouteTableId })), 'DependencyViolation');
    const bySubnet = call('DescribeRouteTables', { Filters: [{ Name: 'association.subnet-id', Values: [subnet] }] }).RouteTables;
    assert.deepEqual(bySubnet.map((t: { RouteTableId: string }) => t.RouteTableId), [rtb.RouteTableId]);
    assert.equal(code(() => call('DisassociateRouteTable', { AssociationId: main.Associations[0].RouteTableAssociationId })), 'InvalidParameterValue');
    call('DisassociateRouteTable', { AssociationId });
    assert.equal(code(() => call('DisassociateRouteTable', { AssociationId })), 'InvalidAssociationID.NotFound');
    // Make the new table the main one.
    const { NewAssociationId } = call('ReplaceRouteTableAssociation', { AssociationId: main.Associations[0].RouteTableAssociationId, RouteTableId: rtb.RouteTableId });
    const now = call('DescribeRouteTables', { RouteTableIds: [rtb.RouteTableId] }).RouteTables[0];
    assert.deepEqual(now.Associations.map((a: { RouteTableAssociationId: string; Main: boolean }) => [a.RouteTableAssociationId, a.Main]), [[NewAssociationId, true]]);
    call('DeleteRouteTable', { RouteTableId: main.RouteTableId });
    call('DeleteSubnet', { SubnetId: subnet });
    call('DeleteVpc', { VpcId: vpcId });
    assert.equal(code(() => call('DescribeRouteTables', { RouteTableIds: [rtb.RouteTableId] })), 'InvalidRouteTableID.NotFound');
  });
});

describe('network ACL entries', () => {
  it('adds, replaces and deletes entries in order, and refuses duplicates', () => {
    const vpcId = call('CreateVpc', { CidrBlock: '10.50.0.0/16' }).Vpc.VpcId;
    const acl = call('CreateNetworkAcl', { VpcId: vpcId }).NetworkAcl;
    assert.equal(acl.IsDefault, false);
    assert.deepEqual(acl.Entries.map((e: { RuleNumber: number }) => e.RuleNumber), [32767, 32767]);
    const base = { NetworkAclId: acl.NetworkAclId, Egress: false, RuleAction: 'allow', CidrBlock: '0.0.0.0/0' };
    call('CreateNetworkAclEntry', { ...base, RuleNumber: 200, Protocol: 'tcp', PortRange: { From: 443, To: 443 } });
    call('CreateNetworkAclEntry', { ...base, RuleNumber: 100, Protocol: '6', PortRange: { From: 80, To: 80 } });
    assert.equal(code(() => call('CreateNetworkAclEntry', { ...base, RuleNumber: 100, Protocol: '-1' })), 'NetworkAclEntryAlreadyExists');
    assert.equal(code(() => call('CreateNetworkAclEntry', { ...base, RuleNumber: 300, Protocol: '6' })), 'MissingParameter');
    assert.equal(code(() => call('CreateNetworkAclEntry', { ...base, RuleNumber: 40000, Protocol: '-1' })), 'InvalidParameterValue');
    call('ReplaceNetworkAclEntry', { ...base, RuleNumber: 200, Protocol: '-1', RuleAction: 'deny' });
    const entries = call('DescribeNetworkAcls', { NetworkAclIds: [acl.NetworkAclId] }).NetworkAcls[0].Entries;
    assert.deepEqual(
      entries.map((e: { Egress: boolean; RuleNumber: number; Protocol: string; RuleAction: string }) => `${e.Egress ? 'out' : 'in'} ${e.RuleNumber} ${e.Protocol} ${e.RuleAction}`),
      ['out 32767 -1 deny', 'in 100 6 allow', 'in 200 -1 deny', 'in 32767 -1 deny'],
    );
    const byPort = call('DescribeNetworkAcls', { Filters: [{ Name: 'entry.port-range.from', Values: ['80'] }] }).NetworkAcls;
    assert.deepEqual(byPort.map((a: { NetworkAclId: string }) => a.NetworkAclId), [acl.NetworkAclId]);
    call('DeleteNetworkAclEntry', { NetworkAclId: acl.NetworkAclId, RuleNumber: 100, Egress: false });
    assert.equal(code(() => call('DeleteNetworkAclEntry', { NetworkAclId: acl.NetworkAclId, RuleNumber: 100, Egress: false })), 'InvalidNetworkAclEntry.NotFound');
    const def = call('DescribeNetworkAcls', { Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'default', Values: ['true'] }] }).NetworkAcls[0];
    assert.equal(code(() => call('DeleteNetworkAcl', { NetworkAclId: def.NetworkAclId })), 'InvalidParameterValue');
    call('DeleteNetworkAcl', { NetworkAclId: acl.NetworkAclId });
    assert.equal(code(() => call('DescribeNetworkAcls', { NetworkAclIds: [acl.NetworkAclId] })), 'InvalidNetworkAclID.NotFound');
  });
});

describe('key pairs', () => {
  it('creates RSA keys whose fingerprint is the SHA-1 of the PKCS#8 private key', async () => {
    const { createHash, createPrivateKey } = await import('node:crypto');
    const k = call('CreateKeyPair', { KeyName: 'rsa-one' });
    assert.match(k.KeyMaterial, /^-----BEGIN RSA PRIVATE KEY-----/);
    const der = createPrivateKey(k.KeyMaterial).export({ type: 'pkcs8', format: 'der' });
    assert.equal(k.KeyFingerprint, createHash('sha1').update(der).digest('hex').match(/../g)!.join(':'));
    assert.match(k.KeyPairId, /^key-[0-9a-f]{17}$/);
    assert.equal(code(() => call('CreateKeyPair', { KeyName: 'rsa-one' })), 'InvalidKeyPair.Duplicate');
    const d = call('DescribeKeyPairs', { KeyNames: ['rsa-one'], IncludePublicKey: true }).KeyPairs[0];
    assert.equal(d.KeyType, 'rsa');
    assert.match(d.PublicKey, /^ssh-rsa AAAA/);
    assert.equal(d.CreateTime, new Date(app.env.clock.now()).toISOString());
    assert.equal(call('DescribeKeyPairs', { KeyNames: ['rsa-one'] }).KeyPairs[0].PublicKey, undefined);
  });

  it('imports OpenSSH keys, fingerprints RSA with MD5 of the public DER, and deletes idempotently', async () => {
    const { createHash, generateKeyPairSync } = await import('node:crypto');
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0]).fill(0).map((_, i) => (b.length >>> (8 * (3 - i))) & 255), b]);
    const mp = (b: Buffer) => str(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
    const blob = Buffer.concat([str(Buffer.from('ssh-rsa')), mp(Buffer.from(jwk.e!, 'base64url')), mp(Buffer.from(jwk.n!, 'base64url'))]);
    const line = `ssh-rsa ${blob.toString('base64')} me@host\n`;
    const k = call('ImportKeyPair', { KeyName: 'imported', PublicKeyMaterial: Buffer.from(line) });
    const md5 = createHash('md5').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').match(/../g)!.join(':');
    assert.equal(k.KeyFingerprint, md5);
    // The same key base64-encoded once more, as some callers send it.
    const again = call('ImportKeyPair', { KeyName: 'imported-b64', PublicKeyMaterial: Buffer.from(Buffer.from(line).toString('base64')) });
    assert.equal(again.KeyFingerprint, md5);
    assert.equal(code(() => call('ImportKeyPair', { KeyName: 'bad', PublicKeyMaterial: Buffer.from('ssh-rsa notakey') })), 'InvalidKey.Format');
    const found = call('DescribeKeyPairs', { Filters: [{ Name: 'fingerprint', Values: [md5] }] }).KeyPairs;
    assert.deepEqual(found.map((x: { KeyName: string }) => x.KeyName).sort(), ['imported', 'imported-b64']);
    assert.equal(call('DeleteKeyPair', { KeyName: 'imported' }).Return, true);
    assert.equal(call('DeleteKeyPair', { KeyName: 'imported' }).Return, true);
    assert.equal(code(() => call('DescribeKeyPairs', { KeyNames: ['imported'] })), 'InvalidKeyPair.NotFound');
  });

  it('creates ED25519 keys with a base64 SHA-256 fingerprint', () => {
    const k = call('CreateKeyPair', { KeyName: 'ed', KeyType: 'ed25519' });
    assert.match(k.KeyMaterial, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.match(k.KeyFingerprint, /^[A-Za-z0-9+/]{43}=$/);
    const ppk = call('CreateKeyPair', { KeyName: 'ed-ppk', KeyType: 'ed25519', KeyFormat: 'ppk' });
    assert.match(ppk.KeyMaterial, /^PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ed-ppk\n/);
  });
});

describe('paging', () => {
  it('pages DescribeVpcs with MaxResults and NextToken, and refuses a token it did not issue', () => {
    const all = call('DescribeVpcs').Vpcs.map((v: { VpcId: string }) => v.VpcId);
    assert.ok(all.length > 5);
    const first = call('DescribeVpcs', { MaxResults: 5 });
    assert.equal(first.Vpcs.length, 5);
    const rest = call('DescribeVpcs', { MaxResults: 1000, NextToken: first.NextToken });
    assert.equal(rest.NextToken, undefined);
    assert.deepEqual([...first.Vpcs, ...rest.Vpcs].map((v: { VpcId: string }) => v.VpcId), all);
    assert.equal(code(() => call('DescribeVpcs', { MaxResults: 5, NextToken: '!!' })), 'InvalidNextToken');
    assert.equal(code(() => call('DescribeVpcs', { MaxResults: 4 })), 'InvalidParameterValue');
  });
});
