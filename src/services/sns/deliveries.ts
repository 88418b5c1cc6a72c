/**
 * Every message SNS accepted, with where it was delivered. faultline calls no endpoint: each
 * delivery to a subscription is recorded here, and read through the control API
 * (GET /_faultline/sns/deliveries). Kept in a table of its own in the store's database.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';

export interface Delivery {
  seq: number;
  time: string;
  account: string;
  region: string;
  topicArn: string;
  messageId: string;
  subject?: string;
  message: string;
  messageAttributes?: Record<string, unknown>;
  /** Who published: `api` (Publish) or `cloudwatch` (an alarm action). */
  source: string;
  /** One entry per subscription the message went to. */
  deliveredTo: { subscriptionArn: string; protocol: string; endpoint: string; status: 'recorded' }[];
}

interface Statements {
  insert: StatementSync;
  list: StatementSync;
}
const cache = new WeakMap<DatabaseSync, Statements>();

function stmts(env: Env): Statements {
  const db = env.store.sql;
  let s = cache.get(db);
  if (s) return s;
  env.store.ensureTables(`CREATE TABLE IF NOT EXISTS sns_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
    topic_arn TEXT NOT NULL, message_id TEXT NOT NULL, detail TEXT NOT NULL)`);
  s = {
    insert: db.prepare('INSERT INTO sns_deliveries (time, account, region, topic_arn, message_id, detail) VALUES (?, ?, ?, ?, ?, ?)'),
    list: db.prepare(
      'SELECT seq, time, account, region, topic_arn, message_id, detail FROM sns_deliveries WHERE seq > :after AND (:topic IS NULL OR topic_arn = :topic) ORDER BY seq LIMIT :limit',
    ),
  };
  cache.set(db, s);
  return s;
}

export function recordDelivery(env: Env, scope: Scope, d: Omit<Delivery, 'seq' | 'time' | 'account' | 'region'>): void {
  const { topicArn, messageId, ...detail } = d;
  stmts(env).insert.run(env.clock.now(), scope.account, scope.region, topicArn, messageId, JSON.stringify(detail));
}

export function listDeliveries(env: Env, q: { topicArn?: string; after?: number; limit?: number } = {}): Delivery[] {
  const rows = stmts(env).list.all({ after: q.after ?? 0, topic: q.topicArn ?? null, limit: q.limit ?? 1000 }) as {
    seq: number;
    time: number;
    account: string;
    region: string;
    topic_arn: string;
    message_id: string;
    detail: string;
  }[];
  return rows.map((r) => ({
    seq: r.seq,
    time: new Date(r.time).toISOString(),
    account: r.account,
    region: r.region,
    topicArn: r.topic_arn,
    messageId: r.message_id,
    ...(JSON.parse(r.detail) as Omit<Delivery, 'seq' | 'time' | 'account' | 'region' | 'topicArn' | 'messageId'>),
  }));
}
