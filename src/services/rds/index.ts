/** RDS: DB instances with Multi-AZ failover on the clock, real engines under the sandbox driver. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { instanceLoop } from './instance.loop.ts';
import { metricsLoop } from './metrics.ts';
import { rdsHandlers } from './rds.provider.ts';
import { snapshotLoop } from './snapshots.ts';
import { INSTANCE_LOOP, METRICS_LOOP, SNAPSHOT_LOOP } from './state.ts';

export const rds: Service = {
  signingName: 'rds',
  model: models.rds,
  protocols: [new QueryProtocol('query')],
  handlers: rdsHandlers,
  loops: (env) => ({ [INSTANCE_LOOP]: instanceLoop(env), [SNAPSHOT_LOOP]: snapshotLoop(env), [METRICS_LOOP]: metricsLoop(env) }),
};
