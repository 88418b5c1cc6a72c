/** Parameter Store's errors, with the codes of the model's error shapes and the texts AWS gives. */
import { AwsError } from '../../core/errors.ts';

const NAME_RULES =
  'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

export const ssmErrors = {
  validation: (message: string) => new AwsError('ValidationException', message, 400),
  badName: () => new AwsError('ValidationException', NAME_RULES, 400),
  reservedName: (name: string) => new AwsError('AccessDeniedException', `No access to reserved parameter name: ${name}.`, 400),
  // AWS gives these two no message.
  notFound: () => new AwsError('ParameterNotFound', '', 400),
  alreadyExists: () => new AwsError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.', 400),
  versionNotFound: (name: string, selector: string) =>
    new AwsError('ParameterVersionNotFound', `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`, 400),
  hierarchy: () =>
    new AwsError(
      'HierarchyLevelLimitExceededException',
      'A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the Amazon Web Services Systems Manager User Guide.',
      400,
    ),
  maxVersions: (name: string, oldest: number) =>
    new AwsError(
      'ParameterMaxVersionLimitExceeded',
      `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
      400,
    ),
  tooManyParameters: (limit: number) =>
    new AwsError(
      'ParameterLimitExceeded',
      `You have reached the maximum number of standard parameters for this AWS account and Region (${limit}). To add more parameters, either delete existing parameters or upgrade to the advanced-parameter tier (charges apply).`,
      400,
    ),
  patternMismatch: (pattern: string) => new AwsError('ParameterPatternMismatchException', `Parameter value, cannot be validated against allowedPattern: ${pattern}`, 400),
  badPattern: (pattern: string) => new AwsError('InvalidAllowedPatternException', `The allowed pattern ${pattern} is not a valid regular expression.`, 400),
  labelLimit: () =>
    new AwsError('ParameterVersionLabelLimitExceeded', 'A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.', 400),
  invalidNextToken: () => new AwsError('InvalidNextToken', 'The specified token is not valid.', 400),
  filterKey: (message: string) => new AwsError('InvalidFilterKey', message, 400),
  filterOption: (message: string) => new AwsError('InvalidFilterOption', message, 400),
  filterValue: (message: string) => new AwsError('InvalidFilterValue', message, 400),
  resourceType: () => new AwsError('InvalidResourceType', 'The resource type is not valid.', 400),
  resourceId: () => new AwsError('InvalidResourceId', 'The resource ID is not valid. Verify that the resource ID is correct.', 400),
  tooManyTags: () => new AwsError('TooManyTagsError', 'The Targets parameter includes too many tags. Remove one or more tags and try the command again.', 400),
};
