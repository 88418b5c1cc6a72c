/**
 * EC2's Filter.N.Name / Filter.N.Value.M semantics: values within a filter are ORed, filters are
 * ANDed, `*` and `?` are wildcards, and `tag:<key>`, `tag-key` and `tag-value` work on every
 * taggable resource. Each describe call names the fields its resource can be filtered on.
 */
import { errors } from '../../core/errors.ts';

export interface Filter {
  Name?: string;
  Values?: string[];
}

export interface Tag {
  Key: string;
  Value: string;
}

type FieldValue = string | number | boolean | null | undefined | readonly (string | number | boolean | null | undefined)[];
export type FilterFields<T> = Record<string, (item: T) => FieldValue>;

const tagsOf = (item: object) => (item as { Tags?: readonly Tag[] }).Tags;

const patternCache = new Map<string, RegExp>();
function matcher(value: string): (s: string) => boolean {
  if (!/[*?]/.test(value)) return (s) => s === value;
  let re = patternCache.get(value);
  if (!re) {
    const src = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${src}$`, 's');
    patternCache.set(value, re);
  }
  return (s) => re!.test(s);
}

export function applyFilters<T extends object>(items: readonly T[], filters: Filter[] | undefined, fields: FilterFields<T>): T[] {
  if (!filters?.length) return [...items];
  const checks = filters.map((f) => {
    const name = f.Name ?? '';
    const match = (f.Values ?? []).map(matcher);
    let get: (item: T) => FieldValue;
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      get = (item) => tagsOf(item)?.find((t) => t.Key === key)?.Value;
    } else if (name === 'tag-key') get = (item) => tagsOf(item)?.map((t) => t.Key) ?? [];
    else if (name === 'tag-value') get = (item) => tagsOf(item)?.map((t) => t.Value) ?? [];
    else if (Object.hasOwn(fields, name)) get = fields[name];
    else throw errors.invalidParameterValue(`The filter '${name}' is invalid`);
    return (item: T) => {
      const v = get(item);
      const values = (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null).map(String);
      return values.some((s) => match.some((m) => m(s)));
    };
  });
  return items.filter((item) => checks.every((c) => c(item)));
}

/** Keeps only the items whose id is listed, failing like EC2 for an id that does not exist. */
export function selectIds<T>(items: readonly T[], ids: string[] | undefined, idOf: (item: T) => string, notFound: (id: string) => Error): T[] {
  if (!ids?.length) return [...items];
  const byId = new Map(items.map((i) => [idOf(i), i]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length) throw notFound(missing.join(', '));
  return [...new Set(ids)].map((id) => byId.get(id)!);
}

/** NextToken/MaxResults paging. The token is the offset, opaque to the client. */
export function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined, min = 5, max = 1000): { page: T[]; NextToken?: string } {
  let start = 0;
  if (nextToken) {
    // Only a token this function issued: base64url of a decimal offset, nothing else ("!!" decodes to "" and so to 0).
    const text = Buffer.from(nextToken, 'base64url').toString();
    const n = Number(text);
    if (!/^\d+$/.test(text) || Buffer.from(text).toString('base64url') !== nextToken) throw errors.invalidParameterValue(`Invalid value '${nextToken}' for nextToken`, 'InvalidNextToken');
    start = n;
  }
  if (maxResults === undefined) return { page: items.slice(start) };
  if (maxResults < min || maxResults > max) throw errors.invalidParameterValue(`Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`);
  const end = start + maxResults;
  return { page: items.slice(start, end), NextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}
