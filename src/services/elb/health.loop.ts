/** The health loop (placeholder until it lands: it takes its timers and does nothing yet). */
import type { Reconciler } from '../../core/scheduler.ts';
import type { Env } from '../service.ts';
import { HEALTH_LOOP } from './state.ts';

export const healthLoops = (_env: Env): Record<string, Reconciler> => ({ [HEALTH_LOOP]: () => undefined });
