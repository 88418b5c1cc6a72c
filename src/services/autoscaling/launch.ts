/**
 * How a group starts and stops instances: through EC2's own RunInstances and TerminateInstances
 * handlers, so that an instance a group launches is exactly what the API would launch, and a zone
 * without a usable host answers InsufficientInstanceCapacity as it would to a user.
 *
 * The request comes from the launch configuration (image, type, key, groups, user data, block
 * devices, monitoring, profile, public IP) or from the launch template version (RunInstances
 * applies it), with the group's subnet, its placement group and its tags that propagate at launch;
 * EC2 then places the instance as the placement group's strategy says, or refuses as it would. EC2 then shows the
 * `aws:autoscaling:groupName` tag on the instance, which EC2's metrics use for the group's
 * aggregate and which users filter on.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { capacityRefused } from '../../world/faults.ts';
import { instanceHandlers, insufficientCapacity } from '../ec2/instances.provider.ts';
import { resolveLaunchTemplate } from '../ec2/launch-templates.provider.ts';
import { loopContext } from '../ec2/scoped.ts';
import { COLL as EC2, type InstanceRecord } from '../ec2/state.ts';
import { COLL, type GroupRecord, type LaunchConfigurationRecord, type LaunchTemplateSpec, type MemberRecord } from './state.ts';

export const GROUP_TAG = 'aws:autoscaling:groupName';

/** EC2's refusals that hold for one zone (and type) only: no capacity, or a type the zone does not offer. */
export const ZONAL_REFUSALS: ReadonlySet<string> = new Set(['InsufficientInstanceCapacity', 'Unsupported']);

/** botocore and the CLI base64-encode launch configuration user data; a plain string from elsewhere is encoded here. */
function base64UserData(s: string): string {
  const looksEncoded = s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s) && Buffer.from(s, 'base64').toString('base64') === s;
  return looksEncoded ? s : Buffer.from(s).toString('base64');
}

export interface Launched {
  instanceId: string;
  imageId: string;
  instanceType: string;
  zoneId?: string;
  launchConfigurationName?: string;
  launchTemplate?: MemberRecord['LaunchTemplate'];
}

/** The member record of an instance the group launched (`weight`, `spot`: a mixed instances group's launch). */
export function newMember(
  group: DeepReadonly<GroupRecord>,
  l: Launched & { weight?: number; spot?: boolean },
  at: { zone: string; subnetId: string | undefined; now: number; activityId: string },
  LifecycleState: MemberRecord['LifecycleState'],
): MemberRecord {
  return {
    InstanceId: l.instanceId,
    AutoScalingGroupName: group.AutoScalingGroupName,
    AvailabilityZone: at.zone,
    ...(l.zoneId ? { AvailabilityZoneId: l.zoneId } : {}),
    LifecycleState,
    HealthStatus: 'Healthy',
    ProtectedFromScaleIn: group.NewInstancesProtectedFromScaleIn,
    InstanceType: l.instanceType,
    ImageId: l.imageId,
    ...(l.launchConfigurationName ? { LaunchConfigurationName: l.launchConfigurationName } : {}),
    ...(l.launchTemplate ? { LaunchTemplate: l.launchTemplate } : {}),
    ...(l.weight !== undefined ? { WeightedCapacity: String(l.weight), ...(l.spot ? { spot: true } : {}) } : {}),
    subnetId: at.subnetId,
    launchedAt: at.now,
    launchActivityId: at.activityId,
  };
}

function propagatedTags(group: DeepReadonly<GroupRecord>) {
  const tags = group.Tags.filter((t) => t.PropagateAtLaunch).map((t) => ({ Key: t.Key, Value: t.Value }));
  return tags.length ? [{ ResourceType: 'instance', Tags: tags }] : undefined;
}

/** The group's placement group, which goes over the launch template's (an empty name is none). */
const groupPlacement = (group: DeepReadonly<GroupRecord>) => (group.PlacementGroup ? { GroupName: group.PlacementGroup, GroupId: undefined } : {});

function fromLaunchConfiguration(lc: DeepReadonly<LaunchConfigurationRecord>, group: DeepReadonly<GroupRecord>, subnetId: string | undefined, zone: string) {
  const ids = lc.SecurityGroups.filter((g) => g.startsWith('sg-'));
  const names = lc.SecurityGroups.filter((g) => !g.startsWith('sg-'));
  const network =
    lc.AssociatePublicIpAddress !== undefined && subnetId
      ? { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnetId, Groups: ids, AssociatePublicIpAddress: lc.AssociatePublicIpAddress, DeleteOnTermination: true }] }
      : { SubnetId: subnetId, SecurityGroupIds: ids.length ? ids : undefined, SecurityGroups: names.length ? names : undefined };
  return {
    ImageId: lc.ImageId,
    InstanceType: lc.InstanceType,
    KeyName: lc.KeyName,
    UserData: lc.UserData !== undefined ? base64UserData(lc.UserData) : undefined,
    Monitoring: { Enabled: lc.InstanceMonitoring.Enabled },
    EbsOptimized: lc.EbsOptimized,
    IamInstanceProfile: lc.IamInstanceProfile ? (lc.IamInstanceProfile.startsWith('arn:') ? { Arn: lc.IamInstanceProfile } : { Name: lc.IamInstanceProfile }) : undefined,
    BlockDeviceMappings: lc.BlockDeviceMappings.length
      ? lc.BlockDeviceMappings.map((b) => ({
          DeviceName: b.DeviceName,
          ...(b.VirtualName ? { VirtualName: b.VirtualName } : {}),
          ...(b.NoDevice ? { NoDevice: '' } : {}),
          // Auto Scaling's mappings delete their volumes with the instance unless told otherwise.
          ...(b.Ebs ? { Ebs: { ...b.Ebs, DeleteOnTermination: b.Ebs.DeleteOnTermination ?? true } } : {}),
        }))
      : undefined,
    MetadataOptions: lc.MetadataOptions as never,
    Placement: { ...(subnetId ? {} : { AvailabilityZone: zone }), ...(lc.PlacementTenancy ? { Tenancy: lc.PlacementTenancy } : {}), ...groupPlacement(group) },
    ...network,
  };
}

/** A mixed instances group's pick (mixed-instances.ts): the template, the type over the template's, and Spot. */
export interface LaunchChoice {
  template: DeepReadonly<LaunchTemplateSpec>;
  instanceType?: string;
  spot?: { maxPrice?: string };
}

/**
 * Launches one instance for the group into `subnetId` (in `zone`), as the group's launch
 * configuration or template says, or as `choice` says for a mixed instances group. Throws EC2's
 * AwsError when EC2 refuses (no capacity, a bad image, a deleted template...), having written nothing.
 */
export function launchInstance(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>, subnetId: string | undefined, zone: string, choice?: LaunchChoice): Launched {
  const ctx = loopContext(env, scope);
  const tags = propagatedTags(group);
  let request: Record<string, unknown>;
  let launchConfigurationName: string | undefined;
  let launchTemplate: Launched['launchTemplate'];
  let instanceType: string | undefined;
  if (group.LaunchConfigurationName) {
    const lc = env.store.get<LaunchConfigurationRecord>(COLL.launchConfigurations, scope, group.LaunchConfigurationName);
    if (!lc) throw new AwsError('ValidationError', `Launch configuration ${group.LaunchConfigurationName} not found.`);
    launchConfigurationName = lc.LaunchConfigurationName;
    instanceType = lc.InstanceType;
    request = { ...fromLaunchConfiguration(lc as DeepReadonly<LaunchConfigurationRecord>, group, subnetId, zone), TagSpecifications: tags };
  } else {
    // The group keeps both the id and the name for DescribeAutoScalingGroups; the id is what identifies it.
    const spec = choice?.template ?? group.LaunchTemplate ?? {};
    const { template, version } = resolveLaunchTemplate(ctx, spec.LaunchTemplateId ? { LaunchTemplateId: spec.LaunchTemplateId, Version: spec.Version } : spec);
    launchTemplate = { LaunchTemplateId: template.LaunchTemplateId, LaunchTemplateName: template.LaunchTemplateName, Version: String(version.VersionNumber) };
    instanceType = choice?.instanceType ?? version.LaunchTemplateData.InstanceType;
    const nics = version.LaunchTemplateData.NetworkInterfaces;
    // The group's subnet goes where the template puts the network: into its primary interface if it has one.
    const network = nics?.length ? { NetworkInterfaces: nics.map((n, i) => (i === 0 ? { ...n, SubnetId: subnetId } : n)) } : subnetId ? { SubnetId: subnetId } : {};
    // RunInstances merges this Placement over the template's.
    const placement = { ...(subnetId ? {} : { AvailabilityZone: zone }), ...groupPlacement(group) };
    request = {
      LaunchTemplate: { LaunchTemplateId: template.LaunchTemplateId, Version: String(version.VersionNumber) },
      ...network,
      ...(Object.keys(placement).length ? { Placement: placement } : {}),
      TagSpecifications: tags,
      ...(choice?.instanceType ? { InstanceType: choice.instanceType } : {}),
      ...(choice?.spot ? { InstanceMarketOptions: { MarketType: 'spot', ...(choice.spot.maxPrice ? { SpotOptions: { MaxPrice: choice.spot.maxPrice } } : {}) } } : {}),
    };
  }
  // A capacity fault on this group's launches in the zone (FIS's asg-insufficient-instance-capacity-error).
  const type = instanceType ?? 'm1.small';
  if (capacityRefused(env, scope.region, zone, type, { account: scope.account, group: group.AutoScalingGroupName })) throw insufficientCapacity(ctx, type, zone);
  const reservation = instanceHandlers.RunInstances({ ...request, MinCount: 1, MaxCount: 1 } as Parameters<typeof instanceHandlers.RunInstances>[0], ctx);
  const inst = reservation.Instances[0];
  // EC2 refuses `aws:` tags from users; the group's tag is EC2's own, so it is written directly.
  const rec = env.store.mutable<InstanceRecord>(EC2.instances, scope, inst.InstanceId)!;
  rec.Tags = [...rec.Tags.filter((t) => t.Key !== GROUP_TAG), { Key: GROUP_TAG, Value: group.AutoScalingGroupName }];
  env.store.put(EC2.instances, scope, rec.InstanceId, rec);
  return {
    instanceId: inst.InstanceId,
    imageId: inst.ImageId,
    instanceType: inst.InstanceType,
    zoneId: inst.Placement.AvailabilityZoneId,
    launchConfigurationName,
    launchTemplate,
  };
}

/**
 * Terminates an instance through EC2. A group terminates regardless of the instance's
 * termination protection (AWS documents that protection does not stop Auto Scaling).
 * Returns false when the instance is already gone.
 */
export function terminateInstance(env: Env, scope: Scope, instanceId: string): boolean {
  const rec = env.store.mutable<InstanceRecord>(EC2.instances, scope, instanceId);
  if (!rec) return false;
  if (rec.State.Name === 'terminated' || rec.State.Name === 'shutting-down') return true;
  if (rec.disableApiTermination) {
    rec.disableApiTermination = false;
    env.store.put(EC2.instances, scope, instanceId, rec);
  }
  instanceHandlers.TerminateInstances({ InstanceIds: [instanceId] }, loopContext(env, scope));
  return true;
}

/** EC2's record of an instance, if it still exists. */
export const ec2Instance = (env: Env, scope: Scope, id: string) => env.store.get<InstanceRecord>(EC2.instances, scope, id);

/** Takes the group's tag off an instance that leaves the group (detach). */
export function untagInstance(env: Env, scope: Scope, instanceId: string): void {
  const rec = env.store.mutable<InstanceRecord>(EC2.instances, scope, instanceId);
  if (!rec || !rec.Tags.some((t) => t.Key === GROUP_TAG)) return;
  rec.Tags = rec.Tags.filter((t) => t.Key !== GROUP_TAG);
  env.store.put(EC2.instances, scope, instanceId, rec);
}

/** Puts the group's tag on an instance that joins the group (attach). */
export function tagInstance(env: Env, scope: Scope, instanceId: string, group: string): void {
  const rec = env.store.mutable<InstanceRecord>(EC2.instances, scope, instanceId);
  if (!rec) return;
  rec.Tags = [...rec.Tags.filter((t) => t.Key !== GROUP_TAG), { Key: GROUP_TAG, Value: group }];
  env.store.put(EC2.instances, scope, instanceId, rec);
}
