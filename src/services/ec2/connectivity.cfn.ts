/**
 * CloudFormation's AWS::EC2::VPCPeeringConnection, AWS::EC2::NatGateway and AWS::EC2::PrefixList
 * through EC2's handlers. A peering connection between VPCs of the stack's account is accepted at
 * once, as CloudFormation does without a peer role. A NAT gateway is created when it is
 * `available` and deleted when it is `deleted`, as CloudFormation waits for both; a failed one
 * fails the resource with EC2's failure message. A prefix list's name, entries and maximum change
 * in place; each Ref is the resource's id.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry, num, tagSpec } from '../../cloudformation/handler-kit.ts';
import { DONE, wait, type Props, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { ec2 } from './index.ts';
import { syncTags, tagsOnly } from './network.cfn.ts';
import { COLL, type ManagedPrefixListRecord, type NatGatewayRecord, type VpcPeeringConnectionRecord } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(ec2, op, input, rc.request);
const record = <T>(rc: ResourceContext, coll: string, id: string) => rc.env.store.get<T>(coll, rc.request, id) as T | undefined;

const peering: ResourceHandler = {
  type: 'AWS::EC2::VPCPeeringConnection',
  create(props, rc) {
    const out = call(rc, 'CreateVpcPeeringConnection', {
      VpcId: props.VpcId,
      PeerVpcId: props.PeerVpcId,
      PeerOwnerId: props.PeerOwnerId,
      PeerRegion: props.PeerRegion,
      TagSpecifications: tagSpec('vpc-peering-connection', props.Tags),
    });
    const c = out.VpcPeeringConnection;
    if (c.Status.Code === 'failed') throw new AwsError('VpcPeeringConnectionFailed', `VPC peering connection ${c.VpcPeeringConnectionId} failed: ${c.Status.Message}`);
    call(rc, 'AcceptVpcPeeringConnection', { VpcPeeringConnectionId: c.VpcPeeringConnectionId });
    return { physicalId: c.VpcPeeringConnectionId };
  },
  update(props, old, changed, rc) {
    tagsOnly(changed, 'a VPC peering connection');
    syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete(s, rc) {
    const c = record<VpcPeeringConnectionRecord>(rc, COLL.vpcPeeringConnections, s.physicalId);
    if (c && (c.Status.Code === 'active' || c.Status.Code === 'pending-acceptance')) call(rc, 'DeleteVpcPeeringConnection', { VpcPeeringConnectionId: s.physicalId });
    return DONE;
  },
  getAtt: (s, name) => attribute({ Id: () => s.physicalId }, name, s),
};

/** NAT gateway properties of zonal secondary addresses and regional gateways, which faultline does not serve. */
const NAT_UNSERVED = ['AvailabilityMode', 'AvailabilityZoneAddresses', 'SecondaryAllocationIds', 'SecondaryPrivateIpAddressCount', 'SecondaryPrivateIpAddresses', 'VpcId'];
const POLL_MS = 5_000;

const natGateway: ResourceHandler = {
  type: 'AWS::EC2::NatGateway',
  create(props, rc) {
    const unserved = NAT_UNSERVED.filter((p) => props[p] !== undefined);
    if (unserved.length) throw new AwsError('ValidationError', `faultline does not serve ${unserved.join(', ')} on NAT gateways: one zonal address per gateway.`);
    const out = call(rc, 'CreateNatGateway', {
      SubnetId: props.SubnetId,
      AllocationId: props.AllocationId,
      ConnectivityType: props.ConnectivityType,
      PrivateIpAddress: props.PrivateIpAddress,
      TagSpecifications: tagSpec('natgateway', props.Tags),
    });
    return { physicalId: out.NatGateway.NatGatewayId };
  },
  stabilize(s, rc) {
    const n = record<NatGatewayRecord>(rc, COLL.natGateways, s.physicalId);
    if (!n || n.State === 'deleted' || n.State === 'deleting') throw new AwsError('NotStabilized', `NAT gateway ${s.physicalId} no longer exists`);
    if (n.State === 'failed') throw new AwsError(n.FailureCode ?? 'NatGatewayFailed', `NAT gateway ${s.physicalId} failed: ${n.FailureMessage ?? 'unknown reason'}`);
    return n.State === 'available' ? DONE : wait(Math.max(POLL_MS, n.readyAt - rc.env.clock.now()));
  },
  update(props, old, changed, rc) {
    tagsOnly(changed, 'a NAT gateway');
    syncTags(rc, old.physicalId, old.props.Tags, props.Tags);
  },
  delete(s, rc) {
    const n = record<NatGatewayRecord>(rc, COLL.natGateways, s.physicalId);
    if (!n || n.State === 'deleted' || n.State === 'failed') return DONE;
    if (n.State !== 'deleting') call(rc, 'DeleteNatGateway', { NatGatewayId: s.physicalId });
    const deleting = record<NatGatewayRecord>(rc, COLL.natGateways, s.physicalId)!;
    return wait(Math.max(POLL_MS, deleting.readyAt - rc.env.clock.now()));
  },
  getAtt: (s, name, rc) =>
    attribute(
      {
        NatGatewayId: () => s.physicalId,
        EniId: () => record<NatGatewayRecord>(rc, COLL.natGateways, s.physicalId)?.NatGatewayAddresses[0]?.NetworkInterfaceId,
      },
      name,
      s,
    ),
};

type Entry = { Cidr: string; Description?: string };
const entriesOf = (v: unknown): Entry[] => (Array.isArray(v) ? (v as Props[]).map((e) => ({ Cidr: String(e.Cidr), ...(e.Description !== undefined ? { Description: String(e.Description) } : {}) })) : []);

const prefixList: ResourceHandler = {
  type: 'AWS::EC2::PrefixList',
  create(props, rc) {
    const out = call(rc, 'CreateManagedPrefixList', {
      PrefixListName: props.PrefixListName,
      AddressFamily: props.AddressFamily,
      MaxEntries: props.MaxEntries,
      Entries: props.Entries === undefined ? undefined : entriesOf(props.Entries),
      TagSpecifications: tagSpec('prefix-list', props.Tags),
    });
    return { physicalId: out.PrefixList.PrefixListId };
  },
  update(props, old, changed, rc) {
    if (changed.includes('AddressFamily')) throw new AwsError('NotUpdatable', 'The address family of a prefix list cannot be changed; give the new list another logical id.');
    const id = old.physicalId;
    const before = new Map(entriesOf(old.props.Entries).map((e) => [e.Cidr, e]));
    const after = new Map(entriesOf(props.Entries).map((e) => [e.Cidr, e]));
    // A changed description is an entry removed and added again.
    const RemoveEntries = [...before.values()].filter((e) => !after.has(e.Cidr) || after.get(e.Cidr)!.Description !== e.Description).map((e) => ({ Cidr: e.Cidr }));
    const AddEntries = [...after.values()].filter((e) => !before.has(e.Cidr) || before.get(e.Cidr)!.Description !== e.Description);
    const max = num(props.MaxEntries);
    const name = changed.includes('PrefixListName') ? props.PrefixListName : undefined;
    // EC2 changes entries and the maximum in separate calls: a maximum that holds today's entries
    // first, one that needs entries removed after.
    const maxFirst = max !== undefined && changed.includes('MaxEntries') && max >= before.size;
    if (maxFirst) call(rc, 'ModifyManagedPrefixList', { PrefixListId: id, MaxEntries: max, PrefixListName: name });
    if (RemoveEntries.length || AddEntries.length || (name !== undefined && !maxFirst)) {
      call(rc, 'ModifyManagedPrefixList', { PrefixListId: id, PrefixListName: maxFirst ? undefined : name, RemoveEntries: RemoveEntries.length ? RemoveEntries : undefined, AddEntries: AddEntries.length ? AddEntries : undefined });
    }
    if (max !== undefined && changed.includes('MaxEntries') && !maxFirst) call(rc, 'ModifyManagedPrefixList', { PrefixListId: id, MaxEntries: max });
    if (changed.includes('Tags')) syncTags(rc, id, old.props.Tags, props.Tags);
  },
  // A list still named by a route or rule that the stack is deleting is deleted once they are gone.
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteManagedPrefixList', { PrefixListId: s.physicalId })),
  getAtt(s, name, rc) {
    const l = () => record<ManagedPrefixListRecord>(rc, COLL.prefixLists, s.physicalId);
    return attribute({ PrefixListId: () => s.physicalId, Arn: () => l()?.PrefixListArn, OwnerId: () => l()?.OwnerId, Version: () => l()?.Version }, name, s);
  },
};

export const connectivityResources: ResourceHandler[] = [peering, natGateway, prefixList];
