/**
 * ECR's records, scoped by account and region: repositories, keyed by name, holding the members
 * DescribeRepositories returns (AWS's names) plus their lifecycle policy, repository policy and
 * tags. faultline serves no registry (no `docker push` or pull), so a repository never holds images.
 */
import type { Scope } from '../../core/store.ts';

export const COLL = {
  repositories: 'ecr.repositories',
} as const;

export interface Tag {
  Key: string;
  Value: string;
}

export interface RepositoryRecord {
  repositoryArn: string;
  registryId: string;
  repositoryName: string;
  repositoryUri: string;
  /** ISO time. */
  createdAt: string;
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: string; kmsKey?: string };
  lifecyclePolicyText?: string;
  policyText?: string;
  tags: Tag[];
}

/** The registry's host, as AWS names it: `ACCOUNT.dkr.ecr.REGION.amazonaws.com`. */
export const registryHost = (scope: Scope): string => `${scope.account}.dkr.ecr.${scope.region}.amazonaws.com`;
export const repositoryArn = (scope: Scope, name: string): string => `arn:aws:ecr:${scope.region}:${scope.account}:repository/${name}`;
