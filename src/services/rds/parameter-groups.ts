/**
 * DB parameter groups, far enough for templates to reference them (spec rds.md §10): the default
 * group of each family (`default.postgres15`) exists implicitly; created groups keep the
 * parameters given, which the engine runtime may read. Parameters are not validated against an
 * engine's list, which faultline does not carry.
 */
import { pageOf } from '../../core/paging.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { ENGINES } from './catalogue.ts';
import { rdsErrors } from './errors.ts';
import { COLL, type DBInstanceRecord, type DBParameterGroupRecord, type Tag } from './state.ts';

export const defaultParameterGroup = (family: string) => `default.${family}`;
const FAMILIES = () => [...new Set(Object.values(ENGINES).flatMap((e) => e.versions.map(e.family)))];
const arnOf = (scope: Scope, name: string) => `arn:aws:rds:${scope.region}:${scope.account}:pg:${name}`;

/** The built-in default groups, made on first sight. */
function builtin(scope: Scope, name: string): DBParameterGroupRecord | undefined {
  const family = FAMILIES().find((f) => defaultParameterGroup(f) === name);
  return family ? { DBParameterGroupName: name, DBParameterGroupFamily: family, Description: `Default parameter group for ${family}`, DBParameterGroupArn: arnOf(scope, name), parameters: {}, tags: [] } : undefined;
}

export function findParameterGroup(ctx: { env: Env } & Scope, name: string): DeepReadonly<DBParameterGroupRecord> {
  const lower = name.toLowerCase();
  const g = ctx.env.store.get<DBParameterGroupRecord>(COLL.parameterGroups, ctx, lower) ?? builtin(ctx, lower);
  if (!g) throw rdsErrors.parameterGroupNotFound(name);
  return g;
}

const view = (g: DeepReadonly<DBParameterGroupRecord>) => ({ DBParameterGroupName: g.DBParameterGroupName, DBParameterGroupFamily: g.DBParameterGroupFamily, Description: g.Description, DBParameterGroupArn: g.DBParameterGroupArn });

interface ParameterInput {
  ParameterName: string;
  ParameterValue?: string;
  ApplyMethod?: string;
}

function editable(ctx: RequestContext, name: string): DBParameterGroupRecord {
  const g = findParameterGroup(ctx, name);
  if (g.DBParameterGroupName.startsWith('default.')) throw rdsErrors.invalidValue(`Default parameter groups cannot be modified: ${g.DBParameterGroupName}`);
  return structuredClone(g) as DBParameterGroupRecord;
}

export const parameterGroupHandlers = {
  CreateDBParameterGroup(input: { DBParameterGroupName: string; DBParameterGroupFamily: string; Description: string; Tags?: Tag[] }, ctx: RequestContext) {
    const name = input.DBParameterGroupName.toLowerCase();
    if (!/^[a-z][a-z0-9-]{0,254}$/.test(name) || name.endsWith('-') || name.includes('--')) throw rdsErrors.invalidValue(`The parameter DBParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`);
    if (!FAMILIES().includes(input.DBParameterGroupFamily)) throw rdsErrors.invalidValue(`ParameterGroupFamily ${input.DBParameterGroupFamily} is not a valid parameter group family`);
    if (ctx.env.store.get(COLL.parameterGroups, ctx, name) || builtin(ctx, name)) throw rdsErrors.parameterGroupExists(name);
    const g: DBParameterGroupRecord = { DBParameterGroupName: name, DBParameterGroupFamily: input.DBParameterGroupFamily, Description: input.Description, DBParameterGroupArn: arnOf(ctx, name), parameters: {}, tags: input.Tags ?? [] };
    ctx.env.store.put(COLL.parameterGroups, ctx, name, g);
    return { DBParameterGroup: view(g) };
  },
  DescribeDBParameterGroups(input: { DBParameterGroupName?: string; Marker?: string; MaxRecords?: number }, ctx: RequestContext) {
    const list = input.DBParameterGroupName !== undefined ? [findParameterGroup(ctx, input.DBParameterGroupName)] : ctx.env.store.list<DBParameterGroupRecord>(COLL.parameterGroups, ctx);
    const page = pageOf(list.map(view), input.Marker, input.MaxRecords ?? 100, () => rdsErrors.invalidValue('The marker is not valid.'));
    return { DBParameterGroups: page.items, Marker: page.next };
  },
  DescribeDBParameters(input: { DBParameterGroupName: string; Source?: string; Marker?: string; MaxRecords?: number }, ctx: RequestContext) {
    const g = findParameterGroup(ctx, input.DBParameterGroupName);
    const params = Object.entries(g.parameters).map(([ParameterName, p]) => ({ ParameterName, ParameterValue: p.ParameterValue, ApplyMethod: p.ApplyMethod ?? 'pending-reboot', Source: 'user', IsModifiable: true }));
    const page = pageOf(input.Source && input.Source !== 'user' ? [] : params, input.Marker, input.MaxRecords ?? 100, () => rdsErrors.invalidValue('The marker is not valid.'));
    return { Parameters: page.items, Marker: page.next };
  },
  ModifyDBParameterGroup(input: { DBParameterGroupName: string; Parameters: ParameterInput[] }, ctx: RequestContext) {
    const g = editable(ctx, input.DBParameterGroupName);
    if (!input.Parameters.length || input.Parameters.length > 20) throw rdsErrors.invalidValue('Between 1 and 20 parameters can be modified in one request.');
    for (const p of input.Parameters) {
      if (p.ParameterValue === undefined) throw rdsErrors.invalidValue(`ParameterValue for ${p.ParameterName} must be provided.`);
      if (p.ApplyMethod !== undefined && p.ApplyMethod !== 'immediate' && p.ApplyMethod !== 'pending-reboot') throw rdsErrors.invalidValue(`Invalid ApplyMethod ${p.ApplyMethod}: use immediate or pending-reboot.`);
      g.parameters[p.ParameterName] = { ParameterValue: p.ParameterValue, ...(p.ApplyMethod ? { ApplyMethod: p.ApplyMethod } : {}) };
    }
    ctx.env.store.put(COLL.parameterGroups, ctx, g.DBParameterGroupName, g);
    return { DBParameterGroupName: g.DBParameterGroupName };
  },
  ResetDBParameterGroup(input: { DBParameterGroupName: string; ResetAllParameters?: boolean; Parameters?: ParameterInput[] }, ctx: RequestContext) {
    const g = editable(ctx, input.DBParameterGroupName);
    if (input.ResetAllParameters) g.parameters = {};
    else for (const p of input.Parameters ?? []) delete g.parameters[p.ParameterName];
    ctx.env.store.put(COLL.parameterGroups, ctx, g.DBParameterGroupName, g);
    return { DBParameterGroupName: g.DBParameterGroupName };
  },
  DeleteDBParameterGroup(input: { DBParameterGroupName: string }, ctx: RequestContext) {
    const g = editable(ctx, input.DBParameterGroupName);
    if (ctx.env.store.list<DBInstanceRecord>(COLL.instances, ctx).some((i) => i.DBParameterGroups.some((p) => p.DBParameterGroupName === g.DBParameterGroupName))) {
      throw rdsErrors.parameterGroupState(`One or more database instances are still members of this parameter group ${g.DBParameterGroupName}, so the group cannot be deleted`);
    }
    ctx.env.store.delete(COLL.parameterGroups, ctx, g.DBParameterGroupName);
    return {};
  },
};
