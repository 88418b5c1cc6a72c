/**
 * The checks FIS makes on an experiment template, at create and at update: the model has checked
 * required members and lengths; these check what the members mean. Every problem is a
 * ValidationException that names the part of the template at fault.
 */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { actionSpec } from './catalogue.ts';
import { alarmAt } from './alarms.ts';
import { zoneNamed } from '../ec2/regions.provider.ts';
import { parseSelectionMode, resourceType } from './targets.ts';
import { validation, type TemplateBody } from './state.ts';
import { ROLE_ARN } from '../../world/faults.ts';

export const MAX_ACTIONS = 20;
export const MAX_STOP_CONDITIONS = 5;
export const MAX_RESOURCE_ARNS = 5;

export function validateTemplate(env: Env, scope: Scope, t: TemplateBody): void {
  if (!ROLE_ARN.test(t.roleArn)) throw validation(`Invalid roleArn: ${t.roleArn} is not the ARN of an IAM role.`);
  checkStopConditions(env, scope, t);
  if (t.experimentOptions?.accountTargeting === 'multi-account') throw validation('Account targeting multi-account is not supported by faultline; use single-account.');
  for (const [name, target] of Object.entries(t.targets)) checkTarget(env, scope, name, target);
  checkActions(env, scope, t);
}

function checkStopConditions(env: Env, scope: Scope, t: TemplateBody): void {
  if (t.stopConditions.length > MAX_STOP_CONDITIONS) throw validation(`An experiment template can have at most ${MAX_STOP_CONDITIONS} stop conditions.`);
  for (const c of t.stopConditions) {
    if (c.source === 'none') {
      if (c.value !== undefined) throw validation('A stop condition with source none takes no value.');
      continue;
    }
    if (c.source !== 'aws:cloudwatch:alarm') throw validation(`Stop condition source ${c.source} is not supported; use aws:cloudwatch:alarm or none.`);
    if (c.value === undefined) throw validation('A stop condition with source aws:cloudwatch:alarm needs the ARN of the alarm as its value.');
    if (!alarmAt(env, scope, c.value)) throw validation(`Stop condition alarm ${c.value} does not exist.`);
  }
}

function checkTarget(env: Env, scope: Scope, name: string, target: TemplateBody['targets'][string]): void {
  const type = resourceType(target.resourceType);
  if (!type) throw validation(`Target ${name}: resource type ${target.resourceType} is not supported.`);
  if (!parseSelectionMode(target.selectionMode)) throw validation(`Target ${name}: selection mode ${target.selectionMode} is not valid; use ALL, COUNT(n) or PERCENT(n).`);
  const arns = target.resourceArns ?? [];
  const selects = arns.length > 0 || Object.keys(target.resourceTags ?? {}).length > 0 || (target.filters ?? []).length > 0 || Object.keys(target.parameters ?? {}).length > 0;
  if (!selects) throw validation(`Target ${name} must specify resourceArns, resourceTags, filters or parameters.`);
  if (arns.length && (target.resourceTags || target.filters)) throw validation(`Target ${name}: resourceArns cannot be combined with resourceTags or filters.`);
  if (arns.length > MAX_RESOURCE_ARNS) throw validation(`Target ${name} can name at most ${MAX_RESOURCE_ARNS} resourceArns.`);
  for (const arn of arns) if (!type.arnPattern.test(arn)) throw validation(`Target ${name}: ${arn} is not the ARN of a ${target.resourceType} resource.`);
  for (const f of target.filters ?? []) {
    if (!/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$/.test(f.path)) throw validation(`Target ${name}: filter path ${f.path} is not a dotted attribute path.`);
  }
  for (const [p, v] of Object.entries(target.parameters ?? {})) {
    if (!Object.hasOwn(type.parameters, p)) throw validation(`Target ${name}: ${target.resourceType} has no parameter ${p}.`);
    if (p === 'availabilityZoneIdentifier' && !zoneNamed(env.config, scope.region, v)) throw validation(`Target ${name}: there is no Availability Zone ${v} in ${scope.region}.`);
  }
}

function checkActions(env: Env, scope: Scope, t: TemplateBody): void {
  const names = Object.keys(t.actions);
  if (names.length === 0) throw validation('An experiment template needs at least one action.');
  if (names.length > MAX_ACTIONS) throw validation(`An experiment template can have at most ${MAX_ACTIONS} actions.`);
  for (const [name, action] of Object.entries(t.actions)) {
    const spec = actionSpec(action.actionId);
    if (!spec) throw validation(`Action ${name}: action type ${action.actionId} is not supported.`);
    const params = action.parameters ?? {};
    for (const [p, v] of Object.entries(params)) {
      const ps = Object.hasOwn(spec.parameters, p) ? spec.parameters[p] : undefined;
      if (!ps) throw validation(`Action ${name}: ${action.actionId} has no parameter ${p}.`);
      const problem = ps.check?.(v, { env, scope });
      if (problem) throw validation(`Action ${name}: parameter ${p} ${problem}.`);
    }
    for (const [p, ps] of Object.entries(spec.parameters)) {
      if (ps.required && !Object.hasOwn(params, p)) throw validation(`Action ${name}: ${action.actionId} requires the parameter ${p}.`);
    }
    const keys = Object.entries(action.targets ?? {});
    if (!spec.target && keys.length) throw validation(`Action ${name}: ${action.actionId} takes no targets.`);
    if (spec.target) {
      if (keys.length !== 1 || keys[0][0] !== spec.target.key) throw validation(`Action ${name}: ${action.actionId} needs exactly one target, under the key ${spec.target.key}.`);
      const targetName = keys[0][1];
      const target = Object.hasOwn(t.targets, targetName) ? t.targets[targetName] : undefined;
      if (!target) throw validation(`Action ${name}: target ${targetName} is not defined in the template.`);
      if (target.resourceType !== spec.target.resourceType) {
        throw validation(`Action ${name}: target ${targetName} is of type ${target.resourceType}, but ${action.actionId} acts on ${spec.target.resourceType}.`);
      }
      if (spec.target.arnsOnly && !target.resourceArns?.length) throw validation(`Action ${name}: ${action.actionId} takes its target ${targetName} by resourceArns only.`);
    }
    for (const after of action.startAfter ?? []) {
      if (after === name) throw validation(`Action ${name} cannot start after itself.`);
      if (!Object.hasOwn(t.actions, after)) throw validation(`Action ${name}: startAfter names ${after}, which is not an action of the template.`);
    }
  }
  const cycle = findCycle(t.actions);
  if (cycle) throw validation(`The actions' startAfter form a cycle: ${cycle.join(' -> ')}.`);
}

/** A cycle in the startAfter graph, as the names along it, if there is one. */
function findCycle(actions: TemplateBody['actions']): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const after of actions[name].startAfter ?? []) {
      const found = visit(after);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(actions)) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}
