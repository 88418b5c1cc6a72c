/**
 * Classic ELB's errors, with the wire codes its model declares (the SDKs name some differently:
 * `LoadBalancerNotFound` is AccessPointNotFoundException, `InvalidInstance` is InvalidEndPoint),
 * and the lookups and checks every Classic handler shares.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { classicKey, COLL, type LoadBalancerRecord, type TargetGroupRecord } from './state.ts';

/** Quotas per region and per load balancer (CLB/elb-limits.html); DescribeAccountLimits reports them. */
export const LIMITS = { loadBalancers: 20, listeners: 100, instances: 1000, tags: 50 };

export const elbErrors = {
  validation: (message: string) => new AwsError('ValidationError', message, 400),
  notFound: (name: string) => new AwsError('LoadBalancerNotFound', `There is no ACTIVE Load Balancer named '${name}'`, 400),
  duplicateName: (name: string) => new AwsError('DuplicateLoadBalancerName', `Load Balancer named '${name}' already exists and it is configured with different parameters.`, 400),
  tooManyLoadBalancers: () => new AwsError('TooManyLoadBalancers', `Exceeded quota of account: at most ${LIMITS.loadBalancers} Classic Load Balancers per region.`, 400),
  invalidInstance: (message: string) => new AwsError('InvalidInstance', message, 400),
  duplicateListener: (name: string, port: number) =>
    new AwsError('DuplicateListener', `A listener already exists for ${name} with LoadBalancerPort ${port}, but with a different InstancePort, Protocol, or SSLCertificateId`, 400),
  /** A request that conflicts with the load balancer's configuration: AWS answers it with 409. */
  invalidConfiguration: (message: string) => new AwsError('InvalidConfigurationRequest', message, 409),
  subnetNotFound: (id: string) => new AwsError('SubnetNotFound', `The subnet ID '${id}' does not exist`, 400),
  invalidSecurityGroup: (id: string) => new AwsError('InvalidSecurityGroup', `Security group '${id}' does not exist in the load balancer's VPC`, 400),
  invalidScheme: (scheme: string) => new AwsError('InvalidScheme', `Invalid scheme '${scheme}': use internet-facing or internal`, 400),
  tooManyTags: (name: string) => new AwsError('TooManyTags', `Load balancer ${name} would have more than ${LIMITS.tags} tags`, 400),
  duplicateTagKeys: (key: string) => new AwsError('DuplicateTagKeys', `The tag key '${key}' is given more than once`, 400),
  attributeNotFound: (message: string) => new AwsError('LoadBalancerAttributeNotFound', message, 400),
  policyNotFound: (name: string) => new AwsError('PolicyNotFound', `There is no policy with name ${name} for load balancer`, 400),
  policyTypeNotFound: (name: string) => new AwsError('PolicyTypeNotFound', `There is no policy type with name ${name}`, 400),
  invalidMarker: () => new AwsError('ValidationError', 'Invalid Marker: it does not come from a previous call.', 400),
};

/** ≤32 letters, digits and hyphens, no hyphen first or last. */
export function checkName(name: string): void {
  if (!/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/.test(name)) {
    throw elbErrors.validation(`LoadBalancerName '${name}' is not valid: it must have 1 to 32 letters, digits or hyphens, and must not begin or end with a hyphen.`);
  }
}

export function findClassic(ctx: RequestContext, name: string): DeepReadonly<LoadBalancerRecord> {
  const lb = ctx.env.store.get<LoadBalancerRecord>(COLL.loadBalancers, ctx, classicKey(name));
  if (!lb) throw elbErrors.notFound(name);
  return lb;
}

/** A copy of the load balancer to change and put back. */
export function mutableClassic(ctx: RequestContext, name: string): LoadBalancerRecord {
  return structuredClone(findClassic(ctx, name)) as LoadBalancerRecord;
}

export function saveClassic(ctx: RequestContext, lb: LoadBalancerRecord): void {
  ctx.env.store.put(COLL.loadBalancers, ctx, lb.key, lb);
}

/** The load balancer's implicit target group: its health check, draining and instances. */
export function classicGroup(ctx: RequestContext, name: string): TargetGroupRecord {
  const g = ctx.env.store.mutable<TargetGroupRecord>(COLL.targetGroups, ctx, classicKey(name));
  if (!g) throw elbErrors.notFound(name);
  return g;
}
