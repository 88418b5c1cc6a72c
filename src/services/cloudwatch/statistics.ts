/**
 * CloudWatch statistics over stored datapoints, as pure functions: aggregating rows into one
 * statistic set, the five basic statistics, percentiles, and the period arithmetic of
 * GetMetricStatistics and GetMetricData (valid periods, StartTime rounding, period buckets).
 */

/** A statistic set, with the raw values when percentiles can be computed from it. */
export interface Agg {
  n: number;
  sum: number;
  min: number;
  max: number;
  /** Raw values as [value, count] pairs; null when some data came as a statistic set with a spread. */
  vals: [number, number][] | null;
}

export const BASIC_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type BasicStatistic = (typeof BASIC_STATISTICS)[number];

const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$/;

/** `p0`–`p100` with up to ten decimals, as CloudWatch writes percentiles. */
export const isPercentile = (stat: string): boolean => PERCENTILE.test(stat);
export const percentileOf = (stat: string): number => Number(stat.slice(1));

/** Parses the `vals` column: `v` or `v*count`, comma-separated. */
export function parseVals(text: string | null): [number, number][] | null {
  if (text === null) return null;
  if (text === '') return [];
  return text.split(',').map((part) => {
    const star = part.indexOf('*');
    return star < 0 ? [Number(part), 1] : [Number(part.slice(0, star)), Number(part.slice(star + 1))];
  });
}

export const formatVals = (pairs: readonly (readonly [number, number])[]): string =>
  pairs.map(([v, c]) => (c === 1 ? String(v) : `${v}*${c}`)).join(',');

export function emptyAgg(): Agg {
  return { n: 0, sum: 0, min: Infinity, max: -Infinity, vals: [] };
}

export function addTo(agg: Agg, row: { n: number; sum: number; min: number; max: number; vals: [number, number][] | null }): void {
  agg.n += row.n;
  agg.sum += row.sum;
  agg.min = Math.min(agg.min, row.min);
  agg.max = Math.max(agg.max, row.max);
  if (agg.vals === null || row.vals === null) agg.vals = null;
  else for (const p of row.vals) agg.vals.push(p);
}

/**
 * The value of `stat` (a basic statistic or `pNN`) for a set, or undefined when it cannot be
 * computed (no samples, or a percentile over data that came only as statistic sets).
 */
export function statistic(agg: Agg, stat: string): number | undefined {
  if (agg.n <= 0) return undefined;
  switch (stat) {
    case 'SampleCount':
      return agg.n;
    case 'Sum':
      return agg.sum;
    case 'Average':
      return agg.sum / agg.n;
    case 'Minimum':
      return agg.min;
    case 'Maximum':
      return agg.max;
  }
  if (!isPercentile(stat)) return undefined;
  return agg.vals ? percentile(agg.vals, percentileOf(stat)) : undefined;
}

/**
 * The nearest-rank percentile of weighted values: the smallest value such that at least p% of
 * the samples are less than or equal to it. p0 is the minimum and p100 the maximum.
 */
export function percentile(pairs: readonly (readonly [number, number])[], p: number): number | undefined {
  const sorted = [...pairs].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((s, [, c]) => s + c, 0);
  if (total === 0) return undefined;
  if (p <= 0) return sorted[0][0];
  const rank = Math.ceil((p / 100) * total - 1e-9);
  let seen = 0;
  for (const [v, c] of sorted) {
    seen += c;
    if (seen >= rank) return v;
  }
  return sorted[sorted.length - 1][0];
}

/**
 * Whether a percentile over `n` samples is statistically significant, after
 * percentiles-with-low-samples.html: a percentile p needs at least 1/(1-p) samples above the
 * median and 1/p below it (p99 needs 100 samples, p90 needs 10). p0 and p100 are the minimum and
 * the maximum, which any sample gives. (The exact threshold is not published; unverified.)
 */
export function percentileSignificant(stat: string, n: number): boolean {
  const p = percentileOf(stat) / 100;
  if (p <= 0 || p >= 1) return n >= 1;
  const needed = p >= 0.5 ? 1 / (1 - p) : 1 / p;
  return n >= Math.ceil(needed - 1e-9);
}

/** Periods GetMetricStatistics and GetMetricData accept: 1, 5, 10, 30 or a multiple of 60. */
export const validQueryPeriod = (period: number): boolean => [1, 5, 10, 30].includes(period) || (period > 0 && period % 60 === 0);

/** Periods PutMetricAlarm accepts: 10, 20, 30 or a multiple of 60. */
export const validAlarmPeriod = (period: number): boolean => [10, 20, 30].includes(period) || (period > 0 && period % 60 === 0);

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * StartTime rounded down as GetMetricStatistics does: to the minute when under 15 days old, to
 * five minutes when 15 to 63 days old, and to the hour when older.
 */
export function roundStart(start: number, now: number): number {
  const age = now - start;
  const unit = age < 15 * DAY ? MINUTE : age <= 63 * DAY ? 5 * MINUTE : 60 * MINUTE;
  return Math.floor(start / unit) * unit;
}

/** How many periods a query spans, as the 1,440-points limit counts them. */
export const periodsIn = (start: number, end: number, periodSeconds: number): number => Math.ceil((end - start) / (periodSeconds * 1000));

/** The start of the period that `ts` falls in, for periods aligned to `start`. */
export const bucketOf = (ts: number, start: number, periodMs: number): number => start + Math.floor((ts - start) / periodMs) * periodMs;
