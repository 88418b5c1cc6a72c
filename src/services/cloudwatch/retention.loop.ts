/**
 * The retention loop: once an hour of cloud time it rolls metric data up and expires it as
 * CloudWatch does, and drops alarm history older than two weeks. It is queued the first time
 * data arrives and requeues itself.
 */
import type { Env } from '../service.ts';
import { expireHistory } from './history.ts';
import { applyRetention } from './metrics.store.ts';

export const RETENTION_LOOP = 'cloudwatch.retention';
const HOUR = 3_600_000;

/** When each faultline last made sure the loop is queued; checked at most once an hour. */
const checked = new WeakMap<Env, number>();

export function scheduleRetention(env: Env): void {
  const now = env.clock.now();
  const last = checked.get(env);
  if (last !== undefined && now - last < HOUR) return;
  checked.set(env, now);
  if (!env.scheduler.pending(RETENTION_LOOP).length) env.scheduler.enqueue(RETENTION_LOOP, 'all', now + HOUR);
}

export function retentionLoop(env: Env) {
  return (): number => {
    const now = env.clock.now();
    applyRetention(env, now);
    expireHistory(env, now);
    return HOUR;
  };
}
