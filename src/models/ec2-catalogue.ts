/**
 * EC2's generated account catalogue (scripts/generate-ec2-catalogue.py names its sources): every
 * commercial region with its AZ names and AZ IDs, and every instance type with AWS's published
 * figures and offerings. The regions are small and read at start; the instance types are read at
 * their first use, so a faultline that launches nothing never parses them.
 */
import { readFileSync } from 'node:fs';

// Beside this module in src/, and beside the bundle in dist/ (scripts/build.mjs copies every src/models/*.json).
const read = (name: string): unknown => JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8'));

export interface RegionEntry {
  description: string;
  /** AWS makes the account enable it (the regions introduced after 20 March 2019). */
  optIn: boolean;
  /** AZ letter and AZ ID, in order. */
  zones: [string, string][];
}

export const REGIONS = (read('ec2-regions') as { regions: Record<string, RegionEntry> }).regions;

/** One type as DescribeInstanceTypes answers it (the members of the model's InstanceTypeInfo). */
export interface InstanceTypeInfo {
  InstanceType: string;
  CurrentGeneration?: boolean;
  BurstablePerformanceSupported?: boolean;
  AutoRecoverySupported?: boolean;
  Hypervisor?: string;
  VCpuInfo: { DefaultVCpus: number; DefaultCores?: number; DefaultThreadsPerCore?: number };
  MemoryInfo: { SizeInMiB: number };
  ProcessorInfo: { SupportedArchitectures: string[] };
  NetworkInfo?: { NetworkPerformance?: string };
  [member: string]: unknown;
}

export interface InstanceTypeCatalogue {
  types: InstanceTypeInfo[];
  /** Per region: the types offered there and, per AZ letter, the region's types that the AZ lacks (indexes into types). */
  offerings: Record<string, { region: number[]; zonesLack: Record<string, number[]> }>;
}

let catalogue: InstanceTypeCatalogue | undefined;
export const instanceTypeCatalogue = (): InstanceTypeCatalogue => (catalogue ??= read('ec2-instance-types') as InstanceTypeCatalogue);
