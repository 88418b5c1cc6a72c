/**
 * Who is calling: the access key in the request's signature, mapped to an account and a
 * principal. faultline does not verify signatures. A key that IAM or STS issued names its user
 * or role session; a 12-digit key names that account's root; any other key is the default
 * account's root.
 */
import type { Env, Principal } from '../service.ts';
import { GLOBAL } from './state.ts';

export interface IssuedKey {
  accessKeyId: string;
  account: string;
  arn: string;
  userId: string;
}

export const ISSUED_KEYS = 'iam.issuedKeys';

export function principalFor(env: Env, accessKeyId: string | undefined): Principal {
  const key = accessKeyId ?? '';
  const issued = env.store.get<IssuedKey>(ISSUED_KEYS, GLOBAL, key);
  if (issued) return { account: issued.account, arn: issued.arn, userId: issued.userId, accessKeyId: key };
  const account = /^\d{12}$/.test(key) ? key : env.config.defaultAccount;
  return { account, arn: `arn:aws:iam::${account}:root`, userId: account, accessKeyId: key };
}
