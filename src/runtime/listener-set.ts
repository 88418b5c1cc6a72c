/**
 * A set of TCP listeners kept equal to the set of keys a reconcile pass wants: a listener is
 * opened for each new key and closed, with the connections it accepted, for each key no longer
 * wanted. A key whose listener failed (its address is in use) is not tried again until it has
 * left the wanted set once. Public endpoints and load balancer nodes both keep theirs this way.
 */
import type { Server, Socket } from 'node:net';

interface Open {
  server: Server;
  sockets: Set<Socket>;
}

export class ListenerSet {
  private open = new Map<string, Open>();
  private failed = new Set<string>();

  /**
   * `make` builds the (not yet listening) server of a key and says where it listens; `closed`
   * hears each key whose listener was closed.
   */
  constructor(
    private what: string,
    private make: (key: string) => { server: Server; host: string; port: number },
    private closed: (key: string) => void,
    private log: (m: string) => void,
  ) {}

  /** Opens the listeners of the keys in `wanted` that are not open; closes the others. */
  sync(wanted: { has(key: string): boolean; keys(): Iterable<string> }): void {
    for (const [key, o] of this.open) if (!wanted.has(key)) this.close(key, o);
    for (const key of wanted.keys()) if (!this.open.has(key) && !this.failed.has(key)) this.listen(key);
    for (const key of this.failed) if (!wanted.has(key)) this.failed.delete(key);
  }

  keys(): string[] {
    return [...this.open.keys()];
  }

  closeAll(): void {
    for (const [key, o] of this.open) this.close(key, o);
  }

  private listen(key: string): void {
    const { server, host, port } = this.make(key);
    const o: Open = { server, sockets: new Set() };
    server.on('connection', (s: Socket) => {
      o.sockets.add(s);
      s.once('close', () => o.sockets.delete(s));
    });
    server.on('error', (e) => {
      this.log(`faultline: ${this.what} ${key}: ${e.message}`);
      this.failed.add(key);
      if (this.open.get(key) === o) this.open.delete(key);
    });
    server.listen(port, host);
    this.open.set(key, o);
  }

  private close(key: string, o: Open): void {
    o.server.close();
    for (const s of o.sockets) s.destroy();
    this.open.delete(key);
    this.closed(key);
  }
}
