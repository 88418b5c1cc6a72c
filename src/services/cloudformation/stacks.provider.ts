/**
 * Stacks: CreateStack, UpdateStack and DeleteStack validate, record the operation and queue the
 * stack loop (cloudformation/engine.ts), which does the work on the clock. The Describe and List
 * calls read the records. Texts of errors are AWS's.
 */
import { AwsError, errors } from '../../core/errors.ts';
import { uuid } from '../../core/ids.ts';
import { queueStack } from '../../cloudformation/engine.ts';
import { setResourceStatus, setStackStatus, stackEventPage } from '../../cloudformation/events.ts';
import { importersOf, listExports } from '../../cloudformation/evaluation.ts';
import type { GivenParameter } from '../../cloudformation/parameters.ts';
import { STACKS, type StackRecord, type StackStatus } from '../../cloudformation/state.ts';
import { cachedTemplate } from '../../cloudformation/template.ts';
import { requireCapabilities } from '../../cloudformation/validate.ts';
import { sameValue } from '../../cloudformation/update-behaviour.ts';
import type { RequestContext } from '../service.ts';
import { checkedParameters, checkedTemplate, checkRoleArn, checkStackName, findStack, notFound, page, putStack, requireStack, stackView, templateBody } from './lookup.ts';
import { engineDeps } from './registry.ts';
import { own } from '../../core/own.ts';

type Tag = { Key: string; Value: string };

interface CreateInput {
  StackName: string;
  TemplateBody?: string;
  TemplateURL?: string;
  Parameters?: GivenParameter[];
  DisableRollback?: boolean;
  TimeoutInMinutes?: number;
  NotificationARNs?: string[];
  Capabilities?: string[];
  OnFailure?: 'DO_NOTHING' | 'ROLLBACK' | 'DELETE';
  StackPolicyBody?: string;
  StackPolicyURL?: string;
  Tags?: Tag[];
  RoleARN?: string;
  EnableTerminationProtection?: boolean;
}

interface UpdateInput {
  StackName: string;
  TemplateBody?: string;
  TemplateURL?: string;
  UsePreviousTemplate?: boolean;
  Parameters?: GivenParameter[];
  Capabilities?: string[];
  NotificationARNs?: string[];
  Tags?: Tag[];
  RoleARN?: string;
  DisableRollback?: boolean;
  StackPolicyBody?: string;
}

/** Statuses from which UpdateStack (and an UPDATE change set) may start. */
export const UPDATABLE: StackStatus[] = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'];

export const stackArn = (ctx: RequestContext, name: string) => `arn:aws:cloudformation:${ctx.region}:${ctx.account}:stack/${name}/${uuid()}`;

function checkPolicy(body: string | undefined): void {
  if (body === undefined) return;
  try {
    const p = JSON.parse(body);
    if (!p || typeof p !== 'object' || !('Statement' in p)) throw new Error();
  } catch {
    throw errors.validation('Error validating stack policy: Invalid stack policy');
  }
}

/** A new stack record, before its first operation. */
export function newStack(ctx: RequestContext, name: string, fields: Partial<StackRecord> & Pick<StackRecord, 'templateBody' | 'parameters'>): StackRecord {
  return {
    StackId: stackArn(ctx, name),
    StackName: name,
    StackStatus: 'REVIEW_IN_PROGRESS',
    CreationTime: ctx.env.clock.now(),
    DisableRollback: false,
    OnFailure: 'ROLLBACK',
    Capabilities: [],
    NotificationARNs: [],
    Tags: [],
    EnableTerminationProtection: false,
    outputs: [],
    imports: [],
    resources: {},
    retired: [],
    eventSeq: 0,
    ...fields,
  };
}

/** Starts the create operation of a recorded stack. */
export function startCreate(ctx: RequestContext, s: StackRecord): void {
  s.Description = cachedTemplate(s.templateBody).Description;
  setStackStatus(ctx.env, ctx, s, 'CREATE_IN_PROGRESS', 'User Initiated');
  const now = ctx.env.clock.now();
  s.op = { kind: 'CREATE', phase: 'check', done: [], failed: [], deadline: s.TimeoutInMinutes ? now + s.TimeoutInMinutes * 60_000 : undefined };
  putStack(ctx, s);
  queueStack(ctx.env, s.StackId);
}

/**
 * Starts an update of a stack to a new template and parameters (both already checked); or, with
 * `rollback`, the rollback of an update that completed (a nested stack whose parent's update
 * failed elsewhere), back to the template and parameters it had.
 */
export function startUpdate(ctx: RequestContext, s: StackRecord, body: string, parameters: StackRecord['parameters'], rollback = false): void {
  s.previous = rollback ? undefined : { templateBody: s.templateBody, parameters: s.parameters, outputs: s.outputs };
  s.templateBody = body;
  s.parameters = parameters;
  s.Description = cachedTemplate(body).Description;
  s.LastUpdatedTime = ctx.env.clock.now();
  if (rollback) {
    setStackStatus(ctx.env, ctx, s, 'UPDATE_ROLLBACK_IN_PROGRESS');
    s.op = { kind: 'UPDATE_ROLLBACK', phase: 'apply', done: [], failed: [] };
  } else {
    setStackStatus(ctx.env, ctx, s, 'UPDATE_IN_PROGRESS', 'User Initiated');
    s.op = { kind: 'UPDATE', phase: 'check', done: [], failed: [] };
  }
  putStack(ctx, s);
  queueStack(ctx.env, s.StackId);
}

/** Whether two sets of a stack's parameters are the same. */
export function sameParameters(a: StackRecord['parameters'], b: StackRecord['parameters']): boolean {
  // A Systems Manager parameter whose value changed is an update, though its name did not.
  const values = (ps: StackRecord['parameters']) => ps.map((p) => [p.ParameterKey, p.ParameterValue, p.ResolvedValue]);
  return sameValue(values(a), values(b));
}

export function refuseUpdate(s: StackRecord): void {
  if (!UPDATABLE.includes(s.StackStatus)) throw errors.validation(`Stack:${s.StackId} is in ${s.StackStatus} state and can not be updated.`);
}

/** Resource types must stay what they were. */
export function refuseTypeChanges(s: StackRecord, body: string): void {
  const t = cachedTemplate(body);
  const changed = Object.entries(s.resources).filter(([id, r]) => t.Resources[id] && t.Resources[id].Type !== r.ResourceType).map(([id]) => id);
  if (changed.length) throw errors.validation(`Update of resource type is not permitted. The new template modifies resource type of the following resources: [${changed.join(', ')}]`);
}

/**
 * Starts deleting a stack that exists and is not being deleted (DeleteStack, and a nested
 * stack's parent). A stack still being created has what is under way cancelled first.
 */
export function beginDelete(ctx: RequestContext, s: StackRecord, retain?: string[]): void {
  if (s.op?.kind === 'CREATE') {
    for (const r of Object.values(s.resources)) {
      if (!r.work) continue;
      r.work = undefined;
      setResourceStatus(ctx.env, ctx, s, r, 'CREATE_FAILED', 'Resource creation cancelled');
    }
  } else if (s.op) throw errors.validation(`Stack [${s.StackName}] cannot be deleted while in status ${s.StackStatus}`);
  if (s.StackStatus === 'REVIEW_IN_PROGRESS') {
    // Only change sets: nothing was created.
    setStackStatus(ctx.env, ctx, s, 'DELETE_COMPLETE');
    s.DeletionTime = ctx.env.clock.now();
    putStack(ctx, s);
    return;
  }
  setStackStatus(ctx.env, ctx, s, 'DELETE_IN_PROGRESS', 'User Initiated');
  s.op = { kind: 'DELETE', phase: 'delete', done: [], failed: [], skip: retain };
  putStack(ctx, s);
  queueStack(ctx.env, s.StackId);
}

export const stackHandlers = {
  CreateStack(input: CreateInput, ctx: RequestContext) {
    checkStackName(input.StackName);
    if (input.DisableRollback !== undefined && input.OnFailure !== undefined) throw errors.validation('You cannot specify both DisableRollback and OnFailure.');
    if (input.TimeoutInMinutes !== undefined && input.TimeoutInMinutes < 1) throw errors.validation('TimeoutInMinutes must be greater than 0');
    if (input.StackPolicyURL) throw errors.validation('faultline takes stack policies as StackPolicyBody; StackPolicyURL is not supported.');
    checkPolicy(input.StackPolicyBody);
    checkRoleArn(ctx, input.RoleARN);
    const existing = findStack(ctx, input.StackName);
    if (existing) throw new AwsError('AlreadyExistsException', `Stack [${input.StackName}] already exists`, 400);
    const checked = checkedTemplate(templateBody(ctx, input));
    requireCapabilities(checked.facts, input.Capabilities);
    const s = newStack(ctx, input.StackName, {
      templateBody: checked.body,
      parameters: [],
      DisableRollback: input.DisableRollback ?? false,
      OnFailure: input.OnFailure ?? 'ROLLBACK',
      TimeoutInMinutes: input.TimeoutInMinutes,
      Capabilities: input.Capabilities ?? [],
      NotificationARNs: input.NotificationARNs ?? [],
      Tags: input.Tags ?? [],
      RoleARN: input.RoleARN,
      EnableTerminationProtection: input.EnableTerminationProtection ?? false,
      StackPolicyBody: input.StackPolicyBody,
    });
    s.parameters = checkedParameters(ctx, engineDeps, checked.template, input.Parameters, s);
    startCreate(ctx, s);
    return { StackId: s.StackId };
  },

  UpdateStack(input: UpdateInput, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    refuseUpdate(s);
    checkPolicy(input.StackPolicyBody);
    checkRoleArn(ctx, input.RoleARN);
    const checked = checkedTemplate(templateBody(ctx, input, s));
    requireCapabilities(checked.facts, input.Capabilities);
    const parameters = checkedParameters(ctx, engineDeps, checked.template, input.Parameters, s);
    refuseTypeChanges(s, checked.body);
    const sameTemplate = sameValue(cachedTemplate(s.templateBody), checked.template);
    const sameParams = sameParameters(s.parameters, parameters);
    const sameTags = input.Tags === undefined || sameValue(input.Tags, s.Tags);
    if (sameTemplate && sameParams && sameTags) throw errors.validation('No updates are to be performed.');
    if (input.Capabilities) s.Capabilities = input.Capabilities;
    if (input.NotificationARNs) s.NotificationARNs = input.NotificationARNs;
    if (input.Tags) s.Tags = input.Tags;
    if (input.RoleARN) s.RoleARN = input.RoleARN;
    if (input.DisableRollback !== undefined) s.DisableRollback = input.DisableRollback;
    if (input.StackPolicyBody !== undefined) s.StackPolicyBody = input.StackPolicyBody;
    startUpdate(ctx, s, checked.body, parameters);
    return { StackId: s.StackId };
  },

  DeleteStack(input: { StackName: string; RetainResources?: string[]; RoleARN?: string }, ctx: RequestContext) {
    checkRoleArn(ctx, input.RoleARN);
    const s = findStack(ctx, input.StackName);
    // Deleting a stack that does not exist (or is gone) succeeds, as on AWS.
    if (!s || s.StackStatus === 'DELETE_COMPLETE' || s.StackStatus === 'DELETE_IN_PROGRESS') return {};
    if (s.EnableTerminationProtection) throw errors.validation(`Stack [${s.StackName}] cannot be deleted while TerminationProtection is enabled`);
    if (input.RetainResources?.length && s.StackStatus !== 'DELETE_FAILED') {
      throw errors.validation(`Invalid operation on stack [${s.StackId}]. RetainResources can only be specified when the stack is in the DELETE_FAILED state`);
    }
    beginDelete(ctx, s, input.RetainResources);
    return {};
  },

  DescribeStacks(input: { StackName?: string; NextToken?: string }, ctx: RequestContext) {
    if (input.StackName) return { Stacks: [stackView(requireStack(ctx, input.StackName))] };
    const all = (ctx.env.store.list<StackRecord>(STACKS, ctx) as StackRecord[]).filter((s) => s.StackStatus !== 'DELETE_COMPLETE').sort((a, b) => b.CreationTime - a.CreationTime);
    const p = page(all, input.NextToken, 100);
    return { Stacks: p.items.map(stackView), NextToken: p.NextToken };
  },

  ListStacks(input: { StackStatusFilter?: string[]; NextToken?: string }, ctx: RequestContext) {
    const filter = input.StackStatusFilter?.length ? new Set(input.StackStatusFilter) : undefined;
    const all = (ctx.env.store.list<StackRecord>(STACKS, ctx) as StackRecord[]).filter((s) => !filter || filter.has(s.StackStatus)).sort((a, b) => b.CreationTime - a.CreationTime);
    const p = page(all, input.NextToken, 100);
    return {
      StackSummaries: p.items.map((s) => ({
        StackId: s.StackId,
        StackName: s.StackName,
        TemplateDescription: s.Description,
        CreationTime: s.CreationTime,
        LastUpdatedTime: s.LastUpdatedTime,
        DeletionTime: s.DeletionTime,
        StackStatus: s.StackStatus,
        StackStatusReason: s.StackStatusReason,
        ParentId: s.ParentId,
        RootId: s.RootId,
        DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
      })),
      NextToken: p.NextToken,
    };
  },

  DescribeStackEvents(input: { StackName?: string; NextToken?: string }, ctx: RequestContext) {
    if (!input.StackName) throw errors.validation('StackName must be specified');
    const s = requireStack(ctx, input.StackName);
    const p = stackEventPage(ctx.env, ctx, s.StackId, input.NextToken);
    return { StackEvents: p.events.map(({ seq: _seq, ...e }) => e), NextToken: p.NextToken };
  },

  DescribeStackResources(input: { StackName?: string; LogicalResourceId?: string; PhysicalResourceId?: string }, ctx: RequestContext) {
    let s: StackRecord | undefined;
    if (input.StackName) s = requireStack(ctx, input.StackName);
    else if (input.PhysicalResourceId) {
      s = (ctx.env.store.list<StackRecord>(STACKS, ctx) as StackRecord[]).find(
        (x) => x.StackStatus !== 'DELETE_COMPLETE' && Object.values(x.resources).some((r) => r.PhysicalResourceId === input.PhysicalResourceId),
      );
      if (!s) throw errors.validation(`Stack for ${input.PhysicalResourceId} does not exist`);
    } else throw errors.validation('Either StackName or PhysicalResourceId must be specified.');
    const stack = s;
    const resources = Object.values(stack.resources).filter((r) => !input.LogicalResourceId || r.LogicalResourceId === input.LogicalResourceId);
    return {
      StackResources: resources.map((r) => ({
        StackName: stack.StackName,
        StackId: stack.StackId,
        LogicalResourceId: r.LogicalResourceId,
        PhysicalResourceId: r.PhysicalResourceId,
        ResourceType: r.ResourceType,
        Timestamp: r.Timestamp,
        ResourceStatus: r.ResourceStatus,
        ResourceStatusReason: r.ResourceStatusReason,
        DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
      })),
    };
  },

  DescribeStackResource(input: { StackName: string; LogicalResourceId: string }, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    const r = own(s.resources, input.LogicalResourceId);
    if (!r) throw errors.validation(`Resource ${input.LogicalResourceId} does not exist for stack ${input.StackName}`);
    return {
      StackResourceDetail: {
        StackName: s.StackName,
        StackId: s.StackId,
        LogicalResourceId: r.LogicalResourceId,
        PhysicalResourceId: r.PhysicalResourceId,
        ResourceType: r.ResourceType,
        LastUpdatedTimestamp: r.Timestamp,
        ResourceStatus: r.ResourceStatus,
        ResourceStatusReason: r.ResourceStatusReason,
        Metadata: r.Metadata === undefined ? undefined : JSON.stringify(r.Metadata),
        DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
      },
    };
  },

  ListStackResources(input: { StackName: string; NextToken?: string }, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    const p = page(Object.values(s.resources), input.NextToken, 100);
    return {
      StackResourceSummaries: p.items.map((r) => ({
        LogicalResourceId: r.LogicalResourceId,
        PhysicalResourceId: r.PhysicalResourceId,
        ResourceType: r.ResourceType,
        LastUpdatedTimestamp: r.Timestamp,
        ResourceStatus: r.ResourceStatus,
        ResourceStatusReason: r.ResourceStatusReason,
        DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
      })),
      NextToken: p.NextToken,
    };
  },

  CancelUpdateStack(input: { StackName: string }, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    if (s.StackStatus !== 'UPDATE_IN_PROGRESS' || !s.op || s.op.kind !== 'UPDATE' || s.op.phase === 'cleanup') {
      throw errors.validation(`CancelUpdateStack cannot be called from current stack status`);
    }
    // The loop fails the update on its next run, as a user-requested rollback.
    s.op.deadline = ctx.env.clock.now();
    s.op.cancelled = true;
    putStack(ctx, s);
    queueStack(ctx.env, s.StackId);
    return {};
  },

  ContinueUpdateRollback(input: { StackName: string; ResourcesToSkip?: string[] }, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    if (s.StackStatus !== 'UPDATE_ROLLBACK_FAILED') throw errors.validation(`Stack ${s.StackId} is in ${s.StackStatus} state and can not continue update rollback.`);
    for (const id of input.ResourcesToSkip ?? []) if (!own(s.resources, id)) throw errors.validation(`Resource ${id} does not exist for stack ${s.StackName}`);
    setStackStatus(ctx.env, ctx, s, 'UPDATE_ROLLBACK_IN_PROGRESS', 'User Initiated');
    // Skipped resources count as rolled back as they are.
    s.op = { kind: 'UPDATE_ROLLBACK', phase: 'apply', done: [...(input.ResourcesToSkip ?? [])], failed: [] };
    putStack(ctx, s);
    queueStack(ctx.env, s.StackId);
    return {};
  },

  UpdateTerminationProtection(input: { StackName: string; EnableTerminationProtection: boolean }, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    if (s.StackStatus === 'DELETE_COMPLETE') throw notFound(input.StackName);
    if (s.RootId) throw errors.validation(`Stack [${s.StackName}] is a nested stack: its termination protection follows its root stack's, and can be changed only on the root stack [${s.RootId}].`);
    // The choice passes on to the stack's nested stacks, as on AWS.
    const nested = (ctx.env.store.list<StackRecord>(STACKS, ctx) as StackRecord[]).filter((n) => n.RootId === s.StackId);
    for (const x of [s, ...nested.map((n) => structuredClone(n) as StackRecord)]) {
      x.EnableTerminationProtection = input.EnableTerminationProtection;
      putStack(ctx, x);
    }
    return { StackId: s.StackId };
  },

  SetStackPolicy(input: { StackName: string; StackPolicyBody?: string; StackPolicyURL?: string }, ctx: RequestContext) {
    const s = requireStack(ctx, input.StackName);
    if (input.StackPolicyURL) throw errors.validation('faultline takes stack policies as StackPolicyBody; StackPolicyURL is not supported.');
    if (input.StackPolicyBody === undefined) throw errors.validation('Either StackPolicyBody or StackPolicyURL must be specified.');
    checkPolicy(input.StackPolicyBody);
    s.StackPolicyBody = input.StackPolicyBody;
    putStack(ctx, s);
    return {};
  },

  GetStackPolicy(input: { StackName: string }, ctx: RequestContext) {
    return { StackPolicyBody: requireStack(ctx, input.StackName).StackPolicyBody };
  },

  ListExports(input: { NextToken?: string }, ctx: RequestContext) {
    const p = page(listExports(ctx.env, ctx), input.NextToken, 100);
    return { Exports: p.items.map((e) => ({ ExportingStackId: e.stackId, Name: e.name, Value: e.value })), NextToken: p.NextToken };
  },

  ListImports(input: { ExportName: string; NextToken?: string }, ctx: RequestContext) {
    if (!listExports(ctx.env, ctx).some((e) => e.name === input.ExportName)) throw errors.validation(`Export '${input.ExportName}' does not exist.`);
    const users = importersOf(ctx.env, ctx, input.ExportName);
    if (!users.length) throw errors.validation(`Export '${input.ExportName}' is not imported by any stack.`);
    const p = page(users, input.NextToken, 100);
    return { Imports: p.items, NextToken: p.NextToken };
  },
};
