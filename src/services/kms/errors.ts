/** KMS's errors, with the codes of the model's error shapes and the texts AWS gives. */
import { AwsError } from '../../core/errors.ts';

export const kmsErrors = {
  validation: (message: string) => new AwsError('ValidationException', message, 400),
  /** AWS's "1 validation error detected" wording for a value out of range. */
  outOfRange: (value: number, member: string, bound: 'greater' | 'less', limit: number) =>
    new AwsError('ValidationException', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have value ${bound} than or equal to ${limit}`, 400),
  notFound: (message: string) => new AwsError('NotFoundException', message, 400),
  keyNotFound: (arn: string) => new AwsError('NotFoundException', `Key '${arn}' does not exist`, 400),
  aliasNotFound: (arn: string) => new AwsError('NotFoundException', `Alias '${arn}' is not found.`, 400),
  disabled: (arn: string) => new AwsError('DisabledException', `${arn} is disabled.`, 400),
  invalidState: (message: string) => new AwsError('KMSInvalidStateException', message, 400),
  /** AWS gives no message for a ciphertext it cannot read. */
  invalidCiphertext: () => new AwsError('InvalidCiphertextException', '', 400),
  incorrectKey: () => new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.', 400),
  invalidKeyUsage: (message: string) => new AwsError('InvalidKeyUsageException', message, 400),
  unsupported: (message: string) => new AwsError('UnsupportedOperationException', message, 400),
  malformedPolicy: (message: string) => new AwsError('MalformedPolicyDocumentException', message, 400),
  alreadyExists: (message: string) => new AwsError('AlreadyExistsException', message, 400),
  invalidAliasName: (message: string) => new AwsError('InvalidAliasNameException', message, 400),
  invalidMarker: () => new AwsError('InvalidMarkerException', 'Invalid marker: it was not returned by a previous call.', 400),
  tag: (message: string) => new AwsError('TagException', message, 400),
  dryRun: () => new AwsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.', 412),
};
