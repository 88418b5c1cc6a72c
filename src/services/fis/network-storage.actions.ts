/**
 * FIS's network and storage actions, on faultline's world faults: a subnet's connectivity cut by
 * a network ACL swapped in (as FIS does it), and an EBS volume's I/O paused. Each heals when the
 * action's duration is over, or earlier when the experiment stops or fails.
 */
import { injectFault } from '../../world/faults.ts';
import { COLL, type VolumeRecord } from '../ec2/state.ts';
import { ActionFailed, type ActionSpec } from './action.ts';
import { durationOf, durationParameter, healAll, targetIds } from './fault-params.ts';

/** FIS's scopes of a connectivity disruption; faultline's subnet fault cuts `all` only. */
const AWS_SCOPES = ['all', 'availability-zone', 'dynamodb', 'prefix-list', 's3', 's3express', 'vpc'];

export const disruptConnectivity: ActionSpec = {
  id: 'aws:network:disrupt-connectivity',
  description: 'Deny traffic into and out of the target subnets, by associating them with a network ACL that denies it.',
  target: { key: 'Subnets', resourceType: 'aws:ec2:subnet' },
  parameters: {
    duration: durationParameter(true, 60_000, 'PT1M'),
    scope: {
      description: 'What traffic is denied: all (everything in and out of the subnet; the default). faultline does not emulate the other scopes.',
      required: false,
      check: (v) =>
        v === 'all'
          ? undefined
          : AWS_SCOPES.includes(v)
            ? `${v} is not supported by faultline, which disrupts connectivity with scope all only`
            : `must be one of ${AWS_SCOPES.join(', ')}, not ${v}`,
    },
    prefixListIdentifier: {
      description: 'The customer-managed prefix list, for scope prefix-list (not supported by faultline).',
      required: false,
      check: () => 'is used only with scope prefix-list, which faultline does not support',
    },
  },
  duration: durationOf,
  start(run) {
    const faultIds = targetIds(run).map(
      (subnet) =>
        injectFault(run.env, { kind: 'subnet', target: subnet, scope: 'all', account: run.scope.account, region: run.scope.region }).faultId,
    );
    return { faultIds };
  },
  end: healAll,
};

export const pauseVolumeIo: ActionSpec = {
  id: 'aws:ebs:pause-volume-io',
  description: 'Pause I/O operations on the target EBS volumes. The volumes must be in the same Availability Zone and attached to instances.',
  target: { key: 'Volumes', resourceType: 'aws:ec2:ebs-volume' },
  parameters: { duration: durationParameter(true, 1000, 'PT1S') },
  duration: durationOf,
  start(run) {
    const ids = targetIds(run);
    const volumes = ids.map((id) => run.env.store.get<VolumeRecord>(COLL.volumes, run.scope, id));
    const zones = new Set(volumes.map((v) => v?.AvailabilityZone));
    if (zones.size > 1) throw new ActionFailed('InvalidTarget', `The target volumes must be in one Availability Zone; they are in ${[...zones].sort().join(', ')}.`);
    const detached = ids.filter((id, i) => !volumes[i]?.Attachments.length);
    if (detached.length) throw new ActionFailed('InvalidTarget', `The target volumes must be attached to instances; ${detached.join(', ')} ${detached.length > 1 ? 'are' : 'is'} not.`);
    const faultIds = ids.map(
      (volume) => injectFault(run.env, { kind: 'volume', target: volume, account: run.scope.account, region: run.scope.region }).faultId,
    );
    return { faultIds };
  },
  end: healAll,
};
