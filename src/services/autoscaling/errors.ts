/**
 * Auto Scaling's error codes, as its model declares them. Most refusals, including "not found",
 * are ValidationError in Auto Scaling; the messages follow the texts AWS is seen to return.
 */
import { AwsError } from '../../core/errors.ts';
import { pageOf as offsetPage } from '../../core/paging.ts';

export const asErrors = {
  /** Bad or inconsistent input, and resources that do not exist. */
  validation: (message: string) => new AwsError('ValidationError', message, 400),
  /** A group, launch configuration or scheduled action of that name exists. */
  alreadyExists: (message: string) => new AwsError('AlreadyExists', message, 400),
  /** The resource is still used: a group with instances, a launch configuration a group uses. */
  resourceInUse: (message: string) => new AwsError('ResourceInUse', message, 400),
  /** A scaling activity (or a cooldown) is under way. */
  scalingActivityInProgress: (message: string) => new AwsError('ScalingActivityInProgress', message, 400),
  /** An account or group quota is reached. */
  limitExceeded: (message: string) => new AwsError('LimitExceeded', message, 400),
  /** Another change to the same resource is under way (never raised: handlers run one at a time). */
  resourceContention: (message: string) => new AwsError('ResourceContention', message, 500, true),
  invalidNextToken: () => new AwsError('InvalidNextToken', 'The token is not valid.', 400),

  groupNotFound: (name: string) => new AwsError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`, 400),
  launchConfigurationNotFound: (name: string) => new AwsError('ValidationError', `Launch configuration name not found - Launch configuration ${name} not found`, 400),
  instanceNotFound: (id: string) => new AwsError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${id}`, 400),
};

/** NextToken paging over a list (core/paging.ts), after checking MaxRecords against the call's limit. */
export function pageOf<T>(items: readonly T[], nextToken: string | undefined, maxRecords: number | undefined, defaultMax: number, limit: number): { items: T[]; NextToken?: string } {
  const max = maxRecords ?? defaultMax;
  if (max < 1 || max > limit) throw asErrors.validation(`MaxRecords must be between 1 and ${limit}.`);
  const { items: page, next } = offsetPage(items, nextToken, max, asErrors.invalidNextToken);
  return { items: page, NextToken: next };
}
