/** RDS's operations (placeholder until they land). */
import type { Handler } from '../service.ts';

export const rdsHandlers: Record<string, Handler> = {};
