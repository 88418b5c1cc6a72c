/**
 * FIS's EC2 instance actions, each one call of EC2's own API (StopInstances, StartInstances,
 * TerminateInstances, RebootInstances) on the instances its target resolved to, as FIS makes them.
 */
import { ec2 } from '../ec2/index.ts';
import { loopContext } from '../ec2/scoped.ts';
import { COLL, type InstanceRecord } from '../ec2/state.ts';
import { ActionFailed, type ActionRun, type ActionSpec } from './action.ts';
import { parseDuration } from '../../core/duration.ts';
import { durationBetween } from './duration.ts';
import { targetIds } from './fault-params.ts';
import { AwsError } from '../../core/errors.ts';
import { interruptSpotInstance } from '../ec2/spot-interruptions.ts';

const INSTANCES = { key: 'Instances', resourceType: 'aws:ec2:instance' };
/** How often a waiting action looks at its instances again (clock ms); instances change state within seconds. */
const RECHECK_MS = 1000;

const stateOf = (run: ActionRun, id: string) => run.env.store.get<InstanceRecord>(COLL.instances, run.scope, id)?.State.Name ?? 'terminated';
const gone = (state: string) => state === 'terminated' || state === 'shutting-down';
const booleanText = (value: string) => (value === 'true' || value === 'false' ? undefined : 'must be true or false');

const call = (run: ActionRun, op: 'StopInstances' | 'StartInstances' | 'TerminateInstances' | 'RebootInstances', ids: string[]) => {
  if (ids.length) ec2.handlers[op]({ InstanceIds: ids }, loopContext(run.env, run.scope));
};

export const stopInstances: ActionSpec = {
  id: 'aws:ec2:stop-instances',
  description: 'Stop the specified EC2 instances.',
  target: INSTANCES,
  parameters: {
    startInstancesAfterDuration: {
      description: 'The time to wait before restarting the instances (ISO 8601 duration, PT1M to PT12H).',
      required: false,
      check: durationBetween(60_000, 'PT1M'),
    },
    completeIfInstancesTerminated: {
      description: 'If true, instances terminated while stopped do not fail the action when it restarts them.',
      required: false,
      check: booleanText,
    },
  },
  duration: (p) => (p.startInstancesAfterDuration === undefined ? undefined : parseDuration(p.startInstancesAfterDuration)),
  start(run) {
    call(run, 'StopInstances', targetIds(run));
  },
  end(run) {
    const ids = targetIds(run);
    const terminated = ids.filter((id) => gone(stateOf(run, id)));
    call(
      run,
      'StartInstances',
      ids.filter((id) => stateOf(run, id) === 'stopped'),
    );
    if (terminated.length && run.parameters.completeIfInstancesTerminated !== 'true') {
      throw new ActionFailed('InvalidTarget', `Instances ${terminated.join(', ')} were terminated and cannot be restarted.`);
    }
  },
  done(run) {
    const restarting = run.parameters.startInstancesAfterDuration !== undefined;
    const settled = targetIds(run).every((id) => {
      const s = stateOf(run, id);
      return gone(s) || s === (restarting ? 'running' : 'stopped');
    });
    return settled || RECHECK_MS;
  },
};

/**
 * Spot interruptions (spot-interruptions.ts): the rebalance recommendation at the action's start,
 * the two-minute notice `durationBeforeInterruption` less two minutes later, and the interruption
 * when that duration is over, when the action completes.
 */
export const sendSpotInstanceInterruptions: ActionSpec = {
  id: 'aws:ec2:send-spot-instance-interruptions',
  description: 'Send a Spot Instance interruption notice to target Spot Instances two minutes before interrupting them.',
  target: { key: 'SpotInstances', resourceType: 'aws:ec2:spot-instance' },
  parameters: {
    durationBeforeInterruption: {
      description: 'The time to wait before interrupting the instances (ISO 8601 duration, PT2M to PT15M); the interruption notice comes two minutes before.',
      required: true,
      check: (v) => durationBetween(120_000, 'PT2M')(v) ?? (parseDuration(v)! > 15 * 60_000 ? 'must be from PT2M to PT15M' : undefined),
    },
  },
  start(run) {
    const afterMs = parseDuration(run.parameters.durationBeforeInterruption)!;
    for (const id of targetIds(run)) {
      try {
        interruptSpotInstance(run.env, run.scope, id, { afterMs, by: 'by-experiment' });
      } catch (e) {
        // An instance that stopped or went since the targets were resolved has nothing left to interrupt.
        if (!(e instanceof AwsError) || e.code !== 'IncorrectState') throw e;
      }
    }
    return { interruptAt: run.env.clock.now() + afterMs };
  },
  done(run) {
    const left = (run.data.interruptAt as number) - run.env.clock.now();
    return left <= 0 || left;
  },
};

export const terminateInstances: ActionSpec = {
  id: 'aws:ec2:terminate-instances',
  description: 'Terminate the specified EC2 instances.',
  target: INSTANCES,
  parameters: {},
  start(run) {
    call(run, 'TerminateInstances', targetIds(run));
  },
};

export const rebootInstances: ActionSpec = {
  id: 'aws:ec2:reboot-instances',
  description: 'Reboot the specified EC2 instances.',
  target: INSTANCES,
  parameters: {},
  start(run) {
    call(run, 'RebootInstances', targetIds(run));
  },
};
