/**
 * EC2 health checks for a group's instances (spec section 5, ec2-auto-scaling-health-checks.html):
 * - an instance in any state but running is unhealthy at once, even in the grace period;
 * - an instance whose system or instance status check is impaired is tolerated for
 *   IMPAIRED_TOLERANCE_MS ("a few minutes"), then unhealthy;
 * - status checks count only after HealthCheckGracePeriod, which starts when the instance enters
 *   InService.
 * The status comes from the checks EC2's status-check loop records on the instance once a minute.
 * With health type ELB, the group also asks its load balancers and target groups, after the same
 * grace period (traffic-sources.ts, elbHealthProblem); EC2's checks always apply.
 */
import type { DeepReadonly } from '../../core/store.ts';
import type { InstanceRecord } from '../ec2/state.ts';
import { causes } from './activities.ts';
import type { GroupRecord, MemberRecord } from './state.ts';

/**
 * How often the group loop looks at its instances: every 10 s while something is under way
 * (launches, terminations, hooks, backoffs), every 30 s when the group is settled. AWS does not
 * publish its interval; replacements after a termination start within about half a minute.
 */
export const HEALTH_CHECK_INTERVAL_MS = 10_000;
export const SETTLED_CHECK_INTERVAL_MS = 30_000;
/** How long an impaired status check is tolerated before the instance is unhealthy. */
export const IMPAIRED_TOLERANCE_MS = 180_000;

const DEAD = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * Why the instance is unhealthy (the sentence for the termination's cause), or undefined while
 * it is healthy. `inst` is EC2's record, undefined once EC2 has forgotten the instance.
 */
export function healthProblem(group: DeepReadonly<GroupRecord>, member: DeepReadonly<MemberRecord>, inst: DeepReadonly<InstanceRecord> | undefined, now: number): string | undefined {
  if (!inst || DEAD.has(inst.State.Name)) return causes.terminatedOrStopped(now);
  if (member.LifecycleState !== 'InService' || inst.State.Name !== 'running') return undefined;
  const since = member.inServiceAt ?? member.launchedAt;
  if (now < since + group.HealthCheckGracePeriod * 1000) return undefined;
  const checks = inst.statusChecks;
  const impairedSince = [checks?.system, checks?.instance]
    .filter((c) => c?.status === 'impaired')
    .map((c) => c!.impairedSince ?? now);
  if (impairedSince.length && now - Math.min(...impairedSince) >= IMPAIRED_TOLERANCE_MS) return causes.statusChecksFailed(now);
  return undefined;
}

/** When a tolerated impairment or the grace period ends: the loop looks again then at the latest. */
export function nextHealthEvent(group: DeepReadonly<GroupRecord>, member: DeepReadonly<MemberRecord>, inst: DeepReadonly<InstanceRecord> | undefined, now: number): number | undefined {
  if (!inst || member.LifecycleState !== 'InService') return undefined;
  const graceEnd = (member.inServiceAt ?? member.launchedAt) + group.HealthCheckGracePeriod * 1000;
  const impaired = [inst.statusChecks?.system, inst.statusChecks?.instance].filter((c) => c?.status === 'impaired').map((c) => (c!.impairedSince ?? now) + IMPAIRED_TOLERANCE_MS);
  const times = [graceEnd, ...impaired].filter((t) => t > now);
  return times.length ? Math.min(...times) : undefined;
}
