/**
 * Runs one drill: its setup, the steady state, the FIS experiment, and the probes on the clock
 * until the service is back for good (or the observation window ends); then it measures RTO, RPO
 * and the breakdown, and fills a DrillResult. It only observes: the loops recover the service,
 * and the drill steps a manual clock the way a user would.
 */
import { Clock } from '../core/clock.ts';
import { AwsError } from '../core/errors.ts';
import type { LoggedEvent } from '../core/events.ts';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import type { DrillSpec, ProbeSpec } from './file.ts';
import { DrillStopped, Pace } from './pace.ts';
import { cachingResolver } from './resolver.ts';
import { checkAws, checkHttp, checkTcp, readRecords, recordName, writeRecord, type Check, type NameResolver } from './probes.ts';
import { resolveRefs } from './refs.ts';
import { runSetup } from './setup.ts';
import { breakdown, cloudSeconds, eventEntry, inRegion, instant, realSeconds } from './timeline.ts';
import { lineageRpo, servingStorage, type ServingStorage } from './lineage.ts';
import { ACTIVE_STATES, disruptionOfActions, experimentDisruption, isDisruptive, readExperiment, startDrillExperiment, stopDrillExperiment, templateActionIds, type ExperimentView } from './experiment.ts';
import type { DisruptionType, DrillResult, Instant, Measure, ProbeResult, TimelineEntry } from './result.ts';

export interface RunInput {
  drillId: string;
  spec: DrillSpec;
  file?: string;
  templates: Map<string, string>;
  driver: 'simulated' | 'sandbox';
}

type DataSpec = Extract<ProbeSpec, { kind: 'data' }>;
interface Written {
  n: number;
  at: Instant;
  ok: boolean;
  /** Written before the first fault started (one that starts inside a step comes before the step's checks). */
  beforeFault: boolean;
}

export class DrillRunner {
  readonly startSeq: number;
  readonly started: Instant;
  private stopRequested = false;
  private notes: TimelineEntry[] = [];
  /** When the first disruptive action started, once it has. */
  private faultStart: Instant | undefined;
  private probeResults = new Map<string, ProbeResult>();
  /** How probes resolve the names faultline answers for: as a DNS client, each answer held for its TTL. */
  private resolveName: NameResolver;
  private last = new Map<string, boolean>();
  result?: DrillResult;

  constructor(
    private env: Env,
    readonly input: RunInput,
  ) {
    this.resolveName = cachingResolver(env);
    this.startSeq = env.events.lastSeq();
    this.started = this.now();
  }

  private get scope(): Scope {
    return { account: this.env.config.defaultAccount, region: this.input.spec.region };
  }

  private now(): Instant {
    return instant(this.env.clock.now(), Clock.wallNow());
  }

  stop(): void {
    this.stopRequested = true;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  private note(phase: TimelineEntry['phase'], message: string, resource?: string): void {
    this.notes.push({ at: this.now(), phase, source: 'drill', message, ...(resource ? { resource } : {}) });
  }

  /** The event log since the drill started, a page at a time. */
  private *events(): Generator<LoggedEvent> {
    for (let after = this.startSeq; ; ) {
      const page = this.env.events.list(after, 1000);
      yield* page;
      if (page.length < 1000) return;
      after = page[page.length - 1].seq;
    }
  }

  /** The timeline so far: the drill's own lines, the probes' changes, and the event log's lines. */
  timeline(): TimelineEntry[] {
    // Before the fault, what the loops do (launches, status checks, activities) sets the world up:
    // it is not detection, decision or repair.
    const setUp = (t: TimelineEntry): TimelineEntry =>
      ['detect', 'decide', 'repair', 'recovered'].includes(t.phase) && (!this.faultStart || t.at.cloud < this.faultStart.cloud) ? { ...t, phase: 'setup' } : t;
    const fromLog = [...this.events()].filter((e) => inRegion(e, this.input.spec.region)).map(eventEntry).filter((e): e is TimelineEntry => !!e).map(setUp);
    // In cloud time, then (within one instant of a manual clock) in the real order things happened.
    return [...fromLog, ...this.notes]
      .map((t, i) => ({ t, i }))
      .sort((a, b) => a.t.at.cloud.localeCompare(b.t.at.cloud) || a.t.at.real.localeCompare(b.t.at.real) || a.i - b.i)
      .map(({ t }) => t);
  }

  private record(spec: ProbeSpec, target: string, at: Instant, c: Check): void {
    let r = this.probeResults.get(spec.name);
    if (!r) this.probeResults.set(spec.name, (r = { name: spec.name, kind: spec.kind, target, samples: [] }));
    r.samples.push({ at, ok: c.ok, detail: c.detail });
    if (this.last.get(spec.name) !== c.ok) {
      this.notes.push({ at, phase: 'probe', source: `probe:${spec.name}`, message: `${c.ok ? 'passes' : 'fails'}: ${c.detail}` });
      this.last.set(spec.name, c.ok);
    }
  }

  async run(): Promise<DrillResult> {
    const { spec } = this.input;
    const pace = new Pace(this.env, spec.clock.step, spec.clock.realPauseSeconds ?? (this.input.driver === 'sandbox' ? 1 : 0), () => this.stopRequested);
    let experiment: ExperimentView | undefined;
    let disruption: DisruptionType = spec.disruption ?? 'Hardware';
    let faultAt: number | undefined;
    let faultInstant: Instant | undefined;
    let recovered: Instant | undefined;
    let rtoMethod = '';
    let rpo: Measure = { method: 'not measured' };
    let error: string | undefined;
    try {
      const endpoint = this.env.endpoint;
      if (!endpoint) throw new Error('faultline is not listening yet');
      const values = await runSetup(spec.setup, {
        endpoint,
        region: spec.region,
        pace,
        templates: this.input.templates,
        unique: this.input.drillId,
        note: (m, r) => this.note('setup', m, r),
      });
      const exp = resolveRefs(spec.experiment, values);
      const probes = resolveRefs(spec.probes, values).filter((p) => !p.only || p.only === this.input.driver);
      disruption = spec.disruption ?? disruptionOfActions(templateActionIds(this.env, this.scope, exp) ?? []) ?? disruption;
      const steady = probes.filter((p) => p.kind !== 'data');
      const data = probes.find((p): p is DataSpec => p.kind === 'data');
      const written: Written[] = [];
      const due = new Map<string, number>();
      let serving: string[] = [];

      /**
       * Checks the probes that are due. Answers whether a steady probe was checked (a check to
       * count: on a step where none is due, the results are the last ones again), and whether
       * every steady probe passes now.
       */
      const checkDue = async (): Promise<{ checked: boolean; ok: boolean; at: Instant }> => {
        const t = this.env.clock.now();
        const at = this.now();
        let checked = false;
        let instances: string[] | undefined;
        for (const p of probes) {
          if ((due.get(p.name) ?? 0) > t) continue;
          due.set(p.name, t + p.interval * 1000);
          if (p.kind === 'data') {
            const n = written.length + 1;
            const c = await writeRecord(p, n, this.resolveName);
            written.push({ n, at, ok: c.ok, beforeFault: faultAt === undefined });
            this.record(p, p.write, at, c);
            continue;
          }
          checked = true;
          const c = p.kind === 'http' ? await checkHttp(p, this.resolveName) : p.kind === 'tcp' ? await checkTcp(p) : await checkAws(p, endpoint, spec.region);
          const found = (c as { instances?: string[] }).instances;
          if (c.ok && found) instances = [...(instances ?? []), ...found];
          this.record(p, probeTarget(p), at, c);
        }
        if (instances) serving = instances;
        return { checked, ok: steady.every((p) => this.last.get(p.name) === true), at };
      };

      // The steady state: every probe passes, `checks` times in a row, before anything is broken.
      this.note('info', 'waiting for the steady state');
      let run = 0;
      const countRun = async () => {
        const c = await checkDue();
        run = !c.ok ? 0 : c.checked ? run + 1 : run;
        return run >= spec.recovery.checks;
      };
      await pace.until(countRun, spec.recovery.windowSeconds, 'the steady state was never reached: the probes did not all pass before the fault');
      const before: ServingStorage = servingStorage(this.env, this.scope, serving);
      this.note('info', `steady state: ${steady.map((p) => p.name).join(', ')} pass`);

      const starting = this.now();
      experiment = this.env.store.transaction(() => startDrillExperiment(this.env, this.scope, exp, spec.name));
      this.notes.push({ at: starting, phase: 'experiment', source: 'drill', message: `experiment ${experiment.id} started`, resource: experiment.id });
      const startedAt = this.env.clock.now();

      // Probe until the service is back for good, the window ends, or the experiment ends without a fault.
      let firstPass: Instant | undefined;
      let passes = 0;
      let failedSince = false;
      for (;;) {
        if (this.stopRequested) throw new DrillStopped();
        await pace.step();
        experiment = readExperiment(this.env, this.scope, experiment.id);
        if (faultAt === undefined) {
          const first = experiment.actions.filter((a) => isDisruptive(a.actionId) && a.startTime !== undefined).sort((a, b) => a.startTime! - b.startTime!)[0];
          if (first) {
            faultAt = first.startTime!;
            faultInstant = this.actionStarted(experiment.id, first.name, faultAt);
            this.faultStart = faultInstant;
            if (!spec.disruption) disruption = experimentDisruption(this.env, this.scope, experiment.id) ?? disruption;
            this.notes.push({ at: faultInstant, phase: 'fault', source: 'drill', message: `first fault: action ${first.name} (${first.actionId})` });
          } else if (!ACTIVE_STATES.has(experiment.status)) {
            throw new Error(`experiment ${experiment.id} ended ${experiment.status} before any fault: ${experiment.reason ?? ''}`.trim());
          }
        }
        const c = await checkDue();
        if (faultAt === undefined) {
          if (this.env.clock.now() - startedAt > spec.recovery.windowSeconds * 1000) throw new Error(`experiment ${experiment.id} started no fault within ${spec.recovery.windowSeconds} s`);
          continue;
        }
        if (!c.ok) {
          failedSince = true;
          passes = 0;
          firstPass = undefined;
        } else if (failedSince && c.checked) {
          firstPass ??= c.at;
          if (++passes >= spec.recovery.checks) break;
        }
        if (this.env.clock.now() - faultAt >= spec.recovery.windowSeconds * 1000) break;
      }
      // Back for good: RTO ends at the first check of the passing run. A fault's signal can lag (status
      // checks run once a minute), so only probes that never failed in the whole window mean RTO 0.
      if (passes >= spec.recovery.checks && firstPass) {
        recovered = firstPass;
        rtoMethod = `probes passed ${spec.recovery.checks} checks in a row`;
        this.notes.push({ at: recovered, phase: 'recovered', source: 'drill', message: `the service is back: ${steady.map((p) => p.name).join(', ')} passed ${spec.recovery.checks} checks in a row` });
      } else if (!failedSince) {
        recovered = faultInstant;
        rtoMethod = `the probes never failed in the ${spec.recovery.windowSeconds} s after the fault`;
        this.note('recovered', rtoMethod);
      } else this.note('info', `the service did not come back within ${spec.recovery.windowSeconds} s of the fault`);

      if (recovered) rpo = data ? await this.dataRpo(data, written, faultInstant!) : this.lineage(before, serving, faultInstant!);
      else rpo = { method: 'not measured: the service never recovered' };
    } catch (e) {
      const stopped = e instanceof DrillStopped;
      error = stopped ? 'stopped by the user' : e instanceof AwsError ? `${e.code}: ${e.message}` : (e as Error).message;
      this.note('info', stopped ? 'drill stopped by the user' : `drill could not run: ${error}`);
    }
    if (experiment) experiment = await this.endExperiment(experiment, pace);
    this.result = this.finish({ disruption, experiment, faultInstant, recovered, rtoMethod, rpo, error });
    return this.result;
  }

  /**
   * Stops the experiment if it still runs, and lets its rollback (the fault healed, instances
   * restarted) take its step on the clock, so that the drill leaves the world as it found it.
   */
  private async endExperiment(x: ExperimentView, pace: Pace): Promise<ExperimentView> {
    try {
      x = stopDrillExperiment(this.env, this.scope, x.id);
      for (let i = 0; i < 6 && ACTIVE_STATES.has(x.status); i++) {
        await pace.step(i === 0 ? 0 : undefined);
        x = readExperiment(this.env, this.scope, x.id);
      }
    } catch {
      // The experiment is gone (the world was reset): nothing to stop.
    }
    return x;
  }

  /** When an action of the experiment started, in cloud time and in the real time the event log stamped it with. */
  private actionStarted(experimentId: string, action: string, cloudMs: number): Instant {
    let real: string | undefined;
    for (const x of this.events()) {
      if (x.type === 'fis.action.state' && x.detail.experimentId === experimentId && x.detail.action === action && x.detail.status === 'running') {
        real = x.real;
        break;
      }
    }
    return { cloud: new Date(cloudMs).toISOString(), real: real ?? this.now().real };
  }

  private async dataRpo(data: DataSpec, written: Written[], fault: Instant): Promise<Measure> {
    const read = await readRecords(data, this.resolveName);
    if ('error' in read) return { method: `data probe: the records could not be read back from ${data.read}: ${read.error}` };
    const acked = written.filter((w) => w.ok && w.beforeFault);
    if (!acked.length) return { method: 'data probe: no record was acknowledged before the fault' };
    const lost = acked.filter((w) => !read.numbers.has(w.n));
    this.note('info', `data probe: ${acked.length - lost.length} of ${acked.length} records written before the fault survived`);
    if (!lost.length) return { seconds: 0, realSeconds: 0, method: `data probe: all ${acked.length} records acknowledged before the fault survived (newest ${recordName(data.record, acked[acked.length - 1].n)})` };
    const survived = acked.filter((w) => read.numbers.has(w.n)).pop();
    const from = survived?.at ?? acked[0].at;
    const seconds = cloudSeconds(from, fault);
    return {
      seconds,
      realSeconds: realSeconds(from, fault),
      method: survived
        ? `data probe: newest surviving record ${recordName(data.record, survived.n)} was written ${seconds} s before the fault; ${lost.length} later records were lost`
        : `data probe: none of the ${acked.length} records written before the fault survived; the first was written ${seconds} s before it`,
    };
  }

  private lineage(before: ServingStorage, serving: string[], fault: Instant): Measure {
    if (!before.instanceIds.length) return { method: 'not measured: no data probe, and no aws probe names the serving instances (instances:)' };
    const faultAt = Date.parse(fault.cloud);
    const found = lineageRpo(this.env, this.scope, before, servingStorage(this.env, this.scope, serving), faultAt);
    if (!found) return { method: 'storage lineage: no serving instance with volumes after recovery' };
    // The recovery point in real time: when the event log first wrote at or after its cloud instant.
    const pointReal = found.ms ? this.env.events.realAt(faultAt - found.ms) : Date.parse(fault.real);
    return { seconds: found.ms / 1000, ...(pointReal !== undefined ? { realSeconds: Math.max(0, (Date.parse(fault.real) - pointReal) / 1000) } : {}), method: found.method };
  }

  private finish(r: { disruption: DisruptionType; experiment?: ExperimentView; faultInstant?: Instant; recovered?: Instant; rtoMethod: string; rpo: Measure; error?: string }): DrillResult {
    const { spec } = this.input;
    const ended = this.now();
    const timeline = this.timeline();
    const rto: Measure =
      r.faultInstant && r.recovered
        ? { seconds: cloudSeconds(r.faultInstant, r.recovered), realSeconds: realSeconds(r.faultInstant, r.recovered), method: r.rtoMethod }
        : { method: r.error ? 'not measured: the drill could not run' : 'not measured: the service never recovered' };
    const target = spec.targets[r.disruption];
    const survived = r.recovered !== undefined;
    const within = target && rto.seconds !== undefined && r.rpo.seconds !== undefined && rto.seconds <= target.rtoInSecs && r.rpo.seconds <= target.rpoInSecs;
    // A drill that stopped before its fault did not exercise the disruption type at all (fis.md §6).
    const compliance = r.error && !r.faultInstant ? 'NotApplicable' : !target ? 'MissingPolicy' : within ? 'PolicyMet' : 'PolicyBreached';
    return {
      schemaVersion: 1,
      drill: { name: spec.name, region: spec.region, account: this.scope.account, ...(this.input.file ? { file: this.input.file } : {}), ...(spec.description ? { description: spec.description } : {}), ...(spec.mechanism ? { mechanism: spec.mechanism } : {}) },
      status: r.error ? 'error' : compliance === 'PolicyMet' ? 'met' : 'breached',
      ...(r.error ? { error: r.error } : {}),
      driver: this.input.driver,
      clockMode: this.env.clock.mode === 'scaled' ? `scaled ×${this.env.clock.scale}` : this.env.clock.mode,
      disruption: r.disruption,
      ...(target ? { target } : {}),
      compliance,
      ...(r.experiment ? { experiment: { id: r.experiment.id, templateId: r.experiment.templateId, status: r.experiment.status, ...(r.experiment.reason ? { reason: r.experiment.reason } : {}) } } : {}),
      started: this.started,
      ...(r.faultInstant ? { faultStart: r.faultInstant } : {}),
      ...(r.recovered ? { recovered: r.recovered } : {}),
      ended,
      survived,
      rto,
      rpo: r.rpo,
      breakdown: r.faultInstant ? breakdown(timeline, r.faultInstant, r.recovered) : {},
      timeline,
      probes: [...this.probeResults.values()],
    };
  }
}

const probeTarget = (p: ProbeSpec): string =>
  p.kind === 'http' ? p.url : p.kind === 'tcp' ? `${p.host}:${p.port}` : p.kind === 'aws' ? p.calls.map((c) => `${c.service} ${c.operation}`).join(' → ') : p.write;
