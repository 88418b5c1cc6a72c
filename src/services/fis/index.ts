/**
 * AWS FIS: experiment templates, experiments run by an engine on the clock, and a catalogue of
 * actions that map onto EC2's API and faultline's world faults. It speaks restJson1.
 *
 * The drill runner, inside the server, uses the plain functions exported below.
 */
import type { Scope } from '../../core/store.ts';
import { models } from '../../models/index.ts';
import { RestJsonProtocol } from '../../protocols/rest-json.ts';
import type { Env, Service } from '../service.ts';
import { catalogueHandlers } from './catalogue.provider.ts';
import { experimentLoop } from './experiment.loop.ts';
import { experimentHandlers, experimentView, requireExperiment, startExperiment, stopExperiment } from './experiments.provider.ts';
import { EXPERIMENT_LOOP } from './state.ts';
import { tagHandlers } from './tags.provider.ts';
import { createTemplate, templateHandlers, type CreateTemplateInput } from './templates.provider.ts';

export const fis: Service = {
  signingName: 'fis',
  model: models.fis,
  protocols: [new RestJsonProtocol()],
  handlers: { ...templateHandlers, ...experimentHandlers, ...catalogueHandlers, ...tagHandlers },
  loops: (env) => ({ [EXPERIMENT_LOOP]: experimentLoop(env) }),
};

export type Experiment = ReturnType<typeof experimentView>;
export type { CreateTemplateInput } from './templates.provider.ts';

/**
 * Starts an experiment from a template given inline, in CreateExperimentTemplate's input shape
 * (`clientToken` optional): the template is created (and validated) as that call would, then started.
 */
export function startExperimentFromTemplate(env: Env, scope: Scope, template: CreateTemplateInput, options: { actionsMode?: 'run-all' | 'skip-all'; tags?: Record<string, string> } = {}): Experiment {
  return env.store.transaction(() => {
    const t = createTemplate(env, scope, template);
    return experimentView(startExperiment(env, scope, { experimentTemplateId: t.id, experimentOptions: { actionsMode: options.actionsMode }, tags: options.tags }));
  });
}

/** Starts an experiment from a stored template. */
export function startExperimentFromTemplateId(env: Env, scope: Scope, templateId: string, options: { actionsMode?: 'run-all' | 'skip-all'; tags?: Record<string, string> } = {}): Experiment {
  return env.store.transaction(() => experimentView(startExperiment(env, scope, { experimentTemplateId: templateId, experimentOptions: { actionsMode: options.actionsMode }, tags: options.tags })));
}

/** An experiment as GetExperiment returns it (times as Dates). */
export const getExperiment = (env: Env, scope: Scope, id: string): Experiment => experimentView(requireExperiment(env, scope, id));

/** Stops an experiment as StopExperiment does: running actions end (their rollback), pending ones are cancelled. */
export function stopExperimentById(env: Env, scope: Scope, id: string): Experiment {
  return env.store.transaction(() => experimentView(stopExperiment(env, scope, id)));
}
