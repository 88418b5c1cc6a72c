/** Queues a group's reconcile loop: what every handler does after recording a change to a group. */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { GROUP_LOOP, scopedKey } from './state.ts';

export const queueGroup = (env: Env, scope: Scope, name: string, at = env.clock.now()): void => env.scheduler.enqueue(GROUP_LOOP, scopedKey(scope, name), at);
