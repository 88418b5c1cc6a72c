/**
 * The work queue and scheduler for reconcile loops.
 *
 * A timer is (loop, key, due). Timers live in the store, so a crash loses none. Enqueuing a key
 * that is already queued keeps the earlier due time, so a key is never queued twice. Each run
 * happens in its own transaction; a reconciler returns how long (cloud ms) until it wants to run
 * again, or nothing when it is done. A reconciler that throws is retried with backoff and its
 * writes are rolled back.
 */
import type { StatementSync } from 'node:sqlite';
import type { Clock } from './clock.ts';
import type { Store } from './store.ts';

export type Reconciler = (key: string) => number | void;

const RETRY_MS = 10_000;
const MAX_REAL_WAIT_MS = 1_000;
/** Loop steps per transaction. */
const BATCH = 2_000;

export class Scheduler {
  private loops = new Map<string, Reconciler>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining = false;
  private stmts: Record<string, StatementSync>;

  constructor(
    private store: Store,
    private clock: Clock,
    private log: (msg: string) => void = (m) => process.stderr.write(m + '\n'),
  ) {
    const db = store.sql;
    this.stmts = {
      upsert: db.prepare('INSERT INTO timers (key, due) VALUES (?, ?) ON CONFLICT DO UPDATE SET due = min(due, excluded.due)'),
      // A retry after a failure must move the timer later, not keep the earlier due time.
      retry: db.prepare('INSERT INTO timers (key, due) VALUES (?, ?) ON CONFLICT DO UPDATE SET due = excluded.due'),
      del: db.prepare('DELETE FROM timers WHERE key = ?'),
      next: db.prepare('SELECT key, due FROM timers ORDER BY due LIMIT 1'),
      pending: db.prepare('SELECT key, due FROM timers WHERE key LIKE ? ORDER BY due'),
    };
    // A scaled clock that changes speed or resumes moves every due time's real delay.
    clock.onChange(() => this.wake());
  }

  register(loop: string, fn: Reconciler): void {
    if (loop.includes('\t')) throw new Error(`bad loop name ${loop}`);
    this.loops.set(loop, fn);
  }

  /** Queues `key` for `loop` at cloud time `at` (now by default). */
  enqueue(loop: string, key: string, at = this.clock.now()): void {
    if (!this.loops.has(loop)) throw new Error(`unknown loop ${loop}`);
    this.store.transaction(() => this.stmts.upsert.run(`${loop}\t${key}`, Math.floor(at)));
    this.wake();
  }

  /** Timers of one loop, for tests and the control API. */
  pending(loop: string): { key: string; due: number }[] {
    return (this.stmts.pending.all(`${loop}\t%`) as { key: string; due: number }[]).map((r) => ({
      key: r.key.slice(loop.length + 1),
      due: r.due,
    }));
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Runs every timer that is due at the clock's current time. */
  runDue(): void {
    this.drain(this.clock.now(), false);
  }

  /** Steps a manual clock to `target`, running each timer at its own due time, in order. */
  advanceTo(target: number): void {
    this.drain(target, true);
    this.clock.set(target);
  }

  /**
   * Runs due timers in order. Many steps share one transaction (one commit per batch, which is
   * what makes thousands of loops per simulated minute affordable); each step runs in its own
   * savepoint, so a failing step is undone alone and retried later.
   */
  private drain(until: number, stepClock: boolean): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let more = true;
      while (more) {
        more = false;
        this.store.transaction(() => {
          for (let i = 0; i < BATCH; i++) {
            const next = this.stmts.next.get() as { key: string; due: number } | undefined;
            if (!next || next.due > until) return;
            if (stepClock) this.clock.set(next.due, false);
            this.runOne(next.key);
            more = true;
          }
        });
      }
    } finally {
      this.draining = false;
    }
  }

  private runOne(timerKey: string): void {
    const tab = timerKey.indexOf('\t');
    const loop = timerKey.slice(0, tab);
    const key = timerKey.slice(tab + 1);
    const fn = this.loops.get(loop);
    const now = this.clock.now();
    this.stmts.del.run(timerKey);
    if (!fn) return this.log(`faultline: no loop ${loop}; dropping timer for ${key}`);
    try {
      const after = this.store.savepoint(() => fn(key));
      if (typeof after === 'number') this.stmts.upsert.run(timerKey, now + Math.max(1, Math.ceil(after)));
    } catch (e) {
      this.log(`faultline: loop ${loop} failed for ${key}: ${(e as Error).stack ?? e}`);
      this.stmts.retry.run(timerKey, now + RETRY_MS);
    }
  }

  /** Arms a real timer for the next due item (real and scaled clocks). */
  private wake(): void {
    if (!this.running || this.clock.mode === 'manual') return;
    clearTimeout(this.timer);
    const next = this.stmts.next.get() as { due: number } | undefined;
    const wait = next ? Math.min(this.clock.realDelayUntil(next.due), MAX_REAL_WAIT_MS) : MAX_REAL_WAIT_MS;
    this.timer = setTimeout(() => {
      this.runDue();
      this.wake();
    }, wait);
    this.timer.unref?.();
  }
}
