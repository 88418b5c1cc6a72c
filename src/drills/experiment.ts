/**
 * The drill's fault is an AWS FIS experiment, run by faultline's FIS engine exactly as
 * StartExperiment runs it. This module starts, reads and stops it, and tells which of its
 * actions are disruptive and what disruption type (Resilience Hub's terms) they exercise.
 */
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { actionSpec } from '../services/fis/catalogue.ts';
import { getExperiment, startExperimentFromTemplate, startExperimentFromTemplateId, stopExperimentById, type CreateTemplateInput } from '../services/fis/index.ts';
import { EXPERIMENTS, TEMPLATES, type ExperimentRecord, type TemplateRecord } from '../services/fis/state.ts';
import { actionTargets } from '../services/fis/experiment.loop.ts';
import { COLL, type SubnetRecord } from '../services/ec2/state.ts';
import type { DisruptionType } from './result.ts';

/** Actions that only wait or check: they fault nothing. */
const NOT_DISRUPTIVE = new Set(['aws:fis:wait', 'aws:cloudwatch:assert-alarm-state']);

export const isDisruptive = (actionId: string) => !NOT_DISRUPTIVE.has(actionId);

const CONNECTIVITY = 'aws:network:disrupt-connectivity';

/**
 * The disruption type an action exercises (fis.md §6): a zone's power → AZ; a host, an instance
 * stopped or terminated, a volume paused → Hardware; reboots and API or capacity errors →
 * Software. A subnet's network cut is AZ only when it cuts all of a zone's subnets
 * (`cutsZone`, known once its targets are resolved), else Hardware: some hosts lose their network.
 */
function disruptionOf(actionId: string, cutsZone = false): DisruptionType | undefined {
  if (!isDisruptive(actionId)) return undefined;
  if (actionId.startsWith('faultline:az:') || (actionId === CONNECTIVITY && cutsZone)) return 'AZ';
  if (actionId.startsWith('faultline:host:') || [CONNECTIVITY, 'aws:ec2:stop-instances', 'aws:ec2:terminate-instances', 'aws:ebs:pause-volume-io'].includes(actionId)) return 'Hardware';
  return 'Software';
}

const RANK: DisruptionType[] = ['Software', 'Hardware', 'AZ', 'Region'];

const widest = (types: (DisruptionType | undefined)[]): DisruptionType | undefined =>
  types.reduce<DisruptionType | undefined>((w, d) => (d && (!w || RANK.indexOf(d) > RANK.indexOf(w)) ? d : w), undefined);

/** The widest disruption among the actions before their targets are known, or undefined when none disrupts. */
export const disruptionOfActions = (actionIds: readonly string[]): DisruptionType | undefined => widest(actionIds.map((id) => disruptionOf(id)));

/**
 * The widest disruption of a started experiment, from the targets its actions resolved to: a
 * connectivity disruption counts as AZ when, for some zone, it cuts every subnet that zone has
 * in the VPCs of the subnets it cuts.
 */
export function experimentDisruption(env: Env, scope: Scope, id: string): DisruptionType | undefined {
  const x = env.store.get<ExperimentRecord>(EXPERIMENTS, scope, id) as ExperimentRecord | undefined;
  if (!x) return undefined;
  return widest(Object.values(x.actions).map((a) => disruptionOf(a.actionId, a.actionId === CONNECTIVITY && cutsZone(env, scope, actionTargets(x, a)))));
}

function cutsZone(env: Env, scope: Scope, arns: readonly string[]): boolean {
  const cut = arns.map((arn) => env.store.get<SubnetRecord>(COLL.subnets, scope, arn.slice(arn.lastIndexOf('/') + 1))).filter((s): s is SubnetRecord => !!s);
  const cutIds = new Set(cut.map((s) => s.SubnetId));
  const all = env.store.list<SubnetRecord>(COLL.subnets, scope);
  return cut.some((c) => all.filter((s) => s.AvailabilityZone === c.AvailabilityZone && s.VpcId === c.VpcId).every((s) => cutIds.has(s.SubnetId)));
}

/** The action ids of an inline template, or of a stored one; undefined when the template id names none. */
export function templateActionIds(env: Env, scope: Scope, exp: { template?: Record<string, unknown>; templateId?: string }): string[] | undefined {
  if (exp.template) return Object.values((exp.template.actions ?? {}) as Record<string, { actionId?: unknown }>).map((a) => String(a?.actionId));
  const t = env.store.get<TemplateRecord>(TEMPLATES, scope, exp.templateId!);
  return t ? Object.values(t.actions).map((a) => a.actionId) : undefined;
}

/** Action ids FIS does not run here. */
export const unknownActions = (ids: readonly string[]) => ids.filter((id) => !actionSpec(id));

export interface ExperimentView {
  id: string;
  templateId: string;
  status: string;
  reason?: string;
  actions: { name: string; actionId: string; status: string; startTime?: number }[];
}

const view = (x: ReturnType<typeof getExperiment>): ExperimentView => ({
  id: x.id,
  templateId: x.experimentTemplateId,
  status: x.state.status,
  reason: x.state.reason,
  actions: Object.entries(x.actions).map(([name, a]) => ({ name, actionId: a.actionId, status: a.state.status, startTime: a.startTime?.getTime() })),
});

/** Starts the experiment; FIS's own validation errors (ValidationException...) come through as thrown. */
export function startDrillExperiment(env: Env, scope: Scope, exp: { template?: Record<string, unknown>; templateId?: string }, drill: string): ExperimentView {
  const tags = { 'faultline:drill': drill };
  if (exp.templateId) return view(startExperimentFromTemplateId(env, scope, exp.templateId, { tags }));
  const t = exp.template!;
  // What FIS requires and a drill need not say: a description, a role, no stop condition.
  const template = {
    description: `drill ${drill}`,
    roleArn: `arn:aws:iam::${scope.account}:role/faultline-drill`,
    stopConditions: [{ source: 'none' }],
    ...t,
  } as unknown as CreateTemplateInput;
  return view(startExperimentFromTemplate(env, scope, template, { tags }));
}

export const readExperiment = (env: Env, scope: Scope, id: string): ExperimentView => view(getExperiment(env, scope, id));

export const ACTIVE_STATES = new Set(['pending', 'initiating', 'running', 'stopping']);

export function stopDrillExperiment(env: Env, scope: Scope, id: string): ExperimentView {
  const x = readExperiment(env, scope, id);
  return ACTIVE_STATES.has(x.status) && x.status !== 'stopping' ? view(stopExperimentById(env, scope, id)) : x;
}
