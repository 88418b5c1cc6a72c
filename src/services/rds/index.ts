/** RDS: DB instances with Multi-AZ failover on the clock, real engines under the sandbox driver. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { rdsHandlers } from './rds.provider.ts';

export const rds: Service = {
  signingName: 'rds',
  model: models.rds,
  protocols: [new QueryProtocol('query')],
  handlers: rdsHandlers,
};
