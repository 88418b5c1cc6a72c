/** ELBv2's operations (placeholder until the ELBv2 API lands). */
import type { Handler } from '../service.ts';

export const v2Handlers: Record<string, Handler> = {};
