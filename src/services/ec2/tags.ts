/**
 * Tags on every EC2 resource: CreateTags, DeleteTags and DescribeTags. Each taggable record
 * keeps its tags in `Tags`, and its id prefix tells which collection it lives in.
 */
import { AwsError } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, type Filter, type Tag } from './filters.ts';

/** Id prefix to collection and the resource type DescribeTags reports. */
export const TAGGABLE: Record<string, { coll: string; type: string; idField: string }> = {
  i: { coll: 'ec2.instances', type: 'instance', idField: 'InstanceId' },
  vpc: { coll: 'ec2.vpcs', type: 'vpc', idField: 'VpcId' },
  subnet: { coll: 'ec2.subnets', type: 'subnet', idField: 'SubnetId' },
  igw: { coll: 'ec2.internetGateways', type: 'internet-gateway', idField: 'InternetGatewayId' },
  rtb: { coll: 'ec2.routeTables', type: 'route-table', idField: 'RouteTableId' },
  acl: { coll: 'ec2.networkAcls', type: 'network-acl', idField: 'NetworkAclId' },
  sg: { coll: 'ec2.securityGroups', type: 'security-group', idField: 'GroupId' },
  key: { coll: 'ec2.keyPairs', type: 'key-pair', idField: 'KeyPairId' },
  vol: { coll: 'ec2.volumes', type: 'volume', idField: 'VolumeId' },
  snap: { coll: 'ec2.snapshots', type: 'snapshot', idField: 'SnapshotId' },
  ami: { coll: 'ec2.images', type: 'image', idField: 'ImageId' },
  eipalloc: { coll: 'ec2.addresses', type: 'elastic-ip', idField: 'AllocationId' },
  lt: { coll: 'ec2.launchTemplates', type: 'launch-template', idField: 'LaunchTemplateId' },
  eni: { coll: 'ec2.networkInterfaces', type: 'network-interface', idField: 'NetworkInterfaceId' },
  pg: { coll: 'ec2.placementGroups', type: 'placement-group', idField: 'GroupId' },
  h: { coll: 'ec2.hosts', type: 'dedicated-host', idField: 'HostId' },
  sir: { coll: 'ec2.spotInstanceRequests', type: 'spot-instances-request', idField: 'SpotInstanceRequestId' },
  dopt: { coll: 'ec2.dhcpOptions', type: 'dhcp-options', idField: 'DhcpOptionsId' },
  eigw: { coll: 'ec2.egressOnlyInternetGateways', type: 'egress-only-internet-gateway', idField: 'EgressOnlyInternetGatewayId' },
  vpce: { coll: 'ec2.vpcEndpoints', type: 'vpc-endpoint', idField: 'VpcEndpointId' },
  cgw: { coll: 'ec2.customerGateways', type: 'customer-gateway', idField: 'CustomerGatewayId' },
  vgw: { coll: 'ec2.vpnGateways', type: 'vpn-gateway', idField: 'VpnGatewayId' },
  vpn: { coll: 'ec2.vpnConnections', type: 'vpn-connection', idField: 'VpnConnectionId' },
};

export const MAX_TAGS = 50;

function locate(ctx: RequestContext, id: string) {
  const kind = TAGGABLE[id.slice(0, id.lastIndexOf('-'))];
  if (!kind) throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  const rec = ctx.env.store.mutable<{ Tags?: Tag[] }>(kind.coll, ctx, id);
  if (!rec) throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  return { kind, rec };
}

/** Replaces or adds tags on a record, enforcing EC2's limits. Used by Create* calls' TagSpecifications too. */
export function mergeTags(existing: readonly Tag[] | undefined, add: readonly { Key?: string; Value?: string }[]): Tag[] {
  const out = new Map((existing ?? []).map((t) => [t.Key, t.Value]));
  for (const t of add) {
    if (t.Key === undefined || t.Key === '') throw new AwsError('InvalidParameterValue', 'Tag key must not be empty');
    if (t.Key.length > 127) throw new AwsError('InvalidParameterValue', `Tag key exceeds the maximum length of 127 characters`);
    if ((t.Value ?? '').length > 255) throw new AwsError('InvalidParameterValue', `Tag value exceeds the maximum length of 255 characters`);
    if (t.Key.toLowerCase().startsWith('aws:')) throw new AwsError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
    out.set(t.Key, t.Value ?? '');
  }
  if (out.size > MAX_TAGS) throw new AwsError('TagLimitExceeded', `The maximum number of tags per resource is ${MAX_TAGS}.`);
  return [...out].map(([Key, Value]) => ({ Key, Value }));
}

/** The tags a Create* call's TagSpecifications give a resource of `type`. */
export function tagsFor(specs: { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[] | undefined, type: string): Tag[] {
  const tags = (specs ?? []).filter((s) => s.ResourceType === type).flatMap((s) => s.Tags ?? []);
  return mergeTags([], tags);
}

export const tagHandlers = {
  CreateTags(input: { Resources: string[]; Tags: Tag[] }, ctx: RequestContext) {
    const located = input.Resources.map((id) => locate(ctx, id));
    for (const { kind, rec } of located) {
      rec.Tags = mergeTags(rec.Tags, input.Tags);
      ctx.env.store.put(kind.coll, ctx, (rec as Record<string, string>)[kind.idField], rec);
    }
    return {};
  },

  DeleteTags(input: { Resources: string[]; Tags?: { Key: string; Value?: string }[] }, ctx: RequestContext) {
    const located = input.Resources.map((id) => locate(ctx, id));
    for (const { kind, rec } of located) {
      rec.Tags = (rec.Tags ?? []).filter(
        (t) => input.Tags?.length && !input.Tags.some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)),
      );
      ctx.env.store.put(kind.coll, ctx, (rec as Record<string, string>)[kind.idField], rec);
    }
    return {};
  },

  DescribeTags(input: { Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    type Row = { Key: string; Value: string; ResourceId: string; ResourceType: string; Tags?: Tag[] };
    const rows: Row[] = [];
    for (const kind of Object.values(TAGGABLE)) {
      for (const rec of ctx.env.store.list<Record<string, unknown> & { Tags?: Tag[] }>(kind.coll, ctx)) {
        for (const t of rec.Tags ?? []) rows.push({ Key: t.Key, Value: t.Value, ResourceId: rec[kind.idField] as string, ResourceType: kind.type });
      }
    }
    const filtered = applyFilters(rows, input.Filters, {
      key: (r) => r.Key,
      value: (r) => r.Value,
      'resource-id': (r) => r.ResourceId,
      'resource-type': (r) => r.ResourceType,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken);
    return { Tags: page.map(({ Key, Value, ResourceId, ResourceType }) => ({ Key, Value, ResourceId, ResourceType })), NextToken };
  },
};
