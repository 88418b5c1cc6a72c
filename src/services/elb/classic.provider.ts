/** Classic ELB's operations (placeholder until the Classic API lands). */
import type { Handler } from '../service.ts';

export const classicHandlers: Record<string, Handler> = {};
