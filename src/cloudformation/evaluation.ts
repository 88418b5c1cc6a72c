/**
 * What intrinsic functions see for one stack: its parameters, pseudo parameters, mappings,
 * conditions, the resources it has (Ref and GetAtt through their handlers), the region's zones
 * and the region's exports. Shared by the stack loop, change sets and template validation.
 */
import { randomBytes } from 'node:crypto';
import { errors } from '../core/errors.ts';
import type { Scope } from '../core/store.ts';
import { regionZones } from '../config.ts';
import type { Env, RequestContext } from '../services/service.ts';
import { conditionEvaluator, type EvalContext, templateError } from './intrinsics.ts';
import { parameterValues, type StackParameter, type StoredParameter } from './parameters.ts';
import { AttributeError, type ResourceContext, type ResourceHandler, type ResourceState, type Signal } from './resource-handler.ts';
import type { RuleLookups } from './rules.ts';
import { STACKS, type StackRecord } from './state.ts';
import { cachedTemplate, type Template } from './template.ts';
import { own } from '../core/own.ts';

/** Everything the engine needs from the services: handlers by type, and lookups for AWS-typed parameters. */
export interface EngineDeps {
  handlers: ReadonlyMap<string, ResourceHandler>;
  /** Whether the resource an AWS-specific parameter value names exists. */
  parameterResourceExists(ctx: RequestContext, awsType: string, value: string): boolean;
  /** What template Rules read from the account (Fn::RefAll, Fn::ValueOf). */
  ruleLookups(ctx: RequestContext): RuleLookups;
  /** A Systems Manager parameter (`name` or `name:version`, the account's or a public one), decrypted; undefined when there is none. */
  readParameter(ctx: RequestContext, selector: string): StoredParameter | undefined;
}

export const zonesOfRegion = (env: Env, region: string): string[] => (regionZones(env.config, region) ?? []).map((l) => region + l).sort();

/** Stacks whose exports count: created, and not deleted. */
const exporting = (s: { StackStatus: string }) => !['DELETE_COMPLETE', 'REVIEW_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED'].includes(s.StackStatus);

export function listExports(env: Env, scope: Scope): { name: string; value: string; stackId: string }[] {
  const out: { name: string; value: string; stackId: string }[] = [];
  for (const s of env.store.list<StackRecord>(STACKS, scope)) {
    if (!exporting(s)) continue;
    for (const o of s.outputs) if (o.ExportName) out.push({ name: o.ExportName, value: o.OutputValue, stackId: s.StackId });
  }
  return out;
}

export function importersOf(env: Env, scope: Scope, exportName: string): string[] {
  return env.store
    .list<StackRecord>(STACKS, scope)
    .filter((s) => s.StackStatus !== 'DELETE_COMPLETE' && s.imports.includes(exportName))
    .map((s) => s.StackName);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomSuffix = (n: number) => [...randomBytes(n)].map((b) => ALNUM[b % ALNUM.length]).join('');

/** `stack-logical-RANDOM`, as CloudFormation names resources that the template does not name. */
export function physicalName(stackName: string, logicalId: string, opts: { maxLength?: number; lowercase?: boolean; separator?: string } = {}): string {
  const max = opts.maxLength ?? 255;
  const sep = opts.separator ?? '-';
  const suffix = randomSuffix(max < 40 ? 8 : 12);
  const room = max - suffix.length - 2 * sep.length;
  let stack = stackName;
  let logical = logicalId;
  if (stack.length + logical.length > room) {
    const half = Math.floor(room / 2);
    if (stack.length > half && logical.length > room - half) [stack, logical] = [stack.slice(0, half), logical.slice(0, room - half)];
    else if (stack.length > half) stack = stack.slice(0, room - logical.length);
    else logical = logical.slice(0, room - stack.length);
  }
  const name = `${stack}${sep}${logical}${sep}${suffix}`;
  return opts.lowercase ? name.toLowerCase() : name;
}

/** A request context for the services' handlers, in the stack's account and region. */
export function requestContext(env: Env, scope: Scope): RequestContext {
  return {
    ...scope,
    env,
    requestId: 'cloudformation',
    principal: { account: scope.account, arn: `arn:aws:iam::${scope.account}:root`, userId: scope.account, accessKeyId: '' },
  };
}

export function resourceContext(env: Env, scope: Scope, stack: StackRecord, logicalId: string): ResourceContext {
  return {
    env,
    request: requestContext(env, scope),
    stackName: stack.StackName,
    stackId: stack.StackId,
    logicalId,
    physicalName: (opts) => physicalName(stack.StackName, logicalId, opts),
    handleSignals: (url: string): Signal[] => Object.values(stack.resources).find((r) => r.ResourceType === 'AWS::CloudFormation::WaitConditionHandle' && r.PhysicalResourceId === url)?.signals ?? [],
    endpoint: env.instanceEndpoint ?? env.endpoint ?? 'http://127.0.0.1',
    rollingBack: stack.op?.kind === 'UPDATE_ROLLBACK',
    updatePolicy: cachedTemplate(stack.templateBody).Resources[logicalId]?.UpdatePolicy,
  };
}

export const stateOf = (r: { PhysicalResourceId?: string; props?: Record<string, unknown>; data?: Record<string, unknown> }): ResourceState => ({
  physicalId: r.PhysicalResourceId ?? '',
  props: r.props ?? {},
  data: r.data ?? {},
});

/**
 * The evaluation context for a stack, a template and parameter values. `onImport` records the
 * exports the stack reads. Resources not created yet (or not in the stack) fail Ref and GetAtt.
 */
export function evalContext(
  env: Env,
  scope: Scope,
  deps: EngineDeps,
  stack: StackRecord,
  t: Template,
  params: readonly StackParameter[],
  onImport?: (name: string) => void,
): EvalContext {
  const current = () => stack;
  let ctx: EvalContext;
  const condition = conditionEvaluator(t.Conditions, () => ctx);
  ctx = {
    region: scope.region,
    account: scope.account,
    stackName: stack.StackName,
    stackId: stack.StackId,
    notificationArns: stack.NotificationARNs,
    params: parameterValues(t, params),
    mappings: t.Mappings,
    condition,
    resourceNames: new Set(Object.keys(t.Resources)),
    ref(id) {
      const r = own(current().resources, id);
      if (!r?.PhysicalResourceId) throw templateError(`resource ${id} has not been created`);
      const h = deps.handlers.get(r.ResourceType);
      return h?.ref ? h.ref(stateOf(r), resourceContext(env, scope, stack, id)) : r.PhysicalResourceId;
    },
    getAtt(id, attr) {
      const r = own(current().resources, id);
      if (!r?.PhysicalResourceId) throw templateError(`resource ${id} has not been created`);
      const h = deps.handlers.get(r.ResourceType);
      const bad = () => templateError(`resource ${id} does not support attribute type ${attr} in Fn::GetAtt`);
      if (!h?.getAtt) throw bad();
      try {
        const v = h.getAtt(stateOf(r), attr, resourceContext(env, scope, stack, id));
        if (v === undefined) throw bad();
        return v;
      } catch (e) {
        if (e instanceof AttributeError) throw bad();
        throw e;
      }
    },
    azs: (region) => {
      if (region !== scope.region && !regionZones(env.config, region)) throw templateError(`Fn::GetAZs: unknown region ${region}`);
      return zonesOfRegion(env, region);
    },
    importValue(name) {
      const found = listExports(env, scope).find((e) => e.name === name);
      if (!found) throw errors.validation(`No export named ${name} found`);
      onImport?.(name);
      return found.value;
    },
  };
  return ctx;
}

/** The resources whose Condition holds. */
export function activeResources(t: Template, ctx: EvalContext): Set<string> {
  return new Set(Object.entries(t.Resources).filter(([, r]) => !r.Condition || ctx.condition(r.Condition)).map(([id]) => id));
}
