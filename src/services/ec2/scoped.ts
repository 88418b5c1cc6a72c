/**
 * What the compute and storage providers and their loops share: loop keys that carry the scope,
 * a request-like context for loops, clock-time formatting, and id checks.
 */
import { AwsError } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';

/** `${account}/${region}/${id}`: every loop key names its scope and its resource. */
export const loopKey = (scope: Scope, id: string) => `${scope.account}/${scope.region}/${id}`;

export function parseLoopKey(key: string): { scope: Scope; id: string } {
  const [account, region, id] = key.split('/');
  return { scope: { account, region }, id };
}

/** The context a loop acts in for its scope, for helpers written against request contexts. */
export const loopContext = (env: Env, scope: Scope): RequestContext => ({
  ...scope,
  env,
  requestId: 'loop',
  principal: { account: scope.account, arn: `arn:aws:iam::${scope.account}:root`, userId: scope.account, accessKeyId: '' },
});

export const iso = (ms: number) => new Date(ms).toISOString();

/** AWS's `User initiated (2024-01-01 12:00:00 GMT)` timestamps in state transition reasons. */
export const gmt = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} GMT`;

/** EC2 resource ids: the prefix and 8 or 17 hex digits. */
export function checkId(kind: string, prefix: string, id: string): void {
  if (!new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`).test(id)) {
    throw new AwsError(`Invalid${kind}.Malformed`, `Invalid id: "${id}" (expecting "${prefix}-...")`);
  }
}

/** `The X ID 'a' does not exist` or, for several, `The X IDs 'a, b' do not exist`. */
export const idsNotFound = (code: string, what: string) => (ids: string) =>
  ids.includes(', ')
    ? new AwsError(`${code}.NotFound`, `The ${what} IDs '${ids}' do not exist`)
    : new AwsError(`${code}.NotFound`, `The ${what} ID '${ids}' does not exist`);

/** Resource types a Create call's TagSpecifications may name. */
export function checkTagTypes(specs: { ResourceType?: string }[] | undefined, allowed: string[]): void {
  for (const s of specs ?? []) {
    if (!s.ResourceType || !allowed.includes(s.ResourceType)) {
      throw new AwsError('InvalidParameterValue', `'${s.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`);
    }
  }
}
