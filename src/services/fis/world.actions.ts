/**
 * faultline's physical faults as FIS actions, under faultline's own prefix (AWS has no such
 * actions): the power or the network of the hosts that instances run on, or of a whole zone.
 * They inject the same world faults as `faultline fail`, and heal them when their duration is
 * over or the experiment stops; without a duration the fault stays, as `faultline fail` leaves it.
 */
import { injectFault } from '../../world/faults.ts';
import { COLL, type InstanceRecord } from '../ec2/state.ts';
import type { ActionSpec } from './action.ts';
import { durationOf, durationParameter, healAll, targetIds } from './fault-params.ts';
import { zoneNamed } from '../ec2/regions.provider.ts';

const duration = durationParameter(false, 1000, 'PT1S');

function hostFault(effect: 'power' | 'network', id: string, description: string): ActionSpec {
  return {
    id,
    description,
    target: { key: 'Instances', resourceType: 'aws:ec2:instance' },
    parameters: { duration },
    duration: durationOf,
    start(run) {
      const hosts = new Set<string>();
      for (const id of targetIds(run)) {
        const inst = run.env.store.get<InstanceRecord>(COLL.instances, run.scope, id);
        if (inst?.hostId) hosts.add(inst.hostId);
      }
      const faultIds = [...hosts].map((host) => injectFault(run.env, { kind: 'host', target: host, region: run.scope.region, effect }).faultId);
      return { faultIds };
    },
    end: healAll,
  };
}

function zoneFault(effect: 'power' | 'network', id: string, description: string): ActionSpec {
  return {
    id,
    description,
    parameters: {
      availabilityZoneIdentifier: {
        description: 'The Availability Zone, by name (us-east-1a) or AZ ID (use1-az1).',
        required: true,
        check: (v, { env, scope }) => (zoneNamed(env.config, scope.region, v) ? undefined : `names no Availability Zone of ${scope.region}: ${v}`),
      },
      duration,
    },
    duration: durationOf,
    start(run) {
      // Checked at create: the parameter names a zone of the template's region.
      const zone = zoneNamed(run.env.config, run.scope.region, run.parameters.availabilityZoneIdentifier)!;
      return { faultIds: [injectFault(run.env, { kind: 'az', target: zone, region: run.scope.region, effect }).faultId] };
    },
    end: healAll,
  };
}

export const worldActions: ActionSpec[] = [
  hostFault('power', 'faultline:host:power-off', 'faultline only: power off the physical hosts the target instances run on, with everything on them.'),
  hostFault('network', 'faultline:host:network-down', 'faultline only: cut the network of the physical hosts the target instances run on.'),
  zoneFault('power', 'faultline:az:power-off', 'faultline only: power off every host in an Availability Zone.'),
  zoneFault('network', 'faultline:az:network-down', 'faultline only: cut the network of every host in an Availability Zone.'),
];
