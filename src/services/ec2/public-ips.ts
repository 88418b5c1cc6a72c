/**
 * The one allocator of public IPv4 addresses: the automatic public IPs of instances and Elastic
 * IPs both come from `config.publicIpPool` (a loopback range such as 127.100.0.0/16, so that each
 * address can later be a real local endpoint). An address is held by one owner at a time across
 * every account and region, which is stricter than AWS's per-region uniqueness and keeps local
 * endpoints from colliding. Allocation walks the pool from a cursor, so a released address is not
 * handed out again at once and "a new public IP" really is new.
 */
import { AwsError } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { parsePublicIpPool } from '../../config.ts';
import { formatIp4, parseCidr4 } from './cidr.ts';
import { COMPUTE_COLL } from './state.ts';

const POOL_SCOPE: Scope = { account: '*', region: '*' };
const CURSOR_ID = '#cursor';

export interface PublicIpRecord {
  ip: string;
  kind: 'auto' | 'elastic' | 'elb' | 'rds';
  account: string;
  region: string;
  /** The network interface (auto, and a load balancer node's: elb), allocation id (elastic) or DB instance ARN (rds) holding it. */
  owner: string;
}

/** The pool as [first, last] usable addresses: the network and broadcast addresses are skipped. */
export function poolRange(spec: string): { first: number; last: number } {
  const { base, size } = parseCidr4(parsePublicIpPool(spec))!;
  return { first: base + 1, last: base + size - 2 };
}

/** Takes a free address from the pool for `owner`. Must run inside a store transaction. */
export function allocatePublicIp(env: Env, holder: Omit<PublicIpRecord, 'ip'>): string {
  const { first, last } = poolRange(env.config.publicIpPool);
  const span = last - first + 1;
  const cursor = env.store.get<{ next: number }>(COMPUTE_COLL.publicIps, POOL_SCOPE, CURSOR_ID)?.next ?? first;
  for (let i = 0; i < span; i++) {
    const n = first + ((cursor - first + i) % span + span) % span;
    // Addresses ending in .0 or .255 look like network or broadcast addresses to people; skip them.
    if ((n & 255) === 0 || (n & 255) === 255) continue;
    const ip = formatIp4(n);
    if (env.store.get(COMPUTE_COLL.publicIps, POOL_SCOPE, ip)) continue;
    env.store.put<PublicIpRecord>(COMPUTE_COLL.publicIps, POOL_SCOPE, ip, { ip, ...holder });
    env.store.put(COMPUTE_COLL.publicIps, POOL_SCOPE, CURSOR_ID, { next: n + 1 > last ? first : n + 1 });
    return ip;
  }
  throw new AwsError('InsufficientAddressCapacity', 'There are no free addresses left in the public IP pool.', 503, false);
}

/** Gives an address back to the pool. Releasing an address that is not held does nothing. */
export function releasePublicIp(env: Env, ip: string | undefined): void {
  if (ip && env.store.get(COMPUTE_COLL.publicIps, POOL_SCOPE, ip)) env.store.delete(COMPUTE_COLL.publicIps, POOL_SCOPE, ip);
}

/** Who holds an address, if anyone. */
export const publicIpHolder = (env: Env, ip: string) => env.store.get<PublicIpRecord>(COMPUTE_COLL.publicIps, POOL_SCOPE, ip);

const dashed = (ip: string) => ip.replace(/\./g, '-');

/** `ec2-127-100-0-5.compute-1.amazonaws.com` in us-east-1, `ec2-….REGION.compute.amazonaws.com` elsewhere. */
export const publicDnsName = (region: string, ip: string) =>
  region === 'us-east-1' ? `ec2-${dashed(ip)}.compute-1.amazonaws.com` : `ec2-${dashed(ip)}.${region}.compute.amazonaws.com`;

/** The region's internal domain: `ec2.internal` in us-east-1, `REGION.compute.internal` elsewhere. */
export const internalDomain = (region: string) => (region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`);

/** `ip-10-0-0-5.ec2.internal` in us-east-1, `ip-10-0-0-5.REGION.compute.internal` elsewhere. */
export const privateDnsName = (region: string, ip: string) => `ip-${dashed(ip)}.${internalDomain(region)}`;
