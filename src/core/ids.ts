/** Resource ids in AWS's shapes: a prefix and 17 lowercase hex digits, or a UUID. */
import { randomBytes, randomUUID } from 'node:crypto';

export const resourceId = (prefix: string): string => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;

export const requestId = (): string => randomUUID();

export const uuid = (): string => randomUUID();

/** Upper-case alphanumerics, as in IAM unique ids (AROA..., AIDA...) and access keys. */
export const iamId = (prefix: string, length = 21): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(length - prefix.length);
  return prefix + [...bytes].map((b) => alphabet[b % 32]).join('');
};

export const secret = (length = 40): string => randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, length).padEnd(length, 'A');
