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
 * Writes use the caller's transaction (the request's or the loop's), so they commit or roll back
 * with it.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { formatVals, parseVals } from './statistics.ts';

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
}

const cache = new WeakMap<DatabaseSync, Statements>();

function stmts(env: Env): Statements {
  const db = env.store.sql;
  let s = cache.get(db);
  if (s) return s;
  db.exec(SCHEMA);
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

/** Every stored bucket of `metric` with start in [start, end). */
export function readRows(env: Env, metric: number, start: number, end: number): Row[] {
  return (stmts(env).rows.all(metric, start, end) as (Omit<Row, 'vals'> & { vals: string | null })[]).map((r) => ({ ...r, vals: parseVals(r.vals) }));
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
  return removed;
}
