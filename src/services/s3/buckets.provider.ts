/**
 * Buckets: ListBuckets, CreateBucket, DeleteBucket, HeadBucket and GetBucketLocation. Anonymous
 * callers own no buckets. A new bucket has ACLs off and blocks public access, as S3's have since
 * April 2023, unless CreateBucket asks for another Object Ownership.
 */
import { models } from '../../models/index.ts';
import type { RequestContext } from '../service.ts';
import { bucketFor } from './access.ts';
import { s3Errors } from './errors.ts';
import { checkBucketName } from './names.ts';
import { cannedAcl, type AclInput } from './permissions.provider.ts';
import { NEW_BUCKET_BLOCK, NEW_BUCKET_OWNERSHIP, checkNewBucketAcl, isObjectOwnership } from './public-access.ts';
import { BUCKETS, BUCKET_SCOPE, OBJECTS, canonicalId, objectScope, type BucketRecord } from './state.ts';

const token = (name: string) => Buffer.from(name, 'utf8').toString('base64url');

function untoken(t: string): string {
  const name = Buffer.from(t, 'base64url').toString('utf8');
  if (!name || token(name) !== t) throw s3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', t);
  return name;
}

interface BucketInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
}

export const bucketHandlers = {
  ListBuckets(input: { MaxBuckets?: number; ContinuationToken?: string; Prefix?: string; BucketRegion?: string }, ctx: RequestContext) {
    if (ctx.principal.anonymous) throw s3Errors.accessDenied();
    const max = input.MaxBuckets ?? 10000;
    if (max < 1 || max > 10000) throw s3Errors.invalidArgument('Argument max-buckets must be an integer between 1 and 10000.', 'max-buckets', String(max));
    const after = input.ContinuationToken ? untoken(input.ContinuationToken) : '';
    const mine = [...ctx.env.store.list<BucketRecord>(BUCKETS, BUCKET_SCOPE)]
      .filter((b) => b.owner === ctx.account && b.Name > after)
      .filter((b) => !input.Prefix || b.Name.startsWith(input.Prefix))
      .filter((b) => !input.BucketRegion || b.region === input.BucketRegion)
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const page = mine.slice(0, max);
    return {
      Buckets: page.map((b) => ({ Name: b.Name, CreationDate: b.CreationDate, BucketRegion: b.region })),
      Owner: { ID: canonicalId(ctx.account) },
      ContinuationToken: mine.length > max ? token(page[page.length - 1].Name) : undefined,
      Prefix: input.Prefix,
    };
  },

  CreateBucket(input: BucketInput & AclInput & { CreateBucketConfiguration?: { LocationConstraint?: string }; ObjectOwnership?: string }, ctx: RequestContext) {
    if (ctx.principal.anonymous) throw s3Errors.accessDenied();
    const name = input.Bucket;
    checkBucketName(name);
    const acl = cannedAcl(input, 'BucketCannedACL');
    const ownership = input.ObjectOwnership ?? NEW_BUCKET_OWNERSHIP;
    if (!isObjectOwnership(ownership)) throw s3Errors.invalidArgument('Invalid x-amz-object-ownership header', 'x-amz-object-ownership', ownership);
    if (acl !== undefined) checkNewBucketAcl(acl, ownership);
    const constraint = input.CreateBucketConfiguration?.LocationConstraint || undefined;
    // us-east-1 is the one region a bucket is created in without a constraint, and it must not name itself.
    if (constraint === 'us-east-1') throw s3Errors.invalidLocationConstraint(constraint);
    if (constraint !== undefined && !models.s3.shapes.BucketLocationConstraint.enum?.includes(constraint)) throw s3Errors.invalidLocationConstraint(constraint);
    const wanted = constraint === 'EU' ? 'eu-west-1' : (constraint ?? 'us-east-1');
    if (wanted !== ctx.region) throw s3Errors.illegalLocationConstraint(constraint);
    const existing = ctx.env.store.get<BucketRecord>(BUCKETS, BUCKET_SCOPE, name);
    if (existing) {
      if (existing.owner !== ctx.account) throw s3Errors.bucketAlreadyExists(name);
      // For legacy compatibility, S3 in us-east-1 answers 200 when you re-create a bucket you own there.
      if (!(existing.region === 'us-east-1' && ctx.region === 'us-east-1')) throw s3Errors.bucketAlreadyOwnedByYou(name);
      return { Location: `/${name}` };
    }
    ctx.env.store.put<BucketRecord>(BUCKETS, BUCKET_SCOPE, name, {
      Name: name,
      owner: ctx.account,
      region: ctx.region,
      LocationConstraint: constraint,
      CreationDate: ctx.env.clock.date().toISOString(),
      ...(acl ? { acl } : {}),
      ownership,
      publicAccessBlock: { ...NEW_BUCKET_BLOCK },
    });
    return { Location: ctx.region === 'us-east-1' ? `/${name}` : `http://${name}.s3.amazonaws.com/` };
  },

  DeleteBucket(input: BucketInput, ctx: RequestContext) {
    bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:DeleteBucket');
    if (ctx.env.store.count(OBJECTS, objectScope(input.Bucket)) > 0) throw s3Errors.bucketNotEmpty(input.Bucket);
    ctx.env.store.delete(BUCKETS, BUCKET_SCOPE, input.Bucket);
    return {};
  },

  HeadBucket(input: BucketInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:ListBucket');
    return { BucketRegion: bucket.region, AccessPointAlias: false };
  },

  GetBucketLocation(input: BucketInput, ctx: RequestContext) {
    return { LocationConstraint: bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:GetBucketLocation').LocationConstraint };
  },
};
