/**
 * IAM's Marker/MaxItems paging. The marker names the first item of the next page, so a page
 * stays correct when items before it are deleted between calls.
 */
import { iamErrors } from './errors.ts';

const DEFAULT_MAX_ITEMS = 100;

export interface PageInput {
  Marker?: string;
  MaxItems?: number;
}

export function page<T>(items: readonly T[], keyOf: (item: T) => string, input: PageInput): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  let start = 0;
  if (input.Marker !== undefined) {
    const from = Buffer.from(input.Marker, 'base64url').toString('utf8');
    if (!from || Buffer.from(from, 'utf8').toString('base64url') !== input.Marker) throw iamErrors.validation('Invalid Marker.');
    start = sorted.findIndex((i) => keyOf(i) >= from);
    if (start < 0) start = sorted.length;
  }
  const max = input.MaxItems ?? DEFAULT_MAX_ITEMS;
  const out = sorted.slice(start, start + max);
  const next = sorted[start + max];
  return next === undefined ? { items: out, IsTruncated: false } : { items: out, IsTruncated: true, Marker: Buffer.from(keyOf(next), 'utf8').toString('base64url') };
}
