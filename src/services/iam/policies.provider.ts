/**
 * Managed policies: the account's own (CreatePolicy, GetPolicy, DeletePolicy, ListPolicies and
 * their versions) and AWS's built-in ones, and attaching either to roles and users.
 */
import { iamId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { awsManagedPolicies, type AwsManagedPolicy } from './aws-managed.ts';
import { checkPolicyDocument, documentSize, encodeDocument } from './documents.ts';
import { iamErrors } from './errors.ts';
import { findPolicy, getPolicy, getRole, getUser } from './lookup.ts';
import { page, type PageInput } from './paging.ts';
import { POLICIES, ROLES, USERS, nameKey, type PolicyHolder, type PolicyRecord, type Tag } from './state.ts';
import { mergeTags } from './tags.ts';
import { attachmentCount, attachmentCounts, policyView } from './views.ts';

const MAX_POLICY_SIZE = 6144;
const MAX_ATTACHED = 10;

type AnyPolicy = DeepReadonly<PolicyRecord> | AwsManagedPolicy;

const versionsOf = (p: AnyPolicy) =>
  'versions' in p ? p.versions.map((v) => ({ ...v, IsDefaultVersion: v.VersionId === p.DefaultVersionId })) : [{ VersionId: p.DefaultVersionId, Document: p.Document, CreateDate: p.UpdateDate, IsDefaultVersion: true }];

interface HolderKind {
  coll: string;
  quota: string;
  get(ctx: RequestContext, name: string): PolicyHolder;
}

const ROLE: HolderKind = { coll: ROLES, quota: 'PoliciesPerRole', get: getRole };
const USER: HolderKind = { coll: USERS, quota: 'PoliciesPerUser', get: getUser };

function attach(k: HolderKind, ctx: RequestContext, name: string, arn: string) {
  const holder = k.get(ctx, name);
  const policy = findPolicy(ctx, arn);
  if (!policy) throw iamErrors.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  if (policy.aws && !policy.aws.IsAttachable) throw iamErrors.policyNotAttachable('Cannot attach a Service Role Policy to a Customer Role.');
  if (holder.attachedPolicies.includes(arn)) return {};
  if (holder.attachedPolicies.length >= MAX_ATTACHED) throw iamErrors.limitExceeded(`Cannot exceed quota for ${k.quota}: ${MAX_ATTACHED}`);
  holder.attachedPolicies.push(arn);
  ctx.env.store.put(k.coll, ctx, nameKey(name), holder);
  return {};
}

function detach(k: HolderKind, ctx: RequestContext, name: string, arn: string) {
  const holder = k.get(ctx, name);
  if (!holder.attachedPolicies.includes(arn)) throw iamErrors.noSuchEntity(`Policy ${arn} was not found.`);
  holder.attachedPolicies = holder.attachedPolicies.filter((a) => a !== arn);
  ctx.env.store.put(k.coll, ctx, nameKey(name), holder);
  return {};
}

function listAttached(k: HolderKind, ctx: RequestContext, name: string, input: PageInput & { PathPrefix?: string }) {
  const attached = k.get(ctx, name).attachedPolicies.map((arn) => {
    const p = getPolicy(ctx, arn);
    return p.local ?? p.aws;
  });
  const filtered = attached.filter((p) => p.Path.startsWith(input.PathPrefix ?? '/'));
  const pg = page(filtered, (p) => `${p.PolicyName}\0${p.Arn}`, input);
  return { AttachedPolicies: pg.items.map((p) => ({ PolicyName: p.PolicyName, PolicyArn: p.Arn })), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
}

export const policyHandlers = {
  CreatePolicy(input: { PolicyName: string; PolicyDocument: string; Path?: string; Description?: string; Tags?: Tag[] }, ctx: RequestContext) {
    const key = nameKey(input.PolicyName);
    if (ctx.env.store.get(POLICIES, ctx, key)) throw iamErrors.alreadyExists(`A policy called ${input.PolicyName} already exists. Duplicate names are not allowed.`);
    checkPolicyDocument(input.PolicyDocument, 'identity');
    if (documentSize(input.PolicyDocument) > MAX_POLICY_SIZE) throw iamErrors.limitExceeded(`Cannot exceed quota for PolicySize: ${MAX_POLICY_SIZE}`);
    const path = input.Path ?? '/';
    const now = ctx.env.clock.date().toISOString();
    const rec: PolicyRecord = {
      PolicyName: input.PolicyName,
      PolicyId: iamId('ANPA'),
      Arn: `arn:aws:iam::${ctx.account}:policy${path}${input.PolicyName}`,
      Path: path,
      Description: input.Description,
      CreateDate: now,
      UpdateDate: now,
      DefaultVersionId: 'v1',
      versions: [{ VersionId: 'v1', Document: input.PolicyDocument, CreateDate: now }],
      Tags: mergeTags([], input.Tags, 'Policy'),
    };
    ctx.env.store.put(POLICIES, ctx, key, rec);
    return { Policy: { ...policyView(ctx, rec, 'get'), Description: undefined } };
  },

  GetPolicy(input: { PolicyArn: string }, ctx: RequestContext) {
    const p = getPolicy(ctx, input.PolicyArn);
    return { Policy: policyView(ctx, p.local ?? p.aws, 'get') };
  },

  DeletePolicy(input: { PolicyArn: string }, ctx: RequestContext) {
    const p = getPolicy(ctx, input.PolicyArn);
    if (p.aws) throw iamErrors.accessDenied(`User: ${ctx.principal.arn} is not authorized to perform: iam:DeletePolicy on resource: policy ${input.PolicyArn}`);
    if (attachmentCount(ctx, input.PolicyArn) > 0) throw iamErrors.deleteConflict('Cannot delete a policy attached to entities.');
    if (p.local.versions.length > 1)
      throw iamErrors.deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.");
    ctx.env.store.delete(POLICIES, ctx, nameKey(p.local.PolicyName));
    return {};
  },

  ListPolicies(input: PageInput & { Scope?: 'All' | 'AWS' | 'Local'; OnlyAttached?: boolean; PathPrefix?: string }, ctx: RequestContext) {
    const scope = input.Scope ?? 'All';
    const all: AnyPolicy[] = [
      ...(scope === 'Local' ? [] : awsManagedPolicies()),
      ...(scope === 'AWS' ? [] : ctx.env.store.list<PolicyRecord>(POLICIES, ctx)),
    ];
    // Counted once: the AWS managed policies alone are over a thousand.
    const counts = attachmentCounts(ctx);
    const filtered = all.filter((p) => p.Path.startsWith(input.PathPrefix ?? '/') && (!input.OnlyAttached || counts.has(p.Arn)));
    const pg = page(filtered, (p) => `${p.PolicyName}\0${p.Arn}`, input);
    return { Policies: pg.items.map((p) => policyView(ctx, p, 'list', counts.get(p.Arn) ?? 0)), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  GetPolicyVersion(input: { PolicyArn: string; VersionId: string }, ctx: RequestContext) {
    const p = getPolicy(ctx, input.PolicyArn);
    const v = versionsOf(p.local ?? p.aws).find((x) => x.VersionId === input.VersionId);
    if (!v) throw iamErrors.noSuchEntity(`Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
    return { PolicyVersion: { ...v, Document: encodeDocument(v.Document) } };
  },

  ListPolicyVersions(input: PageInput & { PolicyArn: string }, ctx: RequestContext) {
    const p = getPolicy(ctx, input.PolicyArn);
    const pg = page(versionsOf(p.local ?? p.aws), (v) => v.VersionId.padStart(8, '0'), input);
    // Listed versions carry no document, as IAM lists them.
    return { Versions: pg.items.map(({ Document: _d, ...v }) => v), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  AttachRolePolicy: (i: { RoleName: string; PolicyArn: string }, ctx: RequestContext) => attach(ROLE, ctx, i.RoleName, i.PolicyArn),
  DetachRolePolicy: (i: { RoleName: string; PolicyArn: string }, ctx: RequestContext) => detach(ROLE, ctx, i.RoleName, i.PolicyArn),
  ListAttachedRolePolicies: (i: PageInput & { RoleName: string; PathPrefix?: string }, ctx: RequestContext) => listAttached(ROLE, ctx, i.RoleName, i),
  AttachUserPolicy: (i: { UserName: string; PolicyArn: string }, ctx: RequestContext) => attach(USER, ctx, i.UserName, i.PolicyArn),
  DetachUserPolicy: (i: { UserName: string; PolicyArn: string }, ctx: RequestContext) => detach(USER, ctx, i.UserName, i.PolicyArn),
  ListAttachedUserPolicies: (i: PageInput & { UserName: string; PathPrefix?: string }, ctx: RequestContext) => listAttached(USER, ctx, i.UserName, i),
};
