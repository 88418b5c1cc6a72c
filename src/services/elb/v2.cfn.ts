/**
 * CloudFormation resource handlers for ELBv2: load balancers (complete once `active`, as
 * CloudFormation waits for them), target groups with their attributes and targets, listeners and
 * listener rules. Each acts through ELBv2's own operation handlers. Ref is the ARN; GetAtt as in
 * spec elb.md §6.
 */
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry, tagsOf, type Tag } from '../../cloudformation/handler-kit.ts';
import { DONE, wait, type Props, type ResourceContext, type ResourceHandler, type ResourceState } from '../../cloudformation/resource-handler.ts';
import { AwsError } from '../../core/errors.ts';
import { loadBalancerFullName, targetGroupFullName } from './arns.ts';
import { elbv2 } from './index.ts';
import { COLL, loadBalancersOfGroup, type LoadBalancerRecord } from './state.ts';
import { lbState } from './v2-views.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(elbv2, op, input, rc.request);

type KeyValue = { Key: string; Value: string };
const keyValues = (v: unknown): KeyValue[] => (Array.isArray(v) ? (v as KeyValue[]).map((a) => ({ Key: String(a.Key), Value: String(a.Value) })) : []);

/** The attributes whose value a template sets anew (removed ones keep their value, as CloudFormation leaves them). */
const changedAttributes = (before: unknown, after: unknown): KeyValue[] => {
  const old = new Map(keyValues(before).map((a) => [a.Key, a.Value]));
  return keyValues(after).filter((a) => old.get(a.Key) !== a.Value);
};

/** Moves a resource's tags from the old template's to the new one's. */
function retag(rc: ResourceContext, arn: string, before: unknown, after: unknown): void {
  const next = tagsOf(after);
  const removed = tagsOf(before).filter((t) => !next.some((n) => n.Key === t.Key));
  if (removed.length) call(rc, 'RemoveTags', { ResourceArns: [arn], TagKeys: removed.map((t) => t.Key) });
  if (next.length) call(rc, 'AddTags', { ResourceArns: [arn], Tags: next });
}

const tagsOrNone = (v: unknown): Tag[] | undefined => (tagsOf(v).length ? tagsOf(v) : undefined);

/** Deletes through `fn`; the resource's own NotFound means it is gone already. */
function deleteGone(s: ResourceState, rc: ResourceContext, codes: string[], fn: () => void) {
  return deleteWithRetry(s, rc.env.clock.now(), () => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof AwsError && codes.includes(e.code))) throw e;
    }
  });
}

const lbRecord = (rc: ResourceContext, arn: string) => rc.env.store.get<LoadBalancerRecord>(COLL.loadBalancers, rc.request, arn);

const loadBalancer: ResourceHandler = {
  type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
  create(props, rc) {
    const lb = call(rc, 'CreateLoadBalancer', {
      Name: props.Name ?? rc.physicalName({ maxLength: 32 }),
      Type: props.Type,
      Scheme: props.Scheme,
      Subnets: props.Subnets,
      SubnetMappings: props.SubnetMappings,
      SecurityGroups: props.SecurityGroups,
      IpAddressType: props.IpAddressType,
      Tags: tagsOrNone(props.Tags),
    }).LoadBalancers[0];
    const attributes = keyValues(props.LoadBalancerAttributes);
    if (attributes.length) call(rc, 'ModifyLoadBalancerAttributes', { LoadBalancerArn: lb.LoadBalancerArn, Attributes: attributes });
    return { physicalId: lb.LoadBalancerArn };
  },
  stabilize(s, rc) {
    const lb = lbRecord(rc, s.physicalId);
    if (!lb) throw new AwsError('NotStabilized', `Load balancer ${s.physicalId} no longer exists`);
    const now = rc.env.clock.now();
    return lbState(lb, now) === 'active' ? DONE : wait(Math.max(1000, lb.activeAt - now));
  },
  update(props, old, changed, rc) {
    const arn = old.physicalId;
    if (changed.includes('Subnets') || changed.includes('SubnetMappings')) call(rc, 'SetSubnets', { LoadBalancerArn: arn, Subnets: props.Subnets, SubnetMappings: props.SubnetMappings });
    if (changed.includes('SecurityGroups')) call(rc, 'SetSecurityGroups', { LoadBalancerArn: arn, SecurityGroups: props.SecurityGroups ?? [] });
    if (changed.includes('IpAddressType')) call(rc, 'SetIpAddressType', { LoadBalancerArn: arn, IpAddressType: props.IpAddressType ?? 'ipv4' });
    const attributes = changedAttributes(old.props.LoadBalancerAttributes, props.LoadBalancerAttributes);
    if (attributes.length) call(rc, 'ModifyLoadBalancerAttributes', { LoadBalancerArn: arn, Attributes: attributes });
    if (changed.includes('Tags')) retag(rc, arn, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleteGone(s, rc, ['LoadBalancerNotFound'], () => call(rc, 'DeleteLoadBalancer', { LoadBalancerArn: s.physicalId })),
  getAtt(s, name, rc) {
    const lb = lbRecord(rc, s.physicalId);
    if (!lb) throw new AwsError('ValidationError', `Load balancer ${s.physicalId} no longer exists`);
    return attribute<typeof lb>(
      {
        CanonicalHostedZoneID: (l) => l.canonicalHostedZoneId,
        DNSName: (l) => l.dnsName,
        LoadBalancerArn: (l) => l.arn,
        LoadBalancerFullName: (l) => loadBalancerFullName(l.arn!),
        LoadBalancerName: (l) => l.name,
        SecurityGroups: (l) => [...l.securityGroups],
      },
      name,
      lb,
    );
  },
};

const HEALTH_PROPS = ['HealthCheckEnabled', 'HealthCheckIntervalSeconds', 'HealthCheckPath', 'HealthCheckPort', 'HealthCheckProtocol', 'HealthCheckTimeoutSeconds', 'HealthyThresholdCount', 'UnhealthyThresholdCount'];

const health = (props: Props) => ({
  ...Object.fromEntries(HEALTH_PROPS.map((p) => [p, props[p]])),
  Matcher: props.Matcher ? { HttpCode: (props.Matcher as { HttpCode?: string }).HttpCode } : undefined,
});

type TargetProp = { Id: string; Port?: number; AvailabilityZone?: string };
const targetsOf = (v: unknown): TargetProp[] => (Array.isArray(v) ? (v as TargetProp[]).map((t) => ({ Id: String(t.Id), Port: t.Port === undefined ? undefined : Number(t.Port), AvailabilityZone: t.AvailabilityZone })) : []);
const sameTarget = (a: TargetProp, b: TargetProp) => a.Id === b.Id && a.Port === b.Port;

const targetGroup: ResourceHandler = {
  type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
  create(props, rc) {
    const tg = call(rc, 'CreateTargetGroup', {
      Name: props.Name ?? rc.physicalName({ maxLength: 32 }),
      Protocol: props.Protocol,
      ProtocolVersion: props.ProtocolVersion,
      Port: props.Port,
      VpcId: props.VpcId,
      TargetType: props.TargetType,
      IpAddressType: props.IpAddressType,
      ...health(props),
      Tags: tagsOrNone(props.Tags),
    }).TargetGroups[0];
    const arn = tg.TargetGroupArn;
    const attributes = keyValues(props.TargetGroupAttributes);
    if (attributes.length) call(rc, 'ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: attributes });
    const targets = targetsOf(props.Targets);
    if (targets.length) call(rc, 'RegisterTargets', { TargetGroupArn: arn, Targets: targets });
    return { physicalId: arn };
  },
  update(props, old, changed, rc) {
    const arn = old.physicalId;
    if (changed.some((c) => HEALTH_PROPS.includes(c) || c === 'Matcher')) call(rc, 'ModifyTargetGroup', { TargetGroupArn: arn, ...health(props) });
    const attributes = changedAttributes(old.props.TargetGroupAttributes, props.TargetGroupAttributes);
    if (attributes.length) call(rc, 'ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: attributes });
    if (changed.includes('Targets')) {
      const before = targetsOf(old.props.Targets);
      const after = targetsOf(props.Targets);
      const gone = before.filter((t) => !after.some((a) => sameTarget(a, t)));
      const added = after.filter((t) => !before.some((b) => sameTarget(b, t)));
      if (gone.length) call(rc, 'DeregisterTargets', { TargetGroupArn: arn, Targets: gone });
      if (added.length) call(rc, 'RegisterTargets', { TargetGroupArn: arn, Targets: added });
    }
    if (changed.includes('Tags')) retag(rc, arn, old.props.Tags, props.Tags);
  },
  // A listener being deleted with the stack may still use the group: deleteWithRetry waits on ResourceInUse.
  delete: (s, rc) => deleteGone(s, rc, ['TargetGroupNotFound'], () => call(rc, 'DeleteTargetGroup', { TargetGroupArn: s.physicalId })),
  getAtt(s, name, rc) {
    return attribute<string>(
      {
        LoadBalancerArns: (arn) => loadBalancersOfGroup(rc.env.store, rc.request, arn),
        TargetGroupArn: (arn) => arn,
        TargetGroupFullName: (arn) => targetGroupFullName(arn),
        TargetGroupName: (arn) => targetGroupFullName(arn).split('/')[1],
      },
      name,
      s.physicalId,
    );
  },
};

const listener: ResourceHandler = {
  type: 'AWS::ElasticLoadBalancingV2::Listener',
  create(props, rc) {
    const l = call(rc, 'CreateListener', {
      LoadBalancerArn: props.LoadBalancerArn,
      Protocol: props.Protocol,
      Port: props.Port,
      SslPolicy: props.SslPolicy,
      Certificates: props.Certificates,
      AlpnPolicy: props.AlpnPolicy,
      DefaultActions: props.DefaultActions,
      Tags: tagsOrNone(props.Tags),
    }).Listeners[0];
    const attributes = keyValues(props.ListenerAttributes);
    if (attributes.length) call(rc, 'ModifyListenerAttributes', { ListenerArn: l.ListenerArn, Attributes: attributes });
    return { physicalId: l.ListenerArn };
  },
  update(props, old, changed, rc) {
    const arn = old.physicalId;
    call(rc, 'ModifyListener', { ListenerArn: arn, Protocol: props.Protocol, Port: props.Port, SslPolicy: props.SslPolicy, Certificates: props.Certificates, AlpnPolicy: props.AlpnPolicy, DefaultActions: props.DefaultActions });
    const attributes = changedAttributes(old.props.ListenerAttributes, props.ListenerAttributes);
    if (attributes.length) call(rc, 'ModifyListenerAttributes', { ListenerArn: arn, Attributes: attributes });
    if (changed.includes('Tags')) retag(rc, arn, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleteGone(s, rc, ['ListenerNotFound'], () => call(rc, 'DeleteListener', { ListenerArn: s.physicalId })),
  getAtt: (s, name) => attribute<string>({ ListenerArn: (arn) => arn }, name, s.physicalId),
};

const listenerRule: ResourceHandler = {
  type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
  create(props, rc) {
    if (props.ListenerArn === undefined) throw new AwsError('ValidationError', 'ListenerArn is required');
    const rule = call(rc, 'CreateRule', { ListenerArn: props.ListenerArn, Priority: props.Priority, Conditions: props.Conditions, Actions: props.Actions, Tags: tagsOrNone(props.Tags) }).Rules[0];
    return { physicalId: rule.RuleArn };
  },
  update(props, old, changed, rc) {
    const arn = old.physicalId;
    if (changed.includes('Priority')) call(rc, 'SetRulePriorities', { RulePriorities: [{ RuleArn: arn, Priority: props.Priority }] });
    if (changed.includes('Conditions') || changed.includes('Actions')) call(rc, 'ModifyRule', { RuleArn: arn, Conditions: props.Conditions, Actions: props.Actions });
    if (changed.includes('Tags')) retag(rc, arn, old.props.Tags, props.Tags);
  },
  delete: (s, rc) => deleteGone(s, rc, ['RuleNotFound', 'ListenerNotFound'], () => call(rc, 'DeleteRule', { RuleArn: s.physicalId })),
  getAtt: (s, name) => attribute<string>({ IsDefault: () => false, RuleArn: (arn) => arn }, name, s.physicalId),
};

export const elbv2Resources: ResourceHandler[] = [loadBalancer, targetGroup, listener, listenerRule];
