/** Scaling policy ARNs: `arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:<id>:autoScalingGroupName/<asg>:policyName/<name>`. */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { childKey, COLL, type PolicyRecord } from './state.ts';

export const ARN_PATTERN = /^arn:aws[a-z-]*:autoscaling:([a-z0-9-]+):(\d{12}):scalingPolicy:([^:]+):autoScalingGroupName\/(.+):policyName\/(.+)$/;

/** The policy an ARN names in `scope`, if it exists (the id must match too: a re-created policy is another one). */
export function policyByArn(env: Env, scope: Scope, arn: string): DeepReadonly<PolicyRecord> | undefined {
  const m = ARN_PATTERN.exec(arn);
  if (!m || m[1] !== scope.region || m[2] !== scope.account) return undefined;
  const p = env.store.get<PolicyRecord>(COLL.policies, scope, childKey(m[4], m[5]));
  return p && p.PolicyARN === arn ? p : undefined;
}
