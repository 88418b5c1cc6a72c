/** The health loop (placeholder until it lands). */
import type { Reconciler } from '../../core/scheduler.ts';
import type { Env } from '../service.ts';

export const healthLoops = (_env: Env): Record<string, Reconciler> => ({});
