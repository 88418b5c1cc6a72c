/** Route 53 operations (placeholder until they land). */
import type { Handler } from '../service.ts';

export const healthChecksHandlers: Record<string, Handler> = {};
