/**
 * Change sets, as `aws cloudformation deploy` and `cdk deploy` use them: CreateChangeSet
 * (CREATE makes a stack in REVIEW_IN_PROGRESS), DescribeChangeSet with the resource changes and
 * their replacement from the resource specification, ExecuteChangeSet, DeleteChangeSet and
 * ListChangeSets. A change set is computed when it is created, so it is ready at once.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { uuid } from '../../core/ids.ts';
import { activeResources, evalContext } from '../../cloudformation/evaluation.ts';
import { referencedNames } from '../../cloudformation/graph.ts';
import { resolve } from '../../cloudformation/intrinsics.ts';
import type { GivenParameter, StackParameter } from '../../cloudformation/parameters.ts';
import type { Props } from '../../cloudformation/resource-handler.ts';
import { CHANGE_SETS, type ChangeRecord, type ChangeSetRecord, type StackRecord } from '../../cloudformation/state.ts';
import { cachedTemplate, type Template } from '../../cloudformation/template.ts';
import { changedProperties, propertyChanges } from '../../cloudformation/update-behaviour.ts';
import { requireCapabilities } from '../../cloudformation/validate.ts';
import { setStackStatus } from '../../cloudformation/events.ts';
import type { RequestContext } from '../service.ts';
import { checkedParameters, checkedTemplate, checkRoleArn, findStack, page, parameterView, putStack, requireStack, STACK_NAME, templateBody } from './lookup.ts';
import { engineDeps } from './registry.ts';
import { newStack, refuseTypeChanges, refuseUpdate, startCreate, startUpdate } from './stacks.provider.ts';

const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";

const changeSetNotFound = (name: string) => new AwsError('ChangeSetNotFound', `ChangeSet [${name}] does not exist`, 404);

/** The resource changes from the stack's resources to a template with parameters. */
export function computeChanges(ctx: RequestContext, stack: StackRecord, t: Template, params: StackParameter[]): ChangeRecord[] {
  const ec = evalContext(ctx.env, ctx, engineDeps, stack, t, params);
  const active = activeResources(t, ec);
  // Resource ids come from the template: only the stack's own entries count (`toString` is none).
  const old: typeof stack.resources = Object.assign(Object.create(null), stack.resources);
  const oldTemplate = stack.StackStatus === 'REVIEW_IN_PROGRESS' ? undefined : cachedTemplate(stack.templateBody);
  const changes = new Map<string, ChangeRecord>();
  const live = (id: string) => old[id]?.PhysicalResourceId && old[id].ResourceStatus !== 'DELETE_COMPLETE';
  for (const id of active) {
    const type = t.Resources[id].Type;
    if (!live(id)) {
      changes.set(id, { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: id, ResourceType: type, Scope: [], Details: [] } });
      continue;
    }
    let changed: string[];
    try {
      changed = changedProperties(old[id].props ?? {}, (resolve(t.Resources[id].Properties ?? {}, ec) ?? {}) as Props);
    } catch {
      // Refers to something not created yet: compare the definitions as written.
      changed = changedProperties((oldTemplate?.Resources[id]?.Properties ?? {}) as Props, (t.Resources[id].Properties ?? {}) as Props);
    }
    if (changed.length) changes.set(id, modify(id, old[id].PhysicalResourceId, type, changed, 'Static', 'DirectModification'));
  }
  for (const [id, r] of Object.entries(old)) {
    if (active.has(id) || !live(id)) continue;
    changes.set(id, { Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: id, PhysicalResourceId: r.PhysicalResourceId, ResourceType: r.ResourceType, Scope: [], Details: [] } });
  }
  // A replaced resource gets a new id: what refers to it changes too, as CloudFormation finds out while it runs.
  for (let round = 0; round < active.size; round++) {
    let more = false;
    for (const id of active) {
      if (changes.has(id) || !live(id)) continue;
      const props = t.Resources[id].Properties ?? {};
      for (const [name, value] of Object.entries(props)) {
        const cause = [...referencedNames(value)].find((n) => changes.get(n)?.ResourceChange.Replacement === 'True' || changes.get(n)?.ResourceChange.Action === 'Add');
        if (!cause) continue;
        changes.set(id, modify(id, old[id].PhysicalResourceId, t.Resources[id].Type, [name], 'Dynamic', 'ResourceReference', cause));
        more = true;
        break;
      }
    }
    if (!more) break;
  }
  return [...changes.values()];
}

function modify(id: string, physicalId: string | undefined, type: string, changed: string[], evaluation: 'Static' | 'Dynamic', source: string, cause?: string): ChangeRecord {
  const details = propertyChanges(type, changed);
  const replacement = details.some((d) => d.requiresRecreation === 'Always') ? 'True' : details.some((d) => d.requiresRecreation === 'Conditionally') ? 'Conditional' : 'False';
  return {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: id,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      Replacement: replacement,
      Scope: changed.includes('Tags') ? ['Properties', 'Tags'] : ['Properties'],
      Details: details.map((d) => ({
        Target: { Attribute: d.name === 'Tags' ? 'Tags' : 'Properties', Name: d.name === 'Tags' ? undefined : d.name, RequiresRecreation: d.requiresRecreation },
        Evaluation: evaluation,
        ChangeSource: source,
        ...(cause ? { CausingEntity: cause } : {}),
      })),
    },
  };
}

/** A change set by ARN, or by name within a stack. */
function findChangeSet(ctx: RequestContext, name: string, stackName?: string): ChangeSetRecord {
  const all = ctx.env.store.list<ChangeSetRecord>(CHANGE_SETS, ctx) as ChangeSetRecord[];
  if (name.startsWith('arn:')) {
    const cs = all.find((c) => c.ChangeSetId === name);
    if (!cs) throw changeSetNotFound(name);
    return structuredClone(cs);
  }
  if (!stackName) throw errors.validation('StackName must be specified if ChangeSetName is not specified as an ARN.');
  const stack = findStack(ctx, stackName);
  const cs = stack && all.find((c) => c.ChangeSetName === name && c.StackId === stack.StackId);
  if (!cs) throw changeSetNotFound(name);
  return structuredClone(cs);
}

interface CreateChangeSetInput {
  StackName: string;
  ChangeSetName: string;
  ChangeSetType?: 'CREATE' | 'UPDATE' | 'IMPORT';
  TemplateBody?: string;
  TemplateURL?: string;
  UsePreviousTemplate?: boolean;
  Parameters?: GivenParameter[];
  Capabilities?: string[];
  NotificationARNs?: string[];
  Tags?: { Key: string; Value: string }[];
  RoleARN?: string;
  Description?: string;
  ResourcesToImport?: unknown[];
}

export const changeSetHandlers = {
  CreateChangeSet(input: CreateChangeSetInput, ctx: RequestContext) {
    if (!/^[a-zA-Z][-a-zA-Z0-9]*$/.test(input.ChangeSetName)) {
      throw errors.validation(`1 validation error detected: Value '${input.ChangeSetName}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
    }
    checkRoleArn(ctx, input.RoleARN);
    const type = input.ChangeSetType ?? 'UPDATE';
    if (type === 'IMPORT' || input.ResourcesToImport) throw errors.validation('faultline does not import existing resources into stacks.');
    let stack = findStack(ctx, input.StackName);
    if (type === 'CREATE') {
      if (stack && stack.StackStatus !== 'REVIEW_IN_PROGRESS') {
        throw new AwsError('AlreadyExistsException', `Stack [${input.StackName}] already exists and cannot be created again with the changeSet [${input.ChangeSetName}].`, 400);
      }
      if (!STACK_NAME.test(input.StackName)) throw errors.validation(`1 validation error detected: Value '${input.StackName}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
    } else {
      if (!stack) throw errors.validation(`Stack [${input.StackName}] does not exist`);
      if (stack.StackStatus === 'REVIEW_IN_PROGRESS') throw errors.validation(`Stack [${input.StackName}] does not exist`);
      refuseUpdate(stack);
    }
    const checked = checkedTemplate(templateBody(ctx, input, stack));
    requireCapabilities(checked.facts, input.Capabilities);
    const isNew = !stack;
    stack ??= newStack(ctx, input.StackName, { templateBody: checked.body, parameters: [] });
    const parameters = checkedParameters(ctx, engineDeps, checked.template, input.Parameters, stack);
    if (type === 'UPDATE') refuseTypeChanges(stack, checked.body);
    const existing = (ctx.env.store.list<ChangeSetRecord>(CHANGE_SETS, ctx) as ChangeSetRecord[]).find((c) => c.StackId === stack.StackId && c.ChangeSetName === input.ChangeSetName);
    if (existing) throw new AwsError('AlreadyExistsException', `ChangeSet [${input.ChangeSetName}] already exists`, 400);
    const changes = computeChanges(ctx, stack, checked.template, parameters);
    const empty = !changes.length && type === 'UPDATE';
    const cs: ChangeSetRecord = {
      ChangeSetId: `arn:aws:cloudformation:${ctx.region}:${ctx.account}:changeSet/${input.ChangeSetName}/${uuid()}`,
      ChangeSetName: input.ChangeSetName,
      StackId: stack.StackId,
      StackName: stack.StackName,
      ChangeSetType: type,
      Description: input.Description,
      Status: empty ? 'FAILED' : 'CREATE_COMPLETE',
      StatusReason: empty ? NO_CHANGES : undefined,
      ExecutionStatus: empty ? 'UNAVAILABLE' : 'AVAILABLE',
      CreationTime: ctx.env.clock.now(),
      templateBody: checked.body,
      parameters,
      Capabilities: input.Capabilities ?? [],
      NotificationARNs: input.NotificationARNs ?? stack.NotificationARNs,
      Tags: input.Tags ?? stack.Tags,
      RoleARN: input.RoleARN,
      Changes: changes,
    };
    if (isNew) {
      setStackStatus(ctx.env, ctx, stack, 'REVIEW_IN_PROGRESS', 'User Initiated');
      putStack(ctx, stack);
    }
    ctx.env.store.put(CHANGE_SETS, ctx, cs.ChangeSetId, cs);
    return { Id: cs.ChangeSetId, StackId: stack.StackId };
  },

  DescribeChangeSet(input: { ChangeSetName: string; StackName?: string; NextToken?: string }, ctx: RequestContext) {
    const cs = findChangeSet(ctx, input.ChangeSetName, input.StackName);
    const p = page(cs.Changes, input.NextToken, 100);
    return {
      ChangeSetName: cs.ChangeSetName,
      ChangeSetId: cs.ChangeSetId,
      StackId: cs.StackId,
      StackName: cs.StackName,
      Description: cs.Description,
      Parameters: cs.parameters.map(parameterView),
      CreationTime: cs.CreationTime,
      ExecutionStatus: cs.ExecutionStatus,
      Status: cs.Status,
      StatusReason: cs.StatusReason,
      NotificationARNs: cs.NotificationARNs,
      RollbackConfiguration: {},
      Capabilities: cs.Capabilities,
      Tags: cs.Tags,
      Changes: p.items,
      NextToken: p.NextToken,
      IncludeNestedStacks: false,
    };
  },

  ExecuteChangeSet(input: { ChangeSetName: string; StackName?: string; DisableRollback?: boolean }, ctx: RequestContext) {
    const cs = findChangeSet(ctx, input.ChangeSetName, input.StackName);
    if (cs.ExecutionStatus !== 'AVAILABLE') {
      throw new AwsError('InvalidChangeSetStatus', `ChangeSet [${cs.ChangeSetId}] cannot be executed in its current status of [${cs.Status}]`, 400);
    }
    const stack = requireStack(ctx, cs.StackId);
    stack.Capabilities = cs.Capabilities;
    stack.NotificationARNs = cs.NotificationARNs;
    stack.Tags = cs.Tags;
    stack.RoleARN = cs.RoleARN ?? stack.RoleARN;
    stack.ChangeSetId = cs.ChangeSetId;
    if (input.DisableRollback !== undefined) stack.DisableRollback = input.DisableRollback;
    if (cs.ChangeSetType === 'CREATE') {
      if (stack.StackStatus !== 'REVIEW_IN_PROGRESS') throw errors.validation(`Stack:${stack.StackId} is in ${stack.StackStatus} state and can not be updated.`);
      stack.templateBody = cs.templateBody;
      stack.parameters = cs.parameters;
      startCreate(ctx, stack);
    } else {
      refuseUpdate(stack);
      startUpdate(ctx, stack, cs.templateBody, cs.parameters);
    }
    // "After you execute a change set, CloudFormation removes all change sets that are associated
    // with the stack": they no longer apply to it. That includes the one executed.
    for (const other of ctx.env.store.list<ChangeSetRecord>(CHANGE_SETS, ctx)) {
      if (other.StackId === cs.StackId) ctx.env.store.delete(CHANGE_SETS, ctx, other.ChangeSetId);
    }
    return {};
  },

  DeleteChangeSet(input: { ChangeSetName: string; StackName?: string }, ctx: RequestContext) {
    const cs = findChangeSet(ctx, input.ChangeSetName, input.StackName);
    if (cs.ExecutionStatus === 'EXECUTE_IN_PROGRESS') throw new AwsError('InvalidChangeSetStatus', `ChangeSet [${cs.ChangeSetId}] cannot be deleted in its current status`, 400);
    ctx.env.store.delete(CHANGE_SETS, ctx, cs.ChangeSetId);
    return {};
  },

  ListChangeSets(input: { StackName: string; NextToken?: string }, ctx: RequestContext) {
    const stack = requireStack(ctx, input.StackName);
    const all = (ctx.env.store.list<ChangeSetRecord>(CHANGE_SETS, ctx) as ChangeSetRecord[]).filter((c) => c.StackId === stack.StackId).sort((a, b) => a.CreationTime - b.CreationTime);
    const p = page(all, input.NextToken, 100);
    return {
      Summaries: p.items.map((c) => ({
        StackId: c.StackId,
        StackName: c.StackName,
        ChangeSetId: c.ChangeSetId,
        ChangeSetName: c.ChangeSetName,
        ExecutionStatus: c.ExecutionStatus,
        Status: c.Status,
        StatusReason: c.StatusReason,
        CreationTime: c.CreationTime,
        Description: c.Description,
        IncludeNestedStacks: false,
      })),
      NextToken: p.NextToken,
    };
  },
};
