/**
 * Public and Elastic IPs as real endpoints: a TCP listener on PUBLIC_IP:PORT (an address of the
 * loopback pool, so the host reaches it with no routing set-up) for each port the instance
 * listens on and its security groups open to the internet. A connection is handed, as a file
 * descriptor, to the VPC's agent, which connects it to the instance's private address.
 *
 * The address is resolved again on every connection, so re-association, disassociation,
 * recovery and termination take effect at once; listeners that are no longer wanted are closed
 * with their connections, which is how a failed host's endpoints stop answering.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface EndpointTarget {
  vpcId: string;
  privateIp: string;
  /** Whether this port may be forwarded now (security groups, host health). */
  allows(port: number): boolean;
}

interface Listener {
  server: Server;
  sockets: Set<Socket>;
}

export class PublicEndpoints {
  private listeners = new Map<string, Listener>();
  private failed = new Set<string>();

  constructor(
    private resolve: (ip: string) => EndpointTarget | undefined,
    private forward: (vpcId: string, socket: Socket, host: string, port: number) => boolean,
    private log: (m: string) => void,
  ) {}

  /** Makes the open listeners exactly `wanted` ("ip:port" keys). */
  sync(wanted: Set<string>): void {
    for (const [key, l] of this.listeners) if (!wanted.has(key)) this.closeListener(key, l);
    for (const key of wanted) if (!this.listeners.has(key) && !this.failed.has(key)) this.open(key);
    for (const key of this.failed) if (!wanted.has(key)) this.failed.delete(key);
  }

  keys(): string[] {
    return [...this.listeners.keys()];
  }

  private open(key: string): void {
    const [ip, portText] = key.split(':');
    const port = Number(portText);
    const l: Listener = { server: createServer({ pauseOnConnect: true }), sockets: new Set() };
    l.server.on('connection', (socket) => {
      const target = this.resolve(ip);
      if (!target || !target.allows(port)) return void socket.destroy();
      l.sockets.add(socket);
      socket.on('close', () => l.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      if (!this.forward(target.vpcId, socket, target.privateIp, port)) socket.destroy();
    });
    l.server.on('error', (e) => {
      this.log(`faultline: public endpoint ${key}: ${e.message}`);
      this.failed.add(key);
      this.listeners.delete(key);
    });
    l.server.listen(port, ip);
    this.listeners.set(key, l);
  }

  private closeListener(key: string, l: Listener): void {
    l.server.close();
    for (const s of l.sockets) s.destroy();
    this.listeners.delete(key);
  }

  closeAll(): void {
    for (const [key, l] of this.listeners) this.closeListener(key, l);
  }
}

/** TCP ports in LISTEN state in a process's network namespace (from /proc/PID/net/tcp and tcp6). */
export function listeningPorts(tcp: string, tcp6: string): Set<number> {
  const ports = new Set<number>();
  for (const text of [tcp, tcp6]) {
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [addr, port] = cols[1].split(':');
      // Only sockets bound to every address or a non-loopback one are reachable from outside.
      if (/^0100007F$/i.test(addr) || /^0000000000000000FFFF00000100007F$/i.test(addr) || /^00000000000000000000000001000000$/i.test(addr)) continue;
      ports.add(parseInt(port, 16));
    }
  }
  return ports;
}
