/**
 * ELBv2 load balancers (Application and Network): create, describe, delete, their attributes,
 * subnets, security groups and address type, and DescribeCapacityReservation.
 *
 * A load balancer has a node in each of its subnets (nodes.ts). It is `provisioning` until
 * `activeAt` on the clock, and `active` after: the state is rendered from the clock, so no loop
 * needs to run for it. Deleting one removes its listeners, rules and nodes; its target groups
 * and their targets stay.
 */
import { pageOf } from '../../core/paging.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { COLL as EC2, type SecurityGroupRecord, type SubnetRecord, type VpcRecord } from '../ec2/state.ts';
import { loadBalancerArn } from './arns.ts';
import { checkInternetGateway, createNode, defaultSecurityGroups, deleteNode, dnsName, hostedZoneId, oneSubnetPerZone, setNodeGroups, subnetRecords } from './nodes.ts';
import { COLL, type LoadBalancerRecord, type NodeRecord, type Tag } from './state.ts';
import { v2Errors } from './v2-errors.ts';
import { checkNewTags } from './v2-tags.provider.ts';
import { findLoadBalancer, lbType, listenersOf, loadBalancerView, rulesOf } from './v2-views.ts';

/** How long a new load balancer provisions: undocumented (spec elb.md §2), 60 s. */
export const PROVISIONING_MS = 60_000;
/** Per region and type (spec elb.md §2). */
export const MAX_LOAD_BALANCERS = 50;
const MAX_SECURITY_GROUPS = 5;

type LbType = 'application' | 'network';

/** A load balancer's or target group's name: 1–32 letters, digits and hyphens, no hyphen first or last. */
export function checkName(what: 'Load balancer' | 'Target group', name: string): void {
  if (name.length > 32) throw v2Errors.validation(`${what} name '${name}' cannot be longer than '32' characters`);
  if (!/^[a-zA-Z0-9-]+$/.test(name)) throw v2Errors.validation(`${what} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (name.startsWith('-') || name.endsWith('-')) throw v2Errors.validation(`${what} name '${name}' cannot begin or end with '-'`);
}

/** ELBv2's attribute defaults, as AWS lists them for each type. */
function defaultAttributes(type: LbType): Record<string, string> {
  const common = {
    'access_logs.s3.enabled': 'false',
    'access_logs.s3.bucket': '',
    'access_logs.s3.prefix': '',
    'deletion_protection.enabled': 'false',
    'zonal_shift.config.enabled': 'false',
  };
  if (type === 'network') return { ...common, 'load_balancing.cross_zone.enabled': 'false', 'dns_record.client_routing_policy': 'any_availability_zone' };
  return {
    ...common,
    'connection_logs.s3.enabled': 'false',
    'connection_logs.s3.bucket': '',
    'connection_logs.s3.prefix': '',
    'idle_timeout.timeout_seconds': '60',
    'client_keep_alive.seconds': '3600',
    'routing.http.desync_mitigation_mode': 'defensive',
    'routing.http.drop_invalid_header_fields.enabled': 'false',
    'routing.http.preserve_host_header.enabled': 'false',
    'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': 'false',
    'routing.http.xff_client_port.enabled': 'false',
    'routing.http.xff_header_processing.mode': 'append',
    'routing.http2.enabled': 'true',
    'waf.fail_open.enabled': 'false',
    'load_balancing.cross_zone.enabled': 'true',
  };
}

const BOOL = ['true', 'false'];
const range = (lo: number, hi: number) => (v: string) => /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi;

/** What each attribute accepts; a key not here (for the type) is unknown. */
const ATTRIBUTE_VALUES: Record<string, (v: string) => boolean> = {
  'access_logs.s3.bucket': () => true,
  'access_logs.s3.prefix': () => true,
  'connection_logs.s3.bucket': () => true,
  'connection_logs.s3.prefix': () => true,
  'idle_timeout.timeout_seconds': range(1, 4000),
  'client_keep_alive.seconds': range(60, 604_800),
  'routing.http.desync_mitigation_mode': (v) => ['monitor', 'defensive', 'strictest'].includes(v),
  'routing.http.xff_header_processing.mode': (v) => ['append', 'preserve', 'remove'].includes(v),
  'dns_record.client_routing_policy': (v) => ['availability_zone_affinity', 'partial_availability_zone_affinity', 'any_availability_zone'].includes(v),
};

function checkAttributes(lb: DeepReadonly<LoadBalancerRecord>, attrs: readonly { Key?: string; Value?: string }[]): Record<string, string> {
  const out = { ...lb.attributes };
  for (const { Key: key = '', Value: value = '' } of attrs) {
    if (!(key in lb.attributes)) throw v2Errors.validation(`Load balancer attribute key '${key}' is not recognized`);
    const ok = ATTRIBUTE_VALUES[key] ?? ((v: string) => BOOL.includes(v));
    if (!ok(value)) throw v2Errors.validation(`Load balancer attribute value '${value}' is not valid for attribute key '${key}'`);
    if (key === 'load_balancing.cross_zone.enabled' && lb.kind === 'application' && value !== 'true') {
      throw v2Errors.invalidConfiguration('Cross-zone load balancing cannot be disabled for Application Load Balancers');
    }
    out[key] = value;
  }
  if (out['access_logs.s3.enabled'] === 'true' && !out['access_logs.s3.bucket']) throw v2Errors.validation("The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled");
  return out;
}

interface SubnetInput {
  Subnets?: string[];
  SubnetMappings?: { SubnetId?: string; AllocationId?: string; PrivateIPv4Address?: string; IPv6Address?: string }[];
}

/** The subnets of a request: all known, in one VPC, one per AZ, and enough AZs for the type. */
function subnetsOf(ctx: RequestContext, type: LbType, input: SubnetInput): SubnetRecord[] {
  if (input.Subnets?.length && input.SubnetMappings?.length) throw v2Errors.validation('You can specify subnets or subnet mappings, not both');
  for (const m of input.SubnetMappings ?? []) {
    if (m.AllocationId || m.PrivateIPv4Address || m.IPv6Address) throw v2Errors.invalidConfiguration('faultline assigns node addresses itself: subnet mappings take only SubnetId');
  }
  const ids = input.Subnets?.length ? input.Subnets : (input.SubnetMappings ?? []).map((m) => m.SubnetId ?? '');
  const subnets = [...new Set(ids)].map((id) => {
    const s = ctx.env.store.get<SubnetRecord>(EC2.subnets, ctx, id);
    if (!s) throw v2Errors.subnetNotFound(`The subnet ID '${id}' is not valid`);
    return s as SubnetRecord;
  });
  if (new Set(subnets.map((s) => s.VpcId)).size > 1) throw v2Errors.invalidConfiguration('The subnets must all be in the same VPC');
  if (oneSubnetPerZone(subnets)) throw v2Errors.invalidConfiguration('A load balancer cannot be attached to multiple subnets in the same Availability Zone');
  if (type === 'application' && subnets.length < 2) throw v2Errors.validation('At least two subnets in two different Availability Zones must be specified');
  if (!subnets.length) throw v2Errors.validation('At least one subnet must be specified');
  return subnets;
}

/** The security groups of a request, all in the VPC; an ALB given none gets the VPC's default group. */
function securityGroupsOf(ctx: RequestContext, type: LbType, vpcId: string, ids: readonly string[] | undefined): string[] {
  if (!ids?.length) return type === 'application' ? defaultSecurityGroups(ctx, vpcId) : [];
  const groups = ctx.env.store.list<SecurityGroupRecord>(EC2.securityGroups, ctx);
  if (ids.length > MAX_SECURITY_GROUPS) throw v2Errors.validation(`A load balancer can have at most ${MAX_SECURITY_GROUPS} security groups`);
  for (const id of ids) {
    const g = groups.find((x) => x.GroupId === id);
    if (!g) throw v2Errors.invalidSecurityGroup(`Security group '${id}' does not exist`);
    if (g.VpcId !== vpcId) throw v2Errors.invalidSecurityGroup(`Security group '${id}' does not belong to VPC '${vpcId}'`);
  }
  return [...new Set(ids)];
}

function checkIpAddressType(ctx: RequestContext, type: string, subnets: readonly DeepReadonly<SubnetRecord>[]): 'ipv4' | 'dualstack' {
  if (type === 'ipv4') return 'ipv4';
  if (type !== 'dualstack') throw v2Errors.invalidConfiguration(`faultline does not support IP address type '${type}'`);
  for (const s of subnets) {
    if (!s.Ipv6CidrBlockAssociationSet?.length) throw v2Errors.invalidSubnet(`Subnet '${s.SubnetId}' does not have an IPv6 CIDR block; it cannot be used for a dualstack load balancer`);
  }
  return 'dualstack';
}

interface CreateInput extends SubnetInput {
  Name: string;
  Type?: LbType | 'gateway';
  Scheme?: 'internet-facing' | 'internal';
  SecurityGroups?: string[];
  IpAddressType?: string;
  Tags?: Tag[];
  CustomerOwnedIpv4Pool?: string;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export const loadBalancerHandlers = {
  CreateLoadBalancer(input: CreateInput, ctx: RequestContext) {
    const { store, clock } = ctx.env;
    const name = input.Name;
    checkName('Load balancer', name);
    if (name.startsWith('internal-')) throw v2Errors.validation(`Load balancer name '${name}' cannot begin with 'internal-'`);
    if (input.Type === 'gateway') throw v2Errors.invalidConfiguration('faultline does not serve Gateway Load Balancers');
    if (input.CustomerOwnedIpv4Pool) throw v2Errors.invalidConfiguration('faultline has no Outposts: CustomerOwnedIpv4Pool is not supported');
    const type: LbType = input.Type ?? 'application';
    const scheme = input.Scheme ?? 'internet-facing';
    const subnets = subnetsOf(ctx, type, input);
    const vpcId = subnets[0].VpcId;
    const securityGroups = securityGroupsOf(ctx, type, vpcId, input.SecurityGroups);
    const ipAddressType = checkIpAddressType(ctx, input.IpAddressType ?? 'ipv4', subnets);
    const tags = checkNewTags(input.Tags ?? [], []);
    const all = store.list<LoadBalancerRecord>(COLL.loadBalancers, ctx);
    const existing = all.find((lb) => lb.kind !== 'classic' && lb.name === name);
    if (existing) {
      // Creating is idempotent: the same settings give back the load balancer there is.
      const same =
        lbType(existing) === type &&
        existing.scheme === scheme &&
        existing.ipAddressType === ipAddressType &&
        sameSet(existing.nodes.map((n) => n.subnetId), subnets.map((s) => s.SubnetId)) &&
        (!input.SecurityGroups?.length || sameSet(existing.securityGroups, securityGroups));
      if (!same) throw v2Errors.duplicateLoadBalancer(name);
      return { LoadBalancers: [loadBalancerView(existing, clock.now())] };
    }
    if (all.filter((lb) => lb.kind === type).length >= MAX_LOAD_BALANCERS) throw v2Errors.tooMany('LoadBalancers', 'The maximum number of load balancers has been reached');
    if (!store.get<VpcRecord>(EC2.vpcs, ctx, vpcId)) throw v2Errors.invalidSubnet(`The VPC of subnet '${subnets[0].SubnetId}' does not exist`);
    checkInternetGateway(ctx, scheme, vpcId);
    const arn = loadBalancerArn(ctx, type, name);
    const now = clock.now();
    const base = { kind: type, name, arn, scheme, securityGroups } as const;
    const lb: LoadBalancerRecord = {
      key: arn,
      ...base,
      dnsName: dnsName(type, name, scheme, ctx.region),
      canonicalHostedZoneId: hostedZoneId(type, ctx.region),
      vpcId,
      nodes: subnets.map((s) => createNode(ctx, base, s)),
      activeAt: now + PROVISIONING_MS,
      createdTime: new Date(now).toISOString(),
      createdAt: now,
      ipAddressType,
      attributes: defaultAttributes(type),
      tags,
    };
    store.put(COLL.loadBalancers, ctx, arn, lb);
    ctx.env.events.emit('elb.loadBalancer.created', { account: ctx.account, region: ctx.region, arn, type, zones: lb.nodes.map((n) => n.zone) });
    return { LoadBalancers: [loadBalancerView(lb, now)] };
  },

  DeleteLoadBalancer(input: { LoadBalancerArn: string }, ctx: RequestContext) {
    const { store } = ctx.env;
    const lb = store.get<LoadBalancerRecord>(COLL.loadBalancers, ctx, input.LoadBalancerArn);
    // Deleting one that is already gone succeeds.
    if (!lb || lb.kind === 'classic') return {};
    if (lb.attributes['deletion_protection.enabled'] === 'true') {
      throw v2Errors.operationNotPermitted(`Load balancer '${lb.arn}' cannot be deleted because deletion protection is enabled`);
    }
    for (const l of listenersOf(ctx, lb.key)) {
      for (const r of rulesOf(ctx, l.arn)) store.delete(COLL.rules, ctx, r.arn);
      store.delete(COLL.listeners, ctx, l.arn);
    }
    for (const n of lb.nodes) deleteNode(ctx, n as NodeRecord);
    store.delete(COLL.loadBalancers, ctx, lb.key);
    ctx.env.events.emit('elb.loadBalancer.deleted', { account: ctx.account, region: ctx.region, arn: lb.key });
    return {};
  },

  DescribeLoadBalancers(input: { LoadBalancerArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }, ctx: RequestContext) {
    if (input.LoadBalancerArns?.length && input.Names?.length) throw v2Errors.validation('Load balancer names and load balancer ARNs cannot be specified at the same time');
    const all = ctx.env.store.list<LoadBalancerRecord>(COLL.loadBalancers, ctx).filter((lb) => lb.kind !== 'classic');
    let lbs = all;
    if (input.LoadBalancerArns?.length) lbs = input.LoadBalancerArns.map((arn) => findLoadBalancer(ctx, arn));
    if (input.Names?.length) {
      lbs = input.Names.map((n) => {
        const lb = all.find((x) => x.name === n);
        if (!lb) throw v2Errors.loadBalancerNotFound(`Load balancers '[${n}]' not found`);
        return lb;
      });
    }
    const now = ctx.env.clock.now();
    const { items, next: NextMarker } = pageOf([...lbs].sort((a, b) => a.createdAt - b.createdAt), input.Marker, input.PageSize ?? 400, v2Errors.invalidMarker);
    return { LoadBalancers: items.map((lb) => loadBalancerView(lb, now)), NextMarker };
  },

  DescribeLoadBalancerAttributes(input: { LoadBalancerArn: string }, ctx: RequestContext) {
    const lb = findLoadBalancer(ctx, input.LoadBalancerArn);
    return { Attributes: Object.entries(lb.attributes).map(([Key, Value]) => ({ Key, Value })) };
  },

  ModifyLoadBalancerAttributes(input: { LoadBalancerArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    const lb = structuredClone(findLoadBalancer(ctx, input.LoadBalancerArn)) as LoadBalancerRecord;
    lb.attributes = checkAttributes(lb, input.Attributes);
    ctx.env.store.put(COLL.loadBalancers, ctx, lb.key, lb);
    return { Attributes: input.Attributes.map((a) => ({ Key: a.Key, Value: lb.attributes[a.Key!] })) };
  },

  SetSubnets(input: SubnetInput & { LoadBalancerArn: string; IpAddressType?: string }, ctx: RequestContext) {
    const lb = structuredClone(findLoadBalancer(ctx, input.LoadBalancerArn)) as LoadBalancerRecord;
    const type = lbType(lb);
    const subnets = subnetsOf(ctx, type, input);
    if (subnets[0].VpcId !== lb.vpcId) throw v2Errors.invalidSubnet(`The subnets must be in the load balancer's VPC '${lb.vpcId}'`);
    const wanted = subnets.map((s) => s.SubnetId);
    const dropped = lb.nodes.filter((n) => !wanted.includes(n.subnetId));
    // An NLB can gain zones but never lose one (spec elb.md §2).
    if (type === 'network' && dropped.length) throw v2Errors.invalidConfiguration('Subnets cannot be removed from a Network Load Balancer');
    const ipAddressType = checkIpAddressType(ctx, input.IpAddressType ?? lb.ipAddressType, subnets);
    for (const n of dropped) deleteNode(ctx, n);
    const kept = lb.nodes.filter((n) => wanted.includes(n.subnetId));
    const added = subnets.filter((s) => !kept.some((n) => n.subnetId === s.SubnetId)).map((s) => createNode(ctx, lb, s));
    lb.nodes = [...kept, ...added];
    lb.ipAddressType = ipAddressType;
    ctx.env.store.put(COLL.loadBalancers, ctx, lb.key, lb);
    const view = loadBalancerView(lb, ctx.env.clock.now());
    return { AvailabilityZones: view.AvailabilityZones, IpAddressType: lb.ipAddressType };
  },

  SetSecurityGroups(input: { LoadBalancerArn: string; SecurityGroups: string[] }, ctx: RequestContext) {
    const lb = structuredClone(findLoadBalancer(ctx, input.LoadBalancerArn)) as LoadBalancerRecord;
    if (lb.kind === 'network' && !lb.securityGroups.length) {
      throw v2Errors.invalidConfiguration('You cannot set security groups on a Network Load Balancer which was created without any security groups.');
    }
    if (lb.kind === 'application' && !input.SecurityGroups.length) throw v2Errors.validation('An Application Load Balancer must have at least one security group');
    lb.securityGroups = input.SecurityGroups.length ? securityGroupsOf(ctx, lbType(lb), lb.vpcId, input.SecurityGroups) : [];
    setNodeGroups(ctx, lb.nodes, lb.securityGroups);
    ctx.env.store.put(COLL.loadBalancers, ctx, lb.key, lb);
    return { SecurityGroupIds: lb.securityGroups };
  },

  SetIpAddressType(input: { LoadBalancerArn: string; IpAddressType: string }, ctx: RequestContext) {
    const lb = structuredClone(findLoadBalancer(ctx, input.LoadBalancerArn)) as LoadBalancerRecord;
    lb.ipAddressType = checkIpAddressType(ctx, input.IpAddressType, subnetRecords(ctx, lb.nodes));
    ctx.env.store.put(COLL.loadBalancers, ctx, lb.key, lb);
    return { IpAddressType: lb.ipAddressType };
  },

  DescribeCapacityReservation(input: { LoadBalancerArn: string }, ctx: RequestContext) {
    findLoadBalancer(ctx, input.LoadBalancerArn);
    // As for a load balancer that never asked for a reservation.
    return { CapacityReservationState: [] };
  },
};
