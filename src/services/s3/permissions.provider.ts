/**
 * Bucket policies (PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy) and canned ACLs
 * (PutBucketAcl, PutObjectAcl, and `x-amz-acl` on CreateBucket and PutObject). What they allow
 * is decided in access.ts.
 *
 * A bucket's Object Ownership and Block Public Access settings decide which ACLs and policies
 * it takes (public-access.ts).
 *
 * Simplification: ACLs are canned ones only; explicit grants (x-amz-grant-* headers or an
 * AccessControlPolicy document) are refused with NotImplemented, and GetBucketAcl/GetObjectAcl
 * are not served.
 */
import { models } from '../../models/index.ts';
import type { RequestContext } from '../service.ts';
import { bucketFor, checkObjectAccess, findBucket } from './access.ts';
import { checkBucketPolicy } from './bucket-policy.ts';
import { s3Errors } from './errors.ts';
import { checkAclAllowed, isPublicPolicy } from './public-access.ts';
import { BUCKETS, BUCKET_SCOPE, OBJECTS, objectScope, type BucketRecord, type CannedAcl, type ObjectRecord } from './state.ts';

interface BucketInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
}

export interface AclInput {
  ACL?: string;
  AccessControlPolicy?: unknown;
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWrite?: string;
  GrantWriteACP?: string;
}

/** The canned ACL a request sets, if any; `kind` names the model's list of those it takes. */
export function cannedAcl(input: AclInput, kind: 'BucketCannedACL' | 'ObjectCannedACL'): CannedAcl | undefined {
  const grants = [input.GrantFullControl, input.GrantRead, input.GrantReadACP, input.GrantWrite, input.GrantWriteACP].some((g) => g !== undefined);
  if (grants || input.AccessControlPolicy !== undefined) throw s3Errors.notImplemented('faultline\'s S3 takes canned ACLs (x-amz-acl) only, not explicit grants.');
  if (input.ACL === undefined) return undefined;
  if (!models.s3.shapes[kind].enum?.includes(input.ACL)) throw s3Errors.invalidArgument(`The canned ACL ${input.ACL} is not valid here.`, 'x-amz-acl', input.ACL);
  return input.ACL as CannedAcl;
}

/** The bucket's record, to change in this transaction. */
export function mutableBucket(ctx: RequestContext, name: string): BucketRecord {
  return ctx.env.store.mutable<BucketRecord>(BUCKETS, BUCKET_SCOPE, name)!;
}

export const permissionHandlers = {
  PutBucketPolicy(input: BucketInput & { Policy: string }, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:PutBucketPolicy');
    checkBucketPolicy(input.Policy, input.Bucket);
    if (bucket.publicAccessBlock?.BlockPublicPolicy && isPublicPolicy(input.Policy)) throw s3Errors.publicPolicyBlocked(ctx.principal.arn, input.Bucket);
    const rec = mutableBucket(ctx, input.Bucket);
    rec.policy = input.Policy;
    ctx.env.store.put<BucketRecord>(BUCKETS, BUCKET_SCOPE, input.Bucket, rec);
    return {};
  },

  GetBucketPolicy(input: BucketInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:GetBucketPolicy');
    if (bucket.policy === undefined) throw s3Errors.noSuchBucketPolicy(input.Bucket);
    return { Policy: bucket.policy };
  },

  DeleteBucketPolicy(input: BucketInput, ctx: RequestContext) {
    bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:DeleteBucketPolicy');
    const rec = mutableBucket(ctx, input.Bucket);
    delete rec.policy;
    ctx.env.store.put<BucketRecord>(BUCKETS, BUCKET_SCOPE, input.Bucket, rec);
    return {};
  },

  PutBucketAcl(input: BucketInput & AclInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:PutBucketAcl');
    const acl = cannedAcl(input, 'BucketCannedACL');
    if (acl === undefined) throw s3Errors.missingSecurityHeader('x-amz-acl');
    checkAclAllowed(bucket, acl, 'bucket');
    const rec = mutableBucket(ctx, input.Bucket);
    rec.acl = acl;
    ctx.env.store.put<BucketRecord>(BUCKETS, BUCKET_SCOPE, input.Bucket, rec);
    return {};
  },

  PutObjectAcl(input: BucketInput & AclInput & { Key: string }, ctx: RequestContext) {
    const bucket = findBucket(ctx, input.Bucket, input.ExpectedBucketOwner);
    checkObjectAccess(ctx, bucket, 's3:PutObjectAcl', input.Key);
    const acl = cannedAcl(input, 'ObjectCannedACL');
    if (acl === undefined) throw s3Errors.missingSecurityHeader('x-amz-acl');
    checkAclAllowed(bucket, acl, 'object');
    const scope = objectScope(input.Bucket);
    const rec = ctx.env.store.mutable<ObjectRecord>(OBJECTS, scope, input.Key);
    if (!rec) throw s3Errors.noSuchKey(input.Key);
    rec.acl = acl;
    ctx.env.store.put<ObjectRecord>(OBJECTS, scope, input.Key, rec);
    return {};
  },
};
