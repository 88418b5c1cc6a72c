/**
 * The built-in catalogue of instance types: what RunInstances accepts and DescribeInstanceTypes
 * lists. Sizes follow AWS's published figures for each type.
 */
import { AwsError } from '../../core/errors.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, type Filter } from './filters.ts';

export interface InstanceTypeSpec {
  name: string;
  vcpus: number;
  memoryMiB: number;
  hypervisor: 'xen' | 'nitro';
  burstable: boolean;
  currentGeneration: boolean;
  network: string;
  /** Default CPU credits of a burstable type. */
  credits?: 'standard' | 'unlimited';
  maxEnis: number;
  ipsPerEni: number;
  freeTier?: boolean;
  paravirtual?: boolean;
}

const sizes = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'];

function family(prefix: string, vcpuMem: [string, number, number, string][], extra: Partial<InstanceTypeSpec>): InstanceTypeSpec[] {
  return vcpuMem.map(([size, vcpus, mem, network]) => ({
    name: `${prefix}.${size}`,
    vcpus,
    memoryMiB: mem,
    hypervisor: 'nitro',
    burstable: false,
    currentGeneration: true,
    network,
    maxEnis: vcpus <= 2 ? 3 : vcpus <= 4 ? 4 : 8,
    ipsPerEni: vcpus <= 2 ? 10 : vcpus <= 4 ? 15 : 30,
    ...extra,
  }));
}

const net = (n: number) => (n <= 8 ? 'Up to 10 Gigabit' : n <= 32 ? 'Up to 10 Gigabit' : n <= 48 ? '12 Gigabit' : n <= 64 ? '20 Gigabit' : '25 Gigabit');

const CATALOGUE: InstanceTypeSpec[] = [
  { name: 't1.micro', vcpus: 1, memoryMiB: 627, hypervisor: 'xen', burstable: false, currentGeneration: false, network: 'Very Low', maxEnis: 2, ipsPerEni: 2, paravirtual: true },
  { name: 'm1.small', vcpus: 1, memoryMiB: 1740, hypervisor: 'xen', burstable: false, currentGeneration: false, network: 'Low', maxEnis: 2, ipsPerEni: 4, paravirtual: true },
  ...family('t2', [
    ['nano', 1, 512, 'Low to Moderate'], ['micro', 1, 1024, 'Low to Moderate'], ['small', 1, 2048, 'Low to Moderate'],
    ['medium', 2, 4096, 'Low to Moderate'], ['large', 2, 8192, 'Low to Moderate'], ['xlarge', 4, 16384, 'Moderate'], ['2xlarge', 8, 32768, 'Moderate'],
  ], { hypervisor: 'xen', burstable: true, credits: 'standard' }),
  ...family('t3', [
    ['nano', 2, 512, 'Up to 5 Gigabit'], ['micro', 2, 1024, 'Up to 5 Gigabit'], ['small', 2, 2048, 'Up to 5 Gigabit'],
    ['medium', 2, 4096, 'Up to 5 Gigabit'], ['large', 2, 8192, 'Up to 5 Gigabit'], ['xlarge', 4, 16384, 'Up to 5 Gigabit'], ['2xlarge', 8, 32768, 'Up to 5 Gigabit'],
  ], { burstable: true, credits: 'unlimited' }),
  ...family('m5', sizes.map((s, i) => [s, [2, 4, 8, 16, 32, 48, 64, 96][i], [2, 4, 8, 16, 32, 48, 64, 96][i] * 4096, net([2, 4, 8, 16, 32, 48, 64, 96][i])]), {}),
  ...family('c5', ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '12xlarge', '18xlarge', '24xlarge'].map((s, i) => {
    const v = [2, 4, 8, 16, 36, 48, 72, 96][i];
    return [s, v, v * 2048, net(v)] as [string, number, number, string];
  }), {}),
  ...family('r5', sizes.map((s, i) => [s, [2, 4, 8, 16, 32, 48, 64, 96][i], [2, 4, 8, 16, 32, 48, 64, 96][i] * 8192, net([2, 4, 8, 16, 32, 48, 64, 96][i])]), {}),
];
for (const t of CATALOGUE) if (t.name === 't2.micro' || t.name === 't3.micro') t.freeTier = true;

const BY_NAME = new Map(CATALOGUE.map((t) => [t.name, t]));

export const instanceType = (name: string): InstanceTypeSpec | undefined => BY_NAME.get(name);

/** The types faultline's seed rule allows recovery for: VPC, EBS-only, not t1. */
export const autoRecoverySupported = (t: InstanceTypeSpec) => !t.name.startsWith('t1.') && !t.name.startsWith('m1.');

function info(t: InstanceTypeSpec) {
  const cores = t.vcpus === 1 ? 1 : t.vcpus / 2;
  return {
    InstanceType: t.name,
    CurrentGeneration: t.currentGeneration,
    FreeTierEligible: !!t.freeTier,
    SupportedUsageClasses: ['on-demand', 'spot'],
    SupportedRootDeviceTypes: ['ebs'],
    SupportedVirtualizationTypes: t.paravirtual ? ['hvm', 'paravirtual'] : ['hvm'],
    BareMetal: false,
    Hypervisor: t.hypervisor,
    ProcessorInfo: { SupportedArchitectures: t.paravirtual ? ['i386', 'x86_64'] : ['x86_64'], SustainedClockSpeedInGhz: t.hypervisor === 'xen' ? 2.5 : 3.1, Manufacturer: 'Intel' },
    VCpuInfo: { DefaultVCpus: t.vcpus, DefaultCores: cores, DefaultThreadsPerCore: t.vcpus === 1 ? 1 : 2, ValidCores: [cores], ValidThreadsPerCore: t.vcpus === 1 ? [1] : [1, 2] },
    MemoryInfo: { SizeInMiB: t.memoryMiB },
    InstanceStorageSupported: false,
    EbsInfo: { EbsOptimizedSupport: t.hypervisor === 'nitro' ? 'default' : 'unsupported', EncryptionSupport: 'supported', NvmeSupport: t.hypervisor === 'nitro' ? 'required' : 'unsupported' },
    NetworkInfo: {
      NetworkPerformance: t.network,
      MaximumNetworkInterfaces: t.maxEnis,
      MaximumNetworkCards: 1,
      DefaultNetworkCardIndex: 0,
      NetworkCards: [{ NetworkCardIndex: 0, NetworkPerformance: t.network, MaximumNetworkInterfaces: t.maxEnis }],
      Ipv4AddressesPerInterface: t.ipsPerEni,
      Ipv6AddressesPerInterface: t.ipsPerEni,
      Ipv6Supported: !t.paravirtual,
      EnaSupport: t.hypervisor === 'nitro' ? 'required' : 'unsupported',
      EfaSupported: false,
      EncryptionInTransitSupported: false,
    },
    PlacementGroupInfo: { SupportedStrategies: ['partition', 'spread'] },
    HibernationSupported: !t.paravirtual,
    BurstablePerformanceSupported: t.burstable,
    DedicatedHostsSupported: !t.burstable,
    AutoRecoverySupported: autoRecoverySupported(t),
    SupportedBootModes: ['legacy-bios'],
  };
}

type Info = ReturnType<typeof info>;

export const instanceTypeHandlers = {
  DescribeInstanceTypes(input: { InstanceTypes?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string }, _ctx: RequestContext) {
    const unknown = (input.InstanceTypes ?? []).filter((n) => !BY_NAME.has(n));
    if (unknown.length) throw new AwsError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
    const picked = CATALOGUE.filter((t) => !input.InstanceTypes?.length || input.InstanceTypes.includes(t.name)).map(info);
    const filtered = applyFilters<Info>(picked, input.Filters, {
      'instance-type': (i) => i.InstanceType,
      'current-generation': (i) => i.CurrentGeneration,
      'free-tier-eligible': (i) => i.FreeTierEligible,
      'burstable-performance-supported': (i) => i.BurstablePerformanceSupported,
      'auto-recovery-supported': (i) => i.AutoRecoverySupported,
      'bare-metal': (i) => i.BareMetal,
      hypervisor: (i) => i.Hypervisor,
      'hibernation-supported': (i) => i.HibernationSupported,
      'instance-storage-supported': (i) => i.InstanceStorageSupported,
      'memory-info.size-in-mib': (i) => i.MemoryInfo.SizeInMiB,
      'vcpu-info.default-vcpus': (i) => i.VCpuInfo.DefaultVCpus,
      'vcpu-info.default-cores': (i) => i.VCpuInfo.DefaultCores,
      'processor-info.supported-architecture': (i) => i.ProcessorInfo.SupportedArchitectures,
      'supported-root-device-type': (i) => i.SupportedRootDeviceTypes,
      'supported-usage-class': (i) => i.SupportedUsageClasses,
      'supported-virtualization-type': (i) => i.SupportedVirtualizationTypes,
      'network-info.network-performance': (i) => i.NetworkInfo.NetworkPerformance,
      'network-info.ena-support': (i) => i.NetworkInfo.EnaSupport,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 100);
    return { InstanceTypes: page, NextToken };
  },
};
