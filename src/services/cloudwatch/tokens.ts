/** Opaque pagination tokens: a base64url JSON offset. A token faultline did not issue is InvalidNextToken. */
import { AwsError } from '../../core/errors.ts';

export const encodeToken = (offset: number): string => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

export function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isSafeInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // fall through
  }
  throw new AwsError('InvalidNextToken', 'The service could not process the NextToken.', 400);
}

/** One page of `items` from a token, and the token for the next page. */
export function page<T>(items: readonly T[], token: string | undefined, size: number): { items: T[]; NextToken?: string } {
  const from = decodeToken(token);
  const out = items.slice(from, from + size);
  return { items: out, NextToken: from + size < items.length ? encodeToken(from + size) : undefined };
}
