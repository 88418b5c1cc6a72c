/**
 * The experiment engine: one loop step moves an experiment as far as it can go at the clock's
 * time, and says when to look again. pending → initiating (targets resolved once, stop
 * conditions checked) → running (actions start when those they start after have completed,
 * hold for their duration, end, complete) → completed; or stopping → stopped when a stop is
 * asked for (StopExperiment, a stop condition), and failed when an action fails. A stop or a
 * failure ends each running action early (its rollback) and cancels those not yet started.
 * Everything is in the store and the scheduler, so an experiment survives a restart.
 */
import { AwsError } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { loopKey, parseLoopKey } from '../ec2/scoped.ts';
import { ActionFailed, type ActionRun } from './action.ts';
import { alarmAt } from './alarms.ts';
import { actionSpec } from './catalogue.ts';
import { resolveTarget } from './targets.ts';
import {
  ACTIVE,
  EXPERIMENT_LOOP,
  EXPERIMENTS,
  type ActionStatus,
  type ExperimentAction,
  type ExperimentError,
  type ExperimentRecord,
  type ExperimentStatus,
} from './state.ts';

export const STOPPED_BY_USER = 'Experiment stopped by user.';
export const STOP_CONDITION = 'Stop condition triggered.';
/** Active experiments per scope, so that an alarm's change finds those it stops without reading every experiment. */
export const ACTIVE_EXPERIMENTS = 'fis.active';

export const queueExperiment = (env: Env, scope: Scope, id: string, at = env.clock.now()) => env.scheduler.enqueue(EXPERIMENT_LOOP, loopKey(scope, id), at);

export const experimentLoop = (env: Env) => (key: string) => {
  const { scope, id } = parseLoopKey(key);
  const x = env.store.mutable<ExperimentRecord>(EXPERIMENTS, scope, id);
  if (!x || !ACTIVE.has(x.state.status)) return;
  const engine = new Engine(env, scope, x);
  const wakeAt = engine.step();
  engine.save();
  return wakeAt === undefined ? undefined : Math.max(1, wakeAt - env.clock.now());
};

/** The targets an action acts on: the resources its one target resolved to. */
export function actionTargets(x: Readonly<ExperimentRecord>, a: Readonly<ExperimentAction>): string[] {
  const name = Object.values(a.targets ?? {})[0];
  return name === undefined ? [] : (x.resolved?.[name] ?? []);
}

export function setExperimentStatus(env: Env, scope: Scope, x: ExperimentRecord, status: ExperimentStatus, reason: string, error?: ExperimentError): void {
  x.state = error ? { status, reason, error } : { status, reason };
  if (!ACTIVE.has(status)) {
    x.endTime = env.clock.now();
    env.store.delete(ACTIVE_EXPERIMENTS, scope, x.id);
  }
  env.events.emit('fis.experiment.state', { account: scope.account, region: scope.region, experimentId: x.id, templateId: x.experimentTemplateId, status, reason });
}

class Engine {
  private now: number;

  constructor(
    private env: Env,
    private scope: Scope,
    private x: ExperimentRecord,
  ) {
    this.now = env.clock.now();
  }

  save(): void {
    this.env.store.put(EXPERIMENTS, this.scope, this.x.id, this.x);
  }

  /** Moves the experiment on; returns the clock time to look again, if it is still active. */
  step(): number | undefined {
    const x = this.x;
    if (x.state.status === 'pending') this.initiate();
    if (x.stopRequested && (x.state.status === 'initiating' || x.state.status === 'running')) this.setStatus('stopping', x.stopRequested.reason);
    if (x.state.status === 'stopping') {
      this.halt('stopped', x.stopRequested?.reason ?? STOPPED_BY_USER);
      return undefined;
    }
    if (x.state.status === 'running') return this.run();
    return undefined;
  }

  private setStatus(status: ExperimentStatus, reason: string, error?: ExperimentError): void {
    setExperimentStatus(this.env, this.scope, this.x, status, reason, error);
  }

  private setAction(name: string, status: ActionStatus, reason: string): void {
    const a = this.x.actions[name];
    a.state = { status, reason };
    if (status === 'running') a.startTime = this.now;
    if (['completed', 'cancelled', 'stopped', 'failed', 'skipped'].includes(status)) a.endTime = this.now;
    this.env.events.emit('fis.action.state', {
      account: this.scope.account,
      region: this.scope.region,
      experimentId: this.x.id,
      action: name,
      actionId: a.actionId,
      status,
      targets: actionTargets(this.x, a),
    });
  }

  /** Resolves every target once, then checks the stop conditions before any action runs. */
  private initiate(): void {
    const x = this.x;
    x.startTime = this.now;
    this.setStatus('initiating', 'Experiment is initiating.');
    x.resolved = {};
    for (const [name, target] of Object.entries(x.targets)) {
      const r = resolveTarget(this.env, this.scope, target);
      if ('missing' in r) {
        return this.halt('failed', `Target ${name}: resources ${r.missing.join(', ')} were not found.`, { code: 'InvalidTarget', location: name, accountId: this.scope.account });
      }
      if (r.arns.length === 0 && x.experimentOptions.emptyTargetResolutionMode !== 'skip') {
        return this.halt('failed', `Target ${name} resolved to no resources.`, { code: 'InvalidTarget', location: name, accountId: this.scope.account });
      }
      x.resolved[name] = r.arns;
    }
    if (x.stopConditions.some((c) => c.source === 'aws:cloudwatch:alarm' && alarmAt(this.env, this.scope, c.value!)?.StateValue === 'ALARM')) {
      x.stopRequested = { reason: STOP_CONDITION };
      return;
    }
    if (x.experimentOptions.actionsMode === 'skip-all') {
      for (const name of Object.keys(x.actions)) this.setAction(name, 'skipped', 'Actions mode is skip-all.');
      return this.setStatus('completed', 'Experiment completed.');
    }
    this.setStatus('running', 'Experiment is running.');
  }

  /** Starts, ends and completes actions until nothing more can happen now. */
  private run(): number | undefined {
    const x = this.x;
    let wakeAt = Infinity;
    for (let changed = true; changed; ) {
      changed = false;
      wakeAt = Infinity;
      for (const [name, a] of Object.entries(x.actions)) {
        if (x.state.status !== 'running') return undefined;
        if (a.state.status === 'pending') {
          const ready = (a.startAfter ?? []).every((d) => ['completed', 'skipped'].includes(x.actions[d].state.status));
          if (!ready) continue;
          this.start(name, a);
          changed = true;
        }
        if (a.state.status === 'running') {
          const next = this.progress(name, a);
          if (next === undefined) changed = true;
          else wakeAt = Math.min(wakeAt, next);
        }
      }
    }
    if (x.state.status !== 'running') return undefined;
    if (Object.values(x.actions).every((a) => a.state.status === 'completed' || a.state.status === 'skipped')) {
      this.setStatus('completed', 'Experiment completed.');
      return undefined;
    }
    return Number.isFinite(wakeAt) ? wakeAt : undefined;
  }

  private runOf(name: string, a: ExperimentAction): ActionRun {
    return {
      env: this.env,
      scope: this.scope,
      experimentId: this.x.id,
      action: name,
      targets: actionTargets(this.x, a),
      parameters: a.parameters ?? {},
      data: (a.data ??= {}),
    };
  }

  private start(name: string, a: ExperimentAction): void {
    const spec = actionSpec(a.actionId);
    if (!spec) return this.fail(name, new ActionFailed('ConfigurationFailure', `Action type ${a.actionId} is not supported.`));
    if (spec.target && actionTargets(this.x, a).length === 0) return this.setAction(name, 'skipped', 'No target resources were resolved.');
    this.setAction(name, 'running', 'Action is running.');
    const run = this.runOf(name, a);
    if (!this.attempt(name, () => (a.data = spec.start(run) ?? {}))) return;
    const duration = spec.duration?.(run.parameters);
    if (duration !== undefined) a.holdUntil = this.now + duration;
  }

  /** Ends a held action when its time is up, then completes it when it says it is done. Returns when to look again, or undefined once it has left `running`. */
  private progress(name: string, a: ExperimentAction): number | undefined {
    const spec = actionSpec(a.actionId)!;
    if (a.holdUntil !== undefined && !a.ended) {
      if (this.now < a.holdUntil) return a.holdUntil;
      a.ended = true;
      if (spec.end && !this.attempt(name, () => spec.end!(this.runOf(name, a)))) return undefined;
    }
    const done = spec.done ? spec.done(this.runOf(name, a)) : true;
    if (done !== true) return this.now + done;
    this.setAction(name, 'completed', 'Action was completed.');
    return undefined;
  }

  /** Runs an action's step; returns whether it succeeded. When it fails, the action and the experiment fail. */
  private attempt(name: string, fn: () => void): boolean {
    const failure = this.guarded(fn);
    if (failure) this.fail(name, failure);
    return !failure;
  }

  /**
   * Runs an action's step in a savepoint and returns its failure, if any. An error undoes the
   * step's writes; an ActionFailed is a deliberate verdict on work done (stop-instances restarts
   * the instances that remain, then fails for those terminated), so what it wrote stays.
   */
  private guarded(fn: () => void): unknown {
    let verdict: ActionFailed | undefined;
    try {
      this.env.store.savepoint(() => {
        try {
          fn();
        } catch (e) {
          if (!(e instanceof ActionFailed)) throw e;
          verdict = e;
        }
      });
    } catch (e) {
      return e;
    }
    return verdict;
  }

  private fail(name: string, e: unknown): void {
    const failure = asActionFailed(name, e);
    this.setAction(name, 'failed', failure.message.slice(0, 512));
    this.halt('failed', `Action ${name} failed: ${failure.message}`.slice(0, 512), { code: failure.code, location: name, accountId: this.scope.account });
  }

  /**
   * Ends the experiment early: running actions end (their rollback) and stop, pending ones are
   * cancelled. A rollback that fails fails its action, and the experiment with it (its error is
   * the first failure, as when an action fails).
   */
  private halt(status: 'stopped' | 'failed', reason: string, error?: ExperimentError): void {
    for (const [name, a] of Object.entries(this.x.actions)) {
      if (a.state.status === 'pending') this.setAction(name, 'cancelled', 'Experiment ended before the action started.');
      if (a.state.status !== 'running') continue;
      this.setAction(name, 'stopping', 'Action is stopping.');
      const spec = actionSpec(a.actionId);
      if (spec?.end && a.holdUntil !== undefined && !a.ended) {
        a.ended = true;
        const failed = this.guarded(() => spec.end!(this.runOf(name, a)));
        if (failed) {
          const failure = asActionFailed(name, failed);
          this.setAction(name, 'failed', `Rollback failed: ${failure.message}`.slice(0, 512));
          if (!error) {
            status = 'failed';
            reason = `Action ${name} failed: ${failure.message}`.slice(0, 512);
            error = { code: failure.code, location: name, accountId: this.scope.account };
          }
          continue;
        }
      }
      this.setAction(name, 'stopped', 'Action was stopped.');
    }
    this.setStatus(status, reason, error);
  }
}

/** What an action's failure tells FIS: its own code, an AWS error as the dependent service's, anything else as internal. */
function asActionFailed(name: string, e: unknown): ActionFailed {
  if (e instanceof ActionFailed) return e;
  if (e instanceof AwsError) return new ActionFailed('DependentServiceFailure', `${e.code}: ${e.message}`);
  return new ActionFailed('InternalFailure', `Action ${name} failed: ${(e as Error)?.message ?? e}`);
}
