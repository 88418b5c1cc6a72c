/**
 * Which instance a scale-in terminates (ec2-auto-scaling-termination-policies.html):
 * 1. the zone with the most instances, among zones holding at least one instance not protected
 *    from scale-in (protected ones count toward the zone but are never chosen);
 * 2. within it, the group's termination policies in order, each keeping only its best candidates;
 *    Default closes the list when the group's policies leave a tie;
 * 3. one of the rest at random.
 * Default is: launch configurations before launch templates, then the oldest configuration or
 * template version (instances not on the group's current template first), then the instance
 * closest to the next billing hour.
 */
import type { DeepReadonly } from '../../core/store.ts';
import { allocationStrategyOrder } from './mixed-instances.ts';
import type { GroupRecord, MemberRecord } from './state.ts';

export const TERMINATION_POLICIES = [
  'Default',
  'AllocationStrategy',
  'ClosestToNextInstanceHour',
  'NewestInstance',
  'OldestInstance',
  'OldestLaunchConfiguration',
  'OldestLaunchTemplate',
] as const;

type M = DeepReadonly<MemberRecord>;
type Narrow = (candidates: M[]) => M[];

/** Keeps the candidates with the smallest score. */
const keepMin = (candidates: M[], score: (m: M) => number): M[] => {
  const best = Math.min(...candidates.map(score));
  return candidates.filter((m) => score(m) === best);
};

export interface TerminationContext {
  group: DeepReadonly<GroupRecord>;
  /** Creation times (clock ms) of launch configurations that still exist. */
  launchConfigurationCreated: (name: string) => number | undefined;
  now: number;
}

function policies(ctx: TerminationContext): Record<string, Narrow> {
  const { group, now } = ctx;
  const HOUR = 3_600_000;
  const oldestLaunchConfiguration: Narrow = (c) => {
    const withLc = c.filter((m) => m.LaunchConfigurationName);
    if (!withLc.length) return c;
    // A configuration that no longer exists is older than any that does.
    return keepMin(withLc, (m) => ctx.launchConfigurationCreated(m.LaunchConfigurationName!) ?? -Infinity);
  };
  const oldestLaunchTemplate: Narrow = (c) => {
    const current = group.LaunchTemplate;
    const offTemplate = c.filter((m) => !m.LaunchTemplate || (current && m.LaunchTemplate.LaunchTemplateId !== current.LaunchTemplateId && m.LaunchTemplate.LaunchTemplateName !== current.LaunchTemplateName));
    if (offTemplate.length) return offTemplate;
    return keepMin(c, (m) => Number(m.LaunchTemplate?.Version ?? 0));
  };
  const closestToNextInstanceHour: Narrow = (c) => keepMin(c, (m) => HOUR - ((now - m.launchedAt) % HOUR));
  return {
    OldestInstance: (c) => keepMin(c, (m) => m.launchedAt),
    NewestInstance: (c) => keepMin(c, (m) => -m.launchedAt),
    OldestLaunchConfiguration: oldestLaunchConfiguration,
    OldestLaunchTemplate: oldestLaunchTemplate,
    ClosestToNextInstanceHour: closestToNextInstanceHour,
    AllocationStrategy: (c) => keepMin(c, (m) => allocationStrategyOrder(group, m)),
    Default: (c) => {
      const lc = c.filter((m) => m.LaunchConfigurationName);
      let rest = lc.length ? lc : c;
      rest = lc.length ? oldestLaunchConfiguration(rest) : oldestLaunchTemplate(rest);
      return closestToNextInstanceHour(rest);
    },
  };
}

/**
 * The instance to terminate among `members` (the group's instances that count toward its
 * capacity), or undefined when every one is protected from scale-in.
 */
export function chooseForScaleIn(members: readonly M[], ctx: TerminationContext, random = Math.random): M | undefined {
  const candidates = members.filter((m) => !m.ProtectedFromScaleIn);
  if (!candidates.length) return undefined;
  const perZone = new Map<string, number>();
  for (const m of members) perZone.set(m.AvailabilityZone, (perZone.get(m.AvailabilityZone) ?? 0) + 1);
  const zones = [...new Set(candidates.map((m) => m.AvailabilityZone))].sort();
  const zone = zones.reduce((best, z) => (perZone.get(z)! > perZone.get(best)! ? z : best), zones[0]);
  let pool = candidates.filter((m) => m.AvailabilityZone === zone);
  const byName = policies(ctx);
  const order = ctx.group.TerminationPolicies.length ? ctx.group.TerminationPolicies : ['Default'];
  for (const name of [...order, 'Default']) {
    if (pool.length <= 1) break;
    pool = (byName[name] ?? byName.Default)(pool);
  }
  return pool[Math.floor(random() * pool.length)];
}
