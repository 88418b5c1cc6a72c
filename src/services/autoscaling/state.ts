/**
 * Auto Scaling's records, one collection per kind, scoped by account and region. Records keep
 * the members the API returns plus internal fields (lower camel case) that never go on the wire;
 * times the API shows are ISO strings, times the loops compare are clock milliseconds.
 */
import type { Scope } from '../../core/store.ts';

export const COLL = {
  launchConfigurations: 'autoscaling.launchConfigurations',
  groups: 'autoscaling.groups',
  /** Keyed by instance id: the group's view of each instance. */
  instances: 'autoscaling.instances',
  activities: 'autoscaling.activities',
  /** Keyed by `childKey(group, policyName)`. */
  policies: 'autoscaling.policies',
  scheduledActions: 'autoscaling.scheduledActions',
  lifecycleHooks: 'autoscaling.lifecycleHooks',
  /** Keyed by InstanceRefreshId. */
  instanceRefreshes: 'autoscaling.instanceRefreshes',
} as const;

/** Records that belong to a group are keyed by the group and their own name. */
export const childKey = (group: string, name: string): string => JSON.stringify([group, name]);

export const GROUP_LOOP = 'autoscaling.group';
export const SCHEDULE_LOOP = 'autoscaling.schedule';

/** `${account}/${region}/${name}`: names may hold slashes, so only the first two separate. */
export const scopedKey = (scope: Scope, name: string): string => `${scope.account}/${scope.region}/${name}`;

export function parseScopedKey(key: string): { scope: Scope; name: string } {
  const a = key.indexOf('/');
  const b = key.indexOf('/', a + 1);
  return { scope: { account: key.slice(0, a), region: key.slice(a + 1, b) }, name: key.slice(b + 1) };
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface GroupTag extends Tag {
  PropagateAtLaunch: boolean;
}

export interface LaunchTemplateSpec {
  LaunchTemplateId?: string;
  LaunchTemplateName?: string;
  Version?: string;
}

/** One launch template override of a mixed instances policy: a type, its weight, its own template. */
export interface LaunchTemplateOverride {
  InstanceType?: string;
  WeightedCapacity?: string;
  LaunchTemplateSpecification?: LaunchTemplateSpec;
}

/** A mixed instances policy as the group keeps it: AWS's defaults filled in (mixed-instances.ts). */
export interface MixedInstancesPolicy {
  LaunchTemplate: { LaunchTemplateSpecification: LaunchTemplateSpec; Overrides: LaunchTemplateOverride[] };
  InstancesDistribution: {
    OnDemandAllocationStrategy: 'prioritized' | 'lowest-price';
    OnDemandBaseCapacity: number;
    OnDemandPercentageAboveBaseCapacity: number;
    SpotAllocationStrategy: 'lowest-price' | 'capacity-optimized' | 'capacity-optimized-prioritized' | 'price-capacity-optimized';
    /** Only with the lowest-price spot strategy. */
    SpotInstancePools?: number;
    SpotMaxPrice?: string;
  };
}

export interface BlockDeviceMapping {
  DeviceName: string;
  VirtualName?: string;
  NoDevice?: boolean;
  Ebs?: { SnapshotId?: string; VolumeSize?: number; VolumeType?: string; DeleteOnTermination?: boolean; Iops?: number; Encrypted?: boolean; Throughput?: number };
}

export interface LaunchConfigurationRecord {
  LaunchConfigurationName: string;
  LaunchConfigurationARN: string;
  ImageId: string;
  KeyName?: string;
  SecurityGroups: string[];
  ClassicLinkVPCSecurityGroups: string[];
  UserData?: string;
  InstanceType: string;
  KernelId?: string;
  RamdiskId?: string;
  BlockDeviceMappings: BlockDeviceMapping[];
  InstanceMonitoring: { Enabled: boolean };
  SpotPrice?: string;
  IamInstanceProfile?: string;
  CreatedTime: string;
  EbsOptimized: boolean;
  AssociatePublicIpAddress?: boolean;
  PlacementTenancy?: string;
  MetadataOptions?: { HttpTokens?: string; HttpPutResponseHopLimit?: number; HttpEndpoint?: string };
  /** Internal: clock ms of creation, for the OldestLaunchConfiguration policy. */
  createdAt: number;
}

export type ProcessName =
  | 'Launch'
  | 'Terminate'
  | 'AddToLoadBalancer'
  | 'AlarmNotification'
  | 'AZRebalance'
  | 'HealthCheck'
  | 'InstanceRefresh'
  | 'ReplaceUnhealthy'
  | 'ScheduledActions';

export const PROCESSES: readonly ProcessName[] = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
];

export interface GroupRecord {
  AutoScalingGroupName: string;
  AutoScalingGroupARN: string;
  LaunchConfigurationName?: string;
  LaunchTemplate?: LaunchTemplateSpec;
  MixedInstancesPolicy?: MixedInstancesPolicy;
  MinSize: number;
  MaxSize: number;
  DesiredCapacity: number;
  DefaultCooldown: number;
  AvailabilityZones: string[];
  HealthCheckType: string;
  HealthCheckGracePeriod: number;
  CreatedTime: string;
  SuspendedProcesses: { ProcessName: ProcessName; SuspensionReason: string }[];
  PlacementGroup?: string;
  VPCZoneIdentifier?: string;
  EnabledMetrics: { Metric: string; Granularity: string }[];
  Tags: GroupTag[];
  TerminationPolicies: string[];
  NewInstancesProtectedFromScaleIn: boolean;
  ServiceLinkedRoleARN: string;
  MaxInstanceLifetime?: number;
  CapacityRebalance: boolean;
  DefaultInstanceWarmup?: number;
  Context?: string;
  DesiredCapacityType?: string;
  /** 'Delete in progress' while the group is being deleted. */
  Status?: string;

  // Internal.
  /** The subnets of VPCZoneIdentifier, in order. */
  subnets: string[];
  /**
   * Attached Classic load balancers and target groups, in attachment order: LoadBalancerNames,
   * TargetGroupARNs and TrafficSources are views of it (traffic-sources.ts). Absent: none.
   */
  trafficSources?: TrafficSourceAttachment[];
  /** Ids of the group's instances (records in COLL.instances), so a pass reads only its own. */
  memberIds?: string[];
  /** A deletion was asked for; ForceDelete terminates the instances first. */
  deleting?: { force: boolean; at: number };
  /**
   * Why the desired capacity last changed ("At … a user request … changing the desired capacity
   * from 1 to 2."): the first sentence of the causes of the launches and terminations that follow.
   */
  capacityCause?: string;
  /** Zones where launches failed, and when the group may try them again (backoff). */
  launchFailures: Record<string, { failures: number; retryAt: number }>;
  /** Simple scaling: the cooldown that starts once the triggered activities end. */
  cooldownPending?: { seconds: number };
  /** Clock ms until which simple scaling policies wait. */
  cooldownUntil?: number;
  /** Orders activities that start at the same clock time. */
  activitySeq: number;
  /** Clock ms of the last minute whose group metrics were published. */
  metricsPublishedFor?: number;
  /** The instance refresh under way (instance-refresh.ts), if any. */
  activeRefresh?: string;
  /** The warm pool (warm-pool.ts), if the group has one. */
  warmPool?: WarmPoolRecord;
  /** Ids of the warm pool's instances (records in COLL.instances, in `Warmed:*` states). */
  warmIds?: string[];
}

export interface WarmPoolRecord {
  MinSize: number;
  /** Absent: the group's MaxSize. */
  MaxGroupPreparedCapacity?: number;
  PoolState: 'Stopped' | 'Running' | 'Hibernated';
  InstanceReusePolicy?: { ReuseOnScaleIn: boolean };
  Status?: 'PendingDelete';
}

export type TrafficSourceType = 'elb' | 'elbv2';
export type AttachmentState = 'Adding' | 'Added' | 'InService' | 'Removing' | 'Removed';

export interface TrafficSourceAttachment {
  /** A Classic load balancer's name (`elb`) or a target group's ARN (`elbv2`). */
  Identifier: string;
  Type: TrafficSourceType;
  State: AttachmentState;
  /** Removing: clock ms when the draining of the group's deregistered instances ends. */
  drainedAt?: number;
}

export type LifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated'
  | 'Detaching'
  | 'Detached'
  | 'Warmed:Pending'
  | 'Warmed:Terminating'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated';

/** One lifecycle action an instance waits on: one per hook of the transition. */
export interface PendingAction {
  hook: string;
  token: string;
  /** Clock ms when the heartbeat times out and the hook's default result applies. */
  timeoutAt: number;
  /** Clock ms beyond which heartbeats cannot extend it. */
  globalTimeoutAt: number;
  result?: 'CONTINUE' | 'ABANDON';
}

export interface MemberRecord {
  InstanceId: string;
  AutoScalingGroupName: string;
  AvailabilityZone: string;
  AvailabilityZoneId?: string;
  LifecycleState: LifecycleState;
  HealthStatus: 'Healthy' | 'Unhealthy';
  ProtectedFromScaleIn: boolean;
  InstanceType: string;
  ImageId?: string;
  LaunchConfigurationName?: string;
  LaunchTemplate?: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string };
  /** Mixed instances groups: the capacity units the instance counts for. */
  WeightedCapacity?: string;

  // Internal.
  /** Launched as a spot instance (mixed instances groups). */
  spot?: boolean;
  subnetId?: string;
  /** Clock ms of the launch (or the attach). */
  launchedAt: number;
  /** Clock ms when the instance entered InService; the grace period counts from it. */
  inServiceAt?: number;
  /** The activity that launched it, finished when it is InService. */
  launchActivityId?: string;
  /** The activity that terminates or detaches it. */
  exitActivityId?: string;
  /** Why it became Unhealthy: the sentence of the termination's cause. */
  unhealthyCause?: string;
  /** Lifecycle actions in progress for the current transition. */
  actions?: PendingAction[];
  /** Skip terminating hooks (ForceDelete). */
  skipHooks?: boolean;
  /** Launched by AZ rebalancing: the group terminates elsewhere once this one is InService. */
  rebalance?: boolean;
  /** A spot instance at risk of interruption: the replacement capacity rebalancing launched for it (capacity-rebalance.ts). */
  spotReplacement?: string;
  /** Detached with ShouldDecrementDesiredCapacity=false: a replacement is launched. */
  detachOnly?: boolean;
  /**
   * Set once the instance, on its way out (terminating or detaching), has been deregistered from
   * the group's load balancers and target groups: clock ms when their draining ends (its
   * termination or detach waits until then).
   */
  drainedAt?: number;
}

export type ActivityStatus =
  | 'PendingSpotBidPlacement'
  | 'WaitingForSpotInstanceRequestId'
  | 'WaitingForSpotInstanceId'
  | 'WaitingForInstanceId'
  | 'PreInService'
  | 'InProgress'
  | 'WaitingForELBConnectionDraining'
  | 'MidLifecycleAction'
  | 'WaitingForInstanceWarmup'
  | 'Successful'
  | 'Failed'
  | 'Cancelled'
  | 'WaitingForConnectionDraining';

export interface ActivityRecord {
  ActivityId: string;
  AutoScalingGroupName: string;
  AutoScalingGroupARN: string;
  Description: string;
  Cause: string;
  StartTime: string;
  EndTime?: string;
  StatusCode: ActivityStatus;
  StatusMessage?: string;
  Progress: number;
  Details: string;
  // Internal.
  startMs: number;
  seq: number;
  instanceId?: string;
  /** The group was deleted (shown only with IncludeDeletedGroups). */
  groupDeleted?: boolean;
}

export interface StepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment: number;
}

export interface TargetTrackingConfiguration {
  PredefinedMetricSpecification?: { PredefinedMetricType: string; ResourceLabel?: string };
  CustomizedMetricSpecification?: { MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: string }[]; Statistic: string; Unit?: string; Period?: number };
  TargetValue: number;
  DisableScaleIn: boolean;
}

export interface PolicyRecord {
  AutoScalingGroupName: string;
  PolicyName: string;
  PolicyARN: string;
  PolicyType: 'SimpleScaling' | 'StepScaling' | 'TargetTrackingScaling';
  AdjustmentType?: string;
  MinAdjustmentStep?: number;
  MinAdjustmentMagnitude?: number;
  ScalingAdjustment?: number;
  Cooldown?: number;
  StepAdjustments: StepAdjustment[];
  MetricAggregationType?: string;
  EstimatedInstanceWarmup?: number;
  Alarms: { AlarmName: string; AlarmARN: string }[];
  TargetTrackingConfiguration?: TargetTrackingConfiguration;
  Enabled: boolean;
  // Internal: the alarms target tracking made, which it owns and deletes with the policy.
  ownedAlarms?: { high: string; low?: string };
}

export interface ScheduledActionRecord {
  AutoScalingGroupName: string;
  ScheduledActionName: string;
  ScheduledActionARN: string;
  /** The next run, as DescribeScheduledActions shows it. */
  Time?: string;
  StartTime?: string;
  EndTime?: string;
  Recurrence?: string;
  MinSize?: number;
  MaxSize?: number;
  DesiredCapacity?: number;
  TimeZone?: string;
  // Internal: clock ms of the next run, or undefined when it will not run again.
  nextRun?: number;
}

export interface LifecycleHookRecord {
  LifecycleHookName: string;
  AutoScalingGroupName: string;
  LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
  NotificationTargetARN?: string;
  RoleARN?: string;
  NotificationMetadata?: string;
  HeartbeatTimeout: number;
  GlobalTimeout: number;
  DefaultResult: 'CONTINUE' | 'ABANDON';
}

export const groupArn = (scope: Scope, id: string, name: string) => `arn:aws:autoscaling:${scope.region}:${scope.account}:autoScalingGroup:${id}:autoScalingGroupName/${name}`;
export const launchConfigurationArn = (scope: Scope, id: string, name: string) =>
  `arn:aws:autoscaling:${scope.region}:${scope.account}:launchConfiguration:${id}:launchConfigurationName/${name}`;
export const policyArn = (scope: Scope, id: string, group: string, name: string) =>
  `arn:aws:autoscaling:${scope.region}:${scope.account}:scalingPolicy:${id}:autoScalingGroupName/${group}:policyName/${name}`;
export const scheduledActionArn = (scope: Scope, id: string, group: string, name: string) =>
  `arn:aws:autoscaling:${scope.region}:${scope.account}:scheduledUpdateGroupAction:${id}:autoScalingGroupName/${group}:scheduledActionName/${name}`;

/** The id in the middle of an Auto Scaling ARN (`…:scalingPolicy:<id>:…`). */
export const arnId = (arn: string): string => arn.split(':')[6] ?? '';

/** "2026-01-02T03:04:05Z": times in causes and suspension reasons have no milliseconds. */
export const causeTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const isSuspended = (g: { readonly SuspendedProcesses: readonly { readonly ProcessName: string }[] }, p: ProcessName): boolean => g.SuspendedProcesses.some((s) => s.ProcessName === p);
