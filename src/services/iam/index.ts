/** IAM: roles, policies, instance profiles, users and access keys. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';

export const iam: Service = {
  signingName: 'iam',
  model: models.iam,
  protocols: [new QueryProtocol('query')],
  global: true,
  handlers: {},
};
