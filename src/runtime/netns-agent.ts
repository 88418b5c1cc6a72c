/**
 * The agent of one VPC: a small Node process that faultline starts inside the VPC's router
 * namespace (so it has none of the host's addresses). It is how faultline, which lives in the
 * host's namespace, touches the VPC without a single address on the host side:
 *  - it listens on 169.254.169.254:80 (instance metadata) and on the faultline API address, and
 *    hands each accepted connection, untouched, to faultline over the IPC channel;
 *  - it takes connections that faultline accepted on a public IP and connects them to the
 *    instance's private address, from the "internet" source address, or from a load balancer
 *    node's private address (which faultline put on the router's bridge) when it names one.
 *    Such a flow is the agent's alone (faultline no longer holds the socket), so each carries
 *    the tag of the listener that accepted it, and a `cut` for that tag (the listener closed:
 *    its zone failed, its load balancer or address went) ends every flow it accepted;
 *  - for load balancers it also opens connections from a node's address and hands them back
 *    (the HTTP proxy speaks over them), and makes health checks from a node's address;
 *  - it is the Amazon resolver's socket (port 53 at the VPC's base + 2 and 169.254.169.253):
 *    faultline's DNS server answers the queries (listenDns);
 *  - it listens on the private addresses of DB instances' endpoints (which faultline put on the
 *    router's bridge) and hands each accepted connection to faultline (serveEndpoints), which
 *    connects it to the engine (db-endpoints.ts).
 * Sockets travel as file descriptors (child_process handle passing), so no byte is copied twice.
 * It exits as soon as faultline goes away (the IPC channel closes), so a crash leaves no agent.
 *
 * Run by Node directly (type stripping): keep this file free of TypeScript-only runtime syntax.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';

const [metadataIp, apiIp, apiPort, internetSource] = process.argv.slice(2);

if (!process.send) process.exit(2);
const send = process.send.bind(process);

function listen(kind: string, host: string, port: number) {
  const server = createServer({ pauseOnConnect: true }, (socket: Socket) => {
    send({ type: 'conn', kind, remoteAddress: socket.remoteAddress, localPort: port }, socket, { keepOpen: false }, () => {});
  });
  server.on('error', (e) => send({ type: 'error', message: `${kind} ${host}:${port}: ${e.message}` }));
  server.listen(port, host, () => send({ type: 'listening', kind }));
}

listen('imds', metadataIp, 80);
listen('api', apiIp, Number(apiPort));

interface Request {
  type: string;
  /** Set when faultline wants an answer (connect, probe, and a forward whose flow it counts). */
  id?: number;
  host: string;
  port: number;
  /** The address to connect from: a load balancer node's; the internet's when absent. */
  source?: string;
  timeoutMs?: number;
  /** forward and cut: the listener that accepted the flow. */
  tag?: string;
  /** probe: the HTTP GET to make once connected (a TCP check when absent). */
  path?: string;
  userAgent?: string;
}

/** A connection from `source` that fails with `timeout` when it does not open in time. */
function open(req: Request, onOpen: (s: Socket, ms: number) => void, onFail: (error: string) => void): Socket {
  const started = performance.now();
  const s = connect({ host: req.host, port: req.port, localAddress: req.source ?? internetSource });
  let done = false;
  s.setTimeout(req.timeoutMs ?? 10_000, () => {
    if (done) return;
    done = true;
    s.destroy();
    onFail('timeout');
  });
  s.once('connect', () => {
    done = true;
    s.setTimeout(0);
    onOpen(s, performance.now() - started);
  });
  s.once('error', (e: NodeJS.ErrnoException) => {
    if (done) return;
    done = true;
    s.destroy();
    onFail(e.code ?? 'error');
  });
  return s;
}

/** The clients' sockets of the flows in progress, by the tag of the listener that accepted them. */
const flows = new Map<string, Set<Socket>>();

/** Ends every flow a listener accepted. */
function cut(tag: string) {
  for (const s of flows.get(tag) ?? []) s.destroy();
  flows.delete(tag);
}

/**
 * Pipes a client's connection to the address and, when asked, says how the flow went once its
 * upstream side closes: always, so that faultline never waits for an answer that does not come
 * (a flow whose client hung up before the upstream connected reports an error too).
 */
function forward(req: Request, handle: Socket | undefined) {
  const report = (answer: { connectMs?: number; bytes: number; error?: string }) => {
    if (req.id !== undefined) send({ type: 'forwarded', id: req.id, ...answer });
  };
  if (!handle) return report({ bytes: 0, error: 'EBADF' });
  const tagged = req.tag === undefined ? undefined : (flows.get(req.tag) ?? flows.set(req.tag, new Set()).get(req.tag)!);
  tagged?.add(handle);
  let bytes = 0;
  let connectMs: number | undefined;
  let failure: string | undefined;
  const upstream = open(
    req,
    (s, ms) => {
      connectMs = ms;
      s.on('data', (d: Buffer) => (bytes += d.length));
      handle.on('data', (d: Buffer) => (bytes += d.length));
      handle.pipe(s);
      s.pipe(handle);
      handle.resume();
    },
    (error) => (failure = error),
  );
  handle.on('error', () => upstream.destroy());
  handle.once('close', () => upstream.destroy());
  upstream.on('error', () => handle.destroy());
  upstream.once('close', () => {
    handle.destroy();
    tagged?.delete(handle);
    if (tagged?.size === 0 && flows.get(req.tag!) === tagged) flows.delete(req.tag!);
    report({ connectMs, bytes, error: connectMs === undefined ? (failure ?? 'ECONNABORTED') : undefined });
  });
}

/** Opens a connection and hands it to faultline, paused (faultline speaks first over it). */
function connectFor(req: Request) {
  open(
    req,
    (s) => {
      s.pause();
      send({ type: 'connected', id: req.id }, s, { keepOpen: false }, () => {});
    },
    (error) => send({ type: 'connected', id: req.id, error }),
  );
}

/** A health check: the connection opens in time, and for HTTP, the status line of a GET of the path. */
function probe(req: Request) {
  let finished = false;
  const finish = (answer: { status?: number; error?: string }) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    send({ type: 'probed', id: req.id, ...answer });
  };
  const timer = setTimeout(() => finish({ error: 'timeout' }), req.timeoutMs ?? 5_000);
  const socket = open(
    { ...req, timeoutMs: (req.timeoutMs ?? 5_000) + 1_000 },
    (s) => {
      if (req.path === undefined) return finish({});
      let head = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        head += d;
        const line = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
        if (line) finish({ status: Number(line[1]) });
        else if (head.includes('\r\n') || head.length > 1024) finish({ error: 'EPROTO' });
      });
      s.once('end', () => finish({ error: 'ECONNRESET' }));
      s.on('error', (e: NodeJS.ErrnoException) => finish({ error: e.code ?? 'error' }));
      s.write(`GET ${req.path} HTTP/1.1\r\nHost: ${req.host}:${req.port}\r\nUser-Agent: ${req.userAgent ?? 'ELB-HealthChecker/2.0'}\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    },
    (error) => finish({ error }),
  );
}

/** UDP queries to the Amazon resolver waiting for faultline's answer, by query id (oldest first). */
const dnsWaiting = new Map<number, (answer: Buffer) => void>();
let nextDnsId = 1;
/** At most this many UDP queries wait at once; beyond, the oldest is forgotten (its client asks again). */
const DNS_WAITING_MAX = 4096;

/**
 * The VPC's Amazon resolver, once faultline asks: on port 53 of each address, UDP queries go to
 * faultline as messages (it answers them by id), and TCP connections are handed over as they are.
 */
function listenDns(hosts: string[]) {
  let pending = hosts.length * 2;
  const done = () => --pending === 0 && send({ type: 'dnsListening' });
  for (const host of hosts) {
    const udp = createSocket('udp4');
    udp.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
      const qid = nextDnsId++;
      dnsWaiting.set(qid, (answer) => udp.send(answer, rinfo.port, rinfo.address));
      if (dnsWaiting.size > DNS_WAITING_MAX) dnsWaiting.delete(dnsWaiting.keys().next().value!);
      send({ type: 'dnsQuery', qid, data: msg.toString('base64'), remoteAddress: rinfo.address });
    });
    // A socket that cannot listen still counts down, so that faultline hears back (and its error).
    udp.once('error', (e: Error) => {
      send({ type: 'error', message: `dns udp ${host}:53: ${e.message}` });
      done();
    });
    udp.bind(53, host, done);
    const tcp = createServer({ pauseOnConnect: true }, (socket: Socket) => {
      send({ type: 'conn', kind: 'dns', remoteAddress: socket.remoteAddress, localPort: 53 }, socket, { keepOpen: false }, () => {});
    });
    tcp.once('error', (e: Error) => {
      send({ type: 'error', message: `dns tcp ${host}:53: ${e.message}` });
      done();
    });
    tcp.listen(53, host, done);
  }
}

function answerDns(msg: { qid: number; data?: string }) {
  const reply = dnsWaiting.get(msg.qid);
  dnsWaiting.delete(msg.qid);
  if (reply && msg.data) reply(Buffer.from(msg.data, 'base64'));
}

/** The endpoint listeners, by `host:port`. */
const endpoints = new Map<string, Server>();

/**
 * Listens on exactly the endpoints given (level-triggered: closes the others, opens the new
 * ones), then says so with the addresses it could not listen on.
 */
function serveEndpoints(wanted: { host: string; port: number }[]) {
  const keys = new Set(wanted.map((e) => `${e.host}:${e.port}`));
  for (const [key, server] of endpoints) {
    if (keys.has(key)) continue;
    server.close();
    endpoints.delete(key);
  }
  const fresh = wanted.filter((e) => !endpoints.has(`${e.host}:${e.port}`));
  const failed: string[] = [];
  let pending = fresh.length;
  const done = () => --pending <= 0 && send({ type: 'endpointsServed', failed });
  if (!fresh.length) return done();
  for (const { host, port } of fresh) {
    const key = `${host}:${port}`;
    const server = createServer({ pauseOnConnect: true }, (socket: Socket) => {
      send({ type: 'conn', kind: 'endpoint', remoteAddress: socket.remoteAddress, localAddress: host, localPort: port }, socket, { keepOpen: false }, () => {});
    });
    endpoints.set(key, server);
    server.once('error', (e: Error) => {
      endpoints.delete(key);
      failed.push(`${key}: ${e.message}`);
      done();
    });
    server.listen(port, host, done);
  }
}

process.on('message', (msg: Request, handle: Socket | undefined) => {
  if (msg.type === 'forward') forward(msg, handle);
  else if (msg.type === 'connect') connectFor(msg);
  else if (msg.type === 'probe') probe(msg);
  else if (msg.type === 'cut' && msg.tag !== undefined) cut(msg.tag);
  else if (msg.type === 'dnsListen') listenDns((msg as unknown as { hosts: string[] }).hosts);
  else if (msg.type === 'dnsAnswer') answerDns(msg as unknown as { qid: number; data?: string });
  else if (msg.type === 'serveEndpoints') serveEndpoints((msg as unknown as { endpoints: { host: string; port: number }[] }).endpoints);
});

process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
