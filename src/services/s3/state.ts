/**
 * S3's records. Bucket names are one namespace shared by every account and region, so buckets
 * live in one global scope keyed by name. Objects are kept per bucket (the scope names the
 * bucket), so that listing a bucket reads that bucket alone. Object bytes live in files beside
 * the store (see blobs.ts); a record names its file.
 */
import { createHash } from 'node:crypto';
import type { Scope } from '../../core/store.ts';

export const BUCKETS = 's3.buckets';
export const OBJECTS = 's3.objects';

export const BUCKET_SCOPE: Scope = { account: '*', region: 'global' };
export const objectScope = (bucket: string): Scope => ({ account: '*', region: `bucket:${bucket}` });

export interface BucketRecord {
  Name: string;
  /** The owning account. */
  owner: string;
  /** The region the bucket was created in: the request's signing region. */
  region: string;
  /** As given at creation; absent for us-east-1, as S3 reports it. */
  LocationConstraint?: string;
  CreationDate: string;
  /** The bucket policy, as the owner put it (PutBucketPolicy). */
  policy?: string;
  /** The bucket's canned ACL; absent is `private`. */
  acl?: CannedAcl;
  /** Object Ownership (PutBucketOwnershipControls); absent is no controls, where ACLs apply as for ObjectWriter. */
  ownership?: ObjectOwnership;
  /** Block Public Access (PutPublicAccessBlock); absent is none. */
  publicAccessBlock?: PublicAccessBlock;
  /** Lifecycle rules as S3 returns them (PutBucketLifecycleConfiguration), timestamps as ISO text. */
  lifecycle?: { Rules: Record<string, unknown>[]; TransitionDefaultMinimumObjectSize: string };
  /** Versioning as set (PutBucketVersioning); absent for a bucket never versioned. */
  versioning?: 'Enabled' | 'Suspended';
  /** Default encryption rules (PutBucketEncryption); absent is S3's default, SSE-S3. */
  encryption?: Record<string, unknown>[];
}

export type ObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

/** The canned ACLs S3 takes in `x-amz-acl`. */
export type CannedAcl = 'private' | 'public-read' | 'public-read-write' | 'authenticated-read' | 'aws-exec-read' | 'bucket-owner-read' | 'bucket-owner-full-control';

/** A checksum the uploader sent, kept to hand back on reads that ask for it. */
export interface StoredChecksum {
  algorithm: 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
  value: string;
}

export interface ObjectRecord {
  Key: string;
  /** The blob file, relative to the blob directory. */
  file: string;
  Size: number;
  /** Quoted hex MD5, as S3 writes single-part ETags. */
  ETag: string;
  LastModified: string;
  ContentType: string;
  Metadata: Record<string, string>;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Expires?: string;
  checksum?: StoredChecksum;
  /** The object's canned ACL; absent is `private`. */
  acl?: CannedAcl;
}

/** The canonical user id S3 shows as an owner: 64 hex digits, fixed per account. */
export const canonicalId = (account: string): string => createHash('sha256').update(`faultline-canonical-user:${account}`).digest('hex');
