/**
 * ELBv2's errors with their wire codes (spec elb.md §5): all 400 but HealthUnavailable (500) and
 * PriorRequestNotComplete (429); InvalidConfigurationRequest is 400 here, unlike Classic's 409.
 */
import { AwsError } from '../../core/errors.ts';

const e = (code: string) => (message: string) => new AwsError(code, message, 400);

export const v2Errors = {
  validation: e('ValidationError'),
  invalidConfiguration: e('InvalidConfigurationRequest'),
  loadBalancerNotFound: (what = 'One or more load balancers not found') => new AwsError('LoadBalancerNotFound', what, 400),
  targetGroupNotFound: (what = 'One or more target groups not found') => new AwsError('TargetGroupNotFound', what, 400),
  listenerNotFound: (what = 'One or more listeners not found') => new AwsError('ListenerNotFound', what, 400),
  ruleNotFound: (what = 'One or more rules not found') => new AwsError('RuleNotFound', what, 400),
  duplicateLoadBalancer: (name: string) => new AwsError('DuplicateLoadBalancerName', `A load balancer with the same name '${name}' exists, but with different settings`, 400),
  duplicateTargetGroup: (name: string) => new AwsError('DuplicateTargetGroupName', `A target group with the same name '${name}' exists, but with different settings`, 400),
  duplicateListener: () => new AwsError('DuplicateListener', 'A listener already exists on this port for this load balancer', 400),
  invalidTarget: e('InvalidTarget'),
  priorityInUse: (priority: number) => new AwsError('PriorityInUse', `Priority '${priority}' is currently in use`, 400),
  resourceInUse: e('ResourceInUse'),
  operationNotPermitted: e('OperationNotPermitted'),
  incompatibleProtocols: e('IncompatibleProtocols'),
  unsupportedProtocol: e('UnsupportedProtocol'),
  invalidAction: e('InvalidLoadBalancerAction'),
  subnetNotFound: e('SubnetNotFound'),
  invalidSubnet: e('InvalidSubnet'),
  invalidSecurityGroup: e('InvalidSecurityGroup'),
  sslPolicyNotFound: e('SSLPolicyNotFound'),
  associationLimit: e('TargetGroupAssociationLimit'),
  duplicateTagKeys: e('DuplicateTagKeys'),
  tooMany: (what: string, message: string) => new AwsError(`TooMany${what}`, message, 400),
  invalidMarker: (marker: string) => new AwsError('ValidationError', `The marker '${marker}' is not valid`, 400),
};
