/**
 * Scheduled actions: PutScheduledUpdateGroupAction, BatchPutScheduledUpdateGroupAction,
 * DeleteScheduledAction, BatchDeleteScheduledAction and DescribeScheduledActions. An action runs
 * once at Time (or StartTime), or on its Recurrence in UTC between StartTime and EndTime; the
 * schedule loop (scheduled.loop.ts) changes the group's sizes when it comes due.
 */
import { uuid } from '../../core/ids.ts';
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { nextCronTime, parseCron } from './cron.ts';
import { asErrors, pageOf } from './errors.ts';
import { findGroup, liveGroup } from './groups.provider.ts';
import { childKey, COLL, SCHEDULE_LOOP, scheduledActionArn, scopedKey, type ScheduledActionRecord } from './state.ts';

export const MAX_SCHEDULED_ACTIONS_PER_GROUP = 125;
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Z']);

interface PutInput {
  AutoScalingGroupName: string;
  ScheduledActionName: string;
  Time?: Date;
  StartTime?: Date;
  EndTime?: Date;
  Recurrence?: string;
  MinSize?: number;
  MaxSize?: number;
  DesiredCapacity?: number;
  TimeZone?: string;
}

/** When an action runs next after `after`, or undefined when it will not run again. */
export function nextRun(a: DeepReadonly<ScheduledActionRecord>, after: number): number | undefined {
  const start = a.StartTime ? Date.parse(a.StartTime) : undefined;
  const end = a.EndTime ? Date.parse(a.EndTime) : undefined;
  if (!a.Recurrence) return start !== undefined && start > after ? start : undefined;
  const t = nextCronTime(parseCron(a.Recurrence), Math.max(after, (start ?? -Infinity) - 1));
  return t !== undefined && (end === undefined || t <= end) ? t : undefined;
}

function buildAction(ctx: RequestContext, input: PutInput, existing?: DeepReadonly<ScheduledActionRecord>): ScheduledActionRecord {
  const now = ctx.env.clock.now();
  if (input.MinSize === undefined && input.MaxSize === undefined && input.DesiredCapacity === undefined) {
    throw asErrors.validation('At least one of MinSize, MaxSize or DesiredCapacity must be specified.');
  }
  if (input.MinSize !== undefined && input.MaxSize !== undefined && input.MinSize > input.MaxSize) {
    throw asErrors.validation(`Max bound, ${input.MaxSize}, must be greater than or equal to min bound, ${input.MinSize}`);
  }
  if (input.Time && input.StartTime) throw asErrors.validation('Both time and startTime cannot be used.');
  if (input.TimeZone !== undefined && !UTC_ZONES.has(input.TimeZone)) {
    throw asErrors.validation(`faultline evaluates recurrences in UTC only; TimeZone ${input.TimeZone} is not supported.`);
  }
  if (input.Recurrence !== undefined) {
    try {
      parseCron(input.Recurrence);
    } catch (e) {
      throw asErrors.validation(`Given recurrence string is not valid cron format: ${(e as Error).message}.`);
    }
  }
  const start = (input.Time ?? input.StartTime)?.getTime();
  if (!input.Recurrence) {
    if (start === undefined) throw asErrors.validation('Either Time, StartTime or Recurrence must be specified.');
    if (start < now) throw asErrors.validation('Given start time is in the past');
  }
  if (input.EndTime) {
    if (input.EndTime.getTime() < now) throw asErrors.validation('Given end time is in the past');
    if (start !== undefined && input.EndTime.getTime() < start) throw asErrors.validation('Start time must be before end time');
  }
  const rec: ScheduledActionRecord = {
    AutoScalingGroupName: input.AutoScalingGroupName,
    ScheduledActionName: input.ScheduledActionName,
    ScheduledActionARN: existing?.ScheduledActionARN ?? scheduledActionArn(ctx, uuid(), input.AutoScalingGroupName, input.ScheduledActionName),
    ...(start !== undefined ? { StartTime: new Date(start).toISOString() } : {}),
    ...(input.EndTime ? { EndTime: input.EndTime.toISOString() } : {}),
    ...(input.Recurrence !== undefined ? { Recurrence: input.Recurrence } : {}),
    ...(input.MinSize !== undefined ? { MinSize: input.MinSize } : {}),
    ...(input.MaxSize !== undefined ? { MaxSize: input.MaxSize } : {}),
    ...(input.DesiredCapacity !== undefined ? { DesiredCapacity: input.DesiredCapacity } : {}),
    ...(input.TimeZone !== undefined ? { TimeZone: input.TimeZone } : {}),
  };
  rec.nextRun = nextRun(rec, now - 1);
  // DescribeScheduledActions shows the next run as the start time (Time is its deprecated twin).
  if (rec.nextRun !== undefined) {
    rec.StartTime = new Date(rec.nextRun).toISOString();
    rec.Time = rec.StartTime;
  }
  return rec;
}

function putAction(ctx: RequestContext, input: PutInput): void {
  liveGroup(ctx, input.AutoScalingGroupName);
  const key = childKey(input.AutoScalingGroupName, input.ScheduledActionName);
  const existing = ctx.env.store.get<ScheduledActionRecord>(COLL.scheduledActions, ctx, key);
  const count = ctx.env.store.list<ScheduledActionRecord>(COLL.scheduledActions, ctx).filter((a) => a.AutoScalingGroupName === input.AutoScalingGroupName).length;
  if (!existing && count >= MAX_SCHEDULED_ACTIONS_PER_GROUP) {
    throw asErrors.limitExceeded(`Max number of scheduled actions reached for group ${input.AutoScalingGroupName} (${MAX_SCHEDULED_ACTIONS_PER_GROUP}).`);
  }
  const rec = buildAction(ctx, input, existing);
  ctx.env.store.put(COLL.scheduledActions, ctx, key, rec);
  if (rec.nextRun !== undefined) ctx.env.scheduler.enqueue(SCHEDULE_LOOP, scopedKey(ctx, key), rec.nextRun);
}

function deleteAction(ctx: RequestContext, group: string, name: string): void {
  const key = childKey(group, name);
  if (!ctx.env.store.get(COLL.scheduledActions, ctx, key)) {
    throw asErrors.validation(`Scheduled Update Group Action name not found - Could not find scheduled action ${name} for group ${group}`);
  }
  ctx.env.store.delete(COLL.scheduledActions, ctx, key);
}

const failure = (e: unknown) => (e instanceof AwsError ? { ErrorCode: e.code, ErrorMessage: e.message } : { ErrorCode: 'InternalFailure', ErrorMessage: String(e) });

export const scheduledHandlers = {
  PutScheduledUpdateGroupAction(input: PutInput, ctx: RequestContext) {
    putAction(ctx, input);
    return {};
  },

  BatchPutScheduledUpdateGroupAction(input: { AutoScalingGroupName: string; ScheduledUpdateGroupActions: Omit<PutInput, 'AutoScalingGroupName'>[] }, ctx: RequestContext) {
    liveGroup(ctx, input.AutoScalingGroupName);
    const failed: { ScheduledActionName: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const a of input.ScheduledUpdateGroupActions) {
      // Each action stands alone: validate first, so a failure writes nothing for that action.
      try {
        buildAction(ctx, { ...a, AutoScalingGroupName: input.AutoScalingGroupName });
      } catch (e) {
        failed.push({ ScheduledActionName: a.ScheduledActionName, ...failure(e) });
        continue;
      }
      putAction(ctx, { ...a, AutoScalingGroupName: input.AutoScalingGroupName });
    }
    return { FailedScheduledUpdateGroupActions: failed };
  },

  DeleteScheduledAction(input: { AutoScalingGroupName: string; ScheduledActionName: string }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    deleteAction(ctx, input.AutoScalingGroupName, input.ScheduledActionName);
    return {};
  },

  BatchDeleteScheduledAction(input: { AutoScalingGroupName: string; ScheduledActionNames: string[] }, ctx: RequestContext) {
    findGroup(ctx, input.AutoScalingGroupName);
    const failed: { ScheduledActionName: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const name of input.ScheduledActionNames) {
      try {
        deleteAction(ctx, input.AutoScalingGroupName, name);
      } catch (e) {
        failed.push({ ScheduledActionName: name, ...failure(e) });
      }
    }
    return { FailedScheduledActions: failed };
  },

  DescribeScheduledActions(
    input: { AutoScalingGroupName?: string; ScheduledActionNames?: string[]; StartTime?: Date; EndTime?: Date; MaxRecords?: number; NextToken?: string },
    ctx: RequestContext,
  ) {
    if (input.AutoScalingGroupName !== undefined) findGroup(ctx, input.AutoScalingGroupName);
    let list = [...ctx.env.store.list<ScheduledActionRecord>(COLL.scheduledActions, ctx)];
    if (input.AutoScalingGroupName !== undefined) list = list.filter((a) => a.AutoScalingGroupName === input.AutoScalingGroupName);
    if (input.ScheduledActionNames?.length) list = list.filter((a) => input.ScheduledActionNames!.includes(a.ScheduledActionName));
    if (input.StartTime) list = list.filter((a) => a.nextRun !== undefined && a.nextRun >= input.StartTime!.getTime());
    if (input.EndTime) list = list.filter((a) => a.nextRun !== undefined && a.nextRun <= input.EndTime!.getTime());
    list.sort((a, b) => (a.nextRun ?? Infinity) - (b.nextRun ?? Infinity) || a.ScheduledActionName.localeCompare(b.ScheduledActionName));
    const { items, NextToken } = pageOf(list, input.NextToken, input.MaxRecords, 50, 100);
    return { ScheduledUpdateGroupActions: items, NextToken };
  },
};
