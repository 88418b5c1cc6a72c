/**
 * One VPC as a real, isolated network: a namespace of its own acting as the VPC's router, with a
 * bridge that every instance's veth joins, and the first address of each subnet (AWS's router
 * address, x.x.x.1) on the bridge. Two VPCs with the same CIDR are two namespaces that never
 * meet. The router namespace also holds the metadata address (169.254.169.254), the faultline
 * API address and the "internet" source address, served by the VPC's agent (netns-agent.ts).
 *
 * An instance gets its own namespace with eth0 (its ENI's MAC and private address, a default
 * route via its subnet's router) and its security groups as nftables rules. The subnets' network
 * ACLs are nftables rules in the router namespace (network-acls.ts).
 *
 * Load balancer nodes' private addresses are put on the bridge too (as /32s), so that the agent
 * connects from them: health checks and forwarded traffic arrive from the node's address, as on
 * AWS, and an instance's security group that names the load balancer's group admits them.
 * So are DB instances' endpoint addresses, on which the agent listens (serveEndpoints): the
 * VPC's side of RDS's endpoints (db-endpoints.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { agentPath } from './agent-path.ts';
import type { Socket } from 'node:net';
import { parseCidr4, formatIp4 } from '../services/ec2/cidr.ts';
import { run, sh, q } from './exec.ts';
import { deleteNamespace, inNamespace, nsPath, setLink } from './netns.ts';
import { INTERNET_SOURCE } from './firewall.ts';

export const METADATA_IP = '169.254.169.254';
/** Where the faultline API answers inside every VPC; instances get AWS_ENDPOINT_URL pointing here. */
export const API_IP = '169.254.169.250';
export const API_PORT = 80;
/** The router's MAC on every VPC's bridge (locally administered; each VPC is an L2 domain of its own). */
const ROUTER_MAC = '0a:fa:17:00:00:01';
export const API_URL = `http://${API_IP}${API_PORT === 80 ? '' : `:${API_PORT}`}`;

const AGENT = agentPath('netns-agent');

export type AgentConnection = { kind: 'imds' | 'api' | 'dns' | 'endpoint'; remoteAddress: string; socket: Socket; localAddress?: string; localPort?: number };

/** An address and port inside the VPC where the agent accepts connections for faultline (a DB instance's endpoint). */
export interface ServedEndpoint {
  ip: string;
  port: number;
}

const endpointKey = (eps: readonly ServedEndpoint[]) => eps.map((e) => `${e.ip}:${e.port}`).sort().join(',');

/** The Amazon resolver's fixed address in every VPC, beside the VPC's base + 2 (spec route53.md §6). */
export const RESOLVER_IP = '169.254.169.253';

/** The addresses of a VPC's Amazon resolver: its primary CIDR's base + 2, and 169.254.169.253. */
export function resolverIps(vpcCidr: string): string[] {
  const c = parseCidr4(vpcCidr, false);
  return c ? [formatIp4(c.base + 2), RESOLVER_IP] : [RESOLVER_IP];
}

/** Answers one DNS query packet from `clientIp` in the VPC, or undefined to drop it. */
export type DnsAnswerer = (query: Buffer, clientIp: string) => Buffer | undefined;

/** A connection that the agent failed to open: `timeout`, or the errno code (`ECONNREFUSED`…). */
export class ConnectError extends Error {
  constructor(readonly code: string) {
    super(`connect failed: ${code}`);
  }
}

/** What a health check saw: the HTTP status (HTTP checks), or why it failed; neither when a TCP check passed. */
export interface ProbeAnswer {
  status?: number;
  error?: string;
}

/** How a forwarded flow went: its connect time, bytes both ways, or why it never connected. */
export interface FlowReport {
  connectMs?: number;
  bytes: number;
  error?: string;
}

/** An answer of the agent to a question faultline asked it (by id). */
type AgentAnswer = { error?: string; status?: number; connectMs?: number; bytes?: number };
/** How a question is answered: `msg` undefined when the agent died before answering. */
type Pending = { resolve: (msg: AgentAnswer | undefined, handle: unknown) => void };

/** Real ms before an agent that died is started again (a crash loop then costs little). */
const RESTART_MS = 1_000;

/** AWS's router address of a subnet, with the prefix: 10.0.1.0/24 → 10.0.1.1/24. */
export function gatewayOf(cidr: string): string | undefined {
  const c = parseCidr4(cidr, false);
  return c ? `${formatIp4(c.base + 1)}/${c.prefix}` : undefined;
}

export class VpcNetwork {
  private agent: ChildProcess | undefined;
  private gateways = new Set<string>();
  /** Load balancer node addresses on the bridge. */
  private nodeIps = new Set<string>();
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private ready: Promise<void> | undefined;
  /** The network ACL ruleset in force in the router namespace, once one is. */
  acls: string | undefined;
  /** Whether the router namespace exists (made, and not destroyed since): links to it can be made. */
  up = false;
  /**
   * The agent asked to serve the Amazon resolver (serveDns), and when it listens; who answers its
   * queries. Callers that overlap (a boot's, and the one after an agent's restart) share the one
   * request: a second would take the first's answer, and the first would wait for the agent to die.
   */
  private dnsServing: { agent: ChildProcess; listening: Promise<void> } | undefined;
  private dnsAnswerer: DnsAnswerer | undefined;
  /** The resolver's addresses once it is served, so that a restarted agent serves it again. */
  private dnsIps: string[] | undefined;
  private dnsListening: (() => void) | undefined;
  /** The endpoints served (addresses on the bridge, the agent listening), and by which agent. */
  private endpoints: ServedEndpoint[] = [];
  private endpointsAgent: ChildProcess | undefined;
  /** Hears the agent's answer to the one serveEndpoints message in flight (one task per VPC at a time). */
  private endpointsServed: ((failed: string[]) => void) | undefined;

  constructor(
    readonly ns: string,
    readonly vpcId: string,
    private onConnection: (c: AgentConnection) => void,
    private log: (m: string) => void,
  ) {}

  /** Creates the router namespace and starts its agent (once). */
  ensure(): Promise<void> {
    this.ready ??= this.create().catch((e) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async create(): Promise<void> {
    await deleteNamespace(this.ns);
    const n = q(this.ns);
    await sh(
      [
        `ip netns add ${n}`,
        `ip -n ${n} link set lo up`,
        `ip -n ${n} link add br0 type bridge`,
        // A bridge takes the lowest MAC of its ports unless it has its own: without one, it
        // changed whenever an instance's link came or went, and instances that had cached the old
        // one for the router or a load balancer node stopped reaching them until it expired.
        `ip -n ${n} link set br0 address ${ROUTER_MAC}`,
        `ip -n ${n} link set br0 up`,
        `ip -n ${n} addr add ${METADATA_IP}/32 dev lo`,
        `ip -n ${n} addr add ${API_IP}/32 dev lo`,
        `ip -n ${n} addr add ${INTERNET_SOURCE}/32 dev lo`,
        `nsenter --net=${q(nsPath(this.ns))} sysctl -qw net.ipv4.ip_forward=1`,
      ].join('\n'),
    );
    this.gateways.clear();
    this.nodeIps.clear();
    this.endpoints = [];
    this.acls = undefined;
    this.up = true;
    await this.startAgent();
  }

  private startAgent(): Promise<void> {
    return new Promise((resolve, reject) => {
      // nsenter execs node in the router namespace; the IPC channel's fd crosses the exec.
      const child = fork(AGENT, [METADATA_IP, API_IP, String(API_PORT), INTERNET_SOURCE], {
        execPath: 'nsenter',
        execArgv: [`--net=${nsPath(this.ns)}`, '--', process.execPath, '--no-warnings'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      this.agent = child;
      child.setMaxListeners(0); // one pending listener per socket in flight to the agent
      let listening = 0;
      child.on('message', (msg: AgentAnswer & { type: string; id?: number; kind?: AgentConnection['kind']; remoteAddress?: string; localAddress?: string; localPort?: number; message?: string; failed?: string[] }, handle: unknown) => {
        if (msg.id !== undefined) this.settle(msg.id, msg, handle);
        else if (msg.type === 'listening' && ++listening === 2) resolve();
        else if (msg.type === 'error') {
          this.log(`faultline: VPC ${this.vpcId} agent: ${msg.message}`);
          reject(new Error(msg.message));
          // An agent that cannot listen serves nothing; the next one must not find it there.
          if (listening < 2) child.kill('SIGKILL');
        } else if (msg.type === 'conn' && handle) this.onConnection({ kind: msg.kind!, remoteAddress: msg.remoteAddress ?? '', socket: handle as Socket, localAddress: msg.localAddress, localPort: msg.localPort });
        else if (msg.type === 'dnsQuery') this.onDnsQuery(msg as unknown as { qid: number; data: string; remoteAddress: string });
        else if (msg.type === 'dnsListening') this.dnsListening?.();
        else if (msg.type === 'endpointsServed') this.endpointsServed?.(msg.failed ?? []);
      });
      // A message sent as the agent dies fails with EPIPE; its exit, below, deals with the death.
      child.on('error', (e) => this.log(`faultline: VPC ${this.vpcId} agent: ${e.message}`));
      child.once('exit', (code, signal) => {
        // Not by destroy(), which lets go of it first.
        const unexpected = this.agent === child;
        if (unexpected) this.agent = undefined;
        this.failPending();
        if (listening < 2) reject(new Error(`VPC ${this.vpcId} agent exited (${code ?? signal}) before listening`));
        else if (unexpected) this.restartAgent(`${code ?? signal}`);
      });
    });
  }

  /**
   * Starts another agent after one that served died: in the same namespace, whose bridge,
   * addresses, ACLs and instances' links stay as they are. Until it listens, checks have no
   * answer and connections fail.
   */
  private restartAgent(why: string): void {
    this.log(`faultline: VPC ${this.vpcId} agent exited (${why}); starting it again`);
    const again: Promise<void> = new Promise((r) => setTimeout(r, RESTART_MS)).then(() => {
      // destroy() meanwhile: the namespace is going.
      if (this.ready === again) return this.startAgent();
    });
    this.ready = again;
    // The resolver it served dies with it: the new agent serves it again (its endpoints too, on the driver's next pass).
    again.then(() => {
      if (this.ready === again && this.dnsIps && this.dnsAnswerer) void this.serveDns(this.dnsIps, this.dnsAnswerer).catch((e: Error) => this.log(`faultline: VPC ${this.vpcId} resolver: ${e.message}`));
    }, (e: Error) => {
      if (this.ready === again) this.restartAgent(e.message);
    });
  }

  /**
   * Serves the VPC's Amazon resolver at `ips` in the router namespace: the addresses go on its
   * loopback, and the agent listens on their port 53; `answerer` answers UDP queries, and TCP
   * connections arrive as `dns` connections. Once per agent (a new agent is asked again).
   */
  async serveDns(ips: string[], answerer: DnsAnswerer): Promise<void> {
    await this.ensure();
    const agent = this.agent;
    if (!agent) return;
    if (this.dnsServing?.agent !== agent) {
      const serving = { agent, listening: this.listenDns(agent, ips, answerer) };
      this.dnsServing = serving;
      // One that failed (its addresses could not be added) is asked again by the next caller.
      serving.listening.catch(() => {
        if (this.dnsServing === serving) this.dnsServing = undefined;
      });
    }
    return this.dnsServing.listening;
  }

  private async listenDns(agent: ChildProcess, ips: string[], answerer: DnsAnswerer): Promise<void> {
    for (const ip of ips) await sh(`ip -n ${q(this.ns)} addr replace ${ip}/32 dev lo`);
    this.dnsIps = ips;
    this.dnsAnswerer = answerer;
    await new Promise<void>((resolve) => {
      this.dnsListening = resolve;
      agent.once('exit', () => resolve());
      // An agent that died since ensure() (killed, as a test does) has no channel: its 'exit' resolves.
      agent.send({ type: 'dnsListen', hosts: ips }, (e) => e && resolve());
    });
    this.dnsListening = undefined;
  }

  /**
   * Serves exactly `eps` inside the VPC: their addresses on the bridge (as /32s) and the agent
   * listening on them, each accepted connection arriving as an `endpoint` connection with the
   * address and port it reached. Level-triggered; a new agent (after a crash) is asked again.
   */
  async serveEndpoints(eps: readonly ServedEndpoint[]): Promise<void> {
    await this.ensure();
    const agent = this.agent;
    if (!agent) return;
    const ips = new Set(eps.map((e) => e.ip));
    const had = new Set(this.endpoints.map((e) => e.ip));
    // The agent stops listening before an address goes, and listens once one is there.
    const failed = await this.listenOn(agent, eps.filter((e) => had.has(e.ip)));
    for (const ip of had) if (!ips.has(ip)) await sh(`ip -n ${q(this.ns)} addr del ${ip}/32 dev br0`).catch(() => {});
    for (const ip of ips) if (!had.has(ip)) await sh(`ip -n ${q(this.ns)} addr replace ${ip}/32 dev br0`);
    this.endpoints = eps.filter((e) => had.has(e.ip));
    failed.push(...(await this.listenOn(agent, eps)));
    this.endpoints = [...eps];
    this.endpointsAgent = agent;
    if (failed.length) throw new Error(`VPC ${this.vpcId} endpoints: ${failed.join('; ')}`);
  }

  /** Has the agent listen on exactly `eps`; resolves with what it could not listen on. */
  private listenOn(agent: ChildProcess, eps: readonly ServedEndpoint[]): Promise<string[]> {
    return new Promise((resolve) => {
      const exited = () => finish(['the agent exited']);
      const finish = (failed: string[]) => {
        agent.off('exit', exited);
        this.endpointsServed = undefined;
        resolve(failed);
      };
      this.endpointsServed = finish;
      agent.once('exit', exited);
      agent.send({ type: 'serveEndpoints', endpoints: eps.map((e) => ({ host: e.ip, port: e.port })) });
    });
  }

  /** Whether the endpoints served are exactly `eps`, by the agent that runs now. */
  servesEndpoints(eps: readonly ServedEndpoint[]): boolean {
    return this.endpointsAgent === this.agent && endpointKey(this.endpoints) === endpointKey(eps);
  }

  /** A UDP query the agent received: answered (or dropped) by its id. */
  private onDnsQuery(msg: { qid: number; data: string; remoteAddress: string }): void {
    const out = this.dnsAnswerer?.(Buffer.from(msg.data, 'base64'), msg.remoteAddress);
    if (this.agent?.connected) this.agent.send({ type: 'dnsAnswer', qid: msg.qid, data: out?.toString('base64') });
  }

  /** Puts each subnet's router address on the bridge; level-triggered (adds the missing ones). */
  async syncSubnets(cidrs: string[]): Promise<void> {
    for (const cidr of cidrs) {
      const gw = gatewayOf(cidr);
      if (!gw || this.gateways.has(gw)) continue;
      await sh(`ip -n ${q(this.ns)} addr replace ${gw} dev br0`);
      this.gateways.add(gw);
    }
  }

  /** Makes the load balancer node addresses on the bridge exactly `ips`; level-triggered. */
  async syncNodeIps(ips: ReadonlySet<string>): Promise<void> {
    await this.ensure();
    for (const ip of this.nodeIps) {
      if (ips.has(ip)) continue;
      await sh(`ip -n ${q(this.ns)} addr del ${ip}/32 dev br0`).catch(() => {});
      this.nodeIps.delete(ip);
    }
    for (const ip of ips) {
      if (this.nodeIps.has(ip)) continue;
      await sh(`ip -n ${q(this.ns)} addr replace ${ip}/32 dev br0`);
      this.nodeIps.add(ip);
    }
  }

  hasNodeIp(ip: string): boolean {
    return this.nodeIps.has(ip);
  }

  /** Whether the node addresses on the bridge are exactly `ips`. */
  hasNodeIps(ips: ReadonlySet<string>): boolean {
    return ips.size === this.nodeIps.size && [...ips].every((ip) => this.nodeIps.has(ip));
  }

  /**
   * Hands a connection accepted on a public IP to the agent, which connects it to `host:port`
   * from the internet address, or from `source` (a load balancer node's address). `tag` names
   * the listener that accepted it, for `cut`; `onEnd`, when given, hears how the flow went once
   * it ends.
   */
  forward(socket: Socket, host: string, port: number, opts: { tag: string; source?: string; onEnd?: (r: FlowReport) => void }): boolean {
    if (!this.agent?.connected) return false;
    const { tag, source, onEnd } = opts;
    const id = onEnd ? this.expect((msg) => onEnd({ connectMs: msg?.connectMs, bytes: msg?.bytes ?? 0, error: msg ? msg.error : 'ENETUNREACH' })) : undefined;
    // The agent answers every forward; one that never reached it is answered here.
    this.agent.send({ type: 'forward', host, port, source, tag, id }, socket, { keepOpen: false }, (e) => {
      if (e && id !== undefined) this.settle(id, { error: 'EPIPE', bytes: 0 }, undefined);
    });
    return true;
  }

  /**
   * Ends the flows that the listener `tag` accepted: once handed to the agent they are no longer
   * faultline's sockets, so closing the listener alone would leave them open.
   */
  cut(tag: string): void {
    if (this.agent?.connected) this.agent.send({ type: 'cut', tag });
  }

  /** A connection to `host:port` from `source`, opened inside the VPC (rejects with ConnectError). */
  connect(host: string, port: number, source: string, timeoutMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      if (!this.agent?.connected) return reject(new ConnectError('ENETUNREACH'));
      const id = this.expect((msg, handle) => (handle ? resolve(handle as Socket) : reject(new ConnectError(msg ? (msg.error ?? 'error') : 'ENETUNREACH'))));
      this.agent.send({ type: 'connect', id, host, port, source, timeoutMs });
    });
  }

  /**
   * A health check from `source`: a TCP connect, or with `path` an HTTP GET whose status it
   * answers. Undefined when the agent is down: faultline's failure says nothing of the target.
   */
  probe(req: { host: string; port: number; source: string; timeoutMs: number; path?: string; userAgent?: string }): Promise<ProbeAnswer | undefined> {
    return new Promise((resolve) => {
      if (!this.agent?.connected) return resolve(undefined);
      const id = this.expect((msg) => resolve(msg && { status: msg.status, error: msg.error }));
      this.agent.send({ type: 'probe', id, ...req });
    });
  }

  private settle(id: number, msg: AgentAnswer, handle: unknown): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    p?.resolve(msg, handle);
  }

  private expect(resolve: Pending['resolve']): number {
    const id = this.nextId++;
    this.pending.set(id, { resolve });
    return id;
  }

  /** The agent is gone: every question in flight is answered as such. */
  private failPending(): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.resolve(undefined, undefined);
  }

  /** Creates an instance's namespace, wired to the bridge with its ENI's MAC and address. */
  async attach(instNs: string, dev: string, opts: { ip: string; prefix: number; gateway: string; mac: string }): Promise<void> {
    await deleteNamespace(instNs);
    const r = q(this.ns);
    const i = q(instNs);
    await sh(
      [
        `ip netns add ${i}`,
        `ip -n ${i} link set lo up`,
        `ip -n ${r} link add ${q(dev)} type veth peer name eth0 netns ${i}`,
        `ip -n ${r} link set ${q(dev)} master br0 up`,
        `ip -n ${i} link set eth0 address ${q(opts.mac)}`,
        `ip -n ${i} addr add ${opts.ip}/${opts.prefix} dev eth0`,
        `ip -n ${i} link set eth0 up`,
        `ip -n ${i} route add default via ${opts.gateway}`,
      ].join('\n'),
    );
  }

  setLink(dev: string, up: boolean) {
    return setLink(this.ns, dev, up);
  }

  /** Puts the subnets' network ACLs in force (network-acls.ts), replacing the ruleset at once. */
  async applyAcls(ruleset: string): Promise<void> {
    await this.ensure();
    await inNamespace(this.ns, ['nft', '-f', '-'], ruleset);
    this.acls = ruleset;
  }

  static async applyFirewall(instNs: string, ruleset: string): Promise<void> {
    await inNamespace(instNs, ['nft', '-f', '-'], ruleset);
  }

  async destroy(): Promise<void> {
    // An agent being started (or started again) is waited for, then stopped with the rest.
    const starting = this.ready;
    this.ready = undefined;
    this.up = false;
    await starting?.catch(() => {});
    const a = this.agent;
    this.agent = undefined;
    if (a && a.exitCode === null) {
      const gone = new Promise((r) => a.once('exit', r));
      a.kill('SIGKILL');
      await gone;
    }
    this.failPending();
    await deleteNamespace(this.ns);
  }
}

export { run };
