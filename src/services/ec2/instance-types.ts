/**
 * The instance type catalogue: every type of the EC2 model's enumeration with AWS's published
 * figures (src/models/ec2-instance-types.json, generated), what RunInstances accepts,
 * DescribeInstanceTypes lists and DescribeInstanceTypeOfferings offers, and what sizes the
 * sandbox's CPU and memory limits.
 */
import { AwsError } from '../../core/errors.ts';
import { instanceTypeCatalogue, type InstanceTypeInfo } from '../../models/ec2-catalogue.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, type Filter } from './filters.ts';
import { regionZones } from '../../config.ts';
import { zoneId } from './regions.provider.ts';

export interface InstanceTypeSpec {
  name: string;
  vcpus: number;
  cores: number;
  threadsPerCore: number;
  memoryMiB: number;
  architectures: string[];
  burstable: boolean;
  /** Default CPU credits of a burstable type: T2 launches `standard`, later T families `unlimited`. */
  credits?: 'standard' | 'unlimited';
  autoRecovery: boolean;
  info: InstanceTypeInfo;
}

let byName: Map<string, InstanceTypeSpec> | undefined;

function specs(): Map<string, InstanceTypeSpec> {
  if (byName) return byName;
  byName = new Map();
  for (const published of instanceTypeCatalogue().types) {
    // AWS now lists T1 for simplified automatic recovery; faultline keeps the book's rule that
    // recovery excludes t1 (spec §3, Requirements), and says so where AWS's answer says otherwise.
    const info = published.InstanceType.startsWith('t1.') ? { ...published, AutoRecoverySupported: false } : published;
    const burstable = info.BurstablePerformanceSupported === true;
    byName.set(info.InstanceType, {
      name: info.InstanceType,
      vcpus: info.VCpuInfo.DefaultVCpus,
      threadsPerCore: info.VCpuInfo.DefaultThreadsPerCore ?? 1,
      cores: info.VCpuInfo.DefaultCores ?? info.VCpuInfo.DefaultVCpus,
      memoryMiB: info.MemoryInfo.SizeInMiB,
      architectures: info.ProcessorInfo.SupportedArchitectures,
      burstable,
      credits: burstable ? (info.InstanceType.startsWith('t2.') ? 'standard' : 'unlimited') : undefined,
      autoRecovery: info.AutoRecoverySupported === true,
      info,
    });
  }
  return byName;
}

export const instanceType = (name: string): InstanceTypeSpec | undefined => specs().get(name);

/** Whether simplified automatic recovery and the recover alarm action apply to the type (AWS's AutoRecoverySupported). */
export const autoRecoverySupported = (t: InstanceTypeSpec) => t.autoRecovery;

const typeFilters = {
  'instance-type': (i: InstanceTypeInfo) => i.InstanceType,
  'current-generation': (i: InstanceTypeInfo) => i.CurrentGeneration,
  'free-tier-eligible': (i: InstanceTypeInfo) => i.FreeTierEligible as boolean,
  'burstable-performance-supported': (i: InstanceTypeInfo) => i.BurstablePerformanceSupported,
  'auto-recovery-supported': (i: InstanceTypeInfo) => i.AutoRecoverySupported,
  'bare-metal': (i: InstanceTypeInfo) => i.BareMetal as boolean,
  'dedicated-hosts-supported': (i: InstanceTypeInfo) => i.DedicatedHostsSupported as boolean,
  hypervisor: (i: InstanceTypeInfo) => i.Hypervisor,
  'hibernation-supported': (i: InstanceTypeInfo) => i.HibernationSupported as boolean,
  'instance-storage-supported': (i: InstanceTypeInfo) => i.InstanceStorageSupported as boolean,
  'memory-info.size-in-mib': (i: InstanceTypeInfo) => i.MemoryInfo.SizeInMiB,
  'vcpu-info.default-vcpus': (i: InstanceTypeInfo) => i.VCpuInfo.DefaultVCpus,
  'vcpu-info.default-cores': (i: InstanceTypeInfo) => i.VCpuInfo.DefaultCores,
  'vcpu-info.default-threads-per-core': (i: InstanceTypeInfo) => i.VCpuInfo.DefaultThreadsPerCore,
  'processor-info.supported-architecture': (i: InstanceTypeInfo) => i.ProcessorInfo.SupportedArchitectures,
  'supported-root-device-type': (i: InstanceTypeInfo) => i.SupportedRootDeviceTypes as string[],
  'supported-usage-class': (i: InstanceTypeInfo) => i.SupportedUsageClasses as string[],
  'supported-virtualization-type': (i: InstanceTypeInfo) => i.SupportedVirtualizationTypes as string[],
  'supported-boot-mode': (i: InstanceTypeInfo) => i.SupportedBootModes as string[],
  'network-info.network-performance': (i: InstanceTypeInfo) => i.NetworkInfo?.NetworkPerformance,
  'network-info.ena-support': (i: InstanceTypeInfo) => (i.NetworkInfo as { EnaSupport?: string } | undefined)?.EnaSupport,
  'network-info.ipv6-supported': (i: InstanceTypeInfo) => (i.NetworkInfo as { Ipv6Supported?: boolean } | undefined)?.Ipv6Supported,
};

/** An offering: a type and where it is offered. */
interface Offering {
  InstanceType: string;
  LocationType: 'region' | 'availability-zone' | 'availability-zone-id';
  Location: string;
}

/** Per region: the types offered there, and per AZ letter the ones the AZ lacks; undefined where nothing is recorded (every type everywhere). */
const offeredCache = new Map<string, { region: Set<string>; lacks: Map<string, Set<string>> } | undefined>();
function recordedOfferings(region: string) {
  if (offeredCache.has(region)) return offeredCache.get(region);
  const { types, offerings: all } = instanceTypeCatalogue();
  const here = all[region];
  const names = (ix: number[]) => new Set(ix.map((i) => types[i].InstanceType));
  const entry = here && { region: names(here.region), lacks: new Map(Object.entries(here.zonesLack).map(([letter, ix]) => [letter, names(ix)])) };
  offeredCache.set(region, entry);
  return entry;
}

/** Whether the AZ (`region` + letter) offers the type, as DescribeInstanceTypeOfferings says. */
export function offeredIn(region: string, zone: string, type: string): boolean {
  const o = recordedOfferings(region);
  return !o || (o.region.has(type) && !o.lacks.get(zone.slice(region.length))?.has(type));
}

/**
 * EC2's refusal of a launch of a type that the AZ does not offer, naming the region's AZs that do
 * (`zones`, the AZs faultline offers there), or the region's when none does.
 */
export function unsupportedIn(region: string, zones: readonly string[], zone: string, type: string): AwsError {
  const offering = zones.filter((z) => offeredIn(region, z, type));
  if (!offering.length) return new AwsError('Unsupported', 'The requested configuration is currently not supported. Please check the documentation for supported configurations.');
  return new AwsError(
    'Unsupported',
    `Your requested instance type (${type}) is not supported in your requested Availability Zone (${zone}). Please retry your request by not specifying an Availability Zone or choosing ${offering.join(', ')}.`,
  );
}

/** The offerings in the request's region, by location type. Without recorded offerings, every type everywhere. */
function offerings(ctx: RequestContext, locationType: Offering['LocationType']): Offering[] {
  const { types, offerings: all } = instanceTypeCatalogue();
  const here = all[ctx.region];
  const inRegion = here ? here.region.map((i) => types[i].InstanceType) : types.map((t) => t.InstanceType);
  if (locationType === 'region') return inRegion.map((InstanceType) => ({ InstanceType, LocationType: locationType, Location: ctx.region }));
  const out: Offering[] = [];
  for (const letter of regionZones(ctx.env.config, ctx.region) ?? []) {
    const lacks = new Set((here?.zonesLack[letter] ?? []).map((i) => types[i].InstanceType));
    const Location = locationType === 'availability-zone' ? ctx.region + letter : zoneId(ctx.region, letter);
    for (const InstanceType of inRegion) if (!lacks.has(InstanceType)) out.push({ InstanceType, LocationType: locationType, Location });
  }
  return out;
}

export const instanceTypeHandlers = {
  DescribeInstanceTypes(input: { InstanceTypes?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string }, _ctx: RequestContext) {
    const unknown = (input.InstanceTypes ?? []).filter((n) => !specs().has(n));
    if (unknown.length) throw new AwsError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
    const picked = input.InstanceTypes?.length ? input.InstanceTypes.map((n) => specs().get(n)!.info) : [...specs().values()].map((t) => t.info);
    const filtered = applyFilters(picked, input.Filters, typeFilters);
    // AWS answers at most 100 types a page, asked or not.
    const { page, NextToken } = paginate(filtered, input.MaxResults ?? 100, input.NextToken, 5, 100);
    return { InstanceTypes: page, NextToken };
  },

  DescribeInstanceTypeOfferings(input: { LocationType?: string; Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    const locationType = input.LocationType ?? 'region';
    if (locationType !== 'region' && locationType !== 'availability-zone' && locationType !== 'availability-zone-id') {
      throw new AwsError('InvalidParameterValue', `The value '${locationType}' for parameter LocationType is invalid. Valid values are region, availability-zone, availability-zone-id.`);
    }
    const filtered = applyFilters(offerings(ctx, locationType), input.Filters, {
      'instance-type': (o) => o.InstanceType,
      location: (o) => o.Location,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults ?? 1000, input.NextToken, 5, 1000);
    return { InstanceTypeOfferings: page, NextToken };
  },
};
