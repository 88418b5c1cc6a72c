/**
 * CloudFormation's AWS::ElasticLoadBalancing::LoadBalancer, through Classic ELB's own operations:
 * created with its listeners, health check, attributes and instances in one step (a Classic load
 * balancer is active at once); updated in place for everything the resource specification calls
 * mutable; Ref is the name, and GetAtt gives the DNS name, hosted zone and source group.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, deleteWithRetry, strings, tagsOf } from '../../cloudformation/handler-kit.ts';
import type { Props, ResourceContext, ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { elb } from './index.ts';
import { classicKey, loadBalancer } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(elb, op, input, rc.request);

type Obj = Record<string, unknown>;
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Stickiness and other policies need CreateLoadBalancerPolicy, which faultline does not serve. */
function refuseUnsupported(props: Props): void {
  for (const p of ['Policies', 'AppCookieStickinessPolicy', 'LBCookieStickinessPolicy']) {
    if (objects(props[p]).length) throw new AwsError('ValidationError', `faultline does not support ${p} on Classic load balancers yet.`);
  }
  if (objects(props.Listeners).some((l) => strings(l.PolicyNames).length)) throw new AwsError('ValidationError', 'faultline does not support listener PolicyNames on Classic load balancers yet.');
}

const listeners = (props: Props) =>
  objects(props.Listeners).map((l) => ({ Protocol: l.Protocol, LoadBalancerPort: l.LoadBalancerPort, InstanceProtocol: l.InstanceProtocol, InstancePort: l.InstancePort, SSLCertificateId: l.SSLCertificateId }));

function healthCheck(props: Props) {
  const h = props.HealthCheck as Obj;
  return { Target: h.Target, Interval: h.Interval, Timeout: h.Timeout, UnhealthyThreshold: h.UnhealthyThreshold, HealthyThreshold: h.HealthyThreshold };
}

/** The attributes a template sets; on update, a property taken away goes back to AWS's default. */
function attributes(props: Props, defaults: boolean): Obj {
  const draining = props.ConnectionDrainingPolicy as Obj | undefined;
  const settings = props.ConnectionSettings as Obj | undefined;
  const log = props.AccessLoggingPolicy as Obj | undefined;
  const crossZone = bool(props.CrossZone);
  const out: Obj = {
    CrossZoneLoadBalancing: crossZone !== undefined ? { Enabled: crossZone } : defaults ? { Enabled: false } : undefined,
    ConnectionDraining: draining ? { Enabled: bool(draining.Enabled), Timeout: draining.Timeout } : defaults ? { Enabled: false } : undefined,
    ConnectionSettings: settings ? { IdleTimeout: settings.IdleTimeout } : defaults ? { IdleTimeout: 60 } : undefined,
    AccessLog: log ? { Enabled: bool(log.Enabled), S3BucketName: log.S3BucketName, EmitInterval: log.EmitInterval, S3BucketPrefix: log.S3BucketPrefix } : defaults ? { Enabled: false } : undefined,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

const instances = (v: unknown) => strings(v).map((InstanceId) => ({ InstanceId }));
const empty = (v: unknown) => v === undefined || (Array.isArray(v) && !v.length);
const listenerKey = (l: Obj) => JSON.stringify([String(l.Protocol).toUpperCase(), Number(l.LoadBalancerPort), String(l.InstanceProtocol ?? '').toUpperCase(), Number(l.InstancePort), l.SSLCertificateId ?? null]);

function updateListeners(rc: ResourceContext, name: string, before: Props, after: Props): void {
  const old = listeners(before);
  const now = listeners(after);
  const keep = new Set(now.map(listenerKey));
  const removed = old.filter((l) => !keep.has(listenerKey(l))).map((l) => l.LoadBalancerPort);
  if (removed.length) call(rc, 'DeleteLoadBalancerListeners', { LoadBalancerName: name, LoadBalancerPorts: removed });
  const had = new Set(old.map(listenerKey));
  const added = now.filter((l) => !had.has(listenerKey(l)));
  if (added.length) call(rc, 'CreateLoadBalancerListeners', { LoadBalancerName: name, Listeners: added });
}

/** Calls `add` with what `after` has and `before` had not, and `remove` with what `before` had and `after` lost. */
function syncList(before: unknown, after: unknown, add: (xs: string[]) => void, remove: (xs: string[]) => void): void {
  const [b, a] = [strings(before), strings(after)];
  const added = a.filter((x) => !b.includes(x));
  const gone = b.filter((x) => !a.includes(x));
  // Adding first keeps a load balancer from losing its last zone between the two calls.
  if (added.length) add(added);
  if (gone.length) remove(gone);
}

function lbOf(rc: ResourceContext, name: string) {
  const lb = loadBalancer(rc.env.store, rc.request, classicKey(name));
  if (!lb) throw new AwsError('NotFound', `Load balancer ${name} no longer exists`);
  return lb;
}

const classicLoadBalancer: ResourceHandler = {
  type: 'AWS::ElasticLoadBalancing::LoadBalancer',
  create(props, rc) {
    refuseUnsupported(props);
    const name = String(props.LoadBalancerName ?? rc.physicalName({ maxLength: 32 }));
    const tags = tagsOf(props.Tags);
    call(rc, 'CreateLoadBalancer', {
      LoadBalancerName: name,
      Listeners: listeners(props),
      Subnets: props.Subnets,
      AvailabilityZones: props.AvailabilityZones,
      SecurityGroups: props.SecurityGroups,
      Scheme: props.Scheme,
      Tags: tags.length ? tags : undefined,
    });
    if (props.HealthCheck !== undefined) call(rc, 'ConfigureHealthCheck', { LoadBalancerName: name, HealthCheck: healthCheck(props) });
    const attrs = attributes(props, false);
    if (Object.keys(attrs).length) call(rc, 'ModifyLoadBalancerAttributes', { LoadBalancerName: name, LoadBalancerAttributes: attrs });
    if (!empty(props.Instances)) call(rc, 'RegisterInstancesWithLoadBalancer', { LoadBalancerName: name, Instances: instances(props.Instances) });
    return { physicalId: name };
  },
  // A health check, subnets or zones added where there were none, or taken away, replace the load balancer.
  replacesOnConditional: (_prop, oldValue, newValue) => empty(oldValue) !== empty(newValue),
  update(props, old, changed, rc) {
    refuseUnsupported(props);
    const name = old.physicalId;
    const has = (p: string) => changed.includes(p);
    if (has('Listeners')) updateListeners(rc, name, old.props, props);
    if (has('HealthCheck') && props.HealthCheck !== undefined) call(rc, 'ConfigureHealthCheck', { LoadBalancerName: name, HealthCheck: healthCheck(props) });
    if (has('Subnets')) {
      syncList(old.props.Subnets, props.Subnets, (s) => call(rc, 'AttachLoadBalancerToSubnets', { LoadBalancerName: name, Subnets: s }), (s) => call(rc, 'DetachLoadBalancerFromSubnets', { LoadBalancerName: name, Subnets: s }));
    }
    if (has('AvailabilityZones')) {
      syncList(old.props.AvailabilityZones, props.AvailabilityZones, (z) => call(rc, 'EnableAvailabilityZonesForLoadBalancer', { LoadBalancerName: name, AvailabilityZones: z }), (z) => call(rc, 'DisableAvailabilityZonesForLoadBalancer', { LoadBalancerName: name, AvailabilityZones: z }));
    }
    if (has('SecurityGroups') && !empty(props.SecurityGroups)) call(rc, 'ApplySecurityGroupsToLoadBalancer', { LoadBalancerName: name, SecurityGroups: props.SecurityGroups });
    if (['CrossZone', 'ConnectionDrainingPolicy', 'ConnectionSettings', 'AccessLoggingPolicy'].some(has)) {
      call(rc, 'ModifyLoadBalancerAttributes', { LoadBalancerName: name, LoadBalancerAttributes: attributes(props, true) });
    }
    if (has('Instances')) {
      syncList(old.props.Instances, props.Instances, (i) => call(rc, 'RegisterInstancesWithLoadBalancer', { LoadBalancerName: name, Instances: instances(i) }), (i) => call(rc, 'DeregisterInstancesFromLoadBalancer', { LoadBalancerName: name, Instances: instances(i) }));
    }
    if (has('Tags')) {
      const after = tagsOf(props.Tags);
      const removed = tagsOf(old.props.Tags).filter((t) => !after.some((a) => a.Key === t.Key));
      if (removed.length) call(rc, 'RemoveTags', { LoadBalancerNames: [name], Tags: removed.map((t) => ({ Key: t.Key })) });
      if (after.length) call(rc, 'AddTags', { LoadBalancerNames: [name], Tags: after });
    }
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteLoadBalancer', { LoadBalancerName: s.physicalId })),
  getAtt(s, name, rc) {
    const lb = lbOf(rc, s.physicalId);
    return attribute(
      {
        DNSName: () => lb.dnsName,
        // Internal load balancers don't use it; AWS's documentation points them to DNSName, which it equals.
        CanonicalHostedZoneName: () => lb.dnsName,
        CanonicalHostedZoneNameID: () => lb.canonicalHostedZoneId,
        'SourceSecurityGroup.GroupName': () => lb.classic?.sourceSecurityGroup?.GroupName,
        'SourceSecurityGroup.OwnerAlias': () => lb.classic?.sourceSecurityGroup?.OwnerAlias,
      },
      name,
      s,
    );
  },
};

export const classicResources: ResourceHandler[] = [classicLoadBalancer];
