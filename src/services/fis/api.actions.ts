/**
 * FIS's actions on what the API answers: errors injected into the EC2 calls of chosen IAM roles,
 * and InsufficientInstanceCapacity for launches in chosen zones, by roles or by Auto Scaling
 * groups. Each is one world fault for the action's targets, healed by the action's end: when its
 * duration is over, or earlier when the experiment stops or fails.
 */
import { injectFault, splitList } from '../../world/faults.ts';
import { models } from '../../models/index.ts';
import { COLL as GROUPS, type GroupRecord } from '../autoscaling/state.ts';
import { ActionFailed, type ActionSpec } from './action.ts';
import { durationOf, durationParameter, healAll, percentage, rateOf, zoneIdentifiers, zonesOf } from './fault-params.ts';

const ROLES = { key: 'Roles', resourceType: 'aws:iam:role' };
const duration = durationParameter(true, 60_000, 'PT1M');
/** FIS's API error actions also take `kinesis`; faultline serves no Kinesis, so only `ec2` is taken. */
const SERVED = ['ec2'];

function apiError(kind: string, errorCode: string): ActionSpec {
  return {
    id: `aws:fis:inject-api-${kind}-error`,
    description: `Inject ${kind} errors into the requests made by the target IAM roles (EC2 answers ${errorCode}).`,
    target: ROLES,
    parameters: {
      duration,
      service: {
        description: 'The API namespace of the calls that fail: ec2.',
        required: true,
        check: (v) => (SERVED.includes(v) ? undefined : v === 'kinesis' ? 'kinesis is not supported: faultline does not serve Kinesis; use ec2' : `must be ec2, not ${v}`),
      },
      operations: {
        description: 'The operations whose calls fail, separated by commas (for example DescribeInstances,RunInstances).',
        required: true,
        check: (v) => {
          const unknown = splitList(v).filter((op) => !Object.hasOwn(models.ec2.operations, op));
          return unknown.length ? `names no EC2 operation: ${unknown.join(', ')}` : undefined;
        },
      },
      percentage: { ...percentage, required: true, description: 'The percentage of calls that fail (1 to 100).' },
    },
    duration: durationOf,
    start(run) {
      const fault = injectFault(run.env, {
        kind: 'api',
        target: run.parameters.service,
        operation: splitList(run.parameters.operations).join(','),
        errorCode,
        rate: rateOf(run.parameters),
        roles: [...run.targets],
        region: run.scope.region,
      });
      return { faultIds: [fault.faultId] };
    },
    end: healAll,
  };
}

const capacityParameters = { availabilityZoneIdentifiers: zoneIdentifiers, duration, percentage };

const apiCapacityError: ActionSpec = {
  id: 'aws:ec2:api-insufficient-instance-capacity-error',
  description: 'Return InsufficientInstanceCapacity to the RunInstances and StartInstances calls that the target IAM roles make in the given Availability Zones.',
  target: { ...ROLES, arnsOnly: true },
  parameters: capacityParameters,
  duration: durationOf,
  start(run) {
    const fault = injectFault(run.env, {
      kind: 'capacity',
      target: zonesOf(run).join(','),
      roles: [...run.targets],
      rate: rateOf(run.parameters),
      region: run.scope.region,
    });
    return { faultIds: [fault.faultId] };
  },
  end: healAll,
};

const GROUP_NAME = ':autoScalingGroupName/';

const asgCapacityError: ActionSpec = {
  id: 'aws:ec2:asg-insufficient-instance-capacity-error',
  description: 'Fail the launches of the target Auto Scaling groups in the given Availability Zones with InsufficientInstanceCapacity; the groups launch in their other zones. The groups must use launch templates.',
  target: { key: 'AutoScalingGroups', resourceType: 'aws:ec2:autoscaling-group' },
  parameters: capacityParameters,
  duration: durationOf,
  start(run) {
    const groups = run.targets.map((arn) => arn.slice(arn.indexOf(GROUP_NAME) + GROUP_NAME.length));
    // FIS acts on launch-template groups only; a group with a launch configuration is a target it cannot act on.
    const configured = groups.filter((name) => run.env.store.get<GroupRecord>(GROUPS.groups, run.scope, name)?.LaunchConfigurationName);
    if (configured.length) throw new ActionFailed('InvalidTarget', `Auto Scaling groups ${configured.join(', ')} use a launch configuration; the action supports groups with a launch template only.`);
    const fault = injectFault(run.env, {
      kind: 'capacity',
      target: zonesOf(run).join(','),
      groups,
      account: run.scope.account,
      rate: rateOf(run.parameters),
      region: run.scope.region,
    });
    return { faultIds: [fault.faultId] };
  },
  end: healAll,
};

export const apiActions: ActionSpec[] = [apiError('internal', 'InternalError'), apiError('throttle', 'RequestLimitExceeded'), apiError('unavailable', 'Unavailable'), apiCapacityError, asgCapacityError];
