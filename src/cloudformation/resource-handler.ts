/**
 * What a resource type's handler is to the engine. Handlers live with their service
 * (services/<svc>/*.cfn.ts) and act through that service's own operation handlers, inside the
 * stack loop's transaction. Every method is synchronous; work that takes cloud time (an
 * instance booting, a volume attaching) is polled: a method answers "wait" and the loop comes
 * back later.
 */
import type { Env, RequestContext } from '../services/service.ts';

export type Props = Record<string, unknown>;

/** What the engine keeps for a created resource, and hands back to its handler. */
export interface ResourceState {
  physicalId: string;
  props: Props;
  /** The handler's own notes (allocation ids, association ids, flags for multi-step work). */
  data: Record<string, unknown>;
}

/** `done`, or come back after `waitMs`; either may update the handler's data. */
export type Progress = { done: true; data?: Record<string, unknown> } | { done: false; waitMs: number; data?: Record<string, unknown> };

export const DONE: Progress = { done: true };
export const wait = (waitMs: number, data?: Record<string, unknown>): Progress => ({ done: false, waitMs, data });

export interface Signal {
  UniqueId: string;
  Status: 'SUCCESS' | 'FAILURE' | 'WARNING';
  Reason?: string;
  Data?: string;
}

export interface ResourceContext {
  env: Env;
  /** A request context in the stack's account and region, for the services' handlers. */
  request: RequestContext;
  stackName: string;
  stackId: string;
  logicalId: string;
  /** A name as CloudFormation generates one: `stack-logicalId-RANDOM`, cut to fit. */
  physicalName(opts?: { maxLength?: number; lowercase?: boolean; separator?: string }): string;
  /** Signals sent to a wait condition handle of this stack, by the handle's URL. */
  handleSignals(url: string): Signal[];
  /** The URL at which instances reach faultline, for URLs handed out to them (wait condition handles). */
  endpoint: string;
  /** The stack is rolling an update back: an update brings the resource back to what it was. */
  rollingBack: boolean;
  /** The resource's UpdatePolicy in the template the stack is converging to (Auto Scaling groups read it). */
  updatePolicy?: Record<string, unknown>;
}

export interface ResourceHandler {
  type: string;
  /** Starts creating; returns the physical id at once (CloudFormation's "Resource creation Initiated"). */
  create(props: Props, rc: ResourceContext): { physicalId: string; data?: Record<string, unknown> };
  /** Polled after create and update until the resource is ready; throws when it failed. */
  stabilize?(state: ResourceState, rc: ResourceContext): Progress;
  /** Applies a change that needs no replacement. Without it, such changes fail with a clear reason. */
  update?(props: Props, old: ResourceState, changed: string[], rc: ResourceContext): { data?: Record<string, unknown> } | void;
  /** Deletes, or starts deleting; called again while it answers `wait`. A resource already gone is done. */
  delete(state: ResourceState, rc: ResourceContext): Progress;
  /** The DeletionPolicy a stack's deletion applies when the template gives none (AWS's default is Delete, but not for every type). */
  defaultDeletionPolicy?: 'Snapshot';
  /** For DeletionPolicy Snapshot. */
  snapshot?(state: ResourceState, rc: ResourceContext): void;
  /** Ref; the physical id when absent. */
  ref?(state: ResourceState, rc: ResourceContext): unknown;
  /** Fn::GetAtt; throws for an attribute the type does not have. */
  getAtt?(state: ResourceState, attribute: string, rc: ResourceContext): unknown;
  /**
   * Changes to properties the spec calls conditional: does this change replace the resource?
   * Without it, a conditional change is applied in place (with some interruption).
   */
  replacesOnConditional?(prop: string, oldValue: unknown, newValue: unknown): boolean;
  /** Whether an in-place change replaces after all, given the resource's UpdatePolicy (AutoScalingReplacingUpdate). */
  replacesUnderPolicy?(changed: string[], updatePolicy: Record<string, unknown> | undefined): boolean;
}

/** The error a handler throws for an attribute it does not know, in CloudFormation's words. */
export class AttributeError extends Error {}
