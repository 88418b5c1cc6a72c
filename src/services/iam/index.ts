/** IAM: roles, policies, instance profiles, users and access keys. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { inlinePolicyHandlers } from './inline-policies.provider.ts';
import { instanceProfileHandlers } from './instance-profiles.provider.ts';
import { policyHandlers } from './policies.provider.ts';
import { roleHandlers } from './roles.provider.ts';
import { userHandlers } from './users.provider.ts';
import { withPatternChecks } from './validation.ts';

export const iam: Service = {
  signingName: 'iam',
  model: models.iam,
  protocols: [new QueryProtocol('query')],
  global: true,
  handlers: withPatternChecks(models.iam, {
    ...roleHandlers,
    ...inlinePolicyHandlers,
    ...policyHandlers,
    ...instanceProfileHandlers,
    ...userHandlers,
  }),
};
