/**
 * ECR's repositories (CreateRepository, DescribeRepositories, DeleteRepository and their
 * settings), the image operations, always empty since faultline serves no registry, and
 * GetAuthorizationToken, whose token no registry here accepts.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../../core/errors.ts';
import { pageOf } from '../../core/paging.ts';
import type { RequestContext } from '../service.ts';
import { kmsKeyArn } from '../kms/keys.ts';
import { ecrErrors } from './errors.ts';
import { COLL, registryHost, repositoryArn, type RepositoryRecord, type Tag } from './state.ts';
import { checkTags } from './tags.ts';

/** The repository name rule of ECR's model (the constraint AWS names in its message). */
const NAME_PATTERN = String.raw`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`;
const NAME_RE = new RegExp(`^(?:${NAME_PATTERN})$`);
const EXCLUSION_MODES = ['IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'];
const TOKEN_HOURS = 12;

interface RepoInput {
  registryId?: string;
  repositoryName: string;
}

/** The registry a request names: the caller's own, the only one faultline keeps. */
function registryOf(input: { registryId?: string }, ctx: RequestContext): string {
  return input.registryId ?? ctx.account;
}

/** The repository a request names, to read; RepositoryNotFoundException when there is none. */
export function repository(ctx: RequestContext, input: RepoInput): RepositoryRecord {
  const registry = registryOf(input, ctx);
  const rec = registry === ctx.account ? ctx.env.store.mutable<RepositoryRecord>(COLL.repositories, ctx, input.repositoryName) : undefined;
  if (!rec) throw ecrErrors.repositoryNotFound(input.repositoryName, registry);
  return rec;
}

export const saveRepository = (ctx: RequestContext, rec: RepositoryRecord): void => ctx.env.store.put(COLL.repositories, ctx, rec.repositoryName, rec);

/** What DescribeRepositories and CreateRepository return: the record without its policies and tags. */
function view(r: RepositoryRecord) {
  const { lifecyclePolicyText: _l, policyText: _p, tags: _t, ...out } = r;
  return out;
}

function checkName(name: string): void {
  if (name.length < 2 || name.length > 256) throw ecrErrors.invalidParameter('repositoryName', name.length < 2 ? 'must have length greater than or equal to 2' : 'must have length less than or equal to 256');
  if (!NAME_RE.test(name)) throw ecrErrors.invalidParameter('repositoryName', `must satisfy regular expression '${NAME_PATTERN}'`);
}

function checkMutability(mode: string, filters: unknown[] | undefined): void {
  if (EXCLUSION_MODES.includes(mode) && !filters?.length) throw ecrErrors.invalidParameter('imageTagMutabilityExclusionFilters', `must be given when imageTagMutability is ${mode}`);
  if (!EXCLUSION_MODES.includes(mode) && filters?.length) throw ecrErrors.invalidParameter('imageTagMutabilityExclusionFilters', `may only be given when imageTagMutability is ${EXCLUSION_MODES.join(' or ')}`);
}

/** The encryption a repository gets: AES256 by default; KMS with a key of this account's KMS, named by id, ARN or alias, kept as its ARN. */
function encryption(ctx: RequestContext, cfg: { encryptionType: string; kmsKey?: string } | undefined): RepositoryRecord['encryptionConfiguration'] {
  if (!cfg) return { encryptionType: 'AES256' };
  if (cfg.kmsKey === undefined || cfg.encryptionType === 'AES256') {
    if (cfg.kmsKey !== undefined) throw ecrErrors.invalidParameter('encryptionConfiguration.kmsKey', 'may only be given when encryptionType is KMS or KMS_DSSE');
    return { encryptionType: cfg.encryptionType };
  }
  try {
    return { encryptionType: cfg.encryptionType, kmsKey: kmsKeyArn(ctx, cfg.kmsKey) };
  } catch (e) {
    if (e instanceof AwsError) throw ecrErrors.kms(`The KMS key ${cfg.kmsKey} cannot be used: ${e.message} (KMS error code: ${e.code})`);
    throw e;
  }
}

export const repositoryHandlers = {
  CreateRepository(
    input: RepoInput & {
      imageTagMutability?: string;
      imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
      imageScanningConfiguration?: { scanOnPush?: boolean };
      encryptionConfiguration?: { encryptionType: string; kmsKey?: string };
      tags?: Tag[];
    },
    ctx: RequestContext,
  ) {
    const registry = registryOf(input, ctx);
    if (registry !== ctx.account) throw ecrErrors.invalidParameter('registryId', `must be the caller's own registry '${ctx.account}'`);
    checkName(input.repositoryName);
    const mutability = input.imageTagMutability ?? 'MUTABLE';
    checkMutability(mutability, input.imageTagMutabilityExclusionFilters);
    const tags = checkTags(input.tags ?? []);
    if (ctx.env.store.get(COLL.repositories, ctx, input.repositoryName)) throw ecrErrors.repositoryExists(input.repositoryName, registry);
    const rec: RepositoryRecord = {
      repositoryArn: repositoryArn(ctx, input.repositoryName),
      registryId: registry,
      repositoryName: input.repositoryName,
      repositoryUri: `${registryHost(ctx)}/${input.repositoryName}`,
      createdAt: new Date(ctx.env.clock.now()).toISOString(),
      imageTagMutability: mutability,
      imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters,
      imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false },
      encryptionConfiguration: encryption(ctx, input.encryptionConfiguration),
      tags,
    };
    saveRepository(ctx, rec);
    return { repository: view(rec) };
  },

  DescribeRepositories(input: { registryId?: string; repositoryNames?: string[]; maxResults?: number; nextToken?: string }, ctx: RequestContext) {
    if (input.repositoryNames && (input.maxResults !== undefined || input.nextToken !== undefined)) {
      throw ecrErrors.invalidParameter('repositoryNames', 'cannot be given together with maxResults or nextToken');
    }
    if (input.repositoryNames) return { repositories: input.repositoryNames.map((n) => view(repository(ctx, { registryId: input.registryId, repositoryName: n }))) };
    const registry = registryOf(input, ctx);
    const all = registry === ctx.account ? [...ctx.env.store.list<RepositoryRecord>(COLL.repositories, ctx)].sort((a, b) => a.repositoryName.localeCompare(b.repositoryName)) : [];
    const page = pageOf(all, input.nextToken, input.maxResults ?? 100, () => ecrErrors.invalidParameter('nextToken', 'must be a token from a previous DescribeRepositories call'));
    return { repositories: page.items.map((r) => view(r as RepositoryRecord)), nextToken: page.next };
  },

  /** A repository never holds images here (no pushes), so `force` changes nothing and RepositoryNotEmptyException never arises. */
  DeleteRepository(input: RepoInput & { force?: boolean }, ctx: RequestContext) {
    const rec = repository(ctx, input);
    ctx.env.store.delete(COLL.repositories, ctx, rec.repositoryName);
    return { repository: view(rec) };
  },

  PutImageTagMutability(input: RepoInput & { imageTagMutability: string; imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[] }, ctx: RequestContext) {
    const rec = repository(ctx, input);
    checkMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
    rec.imageTagMutability = input.imageTagMutability;
    rec.imageTagMutabilityExclusionFilters = input.imageTagMutabilityExclusionFilters;
    saveRepository(ctx, rec);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, imageTagMutability: rec.imageTagMutability, imageTagMutabilityExclusionFilters: rec.imageTagMutabilityExclusionFilters };
  },

  PutImageScanningConfiguration(input: RepoInput & { imageScanningConfiguration: { scanOnPush?: boolean } }, ctx: RequestContext) {
    const rec = repository(ctx, input);
    rec.imageScanningConfiguration = { scanOnPush: input.imageScanningConfiguration.scanOnPush ?? false };
    saveRepository(ctx, rec);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, imageScanningConfiguration: rec.imageScanningConfiguration };
  },

  ListImages(input: RepoInput & { maxResults?: number; nextToken?: string }, ctx: RequestContext) {
    repository(ctx, input);
    return { imageIds: [] };
  },

  DescribeImages(input: RepoInput & { imageIds?: { imageDigest?: string; imageTag?: string }[] }, ctx: RequestContext) {
    const rec = repository(ctx, input);
    if (input.imageIds?.length) throw ecrErrors.imageNotFound(input.imageIds[0], rec.repositoryName, rec.registryId);
    return { imageDetails: [] };
  },

  BatchDeleteImage(input: RepoInput & { imageIds: { imageDigest?: string; imageTag?: string }[] }, ctx: RequestContext) {
    repository(ctx, input);
    return { imageIds: [], failures: input.imageIds.map((imageId) => ({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' })) };
  },

  /** A token in AWS's form (base64 of `AWS:password`), valid for 12 hours; no registry here accepts it (see the module's comment). */
  GetAuthorizationToken(_input: { registryIds?: string[] }, ctx: RequestContext) {
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${randomBytes(48).toString('base64')}`).toString('base64'),
          expiresAt: new Date(ctx.env.clock.now() + TOKEN_HOURS * 3600_000).toISOString(),
          proxyEndpoint: `https://${registryHost(ctx)}`,
        },
      ],
    };
  },
};
