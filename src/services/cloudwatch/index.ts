/**
 * CloudWatch: metrics in their own SQLite tables, metric math, metric and composite alarms evaluated
 * on the clock, their actions, and dashboards. It speaks awsJson1_0 (the AWS CLI, boto3, the SDK v3) and awsQuery (Terraform).
 */
import { models } from '../../models/index.ts';
import { JsonProtocol } from '../../protocols/json.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { ALARM_LOOP, alarmLoop } from './alarm.loop.ts';
import { alarmHandlers } from './alarms.provider.ts';
import { COMPOSITE_LOOP, compositeLoop } from './composite.ts';
import { compositeHandlers } from './composite.provider.ts';
import { dashboardHandlers } from './dashboards.provider.ts';
import { metricHandlers } from './metrics.provider.ts';
import { RETENTION_LOOP, retentionLoop } from './retention.loop.ts';

export const cloudwatch: Service = {
  signingName: 'monitoring',
  model: models.cloudwatch,
  protocols: [new JsonProtocol(), new QueryProtocol('query')],
  handlers: { ...metricHandlers, ...alarmHandlers, ...compositeHandlers, ...dashboardHandlers },
  loops: (env) => ({ [ALARM_LOOP]: alarmLoop(env), [RETENTION_LOOP]: retentionLoop(env), [COMPOSITE_LOOP]: compositeLoop(env) }),
};

export { putMetric, type MetricInput } from './metrics.provider.ts';
