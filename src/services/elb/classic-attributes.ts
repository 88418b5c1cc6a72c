/**
 * A Classic load balancer's attributes (connection draining, idle timeout, cross-zone, access
 * log), tags, the predefined policies and policy types AWS lists, and the account's limits.
 * Connection draining is also the implicit group's deregistration delay, which the health loop
 * and data plane read.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { classicGroup, elbErrors, findClassic, LIMITS, mutableClassic, saveClassic } from './classic-errors.ts';
import { COLL, CROSS_ZONE, type ClassicSettings, type LoadBalancerRecord, type Tag } from './state.ts';

/** The one additional attribute AWS offers, with its values and default. */
const DESYNC = 'elb.http.desyncmitigationmode';
const DESYNC_MODES = ['monitor', 'defensive', 'strictest'];

/** Tags after adding `add` to `existing` (same key replaces); duplicate keys in one request and the quota refused. */
export function checkTags(name: string, existing: readonly DeepReadonly<Tag>[], add: readonly Tag[]): Tag[] {
  const seen = new Set<string>();
  for (const t of add) {
    if (seen.has(t.Key)) throw elbErrors.duplicateTagKeys(t.Key);
    seen.add(t.Key);
  }
  const out = new Map(existing.map((t) => [t.Key, { ...t }]));
  for (const t of add) out.set(t.Key, { Key: t.Key, Value: t.Value ?? '' });
  if (out.size > LIMITS.tags) throw elbErrors.tooManyTags(name);
  return [...out.values()];
}

interface Attributes {
  CrossZoneLoadBalancing?: { Enabled: boolean };
  AccessLog?: NonNullable<ClassicSettings['accessLog']>;
  ConnectionDraining?: { Enabled: boolean; Timeout?: number };
  ConnectionSettings?: { IdleTimeout: number };
  AdditionalAttributes?: { Key?: string; Value?: string }[];
}

function attributesOf(lb: DeepReadonly<LoadBalancerRecord>) {
  const c = lb.classic!;
  return {
    CrossZoneLoadBalancing: { Enabled: lb.attributes[CROSS_ZONE] === 'true' },
    AccessLog: c.accessLog ?? { Enabled: false },
    ConnectionDraining: c.connectionDraining,
    ConnectionSettings: { IdleTimeout: c.idleTimeout },
    AdditionalAttributes: [{ Key: DESYNC, Value: lb.attributes[DESYNC] ?? 'defensive' }],
  };
}

const sslPolicy = (name: string, protocols: string[], ciphers: string[]) => ({
  PolicyName: name,
  PolicyTypeName: 'SSLNegotiationPolicyType',
  PolicyAttributeDescriptions: [
    ...['Protocol-TLSv1', 'Protocol-TLSv1.1', 'Protocol-TLSv1.2'].map((p) => ({ AttributeName: p, AttributeValue: String(protocols.includes(p)) })),
    { AttributeName: 'Server-Defined-Cipher-Order', AttributeValue: 'true' },
    ...ciphers.map((c) => ({ AttributeName: c, AttributeValue: 'true' })),
  ],
});

const MODERN = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384'];
const LEGACY = [...MODERN, 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'AES128-SHA', 'AES256-SHA'];

/** The predefined security policies (CLB/elb-security-policy-table.html), enough for clients that list them. */
const PREDEFINED_POLICIES = [
  sslPolicy('ELBSecurityPolicy-2016-08', ['Protocol-TLSv1', 'Protocol-TLSv1.1', 'Protocol-TLSv1.2'], LEGACY),
  sslPolicy('ELBSecurityPolicy-TLS-1-1-2017-01', ['Protocol-TLSv1.1', 'Protocol-TLSv1.2'], LEGACY),
  sslPolicy('ELBSecurityPolicy-TLS-1-2-2017-01', ['Protocol-TLSv1.2'], MODERN),
  sslPolicy('ELBSecurityPolicy-2015-05', ['Protocol-TLSv1', 'Protocol-TLSv1.1', 'Protocol-TLSv1.2'], LEGACY),
];

const attr = (AttributeName: string, AttributeType: string, Cardinality: string, Description: string, DefaultValue?: string) => ({ AttributeName, AttributeType, Cardinality, Description, DefaultValue });

const POLICY_TYPES = [
  { PolicyTypeName: 'SSLNegotiationPolicyType', Description: 'Listener policy that defines the ciphers and protocols that will be accepted by the load balancer.', PolicyAttributeTypeDescriptions: [attr('Reference-Security-Policy', 'String', 'ZERO_OR_ONE', 'The name of a predefined security policy to use.'), attr('Server-Defined-Cipher-Order', 'Boolean', 'ZERO_OR_ONE', 'Use the server order of ciphers.', 'false')] },
  { PolicyTypeName: 'ProxyProtocolPolicyType', Description: 'Policy that controls whether to include the IP address and port of the originating request for TCP messages.', PolicyAttributeTypeDescriptions: [attr('ProxyProtocol', 'Boolean', 'ONE', 'Enable proxy protocol.')] },
  { PolicyTypeName: 'AppCookieStickinessPolicyType', Description: 'Stickiness policy with session lifetimes controlled by the lifetime of the application-generated cookie.', PolicyAttributeTypeDescriptions: [attr('CookieName', 'String', 'ONE', 'Name of the application cookie used for stickiness.')] },
  { PolicyTypeName: 'LBCookieStickinessPolicyType', Description: 'Stickiness policy with session lifetimes controlled by the browser (user-agent) or a specified expiration period.', PolicyAttributeTypeDescriptions: [attr('CookieExpirationPeriod', 'Long', 'ZERO_OR_ONE', 'Amount of time, in seconds, after which the cookie is considered stale.')] },
  { PolicyTypeName: 'PublicKeyPolicyType', Description: 'Policy containing a list of public keys to accept when authenticating the back-end server(s).', PolicyAttributeTypeDescriptions: [attr('PublicKey', 'String', 'ONE', 'A public key in PEM format.')] },
  { PolicyTypeName: 'BackendServerAuthenticationPolicyType', Description: 'Policy that controls authentication to back-end server(s).', PolicyAttributeTypeDescriptions: [attr('PublicKeyPolicyName', 'PolicyName', 'ONE_OR_MORE', 'The names of PublicKeyPolicyType policies to accept.')] },
];

/** Picks entries by name, all of them when no names are given; an unknown name fails. */
function pick<T>(all: readonly T[], names: readonly string[] | undefined, nameOf: (t: T) => string, missing: (n: string) => Error): T[] {
  if (!names?.length) return [...all];
  return names.map((n) => {
    const found = all.find((t) => nameOf(t) === n);
    if (!found) throw missing(n);
    return found;
  });
}

export const classicAttributeHandlers = {
  DescribeLoadBalancerAttributes(input: { LoadBalancerName: string }, ctx: RequestContext) {
    return { LoadBalancerAttributes: attributesOf(findClassic(ctx, input.LoadBalancerName)) };
  },

  ModifyLoadBalancerAttributes(input: { LoadBalancerName: string; LoadBalancerAttributes: Attributes }, ctx: RequestContext) {
    const lb = mutableClassic(ctx, input.LoadBalancerName);
    const c = lb.classic!;
    const a = input.LoadBalancerAttributes;
    if (a.ConnectionDraining) {
      const timeout = a.ConnectionDraining.Timeout ?? c.connectionDraining.Timeout;
      if (timeout < 1 || timeout > 3600) throw elbErrors.validation(`ConnectionDraining Timeout ${timeout} is out of range: use 1 to 3600 seconds.`);
      c.connectionDraining = { Enabled: a.ConnectionDraining.Enabled, Timeout: timeout };
    }
    if (a.AccessLog) {
      const { Enabled, S3BucketName, EmitInterval, S3BucketPrefix } = a.AccessLog;
      if (Enabled && !S3BucketName) throw elbErrors.validation('AccessLog needs an S3BucketName when it is enabled.');
      if (EmitInterval !== undefined && EmitInterval !== 5 && EmitInterval !== 60) throw elbErrors.validation(`AccessLog EmitInterval ${EmitInterval} is not valid: use 5 or 60 minutes.`);
      c.accessLog = { Enabled, S3BucketName, EmitInterval: Enabled ? EmitInterval ?? 60 : EmitInterval, S3BucketPrefix };
    }
    for (const { Key, Value } of a.AdditionalAttributes ?? []) {
      if (Key !== DESYNC) throw elbErrors.attributeNotFound(`The load balancer attribute '${Key}' does not exist: the only additional attribute is ${DESYNC}.`);
      if (!DESYNC_MODES.includes(Value ?? '')) throw elbErrors.validation(`${DESYNC} must be one of ${DESYNC_MODES.join(', ')}.`);
      lb.attributes[DESYNC] = Value!;
    }
    if (a.ConnectionSettings) c.idleTimeout = a.ConnectionSettings.IdleTimeout;
    if (a.CrossZoneLoadBalancing) lb.attributes[CROSS_ZONE] = String(a.CrossZoneLoadBalancing.Enabled);
    if (a.ConnectionDraining) {
      const group = classicGroup(ctx, lb.name);
      group.deregistrationDelay = c.connectionDraining.Enabled ? c.connectionDraining.Timeout : 0;
      ctx.env.store.put(COLL.targetGroups, ctx, group.key, group);
    }
    saveClassic(ctx, lb);
    return { LoadBalancerName: lb.name, LoadBalancerAttributes: attributesOf(lb) };
  },

  AddTags(input: { LoadBalancerNames: string[]; Tags: Tag[] }, ctx: RequestContext) {
    const changed = input.LoadBalancerNames.map((n) => {
      const lb = mutableClassic(ctx, n);
      lb.tags = checkTags(n, lb.tags, input.Tags);
      return lb;
    });
    for (const lb of changed) saveClassic(ctx, lb);
    return {};
  },

  RemoveTags(input: { LoadBalancerNames: string[]; Tags: { Key?: string }[] }, ctx: RequestContext) {
    const keys = new Set(input.Tags.map((t) => t.Key));
    const changed = input.LoadBalancerNames.map((n) => mutableClassic(ctx, n));
    for (const lb of changed) {
      lb.tags = lb.tags.filter((t) => !keys.has(t.Key));
      saveClassic(ctx, lb);
    }
    return {};
  },

  DescribeTags(input: { LoadBalancerNames: string[] }, ctx: RequestContext) {
    return { TagDescriptions: input.LoadBalancerNames.map((n) => ({ LoadBalancerName: n, Tags: findClassic(ctx, n).tags })) };
  },

  DescribeLoadBalancerPolicies(input: { LoadBalancerName?: string; PolicyNames?: string[] }, ctx: RequestContext) {
    // faultline has no CreateLoadBalancerPolicy: a load balancer's own policies are none, the predefined ones are AWS's.
    const all = input.LoadBalancerName !== undefined ? (findClassic(ctx, input.LoadBalancerName), []) : PREDEFINED_POLICIES;
    return { PolicyDescriptions: pick(all, input.PolicyNames, (p) => p.PolicyName, elbErrors.policyNotFound) };
  },

  DescribeLoadBalancerPolicyTypes(input: { PolicyTypeNames?: string[] }) {
    return { PolicyTypeDescriptions: pick(POLICY_TYPES, input.PolicyTypeNames, (t) => t.PolicyTypeName, elbErrors.policyTypeNotFound) };
  },

  DescribeAccountLimits() {
    return {
      Limits: [
        { Name: 'classic-load-balancers', Max: String(LIMITS.loadBalancers) },
        { Name: 'classic-listeners', Max: String(LIMITS.listeners) },
        { Name: 'classic-registered-instances', Max: String(LIMITS.instances) },
      ],
    };
  },
};
