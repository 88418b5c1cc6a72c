/** Route 53's errors, with AWS's codes, statuses and (where observed) wording (spec route53.md §7). */
import { AwsError } from '../../core/errors.ts';

export const r53Errors = {
  noSuchHostedZone: (id: string) => new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404),
  noSuchHealthCheck: (id: string) => new AwsError('NoSuchHealthCheck', `A health check with id ${id} does not exist.`, 404),
  noSuchChange: (id: string) => new AwsError('NoSuchChange', `A change with the specified change ID does not exist: ${id}`, 404),
  invalidInput: (message: string) => new AwsError('InvalidInput', message, 400),
  invalidDomainName: (message: string) => new AwsError('InvalidDomainName', message, 400),
  /**
   * One batch, every problem found in it. AWS answers boto3 and the CLI with an `ErrorResponse`
   * whose message lists them in brackets (`[Tried to create … but it already exists]`): the
   * botocore parser reads no code from the bare `<InvalidChangeBatch>` document that some older
   * responses used, so that shape would reach Python clients as an error with no code.
   */
  invalidChangeBatch: (messages: string[]) => new AwsError('InvalidChangeBatch', `[${messages.join(', ')}]`, 400),
};
