/**
 * ELBv2's ARNs and the "full names" that CloudWatch dimensions and CloudFormation use:
 *  - `arn:aws:elasticloadbalancing:REGION:ACCT:loadbalancer/app|net/NAME/ID`
 *  - `…:targetgroup/NAME/ID`
 *  - `…:listener/app|net/NAME/LBID/ID`
 *  - `…:listener-rule/app|net/NAME/LBID/LID/ID`
 * Each ID is 16 hex digits.
 */
import { randomBytes } from 'node:crypto';
import type { Scope } from '../../core/store.ts';

const hexId = (): string => randomBytes(8).toString('hex');
const prefix = (scope: Scope): string => `arn:aws:elasticloadbalancing:${scope.region}:${scope.account}:`;

export const loadBalancerArn = (scope: Scope, type: 'application' | 'network', name: string): string =>
  `${prefix(scope)}loadbalancer/${type === 'network' ? 'net' : 'app'}/${name}/${hexId()}`;

export const targetGroupArn = (scope: Scope, name: string): string => `${prefix(scope)}targetgroup/${name}/${hexId()}`;

/** A listener's ARN: its load balancer's, with `listener` for `loadbalancer` and an id of its own. */
export const listenerArn = (lbArn: string): string => `${lbArn.replace(':loadbalancer/', ':listener/')}/${hexId()}`;

export const ruleArn = (listenerArn: string): string => `${listenerArn.replace(':listener/', ':listener-rule/')}/${hexId()}`;

/** What an ARN names, from its resource part; undefined for anything not ELBv2's. */
export function arnKind(arn: string): 'loadbalancer' | 'targetgroup' | 'listener' | 'listener-rule' | undefined {
  const m = /^arn:aws:elasticloadbalancing:[^:]*:\d*:(loadbalancer|targetgroup|listener|listener-rule)\//.exec(arn);
  return m?.[1] as ReturnType<typeof arnKind>;
}

/** `app/NAME/ID` or `net/NAME/ID`: the `LoadBalancer` dimension and CloudFormation's LoadBalancerFullName. */
export const loadBalancerFullName = (arn: string): string => arn.slice(arn.indexOf(':loadbalancer/') + ':loadbalancer/'.length);

/** `targetgroup/NAME/ID`: the `TargetGroup` dimension and CloudFormation's TargetGroupFullName. */
export const targetGroupFullName = (arn: string): string => arn.slice(arn.indexOf(':targetgroup/') + 1);
