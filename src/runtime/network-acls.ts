/**
 * Network ACLs, enforced: one nftables ruleset in a VPC's router namespace (vpc-network.ts) that
 * applies each subnet's ACL to the traffic crossing the subnet's edge, which is exactly the
 * traffic that passes through the router:
 *  - between subnets (the forward hook): the source subnet's outbound entries, then the
 *    destination subnet's inbound entries;
 *  - between a subnet and the router itself (input and output hooks): connections from public
 *    and Elastic IPs (the agent connects from the "internet" address), to the faultline API,
 *    and load balancer nodes' health checks and traffic (the agent connects from the node's
 *    private address, which is on the router's bridge): for those only the target's subnet's
 *    ACL applies, not that of the node's own subnet.
 *  - between a subnet and a DB instance's endpoint address (on the router's bridge, served by the
 *    agent): the client's subnet's outbound entries and the endpoint's subnet's inbound ones,
 *    and the reverse for replies; none for a client in the endpoint's own subnet.
 * Traffic within a subnet is bridged, never routed, so no ACL sees it, as on AWS. Nor do ACLs
 * filter instance metadata or the subnet's router address (AWS documents both as exempt).
 *
 * Entries are evaluated in rule-number order, the first match deciding, statelessly: `allow`
 * returns to the hook's chain (so the other subnet's ACL is checked next), `deny` drops. The VPC
 * networks here are IPv4 only, so IPv6 entries have nothing to match.
 */
import type { DeepReadonly } from '../core/store.ts';
import type { NetworkAclEntryRecord } from '../services/ec2/state.ts';

export interface SubnetAcl {
  cidr: string;
  entries: readonly DeepReadonly<NetworkAclEntryRecord>[];
}

const ports = (r: { From: number; To: number }) => (r.From === r.To ? `${r.From}` : `${r.From}-${r.To}`);

/** One entry as an nftables rule; `peer` is the address that the entry's CIDR is matched against. */
function entryRule(e: DeepReadonly<NetworkAclEntryRecord>, peer: 'saddr' | 'daddr'): string | undefined {
  if (!e.CidrBlock) return undefined;
  const m = [`ip ${peer} ${e.CidrBlock}`];
  if ((e.Protocol === '6' || e.Protocol === '17') && e.PortRange) m.push(`${e.Protocol === '6' ? 'tcp' : 'udp'} dport ${ports(e.PortRange)}`);
  else if (e.Protocol === '1') {
    m.push('meta l4proto icmp');
    if (e.IcmpTypeCode && e.IcmpTypeCode.Type !== -1) m.push(`icmp type ${e.IcmpTypeCode.Type}`);
    if (e.IcmpTypeCode && e.IcmpTypeCode.Code !== -1) m.push(`icmp code ${e.IcmpTypeCode.Code}`);
  } else if (e.Protocol !== '-1') m.push(`meta l4proto ${e.Protocol}`);
  return `${m.join(' ')} ${e.RuleAction === 'allow' ? 'return' : 'drop'}`;
}

/**
 * The router's ruleset (one atomic `nft -f` input) for the VPC's subnets and their ACLs;
 * `exempt`: the addresses on the router that no ACL filters (metadata, subnet routers);
 * `endpoints`: DB instances' endpoint addresses on the router, each with its subnet's CIDR.
 */
export function aclRuleset(subnets: readonly SubnetAcl[], exempt: readonly string[], endpoints: readonly { ip: string; cidr: string }[] = []): string {
  const chains: string[] = [];
  const forwardOut: string[] = [];
  const forwardIn: string[] = [];
  const input: string[] = [];
  const output: string[] = [];
  subnets.forEach((s, i) => {
    for (const [name, egress, peer] of [[`out${i}`, true, 'daddr'], [`in${i}`, false, 'saddr']] as const) {
      const rules = s.entries.filter((e) => e.Egress === egress).map((e) => entryRule(e, peer)).filter((r): r is string => !!r);
      chains.push(`  chain ${name} {`, ...rules.map((r) => `    ${r}`), '    drop', '  }');
    }
    forwardOut.push(`ip saddr ${s.cidr} ip daddr != ${s.cidr} jump out${i}`);
    forwardIn.push(`ip daddr ${s.cidr} ip saddr != ${s.cidr} jump in${i}`);
    input.push(`ip saddr ${s.cidr} jump out${i}`);
    output.push(`ip daddr ${s.cidr} jump in${i}`);
  });
  // An endpoint is in its subnet: its subnet's ACL applies as to an instance there, the client's own after it.
  const toEndpoints: string[] = [];
  const fromEndpoints: string[] = [];
  for (const e of endpoints) {
    const i = subnets.findIndex((s) => s.cidr === e.cidr);
    toEndpoints.push(`ip daddr ${e.ip} ip saddr ${e.cidr} accept`, ...(i < 0 ? [] : [`ip daddr ${e.ip} jump in${i}`]));
    fromEndpoints.push(`ip saddr ${e.ip} ip daddr ${e.cidr} accept`, ...(i < 0 ? [] : [`ip saddr ${e.ip} jump out${i}`]));
  }
  const free = exempt.length ? `{ ${exempt.join(', ')} }` : undefined;
  const hook = (name: string, rules: string[]) => [`  chain ${name} {`, `    type filter hook ${name} priority 0; policy accept;`, ...rules.map((r) => `    ${r}`), '  }'];
  return [
    'flush ruleset',
    'table ip faultline_acl {',
    ...chains,
    ...hook('forward', [...forwardOut, ...forwardIn]),
    ...hook('input', [...(free ? [`ip daddr ${free} accept`] : []), ...toEndpoints, ...input]),
    ...hook('output', [...(free ? [`ip saddr ${free} accept`] : []), ...fromEndpoints, ...output]),
    '}',
    '',
  ].join('\n');
}
