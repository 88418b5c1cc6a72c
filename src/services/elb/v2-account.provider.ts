/** ELBv2's account-wide answers: DescribeAccountLimits and DescribeSSLPolicies. */
import { pageOf } from '../../core/paging.ts';
import type { RequestContext } from '../service.ts';
import { v2Errors } from './v2-errors.ts';
import { MAX_LISTENERS, MAX_RULES } from './v2-listeners.provider.ts';
import { MAX_LOAD_BALANCERS } from './v2-load-balancers.provider.ts';
import { MAX_TARGET_GROUPS, MAX_TARGETS_PER_GROUP } from './v2-target-groups.provider.ts';

/** The quotas faultline enforces or AWS lists, by AWS's names (spec elb.md §2). */
const LIMITS: [string, number][] = [
  ['application-load-balancers', MAX_LOAD_BALANCERS],
  ['network-load-balancers', MAX_LOAD_BALANCERS],
  ['target-groups', MAX_TARGET_GROUPS],
  ['targets-per-application-load-balancer', MAX_TARGETS_PER_GROUP],
  ['targets-per-network-load-balancer', 3000],
  ['targets-per-availability-zone-per-network-load-balancer', 500],
  ['listeners-per-application-load-balancer', MAX_LISTENERS],
  ['listeners-per-network-load-balancer', MAX_LISTENERS],
  ['rules-per-application-load-balancer', MAX_RULES],
  ['target-groups-per-action-on-application-load-balancer', 5],
  ['target-groups-per-action-on-network-load-balancer', 1],
  ['target-groups-per-application-load-balancer', 100],
  ['condition-values-per-alb-rule', 5],
  ['condition-wildcards-per-alb-rule', 5],
];

const TLS12_CIPHERS = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA384', 'AES128-GCM-SHA256', 'AES128-SHA256', 'AES256-GCM-SHA384', 'AES256-SHA256'];
const LEGACY_CIPHERS = ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'ECDHE-ECDSA-AES256-SHA', 'AES128-SHA', 'AES256-SHA'];
const TLS13_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

const policy = (name: string, protocols: string[], ciphers: string[]) => ({
  Name: name,
  SslProtocols: protocols,
  Ciphers: ciphers.map((Name, i) => ({ Name, Priority: i + 1 })),
  SupportedLoadBalancerTypes: ['application', 'network'],
});

/** The common predefined policies (HTTPS and TLS listeners name one; the default is ELBSecurityPolicy-2016-08). */
export const SSL_POLICIES = [
  policy('ELBSecurityPolicy-2016-08', ['TLSv1', 'TLSv1.1', 'TLSv1.2'], [...TLS12_CIPHERS.slice(0, 4), ...LEGACY_CIPHERS.slice(0, 2), ...TLS12_CIPHERS.slice(4), ...LEGACY_CIPHERS.slice(2)]),
  policy('ELBSecurityPolicy-TLS-1-1-2017-01', ['TLSv1.1', 'TLSv1.2'], [...TLS12_CIPHERS, ...LEGACY_CIPHERS]),
  policy('ELBSecurityPolicy-TLS-1-2-2017-01', ['TLSv1.2'], TLS12_CIPHERS),
  policy('ELBSecurityPolicy-TLS-1-2-Ext-2018-06', ['TLSv1.2'], [...TLS12_CIPHERS, ...LEGACY_CIPHERS]),
  policy('ELBSecurityPolicy-FS-1-2-Res-2020-10', ['TLSv1.2'], TLS12_CIPHERS.filter((c) => c.startsWith('ECDHE') && c.includes('GCM'))),
  policy('ELBSecurityPolicy-TLS13-1-2-2021-06', ['TLSv1.2', 'TLSv1.3'], [...TLS13_CIPHERS, ...TLS12_CIPHERS]),
  policy('ELBSecurityPolicy-TLS13-1-2-Res-2021-06', ['TLSv1.2', 'TLSv1.3'], [...TLS13_CIPHERS, ...TLS12_CIPHERS.filter((c) => c.startsWith('ECDHE') && c.includes('GCM'))]),
  policy('ELBSecurityPolicy-TLS13-1-3-2021-06', ['TLSv1.3'], TLS13_CIPHERS),
];

export const accountHandlers = {
  DescribeAccountLimits(input: { Marker?: string; PageSize?: number }, _ctx: RequestContext) {
    const { items, next: NextMarker } = pageOf(LIMITS.map(([Name, Max]) => ({ Name, Max: String(Max) })), input.Marker, input.PageSize ?? 400, v2Errors.invalidMarker);
    return { Limits: items, NextMarker };
  },

  DescribeSSLPolicies(input: { Names?: string[]; LoadBalancerType?: string; Marker?: string; PageSize?: number }, _ctx: RequestContext) {
    let policies = SSL_POLICIES;
    if (input.Names?.length) {
      const missing = input.Names.filter((n) => !SSL_POLICIES.some((p) => p.Name === n));
      if (missing.length) throw v2Errors.sslPolicyNotFound(`SSL policies '${missing.join(', ')}' not found`);
      policies = SSL_POLICIES.filter((p) => input.Names!.includes(p.Name));
    }
    if (input.LoadBalancerType === 'gateway') policies = [];
    const { items, next: NextMarker } = pageOf(policies, input.Marker, input.PageSize ?? 400, v2Errors.invalidMarker);
    return { SslPolicies: items, NextMarker };
  },
};
