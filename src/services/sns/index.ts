/** SNS, minimal: topics, subscriptions, and Publish with every delivery recorded, not sent. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { snsHandlers } from './topics.provider.ts';

export const sns: Service = {
  signingName: 'sns',
  model: models.sns,
  protocols: [new QueryProtocol('query')],
  handlers: { ...snsHandlers },
};
