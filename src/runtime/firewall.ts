/**
 * Security groups, enforced: each instance's network namespace gets an nftables ruleset built
 * from the ingress rules of its interface's groups. Stateful as AWS's groups are (replies and
 * established flows pass), with everything else dropped. Egress is left open: the VPC namespace
 * reaches nothing outside itself anyway.
 *
 * Group references (a rule naming another group) become the private addresses of the interfaces
 * that hold that group (in the same VPC, or a peered one), and prefix lists the CIDRs of their
 * current version, recomputed on every reconcile pass so that launches and list changes follow.
 */
import type { Env } from '../services/service.ts';
import type { DeepReadonly, Scope } from '../core/store.ts';
import { parseCidr4, ip4InCidr, parseIp4 } from '../services/ec2/cidr.ts';
import { prefixListCidrs } from '../services/ec2/prefix-lists.provider.ts';
import { COLL, COMPUTE_COLL, type NetworkInterfaceRecord, type SecurityGroupRecord, type SecurityGroupRuleRecord } from '../services/ec2/state.ts';

/** The address public (internet) clients appear from inside a VPC: TEST-NET-2, never a VPC's. */
export const INTERNET_SOURCE = '198.51.100.1';

function ingressRules(env: Env, scope: Scope, groupIds: readonly string[]): SecurityGroupRuleRecord[] {
  const out: SecurityGroupRuleRecord[] = [];
  for (const id of groupIds) {
    const g = env.store.get<SecurityGroupRecord>(COLL.securityGroups, scope, id);
    for (const r of g?.rules ?? []) if (!r.IsEgress) out.push(r as SecurityGroupRuleRecord);
  }
  return out;
}

const protoOf = (p: string) => (p === '6' ? 'tcp' : p === '17' ? 'udp' : p === '1' ? 'icmp' : p);

export type Interface = { VpcId: string; Groups: readonly { GroupId: string }[] };

/**
 * Makes the accept rules (nftables lines) of interfaces' security groups, for one reconcile pass.
 * Interfaces with the same groups in the same VPC share their rules, and a referenced group's
 * members are listed once per pass: a pass over a thousand instances of one group builds the
 * rules once, rather than listing every interface for every instance.
 */
export function acceptsMaker(env: Env): (scope: Scope, eni: Interface) => string[] {
  const interfaces = new Map<string, DeepReadonly<NetworkInterfaceRecord>[]>();
  const members = new Map<string, string[]>();
  const made = new Map<string, string[]>();
  // A group's members are the interfaces that hold it, whichever VPC: its own, or a peered one's.
  const membersOf = (scope: Scope, groupId: string): string[] => {
    const where = `${scope.account}/${scope.region}`;
    const key = `${where}/${groupId}`;
    let out = members.get(key);
    if (!out) {
      let all = interfaces.get(where);
      if (!all) interfaces.set(where, (all = env.store.list<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope)));
      out = all.filter((e) => e.Groups.some((g) => g.GroupId === groupId)).map((e) => e.PrivateIpAddress);
      members.set(key, out);
    }
    return out;
  };
  return (scope, eni) => {
    const groupIds = eni.Groups.map((g) => g.GroupId);
    const key = `${scope.account}/${scope.region}/${eni.VpcId}/${groupIds.join(',')}`;
    let lines = made.get(key);
    if (lines === undefined) made.set(key, (lines = acceptLines(ingressRules(env, scope, groupIds), (g) => membersOf(scope, g), (pl) => prefixListCidrs(env, scope, pl).filter((c) => !c.includes(':')))));
    return lines;
  };
}

/** Makes the instances' nftables rulesets (each one atomic `nft -f` input) of one reconcile pass (see acceptsMaker). */
export function rulesetMaker(env: Env): (scope: Scope, eni: Interface) => string {
  const accepts = acceptsMaker(env);
  const made = new Map<string[], string>();
  return (scope, eni) => {
    const lines = accepts(scope, eni);
    let ruleset = made.get(lines);
    if (ruleset === undefined) made.set(lines, (ruleset = renderRuleset(lines)));
    return ruleset;
  };
}

function acceptLines(rules: SecurityGroupRuleRecord[], membersOf: (groupId: string) => string[], cidrsOf: (prefixListId: string) => string[]): string[] {
  const lines: string[] = [];
  for (const r of rules) {
    const sources = r.ReferencedGroupInfo ? membersOf(r.ReferencedGroupInfo.GroupId) : r.PrefixListId ? cidrsOf(r.PrefixListId) : r.CidrIpv4 ? [r.CidrIpv4] : [];
    if (!sources.length) continue;
    const src = `ip saddr { ${sources.join(', ')} }`;
    const proto = protoOf(r.IpProtocol);
    if (proto === '-1') lines.push(`${src} accept`);
    else if (proto === 'tcp' || proto === 'udp') {
      const ports = r.FromPort === r.ToPort ? `${r.FromPort}` : `${r.FromPort}-${r.ToPort}`;
      lines.push(r.FromPort === -1 ? `${src} meta l4proto ${proto} accept` : `${src} ${proto} dport ${ports} accept`);
    } else if (proto === 'icmp') lines.push(`${src} meta l4proto icmp accept`);
  }
  return lines;
}

function renderRuleset(lines: string[]): string {
  return [
    'flush ruleset',
    'table inet faultline {',
    '  chain input {',
    '    type filter hook input priority 0; policy drop;',
    '    ct state established,related accept',
    '    iif lo accept',
    ...lines.map((l) => `    ${l}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Whether the groups let a public client reach `port` over TCP (what the public endpoint forwards). */
export function publicPortAllowed(env: Env, scope: Scope, groupIds: readonly string[], port: number): boolean {
  return tcpAdmitted(env, scope, groupIds, port, { ip: INTERNET_SOURCE, groupIds: [] });
}

/**
 * Whether the groups admit a TCP connection to `port` from `source`: its address within a rule's
 * CIDR, or one of its own groups named by a rule (as a load balancer node is, through its interface).
 */
export function tcpAdmitted(env: Env, scope: Scope, groupIds: readonly string[], port: number, source: { ip: string; groupIds: readonly string[] }): boolean {
  const src = parseIp4(source.ip);
  if (src === undefined) return false;
  return ingressRules(env, scope, groupIds).some((r) => {
    if (r.ReferencedGroupInfo) {
      if (!source.groupIds.includes(r.ReferencedGroupInfo.GroupId)) return false;
    } else {
      const cidrs = r.PrefixListId ? prefixListCidrs(env, scope, r.PrefixListId) : [r.CidrIpv4];
      if (!cidrs.some((cidr) => { const c = parseCidr4(cidr, false); return c && ip4InCidr(c, src); })) return false;
    }
    const proto = protoOf(r.IpProtocol);
    if (proto === '-1') return true;
    return proto === 'tcp' && (r.FromPort === -1 || (port >= r.FromPort && port <= r.ToPort));
  });
}
