/** Systems Manager Parameter Store: parameters, their versions, labels and tags, and AWS's public parameters. */
import { models } from '../../models/index.ts';
import { JsonProtocol } from '../../protocols/json.ts';
import type { Service } from '../service.ts';
import { describeHandlers } from './describe.ts';
import { parameterHandlers } from './parameters.provider.ts';
import { tagHandlers } from './tags.provider.ts';

export const ssm: Service = {
  signingName: 'ssm',
  model: models.ssm,
  protocols: [new JsonProtocol()],
  handlers: { ...parameterHandlers, ...describeHandlers, ...tagHandlers },
};
