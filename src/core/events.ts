/**
 * The event log: every fault and every reaction to it, stamped with clock time and with the real
 * time it happened, in one ordered list. Drills measure RTO and RPO from it (in cloud and real
 * seconds); users read it through the control API.
 */
import type { StatementSync } from 'node:sqlite';
import { Clock } from './clock.ts';
import type { Store } from './store.ts';

export interface LoggedEvent {
  seq: number;
  /** Cloud time, ISO 8601. */
  time: string;
  /** Real (wall) time, ISO 8601; absent on events logged before faultline recorded it. */
  real?: string;
  type: string;
  detail: Record<string, unknown>;
}

export class EventLog {
  private insert: StatementSync;
  private since: StatementSync;
  private latest: StatementSync;
  private firstAt: StatementSync;
  private followers = new Set<() => void>();
  private notifyQueued = false;

  constructor(store: Store, private clock: Clock) {
    // Logs written before real time was recorded gain the column (new ones have it from the
    // store's CREATE); their rows leave it empty.
    const columns = store.sql.prepare('PRAGMA table_info(events)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'real')) store.sql.exec('ALTER TABLE events ADD COLUMN real INTEGER');
    this.insert = store.sql.prepare('INSERT INTO events (time, real, type, detail) VALUES (?, ?, ?, ?)');
    this.since = store.sql.prepare('SELECT seq, time, real, type, detail FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.latest = store.sql.prepare('SELECT MAX(seq) AS seq FROM events');
    this.firstAt = store.sql.prepare('SELECT real FROM events WHERE time >= ? AND real IS NOT NULL ORDER BY seq LIMIT 1');
  }

  emit(type: string, detail: Record<string, unknown>): void {
    this.insert.run(this.clock.now(), Clock.wallNow(), type, JSON.stringify(detail));
    // Followers read after the emitting transaction has ended (handlers and loop steps are
    // synchronous), so they see the event only if it was committed.
    if (this.followers.size && !this.notifyQueued) {
      this.notifyQueued = true;
      setImmediate(() => {
        this.notifyQueued = false;
        for (const f of this.followers) f();
      });
    }
  }

  /** Calls `onNew` soon after events are logged, until the returned function is called. */
  follow(onNew: () => void): () => void {
    this.followers.add(onNew);
    return () => this.followers.delete(onNew);
  }

  /** The sequence number of the newest event (0 when the log is empty): where a reader starts to follow it. */
  lastSeq(): number {
    return (this.latest.get() as { seq: number | null }).seq ?? 0;
  }

  /** The real time (ms) of the first event logged at or after cloud instant `cloudMs`: when the world's clock got there. */
  realAt(cloudMs: number): number | undefined {
    return (this.firstAt.get(cloudMs) as { real: number } | undefined)?.real;
  }

  list(afterSeq = 0, limit = 1000): LoggedEvent[] {
    return (this.since.all(afterSeq, limit) as { seq: number; time: number; real: number | null; type: string; detail: string }[]).map((r) => ({
      seq: r.seq,
      time: new Date(r.time).toISOString(),
      ...(r.real !== null ? { real: new Date(r.real).toISOString() } : {}),
      type: r.type,
      detail: JSON.parse(r.detail),
    }));
  }
}
