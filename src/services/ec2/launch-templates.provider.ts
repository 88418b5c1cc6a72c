/**
 * Launch templates: a named template with numbered, immutable versions. `$Latest` is the highest
 * version and `$Default` the one ModifyLaunchTemplate chose (version 1 until then). A version
 * stores the request's LaunchTemplateData as given; EC2 checks it only when something launches
 * from it (RunInstances with LaunchTemplate, or an Auto Scaling group), as AWS does.
 *
 * `applyLaunchTemplate` is how RunInstances launches from a template: the template version's data
 * fills every parameter the request leaves out, and the instance gets the
 * `aws:ec2launchtemplate:id` and `aws:ec2launchtemplate:version` tags EC2 adds.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { applyFilters, paginate, type Filter, type Tag } from './filters.ts';
import { checkTagTypes, iso } from './scoped.ts';
import { COLL } from './state.ts';
import { tagsFor } from './tags.ts';

/** The data of a version, in RequestLaunchTemplateData's shape (the response shape uses the same member names). */
export type LaunchTemplateData = Record<string, unknown> & {
  ImageId?: string;
  InstanceType?: string;
  UserData?: string;
  NetworkInterfaces?: Record<string, unknown>[];
  SecurityGroupIds?: string[];
  SecurityGroups?: string[];
  TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[];
  BlockDeviceMappings?: { DeviceName?: string }[];
  Placement?: Record<string, unknown>;
  IamInstanceProfile?: { Arn?: string; Name?: string };
  Monitoring?: { Enabled?: boolean };
  InstanceMarketOptions?: { MarketType?: string };
};

export interface LaunchTemplateRecord {
  LaunchTemplateId: string;
  LaunchTemplateName: string;
  CreateTime: string;
  CreatedBy: string;
  DefaultVersionNumber: number;
  LatestVersionNumber: number;
  Tags: Tag[];
}

export interface LaunchTemplateVersionRecord {
  LaunchTemplateId: string;
  LaunchTemplateName: string;
  VersionNumber: number;
  VersionDescription?: string;
  CreateTime: string;
  CreatedBy: string;
  LaunchTemplateData: LaunchTemplateData;
}

const versionKey = (id: string, n: number) => `${id}:${n}`;
const NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;
const MAX_VERSIONS = 10_000;
/** Resource types a template's own TagSpecifications may name for the instances it launches. */
const DATA_TAG_TYPES = ['instance', 'volume', 'network-interface', 'spot-instances-request', 'elastic-gpu'];

const notFoundById = (id: string) => new AwsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
const notFoundByName = (name: string) => new AwsError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
const versionNotFound = (id: string, v: string) =>
  new AwsError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${v} for launch template ${id}.`);

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new AwsError(
      'InvalidLaunchTemplateName.MalformedException',
      `A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'`,
    );
  }
}

const templates = (ctx: RequestContext) => ctx.env.store.list<LaunchTemplateRecord>(COLL.launchTemplates, ctx);

/** A launch template by id or by name, exactly one of them; unknown ones fail as EC2's do. */
export function findLaunchTemplate(ctx: RequestContext, spec: { LaunchTemplateId?: string; LaunchTemplateName?: string }): DeepReadonly<LaunchTemplateRecord> {
  const { LaunchTemplateId: id, LaunchTemplateName: name } = spec;
  if (id !== undefined && name !== undefined) {
    throw new AwsError('InvalidParameterCombination', 'Both a launch template ID and a launch template name were specified. Specify one or the other, but not both.');
  }
  if (id !== undefined) {
    if (!/^lt-[0-9a-f]{17}$/.test(id)) throw new AwsError('InvalidLaunchTemplateId.Malformed', `The specified ID for the launch template, ${id}, is not valid.`);
    const t = ctx.env.store.get<LaunchTemplateRecord>(COLL.launchTemplates, ctx, id);
    if (!t) throw notFoundById(id);
    return t;
  }
  if (name !== undefined) {
    const t = templates(ctx).find((x) => x.LaunchTemplateName === name);
    if (!t) throw notFoundByName(name);
    return t;
  }
  throw new AwsError('MissingParameter', 'The request must include either a launch template ID or a launch template name.');
}

/** The version a `Version` string names: a number, `$Latest` or `$Default` (the default when absent). */
export function findLaunchTemplateVersion(ctx: RequestContext, t: DeepReadonly<LaunchTemplateRecord>, version = '$Default'): DeepReadonly<LaunchTemplateVersionRecord> {
  const n = version === '$Latest' ? t.LatestVersionNumber : version === '$Default' ? t.DefaultVersionNumber : /^\d+$/.test(version) ? Number(version) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new AwsError('InvalidLaunchTemplateId.VersionNotFound', `The specified version ${version} for launch template ${t.LaunchTemplateId} is not valid.`);
  }
  const v = ctx.env.store.get<LaunchTemplateVersionRecord>(COLL.launchTemplateVersions, ctx, versionKey(t.LaunchTemplateId, n));
  if (!v) throw versionNotFound(t.LaunchTemplateId, version);
  return v;
}

/** A template version by the spec RunInstances and Auto Scaling take. */
export function resolveLaunchTemplate(ctx: RequestContext, spec: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string }) {
  const template = findLaunchTemplate(ctx, spec);
  const version = findLaunchTemplateVersion(ctx, template, spec.Version);
  return { template, version };
}

const view = (t: DeepReadonly<LaunchTemplateRecord>) => ({ ...t });

const versionView = (t: DeepReadonly<LaunchTemplateRecord>, v: DeepReadonly<LaunchTemplateVersionRecord>) => ({
  ...v,
  DefaultVersion: v.VersionNumber === t.DefaultVersionNumber,
});

function checkData(data: LaunchTemplateData): void {
  checkTagTypes(data.TagSpecifications, DATA_TAG_TYPES);
  if (data.UserData !== undefined && Buffer.from(data.UserData, 'base64').length > 16384) {
    throw new AwsError('InvalidUserData.Malformed', 'User data is limited to 16384 bytes');
  }
}

function addVersion(ctx: RequestContext, t: LaunchTemplateRecord, data: LaunchTemplateData, description: string | undefined, now: number): LaunchTemplateVersionRecord {
  const v: LaunchTemplateVersionRecord = {
    LaunchTemplateId: t.LaunchTemplateId,
    LaunchTemplateName: t.LaunchTemplateName,
    VersionNumber: t.LatestVersionNumber + 1,
    ...(description !== undefined ? { VersionDescription: description } : {}),
    CreateTime: iso(now),
    CreatedBy: ctx.principal.arn,
    LaunchTemplateData: data,
  };
  t.LatestVersionNumber = v.VersionNumber;
  ctx.env.store.put(COLL.launchTemplateVersions, ctx, versionKey(t.LaunchTemplateId, v.VersionNumber), v);
  ctx.env.store.put(COLL.launchTemplates, ctx, t.LaunchTemplateId, t);
  return v;
}

function versionsOf(ctx: RequestContext, id: string): DeepReadonly<LaunchTemplateVersionRecord>[] {
  return ctx.env.store
    .list<LaunchTemplateVersionRecord>(COLL.launchTemplateVersions, ctx)
    .filter((v) => v.LaunchTemplateId === id)
    .sort((a, b) => b.VersionNumber - a.VersionNumber);
}

const VERSION_FILTERS = {
  'create-time': (v: DeepReadonly<LaunchTemplateVersionRecord>) => v.CreateTime,
  'ebs-optimized': (v: DeepReadonly<LaunchTemplateVersionRecord>) => v.LaunchTemplateData.EbsOptimized as boolean | undefined,
  'iam-instance-profile': (v: DeepReadonly<LaunchTemplateVersionRecord>) => v.LaunchTemplateData.IamInstanceProfile?.Arn ?? v.LaunchTemplateData.IamInstanceProfile?.Name,
  'image-id': (v: DeepReadonly<LaunchTemplateVersionRecord>) => v.LaunchTemplateData.ImageId,
  'instance-type': (v: DeepReadonly<LaunchTemplateVersionRecord>) => v.LaunchTemplateData.InstanceType,
  'kernel-id': (v: DeepReadonly<LaunchTemplateVersionRecord>) => v.LaunchTemplateData.KernelId as string | undefined,
  'ram-disk-id': (v: DeepReadonly<LaunchTemplateVersionRecord>) => v.LaunchTemplateData.RamDiskId as string | undefined,
};

export const launchTemplateHandlers = {
  CreateLaunchTemplate(
    input: { LaunchTemplateName: string; LaunchTemplateData: LaunchTemplateData; VersionDescription?: string; TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[]; ClientToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    checkName(input.LaunchTemplateName);
    if (templates(ctx).some((t) => t.LaunchTemplateName === input.LaunchTemplateName)) {
      throw new AwsError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
    }
    checkData(input.LaunchTemplateData);
    checkTagTypes(input.TagSpecifications, ['launch-template']);
    const tags = tagsFor(input.TagSpecifications, 'launch-template');
    const now = ctx.env.clock.now();
    const t: LaunchTemplateRecord = {
      LaunchTemplateId: resourceId('lt'),
      LaunchTemplateName: input.LaunchTemplateName,
      CreateTime: iso(now),
      CreatedBy: ctx.principal.arn,
      DefaultVersionNumber: 1,
      LatestVersionNumber: 0,
      Tags: tags,
    };
    addVersion(ctx, t, input.LaunchTemplateData, input.VersionDescription, now);
    return { LaunchTemplate: view(t) };
  },

  CreateLaunchTemplateVersion(
    input: { LaunchTemplateId?: string; LaunchTemplateName?: string; LaunchTemplateData: LaunchTemplateData; SourceVersion?: string; VersionDescription?: string; ResolveAlias?: boolean; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    const t = structuredClone(findLaunchTemplate(ctx, input)) as LaunchTemplateRecord;
    if (t.LatestVersionNumber >= MAX_VERSIONS) {
      throw new AwsError('VersionLimitExceeded', `You've reached the maximum number of versions (${MAX_VERSIONS}) for launch template ${t.LaunchTemplateId}.`);
    }
    // With a source version, the new data is layered over that version's: what the request gives replaces, the rest is kept.
    const base = input.SourceVersion !== undefined ? findLaunchTemplateVersion(ctx, t, input.SourceVersion).LaunchTemplateData : {};
    const data = { ...structuredClone(base as LaunchTemplateData), ...input.LaunchTemplateData };
    checkData(data);
    const v = addVersion(ctx, t, data, input.VersionDescription, ctx.env.clock.now());
    return { LaunchTemplateVersion: versionView(t, v) };
  },

  DescribeLaunchTemplates(
    input: { LaunchTemplateIds?: string[]; LaunchTemplateNames?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: RequestContext,
  ) {
    let pool = [...templates(ctx)];
    if (input.LaunchTemplateIds?.length) pool = input.LaunchTemplateIds.map((id) => findLaunchTemplate(ctx, { LaunchTemplateId: id }));
    if (input.LaunchTemplateNames?.length) {
      const missing = input.LaunchTemplateNames.filter((n) => !pool.some((t) => t.LaunchTemplateName === n));
      if (missing.length) throw new AwsError('InvalidLaunchTemplateName.NotFoundException', 'At least one of the launch templates specified in the request does not exist.');
      pool = pool.filter((t) => input.LaunchTemplateNames!.includes(t.LaunchTemplateName));
    }
    const filtered = applyFilters(pool, input.Filters, {
      'create-time': (t) => t.CreateTime,
      'launch-template-name': (t) => t.LaunchTemplateName,
    }).sort((a, b) => a.CreateTime.localeCompare(b.CreateTime) || a.LaunchTemplateId.localeCompare(b.LaunchTemplateId));
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 1, 200);
    return { LaunchTemplates: page.map(view), NextToken };
  },

  DescribeLaunchTemplateVersions(
    input: {
      LaunchTemplateId?: string;
      LaunchTemplateName?: string;
      Versions?: string[];
      MinVersion?: string;
      MaxVersion?: string;
      Filters?: Filter[];
      MaxResults?: number;
      NextToken?: string;
      ResolveAlias?: boolean;
      DryRun?: boolean;
    },
    ctx: RequestContext,
  ) {
    let rows: { t: DeepReadonly<LaunchTemplateRecord>; v: DeepReadonly<LaunchTemplateVersionRecord> }[];
    if (input.LaunchTemplateId === undefined && input.LaunchTemplateName === undefined) {
      // Without a template, only $Latest and $Default make sense: that version of every template.
      const wanted = input.Versions ?? [];
      if (!wanted.length || wanted.some((v) => v !== '$Latest' && v !== '$Default')) {
        throw new AwsError('MissingParameter', 'The request must include either a launch template ID or a launch template name, unless only $Latest or $Default versions are requested.');
      }
      rows = templates(ctx).flatMap((t) => [...new Set(wanted.map((w) => findLaunchTemplateVersion(ctx, t, w)))].map((v) => ({ t, v })));
    } else {
      const t = findLaunchTemplate(ctx, input);
      if (input.Versions?.length) {
        const chosen = new Map<number, DeepReadonly<LaunchTemplateVersionRecord>>();
        for (const w of input.Versions) {
          const v = findLaunchTemplateVersion(ctx, t, w);
          chosen.set(v.VersionNumber, v);
        }
        rows = [...chosen.values()].sort((a, b) => b.VersionNumber - a.VersionNumber).map((v) => ({ t, v }));
      } else {
        const bound = (s: string | undefined) => (s === undefined ? undefined : findLaunchTemplateVersion(ctx, t, s).VersionNumber);
        const min = bound(input.MinVersion) ?? 1;
        const max = bound(input.MaxVersion) ?? t.LatestVersionNumber;
        rows = versionsOf(ctx, t.LaunchTemplateId)
          .filter((v) => v.VersionNumber >= min && v.VersionNumber <= max)
          .map((v) => ({ t, v }));
      }
    }
    const views = rows.map(({ t, v }) => versionView(t, v));
    const filtered = applyFilters(views, input.Filters, {
      ...(VERSION_FILTERS as Record<string, (v: ReturnType<typeof versionView>) => string | boolean | undefined>),
      'is-default-version': (v) => v.DefaultVersion,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 1, 200);
    return { LaunchTemplateVersions: page, NextToken };
  },

  ModifyLaunchTemplate(input: { LaunchTemplateId?: string; LaunchTemplateName?: string; DefaultVersion?: string; ClientToken?: string; DryRun?: boolean }, ctx: RequestContext) {
    const t = structuredClone(findLaunchTemplate(ctx, input)) as LaunchTemplateRecord;
    let version: number | undefined;
    if (input.DefaultVersion !== undefined) {
      if (input.DefaultVersion.startsWith('$')) {
        throw new AwsError('InvalidLaunchTemplateId.VersionNotFound', `The specified version ${input.DefaultVersion} for launch template ${t.LaunchTemplateId} is not valid: give a version number.`);
      }
      version = findLaunchTemplateVersion(ctx, t, input.DefaultVersion).VersionNumber;
    }
    if (version !== undefined) {
      t.DefaultVersionNumber = version;
      ctx.env.store.put(COLL.launchTemplates, ctx, t.LaunchTemplateId, t);
    }
    return { LaunchTemplate: view(t) };
  },

  DeleteLaunchTemplate(input: { LaunchTemplateId?: string; LaunchTemplateName?: string; DryRun?: boolean }, ctx: RequestContext) {
    const t = findLaunchTemplate(ctx, input);
    for (const v of versionsOf(ctx, t.LaunchTemplateId)) ctx.env.store.delete(COLL.launchTemplateVersions, ctx, versionKey(t.LaunchTemplateId, v.VersionNumber));
    ctx.env.store.delete(COLL.launchTemplates, ctx, t.LaunchTemplateId);
    return { LaunchTemplate: view(t) };
  },
};

/** What RunInstances takes that a template may supply; the request's own value wins. */
const TEMPLATE_PARAMS = [
  'ImageId',
  'InstanceType',
  'KeyName',
  'SecurityGroupIds',
  'SecurityGroups',
  'UserData',
  'Monitoring',
  'DisableApiTermination',
  'DisableApiStop',
  'InstanceInitiatedShutdownBehavior',
  'EbsOptimized',
  'IamInstanceProfile',
  'NetworkInterfaces',
  'MetadataOptions',
  'MaintenanceOptions',
  'CreditSpecification',
  'CpuOptions',
  'InstanceMarketOptions',
] as const;

/**
 * A RunInstances request with its launch template applied: every parameter the request leaves out
 * comes from the template version; Placement and BlockDeviceMappings merge (the request's device
 * wins over the template's for the same name); TagSpecifications add up, the request's tag winning
 * for the same key. Returns the merged request and the system tags EC2 puts on such instances.
 */
export function applyLaunchTemplate<T extends { LaunchTemplate?: unknown }>(ctx: RequestContext, request: T): { input: T; tags: Tag[] } {
  const input = request as unknown as Record<string, unknown>;
  const spec = input.LaunchTemplate as { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
  const { template, version } = resolveLaunchTemplate(ctx, spec);
  const data = structuredClone(version.LaunchTemplateData) as LaunchTemplateData;
  const out: Record<string, unknown> = { ...input };
  delete out.LaunchTemplate;
  // A request that names its own network placement replaces the template's.
  const requestNetwork = input.SubnetId !== undefined || input.NetworkInterfaces !== undefined;
  for (const p of TEMPLATE_PARAMS) {
    if (out[p] !== undefined || data[p] === undefined) continue;
    if (p === 'NetworkInterfaces' && requestNetwork) continue;
    if ((p === 'SecurityGroupIds' || p === 'SecurityGroups') && input.NetworkInterfaces !== undefined) continue;
    out[p] = data[p];
  }
  if (data.Placement) out.Placement = { ...data.Placement, ...(input.Placement as object | undefined) };
  if (data.BlockDeviceMappings) {
    const mine = (input.BlockDeviceMappings as { DeviceName?: string }[] | undefined) ?? [];
    out.BlockDeviceMappings = [...data.BlockDeviceMappings.filter((b) => !mine.some((m) => m.DeviceName === b.DeviceName)), ...mine];
  }
  if (data.TagSpecifications?.length) {
    const mine = (input.TagSpecifications as { ResourceType?: string; Tags?: Tag[] }[] | undefined) ?? [];
    const types = new Set([...data.TagSpecifications, ...mine].map((s) => s.ResourceType));
    out.TagSpecifications = [...types].map((ResourceType) => {
      const merged = new Map<string, string>();
      for (const s of [...data.TagSpecifications!, ...mine]) if (s.ResourceType === ResourceType) for (const t of s.Tags ?? []) merged.set(t.Key, t.Value);
      return { ResourceType, Tags: [...merged].map(([Key, Value]) => ({ Key, Value })) };
    });
  }
  return {
    input: out as unknown as T,
    tags: [
      { Key: 'aws:ec2launchtemplate:id', Value: template.LaunchTemplateId },
      { Key: 'aws:ec2launchtemplate:version', Value: String(version.VersionNumber) },
    ],
  };
}
