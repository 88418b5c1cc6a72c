/**
 * The sandbox driver: a level-triggered reconciler that makes real what the records say.
 *
 * Every tick it reads the instance, volume and snapshot records and the world (hosts' and zones'
 * power and network, instance faults), compares them with what it has made, and starts async
 * work for each difference, at most one task per object at a time:
 *  - an instance that is `running` on a powered host gets a sandbox (sandbox.process.ts) in its
 *    VPC's network (vpc-network.ts); a new host, a reboot or a new start (a different boot key)
 *    means a new boot; a power loss (host or AZ) kills it; a network loss cuts its link; an
 *    instance fault freezes it; stop and terminate tear it down;
 *  - security groups become nftables rules, public and Elastic IPs become endpoints;
 *  - subnets' network ACLs become nftables rules in their VPC's router (network-acls.ts);
 *  - load balancers' nodes get their private addresses on their VPC's bridge and their
 *    listeners on their public addresses (load-balancer-nodes.ts), and their targets are
 *    checked from them (lb-health-probes.ts);
 *  - RDS's DB instances run their database engines, and DB snapshots get their data (db-engines.ts);
 *    their endpoints are served inside their VPCs, behind their security groups (db-endpoints.ts);
 *  - volume records become disks of their size (volumes.store.ts), snapshot records become
 *    manifests, deleted ones go; a volume whose I/O is paused (a volume fault) has its disk
 *    frozen while an instance uses it.
 *
 * Why a short real-time poll rather than a hook on commits: the records are the truth and may
 * change through any path (API, clock loops, control API, a restart), and a poll of an in-memory
 * mirror costs microseconds per instance. Nothing can be missed and a crash loses nothing.
 *
 * The event loop, which also serves the API, is never held: every command and sandbox is started
 * by the spawn agent (exec.ts), not forked from faultline (only each VPC's agent is, once per
 * VPC: it must inherit the IPC channel that carries sockets); a few sandboxes boot at a time
 * (a launch storm queues); a pass builds each distinct security-group ruleset once and reads
 * listening ports once a second. The machine's capacity (machineCapacity) bounds how many
 * instances EC2 lets run at all.
 */
// Real processes are paced in real time (boot retries, CPU sampling, port reads), read through the clock module.
import { Clock } from '../core/clock.ts';
import { statSync, openSync, readSync, closeSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import type { HealthObservation, TrafficCounters } from '../services/elb/state.ts';
import type { ProbeResult } from '../services/route53/health-check.probe.ts';
import { activeFaults } from '../world/faults.ts';
import { setCpuLoad } from '../world/load.ts';
import { HOSTS, ZONES, worldScope, type HostRecord, type ZoneRecord } from '../world/state.ts';
import { builtinSnapshot } from '../services/ec2/builtin-images.ts';
import { parseCidr4, formatIp4 } from '../services/ec2/cidr.ts';
import { instanceInitiatedShutdown } from '../services/ec2/instance.loop.ts';
import { instanceType } from '../services/ec2/instance-types.ts';
import { resolvConf } from '../services/ec2/dhcp-options.provider.ts';
import { COLL, COMPUTE_COLL, type InstanceRecord, type NetworkAclRecord, type NetworkInterfaceRecord, type SnapshotRecord, type SubnetRecord, type VolumeRecord, type VpcRecord } from '../services/ec2/state.ts';
import { bootKeyOf, clearBootFailure, recordBootFailure } from '../services/ec2/boot-failures.ts';
import type { ComputeDriver, MachineCapacity } from './driver.ts';
import { KeyedQueue, Limiter, RuntimeError, run } from './exec.ts';
import { Cgroup, cleanGroup, detectCgroups, pidsLimitMissing, type CgroupMode } from './cgroups.ts';
import { removeStale } from './cleanup.ts';
import { acceptsMaker, publicPortAllowed, rulesetMaker, type Interface } from './firewall.ts';
import { BASE_SNAPSHOT, ensureBaseImage, writeGuestFiles, type GuestFiles } from './guest.ts';
import { MetadataServer } from './metadata.server.ts';
import { aclRuleset } from './network-acls.ts';
import { DbEngines } from './db-engines.ts';
import { DbEndpointRelay, endpointRules, readDbEndpoints, type DbEndpoint } from './db-endpoints.ts';
import { LbHealthProbes } from './lb-health-probes.ts';
import { Route53Probes } from './route53-probes.ts';
import { readLoadBalancers, type LoadBalancerView } from './lb-plan.ts';
import { LoadBalancerNodes } from './load-balancer-nodes.ts';
import { deleteNamespace, listNamespaces, namespacePids, nsPrefix } from './netns.ts';
import type { Owner } from './owners.ts';
import { PublicEndpoints, listeningPorts, type EndpointTarget } from './public-endpoints.ts';
import { SandboxProcess } from './sandbox.process.ts';
import { RouterLinks, routePlans, type RoutePlan, type Router } from './vpc-routes.ts';
import { SnapshotStore } from './snapshots.store.ts';
import { VolumeStore } from './volumes.store.ts';
import { API_URL, METADATA_IP, VpcNetwork, gatewayOf, resolverIps, type AgentConnection } from './vpc-network.ts';
import type { DnsServer } from './dns-server.ts';

export interface SandboxDriverOptions {
  /**
   * This faultline's registration on the machine: its tag names every object the driver makes,
   * and its data directory (resolved, as the mount table shows paths) holds them.
   */
  owner: Owner;
  log: (m: string) => void;
  /** Serves a connection that an instance opened to the faultline API address, from `ip` in `vpcId`. */
  onApiConnection: (socket: Socket, origin: { vpcId: string; ip: string }) => void;
  /** Answers the queries instances send to their VPC's Amazon resolver. */
  dns: DnsServer;
  /** Real milliseconds between reconcile passes. */
  pollMs?: number;
}

interface Want {
  scope: Scope;
  inst: InstanceRecord;
  eni: NetworkInterfaceRecord;
  bootKey: string;
  power: boolean;
  net: boolean;
  frozen: boolean;
  ruleset: string;
}

interface Box {
  id: string;
  scope: Scope;
  vpcId: string;
  eniId: string;
  ns: string;
  dev: string;
  bootKey: string;
  proc: SandboxProcess;
  cgroup: Cgroup;
  netUp: boolean;
  frozen: boolean;
  ruleset: string;
  /** The EBS volumes mounted in it. */
  volumeIds: string[];
  vcpus: number;
  ports: Set<number>;
  /** Real ms when `ports` was last read. */
  portsAt: number;
  cpu?: { nanos: number; at: number };
}

const CONSOLE_LIMIT = 64 * 1024;

/** Real ms between two reads of an instance's listening ports (for its public endpoints). */
const PORTS_MS = 1_000;

/**
 * This machine's capacity for instances, unless `--max-instances` gives it. Two limits:
 *  - 64 instances per CPU: booting is what costs CPU (an idle instance uses next to none), and
 *    every instance keeps a few processes and a namespace;
 *  - 8 times the memory (RAM, or faultline's own memory limit if lower), counting each instance
 *    at its type's memory: each is held to that by its cgroup, but an idle one uses a few MiB of
 *    it, so the machine can overcommit as a hypervisor does. Large types run out first.
 * With --max-instances N, N instances of any type (the user knows the workload).
 */
export function machineCapacity(maxInstances: number | undefined): MachineCapacity {
  if (maxInstances !== undefined) return { instances: maxInstances, summary: `${maxInstances} instances (--max-instances)` };
  const cpus = availableParallelism();
  const limit = process.constrainedMemory();
  const machineMiB = Math.floor((limit > 0 && limit < totalmem() ? limit : totalmem()) / 2 ** 20);
  const instances = 64 * cpus;
  const memoryMiB = 8 * machineMiB;
  const gib = (mib: number) => Math.round(mib / 1024);
  return { instances, memoryMiB, summary: `${instances} instances, ${gib(memoryMiB)} GiB of instance memory (from ${cpus} CPUs and ${gib(machineMiB)} GiB; --max-instances N sets it)` };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class SandboxDriver implements ComputeDriver {
  readonly name = 'sandbox' as const;
  private runtime: string;
  private prefix: string;
  private cgroupName: string;
  private snapshots: SnapshotStore;
  private volumes: VolumeStore;
  private guest!: GuestFiles;
  private cgMode: CgroupMode = { kind: 'none', reason: 'not probed' };
  private boxes = new Map<string, Box>();
  private vpcs = new Map<string, VpcNetwork>();
  private queue = new KeyedQueue();
  private endpoints: PublicEndpoints;
  /** Load balancers: their nodes' listeners (the data plane) and their targets' health checks. */
  private lbNodes: LoadBalancerNodes;
  private lbProbes: LbHealthProbes;
  /** Route 53's endpoint health checks, made from the host to the public addresses. */
  private r53Probes: Route53Probes;
  /** RDS's DB instances: their engines' processes and their snapshots' data. */
  private dbs: DbEngines;
  private dbRelay = new DbEndpointRelay();
  /** Peering links between VPCs' routers, and their links to the internet namespace. */
  private routeLinks: RouterLinks;
  private metadata: MetadataServer;
  private targets = new Map<string, EndpointTarget>();
  private failed = new Map<string, { bootKey: string; at: number }>();
  private knownVolumes = new Set<string>();
  /** Volumes whose disks are frozen: their I/O is paused. */
  private frozen = new Set<string>();
  private knownSnapshots = new Set<string>();
  private captures = new Map<string, Promise<void>>();
  /** Sandboxes being built at once (a boot mostly waits on its commands): two per CPU, 4 to 16, however many a storm launches. */
  private boots = new Limiter(Math.max(4, Math.min(16, 2 * availableParallelism())));
  private cap: MachineCapacity;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<number> | undefined;
  private closed = false;
  private lastCpu = 0;
  private lastGc = 0;

  constructor(
    private env: Env,
    private opts: SandboxDriverOptions,
  ) {
    this.runtime = join(opts.owner.dataDir, 'runtime');
    this.prefix = nsPrefix(opts.owner.tag);
    this.cgroupName = `faultline-${opts.owner.tag}`;
    this.snapshots = new SnapshotStore(join(this.runtime, 'snapshots'));
    this.volumes = new VolumeStore(join(this.runtime, 'volumes'), this.snapshots);
    this.metadata = new MetadataServer(env);
    // A closed listener's flows are cut in every VPC: a listener is closed rarely, and its flows may be in any.
    const cut = (tag: string) => {
      for (const net of this.vpcs.values()) net.cut(tag);
    };
    this.endpoints = new PublicEndpoints((ip) => this.targets.get(ip), (vpc, s, host, port, tag) => this.vpcs.get(vpc)?.forward(s, host, port, { tag }) ?? false, cut, opts.log);
    this.lbNodes = new LoadBalancerNodes((vpc) => this.vpcs.get(vpc), cut, opts.log);
    this.lbProbes = new LbHealthProbes((vpc) => this.vpcs.get(vpc), env.clock);
    this.r53Probes = new Route53Probes(env);
    this.dbs = new DbEngines(env, join(this.runtime, 'rds'), opts.log);
    this.cap = machineCapacity(env.config.maxInstances);
    this.routeLinks = new RouterLinks(`${this.prefix}internet`);
  }

  capacity(): MachineCapacity {
    return this.cap;
  }

  async start(): Promise<void> {
    // Whatever faultlines that no longer run left (a crash, a kill -9), whatever their data dir.
    const stale = await removeStale(this.opts.owner.tag);
    for (const line of [...stale.removed.map((l) => `removed ${l}`), ...stale.left.map((l) => `left ${l}`)]) this.opts.log(`faultline: cleanup: ${line}`);
    this.cgMode = await detectCgroups();
    if (this.cgMode.kind === 'none') this.opts.log(`faultline: sandbox: no CPU or memory limits for instances: ${this.cgMode.reason}`);
    const noPids = await pidsLimitMissing(this.cgMode);
    if (noPids) this.opts.log(`faultline: sandbox: no process limit for instances: ${noPids}`);
    await rm(join(this.runtime, 'instances'), { recursive: true, force: true });
    await this.snapshots.init();
    await this.volumes.init(this.opts.log);
    await ensureBaseImage(this.snapshots, join(this.runtime, 'base-staging'));
    if (this.volumes.sizeLimitMissing) this.opts.log(`faultline: sandbox: volumes are not limited to their size: ${this.volumes.sizeLimitMissing}`);
    this.guest = await writeGuestFiles(join(this.runtime, 'guest'));
    if (!this.guest.seccomp) this.opts.log(`faultline: sandbox: no seccomp filter for ${process.arch}: instances can reach the kernel keyrings and make user namespaces`);
    if (!this.guest.awsCli) this.opts.log('faultline: sandbox: no AWS CLI on this host; instances will have none');
    for (const id of await this.volumes.ids()) if (await this.volumes.exists(id)) this.knownVolumes.add(id);
    for (const id of await this.snapshots.ids()) this.knownSnapshots.add(id);
    await this.dbs.init();
    const loop = () => {
      if (this.closed) return;
      void this.tick().finally(() => {
        if (!this.closed) this.timer = setTimeout(loop, this.opts.pollMs ?? 100);
      });
    };
    loop();
  }

  /** One reconcile pass; returns how many tasks it started. Passes never overlap. */
  private tick(): Promise<number> {
    if (this.pass) return this.pass;
    const pass = this.reconcile().catch((e) => {
      this.opts.log(`faultline: sandbox reconcile failed: ${(e as Error).stack ?? e}`);
      return 0;
    });
    this.pass = pass;
    void pass.then(() => {
      if (this.pass === pass) this.pass = undefined;
    });
    return pass;
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      await this.queue.idle();
      if ((await this.tick()) === 0 && !this.queue.busy('*')) {
        await this.queue.idle();
        if ((await this.tick()) === 0) return;
      }
    }
  }

  private async reconcile(): Promise<number> {
    let started = 0;
    const task = (key: string, fn: () => Promise<void>) => {
      if (this.queue.busy(key)) return;
      started++;
      void this.queue.run(key, fn).catch((e) => this.opts.log(`faultline: sandbox ${key}: ${(e as Error).message}`));
    };
    started += this.reconcileStorage(task);
    const wants = this.wants();
    for (const w of wants.values()) {
      const id = w.inst.InstanceId;
      if (this.queue.busy(id)) continue;
      const box = this.boxes.get(id);
      if (!w.power) {
        if (box) task(id, () => this.teardown(box));
        continue;
      }
      if (!box) {
        const f = this.failed.get(id);
        if (f && f.bootKey === w.bootKey && Clock.wallNow() - f.at < 10_000) continue;
        task(id, () => this.boot(w));
      } else if (box.bootKey !== w.bootKey) {
        task(id, async () => {
          await this.teardown(box);
          await this.boot(w);
        });
      } else if (box.netUp !== w.net || box.frozen !== w.frozen || box.ruleset !== w.ruleset) {
        task(id, () => this.adjust(box, w));
      }
    }
    for (const box of this.boxes.values()) if (!wants.has(box.id)) task(box.id, () => this.teardown(box));
    const neededVpcs = new Map([...wants.values()].filter((w) => w.power).map((w) => [w.eni.VpcId, w.scope]));
    for (const b of this.boxes.values()) neededVpcs.set(b.vpcId, b.scope);
    for (const [vpcId, net] of this.vpcs) {
      if (neededVpcs.has(vpcId)) continue;
      task(`vpc:${vpcId}`, async () => {
        if ([...this.boxes.values()].some((b) => b.vpcId === vpcId)) return;
        this.vpcs.delete(vpcId);
        this.lbNodes.forgetNetwork(net);
        await net.destroy();
      });
    }
    const dbEndpoints = readDbEndpoints(this.env);
    const accepts = acceptsMaker(this.env);
    const plans = routePlans(this.env, neededVpcs);
    for (const [vpcId, scope] of neededVpcs) {
      const net = this.vpcs.get(vpcId);
      const acls = net && this.routerRulesetOf(scope, vpcId, dbEndpoints.filter((e) => e.vpcId === vpcId), accepts, plans.get(vpcId)!);
      if (net && acls !== net.acls) task(`vpc:${vpcId}`, () => net.applyAcls(acls!));
    }
    const routers = new Map<string, Router>([...this.vpcs].filter(([, net]) => net.up));
    if (!this.routeLinks.matches(plans, routers)) task('routes', () => this.routeLinks.sync(plans, routers));
    this.reconcilePausedVolumes(task);
    this.reconcileLoadBalancers(task);
    this.reconcileDbEndpoints(task, dbEndpoints);
    this.dbs.reconcile(task);
    await this.reconcileEndpoints();
    this.r53Probes.run();
    if (Clock.wallNow() - this.lastCpu > 5_000) {
      this.lastCpu = Clock.wallNow();
      await this.sampleCpu();
    }
    return started;
  }

  /** What should run, from the records and the world. */
  private wants(): Map<string, Want> {
    const out = new Map<string, Want>();
    const faults = activeFaults(this.env);
    const rulesetFor = rulesetMaker(this.env);
    for (const [scope, inst] of this.env.store.scan<InstanceRecord>(COLL.instances)) {
      if (inst.State.Name !== 'running' || !inst.hostId || !inst.networkInterfaceIds[0]) continue;
      const eni = this.env.store.get<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, scope, inst.networkInterfaceIds[0]) as NetworkInterfaceRecord | undefined;
      if (!eni) continue;
      const host = this.env.store.get<HostRecord>(HOSTS, worldScope(scope.region), inst.hostId);
      const zone = this.env.store.get<ZoneRecord>(ZONES, worldScope(scope.region), inst.Placement.AvailabilityZone);
      out.set(inst.InstanceId, {
        scope,
        inst: inst as InstanceRecord,
        eni,
        bootKey: bootKeyOf(inst),
        power: host?.power !== 'off' && zone?.power !== 'off',
        net: host?.network !== 'down' && zone?.network !== 'down',
        frozen: faults.some((f) => f.kind === 'instance' && f.target === inst.InstanceId),
        ruleset: rulesetFor(scope, eni),
      });
    }
    return out;
  }

  /**
   * The router's ruleset: the VPC's subnets' network ACLs (a subnet with none is not filtered),
   * its DB endpoints' security groups, and what its route tables let leave the VPC (vpc-routes.ts).
   */
  private routerRulesetOf(scope: Scope, vpcId: string, endpoints: DbEndpoint[], accepts: (scope: Scope, eni: Interface) => string[], plan: RoutePlan): string {
    const subnets = this.env.store.list<SubnetRecord>(COLL.subnets, scope).filter((s) => s.VpcId === vpcId);
    const acls = this.env.store.list<NetworkAclRecord>(COLL.networkAcls, scope).filter((a) => a.VpcId === vpcId);
    const filtered = subnets.flatMap((s) => {
      const acl = acls.find((a) => a.Associations.some((x) => x.SubnetId === s.SubnetId));
      return acl ? [{ cidr: s.CidrBlock, entries: acl.Entries }] : [];
    });
    const cidrOf = new Map(subnets.map((s) => [s.SubnetId, s.CidrBlock]));
    const inSubnets = endpoints.filter((e) => cidrOf.has(e.subnetId)).map((e) => ({ ip: e.ip, cidr: cidrOf.get(e.subnetId)! }));
    // No ACL filters the metadata service, the subnets' routers or the Amazon resolver.
    return aclRuleset(filtered, [METADATA_IP, ...this.resolverIpsOf(scope, vpcId), ...subnets.map((s) => gatewayOf(s.CidrBlock)!.split('/')[0])], inSubnets) + endpointRules(endpoints, accepts) + plan.rules;
  }

  private vpcScope(vpcId: string): Scope | undefined {
    for (const [scope, vpc] of this.env.store.scan<VpcRecord>(COLL.vpcs)) if (vpc.VpcId === vpcId) return scope;
    return undefined;
  }

  private resolverIpsOf(scope: Scope, vpcId: string): string[] {
    return resolverIps(this.env.store.get<VpcRecord>(COLL.vpcs, scope, vpcId)?.CidrBlock ?? '');
  }

  /** The VPC's Amazon resolver: its agent listens, and faultline's DNS server answers with the VPC's private names. */
  private serveDns(net: VpcNetwork, scope: Scope): Promise<void> {
    const vpc = { vpcId: net.vpcId, account: scope.account, region: scope.region };
    return net.serveDns(this.resolverIpsOf(scope, net.vpcId), (query, clientIp) => this.opts.dns.respond(query, { vpc, clientIp, tcp: false }));
  }

  /** /etc/resolv.conf as the VPC's DHCP options give it; the init script puts it in place at every boot. */
  private resolvConf(scope: Scope, vpcId: string): string {
    const vpc = this.env.store.get<VpcRecord>(COLL.vpcs, scope, vpcId);
    return vpc ? resolvConf(this.env.store, scope, vpc, this.resolverIpsOf(scope, vpcId)[0]) : '';
  }

  /**
   * Freezes the disks of the volumes whose I/O is paused while an instance uses them, and thaws
   * them when the pause ends or the instance goes (a sandbox blocked on a frozen disk could not
   * be killed; teardown thaws too).
   */
  private reconcilePausedVolumes(task: (key: string, fn: () => Promise<void>) => void): void {
    const paused = new Set(activeFaults(this.env).filter((f) => f.kind === 'volume').map((f) => f.target));
    const want = new Set<string>();
    if (paused.size) for (const box of this.boxes.values()) if (!box.proc.expectedExit) for (const v of box.volumeIds) if (paused.has(v)) want.add(v);
    for (const id of want) {
      if (this.frozen.has(id)) continue;
      task(`io:${id}`, async () => {
        if (!(await this.volumes.setPaused(id, true))) this.opts.log(`faultline: volume ${id}: its I/O cannot be paused on this host (${this.volumes.sizeLimitMissing ?? 'fsfreeze failed'})`);
        this.frozen.add(id);
      });
    }
    for (const id of this.frozen) if (!want.has(id)) task(`io:${id}`, () => this.thaw(id));
  }

  private async thaw(volumeId: string): Promise<void> {
    await this.volumes.setPaused(volumeId, false);
    this.frozen.delete(volumeId);
  }

  private vpc(vpcId: string): VpcNetwork {
    let net = this.vpcs.get(vpcId);
    if (!net) {
      net = new VpcNetwork(`${this.prefix}${vpcId}`, vpcId, (c) => this.onAgentConnection(vpcId, c), this.opts.log);
      this.vpcs.set(vpcId, net);
    }
    return net;
  }

  private onAgentConnection(vpcId: string, c: AgentConnection): void {
    if (c.kind === 'imds') this.metadata.accept(c.socket, vpcId, c.remoteAddress);
    else if (c.kind === 'endpoint') this.dbRelay.accept(vpcId, c.socket, c.localAddress, c.localPort);
    else if (c.kind === 'dns') {
      const scope = this.vpcScope(vpcId);
      if (scope) this.opts.dns.acceptTcp(c.socket, { vpc: { vpcId, ...scope }, clientIp: c.remoteAddress.replace(/^::ffff:/, '') });
      else c.socket.destroy();
    } else {
      this.opts.onApiConnection(c.socket, { vpcId, ip: c.remoteAddress.replace(/^::ffff:/, '') });
      c.socket.resume();
    }
  }

  /**
   * Boots an instance's sandbox, waiting for a boot slot. A boot that fails is recorded against
   * that boot of the instance (its status check fails) and said on its console; it is tried
   * again after a while. A boot cut short because faultline is stopping is no failure.
   */
  private async boot(w: Want): Promise<void> {
    const { scope } = w;
    const id = w.inst.InstanceId;
    try {
      await this.boots.run(() => this.build(w));
      this.failed.delete(id);
      clearBootFailure(this.env, scope, id, w.bootKey);
    } catch (e) {
      if (this.closed) return;
      const reason = (e as Error).message;
      this.failed.set(id, { bootKey: w.bootKey, at: Clock.wallNow() });
      await this.bootFailed(scope, id, w.bootKey, `could not boot: ${reason}`);
      throw new Error(`could not boot ${id}: ${reason}`);
    }
  }

  /** Says on the instance's console why its boot failed, and records it for its status checks. */
  private async bootFailed(scope: Scope, id: string, bootKey: string, why: string): Promise<void> {
    const dir = join(this.runtime, 'instances', id);
    await mkdir(dir, { recursive: true });
    await appendFile(join(dir, 'console.log'), `faultline: the sandbox of ${id} ${why}\n`);
    recordBootFailure(this.env, scope, id, bootKey, why);
  }

  /** Throws once faultline is stopping, so that a boot in flight stops at its next step. */
  private live(): void {
    if (this.closed) throw new RuntimeError('Cancelled', 'faultline is stopping');
  }

  private async build(w: Want): Promise<void> {
    const { inst, eni, scope } = w;
    const id = inst.InstanceId;
    const ns = `${this.prefix}${id}`;
    const dev = `v${id.slice(-14)}`;
    const dir = join(this.runtime, 'instances', id);
    let cgroup: Cgroup | undefined;
    // A boot that waited for its slot may no longer be wanted: the instance was stopped,
    // terminated or rebooted meanwhile (the next pass sees what it wants now).
    const current = this.env.store.get<InstanceRecord>(COLL.instances, scope, id);
    if (current?.State.Name !== 'running' || bootKeyOf(current) !== w.bootKey) return;
    try {
      this.live();
      const net = this.vpc(eni.VpcId);
      await this.queue.run(`vpc:${eni.VpcId}`, () => net.ensure().then(() => this.serveDns(net, scope)));
      const subnets = this.env.store.list<SubnetRecord>(COLL.subnets, scope).filter((s) => s.VpcId === eni.VpcId);
      await net.syncSubnets(subnets.map((s) => s.CidrBlock));
      const subnet = subnets.find((s) => s.SubnetId === eni.SubnetId);
      const cidr = parseCidr4(subnet?.CidrBlock, false);
      if (!cidr) throw new Error(`subnet ${eni.SubnetId} not found`);
      const volumes: { id: string; device: string; lower: string; upper: string; work: string; root: boolean }[] = [];
      for (const b of inst.BlockDeviceMappings) {
        if (b.Ebs.Status !== 'attached' && b.Ebs.Status !== 'attaching') continue;
        await this.ensureVolume(scope, b.Ebs.VolumeId);
        volumes.push({ id: b.Ebs.VolumeId, device: b.DeviceName, lower: await this.volumes.lower(b.Ebs.VolumeId), upper: this.volumes.upper(b.Ebs.VolumeId), work: this.volumes.work(b.Ebs.VolumeId), root: b.DeviceName === inst.RootDeviceName });
      }
      this.live();
      await net.attach(ns, dev, { ip: eni.PrivateIpAddress, prefix: cidr.prefix, gateway: formatIp4(cidr.base + 1), mac: eni.MacAddress });
      this.live();
      await VpcNetwork.applyFirewall(ns, w.ruleset);
      const type = instanceType(inst.InstanceType);
      cgroup = new Cgroup(this.cgMode, this.cgroupName, id);
      await cgroup.create(type?.vcpus ?? 1, type?.memoryMiB ?? 1024);
      await mkdir(join(dir, 'instance'), { recursive: true });
      await writeFile(join(dir, 'instance', 'instance-id'), id);
      await writeFile(join(dir, 'instance', 'boot-time'), new Date(this.env.clock.now()).toISOString());
      await writeFile(join(dir, 'instance', 'user-data'), inst.userData ? Buffer.from(inst.userData, 'base64') : '');
      await writeFile(join(dir, 'instance', 'resolv.conf'), this.resolvConf(scope, eni.VpcId));
      this.live();
      const proc = new SandboxProcess({
        instanceId: id,
        hostname: `ip-${eni.PrivateIpAddress.replace(/\./g, '-')}`,
        netns: ns,
        dir,
        guestDir: this.guest.dir,
        guestBinds: this.guest.binds,
        seccomp: this.guest.seccomp,
        volumes,
        cgroupProcs: cgroup.procsFiles(),
        env: {
          PATH: '/run/faultline/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: '/root',
          USER: 'root',
          LANG: 'C.UTF-8',
          // The AWS CLI and SDKs inside reach faultline with no flags; credentials come from IMDS.
          AWS_ENDPOINT_URL: API_URL,
          AWS_DEFAULT_REGION: scope.region,
          AWS_REGION: scope.region,
        },
      });
      await proc.start();
      if (this.closed) {
        // close() has already swept the sandboxes; this one started after it.
        proc.expectedExit = true;
        await proc.kill();
        throw new Error('faultline is stopping');
      }
      // Registered at once, so that close() kills it even if faultline is stopping now.
      const box: Box = { id, scope, vpcId: eni.VpcId, eniId: eni.NetworkInterfaceId, ns, dev, bootKey: w.bootKey, proc, cgroup, netUp: true, frozen: false, ruleset: w.ruleset, volumeIds: volumes.map((v) => v.id), vcpus: type?.vcpus ?? 1, ports: new Set(), portsAt: 0 };
      this.boxes.set(id, box);
      void proc.exited.then((code) => this.onExit(box, code));
      if (!w.net || w.frozen) await this.adjust(box, w);
    } catch (e) {
      // Stopping: close() sweeps every namespace and cgroup at once.
      if (!this.closed) {
        await deleteNamespace(ns);
        await cgroup?.remove();
      }
      throw e;
    }
  }

  private async adjust(box: Box, w: Want): Promise<void> {
    if (box.ruleset !== w.ruleset) {
      await VpcNetwork.applyFirewall(box.ns, w.ruleset);
      box.ruleset = w.ruleset;
    }
    if (box.netUp !== w.net) {
      await this.vpcs.get(box.vpcId)?.setLink(box.dev, w.net);
      box.netUp = w.net;
    }
    if (box.frozen !== w.frozen) {
      if (!(await box.cgroup.freeze(w.frozen))) {
        for (const p of await namespacePids(box.ns)) {
          try {
            process.kill(p, w.frozen ? 'SIGSTOP' : 'SIGCONT');
          } catch {
            /* gone */
          }
        }
      }
      box.frozen = w.frozen;
    }
  }

  private async teardown(box: Box): Promise<void> {
    box.proc.expectedExit = true;
    // After any freeze in flight: what blocks on a frozen disk cannot be killed.
    await Promise.all(box.volumeIds.map((v) => this.queue.run(`io:${v}`, async () => void (this.frozen.has(v) && (await this.thaw(v))))));
    await box.cgroup.freeze(false);
    await box.proc.kill();
    await deleteNamespace(box.ns);
    await box.cgroup.remove();
    if (this.boxes.get(box.id) === box) this.boxes.delete(box.id);
  }

  /**
   * The sandbox ended by itself: a power-off from inside (exit 0) is an instance-initiated
   * shutdown; any other end is a failed boot, which its status checks and console show.
   */
  private onExit(box: Box, code: number | null): void {
    if (box.proc.expectedExit || this.closed) return;
    void this.queue.run(box.id, async () => {
      await this.teardown(box);
      if (code === 0) {
        this.env.store.transaction(() => instanceInitiatedShutdown(this.env, box.scope, box.id));
      } else {
        this.opts.log(`faultline: sandbox of ${box.id} exited with ${code}; see its console output`);
        this.failed.set(box.id, { bootKey: box.bootKey, at: Clock.wallNow() });
        await this.bootFailed(box.scope, box.id, box.bootKey, `stopped: its init exited with ${code ?? 'a signal'}`);
      }
    });
  }

  // ---- storage ----

  private reconcileStorage(task: (key: string, fn: () => Promise<void>) => void): number {
    let n = 0;
    const volumeIds = new Set<string>();
    for (const [scope, v] of this.env.store.scan<VolumeRecord>(COLL.volumes)) {
      volumeIds.add(v.VolumeId);
      if (!this.knownVolumes.has(v.VolumeId) && !this.queue.busy(v.VolumeId)) {
        n++;
        task(v.VolumeId, () => this.createVolume(scope, v as VolumeRecord));
      }
    }
    const snapIds = new Set<string>([BASE_SNAPSHOT]);
    for (const [scope, s] of this.env.store.scan<SnapshotRecord>(COLL.snapshots)) {
      snapIds.add(s.SnapshotId);
      if (!this.knownSnapshots.has(s.SnapshotId) && !this.captures.has(s.SnapshotId)) {
        n++;
        void this.ensureSnapshot(scope, s.SnapshotId).catch((e) => this.opts.log(`faultline: snapshot ${s.SnapshotId}: ${(e as Error).message}`));
      }
    }
    for (const id of this.knownVolumes) {
      if (volumeIds.has(id) || this.queue.busy(id)) continue;
      n++;
      task(id, async () => {
        this.knownVolumes.delete(id);
        // A volume detached from a running instance while paused is still frozen (after any freeze in flight).
        await this.queue.run(`io:${id}`, async () => void (this.frozen.has(id) && (await this.thaw(id))));
        await this.volumes.delete(id);
      });
    }
    let deleted = false;
    for (const id of this.knownSnapshots) {
      if (snapIds.has(id) || this.captures.has(id)) continue;
      this.knownSnapshots.delete(id);
      deleted = true;
      n++;
      task(`snap:${id}`, () => this.snapshots.delete(id));
    }
    if (deleted || Clock.wallNow() - this.lastGc > 60_000) {
      this.lastGc = Clock.wallNow();
      if (deleted) task('snapshot-gc', async () => void (await this.snapshots.gc()));
    }
    return n;
  }

  /** The snapshot whose tree a volume starts from: Amazon's built-in snapshots are the base image. */
  private baseFor(scope: Scope, snapshotId: string | undefined): string | undefined {
    if (!snapshotId) return undefined;
    if (builtinSnapshot(scope.region, snapshotId)) return BASE_SNAPSHOT;
    return snapshotId;
  }

  private async createVolume(scope: Scope, v: VolumeRecord): Promise<void> {
    const base = this.baseFor(scope, v.SnapshotId);
    if (base && base !== BASE_SNAPSHOT) await this.ensureSnapshot(scope, base);
    if (base && !(await this.snapshots.has(base))) throw new Error(`snapshot ${base} has no data`);
    await this.volumes.create(v.VolumeId, base, v.Size);
    this.knownVolumes.add(v.VolumeId);
  }

  private ensureVolume(scope: Scope, volumeId: string): Promise<void> {
    if (this.knownVolumes.has(volumeId)) return Promise.resolve();
    const v = this.env.store.get<VolumeRecord>(COLL.volumes, scope, volumeId);
    if (!v) return Promise.reject(new Error(`volume ${volumeId} not found`));
    return this.queue.run(volumeId, async () => {
      if (!this.knownVolumes.has(volumeId)) await this.createVolume(scope, v as VolumeRecord);
    });
  }

  /** Captures a snapshot's data from its volume, once (shared by everyone who waits for it). */
  private ensureSnapshot(scope: Scope, snapId: string): Promise<void> {
    if (this.knownSnapshots.has(snapId)) return Promise.resolve();
    let p = this.captures.get(snapId);
    if (p) return p;
    p = (async () => {
      const rec = this.env.store.get<SnapshotRecord>(COLL.snapshots, scope, snapId);
      if (!rec) throw new Error(`no snapshot record ${snapId}`);
      const vol = this.env.store.get<VolumeRecord>(COLL.volumes, scope, rec.VolumeId);
      if (vol) await this.ensureVolume(scope, rec.VolumeId);
      await this.queue.run(rec.VolumeId, async () => {
        if (this.knownVolumes.has(rec.VolumeId)) await this.volumes.snapshot(rec.VolumeId, snapId);
        else await this.snapshots.writeManifest({ id: snapId, entries: [] });
      });
      this.knownSnapshots.add(snapId);
    })().finally(() => this.captures.delete(snapId));
    this.captures.set(snapId, p);
    return p;
  }

  // ---- endpoints and metrics ----

  private async reconcileEndpoints(): Promise<void> {
    const targets = new Map<string, EndpointTarget>();
    const wanted = new Set<string>();
    const now = Clock.wallNow();
    const reads: Promise<void>[] = [];
    const open: { box: Box; ip: string; scope: Scope; groups: string[] }[] = [];
    for (const box of this.boxes.values()) {
      if (!box.netUp || !box.proc.pid) continue;
      const eni = this.env.store.get<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, box.scope, box.eniId);
      const ip = eni?.Association?.PublicIp;
      if (!eni || !ip) continue;
      const groups = eni.Groups.map((g) => g.GroupId);
      const scope = box.scope;
      targets.set(ip, { vpcId: box.vpcId, privateIp: eni.PrivateIpAddress, allows: (port) => publicPortAllowed(this.env, scope, groups, port) });
      open.push({ box, ip, scope, groups });
      // Listening ports are read once a second per instance, all instances at once.
      if (now - box.portsAt < PORTS_MS) continue;
      box.portsAt = now;
      const pid = box.proc.pid;
      reads.push(
        Promise.all([readFile(`/proc/${pid}/net/tcp`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/net/tcp6`, 'utf8').catch(() => '')]).then(([tcp, tcp6]) => {
          box.ports = listeningPorts(tcp, tcp6);
        }),
      );
    }
    await Promise.all(reads);
    for (const { box, ip, scope, groups } of open) for (const port of box.ports) if (publicPortAllowed(this.env, scope, groups, port)) wanted.add(`${ip}:${port}`);
    this.targets = targets;
    this.endpoints.sync(wanted);
  }

  /**
   * Load balancers: their nodes' addresses on their VPCs' bridges (so traffic and checks come
   * from them), their listeners, and their targets' checks, from one read of their records.
   */
  private reconcileLoadBalancers(task: (key: string, fn: () => Promise<void>) => void): void {
    const lbs: LoadBalancerView[] = readLoadBalancers(this.env);
    const nodeIps = new Map<string, Set<string>>();
    for (const lb of lbs) for (const n of lb.nodes) (nodeIps.get(lb.vpcId) ?? nodeIps.set(lb.vpcId, new Set()).get(lb.vpcId)!).add(n.privateIp);
    for (const [vpcId, net] of this.vpcs) {
      const ips = nodeIps.get(vpcId) ?? new Set<string>();
      if (!net.hasNodeIps(ips)) task(`vpc:${vpcId}`, () => net.syncNodeIps(ips));
    }
    this.lbNodes.sync(lbs);
    this.lbProbes.run(lbs);
  }

  /** DB instances' endpoints: served by their VPCs' agents, relayed to their engines. */
  private reconcileDbEndpoints(task: (key: string, fn: () => Promise<void>) => void, endpoints: DbEndpoint[]): void {
    this.dbRelay.sync(endpoints);
    for (const [vpcId, net] of this.vpcs) {
      const served = endpoints.filter((e) => e.vpcId === vpcId).map((e) => ({ ip: e.ip, port: e.port }));
      if (!net.servesEndpoints(served)) task(`vpc:${vpcId}`, () => net.serveEndpoints(served));
    }
  }

  lbHealth(scope: Scope, targetKey: string): HealthObservation | undefined {
    return this.lbProbes.get(scope, targetKey);
  }

  route53Health(account: string, healthCheckId: string): ProbeResult | undefined {
    return this.r53Probes.get(account, healthCheckId);
  }

  lbTraffic(scope: Scope, lbKey: string): TrafficCounters | undefined {
    return this.lbNodes.traffic(scope, lbKey);
  }

  /** CPUUtilization from each sandbox's cgroup, read at once and written in one transaction. */
  private async sampleCpu(): Promise<void> {
    const boxes = [...this.boxes.values()];
    const samples = await Promise.all(boxes.map((b) => b.cgroup.cpuNanos()));
    const at = Clock.wallNow() * 1e6; // nanoseconds, as the cgroup counts
    const loads: [string, number][] = [];
    boxes.forEach((box, i) => {
      const nanos = samples[i];
      if (nanos === undefined) return;
      if (box.cpu) {
        const pct = Math.min(100, Math.max(0, ((nanos - box.cpu.nanos) / ((at - box.cpu.at) * box.vcpus)) * 100));
        loads.push([box.id, Math.round(pct * 10) / 10]);
      }
      box.cpu = { nanos, at };
    });
    if (loads.length) this.env.store.transaction(() => loads.forEach(([id, pct]) => setCpuLoad(this.env, id, pct)));
  }

  consoleOutput(_scope: Scope, instanceId: string): string | undefined {
    const file = join(this.runtime, 'instances', instanceId, 'console.log');
    try {
      const size = statSync(file).size;
      const len = Math.min(size, CONSOLE_LIMIT);
      const buf = Buffer.alloc(len);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buf, 0, len, size - len);
      } finally {
        closeSync(fd);
      }
      return buf.toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** For tests and benchmarks: bytes held by snapshot blobs. */
  snapshotBytes(): Promise<number> {
    return this.snapshots.bytesStored();
  }

  /** For tests: the network namespace names this driver owns. */
  namespacePrefix(): string {
    return this.prefix;
  }

  /**
   * Stops everything within seconds, however much is running or queued: boots that wait for a
   * slot are dropped, boots in flight stop at their next step, every sandbox is killed at once
   * (killing bubblewrap ends its whole PID namespace), then the namespaces go in one `ip -batch`
   * and the cgroups in one sweep. Other tasks (a snapshot being captured) get two seconds; a
   * capture cut short leaves no snapshot behind, only blobs that the next collection frees.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.boots.cancel('faultline is stopping');
    await this.pass;
    await Promise.race([Promise.all([this.boots.idle(), this.queue.idle()]), delay(2_000)]);
    this.endpoints.closeAll();
    this.lbNodes.closeAll();
    await this.dbs.close();
    await Promise.all([...this.frozen].map((id) => this.thaw(id)));
    await Promise.all(
      [...this.boxes.values()].map(async (b) => {
        b.proc.expectedExit = true;
        await b.cgroup.freeze(false);
        await b.proc.kill();
      }),
    );
    this.boxes.clear();
    await Promise.all([...this.vpcs.values()].map((v) => v.destroy().catch(() => {})));
    this.vpcs.clear();
    this.metadata.close();
    const namespaces = await listNamespaces(this.prefix);
    if (namespaces.length) await run('ip', ['-force', '-batch', '-'], { input: namespaces.map((n) => `netns del ${n}\n`).join(''), allowFail: true });
    await cleanGroup(this.cgroupName);
    await this.volumes.close();
    await rm(join(this.runtime, 'instances'), { recursive: true, force: true }).catch(() => {});
    this.opts.owner.release();
  }
}
