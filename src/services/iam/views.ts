/**
 * IAM records as the API shows them. Each call shows its own subset, as IAM does: a list shows
 * less than a Get (no tags, no last use), and documents are always URL-encoded.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import type { AwsManagedPolicy } from './aws-managed.ts';
import { encodeDocument } from './documents.ts';
import { ROLES, USERS, type InstanceProfileRecord, type PolicyRecord, type RoleRecord, type UserRecord } from './state.ts';

type R<T> = DeepReadonly<T>;

const boundary = (arn: string | undefined) => (arn ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: arn } : undefined);
const tags = <T>(t: readonly T[]) => (t.length ? [...t] : undefined);

export function roleView(r: R<RoleRecord>, detail: 'list' | 'get' | 'create') {
  return {
    Path: r.Path,
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    CreateDate: r.CreateDate,
    AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument),
    Description: r.Description,
    MaxSessionDuration: r.MaxSessionDuration,
    PermissionsBoundary: detail === 'list' ? undefined : boundary(r.PermissionsBoundary),
    Tags: detail === 'list' ? undefined : tags(r.Tags),
    RoleLastUsed: detail === 'get' ? {} : undefined,
  };
}

export function userView(u: R<UserRecord>, detail: 'list' | 'get') {
  return {
    Path: u.Path,
    UserName: u.UserName,
    UserId: u.UserId,
    Arn: u.Arn,
    CreateDate: u.CreateDate,
    PermissionsBoundary: detail === 'get' ? boundary(u.PermissionsBoundary) : undefined,
    Tags: detail === 'get' ? tags(u.Tags) : undefined,
  };
}

/** How many of the account's roles and users have each managed policy attached, by ARN. */
export function attachmentCounts(ctx: RequestContext): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of [...ctx.env.store.list<RoleRecord>(ROLES, ctx), ...ctx.env.store.list<UserRecord>(USERS, ctx)])
    for (const arn of h.attachedPolicies) counts.set(arn, (counts.get(arn) ?? 0) + 1);
  return counts;
}

export const attachmentCount = (ctx: RequestContext, arn: string): number => attachmentCounts(ctx).get(arn) ?? 0;

/** A policy as IAM shows it; `attached` is its attachment count, when the caller has counted already. */
export function policyView(ctx: RequestContext, p: R<PolicyRecord> | AwsManagedPolicy, detail: 'list' | 'get', attached = attachmentCount(ctx, p.Arn)) {
  return {
    PolicyName: p.PolicyName,
    PolicyId: p.PolicyId,
    Arn: p.Arn,
    Path: p.Path,
    DefaultVersionId: p.DefaultVersionId,
    AttachmentCount: attached,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: 'IsAttachable' in p ? p.IsAttachable : true,
    Description: detail === 'get' && 'Description' in p ? p.Description : undefined,
    CreateDate: p.CreateDate,
    UpdateDate: p.UpdateDate,
    Tags: detail === 'get' && 'Tags' in p ? tags(p.Tags) : undefined,
  };
}

export function instanceProfileView(ctx: RequestContext, ip: R<InstanceProfileRecord>, detail: 'list' | 'get') {
  const roles = ip.roles.map((name) => ctx.env.store.get<RoleRecord>(ROLES, ctx, name.toLowerCase())).filter((r) => r !== undefined);
  return {
    Path: ip.Path,
    InstanceProfileName: ip.InstanceProfileName,
    InstanceProfileId: ip.InstanceProfileId,
    Arn: ip.Arn,
    CreateDate: ip.CreateDate,
    Roles: roles.map((r) => roleView(r, 'list')),
    Tags: detail === 'get' ? tags(ip.Tags) : undefined,
  };
}
