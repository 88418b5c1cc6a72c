/**
 * Scaling activities: what a group did and why, in AWS's words. Every launch, termination,
 * attach and detach is one activity; a failed launch is a Failed activity whose description
 * carries EC2's message. Each start and end also goes to the event log, from which drills time
 * recoveries. DescribeScalingActivities lists activities in progress first, then newest first.
 *
 * Causes are sentences "At <time> …", joined by two spaces (spec section 5):
 *   "At 2026-01-01T00:00:00Z a user request created an AutoScalingGroup changing the desired
 *   capacity from 0 to 1.  At 2026-01-01T00:00:05Z an instance was started in response to a
 *   difference between desired and actual capacity, increasing the capacity from 0 to 1."
 */
import { uuid } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { pageOf } from './errors.ts';
import { COLL, causeTime, type ActivityRecord, type ActivityStatus, type GroupRecord } from './state.ts';

const DONE: ReadonlySet<ActivityStatus> = new Set(['Successful', 'Failed', 'Cancelled']);
export const isDone = (a: DeepReadonly<ActivityRecord>) => DONE.has(a.StatusCode);

/** "At <time> <what>." */
export const sentence = (ms: number, what: string): string => `At ${causeTime(ms)} ${what}`;

/** The cause of an activity: the reason the desired capacity changed, if any, then what the group did. */
export const joinCause = (...parts: (string | undefined)[]): string => parts.filter(Boolean).join('  ');

// The sentences AWS writes, for the activities that follow a change of capacity.
export const causes = {
  launchForCapacity: (ms: number, from: number, to: number) =>
    sentence(ms, `an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${to}.`),
  terminateForCapacity: (ms: number, from: number, to: number) =>
    sentence(ms, `an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${from} to ${to}.`),
  terminatedOrStopped: (ms: number) => sentence(ms, 'an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.'),
  statusChecksFailed: (ms: number) => sentence(ms, 'an instance was taken out of service in response to an EC2 instance status checks failure.'),
  userHealthCheck: (ms: number) => sentence(ms, 'an instance was taken out of service in response to a user health-check.'),
  // The rebalancing sentence is as users report it, unverified against AWS's documentation.
  rebalanceLaunch: (ms: number, fewest: string, others: string[]) =>
    sentence(ms, `instances were launched to balance instances in zones ${fewest} with other zones ${others.join(', ')}.`),
  desiredChange: (ms: number, who: string, from: number, to: number) => sentence(ms, `${who} changing the desired capacity from ${from} to ${to}.`),
};

export interface NewActivity {
  description: string;
  cause: string;
  statusCode: ActivityStatus;
  progress: number;
  details?: Record<string, string>;
  statusMessage?: string;
  instanceId?: string;
  /** Ends at once (a failed launch): EndTime is the start time. */
  done?: boolean;
}

/** Records an activity of `group` (whose `activitySeq` it advances; the caller puts the group). */
export function startActivity(env: Env, scope: Scope, group: GroupRecord, a: NewActivity): ActivityRecord {
  const now = env.clock.now();
  group.activitySeq = (group.activitySeq ?? 0) + 1;
  const rec: ActivityRecord = {
    ActivityId: uuid(),
    AutoScalingGroupName: group.AutoScalingGroupName,
    AutoScalingGroupARN: group.AutoScalingGroupARN,
    Description: a.description,
    Cause: a.cause,
    StartTime: new Date(now).toISOString(),
    ...(a.done ? { EndTime: new Date(now).toISOString() } : {}),
    StatusCode: a.statusCode,
    ...(a.statusMessage !== undefined ? { StatusMessage: a.statusMessage } : {}),
    Progress: a.progress,
    Details: JSON.stringify(a.details ?? {}),
    startMs: now,
    seq: group.activitySeq,
    ...(a.instanceId ? { instanceId: a.instanceId } : {}),
  };
  env.store.put(COLL.activities, scope, rec.ActivityId, rec);
  const detail = { account: scope.account, region: scope.region, group: group.AutoScalingGroupName, activityId: rec.ActivityId, description: rec.Description, cause: rec.Cause, status: rec.StatusCode, instanceId: a.instanceId ?? null, details: a.details ?? {} };
  env.events.emit('autoscaling.activity.start', detail);
  if (a.done) env.events.emit('autoscaling.activity.end', { ...detail, statusMessage: a.statusMessage ?? null });
  return rec;
}

/** Moves an activity on; a final status stamps EndTime and writes the end event. */
export function updateActivity(env: Env, scope: Scope, activityId: string | undefined, status: ActivityStatus, progress: number, statusMessage?: string): void {
  if (!activityId) return;
  const rec = env.store.mutable<ActivityRecord>(COLL.activities, scope, activityId);
  if (!rec || isDone(rec)) return;
  if (rec.StatusCode === status && rec.Progress === progress && statusMessage === undefined) return;
  rec.StatusCode = status;
  rec.Progress = progress;
  if (statusMessage !== undefined) rec.StatusMessage = statusMessage;
  const now = env.clock.now();
  if (DONE.has(status)) rec.EndTime = new Date(now).toISOString();
  env.store.put(COLL.activities, scope, activityId, rec);
  if (DONE.has(status)) {
    env.events.emit('autoscaling.activity.end', {
      account: scope.account,
      region: scope.region,
      group: rec.AutoScalingGroupName,
      activityId,
      description: rec.Description,
      status,
      statusMessage: rec.StatusMessage ?? null,
      instanceId: rec.instanceId ?? null,
      durationMs: now - rec.startMs,
    });
  }
}

/** Activities of a group that have not ended. */
export const activeActivities = (env: Env, scope: Scope, group: string): DeepReadonly<ActivityRecord>[] =>
  env.store.list<ActivityRecord>(COLL.activities, scope).filter((a) => a.AutoScalingGroupName === group && !a.groupDeleted && !isDone(a));

/** Marks a deleted group's activities, which stay visible with IncludeDeletedGroups. */
export function retireActivities(env: Env, scope: Scope, group: string): void {
  for (const a of env.store.list<ActivityRecord>(COLL.activities, scope)) {
    if (a.AutoScalingGroupName !== group || a.groupDeleted) continue;
    const rec = structuredClone(a) as ActivityRecord;
    rec.groupDeleted = true;
    if (!isDone(rec)) {
      rec.StatusCode = 'Cancelled';
      rec.EndTime = new Date(env.clock.now()).toISOString();
    }
    env.store.put(COLL.activities, scope, rec.ActivityId, rec);
  }
}

const ACTIVITY_VIEW_KEYS = ['ActivityId', 'AutoScalingGroupName', 'AutoScalingGroupARN', 'Description', 'Cause', 'StartTime', 'EndTime', 'StatusCode', 'StatusMessage', 'Progress', 'Details'] as const;

export function activityView(a: DeepReadonly<ActivityRecord>) {
  const out: Record<string, unknown> = {};
  for (const k of ACTIVITY_VIEW_KEYS) if (a[k] !== undefined) out[k] = a[k];
  return out;
}

/** In progress first, then newest first. */
const order = (a: DeepReadonly<ActivityRecord>, b: DeepReadonly<ActivityRecord>) =>
  Number(isDone(a)) - Number(isDone(b)) || b.startMs - a.startMs || b.seq - a.seq;

export const activityHandlers = {
  DescribeScalingActivities(
    input: { ActivityIds?: string[]; AutoScalingGroupName?: string; IncludeDeletedGroups?: boolean; MaxRecords?: number; NextToken?: string; Filters?: { Name?: string; Values?: string[] }[] },
    ctx: RequestContext,
  ) {
    let list = ctx.env.store.list<ActivityRecord>(COLL.activities, ctx).filter((a) => input.IncludeDeletedGroups || !a.groupDeleted);
    if (input.AutoScalingGroupName !== undefined) list = list.filter((a) => a.AutoScalingGroupName === input.AutoScalingGroupName);
    if (input.ActivityIds?.length) list = list.filter((a) => input.ActivityIds!.includes(a.ActivityId));
    for (const f of input.Filters ?? []) {
      if (f.Name === 'StatusCode') list = list.filter((a) => (f.Values ?? []).includes(a.StatusCode));
    }
    const { items, NextToken } = pageOf([...list].sort(order), input.NextToken, input.MaxRecords, 100, 100);
    return { Activities: items.map(activityView), NextToken };
  },
};

/** An activity's Details: where the instance is. */
export const subnetDetails = (subnetId: string | undefined, zone: string): Record<string, string> =>
  subnetId ? { 'Subnet ID': subnetId, 'Availability Zone': zone } : { 'Availability Zone': zone };
