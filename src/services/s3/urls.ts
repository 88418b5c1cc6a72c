/**
 * Reading an object named by URL, for callers inside faultline (CloudFormation's TemplateURL,
 * for one). Takes S3's URL forms: https://s3.amazonaws.com/BUCKET/KEY,
 * https://s3.REGION.amazonaws.com/BUCKET/KEY, https://BUCKET.s3.amazonaws.com/KEY,
 * https://BUCKET.s3.REGION.amazonaws.com/KEY (and s3-REGION), and path-style URLs of this
 * faultline's own endpoint (http://127.0.0.1:PORT/BUCKET/KEY, or BUCKET.localhost).
 */
import { AwsError } from '../../core/errors.ts';
import type { Env, Principal } from '../service.ts';
import { readableObject } from './access.ts';
import { readBlob } from './blobs.ts';
import { s3Errors } from './errors.ts';
import { BUCKETS, BUCKET_SCOPE, type BucketRecord } from './state.ts';

export interface ObjectLocation {
  bucket: string;
  key: string;
}

const VIRTUAL_HOST = /^(.+?)\.(?:s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?|localhost)$/;
const PATH_HOST = /^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/;

/** The bucket and key a URL names, or undefined when it names no object. */
export function parseObjectUrl(url: string): ObjectLocation | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const host = u.hostname.toLowerCase();
  const path = u.pathname.replace(/^\//, '');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const vhost = PATH_HOST.test(host) ? null : VIRTUAL_HOST.exec(host);
  if (vhost) return path ? { bucket: vhost[1], key: decode(path) } : undefined;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  return { bucket: decode(path.slice(0, slash)), key: decode(path.slice(slash + 1)) };
}

/**
 * Whether S3 serves a URL: an object URL on an S3 host of AWS's, or on this faultline's own
 * endpoint (`endpoint`, by host name: an instance reaches it at another address than a client).
 */
export function isS3Url(url: string, endpoint: string | undefined): boolean {
  if (!parseObjectUrl(url)) return false;
  const host = new URL(url).hostname.toLowerCase();
  if (PATH_HOST.test(host) || VIRTUAL_HOST.test(host)) return true;
  const own = endpoint ? new URL(endpoint).hostname.toLowerCase() : undefined;
  return host === own || host === 'localhost' || host === '127.0.0.1';
}

/**
 * The bytes of the object a URL names, if `caller` may read it (its own bucket, a bucket policy
 * or an ACL), as a GetObject of theirs would need.
 */
export function readObjectByUrl(env: Env, url: string, caller: Principal): Buffer {
  const loc = parseObjectUrl(url);
  if (!loc) throw new AwsError('ValidationError', `${url} is not an S3 object URL.`, 400);
  const bucket = env.store.get<BucketRecord>(BUCKETS, BUCKET_SCOPE, loc.bucket);
  if (!bucket) throw s3Errors.noSuchBucket(loc.bucket);
  const rec = readableObject(env, caller, bucket, loc.key);
  return readBlob(env, rec.file, 0, rec.Size);
}
