/**
 * ListObjectsV2 and ListObjects: keys in UTF-8 binary order, rolled up into common prefixes at
 * the delimiter, a page at a time. A common prefix counts as one key towards MaxKeys, and a page
 * resumes after the last key or prefix it returned.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { bucketFor } from './access.ts';
import { s3Errors } from './errors.ts';
import { OBJECTS, canonicalId, objectScope, type ObjectRecord } from './state.ts';

const MAX_KEYS = 1000;

interface ListInput {
  Bucket: string;
  Prefix?: string;
  Delimiter?: string;
  MaxKeys?: number;
  EncodingType?: string;
  ExpectedBucketOwner?: string;
}

interface Page {
  contents: DeepReadonly<ObjectRecord>[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix on the page: where the next page starts after. */
  last?: string;
}

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function listPage(ctx: RequestContext, input: ListInput, after: string | undefined): Page {
  const prefix = input.Prefix ?? '';
  const delimiter = input.Delimiter || undefined;
  const max = Math.min(input.MaxKeys ?? MAX_KEYS, MAX_KEYS);
  if (max < 0) throw s3Errors.invalidArgument('Argument maxKeys must be an integer between 0 and 2147483647', 'maxKeys', String(max));
  const all = ctx.env.store
    .list<ObjectRecord>(OBJECTS, objectScope(input.Bucket))
    .filter((o) => o.Key.startsWith(prefix) && (after === undefined || utf8Order(o.Key, after) > 0))
    .sort((a, b) => utf8Order(a.Key, b.Key));
  const page: Page = { contents: [], prefixes: [], truncated: false };
  for (const o of all) {
    const cut = delimiter ? o.Key.indexOf(delimiter, prefix.length) : -1;
    const rolled = cut >= 0 ? o.Key.slice(0, cut + delimiter!.length) : undefined;
    // Keys under a prefix already returned (on this page or, via `after`, an earlier one) add nothing.
    if (rolled !== undefined && (rolled === page.last || rolled === after)) continue;
    if (page.contents.length + page.prefixes.length >= max) {
      page.truncated = true;
      break;
    }
    if (rolled !== undefined) page.prefixes.push(rolled);
    else page.contents.push(o);
    page.last = rolled ?? o.Key;
  }
  return page;
}

/** S3's `encoding-type=url`: keys percent-encoded, with spaces as `+` and slashes kept. */
const urlEncode = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/').replace(/%20/g, '+');

function encoder(type: string | undefined) {
  if (type !== undefined && type !== 'url') throw s3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  return type === 'url' ? (s: string | undefined) => (s === undefined ? undefined : urlEncode(s)) : (s: string | undefined) => s;
}

function entries(page: Page, enc: (s: string | undefined) => string | undefined, owner: string | undefined) {
  return {
    Contents: page.contents.length
      ? page.contents.map((o) => ({
          Key: enc(o.Key),
          LastModified: o.LastModified,
          ETag: o.ETag,
          Size: o.Size,
          StorageClass: 'STANDARD',
          Owner: owner ? { ID: owner } : undefined,
          ChecksumAlgorithm: o.checksum ? [o.checksum.algorithm] : undefined,
          ChecksumType: o.checksum ? 'FULL_OBJECT' : undefined,
        }))
      : undefined,
    CommonPrefixes: page.prefixes.length ? page.prefixes.map((p) => ({ Prefix: enc(p) })) : undefined,
  };
}

const token = (key: string) => Buffer.from(key, 'utf8').toString('base64');

function untoken(t: string): string {
  const key = Buffer.from(t, 'base64').toString('utf8');
  if (!t || token(key) !== t) throw s3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', t);
  return key;
}

export const listingHandlers = {
  ListObjectsV2(input: ListInput & { ContinuationToken?: string; StartAfter?: string; FetchOwner?: boolean }, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:ListBucket');
    const enc = encoder(input.EncodingType);
    const after = input.ContinuationToken !== undefined ? untoken(input.ContinuationToken) : input.StartAfter || undefined;
    const page = listPage(ctx, input, after);
    return {
      Name: input.Bucket,
      Prefix: enc(input.Prefix ?? ''),
      Delimiter: enc(input.Delimiter),
      MaxKeys: input.MaxKeys ?? MAX_KEYS,
      KeyCount: page.contents.length + page.prefixes.length,
      IsTruncated: page.truncated,
      ContinuationToken: input.ContinuationToken,
      NextContinuationToken: page.truncated && page.last !== undefined ? token(page.last) : undefined,
      StartAfter: enc(input.StartAfter),
      EncodingType: input.EncodingType,
      ...entries(page, enc, input.FetchOwner ? canonicalId(bucket.owner) : undefined),
    };
  },

  ListObjects(input: ListInput & { Marker?: string }, ctx: RequestContext) {
    const bucket = bucketFor(ctx, input.Bucket, input.ExpectedBucketOwner, 's3:ListBucket');
    const enc = encoder(input.EncodingType);
    const page = listPage(ctx, input, input.Marker || undefined);
    return {
      Name: input.Bucket,
      Prefix: enc(input.Prefix ?? ''),
      Marker: enc(input.Marker ?? ''),
      Delimiter: enc(input.Delimiter),
      MaxKeys: input.MaxKeys ?? MAX_KEYS,
      IsTruncated: page.truncated,
      // S3 gives NextMarker only with a delimiter; without one, clients resume from the last key.
      NextMarker: page.truncated && input.Delimiter ? enc(page.last) : undefined,
      EncodingType: input.EncodingType,
      ...entries(page, enc, canonicalId(bucket.owner)),
    };
  },
};
