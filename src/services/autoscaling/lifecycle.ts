/**
 * Lifecycle actions: an instance that launches (or terminates) waits in Pending:Wait (or
 * Terminating:Wait) for each hook of that transition, until CompleteLifecycleAction gives a
 * result, or the heartbeat timeout passes and the hook's DefaultResult applies. A heartbeat
 * pushes the timeout out again, never past the global timeout. For a launch, any ABANDON means
 * the instance is terminated instead of put in service; for a termination the result only
 * decides whether the other hooks are still waited for, and the instance terminates either way.
 *
 * The notification goes to the hook's SNS topic when it has one (SQS is not emulated), and always
 * to the event log, where a test or a drill can read the token.
 */
import { uuid } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import type { TopicCaller } from '../sns/access.ts';
import { publishToTopic } from '../sns/topics.provider.ts';
import { childKey, COLL, type LifecycleHookRecord, type MemberRecord, type PendingAction } from './state.ts';

export const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';
export const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';

export const hooksOf = (env: Env, scope: Scope, group: string, transition: string): DeepReadonly<LifecycleHookRecord>[] =>
  env.store.list<LifecycleHookRecord>(COLL.lifecycleHooks, scope).filter((h) => h.AutoScalingGroupName === group && h.LifecycleTransition === transition);

/**
 * Who publishes a hook's notifications: a session of the hook's role, which Auto Scaling assumes
 * in the group's account (a role can be passed only within its own account).
 */
export function hookPublisher(scope: Scope, roleArn: string | undefined): TopicCaller {
  const role = /:role\/(?:.*\/)?([^/]+)$/.exec(roleArn ?? '')?.[1] ?? 'AutoScaling';
  return { principal: { account: scope.account, arn: `arn:aws:sts::${scope.account}:assumed-role/${role}/AutoScaling`, userId: scope.account, accessKeyId: '' } };
}

/** Starts one lifecycle action per hook; returns false when the transition has no hooks. */
export function beginLifecycleActions(env: Env, scope: Scope, member: MemberRecord, transition: string): boolean {
  const hooks = hooksOf(env, scope, member.AutoScalingGroupName, transition);
  if (!hooks.length) return false;
  const now = env.clock.now();
  member.actions = hooks.map((h) => ({
    hook: h.LifecycleHookName,
    token: uuid(),
    timeoutAt: now + h.HeartbeatTimeout * 1000,
    globalTimeoutAt: now + h.GlobalTimeout * 1000,
  }));
  for (const [i, h] of hooks.entries()) notify(env, scope, h, member, member.actions[i]);
  return true;
}

function notify(env: Env, scope: Scope, hook: DeepReadonly<LifecycleHookRecord>, member: DeepReadonly<MemberRecord>, action: PendingAction): void {
  const now = env.clock.now();
  const message = {
    Origin: hook.LifecycleTransition === LAUNCHING ? 'EC2' : 'AutoScalingGroup',
    LifecycleHookName: hook.LifecycleHookName,
    Destination: hook.LifecycleTransition === LAUNCHING ? 'AutoScalingGroup' : 'EC2',
    AccountId: scope.account,
    RequestId: uuid(),
    LifecycleTransition: hook.LifecycleTransition,
    AutoScalingGroupName: hook.AutoScalingGroupName,
    Service: 'AWS Auto Scaling',
    Time: new Date(now).toISOString(),
    EC2InstanceId: member.InstanceId,
    LifecycleActionToken: action.token,
    ...(hook.NotificationMetadata !== undefined ? { NotificationMetadata: hook.NotificationMetadata } : {}),
  };
  env.events.emit('autoscaling.lifecycle-action', { account: scope.account, region: scope.region, ...message, timeoutAt: new Date(action.timeoutAt).toISOString() });
  if (hook.NotificationTargetARN?.startsWith('arn:aws:sns:')) {
    try {
      publishToTopic(env, hook.NotificationTargetARN, { Message: JSON.stringify(message), Subject: `Auto Scaling: Lifecycle action '${hook.LifecycleTransition.split('_').pop()}' for instance ${member.InstanceId} in progress.` }, 'autoscaling', hookPublisher(scope, hook.RoleARN));
    } catch {
      // A topic that is gone loses the notification, as on AWS; the action still times out.
    }
  }
}

/**
 * Applies timeouts (the hook's default result) and says where the wait stands: undefined while a
 * hook is still waiting, else the combined result.
 */
export function settleLifecycleActions(env: Env, scope: Scope, member: MemberRecord, now: number): 'CONTINUE' | 'ABANDON' | undefined {
  const actions = member.actions ?? [];
  for (const a of actions) {
    if (a.result || now < Math.min(a.timeoutAt, a.globalTimeoutAt)) continue;
    const hook = env.store.get<LifecycleHookRecord>(COLL.lifecycleHooks, scope, childKey(member.AutoScalingGroupName, a.hook));
    a.result = hook?.DefaultResult ?? 'ABANDON';
    env.events.emit('autoscaling.lifecycle-timeout', { account: scope.account, region: scope.region, group: member.AutoScalingGroupName, instanceId: member.InstanceId, hook: a.hook, result: a.result });
  }
  // A launch abandoned by one hook needs no answer from the others.
  if (actions.some((a) => a.result === 'ABANDON')) return 'ABANDON';
  return actions.every((a) => a.result) ? 'CONTINUE' : undefined;
}

/** The earliest time a waiting action times out. */
export const nextLifecycleTimeout = (member: DeepReadonly<MemberRecord>): number | undefined => {
  const times = (member.actions ?? []).filter((a) => !a.result).map((a) => Math.min(a.timeoutAt, a.globalTimeoutAt));
  return times.length ? Math.min(...times) : undefined;
};
