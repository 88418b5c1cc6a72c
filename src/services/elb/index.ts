/**
 * Elastic Load Balancing: Classic (`elb`, 2012-06-01) and ELBv2 (`elbv2`, 2015-12-01, Application
 * and Network Load Balancers). Both speak awsQuery and sign as `elasticloadbalancing`; the gateway
 * tells them apart by the request's Version. They share one set of records (state.ts), one health
 * loop and one data plane, so they are two services over one implementation.
 */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { classicHandlers } from './classic.provider.ts';
import { v2Handlers } from './v2.provider.ts';
import { healthLoops } from './health.loop.ts';

export const elb: Service = {
  signingName: 'elasticloadbalancing',
  model: models.elb,
  protocols: [new QueryProtocol('query')],
  handlers: classicHandlers,
  loops: healthLoops,
};

export const elbv2: Service = {
  signingName: 'elasticloadbalancing',
  model: models.elbv2,
  protocols: [new QueryProtocol('query')],
  handlers: v2Handlers,
};
