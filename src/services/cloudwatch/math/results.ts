/**
 * What GetMetricData returns for one query (API_MetricDataResult.html): its Id, its label, its
 * points in the ScanBy order, and Messages.
 *
 * - The label is the query's Label, or by default the metric name for a MetricStat and the Id
 *   for an expression. An expression that returns an array gives one result per series, each
 *   labelled with the series' own label after the expression's Label when there is one.
 * - An expression that returns a scalar gives it at every period of the range.
 * - Dynamic labels (graph-dynamic-labels.html): ${AVG}, ${MIN}, ${MAX}, ${SUM}, ${FIRST},
 *   ${LAST}, ${DATAPOINT_COUNT}, ${LABEL} and ${PROP('MetricName' | 'Namespace' | 'Stat' |
 *   'Period' | 'Dim.<name>')}, computed over the values returned.
 */
import type { QueryIn, QueryResult } from './queries.ts';
import { queryPeriod } from './queries.ts';

export interface Result {
  Id: string;
  Label: string;
  /** [timestamp, value] in ScanBy order. */
  points: [number, number][];
  Messages: { Code: string; Value: string }[];
}

const DROPPED = { Code: 'ArithmeticError', Value: 'One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)' };

/** `label` with its dynamic parts filled in; ${LABEL} is the default label, `fallback`. */
function dynamicLabel(label: string, q: QueryIn, fallback: string, values: number[]): string {
  if (!label.includes('${')) return label;
  const sum = values.reduce((a, b) => a + b, 0);
  const stats: Record<string, number | undefined> = {
    AVG: values.length ? sum / values.length : undefined,
    MIN: values.length ? Math.min(...values) : undefined,
    MAX: values.length ? Math.max(...values) : undefined,
    SUM: sum,
    DATAPOINT_COUNT: values.length,
  };
  const ms = q.MetricStat;
  const props: Record<string, string | undefined> = ms
    ? {
        MetricName: ms.Metric.MetricName,
        Namespace: ms.Metric.Namespace,
        Stat: ms.Stat,
        Period: String(ms.Period),
        ...Object.fromEntries((ms.Metric.Dimensions ?? []).map((d) => [`Dim.${d.Name}`, d.Value])),
      }
    : { Period: q.Period !== undefined ? String(q.Period) : undefined };
  return label.replace(/\$\{([A-Z_]+)(?:\('([^']*)'\))?\}/g, (whole, name: string, arg?: string) => {
    if (name === 'PROP' && arg !== undefined) return props[arg] ?? '';
    if (name === 'LABEL') return fallback;
    if (name === 'FIRST') return values.length ? String(values[0]) : '';
    if (name === 'LAST') return values.length ? String(values[values.length - 1]) : '';
    if (name in stats) return stats[name] === undefined ? '' : String(stats[name]);
    return whole;
  });
}

/** The MetricDataResults of one returned query. */
export function resultsOf(q: QueryIn, r: QueryResult, start: number, end: number, descending: boolean): Result[] {
  const messages = r.dropped ? [DROPPED] : [];
  const v = r.value;
  const fallback = q.MetricStat ? q.MetricStat.Metric.MetricName! : q.Id;
  const own = q.Label ?? fallback;
  let series: { base: string; fallback: string; points: [number, number][] }[];
  if (v.t === 'scalar') {
    const period = queryPeriod(q, v) * 1000;
    const points: [number, number][] = [];
    if (Number.isFinite(v.v)) for (let ts = start; ts < end; ts += period) points.push([ts, v.v]);
    else messages.push(DROPPED);
    series = [{ base: own, fallback, points }];
  } else if (v.t === 'series') {
    series = [{ base: own, fallback, points: [...v.s.points].sort((a, b) => a[0] - b[0]) }];
  } else {
    series = v.items.map((s) => ({ base: q.Label !== undefined ? `${q.Label} ${s.label}` : s.label, fallback: s.label, points: [...s.points].sort((a, b) => a[0] - b[0]) }));
  }
  return series.map((s) => {
    const label = dynamicLabel(s.base, q, s.fallback, s.points.map((p) => p[1]));
    if (descending) s.points.reverse();
    return { Id: q.Id, Label: label, points: s.points, Messages: messages };
  });
}
