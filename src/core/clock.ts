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
  readonly scale: number;
  private base: number;
  private wallBase: number;
  private listeners = new Set<() => void>();

  constructor(opts: ClockOptions) {
    this.mode = opts.mode;
    this.scale = opts.mode === 'scaled' ? (opts.scale ?? 1) : opts.mode === 'real' ? 1 : 0;
    if (!(this.scale >= 0) || !Number.isFinite(this.scale)) throw new Error(`invalid time scale ${opts.scale}`);
    this.wallBase = Clock.wallNow();
    this.base = opts.start ?? this.wallBase;
  }

  static wallNow(): number {
    return Date.now();
  }

  /** Cloud time in milliseconds since the epoch. */
  now(): number {
    if (this.mode === 'manual') return this.base;
    return Math.floor(this.base + (Clock.wallNow() - this.wallBase) * this.scale);
  }

  date(): Date {
    return new Date(this.now());
  }

  /** Real milliseconds until cloud time reaches `at`; Infinity on a manual clock. */
  realDelayUntil(at: number): number {
    if (this.mode === 'manual') return Infinity;
    return Math.max(0, (at - this.now()) / this.scale);
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
