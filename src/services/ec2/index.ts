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
import { instanceHandlers } from './instances.provider.ts';
import { instanceLoops } from './instance.loop.ts';
import { instanceTypeHandlers } from './instance-types.ts';
import { interfaceHandlers } from './network-interfaces.ts';
import { volumeHandlers, volumeLoops } from './volumes.provider.ts';
import { volumeStatusHandlers } from './volume-pause.ts';
import { snapshotHandlers, snapshotLoops } from './snapshots.provider.ts';
import { imageHandlers, imageLoops } from './images.provider.ts';
import { addressHandlers } from './addresses.provider.ts';
import { launchTemplateHandlers } from './launch-templates.provider.ts';
import { defaultVpcHandlers } from './default-vpc.ts';
import { placementGroupHandlers } from './placement-groups.provider.ts';
import { hostHandlers } from './hosts.provider.ts';
import { instancePlacementHandlers } from './instance-placement.provider.ts';
import { spotHandlers } from './spot.provider.ts';
import { spotLoops } from './spot.loop.ts';
import { vpcPeeringHandlers } from './vpc-peering.provider.ts';
import { natGatewayHandlers, natGatewayLoops } from './nat-gateways.provider.ts';
import { prefixListHandlers } from './prefix-lists.provider.ts';
import { answeringDryRun } from './dry-run.ts';
import { vpcCidrHandlers } from './vpc-cidrs.provider.ts';
import { ipv6AddressHandlers } from './ipv6-addresses.ts';
import { egressOnlyGatewayHandlers } from './egress-only-gateways.provider.ts';
import { dhcpOptionsHandlers } from './dhcp-options.provider.ts';
import { vpcEndpointHandlers } from './vpc-endpoints.provider.ts';
import { vpnHandlers } from './vpn.provider.ts';

export const ec2: Service = {
  signingName: 'ec2',
  model: models.ec2,
  protocols: [new QueryProtocol('ec2')],
  // DryRun is answered here, once, for every operation that takes it (dry-run.ts).
  handlers: answeringDryRun(models.ec2, {
    ...regionHandlers,
    ...tagHandlers,
    ...vpcHandlers,
    ...defaultVpcHandlers,
    ...subnetHandlers,
    ...internetGatewayHandlers,
    ...routeTableHandlers,
    ...networkAclHandlers,
    ...securityGroupHandlers,
    ...keyPairHandlers,
    ...instanceHandlers,
    ...instanceTypeHandlers,
    ...interfaceHandlers,
    ...volumeHandlers,
    ...volumeStatusHandlers,
    ...snapshotHandlers,
    ...imageHandlers,
    ...addressHandlers,
    ...launchTemplateHandlers,
    ...placementGroupHandlers,
    ...hostHandlers,
    ...instancePlacementHandlers,
    ...spotHandlers,
    ...vpcPeeringHandlers,
    ...natGatewayHandlers,
    ...prefixListHandlers,
    ...vpcCidrHandlers,
    ...ipv6AddressHandlers,
    ...egressOnlyGatewayHandlers,
    ...dhcpOptionsHandlers,
    ...vpcEndpointHandlers,
    ...vpnHandlers,
  }),
  loops: (env) => ({
    ...instanceLoops(env),
    ...volumeLoops(env),
    ...snapshotLoops(env),
    ...imageLoops(env),
    ...spotLoops(env),
    ...natGatewayLoops(env),
  }),
};
