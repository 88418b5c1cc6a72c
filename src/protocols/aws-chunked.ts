/**
 * The `aws-chunked` content encoding that SigV4 streaming uploads use (S3 PutObject from the
 * SDKs when they sign chunk by chunk or send a trailing checksum):
 * `<hex size>[;chunk-signature=...]\r\n<data>\r\n` ... `0[;...]\r\n[trailer: value\r\n]*\r\n`.
 * faultline does not verify signatures, so chunk signatures are skipped.
 */
import { AwsError } from '../core/errors.ts';

export interface Unchunked {
  body: Buffer;
  /** Trailing headers, lower-cased, e.g. `x-amz-checksum-crc32`. */
  trailers: Record<string, string>;
}

const bad = (why: string) => new AwsError('IncompleteBody', `The request body is not valid aws-chunked encoding: ${why}.`, 400);

export function isAwsChunked(headers: Record<string, string | undefined>): boolean {
  const sha = headers['x-amz-content-sha256'] ?? '';
  const enc = headers['content-encoding'] ?? '';
  return sha.startsWith('STREAMING-') || enc.split(',').some((e) => e.trim() === 'aws-chunked');
}

export function decodeAwsChunked(raw: Buffer): Unchunked {
  const parts: Buffer[] = [];
  let pos = 0;
  const line = (): string => {
    const end = raw.indexOf('\r\n', pos);
    if (end < 0) throw bad('a line is not terminated');
    const s = raw.subarray(pos, end).toString('latin1');
    pos = end + 2;
    return s;
  };
  for (;;) {
    const header = line();
    const size = parseInt(header.split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw bad(`bad chunk size "${header}"`);
    if (size === 0) break;
    if (pos + size + 2 > raw.length) throw bad('a chunk is shorter than its size');
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw.toString('latin1', pos, pos + 2) !== '\r\n') throw bad('a chunk is longer than its size');
    pos += 2;
  }
  const trailers: Record<string, string> = {};
  while (pos < raw.length) {
    const t = line();
    if (t === '') break;
    const colon = t.indexOf(':');
    if (colon > 0) trailers[t.slice(0, colon).trim().toLowerCase()] = t.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}
