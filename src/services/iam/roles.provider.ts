/** Roles: CreateRole, GetRole, DeleteRole, ListRoles, UpdateAssumeRolePolicy and role tags. */
import { iamId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { checkPolicyDocument } from './documents.ts';
import { iamErrors } from './errors.ts';
import { findPolicy, getRole } from './lookup.ts';
import { page, type PageInput } from './paging.ts';
import { INSTANCE_PROFILES, ROLES, nameKey, type InstanceProfileRecord, type RoleRecord, type Tag } from './state.ts';
import { mergeTags } from './tags.ts';
import { roleView } from './views.ts';

const DEFAULT_MAX_SESSION = 3600;

/** A permissions boundary must name a managed policy that exists. */
function checkBoundary(ctx: RequestContext, arn: string | undefined): void {
  if (arn !== undefined && !findPolicy(ctx, arn)) throw iamErrors.noSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);
}

export const roleHandlers = {
  CreateRole(
    input: { RoleName: string; AssumeRolePolicyDocument: string; Path?: string; Description?: string; MaxSessionDuration?: number; PermissionsBoundary?: string; Tags?: Tag[] },
    ctx: RequestContext,
  ) {
    const key = nameKey(input.RoleName);
    if (ctx.env.store.get(ROLES, ctx, key)) throw iamErrors.alreadyExists(`Role with name ${input.RoleName} already exists.`);
    checkPolicyDocument(input.AssumeRolePolicyDocument, 'trust');
    checkBoundary(ctx, input.PermissionsBoundary);
    const path = input.Path ?? '/';
    const rec: RoleRecord = {
      RoleName: input.RoleName,
      RoleId: iamId('AROA'),
      Arn: `arn:aws:iam::${ctx.account}:role${path}${input.RoleName}`,
      Path: path,
      CreateDate: ctx.env.clock.date().toISOString(),
      AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
      Description: input.Description,
      MaxSessionDuration: input.MaxSessionDuration ?? DEFAULT_MAX_SESSION,
      PermissionsBoundary: input.PermissionsBoundary,
      Tags: mergeTags([], input.Tags, 'Role'),
      inlinePolicies: {},
      attachedPolicies: [],
    };
    ctx.env.store.put(ROLES, ctx, key, rec);
    return { Role: roleView(rec, 'create') };
  },

  GetRole(input: { RoleName: string }, ctx: RequestContext) {
    return { Role: roleView(getRole(ctx, input.RoleName), 'get') };
  },

  ListRoles(input: PageInput & { PathPrefix?: string }, ctx: RequestContext) {
    const prefix = input.PathPrefix ?? '/';
    const roles = ctx.env.store.list<RoleRecord>(ROLES, ctx).filter((r) => r.Path.startsWith(prefix));
    const p = page(roles, (r) => nameKey(r.RoleName), input);
    return { Roles: p.items.map((r) => roleView(r, 'list')), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },

  DeleteRole(input: { RoleName: string }, ctx: RequestContext) {
    const role = getRole(ctx, input.RoleName);
    const key = nameKey(role.RoleName);
    if (ctx.env.store.list<InstanceProfileRecord>(INSTANCE_PROFILES, ctx).some((ip) => ip.roles.some((r) => nameKey(r) === key)))
      throw iamErrors.deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    if (Object.keys(role.inlinePolicies).length) throw iamErrors.deleteConflict('Cannot delete entity, must delete policies first.');
    if (role.attachedPolicies.length) throw iamErrors.deleteConflict('Cannot delete entity, must detach all policies first.');
    ctx.env.store.delete(ROLES, ctx, key);
    return {};
  },

  UpdateAssumeRolePolicy(input: { RoleName: string; PolicyDocument: string }, ctx: RequestContext) {
    const role = getRole(ctx, input.RoleName);
    checkPolicyDocument(input.PolicyDocument, 'trust');
    role.AssumeRolePolicyDocument = input.PolicyDocument;
    ctx.env.store.put(ROLES, ctx, nameKey(role.RoleName), role);
    return {};
  },

  TagRole(input: { RoleName: string; Tags: Tag[] }, ctx: RequestContext) {
    const role = getRole(ctx, input.RoleName);
    role.Tags = mergeTags(role.Tags, input.Tags, 'Role');
    ctx.env.store.put(ROLES, ctx, nameKey(role.RoleName), role);
    return {};
  },

  UntagRole(input: { RoleName: string; TagKeys: string[] }, ctx: RequestContext) {
    const role = getRole(ctx, input.RoleName);
    role.Tags = role.Tags.filter((t) => !input.TagKeys.includes(t.Key));
    ctx.env.store.put(ROLES, ctx, nameKey(role.RoleName), role);
    return {};
  },

  ListRoleTags(input: PageInput & { RoleName: string }, ctx: RequestContext) {
    const role = getRole(ctx, input.RoleName);
    const p = page(role.Tags, (t) => t.Key, input);
    return { Tags: p.items, IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
};
