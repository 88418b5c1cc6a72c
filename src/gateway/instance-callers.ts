/**
 * Calls that a sandboxed instance makes with no credentials at all: the CloudFormation helper
 * scripts' (cfn-init, cfn-signal, cfn-get-metadata). In AWS they sign such calls with the
 * instance identity document (CFN_V1), and CloudFormation then limits them to the stack the
 * instance belongs to. Here the connection itself says which instance calls: the VPC agent hands
 * the gateway each connection with its VPC and source address, which nothing inside can forge.
 *
 * Only DescribeStackResource and SignalResource are served that way, in the instance's own account
 * and region, and only for a stack the instance is a member of (an AWS::EC2::Instance of the
 * stack, or an instance of one of its Auto Scaling groups). S3 serves anonymous callers (public
 * objects; a presigned URL carries its key), so an unsigned S3 call from an instance is anonymous
 * as anywhere else. Every other unsigned call from an instance is refused as AWS refuses a call
 * with no signature (from the host, unsigned calls act as the default account's root, for
 * convenience; an instance must not get that power).
 */
import { AwsError } from '../core/errors.ts';
import type { Scope } from '../core/store.ts';
import { instanceAt } from '../runtime/metadata.server.ts';
import { findStack } from '../services/cloudformation/lookup.ts';
import { GROUP_TAG } from '../services/autoscaling/launch.ts';
import type { InstanceRecord } from '../services/ec2/state.ts';
import type { Env, Principal, RequestContext } from '../services/service.ts';

/** Where a connection from an instance comes from: its VPC and its private address there. */
export interface InstanceOrigin {
  vpcId: string;
  ip: string;
}

/** Per signing name, the operations an instance may call with no credentials. */
const UNSIGNED_OPERATIONS: Record<string, readonly string[]> = {
  cloudformation: ['DescribeStackResource', 'SignalResource'],
};

export interface InstanceCaller {
  principal: Principal;
  scope: Scope;
  instance: InstanceRecord;
}

/** Services that answer anonymous callers themselves. */
const ANONYMOUS_SERVICES = ['s3'];

/**
 * Who makes an unsigned call from an instance: the instance, for a call its helper scripts make;
 * undefined (anonymous) for S3; otherwise the call is refused.
 */
export function unsignedInstanceCaller(env: Env, origin: InstanceOrigin, signingName: string, operation: string): InstanceCaller | undefined {
  const caller = instanceCaller(env, origin, signingName, operation);
  if (caller || ANONYMOUS_SERVICES.includes(signingName)) return caller;
  throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
}

/** The instance behind an unsigned call it may make, or undefined. */
function instanceCaller(env: Env, origin: InstanceOrigin, signingName: string, operation: string): InstanceCaller | undefined {
  if (!UNSIGNED_OPERATIONS[signingName]?.includes(operation)) return undefined;
  const found = instanceAt(env, origin.vpcId, origin.ip);
  if (!found) return undefined;
  const { scope, inst } = found;
  const principal: Principal = {
    account: scope.account,
    arn: `arn:aws:ec2:${scope.region}:${scope.account}:instance/${inst.InstanceId}`,
    userId: inst.InstanceId,
    accessKeyId: '',
  };
  return { principal, scope, instance: inst };
}

/**
 * Refuses the call unless the stack it names has the instance as a member. A stack that does not
 * exist is left to the operation, which says so as it does to anyone.
 */
export function requireStackMember(ctx: RequestContext, caller: InstanceCaller, operation: string, stackName: unknown): void {
  const stack = typeof stackName === 'string' ? findStack(ctx, stackName) : undefined;
  if (!stack) return;
  const id = caller.instance.InstanceId;
  const group = caller.instance.Tags.find((t) => t.Key === GROUP_TAG)?.Value;
  const member = Object.values(stack.resources).some(
    (r) =>
      (r.ResourceType === 'AWS::EC2::Instance' && r.PhysicalResourceId === id) ||
      (r.ResourceType === 'AWS::AutoScaling::AutoScalingGroup' && group !== undefined && r.PhysicalResourceId === group),
  );
  if (!member) {
    throw new AwsError('AccessDenied', `User: ${caller.principal.arn} is not authorized to perform: cloudformation:${operation} on resource: ${stack.StackId} because the instance is not a member of the stack`, 403);
  }
}
