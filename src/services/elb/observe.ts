/**
 * The world's verdict on a health check: what a check from one of the load balancer's nodes would
 * see, read from the world and the records. The health loop asks it first under every driver: when
 * it fails, the check fails, whatever a real check saw; when it passes, a driver that makes real
 * checks (sandbox) decides from what the application answered, and one that makes none takes this
 * verdict as the check. It passes when
 *  - the target's instance is running, its operating system up (not rebooting, not frozen by an
 *    `instance` fault), on a host that has power and network in a zone that has them;
 *  - some node of the load balancers, in a zone that is up, reaches it: the target subnet's
 *    network ACL and the node subnet's let the check through (a disrupted subnet's ACL denies
 *    all, and, as on AWS, traffic within one subnet crosses no ACL), and the target's security
 *    groups admit the node on the health check port (by address, or by naming the load
 *    balancer's group, which the node's interface holds);
 *  - and its application is not failed (an `app` fault).
 * An unreachable or silent target times out; a failed application answers HTTP checks with 500
 * and closes TCP ones.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { tcpAdmitted } from '../../runtime/firewall.ts';
import { appFaulted, instanceFaulted } from '../../world/faults.ts';
import { hostUsable, zoneHealthy } from '../../world/state.ts';
import { ip4InCidr, parseCidr4, parseIp4 } from '../ec2/cidr.ts';
import { osUpAt } from '../ec2/instance.loop.ts';
import { COLL as EC2_COLL, COMPUTE_COLL, type InstanceRecord, type NetworkAclEntryRecord, type NetworkInterfaceRecord } from '../ec2/state.ts';
import { aclOf } from '../ec2/subnet-disruption.ts';
import type { Env } from '../service.ts';
import type { HealthObservation, LoadBalancerRecord, NodeRecord, TargetGroupRecord, TargetRecord } from './state.ts';

type Read<T> = DeepReadonly<T>;

/** Where a check goes: the address, its subnet and security groups, and the instance behind it. */
interface Endpoint {
  ip: string;
  subnetId: string;
  groupIds: string[];
  instance: Read<InstanceRecord>;
}

const TIMEOUT: HealthObservation = { ok: false, reason: 'Target.Timeout' };

export function observe(env: Env, scope: Scope, t: Read<TargetRecord>, group: Read<TargetGroupRecord>, lbs: readonly Read<LoadBalancerRecord>[]): HealthObservation {
  const target = endpointOf(env, scope, t, group);
  const inst = target?.instance;
  if (!target || !inst || inst.State.Name !== 'running' || !inst.hostId || !hostUsable(env, scope.region, inst.hostId)) return TIMEOUT;
  const osUp = osUpAt(env, inst);
  if (osUp === undefined || env.clock.now() < osUp || instanceFaulted(env, inst.InstanceId)) return TIMEOUT;
  const port = group.health.port === 'traffic-port' ? t.port : Number(group.health.port);
  const reached = lbs.some((lb) => lb.nodes.some((node) => zoneHealthy(env, scope.region, node.zone) && nodeReaches(env, scope, node, target, port)));
  if (!reached) return TIMEOUT;
  if (appFaulted(env, inst.InstanceId)) {
    const http = group.health.protocol === 'HTTP' || group.health.protocol === 'HTTPS';
    return http ? { ok: false, reason: 'Target.ResponseCodeMismatch', code: '500' } : { ok: false, reason: 'Target.FailedHealthChecks' };
  }
  return { ok: true };
}

/** An instance target's primary interface, or the interface in the group's VPC that holds an IP target's address. */
function endpointOf(env: Env, scope: Scope, t: Read<TargetRecord>, group: Read<TargetGroupRecord>): Endpoint | undefined {
  const instanceOf = (id: string) => env.store.get<InstanceRecord>(EC2_COLL.instances, scope, id);
  if (group.targetType === 'instance') {
    const inst = instanceOf(t.id);
    const eni = inst?.NetworkInterfaces.find((n) => n.Attachment.DeviceIndex === 0);
    if (!inst || !eni || !inst.SubnetId) return undefined;
    return { ip: eni.PrivateIpAddress, subnetId: inst.SubnetId, groupIds: eni.Groups.map((g) => g.GroupId), instance: inst };
  }
  const eni = env.store
    .list<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope)
    .find((n) => n.VpcId === group.vpcId && n.PrivateIpAddresses.some((a) => a.PrivateIpAddress === t.id));
  const inst = eni?.Attachment ? instanceOf(eni.Attachment.InstanceId) : undefined;
  if (!eni || !inst) return undefined;
  return { ip: t.id, subnetId: eni.SubnetId, groupIds: eni.Groups.map((g) => g.GroupId), instance: inst };
}

function nodeReaches(env: Env, scope: Scope, node: Read<NodeRecord>, target: Endpoint, port: number): boolean {
  if (node.subnetId !== target.subnetId) {
    const out = aclOf(env, scope, node.subnetId);
    const into = aclOf(env, scope, target.subnetId);
    if (!out || !into || !aclAllows(out.Entries, true, target.ip, port) || !aclAllows(into.Entries, false, node.privateIp, port)) return false;
  }
  const nodeGroups = env.store.get<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope, node.eniId)?.Groups.map((g) => g.GroupId) ?? [];
  return tcpAdmitted(env, scope, target.groupIds, port, { ip: node.privateIp, groupIds: nodeGroups });
}

/**
 * Whether an ACL lets a TCP packet to `port` through in one direction: the first entry by rule
 * number that matches decides (entries are kept in that order, ending with the catch-all deny).
 * Only the request is judged; the replies' ephemeral ports are not.
 */
export function aclAllows(entries: readonly Read<NetworkAclEntryRecord>[], egress: boolean, peer: string, port: number): boolean {
  const ip = parseIp4(peer);
  if (ip === undefined) return false;
  const hit = entries.find((e) => {
    if (e.Egress !== egress) return false;
    const c = parseCidr4(e.CidrBlock, false);
    if (!c || !ip4InCidr(c, ip)) return false;
    if (e.Protocol === '-1') return true;
    return e.Protocol === '6' && (!e.PortRange || (port >= e.PortRange.From && port <= e.PortRange.To));
  });
  return hit?.RuleAction === 'allow';
}
