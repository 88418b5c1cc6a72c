/**
 * Where metric data lives: two tables of their own in the store's SQLite database, not documents,
 * so that ten thousand instances publishing every minute stay cheap.
 *
 * - `cw_metrics`: one row per metric (account, region, namespace, name, exact dimension set),
 *   unique on (account, region, namespace, name, dimkey), with the last time it got data.
 * - `cw_datapoints`: per metric, unit and time bucket (1 s for high-resolution data, 60 s for
 *   standard, 300 s and 3600 s after roll-up), one statistic set (SampleCount, Sum, Minimum,
 *   Maximum) plus the raw values that percentiles need. Its primary key (metric, ts, unit, res)
 *   is the (account, region, namespace, name, dimensions, timestamp) index, with the metric's
 *   identity normalised into `cw_metrics`.
 *
 * - Steady series: a value a service publishes every period until it changes (EC2's status-check
 *   and CPU metrics). Rather than one row per period, the open segment (value, first bucket) is a
 *   document in the store and a closed one a row of `cw_series`; reads synthesise one sample per
 *   period from them, exactly the rows per-period publishing would have written. This is what
 *   keeps ten thousand instances cheap: a steady value costs nothing per minute.
 *
 * Writes use the caller's transaction (the request's or the loop's), so they commit or roll back
 * with it. Every write wakes the alarms that watch the metric (alarm-index.ts).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { formatVals, parseVals } from './statistics.ts';
import { wakeAlarms } from './alarm-index.ts';

export interface Dimension {
  Name: string;
  Value: string;
}

/** One statistic set to add to a bucket. `vals` is null when it cannot feed percentiles. */
export interface StoredDatum {
  namespace: string;
  name: string;
  dims: readonly Dimension[];
  unit: string;
  /** Bucket width in seconds: 1 (high resolution) or 60 (standard). */
  res: number;
  /** Cloud time in ms; floored to the bucket here. */
  ts: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  vals: readonly (readonly [number, number])[] | null;
}

export interface Row {
  metric: number;
  unit: string;
  res: number;
  ts: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  vals: [number, number][] | null;
}

export interface MetricRow {
  id: number;
  namespace: string;
  name: string;
  dims: Dimension[];
  lastTs: number;
}

/** The identity of a dimension set: sorted by name, independent of the order given. */
export const dimKey = (dims: readonly Dimension[]): string =>
  JSON.stringify([...dims].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((d) => [d.Name, d.Value]));

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cw_metrics (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    dimkey TEXT NOT NULL, dims TEXT NOT NULL, last_ts INTEGER NOT NULL);
  CREATE UNIQUE INDEX IF NOT EXISTS cw_metrics_key ON cw_metrics (account, region, namespace, name, dimkey);
  CREATE TABLE IF NOT EXISTS cw_datapoints (
    metric INTEGER NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL, res INTEGER NOT NULL,
    n REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, vals TEXT,
    PRIMARY KEY (metric, ts, unit, res)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cw_datapoints_age ON cw_datapoints (res, ts);
  CREATE TABLE IF NOT EXISTS cw_series (
    metric INTEGER NOT NULL, unit TEXT NOT NULL, period INTEGER NOT NULL,
    first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (metric, unit, first_ts)) WITHOUT ROWID;
`;

interface Statements {
  upsertMetric: StatementSync;
  metricId: StatementSync;
  metricsByName: StatementSync;
  metricsByNamespace: StatementSync;
  metricsAll: StatementSync;
  addPoint: StatementSync;
  rows: StatementSync;
  rollup: StatementSync;
  dropRolled: StatementSync;
  expire: StatementSync;
  closeSeries: StatementSync;
  seriesRows: StatementSync;
  seriesSince: StatementSync;
  pointsSince: StatementSync;
  expireSeries: StatementSync;
  setLastTs: StatementSync;
}

const cache = new WeakMap<DatabaseSync, Statements>();

function stmts(env: Env): Statements {
  const db = env.store.sql;
  let s = cache.get(db);
  if (s) return s;
  env.store.ensureTables(SCHEMA);
  s = {
    upsertMetric: db.prepare(
      `INSERT INTO cw_metrics (account, region, namespace, name, dimkey, dims, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, region, namespace, name, dimkey) DO UPDATE SET last_ts = max(last_ts, excluded.last_ts) RETURNING id`,
    ),
    metricId: db.prepare('SELECT id FROM cw_metrics WHERE account = ? AND region = ? AND namespace = ? AND name = ? AND dimkey = ?'),
    metricsByName: db.prepare(
      'SELECT id, namespace, name, dims, last_ts FROM cw_metrics WHERE account = ? AND region = ? AND namespace = ? AND name = ? AND last_ts >= ? ORDER BY id',
    ),
    metricsByNamespace: db.prepare(
      'SELECT id, namespace, name, dims, last_ts FROM cw_metrics WHERE account = ? AND region = ? AND namespace = ? AND last_ts >= ? ORDER BY id',
    ),
    metricsAll: db.prepare('SELECT id, namespace, name, dims, last_ts FROM cw_metrics WHERE account = ? AND region = ? AND last_ts >= ? ORDER BY id'),
    addPoint: db.prepare(
      `INSERT INTO cw_datapoints (metric, ts, unit, res, n, sum, min, max, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (metric, ts, unit, res) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
         min = min(min, excluded.min), max = max(max, excluded.max),
         vals = CASE WHEN vals IS NULL OR excluded.vals IS NULL THEN NULL
                     WHEN vals = '' THEN excluded.vals WHEN excluded.vals = '' THEN vals
                     ELSE vals || ',' || excluded.vals END`,
    ),
    rows: db.prepare('SELECT metric, ts, unit, res, n, sum, min, max, vals FROM cw_datapoints WHERE metric = ? AND ts >= ? AND ts < ? ORDER BY ts'),
    // Roll rows of width `res` older than a cut-off into rows of width `to`; merging into any
    // row already there. `WHERE true` lets SQLite parse the upsert after a SELECT.
    rollup: db.prepare(
      `INSERT INTO cw_datapoints (metric, ts, unit, res, n, sum, min, max, vals)
       SELECT metric, ts - (ts % :width), unit, :to, sum(n), sum(sum), min(min), max(max),
              CASE WHEN count(vals) < count(*) THEN NULL ELSE coalesce(group_concat(nullif(vals, ''), ','), '') END
       FROM cw_datapoints WHERE res = :res AND ts < :cutoff AND true GROUP BY metric, ts - (ts % :width), unit
       ON CONFLICT (metric, ts, unit, res) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
         min = min(min, excluded.min), max = max(max, excluded.max),
         vals = CASE WHEN vals IS NULL OR excluded.vals IS NULL THEN NULL
                     WHEN vals = '' THEN excluded.vals WHEN excluded.vals = '' THEN vals
                     ELSE vals || ',' || excluded.vals END`,
    ),
    dropRolled: db.prepare('DELETE FROM cw_datapoints WHERE res = ? AND ts < ?'),
    expire: db.prepare('DELETE FROM cw_datapoints WHERE ts < ?'),
    closeSeries: db.prepare('INSERT OR REPLACE INTO cw_series (metric, unit, period, first_ts, last_ts, value) VALUES (?, ?, ?, ?, ?, ?)'),
    seriesRows: db.prepare('SELECT unit, period, first_ts, last_ts, value FROM cw_series WHERE metric = ? AND first_ts < ? AND last_ts >= ?'),
    seriesSince: db.prepare('SELECT 1 FROM cw_series WHERE metric = ? AND last_ts >= ? LIMIT 1'),
    pointsSince: db.prepare('SELECT 1 FROM cw_datapoints WHERE metric = ? AND ts >= ? LIMIT 1'),
    expireSeries: db.prepare('DELETE FROM cw_series WHERE last_ts < ?'),
    setLastTs: db.prepare('UPDATE cw_metrics SET last_ts = ? WHERE id = ?'),
  };
  cache.set(db, s);
  return s;
}

/** Adds one statistic set to its metric's bucket, creating the metric if it is new. */
export function addDatum(env: Env, scope: Scope, d: StoredDatum): void {
  const s = stmts(env);
  const width = d.res * 1000;
  const ts = Math.floor(d.ts / width) * width;
  const { id } = s.upsertMetric.get(scope.account, scope.region, d.namespace, d.name, dimKey(d.dims), JSON.stringify(d.dims), ts) as { id: number };
  s.addPoint.run(id, ts, d.unit, d.res, d.n, d.sum, d.min, d.max, d.vals === null ? null : formatVals(d.vals));
  wakeAlarms(env, scope, d.namespace, d.name, d.dims);
}

/** The open segment of each unit of a steady series, kept as a store document per metric. */
const OPEN_SERIES = 'cloudwatch.openSeries';
const SERIES_SCOPE: Scope = { account: '*', region: 'cloudwatch' };
/** last_ts of a metric whose series is still open: it gets data every period. */
const OPEN_LAST_TS = Number.MAX_SAFE_INTEGER;

interface OpenSegment {
  period: number;
  first: number;
  value: number;
}
interface OpenSeriesDoc {
  identity: string;
  units: Record<string, OpenSegment>;
}

/** Metric ids by identity; a hint only, checked against the series document before it is trusted. */
const idHints = new WeakMap<DatabaseSync, Map<string, number>>();

export interface SeriesValue {
  namespace: string;
  name: string;
  dims: readonly Dimension[];
  unit: string;
  /** Seconds between samples: 60, or 300 for EC2's basic monitoring. */
  period: number;
  /** Cloud ms; floored to the period. */
  ts: number;
  /** The value from this period on, or undefined to stop publishing. */
  value: number | undefined;
}

/**
 * Publishes a steady value: from the period of `ts` on, one sample of `value` per period, until
 * the next call with another value (or undefined, which stops the series). A call with the same
 * value as the open segment writes nothing.
 */
export function setSeries(env: Env, scope: Scope, v: SeriesValue): void {
  const width = v.period * 1000;
  const bucket = Math.floor(v.ts / width) * width;
  const identity = `${scope.account}\0${scope.region}\0${v.namespace}\0${v.name}\0${dimKey(v.dims)}`;
  let hints = idHints.get(env.store.sql);
  if (!hints) idHints.set(env.store.sql, (hints = new Map()));
  let known = hints.get(identity);
  if (known === undefined) {
    known = metricId(env, scope, v.namespace, v.name, v.dims);
    if (known !== undefined) hints.set(identity, known);
  }
  const doc = known === undefined ? undefined : env.store.get<OpenSeriesDoc>(OPEN_SERIES, SERIES_SCOPE, String(known));
  const open = doc?.identity === identity ? doc.units[v.unit] : undefined;
  if (open ? open.value === v.value && open.period === v.period : v.value === undefined) return;
  const s = stmts(env);
  const { id } = s.upsertMetric.get(scope.account, scope.region, v.namespace, v.name, dimKey(v.dims), JSON.stringify(v.dims), bucket) as { id: number };
  hints.set(identity, id);
  const current = env.store.mutable<OpenSeriesDoc>(OPEN_SERIES, SERIES_SCOPE, String(id)) ?? { identity, units: {} };
  const prev = current.units[v.unit];
  if (prev) {
    const last = bucket - prev.period * 1000;
    if (last >= prev.first) s.closeSeries.run(id, v.unit, prev.period, prev.first, last, prev.value);
    delete current.units[v.unit];
  }
  if (v.value !== undefined) current.units[v.unit] = { period: v.period, first: bucket, value: v.value };
  env.store.put(OPEN_SERIES, SERIES_SCOPE, String(id), current);
  s.setLastTs.run(Object.keys(current.units).length ? OPEN_LAST_TS : bucket, id);
  wakeAlarms(env, scope, v.namespace, v.name, v.dims);
}

/** One sample per period of a segment, as the rows per-period publishing would have written. */
function samples(out: Row[], metric: number, unit: string, period: number, first: number, last: number, value: number, start: number, end: number): void {
  const width = period * 1000;
  const from = Math.max(first, Math.ceil(start / width) * width);
  for (let ts = from; ts <= last && ts < end; ts += width) {
    out.push({ metric, unit, res: 60, ts, n: 1, sum: value, min: value, max: value, vals: [[value, 1]] });
  }
}

/** The id of one exact metric, if it ever got data. */
export function metricId(env: Env, scope: Scope, namespace: string, name: string, dims: readonly Dimension[]): number | undefined {
  const row = stmts(env).metricId.get(scope.account, scope.region, namespace, name, dimKey(dims)) as { id: number } | undefined;
  return row?.id;
}

/** Metrics of a scope with data since `since`, narrowed by namespace and name when given. */
export function listMetricRows(env: Env, scope: Scope, since: number, namespace?: string, name?: string): MetricRow[] {
  const s = stmts(env);
  const rows = (
    namespace !== undefined && name !== undefined
      ? s.metricsByName.all(scope.account, scope.region, namespace, name, since)
      : namespace !== undefined
        ? s.metricsByNamespace.all(scope.account, scope.region, namespace, since)
        : s.metricsAll.all(scope.account, scope.region, since)
  ) as { id: number; namespace: string; name: string; dims: string; last_ts: number }[];
  return rows
    .filter((r) => name === undefined || r.name === name)
    .map((r) => ({ id: r.id, namespace: r.namespace, name: r.name, dims: JSON.parse(r.dims), lastTs: r.last_ts }));
}

/** Every stored bucket of `metric` with start in [start, end), steady series included. */
export function readRows(env: Env, metric: number, start: number, end: number): Row[] {
  const s = stmts(env);
  const rows: Row[] = (s.rows.all(metric, start, end) as (Omit<Row, 'vals'> & { vals: string | null })[]).map((r) => ({ ...r, vals: parseVals(r.vals) }));
  const closed = s.seriesRows.all(metric, end, start) as { unit: string; period: number; first_ts: number; last_ts: number; value: number }[];
  for (const c of closed) samples(rows, metric, c.unit, c.period, c.first_ts, c.last_ts, c.value, start, end);
  const open = env.store.get<OpenSeriesDoc>(OPEN_SERIES, SERIES_SCOPE, String(metric));
  // The open segment has a sample in every period up to the clock's: publishing is due at its start.
  const now = env.clock.now();
  for (const [unit, o] of Object.entries(open?.units ?? {})) samples(rows, metric, unit, o.period, o.first, now, o.value, start, end);
  if (closed.length || open) rows.sort((a, b) => a.ts - b.ts);
  return rows;
}

/**
 * Whether what `metrics` read over any window starting at or after `since` is the same now and at
 * every later time until the next write: no datapoints or closed segments from `since` on, and
 * any open segment already covering `since`. Alarms over such data need no evaluation until a
 * write wakes them.
 */
export function steadySince(env: Env, metrics: readonly number[], since: number): boolean {
  const s = stmts(env);
  for (const id of metrics) {
    if (s.pointsSince.get(id, since) || s.seriesSince.get(id, since)) return false;
    const open = env.store.get<OpenSeriesDoc>(OPEN_SERIES, SERIES_SCOPE, String(id));
    for (const o of Object.values(open?.units ?? {})) if (o.first > since) return false;
  }
  return true;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Applies CloudWatch's retention with roll-ups (cloudwatch_concepts.html): sub-minute data is kept
 * 3 hours and then rolled into minutes, minutes are kept 15 days and then rolled into 5 minutes,
 * those 63 days and then into hours, and hours 455 days. Returns how many rows it removed.
 */
export function applyRetention(env: Env, now: number): number {
  const s = stmts(env);
  let removed = 0;
  for (const [res, to, keep] of [
    [1, 60, 3 * HOUR],
    [60, 300, 15 * DAY],
    [300, 3600, 63 * DAY],
  ] as const) {
    const cutoff = now - keep;
    s.rollup.run({ width: to * 1000, to, res, cutoff });
    removed += Number(s.dropRolled.run(res, cutoff).changes);
  }
  removed += Number(s.expire.run(now - 455 * DAY).changes);
  removed += Number(s.expireSeries.run(now - 455 * DAY).changes);
  return removed;
}
