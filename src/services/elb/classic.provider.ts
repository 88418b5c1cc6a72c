/**
 * Classic ELB (`elb`, 2012-06-01) in a VPC: load balancers, their listeners, zones (a node per
 * enabled AZ, nodes.ts) and security groups. Health checks and instances are in classic-health.ts;
 * attributes, tags, policies and limits in classic-attributes.ts. Each load balancer has an
 * implicit target group under the same key, which the shared health loop and data plane read.
 */
import { pageOf } from '../../core/paging.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { COLL as EC2, type SecurityGroupRecord, type SubnetRecord } from '../ec2/state.ts';
import { classicAttributeHandlers, checkTags } from './classic-attributes.ts';
import { checkName, elbErrors, findClassic, LIMITS, mutableClassic, saveClassic } from './classic-errors.ts';
import { classicHealthHandlers, DEFAULT_HEALTH_CHECK, healthCheckView, healthSettings, registeredInstances } from './classic-health.ts';
import { checkInternetGateway, createNode, defaultSecurityGroups, deleteNode, dnsName, hostedZoneId, oneSubnetPerZone, setNodeGroups, subnetRecords } from './nodes.ts';
import { classicKey, COLL, CROSS_ZONE, targetGroup, type ClassicListener, type LoadBalancerRecord, type Tag, type TargetGroupRecord } from './state.ts';
import { dropTargets } from './targets.ts';

type Protocol = ClassicListener['Protocol'];
const PROTOCOLS: readonly string[] = ['HTTP', 'HTTPS', 'TCP', 'SSL'];
const layer7 = (p: string) => p === 'HTTP' || p === 'HTTPS';

interface ListenerInput {
  Protocol: string;
  LoadBalancerPort: number;
  InstanceProtocol?: string;
  InstancePort: number;
  SSLCertificateId?: string;
}

/** A listener as AWS keeps it: protocols in upper case, the instance protocol defaulted from the front end's. */
function listenerOf(l: ListenerInput): ClassicListener {
  const protocol = l.Protocol.toUpperCase();
  const instanceProtocol = (l.InstanceProtocol ?? (protocol === 'HTTPS' ? 'HTTP' : protocol === 'SSL' ? 'TCP' : protocol)).toUpperCase();
  for (const p of [protocol, instanceProtocol]) if (!PROTOCOLS.includes(p)) throw elbErrors.validation(`Invalid protocol '${p}': use HTTP, HTTPS, TCP or SSL.`);
  if (layer7(protocol) !== layer7(instanceProtocol)) {
    throw elbErrors.validation(`Listener protocol ${protocol} cannot use instance protocol ${instanceProtocol}: HTTP and HTTPS listeners need HTTP or HTTPS instances, TCP and SSL listeners TCP or SSL instances.`);
  }
  if (!Number.isInteger(l.LoadBalancerPort) || l.LoadBalancerPort < 1 || l.LoadBalancerPort > 65535) throw elbErrors.validation(`LoadBalancerPort ${l.LoadBalancerPort} is out of range: use 1 to 65535.`);
  if ((protocol === 'HTTPS' || protocol === 'SSL') && !l.SSLCertificateId) throw elbErrors.validation(`A ${protocol} listener needs an SSLCertificateId.`);
  return {
    Protocol: protocol as Protocol,
    LoadBalancerPort: l.LoadBalancerPort,
    InstanceProtocol: instanceProtocol as Protocol,
    InstancePort: l.InstancePort,
    ...(l.SSLCertificateId ? { SSLCertificateId: l.SSLCertificateId } : {}),
  };
}

const sameListener = (a: DeepReadonly<ClassicListener>, b: DeepReadonly<ClassicListener>) =>
  a.Protocol === b.Protocol && a.InstanceProtocol === b.InstanceProtocol && a.InstancePort === b.InstancePort && a.SSLCertificateId === b.SSLCertificateId;

/** `existing` plus `added`: the same listener again changes nothing, another on a used port is DuplicateListener. */
function mergeListeners(name: string, existing: readonly ClassicListener[], added: readonly ListenerInput[]): ClassicListener[] {
  const out = [...existing];
  for (const l of added.map(listenerOf)) {
    const other = out.find((o) => o.LoadBalancerPort === l.LoadBalancerPort);
    if (other && !sameListener(other, l)) throw elbErrors.duplicateListener(name, l.LoadBalancerPort);
    if (!other) out.push(l);
  }
  if (out.length > LIMITS.listeners) throw elbErrors.invalidConfiguration(`A Classic Load Balancer can have at most ${LIMITS.listeners} listeners.`);
  return out;
}

/** Subnets of one VPC, one per AZ (counting those the load balancer has already). */
function subnetsOf(ctx: RequestContext, ids: readonly string[], have: readonly DeepReadonly<SubnetRecord>[] = []): DeepReadonly<SubnetRecord>[] {
  const subnets = [...new Set(ids)].map((id) => {
    const s = ctx.env.store.get<SubnetRecord>(EC2.subnets, ctx, id);
    if (!s) throw elbErrors.subnetNotFound(id);
    return s;
  });
  const all = [...have, ...subnets.filter((s) => !have.some((h) => h.SubnetId === s.SubnetId))];
  if (new Set(all.map((s) => s.VpcId)).size > 1) throw elbErrors.invalidConfiguration('All subnets of a load balancer must be in the same VPC.');
  const twice = oneSubnetPerZone(all);
  if (twice) throw elbErrors.invalidConfiguration(`Multiple subnets in the same Availability Zone: '${twice[0]}' and '${twice[1]}'`);
  return all.slice(have.length);
}

/** The groups given (all in the VPC), or the VPC's default group. */
function securityGroupsOf(ctx: RequestContext, ids: readonly string[] | undefined, vpcId: string): string[] {
  if (!ids?.length) return defaultSecurityGroups(ctx, vpcId);
  for (const id of ids) {
    if (ctx.env.store.get<SecurityGroupRecord>(EC2.securityGroups, ctx, id)?.VpcId !== vpcId) throw elbErrors.invalidSecurityGroup(id);
  }
  return [...new Set(ids)];
}

function sourceGroup(ctx: RequestContext, groups: readonly string[]) {
  const first = groups[0] && ctx.env.store.get<SecurityGroupRecord>(EC2.securityGroups, ctx, groups[0]);
  return first ? { OwnerAlias: ctx.account, GroupName: first.GroupName } : undefined;
}

/** Gives the load balancer a node in each of the subnets' zones. */
function addNodes(ctx: RequestContext, lb: LoadBalancerRecord, subnets: readonly DeepReadonly<SubnetRecord>[]): void {
  for (const s of subnets) lb.nodes.push(createNode(ctx, lb, s as SubnetRecord));
}

/** Removes the nodes `drop` picks; a load balancer keeps at least one zone. */
function removeNodes(ctx: RequestContext, lb: LoadBalancerRecord, drop: (n: LoadBalancerRecord['nodes'][number]) => boolean): void {
  const gone = lb.nodes.filter(drop);
  if (gone.length === lb.nodes.length) throw elbErrors.invalidConfiguration('A load balancer must keep at least one Availability Zone: it cannot remove them all.');
  for (const n of gone) deleteNode(ctx, n);
  lb.nodes = lb.nodes.filter((n) => !drop(n));
}

interface CreateInput {
  LoadBalancerName: string;
  Listeners: ListenerInput[];
  AvailabilityZones?: string[];
  Subnets?: string[];
  SecurityGroups?: string[];
  Scheme?: string;
  Tags?: Tag[];
}

/** Whether a create call asks for exactly the load balancer that exists (AWS then answers with it). */
function sameSettings(lb: DeepReadonly<LoadBalancerRecord>, input: CreateInput, listeners: readonly ClassicListener[]): boolean {
  const sorted = (xs: readonly string[]) => [...xs].sort().join(',');
  const byPort = (xs: readonly DeepReadonly<ClassicListener>[]) => JSON.stringify([...xs].sort((a, b) => a.LoadBalancerPort - b.LoadBalancerPort));
  return (
    lb.scheme === (input.Scheme ?? 'internet-facing') &&
    sorted(lb.nodes.map((n) => n.subnetId)) === sorted(input.Subnets ?? []) &&
    (input.SecurityGroups === undefined || sorted(lb.securityGroups) === sorted(input.SecurityGroups)) &&
    byPort(lb.classic!.listeners) === byPort(listeners)
  );
}

function describe(ctx: RequestContext, lb: DeepReadonly<LoadBalancerRecord>) {
  const group = targetGroup(ctx.env.store, ctx, lb.key)! as DeepReadonly<TargetGroupRecord>;
  const c = lb.classic!;
  return {
    LoadBalancerName: lb.name,
    DNSName: lb.dnsName,
    // Internal load balancers have no public hosted zone name (CLB/elb-internal-load-balancers.html).
    CanonicalHostedZoneName: lb.scheme === 'internal' ? undefined : lb.dnsName,
    CanonicalHostedZoneNameID: lb.canonicalHostedZoneId,
    ListenerDescriptions: c.listeners.map((l) => ({ Listener: l, PolicyNames: [] })),
    Policies: { AppCookieStickinessPolicies: [], LBCookieStickinessPolicies: [], OtherPolicies: [] },
    BackendServerDescriptions: [],
    AvailabilityZones: lb.nodes.map((n) => n.zone),
    Subnets: lb.nodes.map((n) => n.subnetId),
    VPCId: lb.vpcId,
    Instances: registeredInstances(ctx, lb.name).map((t) => ({ InstanceId: t.id })),
    HealthCheck: healthCheckView(lb, group),
    SourceSecurityGroup: c.sourceSecurityGroup,
    SecurityGroups: lb.securityGroups,
    CreatedTime: lb.createdTime,
    Scheme: lb.scheme,
  };
}

const classicLoadBalancers = (ctx: RequestContext) => ctx.env.store.list<LoadBalancerRecord>(COLL.loadBalancers, ctx).filter((lb) => lb.kind === 'classic');

const loadBalancerHandlers = {
  CreateLoadBalancer(input: CreateInput, ctx: RequestContext) {
    const name = input.LoadBalancerName;
    checkName(name);
    const scheme = input.Scheme ?? 'internet-facing';
    if (scheme !== 'internet-facing' && scheme !== 'internal') throw elbErrors.invalidScheme(scheme);
    if (!input.Subnets?.length) {
      if (input.AvailabilityZones?.length) throw elbErrors.validation('faultline serves load balancers in a VPC only (EC2-Classic is not offered): give Subnets instead of AvailabilityZones.');
      throw elbErrors.validation('Either AvailabilityZones or SubnetIds must be specified');
    }
    if (input.AvailabilityZones?.length) throw elbErrors.validation('Give either AvailabilityZones or Subnets, not both: in a VPC, the subnets name the zones.');
    if (!input.Listeners.length) throw elbErrors.validation('A load balancer needs at least one listener.');
    const listeners = mergeListeners(name, [], input.Listeners);
    const existing = ctx.env.store.get<LoadBalancerRecord>(COLL.loadBalancers, ctx, classicKey(name));
    if (existing) {
      if (sameSettings(existing, input, listeners)) return { DNSName: existing.dnsName };
      throw elbErrors.duplicateName(name);
    }
    if (classicLoadBalancers(ctx).length >= LIMITS.loadBalancers) throw elbErrors.tooManyLoadBalancers();
    const subnets = subnetsOf(ctx, input.Subnets);
    const vpcId = subnets[0].VpcId;
    checkInternetGateway(ctx, scheme, vpcId);
    const securityGroups = securityGroupsOf(ctx, input.SecurityGroups, vpcId);
    const tags = checkTags(name, [], input.Tags ?? []);
    const now = ctx.env.clock.now();
    const key = classicKey(name);
    const { target, health } = healthSettings(DEFAULT_HEALTH_CHECK);
    const lb: LoadBalancerRecord = {
      key,
      kind: 'classic',
      name,
      dnsName: dnsName('classic', name, scheme, ctx.region),
      canonicalHostedZoneId: hostedZoneId('classic', ctx.region),
      scheme,
      vpcId,
      securityGroups,
      nodes: [],
      activeAt: now,
      createdTime: new Date(now).toISOString(),
      createdAt: now,
      ipAddressType: 'ipv4',
      attributes: { [CROSS_ZONE]: 'false' },
      tags,
      classic: {
        listeners,
        healthCheckTarget: target,
        connectionDraining: { Enabled: false, Timeout: 300 },
        idleTimeout: 60,
        sourceSecurityGroup: sourceGroup(ctx, securityGroups),
      },
    };
    addNodes(ctx, lb, subnets);
    const group: TargetGroupRecord = { key, kind: 'classic', name, vpcId, targetType: 'instance', health, deregistrationDelay: 0, attributes: {}, tags: [], createdAt: now };
    ctx.env.store.put(COLL.targetGroups, ctx, key, group);
    saveClassic(ctx, lb);
    return { DNSName: lb.dnsName };
  },

  DeleteLoadBalancer(input: { LoadBalancerName: string }, ctx: RequestContext) {
    const key = classicKey(input.LoadBalancerName);
    const lb = ctx.env.store.get<LoadBalancerRecord>(COLL.loadBalancers, ctx, key);
    if (!lb) return {};
    for (const n of lb.nodes) deleteNode(ctx, n);
    dropTargets(ctx.env, ctx, key);
    ctx.env.store.delete(COLL.targetGroups, ctx, key);
    ctx.env.store.delete(COLL.loadBalancers, ctx, key);
    return {};
  },

  DescribeLoadBalancers(input: { LoadBalancerNames?: string[]; Marker?: string; PageSize?: number }, ctx: RequestContext) {
    const all = input.LoadBalancerNames?.length ? [...new Set(input.LoadBalancerNames)].map((n) => findClassic(ctx, n)) : classicLoadBalancers(ctx);
    const sorted = [...all].sort((a, b) => a.name.localeCompare(b.name));
    const { items, next: NextMarker } = pageOf(sorted, input.Marker, input.PageSize ?? 400, elbErrors.invalidMarker);
    return { LoadBalancerDescriptions: items.map((lb) => describe(ctx, lb)), NextMarker };
  },

  CreateLoadBalancerListeners(input: { LoadBalancerName: string; Listeners: ListenerInput[] }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    lb.classic!.listeners = mergeListeners(lb.name, lb.classic!.listeners, input.Listeners);
    saveClassic(ctx, lb);
    return {};
  },

  DeleteLoadBalancerListeners(input: { LoadBalancerName: string; LoadBalancerPorts: number[] }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    lb.classic!.listeners = lb.classic!.listeners.filter((l) => !input.LoadBalancerPorts.includes(l.LoadBalancerPort));
    saveClassic(ctx, lb);
    return {};
  },

  AttachLoadBalancerToSubnets(input: { LoadBalancerName: string; Subnets: string[] }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    const added = subnetsOf(ctx, input.Subnets, subnetRecords(ctx, lb.nodes));
    addNodes(ctx, lb, added);
    saveClassic(ctx, lb);
    return { Subnets: lb.nodes.map((n) => n.subnetId) };
  },

  DetachLoadBalancerFromSubnets(input: { LoadBalancerName: string; Subnets: string[] }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    removeNodes(ctx, lb, (n) => input.Subnets.includes(n.subnetId));
    saveClassic(ctx, lb);
    return { Subnets: lb.nodes.map((n) => n.subnetId) };
  },

  EnableAvailabilityZonesForLoadBalancer(input: { LoadBalancerName: string; AvailabilityZones: string[] }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    const known = (ctx.env.config.regions[ctx.region] ?? []).map((l) => ctx.region + l);
    const subnets = ctx.env.store.list<SubnetRecord>(EC2.subnets, ctx).filter((s) => s.VpcId === lb.vpcId);
    const added = [...new Set(input.AvailabilityZones)]
      .filter((z) => !lb.nodes.some((n) => n.zone === z))
      .map((z) => {
        if (!known.includes(z)) throw elbErrors.validation(`Invalid Availability Zone: ${z}`);
        // In a VPC a zone is enabled through its subnet: the zone's default subnet, or its only one.
        const inZone = subnets.filter((s) => s.AvailabilityZone === z);
        const pick = inZone.find((s) => s.DefaultForAz) ?? (inZone.length === 1 ? inZone[0] : undefined);
        if (!pick) throw elbErrors.invalidConfiguration(`VPC ${lb.vpcId} has ${inZone.length ? 'several subnets' : 'no subnet'} in ${z}: use AttachLoadBalancerToSubnets to name one.`);
        return pick;
      });
    addNodes(ctx, lb, added);
    saveClassic(ctx, lb);
    return { AvailabilityZones: lb.nodes.map((n) => n.zone) };
  },

  DisableAvailabilityZonesForLoadBalancer(input: { LoadBalancerName: string; AvailabilityZones: string[] }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    removeNodes(ctx, lb, (n) => input.AvailabilityZones.includes(n.zone));
    saveClassic(ctx, lb);
    return { AvailabilityZones: lb.nodes.map((n) => n.zone) };
  },

  ApplySecurityGroupsToLoadBalancer(input: { LoadBalancerName: string; SecurityGroups: string[] }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    if (!input.SecurityGroups.length) throw elbErrors.validation('SecurityGroups must name at least one security group.');
    lb.securityGroups = securityGroupsOf(ctx, input.SecurityGroups, lb.vpcId);
    lb.classic!.sourceSecurityGroup = sourceGroup(ctx, lb.securityGroups);
    setNodeGroups(ctx, lb.nodes, lb.securityGroups);
    saveClassic(ctx, lb);
    return { SecurityGroups: lb.securityGroups };
  },
};

export const classicHandlers = { ...loadBalancerHandlers, ...classicHealthHandlers, ...classicAttributeHandlers };
