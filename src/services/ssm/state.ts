/**
 * Parameter Store's records, scoped by account and region: one per parameter, keyed by its name
 * (names are case-sensitive), holding every version it keeps (at most 100, oldest first) with
 * that version's value, settings and labels, and the parameter's tags. SecureString values are
 * kept as given: faultline does not encrypt them.
 */
export const PARAMETERS = 'ssm.parameters';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type Tier = 'Standard' | 'Advanced';

export interface Tag {
  Key: string;
  Value: string;
}

export interface VersionRecord {
  Version: number;
  Value: string;
  Type: ParameterType;
  Description?: string;
  AllowedPattern?: string;
  KeyId?: string;
  Tier: Tier;
  DataType: string;
  /** Clock ms. */
  LastModifiedDate: number;
  LastModifiedUser: string;
  Labels: string[];
}

export interface ParameterRecord {
  Name: string;
  versions: VersionRecord[];
  tags: Tag[];
}

/** The most versions a parameter keeps. */
export const MAX_VERSIONS = 100;

export const latest = <V>(p: { versions: readonly V[] }): V => p.versions[p.versions.length - 1];

export const parameterArn = (region: string, account: string, name: string): string => `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
