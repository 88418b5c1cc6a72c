/** The health loop (placeholder until it lands): registered, so that registrations can queue their targets, but moves nothing. */
import type { Reconciler } from '../../core/scheduler.ts';
import type { Env } from '../service.ts';
import { HEALTH_LOOP } from './state.ts';

export const healthLoops = (_env: Env): Record<string, Reconciler> => ({ [HEALTH_LOOP]: () => undefined });
