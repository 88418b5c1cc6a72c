/** ELBv2's operations (Application and Network Load Balancers), from the modules that serve them. */
import type { Handler } from '../service.ts';
import { accountHandlers } from './v2-account.provider.ts';
import { listenerHandlers } from './v2-listeners.provider.ts';
import { loadBalancerHandlers } from './v2-load-balancers.provider.ts';
import { tagHandlers } from './v2-tags.provider.ts';
import { targetGroupHandlers } from './v2-target-groups.provider.ts';

export const v2Handlers: Record<string, Handler> = { ...loadBalancerHandlers, ...targetGroupHandlers, ...listenerHandlers, ...tagHandlers, ...accountHandlers };
