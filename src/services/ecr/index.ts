/** ECR: repositories, their lifecycle and repository policies, and tags. */
import { models } from '../../models/index.ts';
import { JsonProtocol } from '../../protocols/json.ts';
import type { Service } from '../service.ts';

export const ecr: Service = {
  signingName: 'ecr',
  model: models.ecr,
  protocols: [new JsonProtocol()],
  handlers: {},
};
