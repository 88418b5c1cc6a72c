/**
 * The rules one change of a ChangeResourceRecordSets batch must keep on its own (spec route53.md
 * §2): the exactly-one-of rule and the routing fields (InvalidInput, which fails the request at
 * once), and the name, wildcard, type, value and alias rules, each a message of the batch's
 * InvalidChangeBatch. Rules between sets (existence, CNAME conflicts, policies of one name and
 * type, the apex SOA and NS) are the batch's: records.provider.ts.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { DeepReadonly } from '../../core/store.ts';
import { loadBalancerByDnsName } from '../elb/resolve.ts';
import type { RequestContext } from '../service.ts';
import { r53Errors } from './errors.ts';
import { inZone, valueFields } from './names.ts';
import { canonicalName, healthCheck, type HostedZoneRecord, type ResourceRecordSet } from './state.ts';

export type Action = 'CREATE' | 'DELETE' | 'UPSERT';
export interface Change {
  Action: Action;
  ResourceRecordSet: ResourceRecordSet & { TrafficPolicyInstanceId?: string };
}

export type Policy = 'simple' | 'weighted' | 'failover' | 'multivalue' | 'latency' | 'geolocation';

const MAX_VALUES = 400;

/** The routing policy a set's fields give it. */
export function policyOf(rr: DeepReadonly<ResourceRecordSet>): Policy {
  return policyFields(rr)[0] ?? 'simple';
}

function policyFields(rr: DeepReadonly<ResourceRecordSet>): Policy[] {
  const out: Policy[] = [];
  if (rr.Weight !== undefined) out.push('weighted');
  if (rr.Failover !== undefined) out.push('failover');
  if (rr.MultiValueAnswer !== undefined) out.push('multivalue');
  if (rr.Region !== undefined) out.push('latency');
  if (rr.GeoLocation !== undefined) out.push('geolocation');
  return out;
}

const changeText = (c: Change) =>
  `Change with [Action=${c.Action}, Name=${canonicalName(c.ResourceRecordSet.Name)}, Type=${c.ResourceRecordSet.Type}, SetIdentifier=${c.ResourceRecordSet.SetIdentifier ?? 'null'}]`;

/** The request-level rules: a set is an alias, or TTL and values, or a traffic policy instance; one routing policy at most. */
export function checkChangeInput(c: Change): void {
  const rr = c.ResourceRecordSet;
  const forms = [rr.AliasTarget !== undefined, rr.TTL !== undefined || rr.ResourceRecords !== undefined, rr.TrafficPolicyInstanceId !== undefined].filter(Boolean).length;
  const complete = rr.AliasTarget !== undefined || (rr.TTL !== undefined && rr.ResourceRecords !== undefined) || rr.TrafficPolicyInstanceId !== undefined;
  if (forms !== 1 || !complete) {
    const found = forms > 1 ? 'found more than one' : 'found none';
    throw r53Errors.invalidInput(`Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but ${found} in ${changeText(c)}`);
  }
  if (rr.TrafficPolicyInstanceId !== undefined) throw r53Errors.invalidInput(`Invalid request: faultline has no traffic policies, in ${changeText(c)}`);
  const policies = policyFields(rr);
  if (policies.length > 1) throw r53Errors.invalidInput(`Invalid request: Expected at most one of [Weight, Failover, MultiValueAnswer, Region, GeoLocation], but found more than one in ${changeText(c)}`);
  if (policies.length && rr.SetIdentifier === undefined) throw r53Errors.invalidInput(`Invalid request: Missing field 'SetIdentifier' in ${changeText(c)}`);
  if (!policies.length && rr.SetIdentifier !== undefined) {
    throw r53Errors.invalidInput(`Invalid request: a SetIdentifier needs a routing policy (Weight, Failover, MultiValueAnswer, Region or GeoLocation) in ${changeText(c)}`);
  }
}

/** The problems of one set on its own, each an InvalidChangeBatch message. An unknown health check is NoSuchHealthCheck. */
export function setProblems(ctx: RequestContext, zone: DeepReadonly<HostedZoneRecord>, rr: DeepReadonly<ResourceRecordSet>): string[] {
  const name = canonicalName(rr.Name);
  const problems: string[] = [];
  if (!inZone(name, zone.Name)) return [`RRSet with DNS name ${name} is not permitted in zone ${zone.Name}`];
  if (rr.HealthCheckId !== undefined && !healthCheck(ctx.env.store, ctx.account, rr.HealthCheckId)) throw r53Errors.noSuchHealthCheck(rr.HealthCheckId);
  // `*` stands for the whole leftmost label only; elsewhere it is a literal character.
  if (rr.Type === 'NS' && name.split('.')[0] === '*') problems.push(`RRSet of type NS with DNS name ${name} is not permitted: a wildcard name cannot have NS records`);
  const policy = policyOf(rr);
  if (policy !== 'simple' && ['NS', 'SOA', 'DS'].includes(rr.Type)) problems.push(`RRSet of type ${rr.Type} with DNS name ${name} is not permitted: ${rr.Type} records cannot have a routing policy`);
  if (rr.Type === 'SOA' && name !== zone.Name) problems.push(`RRSet of type SOA with DNS name ${name} is not permitted: the only SOA record is the zone's, at ${zone.Name}`);
  if (rr.AliasTarget) {
    if (policy === 'multivalue') problems.push(`RRSet with DNS name ${name}, type ${rr.Type} is not permitted: multivalue answer records cannot be aliases`);
    if (rr.Type === 'NS' || rr.Type === 'SOA') problems.push(`RRSet with DNS name ${name}, type ${rr.Type} is not permitted: ${rr.Type} records cannot be aliases`);
    const elb = elbProblem(ctx, name, rr);
    if (elb) problems.push(elb);
    return problems;
  }
  const values = (rr.ResourceRecords ?? []).map((r) => r.Value);
  if (values.length > MAX_VALUES) problems.push(`RRSet with DNS name ${name}, type ${rr.Type} has ${values.length} values; the most a record set can hold is ${MAX_VALUES}`);
  if (rr.Type === 'CNAME' && values.length > 1) problems.push(`RRSet of type CNAME with DNS name ${name} has more than one value; a CNAME holds exactly one`);
  if (policy === 'multivalue' && values.length > 1) problems.push(`RRSet with DNS name ${name}, type ${rr.Type}: a multivalue answer record holds exactly one value`);
  if (policy === 'multivalue' && rr.Type === 'CNAME') problems.push(`RRSet of type CNAME with DNS name ${name} is not permitted: multivalue answer records cannot be of type CNAME`);
  for (const v of values) {
    const bad = valueProblem(rr.Type, v);
    if (bad) problems.push(`Invalid Resource Record: FATAL problem: ${bad} encountered with '${v}'`);
  }
  return problems;
}

/**
 * An alias to a load balancer: the DNS name must be one of the account's load balancers (Classic
 * ones also as `dualstack.`), with its canonical hosted zone id, and the set of type A or AAAA.
 * An alias whose DNS name is no load balancer is left to the batch (a set in this zone, or none).
 */
function elbProblem(ctx: RequestContext, name: string, rr: DeepReadonly<ResourceRecordSet>): string | undefined {
  const target = rr.AliasTarget!;
  const lb = loadBalancerByDnsName(ctx.env.store, target.DNSName, ctx.account)?.lb;
  if (!lb) return undefined;
  if (lb.canonicalHostedZoneId !== target.HostedZoneId) return notInTargetZone(target.DNSName, rr.Type, target.HostedZoneId);
  if (rr.Type !== 'A' && rr.Type !== 'AAAA') return `RRSet with DNS name ${name}, type ${rr.Type} is not permitted: an alias to a load balancer must be of type A or AAAA`;
  return undefined;
}

export const notInTargetZone = (dnsName: string, type: string, zoneId: string) =>
  `Tried to create an alias that targets ${canonicalName(dnsName)}, type ${type} in zone ${zoneId}, but the alias target name does not lie within the target zone`;

const u16 = (s: string) => /^\d{1,5}$/.test(s) && Number(s) <= 65535;
const u32 = (s: string) => /^\d{1,10}$/.test(s) && Number(s) <= 4294967295;

/** A domain name in a value: labels of 1 to 63 characters, 255 in all, the trailing dot optional. */
function domainProblem(v: string): string | undefined {
  if (v === '.' || v === '') return undefined;
  const labels = v.replace(/\.$/, '').split('.');
  if (labels.some((l) => l.length === 0)) return 'DomainLabelEmpty (Domain label is empty)';
  if (labels.some((l) => l.length > 63)) return 'DomainLabelTooLong (Domain label is too long)';
  if (v.length > 255) return 'DomainNameTooLong (Domain name is too long)';
  return undefined;
}

/**
 * Value syntax by type, as `CODE (why)` in AWS's `FATAL problem` form. The A and AAAA codes and
 * the domain-name ones are AWS's (observed); for the others AWS's codes are not published and these
 * follow their pattern.
 */
function valueProblem(type: string, v: string): string | undefined {
  const fields = v.trim().split(/\s+/);
  const single = (t: string) => (/\s/.test(v.trim()) ? `${t}RRDATANotSingleField (Value contains spaces)` : undefined);
  switch (type) {
    case 'A':
      return single('A') ?? (isIPv4(v) ? undefined : 'ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)');
    case 'AAAA':
      return single('AAAA') ?? (isIPv6(v) ? undefined : 'AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)');
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return single(type) ?? domainProblem(v);
    case 'MX':
      if (fields.length !== 2) return 'MXRRDATANotTwoFields (Value must be a priority and a mail server)';
      return u16(fields[0]) ? domainProblem(fields[1]) : 'MXRRDATAIllegalPriority (Priority must be 0 to 65535)';
    case 'SRV':
      if (fields.length !== 4) return 'SRVRRDATANotFourFields (Value must be priority, weight, port and target)';
      return fields.slice(0, 3).every(u16) ? domainProblem(fields[3]) : 'SRVRRDATAIllegalNumber (Priority, weight and port must be 0 to 65535)';
    case 'TXT':
    case 'SPF': {
      // One or more character strings, quoted or bare, each at most 255 characters.
      const strings = valueFields(v);
      if (!strings?.length) return 'InvalidCharacterString (Value should be enclosed in quotation marks)';
      return strings.some((s) => s.length > 255) ? `${type}RDATATooLong (Character string is longer than 255 characters)` : undefined;
    }
    case 'CAA': {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+"(.*)"$/.exec(v.trim());
      return m && Number(m[1]) <= 255 ? undefined : 'CAARRDATAIllegalFormat (Value must be flags, a tag and a quoted value)';
    }
    case 'NAPTR': {
      const m = /^(\d+)\s+(\d+)\s+"[^"]*"\s+"[^"]*"\s+"[^"]*"\s+(\S+)$/.exec(v.trim());
      return m && u16(m[1]) && u16(m[2]) ? domainProblem(m[3]) : 'NAPTRRRDATAIllegalFormat (Value must be order, preference, flags, service, regexp and replacement)';
    }
    case 'SOA':
      if (fields.length !== 7) return 'SOARRDATANotSevenFields (Value must be the primary server, mailbox, serial, refresh, retry, expire and minimum)';
      return fields.slice(2).every(u32) ? (domainProblem(fields[0]) ?? domainProblem(fields[1])) : 'SOARRDATAIllegalNumber (Serial and times must be 0 to 4294967295)';
    default:
      return undefined;
  }
}
