/**
 * Runs one drill: its setup, the steady state, the FIS experiment, and the probes on the clock
 * until the service is back for good (or the observation window ends); then it measures RTO, RPO
 * and the breakdown, and fills a DrillResult. It only observes: the loops recover the service,
 * and the drill steps a manual clock the way a user would.
 */
import { Clock } from '../core/clock.ts';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import type { DrillSpec, ProbeSpec } from './file.ts';
import { DrillStopped, Pace } from './pace.ts';
import { checkAws, checkHttp, checkTcp, readRecords, recordName, writeRecord, type Check } from './probes.ts';
import { resolveRefs } from './refs.ts';
import { runSetup } from './setup.ts';
import { breakdown, eventEntry, inRegion, instant } from './timeline.ts';
import { lineageRpo, servingStorage, type ServingStorage } from './lineage.ts';
import { ACTIVE_STATES, disruptionOfActions, isDisruptive, readExperiment, startDrillExperiment, stopDrillExperiment, templateActionIds, type ExperimentView } from './experiment.ts';
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
  at: number;
  ok: boolean;
}

export class DrillRunner {
  readonly startSeq: number;
  readonly started: Instant;
  private stopRequested = false;
  private notes: TimelineEntry[] = [];
  private probeResults = new Map<string, ProbeResult>();
  private last = new Map<string, boolean>();
  result?: DrillResult;

  constructor(
    private env: Env,
    readonly input: RunInput,
  ) {
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

  /** The timeline so far: the drill's own lines, the probes' changes, and the event log's lines. */
  timeline(): TimelineEntry[] {
    const events = [];
    for (let after = this.startSeq; ; ) {
      const page = this.env.events.list(after, 1000);
      events.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1].seq;
    }
    const fromLog = events.filter((e) => inRegion(e, this.input.spec.region)).map(eventEntry).filter((e): e is TimelineEntry => !!e);
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
    let rpo: Measure = { method: 'not measured' };
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

      /** Checks the probes that are due; answers whether every steady probe passes now. */
      const checkDue = async (): Promise<boolean> => {
        const t = this.env.clock.now();
        const at = this.now();
        let instances: string[] | undefined;
        for (const p of probes) {
          if ((due.get(p.name) ?? 0) > t) continue;
          due.set(p.name, t + p.interval * 1000);
          if (p.kind === 'data') {
            const n = written.length + 1;
            const c = await writeRecord(p, n);
            written.push({ n, at: t, ok: c.ok });
            this.record(p, p.write, at, c);
            continue;
          }
          const c = p.kind === 'http' ? await checkHttp(p) : p.kind === 'tcp' ? await checkTcp(p) : await checkAws(p, endpoint, spec.region);
          const found = (c as { instances?: string[] }).instances;
          if (c.ok && found) instances = [...(instances ?? []), ...found];
          this.record(p, probeTarget(p), at, c);
        }
        if (instances) serving = instances;
        return steady.every((p) => this.last.get(p.name) === true);
      };

      // The steady state: every probe passes, `checks` times in a row, before anything is broken.
      this.note('info', 'waiting for the steady state');
      let run = 0;
      await pace.until(async () => ((await checkDue()) ? ++run : (run = 0)) >= spec.recovery.checks, spec.recovery.windowSeconds, 'the steady state was never reached: the probes did not all pass before the fault');
      const before: ServingStorage = servingStorage(this.env, this.scope, serving);
      this.note('info', `steady state: ${steady.map((p) => p.name).join(', ')} pass`);

      experiment = this.env.store.transaction(() => startDrillExperiment(this.env, this.scope, exp, spec.name));
      this.note('experiment', `experiment ${experiment.id} started`, experiment.id);
      const startedAt = this.env.clock.now();

      // Probe until the service is back for good, the window ends, or the experiment ends without a fault.
      let firstPass: { at: Instant; ms: number } | undefined;
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
            faultInstant = this.instantOfCloud(faultAt);
            this.notes.push({ at: faultInstant, phase: 'fault', source: 'drill', message: `first fault: action ${first.name} (${first.actionId})` });
          } else if (!ACTIVE_STATES.has(experiment.status)) {
            throw new Error(`experiment ${experiment.id} ended ${experiment.status} before any fault: ${experiment.reason ?? ''}`.trim());
          }
        }
        const ok = await checkDue();
        if (faultAt === undefined) {
          if (this.env.clock.now() - startedAt > spec.recovery.windowSeconds * 1000) throw new Error(`experiment ${experiment.id} started no fault within ${spec.recovery.windowSeconds} s`);
          continue;
        }
        if (!ok) {
          failedSince = true;
          passes = 0;
          firstPass = undefined;
        } else {
          if (!firstPass) firstPass = { at: this.now(), ms: this.env.clock.now() };
          if (++passes >= spec.recovery.checks) break;
        }
        if (this.env.clock.now() - faultAt >= spec.recovery.windowSeconds * 1000) break;
      }
      // Back for good: RTO ends at the first check of the passing run (0 when the probes never failed).
      if (passes >= spec.recovery.checks && firstPass) {
        recovered = failedSince ? firstPass.at : faultInstant!;
        this.notes.push({ at: recovered, phase: 'recovered', source: 'drill', message: `the service is back: ${steady.map((p) => p.name).join(', ')} passed ${spec.recovery.checks} checks in a row` });
      } else this.note('info', `the service did not come back within ${spec.recovery.windowSeconds} s of the fault`);

      if (recovered) rpo = data ? await this.dataRpo(data, written, faultAt) : this.lineage(before, serving, faultAt);
      else rpo = { method: 'not measured: the service never recovered' };
    } catch (e) {
      const stopped = e instanceof DrillStopped;
      this.note('info', stopped ? 'drill stopped by the user' : `drill could not run: ${(e as Error).message}`);
      this.result = this.finish({ disruption, experiment, faultInstant, recovered, rpo, error: stopped ? 'stopped by the user' : (e as Error).message });
      return this.result;
    } finally {
      if (experiment) {
        try {
          experiment = stopDrillExperiment(this.env, this.scope, experiment.id);
        } catch {
          // The experiment is gone (a reset): nothing to stop.
        }
      }
    }
    this.result = this.finish({ disruption, experiment, faultInstant, recovered, rpo });
    return this.result;
  }

  /** The real time of a past cloud instant, read from the event log's stamps around it. */
  private instantOfCloud(cloudMs: number): Instant {
    const iso = new Date(cloudMs).toISOString();
    const e = this.env.events.list(this.startSeq, 100000).find((x) => x.time >= iso && x.real);
    return { cloud: iso, real: e?.real ?? this.now().real };
  }

  private async dataRpo(data: DataSpec, written: Written[], faultAt: number): Promise<Measure> {
    const read = await readRecords(data);
    if ('error' in read) return { method: `data probe: the records could not be read back from ${data.read}: ${read.error}` };
    const acked = written.filter((w) => w.ok && w.at < faultAt);
    if (!acked.length) return { method: 'data probe: no record was acknowledged before the fault' };
    const lost = acked.filter((w) => !read.numbers.has(w.n));
    this.note('info', `data probe: ${acked.length - lost.length} of ${acked.length} records written before the fault survived`);
    if (!lost.length) return { seconds: 0, realSeconds: 0, method: `data probe: all ${acked.length} records acknowledged before the fault survived (newest ${recordName(data.record, acked[acked.length - 1].n)})` };
    const survived = acked.filter((w) => read.numbers.has(w.n)).pop();
    const from = survived?.at ?? acked[0].at;
    const seconds = (faultAt - from) / 1000;
    return {
      seconds,
      method: survived
        ? `data probe: newest surviving record ${recordName(data.record, survived.n)} was written ${seconds} s before the fault; ${lost.length} later records were lost`
        : `data probe: none of the ${acked.length} records written before the fault survived; the first was written ${seconds} s before it`,
    };
  }

  private lineage(before: ServingStorage, serving: string[], faultAt: number): Measure {
    if (!before.instanceIds.length) return { method: 'not measured: no data probe, and no aws probe names the serving instances (instances:)' };
    const found = lineageRpo(this.env, this.scope, before, servingStorage(this.env, this.scope, serving), faultAt);
    return found ? { seconds: found.ms / 1000, method: found.method } : { method: 'storage lineage: no serving instance with volumes after recovery' };
  }

  private finish(r: { disruption: DisruptionType; experiment?: ExperimentView; faultInstant?: Instant; recovered?: Instant; rpo: Measure; error?: string }): DrillResult {
    const { spec } = this.input;
    const ended = this.now();
    const timeline = this.timeline();
    const faultMs = r.faultInstant ? Date.parse(r.faultInstant.cloud) : undefined;
    const recMs = r.recovered ? Date.parse(r.recovered.cloud) : undefined;
    const rto: Measure =
      faultMs !== undefined && recMs !== undefined
        ? {
            seconds: (recMs - faultMs) / 1000,
            realSeconds: (Date.parse(r.recovered!.real) - Date.parse(r.faultInstant!.real)) / 1000,
            method: `probes passed ${spec.recovery.checks} checks in a row`,
          }
        : { method: r.error ? 'not measured: the drill could not run' : 'not measured: the service never recovered' };
    const target = spec.targets[r.disruption];
    const survived = recMs !== undefined;
    const within = target && rto.seconds !== undefined && r.rpo.seconds !== undefined && rto.seconds <= target.rtoInSecs && r.rpo.seconds <= target.rpoInSecs;
    const compliance = !target ? 'MissingPolicy' : within ? 'PolicyMet' : 'PolicyBreached';
    return {
      schemaVersion: 1,
      drill: { name: spec.name, ...(this.input.file ? { file: this.input.file } : {}), ...(spec.description ? { description: spec.description } : {}), ...(spec.mechanism ? { mechanism: spec.mechanism } : {}) },
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
      breakdown: faultMs !== undefined ? breakdown(timeline, faultMs, recMs) : {},
      timeline,
      probes: [...this.probeResults.values()],
    };
  }
}

const probeTarget = (p: ProbeSpec): string =>
  p.kind === 'http' ? p.url : p.kind === 'tcp' ? `${p.host}:${p.port}` : p.kind === 'aws' ? p.calls.map((c) => `${c.service} ${c.operation}`).join(' → ') : p.write;
