/** Resource ids in AWS's shapes: a prefix and 17 lowercase hex digits, or a UUID. */
import { randomBytes, randomUUID } from 'node:crypto';

export const resourceId = (prefix: string): string => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;

export const requestId = (): string => randomUUID();

export const uuid = (): string => randomUUID();

const IAM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * A prefix and random characters, `length` in all: by default upper-case alphanumerics, as in IAM
 * unique ids (AROA..., AIDA...) and access keys; FIS's ids use letters of both cases and digits.
 */
export const iamId = (prefix: string, length = 21, alphabet = IAM_ALPHABET): string => {
  const bytes = randomBytes(length - prefix.length);
  return prefix + [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
};

export const secret = (length = 40): string => randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, length).padEnd(length, 'A');
