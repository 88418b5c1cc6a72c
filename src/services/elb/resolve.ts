/**
 * What a load balancer's DNS name resolves to: its nodes' addresses (public ones for an
 * internet-facing load balancer, private ones for an internal one), as AWS's DNS answers
 * (spec elb.md §1 "Zones, cross-zone…", §2 "Fail-open", "Nodes, DNS, and the loss of an AZ"):
 *  - a node whose zone is down (power or network) is left out;
 *  - so is a node with no healthy target to send to, in any group its load balancer forwards to
 *    (its own zone's targets with cross-zone off, any zone's with it on), unless that would
 *    leave out every node that is up: then all of those are answered (fail open);
 *  - a load balancer that is not active yet answers nothing.
 * The one place that knows the answer: the control API, the CLI and the drills' http probe ask
 * it, and a DNS server can serve it.
 */
import type { DeepReadonly, Scope, Store } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { zoneHealthy } from '../../world/state.ts';
import { serving as lbServing } from './v2-views.ts';
import { COLL, crossZone, groupsOfLoadBalancer, targetGroup, targetsOf, type LoadBalancerRecord } from './state.ts';

export interface Resolution {
  scope: Scope;
  /** The load balancer's key (`classic:NAME` or its ARN). */
  loadBalancer: string;
  addresses: string[];
}

/** The name as a DNS client asks it: any case, maybe fully qualified, maybe with `dualstack.`. */
const canonical = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^dualstack\./, '');

/** The load balancer a DNS name belongs to (in `account` when given), with its scope; undefined when none has it. */
export function loadBalancerByDnsName(store: Store, name: string, account?: string): { scope: Scope; lb: DeepReadonly<LoadBalancerRecord> } | undefined {
  const wanted = canonical(name);
  for (const [scope, lb] of store.scan<LoadBalancerRecord>(COLL.loadBalancers)) {
    if ((account === undefined || scope.account === account) && lb.dnsName.toLowerCase() === wanted) return { scope, lb };
  }
  return undefined;
}

/** The load balancer a DNS name belongs to and the addresses it resolves to now; undefined when no load balancer has it. */
export function resolveLoadBalancer(env: Env, name: string): Resolution | undefined {
  const found = loadBalancerByDnsName(env.store, name);
  return found && { scope: found.scope, loadBalancer: found.lb.key, addresses: addressesOf(env, found.scope, found.lb) };
}

function addressesOf(env: Env, scope: Scope, lb: DeepReadonly<LoadBalancerRecord>): string[] {
  if (!lbServing(lb, env.clock.now())) return [];
  const up = lb.nodes.filter((n) => zoneHealthy(env, scope.region, n.zone));
  const groups = groupsOfLoadBalancer(env.store, scope, lb.key).flatMap((key) => {
    const group = targetGroup(env.store, scope, key);
    return group ? [{ crossZone: crossZone(lb, group), healthy: targetsOf(env.store, scope, key).filter((t) => t.state === 'healthy') }] : [];
  });
  const serving = up.filter((n) => groups.every((g) => g.healthy.some((t) => g.crossZone || t.zone === n.zone)));
  const answer = serving.length ? serving : up;
  return answer.map((n) => n.publicIp ?? n.privateIp);
}
