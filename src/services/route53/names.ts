/**
 * DNS names as Route 53 orders and checks them (names are canonical: lower case, trailing dot),
 * and the fields of a record value in Route 53's text form.
 */
import { r53Errors } from './errors.ts';

/** `www.example.com.` → `com.example.www.`: the order of ListHostedZonesByName and ListResourceRecordSets. */
export const reversedName = (name: string): string => name.slice(0, -1).split('.').reverse().join('.') + '.';

/** Whether `name` is `zoneName` or a name under it. */
export const inZone = (name: string, zoneName: string): boolean => name === zoneName || name.endsWith('.' + zoneName);

/** At most 255 characters, labels of 1 to 63; `given` is what the request said. */
export function checkDomainName(name: string, given: string): void {
  const labels = name.slice(0, -1).split('.');
  if (name.length > 255 || name === '.' || labels.some((l) => l.length === 0 || l.length > 63)) {
    throw r53Errors.invalidDomainName(`${given} is not a valid domain name.`);
  }
}

/** How ListResourceRecordSets writes a name: a leading `*` as `\052`, as AWS does. */
export const wireName = (name: string): string => name.replace(/^\*(?=\.)/, '\\052');

/**
 * A value's fields: bare words, and quoted strings that may hold spaces and the escapes `\"` and
 * `\065` (octal), given unescaped. Undefined when something is left that is neither (a quote not closed).
 * TXT's character strings, CAA's value and NAPTR's fields are written this way.
 */
export function valueFields(v: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < v.length && (m = re.exec(v))) {
    out.push(m[1] !== undefined ? unescape(m[1]) : m[2]);
    at = re.lastIndex;
  }
  return v.slice(at).trim() === '' ? out : undefined;
}

const unescape = (s: string) => s.replace(/\\(\d{3}|.)/g, (_, c: string) => (c.length === 3 ? String.fromCharCode(parseInt(c, 8)) : c));
