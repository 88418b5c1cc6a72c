/**
 * CloudFormation resource handlers for EC2 networking: VPCs, subnets, internet gateways and their
 * attachments, route tables, routes and associations, network ACLs, their entries and
 * associations, and security groups. Each acts through EC2's own operation handlers.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, deleteWithRetry, tagSpec, tagsOf } from '../../cloudformation/handler-kit.ts';
import type { Props, ResourceContext, ResourceHandler, ResourceState } from '../../cloudformation/resource-handler.ts';
import { DONE } from '../../cloudformation/resource-handler.ts';
import { ec2 } from './index.ts';
import { COLL, type NetworkAclRecord, type SecurityGroupRecord, type SubnetRecord, type VpcRecord } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(ec2, op, input, rc.request);

const deleting = (rc: ResourceContext, state: ResourceState, op: string, input: Record<string, unknown>) =>
  deleteWithRetry(state, rc.env.clock.now(), () => call(rc, op, input));

/** Brings an EC2 resource's tags from the old template's to the new template's. */
export function syncTags(rc: ResourceContext, id: string, oldTags: unknown, newTags: unknown): void {
  const before = tagsOf(oldTags);
  const after = tagsOf(newTags);
  const removed = before.filter((t) => !after.some((a) => a.Key === t.Key));
  if (removed.length) call(rc, 'DeleteTags', { Resources: [id], Tags: removed.map((t) => ({ Key: t.Key })) });
  const set = after.filter((t) => !before.some((b) => b.Key === t.Key && b.Value === t.Value));
  if (set.length) call(rc, 'CreateTags', { Resources: [id], Tags: set });
}

/** Handlers whose only in-place change is their tags. */
export const tagsOnly = (changed: string[], type: string) => {
  const other = changed.filter((c) => c !== 'Tags');
  if (other.length) throw new AwsError('NotUpdatable', `faultline cannot update ${other.join(', ')} of ${type} in place yet.`);
};

const record = <T>(rc: ResourceContext, coll: string, id: string) => rc.env.store.get<T>(coll, rc.request, id) as T | undefined;

function requireRecord<T>(rc: ResourceContext, coll: string, id: string): T {
  const r = record<T>(rc, coll, id);
  if (!r) throw new AwsError('NotFound', `${id} no longer exists`);
  return r;
}

function setVpcAttributes(rc: ResourceContext, vpcId: string, props: Props, old?: Props): void {
  // Hostnames need DNS support first when enabling, and go first when disabling.
  const support = bool(props.EnableDnsSupport);
  const hostnames = bool(props.EnableDnsHostnames);
  const changedSupport = support !== undefined && (!old || bool(old.EnableDnsSupport) !== support);
  const changedHostnames = hostnames !== undefined && (!old || bool(old.EnableDnsHostnames) !== hostnames);
  if (changedHostnames && !hostnames) call(rc, 'ModifyVpcAttribute', { VpcId: vpcId, EnableDnsHostnames: { Value: false } });
  if (changedSupport) call(rc, 'ModifyVpcAttribute', { VpcId: vpcId, EnableDnsSupport: { Value: support } });
  if (changedHostnames && hostnames) call(rc, 'ModifyVpcAttribute', { VpcId: vpcId, EnableDnsHostnames: { Value: true } });
}

const vpc: ResourceHandler = {
  type: 'AWS::EC2::VPC',
  create(props, rc) {
    if (props.Ipv4IpamPoolId !== undefined) throw new AwsError('InvalidParameterValue', 'faultline has no IPAM pools.');
    const out = call(rc, 'CreateVpc', { CidrBlock: props.CidrBlock, InstanceTenancy: props.InstanceTenancy, TagSpecifications: tagSpec('vpc', props.Tags) });
    setVpcAttributes(rc, out.Vpc.VpcId, props);
    return { physicalId: out.Vpc.VpcId };
  },
  update(props, old, changed, rc) {
    tagsOnly(changed.filter((c) => !c.startsWith('EnableDns')), this.type);
    setVpcAttributes(rc, old.physicalId, props, old.props);
    if (changed.includes('Tags')) syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleting(rc, s, 'DeleteVpc', { VpcId: s.physicalId }),
  getAtt(s, name, rc) {
    const v = requireRecord<VpcRecord>(rc, COLL.vpcs, s.physicalId);
    return attribute<VpcRecord>(
      {
        CidrBlock: (x) => x.CidrBlock,
        CidrBlockAssociations: (x) => x.CidrBlockAssociationSet.map((a) => a.AssociationId),
        DefaultNetworkAcl: (x) => x.defaultNetworkAclId,
        DefaultSecurityGroup: (x) => x.defaultSecurityGroupId,
        Ipv6CidrBlocks: (x) => (x.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock),
        VpcId: (x) => x.VpcId,
      },
      name,
      v,
    );
  },
};

const subnet: ResourceHandler = {
  type: 'AWS::EC2::Subnet',
  create(props, rc) {
    const out = call(rc, 'CreateSubnet', {
      VpcId: props.VpcId,
      CidrBlock: props.CidrBlock,
      AvailabilityZone: props.AvailabilityZone,
      AvailabilityZoneId: props.AvailabilityZoneId,
      Ipv6CidrBlock: props.Ipv6CidrBlock,
      TagSpecifications: tagSpec('subnet', props.Tags),
    });
    const id = out.Subnet.SubnetId;
    if (bool(props.MapPublicIpOnLaunch)) call(rc, 'ModifySubnetAttribute', { SubnetId: id, MapPublicIpOnLaunch: { Value: true } });
    return { physicalId: id };
  },
  update(props, old, changed, rc) {
    tagsOnly(changed.filter((c) => c !== 'MapPublicIpOnLaunch'), this.type);
    if (changed.includes('MapPublicIpOnLaunch')) call(rc, 'ModifySubnetAttribute', { SubnetId: old.physicalId, MapPublicIpOnLaunch: { Value: bool(props.MapPublicIpOnLaunch) ?? false } });
    if (changed.includes('Tags')) syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleting(rc, s, 'DeleteSubnet', { SubnetId: s.physicalId }),
  getAtt(s, name, rc) {
    const v = requireRecord<SubnetRecord>(rc, COLL.subnets, s.physicalId);
    return attribute<SubnetRecord>(
      {
        AvailabilityZone: (x) => x.AvailabilityZone,
        AvailabilityZoneId: (x) => x.AvailabilityZoneId,
        CidrBlock: (x) => x.CidrBlock,
        Ipv6CidrBlocks: (x) => (x.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock),
        NetworkAclAssociationId: (x) => aclAssociationOf(rc, x.SubnetId)?.NetworkAclAssociationId,
        OutpostArn: () => '',
        SubnetId: (x) => x.SubnetId,
        VpcId: (x) => x.VpcId,
      },
      name,
      v,
    );
  },
};

function aclAssociationOf(rc: ResourceContext, subnetId: string) {
  for (const acl of rc.env.store.list<NetworkAclRecord>(COLL.networkAcls, rc.request)) {
    const a = acl.Associations.find((x) => x.SubnetId === subnetId);
    if (a) return { ...a, vpcId: acl.VpcId };
  }
  return undefined;
}

const internetGateway: ResourceHandler = {
  type: 'AWS::EC2::InternetGateway',
  create(props, rc) {
    const out = call(rc, 'CreateInternetGateway', { TagSpecifications: tagSpec('internet-gateway', props.Tags) });
    return { physicalId: out.InternetGateway.InternetGatewayId };
  },
  update(props, old, changed, rc) {
    tagsOnly(changed, this.type);
    syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleting(rc, s, 'DeleteInternetGateway', { InternetGatewayId: s.physicalId }),
  getAtt: (s, name) => attribute({ InternetGatewayId: () => s.physicalId }, name, s),
};

const gatewayAttachment: ResourceHandler = {
  type: 'AWS::EC2::VPCGatewayAttachment',
  create(props, rc) {
    if (props.VpnGatewayId !== undefined) throw new AwsError('InvalidParameterValue', 'faultline has no virtual private gateways; attach an InternetGatewayId.');
    call(rc, 'AttachInternetGateway', { InternetGatewayId: props.InternetGatewayId, VpcId: props.VpcId });
    return { physicalId: `IGW|${props.VpcId}`, data: { gatewayId: props.InternetGatewayId, vpcId: props.VpcId } };
  },
  delete: (s, rc) =>
    deleteWithRetry(s, rc.env.clock.now(), () => {
      try {
        call(rc, 'DetachInternetGateway', { InternetGatewayId: s.data.gatewayId, VpcId: s.data.vpcId });
      } catch (e) {
        if (e instanceof AwsError && e.code === 'Gateway.NotAttached') return;
        throw e;
      }
    }),
};

const routeTable: ResourceHandler = {
  type: 'AWS::EC2::RouteTable',
  create(props, rc) {
    const out = call(rc, 'CreateRouteTable', { VpcId: props.VpcId, TagSpecifications: tagSpec('route-table', props.Tags) });
    return { physicalId: out.RouteTable.RouteTableId };
  },
  update(props, old, changed, rc) {
    tagsOnly(changed, this.type);
    syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleting(rc, s, 'DeleteRouteTable', { RouteTableId: s.physicalId }),
  getAtt: (s, name) => attribute({ RouteTableId: () => s.physicalId }, name, s),
};

const ROUTE_TARGETS = ['CarrierGatewayId', 'EgressOnlyInternetGatewayId', 'GatewayId', 'InstanceId', 'LocalGatewayId', 'NatGatewayId', 'NetworkInterfaceId', 'TransitGatewayId', 'VpcEndpointId', 'VpcPeeringConnectionId', 'CoreNetworkArn'];
const routeInput = (props: Props) => {
  const input: Record<string, unknown> = { RouteTableId: props.RouteTableId };
  for (const k of ['DestinationCidrBlock', 'DestinationIpv6CidrBlock', 'DestinationPrefixListId', ...ROUTE_TARGETS]) if (props[k] !== undefined) input[k] = props[k];
  return input;
};
const destinationOf = (props: Props) => String(props.DestinationCidrBlock ?? props.DestinationIpv6CidrBlock ?? props.DestinationPrefixListId ?? '');

const route: ResourceHandler = {
  type: 'AWS::EC2::Route',
  create(props, rc) {
    call(rc, 'CreateRoute', routeInput(props));
    return { physicalId: `${props.RouteTableId}|${destinationOf(props)}` };
  },
  update(props, _old, _changed, rc) {
    call(rc, 'ReplaceRoute', routeInput(props));
  },
  delete(s, rc) {
    const dest = s.props.DestinationCidrBlock !== undefined ? { DestinationCidrBlock: s.props.DestinationCidrBlock } : s.props.DestinationIpv6CidrBlock !== undefined ? { DestinationIpv6CidrBlock: s.props.DestinationIpv6CidrBlock } : { DestinationPrefixListId: s.props.DestinationPrefixListId };
    return deleting(rc, s, 'DeleteRoute', { RouteTableId: s.props.RouteTableId, ...dest });
  },
};

const routeTableAssociation: ResourceHandler = {
  type: 'AWS::EC2::SubnetRouteTableAssociation',
  create(props, rc) {
    const out = call(rc, 'AssociateRouteTable', { RouteTableId: props.RouteTableId, SubnetId: props.SubnetId });
    return { physicalId: out.AssociationId };
  },
  delete: (s, rc) => deleting(rc, s, 'DisassociateRouteTable', { AssociationId: s.physicalId }),
  getAtt: (s, name) => attribute({ Id: () => s.physicalId }, name, s),
};

const networkAcl: ResourceHandler = {
  type: 'AWS::EC2::NetworkAcl',
  create(props, rc) {
    const out = call(rc, 'CreateNetworkAcl', { VpcId: props.VpcId, TagSpecifications: tagSpec('network-acl', props.Tags) });
    return { physicalId: out.NetworkAcl.NetworkAclId };
  },
  update(props, old, changed, rc) {
    tagsOnly(changed, this.type);
    syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleting(rc, s, 'DeleteNetworkAcl', { NetworkAclId: s.physicalId }),
  getAtt: (s, name) => attribute({ Id: () => s.physicalId }, name, s),
};

const aclEntryInput = (props: Props) => {
  const icmp = props.Icmp as { Code?: unknown; Type?: unknown } | undefined;
  const ports = props.PortRange as { From?: unknown; To?: unknown } | undefined;
  return {
    NetworkAclId: props.NetworkAclId,
    RuleNumber: props.RuleNumber,
    Protocol: props.Protocol,
    RuleAction: props.RuleAction,
    Egress: bool(props.Egress) ?? false,
    CidrBlock: props.CidrBlock,
    Ipv6CidrBlock: props.Ipv6CidrBlock,
    PortRange: ports ? { From: ports.From, To: ports.To } : undefined,
    IcmpTypeCode: icmp ? { Code: icmp.Code, Type: icmp.Type } : undefined,
  };
};

const networkAclEntry: ResourceHandler = {
  type: 'AWS::EC2::NetworkAclEntry',
  create(props, rc) {
    call(rc, 'CreateNetworkAclEntry', aclEntryInput(props));
    return { physicalId: `${props.NetworkAclId}|${bool(props.Egress) ? 'egress' : 'ingress'}|${props.RuleNumber}` };
  },
  update(props, _old, _changed, rc) {
    call(rc, 'ReplaceNetworkAclEntry', aclEntryInput(props));
  },
  delete: (s, rc) => deleting(rc, s, 'DeleteNetworkAclEntry', { NetworkAclId: s.props.NetworkAclId, RuleNumber: s.props.RuleNumber, Egress: bool(s.props.Egress) ?? false }),
  getAtt: (s, name) => attribute({ Id: () => s.physicalId }, name, s),
};

const aclAssociation: ResourceHandler = {
  type: 'AWS::EC2::SubnetNetworkAclAssociation',
  create(props, rc) {
    const current = aclAssociationOf(rc, String(props.SubnetId));
    if (!current) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${props.SubnetId}' does not exist`);
    const out = call(rc, 'ReplaceNetworkAclAssociation', { AssociationId: current.NetworkAclAssociationId, NetworkAclId: props.NetworkAclId });
    return { physicalId: out.NewAssociationId };
  },
  delete(s, rc) {
    // Taking the association away puts the subnet back on its VPC's default ACL, as AWS does.
    const current = aclAssociationOf(rc, String(s.props.SubnetId));
    if (!current || current.NetworkAclId !== s.props.NetworkAclId) return DONE;
    const v = record<VpcRecord>(rc, COLL.vpcs, current.vpcId);
    if (!v?.defaultNetworkAclId) return DONE;
    return deleting(rc, s, 'ReplaceNetworkAclAssociation', { AssociationId: current.NetworkAclAssociationId, NetworkAclId: v.defaultNetworkAclId });
  },
  getAtt: (s, name) => attribute({ AssociationId: () => s.physicalId }, name, s),
};

type Rule = Record<string, unknown>;

/** A rule of SecurityGroupIngress or SecurityGroupEgress (inline, or the resources of those names) as an IpPermission. */
export function permission(r: Rule, egress: boolean) {
  const desc = r.Description === undefined ? {} : { Description: r.Description };
  const cidr = r.CidrIp;
  const cidr6 = r.CidrIpv6;
  const group = egress ? r.DestinationSecurityGroupId : (r.SourceSecurityGroupId ?? r.SourceSecurityGroupName);
  const prefix = egress ? r.DestinationPrefixListId : r.SourcePrefixListId;
  return {
    IpProtocol: String(r.IpProtocol),
    FromPort: r.FromPort,
    ToPort: r.ToPort,
    IpRanges: cidr !== undefined ? [{ CidrIp: cidr, ...desc }] : [],
    Ipv6Ranges: cidr6 !== undefined ? [{ CidrIpv6: cidr6, ...desc }] : [],
    PrefixListIds: prefix !== undefined ? [{ PrefixListId: prefix, ...desc }] : [],
    UserIdGroupPairs:
      group !== undefined
        ? [{ ...(String(group).startsWith('sg-') ? { GroupId: group } : { GroupName: group }), ...(r.SourceSecurityGroupOwnerId !== undefined ? { UserId: r.SourceSecurityGroupOwnerId } : {}), ...desc }]
        : [],
  };
}

const ALL_EGRESS = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

/** The rules a group's inline properties make: its ingress, and its egress (without SecurityGroupEgress, AWS's allow-all rule). */
const INLINE = [
  { egress: false, rules: (p: Props) => ((p.SecurityGroupIngress ?? []) as Rule[]).map((r) => permission(r, false)) },
  { egress: true, rules: (p: Props) => (p.SecurityGroupEgress === undefined ? [ALL_EGRESS] : (p.SecurityGroupEgress as Rule[]).map((r) => permission(r, true))) },
];

/**
 * Puts a group's inline rules in place of those it had: at create, the default egress rule; at
 * update, the rules the old inline properties made. Rules that AWS::EC2::SecurityGroupIngress or
 * Egress resources (or API calls) added stay, as CloudFormation leaves them.
 */
function setRules(rc: ResourceContext, groupId: string, props: Props, old?: Props): void {
  for (const { egress, rules } of INLINE) {
    const before = old ? rules(old) : egress ? [ALL_EGRESS] : [];
    const after = rules(props);
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    const [authorize, revoke] = egress ? ['AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupEgress'] : ['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress'];
    if (before.length) call(rc, revoke, { GroupId: groupId, IpPermissions: before });
    if (after.length) call(rc, authorize, { GroupId: groupId, IpPermissions: after });
  }
}

const securityGroup: ResourceHandler = {
  type: 'AWS::EC2::SecurityGroup',
  create(props, rc) {
    const out = call(rc, 'CreateSecurityGroup', {
      GroupName: props.GroupName ?? rc.physicalName({ maxLength: 255 }),
      Description: props.GroupDescription,
      VpcId: props.VpcId,
      TagSpecifications: tagSpec('security-group', props.Tags),
    });
    setRules(rc, out.GroupId, props);
    return { physicalId: out.GroupId };
  },
  update(props, old, changed, rc) {
    tagsOnly(changed.filter((c) => c !== 'SecurityGroupIngress' && c !== 'SecurityGroupEgress'), this.type);
    if (changed.includes('SecurityGroupIngress') || changed.includes('SecurityGroupEgress')) setRules(rc, old.physicalId, props, old.props);
    if (changed.includes('Tags')) syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleting(rc, s, 'DeleteSecurityGroup', { GroupId: s.physicalId }),
  getAtt(s, name, rc) {
    const g = requireRecord<SecurityGroupRecord>(rc, COLL.securityGroups, s.physicalId);
    return attribute<SecurityGroupRecord>({ GroupId: (x) => x.GroupId, VpcId: (x) => x.VpcId }, name, g);
  },
};

export const ec2NetworkResources: ResourceHandler[] = [
  vpc,
  subnet,
  internetGateway,
  gatewayAttachment,
  routeTable,
  route,
  routeTableAssociation,
  networkAcl,
  networkAclEntry,
  aclAssociation,
  securityGroup,
];
