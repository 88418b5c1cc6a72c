/**
 * FIS records: experiment templates and experiments, per account and region, in the shapes the
 * API returns (plus a few internal fields the engine keeps, which the views leave out).
 */
import { AwsError } from '../../core/errors.ts';
import { iamId } from '../../core/ids.ts';
import type { Scope } from '../../core/store.ts';

export const TEMPLATES = 'fis.templates';
export const EXPERIMENTS = 'fis.experiments';
/** clientToken → id, for idempotent CreateExperimentTemplate and StartExperiment. */
export const TOKENS = 'fis.tokens';
export const EXPERIMENT_LOOP = 'fis.experiment';

export type Tags = Record<string, string>;

export interface TargetFilter {
  path: string;
  values: string[];
}

export interface TemplateTarget {
  resourceType: string;
  resourceArns?: string[];
  resourceTags?: Tags;
  filters?: TargetFilter[];
  selectionMode: string;
  parameters?: Record<string, string>;
}

export interface TemplateAction {
  actionId: string;
  description?: string;
  parameters?: Record<string, string>;
  targets?: Record<string, string>;
  startAfter?: string[];
}

export interface StopCondition {
  source: string;
  value?: string;
}

export interface ExperimentOptions {
  accountTargeting?: string;
  emptyTargetResolutionMode?: string;
}

/** The parts of a template an experiment is made from (CreateExperimentTemplate's input shape). */
export interface TemplateBody {
  description: string;
  roleArn: string;
  stopConditions: StopCondition[];
  targets: Record<string, TemplateTarget>;
  actions: Record<string, TemplateAction>;
  logConfiguration?: Record<string, unknown>;
  experimentOptions?: ExperimentOptions;
  experimentReportConfiguration?: Record<string, unknown>;
}

export interface TemplateRecord extends TemplateBody {
  id: string;
  arn: string;
  tags: Tags;
  creationTime: number;
  lastUpdateTime: number;
}

export type ExperimentStatus = 'pending' | 'initiating' | 'running' | 'completed' | 'stopping' | 'stopped' | 'failed' | 'cancelled';
export type ActionStatus = 'pending' | 'initiating' | 'running' | 'completed' | 'cancelled' | 'stopping' | 'stopped' | 'failed' | 'skipped';

export interface ExperimentError {
  code: string;
  location?: string;
  accountId?: string;
}

export interface ExperimentAction extends TemplateAction {
  state: { status: ActionStatus; reason: string };
  startTime?: number;
  endTime?: number;
  /** Internal: when a running action's duration is over (clock ms). */
  holdUntil?: number;
  /** Internal: whether the action's end (restart, heal) has run. */
  ended?: boolean;
  /** Internal: what the action did, for its end and its rollback (instance ids, fault ids). */
  data?: Record<string, unknown>;
}

export interface ExperimentRecord {
  id: string;
  arn: string;
  experimentTemplateId: string;
  roleArn: string;
  state: { status: ExperimentStatus; reason: string; error?: ExperimentError };
  targets: Record<string, TemplateTarget>;
  actions: Record<string, ExperimentAction>;
  stopConditions: StopCondition[];
  tags: Tags;
  logConfiguration?: Record<string, unknown>;
  experimentOptions: ExperimentOptions & { actionsMode: string };
  experimentReportConfiguration?: Record<string, unknown>;
  creationTime: number;
  startTime?: number;
  endTime?: number;
  /** Internal: the resources each target resolved to at start (ARNs). */
  resolved?: Record<string, string[]>;
  /** Internal: a stop asked for (StopExperiment or a stop condition), with the reason it gives. */
  stopRequested?: { reason: string };
}

export const ACTIVE: ReadonlySet<ExperimentStatus> = new Set(['pending', 'initiating', 'running', 'stopping']);

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Ids as AWS shows them: a prefix and random letters and digits (`EXT6oWVA1WrLNy4XS`). */
export const newTemplateId = () => iamId('EXT', 17, ALPHANUMERIC);
export const newExperimentId = () => iamId('EXP', 18, ALPHANUMERIC);

/** The experiment options a template has when it names none. */
export const DEFAULT_EXPERIMENT_OPTIONS = { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' } as const;

export const templateArn = (scope: Scope, id: string) => `arn:aws:fis:${scope.region}:${scope.account}:experiment-template/${id}`;
export const experimentArn = (scope: Scope, id: string) => `arn:aws:fis:${scope.region}:${scope.account}:experiment/${id}`;
export const actionArn = (scope: Scope, id: string) => `arn:aws:fis:${scope.region}:${scope.account}:action/${id}`;

export const validation = (message: string) => new AwsError('ValidationException', message, 400);
export const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, 404);
export const quotaExceeded = (message: string) => new AwsError('ServiceQuotaExceededException', message, 402);

/** One page of a list, with FIS's `maxResults` and `nextToken` (an offset, opaque to clients). */
export function page<T>(items: readonly T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  let from = 0;
  if (nextToken !== undefined) {
    const text = Buffer.from(nextToken, 'base64url').toString('utf8');
    if (!/^\d{1,15}$/.test(text)) throw validation(`Invalid nextToken: ${nextToken}`);
    from = Number(text);
  }
  const size = maxResults ?? 100;
  const out = items.slice(from, from + size);
  return { items: out, nextToken: from + size < items.length ? Buffer.from(String(from + size)).toString('base64url') : undefined };
}
