/**
 * IAM's records. IAM is global: its records are kept per account, under region `global` (the
 * request context of a global service is already that scope). Names are unique within an
 * account regardless of case, as IAM's are, so records are keyed by the lower-cased name;
 * access keys by their id. Policy documents are kept exactly as they were sent.
 */
import type { Scope } from '../../core/store.ts';

export const GLOBAL: Scope = { account: '*', region: 'global' };

/** The scope of one account's IAM records. */
export const iamScope = (account: string): Scope => ({ account, region: 'global' });

export const ROLES = 'iam.roles';
export const USERS = 'iam.users';
export const POLICIES = 'iam.policies';
export const INSTANCE_PROFILES = 'iam.instanceProfiles';
export const ACCESS_KEYS = 'iam.accessKeys';

export const nameKey = (name: string) => name.toLowerCase();

export interface Tag {
  Key: string;
  Value: string;
}

/** What roles and users share: inline policies by name, and attached managed policies by ARN. */
export interface PolicyHolder {
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
}

export interface RoleRecord extends PolicyHolder {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  PermissionsBoundary?: string;
  Tags: Tag[];
}

export interface UserRecord extends PolicyHolder {
  UserName: string;
  UserId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  PermissionsBoundary?: string;
  Tags: Tag[];
}

export interface PolicyVersionRecord {
  VersionId: string;
  Document: string;
  CreateDate: string;
}

export interface PolicyRecord {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  Description?: string;
  CreateDate: string;
  UpdateDate: string;
  DefaultVersionId: string;
  versions: PolicyVersionRecord[];
  Tags: Tag[];
}

export interface InstanceProfileRecord {
  InstanceProfileName: string;
  InstanceProfileId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  /** Names of its roles: none or one. */
  roles: string[];
  Tags: Tag[];
}

export interface AccessKeyRecord {
  AccessKeyId: string;
  UserName: string;
  Status: 'Active' | 'Inactive';
  CreateDate: string;
}
