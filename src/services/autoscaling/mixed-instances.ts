/**
 * Mixed instances groups (MixedInstancesPolicy): several instance types from launch template
 * overrides, On-Demand and Spot in one group (mixed-instances-groups-set-up-overview.html,
 * allocation-strategies.html, ec2-auto-scaling-mixed-instances-groups-instance-weighting.html).
 *
 * - The policy is checked and stored with the API's defaults filled in: On-Demand `prioritized`,
 *   base 0, 100 % On-Demand above it, Spot `lowest-price` over 2 pools, no Spot max price.
 * - Capacity counts in units: each instance counts its override's WeightedCapacity (1 without
 *   weights), or its vCPUs or MiB with DesiredCapacityType `vcpu` or `memory-mib`.
 * - The split: On-Demand takes the base (at most the desired capacity), then the percentage of
 *   what is above it, rounded up in favour of On-Demand; Spot takes the rest. Each launch fills
 *   whichever side is short, and a scale-in takes from whichever side is over.
 * - Types: On-Demand `prioritized` (and Spot `capacity-optimized-prioritized`) try the overrides
 *   in order; `lowest-price` (and Spot `price-capacity-optimized`) by price per unit (prices.ts);
 *   Spot `lowest-price` spreads over the N cheapest pools of the zone, then falls back to the
 *   others. Spot `capacity-optimized` follows the overrides' order: faultline's pools show no
 *   capacity but what a capacity fault takes away, which every strategy already steps around.
 * - A type refused for capacity in a zone leads to the next type there; when every type is
 *   refused, the launch fails in that zone with AWS's "Could not launch … Instances." words and
 *   the group tries its other zones, as for any group.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { instanceType } from '../ec2/instance-types.ts';
import { asErrors } from './errors.ts';
import { launchInstance, ZONAL_REFUSALS, type Launched } from './launch.ts';
import { onDemandPrice, priceString, spotPrice } from './prices.ts';
import type { GroupRecord, LaunchTemplateOverride, LaunchTemplateSpec, MemberRecord, MixedInstancesPolicy } from './state.ts';

type Distribution = MixedInstancesPolicy['InstancesDistribution'];
type OverrideInput = LaunchTemplateOverride & { InstanceRequirements?: unknown };
type Input = {
  LaunchTemplate?: { LaunchTemplateSpecification?: LaunchTemplateSpec; Overrides?: OverrideInput[] };
  InstancesDistribution?: Partial<Omit<Distribution, 'OnDemandAllocationStrategy' | 'SpotAllocationStrategy'>> & { OnDemandAllocationStrategy?: string; SpotAllocationStrategy?: string };
};

const ON_DEMAND_STRATEGIES = ['prioritized', 'lowest-price'];
const SPOT_STRATEGIES = ['lowest-price', 'capacity-optimized', 'capacity-optimized-prioritized', 'price-capacity-optimized'];
export const DESIRED_CAPACITY_TYPES = ['units', 'vcpu', 'memory-mib'];
const MAX_INSTANCE_TYPES = 40;
const MAX_LAUNCH_TEMPLATES = 20;

/**
 * The policy a Create or Update asks for, checked, merged over the group's current one (an
 * update changes only what it gives) and with the defaults filled in. `checkTemplate` resolves a
 * launch template specification as the group's own LaunchTemplate is.
 */
export function mixedInstancesPolicy(input: Input, old: DeepReadonly<MixedInstancesPolicy> | undefined, checkTemplate: (spec: LaunchTemplateSpec) => LaunchTemplateSpec): MixedInstancesPolicy {
  const lt = input.LaunchTemplate;
  // What the group has was checked when it was given.
  const given = lt?.LaunchTemplateSpecification;
  if (!given && !old) throw asErrors.validation('A mixed instances policy must specify a LaunchTemplate with a LaunchTemplateSpecification.');
  const spec = given ? checkTemplate(given) : (structuredClone(old!.LaunchTemplate.LaunchTemplateSpecification) as LaunchTemplateSpec);
  const overrides = lt?.Overrides ?? old?.LaunchTemplate.Overrides ?? [];
  if (overrides.length > MAX_INSTANCE_TYPES) throw asErrors.validation(`You can specify up to ${MAX_INSTANCE_TYPES} instance types per Auto Scaling group.`);
  const weighted = overrides.filter((o) => o.WeightedCapacity !== undefined).length;
  if (weighted && weighted !== overrides.length) throw asErrors.validation('If you specify a value for WeightedCapacity for one instance type, you must specify a value for WeightedCapacity for all of them.');
  const checked = lt?.Overrides ? lt.Overrides.map((o) => checkOverride(o, checkTemplate)) : (structuredClone(overrides) as LaunchTemplateOverride[]);
  const templates = new Set([spec, ...checked.map((o) => o.LaunchTemplateSpecification).filter((s) => s !== undefined)].map((s) => s.LaunchTemplateId));
  if (templates.size > MAX_LAUNCH_TEMPLATES) throw asErrors.validation(`You can specify up to ${MAX_LAUNCH_TEMPLATES} launch templates per Auto Scaling group.`);
  return {
    LaunchTemplate: { LaunchTemplateSpecification: spec, Overrides: checked },
    InstancesDistribution: distribution(input.InstancesDistribution ?? {}, old?.InstancesDistribution),
  };
}

function checkOverride(o: OverrideInput, checkTemplate: (spec: LaunchTemplateSpec) => LaunchTemplateSpec): LaunchTemplateOverride {
  if (o.InstanceRequirements !== undefined) {
    if (o.InstanceType !== undefined) throw asErrors.validation("If you specify InstanceRequirements, you can't specify InstanceType.");
    throw asErrors.validation('faultline does not support InstanceRequirements (attribute-based instance type selection); list the instance types in Overrides.');
  }
  if (o.InstanceType === undefined) throw asErrors.validation('Each launch template override must specify an InstanceType.');
  if (!instanceType(o.InstanceType)) throw asErrors.validation(`The instance type '${o.InstanceType}' is not valid. Specify a valid instance type and try again.`);
  if (o.WeightedCapacity !== undefined && !(/^\d+$/.test(o.WeightedCapacity) && Number(o.WeightedCapacity) >= 1 && Number(o.WeightedCapacity) <= 999)) {
    throw asErrors.validation(`The WeightedCapacity '${o.WeightedCapacity}' for instance type ${o.InstanceType} is not valid. Value must be in the range of 1–999.`);
  }
  return {
    InstanceType: o.InstanceType,
    ...(o.WeightedCapacity !== undefined ? { WeightedCapacity: String(Number(o.WeightedCapacity)) } : {}),
    ...(o.LaunchTemplateSpecification ? { LaunchTemplateSpecification: checkTemplate(o.LaunchTemplateSpecification) } : {}),
  };
}

function distribution(given: NonNullable<Input['InstancesDistribution']>, old: DeepReadonly<Distribution> | undefined): Distribution {
  const merged: Record<string, unknown> = { ...old, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  // A new Spot strategy drops the pools of the old one unless they are given again; "" removes a max price.
  if (given.SpotAllocationStrategy !== undefined && given.SpotInstancePools === undefined) delete merged.SpotInstancePools;
  if (merged.SpotMaxPrice === '') delete merged.SpotMaxPrice;
  const d = merged as Partial<Distribution> & { OnDemandAllocationStrategy?: string; SpotAllocationStrategy?: string };
  const onDemand = d.OnDemandAllocationStrategy ?? 'prioritized';
  if (!ON_DEMAND_STRATEGIES.includes(onDemand)) throw asErrors.validation(`Invalid OnDemandAllocationStrategy: ${onDemand}. Valid values are ${ON_DEMAND_STRATEGIES.join(', ')}.`);
  const spot = d.SpotAllocationStrategy ?? 'lowest-price';
  if (!SPOT_STRATEGIES.includes(spot)) throw asErrors.validation(`Invalid SpotAllocationStrategy: ${spot}. Valid values are ${SPOT_STRATEGIES.join(', ')}.`);
  const base = d.OnDemandBaseCapacity ?? 0;
  if (!Number.isInteger(base) || base < 0) throw asErrors.validation('OnDemandBaseCapacity must be greater than or equal to 0.');
  const percentage = d.OnDemandPercentageAboveBaseCapacity ?? 100;
  if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) throw asErrors.validation('OnDemandPercentageAboveBaseCapacity must be between 0 and 100.');
  if (d.SpotInstancePools !== undefined) {
    if (spot !== 'lowest-price') throw asErrors.validation(`SpotInstancePools is only valid with the lowest-price SpotAllocationStrategy, not ${spot}.`);
    if (!Number.isInteger(d.SpotInstancePools) || d.SpotInstancePools < 1 || d.SpotInstancePools > 20) throw asErrors.validation('SpotInstancePools must be in the range of 1–20.');
  }
  if (d.SpotMaxPrice !== undefined && !(/^\d*\.?\d+$/.test(d.SpotMaxPrice) && Number(d.SpotMaxPrice) >= 0.001)) {
    throw asErrors.validation(`The SpotMaxPrice '${d.SpotMaxPrice}' is not valid. Valid Range: Minimum value of 0.001.`);
  }
  return {
    OnDemandAllocationStrategy: onDemand as Distribution['OnDemandAllocationStrategy'],
    OnDemandBaseCapacity: base,
    OnDemandPercentageAboveBaseCapacity: percentage,
    SpotAllocationStrategy: spot as Distribution['SpotAllocationStrategy'],
    ...(spot === 'lowest-price' ? { SpotInstancePools: d.SpotInstancePools ?? 2 } : {}),
    ...(d.SpotMaxPrice !== undefined ? { SpotMaxPrice: d.SpotMaxPrice } : {}),
  };
}

// ---- capacity in units ----

/** What an instance counts toward the desired capacity: 1 outside mixed instances groups. */
export const unitsOf = (m: DeepReadonly<MemberRecord>): number => Number(m.WeightedCapacity ?? 1);

export const capacityOf = (members: readonly DeepReadonly<MemberRecord>[]): number => members.reduce((n, m) => n + unitsOf(m), 0);

/** The units of an override's type: its weight, or its vCPUs or memory with those desired capacity types. */
function weightOf(group: DeepReadonly<GroupRecord>, o: DeepReadonly<LaunchTemplateOverride>, type: string): number {
  if (group.DesiredCapacityType === 'vcpu') return instanceType(type)?.vcpus ?? 1;
  if (group.DesiredCapacityType === 'memory-mib') return instanceType(type)?.memoryMiB ?? 1;
  return Number(o.WeightedCapacity ?? 1);
}

/** The On-Demand units a desired capacity calls for: the base, then the percentage above it rounded up. */
export function onDemandTarget(d: DeepReadonly<Distribution>, desired: number): number {
  const base = Math.min(d.OnDemandBaseCapacity, desired);
  return base + Math.ceil(((desired - base) * d.OnDemandPercentageAboveBaseCapacity) / 100);
}

/**
 * Whether the group has its desired capacity: at least that many units, and none that a scale-in
 * could take away without going below it.
 */
export const atDesired = (group: DeepReadonly<GroupRecord>, counted: readonly DeepReadonly<MemberRecord>[], desired = group.DesiredCapacity): boolean =>
  capacityOf(counted) >= desired && scaleInCandidates(group, counted, desired).length === 0;

const onDemandUnits = (members: readonly DeepReadonly<MemberRecord>[]) => capacityOf(members.filter((m) => !m.spot));

// ---- launching ----

interface Candidate {
  override: DeepReadonly<LaunchTemplateOverride>;
  /** The type: the override's, or the template's when the policy has no overrides. */
  type?: string;
  weight: number;
}

/** The pools to try, in order, for the next launch of `market` in `zone`. */
function candidates(group: DeepReadonly<GroupRecord>, policy: DeepReadonly<MixedInstancesPolicy>, members: readonly DeepReadonly<MemberRecord>[], zone: string, spot: boolean): Candidate[] {
  const all: Candidate[] = policy.LaunchTemplate.Overrides.map((o) => ({ override: o, type: o.InstanceType, weight: weightOf(group, o, o.InstanceType!) }));
  if (!all.length) return [{ override: {}, weight: 1 }];
  const d = policy.InstancesDistribution;
  const price = spot ? spotPrice : onDemandPrice;
  const cheapest = () => [...all].sort((a, b) => price(a.type!) / a.weight - price(b.type!) / b.weight);
  if (!spot) return d.OnDemandAllocationStrategy === 'lowest-price' ? cheapest() : all;
  if (d.SpotAllocationStrategy === 'price-capacity-optimized') return cheapest();
  if (d.SpotAllocationStrategy !== 'lowest-price') return all;
  // lowest-price: across the N cheapest pools of the zone, the one holding the fewest of the group's Spot Instances first.
  const sorted = cheapest();
  const pools = sorted.slice(0, d.SpotInstancePools ?? 2);
  const held = (c: Candidate) => members.filter((m) => m.spot && m.AvailabilityZone === zone && m.InstanceType === c.type).length;
  const first = pools.reduce((best, c) => (held(c) < held(best) ? c : best), pools[0]);
  return [first, ...sorted.filter((c) => c !== first)];
}

/**
 * Whether the next launch is a Spot Instance: when On-Demand already has its share of the desired
 * capacity (or, for a launch beyond it that rebalances the zones, of the capacity it makes).
 */
function nextIsSpot(group: DeepReadonly<GroupRecord>, counted: readonly DeepReadonly<MemberRecord>[]): boolean {
  const basis = Math.max(group.DesiredCapacity, capacityOf(counted) + 1);
  return onDemandUnits(counted) >= onDemandTarget(group.MixedInstancesPolicy!.InstancesDistribution, basis);
}

export interface MixedLaunch extends Launched {
  weight: number;
  spot: boolean;
}

/**
 * Launches one instance of a mixed instances group in `zone`: On-Demand or Spot as the split
 * needs, of the first type in the strategy's order that EC2 has capacity for. Throws EC2's
 * AwsError, in AWS's words for these groups, when no type can be launched.
 */
export function launchMixed(env: Env, scope: Scope, group: DeepReadonly<GroupRecord>, counted: readonly DeepReadonly<MemberRecord>[], subnetId: string | undefined, zone: string, onRefused: (type: string, e: AwsError) => void): MixedLaunch {
  const policy = group.MixedInstancesPolicy!;
  const spot = nextIsSpot(group, counted);
  const maxPrice = policy.InstancesDistribution.SpotMaxPrice;
  const market = spot ? 'Spot' : 'On-Demand';
  let last: AwsError | undefined;
  for (const c of candidates(group, policy, counted, zone, spot)) {
    if (spot && maxPrice !== undefined && c.type && spotPrice(c.type) / c.weight > Number(maxPrice)) {
      last ??= new AwsError('SpotMaxPriceTooLow', `Your Spot request price of ${maxPrice} is lower than the minimum required Spot request fulfillment price of ${priceString(spotPrice(c.type) / c.weight)}.`);
      continue;
    }
    try {
      const l = launchInstance(env, scope, group, subnetId, zone, {
        template: c.override.LaunchTemplateSpecification ?? policy.LaunchTemplate.LaunchTemplateSpecification,
        instanceType: c.type,
        // The group's max price is per unit; EC2 takes a price per instance.
        spot: spot ? { maxPrice: maxPrice !== undefined ? priceString(Number(maxPrice) * c.weight) : undefined } : undefined,
      });
      return { ...l, weight: c.type ? c.weight : weightOf(group, c.override, l.instanceType), spot };
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      last = e;
      // Only a pool's capacity, or a type the zone does not offer, is worth another type; anything
      // else would fail for every type.
      if (!ZONAL_REFUSALS.has(e.code)) break;
      onRefused(c.type ?? '', e);
    }
  }
  const e = last!;
  if (spot && e.code === 'InsufficientInstanceCapacity') throw new AwsError(e.code, `Could not launch ${market} Instances. UnfulfillableCapacity - There is no capacity available that matches your request.`, e.status);
  throw new AwsError(e.code, `Could not launch ${market} Instances. ${e.code} - ${e.message}`, e.status);
}

// ---- scale-in ----

/**
 * The instances a scale-in of a mixed instances group to `desired` chooses among: first the
 * purchase option over its share of the new capacity (AWS first identifies which of Spot or
 * On-Demand to terminate), and only instances whose units still leave the desired capacity met.
 */
export function scaleInCandidates(group: DeepReadonly<GroupRecord>, counted: readonly DeepReadonly<MemberRecord>[], desired: number): DeepReadonly<MemberRecord>[] {
  const excess = capacityOf(counted) - desired;
  const fits = counted.filter((m) => unitsOf(m) <= excess);
  const policy = group.MixedInstancesPolicy;
  if (!policy) return fits;
  const overOnDemand = onDemandUnits(counted) > onDemandTarget(policy.InstancesDistribution, desired);
  const side = fits.filter((m) => !m.spot === overOnDemand && !m.ProtectedFromScaleIn);
  return side.length ? side : fits;
}

/**
 * The AllocationStrategy termination policy: terminates what the allocation strategy would have
 * launched last (the lowest priority type, or the highest price per unit).
 */
export function allocationStrategyOrder(group: DeepReadonly<GroupRecord>, m: DeepReadonly<MemberRecord>): number {
  const policy = group.MixedInstancesPolicy;
  if (!policy) return 0;
  const d = policy.InstancesDistribution;
  const byPrice = m.spot ? d.SpotAllocationStrategy === 'lowest-price' || d.SpotAllocationStrategy === 'price-capacity-optimized' : d.OnDemandAllocationStrategy === 'lowest-price';
  if (byPrice) return -(m.spot ? spotPrice : onDemandPrice)(m.InstanceType) / unitsOf(m);
  const index = policy.LaunchTemplate.Overrides.findIndex((o) => o.InstanceType === m.InstanceType);
  return -(index < 0 ? Infinity : index);
}
