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

/**
 * Put, Get and Delete of one policy a repository keeps as text in `field` (what ECR calls it in
 * requests and answers too), checked by `check` and missing with `notFound`.
 */
function policyOperations(field: 'lifecyclePolicyText' | 'policyText', check: (text: string) => void, notFound: (name: string, registry: string) => Error) {
  return {
    put(input: RepoInput & Record<typeof field, string>, ctx: RequestContext) {
      const rec = repository(ctx, input);
      check(input[field]);
      rec[field] = input[field];
      saveRepository(ctx, rec);
      return { registryId: rec.registryId, repositoryName: rec.repositoryName, [field]: rec[field] };
    },
    get(input: RepoInput, ctx: RequestContext) {
      const rec = repository(ctx, input);
      if (rec[field] === undefined) throw notFound(rec.repositoryName, rec.registryId);
      return { registryId: rec.registryId, repositoryName: rec.repositoryName, [field]: rec[field] };
    },
    delete(input: RepoInput, ctx: RequestContext) {
      const rec = repository(ctx, input);
      const text = rec[field];
      if (text === undefined) throw notFound(rec.repositoryName, rec.registryId);
      delete rec[field];
      saveRepository(ctx, rec);
      return { registryId: rec.registryId, repositoryName: rec.repositoryName, [field]: text };
    },
  };
}

const lifecycle = policyOperations('lifecyclePolicyText', checkLifecyclePolicy, ecrErrors.lifecyclePolicyNotFound);
const repositoryPolicy = policyOperations('policyText', checkRepositoryPolicy, ecrErrors.repositoryPolicyNotFound);

export const policyHandlers = {
  PutLifecyclePolicy: lifecycle.put,
  GetLifecyclePolicy: lifecycle.get,
  DeleteLifecyclePolicy: lifecycle.delete,
  // SetRepositoryPolicy's `force` (set a policy that would lock the caller out) changes nothing: policies are not enforced.
  SetRepositoryPolicy: repositoryPolicy.put,
  GetRepositoryPolicy: repositoryPolicy.get,
  DeleteRepositoryPolicy: repositoryPolicy.delete,
};
