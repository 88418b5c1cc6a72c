/** EC2: the handlers of each resource family, and the loops that move instances, images and snapshots on. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { regionHandlers } from './regions.provider.ts';
import { tagHandlers } from './tags.ts';

export const ec2: Service = {
  signingName: 'ec2',
  model: models.ec2,
  protocols: [new QueryProtocol('ec2')],
  handlers: {
    ...regionHandlers,
    ...tagHandlers,
  },
};
