/**
 * Alarm history (API_AlarmHistoryItem.html): configuration updates, state updates and actions,
 * kept in a table of their own for two weeks, including after the alarm is deleted.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';

export type HistoryItemType = 'ConfigurationUpdate' | 'StateUpdate' | 'Action';

export interface HistoryItem {
  AlarmName: string;
  AlarmType: 'MetricAlarm' | 'CompositeAlarm';
  Timestamp: string;
  HistoryItemType: HistoryItemType;
  HistorySummary: string;
  HistoryData: string;
}

const KEEP_MS = 14 * 86_400_000;

interface Statements {
  insert: StatementSync;
  expire: StatementSync;
  select: StatementSync;
}

const cache = new WeakMap<DatabaseSync, Statements>();

function stmts(env: Env): Statements {
  const db = env.store.sql;
  let s = cache.get(db);
  if (s) return s;
  env.store.ensureTables(`
    CREATE TABLE IF NOT EXISTS cw_alarm_history (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, region TEXT NOT NULL, alarm_name TEXT NOT NULL,
      alarm_type TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS cw_alarm_history_scope ON cw_alarm_history (account, region, ts);
    CREATE INDEX IF NOT EXISTS cw_alarm_history_alarm ON cw_alarm_history (account, region, alarm_name, ts);
  `);
  s = {
    insert: db.prepare(
      'INSERT INTO cw_alarm_history (account, region, alarm_name, alarm_type, ts, type, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    expire: db.prepare('DELETE FROM cw_alarm_history WHERE ts < ?'),
    // Optional filters are written as `(? IS NULL OR col = ?)`, each parameter given twice.
    select: db.prepare(`
      SELECT alarm_name, alarm_type, ts, type, summary, data FROM cw_alarm_history
      WHERE account = :account AND region = :region
        AND (:name IS NULL OR alarm_name = :name) AND (:type IS NULL OR type = :type)
        AND ts >= :start AND ts <= :end
      ORDER BY CASE WHEN :desc THEN -ts ELSE ts END, CASE WHEN :desc THEN -seq ELSE seq END`),
  };
  cache.set(db, s);
  return s;
}

export function addHistory(
  env: Env,
  scope: Scope,
  item: { AlarmName: string; HistoryItemType: HistoryItemType; HistorySummary: string; HistoryData: unknown; AlarmType?: HistoryItem['AlarmType']; at?: number },
): void {
  const data = typeof item.HistoryData === 'string' ? item.HistoryData : JSON.stringify(item.HistoryData);
  stmts(env).insert.run(
    scope.account,
    scope.region,
    item.AlarmName,
    item.AlarmType ?? 'MetricAlarm',
    item.at ?? env.clock.now(),
    item.HistoryItemType,
    item.HistorySummary,
    data,
  );
}

export function listHistory(
  env: Env,
  scope: Scope,
  q: { alarmName?: string; type?: HistoryItemType; start?: number; end?: number; descending: boolean },
): HistoryItem[] {
  const rows = stmts(env).select.all({
    account: scope.account,
    region: scope.region,
    name: q.alarmName ?? null,
    type: q.type ?? null,
    start: q.start ?? 0,
    end: q.end ?? Number.MAX_SAFE_INTEGER,
    desc: q.descending ? 1 : 0,
  }) as { alarm_name: string; alarm_type: HistoryItem['AlarmType']; ts: number; type: HistoryItemType; summary: string; data: string }[];
  return rows.map((r) => ({
    AlarmName: r.alarm_name,
    AlarmType: r.alarm_type,
    Timestamp: new Date(r.ts).toISOString(),
    HistoryItemType: r.type,
    HistorySummary: r.summary,
    HistoryData: r.data,
  }));
}

/** Drops history older than two weeks. */
export function expireHistory(env: Env, now: number): void {
  stmts(env).expire.run(now - KEEP_MS);
}
