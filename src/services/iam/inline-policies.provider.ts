/**
 * Inline policies of roles and users: Put, Get, Delete and List {Role,User}Policy. They live in
 * their role's or user's record; IAM caps the total size of one holder's inline policies.
 */
import type { RequestContext } from '../service.ts';
import { checkPolicyDocument, documentSize, encodeDocument } from './documents.ts';
import { iamErrors } from './errors.ts';
import { getRole, getUser } from './lookup.ts';
import { page, type PageInput } from './paging.ts';
import { ROLES, USERS, nameKey, type PolicyHolder } from './state.ts';
import { own } from '../../core/own.ts';

interface HolderKind {
  kind: 'role' | 'user';
  coll: string;
  /** Total inline policy size, in non-whitespace characters. */
  maxSize: number;
  get(ctx: RequestContext, name: string): PolicyHolder & { Tags: unknown };
}

const ROLE: HolderKind = { kind: 'role', coll: ROLES, maxSize: 10240, get: getRole };
const USER: HolderKind = { kind: 'user', coll: USERS, maxSize: 2048, get: getUser };

function put(k: HolderKind, ctx: RequestContext, name: string, policyName: string, document: string) {
  const holder = k.get(ctx, name);
  checkPolicyDocument(document, 'identity');
  const next = { ...holder.inlinePolicies, [policyName]: document };
  const size = Object.values(next).reduce((n, d) => n + documentSize(d), 0);
  if (size > k.maxSize) throw iamErrors.limitExceeded(`Maximum policy size of ${k.maxSize} bytes exceeded for ${k.kind} ${name}`);
  holder.inlinePolicies = next;
  ctx.env.store.put(k.coll, ctx, nameKey(name), holder);
  return {};
}

function get(k: HolderKind, ctx: RequestContext, name: string, policyName: string) {
  const holder = k.get(ctx, name);
  const doc = own(holder.inlinePolicies, policyName);
  if (doc === undefined) throw iamErrors.noSuchEntity(`The ${k.kind} policy with name ${policyName} cannot be found.`);
  return { PolicyName: policyName, PolicyDocument: encodeDocument(doc) };
}

function remove(k: HolderKind, ctx: RequestContext, name: string, policyName: string) {
  const holder = k.get(ctx, name);
  if (own(holder.inlinePolicies, policyName) === undefined) throw iamErrors.noSuchEntity(`The ${k.kind} policy with name ${policyName} cannot be found.`);
  delete holder.inlinePolicies[policyName];
  ctx.env.store.put(k.coll, ctx, nameKey(name), holder);
  return {};
}

function list(k: HolderKind, ctx: RequestContext, name: string, input: PageInput) {
  const p = page(Object.keys(k.get(ctx, name).inlinePolicies), (n) => n, input);
  return { PolicyNames: p.items, IsTruncated: p.IsTruncated, Marker: p.Marker };
}

type RoleIn = { RoleName: string; PolicyName: string };
type UserIn = { UserName: string; PolicyName: string };

export const inlinePolicyHandlers = {
  PutRolePolicy: (i: RoleIn & { PolicyDocument: string }, ctx: RequestContext) => put(ROLE, ctx, i.RoleName, i.PolicyName, i.PolicyDocument),
  GetRolePolicy: (i: RoleIn, ctx: RequestContext) => ({ RoleName: getRole(ctx, i.RoleName).RoleName, ...get(ROLE, ctx, i.RoleName, i.PolicyName) }),
  DeleteRolePolicy: (i: RoleIn, ctx: RequestContext) => remove(ROLE, ctx, i.RoleName, i.PolicyName),
  ListRolePolicies: (i: PageInput & { RoleName: string }, ctx: RequestContext) => list(ROLE, ctx, i.RoleName, i),
  PutUserPolicy: (i: UserIn & { PolicyDocument: string }, ctx: RequestContext) => put(USER, ctx, i.UserName, i.PolicyName, i.PolicyDocument),
  GetUserPolicy: (i: UserIn, ctx: RequestContext) => ({ UserName: getUser(ctx, i.UserName).UserName, ...get(USER, ctx, i.UserName, i.PolicyName) }),
  DeleteUserPolicy: (i: UserIn, ctx: RequestContext) => remove(USER, ctx, i.UserName, i.PolicyName),
  ListUserPolicies: (i: PageInput & { UserName: string }, ctx: RequestContext) => list(USER, ctx, i.UserName, i),
};
