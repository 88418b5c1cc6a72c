/**
 * A bucket's configurations, kept on its record and returned as S3 returns them: lifecycle
 * rules, versioning, default encryption, Block Public Access and Object Ownership.
 *
 * Simplifications: lifecycle rules are not run (objects never expire on the clock); versioning
 * is a setting only (an object has one version, and PutObject gives no VersionId); default
 * encryption is reported, not applied (objects are stored as they come, and say SSE-S3).
 */
import type { RequestContext } from '../service.ts';
import { bucketFor } from './access.ts';
import { s3Errors } from './errors.ts';
import { checkLifecycle } from './lifecycle.ts';
import { mutableBucket } from './permissions.provider.ts';
import { checkOwnershipChange, isObjectOwnership } from './public-access.ts';
import { BUCKETS, BUCKET_SCOPE, type BucketRecord, type PublicAccessBlock } from './state.ts';

interface BucketInput {
  Bucket: string;
  ExpectedBucketOwner?: string;
}

type Obj = Record<string, unknown>;

const SSE_ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);
/** What GetBucketEncryption answers for a bucket without its own rules: SSE-S3, S3's default since January 2023. */
const DEFAULT_ENCRYPTION = [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }];

/** Checks that the caller may do `action` to the bucket, then applies `change` (which checks the input) to its record. */
function update(ctx: RequestContext, input: BucketInput, action: string, change: (rec: BucketRecord) => void): Record<string, never> {
  bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, action);
  const rec = mutableBucket(ctx, input.Bucket);
  change(rec);
  ctx.env.store.put<BucketRecord>(BUCKETS, BUCKET_SCOPE, input.Bucket, rec);
  return {};
}

function checkEncryption(rules: Obj[] | undefined): Obj[] {
  if (rules?.length !== 1) throw s3Errors.malformedXml();
  const byDefault = rules[0].ApplyServerSideEncryptionByDefault as Obj | undefined;
  if (byDefault === undefined) return rules;
  const algorithm = String(byDefault.SSEAlgorithm);
  if (!SSE_ALGORITHMS.has(algorithm)) throw s3Errors.malformedXml();
  if (byDefault.KMSMasterKeyID !== undefined && algorithm === 'AES256')
    throw s3Errors.invalidArgument('a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', 'ApplyServerSideEncryptionByDefault', String(byDefault.KMSMasterKeyID));
  return rules;
}

export const configurationHandlers = {
  PutBucketLifecycleConfiguration(input: BucketInput & { LifecycleConfiguration?: { Rules?: Obj[] }; TransitionDefaultMinimumObjectSize?: string }, ctx: RequestContext) {
    let size = '';
    update(ctx, input, 's3:PutLifecycleConfiguration', (rec) => {
      rec.lifecycle = checkLifecycle(input.LifecycleConfiguration?.Rules, input.TransitionDefaultMinimumObjectSize);
      size = rec.lifecycle.TransitionDefaultMinimumObjectSize;
    });
    return { TransitionDefaultMinimumObjectSize: size };
  },

  GetBucketLifecycleConfiguration(input: BucketInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:GetLifecycleConfiguration');
    if (!bucket.lifecycle) throw s3Errors.noSuchLifecycleConfiguration(input.Bucket);
    return bucket.lifecycle;
  },

  DeleteBucketLifecycle: (input: BucketInput, ctx: RequestContext) => update(ctx, input, 's3:PutLifecycleConfiguration', (rec) => delete rec.lifecycle),

  PutBucketVersioning(input: BucketInput & { VersioningConfiguration: { Status?: string; MFADelete?: string } }, ctx: RequestContext) {
    const { Status: status, MFADelete: mfaDelete } = input.VersioningConfiguration;
    return update(ctx, input, 's3:PutBucketVersioning', (rec) => {
      if (status !== 'Enabled' && status !== 'Suspended') throw s3Errors.malformedXml();
      if (mfaDelete !== undefined && mfaDelete !== 'Enabled' && mfaDelete !== 'Disabled') throw s3Errors.malformedXml();
      // MFA delete needs the root user's MFA device on every request, which faultline has no notion of.
      if (mfaDelete === 'Enabled') throw s3Errors.notImplemented("faultline's S3 does not serve MFA delete.");
      rec.versioning = status;
    });
  },

  GetBucketVersioning(input: BucketInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:GetBucketVersioning');
    // A bucket never versioned answers with no status at all.
    return { Status: bucket.versioning };
  },

  PutBucketEncryption(input: BucketInput & { ServerSideEncryptionConfiguration: { Rules?: Obj[] } }, ctx: RequestContext) {
    return update(ctx, input, 's3:PutEncryptionConfiguration', (rec) => (rec.encryption = checkEncryption(input.ServerSideEncryptionConfiguration.Rules)));
  },

  GetBucketEncryption(input: BucketInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:GetEncryptionConfiguration');
    return { ServerSideEncryptionConfiguration: { Rules: bucket.encryption ?? DEFAULT_ENCRYPTION } };
  },

  // Since 2023 a bucket is always encrypted: deleting its rules puts SSE-S3 back.
  DeleteBucketEncryption: (input: BucketInput, ctx: RequestContext) => update(ctx, input, 's3:PutEncryptionConfiguration', (rec) => delete rec.encryption),

  PutPublicAccessBlock(input: BucketInput & { PublicAccessBlockConfiguration: Partial<PublicAccessBlock> }, ctx: RequestContext) {
    const c = input.PublicAccessBlockConfiguration;
    const block: PublicAccessBlock = {
      BlockPublicAcls: c.BlockPublicAcls === true,
      IgnorePublicAcls: c.IgnorePublicAcls === true,
      BlockPublicPolicy: c.BlockPublicPolicy === true,
      RestrictPublicBuckets: c.RestrictPublicBuckets === true,
    };
    return update(ctx, input, 's3:PutBucketPublicAccessBlock', (rec) => (rec.publicAccessBlock = block));
  },

  GetPublicAccessBlock(input: BucketInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:GetBucketPublicAccessBlock');
    if (!bucket.publicAccessBlock) throw s3Errors.noSuchPublicAccessBlock(input.Bucket);
    return { PublicAccessBlockConfiguration: bucket.publicAccessBlock };
  },

  DeletePublicAccessBlock: (input: BucketInput, ctx: RequestContext) => update(ctx, input, 's3:PutBucketPublicAccessBlock', (rec) => delete rec.publicAccessBlock),

  PutBucketOwnershipControls(input: BucketInput & { OwnershipControls: { Rules?: { ObjectOwnership?: string }[] } }, ctx: RequestContext) {
    const rules = input.OwnershipControls.Rules;
    const ownership = rules?.length === 1 ? rules[0].ObjectOwnership : undefined;
    return update(ctx, input, 's3:PutBucketOwnershipControls', (rec) => {
      if (!isObjectOwnership(ownership)) throw s3Errors.malformedXml();
      checkOwnershipChange(rec, ownership);
      rec.ownership = ownership;
    });
  },

  GetBucketOwnershipControls(input: BucketInput, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:GetBucketOwnershipControls');
    if (!bucket.ownership) throw s3Errors.ownershipControlsNotFound(input.Bucket);
    return { OwnershipControls: { Rules: [{ ObjectOwnership: bucket.ownership }] } };
  },

  DeleteBucketOwnershipControls: (input: BucketInput, ctx: RequestContext) => update(ctx, input, 's3:PutBucketOwnershipControls', (rec) => delete rec.ownership),
};
