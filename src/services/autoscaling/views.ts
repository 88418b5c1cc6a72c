/** What Describe calls show of groups and their instances: the API's members, without internal fields. */
import type { DeepReadonly } from '../../core/store.ts';
import type { GroupRecord, MemberRecord, WarmPoolRecord } from './state.ts';
import { loadBalancerNames, targetGroupArns, trafficSourceIds } from './traffic-sources.ts';

export function memberView(m: DeepReadonly<MemberRecord>) {
  return {
    InstanceId: m.InstanceId,
    InstanceType: m.InstanceType,
    AvailabilityZone: m.AvailabilityZone,
    ...(m.AvailabilityZoneId ? { AvailabilityZoneId: m.AvailabilityZoneId } : {}),
    LifecycleState: m.LifecycleState,
    HealthStatus: m.HealthStatus,
    ...(m.LaunchConfigurationName ? { LaunchConfigurationName: m.LaunchConfigurationName } : {}),
    ...(m.LaunchTemplate ? { LaunchTemplate: m.LaunchTemplate } : {}),
    ...(m.WeightedCapacity ? { WeightedCapacity: m.WeightedCapacity } : {}),
    ProtectedFromScaleIn: m.ProtectedFromScaleIn,
  };
}

/** Oldest first, as a group's instances are listed. */
export const byLaunch = (a: DeepReadonly<MemberRecord>, b: DeepReadonly<MemberRecord>) => a.launchedAt - b.launchedAt || a.InstanceId.localeCompare(b.InstanceId);

export function groupView(g: DeepReadonly<GroupRecord>, members: readonly DeepReadonly<MemberRecord>[]) {
  return {
    AutoScalingGroupName: g.AutoScalingGroupName,
    AutoScalingGroupARN: g.AutoScalingGroupARN,
    ...(g.LaunchConfigurationName ? { LaunchConfigurationName: g.LaunchConfigurationName } : {}),
    ...(g.LaunchTemplate ? { LaunchTemplate: g.LaunchTemplate } : {}),
    ...(g.MixedInstancesPolicy ? { MixedInstancesPolicy: g.MixedInstancesPolicy } : {}),
    MinSize: g.MinSize,
    MaxSize: g.MaxSize,
    DesiredCapacity: g.DesiredCapacity,
    ...(g.DesiredCapacityType ? { DesiredCapacityType: g.DesiredCapacityType } : {}),
    DefaultCooldown: g.DefaultCooldown,
    AvailabilityZones: g.AvailabilityZones,
    LoadBalancerNames: loadBalancerNames(g),
    TargetGroupARNs: targetGroupArns(g),
    HealthCheckType: g.HealthCheckType,
    HealthCheckGracePeriod: g.HealthCheckGracePeriod,
    Instances: [...members].sort(byLaunch).filter((m) => m.LifecycleState !== 'Terminated' && m.LifecycleState !== 'Detached').map(memberView),
    CreatedTime: g.CreatedTime,
    SuspendedProcesses: g.SuspendedProcesses,
    ...(g.PlacementGroup ? { PlacementGroup: g.PlacementGroup } : {}),
    ...(g.VPCZoneIdentifier !== undefined ? { VPCZoneIdentifier: g.VPCZoneIdentifier } : {}),
    EnabledMetrics: g.EnabledMetrics,
    ...(g.Status ? { Status: g.Status } : {}),
    Tags: g.Tags.map((t) => ({ ResourceId: g.AutoScalingGroupName, ResourceType: 'auto-scaling-group', Key: t.Key, Value: t.Value, PropagateAtLaunch: t.PropagateAtLaunch })),
    TerminationPolicies: g.TerminationPolicies,
    NewInstancesProtectedFromScaleIn: g.NewInstancesProtectedFromScaleIn,
    ServiceLinkedRoleARN: g.ServiceLinkedRoleARN,
    ...(g.MaxInstanceLifetime !== undefined ? { MaxInstanceLifetime: g.MaxInstanceLifetime } : {}),
    CapacityRebalance: g.CapacityRebalance,
    ...(g.DefaultInstanceWarmup !== undefined ? { DefaultInstanceWarmup: g.DefaultInstanceWarmup } : {}),
    ...(g.Context !== undefined ? { Context: g.Context } : {}),
    TrafficSources: trafficSourceIds(g),
    ...(g.warmPool ? { WarmPoolConfiguration: warmPoolConfiguration(g.warmPool), WarmPoolSize: g.warmIds?.length ?? 0 } : {}),
  };
}

/** WarmPoolConfiguration as the API shows it. */
export function warmPoolConfiguration(wp: DeepReadonly<WarmPoolRecord>) {
  return {
    ...(wp.MaxGroupPreparedCapacity !== undefined ? { MaxGroupPreparedCapacity: wp.MaxGroupPreparedCapacity } : {}),
    MinSize: wp.MinSize,
    PoolState: wp.PoolState,
    ...(wp.Status ? { Status: wp.Status } : {}),
    ...(wp.InstanceReusePolicy ? { InstanceReusePolicy: wp.InstanceReusePolicy } : {}),
  };
}
