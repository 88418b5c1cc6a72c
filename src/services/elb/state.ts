/**
 * Elastic Load Balancing's records, shared by Classic ELB (`elb`) and ELBv2 (`elbv2`), scoped by
 * account and region. One model serves both APIs, because one data plane and one health checker
 * serve both:
 *  - a load balancer has a node in each enabled AZ (an ENI in the zone's subnet, and for an
 *    internet-facing one a public address from the loopback pool, where the data plane listens);
 *  - targets sit in target groups. A Classic load balancer has one implicit group, keyed
 *    `classic:NAME`, holding its instances, with its health check and connection draining;
 *  - a target record is a registration and its health, which the health loop moves through
 *    AWS's states on the clock (health.loop.ts).
 * Members the APIs return keep AWS's names; internal fields are lower camel case. Times the loops
 * compare are clock milliseconds.
 */
import type { DeepReadonly, Scope, Store } from '../../core/store.ts';

export const COLL = {
  /** Keyed by `lbKey`: `classic:NAME` for Classic, the ARN for ELBv2. */
  loadBalancers: 'elb.loadBalancers',
  /** Keyed by `groupKey`: `classic:NAME` for a Classic load balancer's instances, the ARN for ELBv2. */
  targetGroups: 'elb.targetGroups',
  /** ELBv2 listeners, keyed by ARN. */
  listeners: 'elb.listeners',
  /** ELBv2 rules, keyed by ARN; each listener has one default rule holding its default actions. */
  rules: 'elb.rules',
  /** Keyed by `targetKey(group, id, port)`. */
  targets: 'elb.targets',
} as const;

/** The health loop, keyed by `scopedKey(scope, targetKey)`: one timer per registered target. */
export const HEALTH_LOOP = 'elb.health';

export const classicKey = (name: string): string => `classic:${name}`;
export const targetKey = (group: string, id: string, port: number): string => `${group}|${id}|${port}`;

/** `${account}/${region}/${key}`: keys may hold slashes, so only the first two separate. */
export const scopedKey = (scope: Scope, key: string): string => `${scope.account}/${scope.region}/${key}`;
export function parseScopedKey(key: string): { scope: Scope; key: string } {
  const a = key.indexOf('/');
  const b = key.indexOf('/', a + 1);
  return { scope: { account: key.slice(0, a), region: key.slice(a + 1, b) }, key: key.slice(b + 1) };
}

export interface Tag {
  Key: string;
  Value?: string;
}

export type LoadBalancerKind = 'classic' | 'application' | 'network';

/** A load balancer's presence in one AZ. */
export interface NodeRecord {
  zone: string;
  subnetId: string;
  /** The node's network interface (requester-managed, in the load balancer's security groups). */
  eniId: string;
  privateIp: string;
  /** Internet-facing only: the node's public address, from the loopback pool. */
  publicIp?: string;
}

export interface ClassicListener {
  Protocol: 'HTTP' | 'HTTPS' | 'TCP' | 'SSL';
  LoadBalancerPort: number;
  InstanceProtocol: 'HTTP' | 'HTTPS' | 'TCP' | 'SSL';
  InstancePort: number;
  SSLCertificateId?: string;
}

/** What only a Classic load balancer has (its health check and draining live on its implicit group). */
export interface ClassicSettings {
  listeners: ClassicListener[];
  /** The `Target` string as given (`HTTP:80/index.html`), for DescribeLoadBalancers. */
  healthCheckTarget: string;
  connectionDraining: { Enabled: boolean; Timeout: number };
  idleTimeout: number;
  sourceSecurityGroup?: { OwnerAlias: string; GroupName: string };
  /** The AccessLog attribute, stored as given (faultline writes no logs). */
  accessLog?: { Enabled: boolean; S3BucketName?: string; EmitInterval?: number; S3BucketPrefix?: string };
}

export interface LoadBalancerRecord {
  key: string;
  kind: LoadBalancerKind;
  name: string;
  /** ELBv2 only. */
  arn?: string;
  dnsName: string;
  canonicalHostedZoneId: string;
  scheme: 'internet-facing' | 'internal';
  vpcId: string;
  securityGroups: string[];
  nodes: NodeRecord[];
  /** When the load balancer becomes active (ELBv2 `State.Code`, v2-views.ts `lbState`): Classic load balancers are at once. */
  activeAt: number;
  createdTime: string;
  createdAt: number;
  ipAddressType: 'ipv4' | 'dualstack';
  /**
   * ELBv2 attributes by key, as strings (`idle_timeout.timeout_seconds`: `60`). A Classic load
   * balancer keeps its cross-zone setting under ELBv2's key (`CROSS_ZONE`) and its desync
   * mitigation mode here too.
   */
  attributes: Record<string, string>;
  tags: Tag[];
  classic?: ClassicSettings;
}

export type HealthCheckProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'SSL' | 'TLS';

export interface HealthSettings {
  enabled: boolean;
  protocol: HealthCheckProtocol;
  /** A port number, or `traffic-port` (the target's own port). */
  port: string;
  /** HTTP and HTTPS checks only. */
  path?: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** HTTP codes that pass: `200`, `200,202`, `200-399`. Classic: `200`. */
  matcher: string;
}

export interface TargetGroupRecord {
  key: string;
  kind: 'classic' | 'v2';
  name: string;
  /** ELBv2 only. */
  arn?: string;
  /** The traffic protocol and port (ELBv2; Classic groups take them from each listener). */
  protocol?: string;
  port?: number;
  protocolVersion?: string;
  vpcId: string;
  targetType: 'instance' | 'ip';
  health: HealthSettings;
  /** Seconds a deregistered target drains (ELBv2 `deregistration_delay.timeout_seconds`; Classic: connection draining, 0 when off). */
  deregistrationDelay: number;
  /** ELBv2 attributes by key, as strings. */
  attributes: Record<string, string>;
  tags: Tag[];
  createdAt: number;
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

/** A registration and its health. Classic's InService/OutOfService are rendered from these. */
export interface TargetRecord {
  key: string;
  group: string;
  /** Instance id, or IP address for `ip` groups. */
  id: string;
  port: number;
  /** The target's AZ (the instance's, or the subnet's holding the IP). */
  zone?: string;
  state: TargetState;
  /** ELBv2 reason code (`Elb.RegistrationInProgress`, `Target.Timeout`…) and its description. */
  reason?: string;
  description?: string;
  registeredAt: number;
  /** Consecutive passing and failing checks. Classic registrations have port 0 (the listeners' instance ports). */
  passes: number;
  failures: number;
  /** When the health loop makes the next check (set once checks start; absent while registering or unused). */
  nextCheckAt?: number;
  /** Set by DeregisterTargets: the target drains until then, and is forgotten after. */
  drainingUntil?: number;
  /** Who registered it: `autoscaling:GROUP` for a group's instances, absent for the API. */
  registeredBy?: string;
}

/** What one health check of a target saw: the world's verdict on the path (observe.ts), or the sandbox driver's real request. */
export interface HealthObservation {
  ok: boolean;
  /** Why it failed: `Target.Timeout`, `Target.ResponseCodeMismatch` or `Target.FailedHealthChecks`. */
  reason?: 'Target.Timeout' | 'Target.ResponseCodeMismatch' | 'Target.FailedHealthChecks';
  /** The HTTP status seen, for ResponseCodeMismatch's description. */
  code?: string;
}

/**
 * What a load balancer's data plane has carried since faultline started, cumulative (sandbox
 * driver only; the simulated driver carries no traffic). The metrics loop publishes differences.
 */
export interface TrafficCounters {
  /** HTTP requests (Classic HTTP listeners, ALB) or new TCP connections (Classic TCP, NLB). */
  requests: number;
  /** Sum of the targets' response (HTTP) or connect (TCP) times, in milliseconds. */
  targetMsSum: number;
  /** Requests the load balancer answered itself, by status: `502`, `503`, `504`, `4XX`… */
  elbCodes: Record<string, number>;
  /** Targets' answers by class: `2XX`, `3XX`, `4XX`, `5XX`. */
  targetCodes: Record<string, number>;
  /** Connections to targets that failed. */
  targetConnectionErrors: number;
  processedBytes: number;
  /** ALB: requests answered by fixed-response and redirect actions. */
  fixedResponses: number;
  redirects: number;
  /** ELBv2: requests or flows sent to unhealthy targets because none was healthy (fail-open). */
  unhealthyRouting: number;
}

type Read<T> = DeepReadonly<T>;

export const loadBalancer = (store: Store, scope: Scope, key: string): Read<LoadBalancerRecord> | undefined => store.get<LoadBalancerRecord>(COLL.loadBalancers, scope, key);
export const targetGroup = (store: Store, scope: Scope, key: string): Read<TargetGroupRecord> | undefined => store.get<TargetGroupRecord>(COLL.targetGroups, scope, key);
export const targetsOf = (store: Store, scope: Scope, group: string): Read<TargetRecord>[] => store.list<TargetRecord>(COLL.targets, scope).filter((t) => t.group === group);

/** The groups a load balancer sends to: Classic's own, or those its listeners' rules forward to. */
export function groupsOfLoadBalancer(store: Store, scope: Scope, lbKey: string): string[] {
  if (lbKey.startsWith('classic:')) return [lbKey];
  const listeners = new Set(store.list<{ arn: string; lbKey: string }>(COLL.listeners, scope).filter((l) => l.lbKey === lbKey).map((l) => l.arn));
  const out = new Set<string>();
  for (const rule of store.list<RuleRecord>(COLL.rules, scope)) {
    if (listeners.has(rule.listenerArn)) for (const arn of forwardGroups(rule.actions)) out.add(arn);
  }
  return [...out];
}

/** The load balancers that send to a group (the reverse of `groupsOfLoadBalancer`). */
export function loadBalancersOfGroup(store: Store, scope: Scope, groupKey: string): string[] {
  if (groupKey.startsWith('classic:')) return [groupKey];
  const lbOfListener = new Map(store.list<ListenerRecord>(COLL.listeners, scope).map((l) => [l.arn, l.lbKey]));
  const out = new Set<string>();
  for (const rule of store.list<RuleRecord>(COLL.rules, scope)) {
    const lb = lbOfListener.get(rule.listenerArn);
    if (lb && forwardGroups(rule.actions).includes(groupKey)) out.add(lb);
  }
  return [...out];
}

/** Cross-zone load balancing: the attribute of an ELBv2 load balancer and target group, and where a Classic load balancer keeps its setting. */
export const CROSS_ZONE = 'load_balancing.cross_zone.enabled';

/**
 * Whether targets of this group may get traffic from other zones' nodes: the group's override,
 * else the load balancer's setting (ALB: always on; NLB and Classic: off by default).
 */
export function crossZone(lb: Read<LoadBalancerRecord>, group: Read<TargetGroupRecord>): boolean {
  const own = group.attributes[CROSS_ZONE];
  return own === 'true' || own === 'false' ? own === 'true' : lb.attributes[CROSS_ZONE] === 'true';
}

/** An ELBv2 action in its wire shape. */
export interface ActionRecord {
  Type: 'forward' | 'redirect' | 'fixed-response' | 'authenticate-oidc' | 'authenticate-cognito';
  Order?: number;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups: { TargetGroupArn: string; Weight?: number }[]; TargetGroupStickinessConfig?: { Enabled?: boolean; DurationSeconds?: number } };
  RedirectConfig?: { Protocol?: string; Port?: string; Host?: string; Path?: string; Query?: string; StatusCode: 'HTTP_301' | 'HTTP_302' };
  FixedResponseConfig?: { StatusCode: string; ContentType?: string; MessageBody?: string };
}

export function forwardGroups(actions: readonly Read<ActionRecord>[]): string[] {
  const out: string[] = [];
  for (const a of actions) {
    if (a.Type !== 'forward') continue;
    if (a.TargetGroupArn) out.push(a.TargetGroupArn);
    for (const g of a.ForwardConfig?.TargetGroups ?? []) if (!out.includes(g.TargetGroupArn)) out.push(g.TargetGroupArn);
  }
  return out;
}

export interface ListenerRecord {
  arn: string;
  lbKey: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP';
  sslPolicy?: string;
  certificates?: { CertificateArn: string }[];
  alpnPolicy?: string[];
  attributes: Record<string, string>;
  tags: Tag[];
}

/** An ELBv2 rule condition in its wire shape. */
export interface ConditionRecord {
  Field: string;
  Values?: string[];
  HostHeaderConfig?: { Values: string[] };
  PathPatternConfig?: { Values: string[] };
  HttpHeaderConfig?: { HttpHeaderName: string; Values: string[] };
  QueryStringConfig?: { Values: { Key?: string; Value: string }[] };
  HttpRequestMethodConfig?: { Values: string[] };
  SourceIpConfig?: { Values: string[] };
}

export interface RuleRecord {
  arn: string;
  listenerArn: string;
  /** `default` for the listener's default rule, else 1–50,000. */
  priority: number | 'default';
  conditions: ConditionRecord[];
  actions: ActionRecord[];
  tags: Tag[];
}
