/** Experiment templates: CreateExperimentTemplate (idempotent by clientToken), Get, List, Update (PATCH) and Delete. */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { validateTemplate } from './validate.ts';
import {
  DEFAULT_EXPERIMENT_OPTIONS,
  newTemplateId,
  notFound,
  page,
  quotaExceeded,
  templateArn,
  TEMPLATES,
  TOKENS,
  type TemplateBody,
  type TemplateRecord,
  type Tags,
} from './state.ts';

export const MAX_TEMPLATES = 500;

export type CreateTemplateInput = TemplateBody & { clientToken?: string; tags?: Tags };

function templateView(t: DeepReadonly<TemplateRecord>) {
  return {
    id: t.id,
    arn: t.arn,
    description: t.description,
    targets: t.targets,
    actions: t.actions,
    stopConditions: t.stopConditions,
    creationTime: new Date(t.creationTime),
    lastUpdateTime: new Date(t.lastUpdateTime),
    roleArn: t.roleArn,
    tags: t.tags,
    logConfiguration: t.logConfiguration,
    experimentOptions: { ...DEFAULT_EXPERIMENT_OPTIONS, ...t.experimentOptions },
    targetAccountConfigurationsCount: 0,
    experimentReportConfiguration: t.experimentReportConfiguration,
  };
}

function requireTemplate(env: Env, scope: Scope, id: string): DeepReadonly<TemplateRecord> {
  const t = env.store.get<TemplateRecord>(TEMPLATES, scope, id);
  if (!t) throw notFound(`Experiment template not found: ${id}`);
  return t;
}

/** Makes a template (validated) and stores it; the same clientToken gives back the template it made. */
export function createTemplate(env: Env, scope: Scope, input: CreateTemplateInput): DeepReadonly<TemplateRecord> {
  const tokenKey = input.clientToken === undefined ? undefined : `template:${input.clientToken}`;
  const earlier = tokenKey ? env.store.get<{ id: string }>(TOKENS, scope, tokenKey) : undefined;
  const existing = earlier && env.store.get<TemplateRecord>(TEMPLATES, scope, earlier.id);
  if (existing) return existing;
  const body: TemplateBody = {
    description: input.description,
    roleArn: input.roleArn,
    stopConditions: input.stopConditions,
    targets: input.targets ?? {},
    actions: input.actions,
    logConfiguration: input.logConfiguration,
    experimentOptions: input.experimentOptions,
    experimentReportConfiguration: input.experimentReportConfiguration,
  };
  validateTemplate(env, scope, body);
  if (env.store.count(TEMPLATES, scope) >= MAX_TEMPLATES) throw quotaExceeded(`You can have at most ${MAX_TEMPLATES} experiment templates.`);
  const id = newTemplateId();
  const now = env.clock.now();
  const rec: TemplateRecord = { ...body, id, arn: templateArn(scope, id), tags: input.tags ?? {}, creationTime: now, lastUpdateTime: now };
  env.store.put(TEMPLATES, scope, id, rec);
  if (tokenKey) env.store.put(TOKENS, scope, tokenKey, { id });
  return rec;
}

export const templateHandlers = {
  CreateExperimentTemplate(input: CreateTemplateInput, ctx: RequestContext) {
    return { experimentTemplate: templateView(createTemplate(ctx.env, ctx, input)) };
  },

  GetExperimentTemplate(input: { id: string }, ctx: RequestContext) {
    return { experimentTemplate: templateView(requireTemplate(ctx.env, ctx, input.id)) };
  },

  ListExperimentTemplates(input: { maxResults?: number; nextToken?: string }, ctx: RequestContext) {
    const all = [...ctx.env.store.list<TemplateRecord>(TEMPLATES, ctx)].sort((a, b) => a.creationTime - b.creationTime || a.id.localeCompare(b.id));
    const { items, nextToken } = page(all, input.maxResults, input.nextToken);
    return {
      experimentTemplates: items.map((t) => ({
        id: t.id,
        arn: t.arn,
        description: t.description,
        creationTime: new Date(t.creationTime),
        lastUpdateTime: new Date(t.lastUpdateTime),
        tags: t.tags,
      })),
      nextToken,
    };
  },

  /** PATCH: each member given replaces the template's; the result is checked as a whole. */
  UpdateExperimentTemplate(input: Partial<TemplateBody> & { id: string }, ctx: RequestContext) {
    const rec = ctx.env.store.mutable<TemplateRecord>(TEMPLATES, ctx, input.id);
    if (!rec) throw notFound(`Experiment template not found: ${input.id}`);
    const keys = ['description', 'roleArn', 'stopConditions', 'targets', 'actions', 'logConfiguration', 'experimentReportConfiguration'] as const;
    for (const k of keys) if (input[k] !== undefined) (rec as unknown as Record<string, unknown>)[k] = input[k];
    if (input.experimentOptions) rec.experimentOptions = { ...rec.experimentOptions, ...input.experimentOptions };
    validateTemplate(ctx.env, ctx, rec);
    rec.lastUpdateTime = ctx.env.clock.now();
    ctx.env.store.put(TEMPLATES, ctx, rec.id, rec);
    return { experimentTemplate: templateView(rec) };
  },

  DeleteExperimentTemplate(input: { id: string }, ctx: RequestContext) {
    const rec = requireTemplate(ctx.env, ctx, input.id);
    ctx.env.store.delete(TEMPLATES, ctx, input.id);
    return { experimentTemplate: templateView(rec) };
  },
};
