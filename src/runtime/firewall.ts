/**
 * Security groups, enforced: each instance's network namespace gets an nftables ruleset built
 * from the ingress rules of its interface's groups. Stateful as AWS's groups are (replies and
 * established flows pass), with everything else dropped. Egress is left open: the VPC namespace
 * reaches nothing outside itself anyway.
 *
 * Group references (a rule naming another group) become the private addresses of the interfaces
 * that hold that group in the same VPC, recomputed on every reconcile so that launches follow.
 */
import type { Env } from '../services/service.ts';
import type { Scope } from '../core/store.ts';
import { parseCidr4, ip4InCidr, parseIp4 } from '../services/ec2/cidr.ts';
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

function membersOf(env: Env, scope: Scope, vpcId: string, groupId: string): string[] {
  return env.store
    .list<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope)
    .filter((e) => e.VpcId === vpcId && e.Groups.some((g) => g.GroupId === groupId))
    .map((e) => e.PrivateIpAddress);
}

const protoOf = (p: string) => (p === '6' ? 'tcp' : p === '17' ? 'udp' : p === '1' ? 'icmp' : p);

/** The nftables ruleset for an interface, as one atomic `nft -f` input. */
export function rulesetFor(env: Env, scope: Scope, eni: { VpcId: string; Groups: readonly { GroupId: string }[] }): string {
  const lines: string[] = [];
  for (const r of ingressRules(env, scope, eni.Groups.map((g) => g.GroupId))) {
    const sources = r.ReferencedGroupInfo ? membersOf(env, scope, eni.VpcId, r.ReferencedGroupInfo.GroupId) : r.CidrIpv4 ? [r.CidrIpv4] : [];
    if (!sources.length) continue;
    const src = `ip saddr { ${sources.join(', ')} }`;
    const proto = protoOf(r.IpProtocol);
    if (proto === '-1') lines.push(`${src} accept`);
    else if (proto === 'tcp' || proto === 'udp') {
      const ports = r.FromPort === r.ToPort ? `${r.FromPort}` : `${r.FromPort}-${r.ToPort}`;
      lines.push(r.FromPort === -1 ? `${src} meta l4proto ${proto} accept` : `${src} ${proto} dport ${ports} accept`);
    } else if (proto === 'icmp') lines.push(`${src} meta l4proto icmp accept`);
  }
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
  const src = parseIp4(INTERNET_SOURCE)!;
  return ingressRules(env, scope, groupIds).some((r) => {
    const c = parseCidr4(r.CidrIpv4, false);
    if (!c || !ip4InCidr(c, src)) return false;
    const proto = protoOf(r.IpProtocol);
    if (proto === '-1') return true;
    return proto === 'tcp' && (r.FromPort === -1 || (port >= r.FromPort && port <= r.ToPort));
  });
}
