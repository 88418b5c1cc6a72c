/**
 * What S3 counts as public, and the two settings that limit it since April 2023, both on by
 * default for a new bucket: Object Ownership (BucketOwnerEnforced turns ACLs off) and Block
 * Public Access (BlockPublicAcls and BlockPublicPolicy refuse new public ACLs and policies;
 * IgnorePublicAcls and RestrictPublicBuckets stop existing ones from granting anything).
 *
 * A canned ACL is public when it grants to everyone or to any signed request. A bucket policy is
 * public when an Allow statement names a principal that is not fixed (`*`, `{"AWS": "*"}`, or
 * NotPrincipal) and no condition pins it to fixed values of a key that narrows who may ask
 * (source IP ranges, VPCs, accounts, ARNs, organizations), as S3 decides.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { asList, statementsOf } from '../iam/resource-policy.ts';
import { s3Errors } from './errors.ts';
import type { BucketRecord, CannedAcl, ObjectOwnership, PublicAccessBlock } from './state.ts';

/** What a bucket starts with, as S3 creates buckets since April 2023. */
export const NEW_BUCKET_OWNERSHIP: ObjectOwnership = 'BucketOwnerEnforced';
export const NEW_BUCKET_BLOCK: PublicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

const PUBLIC_ACLS: ReadonlySet<CannedAcl> = new Set(['public-read', 'public-read-write', 'authenticated-read']);

/** The ACLs a bucket with ACLs turned off still takes: those that give the bucket owner full control. */
const OWNER_ONLY = { bucket: new Set(['private']), object: new Set(['private', 'bucket-owner-full-control']) };

/** Condition keys whose fixed values make a statement for everyone non-public. */
const NARROWING_KEYS = new Set(
  [
    'aws:SourceIp', 'aws:SourceArn', 'aws:SourceVpc', 'aws:SourceVpce', 'aws:SourceOwner', 'aws:SourceAccount', 'aws:SourceOrgID',
    'aws:SourceOrgPaths', 'aws:userid', 'aws:PrincipalOrgID', 'aws:PrincipalOrgPaths', 'aws:PrincipalAccount', 'aws:PrincipalArn',
    's3:DataAccessPointArn', 's3:DataAccessPointAccount',
  ].map((k) => k.toLowerCase()),
);
const FIXING_OPERATORS = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike', 'IpAddress']);

export const isObjectOwnership = (v: unknown): v is ObjectOwnership => v === 'BucketOwnerEnforced' || v === 'BucketOwnerPreferred' || v === 'ObjectWriter';

const isPublicAcl = (acl: CannedAcl | undefined) => acl !== undefined && PUBLIC_ACLS.has(acl);

/** Whether a value pins a key: no wildcard, and for an IP range, not one wider than a /8. */
function fixedValue(operator: string, value: string): boolean {
  if (operator === 'IpAddress') return Number(value.split('/')[1] ?? 32) >= 8;
  return !/[*?]/.test(value);
}

function narrowed(condition: unknown): boolean {
  if (typeof condition !== 'object' || condition === null) return false;
  return Object.entries(condition as Record<string, unknown>).some(
    ([operator, block]) =>
      FIXING_OPERATORS.has(operator) &&
      typeof block === 'object' &&
      block !== null &&
      Object.entries(block as Record<string, unknown>).some(([key, values]) => {
        const list = asList(values);
        return NARROWING_KEYS.has(key.toLowerCase()) && list.length > 0 && list.every((v) => fixedValue(operator, v));
      }),
  );
}

function forEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  return typeof principal === 'object' && principal !== null && asList((principal as Record<string, unknown>).AWS).some((p) => p.includes('*'));
}

/** Whether a bucket policy document is public, as S3 judges it. */
export function isPublicPolicy(document: string | undefined): boolean {
  if (document === undefined) return false;
  return statementsOf(document).some((st) => st.Effect === 'Allow' && (st.NotPrincipal !== undefined || forEveryone(st.Principal)) && !narrowed(st.Condition));
}

/** Whether the bucket's ACLs (and its objects') may grant anything: not with ACLs off, nor a public one that is ignored. */
export function aclCounts(bucket: DeepReadonly<BucketRecord>, acl: CannedAcl | undefined): boolean {
  if (bucket.ownership === 'BucketOwnerEnforced') return false;
  return !(isPublicAcl(acl) && bucket.publicAccessBlock?.IgnorePublicAcls);
}

/** Whether the bucket policy's grants reach callers outside the owner's account. */
export const policyReachesOutsiders = (bucket: DeepReadonly<BucketRecord>): boolean => !(bucket.publicAccessBlock?.RestrictPublicBuckets && isPublicPolicy(bucket.policy));

/** Refuses an ACL that the bucket's ownership and public access settings do not take (PutBucketAcl, PutObjectAcl, PutObject). */
export function checkAclAllowed(bucket: DeepReadonly<BucketRecord>, acl: CannedAcl, on: 'bucket' | 'object'): void {
  if (bucket.ownership === 'BucketOwnerEnforced' && !OWNER_ONLY[on].has(acl)) throw s3Errors.aclNotSupported();
  if (isPublicAcl(acl) && bucket.publicAccessBlock?.BlockPublicAcls) throw s3Errors.accessDenied();
}

/** Refuses the ACL a new bucket asks for (CreateBucket's x-amz-acl) under the settings it is created with. */
export function checkNewBucketAcl(acl: CannedAcl, ownership: ObjectOwnership): void {
  if (ownership === 'BucketOwnerEnforced' && !OWNER_ONLY.bucket.has(acl)) throw s3Errors.aclWithObjectOwnership();
  // A new bucket blocks public ACLs (NEW_BUCKET_BLOCK) from its first moment.
  if (isPublicAcl(acl)) throw s3Errors.aclWithBlockPublicAccess();
}

/** Refuses ownership controls that would turn ACLs off while the bucket's own ACL grants others. */
export function checkOwnershipChange(bucket: DeepReadonly<BucketRecord>, ownership: ObjectOwnership): void {
  if (ownership === 'BucketOwnerEnforced' && bucket.acl !== undefined && bucket.acl !== 'private') throw s3Errors.aclWithObjectOwnership();
}
