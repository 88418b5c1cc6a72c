/**
 * What a DNS query answers: the one place that knows it (the DNS server, TestDNSAnswer and the
 * drills' probes all ask here). Spec route53.md §1 (SOA), §2 "Alias records", §3, §6.
 *
 * Order of authority, most specific first:
 *  - inside a VPC (`vpc` set, the Amazon resolver): the private hosted zones associated with the
 *    VPC (the most specific zone decides; no record there is NXDOMAIN, never a fall back to
 *    public DNS), then Amazon's private instance names (`ip-10-0-0-5.ec2.internal`);
 *  - faultline's own public names: load balancers (elb/resolve.ts), instances' public names
 *    (`ec2-127-100-0-5.compute-1.amazonaws.com`, the private IP when asked from its own VPC) and
 *    DB instances' endpoints (the address that follows the primary, the private one when asked
 *    from its own VPC);
 *  - public hosted zones, of any account: the version DNS serves (`served`), the most specific
 *    zone; when two zones have one name (two accounts, or one account twice) the oldest answers.
 * Anything else is not faultline's: REFUSED from the host's server, SERVFAIL from a VPC's
 * resolver (which would have asked the internet).
 *
 * Routing follows §3: a set is picked by its policy among the healthy ones, and when none is
 * healthy, among all. Latency sets are ranked by the asker's region (the VPC's, else us-east-1);
 * geolocation answers the default location (`*`), since a local asker has no location.
 * Record sets are read through an index that is rebuilt only when the store has changed.
 */
import type { DeepReadonly, Store } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { COLL as EC2_COLL, COMPUTE_COLL, type NetworkInterfaceRecord, type VpcRecord } from '../ec2/state.ts';
import { resolveLoadBalancer, type Resolution } from '../elb/resolve.ts';
import { groupsOfLoadBalancer, targetsOf } from '../elb/state.ts';
import { COLL as RDS_COLL, type DBInstanceRecord } from '../rds/state.ts';
import { COLL, canonicalName, healthCheck, stripZonePrefix, type HostedZoneRecord, type RecordSetRecord, type ResourceRecordSet } from './state.ts';

export interface DnsQuery {
  /** Any case, with or without the trailing dot. */
  name: string;
  /** `A`, `AAAA`, `CNAME`, `TXT`, `MX`, `SRV`, `NS`, `SOA`, … */
  type: string;
  /** Set for a query to the Amazon resolver inside a VPC: private zones and private names apply. */
  vpc?: { vpcId: string; account: string; region: string };
  /** The resolver's or client's address, for routing policies that look at it. */
  clientIp?: string;
  /** Answer from this hosted zone alone, as its name servers would (TestDNSAnswer). */
  zone?: { account: string; id: string };
}

/** A record of an answer, its value as Route 53 writes it (`10 mail.example.com.` for MX). */
export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  value: string;
}

export interface DnsAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  /** Whether a hosted zone (or faultline's own names) answered with authority. */
  authoritative: boolean;
  answers: DnsRecord[];
  /** The zone's SOA for NXDOMAIN and NODATA; a delegation's NS records for a referral. */
  authority: DnsRecord[];
  /**
   * True when the same query gets the same answer until the store changes: no random pick was
   * made and nothing that moves with the clock (a load balancer's state) was read.
   */
  cacheable: boolean;
}

/** The TTL AWS gives answers for load balancers' names (spec §2 "Alias records"). */
const LB_TTL = 60;
/** The TTL of instances' public and private names. */
const INSTANCE_NAME_TTL = 60;
/** RDS endpoints move on failover; AWS keeps their TTL short (and advises clients under 30 s). */
const RDS_ENDPOINT_TTL = 5;
/** Multivalue answer returns at most this many sets (spec §3). */
const MULTIVALUE_MAX = 8;
/** CNAME and alias chains longer than this are a loop: SERVFAIL. */
const MAX_DEPTH = 8;

interface ZoneView {
  zone: DeepReadonly<HostedZoneRecord>;
  account: string;
  /** The served record sets by canonical name. */
  names: Map<string, DeepReadonly<ResourceRecordSet>[]>;
  /** Every name that exists in the zone: record names and the names between them and the apex. */
  exists: Set<string>;
}

interface Index {
  generation: number;
  /** Public zones by name: the oldest one of each name. */
  publicZones: Map<string, ZoneView>;
  /** Private zones by `region/vpcId`, then by name. */
  privateZones: Map<string, Map<string, ZoneView>>;
  /** Every zone by `account/id`. */
  byId: Map<string, ZoneView>;
}

const indexes = new WeakMap<Store, Index>();

function index(store: Store): Index {
  const cached = indexes.get(store);
  if (cached?.generation === store.generation) return cached;
  const built = buildIndex(store);
  indexes.set(store, built);
  return built;
}

function buildIndex(store: Store): Index {
  const idx: Index = { generation: store.generation, publicZones: new Map(), privateZones: new Map(), byId: new Map() };
  const zones = [...store.scan<HostedZoneRecord>(COLL.zones)].sort((a, b) => a[1].createdAt - b[1].createdAt);
  for (const [scope, zone] of zones) {
    const view: ZoneView = { zone, account: scope.account, names: new Map(), exists: new Set([zone.Name]) };
    idx.byId.set(`${scope.account}/${zone.Id}`, view);
    if (zone.Config?.PrivateZone) {
      for (const v of zone.vpcs) {
        const key = `${v.VPCRegion}/${v.VPCId}`;
        const byName = idx.privateZones.get(key) ?? new Map<string, ZoneView>();
        if (!byName.has(zone.Name)) byName.set(zone.Name, view);
        idx.privateZones.set(key, byName);
      }
    } else if (!idx.publicZones.has(zone.Name)) idx.publicZones.set(zone.Name, view);
  }
  for (const [scope, rec] of store.scan<RecordSetRecord>(COLL.records)) {
    const view = idx.byId.get(`${scope.account}/${rec.zoneId}`);
    if (!view || !rec.served) continue;
    const name = canonicalName(rec.served.Name);
    const sets = view.names.get(name) ?? [];
    sets.push(rec.served);
    view.names.set(name, sets);
    for (let n = name; n.length > view.zone.Name.length && n.endsWith('.' + view.zone.Name); n = parent(n)) view.exists.add(n);
  }
  return idx;
}

/** `www.example.com.` → `example.com.`; the root's parent is the root. */
const parent = (name: string) => (name === '.' ? '.' : name.slice(name.indexOf('.') + 1) || '.');
const within = (name: string, zone: string) => name === zone || zone === '.' || name.endsWith('.' + zone);

/** The most specific zone of `zones` whose name is the query's or a parent of it. */
function closestZone(zones: Map<string, ZoneView> | undefined, name: string): ZoneView | undefined {
  if (!zones?.size) return undefined;
  for (let n = name; ; n = parent(n)) {
    const z = zones.get(n);
    if (z) return z;
    if (n === '.') return undefined;
  }
}

/** What one query reads and decides, shared down its CNAME and alias chains. */
interface Ctx {
  env: Env;
  idx: Index;
  vpc?: DnsQuery['vpc'];
  /** TestDNSAnswer: stay inside this zone. */
  onlyZone?: ZoneView;
  cacheable: boolean;
}

type Result = Omit<DnsAnswer, 'cacheable'>;

const refused = (): Result => ({ rcode: 'REFUSED', authoritative: false, answers: [], authority: [] });
const servfail = (): Result => ({ rcode: 'SERVFAIL', authoritative: false, answers: [], authority: [] });

export function answer(env: Env, q: DnsQuery): DnsAnswer {
  const ctx: Ctx = { env, idx: index(env.store), vpc: q.vpc, cacheable: true };
  const name = canonicalName(q.name);
  const type = q.type.toUpperCase();
  let result: Result;
  if (q.zone) {
    ctx.onlyZone = ctx.idx.byId.get(`${q.zone.account}/${stripZonePrefix(q.zone.id)}`);
    result = ctx.onlyZone && within(name, ctx.onlyZone.zone.Name) ? fromZone(ctx, ctx.onlyZone, name, type, 0) : refused();
  } else result = resolve(ctx, name, type, 0);
  return { ...result, cacheable: ctx.cacheable };
}

function resolve(ctx: Ctx, name: string, type: string, depth: number): Result {
  if (depth > MAX_DEPTH) return servfail();
  if (ctx.onlyZone) return within(name, ctx.onlyZone.zone.Name) ? fromZone(ctx, ctx.onlyZone, name, type, depth) : refused();
  const { vpc } = ctx;
  if (vpc) {
    const record = ctx.env.store.get<VpcRecord>(EC2_COLL.vpcs, vpc, vpc.vpcId);
    // The resolver answers only while DNS support is on; private zones need DNS hostnames too.
    if (!record?.enableDnsSupport) return refused();
    const zone = record.enableDnsHostnames ? closestZone(ctx.idx.privateZones.get(`${vpc.region}/${vpc.vpcId}`), name) : undefined;
    if (zone) return fromZone(ctx, zone, name, type, depth);
    // Amazon's private names resolve only with both DNS attributes on (spec §6).
    const own = record.enableDnsHostnames ? privateInstanceName(ctx, name, type) : undefined;
    if (own) return own;
  }
  const own = loadBalancerName(ctx, name, type) ?? publicInstanceName(ctx, name, type) ?? rdsEndpoint(ctx, name, type);
  if (own) return own;
  const zone = closestZone(ctx.idx.publicZones, name);
  if (zone) return fromZone(ctx, zone, name, type, depth);
  return vpc ? servfail() : refused();
}

/** An answer of faultline's own names: records of the asked type, or none (NODATA). */
const own = (name: string, type: string, rtype: string, ttl: number, values: string[]): Result => ({
  rcode: 'NOERROR',
  authoritative: true,
  answers: type === rtype ? values.map((value) => ({ name, type: rtype, ttl, value })) : [],
  authority: [],
});

function loadBalancerName(ctx: Ctx, name: string, type: string): Result | undefined {
  if (!name.endsWith('.amazonaws.com.') || !name.includes('elb')) return undefined;
  const lb = resolveLoadBalancer(ctx.env, name);
  if (!lb) return undefined;
  ctx.cacheable = false;
  return own(name, type, 'A', LB_TTL, lb.addresses);
}

const dotted = (m: RegExpExecArray) => `${m[1]}.${m[2]}.${m[3]}.${m[4]}`;

/** `ec2-1-2-3-4.compute-1.amazonaws.com` (us-east-1), `ec2-1-2-3-4.REGION.compute.amazonaws.com`. */
function publicInstanceName(ctx: Ctx, name: string, type: string): Result | undefined {
  const m = /^ec2-(\d+)-(\d+)-(\d+)-(\d+)\.(?:compute-1|([a-z0-9-]+)\.compute)\.amazonaws\.com\.$/.exec(name);
  if (!m) return undefined;
  const ip = dotted(m);
  const region = m[5] ?? 'us-east-1';
  for (const [scope, eni] of ctx.env.store.scan<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces)) {
    if (scope.region !== region || eni.Association?.PublicIp !== ip || !eni.Association.PublicDnsName) continue;
    // Inside its own VPC the name resolves to the private address (spec §6 "Instance names").
    const inside = ctx.vpc?.vpcId === eni.VpcId && ctx.vpc.region === region;
    return own(name, type, 'A', INSTANCE_NAME_TTL, [inside ? eni.PrivateIpAddress : ip]);
  }
  return { rcode: 'NXDOMAIN', authoritative: true, answers: [], authority: [] };
}

/**
 * `ID.CODE.REGION.rds.amazonaws.com`: a DB instance's endpoint, at the address that follows its
 * primary: inside its own VPC the private address of its interface there, elsewhere its endpoint
 * address (the loopback pool's, which the host reaches).
 */
function rdsEndpoint(ctx: Ctx, name: string, type: string): Result | undefined {
  const m = /^[a-z0-9-]+\.[a-z0-9]+\.([a-z0-9-]+)\.rds\.amazonaws\.com\.$/.exec(name);
  if (!m) return undefined;
  for (const [scope, db] of ctx.env.store.scan<DBInstanceRecord>(RDS_COLL.instances)) {
    if (scope.region !== m[1] || !db.endpointIp || `${db.Endpoint?.Address}.` !== name) continue;
    const inside = db.networkInterface && ctx.vpc?.vpcId === db.networkInterface.vpcId && ctx.vpc.account === scope.account && ctx.vpc.region === scope.region;
    return own(name, type, 'A', RDS_ENDPOINT_TTL, [inside ? db.networkInterface!.privateIp : db.endpointIp]);
  }
  return { rcode: 'NXDOMAIN', authoritative: true, answers: [], authority: [] };
}

/** `ip-10-0-0-5.ec2.internal` (us-east-1), `ip-10-0-0-5.REGION.compute.internal`: inside the VPC only. */
function privateInstanceName(ctx: Ctx, name: string, type: string): Result | undefined {
  const m = /^ip-(\d+)-(\d+)-(\d+)-(\d+)\.(?:ec2|([a-z0-9-]+)\.compute)\.internal\.$/.exec(name);
  if (!m || !ctx.vpc) return undefined;
  const ip = dotted(m);
  if ((m[5] ?? 'us-east-1') !== ctx.vpc.region) return { rcode: 'NXDOMAIN', authoritative: true, answers: [], authority: [] };
  const held = ctx.env.store
    .list<NetworkInterfaceRecord>(COMPUTE_COLL.networkInterfaces, ctx.vpc)
    .some((eni) => eni.VpcId === ctx.vpc!.vpcId && eni.PrivateIpAddresses.some((p) => p.PrivateIpAddress === ip));
  return held ? own(name, type, 'A', INSTANCE_NAME_TTL, [ip]) : { rcode: 'NXDOMAIN', authoritative: true, answers: [], authority: [] };
}

/** The zone's SOA as the authority of a negative answer, its TTL the smaller of the SOA's TTL and minimum (spec §1). */
function soaAuthority(view: ZoneView): DnsRecord[] {
  const soa = view.names.get(view.zone.Name)?.find((s) => s.Type === 'SOA');
  const value = soa?.ResourceRecords?.[0]?.Value;
  if (!soa || !value) return [];
  const minimum = Number(value.trim().split(/\s+/)[6]);
  const ttl = Math.min(soa.TTL ?? 900, Number.isFinite(minimum) ? minimum : 900);
  return [{ name: view.zone.Name, type: 'SOA', ttl, value }];
}

/** An answer from one zone's served sets, as its authoritative name servers give it. */
function fromZone(ctx: Ctx, view: ZoneView, name: string, type: string, depth: number): Result {
  const negative = (rcode: 'NOERROR' | 'NXDOMAIN'): Result => ({ rcode, authoritative: true, answers: [], authority: soaAuthority(view) });
  // A delegation below the apex, at or above the name: a referral to its name servers.
  for (let n = name; n !== view.zone.Name && within(n, view.zone.Name); n = parent(n)) {
    const ns = view.names.get(n)?.find((s) => s.Type === 'NS');
    if (ns) return { rcode: 'NOERROR', authoritative: false, answers: [], authority: valuesOf(ctx, ns, n) };
  }
  let sets = view.names.get(name);
  if (!sets) {
    if (view.exists.has(name)) return negative('NOERROR');
    // A wildcard stands for names that do not exist, at the closest name that does (RFC 4592).
    let encloser = parent(name);
    while (!view.exists.has(encloser) && encloser !== view.zone.Name) encloser = parent(encloser);
    sets = view.names.get(`*.${encloser}`);
    if (!sets) return negative('NXDOMAIN');
  }
  const cnames = sets.filter((s) => s.Type === 'CNAME');
  if (cnames.length && type !== 'CNAME') {
    const records = route(ctx, view, cnames, depth).flatMap((s) => valuesOf(ctx, s, name));
    const target = records[0]?.value;
    if (!target) return negative('NOERROR');
    const chased = resolve(ctx, canonicalName(target), type, depth + 1);
    // A target faultline does not answer for is the asker's to follow.
    if (chased.rcode === 'REFUSED' || chased.rcode === 'SERVFAIL') return { rcode: 'NOERROR', authoritative: true, answers: records, authority: [] };
    return { ...chased, authoritative: true, answers: [...records, ...chased.answers] };
  }
  const typed = sets.filter((s) => s.Type === type);
  if (!typed.length) return negative('NOERROR');
  const answers = route(ctx, view, typed, depth).flatMap((s) => (s.AliasTarget ? aliasRecords(ctx, view, s, name, depth) : valuesOf(ctx, s, name)));
  if (!answers.length) return negative('NOERROR');
  return { rcode: 'NOERROR', authoritative: true, answers, authority: [] };
}

/** A set's values as records of `owner`; several values of one set come in random order (spec §3 "Simple"). */
function valuesOf(ctx: Ctx, set: DeepReadonly<ResourceRecordSet>, owner: string): DnsRecord[] {
  const records = (set.ResourceRecords ?? []).map((r) => ({ name: owner, type: set.Type, ttl: set.TTL ?? 0, value: r.Value }));
  if (records.length < 2) return records;
  // A new order for every query: such an answer is never kept rendered.
  ctx.cacheable = false;
  return shuffle(records);
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** The addresses an alias answers: a load balancer's nodes (TTL 60) or another set of the zone (its TTL). */
function aliasRecords(ctx: Ctx, view: ZoneView, set: DeepReadonly<ResourceRecordSet>, owner: string, depth: number): DnsRecord[] {
  const target = canonicalName(set.AliasTarget!.DNSName);
  const lb = lbTarget(ctx, target);
  if (lb) return set.Type === 'A' ? lb.addresses.map((value) => ({ name: owner, type: 'A', ttl: LB_TTL, value })) : [];
  if (!within(target, view.zone.Name) || depth >= MAX_DEPTH) return [];
  return fromZone(ctx, view, target, set.Type, depth + 1)
    .answers.filter((r) => r.type === set.Type)
    .map((r) => ({ ...r, name: owner }));
}

function lbTarget(ctx: Ctx, name: string): Resolution | undefined {
  if (!name.includes('elb')) return undefined;
  const lb = resolveLoadBalancer(ctx.env, name);
  if (lb) ctx.cacheable = false;
  return lb;
}

/**
 * The sets a policy answers (spec §3): one for simple, weighted, failover, latency and
 * geolocation; up to 8 for multivalue. Healthy sets first; when none is healthy, all are.
 */
function route(ctx: Ctx, view: ZoneView, sets: readonly DeepReadonly<ResourceRecordSet>[], depth: number): DeepReadonly<ResourceRecordSet>[] {
  const first = sets[0];
  if (sets.length === 1 && !first.SetIdentifier) return [first];
  const healthy = sets.filter((s) => isHealthy(ctx, view, s, depth));
  const pool = healthy.length ? healthy : sets;
  if (first.Failover) {
    const primary = sets.find((s) => s.Failover === 'PRIMARY');
    const secondary = sets.find((s) => s.Failover === 'SECONDARY');
    if (primary && healthy.includes(primary)) return [primary];
    if (secondary && healthy.includes(secondary)) return [secondary];
    return [primary ?? secondary!];
  }
  if (first.MultiValueAnswer) {
    if (pool.length > 1) ctx.cacheable = false;
    return shuffle([...pool]).slice(0, MULTIVALUE_MAX);
  }
  if (first.Weight !== undefined) return [weighted(ctx, pool)];
  if (first.Region) return [latencyOrder(pool, ctx.vpc?.region ?? 'us-east-1')[0]];
  if (first.GeoLocation) {
    // The default location is the only set a local asker matches: when it is unhealthy, it is
    // still the one answered (no set of the asker's candidates is healthy).
    const fallback = pool.find((s) => s.GeoLocation?.CountryCode === '*') ?? sets.find((s) => s.GeoLocation?.CountryCode === '*');
    return fallback ? [fallback] : [];
  }
  return [first];
}

/**
 * A weighted pick: weight ÷ total among the sets of nonzero weight; zero-weight sets only when no
 * other is left, then with equal odds.
 */
function weighted(ctx: Ctx, sets: readonly DeepReadonly<ResourceRecordSet>[]): DeepReadonly<ResourceRecordSet> {
  const nonzero = sets.filter((s) => s.Weight! > 0);
  const from = nonzero.length ? nonzero : sets;
  if (from.length > 1) ctx.cacheable = false;
  const total = from.reduce((t, s) => t + (nonzero.length ? s.Weight! : 1), 0);
  let r = Math.random() * total;
  for (const s of from) {
    r -= nonzero.length ? s.Weight! : 1;
    if (r < 0) return s;
  }
  return from[from.length - 1];
}

/** Sets by closeness of their Region to the asker's: the same region, then the same area (`us-`, `eu-`…), then the rest. */
function latencyOrder(sets: readonly DeepReadonly<ResourceRecordSet>[], region: string): DeepReadonly<ResourceRecordSet>[] {
  const area = (r: string) => r.split('-')[0];
  const rank = (s: DeepReadonly<ResourceRecordSet>) => (s.Region === region ? 0 : area(s.Region!) === area(region) ? 1 : 2);
  return [...sets].sort((a, b) => rank(a) - rank(b) || a.Region!.localeCompare(b.Region!));
}

/**
 * A set's health: its health check's last status (a deleted check counts as none), and for an
 * alias with EvaluateTargetHealth, its target's (spec §2 "Alias records").
 */
function isHealthy(ctx: Ctx, view: ZoneView, set: DeepReadonly<ResourceRecordSet>, depth: number): boolean {
  if (set.HealthCheckId && healthCheck(ctx.env.store, view.account, set.HealthCheckId)?.healthy === false) return false;
  const alias = set.AliasTarget;
  if (!alias?.EvaluateTargetHealth) return true;
  const target = canonicalName(alias.DNSName);
  const lb = lbTarget(ctx, target);
  if (lb) return loadBalancerHealthy(ctx.env, lb);
  if (!within(target, view.zone.Name) || depth >= MAX_DEPTH) return true;
  // An alias to a set or group of the zone is healthy while one of its members is.
  const members = (view.names.get(target) ?? []).filter((s) => s.Type === set.Type);
  return members.some((s) => isHealthy(ctx, view, s, depth + 1));
}

/**
 * A load balancer as an alias target: unhealthy when it answers no address, or when a target
 * group of it that has targets has no healthy one, or when none of its groups has targets.
 */
function loadBalancerHealthy(env: Env, lb: Resolution): boolean {
  if (!lb.addresses.length) return false;
  const groups = groupsOfLoadBalancer(env.store, lb.scope, lb.loadBalancer)
    .map((g) => targetsOf(env.store, lb.scope, g))
    .filter((targets) => targets.length);
  return groups.length > 0 && groups.every((targets) => targets.some((t) => t.state === 'healthy'));
}
