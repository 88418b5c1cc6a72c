/**
 * Launch configurations: immutable recipes for a group's instances. They are checked when made
 * (the image and key pair must exist) and used by the group loop through EC2's RunInstances.
 * A configuration a group uses cannot be deleted.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { uuid } from '../../core/ids.ts';
import { AwsError } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { findImage } from '../ec2/images.provider.ts';
import { instanceType } from '../ec2/instance-types.ts';
import { COLL as EC2, type InstanceRecord, type KeyPairRecord } from '../ec2/state.ts';
import { asErrors, pageOf } from './errors.ts';
import { COLL, launchConfigurationArn, type BlockDeviceMapping, type GroupRecord, type LaunchConfigurationRecord } from './state.ts';

export const MAX_LAUNCH_CONFIGURATIONS = 200;

interface CreateInput {
  LaunchConfigurationName: string;
  ImageId?: string;
  KeyName?: string;
  SecurityGroups?: string[];
  ClassicLinkVPCId?: string;
  ClassicLinkVPCSecurityGroups?: string[];
  UserData?: string;
  InstanceId?: string;
  InstanceType?: string;
  KernelId?: string;
  RamdiskId?: string;
  BlockDeviceMappings?: BlockDeviceMapping[];
  InstanceMonitoring?: { Enabled?: boolean };
  SpotPrice?: string;
  IamInstanceProfile?: string;
  EbsOptimized?: boolean;
  AssociatePublicIpAddress?: boolean;
  PlacementTenancy?: string;
  MetadataOptions?: { HttpTokens?: string; HttpPutResponseHopLimit?: number; HttpEndpoint?: string };
}

export function findLaunchConfiguration(ctx: RequestContext, name: string): DeepReadonly<LaunchConfigurationRecord> {
  const lc = ctx.env.store.get<LaunchConfigurationRecord>(COLL.launchConfigurations, ctx, name) as DeepReadonly<LaunchConfigurationRecord> | undefined;
  if (!lc) throw asErrors.launchConfigurationNotFound(name);
  return lc;
}

/** What a configuration made from an instance takes from it (CreateLaunchConfiguration with InstanceId). */
function fromInstance(ctx: RequestContext, id: string): Partial<CreateInput> {
  const inst = ctx.env.store.get<InstanceRecord>(EC2.instances, ctx, id);
  if (!inst || inst.State.Name === 'terminated') throw asErrors.validation(`Invalid instance id ${id}: the instance does not exist or is terminated.`);
  return {
    ImageId: inst.ImageId,
    InstanceType: inst.InstanceType,
    KeyName: inst.KeyName,
    SecurityGroups: inst.SecurityGroups.map((g) => g.GroupId),
    UserData: inst.userData,
    InstanceMonitoring: { Enabled: inst.Monitoring.State === 'enabled' },
    EbsOptimized: inst.EbsOptimized,
    ...(inst.IamInstanceProfile ? { IamInstanceProfile: inst.IamInstanceProfile.Arn } : {}),
  };
}

export const launchConfigurationHandlers = {
  CreateLaunchConfiguration(input: CreateInput, ctx: RequestContext) {
    const { env } = ctx;
    const name = input.LaunchConfigurationName;
    if (env.store.get(COLL.launchConfigurations, ctx, name)) {
      throw asErrors.alreadyExists(`Launch Configuration by this name already exists - A launch configuration already exists with the name ${name}`);
    }
    if (env.store.count(COLL.launchConfigurations, ctx) >= MAX_LAUNCH_CONFIGURATIONS) {
      throw asErrors.limitExceeded(`Max number of launch configurations reached for this account (${MAX_LAUNCH_CONFIGURATIONS}).`);
    }
    const base = input.InstanceId ? fromInstance(ctx, input.InstanceId) : {};
    const spec: CreateInput = { ...base, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) } as CreateInput;
    if (!spec.ImageId || !spec.InstanceType) {
      throw asErrors.validation('Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.');
    }
    try {
      findImage(ctx, spec.ImageId);
    } catch (e) {
      if (e instanceof AwsError) throw asErrors.validation(`AMI ${spec.ImageId} is invalid: ${e.message}`);
      throw e;
    }
    if (!instanceType(spec.InstanceType)) throw asErrors.validation(`Invalid instance type: ${spec.InstanceType}`);
    if (spec.KeyName !== undefined && !env.store.list<KeyPairRecord>(EC2.keyPairs, ctx).some((k) => k.KeyName === spec.KeyName)) {
      throw asErrors.validation(`The key pair '${spec.KeyName}' does not exist`);
    }
    if (spec.PlacementTenancy !== undefined && !['default', 'dedicated'].includes(spec.PlacementTenancy)) {
      throw asErrors.validation(`Invalid PlacementTenancy: ${spec.PlacementTenancy}. Valid values are default and dedicated.`);
    }
    const now = env.clock.now();
    const rec: LaunchConfigurationRecord = {
      LaunchConfigurationName: name,
      LaunchConfigurationARN: launchConfigurationArn(ctx, uuid(), name),
      ImageId: spec.ImageId,
      ...(spec.KeyName !== undefined ? { KeyName: spec.KeyName } : {}),
      SecurityGroups: spec.SecurityGroups ?? [],
      ClassicLinkVPCSecurityGroups: [],
      ...(spec.UserData !== undefined ? { UserData: spec.UserData } : {}),
      InstanceType: spec.InstanceType,
      ...(spec.KernelId !== undefined ? { KernelId: spec.KernelId } : {}),
      ...(spec.RamdiskId !== undefined ? { RamdiskId: spec.RamdiskId } : {}),
      BlockDeviceMappings: spec.BlockDeviceMappings ?? [],
      // Detailed monitoring is on unless the request turns it off.
      InstanceMonitoring: { Enabled: spec.InstanceMonitoring?.Enabled ?? true },
      ...(spec.SpotPrice !== undefined ? { SpotPrice: spec.SpotPrice } : {}),
      ...(spec.IamInstanceProfile !== undefined ? { IamInstanceProfile: spec.IamInstanceProfile } : {}),
      CreatedTime: new Date(now).toISOString(),
      EbsOptimized: spec.EbsOptimized ?? false,
      ...(spec.AssociatePublicIpAddress !== undefined ? { AssociatePublicIpAddress: spec.AssociatePublicIpAddress } : {}),
      ...(spec.PlacementTenancy !== undefined ? { PlacementTenancy: spec.PlacementTenancy } : {}),
      ...(spec.MetadataOptions !== undefined ? { MetadataOptions: spec.MetadataOptions } : {}),
      createdAt: now,
    };
    env.store.put(COLL.launchConfigurations, ctx, name, rec);
    return {};
  },

  DescribeLaunchConfigurations(input: { LaunchConfigurationNames?: string[]; MaxRecords?: number; NextToken?: string }, ctx: RequestContext) {
    let list = ctx.env.store.list<LaunchConfigurationRecord>(COLL.launchConfigurations, ctx);
    if (input.LaunchConfigurationNames?.length) list = list.filter((l) => input.LaunchConfigurationNames!.includes(l.LaunchConfigurationName));
    const sorted = [...list].sort((a, b) => a.LaunchConfigurationName.localeCompare(b.LaunchConfigurationName));
    const { items, NextToken } = pageOf(sorted, input.NextToken, input.MaxRecords, 50, 100);
    return { LaunchConfigurations: items, NextToken };
  },

  DeleteLaunchConfiguration(input: { LaunchConfigurationName: string }, ctx: RequestContext) {
    findLaunchConfiguration(ctx, input.LaunchConfigurationName);
    const user = ctx.env.store.list<GroupRecord>(COLL.groups, ctx).find((g) => g.LaunchConfigurationName === input.LaunchConfigurationName);
    if (user) {
      throw asErrors.resourceInUse(`Cannot delete launch configuration ${input.LaunchConfigurationName} because it is attached to AutoScalingGroup ${user.AutoScalingGroupName}`);
    }
    ctx.env.store.delete(COLL.launchConfigurations, ctx, input.LaunchConfigurationName);
    return {};
  },
};
