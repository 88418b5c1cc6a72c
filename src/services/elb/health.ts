/**
 * A target's health state machine, pure: given its record, its group's health check settings and
 * what happened, the next record. The rules are AWS's (spec elb.md §1 and §2):
 *  - a new target is `initial` while its registration completes, then while checks begin;
 *  - ONE passing check makes an initial target `healthy` (the guides say one, not the threshold);
 *  - `UnhealthyThreshold` failures in a row make it `unhealthy`, `HealthyThreshold` passes in a
 *    row make an unhealthy one healthy again;
 *  - a target that cannot be used (its zone not enabled, its group used by no load balancer, its
 *    instance stopped or terminated) is `unused` and not checked; when that ends, checks begin
 *    anew, as for a new target.
 * `passes` and `failures` count the checks in a row, which Classic's descriptions are made from.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { HealthObservation, HealthSettings, LoadBalancerKind, TargetRecord } from './state.ts';

type Read<T> = DeepReadonly<T>;

export interface Why {
  reason: string;
  description: string;
}

/** Why a target is `unused`, in AWS's words. */
export const UNUSED = {
  noLoadBalancer: { reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' },
  zoneNotEnabled: { reason: 'Target.NotInUse', description: 'Target is in an Availability Zone that is not enabled for the load balancer' },
  stopped: { reason: 'Target.InvalidState', description: 'Target is in the stopped state' },
  terminated: { reason: 'Target.InvalidState', description: 'Target is in the terminated state' },
} as const satisfies Record<string, Why>;

export const REGISTERING: Why = { reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' };
export const INITIAL_CHECKS: Why = { reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' };

/**
 * The reason a failed check gives. An Application Load Balancer tells a wrong status code from a
 * timeout; Network and Classic load balancers say only that the checks failed.
 */
export function failureReason(kind: LoadBalancerKind, obs: HealthObservation): Why {
  if (kind === 'application' && obs.reason === 'Target.ResponseCodeMismatch') {
    return { reason: obs.reason, description: `Health checks failed with these codes: [${obs.code ?? ''}]` };
  }
  if (kind === 'application' && obs.reason === 'Target.Timeout') return { reason: obs.reason, description: 'Request timed out' };
  return { reason: 'Target.FailedHealthChecks', description: 'Health checks failed' };
}

const copy = (t: Read<TargetRecord>): TargetRecord => structuredClone(t) as TargetRecord;

function become(t: TargetRecord, state: TargetRecord['state'], why?: Why): TargetRecord {
  t.state = state;
  t.reason = why?.reason;
  t.description = why?.description;
  return t;
}

/** The target after one check made at `now`; the next check is one interval later. */
export function afterCheck(t: Read<TargetRecord>, h: Read<HealthSettings>, kind: LoadBalancerKind, obs: HealthObservation, now: number): TargetRecord {
  const next = copy(t);
  next.nextCheckAt = now + h.intervalSeconds * 1000;
  next.passes = obs.ok ? t.passes + 1 : 0;
  next.failures = obs.ok ? 0 : t.failures + 1;
  if (obs.ok) {
    if (t.state === 'initial' || (t.state === 'unhealthy' && next.passes >= h.healthyThreshold)) become(next, 'healthy');
  } else if (t.state === 'unhealthy' || next.failures >= h.unhealthyThreshold) {
    become(next, 'unhealthy', failureReason(kind, obs));
  }
  return next;
}

/** The target while it cannot be used: not checked, its counts forgotten. */
export function unused(t: Read<TargetRecord>, why: Why): TargetRecord {
  const next = become(copy(t), 'unused', why);
  next.passes = 0;
  next.failures = 0;
  next.nextCheckAt = undefined;
  return next;
}

/** The target while its registration completes (again, after it was unused during it). */
export function registering(t: Read<TargetRecord>): TargetRecord {
  const next = become(copy(t), 'initial', REGISTERING);
  next.nextCheckAt = undefined;
  return next;
}

/** The target once its registration is complete, or once it can be used again: checks begin, the first one interval later. */
export function checksBegin(t: Read<TargetRecord>, h: Read<HealthSettings>, now: number): TargetRecord {
  const next = become(copy(t), 'initial', INITIAL_CHECKS);
  next.passes = 0;
  next.failures = 0;
  next.nextCheckAt = now + h.intervalSeconds * 1000;
  return next;
}
