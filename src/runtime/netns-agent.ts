/**
 * The agent of one VPC: a small Node process that faultline starts inside the VPC's router
 * namespace (so it has none of the host's addresses). It is how faultline, which lives in the
 * host's namespace, touches the VPC without a single address on the host side:
 *  - it listens on 169.254.169.254:80 (instance metadata) and on the faultline API address, and
 *    hands each accepted connection, untouched, to faultline over the IPC channel;
 *  - it takes connections that faultline accepted on a public IP and connects them to the
 *    instance's private address, from the "internet" source address.
 * Sockets travel as file descriptors (child_process handle passing), so no byte is copied twice.
 * It exits as soon as faultline goes away (the IPC channel closes), so a crash leaves no agent.
 *
 * Run by Node directly (type stripping): keep this file free of TypeScript-only runtime syntax.
 */
import { createServer, connect, type Socket } from 'node:net';

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

process.on('message', (msg: { type: string; host: string; port: number }, handle: Socket | undefined) => {
  if (msg.type !== 'forward' || !handle) return;
  const upstream = connect({ host: msg.host, port: msg.port, localAddress: internetSource });
  const close = () => {
    handle.destroy();
    upstream.destroy();
  };
  upstream.setTimeout(10_000, close);
  upstream.once('connect', () => {
    upstream.setTimeout(0);
    handle.pipe(upstream);
    upstream.pipe(handle);
    handle.resume();
  });
  upstream.on('error', close);
  handle.on('error', close);
});

process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
