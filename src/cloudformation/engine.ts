/**
 * The stack loop: one reconciler that moves a stack's operation on (create, update, delete and
 * the two rollbacks), as CloudFormation does, on the scheduler.
 *
 * Each run reads the stack, starts every resource action whose dependencies are done (so
 * independent resources go in parallel), polls the ones under way that are due, and commits
 * the stack, the services' records and the events together. A handler's writes run in a
 * savepoint: a handler that fails leaves nothing behind and becomes a failed resource. A crash
 * loses at most the run in progress, which the scheduler runs again after a restart.
 */
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { parseDuration } from '../core/duration.ts';
import { AwsError } from '../core/errors.ts';
import { deleteEvents, setResourceStatus, setStackStatus } from './events.ts';
import { activeResources, evalContext, importersOf, listExports, requestContext, resourceContext, stateOf, type EngineDeps } from './evaluation.ts';
import { resolveDynamicReferences } from './dynamic-references.ts';
import { buildGraph, type Graph } from './graph.ts';
import { asString, resolve, type EvalContext } from './intrinsics.ts';
import { awsTypeOf, isListType, splitList, valueType } from './parameters.ts';
import type { Progress, Props, ResourceHandler } from './resource-handler.ts';
import { parseStackId, STACKS, type Operation, type RetiredResource, type StackOutput, type StackRecord, type StackResource } from './state.ts';
import { cachedTemplate, type ResourceDecl, type Template } from './template.ts';
import { checkProperties, sameValue, updateKind } from './update-behaviour.ts';
import { own } from '../core/own.ts';

export const STACK_LOOP = 'cloudformation.stack';
export const PURGE_LOOP = 'cloudformation.purge';
/** How long a deleted stack stays visible by id. */
export const DELETED_VISIBLE_MS = 90 * 24 * 3600 * 1000;
/** Types that honour a CreationPolicy. */
const SIGNALLED_TYPES = ['AWS::EC2::Instance', 'AWS::AutoScaling::AutoScalingGroup', 'AWS::CloudFormation::WaitCondition'];

export const queueStack = (env: Env, stackId: string, at = env.clock.now()) => env.scheduler.enqueue(STACK_LOOP, stackId, at);

/** The reason a failed handler gives, as a resource's status reason. */
export function failureReason(e: unknown, log?: (m: string) => void): string {
  if (e instanceof AwsError) return e.message;
  log?.(`faultline: CloudFormation resource handler failed: ${(e as Error)?.stack ?? e}`);
  return `Internal Failure (${(e as Error)?.message ?? String(e)})`;
}

const ACTION_STATUS = {
  create: { progress: 'CREATE_IN_PROGRESS', complete: 'CREATE_COMPLETE', failed: 'CREATE_FAILED' },
  update: { progress: 'UPDATE_IN_PROGRESS', complete: 'UPDATE_COMPLETE', failed: 'UPDATE_FAILED' },
  delete: { progress: 'DELETE_IN_PROGRESS', complete: 'DELETE_COMPLETE', failed: 'DELETE_FAILED' },
} as const;

type StepResult = 'progress' | { waitUntil: number } | 'idle';

export function stackLoops(env: Env, deps: EngineDeps, log: (m: string) => void = () => {}) {
  return {
    [STACK_LOOP]: (key: string): number | void => {
      const parsed = parseStackId(key);
      if (!parsed) return;
      const scope = { account: parsed.account, region: parsed.region };
      const stack = env.store.mutable<StackRecord>(STACKS, scope, key);
      if (!stack?.op) return;
      const before = stack.StackStatus;
      const run = new StackRun(env, deps, scope, stack, log);
      const next = run.advance();
      env.store.put(STACKS, scope, key, stack);
      if (stack.StackStatus !== before) wakeWatchers(env, scope, stack);
      if (stack.StackStatus === 'DELETE_COMPLETE') env.scheduler.enqueue(PURGE_LOOP, key, env.clock.now() + DELETED_VISIBLE_MS);
      return next === undefined ? undefined : Math.max(1, next - env.clock.now());
    },
    [PURGE_LOOP]: (key: string): void => {
      const parsed = parseStackId(key);
      if (!parsed) return;
      const scope = { account: parsed.account, region: parsed.region };
      const stack = env.store.get<StackRecord>(STACKS, scope, key);
      if (stack?.StackStatus !== 'DELETE_COMPLETE') return;
      env.store.delete(STACKS, scope, key);
      deleteEvents(env, scope, key);
    },
  };
}

/**
 * Tells whoever waits on a stack that its status changed: a nested stack's parent polls the
 * stack's resource now rather than at its next poll, and a stack set's operation runs.
 */
function wakeWatchers(env: Env, scope: Scope, stack: StackRecord): void {
  if (stack.watcher) env.scheduler.enqueue(stack.watcher.loop, stack.watcher.key);
  if (!stack.ParentId) return;
  const parent = env.store.mutable<StackRecord>(STACKS, scope, stack.ParentId);
  const entry = parent && [...Object.values(parent.resources), ...parent.retired].find((r) => r.PhysicalResourceId === stack.StackId && r.work);
  if (!parent || !entry) return;
  entry.work!.next = env.clock.now();
  env.store.put(STACKS, scope, parent.StackId, parent);
  queueStack(env, parent.StackId);
}

class StackRun {
  private now: number;

  constructor(
    private env: Env,
    private deps: EngineDeps,
    private scope: Scope,
    private stack: StackRecord,
    private log: (m: string) => void,
  ) {
    this.now = env.clock.now();
  }

  /** Steps until nothing more can happen now; returns when to come back (clock ms), if ever. */
  advance(): number | undefined {
    for (let i = 0; i < 10_000; i++) {
      const op = this.stack.op;
      if (!op) return undefined;
      const r = this.step(op);
      if (r === 'progress') continue;
      if (r === 'idle') return undefined;
      return op.deadline !== undefined ? Math.min(r.waitUntil, op.deadline) : r.waitUntil;
    }
    return this.now + 1;
  }

  private step(op: Operation): StepResult {
    if (op.deadline !== undefined && this.now >= op.deadline && (op.phase === 'check' || op.phase === 'apply') && op.kind !== 'UPDATE_ROLLBACK') {
      op.deadline = undefined;
      this.cancelInProgress(op);
      const reason = op.cancelled ? 'User Initiated' : op.kind === 'CREATE' ? 'Stack creation time exceeded the specified timeout.' : 'Stack update time exceeded the specified timeout.';
      this.failOperation(op, reason);
      return 'progress';
    }
    switch (op.phase) {
      case 'check':
        return this.checkParameters(op);
      case 'apply':
        return this.apply(op);
      case 'cleanup':
      case 'delete':
        return this.deleteAll(op);
    }
  }

  private get template(): Template {
    return cachedTemplate(this.stack.templateBody);
  }

  private evalCtx(): EvalContext {
    return evalContext(this.env, this.scope, this.deps, this.stack, this.template, this.stack.parameters, (name) => {
      if (!this.stack.imports.includes(name)) this.stack.imports.push(name);
    });
  }

  // ---- parameters of AWS-specific types ----

  private checkParameters(op: Operation): StepResult {
    const ctx = resourceContext(this.env, this.scope, this.stack, this.stack.StackName).request;
    for (const p of this.stack.parameters) {
      const decl = this.template.Parameters[p.ParameterKey];
      // A Systems Manager type of an AWS-specific type is checked on the value it resolved to.
      const type = decl && valueType(decl.Type);
      const awsType = type && awsTypeOf(type);
      if (!awsType) continue;
      const value = p.ResolvedValue ?? p.ParameterValue;
      const values = isListType(type) ? splitList(value) : [value];
      for (const v of values) {
        if (!this.deps.parameterResourceExists(ctx, awsType, v)) {
          this.failOperation(op, `Parameter validation failed: parameter value ${v} for parameter name ${p.ParameterKey} does not exist.`);
          return 'progress';
        }
      }
    }
    op.phase = 'apply';
    return 'progress';
  }

  // ---- create and update: converge the resources to the template ----

  private apply(op: Operation): StepResult {
    const t = this.template;
    let ctx: EvalContext;
    let graph: Graph;
    let active: Set<string>;
    try {
      ctx = this.evalCtx();
      active = activeResources(t, ctx);
      graph = buildGraph(t, active);
    } catch (e) {
      this.failOperation(op, failureReason(e, this.log));
      return 'progress';
    }
    let progressed = false;
    let waitUntil = Infinity;
    for (const id of active) {
      if (op.done.includes(id)) continue;
      const res = own(this.stack.resources, id);
      if (res?.work) {
        if (res.work.next <= this.now) {
          if (!this.poll(op, res)) return 'progress';
          progressed = true;
        } else waitUntil = Math.min(waitUntil, res.work.next);
        continue;
      }
      const deps = graph.get(id) ?? new Set();
      if ([...deps].some((d) => !op.done.includes(d))) continue;
      if (!this.start(op, id, t.Resources[id], ctx, [...deps])) return 'progress';
      progressed = true;
    }
    if ([...active].every((id) => op.done.includes(id))) {
      this.finishApply(op, active, ctx);
      return 'progress';
    }
    if (progressed) return 'progress';
    return waitUntil === Infinity ? 'idle' : { waitUntil };
  }

  /** Starts creating, updating or replacing a resource; false when that failed the operation. */
  private start(op: Operation, id: string, decl: ResourceDecl, ctx: EvalContext, deps: string[]): boolean {
    const handler = this.deps.handlers.get(decl.Type);
    const existing = own(this.stack.resources, id);
    const live = existing?.PhysicalResourceId && existing.ResourceStatus !== 'DELETE_COMPLETE' ? existing : undefined;
    let props: Props;
    let metadata: unknown;
    try {
      const request = requestContext(this.env, this.scope);
      props = resolveDynamicReferences((resolve(decl.Properties ?? {}, ctx) ?? {}) as Props, decl.Type, (selector) => this.deps.readParameter(request, selector));
      metadata = decl.Metadata === undefined ? undefined : resolve(decl.Metadata, ctx);
    } catch (e) {
      return this.failBeforeStart(op, id, decl, live ? 'update' : 'create', failureReason(e, this.log));
    }
    if (!handler) {
      return this.failBeforeStart(op, id, decl, live ? 'update' : 'create', `faultline does not support resource type ${decl.Type} yet; the stack cannot create ${id}.`);
    }
    if (!live) return this.create(op, id, decl, props, metadata, handler, deps, undefined);
    if (live.ResourceType !== decl.Type) {
      return this.failBeforeStart(op, id, decl, 'update', `Update of resource type is not permitted. The new template modifies resource type of the following resources: [${id}]`);
    }
    // Rolling back an update: a resource replaced during the update gets its old physical resource back.
    const original = op.kind === 'UPDATE_ROLLBACK' ? this.stack.retired.find((r) => r.LogicalResourceId === id && r.replaced && sameValue(r.props, props)) : undefined;
    if (original && !sameValue(live.props ?? {}, props)) {
      this.stack.retired = this.stack.retired.filter((r) => r !== original);
      this.retire(live, true, decl.UpdateReplacePolicy);
      Object.assign(live, { PhysicalResourceId: original.PhysicalResourceId, props: original.props, data: original.data, deps });
      setResourceStatus(this.env, this.scope, this.stack, live, 'UPDATE_IN_PROGRESS', undefined, props);
      setResourceStatus(this.env, this.scope, this.stack, live, 'UPDATE_COMPLETE');
      op.done.push(id);
      return true;
    }
    const update = updateKind(decl.Type, live.props ?? {}, props, handler.replacesOnConditional?.bind(handler));
    const { changed } = update;
    const kind = update.kind !== 'None' && update.kind !== 'Replacement' && handler.replacesUnderPolicy?.(changed, resolve(decl.UpdatePolicy, ctx) as Record<string, unknown> | undefined) ? 'Replacement' : update.kind;
    live.deletionPolicy = decl.DeletionPolicy;
    live.updateReplacePolicy = decl.UpdateReplacePolicy;
    live.Metadata = metadata;
    live.Description = undefined;
    if (kind === 'None') {
      live.deps = deps;
      op.done.push(id);
      return true;
    }
    // A stack policy guards updates; a rollback restores what the policy already allowed.
    const denied = op.kind === 'UPDATE' ? this.policyDenies(id, decl.Type, kind === 'Replacement' ? 'Update:Replace' : 'Update:Modify') : undefined;
    if (denied) return this.failBeforeStart(op, id, decl, 'update', `Action denied by stack policy: ${denied}`);
    if (kind === 'Replacement') {
      setResourceStatus(this.env, this.scope, this.stack, live, 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource; hence creating one.', props);
      return this.create(op, id, decl, props, metadata, handler, deps, live);
    }
    return this.updateInPlace(op, live, props, changed, handler, deps);
  }

  private create(op: Operation, id: string, decl: ResourceDecl, props: Props, metadata: unknown, handler: ResourceHandler, deps: string[], replacing: StackResource | undefined): boolean {
    const action = replacing ? 'update' : 'create';
    const res: StackResource = replacing ?? {
      LogicalResourceId: id,
      ResourceType: decl.Type,
      ResourceStatus: 'CREATE_IN_PROGRESS',
      Timestamp: this.now,
      deps,
    };
    this.stack.resources[id] = res;
    if (!replacing) setResourceStatus(this.env, this.scope, this.stack, res, 'CREATE_IN_PROGRESS', undefined, props);
    const invalid = checkProperties(decl.Type, props);
    if (invalid) return this.failResource(op, res, action, invalid);
    const rc = resourceContext(this.env, this.scope, this.stack, id);
    let out: { physicalId: string; data?: Record<string, unknown> };
    try {
      out = this.env.store.savepoint(() => handler.create(props, rc));
    } catch (e) {
      return this.failResource(op, res, action, failureReason(e, this.log));
    }
    if (replacing) this.retire(replacing, true, decl.UpdateReplacePolicy);
    Object.assign(res, {
      PhysicalResourceId: out.physicalId,
      props,
      data: out.data ?? {},
      deps,
      Metadata: metadata,
      deletionPolicy: decl.DeletionPolicy,
      updateReplacePolicy: decl.UpdateReplacePolicy,
      signals: [],
    });
    setResourceStatus(this.env, this.scope, this.stack, res, ACTION_STATUS[action].progress, 'Resource creation Initiated');
    res.work = { action, next: this.now };
    // Most resources are ready at once: see now, rather than on a later pass.
    return this.poll(op, res);
  }

  private updateInPlace(op: Operation, res: StackResource, props: Props, changed: string[], handler: ResourceHandler, deps: string[]): boolean {
    setResourceStatus(this.env, this.scope, this.stack, res, 'UPDATE_IN_PROGRESS', undefined, props);
    if (!handler.update) return this.failResource(op, res, 'update', `faultline cannot update ${res.ResourceType} in place yet (properties ${changed.join(', ')}).`);
    const rc = resourceContext(this.env, this.scope, this.stack, res.LogicalResourceId);
    try {
      const out = this.env.store.savepoint(() => handler.update!(props, stateOf(res), changed, rc));
      res.data = { ...res.data, ...(out?.data ?? {}) };
    } catch (e) {
      return this.failResource(op, res, 'update', failureReason(e, this.log));
    }
    res.props = props;
    res.deps = deps;
    res.work = { action: 'update', next: this.now };
    return this.poll(op, res);
  }

  /** Polls work under way on a resource; false when it failed the operation. */
  private poll(op: Operation, res: StackResource): boolean {
    const work = res.work!;
    const action = work.action as 'create' | 'update';
    const handler = this.deps.handlers.get(res.ResourceType)!;
    const decl = this.template.Resources[res.LogicalResourceId];
    if (work.awaitingSignals) return this.pollSignals(op, res, decl);
    if (handler.stabilize) {
      const rc = resourceContext(this.env, this.scope, this.stack, res.LogicalResourceId);
      let p: Progress;
      try {
        p = this.env.store.savepoint(() => handler.stabilize!(stateOf(res), rc));
      } catch (e) {
        return this.failResource(op, res, action, failureReason(e, this.log));
      }
      if (p.data) res.data = { ...res.data, ...p.data };
      if (!p.done) {
        work.next = this.now + Math.max(1, p.waitMs);
        return true;
      }
    }
    const signal = decl?.CreationPolicy?.ResourceSignal;
    if (action === 'create' && signal && SIGNALLED_TYPES.includes(res.ResourceType)) {
      const timeout = parseDuration(signal.Timeout) ?? 5 * 60_000;
      res.work = { action, awaitingSignals: true, next: this.now + timeout, deadline: this.now + timeout };
      return this.pollSignals(op, res, decl);
    }
    return this.complete(op, res, action);
  }

  private pollSignals(op: Operation, res: StackResource, decl: ResourceDecl | undefined): boolean {
    const work = res.work!;
    const count = Number(decl?.CreationPolicy?.ResourceSignal?.Count ?? 1);
    const signals = res.signals ?? [];
    const failure = signals.find((s) => s.Status === 'FAILURE');
    if (failure) return this.failResource(op, res, 'create', `Received FAILURE signal with UniqueId ${failure.UniqueId}`);
    const ok = signals.filter((s) => s.Status === 'SUCCESS').length;
    if (ok >= count) return this.complete(op, res, 'create');
    if (this.now >= (work.deadline ?? Infinity)) {
      return this.failResource(op, res, 'create', `Failed to receive ${count - ok} resource signal(s) within the specified duration`);
    }
    work.next = work.deadline ?? this.now + 60_000;
    return true;
  }

  private complete(op: Operation, res: StackResource, action: 'create' | 'update'): boolean {
    res.work = undefined;
    setResourceStatus(this.env, this.scope, this.stack, res, ACTION_STATUS[action].complete);
    op.done.push(res.LogicalResourceId);
    return true;
  }

  private failBeforeStart(op: Operation, id: string, decl: ResourceDecl, action: 'create' | 'update', reason: string): boolean {
    const res: StackResource = own(this.stack.resources, id) ?? { LogicalResourceId: id, ResourceType: decl.Type, ResourceStatus: 'CREATE_IN_PROGRESS', Timestamp: this.now, deps: [] };
    this.stack.resources[id] = res;
    if (action === 'create') setResourceStatus(this.env, this.scope, this.stack, res, 'CREATE_IN_PROGRESS');
    else setResourceStatus(this.env, this.scope, this.stack, res, 'UPDATE_IN_PROGRESS');
    return this.failResource(op, res, action, reason);
  }

  /** Marks a resource failed and fails the operation (cancelling what else is under way). Always false. */
  private failResource(op: Operation, res: StackResource, action: 'create' | 'update', reason: string): false {
    res.work = undefined;
    setResourceStatus(this.env, this.scope, this.stack, res, ACTION_STATUS[action].failed, reason);
    op.failed.push(res.LogicalResourceId);
    this.cancelInProgress(op);
    const verb = op.failed.every((id) => own(this.stack.resources, id)?.ResourceStatus === 'CREATE_FAILED') ? 'create' : 'update';
    this.failOperation(op, `The following resource(s) failed to ${verb}: [${op.failed.join(', ')}]. `);
    return false;
  }

  private cancelInProgress(op: Operation): void {
    for (const r of Object.values(this.stack.resources)) {
      if (!r.work || r.work.action === 'delete') continue;
      const action = r.work.action;
      r.work = undefined;
      setResourceStatus(this.env, this.scope, this.stack, r, ACTION_STATUS[action].failed, action === 'create' ? 'Resource creation cancelled' : 'Resource update cancelled');
      op.failed.push(r.LogicalResourceId);
    }
  }

  /** Moves the stack on after a failure, as its operation and OnFailure say. */
  private failOperation(op: Operation, reason: string): void {
    const s = this.stack;
    const set = (status: StackRecord['StackStatus'], why: string) => setStackStatus(this.env, this.scope, s, status, why);
    switch (op.kind) {
      case 'CREATE':
        if (s.OnFailure === 'DO_NOTHING' || s.DisableRollback) {
          set('CREATE_FAILED', reason);
          s.op = undefined;
        } else if (s.OnFailure === 'DELETE') {
          set('DELETE_IN_PROGRESS', `${reason.trimEnd()} Delete requested by user.`);
          s.op = { kind: 'DELETE', phase: 'delete', done: [], failed: [] };
        } else {
          set('ROLLBACK_IN_PROGRESS', `${reason.trimEnd()} Rollback requested by user.`);
          s.op = { kind: 'ROLLBACK', phase: 'delete', done: [], failed: [] };
        }
        return;
      case 'UPDATE':
        if (s.DisableRollback) {
          set('UPDATE_FAILED', reason);
          s.op = undefined;
          return;
        }
        set('UPDATE_ROLLBACK_IN_PROGRESS', reason);
        if (s.previous) {
          s.templateBody = s.previous.templateBody;
          s.parameters = s.previous.parameters;
        }
        s.op = { kind: 'UPDATE_ROLLBACK', phase: 'apply', done: [], failed: [] };
        return;
      case 'UPDATE_ROLLBACK':
        set('UPDATE_ROLLBACK_FAILED', reason);
        s.op = undefined;
        return;
      case 'ROLLBACK':
        set('ROLLBACK_FAILED', reason);
        s.op = undefined;
        return;
      case 'DELETE':
        set('DELETE_FAILED', reason);
        s.op = undefined;
        return;
    }
  }

  /** A stack policy's Deny for an update action on a resource, as the statement that denies it. */
  private policyDenies(id: string, type: string, action: string): string | undefined {
    if (!this.stack.StackPolicyBody) return undefined;
    let policy: { Statement?: unknown };
    try {
      policy = JSON.parse(this.stack.StackPolicyBody);
    } catch {
      return undefined;
    }
    const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    const matches = (patterns: unknown, value: string) =>
      (Array.isArray(patterns) ? patterns : [patterns]).some((p) => typeof p === 'string' && new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value));
    let allowed = false;
    let denied: string | undefined;
    statements.forEach((st: Record<string, unknown>, i: number) => {
      if (!st || typeof st !== 'object') return;
      const actionOk = st.Action !== undefined ? matches(st.Action, action) : st.NotAction !== undefined ? !matches(st.NotAction, action) : false;
      const resourceOk = st.Resource !== undefined ? matches(st.Resource, `LogicalResourceId/${id}`) : st.NotResource !== undefined ? !matches(st.NotResource, `LogicalResourceId/${id}`) : false;
      const cond = st.Condition as { StringEquals?: { ResourceType?: unknown }; StringLike?: { ResourceType?: unknown } } | undefined;
      const condOk = !cond || ((!cond.StringEquals?.ResourceType || matches(cond.StringEquals.ResourceType, type)) && (!cond.StringLike?.ResourceType || matches(cond.StringLike.ResourceType, type)));
      if (!actionOk || !resourceOk || !condOk) return;
      if (st.Effect === 'Deny') denied ??= `Statement [#${i + 1}]`;
      else if (st.Effect === 'Allow') allowed = true;
    });
    if (denied) return `${denied} denies ${action} on ${id}`;
    return allowed ? undefined : `no statement allows ${action} on ${id}`;
  }

  private finishApply(op: Operation, active: Set<string>, ctx: EvalContext): void {
    const s = this.stack;
    let outputs: StackOutput[];
    try {
      outputs = this.outputs(ctx);
    } catch (e) {
      this.failOperation(op, failureReason(e, this.log));
      return;
    }
    const others = listExports(this.env, this.scope).filter((e) => e.stackId !== s.StackId);
    for (const o of outputs) {
      const clash = o.ExportName && others.find((e) => e.name === o.ExportName);
      if (clash) {
        const owner = parseStackId(clash.stackId)?.name ?? clash.stackId;
        this.failOperation(op, `Export with name ${o.ExportName} is already exported by stack ${owner}`);
        return;
      }
    }
    const gone = (s.outputs ?? []).filter((o) => o.ExportName && !outputs.some((n) => n.ExportName === o.ExportName && n.OutputValue === o.OutputValue));
    for (const o of gone) {
      const users = importersOf(this.env, this.scope, o.ExportName!).filter((n) => n !== s.StackName);
      if (users.length && op.kind === 'UPDATE') {
        this.failOperation(op, `Cannot update export ${o.ExportName} as it is in use by ${users.join(', ')}`);
        return;
      }
    }
    s.outputs = outputs;
    for (const [id, r] of Object.entries(s.resources)) {
      if (active.has(id)) continue;
      if (r.PhysicalResourceId && r.ResourceStatus !== 'DELETE_COMPLETE') this.retire(r, false, r.deletionPolicy);
      delete s.resources[id];
    }
    switch (op.kind) {
      case 'CREATE':
        setStackStatus(this.env, this.scope, s, 'CREATE_COMPLETE');
        s.op = undefined;
        return;
      case 'UPDATE':
        setStackStatus(this.env, this.scope, s, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        s.op = { kind: 'UPDATE', phase: 'cleanup', done: [], failed: [] };
        return;
      default:
        setStackStatus(this.env, this.scope, s, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
        s.op = { kind: 'UPDATE_ROLLBACK', phase: 'cleanup', done: [], failed: [] };
    }
  }

  private outputs(ctx: EvalContext): StackOutput[] {
    const out: StackOutput[] = [];
    for (const [key, o] of Object.entries(this.template.Outputs)) {
      if (o.Condition && !ctx.condition(o.Condition)) continue;
      const v = resolve(o.Value, ctx);
      const value = Array.isArray(v) ? v.map((x) => asString(x, `Outputs.${key}`)).join(',') : asString(v, `Outputs.${key}`);
      const rec: StackOutput = { OutputKey: key, OutputValue: value };
      if (o.Description !== undefined) rec.Description = asString(resolve(o.Description, ctx), `Outputs.${key}.Description`);
      if (o.Export?.Name !== undefined) rec.ExportName = asString(resolve(o.Export.Name, ctx), `Outputs.${key}.Export.Name`);
      out.push(rec);
    }
    return out;
  }

  /** Keeps a physical resource for deletion during clean-up (or rollback). */
  private retire(r: StackResource, replaced: boolean, policy: string | undefined): void {
    this.stack.retired.push({
      key: `${r.LogicalResourceId}|${r.PhysicalResourceId}`,
      LogicalResourceId: r.LogicalResourceId,
      ResourceType: r.ResourceType,
      PhysicalResourceId: r.PhysicalResourceId!,
      props: r.props ?? {},
      data: r.data ?? {},
      deps: r.deps,
      policy,
      replaced,
    });
  }

  // ---- deletion: stack delete, create rollback, and update clean-up ----

  private deleteAll(op: Operation): StepResult {
    const s = this.stack;
    const cleanup = op.phase === 'cleanup';
    if (op.kind === 'DELETE' && !op.done.includes('*exports')) {
      for (const o of s.outputs) {
        const users = o.ExportName ? importersOf(this.env, this.scope, o.ExportName).filter((n) => n !== s.StackName) : [];
        if (users.length) {
          this.failOperation(op, `Export ${o.ExportName} cannot be deleted as it is in use by ${users.join(', ')}`);
          return 'progress';
        }
      }
      op.done.push('*exports');
    }
    // What is left to delete: retired physical resources, and (for delete and rollback) every resource.
    type Victim = { key: string; deps: string[]; logical: string; entry: StackResource | RetiredResource };
    const victims: Victim[] = s.retired.map((r) => ({ key: r.key, deps: r.deps, logical: r.LogicalResourceId, entry: r }));
    if (!cleanup) {
      for (const r of Object.values(s.resources)) {
        if (['DELETE_COMPLETE', 'DELETE_SKIPPED'].includes(r.ResourceStatus)) continue;
        if (op.failed.includes(r.LogicalResourceId) && r.ResourceStatus === 'DELETE_FAILED') continue;
        victims.push({ key: r.LogicalResourceId, deps: r.deps, logical: r.LogicalResourceId, entry: r });
      }
    }
    let progressed = false;
    let waitUntil = Infinity;
    for (const v of victims) {
      // A resource goes once nothing still standing depends on it.
      const blocked = victims.some((o) => o !== v && o.deps.includes(v.logical) && !(o.entry === v.entry));
      const work = v.entry.work;
      if (work) {
        if (work.next > this.now) {
          waitUntil = Math.min(waitUntil, work.next);
          continue;
        }
        this.pollDelete(op, v.entry, cleanup);
        progressed = true;
        continue;
      }
      if (blocked) continue;
      this.startDelete(op, v.entry);
      progressed = true;
    }
    if (progressed) return 'progress';
    if (victims.some((v) => v.entry.work)) return { waitUntil };
    const stuck = victims.filter((v) => !v.entry.work);
    if (stuck.length && !op.failed.length) {
      // Nothing can move: a dependency among what is left was never deleted (it failed earlier).
      op.failed.push(...stuck.map((v) => v.logical));
    }
    this.finishDelete(op);
    return 'progress';
  }

  private policyOf(op: Operation, entry: StackResource | RetiredResource): string | undefined {
    if ('key' in entry) return entry.policy;
    return op.kind === 'DELETE' || op.kind === 'ROLLBACK' ? entry.deletionPolicy : undefined;
  }

  private startDelete(op: Operation, entry: StackResource | RetiredResource): void {
    // A type may default to another DeletionPolicy than Delete (AWS::RDS::DBInstance: Snapshot),
    // which holds when its stack is deleted and when an update removes it from the template, not
    // when an update replaces it (that is UpdateReplacePolicy's, whose default is Delete).
    const deleted = 'key' in entry ? !entry.replaced && op.kind !== 'ROLLBACK' && op.kind !== 'UPDATE_ROLLBACK' : op.kind === 'DELETE';
    const policy = this.policyOf(op, entry) ?? (deleted ? this.deps.handlers.get(entry.ResourceType)?.defaultDeletionPolicy : undefined);
    const ev = (status: string, reason?: string) => setResourceStatus(this.env, this.scope, this.stack, entry as StackResource, status, reason);
    if (!entry.PhysicalResourceId) {
      // Never created (it failed first): nothing to delete.
      ev('DELETE_COMPLETE');
      this.dropVictim(entry);
      return;
    }
    const retain = policy === 'Retain' || (policy === 'RetainExceptOnCreate' && op.kind !== 'ROLLBACK') || op.skip?.includes(entry.LogicalResourceId);
    if (retain) {
      ev('DELETE_SKIPPED');
      this.dropVictim(entry);
      return;
    }
    ev('DELETE_IN_PROGRESS');
    const handler = this.deps.handlers.get(entry.ResourceType);
    if (policy === 'Snapshot' && handler?.snapshot) {
      try {
        this.env.store.savepoint(() => handler.snapshot!(stateOf(entry as StackResource), resourceContext(this.env, this.scope, this.stack, entry.LogicalResourceId)));
      } catch (e) {
        ev('DELETE_FAILED', failureReason(e, this.log));
        op.failed.push(entry.LogicalResourceId);
        this.dropVictim(entry, true);
        return;
      }
    }
    entry.work = { action: 'delete', next: this.now };
  }

  private pollDelete(op: Operation, entry: StackResource | RetiredResource, cleanup: boolean): void {
    const handler = this.deps.handlers.get(entry.ResourceType);
    const ev = (status: string, reason?: string) => setResourceStatus(this.env, this.scope, this.stack, entry as StackResource, status, reason);
    let p: Progress;
    try {
      // A type faultline has no handler for was never created, so there is nothing to delete.
      p = handler ? this.env.store.savepoint(() => handler.delete(stateOf(entry as StackResource), resourceContext(this.env, this.scope, this.stack, entry.LogicalResourceId))) : { done: true };
    } catch (e) {
      entry.work = undefined;
      ev('DELETE_FAILED', failureReason(e, this.log));
      // During clean-up a failed delete is reported and left behind; the update still completes.
      if (!cleanup) op.failed.push(entry.LogicalResourceId);
      this.dropVictim(entry, !cleanup);
      return;
    }
    if (p.data) entry.data = { ...entry.data, ...p.data };
    if (!p.done) {
      entry.work!.next = this.now + Math.max(1, p.waitMs);
      return;
    }
    entry.work = undefined;
    ev('DELETE_COMPLETE');
    this.dropVictim(entry);
  }

  /** Takes a deleted (or skipped, or failed) resource off the list of what is left. */
  private dropVictim(entry: StackResource | RetiredResource, failed = false): void {
    if ('key' in entry) {
      this.stack.retired = this.stack.retired.filter((r) => r !== entry);
      return;
    }
    if (!failed) {
      entry.props = undefined;
      entry.data = undefined;
    }
  }

  private finishDelete(op: Operation): void {
    const s = this.stack;
    if (op.phase === 'cleanup') {
      s.op = undefined;
      s.previous = undefined;
      setStackStatus(this.env, this.scope, s, op.kind === 'UPDATE' ? 'UPDATE_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE');
      return;
    }
    if (op.failed.length) {
      this.failOperation(op, `The following resource(s) failed to delete: [${[...new Set(op.failed)].join(', ')}]. `);
      return;
    }
    s.op = undefined;
    if (op.kind === 'ROLLBACK') {
      setStackStatus(this.env, this.scope, s, 'ROLLBACK_COMPLETE');
      return;
    }
    s.DeletionTime = this.now;
    s.imports = [];
    setStackStatus(this.env, this.scope, s, 'DELETE_COMPLETE');
  }
}
