/**
 * The one clock. Every timestamp and every scheduled transition reads it, so that cloud time can
 * run at wall speed, faster (scaled), or only when a test steps it (manual). This module is the
 * only place in faultline that reads the host's wall clock.
 */
export type ClockMode = 'real' | 'scaled' | 'manual';

export interface ClockOptions {
  mode: ClockMode;
  /** Cloud seconds per real second; only for `scaled`. */
  scale?: number;
  /** Cloud time (ms since the epoch) to start from, e.g. where a previous run stopped. */
  start?: number;
}

export class Clock {
  readonly mode: ClockMode;
  private speed: number;
  private stopped = false;
  private base: number;
  private wallBase: number;
  private listeners = new Set<() => void>();

  constructor(opts: ClockOptions) {
    this.mode = opts.mode;
    this.speed = opts.mode === 'scaled' ? (opts.scale ?? 1) : opts.mode === 'real' ? 1 : 0;
    if (!(this.speed >= 0) || !Number.isFinite(this.speed)) throw new Error(`invalid time scale ${opts.scale}`);
    this.wallBase = Clock.wallNow();
    this.base = opts.start ?? this.wallBase;
  }

  static wallNow(): number {
    return Date.now();
  }

  /** Cloud seconds per real second while the clock runs (0 for a manual clock). */
  get scale(): number {
    return this.speed;
  }

  /** A paused scaled clock stands still until it is resumed. */
  get paused(): boolean {
    return this.stopped;
  }

  /** Cloud time in milliseconds since the epoch. */
  now(): number {
    if (this.mode === 'manual' || this.stopped) return this.base;
    return Math.floor(this.base + (Clock.wallNow() - this.wallBase) * this.speed);
  }

  /**
   * Changes a scaled clock's speed, or pauses and resumes it, from this instant on: cloud time
   * so far stays as it was, so time never jumps or runs backwards. A real clock runs at wall speed
   * and a manual one only when stepped, so neither changes; `Error` says why.
   */
  setRate(change: { scale?: number; paused?: boolean }): void {
    if (this.mode !== 'scaled') throw new Error(`the clock is ${this.mode}; only a scaled clock (faultline up --time-scale N) can change speed or pause`);
    if (change.scale !== undefined && !(change.scale > 0 && Number.isFinite(change.scale))) throw new Error(`invalid time scale ${change.scale}`);
    this.base = this.now();
    this.wallBase = Clock.wallNow();
    if (change.scale !== undefined) this.speed = change.scale;
    if (change.paused !== undefined) this.stopped = change.paused;
    for (const l of this.listeners) l();
  }

  date(): Date {
    return new Date(this.now());
  }

  /** Real milliseconds until cloud time reaches `at`; Infinity on a manual or paused clock. */
  realDelayUntil(at: number): number {
    if (this.mode === 'manual' || this.stopped) return Infinity;
    return Math.max(0, (at - this.now()) / this.speed);
  }

  /**
   * Moves a manual clock forward to `at`. Time never goes backwards. The scheduler steps through
   * intermediate due times quietly and notifies listeners (which persist the clock) once at the end.
   */
  set(at: number, notify = true): void {
    if (this.mode !== 'manual') throw new Error('only a manual clock can be set');
    if (at > this.base) this.base = at;
    if (notify) for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
