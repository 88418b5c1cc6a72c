/**
 * The schedule loop: one timer per scheduled action, due at its next run. When it comes due it
 * sets the group's sizes (the desired capacity moves into the new bounds when the action does not
 * give one), records why, and queues the group; a recurring action then waits for its next run
 * and a one-time action is deleted, as AWS deletes it. With ScheduledActions suspended, runs that
 * fall due are skipped.
 */
import type { Env } from '../service.ts';
import { causes } from './activities.ts';
import { queueGroup } from './queue.ts';
import { clamp } from './scaling.ts';
import { nextRun } from './scheduled.provider.ts';
import { COLL, isSuspended, parseScopedKey, type GroupRecord, type ScheduledActionRecord } from './state.ts';

export function scheduleLoop(env: Env) {
  return (key: string): number | void => {
    const { scope, name: actionKey } = parseScopedKey(key);
    const action = env.store.mutable<ScheduledActionRecord>(COLL.scheduledActions, scope, actionKey);
    if (!action || action.nextRun === undefined) return;
    const now = env.clock.now();
    if (now < action.nextRun) return action.nextRun - now;
    const group = env.store.mutable<GroupRecord>(COLL.groups, scope, action.AutoScalingGroupName);
    if (group && !group.deleting) {
      const detail = { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, action: action.ScheduledActionName };
      if (isSuspended(group, 'ScheduledActions')) env.events.emit('autoscaling.scheduled-action.skipped', { ...detail, reason: 'ScheduledActions is suspended' });
      else {
        const min = action.MinSize ?? group.MinSize;
        const max = action.MaxSize ?? group.MaxSize;
        const desired = action.DesiredCapacity ?? clamp(group.DesiredCapacity, min, max);
        if (min > max || desired < min || desired > max) {
          env.events.emit('autoscaling.scheduled-action.failed', { ...detail, min, max, desired, reason: 'the sizes are inconsistent with the group' });
        } else {
          if (desired !== group.DesiredCapacity) {
            group.capacityCause = causes.desiredChange(now, `a scheduled action update of AutoScalingGroup constraints to min: ${min}, max: ${max}, desired: ${desired}`, group.DesiredCapacity, desired);
          }
          group.MinSize = min;
          group.MaxSize = max;
          group.DesiredCapacity = desired;
          env.store.put(COLL.groups, scope, group.AutoScalingGroupName, group);
          env.events.emit('autoscaling.scheduled-action.executed', { ...detail, min, max, desired });
          queueGroup(env, scope, group.AutoScalingGroupName);
        }
      }
    }
    if (!action.Recurrence) {
      env.store.delete(COLL.scheduledActions, scope, actionKey);
      return;
    }
    action.nextRun = nextRun(action, now);
    if (action.nextRun !== undefined) {
      action.StartTime = new Date(action.nextRun).toISOString();
      action.Time = action.StartTime;
    }
    env.store.put(COLL.scheduledActions, scope, actionKey, action);
    return action.nextRun === undefined ? undefined : action.nextRun - now;
  };
}
