/**
 * Experiments: StartExperiment (idempotent by clientToken), GetExperiment, ListExperiments,
 * StopExperiment and ListExperimentResolvedTargets. Starting records the experiment as `pending`
 * and queues it; the engine (experiment.loop.ts) does the rest on the clock.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { ACTIVE_EXPERIMENTS, queueExperiment, setExperimentStatus, STOPPED_BY_USER } from './experiment.loop.ts';
import {
  ACTIVE,
  DEFAULT_EXPERIMENT_OPTIONS,
  EXPERIMENTS,
  experimentArn,
  newExperimentId,
  notFound,
  page,
  quotaExceeded,
  TEMPLATES,
  TOKENS,
  validation,
  type ExperimentAction,
  type ExperimentRecord,
  type Tags,
  type TemplateRecord,
} from './state.ts';

export const MAX_ACTIVE_EXPERIMENTS = 5;

export interface StartInput {
  experimentTemplateId: string;
  clientToken?: string;
  experimentOptions?: { actionsMode?: string };
  tags?: Tags;
}

export function experimentView(x: DeepReadonly<ExperimentRecord>) {
  const time = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
  return {
    id: x.id,
    arn: x.arn,
    experimentTemplateId: x.experimentTemplateId,
    roleArn: x.roleArn,
    state: x.state,
    targets: x.targets,
    actions: Object.fromEntries(
      Object.entries(x.actions).map(([name, a]) => [
        name,
        {
          actionId: a.actionId,
          description: a.description,
          parameters: a.parameters,
          targets: a.targets,
          startAfter: a.startAfter,
          state: a.state,
          startTime: time(a.startTime),
          endTime: time(a.endTime),
        },
      ]),
    ),
    stopConditions: x.stopConditions,
    creationTime: time(x.creationTime),
    startTime: time(x.startTime),
    endTime: time(x.endTime),
    tags: x.tags,
    logConfiguration: x.logConfiguration,
    experimentOptions: x.experimentOptions,
    targetAccountConfigurationsCount: 0,
    experimentReportConfiguration: x.experimentReportConfiguration,
  };
}

export function requireExperiment(env: Env, scope: Scope, id: string): DeepReadonly<ExperimentRecord> {
  const x = env.store.get<ExperimentRecord>(EXPERIMENTS, scope, id);
  if (!x) throw notFound(`Experiment not found: ${id}`);
  return x;
}

/** Starts an experiment from a stored template; the same clientToken gives back the experiment it started. */
export function startExperiment(env: Env, scope: Scope, input: StartInput): DeepReadonly<ExperimentRecord> {
  const tokenKey = input.clientToken === undefined ? undefined : `experiment:${input.clientToken}`;
  const earlier = tokenKey ? env.store.get<{ id: string }>(TOKENS, scope, tokenKey) : undefined;
  const existing = earlier && env.store.get<ExperimentRecord>(EXPERIMENTS, scope, earlier.id);
  if (existing) return existing;
  const t = env.store.mutable<TemplateRecord>(TEMPLATES, scope, input.experimentTemplateId);
  if (!t) throw notFound(`Experiment template not found: ${input.experimentTemplateId}`);
  if (env.store.count(ACTIVE_EXPERIMENTS, scope) >= MAX_ACTIVE_EXPERIMENTS) throw quotaExceeded(`You can run at most ${MAX_ACTIVE_EXPERIMENTS} experiments at a time.`);
  const id = newExperimentId();
  const actions: Record<string, ExperimentAction> = {};
  for (const [name, a] of Object.entries(t.actions)) actions[name] = { ...a, state: { status: 'pending', reason: 'Initial state.' } };
  const x: ExperimentRecord = {
    id,
    arn: experimentArn(scope, id),
    experimentTemplateId: t.id,
    roleArn: t.roleArn,
    state: { status: 'pending', reason: 'Experiment is pending.' },
    targets: t.targets,
    actions,
    stopConditions: t.stopConditions,
    tags: input.tags ?? {},
    logConfiguration: t.logConfiguration,
    experimentOptions: {
      accountTargeting: t.experimentOptions?.accountTargeting ?? DEFAULT_EXPERIMENT_OPTIONS.accountTargeting,
      emptyTargetResolutionMode: t.experimentOptions?.emptyTargetResolutionMode ?? DEFAULT_EXPERIMENT_OPTIONS.emptyTargetResolutionMode,
      actionsMode: input.experimentOptions?.actionsMode ?? 'run-all',
    },
    experimentReportConfiguration: t.experimentReportConfiguration,
    creationTime: env.clock.now(),
  };
  env.store.put(EXPERIMENTS, scope, id, x);
  env.store.put(ACTIVE_EXPERIMENTS, scope, id, { id });
  if (tokenKey) env.store.put(TOKENS, scope, tokenKey, { id });
  env.events.emit('fis.experiment.state', { account: scope.account, region: scope.region, experimentId: id, templateId: t.id, status: 'pending', reason: x.state.reason });
  queueExperiment(env, scope, id);
  return x;
}

/** Asks an active experiment to stop (with the reason its state will give); the engine ends its actions. */
export function stopExperiment(env: Env, scope: Scope, id: string, reason = STOPPED_BY_USER): DeepReadonly<ExperimentRecord> {
  const x = env.store.mutable<ExperimentRecord>(EXPERIMENTS, scope, id);
  if (!x) throw notFound(`Experiment not found: ${id}`);
  if (!ACTIVE.has(x.state.status) || x.state.status === 'stopping') return x;
  x.stopRequested = { reason };
  setExperimentStatus(env, scope, x, 'stopping', reason);
  env.store.put(EXPERIMENTS, scope, id, x);
  queueExperiment(env, scope, id);
  return x;
}

export const experimentHandlers = {
  StartExperiment(input: StartInput, ctx: RequestContext) {
    return { experiment: experimentView(startExperiment(ctx.env, ctx, input)) };
  },

  GetExperiment(input: { id: string }, ctx: RequestContext) {
    return { experiment: experimentView(requireExperiment(ctx.env, ctx, input.id)) };
  },

  ListExperiments(input: { maxResults?: number; nextToken?: string; experimentTemplateId?: string }, ctx: RequestContext) {
    const all = ctx.env.store
      .list<ExperimentRecord>(EXPERIMENTS, ctx)
      .filter((x) => input.experimentTemplateId === undefined || x.experimentTemplateId === input.experimentTemplateId)
      .sort((a, b) => b.creationTime - a.creationTime || a.id.localeCompare(b.id));
    const { items, nextToken } = page(all, input.maxResults, input.nextToken);
    return {
      experiments: items.map((x) => ({
        id: x.id,
        arn: x.arn,
        experimentTemplateId: x.experimentTemplateId,
        state: x.state,
        creationTime: new Date(x.creationTime),
        tags: x.tags,
        experimentOptions: x.experimentOptions,
      })),
      nextToken,
    };
  },

  StopExperiment(input: { id: string }, ctx: RequestContext) {
    return { experiment: experimentView(stopExperiment(ctx.env, ctx, input.id)) };
  },

  ListExperimentResolvedTargets(input: { experimentId: string; maxResults?: number; nextToken?: string; targetName?: string }, ctx: RequestContext) {
    const x = requireExperiment(ctx.env, ctx, input.experimentId);
    if (input.targetName !== undefined && !Object.hasOwn(x.targets, input.targetName)) throw validation(`Target ${input.targetName} is not a target of experiment ${x.id}.`);
    const all = Object.entries(x.resolved ?? {})
      .filter(([name]) => input.targetName === undefined || name === input.targetName)
      .flatMap(([name, arns]) => arns.map((arn) => ({ resourceType: x.targets[name].resourceType, targetName: name, targetInformation: { identifier: arn } })));
    const { items, nextToken } = page(all, input.maxResults, input.nextToken);
    return { resolvedTargets: items, nextToken };
  },
};

