/**
 * Stack events, stamped with clock time and numbered per stack so that they list newest first,
 * and the stack status changes that the event log (and so drills and the console) also sees.
 */
import { uuid } from '../core/ids.ts';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { EVENTS, type StackEvent, type StackRecord, type StackResource, type StackStatus } from './state.ts';

const eventKey = (stackId: string, seq: number) => `${stackId}#${String(seq).padStart(9, '0')}`;

function put(env: Env, scope: Scope, stack: StackRecord, e: Omit<StackEvent, 'StackId' | 'StackName' | 'seq' | 'Timestamp'>): void {
  stack.eventSeq += 1;
  const ev: StackEvent = { StackId: stack.StackId, StackName: stack.StackName, Timestamp: env.clock.now(), seq: stack.eventSeq, ...e };
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
    EventId: `${res.LogicalResourceId}-${status}-${new Date(now).toISOString()}`,
    LogicalResourceId: res.LogicalResourceId,
    PhysicalResourceId: res.PhysicalResourceId ?? '',
    ResourceType: res.ResourceType,
    ResourceStatus: status,
    ResourceStatusReason: reason,
    ResourceProperties: properties === undefined ? undefined : JSON.stringify(properties),
  });
}

/** A stack's events, newest first. */
export function stackEvents(env: Env, scope: Scope, stackId: string): StackEvent[] {
  const prefix = `${stackId}#`;
  return (env.store.list<StackEvent>(EVENTS, scope) as StackEvent[]).filter((e) => e.StackId === stackId && eventKey(e.StackId, e.seq).startsWith(prefix)).sort((a, b) => b.seq - a.seq);
}

export function deleteEvents(env: Env, scope: Scope, stackId: string): void {
  for (const e of env.store.list<StackEvent>(EVENTS, scope)) if (e.StackId === stackId) env.store.delete(EVENTS, scope, eventKey(e.StackId, e.seq));
}
