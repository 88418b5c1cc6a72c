/**
 * Stack events, stamped with clock time and numbered per stack so that they list newest first,
 * and the stack status changes that the event log (and so drills and the console) also sees.
 * Every event has its own EventId: the CDK CLI stops reading at the first id it has seen, and
 * events of one resource in one clock millisecond must not look alike to it.
 */
import { errors } from '../core/errors.ts';
import { uuid } from '../core/ids.ts';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { EVENTS, type StackEvent, type StackRecord, type StackResource, type StackStatus } from './state.ts';

const eventKey = (stackId: string, seq: number) => `${stackId}#${String(seq).padStart(9, '0')}`;

/**
 * Records an event. Timestamps of one stack's events increase strictly, a millisecond apart
 * when the clock has not moved (a whole stack can be created in one instant of the manual
 * clock): clients such as the CDK CLI sort the events they read by Timestamp, and events of
 * one instant would otherwise show in any order.
 */
function put(env: Env, scope: Scope, stack: StackRecord, e: Omit<StackEvent, 'StackId' | 'StackName' | 'seq' | 'Timestamp'>): void {
  stack.eventSeq += 1;
  stack.eventTime = Math.max(env.clock.now(), (stack.eventTime ?? -Infinity) + 1);
  const ev: StackEvent = { StackId: stack.StackId, StackName: stack.StackName, Timestamp: stack.eventTime, seq: stack.eventSeq, ...e };
  if (ev.ResourceStatusReason === undefined) delete ev.ResourceStatusReason;
  if (ev.ResourceProperties === undefined) delete ev.ResourceProperties;
  env.store.put(EVENTS, scope, eventKey(stack.StackId, stack.eventSeq), ev);
}

/** Sets the stack's status, with its event (and the event log's entry). */
export function setStackStatus(env: Env, scope: Scope, stack: StackRecord, status: StackStatus, reason?: string): void {
  stack.StackStatus = status;
  stack.StackStatusReason = reason;
  put(env, scope, stack, {
    EventId: uuid(),
    LogicalResourceId: stack.StackName,
    PhysicalResourceId: stack.StackId,
    ResourceType: 'AWS::CloudFormation::Stack',
    ResourceStatus: status,
    ResourceStatusReason: reason,
  });
  env.events.emit('cloudformation.stack-status', { account: scope.account, region: scope.region, stackId: stack.StackId, stackName: stack.StackName, status, reason });
}

/** Sets a resource's status, with its event. */
export function setResourceStatus(
  env: Env,
  scope: Scope,
  stack: StackRecord,
  res: StackResource | { LogicalResourceId: string; ResourceType: string; PhysicalResourceId?: string },
  status: string,
  reason?: string,
  properties?: unknown,
): void {
  const now = env.clock.now();
  if ('ResourceStatus' in res) {
    res.ResourceStatus = status as StackResource['ResourceStatus'];
    res.ResourceStatusReason = reason;
    res.Timestamp = now;
  }
  put(env, scope, stack, {
    EventId: uuid(),
    LogicalResourceId: res.LogicalResourceId,
    PhysicalResourceId: res.PhysicalResourceId ?? '',
    ResourceType: res.ResourceType,
    ResourceStatus: status,
    ResourceStatusReason: reason,
    ResourceProperties: properties === undefined ? undefined : JSON.stringify(properties),
  });
}

/** A stack's events, newest first. */
function stackEvents(env: Env, scope: Scope, stackId: string): StackEvent[] {
  const prefix = `${stackId}#`;
  return (env.store.list<StackEvent>(EVENTS, scope) as StackEvent[]).filter((e) => e.StackId === stackId && eventKey(e.StackId, e.seq).startsWith(prefix)).sort((a, b) => b.seq - a.seq);
}

/** DescribeStackEvents' page size. */
export const EVENTS_PAGE = 100;

/**
 * One page of a stack's events, newest first. The token names the event the next page starts
 * after (by its number), not an offset: events written between two pages (the stack is still
 * working) would shift an offset, and a reader would see some events twice and miss others.
 */
export function stackEventPage(env: Env, scope: Scope, stackId: string, token?: string): { events: StackEvent[]; NextToken?: string } {
  let below = Infinity;
  if (token !== undefined) {
    below = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(below) || below < 1) throw errors.validation('Invalid NextToken');
  }
  const all = stackEvents(env, scope, stackId).filter((e) => e.seq < below);
  const events = all.slice(0, EVENTS_PAGE);
  const last = events.at(-1);
  return { events, NextToken: all.length > EVENTS_PAGE && last ? Buffer.from(String(last.seq)).toString('base64url') : undefined };
}

export function deleteEvents(env: Env, scope: Scope, stackId: string): void {
  for (const e of env.store.list<StackEvent>(EVENTS, scope)) if (e.StackId === stackId) env.store.delete(EVENTS, scope, eventKey(e.StackId, e.seq));
}
