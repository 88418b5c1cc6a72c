/**
 * What the endpoint refuses before it reads a request, against web pages in the user's browser:
 *  - DNS rebinding: a page on a name the attacker controls that later resolves to this machine
 *    sends that name as its Host. So the Host must be one no attacker can point here: an IP
 *    address, `localhost` (and `*.localhost`, which browsers never ask DNS about: S3 virtual
 *    hosts such as bucket.localhost:4566), this machine's own name, the name faultline listens
 *    on, or an AWS host name (`*.amazonaws.com`, e.g. bucket.s3.amazonaws.com). The port is not
 *    checked: it says nothing about who asks, and port forwarding changes it.
 *  - Cross-site requests (CSRF): a browser names the page that sent a request in `Origin`; one
 *    other than this endpoint's own is refused, so a page elsewhere cannot drive faultline.
 * The control API answers only at faultline's own address, never at an AWS or S3 host name,
 * and never on a connection from a sandboxed instance (see the gateway).
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';

export interface Refusal {
  status: number;
  message: string;
}

const AWS_NAME = /\.amazonaws\.com(\.cn)?$/;

/** The host name of a Host header, without its port; an IPv6 literal keeps its brackets. */
export function hostName(host: string): string {
  const name = host.toLowerCase();
  if (name.startsWith('[')) return name.slice(0, name.indexOf(']') + 1);
  return name.replace(/:\d*$/, '');
}

const isAddress = (name: string) => isIP(name) !== 0 || (name.startsWith('[') && isIP(name.slice(1, -1)) === 6);

const MACHINE = hostname().toLowerCase();

/** Names that reach faultline itself: addresses, localhost, this machine and what it listens on. */
function isOwnName(name: string, listenName: string | undefined): boolean {
  return isAddress(name) || name === 'localhost' || name === MACHINE || name === listenName;
}

/**
 * Why a request must be refused, or undefined. `listenName` is the host name faultline was told
 * to listen on; `control` says the request is for the control API.
 */
export function refusal(headers: { host?: string; origin?: string }, opts: { listenName?: string; control: boolean }): Refusal | undefined {
  // A client that sends no Host is not a browser (browsers always send it).
  const host = headers.host;
  if (host !== undefined) {
    const name = hostName(host);
    const own = isOwnName(name, opts.listenName);
    if (opts.control && !own) return { status: 403, message: `the control API answers only at faultline's own address, not at Host ${host}` };
    if (!own && !name.endsWith('.localhost') && !AWS_NAME.test(name)) {
      return { status: 403, message: `faultline answers requests addressed to its own address (an IP address, localhost, ${opts.listenName ?? 'the name it listens on'}) or to an AWS host name, not to Host ${host}` };
    }
  }
  const origin = headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host ?? ''}`.toLowerCase()) {
    return { status: 403, message: `faultline refuses requests from web pages of other origins (Origin ${origin})` };
  }
  return undefined;
}
