/**
 * CloudWatch metrics: PutMetricData, GetMetricStatistics, GetMetricData and ListMetrics, and
 * `putMetric`, which other services call to publish their own metrics (EC2's status checks and
 * CPUUtilization every minute).
 *
 * Limits and rules follow API_PutMetricData.html, API_GetMetricStatistics.html and
 * API_GetMetricData.html; where AWS's error text is not documented the message says what is wrong
 * in AWS's usual "The value X for parameter Y is invalid." style.
 */
import { AwsError, errors } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { aggregate, type MetricRef } from './metrics.query.ts';
import { addDatum, listMetricRows, type Dimension, type StoredDatum } from './metrics.store.ts';
import { scheduleRetention } from './retention.loop.ts';
import { isPercentile, periodsIn, roundStart, statistic } from './statistics.ts';
import { checkDimensions, checkPeriod, checkQueries, runQueries, type QueryIn } from './math/queries.ts';
import { resultsOf } from './math/results.ts';
import { decodeToken, encodeToken, page } from './tokens.ts';

const DAY = 86_400_000;
const MAX_METRICS = 1000;
const MAX_VALUES = 150;
const MAX_DIMENSIONS = 30;
const MAX_POINTS = 1440;
const MAX_QUERIES = 500;
const MAX_BODY = 1024 * 1024;
// CloudWatch rejects values whose magnitude is above 2^360 or below 2^-360 (other than zero).
const HUGE = 2 ** 360;
const TINY = 2 ** -360;

interface StatisticSetIn {
  SampleCount: number;
  Sum: number;
  Minimum: number;
  Maximum: number;
}

export interface MetricDatumIn {
  MetricName: string;
  Dimensions?: Dimension[];
  Timestamp?: Date;
  Value?: number;
  StatisticValues?: StatisticSetIn;
  Values?: number[];
  Counts?: number[];
  Unit?: string;
  StorageResolution?: number;
}

const invalidValue = (value: unknown, param: string) => errors.invalidParameterValue(`The value ${String(value)} for parameter ${param} is invalid.`);

function checkNumber(v: number, param: string): void {
  if (!Number.isFinite(v)) throw invalidValue(v, param);
  const a = Math.abs(v);
  if (a > HUGE || (a !== 0 && a < TINY)) throw invalidValue(v, param);
}

/** Validates one datum and turns it into the statistic set to store. Undefined: nothing to store (all counts 0). */
export function toStored(namespace: string, d: MetricDatumIn, now: number, p: string): StoredDatum | undefined {
  const given = (['Value', 'Values', 'StatisticValues'] as const).filter((k) => d[k] !== undefined);
  if (given.length > 1) {
    throw errors.invalidParameterCombination(`The parameters ${p}.${given[0]} and ${p}.${given[1]} are mutually exclusive and you have specified both.`);
  }
  if (given.length === 0) {
    throw errors.invalidParameterCombination(`At least one of the parameters ${p}.Value, ${p}.StatisticValues or ${p}.Values must be specified.`);
  }
  checkDimensions(d.Dimensions, `${p}.Dimensions`);
  if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) throw invalidValue(d.StorageResolution, `${p}.StorageResolution`);
  const ts = d.Timestamp ? d.Timestamp.getTime() : now;
  if (ts < now - 14 * DAY) throw errors.invalidParameterValue(`The parameter ${p}.Timestamp must specify a time no more than two weeks in the past.`);
  if (ts > now + 2 * 3_600_000) throw errors.invalidParameterValue(`The parameter ${p}.Timestamp must specify a time no more than two hours in the future.`);
  if (d.Counts !== undefined && d.Values === undefined) throw errors.invalidParameterCombination(`The parameter ${p}.Counts requires ${p}.Values.`);
  const base = { namespace, name: d.MetricName, dims: d.Dimensions ?? [], unit: d.Unit ?? 'None', res: d.StorageResolution === 1 ? 1 : 60, ts };
  if (d.Value !== undefined) {
    checkNumber(d.Value, `${p}.Value`);
    return { ...base, n: 1, sum: d.Value, min: d.Value, max: d.Value, vals: [[d.Value, 1]] };
  }
  if (d.StatisticValues !== undefined) {
    const s = d.StatisticValues;
    for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) checkNumber(s[k], `${p}.StatisticValues.${k}`);
    if (s.SampleCount <= 0) throw invalidValue(s.SampleCount, `${p}.StatisticValues.SampleCount`);
    if (s.Minimum > s.Maximum) throw errors.invalidParameterCombination(`The parameters ${p}.StatisticValues.Minimum and ${p}.StatisticValues.Maximum are inconsistent: Minimum is greater than Maximum.`);
    // A set with one sample, or with no spread, is as good as raw values for percentiles.
    const vals: [number, number][] | null = s.SampleCount === 1 || s.Minimum === s.Maximum ? [[s.Minimum, s.SampleCount]] : null;
    return { ...base, n: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, vals };
  }
  const values = d.Values!;
  if (values.length > MAX_VALUES) throw errors.invalidParameterValue(`The collection ${p}.Values must not have a size greater than ${MAX_VALUES}.`);
  const counts = d.Counts ?? values.map(() => 1);
  if (counts.length !== values.length) throw errors.invalidParameterValue(`The parameters ${p}.Values and ${p}.Counts must be of the same size.`);
  const pairs: [number, number][] = [];
  values.forEach((v, i) => {
    checkNumber(v, `${p}.Values.member.${i + 1}`);
    const c = counts[i];
    if (!Number.isFinite(c) || c < 0) throw invalidValue(c, `${p}.Counts.member.${i + 1}`);
    if (c > 0) pairs.push([v, c]);
  });
  if (!pairs.length) return undefined;
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const [v, c] of pairs) {
    n += c;
    sum += v * c;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { ...base, n, sum, min, max, vals: pairs };
}

/** What another service publishes: one value of one metric, at the clock's time by default. */
export interface MetricInput {
  Namespace: string;
  MetricName: string;
  Dimensions?: Dimension[];
  /** Cloud ms or a Date; the clock's now when absent. */
  Timestamp?: number | Date;
  Value: number;
  Unit?: string;
  StorageResolution?: 1 | 60;
}

/**
 * Publishes one metric value from inside faultline (AWS/* namespaces allowed). Joins the caller's
 * transaction; throws AwsError on a value PutMetricData would refuse.
 */
export function putMetric(env: Env, scope: Scope, m: MetricInput): void {
  const now = env.clock.now();
  const ts = m.Timestamp === undefined ? undefined : new Date(m.Timestamp);
  const stored = toStored(m.Namespace, { ...m, Timestamp: ts }, now, m.MetricName);
  if (!stored) return;
  env.store.transaction(() => {
    addDatum(env, scope, stored);
    scheduleRetention(env);
  });
}

function timeRange(start: Date, end: Date, now: number): { start: number; end: number } {
  if (start.getTime() >= end.getTime()) throw errors.invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
  return { start: roundStart(start.getTime(), now), end: end.getTime() };
}

const iso = (ms: number) => new Date(ms).toISOString();

export const metricHandlers = {
  PutMetricData(
    input: { Namespace: string; MetricData?: MetricDatumIn[]; EntityMetricData?: { MetricData?: MetricDatumIn[] }[] },
    ctx: RequestContext,
  ) {
    if (/^AWS\//.test(input.Namespace)) throw invalidValue(input.Namespace, 'Namespace');
    const data = [...(input.MetricData ?? []), ...(input.EntityMetricData ?? []).flatMap((e) => e.MetricData ?? [])];
    if (!data.length) throw errors.missingParameter('MetricData');
    if (data.length > MAX_METRICS) throw errors.invalidParameterValue(`The collection MetricData must not have a size greater than ${MAX_METRICS}.`);
    if (JSON.stringify(input).length > MAX_BODY) throw new AwsError('RequestEntityTooLarge', `Request size exceeded ${MAX_BODY} bytes`, 413);
    const now = ctx.env.clock.now();
    // Validate everything before writing anything.
    const stored = data.map((d, i) => toStored(input.Namespace, d, now, `MetricData.member.${i + 1}`));
    for (const s of stored) if (s) addDatum(ctx.env, ctx, s);
    scheduleRetention(ctx.env);
    return {};
  },

  GetMetricStatistics(
    input: {
      Namespace: string;
      MetricName: string;
      Dimensions?: Dimension[];
      StartTime: Date;
      EndTime: Date;
      Period: number;
      Statistics?: string[];
      ExtendedStatistics?: string[];
      Unit?: string;
    },
    ctx: RequestContext,
  ) {
    checkPeriod(input.Period, 'Period');
    checkDimensions(input.Dimensions, 'Dimensions');
    const stats = input.Statistics ?? [];
    const ext = input.ExtendedStatistics ?? [];
    if (!stats.length && !ext.length) throw errors.missingParameter('Statistics or ExtendedStatistics');
    if (ext.length > 10) throw errors.invalidParameterValue('The collection ExtendedStatistics must not have a size greater than 10.');
    ext.forEach((e, i) => {
      if (!isPercentile(e)) throw invalidValue(e, `ExtendedStatistics.member.${i + 1}`);
    });
    const { start, end } = timeRange(input.StartTime, input.EndTime, ctx.env.clock.now());
    const n = periodsIn(start, end, input.Period);
    if (n > MAX_POINTS) {
      throw errors.invalidParameterCombination(
        `You have requested up to ${n.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_POINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
    const metric: MetricRef = { namespace: input.Namespace, name: input.MetricName, dims: input.Dimensions ?? [] };
    const points = aggregate(ctx.env, ctx, metric, { start, end, periodMs: input.Period * 1000, unit: input.Unit });
    return {
      Label: input.MetricName,
      Datapoints: points.map((p) => {
        const dp: Record<string, unknown> = { Timestamp: iso(p.ts), Unit: p.unit };
        for (const s of stats) dp[s] = statistic(p.agg, s);
        if (ext.length) {
          const values: Record<string, number> = {};
          for (const e of ext) {
            const v = statistic(p.agg, e);
            if (v !== undefined) values[e] = v;
          }
          dp.ExtendedStatistics = values;
        }
        return dp;
      }),
    };
  },

  GetMetricData(
    input: {
      MetricDataQueries: QueryIn[];
      StartTime: Date;
      EndTime: Date;
      NextToken?: string;
      ScanBy?: 'TimestampDescending' | 'TimestampAscending';
      MaxDatapoints?: number;
      LabelOptions?: { Timezone?: string };
    },
    ctx: RequestContext,
  ) {
    const queries = input.MetricDataQueries;
    if (!queries.length) throw errors.missingParameter('MetricDataQueries');
    if (queries.length > MAX_QUERIES) throw errors.invalidParameterValue(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`);
    const parsed = checkQueries(queries, 'MetricDataQueries');
    const tz = input.LabelOptions?.Timezone;
    if (tz !== undefined && !/^[+-]([01]\d|2[0-3])[0-5]\d$/.test(tz)) throw invalidValue(tz, 'LabelOptions.Timezone');
    const { start, end } = timeRange(input.StartTime, input.EndTime, ctx.env.clock.now());
    const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    const run = runQueries(ctx.env, ctx, queries, parsed, start, end);
    const results = queries.filter((q) => q.ReturnData !== false).flatMap((q) => resultsOf(q, run(q.Id), start, end, descending));
    // Pages cut across the results in order; a token is the offset of the next datapoint.
    const max = input.MaxDatapoints ?? 100_800;
    const from = decodeToken(input.NextToken);
    const total = results.reduce((s, r) => s + r.points.length, 0);
    let offset = 0;
    const out = results.map((r) => {
      const lo = Math.max(0, from - offset);
      const hi = Math.max(0, Math.min(r.points.length, from + max - offset));
      offset += r.points.length;
      const slice = lo < hi ? r.points.slice(lo, hi) : [];
      return {
        Id: r.Id,
        Label: r.Label,
        Timestamps: slice.map((p) => iso(p[0])),
        Values: slice.map((p) => p[1]),
        StatusCode: hi < r.points.length ? 'PartialData' : 'Complete',
        Messages: r.Messages,
      };
    });
    return { MetricDataResults: out, Messages: [], NextToken: from + max < total ? encodeToken(from + max) : undefined };
  },

  ListMetrics(
    input: { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value?: string }[]; NextToken?: string; RecentlyActive?: string },
    ctx: RequestContext,
  ) {
    if ((input.Dimensions?.length ?? 0) > 10) throw errors.invalidParameterValue('The collection Dimensions must not have a size greater than 10.');
    const now = ctx.env.clock.now();
    const since = input.RecentlyActive === 'PT3H' ? now - 3 * 3_600_000 : now - 14 * DAY;
    const rows = listMetricRows(ctx.env, ctx, since, input.Namespace, input.MetricName).filter((m) =>
      (input.Dimensions ?? []).every((f) => m.dims.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))),
    );
    const { items, NextToken } = page(rows, input.NextToken, 500);
    return { Metrics: items.map((m) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dims })), NextToken };
  },
};
