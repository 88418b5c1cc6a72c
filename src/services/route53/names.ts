/** DNS names as Route 53 orders and checks them (names are canonical: lower case, trailing dot). */
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
