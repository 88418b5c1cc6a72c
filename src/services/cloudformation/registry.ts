/**
 * The resource handlers the engine knows, listed explicitly (DESIGN.md principle 7), each from
 * its service's *.cfn.ts; and the lookups for parameters of AWS-specific types.
 */
import type { EngineDeps } from '../../cloudformation/evaluation.ts';
import { zonesOfRegion } from '../../cloudformation/evaluation.ts';
import type { ResourceHandler } from '../../cloudformation/resource-handler.ts';
import type { RuleLookups } from '../../cloudformation/rules.ts';
import type { RequestContext } from '../service.ts';
import { COLL, type SecurityGroupRecord, type SubnetRecord, type VpcRecord } from '../ec2/state.ts';
import { findImage } from '../ec2/images.provider.ts';
import { ec2NetworkResources } from '../ec2/network.cfn.ts';
import { ec2ComputeResources } from '../ec2/compute.cfn.ts';
import { iamResources } from '../iam/iam.cfn.ts';
import { cloudwatchResources } from '../cloudwatch/alarms.cfn.ts';
import { s3Resources } from '../s3/buckets.cfn.ts';
import { snsResources } from '../sns/topics.cfn.ts';
import { s3PolicyResources } from '../s3/bucket-policy.cfn.ts';
import { snsPolicyResources } from '../sns/topic-policy.cfn.ts';
import { waitConditionResources } from './wait-conditions.cfn.ts';
import { cdkMetadataResources } from './cdk-metadata.cfn.ts';
import { nestedStackResources } from './nested-stacks.cfn.ts';
import { CUSTOM_RESOURCE, customResources } from './custom-resources.cfn.ts';
import { autoscalingResources } from '../autoscaling/autoscaling.cfn.ts';
import { launchTemplateResources } from '../ec2/launch-templates.cfn.ts';
import { placementResources } from '../ec2/placement.cfn.ts';
import { connectivityResources } from '../ec2/connectivity.cfn.ts';
import { securityGroupRuleResources } from '../ec2/security-group-rules.cfn.ts';
import { classicResources } from '../elb/classic.cfn.ts';
import { elbv2Resources } from '../elb/v2.cfn.ts';
import { route53Resources } from '../route53/route53.cfn.ts';
import { route53HealthCheckResources } from '../route53/health-check.cfn.ts';
import { zone } from '../route53/state.ts';
import { rdsResources } from '../rds/rds.cfn.ts';
import { ecrResources } from '../ecr/ecr.cfn.ts';
import { kmsResources } from '../kms/kms.cfn.ts';
import { ssmResources } from '../ssm/ssm.cfn.ts';
import { storedParameter } from '../ssm/read.ts';

const handlers: ResourceHandler[] = [...ec2NetworkResources, ...ec2ComputeResources, ...iamResources, ...cloudwatchResources, ...s3Resources, ...s3PolicyResources, ...snsResources, ...snsPolicyResources, ...waitConditionResources, ...autoscalingResources, ...launchTemplateResources, ...placementResources, ...connectivityResources, ...securityGroupRuleResources, ...classicResources, ...elbv2Resources, ...route53Resources, ...route53HealthCheckResources, ...rdsResources, ...ecrResources, ...kmsResources, ...ssmResources];

function parameterResourceExists(ctx: RequestContext, awsType: string, value: string): boolean {
  const { store } = ctx.env;
  const has = (coll: string, pred: (r: Record<string, unknown>) => boolean) => store.list<Record<string, unknown>>(coll, ctx).some((r) => pred(r as Record<string, unknown>));
  switch (awsType) {
    case 'AWS::EC2::KeyPair::KeyName':
      return has(COLL.keyPairs, (k) => k.KeyName === value);
    case 'AWS::EC2::AvailabilityZone::Name':
      return zonesOfRegion(ctx.env, ctx.region).includes(value);
    case 'AWS::EC2::Image::Id':
      return builtinImageExists(ctx, value);
    case 'AWS::EC2::Instance::Id':
      return has(COLL.instances, (i) => i.InstanceId === value);
    case 'AWS::EC2::SecurityGroup::GroupName':
      return has(COLL.securityGroups, (g) => g.GroupName === value);
    case 'AWS::EC2::SecurityGroup::Id':
      return has(COLL.securityGroups, (g) => g.GroupId === value);
    case 'AWS::EC2::Subnet::Id':
      return has(COLL.subnets, (s) => s.SubnetId === value);
    case 'AWS::EC2::Volume::Id':
      return has(COLL.volumes, (v) => v.VolumeId === value);
    case 'AWS::EC2::VPC::Id':
      return has(COLL.vpcs, (v) => v.VpcId === value);
    case 'AWS::Route53::HostedZone::Id':
      return zone(store, ctx.account, value) !== undefined;
    default:
      return false;
  }
}

function builtinImageExists(ctx: RequestContext, id: string): boolean {
  try {
    findImage(ctx, id);
    return true;
  } catch {
    return false;
  }
}

/** Every value of an AWS-specific parameter type in the account and region, for Fn::RefAll. */
function allOfType(ctx: RequestContext, awsType: string): string[] {
  const { store } = ctx.env;
  const ids = <T>(coll: string, id: (r: T) => string) => store.list<T>(coll, ctx).map((r) => id(r as T));
  switch (awsType) {
    case 'AWS::EC2::KeyPair::KeyName':
      return ids<{ KeyName: string }>(COLL.keyPairs, (k) => k.KeyName);
    case 'AWS::EC2::AvailabilityZone::Name':
      return zonesOfRegion(ctx.env, ctx.region);
    case 'AWS::EC2::Instance::Id':
      return ids<{ InstanceId: string }>(COLL.instances, (i) => i.InstanceId);
    case 'AWS::EC2::SecurityGroup::GroupName':
      return ids<SecurityGroupRecord>(COLL.securityGroups, (g) => g.GroupName);
    case 'AWS::EC2::SecurityGroup::Id':
      return ids<SecurityGroupRecord>(COLL.securityGroups, (g) => g.GroupId);
    case 'AWS::EC2::Subnet::Id':
      return ids<SubnetRecord>(COLL.subnets, (s) => s.SubnetId);
    case 'AWS::EC2::Volume::Id':
      return ids<{ VolumeId: string }>(COLL.volumes, (v) => v.VolumeId);
    case 'AWS::EC2::VPC::Id':
      return ids<VpcRecord>(COLL.vpcs, (v) => v.VpcId);
    default:
      return [];
  }
}

/** An attribute of a VPC, subnet or security group, for Fn::ValueOf; null for a tag it does not have. */
function attributeOf(ctx: RequestContext, awsType: string, id: string, attribute: string): string | null | undefined {
  const { store } = ctx.env;
  const find = <T>(coll: string, pred: (r: T) => boolean) => store.list<T>(coll, ctx).find((r) => pred(r as T)) as T | undefined;
  const record =
    awsType === 'AWS::EC2::VPC::Id' ? find<VpcRecord>(COLL.vpcs, (v) => v.VpcId === id)
    : awsType === 'AWS::EC2::Subnet::Id' ? find<SubnetRecord>(COLL.subnets, (s) => s.SubnetId === id)
    : awsType === 'AWS::EC2::SecurityGroup::Id' ? find<SecurityGroupRecord>(COLL.securityGroups, (g) => g.GroupId === id)
    : undefined;
  if (!record) return undefined;
  if (attribute.startsWith('Tags.')) return record.Tags.find((t) => t.Key === attribute.slice(5))?.Value ?? null;
  switch (attribute) {
    case 'DefaultNetworkAcl':
      return (record as VpcRecord).defaultNetworkAclId ?? null;
    case 'DefaultSecurityGroup':
      return (record as VpcRecord).defaultSecurityGroupId ?? null;
    case 'AvailabilityZone':
      return (record as SubnetRecord).AvailabilityZone;
    case 'VpcId':
      return (record as SubnetRecord).VpcId;
    default:
      return null;
  }
}

/** CloudFormation's own types that CDK apps use (nested stacks among them). */
const cdkResources: ResourceHandler[] = [...cdkMetadataResources, ...customResources, ...nestedStackResources];

/** Handlers by type; every `Custom::` type is a custom resource. */
class HandlerMap extends Map<string, ResourceHandler> {
  override get(type: string): ResourceHandler | undefined {
    return super.get(type) ?? (type.startsWith('Custom::') ? super.get(CUSTOM_RESOURCE) : undefined);
  }
}

export const engineDeps: EngineDeps = {
  handlers: new HandlerMap([...handlers, ...cdkResources].map((h) => [h.type, h])),
  parameterResourceExists,
  ruleLookups: (ctx): RuleLookups => ({ all: (type) => allOfType(ctx, type), attribute: (type, id, attr) => attributeOf(ctx, type, id, attr) }),
  readParameter: (ctx, selector) => storedParameter(ctx.env, ctx, selector),
};
