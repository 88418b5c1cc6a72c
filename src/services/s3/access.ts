/**
 * Who may do what to a bucket and its objects. A bucket belongs to one account, whose signed
 * requests may do anything to it. Anyone else (another account's signed request, or an
 * anonymous one, without credentials) needs a grant: a bucket policy statement that allows the
 * action, or a canned ACL on the bucket or the object. The bucket policy itself is the owner
 * account's alone: another account that a policy allows to manage it gets MethodNotAllowed, as
 * in S3. An explicit Deny in the bucket policy refuses everyone, the owner included, except the
 * owner account's root managing the policy (AWS's root-user exception, so that a bad policy can
 * be undone). The bucket's Object Ownership and Block Public Access settings can take ACLs and
 * a public policy out of the picture (public-access.ts).
 *
 * Refusals are S3's AccessDenied; a bucket that does not exist is NoSuchBucket for everyone, as
 * in S3, where bucket names are global.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { evaluatePolicy, type Caller } from '../iam/resource-policy.ts';
import type { Env, Principal, RequestContext } from '../service.ts';
import { s3Errors } from './errors.ts';
import { aclCounts, policyReachesOutsiders } from './public-access.ts';
import { BUCKETS, BUCKET_SCOPE, OBJECTS, objectScope, type BucketRecord, type CannedAcl, type ObjectRecord } from './state.ts';

type Permission = 'READ' | 'WRITE';

/** What a canned ACL grants beyond the owner: to everyone, or to any signed request. */
const CANNED: Partial<Record<CannedAcl, { everyone?: Permission[]; signed?: Permission[] }>> = {
  'public-read': { everyone: ['READ'] },
  'public-read-write': { everyone: ['READ', 'WRITE'] },
  'authenticated-read': { signed: ['READ'] },
};

/** The ACL permission that covers an action: READ on a bucket lists it, WRITE adds and removes its objects, READ on an object reads it. */
const BUCKET_ACL: Record<string, Permission> = { 's3:ListBucket': 'READ', 's3:PutObject': 'WRITE', 's3:DeleteObject': 'WRITE' };
const OBJECT_ACL: Record<string, Permission> = { 's3:GetObject': 'READ' };

const POLICY_ACTIONS = new Set(['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']);

const callerOf = (p: Principal): Caller => (p.anonymous ? { kind: 'anonymous' } : { kind: 'aws', principal: p });

function aclGrants(acl: CannedAcl | undefined, p: Principal, permission: Permission | undefined): boolean {
  const grant = acl && CANNED[acl];
  if (!grant || !permission) return false;
  return !!grant.everyone?.includes(permission) || (!p.anonymous && !!grant.signed?.includes(permission));
}

/**
 * Whether `principal` may perform `action` on the bucket, or on the object `key` in it
 * (`object` is that object's record when it exists).
 */
export function mayAccess(
  bucket: DeepReadonly<BucketRecord>,
  principal: Principal,
  action: string,
  key?: string,
  object?: DeepReadonly<ObjectRecord>,
): boolean {
  const owner = !principal.anonymous && principal.account === bucket.owner;
  const resource = key === undefined ? `arn:aws:s3:::${bucket.Name}` : `arn:aws:s3:::${bucket.Name}/${key}`;
  const decision = evaluatePolicy(bucket.policy, { caller: callerOf(principal), action, resource });
  if (POLICY_ACTIONS.has(action)) return owner && (decision !== 'deny' || principal.arn.endsWith(':root'));
  if (decision === 'deny') return false;
  if (owner) return true;
  // Everyone else is outside the owner's account, where RestrictPublicBuckets stops a public policy's grants.
  if (decision === 'allow' && policyReachesOutsiders(bucket)) return true;
  const counts = (acl: CannedAcl | undefined) => aclCounts(bucket, acl);
  return (counts(bucket.acl) && aclGrants(bucket.acl, principal, BUCKET_ACL[action])) || (!!object && counts(object.acl) && aclGrants(object.acl, principal, OBJECT_ACL[action]));
}

/** The bucket a request names, refusing a caller who expects another owner. */
export function findBucket(ctx: RequestContext, name: string, expectedOwner: string | undefined): DeepReadonly<BucketRecord> {
  const bucket = ctx.env.store.get<BucketRecord>(BUCKETS, BUCKET_SCOPE, name);
  if (!bucket) throw s3Errors.noSuchBucket(name);
  if (expectedOwner !== undefined && expectedOwner !== bucket.owner) throw s3Errors.accessDenied();
  return bucket;
}

/** The bucket a request names, if the caller may perform `action` on the bucket itself. */
export function bucketFor(ctx: RequestContext, name: string, expectedOwner: string | undefined, action: string): DeepReadonly<BucketRecord> {
  const bucket = findBucket(ctx, name, expectedOwner);
  if (mayAccess(bucket, ctx.principal, action)) return bucket;
  const policyAllows = evaluatePolicy(bucket.policy, { caller: callerOf(ctx.principal), action, resource: `arn:aws:s3:::${bucket.Name}` }) === 'allow';
  if (POLICY_ACTIONS.has(action) && policyAllows) throw s3Errors.methodNotAllowed();
  throw s3Errors.accessDenied();
}

/**
 * The object a request reads, if the caller may: S3 answers NoSuchKey for a missing key only to
 * a caller who may list the bucket, and AccessDenied to others, so that a key's existence does
 * not leak.
 */
export function readableObject(env: Env, principal: Principal, bucket: DeepReadonly<BucketRecord>, key: string): DeepReadonly<ObjectRecord> {
  const rec = env.store.get<ObjectRecord>(OBJECTS, objectScope(bucket.Name), key);
  if (rec && mayAccess(bucket, principal, 's3:GetObject', key, rec)) return rec;
  if (!rec && mayAccess(bucket, principal, 's3:ListBucket')) throw s3Errors.noSuchKey(key);
  throw s3Errors.accessDenied();
}

/** Refuses a request that may not perform `action` on the object `key`. */
export function checkObjectAccess(ctx: RequestContext, bucket: DeepReadonly<BucketRecord>, action: string, key: string): void {
  if (!mayAccess(bucket, ctx.principal, action, key)) throw s3Errors.accessDenied();
}
