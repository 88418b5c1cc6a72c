/**
 * Target resource types and target resolution. Each type lists its resources as their service's
 * Describe call shows them, so that a filter's dotted PascalCase path (`Placement.AvailabilityZone`,
 * `State.Name`) reads the same fields a user reads. A target resolves once, when its experiment
 * starts: by ARN, or by tags and filters, then narrowed by its selection mode.
 */
import { randomInt } from 'node:crypto';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { autoscaling } from '../autoscaling/index.ts';
import { ec2 } from '../ec2/index.ts';
import { zoneNamed } from '../ec2/regions.provider.ts';
import { loopContext } from '../ec2/scoped.ts';
import { rds } from '../rds/index.ts';
import { iamScope, ROLES, type RoleRecord } from '../iam/state.ts';
import { validation, type Tags, type TemplateTarget } from './state.ts';

interface Candidate {
  arn: string;
  tags: Tags;
  /** The resource as its Describe call returns it; filters read paths into it. */
  described: Record<string, unknown>;
}

export interface ResourceType {
  resourceType: string;
  description: string;
  parameters: Record<string, { description: string; required: boolean }>;
  /** Which ARNs name a resource of this type (checked at create, before anything is looked up). */
  arnPattern: RegExp;
  /** Every resource of the type in the scope, narrowed by the target's parameters. */
  list(env: Env, scope: Scope, parameters: Readonly<Record<string, string>>): Candidate[];
}

type Tagged = { Tags?: readonly { Key?: string; Value?: string }[] };
const tagsOf = (r: Tagged): Tags => Object.fromEntries((r.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** Every page of a Describe call, through the service's own handler. */
function describeAll(env: Env, scope: Scope, call: (input: Record<string, unknown>, ctx: ReturnType<typeof loopContext>) => any, listKey: string, tokenKey: string): Record<string, unknown>[] {
  const ctx = loopContext(env, scope);
  const out: Record<string, unknown>[] = [];
  let token: string | undefined;
  do {
    const page = call(token ? { [tokenKey]: token } : {}, ctx);
    out.push(...(page[listKey] ?? []));
    token = page[tokenKey];
  } while (token);
  return out;
}

const inZone = (env: Env, scope: Scope, parameters: Readonly<Record<string, string>>) => {
  const id = parameters.availabilityZoneIdentifier;
  const zone = id === undefined ? undefined : (zoneNamed(env.config, scope.region, id) ?? `(no zone ${id})`);
  return (r: Record<string, unknown>) => zone === undefined || r.AvailabilityZone === zone;
};

const ec2Arn = (scope: Scope, type: string, id: unknown) => `arn:aws:ec2:${scope.region}:${scope.account}:${type}/${id}`;

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    resourceType: 'aws:ec2:instance',
    description: 'Amazon EC2 instances (DescribeInstances); terminated instances are never targets.',
    parameters: {},
    arnPattern: /^arn:aws:ec2:[a-z0-9-]+:\d{12}:instance\/i-[0-9a-f]+$/,
    list: (env, scope) =>
      describeAll(env, scope, ec2.handlers.DescribeInstances, 'Reservations', 'NextToken')
        .flatMap((r) => r.Instances as Record<string, unknown>[])
        .filter((i) => (i.State as { Name: string }).Name !== 'terminated')
        .map((i) => ({ arn: ec2Arn(scope, 'instance', i.InstanceId), tags: tagsOf(i as Tagged), described: i })),
  },
  {
    resourceType: 'aws:ec2:spot-instance',
    description: 'Amazon EC2 Spot Instances (DescribeInstances, InstanceLifecycle spot); terminated instances are never targets.',
    parameters: {},
    arnPattern: /^arn:aws:ec2:[a-z0-9-]+:\d{12}:instance\/i-[0-9a-f]+$/,
    list: (env, scope) =>
      describeAll(env, scope, ec2.handlers.DescribeInstances, 'Reservations', 'NextToken')
        .flatMap((r) => r.Instances as Record<string, unknown>[])
        .filter((i) => i.InstanceLifecycle === 'spot' && (i.State as { Name: string }).Name !== 'terminated')
        .map((i) => ({ arn: ec2Arn(scope, 'instance', i.InstanceId), tags: tagsOf(i as Tagged), described: i })),
  },
  {
    resourceType: 'aws:ec2:autoscaling-group',
    description: 'Amazon EC2 Auto Scaling groups (DescribeAutoScalingGroups).',
    parameters: {},
    arnPattern: /^arn:aws:autoscaling:[a-z0-9-]+:\d{12}:autoScalingGroup:[^:]+:autoScalingGroupName\/.+$/,
    list: (env, scope) =>
      describeAll(env, scope, autoscaling.handlers.DescribeAutoScalingGroups, 'AutoScalingGroups', 'NextToken').map((g) => ({
        arn: g.AutoScalingGroupARN as string,
        tags: tagsOf(g as Tagged),
        described: g,
      })),
  },
  {
    resourceType: 'aws:ec2:subnet',
    description: 'Amazon VPC subnets (DescribeSubnets).',
    parameters: {
      availabilityZoneIdentifier: { description: 'The Availability Zone of the subnets, by name (us-east-1a) or AZ ID (use1-az1).', required: false },
      vpc: { description: 'The VPC of the subnets.', required: false },
    },
    arnPattern: /^arn:aws:ec2:[a-z0-9-]+:\d{12}:subnet\/subnet-[0-9a-f]+$/,
    list: (env, scope, parameters) => {
      const zone = inZone(env, scope, parameters);
      return describeAll(env, scope, ec2.handlers.DescribeSubnets, 'Subnets', 'NextToken')
        .filter((s) => zone(s) && (parameters.vpc === undefined || s.VpcId === parameters.vpc))
        .map((s) => ({ arn: ec2Arn(scope, 'subnet', s.SubnetId), tags: tagsOf(s as Tagged), described: s }));
    },
  },
  {
    resourceType: 'aws:ec2:ebs-volume',
    description: 'Amazon EBS volumes (DescribeVolumes).',
    parameters: {
      availabilityZoneIdentifier: { description: 'The Availability Zone of the volumes, by name (us-east-1a) or AZ ID (use1-az1).', required: false },
    },
    arnPattern: /^arn:aws:ec2:[a-z0-9-]+:\d{12}:volume\/vol-[0-9a-f]+$/,
    list: (env, scope, parameters) => {
      const zone = inZone(env, scope, parameters);
      return describeAll(env, scope, ec2.handlers.DescribeVolumes, 'Volumes', 'NextToken')
        .filter((v) => zone(v) && v.State !== 'deleted')
        .map((v) => ({ arn: ec2Arn(scope, 'volume', v.VolumeId), tags: tagsOf(v as Tagged), described: v }));
    },
  },
  {
    resourceType: 'aws:rds:db',
    description: 'Amazon RDS DB instances (DescribeDBInstances).',
    parameters: {},
    arnPattern: /^arn:aws:rds:[a-z0-9-]+:\d{12}:db:[a-z][a-z0-9-]*$/,
    list: (env, scope) =>
      describeAll(env, scope, rds.handlers.DescribeDBInstances, 'DBInstances', 'Marker').map((i) => ({
        arn: i.DBInstanceArn as string,
        tags: tagsOf({ Tags: i.TagList as Tagged['Tags'] }),
        described: i,
      })),
  },
  {
    resourceType: 'aws:iam:role',
    description: 'IAM roles, for the actions that change what the calls made with a role get.',
    parameters: {},
    arnPattern: /^arn:aws:iam::\d{12}:role\/.+$/,
    list: (env, scope) =>
      env.store.list<RoleRecord>(ROLES, iamScope(scope.account)).map((r: DeepReadonly<RoleRecord>) => ({
        arn: r.Arn,
        tags: tagsOf(r),
        described: { RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, Path: r.Path, Tags: r.Tags },
      })),
  },
];

export const resourceType = (type: string): ResourceType | undefined => RESOURCE_TYPES.find((t) => t.resourceType === type);

/** The values a dotted path reaches in a Describe output; lists along the way give all their items' values. */
export function valuesAt(node: unknown, path: readonly string[]): string[] {
  if (Array.isArray(node)) return node.flatMap((n) => valuesAt(n, path));
  if (path.length === 0) return node === undefined || node === null || typeof node === 'object' ? [] : [String(node)];
  if (node === null || typeof node !== 'object') return [];
  return Object.hasOwn(node, path[0]) ? valuesAt((node as Record<string, unknown>)[path[0]], path.slice(1)) : [];
}

/** `ALL`, `COUNT(n)` or `PERCENT(n)`: the mode and its number, or undefined when malformed. */
export function parseSelectionMode(mode: string): { kind: 'ALL' } | { kind: 'COUNT' | 'PERCENT'; n: number } | undefined {
  if (mode === 'ALL') return { kind: 'ALL' };
  const m = /^(COUNT|PERCENT)\((\d{1,9})\)$/.exec(mode);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (n < 1 || (m[1] === 'PERCENT' && n > 100)) return undefined;
  return { kind: m[1] as 'COUNT' | 'PERCENT', n };
}

/** Picks `count` of `items` at random, in their original order. */
function pickRandom<T>(items: readonly T[], count: number): T[] {
  const idx = items.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => items[i]);
}

export type Resolution = { arns: string[] } | { missing: string[] };

/**
 * Resolves a target in the scope. Named ARNs that do not exist come back as `missing` (which
 * fails the experiment whatever its empty-target mode). PERCENT rounds down, as AWS's does.
 */
export function resolveTarget(env: Env, scope: Scope, target: DeepReadonly<TemplateTarget>): Resolution {
  const type = resourceType(target.resourceType);
  if (!type) throw validation(`Target resource type ${target.resourceType} is not supported.`);
  const candidates = type.list(env, scope, target.parameters ?? {});
  let picked: Candidate[];
  if (target.resourceArns?.length) {
    const byArn = new Map(candidates.map((c) => [c.arn, c]));
    const missing = target.resourceArns.filter((a) => !byArn.has(a));
    if (missing.length) return { missing };
    picked = target.resourceArns.map((a) => byArn.get(a)!);
  } else {
    picked = candidates.filter(
      (c) =>
        Object.entries(target.resourceTags ?? {}).every(([k, v]) => Object.hasOwn(c.tags, k) && c.tags[k] === v) &&
        (target.filters ?? []).every((f) => valuesAt(c.described, f.path.split('.')).some((v) => f.values.includes(v))),
    );
  }
  const mode = parseSelectionMode(target.selectionMode)!;
  const arns = picked.map((c) => c.arn);
  if (mode.kind === 'ALL') return { arns };
  const count = mode.kind === 'COUNT' ? mode.n : Math.floor((arns.length * mode.n) / 100);
  return { arns: pickRandom(arns, Math.min(count, arns.length)) };
}
