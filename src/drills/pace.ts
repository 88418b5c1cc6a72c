/**
 * How a drill moves through cloud time. On a manual clock nothing moves unless someone steps it,
 * so the drill steps it itself, one step at a time, and leaves the sandbox driver real time
 * between steps to act (a real process boots in real time). On a real or scaled clock it only
 * waits, in real time, for cloud time to pass.
 */
import type { Env } from '../services/service.ts';

export class Pace {
  constructor(
    private env: Env,
    /** Cloud seconds per step. */
    readonly stepSeconds: number,
    /** Real seconds left between steps of a manual clock. */
    private realPauseSeconds: number,
    private stopped: () => boolean,
  ) {}

  /** Moves cloud time on by one step (or `seconds`), or waits for it to pass. */
  async step(seconds = this.stepSeconds): Promise<void> {
    const { clock, scheduler } = this.env;
    const target = clock.now() + Math.round(seconds * 1000);
    if (clock.mode === 'manual') {
      scheduler.advanceTo(target);
      await sleep(this.realPauseSeconds * 1000);
      return;
    }
    // A stop request cuts a long wait short.
    while (!this.stopped() && clock.now() < target) await sleep(Math.min(250, clock.realDelayUntil(target)));
  }

  /** Steps until `done` answers true; throws `why` after `limitSeconds` of cloud time. */
  async until(done: () => Promise<boolean> | boolean, limitSeconds: number, why: string): Promise<void> {
    const deadline = this.env.clock.now() + limitSeconds * 1000;
    while (!(await done())) {
      if (this.stopped()) throw new DrillStopped();
      if (this.env.clock.now() >= deadline) throw new Error(`${why} (waited ${limitSeconds} s of cloud time)`);
      await this.step();
    }
  }
}

export class DrillStopped extends Error {
  constructor() {
    super('stopped by the user');
  }
}

/** Real time passing; zero still yields to the event loop so that requests are served. */
export const sleep = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
