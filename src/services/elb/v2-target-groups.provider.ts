/**
 * ELBv2 target groups and their targets: CreateTargetGroup (health check defaults per type, spec
 * elb.md §2), ModifyTargetGroup, DeleteTargetGroup, DescribeTargetGroups, their attributes, and
 * RegisterTargets, DeregisterTargets and DescribeTargetHealth over targets.ts's records.
 *
 * A group is of the Application family (HTTP, HTTPS) or the Network family (TCP, TLS, UDP,
 * TCP_UDP) by its protocol; its defaults, attributes and matcher range follow from that.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { parseCidr4, parseIp4, ip4InCidr } from '../ec2/cidr.ts';
import { COLL as EC2, type InstanceRecord, type SubnetRecord, type VpcRecord } from '../ec2/state.ts';
import { targetGroupArn } from './arns.ts';
import { COLL, groupsOfLoadBalancer, loadBalancersOfGroup, targetKey, targetsOf, type HealthSettings, type Tag, type TargetGroupRecord } from './state.ts';
import { deregisterTarget, dropTargets, registerTarget } from './targets.ts';
import { pageOf, v2Errors } from './v2-errors.ts';
import { checkName } from './v2-load-balancers.provider.ts';
import { checkNewTags } from './v2-tags.provider.ts';
import { findLoadBalancer, findTargetGroup, gone, notRegisteredView, targetGroupView, targetHealthView } from './v2-views.ts';

/** Per region, and targets per group (spec elb.md §2). */
export const MAX_TARGET_GROUPS = 3000;
export const MAX_TARGETS_PER_GROUP = 1000;

type Family = 'application' | 'network';
const APPLICATION_PROTOCOLS = ['HTTP', 'HTTPS'];
const NETWORK_PROTOCOLS = ['TCP', 'TLS', 'UDP', 'TCP_UDP'];

export const familyOf = (protocol: string | undefined): Family => (APPLICATION_PROTOCOLS.includes(protocol ?? '') ? 'application' : 'network');

interface HealthInput {
  HealthCheckEnabled?: boolean;
  HealthCheckProtocol?: string;
  HealthCheckPort?: string;
  HealthCheckPath?: string;
  HealthCheckIntervalSeconds?: number;
  HealthCheckTimeoutSeconds?: number;
  HealthyThresholdCount?: number;
  UnhealthyThresholdCount?: number;
  Matcher?: { HttpCode?: string; GrpcCode?: string };
}

/** `200`, `200,202` or `200-299`, every code inside the family's range. */
function checkMatcher(family: Family, code: string): void {
  const [lo, hi] = family === 'application' ? [200, 499] : [200, 599];
  const bad = () => v2Errors.validation(`The HTTP code '${code}' is not valid: use codes from ${lo} to ${hi}, as '200', '200,202' or '200-299'`);
  for (const part of code.split(',')) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    if (!m) throw bad();
    const a = Number(m[1]);
    const b = Number(m[2] ?? m[1]);
    if (a < lo || b > hi || a > b) throw bad();
  }
}

/** The health settings a group ends with: `input` over `base` (the current ones, or the type's defaults). */
function healthSettings(family: Family, targetType: string, input: HealthInput, base?: DeepReadonly<HealthSettings>): HealthSettings {
  const protocol = (input.HealthCheckProtocol ?? base?.protocol ?? (family === 'application' ? 'HTTP' : 'TCP')) as HealthSettings['protocol'];
  const allowed = family === 'application' ? ['HTTP', 'HTTPS'] : ['HTTP', 'HTTPS', 'TCP'];
  if (!allowed.includes(protocol)) throw v2Errors.validation(`Health check protocol '${protocol}' is not supported for target groups with a protocol of the ${family === 'application' ? 'HTTP or HTTPS' : 'TCP, TLS, UDP or TCP_UDP'} family`);
  const http = protocol === 'HTTP' || protocol === 'HTTPS';
  const protocolChanged = base !== undefined && base.protocol !== protocol;
  // An NLB's check times out after 6 s over HTTP, 10 s over TCP or HTTPS; an ALB's after 5 s.
  const defaultTimeout = family === 'application' ? 5 : protocol === 'HTTP' ? 6 : 10;
  const health: HealthSettings = {
    enabled: input.HealthCheckEnabled ?? base?.enabled ?? true,
    protocol,
    port: input.HealthCheckPort ?? base?.port ?? 'traffic-port',
    ...(http ? { path: input.HealthCheckPath ?? base?.path ?? '/' } : {}),
    intervalSeconds: input.HealthCheckIntervalSeconds ?? base?.intervalSeconds ?? 30,
    timeoutSeconds: input.HealthCheckTimeoutSeconds ?? (protocolChanged ? undefined : base?.timeoutSeconds) ?? defaultTimeout,
    healthyThreshold: input.HealthyThresholdCount ?? base?.healthyThreshold ?? 5,
    unhealthyThreshold: input.UnhealthyThresholdCount ?? base?.unhealthyThreshold ?? 2,
    matcher: input.Matcher?.HttpCode ?? (http && !protocolChanged ? base?.matcher : undefined) ?? (family === 'application' ? '200' : '200-399'),
  };
  if (!health.enabled && (targetType === 'instance' || targetType === 'ip')) {
    throw v2Errors.validation(`Health checks cannot be disabled for target groups with the target type '${targetType}'`);
  }
  if (health.port !== 'traffic-port' && !(/^\d+$/.test(health.port) && Number(health.port) >= 1 && Number(health.port) <= 65535)) {
    throw v2Errors.validation(`Health check port '${health.port}' must be 'traffic-port' or a port from 1 to 65535`);
  }
  if (input.HealthCheckPath !== undefined && !http) throw v2Errors.validation('A health check path can only be given for HTTP and HTTPS health checks');
  if (health.path !== undefined && (!health.path.startsWith('/') || health.path.length > 1024)) throw v2Errors.validation(`Health check path '${health.path}' must begin with '/' and be at most 1024 characters`);
  if (input.Matcher?.GrpcCode !== undefined) throw v2Errors.validation('faultline does not serve gRPC target groups: Matcher.GrpcCode is not supported');
  if (input.Matcher?.HttpCode !== undefined && !http) throw v2Errors.validation('A matcher can only be given for HTTP and HTTPS health checks');
  if (http) checkMatcher(family, health.matcher);
  if (health.timeoutSeconds >= health.intervalSeconds) throw v2Errors.validation('Health check interval must be greater than the timeout.');
  return health;
}

const BOOL = (v: string) => v === 'true' || v === 'false';
const range = (lo: number, hi: number) => (v: string) => /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi;
const offOr = (lo: number, hi: number) => (v: string) => v === 'off' || range(lo, hi)(v);
const oneOf = (...values: string[]) => (v: string) => values.includes(v);

const HEALTH_ATTRIBUTES = {
  'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
  'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
  'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '1',
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': 'off',
};

/** A group's attributes as AWS lists them for its family and target type. */
function defaultAttributes(family: Family, protocol: string, targetType: string): Record<string, string> {
  if (family === 'application') {
    return {
      'deregistration_delay.timeout_seconds': '300',
      'stickiness.enabled': 'false',
      'stickiness.type': 'lb_cookie',
      'stickiness.lb_cookie.duration_seconds': '86400',
      'stickiness.app_cookie.cookie_name': '',
      'stickiness.app_cookie.duration_seconds': '86400',
      'slow_start.duration_seconds': '0',
      'load_balancing.algorithm.type': 'round_robin',
      'load_balancing.algorithm.anomaly_mitigation': 'off',
      ...HEALTH_ATTRIBUTES,
    };
  }
  const udp = protocol === 'UDP' || protocol === 'TCP_UDP';
  return {
    'deregistration_delay.timeout_seconds': '300',
    'deregistration_delay.connection_termination.enabled': String(udp),
    'stickiness.enabled': 'false',
    'stickiness.type': 'source_ip',
    'preserve_client_ip.enabled': String(targetType === 'instance' || udp),
    'proxy_protocol_v2.enabled': 'false',
    'target_health_state.unhealthy.connection_termination.enabled': 'true',
    'target_health_state.unhealthy.draining_interval_seconds': '0',
    ...HEALTH_ATTRIBUTES,
  };
}

const ATTRIBUTE_VALUES: Record<string, (v: string) => boolean> = {
  'deregistration_delay.timeout_seconds': range(0, 3600),
  'stickiness.type': oneOf('lb_cookie', 'app_cookie', 'source_ip'),
  'stickiness.lb_cookie.duration_seconds': range(1, 604_800),
  'stickiness.app_cookie.duration_seconds': range(1, 604_800),
  'stickiness.app_cookie.cookie_name': () => true,
  'slow_start.duration_seconds': (v) => v === '0' || range(30, 900)(v),
  'load_balancing.algorithm.type': oneOf('round_robin', 'least_outstanding_requests', 'weighted_random'),
  'load_balancing.algorithm.anomaly_mitigation': oneOf('on', 'off'),
  'load_balancing.cross_zone.enabled': oneOf('true', 'false', 'use_load_balancer_configuration'),
  'target_group_health.dns_failover.minimum_healthy_targets.count': offOr(1, 1_000_000),
  'target_group_health.dns_failover.minimum_healthy_targets.percentage': offOr(1, 100),
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': offOr(1, 1_000_000),
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': offOr(1, 100),
  'target_health_state.unhealthy.draining_interval_seconds': range(0, 360_000),
};

function checkAttributes(tg: DeepReadonly<TargetGroupRecord>, attrs: readonly { Key?: string; Value?: string }[]): Record<string, string> {
  const out = { ...tg.attributes };
  const family = familyOf(tg.protocol);
  for (const { Key: key = '', Value: value = '' } of attrs) {
    if (!(key in tg.attributes)) throw v2Errors.validation(`Target group attribute key '${key}' is not recognized`);
    if (!(ATTRIBUTE_VALUES[key] ?? BOOL)(value)) throw v2Errors.validation(`Target group attribute value '${value}' is not valid for attribute key '${key}'`);
    out[key] = value;
  }
  if (family === 'application' && out['stickiness.type'] === 'source_ip') throw v2Errors.validation("Stickiness type 'source_ip' is only supported for Network Load Balancer target groups");
  if (family === 'network' && out['stickiness.type'] !== 'source_ip') throw v2Errors.validation(`Stickiness type '${out['stickiness.type']}' is not supported for target groups with the ${tg.protocol} protocol`);
  if (out['slow_start.duration_seconds'] !== undefined && out['slow_start.duration_seconds'] !== '0' && out['load_balancing.algorithm.type'] === 'least_outstanding_requests') {
    throw v2Errors.invalidConfiguration('Slow start is not supported with the least outstanding requests algorithm');
  }
  const dns = out['target_group_health.dns_failover.minimum_healthy_targets.count'];
  const routing = out['target_group_health.unhealthy_state_routing.minimum_healthy_targets.count'];
  if (dns !== 'off' && routing !== 'off' && Number(dns) < Number(routing)) {
    throw v2Errors.invalidConfiguration('The DNS failover minimum healthy targets count must be at least the unhealthy state routing minimum healthy targets count');
  }
  return out;
}

interface CreateInput extends HealthInput {
  Name: string;
  Protocol?: string;
  ProtocolVersion?: string;
  Port?: number;
  VpcId?: string;
  TargetType?: string;
  IpAddressType?: string;
  Tags?: Tag[];
}

/** Whether an existing group has the settings a repeated create asks for. */
function sameSettings(tg: DeepReadonly<TargetGroupRecord>, want: TargetGroupRecord): boolean {
  return tg.protocol === want.protocol && tg.port === want.port && tg.vpcId === want.vpcId && tg.targetType === want.targetType && JSON.stringify(tg.health) === JSON.stringify(want.health);
}

/** The zone an IP target is in: its subnet's. */
function zoneOfIp(ctx: RequestContext, tg: DeepReadonly<TargetGroupRecord>, ip: string): string {
  const n = parseIp4(ip);
  if (n === undefined) throw v2Errors.invalidTarget(`The IP address '${ip}' is not a valid IPv4 address`);
  const vpc = ctx.env.store.get<VpcRecord>(EC2.vpcs, ctx, tg.vpcId);
  const blocks = (vpc?.CidrBlockAssociationSet ?? []).map((a) => parseCidr4(a.CidrBlock)).filter((c) => c !== undefined);
  if (!blocks.some((c) => ip4InCidr(c, n))) throw v2Errors.invalidTarget(`The IP address '${ip}' is not within the CIDR blocks of the target group's VPC '${tg.vpcId}'`);
  const subnet = ctx.env.store.list<SubnetRecord>(EC2.subnets, ctx).find((s) => s.VpcId === tg.vpcId && ip4InCidr(parseCidr4(s.CidrBlock)!, n));
  if (!subnet) throw v2Errors.invalidTarget(`The IP address '${ip}' is not in a subnet of the target group's VPC '${tg.vpcId}'`);
  return subnet.AvailabilityZone;
}

type TargetInput = { Id: string; Port?: number; AvailabilityZone?: string };

export const targetGroupHandlers = {
  CreateTargetGroup(input: CreateInput, ctx: RequestContext) {
    const { store, clock } = ctx.env;
    checkName('Target group', input.Name);
    const targetType = input.TargetType ?? 'instance';
    if (targetType !== 'instance' && targetType !== 'ip') throw v2Errors.invalidConfiguration(`faultline does not support target type '${targetType}': use 'instance' or 'ip'`);
    if (input.Protocol === undefined) throw v2Errors.validation(`A protocol must be specified for target groups with the target type '${targetType}'`);
    if (input.Port === undefined) throw v2Errors.validation(`A port must be specified for target groups with the target type '${targetType}'`);
    if (input.VpcId === undefined) throw v2Errors.validation(`A VPC ID must be specified for target groups with the target type '${targetType}'`);
    if (![...APPLICATION_PROTOCOLS, ...NETWORK_PROTOCOLS].includes(input.Protocol)) throw v2Errors.invalidConfiguration(`faultline does not support target groups with the protocol '${input.Protocol}'`);
    if (!store.get<VpcRecord>(EC2.vpcs, ctx, input.VpcId)) throw v2Errors.validation(`The VPC ID '${input.VpcId}' is not found`);
    if (input.IpAddressType !== undefined && input.IpAddressType !== 'ipv4') throw v2Errors.invalidConfiguration(`faultline does not support target groups with the IP address type '${input.IpAddressType}'`);
    const family = familyOf(input.Protocol);
    // Terraform sends an empty ProtocolVersion for groups that have none.
    if (input.ProtocolVersion === '') delete input.ProtocolVersion;
    if (input.ProtocolVersion !== undefined && (family !== 'application' || !['HTTP1', 'HTTP2', 'GRPC'].includes(input.ProtocolVersion))) {
      throw v2Errors.validation(`Protocol version '${input.ProtocolVersion}' is not valid for the protocol '${input.Protocol}'`);
    }
    const health = healthSettings(family, targetType, input);
    const tags = checkNewTags(input.Tags ?? [], []);
    const now = clock.now();
    const attributes = defaultAttributes(family, input.Protocol, targetType);
    const arn = targetGroupArn(ctx, input.Name);
    const tg: TargetGroupRecord = {
      key: arn,
      kind: 'v2',
      name: input.Name,
      arn,
      protocol: input.Protocol,
      port: input.Port,
      ...(family === 'application' ? { protocolVersion: input.ProtocolVersion ?? 'HTTP1' } : {}),
      vpcId: input.VpcId,
      targetType,
      health,
      deregistrationDelay: Number(attributes['deregistration_delay.timeout_seconds']),
      attributes,
      tags,
      createdAt: now,
    };
    const all = store.list<TargetGroupRecord>(COLL.targetGroups, ctx).filter((g) => g.kind === 'v2');
    const existing = all.find((g) => g.name === input.Name);
    if (existing) {
      // Creating is idempotent: the same settings give back the group there is.
      if (!sameSettings(existing, tg)) throw v2Errors.duplicateTargetGroup(input.Name);
      return { TargetGroups: [targetGroupView(ctx, existing)] };
    }
    if (all.length >= MAX_TARGET_GROUPS) throw v2Errors.tooMany('TargetGroups', 'The maximum number of target groups has been reached');
    store.put(COLL.targetGroups, ctx, arn, tg);
    return { TargetGroups: [targetGroupView(ctx, tg)] };
  },

  ModifyTargetGroup(input: HealthInput & { TargetGroupArn: string }, ctx: RequestContext) {
    const tg = structuredClone(findTargetGroup(ctx, input.TargetGroupArn)) as TargetGroupRecord;
    tg.health = healthSettings(familyOf(tg.protocol), tg.targetType, input, tg.health);
    ctx.env.store.put(COLL.targetGroups, ctx, tg.key, tg);
    return { TargetGroups: [targetGroupView(ctx, tg)] };
  },

  DeleteTargetGroup(input: { TargetGroupArn: string }, ctx: RequestContext) {
    const tg = ctx.env.store.get<TargetGroupRecord>(COLL.targetGroups, ctx, input.TargetGroupArn);
    if (!tg || tg.kind !== 'v2') return {};
    if (loadBalancersOfGroup(ctx.env.store, ctx, tg.key).length) throw v2Errors.resourceInUse(`Target group '${tg.arn}' is currently in use by a listener or a rule`);
    dropTargets(ctx.env, ctx, tg.key);
    ctx.env.store.delete(COLL.targetGroups, ctx, tg.key);
    return {};
  },

  DescribeTargetGroups(input: { LoadBalancerArn?: string; TargetGroupArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }, ctx: RequestContext) {
    const given = [input.LoadBalancerArn, input.TargetGroupArns?.length ? 1 : undefined, input.Names?.length ? 1 : undefined].filter((x) => x !== undefined).length;
    if (given > 1) throw v2Errors.validation('Only one of LoadBalancerArn, TargetGroupArns and Names can be specified');
    const all = ctx.env.store.list<TargetGroupRecord>(COLL.targetGroups, ctx).filter((g) => g.kind === 'v2');
    let groups = [...all].sort((a, b) => a.name.localeCompare(b.name) || a.createdAt - b.createdAt);
    if (input.LoadBalancerArn) {
      const lb = findLoadBalancer(ctx, input.LoadBalancerArn);
      const used = groupsOfLoadBalancer(ctx.env.store, ctx, lb.key);
      groups = groups.filter((g) => used.includes(g.key));
    }
    if (input.TargetGroupArns?.length) groups = input.TargetGroupArns.map((arn) => findTargetGroup(ctx, arn));
    if (input.Names?.length) {
      groups = input.Names.map((n) => {
        const g = all.find((x) => x.name === n);
        if (!g) throw v2Errors.targetGroupNotFound(`One or more target groups not found`);
        return g;
      });
    }
    const { items, NextMarker } = pageOf(groups, input.Marker, input.PageSize);
    return { TargetGroups: items.map((g) => targetGroupView(ctx, g)), NextMarker };
  },

  DescribeTargetGroupAttributes(input: { TargetGroupArn: string }, ctx: RequestContext) {
    const tg = findTargetGroup(ctx, input.TargetGroupArn);
    return { Attributes: Object.entries(tg.attributes).map(([Key, Value]) => ({ Key, Value })) };
  },

  ModifyTargetGroupAttributes(input: { TargetGroupArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    const tg = structuredClone(findTargetGroup(ctx, input.TargetGroupArn)) as TargetGroupRecord;
    tg.attributes = checkAttributes(tg, input.Attributes);
    tg.deregistrationDelay = Number(tg.attributes['deregistration_delay.timeout_seconds']);
    ctx.env.store.put(COLL.targetGroups, ctx, tg.key, tg);
    return { Attributes: input.Attributes.map((a) => ({ Key: a.Key, Value: tg.attributes[a.Key!] })) };
  },

  RegisterTargets(input: { TargetGroupArn: string; Targets: TargetInput[] }, ctx: RequestContext) {
    const { env } = ctx;
    const tg = findTargetGroup(ctx, input.TargetGroupArn);
    const specs = input.Targets.map((t) => ({ id: t.Id, port: t.Port ?? tg.port!, zone: zoneOf(ctx, tg, t) }));
    const notRunning = input.Targets.filter((t) => tg.targetType === 'instance' && instanceOf(ctx, t.Id)?.State.Name !== 'running').map((t) => t.Id);
    if (notRunning.length) throw v2Errors.invalidTarget(`The following targets are not in a running state and cannot be registered: ${notRunning.map((id) => `'${id}'`).join(', ')}`);
    const now = env.clock.now();
    const held = new Set(targetsOf(env.store, ctx, tg.key).filter((t) => !gone(t, now) && t.drainingUntil === undefined).map((t) => t.key));
    for (const s of specs) held.add(targetKey(tg.key, s.id, s.port));
    if (held.size > MAX_TARGETS_PER_GROUP) throw v2Errors.tooMany('Targets', `You cannot register more than ${MAX_TARGETS_PER_GROUP} targets with a target group`);
    for (const s of specs) registerTarget(env, ctx, tg.key, s);
    return {};
  },

  DeregisterTargets(input: { TargetGroupArn: string; Targets: TargetInput[] }, ctx: RequestContext) {
    const tg = findTargetGroup(ctx, input.TargetGroupArn);
    // Deregistering a target that is not registered succeeds, as on AWS.
    for (const t of input.Targets) deregisterTarget(ctx.env, ctx, tg.key, t.Id, t.Port ?? tg.port!, tg.deregistrationDelay);
    return {};
  },

  DescribeTargetHealth(input: { TargetGroupArn: string; Targets?: TargetInput[] }, ctx: RequestContext) {
    const { env } = ctx;
    const tg = findTargetGroup(ctx, input.TargetGroupArn);
    const now = env.clock.now();
    const held = targetsOf(env.store, ctx, tg.key).filter((t) => !gone(t, now));
    if (!input.Targets?.length) return { TargetHealthDescriptions: held.map((t) => targetHealthView(tg, t)) };
    const unknown = input.Targets.filter((t) => tg.targetType === 'instance' && !instanceOf(ctx, t.Id)).map((t) => t.Id);
    if (unknown.length) throw v2Errors.invalidTarget(`The following targets are invalid: ${unknown.map((id) => `'${id}'`).join(', ')}`);
    return {
      TargetHealthDescriptions: input.Targets.flatMap((want) => {
        const found = held.filter((t) => t.id === want.Id && (want.Port === undefined || t.port === want.Port));
        return found.length ? found.map((t) => targetHealthView(tg, t)) : [notRegisteredView(tg, want.Id, want.Port ?? tg.port!)];
      }),
    };
  },
};

const instanceOf = (ctx: RequestContext, id: string) => (/^i-[0-9a-f]+$/.test(id) ? ctx.env.store.get<InstanceRecord>(EC2.instances, ctx, id) : undefined);

/** A target's zone; an instance must exist and be in the group's VPC, an IP inside it. */
function zoneOf(ctx: RequestContext, tg: DeepReadonly<TargetGroupRecord>, t: TargetInput): string {
  if (tg.targetType === 'ip') return zoneOfIp(ctx, tg, t.Id);
  const instance = instanceOf(ctx, t.Id);
  if (!instance) throw v2Errors.invalidTarget(`The following targets are not valid instances: '${t.Id}'`);
  if (instance.VpcId !== undefined && instance.VpcId !== tg.vpcId) throw v2Errors.invalidTarget(`The following targets are not in the target group VPC '${tg.vpcId}': '${t.Id}'`);
  return instance.Placement.AvailabilityZone;
}
