/**
 * Finding a bucket for a request, and who may use it. A bucket belongs to one account: signed
 * requests from another account are denied, as AWS does without a bucket policy. Unsigned
 * requests are allowed, so that a plain HTTP GET (curl, an instance's user data) can fetch an
 * object; faultline has no bucket policies to make an object public.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { s3Errors } from './errors.ts';
import { BUCKETS, BUCKET_SCOPE, type BucketRecord } from './state.ts';

export function bucketFor(ctx: RequestContext, name: string, expectedOwner?: string): DeepReadonly<BucketRecord> {
  const bucket = ctx.env.store.get<BucketRecord>(BUCKETS, BUCKET_SCOPE, name);
  if (!bucket) throw s3Errors.noSuchBucket(name);
  const signed = ctx.principal.accessKeyId !== '';
  if ((signed && bucket.owner !== ctx.account) || (expectedOwner !== undefined && expectedOwner !== bucket.owner)) throw s3Errors.accessDenied();
  return bucket;
}
