/**
 * How a drill's probes resolve host names: as a client of faultline's DNS (answer.ts, the
 * answers `dig` gets) that keeps each answer for its TTL on the clock, as a stub resolver's cache
 * does. So a drill measures what users of a name see: a record that fails over is seen only once
 * the answer they hold expires (a load balancer's 60 s, a record set's own TTL); a name that does
 * not exist is held for the zone's negative TTL (spec route53.md §1).
 */
import type { Env } from '../services/service.ts';
import { answer } from '../services/route53/answer.ts';
import type { NameResolver } from './probes.ts';

export function cachingResolver(env: Env): NameResolver {
  const held = new Map<string, { addresses: string[]; until: number }>();
  return (host) => {
    const name = host.toLowerCase().replace(/\.$/, '');
    const now = env.clock.now();
    const kept = held.get(name);
    if (kept && kept.until > now) return kept.addresses;
    const a = answer(env, { name, type: 'A' });
    // Not one of faultline's names (an address, localhost, the internet): the system resolves it.
    if (a.rcode === 'REFUSED' || a.rcode === 'SERVFAIL') return undefined;
    const addresses = a.answers.filter((r) => r.type === 'A').map((r) => r.value);
    const ttl = addresses.length ? Math.min(...a.answers.map((r) => r.ttl)) : (a.authority.find((r) => r.type === 'SOA')?.ttl ?? 0);
    held.set(name, { addresses, until: now + ttl * 1000 });
    return addresses;
  };
}
