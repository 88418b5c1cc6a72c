/**
 * What one Route 53 checker sees of an endpoint, read from the world (spec route53.md §4). The
 * endpoint is an address of faultline's public IP pool (given, or resolved from the check's
 * domain name through answer.ts, as Route 53 resolves it at every interval). The checker's
 * request reaches what holds that address when:
 *  - an instance holds it (its automatic public IP, or an Elastic IP on its interface): the
 *    instance runs, its operating system is up (not booting, rebooting or frozen by an `instance`
 *    fault) on a host with power and network in a zone that has them;
 *  - a load balancer node holds it: its zone has power and network, and the load balancer
 *    listens on the port;
 *  - and the subnet's network ACL and the interface's security groups admit the checker's own
 *    address on the port (a group that admits only Route 53's ranges works, as on AWS).
 * Anything else times out. Then the application answers: an instance with an `app` fault answers
 * HTTP with 500 and refuses TCP; a load balancer with no healthy target answers HTTP with 503.
 * The sandbox driver then makes the real request (runtime/route53-probes.ts): the health check
 * loop reads this first, and the real result only when the world lets the request through.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { tcpAdmitted } from '../../runtime/firewall.ts';
import { appFaulted, instanceFaulted } from '../../world/faults.ts';
import { hostUsable, zoneHealthy } from '../../world/state.ts';
import { osUpAt } from '../ec2/instance.loop.ts';
import { publicIpHolder } from '../ec2/public-ips.ts';
import { COLL as EC2_COLL, COMPUTE_COLL, type AddressRecord, type InstanceRecord, type NetworkInterfaceRecord } from '../ec2/state.ts';
import { aclOf } from '../ec2/subnet-disruption.ts';
import { aclAllows } from '../elb/observe.ts';
import { COLL as ELB_COLL, groupsOfLoadBalancer, targetsOf, type ListenerRecord, type LoadBalancerRecord } from '../elb/state.ts';
import type { Env } from '../service.ts';
import { answer } from './answer.ts';
import type { Checker, HealthCheckConfig } from './health-check.config.ts';

/** One checker's result: AWS's status text, and (real requests only) how long it took. */
export interface ProbeResult {
  ok: boolean;
  status: string;
  /** Milliseconds to connect, and to the first byte of the response (MeasureLatency). */
  connectMs?: number;
  firstByteMs?: number;
}

export const STATUS = {
  http: (code: number, text: string) => `${code >= 200 && code < 400 ? 'Success' : 'Failure'}: HTTP Status Code ${code}, ${text}`,
  tcp: 'Success: TCP connection established',
  timeout:
    'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall. See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-router-firewall-rules.html',
  refused: 'Failure: Connection refused. The endpoint is not accepting connections on the port.',
  dns: 'Failure: DNS resolution failed',
  noMatch: 'Failure: Search string not found in the response body.',
} as const;

const TIMEOUT: ProbeResult = { ok: false, status: STATUS.timeout };

/** Where a check's requests go this interval: an address, or the failure to find one. */
export type Endpoint = { ip: string; resolved: boolean } | { failure: ProbeResult };

/** The check's address: its IPAddress, or its domain name's first A record now. */
export function endpointOf(env: Env, config: DeepReadonly<HealthCheckConfig>): Endpoint {
  if (config.IPAddress !== undefined) return { ip: config.IPAddress as string, resolved: false };
  const a = answer(env, { name: config.FullyQualifiedDomainName as string, type: 'A' });
  const ip = a.answers.find((r) => r.type === 'A')?.value;
  return ip ? { ip, resolved: true } : { failure: { ok: false, status: STATUS.dns } };
}

/** A result for a domain-name endpoint names the address it resolved to, as Route 53's do. */
export const withResolvedIp = (r: ProbeResult, ep: Endpoint): ProbeResult => ('ip' in ep && ep.resolved ? { ...r, status: `${r.status}. Resolved IP: ${ep.ip}` } : r);

/** What `checker` sees of the endpoint under the world's rules (see the header). */
export function worldProbe(env: Env, config: DeepReadonly<HealthCheckConfig>, ep: Endpoint, checker: Checker): ProbeResult {
  if ('failure' in ep) return ep.failure;
  const port = config.Port as number;
  const http = config.Type !== 'TCP';
  const holder = publicIpHolder(env, ep.ip);
  if (!holder) return TIMEOUT;
  const scope: Scope = { account: holder.account, region: holder.region };
  const eniId = holder.kind === 'elastic' ? env.store.get<AddressRecord>(EC2_COLL.addresses, scope, holder.owner)?.NetworkInterfaceId : holder.owner;
  const eni = eniId ? env.store.get<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope, eniId) : undefined;
  if (!eni) return TIMEOUT;
  const inst = eni.Attachment ? env.store.get<InstanceRecord>(EC2_COLL.instances, scope, eni.Attachment.InstanceId) : undefined;
  const lb = inst ? undefined : loadBalancerOfNode(env, scope, eni.NetworkInterfaceId);
  if (inst ? !instanceAnswers(env, scope, inst) : !lb || !zoneHealthy(env, scope.region, eni.AvailabilityZone)) return TIMEOUT;
  const acl = aclOf(env, scope, eni.SubnetId);
  if (!acl || !aclAllows(acl.Entries, false, checker.IPAddress, port)) return TIMEOUT;
  if (!tcpAdmitted(env, scope, eni.Groups.map((g) => g.GroupId), port, { ip: checker.IPAddress, groupIds: [] })) return TIMEOUT;
  if (inst) {
    if (appFaulted(env, inst.InstanceId)) return http ? { ok: false, status: STATUS.http(500, 'Internal Server Error') } : { ok: false, status: STATUS.refused };
  } else {
    if (!listens(env, scope, lb!, port)) return { ok: false, status: STATUS.refused };
    if (http && !hasHealthyTarget(env, scope, lb!)) return { ok: false, status: STATUS.http(503, 'Service Temporarily Unavailable') };
  }
  return { ok: true, status: http ? STATUS.http(200, 'OK') : STATUS.tcp };
}

function instanceAnswers(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>): boolean {
  if (inst.State.Name !== 'running' || !inst.hostId || !hostUsable(env, scope.region, inst.hostId)) return false;
  const osUp = osUpAt(env, inst);
  return osUp !== undefined && env.clock.now() >= osUp && !instanceFaulted(env, inst.InstanceId);
}

function loadBalancerOfNode(env: Env, scope: Scope, eniId: string): DeepReadonly<LoadBalancerRecord> | undefined {
  return env.store.list<LoadBalancerRecord>(ELB_COLL.loadBalancers, scope).find((lb) => lb.nodes.some((n) => n.eniId === eniId));
}

function listens(env: Env, scope: Scope, lb: DeepReadonly<LoadBalancerRecord>, port: number): boolean {
  if (lb.classic) return lb.classic.listeners.some((l) => l.LoadBalancerPort === port);
  return env.store.list<ListenerRecord>(ELB_COLL.listeners, scope).some((l) => l.lbKey === lb.key && l.port === port);
}

const hasHealthyTarget = (env: Env, scope: Scope, lb: DeepReadonly<LoadBalancerRecord>): boolean =>
  groupsOfLoadBalancer(env.store, scope, lb.key).some((g) => targetsOf(env.store, scope, g).some((t) => t.state === 'healthy'));
