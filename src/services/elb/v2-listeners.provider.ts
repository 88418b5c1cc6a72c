/**
 * ELBv2 listeners and rules: CreateListener, ModifyListener, DeleteListener, DescribeListeners,
 * listener attributes and certificates; CreateRule, ModifyRule, DeleteRule, DescribeRules and
 * SetRulePriorities. A listener's default actions live on its default rule (priority `default`,
 * no conditions, never deleted or moved), so the routing and the health loop read one kind of
 * record. Certificates are stored, not checked: faultline has no ACM.
 */
import { pageOf } from '../../core/paging.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { parseCidr4, parseCidr6 } from '../ec2/cidr.ts';
import { listenerArn, ruleArn } from './arns.ts';
import { COLL, loadBalancersOfGroup, type ActionRecord, type ConditionRecord, type ListenerRecord, type LoadBalancerRecord, type RuleRecord, type Tag } from './state.ts';
import { v2Errors } from './v2-errors.ts';
import { SSL_POLICIES } from './v2-account.provider.ts';
import { checkNewTags } from './v2-tags.provider.ts';
import { defaultRuleOf, findListener, findLoadBalancer, findRule, findTargetGroup, lbType, listenerView, listenersOf, ruleView, rulesOf } from './v2-views.ts';

type Read<T> = DeepReadonly<T>;
type Protocol = ListenerRecord['protocol'];

/** Per load balancer (spec elb.md §2). */
export const MAX_LISTENERS = 50;
export const MAX_RULES = 100;
const MAX_GROUPS_PER_ACTION = 5;
const MAX_CONDITION_VALUES = 5;
const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-2016-08';

const LISTENER_PROTOCOLS: Record<'application' | 'network', Protocol[]> = { application: ['HTTP', 'HTTPS'], network: ['TCP', 'TLS', 'UDP', 'TCP_UDP'] };

/** The target group protocols each listener protocol can forward to. */
const GROUP_PROTOCOLS: Record<Protocol, string[]> = {
  HTTP: ['HTTP', 'HTTPS'],
  HTTPS: ['HTTP', 'HTTPS'],
  TCP: ['TCP', 'TCP_UDP'],
  TLS: ['TCP', 'TLS'],
  UDP: ['UDP', 'TCP_UDP'],
  TCP_UDP: ['TCP_UDP'],
};

type ActionInput = ActionRecord & { AuthenticateOidcConfig?: unknown; AuthenticateCognitoConfig?: unknown; JwtValidationConfig?: unknown };

interface Target {
  lb: Read<LoadBalancerRecord>;
  protocol: Protocol;
  port: number;
}

/** A forward action's groups: each known, in the load balancer's VPC, of a matching protocol, and used by no other load balancer. */
function checkForwardGroups(ctx: RequestContext, at: Target, arns: readonly string[]): void {
  for (const arn of arns) {
    const tg = findTargetGroup(ctx, arn);
    if (tg.vpcId !== at.lb.vpcId) throw v2Errors.invalidConfiguration(`The target group '${arn}' is in VPC '${tg.vpcId}', not in the load balancer's VPC '${at.lb.vpcId}'`);
    if (!GROUP_PROTOCOLS[at.protocol].includes(tg.protocol ?? '')) {
      throw v2Errors.incompatibleProtocols(`The target group '${arn}' uses the protocol '${tg.protocol}', which is incompatible with the listener protocol '${at.protocol}'`);
    }
    const others = loadBalancersOfGroup(ctx.env.store, ctx, tg.key).filter((k) => k !== at.lb.key);
    if (others.length) throw v2Errors.associationLimit(`The following target groups cannot be associated with more than one load balancer: ${arn}`);
  }
}

function forwardAction(ctx: RequestContext, at: Target, a: ActionInput): ActionRecord {
  const config = a.ForwardConfig;
  const tuples = config?.TargetGroups ?? [];
  if (!a.TargetGroupArn && !tuples.length) throw v2Errors.validation('A forward action must specify a target group');
  if (a.TargetGroupArn && tuples.length && !(tuples.length === 1 && tuples[0].TargetGroupArn === a.TargetGroupArn)) {
    throw v2Errors.validation('You cannot specify both a target group ARN and a forward config with other target groups');
  }
  if (tuples.length > MAX_GROUPS_PER_ACTION) throw v2Errors.tooMany('TargetGroups', `A forward action can have at most ${MAX_GROUPS_PER_ACTION} target groups`);
  const groups = tuples.length ? tuples.map((t) => ({ TargetGroupArn: t.TargetGroupArn, Weight: t.Weight ?? 1 })) : [{ TargetGroupArn: a.TargetGroupArn!, Weight: 1 }];
  if (new Set(groups.map((g) => g.TargetGroupArn)).size < groups.length) throw v2Errors.validation('A target group can appear only once in a forward action');
  for (const g of groups) if (g.Weight < 0 || g.Weight > 999) throw v2Errors.validation(`Target group weight '${g.Weight}' must be from 0 to 999`);
  const sticky = config?.TargetGroupStickinessConfig;
  if (sticky?.DurationSeconds !== undefined && (sticky.DurationSeconds < 1 || sticky.DurationSeconds > 604_800)) throw v2Errors.validation('Stickiness duration must be from 1 to 604800 seconds');
  if (sticky?.Enabled && sticky.DurationSeconds === undefined) throw v2Errors.validation('A stickiness duration must be specified when target group stickiness is enabled');
  checkForwardGroups(ctx, at, groups.map((g) => g.TargetGroupArn));
  // As AWS answers: a single group shows both ways, several only in ForwardConfig.
  return {
    Type: 'forward',
    ...(groups.length === 1 ? { TargetGroupArn: groups[0].TargetGroupArn } : {}),
    ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: { Enabled: sticky?.Enabled ?? false, ...(sticky?.Enabled ? { DurationSeconds: sticky.DurationSeconds } : {}) } },
  };
}

const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

function fixedResponseAction(a: ActionInput): ActionRecord {
  const c = a.FixedResponseConfig;
  if (!c) throw v2Errors.validation('A fixed-response action must have a fixed-response config');
  if (!/^[245]\d\d$/.test(c.StatusCode)) throw v2Errors.validation(`Fixed-response status code '${c.StatusCode}' must be 2XX, 4XX or 5XX`);
  if (c.ContentType !== undefined && !CONTENT_TYPES.includes(c.ContentType)) throw v2Errors.validation(`Content type '${c.ContentType}' must be one of ${CONTENT_TYPES.join(', ')}`);
  return { Type: 'fixed-response', FixedResponseConfig: { StatusCode: c.StatusCode, ...(c.ContentType !== undefined ? { ContentType: c.ContentType } : {}), ...(c.MessageBody !== undefined ? { MessageBody: c.MessageBody } : {}) } };
}

function redirectAction(at: Target, a: ActionInput): ActionRecord {
  const c = a.RedirectConfig;
  if (!c) throw v2Errors.validation('A redirect action must have a redirect config');
  // Parts left out keep their value (spec elb.md §2); AWS answers them as the #{…} keywords.
  const r = { Protocol: c.Protocol ?? '#{protocol}', Port: c.Port ?? '#{port}', Host: c.Host ?? '#{host}', Path: c.Path ?? '/#{path}', Query: c.Query ?? '#{query}', StatusCode: c.StatusCode };
  if (r.StatusCode !== 'HTTP_301' && r.StatusCode !== 'HTTP_302') throw v2Errors.validation(`Redirect status code '${r.StatusCode}' must be HTTP_301 or HTTP_302`);
  if (!/^(HTTPS?|#\{protocol\})$/.test(r.Protocol)) throw v2Errors.validation(`Redirect protocol '${r.Protocol}' must be HTTP, HTTPS or #{protocol}`);
  if (r.Port !== '#{port}' && !(/^\d+$/.test(r.Port) && Number(r.Port) >= 1 && Number(r.Port) <= 65535)) throw v2Errors.validation(`Redirect port '${r.Port}' must be from 1 to 65535, or #{port}`);
  if (!r.Path.startsWith('/')) throw v2Errors.validation(`Redirect path '${r.Path}' must start with '/'`);
  if (at.protocol === 'HTTPS' && r.Protocol === 'HTTP') throw v2Errors.invalidAction('A redirect from HTTPS to HTTP is not allowed');
  const protocol = r.Protocol === '#{protocol}' ? at.protocol : r.Protocol;
  const port = r.Port === '#{port}' ? String(at.port) : r.Port;
  if (protocol === at.protocol && port === String(at.port) && r.Host === '#{host}' && r.Path === '/#{path}') {
    throw v2Errors.invalidAction('The redirect must change the protocol, port, host or path, or it would redirect to itself');
  }
  return { Type: 'redirect', RedirectConfig: r };
}

/** A rule's or listener's actions: exactly one final forward, redirect or fixed-response; only forward on an NLB. */
function checkActions(ctx: RequestContext, at: Target, actions: readonly ActionInput[]): ActionRecord[] {
  if (!actions.length) throw v2Errors.validation('At least one action must be specified');
  if (actions.length > 1 && actions.some((a) => a.Order === undefined)) throw v2Errors.validation('An order must be specified for each action when there is more than one');
  if (new Set(actions.map((a) => a.Order)).size < actions.length) throw v2Errors.validation('Each action must have a different order');
  const network = lbType(at.lb) === 'network';
  const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  return sorted.map((a, i) => {
    if (a.Type.startsWith('authenticate-') || a.Type === ('jwt-validation' as string)) throw v2Errors.invalidAction(`faultline does not support '${a.Type}' actions`);
    if (i < sorted.length - 1) throw v2Errors.invalidAction('There can be only one final action (forward, redirect or fixed-response), and it must come last');
    if (network && a.Type !== 'forward') throw v2Errors.invalidAction(`A Network Load Balancer listener supports only forward actions, not '${a.Type}'`);
    const out = a.Type === 'forward' ? forwardAction(ctx, at, a) : a.Type === 'redirect' ? redirectAction(at, a) : fixedResponseAction(a);
    return a.Order !== undefined ? { ...out, Order: a.Order } : out;
  });
}

const SINGLE_FIELDS = ['host-header', 'path-pattern', 'http-request-method', 'source-ip'];
const FIELDS = [...SINGLE_FIELDS, 'http-header', 'query-string'];

/** One condition, in the shape AWS answers (host-header and path-pattern show their values both ways). */
function checkCondition(c: ConditionRecord): { condition: ConditionRecord; values: string[] } {
  const field = c.Field;
  if (!FIELDS.includes(field)) throw v2Errors.validation(`Condition field '${field}' must be one of ${FIELDS.join(', ')}`);
  const configs = { 'host-header': c.HostHeaderConfig, 'path-pattern': c.PathPatternConfig, 'http-header': c.HttpHeaderConfig, 'query-string': c.QueryStringConfig, 'http-request-method': c.HttpRequestMethodConfig, 'source-ip': c.SourceIpConfig };
  const given = Object.entries(configs).filter(([, v]) => v !== undefined);
  if (given.some(([k]) => k !== field)) throw v2Errors.validation(`A '${field}' condition can only have the config of its own field`);
  if (c.Values?.length && given.length) throw v2Errors.validation(`A '${field}' condition cannot have both Values and a config`);
  if (c.Values?.length && field !== 'host-header' && field !== 'path-pattern') throw v2Errors.validation(`A '${field}' condition must use its config, not Values`);
  const tooLong = (v: string) => {
    if (v.length > 128) throw v2Errors.validation(`Condition value '${v.slice(0, 20)}…' cannot be longer than 128 characters`);
  };
  const need = <T>(vs: T[] | undefined): T[] => {
    if (!vs?.length) throw v2Errors.validation(`A '${field}' condition must have at least one value`);
    return vs;
  };
  switch (field) {
    case 'host-header':
    case 'path-pattern': {
      const values = need(c.Values?.length ? c.Values : (configs[field] as { Values?: string[] } | undefined)?.Values);
      values.forEach(tooLong);
      const config = field === 'host-header' ? { HostHeaderConfig: { Values: values } } : { PathPatternConfig: { Values: values } };
      return { condition: { Field: field, Values: values, ...config }, values };
    }
    case 'http-request-method': {
      const values = need(c.HttpRequestMethodConfig?.Values);
      for (const v of values) if (!/^[A-Z_-]{1,40}$/.test(v)) throw v2Errors.validation(`HTTP request method '${v}' must be upper-case letters, underscores and hyphens`);
      return { condition: { Field: field, HttpRequestMethodConfig: { Values: values } }, values };
    }
    case 'source-ip': {
      const values = need(c.SourceIpConfig?.Values);
      for (const v of values) if (!parseCidr4(v, false) && !parseCidr6(v, false)) throw v2Errors.validation(`Source IP '${v}' must be a CIDR block`);
      return { condition: { Field: field, SourceIpConfig: { Values: values } }, values };
    }
    case 'http-header': {
      const h = c.HttpHeaderConfig;
      if (!h?.HttpHeaderName) throw v2Errors.validation('An http-header condition must name the header');
      const values = need(h.Values);
      values.forEach(tooLong);
      return { condition: { Field: field, HttpHeaderConfig: { HttpHeaderName: h.HttpHeaderName, Values: values } }, values };
    }
    default: {
      const pairs = need(c.QueryStringConfig?.Values);
      for (const p of pairs) {
        if (p.Value === undefined || p.Value === '') throw v2Errors.validation('A query-string condition value must have a Value');
        tooLong(p.Value);
      }
      return { condition: { Field: field, QueryStringConfig: { Values: pairs.map((p) => ({ ...(p.Key !== undefined ? { Key: p.Key } : {}), Value: p.Value })) } }, values: pairs.map((p) => p.Value) };
    }
  }
}

function checkConditions(conditions: readonly ConditionRecord[]): ConditionRecord[] {
  if (!conditions.length) throw v2Errors.validation('A rule must have at least one condition');
  for (const f of SINGLE_FIELDS) if (conditions.filter((c) => c.Field === f).length > 1) throw v2Errors.validation(`A rule can only have one '${f}' condition`);
  const checked = conditions.map(checkCondition);
  if (checked.reduce((n, c) => n + c.values.length, 0) > MAX_CONDITION_VALUES) throw v2Errors.validation(`A rule can only have '${MAX_CONDITION_VALUES}' condition values`);
  return checked.map((c) => c.condition);
}

/** Listener settings: the protocol fits the load balancer, HTTPS and TLS have a certificate and a known policy. */
function checkListenerSettings(lb: Read<LoadBalancerRecord>, s: { protocol?: string; port?: number; certificates?: readonly { CertificateArn?: string }[]; sslPolicy?: string; alpnPolicy?: readonly string[] }): void {
  const type = lbType(lb);
  if (s.protocol === undefined) throw v2Errors.validation('A listener protocol must be specified');
  if (s.port === undefined) throw v2Errors.validation('A listener port must be specified');
  if (!LISTENER_PROTOCOLS[type].includes(s.protocol as Protocol)) throw v2Errors.unsupportedProtocol(`Protocol '${s.protocol}' is not supported for ${type === 'application' ? 'Application' : 'Network'} Load Balancers`);
  const secure = s.protocol === 'HTTPS' || s.protocol === 'TLS';
  if (secure && !s.certificates?.length) throw v2Errors.validation(`A certificate must be specified for ${s.protocol} listeners`);
  if (!secure && (s.certificates?.length || s.sslPolicy)) throw v2Errors.validation(`Certificates and SSL policies can only be specified for HTTPS and TLS listeners`);
  if (s.sslPolicy && !SSL_POLICIES.some((p) => p.Name === s.sslPolicy)) throw v2Errors.sslPolicyNotFound(`SSL policy '${s.sslPolicy}' not found`);
  if (s.alpnPolicy?.length && s.protocol !== 'TLS') throw v2Errors.validation('An ALPN policy can only be specified for TLS listeners');
  for (const p of s.alpnPolicy ?? []) if (!['HTTP1Only', 'HTTP2Only', 'HTTP2Optional', 'HTTP2Preferred', 'None'].includes(p)) throw v2Errors.validation(`ALPN policy '${p}' is not valid`);
}

/** Listener attributes as AWS lists them for the protocol. */
function defaultListenerAttributes(protocol: Protocol): Record<string, string> {
  if (protocol === 'TCP' || protocol === 'TCP_UDP') return { 'tcp.idle_timeout.seconds': '350' };
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') return {};
  return {
    'routing.http.response.server.enabled': 'true',
    'routing.http.response.strict_transport_security.header_value': '',
    'routing.http.response.access_control_allow_origin.header_value': '',
    'routing.http.response.access_control_allow_methods.header_value': '',
    'routing.http.response.access_control_allow_headers.header_value': '',
    'routing.http.response.access_control_allow_credentials.header_value': '',
    'routing.http.response.access_control_expose_headers.header_value': '',
    'routing.http.response.access_control_max_age.header_value': '',
    'routing.http.response.content_security_policy.header_value': '',
    'routing.http.response.x_content_type_options.header_value': '',
    'routing.http.response.x_frame_options.header_value': '',
  };
}

const byPriority = (a: Read<RuleRecord>, b: Read<RuleRecord>) => (a.priority === 'default' ? 1 : b.priority === 'default' ? -1 : a.priority - b.priority);

interface ListenerInput {
  LoadBalancerArn: string;
  Protocol?: Protocol;
  Port?: number;
  SslPolicy?: string;
  Certificates?: { CertificateArn?: string; IsDefault?: boolean }[];
  DefaultActions: ActionInput[];
  AlpnPolicy?: string[];
  Tags?: Tag[];
  MutualAuthentication?: { Mode?: string };
}

const certificatesOf = (certs: readonly { CertificateArn?: string }[] | undefined) => (certs ?? []).map((c) => ({ CertificateArn: c.CertificateArn ?? '' }));

export const listenerHandlers = {
  CreateListener(input: ListenerInput, ctx: RequestContext) {
    const { store } = ctx.env;
    const lb = findLoadBalancer(ctx, input.LoadBalancerArn);
    checkListenerSettings(lb, { protocol: input.Protocol, port: input.Port, certificates: input.Certificates, sslPolicy: input.SslPolicy, alpnPolicy: input.AlpnPolicy });
    if ((input.Certificates?.length ?? 0) > 1) throw v2Errors.tooMany('Certificates', 'A listener is created with one certificate; add more with AddListenerCertificates');
    if (input.MutualAuthentication?.Mode && input.MutualAuthentication.Mode !== 'off') throw v2Errors.invalidConfiguration('faultline does not support mutual TLS authentication');
    const protocol = input.Protocol!;
    const port = input.Port!;
    const actions = checkActions(ctx, { lb, protocol, port }, input.DefaultActions);
    const tags = checkNewTags(input.Tags ?? [], []);
    const secure = protocol === 'HTTPS' || protocol === 'TLS';
    const listeners = listenersOf(ctx, lb.key);
    const existing = listeners.find((l) => l.port === port);
    if (existing) {
      // Creating is idempotent: the same settings give back the listener there is.
      const same = existing.protocol === protocol && JSON.stringify(defaultRuleOf(ctx, existing.arn).actions) === JSON.stringify(actions);
      if (!same) throw v2Errors.duplicateListener();
      return { Listeners: [listenerView(existing, defaultRuleOf(ctx, existing.arn))] };
    }
    if (listeners.length >= MAX_LISTENERS) throw v2Errors.tooMany('Listeners', `A load balancer can have at most ${MAX_LISTENERS} listeners`);
    const arn = listenerArn(lb.key);
    const listener: ListenerRecord = {
      arn,
      lbKey: lb.key,
      port,
      protocol,
      ...(secure ? { sslPolicy: input.SslPolicy ?? DEFAULT_SSL_POLICY, certificates: certificatesOf(input.Certificates) } : {}),
      ...(input.AlpnPolicy?.length ? { alpnPolicy: input.AlpnPolicy } : {}),
      attributes: defaultListenerAttributes(protocol),
      tags,
    };
    const rule: RuleRecord = { arn: ruleArn(arn), listenerArn: arn, priority: 'default', conditions: [], actions, tags: [] };
    store.put(COLL.listeners, ctx, arn, listener);
    store.put(COLL.rules, ctx, rule.arn, rule);
    return { Listeners: [listenerView(listener, rule)] };
  },

  ModifyListener(input: Omit<ListenerInput, 'LoadBalancerArn' | 'DefaultActions'> & { ListenerArn: string; DefaultActions?: ActionInput[] }, ctx: RequestContext) {
    const { store } = ctx.env;
    const listener = structuredClone(findListener(ctx, input.ListenerArn)) as ListenerRecord;
    const lb = findLoadBalancer(ctx, listener.lbKey);
    const protocol = input.Protocol ?? listener.protocol;
    const port = input.Port ?? listener.port;
    const secure = protocol === 'HTTPS' || protocol === 'TLS';
    const certificates = input.Certificates?.length ? certificatesOf(input.Certificates) : secure ? listener.certificates : undefined;
    const sslPolicy = secure ? (input.SslPolicy ?? listener.sslPolicy ?? DEFAULT_SSL_POLICY) : input.SslPolicy;
    const alpnPolicy = input.AlpnPolicy ?? (protocol === 'TLS' ? listener.alpnPolicy : undefined);
    checkListenerSettings(lb, { protocol, port, certificates, sslPolicy, alpnPolicy });
    if (port !== listener.port && listenersOf(ctx, lb.key).some((l) => l.port === port)) throw v2Errors.duplicateListener();
    const rule = structuredClone(defaultRuleOf(ctx, listener.arn)) as RuleRecord;
    // A changed protocol or port must still suit the default actions (redirects, groups' protocols).
    rule.actions = checkActions(ctx, { lb, protocol, port }, input.DefaultActions ?? rule.actions);
    if (protocol !== listener.protocol) listener.attributes = defaultListenerAttributes(protocol);
    Object.assign(listener, { protocol, port, certificates: secure ? certificates : undefined, sslPolicy: secure ? sslPolicy : undefined, alpnPolicy: alpnPolicy?.length ? alpnPolicy : undefined });
    store.put(COLL.listeners, ctx, listener.arn, listener);
    store.put(COLL.rules, ctx, rule.arn, rule);
    return { Listeners: [listenerView(listener, rule)] };
  },

  DeleteListener(input: { ListenerArn: string }, ctx: RequestContext) {
    const listener = findListener(ctx, input.ListenerArn);
    for (const r of rulesOf(ctx, listener.arn)) ctx.env.store.delete(COLL.rules, ctx, r.arn);
    ctx.env.store.delete(COLL.listeners, ctx, listener.arn);
    return {};
  },

  DescribeListeners(input: { LoadBalancerArn?: string; ListenerArns?: string[]; Marker?: string; PageSize?: number }, ctx: RequestContext) {
    if (!input.LoadBalancerArn === !input.ListenerArns?.length) throw v2Errors.validation('You must specify either listener ARNs or a load balancer ARN');
    const listeners = input.LoadBalancerArn ? [...listenersOf(ctx, findLoadBalancer(ctx, input.LoadBalancerArn).key)].sort((a, b) => a.port - b.port) : input.ListenerArns!.map((arn) => findListener(ctx, arn));
    const { items, next: NextMarker } = pageOf(listeners, input.Marker, input.PageSize ?? 400, v2Errors.invalidMarker);
    return { Listeners: items.map((l) => listenerView(l, defaultRuleOf(ctx, l.arn))), NextMarker };
  },

  DescribeListenerCertificates(input: { ListenerArn: string; Marker?: string; PageSize?: number }, ctx: RequestContext) {
    const listener = findListener(ctx, input.ListenerArn);
    const certs = (listener.certificates ?? []).map((c, i) => ({ CertificateArn: c.CertificateArn, IsDefault: i === 0 }));
    const { items, next: NextMarker } = pageOf(certs, input.Marker, input.PageSize ?? 400, v2Errors.invalidMarker);
    return { Certificates: items, NextMarker };
  },

  DescribeListenerAttributes(input: { ListenerArn: string }, ctx: RequestContext) {
    const listener = findListener(ctx, input.ListenerArn);
    return { Attributes: Object.entries(listener.attributes).map(([Key, Value]) => ({ Key, Value })) };
  },

  ModifyListenerAttributes(input: { ListenerArn: string; Attributes: { Key?: string; Value?: string }[] }, ctx: RequestContext) {
    const listener = structuredClone(findListener(ctx, input.ListenerArn)) as ListenerRecord;
    for (const { Key: key = '', Value: value = '' } of input.Attributes) {
      if (!(key in listener.attributes)) throw v2Errors.validation(`Listener attribute key '${key}' is not recognized for ${listener.protocol} listeners`);
      const ok = key === 'tcp.idle_timeout.seconds' ? /^\d+$/.test(value) && Number(value) >= 60 && Number(value) <= 6000 : key.endsWith('.enabled') ? value === 'true' || value === 'false' : value.length <= 1024;
      if (!ok) throw v2Errors.validation(`Listener attribute value '${value}' is not valid for attribute key '${key}'`);
      listener.attributes[key] = value;
    }
    ctx.env.store.put(COLL.listeners, ctx, listener.arn, listener);
    return { Attributes: input.Attributes.map((a) => ({ Key: a.Key, Value: listener.attributes[a.Key!] })) };
  },

  CreateRule(input: { ListenerArn: string; Priority: number; Conditions: ConditionRecord[]; Actions: ActionInput[]; Tags?: Tag[]; Transforms?: unknown[] }, ctx: RequestContext) {
    const { store } = ctx.env;
    const listener = findListener(ctx, input.ListenerArn);
    const lb = findLoadBalancer(ctx, listener.lbKey);
    if (lbType(lb) === 'network') throw v2Errors.invalidConfiguration('Rules can only be added to the listeners of Application Load Balancers');
    if (input.Transforms?.length) throw v2Errors.invalidConfiguration('faultline does not support rule transforms');
    const conditions = checkConditions(input.Conditions);
    const actions = checkActions(ctx, { lb, protocol: listener.protocol, port: listener.port }, input.Actions);
    const tags = checkNewTags(input.Tags ?? [], []);
    const rules = rulesOf(ctx, listener.arn);
    if (rules.some((r) => r.priority === input.Priority)) throw v2Errors.priorityInUse(input.Priority);
    const count = listenersOf(ctx, lb.key).reduce((n, l) => n + rulesOf(ctx, l.arn).filter((r) => r.priority !== 'default').length, 0);
    if (count >= MAX_RULES) throw v2Errors.tooMany('Rules', `A load balancer can have at most ${MAX_RULES} rules`);
    const rule: RuleRecord = { arn: ruleArn(listener.arn), listenerArn: listener.arn, priority: input.Priority, conditions, actions, tags };
    store.put(COLL.rules, ctx, rule.arn, rule);
    return { Rules: [ruleView(rule)] };
  },

  ModifyRule(input: { RuleArn: string; Conditions?: ConditionRecord[]; Actions?: ActionInput[]; Transforms?: unknown[] }, ctx: RequestContext) {
    const rule = structuredClone(findRule(ctx, input.RuleArn)) as RuleRecord;
    const listener = findListener(ctx, rule.listenerArn);
    const lb = findLoadBalancer(ctx, listener.lbKey);
    if (input.Transforms?.length) throw v2Errors.invalidConfiguration('faultline does not support rule transforms');
    if (rule.priority === 'default' && input.Conditions?.length) throw v2Errors.operationNotPermitted('The conditions of a default rule cannot be modified');
    if (input.Conditions?.length) rule.conditions = checkConditions(input.Conditions);
    if (input.Actions?.length) rule.actions = checkActions(ctx, { lb, protocol: listener.protocol, port: listener.port }, input.Actions);
    ctx.env.store.put(COLL.rules, ctx, rule.arn, rule);
    return { Rules: [ruleView(rule)] };
  },

  DeleteRule(input: { RuleArn: string }, ctx: RequestContext) {
    const rule = findRule(ctx, input.RuleArn);
    if (rule.priority === 'default') throw v2Errors.operationNotPermitted(`Default rule '${rule.arn}' cannot be deleted`);
    ctx.env.store.delete(COLL.rules, ctx, rule.arn);
    return {};
  },

  DescribeRules(input: { ListenerArn?: string; RuleArns?: string[]; Marker?: string; PageSize?: number }, ctx: RequestContext) {
    if (!input.ListenerArn === !input.RuleArns?.length) throw v2Errors.validation('You must specify either rule ARNs or a listener ARN');
    const rules = input.ListenerArn ? [...rulesOf(ctx, findListener(ctx, input.ListenerArn).arn)].sort(byPriority) : input.RuleArns!.map((arn) => findRule(ctx, arn));
    const { items, next: NextMarker } = pageOf(rules, input.Marker, input.PageSize ?? 400, v2Errors.invalidMarker);
    return { Rules: items.map(ruleView), NextMarker };
  },

  SetRulePriorities(input: { RulePriorities: { RuleArn?: string; Priority?: number }[] }, ctx: RequestContext) {
    const changes = input.RulePriorities.map((p) => {
      const rule = structuredClone(findRule(ctx, p.RuleArn ?? '')) as RuleRecord;
      if (rule.priority === 'default') throw v2Errors.operationNotPermitted(`The priority of default rule '${rule.arn}' cannot be changed`);
      if (p.Priority === undefined) throw v2Errors.validation(`A priority must be specified for rule '${rule.arn}'`);
      rule.priority = p.Priority;
      return rule;
    });
    // The priorities after the change must be unique within each listener.
    for (const rule of changes) {
      const others = rulesOf(ctx, rule.listenerArn).filter((r) => !changes.some((c) => c.arn === r.arn));
      if (others.some((r) => r.priority === rule.priority) || changes.some((c) => c !== rule && c.listenerArn === rule.listenerArn && c.priority === rule.priority)) {
        throw v2Errors.priorityInUse(rule.priority as number);
      }
    }
    for (const rule of changes) ctx.env.store.put(COLL.rules, ctx, rule.arn, rule);
    return { Rules: changes.map(ruleView) };
  },
};
