/** Finding IAM records by name or ARN in the caller's account, failing as IAM fails. */
import type { DeepReadonly } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { awsManagedPolicy, type AwsManagedPolicy } from './aws-managed.ts';
import { iamErrors } from './errors.ts';
import {
  INSTANCE_PROFILES,
  POLICIES,
  ROLES,
  USERS,
  iamScope,
  nameKey,
  type InstanceProfileRecord,
  type PolicyRecord,
  type RoleRecord,
  type UserRecord,
} from './state.ts';

export function getRole(ctx: RequestContext, name: string): RoleRecord {
  const rec = ctx.env.store.mutable<RoleRecord>(ROLES, ctx, nameKey(name));
  if (!rec) throw iamErrors.noSuchRole(name);
  return rec;
}

export function getUser(ctx: RequestContext, name: string): UserRecord {
  const rec = ctx.env.store.mutable<UserRecord>(USERS, ctx, nameKey(name));
  if (!rec) throw iamErrors.noSuchUser(name);
  return rec;
}

export function getInstanceProfile(ctx: RequestContext, name: string): InstanceProfileRecord {
  const rec = ctx.env.store.mutable<InstanceProfileRecord>(INSTANCE_PROFILES, ctx, nameKey(name));
  if (!rec) throw iamErrors.noSuchInstanceProfile(name);
  return rec;
}

export type ManagedPolicy = { local: DeepReadonly<PolicyRecord>; aws?: undefined } | { aws: AwsManagedPolicy; local?: undefined };

const POLICY_ARN = /^arn:aws:iam::(\d{12}|aws):policy(\/(?:[^/]+\/)*)([^/]+)$/;

/** A managed policy: one of the account's own, or an AWS managed one. */
export function findPolicy(ctx: RequestContext, arn: string): ManagedPolicy | undefined {
  const m = POLICY_ARN.exec(arn);
  if (!m) throw iamErrors.invalidInput(`ARN ${arn} is not valid.`);
  if (m[1] === 'aws') {
    const aws = awsManagedPolicy(arn);
    return aws && { aws };
  }
  if (m[1] !== ctx.account) return undefined;
  const local = ctx.env.store.get<PolicyRecord>(POLICIES, ctx, nameKey(m[3]));
  return local && local.Arn === arn ? { local } : undefined;
}

export function getPolicy(ctx: RequestContext, arn: string): ManagedPolicy {
  const p = findPolicy(ctx, arn);
  if (!p) throw iamErrors.noSuchPolicy(arn);
  return p;
}

/**
 * The role an instance profile hands out, for code outside IAM requests (the EC2 instance
 * metadata service): by the profile's ARN or name, in `account`. Undefined when the profile
 * does not exist or holds no role.
 */
export function roleOfInstanceProfile(env: Env, account: string, profile: string): DeepReadonly<RoleRecord> | undefined {
  const profiles = env.store.list<InstanceProfileRecord>(INSTANCE_PROFILES, iamScope(account));
  const ip = profile.startsWith('arn:') ? profiles.find((p) => p.Arn === profile) : profiles.find((p) => nameKey(p.InstanceProfileName) === nameKey(profile));
  const roleName = ip?.roles[0];
  return roleName === undefined ? undefined : env.store.get<RoleRecord>(ROLES, iamScope(account), nameKey(roleName));
}
