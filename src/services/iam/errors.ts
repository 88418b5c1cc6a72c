/** IAM's error codes, worded as IAM words them. */
import { AwsError } from '../../core/errors.ts';

export const iamErrors = {
  noSuchEntity: (message: string) => new AwsError('NoSuchEntity', message, 404),
  noSuchRole: (name: string) => new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404),
  noSuchUser: (name: string) => new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404),
  noSuchInstanceProfile: (name: string) => new AwsError('NoSuchEntity', `Instance Profile ${name} cannot be found.`, 404),
  noSuchPolicy: (arn: string) => new AwsError('NoSuchEntity', `Policy ${arn} was not found.`, 404),
  alreadyExists: (message: string) => new AwsError('EntityAlreadyExists', message, 409),
  deleteConflict: (message: string) => new AwsError('DeleteConflict', message, 409),
  limitExceeded: (message: string) => new AwsError('LimitExceeded', message, 409),
  malformedPolicy: (message: string) => new AwsError('MalformedPolicyDocument', message, 400),
  invalidInput: (message: string) => new AwsError('InvalidInput', message, 400),
  validation: (message: string) => new AwsError('ValidationError', message, 400),
  policyNotAttachable: (message: string) => new AwsError('PolicyNotAttachable', message, 400),
  accessDenied: (message: string) => new AwsError('AccessDenied', message, 403),
};
