/**
 * KMS's records, scoped by account and region: keys, keyed by KeyId (a UUID), holding the members
 * of KeyMetadata (AWS's names) plus their policy, rotation setting, tags and key material (lower
 * camel case); and aliases, keyed by AliasName (`alias/…`). The key material is 32 random bytes,
 * kept in the store as base64: it is not protected at rest.
 */
import type { Scope } from '../../core/store.ts';

export const COLL = {
  keys: 'kms.keys',
  aliases: 'kms.aliases',
} as const;

/** The deletion loop, keyed `account/region/keyId`: deletes a key whose waiting period has ended. */
export const DELETION_LOOP = 'kms.deletion';

export const scopedKey = (scope: Scope, id: string): string => `${scope.account}/${scope.region}/${id}`;
export function parseScopedKey(key: string): { scope: Scope; id: string } {
  const [account, region, ...rest] = key.split('/');
  return { scope: { account, region }, id: rest.join('/') };
}

export interface KmsTag {
  TagKey: string;
  TagValue: string;
}

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface KeyRecord {
  KeyId: string;
  Arn: string;
  AWSAccountId: string;
  /** ISO time. */
  CreationDate: string;
  Enabled: boolean;
  Description: string;
  KeyUsage: 'ENCRYPT_DECRYPT';
  KeyState: KeyState;
  Origin: 'AWS_KMS';
  KeyManager: 'CUSTOMER';
  CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT';
  KeySpec: 'SYMMETRIC_DEFAULT';
  EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'];
  MultiRegion: false;
  /** ISO time; set while PendingDeletion. */
  DeletionDate?: string;
  PendingDeletionWindowInDays?: number;
  /** The key policy (its only policy, named `default`), as given. */
  policy: string;
  rotation: { enabled: boolean; periodDays: number; nextRotation?: string };
  tags: KmsTag[];
  /** AES-256 key material, base64. */
  material: string;
}

export interface AliasRecord {
  AliasName: string;
  AliasArn: string;
  TargetKeyId: string;
  CreationDate: string;
  LastUpdatedDate: string;
}

export const keyArn = (scope: Scope, keyId: string): string => `arn:aws:kms:${scope.region}:${scope.account}:key/${keyId}`;
export const aliasArn = (scope: Scope, name: string): string => `arn:aws:kms:${scope.region}:${scope.account}:${name}`;
