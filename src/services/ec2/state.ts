/**
 * EC2's records. Each is stored in the shape DescribeX returns (the protocol layer writes only
 * the members the model declares), plus internal fields that the API never shows.
 * Collections are scoped by account and region; their names are in `COLL`.
 */
import type { Tag } from './filters.ts';

export const COLL = {
  vpcs: 'ec2.vpcs',
  subnets: 'ec2.subnets',
  internetGateways: 'ec2.internetGateways',
  routeTables: 'ec2.routeTables',
  networkAcls: 'ec2.networkAcls',
  securityGroups: 'ec2.securityGroups',
  keyPairs: 'ec2.keyPairs',
  instances: 'ec2.instances',
  volumes: 'ec2.volumes',
  snapshots: 'ec2.snapshots',
  images: 'ec2.images',
  addresses: 'ec2.addresses',
  launchTemplates: 'ec2.launchTemplates',
  launchTemplateVersions: 'ec2.launchTemplateVersions',
} as const;

export interface VpcRecord {
  VpcId: string;
  CidrBlock: string;
  State: 'pending' | 'available';
  DhcpOptionsId: string;
  InstanceTenancy: string;
  IsDefault: boolean;
  OwnerId: string;
  CidrBlockAssociationSet: { AssociationId: string; CidrBlock: string; CidrBlockState: { State: string } }[];
  Tags: Tag[];
  /** Internal: VPC attributes. */
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
}

export interface SubnetRecord {
  SubnetId: string;
  SubnetArn: string;
  VpcId: string;
  CidrBlock: string;
  AvailabilityZone: string;
  AvailabilityZoneId: string;
  AvailableIpAddressCount: number;
  DefaultForAz: boolean;
  MapPublicIpOnLaunch: boolean;
  State: 'pending' | 'available';
  OwnerId: string;
  Tags: Tag[];
}

export interface SecurityGroupRecord {
  GroupId: string;
  GroupName: string;
  Description: string;
  VpcId: string;
  OwnerId: string;
  IpPermissions: unknown[];
  IpPermissionsEgress: unknown[];
  Tags: Tag[];
}
