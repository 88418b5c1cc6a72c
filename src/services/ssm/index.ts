/** Systems Manager Parameter Store: parameters, their versions, labels and tags, and AWS's public parameters. */
import { models } from '../../models/index.ts';
import { JsonProtocol } from '../../protocols/json.ts';
import type { Service } from '../service.ts';

export const ssm: Service = {
  signingName: 'ssm',
  model: models.ssm,
  protocols: [new JsonProtocol()],
  handlers: {},
};
