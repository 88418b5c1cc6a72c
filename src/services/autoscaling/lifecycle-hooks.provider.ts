/**
 * Lifecycle hooks and the calls that answer them: PutLifecycleHook, DeleteLifecycleHook,
 * DescribeLifecycleHooks, DescribeLifecycleHookTypes, CompleteLifecycleAction and
 * RecordLifecycleActionHeartbeat. Answers are recorded on the waiting instance and the group is
 * queued; the group loop moves the instance on (lifecycle.ts).
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { topicAccepts } from '../sns/access.ts';
import { asErrors } from './errors.ts';
import { findGroup } from './groups.provider.ts';
import { hookPublisher, LAUNCHING, TERMINATING } from './lifecycle.ts';
import { queueGroup } from './queue.ts';
import { childKey, COLL, type LifecycleHookRecord, type MemberRecord } from './state.ts';

export const MAX_HOOKS_PER_GROUP = 50;
const MAX_GLOBAL_TIMEOUT = 172_800;

export interface HookInput {
  LifecycleHookName: string;
  LifecycleTransition?: string;
  RoleARN?: string;
  NotificationTargetARN?: string;
  NotificationMetadata?: string;
  HeartbeatTimeout?: number;
  DefaultResult?: string;
}

/** Validates a hook (new, or an update of `existing`) into its record. */
export function hookRecord(group: string, input: HookInput, existing?: DeepReadonly<LifecycleHookRecord>): LifecycleHookRecord {
  const transition = input.LifecycleTransition ?? existing?.LifecycleTransition;
  if (transition !== LAUNCHING && transition !== TERMINATING) {
    throw asErrors.validation(`Invalid value for LifecycleTransition: ${transition ?? 'null'}. Valid values are ${LAUNCHING} and ${TERMINATING}.`);
  }
  const heartbeat = input.HeartbeatTimeout ?? existing?.HeartbeatTimeout ?? 3600;
  if (heartbeat < 30 || heartbeat > 7200) throw asErrors.validation(`HeartbeatTimeout must be between 30 and 7200 seconds; ${heartbeat} is not.`);
  const result = input.DefaultResult ?? existing?.DefaultResult ?? 'ABANDON';
  if (result !== 'CONTINUE' && result !== 'ABANDON') throw asErrors.validation(`Invalid value for DefaultResult: ${result}. Valid values are CONTINUE and ABANDON.`);
  if (input.NotificationTargetARN && !input.RoleARN && !existing?.RoleARN) {
    throw asErrors.validation('RoleARN is required when NotificationTargetARN is specified.');
  }
  const pick = <K extends keyof HookInput>(k: K) => input[k] ?? (existing as HookInput | undefined)?.[k];
  return {
    LifecycleHookName: input.LifecycleHookName,
    AutoScalingGroupName: group,
    LifecycleTransition: transition,
    ...(pick('NotificationTargetARN') !== undefined ? { NotificationTargetARN: pick('NotificationTargetARN') as string } : {}),
    ...(pick('RoleARN') !== undefined ? { RoleARN: pick('RoleARN') as string } : {}),
    ...(pick('NotificationMetadata') !== undefined ? { NotificationMetadata: pick('NotificationMetadata') as string } : {}),
    HeartbeatTimeout: heartbeat,
    GlobalTimeout: Math.min(100 * heartbeat, MAX_GLOBAL_TIMEOUT),
    DefaultResult: result,
  };
}

/**
 * Refuses a hook whose SNS target its role could not publish to, as AWS does when the test
 * notification it sends on PutLifecycleHook fails: a role of another account (it cannot be
 * passed), a topic that does not exist, or one whose policy refuses the role.
 */
export function checkNotificationTarget(ctx: RequestContext, hook: LifecycleHookRecord): void {
  const target = hook.NotificationTargetARN;
  if (!target?.startsWith('arn:aws:sns:')) return;
  const roleAccount = /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(hook.RoleARN ?? '')?.[1];
  if (roleAccount === ctx.account && topicAccepts(ctx.env, target, hookPublisher(ctx, hook.RoleARN))) return;
  throw asErrors.validation(
    `Unable to publish test message to notification target ${target} using IAM role ${hook.RoleARN}. Please check your target and role configuration and try to put lifecycle hook again.`,
  );
}

const hooksOfGroup = (ctx: RequestContext, group: string) => ctx.env.store.list<LifecycleHookRecord>(COLL.lifecycleHooks, ctx).filter((h) => h.AutoScalingGroupName === group);

function findHook(ctx: RequestContext, group: string, name: string): DeepReadonly<LifecycleHookRecord> {
  const hook = ctx.env.store.get<LifecycleHookRecord>(COLL.lifecycleHooks, ctx, childKey(group, name));
  if (!hook) throw asErrors.validation(`No Lifecycle Hook found with name ${name} for group ${group}`);
  return hook;
}

/** The instance waiting on `hook`, by instance id or token. */
function waiting(ctx: RequestContext, group: string, hook: string, instanceId?: string, token?: string): MemberRecord {
  if (!instanceId && !token) throw asErrors.validation('Either LifecycleActionToken or InstanceId must be specified.');
  const m = ctx.env.store
    .list<MemberRecord>(COLL.instances, ctx)
    .find((x) => x.AutoScalingGroupName === group && (!instanceId || x.InstanceId === instanceId) && (x.actions ?? []).some((a) => a.hook === hook && !a.result && (!token || a.token === token)));
  if (!m) throw asErrors.validation(instanceId ? `No active Lifecycle Action found with instance ID ${instanceId}` : `No active Lifecycle Action found with token ${token}`);
  return structuredClone(m) as MemberRecord;
}

export const lifecycleHookHandlers = {
  PutLifecycleHook(input: HookInput & { AutoScalingGroupName: string }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    const key = childKey(input.AutoScalingGroupName, input.LifecycleHookName);
    const existing = ctx.env.store.get<LifecycleHookRecord>(COLL.lifecycleHooks, ctx, key);
    if (!existing && hooksOfGroup(ctx, input.AutoScalingGroupName).length >= MAX_HOOKS_PER_GROUP) {
      throw asErrors.limitExceeded(`Max number of lifecycle hooks reached for group ${input.AutoScalingGroupName} (${MAX_HOOKS_PER_GROUP}).`);
    }
    const rec = hookRecord(input.AutoScalingGroupName, input, existing);
    checkNotificationTarget(ctx, rec);
    ctx.env.store.put(COLL.lifecycleHooks, ctx, key, rec);
    return {};
  },

  DeleteLifecycleHook(input: { LifecycleHookName: string; AutoScalingGroupName: string }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    const hook = findHook(ctx, input.AutoScalingGroupName, input.LifecycleHookName);
    // Outstanding actions complete as AWS completes them: ABANDON for launches, CONTINUE for terminations.
    const result = hook.LifecycleTransition === LAUNCHING ? 'ABANDON' : 'CONTINUE';
    for (const m of ctx.env.store.list<MemberRecord>(COLL.instances, ctx)) {
      if (m.AutoScalingGroupName !== input.AutoScalingGroupName || !(m.actions ?? []).some((a) => a.hook === hook.LifecycleHookName && !a.result)) continue;
      const copy = structuredClone(m) as MemberRecord;
      for (const a of copy.actions!) if (a.hook === hook.LifecycleHookName && !a.result) a.result = result;
      ctx.env.store.put(COLL.instances, ctx, copy.InstanceId, copy);
    }
    ctx.env.store.delete(COLL.lifecycleHooks, ctx, childKey(input.AutoScalingGroupName, input.LifecycleHookName));
    queueGroup(ctx.env, ctx, input.AutoScalingGroupName);
    return {};
  },

  DescribeLifecycleHooks(input: { AutoScalingGroupName: string; LifecycleHookNames?: string[] }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    let hooks = hooksOfGroup(ctx, input.AutoScalingGroupName);
    if (input.LifecycleHookNames?.length) hooks = hooks.filter((h) => input.LifecycleHookNames!.includes(h.LifecycleHookName));
    return { LifecycleHooks: [...hooks].sort((a, b) => a.LifecycleHookName.localeCompare(b.LifecycleHookName)) };
  },

  DescribeLifecycleHookTypes() {
    return { LifecycleHookTypes: [LAUNCHING, TERMINATING] };
  },

  CompleteLifecycleAction(
    input: { LifecycleHookName: string; AutoScalingGroupName: string; LifecycleActionToken?: string; LifecycleActionResult: string; InstanceId?: string },
    ctx: RequestContext,
  ) {
    findGroup(ctx, input.AutoScalingGroupName);
    findHook(ctx, input.AutoScalingGroupName, input.LifecycleHookName);
    if (input.LifecycleActionResult !== 'CONTINUE' && input.LifecycleActionResult !== 'ABANDON') {
      throw asErrors.validation(`Invalid value for LifecycleActionResult: ${input.LifecycleActionResult}. Valid values are CONTINUE and ABANDON.`);
    }
    const m = waiting(ctx, input.AutoScalingGroupName, input.LifecycleHookName, input.InstanceId, input.LifecycleActionToken);
    for (const a of m.actions!) {
      if (a.hook === input.LifecycleHookName && !a.result && (!input.LifecycleActionToken || a.token === input.LifecycleActionToken)) a.result = input.LifecycleActionResult;
    }
    ctx.env.store.put(COLL.instances, ctx, m.InstanceId, m);
    ctx.env.events.emit('autoscaling.lifecycle-completed', {
      account: ctx.account,
      region: ctx.region,
      group: input.AutoScalingGroupName,
      instanceId: m.InstanceId,
      hook: input.LifecycleHookName,
      result: input.LifecycleActionResult,
    });
    queueGroup(ctx.env, ctx, input.AutoScalingGroupName);
    return {};
  },

  RecordLifecycleActionHeartbeat(input: { LifecycleHookName: string; AutoScalingGroupName: string; LifecycleActionToken?: string; InstanceId?: string }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    const hook = findHook(ctx, input.AutoScalingGroupName, input.LifecycleHookName);
    const m = waiting(ctx, input.AutoScalingGroupName, input.LifecycleHookName, input.InstanceId, input.LifecycleActionToken);
    const now = ctx.env.clock.now();
    for (const a of m.actions!) {
      if (a.hook === input.LifecycleHookName && !a.result) a.timeoutAt = Math.min(now + hook.HeartbeatTimeout * 1000, a.globalTimeoutAt);
    }
    ctx.env.store.put(COLL.instances, ctx, m.InstanceId, m);
    queueGroup(ctx.env, ctx, input.AutoScalingGroupName);
    return {};
  },
};
