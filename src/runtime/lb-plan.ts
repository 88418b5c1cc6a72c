/**
 * The load balancers as the data plane needs them, read from the records once per reconcile
 * pass of the sandbox driver: each load balancer's nodes (and whether their zone is up), the
 * listeners it can serve (HTTP and TCP; HTTPS, TLS, SSL and UDP need certificates or datagrams
 * that faultline does not have), their rules in evaluation order, and its target groups with
 * each target's private address and state. The node listeners (load-balancer-nodes.ts) and the
 * health checks (lb-health-probes.ts) both work from this view, never from the store directly,
 * so a request costs no store read.
 */
import type { DeepReadonly, Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { COLL as EC2_COLL, COMPUTE_COLL, type InstanceRecord, type NetworkInterfaceRecord } from '../services/ec2/state.ts';
import {
  COLL,
  classicKey,
  crossZone,
  forwardGroups,
  type ActionRecord,
  type ConditionRecord,
  type HealthSettings,
  type ListenerRecord,
  type LoadBalancerKind,
  type LoadBalancerRecord,
  type NodeRecord,
  type RuleRecord,
  type TargetGroupRecord,
  type TargetRecord,
  type TargetState,
} from '../services/elb/state.ts';
import { lbState } from '../services/elb/v2-views.ts';
import { ZONES, worldScope, type ZoneRecord } from '../world/state.ts';
import { publicPortAllowed } from './firewall.ts';

export interface TargetView {
  key: string;
  id: string;
  /** The private address traffic and checks go to; undefined when the instance is not running. */
  ip?: string;
  port: number;
  zone?: string;
  state: TargetState;
}

export interface GroupView {
  key: string;
  health: DeepReadonly<HealthSettings>;
  /** Whether this load balancer's nodes may send to the group's targets in other zones. */
  crossZone: boolean;
  /** `round_robin`, `least_outstanding_requests` or `weighted_random` (Classic HTTP: least outstanding). */
  algorithm: string;
  targets: TargetView[];
}

export interface RuleView {
  conditions: readonly DeepReadonly<ConditionRecord>[];
  /** The final action (forward, redirect or fixed-response); authentication actions are not run. */
  action: DeepReadonly<ActionRecord>;
}

export interface ListenerView {
  port: number;
  protocol: 'http' | 'tcp';
  /** In evaluation order: by priority, the default rule last. */
  rules: RuleView[];
  /** Classic: the instances' port (Classic registrations carry none). */
  instancePort?: number;
  /** Whether the load balancer's security groups let the internet reach the port. */
  allowed: boolean;
}

export interface NodeView extends DeepReadonly<NodeRecord> {
  /** Its zone has power and network. */
  up: boolean;
}

export interface LoadBalancerView {
  scope: Scope;
  key: string;
  kind: LoadBalancerKind;
  vpcId: string;
  /** Active (or active but impaired): its nodes serve. */
  active: boolean;
  nodes: NodeView[];
  listeners: ListenerView[];
  groups: Map<string, GroupView>;
  /** Real milliseconds a connection may idle. */
  idleTimeoutMs: number;
}

const zoneUp = (z: DeepReadonly<ZoneRecord> | undefined) => z?.power !== 'off' && z?.network !== 'down';

/** Every load balancer, as the data plane serves it now. */
export function readLoadBalancers(env: Env): LoadBalancerView[] {
  const out: LoadBalancerView[] = [];
  const byScope = new Map<string, { listeners: DeepReadonly<ListenerRecord>[]; rules: DeepReadonly<RuleRecord>[]; targets: DeepReadonly<TargetRecord>[] }>();
  for (const [scope, lb] of env.store.scan<LoadBalancerRecord>(COLL.loadBalancers)) {
    const where = `${scope.account}/${scope.region}`;
    let records = byScope.get(where);
    if (!records) {
      records = { listeners: env.store.list<ListenerRecord>(COLL.listeners, scope), rules: env.store.list<RuleRecord>(COLL.rules, scope), targets: env.store.list<TargetRecord>(COLL.targets, scope) };
      byScope.set(where, records);
    }
    const nodes = lb.nodes.map((n) => ({ ...n, up: zoneUp(env.store.get<ZoneRecord>(ZONES, worldScope(scope.region), n.zone)) }));
    const allowed = (port: number) => !lb.securityGroups.length || publicPortAllowed(env, scope, lb.securityGroups, port);
    const listeners = lb.classic ? classicListeners(lb, allowed) : v2Listeners(lb, records.listeners, records.rules, allowed);
    const groupKeys = new Set(listeners.flatMap((l) => l.rules.flatMap((r) => forwardGroups([r.action]))));
    const groups = new Map<string, GroupView>();
    for (const key of groupKeys) {
      const group = env.store.get<TargetGroupRecord>(COLL.targetGroups, scope, key);
      if (!group) continue;
      const algorithm = lb.kind === 'classic' ? 'least_outstanding_requests' : (group.attributes['load_balancing.algorithm.type'] ?? 'round_robin');
      const targets = records.targets.filter((t) => t.group === key).map((t) => ({ key: t.key, id: t.id, ip: targetIp(env, scope, group, t.id), port: t.port, zone: t.zone, state: t.state }));
      groups.set(key, { key, health: group.health, crossZone: crossZone(lb, group), algorithm, targets });
    }
    const idle = Number(lb.classic ? lb.classic.idleTimeout : (lb.attributes['idle_timeout.timeout_seconds'] ?? 60));
    out.push({ scope, key: lb.key, kind: lb.kind, vpcId: lb.vpcId, active: lbState(lb, env.clock.now()) === 'active', nodes, listeners, groups, idleTimeoutMs: (idle > 0 ? idle : 60) * 1000 });
  }
  return out;
}

function classicListeners(lb: DeepReadonly<LoadBalancerRecord>, allowed: (port: number) => boolean): ListenerView[] {
  const out: ListenerView[] = [];
  const forward: DeepReadonly<ActionRecord> = { Type: 'forward', TargetGroupArn: classicKey(lb.name) };
  for (const l of lb.classic!.listeners) {
    if (l.Protocol !== 'HTTP' && l.Protocol !== 'TCP') continue;
    out.push({ port: l.LoadBalancerPort, protocol: l.Protocol === 'HTTP' ? 'http' : 'tcp', rules: [{ conditions: [], action: forward }], instancePort: l.InstancePort, allowed: allowed(l.LoadBalancerPort) });
  }
  return out;
}

function v2Listeners(lb: DeepReadonly<LoadBalancerRecord>, listeners: readonly DeepReadonly<ListenerRecord>[], rules: readonly DeepReadonly<RuleRecord>[], allowed: (port: number) => boolean): ListenerView[] {
  const out: ListenerView[] = [];
  for (const l of listeners) {
    if (l.lbKey !== lb.key || (l.protocol !== 'HTTP' && l.protocol !== 'TCP')) continue;
    const ordered = rules.filter((r) => r.listenerArn === l.arn).sort((a, b) => (a.priority === 'default' ? 1 : b.priority === 'default' ? -1 : a.priority - b.priority));
    const views: RuleView[] = [];
    for (const r of ordered) {
      const action = [...r.actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0)).find((a) => a.Type === 'forward' || a.Type === 'redirect' || a.Type === 'fixed-response');
      if (action) views.push({ conditions: r.conditions, action });
    }
    out.push({ port: l.port, protocol: l.protocol === 'HTTP' ? 'http' : 'tcp', rules: views, allowed: allowed(l.port) });
  }
  return out;
}

/** A target's private address: an `ip` target's own, or the running instance's primary one. */
function targetIp(env: Env, scope: Scope, group: DeepReadonly<TargetGroupRecord>, id: string): string | undefined {
  if (group.targetType === 'ip') return id;
  const inst = env.store.get<InstanceRecord>(EC2_COLL.instances, scope, id);
  if (inst?.State.Name !== 'running' || !inst.networkInterfaceIds[0]) return undefined;
  return env.store.get<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope, inst.networkInterfaceIds[0])?.PrivateIpAddress;
}
