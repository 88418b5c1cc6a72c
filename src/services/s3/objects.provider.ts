/** Objects: PutObject, GetObject, HeadObject, DeleteObject and DeleteObjects. */
import { createHash } from 'node:crypto';
import type { DeepReadonly } from '../../core/store.ts';
import { HTTP_STATUS } from '../../protocols/rest-xml.ts';
import type { RequestContext } from '../service.ts';
import { checkObjectAccess, findBucket, mayAccess, readableObject } from './access.ts';
import { abandonBlob, readBlob, releaseBlob, writeBlob } from './blobs.ts';
import { checksumOutput, verifyUpload, type ChecksumInput } from './checksums.ts';
import { s3Errors } from './errors.ts';
import { cannedAcl, type AclInput } from './permissions.provider.ts';
import { checkAclAllowed } from './public-access.ts';
import { OBJECTS, objectScope, type ObjectRecord } from './state.ts';

const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
const MAX_DELETE_KEYS = 1000;
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

interface ObjectInput {
  Bucket: string;
  Key: string;
  ExpectedBucketOwner?: string;
}

interface PutInput extends ObjectInput, ChecksumInput, AclInput {
  Body?: Buffer;
  ContentType?: string;
  Metadata?: Record<string, string>;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Expires?: string | Date;
  IfMatch?: string;
  IfNoneMatch?: string;
}

interface ReadInput extends ObjectInput {
  Range?: string;
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
  ChecksumMode?: string;
  ResponseCacheControl?: string;
  ResponseContentDisposition?: string;
  ResponseContentEncoding?: string;
  ResponseContentLanguage?: string;
  ResponseContentType?: string;
  ResponseExpires?: Date;
}

const unquote = (s: string) => s.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');

const etagMatches = (list: string, etag: string) => list.split(',').some((t) => t.trim() === '*' || unquote(t) === unquote(etag));

const seconds = (d: Date | string) => Math.floor(new Date(d).getTime() / 1000);

function objectFor(ctx: RequestContext, input: ObjectInput): DeepReadonly<ObjectRecord> {
  return readableObject(ctx.env, ctx.principal, findBucket(ctx, input.Bucket, input.ExpectedBucketOwner), input.Key);
}

/** RFC 7232's order: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since. */
function checkConditions(input: ReadInput, rec: DeepReadonly<ObjectRecord>): void {
  const modified = seconds(rec.LastModified);
  if (input.IfMatch !== undefined) {
    if (!etagMatches(input.IfMatch, rec.ETag)) throw s3Errors.preconditionFailed('If-Match');
  } else if (input.IfUnmodifiedSince && modified > seconds(input.IfUnmodifiedSince)) throw s3Errors.preconditionFailed('If-Unmodified-Since');
  if (input.IfNoneMatch !== undefined) {
    if (etagMatches(input.IfNoneMatch, rec.ETag)) throw s3Errors.notModified();
  } else if (input.IfModifiedSince && modified <= seconds(input.IfModifiedSince)) throw s3Errors.notModified();
}

/** One byte range, as S3 serves them; a header it cannot parse is ignored, as S3 ignores it. */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw s3Errors.invalidRange(header!, size);
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw s3Errors.invalidRange(header!, size);
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

function read(input: ReadInput, ctx: RequestContext, withBody: boolean) {
  const rec = objectFor(ctx, input);
  checkConditions(input, rec);
  const range = byteRange(input.Range, rec.Size);
  const length = range ? range.end - range.start + 1 : rec.Size;
  return {
    Body: withBody ? readBlob(ctx.env, rec.file, range?.start ?? 0, length) : undefined,
    ContentLength: length,
    ContentRange: range ? `bytes ${range.start}-${range.end}/${rec.Size}` : undefined,
    AcceptRanges: 'bytes',
    ETag: rec.ETag,
    LastModified: rec.LastModified,
    ContentType: input.ResponseContentType ?? rec.ContentType,
    CacheControl: input.ResponseCacheControl ?? rec.CacheControl,
    ContentDisposition: input.ResponseContentDisposition ?? rec.ContentDisposition,
    ContentEncoding: input.ResponseContentEncoding ?? rec.ContentEncoding,
    ContentLanguage: input.ResponseContentLanguage ?? rec.ContentLanguage,
    Expires: input.ResponseExpires ? input.ResponseExpires.toUTCString() : rec.Expires,
    Metadata: Object.keys(rec.Metadata).length ? rec.Metadata : undefined,
    ServerSideEncryption: 'AES256',
    // S3 gives the whole object's checksum only for a whole-object read that asks for it.
    ...(input.ChecksumMode === 'ENABLED' && !range && rec.checksum ? { ...checksumOutput(rec.checksum), ChecksumType: 'FULL_OBJECT' } : {}),
    [HTTP_STATUS]: range ? 206 : undefined,
  };
}

function remove(ctx: RequestContext, bucket: string, key: string): void {
  const scope = objectScope(bucket);
  const rec = ctx.env.store.get<ObjectRecord>(OBJECTS, scope, key);
  if (!rec) return;
  releaseBlob(ctx.env, rec.file);
  ctx.env.store.delete(OBJECTS, scope, key);
}

export const objectHandlers = {
  PutObject(input: PutInput, ctx: RequestContext) {
    const bucket = findBucket(ctx, input.Bucket, input.ExpectedBucketOwner);
    checkObjectAccess(ctx, bucket, 's3:PutObject', input.Key);
    const acl = cannedAcl(input, 'ObjectCannedACL');
    // Setting an ACL with the upload needs the right to set it, as PutObjectAcl does.
    if (acl !== undefined) {
      checkObjectAccess(ctx, bucket, 's3:PutObjectAcl', input.Key);
      checkAclAllowed(bucket, acl, 'object');
    }
    if (Buffer.byteLength(input.Key) > MAX_KEY_BYTES) throw s3Errors.keyTooLong();
    const body = input.Body ?? Buffer.alloc(0);
    const metadata = input.Metadata ?? {};
    const metaBytes = Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (metaBytes > MAX_METADATA_BYTES) throw s3Errors.metadataTooLarge(metaBytes);
    const checksum = verifyUpload(input, body);
    const scope = objectScope(input.Bucket);
    const old = ctx.env.store.get<ObjectRecord>(OBJECTS, scope, input.Key);
    if (input.IfNoneMatch !== undefined && old && etagMatches(input.IfNoneMatch, old.ETag)) throw s3Errors.preconditionFailed('If-None-Match');
    if (input.IfMatch !== undefined && (!old || !etagMatches(input.IfMatch, old.ETag))) {
      if (!old) throw s3Errors.noSuchKey(input.Key);
      throw s3Errors.preconditionFailed('If-Match');
    }
    const rec: Omit<ObjectRecord, 'file'> = {
      Key: input.Key,
      Size: body.length,
      ETag: `"${createHash('md5').update(body).digest('hex')}"`,
      LastModified: ctx.env.clock.date().toISOString(),
      ContentType: input.ContentType || DEFAULT_CONTENT_TYPE,
      Metadata: metadata,
      CacheControl: input.CacheControl,
      ContentDisposition: input.ContentDisposition,
      ContentEncoding: input.ContentEncoding,
      ContentLanguage: input.ContentLanguage,
      Expires: input.Expires instanceof Date ? input.Expires.toUTCString() : input.Expires,
      checksum,
      ...(acl ? { acl } : {}),
    };
    if (old) releaseBlob(ctx.env, old.file);
    const file = writeBlob(ctx.env, body);
    try {
      ctx.env.store.put<ObjectRecord>(OBJECTS, scope, input.Key, { ...rec, file });
    } catch (e) {
      abandonBlob(ctx.env, file);
      throw e;
    }
    return { ETag: rec.ETag, ServerSideEncryption: 'AES256', ...checksumOutput(checksum), ...(checksum ? { ChecksumType: 'FULL_OBJECT' } : {}) };
  },

  GetObject(input: ReadInput, ctx: RequestContext) {
    return read(input, ctx, true);
  },

  HeadObject(input: ReadInput, ctx: RequestContext) {
    return read(input, ctx, false);
  },

  DeleteObject(input: ObjectInput, ctx: RequestContext) {
    checkObjectAccess(ctx, findBucket(ctx, input.Bucket, input.ExpectedBucketOwner), 's3:DeleteObject', input.Key);
    remove(ctx, input.Bucket, input.Key);
    return {};
  },

  DeleteObjects(input: { Bucket: string; ExpectedBucketOwner?: string; Delete: { Objects?: { Key: string }[]; Quiet?: boolean } }, ctx: RequestContext) {
    const bucket = findBucket(ctx, input.Bucket, input.ExpectedBucketOwner);
    const objects = input.Delete.Objects ?? [];
    if (objects.length === 0 || objects.length > MAX_DELETE_KEYS || objects.some((o) => o.Key === undefined)) throw s3Errors.malformedXml();
    // Each key is allowed or refused on its own; refusals are reported per key, even when quiet.
    const deleted: { Key: string }[] = [];
    const refused: { Key: string }[] = [];
    for (const o of objects) {
      if (!mayAccess(bucket, ctx.principal, 's3:DeleteObject', o.Key)) refused.push(o);
      else {
        remove(ctx, input.Bucket, o.Key);
        deleted.push(o);
      }
    }
    return {
      Deleted: input.Delete.Quiet || !deleted.length ? undefined : deleted.map((o) => ({ Key: o.Key })),
      Errors: refused.length ? refused.map((o) => ({ Key: o.Key, Code: 'AccessDenied', Message: 'Access Denied' })) : undefined,
    };
  },
};
