/**
 * CloudFormation resource handlers for Auto Scaling: launch configurations, groups (complete once
 * their desired capacity is in service, deleted by a forced delete that waits for the instances
 * to go), scaling policies, scheduled actions, lifecycle hooks and warm pools. Each acts through Auto
 * Scaling's own operation handlers; the group loop does the launching.
 */
import { parseDuration } from '../../core/duration.ts';
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, bool, deleteWithRetry, isGone } from '../../cloudformation/handler-kit.ts';
import { DONE, wait, type Props, type ResourceContext, type ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { membersOf } from './group.loop.ts';
import { autoscaling } from './index.ts';
import { capacityOf } from './mixed-instances.ts';
import { COLL, type GroupRecord } from './state.ts';
import { MAX_PER_CALL, requestedSources, type SourceId } from './traffic-sources.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(autoscaling, op, input, rc.request);
const POLL_MS = 5_000;

type Obj = Record<string, unknown>;

const launchConfiguration: ResourceHandler = {
  type: 'AWS::AutoScaling::LaunchConfiguration',
  create(props, rc) {
    const name = String(props.LaunchConfigurationName ?? rc.physicalName({ maxLength: 255 }));
    const monitoring = bool(props.InstanceMonitoring);
    call(rc, 'CreateLaunchConfiguration', {
      LaunchConfigurationName: name,
      ImageId: props.ImageId,
      InstanceId: props.InstanceId,
      InstanceType: props.InstanceType,
      KeyName: props.KeyName,
      SecurityGroups: props.SecurityGroups,
      UserData: props.UserData,
      IamInstanceProfile: props.IamInstanceProfile,
      AssociatePublicIpAddress: props.AssociatePublicIpAddress,
      EbsOptimized: props.EbsOptimized,
      PlacementTenancy: props.PlacementTenancy,
      SpotPrice: props.SpotPrice,
      KernelId: props.KernelId,
      RamdiskId: props.RamDiskId,
      MetadataOptions: props.MetadataOptions,
      InstanceMonitoring: monitoring === undefined ? undefined : { Enabled: monitoring },
      BlockDeviceMappings: Array.isArray(props.BlockDeviceMappings)
        ? (props.BlockDeviceMappings as Obj[]).map((b) => ({ DeviceName: b.DeviceName, VirtualName: b.VirtualName, Ebs: b.Ebs, NoDevice: bool(b.NoDevice) }))
        : undefined,
    });
    return { physicalId: name };
  },
  // Every property of a launch configuration replaces it (the resource specification says so).
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteLaunchConfiguration', { LaunchConfigurationName: s.physicalId })),
};

const groupOf = (rc: ResourceContext, name: string) => rc.env.store.get<GroupRecord>(COLL.groups, rc.request, name) as GroupRecord | undefined;

type TagProp = { Key: string; Value: string; PropagateAtLaunch?: unknown };
const groupTags = (v: unknown, name?: string) =>
  (Array.isArray(v) ? (v as TagProp[]) : []).map((t) => ({
    Key: t.Key,
    Value: t.Value,
    PropagateAtLaunch: bool(t.PropagateAtLaunch) ?? false,
    ...(name ? { ResourceId: name, ResourceType: 'auto-scaling-group' } : {}),
  }));

/** The group settings a template gives, as CreateAutoScalingGroup and UpdateAutoScalingGroup take them. */
function groupSettings(props: Props): Record<string, unknown> {
  const notifications = props.NotificationConfigurations;
  if (notifications !== undefined && (!Array.isArray(notifications) || notifications.length)) {
    throw new AwsError('ValidationError', 'faultline does not support NotificationConfigurations on Auto Scaling groups yet.');
  }
  const lt = props.LaunchTemplate as Obj | undefined;
  const subnets = props.VPCZoneIdentifier;
  return {
    LaunchConfigurationName: props.LaunchConfigurationName,
    LaunchTemplate: lt ? { LaunchTemplateId: lt.LaunchTemplateId, LaunchTemplateName: lt.LaunchTemplateName, Version: lt.Version } : undefined,
    // The property has the API's members and names.
    MixedInstancesPolicy: props.MixedInstancesPolicy,
    MinSize: props.MinSize,
    MaxSize: props.MaxSize,
    DesiredCapacity: props.DesiredCapacity,
    DefaultCooldown: props.Cooldown,
    AvailabilityZones: props.AvailabilityZones,
    VPCZoneIdentifier: Array.isArray(subnets) ? subnets.join(',') : subnets,
    HealthCheckType: props.HealthCheckType,
    HealthCheckGracePeriod: props.HealthCheckGracePeriod,
    TerminationPolicies: props.TerminationPolicies,
    NewInstancesProtectedFromScaleIn: props.NewInstancesProtectedFromScaleIn,
    CapacityRebalance: props.CapacityRebalance,
    MaxInstanceLifetime: props.MaxInstanceLifetime,
    DefaultInstanceWarmup: props.DefaultInstanceWarmup,
    PlacementGroup: props.PlacementGroup,
    ServiceLinkedRoleARN: props.ServiceLinkedRoleARN,
    DesiredCapacityType: props.DesiredCapacityType,
    Context: props.Context,
  };
}

const group: ResourceHandler = {
  type: 'AWS::AutoScaling::AutoScalingGroup',
  create(props, rc) {
    const name = String(props.AutoScalingGroupName ?? rc.physicalName({ maxLength: 255 }));
    const hooks = props.LifecycleHookSpecificationList as Obj[] | undefined;
    call(rc, 'CreateAutoScalingGroup', {
      AutoScalingGroupName: name,
      ...groupSettings(props),
      LoadBalancerNames: props.LoadBalancerNames,
      TargetGroupARNs: props.TargetGroupARNs,
      TrafficSources: props.TrafficSources,
      Tags: groupTags(props.Tags).length ? groupTags(props.Tags) : undefined,
      LifecycleHookSpecificationList: hooks,
    });
    const metrics = props.MetricsCollection as { Granularity: string; Metrics?: string[] }[] | undefined;
    for (const m of metrics ?? []) call(rc, 'EnableMetricsCollection', { AutoScalingGroupName: name, Granularity: m.Granularity, Metrics: m.Metrics });
    return { physicalId: name };
  },
  stabilize(s, rc) {
    // CloudFormation calls a group created (or updated) once its desired capacity is in service.
    const g = groupOf(rc, s.physicalId);
    if (!g) throw new AwsError('NotStabilized', `Auto Scaling group ${s.physicalId} no longer exists`);
    const rolling = rc.updatePolicy?.AutoScalingRollingUpdate as Obj | undefined;
    if (s.data.rolling && rolling) return rollingStep(rc, g, rolling, s.data);
    const ready = capacityOf(membersOf(rc.env, rc.request, s.physicalId).filter((m) => m.LifecycleState === 'InService' && m.HealthStatus === 'Healthy'));
    return ready >= g.DesiredCapacity ? DONE : wait(POLL_MS);
  },
  replacesUnderPolicy(changed, policy) {
    const replacing = (policy?.AutoScalingReplacingUpdate as Obj | undefined)?.WillReplace;
    return bool(replacing) === true && changed.some((c) => LAUNCH_PROPS.includes(c));
  },
  update(props, old, changed, rc) {
    const name = old.physicalId;
    const settings = groupSettings(props);
    // A template that stops giving DesiredCapacity leaves the group's current capacity alone, as CloudFormation does.
    if (props.DesiredCapacity === undefined) delete settings.DesiredCapacity;
    if (settings.LaunchTemplate !== undefined) delete settings.LaunchConfigurationName;
    const fields = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    // A placement group taken out of the template takes the group out of it.
    if (props.PlacementGroup === undefined && old.props.PlacementGroup !== undefined) fields.PlacementGroup = '';
    call(rc, 'UpdateAutoScalingGroup', { AutoScalingGroupName: name, ...fields });
    if (['LoadBalancerNames', 'TargetGroupARNs', 'TrafficSources'].some((p) => changed.includes(p))) updateSources(rc, name, old.props, props);
    // With AutoScalingRollingUpdate, a new launch configuration, template or subnets replace the instances in batches.
    const rolling = rc.updatePolicy?.AutoScalingRollingUpdate !== undefined && changed.some((c) => LAUNCH_PROPS.includes(c));
    if (changed.includes('Tags')) {
      const before = groupTags(old.props.Tags, name);
      const after = groupTags(props.Tags, name);
      const removed = before.filter((t) => !after.some((a) => a.Key === t.Key));
      if (removed.length) call(rc, 'DeleteTags', { Tags: removed });
      if (after.length) call(rc, 'CreateOrUpdateTags', { Tags: after });
    }
    return { data: { rolling, pauseUntil: 0, pauseMs: 0 } };
  },
  delete(s, rc) {
    const g = groupOf(rc, s.physicalId);
    if (!g) return DONE;
    if (!g.deleting?.force) {
      try {
        call(rc, 'DeleteAutoScalingGroup', { AutoScalingGroupName: s.physicalId, ForceDelete: true });
      } catch (e) {
        if (isGone(e)) return DONE;
        throw e;
      }
    }
    // The group loop terminates the instances and then removes the group.
    return wait(POLL_MS);
  },
  getAtt: (s, name) => attribute({ AutoScalingGroupName: () => s.physicalId }, name, s),
};

/**
 * LoadBalancerNames, TargetGroupARNs and TrafficSources update without interruption: the group
 * detaches what the template no longer names and attaches what it newly names.
 */
function updateSources(rc: ResourceContext, name: string, before: Props, after: Props): void {
  const sources = (p: Props) => requestedSources({ LoadBalancerNames: p.LoadBalancerNames as string[], TargetGroupARNs: p.TargetGroupARNs as string[], TrafficSources: p.TrafficSources as SourceId[] });
  const key = (s: SourceId) => `${s.Type} ${s.Identifier}`;
  const was = sources(before);
  const now = sources(after);
  const gone = was.filter((s) => !now.some((n) => key(n) === key(s)));
  const added = now.filter((s) => !was.some((w) => key(w) === key(s)));
  for (let i = 0; i < gone.length; i += MAX_PER_CALL) call(rc, 'DetachTrafficSources', { AutoScalingGroupName: name, TrafficSources: gone.slice(i, i + MAX_PER_CALL) });
  for (let i = 0; i < added.length; i += MAX_PER_CALL) call(rc, 'AttachTrafficSources', { AutoScalingGroupName: name, TrafficSources: added.slice(i, i + MAX_PER_CALL) });
}

/** Changes that make an UpdatePolicy apply: what the group launches, and where. */
const LAUNCH_PROPS = ['LaunchConfigurationName', 'LaunchTemplate', 'MixedInstancesPolicy', 'VPCZoneIdentifier'];

/** Whether a member was launched from something other than the group's current configuration or subnets. */
function outdated(g: GroupRecord, m: { LaunchConfigurationName?: string; LaunchTemplate?: { LaunchTemplateId: string; Version: string }; subnetId?: string }): boolean {
  if (g.LaunchConfigurationName !== undefined && m.LaunchConfigurationName !== g.LaunchConfigurationName) return true;
  if (g.LaunchTemplate && (m.LaunchTemplate?.LaunchTemplateId !== g.LaunchTemplate.LaunchTemplateId)) return true;
  return g.subnets.length > 0 && m.subnetId !== undefined && !g.subnets.includes(m.subnetId);
}

/**
 * One step of AutoScalingRollingUpdate: wait for the batch under way (terminated instances
 * replaced and in service, then PauseTime), then terminate the next batch of outdated instances,
 * at most MaxBatchSize and keeping MinInstancesInService in service. Done when none is outdated.
 */
function rollingStep(rc: ResourceContext, g: GroupRecord, policy: Obj, data: Record<string, unknown>) {
  const now = rc.env.clock.now();
  const members = membersOf(rc.env, rc.request, g.AutoScalingGroupName);
  const inService = members.filter((m) => m.LifecycleState === 'InService' && m.HealthStatus === 'Healthy');
  if (members.some((m) => m.LifecycleState !== 'InService') || inService.length < g.DesiredCapacity) return wait(POLL_MS);
  // The batch is replaced: PauseTime runs from now.
  const pauseMs = Number(data.pauseMs ?? 0);
  if (pauseMs > 0) return wait(pauseMs, { pauseMs: 0, pauseUntil: now + pauseMs });
  const pauseUntil = Number(data.pauseUntil ?? 0);
  if (now < pauseUntil) return wait(pauseUntil - now);
  const old = inService.filter((m) => outdated(g, m as never));
  if (!old.length) return { done: true as const, data: { rolling: false, pauseUntil: 0, pauseMs: 0 } };
  const maxBatch = Math.max(1, Number(policy.MaxBatchSize ?? 1));
  const minInService = Number(policy.MinInstancesInService ?? 0);
  const batch = Math.max(1, Math.min(maxBatch, old.length, inService.length - minInService));
  for (const m of old.slice(0, batch)) call(rc, 'TerminateInstanceInAutoScalingGroup', { InstanceId: m.InstanceId, ShouldDecrementDesiredCapacity: false });
  // PauseTime (PT5M): AWS's default is none unless WaitOnResourceSignals.
  return wait(POLL_MS, { pauseMs: parseDuration(policy.PauseTime) ?? 0, pauseUntil: 0 });
}

const scalingPolicy: ResourceHandler = {
  type: 'AWS::AutoScaling::ScalingPolicy',
  create(props, rc) {
    const name = rc.physicalName({ maxLength: 255 });
    const arn = put(rc, name, props);
    return { physicalId: arn, data: { name } };
  },
  update(props, old, changed, rc) {
    if (changed.includes('AutoScalingGroupName')) throw new AwsError('NotUpdatable', 'A scaling policy cannot move to another group.');
    put(rc, String(old.data.name), props);
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeletePolicy', { AutoScalingGroupName: s.props.AutoScalingGroupName, PolicyName: s.data.name })),
  getAtt: (s, name) => attribute({ Arn: () => s.physicalId, PolicyName: () => s.data.name }, name, s),
};

function put(rc: ResourceContext, name: string, props: Props): string {
  const out = call(rc, 'PutScalingPolicy', {
    AutoScalingGroupName: props.AutoScalingGroupName,
    PolicyName: name,
    PolicyType: props.PolicyType,
    AdjustmentType: props.AdjustmentType,
    ScalingAdjustment: props.ScalingAdjustment,
    Cooldown: props.Cooldown,
    MinAdjustmentMagnitude: props.MinAdjustmentMagnitude,
    StepAdjustments: props.StepAdjustments,
    MetricAggregationType: props.MetricAggregationType,
    EstimatedInstanceWarmup: props.EstimatedInstanceWarmup,
    TargetTrackingConfiguration: props.TargetTrackingConfiguration,
  });
  return out.PolicyARN;
}

const scheduledAction: ResourceHandler = {
  type: 'AWS::AutoScaling::ScheduledAction',
  create(props, rc) {
    const name = rc.physicalName({ maxLength: 255 });
    putSchedule(rc, name, props);
    return { physicalId: name };
  },
  update(props, old, _changed, rc) {
    putSchedule(rc, old.physicalId, props);
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteScheduledAction', { AutoScalingGroupName: s.props.AutoScalingGroupName, ScheduledActionName: s.physicalId })),
};

function putSchedule(rc: ResourceContext, name: string, props: Props): void {
  call(rc, 'PutScheduledUpdateGroupAction', {
    AutoScalingGroupName: props.AutoScalingGroupName,
    ScheduledActionName: name,
    StartTime: props.StartTime,
    EndTime: props.EndTime,
    Recurrence: props.Recurrence,
    MinSize: props.MinSize,
    MaxSize: props.MaxSize,
    DesiredCapacity: props.DesiredCapacity,
    TimeZone: props.TimeZone,
  });
}

const lifecycleHook: ResourceHandler = {
  type: 'AWS::AutoScaling::LifecycleHook',
  create(props, rc) {
    const name = String(props.LifecycleHookName ?? rc.physicalName({ maxLength: 255 }));
    putHook(rc, name, props);
    return { physicalId: name };
  },
  update(props, old, _changed, rc) {
    putHook(rc, old.physicalId, props);
  },
  delete: (s, rc) => deleteWithRetry(s, rc.env.clock.now(), () => call(rc, 'DeleteLifecycleHook', { AutoScalingGroupName: s.props.AutoScalingGroupName, LifecycleHookName: s.physicalId })),
};

function putHook(rc: ResourceContext, name: string, props: Props): void {
  call(rc, 'PutLifecycleHook', {
    AutoScalingGroupName: props.AutoScalingGroupName,
    LifecycleHookName: name,
    LifecycleTransition: props.LifecycleTransition,
    HeartbeatTimeout: props.HeartbeatTimeout,
    DefaultResult: props.DefaultResult,
    NotificationMetadata: props.NotificationMetadata,
    NotificationTargetARN: props.NotificationTargetARN,
    RoleARN: props.RoleARN,
  });
}

/** A group's warm pool: Ref is the group's name; deleting it waits for its instances to go. */
const warmPool: ResourceHandler = {
  type: 'AWS::AutoScaling::WarmPool',
  create(props, rc) {
    putWarmPool(rc, props);
    return { physicalId: String(props.AutoScalingGroupName) };
  },
  update(props, _old, _changed, rc) {
    putWarmPool(rc, props);
  },
  delete(s, rc) {
    const g = groupOf(rc, s.physicalId);
    // A group being deleted takes its pool with it.
    if (!g?.warmPool || g.deleting) return DONE;
    if (!g.warmPool.Status) call(rc, 'DeleteWarmPool', { AutoScalingGroupName: s.physicalId, ForceDelete: true });
    return wait(POLL_MS);
  },
};

function putWarmPool(rc: ResourceContext, props: Props): void {
  const reuse = props.InstanceReusePolicy as Obj | undefined;
  call(rc, 'PutWarmPool', {
    AutoScalingGroupName: props.AutoScalingGroupName,
    MinSize: props.MinSize,
    MaxGroupPreparedCapacity: props.MaxGroupPreparedCapacity,
    PoolState: props.PoolState,
    InstanceReusePolicy: reuse ? { ReuseOnScaleIn: bool(reuse.ReuseOnScaleIn) } : undefined,
  });
}

export const autoscalingResources: ResourceHandler[] = [launchConfiguration, group, scalingPolicy, scheduledAction, lifecycleHook, warmPool];
