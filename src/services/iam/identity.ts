/**
 * Who is calling: the access key in the request's signature, mapped to an account and a
 * principal. faultline does not verify signatures. A key that IAM or STS issued names its user
 * or role session; a 12-digit key names that account's root; any other key is the default
 * account's root. A request with no key is anonymous (it acts in the default account, for the
 * services that do not tell anonymous callers apart). A deleted key stays known, so that it is
 * refused rather than taken for root, and a role session's key is refused once it expires.
 */
import { AwsError } from '../../core/errors.ts';
import type { Env, Principal } from '../service.ts';
import { GLOBAL } from './state.ts';

export interface IssuedKey {
  accessKeyId: string;
  account: string;
  arn: string;
  userId: string;
  /** When temporary credentials stop working (ISO 8601). */
  expires?: string;
  /** Set when the key is deleted. */
  revoked?: boolean;
}

export const ISSUED_KEYS = 'iam.issuedKeys';

export function principalFor(env: Env, key: string | undefined): Principal {
  if (!key) {
    const account = env.config.defaultAccount;
    return { account, arn: `arn:aws:iam::${account}:root`, userId: account, accessKeyId: '', anonymous: true };
  }
  const issued = env.store.get<IssuedKey>(ISSUED_KEYS, GLOBAL, key);
  if (issued?.revoked) throw new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  if (issued?.expires && Date.parse(issued.expires) <= env.clock.now()) throw new AwsError('ExpiredToken', 'The security token included in the request is expired', 400);
  if (issued) return { account: issued.account, arn: issued.arn, userId: issued.userId, accessKeyId: key };
  const account = /^\d{12}$/.test(key) ? key : env.config.defaultAccount;
  return { account, arn: `arn:aws:iam::${account}:root`, userId: account, accessKeyId: key };
}

/** Records a key IAM or STS handed out, so that requests signed with it act as its principal. */
export function recordIssuedKey(env: Env, key: IssuedKey): void {
  env.store.put<IssuedKey>(ISSUED_KEYS, GLOBAL, key.accessKeyId, key);
}

/** Marks a key deleted: requests signed with it are refused from now on. */
export function revokeIssuedKey(env: Env, accessKeyId: string): void {
  const key = env.store.mutable<IssuedKey>(ISSUED_KEYS, GLOBAL, accessKeyId);
  if (key) env.store.put<IssuedKey>(ISSUED_KEYS, GLOBAL, accessKeyId, { ...key, revoked: true });
}

/** The IAM user name a principal is, or undefined for a root or a role session. */
export function callerUserName(principal: Principal): string | undefined {
  const m = /^arn:aws:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(principal.arn);
  return m?.[1];
}
