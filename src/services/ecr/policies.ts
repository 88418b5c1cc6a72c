/** A repository's lifecycle policy and repository policy (Put/Get/DeleteLifecyclePolicy, Set/Get/DeleteRepositoryPolicy). */
import type { RequestContext } from '../service.ts';
import { ecrErrors } from './errors.ts';
import { checkLifecyclePolicy } from './lifecycle-policy.ts';
import { repository, saveRepository } from './repositories.ts';

interface RepoInput {
  registryId?: string;
  repositoryName: string;
}

/** A repository policy must be a JSON policy document (an object with a Statement). */
function checkRepositoryPolicy(text: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const ok = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'Statement' in doc;
  if (!ok) throw ecrErrors.invalidParameter('PolicyText', 'Invalid repository policy provided');
}

export const policyHandlers = {
  PutLifecyclePolicy(input: RepoInput & { lifecyclePolicyText: string }, ctx: RequestContext) {
    const rec = repository(ctx, input);
    checkLifecyclePolicy(input.lifecyclePolicyText);
    rec.lifecyclePolicyText = input.lifecyclePolicyText;
    saveRepository(ctx, rec);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, lifecyclePolicyText: rec.lifecyclePolicyText };
  },
  GetLifecyclePolicy(input: RepoInput, ctx: RequestContext) {
    const rec = repository(ctx, input);
    if (rec.lifecyclePolicyText === undefined) throw ecrErrors.lifecyclePolicyNotFound(rec.repositoryName, rec.registryId);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, lifecyclePolicyText: rec.lifecyclePolicyText };
  },
  DeleteLifecyclePolicy(input: RepoInput, ctx: RequestContext) {
    const rec = repository(ctx, input);
    const text = rec.lifecyclePolicyText;
    if (text === undefined) throw ecrErrors.lifecyclePolicyNotFound(rec.repositoryName, rec.registryId);
    delete rec.lifecyclePolicyText;
    saveRepository(ctx, rec);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, lifecyclePolicyText: text };
  },
  SetRepositoryPolicy(input: RepoInput & { policyText: string; force?: boolean }, ctx: RequestContext) {
    const rec = repository(ctx, input);
    checkRepositoryPolicy(input.policyText);
    rec.policyText = input.policyText;
    saveRepository(ctx, rec);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, policyText: rec.policyText };
  },
  GetRepositoryPolicy(input: RepoInput, ctx: RequestContext) {
    const rec = repository(ctx, input);
    if (rec.policyText === undefined) throw ecrErrors.repositoryPolicyNotFound(rec.repositoryName, rec.registryId);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, policyText: rec.policyText };
  },
  DeleteRepositoryPolicy(input: RepoInput, ctx: RequestContext) {
    const rec = repository(ctx, input);
    const text = rec.policyText;
    if (text === undefined) throw ecrErrors.repositoryPolicyNotFound(rec.repositoryName, rec.registryId);
    delete rec.policyText;
    saveRepository(ctx, rec);
    return { registryId: rec.registryId, repositoryName: rec.repositoryName, policyText: text };
  },
};
