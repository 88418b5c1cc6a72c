/**
 * The alarm evaluation algorithm, as a pure function (AlarmThatSendsEmail.html, "Configuring how
 * CloudWatch alarms treat missing data", and percentiles-with-low-samples.html).
 *
 * Input: the evaluation range (N + extra periods, oldest first), each slot a value or missing.
 *
 * 1. If none of the N most recent slots is missing, those N are evaluated.
 * 2. Otherwise, if the range holds at least N real points, the N most recent real points are
 *    evaluated; TreatMissingData is not consulted.
 * 3. Otherwise the fewest slots needed to reach N are filled by TreatMissingData, and every real
 *    point in the range is still evaluated:
 *    - `breaching` fills bad slots and `notBreaching` good ones;
 *    - `missing` fills neutral slots: with no real point at all the alarm is INSUFFICIENT_DATA,
 *      otherwise it is ALARM when at least min(M, real points) of the real points breach;
 *    - `ignore` is `missing`, except that it never moves to ALARM or INSUFFICIENT_DATA on
 *      missing data: the current state is kept instead.
 * 4. ALARM when at least M of the N points breach, otherwise OK.
 * 5. The premature-alarm guard: with missing or ignore, an ALARM drawn from fewer than N real
 *    points needs its oldest real point to be at least M-1 periods old, so that `- - - - X` and
 *    `- - - X -` do not alarm at M=3 but `- - X - -` does. Otherwise the state is kept.
 *
 * These rules reproduce every vector of the documentation's tables (see the unit tests).
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';
export type ComparisonOperator = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
export const TREAT_MISSING: readonly TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

export interface Slot {
  /** Start of the period, cloud ms. */
  ts: number;
  /** The statistic's value; undefined when the period has no data. */
  value?: number;
  sampleCount?: number;
  /** A percentile over too few samples to be significant. */
  lowSample?: boolean;
}

export interface EvaluationConfig {
  comparison: ComparisonOperator;
  threshold: number;
  /** N */
  evaluationPeriods: number;
  /** M; defaults to N. */
  datapointsToAlarm?: number;
  treatMissingData?: TreatMissingData;
  /** For percentiles: `ignore` keeps the state when a point has too few samples. */
  evaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
}

export interface Evaluation {
  /** The state the alarm should be in; `keep` leaves the current state as it is. */
  state: AlarmState | 'keep';
  /** Why the state is kept, for logs. */
  keptBecause?: 'ignore' | 'premature' | 'low-sample';
  /** The real points evaluated, newest first. */
  evaluated: Slot[];
  /** Which of them breach. */
  breaching: Slot[];
  /** Slots filled by TreatMissingData, and how they counted. */
  filled: number;
  filledAs?: 'breaching' | 'notBreaching' | 'missing';
  /** M and N as applied. */
  m: number;
  n: number;
}

export function breaches(op: ComparisonOperator, value: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/** Evaluates one alarm over its range (oldest first). Pure: reads nothing else. */
export function evaluate(range: readonly Slot[], cfg: EvaluationConfig): Evaluation {
  const n = cfg.evaluationPeriods;
  const m = cfg.datapointsToAlarm ?? n;
  const treat = cfg.treatMissingData ?? 'missing';
  const newestFirst = [...range].reverse();
  const real = newestFirst.filter((s) => s.value !== undefined);
  const isBad = (s: Slot) => breaches(cfg.comparison, s.value!, cfg.threshold);
  const base = { m, n };

  const decide = (points: Slot[], extraBad: number, filled: number, filledAs?: Evaluation['filledAs']): Evaluation => {
    const breaching = points.filter(isBad);
    if (cfg.evaluateLowSampleCountPercentile === 'ignore' && points.some((p) => p.lowSample)) {
      return { ...base, state: 'keep', keptBecause: 'low-sample', evaluated: points, breaching, filled, filledAs };
    }
    const state: AlarmState = breaching.length + extraBad >= m ? 'ALARM' : 'OK';
    return { ...base, state, evaluated: points, breaching, filled, filledAs };
  };

  const recent = newestFirst.slice(0, n);
  if (recent.length === n && recent.every((s) => s.value !== undefined)) return decide(recent, 0, 0);
  if (real.length >= n) return decide(real.slice(0, n), 0, 0);

  const fill = n - real.length;
  if (real.length === 0) {
    switch (treat) {
      case 'breaching':
        return { ...base, state: 'ALARM', evaluated: [], breaching: [], filled: n, filledAs: 'breaching' };
      case 'notBreaching':
        return { ...base, state: 'OK', evaluated: [], breaching: [], filled: n, filledAs: 'notBreaching' };
      case 'ignore':
        return { ...base, state: 'keep', keptBecause: 'ignore', evaluated: [], breaching: [], filled: 0 };
      case 'missing':
        return { ...base, state: 'INSUFFICIENT_DATA', evaluated: [], breaching: [], filled: n, filledAs: 'missing' };
    }
  }
  if (treat === 'breaching') return decide(real, fill, fill, 'breaching');
  if (treat === 'notBreaching') return decide(real, 0, fill, 'notBreaching');

  // missing or ignore, with some real points: missing slots count for neither side.
  const out = decide(real, 0, fill, 'missing');
  if (out.state === 'keep') return out;
  const needed = Math.min(m, real.length);
  if (out.breaching.length < needed) return { ...out, state: 'OK' };
  const oldestRealAge = newestFirst.indexOf(real[real.length - 1]);
  if (oldestRealAge < m - 1) return { ...out, state: 'keep', keptBecause: 'premature' };
  if (treat === 'ignore') return { ...out, state: 'keep', keptBecause: 'ignore' };
  return { ...out, state: 'ALARM' };
}
