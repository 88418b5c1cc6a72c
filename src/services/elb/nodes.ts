/**
 * A load balancer's nodes, one per enabled AZ, as AWS makes them: a requester-managed network
 * interface in the zone's subnet, in the load balancer's security groups (so that an instance's
 * rule naming the load balancer's group admits exactly the nodes), and for an internet-facing
 * load balancer a public address from the loopback pool, where the data plane listens.
 * Also the names and hosted zone ids AWS gives load balancers.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { allocatePrivateIp, releasePrivateIp } from '../ec2/subnet-addresses.ts';
import { allocatePublicIp, releasePublicIp } from '../ec2/public-ips.ts';
import { createServiceInterface, groupIdentifiers } from '../ec2/network-interfaces.ts';
import { COLL as EC2_COLL, COMPUTE_COLL, type InternetGatewayRecord, type NetworkInterfaceRecord, type SubnetRecord, type VpcRecord } from '../ec2/state.ts';
import { loadBalancerFullName } from './arns.ts';
import type { LoadBalancerKind, LoadBalancerRecord, NodeRecord } from './state.ts';

/** The region's ELB hosted zone ids (spec elb.md §1): [ALB and Classic, NLB]. */
const HOSTED_ZONES: Record<string, [string, string]> = {
  'us-east-1': ['Z35SXDOTRQ7X7K', 'Z26RNL4JYFTOTI'],
  'us-east-2': ['Z3AADJGX6KTTL2', 'ZLMOA37VPKANP'],
  'us-west-1': ['Z368ELLRRE2KJ0', 'Z24FKFUX50B4VW'],
  'us-west-2': ['Z1H1FL5HABSF5', 'Z18D5FSROUN65G'],
  'eu-west-1': ['Z32O12XQLNTSW2', 'Z2IFOLAFXWLO4F'],
  'eu-central-1': ['Z215JYRZR1TBD5', 'Z3F0SRJ5LGBH90'],
  'ap-northeast-1': ['Z14GRHDCWA56QT', 'Z31USIVHYNEOWT'],
};

export function hostedZoneId(kind: LoadBalancerKind, region: string): string {
  const zones = HOSTED_ZONES[region] ?? HOSTED_ZONES['us-east-1'];
  return kind === 'network' ? zones[1] : zones[0];
}

const digits = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? randomInt(1, 10) : randomInt(0, 10))).join('');

/**
 * `NAME-1234567890.REGION.elb.amazonaws.com` (Classic), `NAME-123456789.REGION.elb.amazonaws.com`
 * (ALB), `NAME-0123456789abcdef.elb.REGION.amazonaws.com` (NLB); internal Classic and ALB names
 * start with `internal-`. Lower case, as AWS answers.
 */
export function dnsName(kind: LoadBalancerKind, name: string, scheme: 'internet-facing' | 'internal', region: string): string {
  const n = name.toLowerCase();
  if (kind === 'network') return `${n}-${randomBytes(8).toString('hex')}.elb.${region}.amazonaws.com`;
  const prefix = scheme === 'internal' ? 'internal-' : '';
  return `${prefix}${n}-${digits(kind === 'classic' ? 10 : 9)}.${region}.elb.amazonaws.com`;
}

/** The description AWS gives a node's interface: `ELB NAME`, `ELB app/NAME/ID`, `ELB net/NAME/ID`. */
function interfaceDescription(lb: Pick<LoadBalancerRecord, 'kind' | 'name' | 'arn'>): string {
  return `ELB ${lb.kind === 'classic' ? lb.name : loadBalancerFullName(lb.arn!)}`;
}

/**
 * Makes a node in `subnet` for the load balancer: its interface and addresses. Runs inside the
 * caller's transaction; the caller puts the node on the record.
 */
export function createNode(ctx: RequestContext, lb: Pick<LoadBalancerRecord, 'kind' | 'name' | 'arn' | 'scheme' | 'securityGroups'>, subnet: SubnetRecord): NodeRecord {
  const privateIp = allocatePrivateIp(ctx, subnet.SubnetId);
  const eniId = resourceId('eni');
  const publicIp = lb.scheme === 'internet-facing' ? allocatePublicIp(ctx.env, { kind: 'elb', account: ctx.account, region: ctx.region, owner: eniId }) : undefined;
  const association = publicIp ? { IpOwnerId: 'amazon-elb', PublicIp: publicIp, PublicDnsName: '' } : undefined;
  createServiceInterface(ctx, { id: eniId, subnet, privateIp, groupIds: lb.securityGroups, description: interfaceDescription(lb), interfaceType: lb.kind === 'network' ? 'network_load_balancer' : 'interface', association });
  return { zone: subnet.AvailabilityZone, subnetId: subnet.SubnetId, eniId, privateIp, publicIp };
}

/** Removes a node's interface and gives its addresses back. Runs inside the caller's transaction. */
export function deleteNode(ctx: RequestContext, node: NodeRecord): void {
  releasePublicIp(ctx.env, node.publicIp);
  releasePrivateIp(ctx, node.subnetId, node.privateIp);
  ctx.env.store.delete(COMPUTE_COLL.networkInterfaces, ctx, node.eniId);
}

/** Keeps the nodes' interfaces in the load balancer's security groups after SetSecurityGroups. */
export function setNodeGroups(ctx: RequestContext, nodes: readonly NodeRecord[], groupIds: readonly string[]): void {
  for (const node of nodes) {
    const eni = ctx.env.store.mutable<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, ctx, node.eniId);
    if (!eni) continue;
    eni.Groups = groupIdentifiers(ctx, groupIds);
    ctx.env.store.put(COMPUTE_COLL.networkInterfaces, ctx, eni.NetworkInterfaceId, eni);
  }
}

/** The first two subnets that share an AZ, if any: a load balancer has one subnet per AZ. */
export function oneSubnetPerZone(subnets: readonly DeepReadonly<SubnetRecord>[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const s of subnets) {
    const other = seen.get(s.AvailabilityZone);
    if (other) return [other, s.SubnetId];
    seen.set(s.AvailabilityZone, s.SubnetId);
  }
  return undefined;
}

/** The subnets of the nodes given. */
export const subnetRecords = (ctx: RequestContext, nodes: readonly DeepReadonly<NodeRecord>[]): DeepReadonly<SubnetRecord>[] =>
  nodes.map((n) => ctx.env.store.get<SubnetRecord>(EC2_COLL.subnets, ctx, n.subnetId)).filter((s) => s !== undefined);

/** The VPC's default security group: the group of a Classic load balancer or an ALB created without any. */
export function defaultSecurityGroups(ctx: RequestContext, vpcId: string): string[] {
  const id = ctx.env.store.get<VpcRecord>(EC2_COLL.vpcs, ctx, vpcId)?.defaultSecurityGroupId;
  return id ? [id] : [];
}

/** An internet-facing load balancer needs an internet gateway on its VPC: AWS refuses it otherwise, with InvalidSubnet (Classic and ELBv2 alike). */
export function checkInternetGateway(ctx: RequestContext, scheme: string, vpcId: string): void {
  if (scheme !== 'internet-facing') return;
  const attached = ctx.env.store.list<InternetGatewayRecord>(EC2_COLL.internetGateways, ctx).some((g) => g.Attachments.some((a) => a.VpcId === vpcId));
  if (!attached) throw new AwsError('InvalidSubnet', `VPC ${vpcId} has no internet gateway`, 400);
}
