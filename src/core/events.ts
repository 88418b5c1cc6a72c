/**
 * The event log: every fault and every reaction to it, stamped with clock time, in one ordered
 * list. Drills measure RTO and RPO from it; users read it through the control API.
 */
import type { StatementSync } from 'node:sqlite';
import type { Clock } from './clock.ts';
import type { Store } from './store.ts';

export interface LoggedEvent {
  seq: number;
  time: string;
  type: string;
  detail: Record<string, unknown>;
}

export class EventLog {
  private insert: StatementSync;
  private since: StatementSync;

  constructor(store: Store, private clock: Clock) {
    this.insert = store.sql.prepare('INSERT INTO events (time, type, detail) VALUES (?, ?, ?)');
    this.since = store.sql.prepare('SELECT seq, time, type, detail FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
  }

  emit(type: string, detail: Record<string, unknown>): void {
    this.insert.run(this.clock.now(), type, JSON.stringify(detail));
  }

  list(afterSeq = 0, limit = 1000): LoggedEvent[] {
    return (this.since.all(afterSeq, limit) as { seq: number; time: number; type: string; detail: string }[]).map((r) => ({
      seq: r.seq,
      time: new Date(r.time).toISOString(),
      type: r.type,
      detail: JSON.parse(r.detail),
    }));
  }
}
