/** Users and their access keys: CreateUser, GetUser, DeleteUser, ListUsers, and Create/Delete/ListAccessKeys. */
import { iamId, secret } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { iamErrors } from './errors.ts';
import { callerUserName, recordIssuedKey, revokeIssuedKey } from './identity.ts';
import { findPolicy, getUser } from './lookup.ts';
import { page, type PageInput } from './paging.ts';
import { ACCESS_KEYS, USERS, nameKey, type AccessKeyRecord, type Tag, type UserRecord } from './state.ts';
import { mergeTags } from './tags.ts';
import { userView } from './views.ts';

const MAX_ACCESS_KEYS = 2;

/** The user a call is about: the one named, or else the calling user. */
function subjectUser(ctx: RequestContext, name: string | undefined): string {
  const user = name ?? callerUserName(ctx.principal);
  if (user === undefined) throw iamErrors.validation('Must specify userName when calling with non-User credentials');
  return user;
}

const keysOf = (ctx: RequestContext, userName: string) =>
  ctx.env.store.list<AccessKeyRecord>(ACCESS_KEYS, ctx).filter((k) => nameKey(k.UserName) === nameKey(userName));

export const userHandlers = {
  CreateUser(input: { UserName: string; Path?: string; PermissionsBoundary?: string; Tags?: Tag[] }, ctx: RequestContext) {
    const key = nameKey(input.UserName);
    if (ctx.env.store.get(USERS, ctx, key)) throw iamErrors.alreadyExists(`User with name ${input.UserName} already exists.`);
    if (input.PermissionsBoundary !== undefined && !findPolicy(ctx, input.PermissionsBoundary))
      throw iamErrors.noSuchEntity(`Scope ARN: ${input.PermissionsBoundary} does not exist or is not attachable.`);
    const path = input.Path ?? '/';
    const rec: UserRecord = {
      UserName: input.UserName,
      UserId: iamId('AIDA'),
      Arn: `arn:aws:iam::${ctx.account}:user${path}${input.UserName}`,
      Path: path,
      CreateDate: ctx.env.clock.date().toISOString(),
      PermissionsBoundary: input.PermissionsBoundary,
      Tags: mergeTags([], input.Tags, 'User'),
      inlinePolicies: {},
      attachedPolicies: [],
    };
    ctx.env.store.put(USERS, ctx, key, rec);
    return { User: userView(rec, 'get') };
  },

  GetUser(input: { UserName?: string }, ctx: RequestContext) {
    if (input.UserName === undefined && /:root$/.test(ctx.principal.arn)) {
      // The root user has no user record; IAM describes it by account.
      return { User: { UserId: ctx.account, Arn: ctx.principal.arn } };
    }
    return { User: userView(getUser(ctx, subjectUser(ctx, input.UserName)), 'get') };
  },

  ListUsers(input: PageInput & { PathPrefix?: string }, ctx: RequestContext) {
    const users = ctx.env.store.list<UserRecord>(USERS, ctx).filter((u) => u.Path.startsWith(input.PathPrefix ?? '/'));
    const p = page(users, (u) => nameKey(u.UserName), input);
    return { Users: p.items.map((u) => userView(u, 'list')), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },

  DeleteUser(input: { UserName: string }, ctx: RequestContext) {
    const user = getUser(ctx, input.UserName);
    if (keysOf(ctx, user.UserName).length) throw iamErrors.deleteConflict('Cannot delete entity, must delete access keys first.');
    if (Object.keys(user.inlinePolicies).length) throw iamErrors.deleteConflict('Cannot delete entity, must delete policies first.');
    if (user.attachedPolicies.length) throw iamErrors.deleteConflict('Cannot delete entity, must detach all policies first.');
    ctx.env.store.delete(USERS, ctx, nameKey(user.UserName));
    return {};
  },

  CreateAccessKey(input: { UserName?: string }, ctx: RequestContext) {
    const user = getUser(ctx, subjectUser(ctx, input.UserName));
    if (keysOf(ctx, user.UserName).length >= MAX_ACCESS_KEYS) throw iamErrors.limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS}`);
    const rec: AccessKeyRecord = { AccessKeyId: iamId('AKIA', 20), UserName: user.UserName, Status: 'Active', CreateDate: ctx.env.clock.date().toISOString() };
    ctx.env.store.put(ACCESS_KEYS, ctx, rec.AccessKeyId, rec);
    recordIssuedKey(ctx.env, { accessKeyId: rec.AccessKeyId, account: ctx.account, arn: user.Arn, userId: user.UserId });
    // The secret is shown once and never kept: faultline does not verify signatures.
    return { AccessKey: { ...rec, SecretAccessKey: secret() } };
  },

  DeleteAccessKey(input: { AccessKeyId: string; UserName?: string }, ctx: RequestContext) {
    const user = getUser(ctx, subjectUser(ctx, input.UserName));
    const key = ctx.env.store.get<AccessKeyRecord>(ACCESS_KEYS, ctx, input.AccessKeyId);
    if (!key || nameKey(key.UserName) !== nameKey(user.UserName)) throw iamErrors.noSuchEntity(`The Access Key with id ${input.AccessKeyId} cannot be found.`);
    ctx.env.store.delete(ACCESS_KEYS, ctx, input.AccessKeyId);
    revokeIssuedKey(ctx.env, input.AccessKeyId);
    return {};
  },

  ListAccessKeys(input: PageInput & { UserName?: string }, ctx: RequestContext) {
    const user = getUser(ctx, subjectUser(ctx, input.UserName));
    const p = page(keysOf(ctx, user.UserName), (k) => k.AccessKeyId, input);
    return { AccessKeyMetadata: p.items, IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
};
