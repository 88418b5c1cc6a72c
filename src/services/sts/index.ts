/** STS: who am I, and role sessions. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { withPatternChecks } from '../iam/validation.ts';
import { sessionHandlers } from './sessions.provider.ts';

export const sts: Service = {
  signingName: 'sts',
  model: models.sts,
  protocols: [new QueryProtocol('query')],
  global: true,
  handlers: withPatternChecks(models.sts, sessionHandlers),
};
