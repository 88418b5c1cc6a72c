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
  vpcPeeringConnections: 'ec2.vpcPeeringConnections',
  natGateways: 'ec2.natGateways',
  prefixLists: 'ec2.prefixLists',
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
  Ipv6CidrBlockAssociationSet?: Ipv6CidrAssociation[];
  /** Internal: VPC attributes. */
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  enableNetworkAddressUsageMetrics?: boolean;
  /** Internal: what CreateVpc made with the VPC, and DeleteVpc removes with it. */
  defaultSecurityGroupId?: string;
  mainRouteTableId?: string;
  defaultNetworkAclId?: string;
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
  AssignIpv6AddressOnCreation?: boolean;
  Ipv6CidrBlockAssociationSet?: Ipv6CidrAssociation[];
  /** Internal: private IPv4 addresses in use, kept by subnet-addresses.ts. */
  usedIps?: string[];
}

export interface SecurityGroupRecord {
  GroupId: string;
  GroupName: string;
  Description: string;
  VpcId: string;
  OwnerId: string;
  SecurityGroupArn?: string;
  /** Derived from `rules` on every write (security-groups.provider.ts). */
  IpPermissions: IpPermission[];
  IpPermissionsEgress: IpPermission[];
  Tags: Tag[];
  /** Internal: one entry per rule, the source of truth for both permission lists. */
  rules?: SecurityGroupRuleRecord[];
}

// ---- Networking: VPC CIDRs, security group rules, gateways, route tables, network ACLs, key pairs ----

export interface Ipv6CidrAssociation {
  AssociationId: string;
  Ipv6CidrBlock: string;
  Ipv6CidrBlockState: { State: string };
  NetworkBorderGroup?: string;
  Ipv6Pool?: string;
  IpSource?: string;
  Ipv6AddressAttribute?: string;
}

export interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges: { CidrIp: string; Description?: string }[];
  Ipv6Ranges: { CidrIpv6: string; Description?: string }[];
  PrefixListIds: { PrefixListId: string; Description?: string }[];
  UserIdGroupPairs: { GroupId: string; UserId: string; GroupName?: string; VpcId?: string; Description?: string }[];
}

/** One rule of a security group, in DescribeSecurityGroupRules' shape. */
export interface SecurityGroupRuleRecord {
  SecurityGroupRuleId: string;
  SecurityGroupRuleArn: string;
  GroupId: string;
  GroupOwnerId: string;
  IsEgress: boolean;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or another protocol number. */
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupInfo?: { GroupId: string; UserId: string; VpcId?: string };
  Description?: string;
  Tags: Tag[];
}

export interface InternetGatewayRecord {
  InternetGatewayId: string;
  OwnerId: string;
  /** AWS reports an attached gateway's state as `available`. */
  Attachments: { VpcId: string; State: string }[];
  Tags: Tag[];
}

export interface RouteRecord {
  DestinationCidrBlock?: string;
  DestinationIpv6CidrBlock?: string;
  DestinationPrefixListId?: string;
  GatewayId?: string;
  InstanceId?: string;
  InstanceOwnerId?: string;
  NatGatewayId?: string;
  NetworkInterfaceId?: string;
  TransitGatewayId?: string;
  VpcPeeringConnectionId?: string;
  EgressOnlyInternetGatewayId?: string;
  CarrierGatewayId?: string;
  LocalGatewayId?: string;
  CoreNetworkArn?: string;
  Origin: 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation';
  State: 'active' | 'blackhole';
}

export interface RouteTableAssociationRecord {
  RouteTableAssociationId: string;
  RouteTableId: string;
  Main: boolean;
  SubnetId?: string;
  GatewayId?: string;
  AssociationState: { State: string };
}

export interface RouteTableRecord {
  RouteTableId: string;
  VpcId: string;
  OwnerId: string;
  Routes: RouteRecord[];
  Associations: RouteTableAssociationRecord[];
  PropagatingVgws: { GatewayId: string }[];
  Tags: Tag[];
}

export interface NetworkAclEntryRecord {
  RuleNumber: number;
  /** A protocol number as a string, or `-1` for all. */
  Protocol: string;
  RuleAction: 'allow' | 'deny';
  Egress: boolean;
  CidrBlock?: string;
  Ipv6CidrBlock?: string;
  PortRange?: { From: number; To: number };
  IcmpTypeCode?: { Type: number; Code: number };
}

export interface NetworkAclRecord {
  NetworkAclId: string;
  VpcId: string;
  OwnerId: string;
  IsDefault: boolean;
  Entries: NetworkAclEntryRecord[];
  Associations: { NetworkAclAssociationId: string; NetworkAclId: string; SubnetId: string }[];
  Tags: Tag[];
}

export interface KeyPairRecord {
  KeyPairId: string;
  KeyName: string;
  KeyFingerprint: string;
  KeyType: 'rsa' | 'ed25519';
  /** ISO 8601, clock time. */
  CreateTime: string;
  /** The public key in OpenSSH format, shown with IncludePublicKey. */
  PublicKey: string;
  Tags: Tag[];
}

// ---- Compute and storage: instances, network interfaces, volumes, snapshots, images, addresses ----

/** Collections of the compute and storage records that `COLL` does not name. */
export const COMPUTE_COLL = {
  networkInterfaces: 'ec2.networkInterfaces',
  /** Public and Elastic IPs in use, unique across regions and accounts (scope `*`/`*`). */
  publicIps: 'ec2.publicIps',
} as const;

/** A time as the XML protocol writes it; records keep ISO strings so they stay JSON. */
export type IsoTime = string;

export interface InstanceStateRecord {
  Code: number;
  Name: 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
}

export interface GroupIdentifier {
  GroupId: string;
  GroupName: string;
}

export interface InstanceBlockDeviceRecord {
  DeviceName: string;
  Ebs: { AttachTime: IsoTime; DeleteOnTermination: boolean; Status: 'attaching' | 'attached' | 'detaching' | 'detached'; VolumeId: string };
}

export interface PublicAssociation {
  IpOwnerId: string;
  PublicDnsName: string;
  PublicIp: string;
  /** Set when the address is an Elastic IP. */
  AllocationId?: string;
  AssociationId?: string;
}

/** An IPv6 address of a network interface (ipv6-addresses.ts). */
export interface Ipv6AddressRecord {
  Ipv6Address: string;
  IsPrimaryIpv6: boolean;
}

export interface InstanceNetworkInterfaceRecord {
  Association?: PublicAssociation;
  Attachment: { AttachTime: IsoTime; AttachmentId: string; DeleteOnTermination: boolean; DeviceIndex: number; NetworkCardIndex: number; Status: string };
  Description: string;
  Groups: GroupIdentifier[];
  Ipv6Addresses: Ipv6AddressRecord[];
  MacAddress: string;
  NetworkInterfaceId: string;
  OwnerId: string;
  PrivateDnsName: string;
  PrivateIpAddress: string;
  PrivateIpAddresses: { Association?: PublicAssociation; Primary: boolean; PrivateDnsName: string; PrivateIpAddress: string }[];
  SourceDestCheck: boolean;
  Status: string;
  SubnetId: string;
  VpcId: string;
  InterfaceType: string;
}

/** Results of the per-minute status checks, kept on the instance (internal). */
export interface StatusCheckResult {
  status: 'ok' | 'impaired';
  /** Clock ms when the check started failing. */
  impairedSince?: number;
}

export interface InstanceRecord {
  InstanceId: string;
  ImageId: string;
  State: InstanceStateRecord;
  PrivateDnsName: string;
  PublicDnsName: string;
  StateTransitionReason: string;
  StateReason?: { Code: string; Message: string };
  KeyName?: string;
  AmiLaunchIndex: number;
  ProductCodes: never[];
  InstanceType: string;
  LaunchTime: IsoTime;
  /** GroupId and PartitionNumber for an instance in a placement group; HostId and Affinity on a Dedicated Host. */
  Placement: { AvailabilityZone: string; AvailabilityZoneId?: string; GroupName: string; GroupId?: string; PartitionNumber?: number; HostId?: string; Affinity?: string; Tenancy: string };
  Monitoring: { State: 'disabled' | 'enabled' | 'pending' | 'disabling' };
  /** Subnet, VPC and private address are gone once the instance is terminated, as on AWS. */
  SubnetId?: string;
  VpcId?: string;
  PrivateIpAddress?: string;
  PublicIpAddress?: string;
  Architecture: string;
  RootDeviceType: 'ebs';
  RootDeviceName: string;
  BlockDeviceMappings: InstanceBlockDeviceRecord[];
  VirtualizationType: string;
  ClientToken: string;
  Tags: Tag[];
  SecurityGroups: GroupIdentifier[];
  SourceDestCheck: boolean;
  Hypervisor: 'xen';
  NetworkInterfaces: InstanceNetworkInterfaceRecord[];
  IamInstanceProfile?: { Arn: string; Id: string };
  EbsOptimized: boolean;
  EnaSupport: boolean;
  CpuOptions: { CoreCount: number; ThreadsPerCore: number };
  CapacityReservationSpecification: { CapacityReservationPreference: string };
  HibernationOptions: { Configured: boolean };
  MetadataOptions: {
    State: 'pending' | 'applied';
    HttpTokens: 'optional' | 'required';
    HttpPutResponseHopLimit: number;
    HttpEndpoint: 'enabled' | 'disabled';
    HttpProtocolIpv6: 'enabled' | 'disabled';
    InstanceMetadataTags: 'enabled' | 'disabled';
  };
  EnclaveOptions: { Enabled: boolean };
  PlatformDetails: string;
  UsageOperation: string;
  UsageOperationUpdateTime: IsoTime;
  PrivateDnsNameOptions: { HostnameType: string; EnableResourceNameDnsARecord: boolean; EnableResourceNameDnsAAAARecord: boolean };
  MaintenanceOptions: { AutoRecovery: 'default' | 'disabled'; RebootMigration: 'default' | 'disabled' };
  CurrentInstanceBootMode: string;
  BootMode?: string;
  /** `spot` for spot instances; absent for on-demand, as on AWS. */
  InstanceLifecycle?: 'spot';
  /** The spot request that launched a spot instance (spot.provider.ts). */
  SpotInstanceRequestId?: string;

  // Internal fields: never on the wire.
  /** The physical host (world.hosts) the instance runs on while pending, running or stopping. */
  hostId?: string;
  reservationId: string;
  ownerId: string;
  requesterId?: string;
  /** User data, base64 as sent. */
  userData?: string;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  shutdownBehavior: 'stop' | 'terminate';
  /** Clock ms of the last state change; the lifecycle loop times transitions from it. */
  stateSince: number;
  /** Clock ms when the instance last reached `running`; status checks initialise from it. */
  runningSince?: number;
  /** Clock ms of the last reboot (RebootInstances or CreateImage without NoReboot). */
  lastRebootAt?: number;
  /** Clock ms of each recovery, for the daily limit. */
  recoveries?: number[];
  /** Start of the last 5-minute period basic monitoring published CPUUtilization for. */
  cpuPublishedFor?: number;
  /** The instance profile as given (IAM may resolve it to a role). */
  iamInstanceProfile?: { Arn?: string; Name?: string };
  /** T-family CPU credits: standard or unlimited. */
  cpuCredits?: string;
  /** ids of the network interfaces, device index order. */
  networkInterfaceIds: string[];
  /** The compute driver could not boot this boot of the instance (boot-failures.ts). */
  bootFailure?: { bootKey: string; reason: string };
  /** Results of the last status checks, refreshed every minute while running. */
  statusChecks?: { system: StatusCheckResult; instance: StatusCheckResult; ebs: StatusCheckResult; checkedAt: number };
}

export interface NetworkInterfaceRecord {
  NetworkInterfaceId: string;
  SubnetId: string;
  VpcId: string;
  AvailabilityZone: string;
  AvailabilityZoneId?: string;
  Description: string;
  OwnerId: string;
  RequesterManaged: boolean;
  Status: 'available' | 'in-use' | 'attaching' | 'detaching' | 'associated';
  MacAddress: string;
  PrivateIpAddress: string;
  PrivateDnsName: string;
  PrivateIpAddresses: { Association?: PublicAssociation; Primary: boolean; PrivateDnsName: string; PrivateIpAddress: string }[];
  SourceDestCheck: boolean;
  /** `network_load_balancer` for an NLB's nodes, `natGateway` for a NAT gateway's, `vpc_endpoint` for an interface endpoint's; Classic and ALB nodes are `interface` (requester-managed, with no attachment). */
  InterfaceType: 'interface' | 'network_load_balancer' | 'natGateway' | 'vpc_endpoint';
  Groups: GroupIdentifier[];
  Ipv6Addresses: Ipv6AddressRecord[];
  Attachment?: {
    AttachmentId: string;
    AttachTime: IsoTime;
    DeleteOnTermination: boolean;
    DeviceIndex: number;
    NetworkCardIndex: number;
    InstanceId: string;
    InstanceOwnerId: string;
    Status: 'attaching' | 'attached' | 'detaching' | 'detached';
  };
  Association?: PublicAssociation;
  /** The API calls it TagSet; tags.ts works on `Tags`. Both are written. */
  Tags: Tag[];
  TagSet: Tag[];
  /** Internal: the interface wants an automatic public IP whenever no Elastic IP is on it. */
  autoPublicIp: boolean;
}

export interface VolumeAttachmentRecord {
  AttachTime: IsoTime;
  Device: string;
  InstanceId: string;
  State: 'attaching' | 'attached' | 'detaching' | 'detached';
  VolumeId: string;
  DeleteOnTermination: boolean;
}

export interface VolumeRecord {
  VolumeId: string;
  Size: number;
  SnapshotId: string;
  AvailabilityZone: string;
  AvailabilityZoneId?: string;
  State: 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';
  CreateTime: IsoTime;
  Attachments: VolumeAttachmentRecord[];
  VolumeType: string;
  Iops?: number;
  Throughput?: number;
  Encrypted: boolean;
  MultiAttachEnabled: boolean;
  Tags: Tag[];
  /** Internal: clock ms when a pending transition (creating, attaching, detaching) completes. */
  readyAt: number;
}

export interface SnapshotRecord {
  SnapshotId: string;
  VolumeId: string;
  State: 'pending' | 'completed' | 'error';
  StartTime: IsoTime;
  CompletionTime?: IsoTime;
  Progress: string;
  OwnerId: string;
  OwnerAlias?: string;
  VolumeSize: number;
  Description: string;
  Encrypted: boolean;
  StorageTier: string;
  Tags: Tag[];
  /** Internal: clock ms when the snapshot completes. */
  readyAt: number;
}

export interface ImageBlockDeviceRecord {
  DeviceName: string;
  Ebs?: { DeleteOnTermination: boolean; SnapshotId?: string; VolumeSize: number; VolumeType: string; Encrypted: boolean; Iops?: number };
  VirtualName?: string;
  NoDevice?: string;
}

export interface ImageRecord {
  ImageId: string;
  ImageLocation: string;
  State: 'pending' | 'available' | 'invalid' | 'deregistered' | 'transient' | 'failed' | 'error' | 'disabled';
  OwnerId: string;
  ImageOwnerAlias?: string;
  CreationDate: IsoTime;
  Public: boolean;
  Architecture: string;
  ImageType: 'machine';
  Name: string;
  Description?: string;
  RootDeviceType: 'ebs';
  RootDeviceName: string;
  BlockDeviceMappings: ImageBlockDeviceRecord[];
  VirtualizationType: string;
  Hypervisor: 'xen';
  EnaSupport: boolean;
  SriovNetSupport?: string;
  PlatformDetails: string;
  UsageOperation: string;
  BootMode?: string;
  SourceInstanceId?: string;
  Tags: Tag[];
  /** Internal: clock ms when a pending image becomes available. */
  readyAt: number;
}

export interface AddressRecord {
  AllocationId: string;
  PublicIp: string;
  Domain: 'vpc';
  PublicIpv4Pool: string;
  NetworkBorderGroup: string;
  AssociationId?: string;
  InstanceId?: string;
  NetworkInterfaceId?: string;
  NetworkInterfaceOwnerId?: string;
  PrivateIpAddress?: string;
  SubnetId?: string;
  Tags: Tag[];
}

// ---- Routing between networks: VPC peering connections, NAT gateways, managed prefix lists ----

export interface PeeringVpcInfo {
  VpcId: string;
  OwnerId: string;
  Region: string;
  CidrBlock: string;
  CidrBlockSet: { CidrBlock: string }[];
  /** Shown once the connection is active, as on AWS. */
  PeeringOptions?: { AllowDnsResolutionFromRemoteVpc: boolean; AllowEgressFromLocalClassicLinkToRemoteVpc: boolean; AllowEgressFromLocalVpcToRemoteClassicLink: boolean };
}

export interface VpcPeeringConnectionRecord {
  VpcPeeringConnectionId: string;
  RequesterVpcInfo: PeeringVpcInfo;
  AccepterVpcInfo: PeeringVpcInfo;
  Status: { Code: 'initiating-request' | 'pending-acceptance' | 'active' | 'deleted' | 'rejected' | 'failed' | 'expired'; Message: string };
  /** ISO time a pending request expires (7 days after it was made). */
  ExpirationTime?: IsoTime;
  Tags: Tag[];
  /** Internal: clock ms when it reached a final state (deleted, rejected, failed); it is listed for a while after. */
  endedAt?: number;
}

export interface NatGatewayRecord {
  NatGatewayId: string;
  VpcId: string;
  SubnetId: string;
  State: 'pending' | 'failed' | 'available' | 'deleting' | 'deleted';
  ConnectivityType: 'public' | 'private';
  CreateTime: IsoTime;
  DeleteTime?: IsoTime;
  FailureCode?: string;
  FailureMessage?: string;
  NatGatewayAddresses: { AllocationId?: string; AssociationId?: string; NetworkInterfaceId?: string; PrivateIp?: string; PublicIp?: string; IsPrimary: boolean; Status: 'associating' | 'succeeded' | 'disassociating' | 'failed' }[];
  Tags: Tag[];
  /** Internal: clock ms of the next transition (pending → available or failed, deleting → deleted, deleted → forgotten). */
  readyAt: number;
  /** Internal: why a pending gateway fails when its time comes. */
  failure?: { code: string; message: string };
}

export interface PrefixListEntryRecord {
  Cidr: string;
  Description?: string;
}

export interface ManagedPrefixListRecord {
  PrefixListId: string;
  PrefixListName: string;
  PrefixListArn: string;
  AddressFamily: 'IPv4' | 'IPv6';
  State: 'create-complete' | 'modify-complete' | 'restore-complete';
  MaxEntries: number;
  Version: number;
  OwnerId: string;
  Tags: Tag[];
  /** Internal: the entries of every version, oldest first (versions[i] is version i + 1). */
  versions: PrefixListEntryRecord[][];
}
