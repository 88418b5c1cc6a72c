/** ECR: repositories, their lifecycle and repository policies, and tags. No registry: images cannot be pushed or pulled. */
import { models } from '../../models/index.ts';
import { JsonProtocol } from '../../protocols/json.ts';
import type { Service } from '../service.ts';
import { policyHandlers } from './policies.ts';
import { repositoryHandlers } from './repositories.ts';
import { tagHandlers } from './tags.ts';

export const ecr: Service = {
  signingName: 'ecr',
  model: models.ecr,
  protocols: [new JsonProtocol()],
  handlers: { ...repositoryHandlers, ...policyHandlers, ...tagHandlers },
};
