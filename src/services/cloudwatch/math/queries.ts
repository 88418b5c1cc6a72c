/**
 * A list of MetricDataQuery (GetMetricData's MetricDataQueries, PutMetricAlarm's Metrics):
 * validated once, then run over a time range. MetricStat queries read the store; expressions are
 * parsed (parser.ts) and evaluated (evaluate.ts) with the other queries' values by Id, each
 * query computed once, in dependency order.
 */
import { errors } from '../../../core/errors.ts';
import type { Scope } from '../../../core/store.ts';
import type { Env } from '../../service.ts';
import { aggregate } from '../metrics.query.ts';
import { listMetricRows, type Dimension } from '../metrics.store.ts';
import { BASIC_STATISTICS, isPercentile, statistic, validQueryPeriod } from '../statistics.ts';
import { evaluateNode, MathError, type MathEnv, type Series, type Value } from './evaluate.ts';
import { MathSyntaxError, namesIn, parse, type Node } from './parser.ts';
import { searchMetrics } from './search.ts';

export interface MetricStatIn {
  Metric: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] };
  Period: number;
  Stat: string;
  Unit?: string;
}

export interface QueryIn {
  Id: string;
  MetricStat?: MetricStatIn;
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  AccountId?: string;
}

const DAY = 86_400_000;

export const isStat = (stat: string): boolean => (BASIC_STATISTICS as readonly string[]).includes(stat) || isPercentile(stat);

export const checkPeriod = (period: number, param: string): void => {
  if (!validQueryPeriod(period)) throw errors.invalidParameterValue(`The parameter ${param} must be 1, 5, 10, 30 or a multiple of 60.`);
};

export function checkDimensions(dims: readonly Dimension[] | undefined, param: string): void {
  if (!dims) return;
  if (dims.length > 30) throw errors.invalidParameterValue(`The collection ${param} must not have a size greater than 30.`);
  const names = new Set<string>();
  for (const d of dims) {
    if (names.has(d.Name)) throw errors.invalidParameterValue(`No metric may have duplicate dimension names; ${param} names ${d.Name} twice.`);
    names.add(d.Name);
  }
}

const expressionError = (id: string, message: string) => errors.validation(`Error in expression ${id}: ${message}`);

/**
 * Validates the queries and parses their expressions. `param` names the list in messages
 * (MetricDataQueries or Metrics). Refuses what AWS refuses: bad or duplicate Ids, both or neither
 * of MetricStat and Expression, bad MetricStat, syntax errors, unknown Ids and circular references.
 */
export function checkQueries(queries: readonly QueryIn[], param: string): Map<string, Node> {
  const ids = new Set<string>();
  const parsed = new Map<string, Node>();
  queries.forEach((q, i) => {
    const p = `${param}.member.${i + 1}`;
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) {
      throw errors.invalidParameterValue(`The value ${q.Id} for parameter ${p}.Id is invalid. An Id must start with a lowercase letter and contain only letters, numbers and underscores.`);
    }
    if (ids.has(q.Id)) throw errors.invalidParameterValue(`The value ${q.Id} for parameter ${p}.Id is not unique.`);
    ids.add(q.Id);
    if (q.Expression !== undefined && q.MetricStat !== undefined) {
      throw errors.invalidParameterCombination(`The parameters ${p}.Expression and ${p}.MetricStat are mutually exclusive and you have specified both.`);
    }
    if (q.Expression === undefined && q.MetricStat === undefined) throw errors.invalidParameterCombination(`Exactly one of ${p}.Expression and ${p}.MetricStat must be specified.`);
    if (q.Period !== undefined) checkPeriod(q.Period, `${p}.Period`);
    if (q.Expression !== undefined) {
      try {
        parsed.set(q.Id, parse(q.Expression));
      } catch (e) {
        if (e instanceof MathSyntaxError) throw expressionError(q.Id, `${e.message} at position ${e.pos + 1}.`);
        throw e;
      }
      return;
    }
    const ms = q.MetricStat!;
    if (!ms.Metric.Namespace || !ms.Metric.MetricName) throw errors.missingParameter(`${p}.MetricStat.Metric.${ms.Metric.Namespace ? 'MetricName' : 'Namespace'}`);
    checkPeriod(ms.Period, `${p}.MetricStat.Period`);
    checkDimensions(ms.Metric.Dimensions, `${p}.MetricStat.Metric.Dimensions`);
    if (!isStat(ms.Stat)) {
      throw errors.invalidParameterValue(`The value ${ms.Stat} for parameter ${p}.MetricStat.Stat is invalid. faultline computes SampleCount, Average, Sum, Minimum, Maximum and pNN.`);
    }
  });
  // Every Id an expression names must be a query of the list, and no expression may depend on itself.
  const KEYWORDS = new Set(['REPEAT', 'LINEAR']);
  const deps = new Map([...parsed].map(([id, node]) => [id, [...namesIn(node)].filter((n) => !KEYWORDS.has(n))]));
  for (const [id, names] of deps) {
    const unknown = names.find((n) => !ids.has(n));
    if (unknown) throw expressionError(id, `Unrecognized metric or expression id ${unknown}.`);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from: string) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw expressionError(from, `Circular reference to ${id}.`);
    state.set(id, 'visiting');
    for (const d of deps.get(id) ?? []) visit(d, id);
    state.set(id, 'done');
  };
  for (const id of deps.keys()) visit(id, id);
  return parsed;
}

export interface QueryResult {
  value: Value;
  /** Whether any datapoint was dropped as not a finite number. */
  dropped: boolean;
}

/** The series of one MetricStat query over [start, end). */
export function metricStatSeries(env: Env, scope: Scope, ms: MetricStatIn, label: string, start: number, end: number): Series {
  const periodMs = ms.Period * 1000;
  const points = new Map<number, number>();
  const metric = { namespace: ms.Metric.Namespace!, name: ms.Metric.MetricName!, dims: ms.Metric.Dimensions ?? [] };
  for (const p of aggregate(env, scope, metric, { start, end, periodMs, unit: ms.Unit, mergeUnits: true })) {
    const v = statistic(p.agg, ms.Stat);
    if (v !== undefined) points.set(p.ts, v);
  }
  return { label, period: ms.Period, points };
}

/**
 * Runs the queries over [start, end) and returns a function giving each query's value by Id,
 * computed on first use. Throws ValidationError for an expression that cannot be evaluated.
 */
export function runQueries(env: Env, scope: Scope, queries: readonly QueryIn[], parsed: Map<string, Node>, start: number, end: number): (id: string) => QueryResult {
  const byId = new Map(queries.map((q) => [q.Id, q]));
  const done = new Map<string, QueryResult>();
  const stats = queries.filter((q) => q.MetricStat);
  const get = (id: string): QueryResult => {
    const cached = done.get(id);
    if (cached) return cached;
    const q = byId.get(id)!;
    let result: QueryResult;
    if (q.MetricStat) {
      result = { value: { t: 'series', s: metricStatSeries(env, scope, q.MetricStat, q.Label ?? q.MetricStat.Metric.MetricName!, start, end) }, dropped: false };
    } else {
      let dropped = false;
      const menv: MathEnv = {
        start,
        end,
        ref: (other) => get(other).value,
        metrics: (filter) => stats.filter((m) => m.Id.includes(filter)).map((m) => (get(m.Id).value as { s: Series }).s),
        search: (text, stat, period) => {
          if (!isStat(stat)) throw new MathError(`Invalid statistic ${stat} in SEARCH.`);
          if (!validQueryPeriod(period)) throw new MathError(`Invalid period ${period} in SEARCH: it must be 1, 5, 10, 30 or a multiple of 60.`);
          return searchMetrics(text, listMetricRows(env, scope, env.clock.now() - 14 * DAY)).map((m) =>
            metricStatSeries(env, scope, { Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: m.dims }, Period: period, Stat: stat }, m.label, start, end),
          );
        },
        dropped: () => {
          dropped = true;
        },
      };
      try {
        result = { value: evaluateNode(parsed.get(id)!, menv), dropped };
      } catch (e) {
        if (e instanceof MathError) throw expressionError(id, e.message);
        throw e;
      }
      result.dropped = dropped;
    }
    done.set(id, result);
    return result;
  };
  return get;
}

/** The period (s) of a query's result: its own Period, its MetricStat's, or its inputs' largest. */
export function queryPeriod(q: QueryIn, value: Value): number {
  if (q.Period !== undefined) return q.Period;
  if (q.MetricStat) return q.MetricStat.Period;
  if (value.t === 'series') return value.s.period;
  if (value.t === 'array' && value.items.length) return Math.max(...value.items.map((s) => s.period));
  return 60;
}
