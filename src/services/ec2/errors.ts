/** EC2's own error codes, one constructor per code. */
import { AwsError } from '../../core/errors.ts';

const e = (code: string) => (message: string) => new AwsError(code, message, 400);

export const ec2Errors = {
  notFound: (kind: string, what: string, id: string) => new AwsError(`Invalid${kind}.NotFound`, `The ${what} '${id}' does not exist`),
  malformedId: (kind: string, id: string) => new AwsError(`Invalid${kind}.Malformed`, `Invalid id: "${id}"`),
  duplicate: (kind: string, message: string) => new AwsError(`Invalid${kind}.Duplicate`, message),
  dependencyViolation: e('DependencyViolation'),
  incorrectInstanceState: e('IncorrectInstanceState'),
  incorrectState: e('IncorrectState'),
  invalidParameterValue: e('InvalidParameterValue'),
  invalidParameterCombination: e('InvalidParameterCombination'),
  operationNotPermitted: e('OperationNotPermitted'),
  unsupported: e('UnsupportedOperation'),
  invalidSubnetRange: e('InvalidSubnet.Range'),
  invalidSubnetConflict: e('InvalidSubnet.Conflict'),
  invalidVpcRange: e('InvalidVpc.Range'),
  insufficientCapacity: e('InsufficientInstanceCapacity'),
  addressLimit: e('AddressLimitExceeded'),
  dryRun: () => new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412),
};
