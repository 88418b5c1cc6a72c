/**
 * CloudFormation's records: stacks (with their resources and the operation in progress), stack
 * events and change sets. Collections are scoped by account and region; stacks are keyed by
 * their ARN, which stays valid after deletion (deleted stacks are visible by id for 90 days).
 */
import type { Props, Signal } from './resource-handler.ts';
import type { StackParameter } from './parameters.ts';

export const STACKS = 'cloudformation.stacks';
export const EVENTS = 'cloudformation.events';
export const CHANGE_SETS = 'cloudformation.changeSets';

export type StackStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_FAILED'
  | 'CREATE_COMPLETE'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_FAILED'
  | 'ROLLBACK_COMPLETE'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_FAILED'
  | 'DELETE_COMPLETE'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_FAILED'
  | 'UPDATE_ROLLBACK_IN_PROGRESS'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'REVIEW_IN_PROGRESS';

export type ResourceStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_FAILED'
  | 'CREATE_COMPLETE'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_FAILED'
  | 'DELETE_COMPLETE'
  | 'DELETE_SKIPPED'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_FAILED'
  | 'UPDATE_COMPLETE';

/** Work under way on one resource, polled by the stack loop. */
export interface ResourceWork {
  action: 'create' | 'update' | 'delete';
  /** Clock ms of the next poll. */
  next: number;
  /** When the work fails for taking too long (CreationPolicy, WaitCondition), clock ms. */
  deadline?: number;
  /** Waiting for CreationPolicy signals, after the resource itself is ready. */
  awaitingSignals?: boolean;
}

export interface StackResource {
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId?: string;
  ResourceStatus: ResourceStatus;
  ResourceStatusReason?: string;
  /** Clock ms of the last status change. */
  Timestamp: number;
  Description?: string;
  Metadata?: unknown;
  /** The properties last applied, resolved. */
  props?: Props;
  data?: Record<string, unknown>;
  /** The resources it depended on when last applied: deletion goes the other way. */
  deps: string[];
  deletionPolicy?: string;
  updateReplacePolicy?: string;
  work?: ResourceWork;
  signals?: Signal[];
}

/** A physical resource that is no longer the stack's current one (replaced or removed), to delete during clean-up. */
export interface RetiredResource {
  key: string;
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId: string;
  props: Props;
  data: Record<string, unknown>;
  deps: string[];
  /** DeletionPolicy for removed resources, UpdateReplacePolicy for replaced ones. */
  policy?: string;
  /** Replaced (true) or removed from the template (false). */
  replaced: boolean;
  work?: ResourceWork;
}

export type OperationKind = 'CREATE' | 'UPDATE' | 'DELETE' | 'ROLLBACK' | 'UPDATE_ROLLBACK';

export interface Operation {
  kind: OperationKind;
  /** check: AWS-typed parameters; apply: converge resources; cleanup: delete retired ones; delete: delete everything. */
  phase: 'check' | 'apply' | 'cleanup' | 'delete';
  /** Resources converged in this operation. */
  done: string[];
  /** Resources that failed in this operation. */
  failed: string[];
  /** Deadline of the whole operation (TimeoutInMinutes), clock ms. */
  deadline?: number;
  /** Resources to skip (ContinueUpdateRollback). */
  skip?: string[];
  /** CancelUpdateStack asked for a rollback. */
  cancelled?: boolean;
}

export interface StackOutput {
  OutputKey: string;
  OutputValue: string;
  Description?: string;
  ExportName?: string;
}

export interface StackRecord {
  StackId: string;
  StackName: string;
  StackStatus: StackStatus;
  StackStatusReason?: string;
  Description?: string;
  CreationTime: number;
  LastUpdatedTime?: number;
  DeletionTime?: number;
  DisableRollback: boolean;
  OnFailure: 'DO_NOTHING' | 'ROLLBACK' | 'DELETE';
  TimeoutInMinutes?: number;
  Capabilities: string[];
  NotificationARNs: string[];
  RoleARN?: string;
  Tags: { Key: string; Value: string }[];
  EnableTerminationProtection: boolean;
  /** A nested stack's parent stack and root stack (ids). */
  ParentId?: string;
  RootId?: string;
  /** A loop to queue whenever the stack's status changes (a stack set's operation watches its stacks). */
  watcher?: { loop: string; key: string };
  ChangeSetId?: string;
  StackPolicyBody?: string;
  templateBody: string;
  parameters: StackParameter[];
  /** The template and parameters before the update in progress: what an update rollback returns to. */
  previous?: { templateBody: string; parameters: StackParameter[]; outputs: StackOutput[] };
  outputs: StackOutput[];
  /** Export names this stack imports (Fn::ImportValue). */
  imports: string[];
  resources: Record<string, StackResource>;
  retired: RetiredResource[];
  op?: Operation;
  /** The last event's sequence number; events are keyed by it so that they list newest first. */
  eventSeq: number;
  /** The last event's Timestamp (clock ms). */
  eventTime?: number;
}

export interface StackEvent {
  StackId: string;
  EventId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  Timestamp: number;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  ResourceProperties?: string;
  seq: number;
}

export interface ChangeRecord {
  Type: 'Resource';
  ResourceChange: {
    Action: 'Add' | 'Modify' | 'Remove';
    LogicalResourceId: string;
    PhysicalResourceId?: string;
    ResourceType: string;
    Replacement?: 'True' | 'False' | 'Conditional';
    Scope: string[];
    Details: {
      Target: { Attribute: string; Name?: string; RequiresRecreation: 'Never' | 'Conditionally' | 'Always' };
      Evaluation: 'Static' | 'Dynamic';
      ChangeSource: string;
      CausingEntity?: string;
    }[];
  };
}

export interface ChangeSetRecord {
  ChangeSetId: string;
  ChangeSetName: string;
  StackId: string;
  StackName: string;
  ChangeSetType: 'CREATE' | 'UPDATE';
  Description?: string;
  Status: 'CREATE_PENDING' | 'CREATE_IN_PROGRESS' | 'CREATE_COMPLETE' | 'DELETE_COMPLETE' | 'FAILED';
  StatusReason?: string;
  ExecutionStatus: 'UNAVAILABLE' | 'AVAILABLE' | 'EXECUTE_IN_PROGRESS' | 'EXECUTE_COMPLETE' | 'EXECUTE_FAILED' | 'OBSOLETE';
  CreationTime: number;
  templateBody: string;
  parameters: StackParameter[];
  Capabilities: string[];
  NotificationARNs: string[];
  Tags: { Key: string; Value: string }[];
  RoleARN?: string;
  Changes: ChangeRecord[];
}

/** `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID` and its parts. */
export function parseStackId(id: string): { account: string; region: string; name: string; uuid: string } | undefined {
  const m = /^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):(\d{12}):stack\/([^/]+)\/([0-9a-f-]+)$/.exec(id);
  return m ? { region: m[1], account: m[2], name: m[3], uuid: m[4] } : undefined;
}

export const TERMINAL_DELETED: StackStatus = 'DELETE_COMPLETE';
