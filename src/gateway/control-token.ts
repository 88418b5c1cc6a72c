/**
 * The control API's token. On loopback, only this machine's users reach faultline, as with any
 * local development server. Started on another address (`faultline up --host 0.0.0.0`), anyone on
 * the network could fail its hosts or reset it, so the control API and the console's data then
 * require a token that `faultline up` prints: the header `x-faultline-token`, or the query
 * parameter `token` (an EventSource cannot set headers). `FAULTLINE_TOKEN` in `up`'s environment
 * sets it, on any address; `faultline` commands send `FAULTLINE_TOKEN` from theirs.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Whether `host` (what `--host` names) keeps faultline on this machine's loopback. */
export function loopbackOnly(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1';
  return false;
}

/** The token faultline requires when it listens on `host`: the given one, a new one beyond loopback, or none. */
export function controlToken(host: string, given: string | undefined): string | undefined {
  if (given) return given;
  return loopbackOnly(host) ? undefined : randomBytes(24).toString('base64url');
}

/** Whether a control request carries the token. */
export function carriesToken(token: string, header: string | string[] | undefined, url: URL): boolean {
  const sent = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('token') ?? '';
  const a = Buffer.from(sent);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
