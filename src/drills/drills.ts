/**
 * The drills a faultline has run and is running, behind the control API's /_faultline/drills:
 * start one from a drill file's text (checked whole before anything changes), list them, read
 * one (its timeline so far while it runs, its result after), stop one. One drill runs at a time,
 * since a drill steps the clock. Results are kept in the store, so they survive a restart; a drill
 * that was running when faultline stopped is reported as an error.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { uuid } from '../core/ids.ts';
import type { Env } from '../services/service.ts';
import { worldScope } from '../world/state.ts';
import { DrillFileError, parseDrill, type DrillSpec, type Path } from './file.ts';
import { templateActionIds, unknownActions } from './experiment.ts';
import { DrillRunner } from './runner.ts';
import type { DrillResult, TimelineEntry } from './result.ts';

export const RUNS = 'drills.runs';
const SCOPE = worldScope('global');

export type DrillStatus = 'running' | 'met' | 'breached' | 'error' | 'stopped';

interface RunRecord {
  drillId: string;
  name: string;
  file?: string;
  status: DrillStatus;
  started: string;
  result?: DrillResult;
  /** Why there is no result. */
  error?: string;
}

/** A refusal, with the control API's status. */
export class DrillRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const running = new WeakMap<Env, DrillRunner>();

const save = (env: Env, rec: RunRecord) => env.store.transaction(() => env.store.put(RUNS, SCOPE, rec.drillId, rec));

/** References `${STEP...}` in the experiment and the probes, with where they are. */
function references(value: unknown, path: Path, out: { path: Path; root: string }[] = []) {
  if (typeof value === 'string') for (const m of value.matchAll(/\$\{([^}.]+)[^}]*\}/g)) out.push({ path, root: m[1].trim() });
  else if (Array.isArray(value)) value.forEach((v, i) => references(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) references(v, [...path, k], out);
  return out;
}

/** Checks a drill file against this faultline and the disk; throws DrillRequestError 400 naming each problem's line. */
export function acceptDrill(env: Env, source: string, file: string, baseDir: string | undefined): { spec: DrillSpec; templates: Map<string, string> } {
  const templates = new Map<string, string>();
  try {
    const spec = parseDrill(source, file, (spec, fail) => {
      if (spec.clock.mode && spec.clock.mode !== env.clock.mode) fail(['clock', 'mode'], `this drill needs a ${spec.clock.mode} clock; this faultline runs a ${env.clock.mode} clock (faultline up --clock ${spec.clock.mode})`);
      if (!env.config.regions[spec.region]) fail(['region'], `this faultline offers ${Object.keys(env.config.regions).join(', ')}, not ${spec.region}`);
      const steps = new Set<string>();
      spec.setup.forEach((step, i) => {
        if ('stack' in step) {
          steps.add(step.stack.name);
          const path = isAbsolute(step.stack.template) ? step.stack.template : baseDir ? resolve(baseDir, step.stack.template) : undefined;
          if (!path) return fail(['setup', i, 'stack', 'template'], 'is a relative path, and the request gave no baseDir to read it from');
          try {
            templates.set(step.stack.template, readFileSync(path, 'utf8'));
          } catch (e) {
            fail(['setup', i, 'stack', 'template'], `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (${path})`);
          }
        } else if ('keyPair' in step) steps.add(step.keyPair.name);
        else if ('image' in step) steps.add(step.image.name);
      });
      for (const r of [...references(spec.experiment, ['experiment']), ...references(spec.probes, ['probes'])]) {
        if (!steps.has(r.root)) fail(r.path, `\${${r.root}...} names no setup step (${[...steps].join(', ') || 'the drill has no setup'})`);
      }
      const scope = { account: env.config.defaultAccount, region: spec.region };
      const ids = templateActionIds(env, scope, spec.experiment);
      if (!ids) fail(['experiment', 'templateId'], `names no experiment template in ${spec.region}: ${spec.experiment.templateId}`);
      if (spec.experiment.template) {
        const actions = (spec.experiment.template.actions ?? {}) as Record<string, { actionId: string }>;
        for (const [name, a] of Object.entries(actions)) {
          if (unknownActions([a.actionId]).length) fail(['experiment', 'template', 'actions', name, 'actionId'], `${a.actionId} is not an action faultline's FIS runs (aws fis list-actions lists them)`);
        }
      }
    });
    return { spec, templates };
  } catch (e) {
    if (e instanceof DrillFileError) throw new DrillRequestError(400, e.message);
    throw e;
  }
}

export function startDrill(env: Env, input: Record<string, unknown>): { drillId: string; status: 'running' } {
  if (typeof input.source !== 'string' || !input.source.trim()) throw new DrillRequestError(400, 'give source: the drill file text (YAML or JSON)');
  const file = typeof input.file === 'string' && input.file ? input.file : 'drill';
  const baseDir = typeof input.baseDir === 'string' && input.baseDir ? input.baseDir : undefined;
  const { spec, templates } = acceptDrill(env, input.source, file, baseDir);
  const current = running.get(env);
  if (current && !current.result) throw new DrillRequestError(409, `drill ${current.input.drillId} (${current.input.spec.name}) is running; stop it or wait for it to end`);
  const drillId = `drill-${uuid().slice(0, 8)}`;
  const runner = new DrillRunner(env, { drillId, spec, file: typeof input.file === 'string' ? input.file : undefined, templates, driver: (env.runtime as { name?: string } | undefined)?.name === 'sandbox' ? 'sandbox' : 'simulated' });
  running.set(env, runner);
  const rec: RunRecord = { drillId, name: spec.name, ...(runner.input.file ? { file: runner.input.file } : {}), status: 'running', started: runner.started.cloud };
  save(env, rec);
  void runner.run().then(
    (result) => save(env, { ...rec, status: runner.stopping ? 'stopped' : result.status, result }),
    (e: Error) => save(env, { ...rec, status: 'error', error: `the drill runner failed: ${e.stack ?? e}` }),
  );
  return { drillId, status: 'running' };
}

/** A record as it stands: one marked running that no runner here holds was cut short by a restart. */
function current(env: Env, rec: RunRecord): RunRecord {
  if (rec.status !== 'running') return rec;
  const runner = running.get(env);
  if (runner?.input.drillId === rec.drillId) return rec;
  const fixed: RunRecord = { ...rec, status: 'error', error: 'faultline stopped while the drill ran; it has no result' };
  save(env, fixed);
  return fixed;
}

export function listDrills(env: Env) {
  const recs = env.store.list<RunRecord>(RUNS, SCOPE).map((r) => current(env, r as RunRecord));
  return { drills: recs.sort((a, b) => a.started.localeCompare(b.started)).map((r) => ({ drillId: r.drillId, name: r.name, status: r.status, started: r.started })) };
}

export function getDrill(env: Env, id: string): { drillId: string; name: string; status: DrillStatus; timeline: TimelineEntry[]; result?: DrillResult; error?: string } {
  const stored = env.store.get<RunRecord>(RUNS, SCOPE, id);
  if (!stored) throw new DrillRequestError(404, `no drill ${id}`);
  const rec = current(env, stored as RunRecord);
  const runner = running.get(env);
  if (rec.status === 'running' && runner) return { drillId: id, name: rec.name, status: 'running', timeline: runner.timeline() };
  if (!rec.result) return { drillId: id, name: rec.name, status: rec.status, timeline: [], error: rec.error };
  return { drillId: id, name: rec.name, status: rec.status, timeline: rec.result.timeline, result: rec.result };
}

export function stopDrill(env: Env, id: string) {
  const stored = env.store.get<RunRecord>(RUNS, SCOPE, id);
  if (!stored) throw new DrillRequestError(404, `no drill ${id}`);
  const runner = running.get(env);
  if (current(env, stored as RunRecord).status !== 'running' || runner?.input.drillId !== id) throw new DrillRequestError(409, `drill ${id} is not running (${stored.status})`);
  runner.stop();
  return { drillId: id, status: 'stopping' };
}
