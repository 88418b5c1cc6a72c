/** S3's error codes, with the extra elements S3 writes into its `<Error>` documents. */
import { AwsError } from '../../core/errors.ts';
import type { ErrorDetails } from '../../protocols/rest-xml.ts';

export class S3Error extends AwsError implements ErrorDetails {
  constructor(code: string, message: string, status: number, readonly details: Record<string, string> = {}) {
    super(code, message, status);
  }
}

export const s3Errors = {
  noSuchBucket: (bucket: string) => new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket }),
  noSuchKey: (key: string) => new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: bucket }),
  bucketAlreadyExists: (bucket: string) =>
    new S3Error(
      'BucketAlreadyExists',
      'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      409,
      { BucketName: bucket },
    ),
  bucketNotEmpty: (bucket: string) => new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket }),
  invalidBucketName: (bucket: string) => new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket }),
  accessDenied: () => new S3Error('AccessDenied', 'Access Denied', 403),
  invalidArgument: (message: string, name: string, value: string) =>
    new S3Error('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value }),
  illegalLocationConstraint: (constraint: string | undefined) =>
    new S3Error(
      'IllegalLocationConstraintException',
      `The ${constraint === undefined ? 'unspecified' : constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    ),
  invalidLocationConstraint: (constraint: string) =>
    new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, { LocationConstraint: constraint }),
  keyTooLong: () => new S3Error('KeyTooLongError', 'Your key is too long', 400, { MaxSizeAllowed: '1024' }),
  metadataTooLarge: (size: number) =>
    new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', 400, { Size: String(size), MaxSizeAllowed: '2048' }),
  invalidDigest: () => new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400),
  badDigest: (what: string) => new S3Error('BadDigest', `The ${what} you specified did not match the calculated checksum.`, 400),
  invalidRange: (range: string, size: number) =>
    new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: range, ActualObjectSize: String(size) }),
  preconditionFailed: (condition: string) =>
    new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition }),
  notModified: () => new S3Error('NotModified', 'Not Modified', 304),
  noSuchBucketPolicy: (bucket: string) => new S3Error('NoSuchBucketPolicy', 'The bucket policy does not exist', 404, { BucketName: bucket }),
  methodNotAllowed: () => new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405),
  malformedPolicy: (message: string) => new S3Error('MalformedPolicy', message, 400),
  missingSecurityHeader: (header: string) => new S3Error('MissingSecurityHeader', 'Your request was missing a required header', 400, { MissingHeaderName: header }),
  policyTooLarge: () => new S3Error('PolicyTooLarge', 'Policy exceeds the maximum allowed document size.', 400),
  notImplemented: (message: string) => new S3Error('NotImplemented', message, 501),
  invalidRequest: (message: string) => new S3Error('InvalidRequest', message, 400),
  noSuchLifecycleConfiguration: (bucket: string) => new S3Error('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', 404, { BucketName: bucket }),
  noSuchPublicAccessBlock: (bucket: string) =>
    new S3Error('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404, { BucketName: bucket }),
  ownershipControlsNotFound: (bucket: string) => new S3Error('OwnershipControlsNotFoundError', 'The bucket ownership controls were not found', 404, { BucketName: bucket }),
  aclNotSupported: () => new S3Error('AccessControlListNotSupported', 'The bucket does not allow ACLs', 400),
  aclWithObjectOwnership: () => new S3Error('InvalidBucketAclWithObjectOwnership', "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400),
  aclWithBlockPublicAccess: () => new S3Error('InvalidBucketAclWithBlockPublicAccessError', 'Bucket cannot have public ACLs set with BlockPublicAccess enabled', 400),
  publicPolicyBlocked: (principal: string, bucket: string) =>
    new S3Error(
      'AccessDenied',
      `User: ${principal} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
      403,
    ),
  malformedXml: () => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400),
};
