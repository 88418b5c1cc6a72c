/** ECR's errors, with the codes of the model's error shapes and the texts AWS gives. */
import { AwsError } from '../../core/errors.ts';

const where = (name: string, registry: string) => `the repository with name '${name}' in the registry with id '${registry}'`;

export const ecrErrors = {
  /** AWS's wording for a parameter that breaks a rule: `Invalid parameter at 'NAME' failed to satisfy constraint: 'RULE'`. */
  invalidParameter: (name: string, rule: string) => new AwsError('InvalidParameterException', `Invalid parameter at '${name}' failed to satisfy constraint: '${rule}'`, 400),
  repositoryNotFound: (name: string, registry: string) => new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${registry}'`, 400),
  repositoryExists: (name: string, registry: string) => new AwsError('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${registry}'`, 400),
  lifecyclePolicyNotFound: (name: string, registry: string) => new AwsError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for ${where(name, registry)}`, 400),
  repositoryPolicyNotFound: (name: string, registry: string) => new AwsError('RepositoryPolicyNotFoundException', `Repository policy does not exist for ${where(name, registry)}`, 400),
  imageNotFound: (id: { imageDigest?: string; imageTag?: string }, name: string, registry: string) =>
    new AwsError('ImageNotFoundException', `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within ${where(name, registry)}`, 400),
  invalidTag: (message: string) => new AwsError('InvalidTagParameterException', message, 400),
  tooManyTags: () => new AwsError('TooManyTagsException', 'Tag limit exceeded: a repository can have at most 50 tags.', 400),
  kms: (message: string) => new AwsError('KmsException', message, 400),
};
