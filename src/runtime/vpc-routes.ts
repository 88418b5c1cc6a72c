/**
 * Traffic that leaves a VPC, made real in the routers' namespaces (vpc-network.ts):
 *  - a VPC peering connection is a veth pair between the two VPCs' routers, with each router's
 *    kernel routing the other's CIDRs over it;
 *  - the internet is one namespace per faultline (`<prefix>internet`) in which every address is
 *    local, so that a program listening there on 0.0.0.0 stands in for any internet host; a VPC
 *    that has egress gets a veth pair to it and a default route, and the internet namespace
 *    routes the VPC's public source addresses back over it.
 * Links carry no addresses of their own: routes go via a fixed link-local next hop, resolved by a
 * permanent neighbour entry to the other end's MAC (no ARP on the links).
 *
 * What may cross is decided per subnet by its route table, as nftables rules in the router
 * (`routeRules`): a packet from a subnet leaves over a peering link only to a destination its
 * route table sends to that connection (so traffic flows both ways only where both sides route),
 * and over the internet link only where its route table sends the destination to an attached
 * internet gateway (from instances with a public IP, which is then its source) or to an available
 * public NAT gateway whose own subnet routes to an internet gateway and whose zone is up (from the
 * gateway's Elastic IP). Everything else that would leave is dropped. Network ACLs and security
 * groups apply as within a VPC (network-acls.ts, firewall.ts).
 *
 * Public IPs are loopback-pool addresses (127.x): the routers and the internet namespace route
 * them (route_localnet), and the internet namespace has no 127/8 of its own beyond 127.0.0.1.
 */
import type { DeepReadonly, Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { formatCidr4, parseCidr4 } from '../services/ec2/cidr.ts';
import { prefixListCidrs } from '../services/ec2/prefix-lists.provider.ts';
import { routeTableOfSubnet } from '../services/ec2/route-tables.provider.ts';
import { loopContext } from '../services/ec2/scoped.ts';
import { activePeerings } from '../services/ec2/vpc-peering.provider.ts';
import {
  COLL,
  COMPUTE_COLL,
  type InternetGatewayRecord,
  type NatGatewayRecord,
  type NetworkInterfaceRecord,
  type RouteRecord,
  type SubnetRecord,
} from '../services/ec2/state.ts';
import { zoneHealthy } from '../world/state.ts';
import { sh, q } from './exec.ts';
import { deleteNamespace, nsPath } from './netns.ts';

/** The router's device towards the internet namespace. */
export const INTERNET_DEV = 'inet';
/** Next hops on the links: the "near" end routes via FAR_HOP and the far end via NEAR_HOP. */
const NEAR_HOP = '169.254.255.1';
const FAR_HOP = '169.254.255.2';

/** One end of a peering link, as a router sees it. */
export interface PeerLink {
  pcxId: string;
  peerVpcId: string;
  dev: string;
  peerCidrs: string[];
}

/** What a VPC's router sends out of the VPC, from the records. */
export interface RoutePlan {
  vpcId: string;
  peers: PeerLink[];
  /** The public addresses the VPC's traffic leaves from (instances' public IPs, NAT gateways' Elastic IPs). */
  egress: string[];
  /** The router's nftables table (appended to its ACL ruleset, which flushes first). */
  rules: string;
}

const hex = (id: string) => id.slice(id.indexOf('-') + 1);
/** Each peering's device: `p…` in the requester's router, `q…` in the accepter's. */
const peerDev = (pcxId: string, requester: boolean) => `${requester ? 'p' : 'q'}${hex(pcxId).slice(-14)}`;
/** A locally administered MAC from an id and a role byte. */
const macOf = (id: string, role: number) => `0a:f${role}:${hex(id).padStart(8, '0').slice(-8).match(/../g)!.join(':')}`;

const ipv4Cidrs = (cidrs: string[]) => cidrs.filter((c) => parseCidr4(c, false)).map((c) => formatCidr4(parseCidr4(c, false)!));

function destinationsOf(env: Env, scope: Scope, r: DeepReadonly<RouteRecord>): string[] {
  if (r.DestinationCidrBlock) return [r.DestinationCidrBlock];
  if (r.DestinationPrefixListId) return ipv4Cidrs(prefixListCidrs(env, scope, r.DestinationPrefixListId));
  return [];
}

/** The router plan of every VPC in `vpcs` (id → scope), from one read of the records. */
export function routePlans(env: Env, vpcs: ReadonlyMap<string, Scope>): Map<string, RoutePlan> {
  const out = new Map<string, RoutePlan>();
  for (const [vpcId, scope] of vpcs) out.set(vpcId, planOf(env, scope, vpcId));
  return out;
}

function planOf(env: Env, scope: Scope, vpcId: string): RoutePlan {
  const ctx = loopContext(env, scope);
  const subnets = env.store.list<SubnetRecord>(COLL.subnets, scope).filter((s) => s.VpcId === vpcId);
  const peers: PeerLink[] = activePeerings(env, scope)
    .filter((p) => p.RequesterVpcInfo.VpcId === vpcId || p.AccepterVpcInfo.VpcId === vpcId)
    .map((p) => {
      const requester = p.RequesterVpcInfo.VpcId === vpcId;
      const other = requester ? p.AccepterVpcInfo : p.RequesterVpcInfo;
      return { pcxId: p.VpcPeeringConnectionId, peerVpcId: other.VpcId, dev: peerDev(p.VpcPeeringConnectionId, requester), peerCidrs: other.CidrBlockSet.map((c) => c.CidrBlock) };
    });
  const igws = new Set(env.store.list<InternetGatewayRecord>(COLL.internetGateways, scope).filter((g) => g.Attachments.some((a) => a.VpcId === vpcId)).map((g) => g.InternetGatewayId));
  const routesOf = (subnetId: string) => routeTableOfSubnet(ctx, subnetId, vpcId)?.Routes.filter((r) => r.State === 'active') ?? [];
  const subnetOf = new Map(subnets.map((s) => [s.SubnetId, s]));
  // A NAT gateway forwards while available, public, in a zone that is up, its subnet routing to an internet gateway.
  const natIp = new Map<string, string>();
  for (const n of env.store.list<NatGatewayRecord>(COLL.natGateways, scope)) {
    const ip = n.NatGatewayAddresses[0]?.PublicIp;
    const where = subnetOf.get(n.SubnetId);
    if (n.VpcId !== vpcId || n.State !== 'available' || !ip || !where || !zoneHealthy(env, scope.region, where.AvailabilityZone)) continue;
    if (routesOf(n.SubnetId).some((r) => r.GatewayId && igws.has(r.GatewayId))) natIp.set(n.NatGatewayId, ip);
  }
  const enis = env.store.list<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope).filter((e) => e.VpcId === vpcId && e.Attachment && e.Association?.PublicIp);
  const accept: string[] = [];
  const snat: string[] = [];
  const egress = new Set<string>();
  for (const s of subnets) {
    for (const r of routesOf(s.SubnetId)) {
      const dests = destinationsOf(env, scope, r);
      if (!dests.length) continue;
      const daddr = `ip daddr { ${dests.join(', ')} }`;
      const peer = r.VpcPeeringConnectionId && peers.find((p) => p.pcxId === r.VpcPeeringConnectionId);
      if (peer) accept.push(`ip saddr ${s.CidrBlock} ${daddr} oifname "${peer.dev}" accept`);
      else if (r.GatewayId && igws.has(r.GatewayId)) {
        for (const e of enis.filter((x) => x.SubnetId === s.SubnetId)) {
          accept.push(`ip saddr ${e.PrivateIpAddress} ${daddr} oifname "${INTERNET_DEV}" accept`);
          snat.push(`ip saddr ${e.PrivateIpAddress} oifname "${INTERNET_DEV}" snat to ${e.Association!.PublicIp}`);
          egress.add(e.Association!.PublicIp);
        }
      } else if (r.NatGatewayId && natIp.has(r.NatGatewayId)) {
        const ip = natIp.get(r.NatGatewayId)!;
        accept.push(`ip saddr ${s.CidrBlock} ${daddr} oifname "${INTERNET_DEV}" accept`);
        snat.push(`ip saddr ${s.CidrBlock} oifname "${INTERNET_DEV}" snat to ${ip}`);
        egress.add(ip);
      }
    }
  }
  const leaving = [...peers.map((p) => p.dev), INTERNET_DEV].map((d) => `"${d}"`);
  const rules = [
    'table ip faultline_route {',
    '  chain forward {',
    '    type filter hook forward priority 10; policy accept;',
    ...accept.map((l) => `    ${l}`),
    `    oifname { ${leaving.join(', ')} } drop`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    ...snat.map((l) => `    ${l}`),
    '  }',
    '}',
    '',
  ].join('\n');
  return { vpcId, peers, egress: [...egress].sort(), rules };
}

/** A router namespace, as the links need it. */
export interface Router {
  ns: string;
  vpcId: string;
}

/**
 * The links between routers and to the internet namespace, made to match the plans
 * (level-triggered). A link is known by the routers it joins: when either is made again (its
 * VPC's network went and came back), the link is made again.
 */
export class RouterLinks {
  private peerLinks = new Map<string, { a: Router; b: Router }>();
  private internet = new Map<string, { router: Router; ips: Set<string> }>();
  private internetReady: Promise<void> | undefined;

  constructor(private internetNs: string) {}

  /** Makes the links match `plans`, for the routers in `routers` (the VPCs whose networks exist). */
  async sync(plans: ReadonlyMap<string, RoutePlan>, routers: ReadonlyMap<string, Router>): Promise<void> {
    const wantedPeers = new Map<string, { a: Router; b: Router; aCidrs: string[]; bCidrs: string[] }>();
    for (const plan of plans.values()) {
      for (const p of plan.peers) {
        if (!p.dev.startsWith('p')) continue; // made once, from the requester's side
        const a = routers.get(plan.vpcId);
        const b = routers.get(p.peerVpcId);
        const back = plans.get(p.peerVpcId)?.peers.find((x) => x.pcxId === p.pcxId);
        if (a && b && back) wantedPeers.set(p.pcxId, { a, b, aCidrs: back.peerCidrs, bCidrs: p.peerCidrs });
      }
    }
    for (const [id, link] of this.peerLinks) {
      const want = wantedPeers.get(id);
      if (want && want.a === link.a && want.b === link.b) continue;
      this.peerLinks.delete(id);
      // Deleting one end deletes the pair; a router that is gone took it already.
      await sh(`ip -n ${q(link.a.ns)} link del ${q(peerDev(id, true))}`, { allowFail: true });
    }
    for (const [id, want] of wantedPeers) {
      if (this.peerLinks.has(id)) continue;
      await this.connect(want.a, peerDev(id, true), macOf(id, 1), want.b, peerDev(id, false), macOf(id, 2), want.bCidrs, want.aCidrs);
      this.peerLinks.set(id, { a: want.a, b: want.b });
    }
    for (const [vpcId, link] of this.internet) {
      const plan = plans.get(vpcId);
      if (plan?.egress.length && routers.get(vpcId) === link.router) continue;
      this.internet.delete(vpcId);
      await sh(`ip -n ${q(this.internetNs)} link del ${q(internetDev(vpcId))}`, { allowFail: true });
    }
    for (const plan of plans.values()) {
      const router = routers.get(plan.vpcId);
      if (!router || !plan.egress.length) continue;
      let link = this.internet.get(plan.vpcId);
      if (!link) {
        await this.ensureInternet();
        await this.connect(router, INTERNET_DEV, macOf(plan.vpcId, 3), { ns: this.internetNs, vpcId: '' }, internetDev(plan.vpcId), macOf(plan.vpcId, 4), ['0.0.0.0/0'], []);
        this.internet.set(plan.vpcId, (link = { router, ips: new Set() }));
      }
      const wanted = new Set(plan.egress);
      const inet = q(this.internetNs);
      const dev = q(internetDev(plan.vpcId));
      for (const ip of link.ips) if (!wanted.has(ip)) await sh(`ip -n ${inet} route del ${ip}/32 dev ${dev}`, { allowFail: true });
      for (const ip of wanted) if (!link.ips.has(ip)) await sh(`ip -n ${inet} route replace ${ip}/32 via ${NEAR_HOP} dev ${dev} onlink`);
      link.ips = wanted;
    }
  }

  /** Whether the links match the plans already (nothing for sync to do). */
  matches(plans: ReadonlyMap<string, RoutePlan>, routers: ReadonlyMap<string, Router>): boolean {
    let peers = 0;
    for (const plan of plans.values()) {
      const router = routers.get(plan.vpcId);
      for (const p of plan.peers) {
        const peer = routers.get(p.peerVpcId);
        if (!p.dev.startsWith('p') || !router || !peer || !plans.get(p.peerVpcId)) continue;
        const link = this.peerLinks.get(p.pcxId);
        if (link?.a !== router || link.b !== peer) return false;
        peers++;
      }
      const link = this.internet.get(plan.vpcId);
      const wants = !!router && plan.egress.length > 0;
      if (wants !== !!link) return false;
      if (link && (link.router !== router || link.ips.size !== plan.egress.length || plan.egress.some((ip) => !link.ips.has(ip)))) return false;
    }
    return peers === this.peerLinks.size && [...this.internet.keys()].every((v) => plans.has(v));
  }

  /**
   * A veth pair from `a` (device `aDev`) to `b` (`bDev`), each end routing `aRoutes` / `bRoutes`
   * via the other's next hop, resolved by a permanent neighbour entry.
   */
  private async connect(a: Router, aDev: string, aMac: string, b: Router, bDev: string, bMac: string, aRoutes: string[], bRoutes: string[]): Promise<void> {
    const [na, nb] = [q(a.ns), q(b.ns)];
    await sh(`ip -n ${na} link del ${q(aDev)} 2>/dev/null || true`);
    await sh(
      [
        `ip -n ${na} link add ${q(aDev)} address ${aMac} type veth peer name ${q(bDev)} address ${bMac} netns ${nb}`,
        `nsenter --net=${q(nsPath(a.ns))} sysctl -qw net.ipv4.conf.all.route_localnet=1`,
        `ip -n ${na} link set ${q(aDev)} up`,
        `ip -n ${nb} link set ${q(bDev)} up`,
        `ip -n ${na} neigh replace ${FAR_HOP} lladdr ${bMac} dev ${q(aDev)} nud permanent`,
        `ip -n ${nb} neigh replace ${NEAR_HOP} lladdr ${aMac} dev ${q(bDev)} nud permanent`,
        ...aRoutes.map((c) => `ip -n ${na} route replace ${c} via ${FAR_HOP} dev ${q(aDev)} onlink`),
        ...bRoutes.map((c) => `ip -n ${nb} route replace ${c} via ${NEAR_HOP} dev ${q(bDev)} onlink`),
      ].join('\n'),
    );
  }

  /** The internet namespace: every address local (but the loopback pool's, routed to the VPCs). */
  private ensureInternet(): Promise<void> {
    this.internetReady ??= (async () => {
      await deleteNamespace(this.internetNs);
      const n = q(this.internetNs);
      await sh(
        [
          `ip netns add ${n}`,
          `ip -n ${n} link set lo up`,
          `nsenter --net=${q(nsPath(this.internetNs))} sysctl -qw net.ipv4.conf.all.route_localnet=1`,
          `ip -n ${n} route del local 127.0.0.0/8 dev lo table local`,
          `ip -n ${n} route add local 0.0.0.0/0 dev lo`,
          // The links' next hops must not be local, or no route could go via them.
          `ip -n ${n} route add ${NEAR_HOP.replace(/\d+$/, '0')}/30 dev lo`,
        ].join('\n'),
      );
    })().catch((e) => {
      this.internetReady = undefined;
      throw e;
    });
    return this.internetReady;
  }

  async destroy(): Promise<void> {
    this.peerLinks.clear();
    this.internet.clear();
    if (this.internetReady) await deleteNamespace(this.internetNs);
    this.internetReady = undefined;
  }
}

/** A VPC's device in the internet namespace. */
const internetDev = (vpcId: string) => `v${hex(vpcId).slice(-14)}`;
