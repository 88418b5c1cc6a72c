/**
 * What every report says the same way: how a span of seconds reads, the verdict of each figure
 * against its target, and the exit code of a result. Pure functions of DrillResult.
 */
import type { Breakdown, DisruptionType, DrillResult, Measure } from '../result.ts';

/** A span for people: "45 s", "4 min 20 s", "2 h 5 min"; "n/a" when there is none. */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return 'n/a';
  const whole = Math.round(s);
  if (whole < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  if (whole < 7200) return whole % 60 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : `${whole / 60} min`;
  const min = Math.round(whole / 60);
  return min % 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${min / 60} h`;
}

/** The words a chapter uses for a disruption type: a server failure is Resilience Hub's Hardware. */
export const disruptionWords: Record<DisruptionType, string> = { Software: 'software', Hardware: 'server', AZ: 'AZ', Region: 'region' };

export type Verdict = 'met' | 'breached' | 'no target';

export interface Figure {
  name: 'RTO' | 'RPO';
  measure: Measure;
  target?: number;
  verdict: Verdict;
}

/**
 * RTO and RPO each against its target. A figure that could not be measured (the service never
 * came back) breaches any target, as Resilience Hub counts a workload that never recovered.
 */
export function figures(r: DrillResult): [Figure, Figure] {
  const one = (name: 'RTO' | 'RPO', measure: Measure, target: number | undefined): Figure => ({
    name,
    measure,
    target,
    verdict: target === undefined ? 'no target' : measure.seconds !== undefined && measure.seconds <= target ? 'met' : 'breached',
  });
  return [one('RTO', r.rto, r.target?.rtoInSecs), one('RPO', r.rpo, r.target?.rpoInSecs)];
}

/** The process's exit code for a result: 0 met, 1 breached, 2 the drill could not run. */
export const exitCode = (r: DrillResult): 0 | 1 | 2 => (r.status === 'met' ? 0 : r.status === 'breached' ? 1 : 2);

/** The breakdown in words: "detect 60 s, decide 5 min, repair 2 min (cloud); detect 0.1 s, ... (real)". */
export function breakdownText(b: Breakdown): string {
  const cloud = `detect ${formatSeconds(b.detectSeconds)}, decide ${formatSeconds(b.decideSeconds)}, repair ${formatSeconds(b.repairSeconds)} (cloud)`;
  const real = `detect ${formatSeconds(b.detectRealSeconds)}, decide ${formatSeconds(b.decideRealSeconds)}, repair ${formatSeconds(b.repairRealSeconds)} (real)`;
  return b.detectRealSeconds === undefined && b.decideRealSeconds === undefined && b.repairRealSeconds === undefined ? cloud : `${cloud}; ${real}`;
}
