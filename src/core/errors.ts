/**
 * Typed AWS errors. Each carries the wire code, the HTTP status and whether the caller is at
 * fault; the protocol layer renders it in the service's own format.
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly sender = status < 500,
  ) {
    super(message);
  }
}

/** Errors that every service shares, named as AWS names them. */
export const errors = {
  /** The action is not one the service knows (Query protocols). */
  invalidAction: (action: string) => new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`, 400),
  /** A required parameter is absent. */
  missingParameter: (name: string, code = 'MissingParameter') =>
    new AwsError(code, `The request must contain the parameter ${name}`, 400),
  /** A parameter is present but not acceptable. */
  invalidParameterValue: (message: string, code = 'InvalidParameterValue') => new AwsError(code, message, 400),
  /** Several parameters conflict. */
  invalidParameterCombination: (message: string) => new AwsError('InvalidParameterCombination', message, 400),
  /** Generic validation failure, as awsQuery services (IAM, STS, CloudFormation) say it. */
  validation: (message: string) => new AwsError('ValidationError', message, 400),
  /** The body could not be parsed at all. */
  malformed: (message: string, code = 'MalformedQueryString') => new AwsError(code, message, 400),
  /** The request is larger than the service accepts. */
  tooLarge: (limit: number) => new AwsError('RequestEntityTooLarge', `Request must be smaller than ${limit} bytes.`, 413),
  /** Something failed inside faultline; the state is left as it was. */
  internal: () => new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500, false),
  throttling: () => new AwsError('Throttling', 'Rate exceeded', 400),
};
