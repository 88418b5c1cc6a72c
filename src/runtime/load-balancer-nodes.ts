/**
 * The load balancers' data plane: on each node's public address (loopback pool), a listener for
 * each listener port, while the load balancer is active and the node's zone is up. Classic TCP
 * and NLB TCP listeners forward connections; Classic HTTP and ALB HTTP listeners are HTTP/1.1
 * proxies that run the listener's rules (spec elb.md §2). Traffic reaches targets from the
 * node's private address inside the VPC (the VPC's agent connects from it, vpc-network.ts), so
 * the instances' security groups see the node, as on AWS.
 *
 * Built on Node's own `http` and `net`, not a proxy library: the upstream connection must come
 * from the VPC's agent (a socket handed over by file descriptor), routing is our rules over our
 * records, and what is left of a proxy (copy the request, strip hop-by-hop headers, stream both
 * bodies, map failures to 502/503/504) is a few dozen lines; the well-known library for it
 * (http-proxy) has had no release since 2020. TCP flows are handed to the agent whole, so their
 * bytes never pass through faultline; each carries its listener's key as a tag.
 *
 * Listeners are opened and closed to match the plan each reconcile pass; a closed one (a failed
 * zone's node, a deleted load balancer) ends its HTTP connections and has the agents cut the TCP
 * flows tagged with it. Each request reads the latest plan, never the store.
 */
import { Agent, createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server as HttpServer, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket, type NetConnectOpts } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
// Response times are real durations, read through the clock module.
import { Clock } from '../core/clock.ts';
import type { Scope } from '../core/store.ts';
import { scopedKey, type TrafficCounters } from '../services/elb/state.ts';
import type { GroupView, ListenerView, LoadBalancerView, NodeView, TargetView } from './lb-plan.ts';
import { TargetPicker, chooseGroup, matchRule, redirectLocation, usableTargets } from './lb-routing.ts';
import { ConnectError, type FlowReport, type VpcNetwork } from './vpc-network.ts';
import { ListenerSet } from './listener-set.ts';

/** What a listener on `publicIp:port` serves now. */
interface Route {
  lb: LoadBalancerView;
  node: NodeView;
  listener: ListenerView;
}

/** Real ms a node waits for a connection to a target before answering 504 (spec §2). */
const CONNECT_TIMEOUT_MS = 10_000;

const STATUS_TEXT: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

/** Headers that belong to one connection, not to the request or response carried (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const clientIpOf = (req: IncomingMessage) => (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');

/** Each node takes its own turns through each group's targets. */
const turnKey = (node: NodeView, group: string) => `${node.eniId}|${group}`;

const emptyCounters = (): TrafficCounters => ({ requests: 0, targetMsSum: 0, elbCodes: {}, targetCodes: {}, targetConnectionErrors: 0, processedBytes: 0, fixedResponses: 0, redirects: 0, unhealthyRouting: 0 });

/** Real ms a pooled upstream connection may sit unused before it is closed. */
const POOL_IDLE_MS = 30_000;

/** Upstream connections from a VPC's agent, pooled per target and node address when the target keeps them alive. */
class VpcAgent extends Agent {
  constructor(private net: VpcNetwork) {
    super({ keepAlive: true, maxFreeSockets: 16, timeout: POOL_IDLE_MS });
  }

  override createConnection(options: NetConnectOpts, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const o = options as { host: string; port: number; localAddress: string };
    this.net.connect(o.host, o.port, o.localAddress, CONNECT_TIMEOUT_MS).then(
      (s) => callback?.(null, s),
      (e) => callback?.(e as Error, undefined as unknown as Duplex),
    );
    // Node's Agent takes the socket from the callback when this returns nothing.
    return undefined as unknown as Duplex;
  }
}

export class LoadBalancerNodes {
  private listeners: ListenerSet;
  private routes = new Map<string, Route>();
  private counters = new Map<string, TrafficCounters>();
  private picker = new TargetPicker();
  private agents = new Map<VpcNetwork, VpcAgent>();

  constructor(
    private network: (vpcId: string) => VpcNetwork | undefined,
    cut: (tag: string) => void,
    log: (m: string) => void,
  ) {
    this.listeners = new ListenerSet('load balancer node', (key) => this.server(key), cut, log);
  }

  /** Serves the plan: opens the listeners it wants, closes (with their connections) the others. */
  sync(lbs: readonly LoadBalancerView[]): void {
    const routes = new Map<string, Route>();
    for (const lb of lbs) {
      if (!lb.active) continue;
      for (const node of lb.nodes) {
        if (!node.publicIp || !node.up) continue;
        for (const listener of lb.listeners) routes.set(`${node.publicIp}:${listener.port}|${listener.protocol}`, { lb, node, listener });
      }
    }
    this.routes = routes;
    this.listeners.sync(routes);
    // Forget the counts and turns of load balancers, nodes and groups that are gone.
    const lbKeys = new Set(lbs.map((lb) => scopedKey(lb.scope, lb.key)));
    for (const key of this.counters.keys()) if (!lbKeys.has(key)) this.counters.delete(key);
    this.picker.keepTurns(new Set(lbs.flatMap((lb) => lb.nodes.flatMap((n) => [...lb.groups.keys()].map((g) => turnKey(n, g))))));
  }

  /** A VPC's network is gone: its pooled connections with it. */
  forgetNetwork(net: VpcNetwork): void {
    this.agents.get(net)?.destroy();
    this.agents.delete(net);
  }

  /** What a load balancer has carried since faultline started. */
  traffic(scope: Scope, lbKey: string): TrafficCounters | undefined {
    return this.counters.get(scopedKey(scope, lbKey));
  }

  closeAll(): void {
    this.listeners.closeAll();
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private count(lb: LoadBalancerView): TrafficCounters {
    const key = scopedKey(lb.scope, lb.key);
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = emptyCounters()));
    return c;
  }

  /** The server of a listener key (`ip:port|protocol`). */
  private server(key: string) {
    const [address, protocol] = key.split('|');
    const [host, port] = address.split(':');
    return { server: protocol === 'http' ? this.httpServer(key) : this.tcpServer(key), host, port: Number(port) };
  }

  // ---- TCP (Classic TCP, NLB) ----

  private tcpServer(key: string): NetServer {
    return createNetServer({ pauseOnConnect: true }, (socket) => {
      socket.on('error', () => socket.destroy());
      const route = this.routes.get(key);
      if (!route?.listener.allowed) return void socket.destroy();
      const { lb, node, listener } = route;
      const c = this.count(lb);
      c.requests++;
      // A TCP listener has one rule: Classic's forward, or an NLB listener's default action.
      const action = listener.rules[0]?.action;
      const group = action && lb.groups.get(chooseGroup(action) ?? '');
      const target = group && this.pick(lb, node, group, 'round_robin');
      const net = this.network(lb.vpcId);
      const port = listener.instancePort ?? target?.port;
      if (!target || !net || !port) return void socket.destroy();
      const onEnd = (r: FlowReport) => {
        c.processedBytes += r.bytes;
        if (r.error) c.targetConnectionErrors++;
        else c.targetMsSum += r.connectMs ?? 0;
      };
      const forwarded = net.forward(socket, target.ip!, port, { tag: key, source: node.privateIp, onEnd });
      if (!forwarded) socket.destroy();
    });
  }

  // ---- HTTP (Classic HTTP, ALB) ----

  private httpServer(key: string): HttpServer {
    const server = createHttpServer((req, res) => {
      const route = this.routes.get(key);
      if (!route) return void res.destroy();
      server.keepAliveTimeout = route.lb.idleTimeoutMs;
      this.serve(route, req, res);
    });
    // Refused by the load balancer's security groups: the connection is dropped before HTTP.
    server.on('connection', (s: Socket) => {
      if (!this.routes.get(key)?.listener.allowed) s.destroy();
    });
    return server;
  }

  private serve({ lb, node, listener }: Route, req: IncomingMessage, res: ServerResponse): void {
    const c = this.count(lb);
    c.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const hostHeader = req.headers.host ?? '';
    const host = hostHeader.replace(/:\d+$/, '');
    const clientIp = clientIpOf(req);
    const rule = matchRule(listener.rules, { host, path: url.pathname, method: req.method ?? 'GET', headers: req.headers, query: url.searchParams, clientIp });
    const action = rule?.action;
    if (!action) return this.elbError(lb, res, 503);
    if (action.Type === 'fixed-response') {
      const cfg = action.FixedResponseConfig!;
      c.fixedResponses++;
      req.resume();
      res.writeHead(Number(cfg.StatusCode), { server: 'awselb/2.0', 'content-type': cfg.ContentType ?? 'text/plain; charset=utf-8' });
      return void res.end(cfg.MessageBody ?? '');
    }
    if (action.Type === 'redirect') {
      c.redirects++;
      req.resume();
      const location = redirectLocation(action.RedirectConfig!, { protocol: 'HTTP', host, port: listener.port, path: url.pathname, query: url.search.replace(/^\?/, '') });
      res.writeHead(action.RedirectConfig!.StatusCode === 'HTTP_301' ? 301 : 302, { server: 'awselb/2.0', location, 'content-type': 'text/html' });
      return void res.end();
    }
    const group = lb.groups.get(chooseGroup(action) ?? '');
    const target = group && this.pick(lb, node, group, group.algorithm);
    const net = this.network(lb.vpcId);
    if (!target || !net) return this.elbError(lb, res, 503);
    this.proxy({ lb, node, listener }, target, net, req, res);
  }

  /** The target a node sends a new request or flow of this group to, counting a fail-open one. */
  private pick(lb: LoadBalancerView, node: NodeView, group: GroupView, algorithm: string): TargetView | undefined {
    const { targets, failOpen } = usableTargets(group, node.zone, lb.kind);
    const target = this.picker.pick(turnKey(node, group.key), targets, algorithm);
    if (target && failOpen) this.count(lb).unhealthyRouting++;
    return target;
  }

  private proxy({ lb, node, listener }: Route, target: TargetView, net: VpcNetwork, req: IncomingMessage, res: ServerResponse): void {
    const c = this.count(lb);
    const clientIp = clientIpOf(req);
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${prior}, ${clientIp}` : clientIp;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-port'] = String(listener.port);
    if (lb.kind === 'application') headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(Clock.wallNow() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    if (!req.headers.host) delete headers.host;
    let agent = this.agents.get(net);
    if (!agent) this.agents.set(net, (agent = new VpcAgent(net)));
    const started = Clock.wallNow();
    const done = this.picker.begin(target.key);
    const upstream = httpRequest({ host: target.ip, port: listener.instancePort ?? target.port, method: req.method, path: req.url, headers, agent, localAddress: node.privateIp });
    upstream.setTimeout(lb.idleTimeoutMs, () => upstream.destroy(Object.assign(new Error('the target did not answer within the idle timeout'), { code: 'idle' })));
    upstream.on('response', (up) => {
      c.targetMsSum += Clock.wallNow() - started;
      const status = up.statusCode ?? 502;
      const cls = `${Math.floor(status / 100)}XX`;
      c.targetCodes[cls] = (c.targetCodes[cls] ?? 0) + 1;
      const out: OutgoingHttpHeaders = {};
      for (let i = 0; i < up.rawHeaders.length; i += 2) {
        const name = up.rawHeaders[i];
        if (HOP_BY_HOP.has(name.toLowerCase())) continue;
        const prev = out[name];
        out[name] = prev === undefined ? up.rawHeaders[i + 1] : [...(Array.isArray(prev) ? prev : [String(prev)]), up.rawHeaders[i + 1]];
      }
      res.writeHead(status, up.statusMessage, out);
      up.on('data', (d: Buffer) => (c.processedBytes += d.length));
      up.pipe(res);
      up.once('end', done);
      up.once('error', () => res.destroy());
      res.once('close', () => {
        done();
        if (!up.complete) up.destroy();
      });
    });
    // The client hung up before the answer came: no answer to give. ALB counts it as 460 (a 4XX).
    let clientGone = false;
    // Only the first failure answers; a request body still being piped may raise more.
    upstream.on('error', () => {});
    upstream.once('error', (e) => {
      done();
      if (clientGone) {
        if (lb.kind === 'application') c.elbCodes['460'] = (c.elbCodes['460'] ?? 0) + 1;
        return;
      }
      if (res.headersSent) return void res.destroy();
      const code = e instanceof ConnectError ? e.code : (e as NodeJS.ErrnoException).code;
      // No connection in time, or no answer within the idle timeout: 504; refused, reset or a bad answer: 502.
      const timedOut = code === 'timeout' || code === 'idle' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH';
      if (e instanceof ConnectError) c.targetConnectionErrors++;
      this.elbError(lb, res, timedOut ? 504 : 502);
    });
    req.on('data', (d: Buffer) => (c.processedBytes += d.length));
    req.pipe(upstream);
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = !res.headersSent;
      upstream.destroy();
    });
  }

  /** An answer of the load balancer itself: ALB's awselb/2.0 page, Classic's bare status. */
  private elbError(lb: LoadBalancerView, res: ServerResponse, status: 502 | 503 | 504): void {
    const c = this.count(lb);
    c.elbCodes[String(status)] = (c.elbCodes[String(status)] ?? 0) + 1;
    const text = `${status} ${STATUS_TEXT[status]}`;
    if (lb.kind === 'classic') {
      res.writeHead(status, { 'content-length': 0 });
      return void res.end();
    }
    const body = `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n</body>\r\n</html>\r\n`;
    res.writeHead(status, STATUS_TEXT[status], { server: 'awselb/2.0', 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}
