/** EC2: the handlers of each resource family, and the loops that move instances, images and snapshots on. */
import { models } from '../../models/index.ts';
import { QueryProtocol } from '../../protocols/query.ts';
import type { Service } from '../service.ts';
import { regionHandlers } from './regions.provider.ts';
import { vpcHandlers } from './vpcs.provider.ts';
import { subnetHandlers } from './subnets.provider.ts';
import { internetGatewayHandlers } from './internet-gateways.provider.ts';
import { routeTableHandlers } from './route-tables.provider.ts';
import { networkAclHandlers } from './network-acls.provider.ts';
import { securityGroupHandlers } from './security-groups.provider.ts';
import { keyPairHandlers } from './key-pairs.provider.ts';
import { tagHandlers } from './tags.ts';

export const ec2: Service = {
  signingName: 'ec2',
  model: models.ec2,
  protocols: [new QueryProtocol('ec2')],
  handlers: {
    ...regionHandlers,
    ...tagHandlers,
    ...vpcHandlers,
    ...subnetHandlers,
    ...internetGatewayHandlers,
    ...routeTableHandlers,
    ...networkAclHandlers,
    ...securityGroupHandlers,
    ...keyPairHandlers,
  },
};
