/**
 * StackSets' records and the loop that runs their operations (SELF_MANAGED): each stack
 * instance is a real stack, `StackSet-<name>-<uuid>`, in its account and region, run by the stack
 * loop; the operation starts them region by region (RegionOrder first), at most
 * MaxConcurrentCount accounts at a time, and stops once more than FailureToleranceCount accounts
 * of a region failed, cancelling what it had not started. A stack of the set wakes the operation
 * as its status changes (StackRecord.watcher).
 */
import type { Scope } from '../../core/store.ts';
import { uuid } from '../../core/ids.ts';
import { AwsError } from '../../core/errors.ts';
import type { Env, RequestContext } from '../service.ts';
import { requestContext } from '../../cloudformation/evaluation.ts';
import type { GivenParameter } from '../../cloudformation/parameters.ts';
import { stackEventPage } from '../../cloudformation/events.ts';
import { STACKS, parseStackId, type StackRecord } from '../../cloudformation/state.ts';
import { cachedTemplate } from '../../cloudformation/template.ts';
import { sameValue } from '../../cloudformation/update-behaviour.ts';
import { requireCapabilities } from '../../cloudformation/validate.ts';
import { prepareAccountRegion } from '../ec2/default-vpc.ts';
import { ROLES, iamScope, nameKey } from '../iam/state.ts';
import { checkedParameters, checkedTemplate } from './lookup.ts';
import { engineDeps } from './registry.ts';
import { beginDelete, newStack, sameParameters, startCreate, startUpdate } from './stacks.provider.ts';

export const STACK_SETS = 'cloudformation.stackSets';
export const STACK_SET_LOOP = 'cloudformation.stackSetOperation';
export const ADMIN_ROLE = 'AWSCloudFormationStackSetAdministrationRole';
export const EXECUTION_ROLE = 'AWSCloudFormationStackSetExecutionRole';
/** A backstop: a stack of the set wakes its operation as its status changes. */
const POLL_MS = 60_000;

export type Parameter = { ParameterKey: string; ParameterValue?: string; UsePreviousValue?: boolean };

export interface OperationPreferences {
  RegionConcurrencyType?: 'SEQUENTIAL' | 'PARALLEL';
  RegionOrder?: string[];
  FailureToleranceCount?: number;
  FailureTolerancePercentage?: number;
  MaxConcurrentCount?: number;
  MaxConcurrentPercentage?: number;
  ConcurrencyMode?: 'STRICT_FAILURE_TOLERANCE' | 'SOFT_FAILURE_TOLERANCE';
}

export interface StackInstanceRecord {
  Account: string;
  Region: string;
  StackId?: string;
  Status: 'CURRENT' | 'OUTDATED' | 'INOPERABLE';
  DetailedStatus: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'INOPERABLE';
  StatusReason?: string;
  ParameterOverrides: Parameter[];
  LastOperationId?: string;
}

export interface TargetResult {
  Account: string;
  Region: string;
  Status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  StatusReason?: string;
}

export interface OperationRecord {
  OperationId: string;
  Action: 'CREATE' | 'UPDATE' | 'DELETE';
  Status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPING' | 'STOPPED';
  StatusReason?: string;
  OperationPreferences: OperationPreferences;
  RetainStacks?: boolean;
  AdministrationRoleARN: string;
  ExecutionRoleName: string;
  CreationTimestamp: number;
  EndTimestamp?: number;
  /** Regions in the order the operation visits them. */
  regions: string[];
  targets: TargetResult[];
}

export interface StackSetRecord {
  StackSetName: string;
  StackSetId: string;
  StackSetARN: string;
  Description?: string;
  Status: 'ACTIVE' | 'DELETED';
  templateBody: string;
  Parameters: Parameter[];
  Capabilities: string[];
  Tags: { Key: string; Value: string }[];
  AdministrationRoleARN: string;
  ExecutionRoleName: string;
  instances: Record<string, StackInstanceRecord>;
  /** Oldest first. */
  operations: OperationRecord[];
}

export const instanceKey = (account: string, region: string) => `${account}/${region}`;
const loopKey = (scope: Scope, setId: string) => `${scope.account}|${scope.region}|${setId}`;
export const queueOperation = (env: Env, scope: Scope, set: StackSetRecord) => env.scheduler.enqueue(STACK_SET_LOOP, loopKey(scope, set.StackSetId));

export const runningOperation = (set: StackSetRecord) => set.operations.find((o) => o.Status === 'RUNNING' || o.Status === 'STOPPING');

/** How many of `n` a count or a percentage (rounded down) allows. */
function share(n: number, count: number | undefined, percentage: number | undefined, fallback: number): number {
  if (count !== undefined) return count;
  if (percentage !== undefined) return Math.floor((n * percentage) / 100);
  return fallback;
}

export function stackSetLoops(env: Env) {
  return {
    [STACK_SET_LOOP]: (key: string): number | void => {
      const [account, region, setId] = key.split('|');
      const scope = { account, region };
      const set = env.store.mutable<StackSetRecord>(STACK_SETS, scope, setId);
      const op = set && runningOperation(set);
      if (!set || !op) return;
      const next = new OperationRun(env, scope, set, op, key).advance();
      env.store.put(STACK_SETS, scope, setId, set);
      return next;
    },
  };
}

class OperationRun {
  private now: number;

  constructor(
    private env: Env,
    private scope: Scope,
    private set: StackSetRecord,
    private op: OperationRecord,
    private key: string,
  ) {
    this.now = env.clock.now();
  }

  /** Moves the operation on; returns when to look again (ms), if targets are under way. */
  advance(): number | undefined {
    const { op } = this;
    if (!op.targets.some((t) => t.Status !== 'PENDING') && !this.adminRoleExists()) {
      const reason = `Account ${this.scope.account} should have '${ADMIN_ROLE}' role with trust relationship to CloudFormation service.`;
      for (const t of op.targets) this.finish(t, 'FAILED', reason);
      return this.end('FAILED', reason);
    }
    for (const t of op.targets.filter((x) => x.Status === 'RUNNING')) this.poll(t);
    if (op.Status === 'STOPPING') for (const t of op.targets.filter((x) => x.Status === 'PENDING')) this.finish(t, 'CANCELLED', 'Cancelled since the operation was stopped');
    const prefs = op.OperationPreferences;
    const inRegion = (r: string) => op.targets.filter((t) => t.Region === r);
    const exceeded = (r: string) => {
      const targets = inRegion(r);
      return targets.filter((t) => t.Status === 'FAILED').length > share(targets.length, prefs.FailureToleranceCount, prefs.FailureTolerancePercentage, 0);
    };
    if (op.regions.some(exceeded)) {
      // Too many failures in a region: nothing more starts, there or in any other region.
      for (const t of op.targets.filter((x) => x.Status === 'PENDING')) this.finish(t, 'CANCELLED', 'Cancelled since failure tolerance has exceeded');
    }
    const unfinished = op.regions.filter((r) => inRegion(r).some((t) => t.Status === 'PENDING' || t.Status === 'RUNNING'));
    for (const region of prefs.RegionConcurrencyType === 'PARALLEL' ? unfinished : unfinished.slice(0, 1)) {
      const targets = inRegion(region);
      const most = Math.max(1, share(targets.length, prefs.MaxConcurrentCount, prefs.MaxConcurrentPercentage, 1));
      for (const t of targets.filter((x) => x.Status === 'PENDING')) {
        if (targets.filter((x) => x.Status === 'RUNNING').length >= most) break;
        this.start(t);
      }
    }
    if (op.targets.some((t) => t.Status === 'RUNNING')) return POLL_MS;
    // A target that finished as it started (nothing to change, or refused) lets the next one start.
    if (op.targets.some((t) => t.Status === 'PENDING')) return 1;
    if (op.Status === 'STOPPING') return this.end('STOPPED');
    return op.regions.some(exceeded) ? this.end('FAILED', 'The Operation failed to meet failure tolerance threshold.') : this.end('SUCCEEDED');
  }

  private end(status: 'SUCCEEDED' | 'FAILED' | 'STOPPED', reason?: string): undefined {
    this.op.Status = status;
    this.op.StatusReason = reason;
    this.op.EndTimestamp = this.now;
    return undefined;
  }

  private adminRoleExists(): boolean {
    const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(this.op.AdministrationRoleARN);
    return !!m && !!this.env.store.get(ROLES, iamScope(m[1]), nameKey(m[2]));
  }

  private instance(t: TargetResult): StackInstanceRecord | undefined {
    return this.set.instances[instanceKey(t.Account, t.Region)];
  }

  private stackOf(t: TargetResult): StackRecord | undefined {
    const id = this.instance(t)?.StackId;
    return id ? this.env.store.mutable<StackRecord>(STACKS, { account: t.Account, region: t.Region }, id) : undefined;
  }

  /** Starts the target's stack operation; a target that cannot start fails at once. */
  private start(t: TargetResult): void {
    const inst = this.instance(t);
    t.Status = 'RUNNING';
    if (inst) inst.DetailedStatus = 'RUNNING';
    const ctx = requestContext(this.env, { account: t.Account, region: t.Region });
    try {
      if (!this.env.store.get(ROLES, iamScope(t.Account), nameKey(this.op.ExecutionRoleName))) {
        throw new AwsError('ValidationError', `Account ${t.Account} should have '${this.op.ExecutionRoleName}' role with trust relationship to Role '${this.op.AdministrationRoleARN.replace(/^.*\//, '')}'.`);
      }
      const done = this.env.store.savepoint(() => (this.op.Action === 'DELETE' ? this.startDelete(ctx, t) : this.startDeploy(ctx, t, inst!)));
      if (done) this.finish(t, 'SUCCEEDED');
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      this.finish(t, 'FAILED', e.message);
    }
  }

  /** Creates or updates the instance's stack; true when there is nothing to do. */
  private startDeploy(ctx: RequestContext, t: TargetResult, inst: StackInstanceRecord): boolean {
    prepareAccountRegion(this.env, t.Account, t.Region);
    const checked = checkedTemplate(this.set.templateBody);
    requireCapabilities(checked.facts, this.set.Capabilities);
    const given: GivenParameter[] = [...this.set.Parameters.filter((p) => !inst.ParameterOverrides.some((o) => o.ParameterKey === p.ParameterKey)), ...inst.ParameterOverrides];
    const existing = this.stackOf(t);
    const watcher = { loop: STACK_SET_LOOP, key: this.key };
    if (existing && existing.StackStatus !== 'DELETE_COMPLETE' && existing.StackStatus !== 'ROLLBACK_COMPLETE') {
      if (existing.op) throw new AwsError('ValidationError', `Stack:${existing.StackId} is in ${existing.StackStatus} state and can not be updated.`);
      const parameters = checkedParameters(ctx, engineDeps, checked.template, given, existing);
      existing.watcher = watcher;
      if (sameValue(cachedTemplate(existing.templateBody), checked.template) && sameParameters(existing.parameters, parameters)) return true;
      existing.Capabilities = this.set.Capabilities;
      existing.Tags = this.set.Tags;
      startUpdate(ctx, existing, checked.body, parameters);
      return false;
    }
    if (existing?.StackStatus === 'ROLLBACK_COMPLETE') beginDelete(ctx, existing);
    const s = newStack(ctx, `StackSet-${this.set.StackSetName}-${uuid()}`, {
      templateBody: checked.body,
      parameters: [],
      Capabilities: this.set.Capabilities,
      Tags: this.set.Tags,
      Description: this.set.Description,
      watcher,
    });
    s.parameters = checkedParameters(ctx, engineDeps, checked.template, given, s);
    startCreate(ctx, s);
    inst.StackId = s.StackId;
    return false;
  }

  /** Deletes the instance's stack (or keeps it, with RetainStacks); true when that is done. */
  private startDelete(ctx: RequestContext, t: TargetResult): boolean {
    const s = this.stackOf(t);
    if (this.op.RetainStacks || !s || s.StackStatus === 'DELETE_COMPLETE') return true;
    s.watcher = { loop: STACK_SET_LOOP, key: this.key };
    beginDelete(ctx, s);
    return false;
  }

  private poll(t: TargetResult): void {
    const s = this.stackOf(t);
    const status = s?.StackStatus ?? 'DELETE_COMPLETE';
    const ok = this.op.Action === 'DELETE' ? ['DELETE_COMPLETE'] : ['CREATE_COMPLETE', 'UPDATE_COMPLETE'];
    const failed = this.op.Action === 'DELETE' ? ['DELETE_FAILED'] : ['CREATE_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED', 'UPDATE_FAILED', 'DELETE_COMPLETE'];
    if (ok.includes(status)) this.finish(t, 'SUCCEEDED');
    else if (failed.includes(status)) this.finish(t, 'FAILED', this.failureReason(s));
  }

  /**
   * Why the stack failed, as the first resource that failed in this operation says (the
   * resource may be gone since, rolled back), in AWS's words; else the stack's own reason.
   */
  private failureReason(s: StackRecord | undefined): string {
    if (!s) return 'Stack is gone';
    const where = parseStackId(s.StackId)!;
    const events = stackEventPage(this.env, { account: where.account, region: where.region }, s.StackId).events;
    const failed = events.filter((e) => e.Timestamp >= this.op.CreationTimestamp && e.PhysicalResourceId !== s.StackId && /_FAILED$/.test(e.ResourceStatus) && !/cancelled$/.test(e.ResourceStatusReason ?? '')).at(-1);
    if (failed) return `ResourceLogicalId:${failed.LogicalResourceId}, ResourceType:${failed.ResourceType}, ResourceStatusReason:${failed.ResourceStatusReason}.`;
    const stackFailure = events.find((e) => e.PhysicalResourceId === s.StackId && e.ResourceStatusReason && e.ResourceStatusReason !== 'User Initiated');
    return stackFailure?.ResourceStatusReason ?? s.StackStatus;
  }

  private finish(t: TargetResult, status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', reason?: string): void {
    t.Status = status;
    t.StatusReason = reason;
    const key = instanceKey(t.Account, t.Region);
    const inst = this.set.instances[key];
    if (!inst) return;
    if (this.op.Action === 'DELETE' && status === 'SUCCEEDED') {
      delete this.set.instances[key];
      return;
    }
    inst.DetailedStatus = this.op.Action === 'DELETE' && status === 'FAILED' ? 'INOPERABLE' : status;
    inst.Status = status === 'SUCCEEDED' ? 'CURRENT' : this.op.Action === 'DELETE' && status === 'FAILED' ? 'INOPERABLE' : 'OUTDATED';
    inst.StatusReason = reason;
  }
}

/** Starts an operation over targets: their instances go PENDING, and the loop runs it. */
export function startOperation(
  ctx: RequestContext,
  set: StackSetRecord,
  action: OperationRecord['Action'],
  targets: { Account: string; Region: string }[],
  prefs: OperationPreferences,
  fields: { OperationId?: string; RetainStacks?: boolean },
): string {
  const OperationId = fields.OperationId ?? uuid();
  const regions = [...new Set([...(prefs.RegionOrder ?? []).filter((r) => targets.some((t) => t.Region === r)), ...targets.map((t) => t.Region)])];
  const op: OperationRecord = {
    OperationId,
    Action: action,
    Status: 'RUNNING',
    OperationPreferences: prefs,
    RetainStacks: fields.RetainStacks,
    AdministrationRoleARN: set.AdministrationRoleARN,
    ExecutionRoleName: set.ExecutionRoleName,
    CreationTimestamp: ctx.env.clock.now(),
    regions,
    targets: regions.flatMap((r) => targets.filter((t) => t.Region === r).map((t) => ({ Account: t.Account, Region: t.Region, Status: 'PENDING' as const }))),
  };
  for (const t of targets) {
    const inst = set.instances[instanceKey(t.Account, t.Region)];
    if (!inst) continue;
    inst.DetailedStatus = 'PENDING';
    if (inst.Status !== 'INOPERABLE') inst.Status = 'OUTDATED';
    inst.StatusReason = undefined;
    inst.LastOperationId = OperationId;
  }
  set.operations.push(op);
  ctx.env.store.put(STACK_SETS, ctx, set.StackSetId, set);
  queueOperation(ctx.env, ctx, set);
  return OperationId;
}
