/**
 * Auto Scaling: launch configurations, groups kept at their desired capacity across zones by the
 * group loop, scaling activities, policies driven by CloudWatch alarms, scheduled actions,
 * lifecycle hooks, and the load balancers and target groups its instances are registered with.
 * It speaks awsQuery and signs as `autoscaling`.
 */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { activityHandlers } from './activities.ts';
import { groupLoop } from './group.loop.ts';
import { groupHandlers } from './groups.provider.ts';
import { instanceRefreshHandlers } from './instance-refresh.provider.ts';
import { instanceHandlers } from './instances.provider.ts';
import { launchConfigurationHandlers } from './launch-configurations.provider.ts';
import { lifecycleHookHandlers } from './lifecycle-hooks.provider.ts';
import { policyHandlers } from './policies.provider.ts';
import { processHandlers } from './processes.provider.ts';
import { scheduleLoop } from './scheduled.loop.ts';
import { scheduledHandlers } from './scheduled.provider.ts';
import { GROUP_LOOP, SCHEDULE_LOOP } from './state.ts';
import { tagHandlers } from './tags.provider.ts';
import { warmPoolHandlers } from './warm-pool.provider.ts';
import { trafficSourceHandlers } from './traffic-sources.provider.ts';

export const autoscaling: Service = {
  signingName: 'autoscaling',
  model: models.autoscaling,
  protocols: [new QueryProtocol('query')],
  handlers: {
    ...launchConfigurationHandlers,
    ...groupHandlers,
    ...instanceHandlers,
    ...activityHandlers,
    ...processHandlers,
    ...tagHandlers,
    ...policyHandlers,
    ...scheduledHandlers,
    ...lifecycleHookHandlers,
    ...trafficSourceHandlers,
    ...instanceRefreshHandlers,
    ...warmPoolHandlers,
  },
  loops: (env) => ({ [GROUP_LOOP]: groupLoop(env), [SCHEDULE_LOOP]: scheduleLoop(env) }),
};
