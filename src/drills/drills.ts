/**
 * The drills a faultline has run and is running, behind the control API's /_faultline/drills:
 * start one from a drill file's text and the templates it names (checked whole before anything
 * changes), list them, read
 * one (its timeline so far while it runs, its result after), stop one. One drill runs at a time,
 * since a drill steps the clock. Results are kept in the store, so they survive a restart; a drill
 * that was running when faultline stopped is reported as an error.
 */
import { AwsError } from '../core/errors.ts';
import { own } from '../core/own.ts';
import { uuid } from '../core/ids.ts';
import type { Env } from '../services/service.ts';
import { worldScope } from '../world/state.ts';
import { DrillFileError, parseDrill, type DrillSpec, type Path } from './file.ts';
import { templateActionIds, unknownActions } from './experiment.ts';
import { DrillRunner } from './runner.ts';
import type { DrillResult, TimelineEntry } from './result.ts';

const RUNS = 'drills.runs';
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

/** Refusals, with FIS's error codes (a drill runs an FIS experiment) and the control API's statuses. */
const invalid = (message: string) => new AwsError('ValidationException', message, 400);
const notFound = (id: string) => new AwsError('ResourceNotFoundException', `no drill ${id}`, 404);
const conflict = (message: string) => new AwsError('ConflictException', message, 409);

const running = new WeakMap<Env, DrillRunner>();

const save = (env: Env, rec: RunRecord) => env.store.transaction(() => env.store.put(RUNS, SCOPE, rec.drillId, rec));

/** References `${STEP...}` in the experiment and the probes, with where they are. */
function references(value: unknown, path: Path, out: { path: Path; root: string }[] = []) {
  if (typeof value === 'string') for (const m of value.matchAll(/\$\{([^}.]+)[^}]*\}/g)) out.push({ path, root: m[1].trim() });
  else if (Array.isArray(value)) value.forEach((v, i) => references(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) references(v, [...path, k], out);
  return out;
}

/**
 * Checks a drill file against this faultline and the templates the request gave (faultline reads
 * no file a request names); throws a 400 ValidationException naming each problem's line.
 */
function acceptDrill(env: Env, source: string, file: string, given: Record<string, unknown>): { spec: DrillSpec; templates: Map<string, string> } {
  const templates = new Map<string, string>();
  try {
    const spec = parseDrill(source, file, (spec, fail, raw) => {
      if (spec.clock.mode && spec.clock.mode !== env.clock.mode) fail(['clock', 'mode'], `this drill needs a ${spec.clock.mode} clock; this faultline runs a ${env.clock.mode} clock (faultline up --clock ${spec.clock.mode})`);
      if (!env.config.regions[spec.region]) fail(['region'], `this faultline offers ${Object.keys(env.config.regions).join(', ')}, not ${spec.region}`);
      const steps = new Set<string>();
      spec.setup.forEach((step, i) => {
        for (const r of references((raw.setup as unknown[])[i], ['setup', i])) {
          if (!steps.has(r.root)) fail(r.path, `\${${r.root}...} names no earlier setup step (${[...steps].join(', ') || 'none before this one'})`);
        }
        if ('stack' in step) {
          steps.add(step.stack.name);
          const body = own(given, step.stack.template);
          if (typeof body === 'string') templates.set(step.stack.template, body);
          else fail(['setup', i, 'stack', 'template'], `the request gives no text for ${step.stack.template} in templates (faultline drill run reads it beside the drill file and sends it)`);
        } else if ('keyPair' in step) steps.add(step.keyPair.name);
        else if ('image' in step) steps.add(step.image.name);
      });
      // References are checked in the file as written, so that their lines are the file's.
      for (const r of [...references(raw.experiment, ['experiment']), ...references(raw.probes, ['probes'])]) {
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
    if (e instanceof DrillFileError) throw invalid(e.message);
    throw e;
  }
}

export function startDrill(env: Env, input: Record<string, unknown>): { drillId: string; status: 'running' } {
  if (typeof input.source !== 'string' || !input.source.trim()) throw invalid('give source: the drill file text (YAML or JSON)');
  const file = typeof input.file === 'string' && input.file ? input.file : undefined;
  const given = input.templates ?? {};
  if (typeof given !== 'object' || Array.isArray(given) || !given) throw invalid('templates must be an object: each template a drill file names, as it names it, to its text');
  const { spec, templates } = acceptDrill(env, input.source, file ?? 'drill', given as Record<string, unknown>);
  const current = running.get(env);
  if (current && !current.result) throw conflict(`drill ${current.input.drillId} (${current.input.spec.name}) is running; stop it or wait for it to end`);
  const drillId = `drill-${uuid().slice(0, 8)}`;
  const runner = new DrillRunner(env, { drillId, spec, file, templates, driver: (env.runtime as { name?: string } | undefined)?.name === 'sandbox' ? 'sandbox' : 'simulated' });
  running.set(env, runner);
  const rec: RunRecord = { drillId, name: spec.name, ...(runner.input.file ? { file: runner.input.file } : {}), status: 'running', started: runner.started.cloud };
  save(env, rec);
  void runner.run().then(
    (result) => save(env, { ...rec, status: runner.stopping ? 'stopped' : result.status, result }),
    (e: Error) => save(env, { ...rec, status: 'error', error: `the drill runner failed: ${e.stack ?? e}` }),
  );
  return { drillId, status: 'running' };
}

/** At startup, before any drill runs: a drill the store holds as running was cut short by a restart. */
export function endInterruptedDrills(env: Env): void {
  for (const rec of env.store.list<RunRecord>(RUNS, SCOPE)) {
    if (rec.status === 'running') save(env, { ...(rec as RunRecord), status: 'error', error: 'faultline stopped while the drill ran; it has no result' });
  }
}

export function listDrills(env: Env) {
  const recs = env.store.list<RunRecord>(RUNS, SCOPE);
  return { drills: recs.sort((a, b) => a.started.localeCompare(b.started)).map((r) => ({ drillId: r.drillId, name: r.name, status: r.status, started: r.started })) };
}

/** A drill as the control API shows it: its timeline so far while it runs, its result after. */
export interface DrillView {
  drillId: string;
  name: string;
  status: DrillStatus;
  timeline: TimelineEntry[];
  result?: DrillResult;
  /** Why a drill ended with no result (it could not start its work, or faultline stopped). */
  error?: string;
}

export function getDrill(env: Env, id: string): DrillView {
  const rec = env.store.get<RunRecord>(RUNS, SCOPE, id) as RunRecord | undefined;
  if (!rec) throw notFound(id);
  const runner = running.get(env);
  if (rec.status === 'running' && runner?.input.drillId === id) return { drillId: id, name: rec.name, status: 'running', timeline: runner.timeline() };
  if (!rec.result) return { drillId: id, name: rec.name, status: rec.status, timeline: [], error: rec.error };
  return { drillId: id, name: rec.name, status: rec.status, timeline: rec.result.timeline, result: rec.result };
}

export function stopDrill(env: Env, id: string) {
  const stored = env.store.get<RunRecord>(RUNS, SCOPE, id);
  if (!stored) throw notFound(id);
  const runner = running.get(env);
  if (stored.status !== 'running' || runner?.input.drillId !== id) throw conflict(`drill ${id} is not running (${stored.status})`);
  runner.stop();
  return { drillId: id, status: 'stopping' };
}
