/**
 * FIS's scenario library, as templates a user instantiates: "AZ Availability: Power Interruption"
 * composed as AWS composes it (FIS user guide, "AZ Availability: Power Interruption"): the same
 * action names, tag key and values, filters, parameters and startAfter, empty targets skipped,
 * no stop condition. It keeps the actions faultline runs and names in its description those it
 * leaves out, for services faultline does not serve yet. The output is CreateExperimentTemplate's
 * input, so `aws fis create-experiment-template --cli-input-json` takes it as it is.
 */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { durationBetween } from './duration.ts';
import { MAX_RESOURCE_ARNS } from './validate.ts';
import { validation, type Tags, type TemplateBody } from './state.ts';
import { zoneNamed } from '../ec2/regions.provider.ts';
import { ROLE_ARN } from '../../world/faults.ts';

export interface PowerInterruptionOptions {
  /** The zone, by name or AZ ID. */
  az: string;
  /** How long the power stays off: instances restart, launches and the paused volume's I/O resume after it (default PT30M). */
  duration?: string;
  /** The experiment's IAM role (default: `fis-az-power-interruption` in the scope's account). */
  roleArn?: string;
  /** The IAM roles whose RunInstances and StartInstances fail in the zone (Pause-Instance-Launches); without any, that action is left out. */
  launchRoles?: string[];
}

export const TAG_KEY = 'AzImpairmentPower';
/** How long the subnets stay cut off, as in AWS's scenario. */
const CONNECTIVITY_DURATION = 'PT2M';
const LEFT_OUT =
  'faultline leaves out Failover-RDS (aws:rds:failover-db-cluster), Pause-ElastiCache (aws:elasticache:replicationgroup-interrupt-az-power) and Start-ARC-Zonal-Autoshift (aws:arc:start-zonal-autoshift): it does not serve RDS, ElastiCache or ARC yet.';

export function azPowerInterruption(env: Env, scope: Scope, o: PowerInterruptionOptions): TemplateBody & { tags: Tags } {
  const az = zoneNamed(env.config, scope.region, o.az);
  if (!az) throw validation(`There is no Availability Zone ${o.az} in ${scope.region}.`);
  const duration = o.duration ?? 'PT30M';
  const bad = durationBetween(60_000, 'PT1M')(duration);
  if (bad) throw validation(`The duration ${bad}.`);
  const roleArn = o.roleArn ?? `arn:aws:iam::${scope.account}:role/fis-az-power-interruption`;
  const launchRoles = o.launchRoles ?? [];
  for (const arn of [roleArn, ...launchRoles]) if (!ROLE_ARN.test(arn)) throw validation(`${arn} is not the ARN of an IAM role.`);
  if (launchRoles.length > MAX_RESOURCE_ARNS) throw validation(`At most ${MAX_RESOURCE_ARNS} launch roles can be given.`);

  const inZone = (value: string) => ({
    resourceType: 'aws:ec2:instance',
    resourceTags: { [TAG_KEY]: value },
    filters: [
      { path: 'State.Name', values: ['running'] },
      { path: 'Placement.AvailabilityZone', values: [az] },
    ],
    selectionMode: 'ALL',
  });
  const stop = (targets: string) => ({
    actionId: 'aws:ec2:stop-instances',
    parameters: { startInstancesAfterDuration: duration, completeIfInstancesTerminated: 'true' },
    targets: { Instances: targets },
  });
  const capacity = { availabilityZoneIdentifiers: az, duration, percentage: '100' };
  const targets: TemplateBody['targets'] = {
    'EC2-Instances': inZone('StopInstances'),
    'ASG-EC2-Instances': inZone('IceAsg'),
    ASG: { resourceType: 'aws:ec2:autoscaling-group', resourceTags: { [TAG_KEY]: 'IceAsg' }, selectionMode: 'ALL' },
    'EC2-Subnet': { resourceType: 'aws:ec2:subnet', resourceTags: { [TAG_KEY]: 'DisruptSubnet' }, filters: [{ path: 'AvailabilityZone', values: [az] }], selectionMode: 'ALL' },
    'EBS-Volumes': {
      resourceType: 'aws:ec2:ebs-volume',
      resourceTags: { [TAG_KEY]: 'ApiPauseVolume' },
      filters: [{ path: 'Attachments.DeleteOnTermination', values: ['false'] }],
      parameters: { availabilityZoneIdentifier: az },
      selectionMode: 'COUNT(1)',
    },
  };
  const actions: TemplateBody['actions'] = {
    'Stop-Instances': stop('EC2-Instances'),
    'Stop-ASG-Instances': stop('ASG-EC2-Instances'),
    'Pause-ASG-Scaling': { actionId: 'aws:ec2:asg-insufficient-instance-capacity-error', parameters: capacity, targets: { AutoScalingGroups: 'ASG' } },
    'Pause-network-connectivity': { actionId: 'aws:network:disrupt-connectivity', parameters: { duration: CONNECTIVITY_DURATION, scope: 'all' }, targets: { Subnets: 'EC2-Subnet' } },
    'Pause-EBS-IO': { actionId: 'aws:ebs:pause-volume-io', parameters: { duration }, targets: { Volumes: 'EBS-Volumes' }, startAfter: ['Stop-Instances', 'Stop-ASG-Instances'] },
  };
  let launches = '';
  if (launchRoles.length) {
    targets['IAM-role'] = { resourceType: 'aws:iam:role', resourceArns: launchRoles, selectionMode: 'ALL' };
    actions['Pause-Instance-Launches'] = { actionId: 'aws:ec2:api-insufficient-instance-capacity-error', parameters: capacity, targets: { Roles: 'IAM-role' } };
  } else {
    launches = ' Pause-Instance-Launches is left out too: it needs the ARNs of the roles that launch instances.';
  }
  return {
    description: `Approximate a power interruption in ${az}: stop its tagged instances, fail launches there, cut off its subnets and pause a volume's I/O. ${LEFT_OUT}${launches}`,
    targets,
    actions,
    stopConditions: [{ source: 'none' }],
    roleArn,
    tags: { Name: `AZ Impairment: Power Interruption (${az})` },
    experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'skip' },
  };
}
