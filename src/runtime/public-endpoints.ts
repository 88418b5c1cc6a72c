/**
 * Public and Elastic IPs as real endpoints: a TCP listener on PUBLIC_IP:PORT (an address of the
 * loopback pool, so the host reaches it with no routing set-up) for each port the instance
 * listens on and its security groups open to the internet. A connection is handed, as a file
 * descriptor, to the VPC's agent, which connects it to the instance's private address.
 *
 * The address is resolved again on every connection, so re-association, disassociation,
 * recovery and termination take effect at once; listeners that are no longer wanted are closed
 * and the flows they accepted cut (the agent holds those, by the listener's key as their tag),
 * which is how a failed host's endpoints stop answering.
 */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { ListenerSet } from './listener-set.ts';

export interface EndpointTarget {
  vpcId: string;
  privateIp: string;
  /** Whether this port may be forwarded now (security groups, host health). */
  allows(port: number): boolean;
}

export class PublicEndpoints {
  private listeners: ListenerSet;

  constructor(
    private resolve: (ip: string) => EndpointTarget | undefined,
    private forward: (vpcId: string, socket: Socket, host: string, port: number, tag: string) => boolean,
    cut: (tag: string) => void,
    log: (m: string) => void,
  ) {
    this.listeners = new ListenerSet('public endpoint', (key) => this.server(key), cut, log);
  }

  /** Makes the open listeners exactly `wanted` ("ip:port" keys). */
  sync(wanted: Set<string>): void {
    this.listeners.sync(wanted);
  }

  keys(): string[] {
    return this.listeners.keys();
  }

  private server(key: string) {
    const [ip, portText] = key.split(':');
    const port = Number(portText);
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      const target = this.resolve(ip);
      if (!target || !target.allows(port)) return void socket.destroy();
      socket.on('error', () => socket.destroy());
      if (!this.forward(target.vpcId, socket, target.privateIp, port, key)) socket.destroy();
    });
    return { server, host: ip, port };
  }

  closeAll(): void {
    this.listeners.closeAll();
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
