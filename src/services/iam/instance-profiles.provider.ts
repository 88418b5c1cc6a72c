/**
 * Instance profiles: the container that hands one role to EC2 instances. Create, Get, Delete,
 * List, ListInstanceProfilesForRole, and adding or removing its role (at most one, as in AWS).
 */
import { iamId } from '../../core/ids.ts';
import type { RequestContext } from '../service.ts';
import { iamErrors } from './errors.ts';
import { getInstanceProfile, getRole } from './lookup.ts';
import { page, type PageInput } from './paging.ts';
import { INSTANCE_PROFILES, nameKey, type InstanceProfileRecord, type Tag } from './state.ts';
import { mergeTags } from './tags.ts';
import { instanceProfileView } from './views.ts';

const MAX_ROLES = 1;

const save = (ctx: RequestContext, ip: InstanceProfileRecord) => ctx.env.store.put(INSTANCE_PROFILES, ctx, nameKey(ip.InstanceProfileName), ip);

export const instanceProfileHandlers = {
  CreateInstanceProfile(input: { InstanceProfileName: string; Path?: string; Tags?: Tag[] }, ctx: RequestContext) {
    const key = nameKey(input.InstanceProfileName);
    if (ctx.env.store.get(INSTANCE_PROFILES, ctx, key)) throw iamErrors.alreadyExists(`Instance Profile ${input.InstanceProfileName} already exists.`);
    const path = input.Path ?? '/';
    const rec: InstanceProfileRecord = {
      InstanceProfileName: input.InstanceProfileName,
      InstanceProfileId: iamId('AIPA'),
      Arn: `arn:aws:iam::${ctx.account}:instance-profile${path}${input.InstanceProfileName}`,
      Path: path,
      CreateDate: ctx.env.clock.date().toISOString(),
      roles: [],
      Tags: mergeTags([], input.Tags, 'InstanceProfile'),
    };
    save(ctx, rec);
    return { InstanceProfile: instanceProfileView(ctx, rec, 'get') };
  },

  GetInstanceProfile(input: { InstanceProfileName: string }, ctx: RequestContext) {
    return { InstanceProfile: instanceProfileView(ctx, getInstanceProfile(ctx, input.InstanceProfileName), 'get') };
  },

  DeleteInstanceProfile(input: { InstanceProfileName: string }, ctx: RequestContext) {
    const ip = getInstanceProfile(ctx, input.InstanceProfileName);
    if (ip.roles.length) throw iamErrors.deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    ctx.env.store.delete(INSTANCE_PROFILES, ctx, nameKey(ip.InstanceProfileName));
    return {};
  },

  ListInstanceProfiles(input: PageInput & { PathPrefix?: string }, ctx: RequestContext) {
    const all = ctx.env.store.list<InstanceProfileRecord>(INSTANCE_PROFILES, ctx).filter((ip) => ip.Path.startsWith(input.PathPrefix ?? '/'));
    const p = page(all, (ip) => nameKey(ip.InstanceProfileName), input);
    return { InstanceProfiles: p.items.map((ip) => instanceProfileView(ctx, ip, 'list')), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },

  ListInstanceProfilesForRole(input: PageInput & { RoleName: string }, ctx: RequestContext) {
    const role = getRole(ctx, input.RoleName);
    const key = nameKey(role.RoleName);
    const all = ctx.env.store.list<InstanceProfileRecord>(INSTANCE_PROFILES, ctx).filter((ip) => ip.roles.some((r) => nameKey(r) === key));
    const p = page(all, (ip) => nameKey(ip.InstanceProfileName), input);
    return { InstanceProfiles: p.items.map((ip) => instanceProfileView(ctx, ip, 'list')), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },

  AddRoleToInstanceProfile(input: { InstanceProfileName: string; RoleName: string }, ctx: RequestContext) {
    const ip = getInstanceProfile(ctx, input.InstanceProfileName);
    const role = getRole(ctx, input.RoleName);
    if (ip.roles.length >= MAX_ROLES) throw iamErrors.limitExceeded(`Cannot exceed quota for InstanceSessionsPerInstanceProfile: ${MAX_ROLES}`);
    ip.roles.push(role.RoleName);
    save(ctx, ip);
    return {};
  },

  RemoveRoleFromInstanceProfile(input: { InstanceProfileName: string; RoleName: string }, ctx: RequestContext) {
    const ip = getInstanceProfile(ctx, input.InstanceProfileName);
    const role = getRole(ctx, input.RoleName);
    const key = nameKey(role.RoleName);
    if (!ip.roles.some((r) => nameKey(r) === key)) throw iamErrors.noSuchEntity(`The role with name ${input.RoleName} cannot be found.`);
    ip.roles = ip.roles.filter((r) => nameKey(r) !== key);
    save(ctx, ip);
    return {};
  },
};
