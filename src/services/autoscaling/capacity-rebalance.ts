/**
 * Capacity Rebalancing (a group with CapacityRebalance true), as AWS's user guide describes it:
 * when a spot instance of the group receives an EC2 instance rebalance recommendation (which an
 * interruption notice always comes with or after), the group launches a replacement at once, and
 * terminates the at-risk instance only once the replacement is in service. It may exceed MaxSize
 * by up to 10 % of the desired capacity (at least one instance) to do so. A replacement that
 * fails to launch is tried again at the next pass; an at-risk instance interrupted first is
 * replaced by the health checks as any other.
 *
 * The activities' causes are faultline's sentences in AWS's style; AWS does not publish its own.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { rebalanceRecommended } from '../ec2/spot-interruptions.ts';
import { sentence } from './activities.ts';
import { ec2Instance } from './launch.ts';
import { isSuspended, type GroupRecord, type MemberRecord } from './state.ts';

/** What a group loop pass gives this step. */
interface RebalancePass {
  env: Env;
  scope: Scope;
  group: GroupRecord;
  now: number;
  members: MemberRecord[];
}

const inService = (m: DeepReadonly<MemberRecord>) => m.LifecycleState === 'InService' && m.HealthStatus === 'Healthy';

/** A member that capacity rebalancing should replace and has not begun to. */
export function atRisk(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>, m: DeepReadonly<MemberRecord>): boolean {
  if (!group.CapacityRebalance || m.spotReplacement || !inService(m)) return false;
  const inst = ec2Instance(env, scope, m.InstanceId);
  return !!inst && inst.InstanceLifecycle === 'spot' && rebalanceRecommended(env, scope, inst);
}

/** Whether a replacement launched for an at-risk instance is still on its way in: the group waits before scaling in. */
export const replacingSpot = (members: readonly DeepReadonly<MemberRecord>[]) => members.some((m) => m.spotReplacement && inService(m));

/**
 * One pass of capacity rebalancing: launches replacements for at-risk spot instances, and
 * terminates each at-risk instance whose replacement is in service. `launch` and `terminate`
 * are the group loop's own.
 */
export function rebalanceCapacity<P extends RebalancePass>(
  p: P,
  launch: (p: P, wanted: number, cause: () => string) => number,
  terminate: (p: P, m: MemberRecord, cause: string) => void,
  counts: (m: DeepReadonly<MemberRecord>) => boolean,
): void {
  const { env, scope, group, now } = p;
  for (const m of [...p.members]) {
    if (m.spotReplacement) {
      if (isSuspended(group, 'Terminate')) continue;
      const replacement = p.members.find((r) => r.InstanceId === m.spotReplacement);
      if (!inService(m)) continue;
      if (replacement && inService(replacement)) {
        terminate(p, m, sentence(now, 'an instance was taken out of service in response to an EC2 instance rebalance recommendation.'));
      } else if (!replacement || !counts(replacement)) delete m.spotReplacement;
      continue;
    }
    if (isSuspended(group, 'Launch') || !atRisk(env, scope, group, m)) continue;
    const margin = Math.max(1, Math.floor(group.DesiredCapacity / 10));
    if (p.members.filter(counts).length + 1 > group.MaxSize + margin) continue;
    const before = p.members.length;
    const cause = sentence(now, `an instance was launched in response to an EC2 instance rebalance recommendation for instance ${m.InstanceId}.`);
    if (launch(p, 1, () => cause) === 1) m.spotReplacement = p.members[before].InstanceId;
  }
}
