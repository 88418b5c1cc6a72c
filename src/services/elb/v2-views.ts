/**
 * ELBv2's lookups (an unknown ARN is the resource's own NotFound error) and what Describe calls
 * show of the records: the API's members, rendered from the records and the clock.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { COLL, loadBalancersOfGroup, type ListenerRecord, type LoadBalancerRecord, type RuleRecord, type TargetGroupRecord, type TargetRecord, type TargetState } from './state.ts';
import { v2Errors } from './v2-errors.ts';

type Read<T> = DeepReadonly<T>;

export function findLoadBalancer(ctx: RequestContext, arn: string): Read<LoadBalancerRecord> {
  const lb = ctx.env.store.get<LoadBalancerRecord>(COLL.loadBalancers, ctx, arn);
  if (!lb || lb.kind === 'classic') throw v2Errors.loadBalancerNotFound(`Load balancer '${arn}' not found`);
  return lb;
}

export function findTargetGroup(ctx: RequestContext, arn: string): Read<TargetGroupRecord> {
  const tg = ctx.env.store.get<TargetGroupRecord>(COLL.targetGroups, ctx, arn);
  if (!tg || tg.kind !== 'v2') throw v2Errors.targetGroupNotFound(`Target groups '${arn}' not found`);
  return tg;
}

export function findListener(ctx: RequestContext, arn: string): Read<ListenerRecord> {
  const l = ctx.env.store.get<ListenerRecord>(COLL.listeners, ctx, arn);
  if (!l) throw v2Errors.listenerNotFound(`Listener '${arn}' not found`);
  return l;
}

export function findRule(ctx: RequestContext, arn: string): Read<RuleRecord> {
  const r = ctx.env.store.get<RuleRecord>(COLL.rules, ctx, arn);
  if (!r) throw v2Errors.ruleNotFound(`One or more rules not found`);
  return r;
}

export const listenersOf = (ctx: RequestContext, lbArn: string): Read<ListenerRecord>[] => ctx.env.store.list<ListenerRecord>(COLL.listeners, ctx).filter((l) => l.lbKey === lbArn);
export const rulesOf = (ctx: RequestContext, listenerArn: string): Read<RuleRecord>[] => ctx.env.store.list<RuleRecord>(COLL.rules, ctx).filter((r) => r.listenerArn === listenerArn);
export const defaultRuleOf = (ctx: RequestContext, listenerArn: string): Read<RuleRecord> => rulesOf(ctx, listenerArn).find((r) => r.priority === 'default')!;

/** `application` or `network`: ELBv2 load balancers are never Classic. */
export const lbType = (lb: Read<LoadBalancerRecord>): 'application' | 'network' => (lb.kind === 'network' ? 'network' : 'application');

/** `State.Code`: provisioning until `activeAt` on the clock, then active. */
export const lbState = (lb: Read<LoadBalancerRecord>, now: number): 'provisioning' | 'active' => (now >= lb.activeAt ? 'active' : 'provisioning');

/** Whether a load balancer's nodes serve now: it is active, or active but impaired. */
export const serving = (lb: Read<LoadBalancerRecord>, now: number): boolean => ['active', 'active_impaired'].includes(lbState(lb, now));

export function loadBalancerView(lb: Read<LoadBalancerRecord>, now: number) {
  const network = lb.kind === 'network';
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: lb.canonicalHostedZoneId,
    CreatedTime: lb.createdTime,
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: lbState(lb, now) },
    Type: lbType(lb),
    // An NLB shows its static address in each zone; an ALB's node addresses are not shown.
    AvailabilityZones: lb.nodes.map((n) => ({
      ZoneName: n.zone,
      SubnetId: n.subnetId,
      LoadBalancerAddresses: network ? [{ ...(n.publicIp ? { IpAddress: n.publicIp } : {}), ...(lb.scheme === 'internal' ? { PrivateIPv4Address: n.privateIp } : {}) }] : [],
    })),
    ...(lb.securityGroups.length || !network ? { SecurityGroups: lb.securityGroups } : {}),
    IpAddressType: lb.ipAddressType,
  };
}

export function targetGroupView(ctx: RequestContext, tg: Read<TargetGroupRecord>) {
  const h = tg.health;
  const http = h.protocol === 'HTTP' || h.protocol === 'HTTPS';
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: h.protocol,
    HealthCheckPort: h.port,
    HealthCheckEnabled: h.enabled,
    HealthCheckIntervalSeconds: h.intervalSeconds,
    HealthCheckTimeoutSeconds: h.timeoutSeconds,
    HealthyThresholdCount: h.healthyThreshold,
    UnhealthyThresholdCount: h.unhealthyThreshold,
    ...(http ? { HealthCheckPath: h.path, Matcher: { HttpCode: h.matcher } } : {}),
    LoadBalancerArns: loadBalancersOfGroup(ctx.env.store, ctx, tg.key),
    TargetType: tg.targetType,
    ...(tg.protocolVersion ? { ProtocolVersion: tg.protocolVersion } : {}),
    IpAddressType: 'ipv4',
  };
}

export function listenerView(l: Read<ListenerRecord>, defaultRule: Read<RuleRecord>) {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.lbKey,
    Port: l.port,
    Protocol: l.protocol,
    ...(l.certificates?.length ? { Certificates: l.certificates } : {}),
    ...(l.sslPolicy ? { SslPolicy: l.sslPolicy } : {}),
    ...(l.alpnPolicy?.length ? { AlpnPolicy: l.alpnPolicy } : {}),
    DefaultActions: defaultRule.actions,
  };
}

export function ruleView(r: Read<RuleRecord>) {
  return {
    RuleArn: r.arn,
    Priority: String(r.priority),
    Conditions: r.conditions,
    Actions: r.actions,
    IsDefault: r.priority === 'default',
  };
}

/** Whether a deregistered target's delay has ended: it is forgotten then, whether or not the health loop has come by. */
export const gone = (t: Read<TargetRecord>, now: number): boolean => t.drainingUntil !== undefined && now >= t.drainingUntil;

export function targetHealthView(tg: Read<TargetGroupRecord>, t: Read<TargetRecord>) {
  return {
    Target: { Id: t.id, Port: t.port, ...(t.zone ? { AvailabilityZone: t.zone } : {}) },
    HealthCheckPort: tg.health.port === 'traffic-port' ? String(t.port) : tg.health.port,
    TargetHealth: { State: t.state, ...(t.reason ? { Reason: t.reason } : {}), ...(t.description ? { Description: t.description } : {}) },
  };
}

/** A target asked for by id that the group does not hold. */
export function notRegisteredView(tg: Read<TargetGroupRecord>, id: string, port: number) {
  return {
    Target: { Id: id, Port: port },
    HealthCheckPort: tg.health.port === 'traffic-port' ? String(port) : tg.health.port,
    TargetHealth: { State: 'unused' as TargetState, Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
  };
}
