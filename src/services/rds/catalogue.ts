/**
 * What RDS offers here: the engines (postgres 15, mysql 8.0, mariadb 10.11, the versions the real
 * engines under the sandbox driver run), the common instance classes with their vCPUs and memory
 * (spec rds.md §6), and the calls that list them (DescribeDBEngineVersions,
 * DescribeOrderableDBInstanceOptions).
 */
import { pageOf } from '../../core/paging.ts';
import { zonesOf } from '../ec2/regions.provider.ts';
import type { RequestContext } from '../service.ts';
import { rdsErrors } from './errors.ts';
import type { Engine } from './state.ts';

interface EngineInfo {
  description: string;
  versions: string[];
  family: (version: string) => string;
  port: number;
  /** MasterUserPassword length (spec §6). */
  password: { min: number; max: number };
}

export const ENGINES: Record<Engine, EngineInfo> = {
  postgres: { description: 'PostgreSQL', versions: ['15.5', '15.6', '15.7', '15.8', '15.10'], family: (v) => `postgres${v.split('.')[0]}`, port: 5432, password: { min: 8, max: 128 } },
  mysql: { description: 'MySQL Community Edition', versions: ['8.0.35', '8.0.36', '8.0.39', '8.0.40'], family: (v) => `mysql${v.split('.').slice(0, 2).join('.')}`, port: 3306, password: { min: 8, max: 41 } },
  mariadb: { description: 'MariaDB Community Edition', versions: ['10.11.6', '10.11.8', '10.11.9', '10.11.10'], family: (v) => `mariadb${v.split('.').slice(0, 2).join('.')}`, port: 3306, password: { min: 8, max: 41 } },
};

/** vCPUs and GiB of memory of each class offered. */
export const CLASSES: Record<string, { vcpu: number; memory: number }> = {
  // Previous generation, still named by older templates (the book's).
  'db.t2.micro': { vcpu: 1, memory: 1 },
  'db.t2.small': { vcpu: 1, memory: 2 },
  'db.t2.medium': { vcpu: 2, memory: 4 },
  'db.t3.micro': { vcpu: 2, memory: 1 },
  'db.t3.small': { vcpu: 2, memory: 2 },
  'db.t3.medium': { vcpu: 2, memory: 4 },
  'db.t3.large': { vcpu: 2, memory: 8 },
  'db.t4g.micro': { vcpu: 2, memory: 1 },
  'db.t4g.small': { vcpu: 2, memory: 2 },
  'db.t4g.medium': { vcpu: 2, memory: 4 },
  'db.m5.large': { vcpu: 2, memory: 8 },
  'db.m5.xlarge': { vcpu: 4, memory: 16 },
  'db.m6g.large': { vcpu: 2, memory: 8 },
  'db.r5.large': { vcpu: 2, memory: 16 },
  'db.r6g.large': { vcpu: 2, memory: 16 },
};

/** Storage ranges (GiB) by storage type for the engines offered (spec §6). */
export const STORAGE: Record<string, { min: number; max: number }> = {
  gp2: { min: 20, max: 65536 },
  gp3: { min: 20, max: 65536 },
  io1: { min: 100, max: 65536 },
  io2: { min: 100, max: 65536 },
  standard: { min: 5, max: 3072 },
};

export function engineOf(name: string): Engine {
  const engine = name.toLowerCase();
  if (!Object.hasOwn(ENGINES, engine)) throw rdsErrors.invalidValue(`Invalid DB engine: ${name}`);
  return engine as Engine;
}

/** The version asked for (a full version, or a major one such as `15` or `8.0`), or the newest when none is (Terraform sends an empty one). */
export function versionOf(engine: Engine, asked: string | undefined): string {
  const versions = ENGINES[engine].versions;
  if (asked === undefined || asked === '') return versions[versions.length - 1];
  const match = versions.filter((v) => v === asked || v.startsWith(asked + '.'));
  if (!match.length) throw rdsErrors.invalidCombination(`Cannot find version ${asked} for ${engine}`);
  return match[match.length - 1];
}

export function checkClass(cls: string): string {
  if (!Object.hasOwn(CLASSES, cls)) throw rdsErrors.invalidValue(`Invalid DB Instance class: ${cls}`);
  return cls;
}

export function checkStorage(engine: Engine, type: string, size: number): void {
  const range = Object.hasOwn(STORAGE, type) ? STORAGE[type] : undefined;
  if (!range) throw rdsErrors.invalidValue(`Invalid storage type: ${type}`);
  if (!Number.isInteger(size) || size < range.min || size > range.max) throw rdsErrors.invalidCombination(`Invalid storage size for engine name ${engine} and storage type ${type}: ${size}`);
}

const invalidMarker = () => rdsErrors.invalidValue('The marker is not valid.');

function engineVersions(input: { Engine?: string; EngineVersion?: string; DBParameterGroupFamily?: string; DefaultOnly?: boolean }) {
  const out = [];
  for (const [engine, info] of Object.entries(ENGINES)) {
    if (input.Engine !== undefined && input.Engine !== engine) continue;
    const versions = input.DefaultOnly ? [info.versions[info.versions.length - 1]] : info.versions;
    for (const v of versions) {
      if (input.EngineVersion !== undefined && v !== input.EngineVersion && !v.startsWith(input.EngineVersion + '.')) continue;
      if (input.DBParameterGroupFamily !== undefined && info.family(v) !== input.DBParameterGroupFamily) continue;
      out.push({
        Engine: engine,
        EngineVersion: v,
        DBParameterGroupFamily: info.family(v),
        DBEngineDescription: info.description,
        DBEngineVersionDescription: `${info.description} ${v}`,
        MajorEngineVersion: engine === 'postgres' ? v.split('.')[0] : v.split('.').slice(0, 2).join('.'),
        Status: 'available',
        SupportsReadReplica: true,
        SupportsLogExportsToCloudwatchLogs: true,
        ValidUpgradeTarget: [],
      });
    }
  }
  return out;
}

export const catalogueHandlers = {
  DescribeDBEngineVersions(input: { Engine?: string; EngineVersion?: string; DBParameterGroupFamily?: string; DefaultOnly?: boolean; Marker?: string; MaxRecords?: number }) {
    const page = pageOf(engineVersions(input), input.Marker, input.MaxRecords ?? 100, invalidMarker);
    return { DBEngineVersions: page.items, Marker: page.next };
  },
  DescribeOrderableDBInstanceOptions(input: { Engine: string; EngineVersion?: string; DBInstanceClass?: string; Vpc?: boolean; Marker?: string; MaxRecords?: number }, ctx: RequestContext) {
    const zones = zonesOf(ctx.env.config, ctx.region).map((Name) => ({ Name }));
    const options = [];
    for (const v of engineVersions({ Engine: input.Engine, EngineVersion: input.EngineVersion })) {
      for (const cls of Object.keys(CLASSES)) {
        if (input.DBInstanceClass !== undefined && cls !== input.DBInstanceClass) continue;
        for (const [type, range] of Object.entries(STORAGE)) {
          options.push({
            Engine: v.Engine,
            EngineVersion: v.EngineVersion,
            DBInstanceClass: cls,
            LicenseModel: v.Engine === 'mysql' || v.Engine === 'mariadb' ? 'general-public-license' : 'postgresql-license',
            AvailabilityZones: zones,
            MultiAZCapable: true,
            ReadReplicaCapable: true,
            Vpc: true,
            StorageType: type,
            MinStorageSize: range.min,
            MaxStorageSize: range.max,
            SupportsStorageEncryption: true,
            SupportsIops: type.startsWith('io') || type === 'gp3',
            SupportedNetworkTypes: ['IPV4'],
          });
        }
      }
    }
    const page = pageOf(options, input.Marker, input.MaxRecords ?? 100, invalidMarker);
    return { OrderableDBInstanceOptions: page.items, Marker: page.next };
  },
};
