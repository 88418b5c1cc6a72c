/**
 * Fault injection. A fault changes the world (a host's or a zone's power and network, an
 * instance's own health, a volume's I/O, or the API's behaviour) and never edits API records:
 * status checks, alarms, recovery and Auto Scaling notice through their own loops, as they would
 * on AWS. The one exception does what AWS FIS does: a subnet's disruption swaps in a network ACL
 * that denies everything (services/ec2/subnet-disruption.ts).
 * A fault may heal by itself after a duration, on the clock. A paused volume's metrics and
 * status are EC2's to show, from when its pause began (services/ec2/volume-pause.ts).
 */
import { AwsError } from '../core/errors.ts';
import { uuid } from '../core/ids.ts';
import { own } from '../core/own.ts';
import type { DeepReadonly, Scope } from '../core/store.ts';
import type { Env, Principal } from '../services/service.ts';
import { instanceType } from '../services/ec2/instance-types.ts';
import { zoneNamed } from '../services/ec2/regions.provider.ts';
import { disruptSubnet, restoreSubnet } from '../services/ec2/subnet-disruption.ts';
import { COLL, type VolumeRecord } from '../services/ec2/state.ts';
import { volumeNotFound } from '../services/ec2/volumes.provider.ts';
import { HOSTS, ZONES, ensureWorldRegion, worldScope, type HostRecord, type ZoneRecord } from './state.ts';

export const FAULTS = 'world.faults';
export const FAULT_EXPIRY_LOOP = 'world.fault-expiry';
const SCOPE = worldScope('global');

export type FaultKind = 'host' | 'az' | 'instance' | 'app' | 'api' | 'capacity' | 'subnet' | 'volume';

export interface FaultSpec {
  kind: FaultKind;
  /**
   * host: a host id; az: a zone name; instance, app: an instance id; api: a service signing name or
   * '*'; capacity: the zones whose launches fail, a comma list of names or zone ids (FIS's
   * `availabilityZoneIdentifiers`), kept as names; subnet, volume: their id.
   */
  target: string;
  region?: string;
  /** subnet and volume: the account that owns them; capacity: the account of its `groups` (the default account when absent). */
  account?: string;
  /** subnet: what is cut, as FIS's `scope` parameter; only `all` (every packet in or out of the subnet). */
  scope?: string;
  /** host and az: what fails. */
  effect?: 'power' | 'network';
  /** api: which operations ('*' for all, or a comma list as FIS's `operations`) and the error code. */
  operation?: string;
  errorCode?: string;
  /** api and capacity: the share of matching calls that fail, in (0, 1] (FIS's `percentage` / 100). */
  rate?: number;
  /**
   * api and capacity: only calls made with credentials of these IAM roles (role ARNs; sessions
   * from AssumeRole or an instance profile) are affected. capacity: only launches by these Auto
   * Scaling groups. A capacity fault with neither refuses every launch in its zones.
   */
  roles?: string[];
  groups?: string[];
  /** capacity: only launches of these instance types (all types when absent), as a pool of one type in a zone runs out. */
  instanceTypes?: string[];
  durationSeconds?: number;
}

export interface FaultRecord extends FaultSpec {
  faultId: string;
  region: string;
  startedAt: number;
  endsAt?: number;
  healedAt?: number;
  /** subnet: the FIS-managed clone of the subnet's network ACL, and the ACL it replaced. */
  networkAclId?: string;
  originalNetworkAclId?: string;
}

const API_ERRORS: Record<string, { status: number; message: string }> = {
  Throttling: { status: 400, message: 'Rate exceeded' },
  ThrottlingException: { status: 400, message: 'Rate exceeded' },
  RequestLimitExceeded: { status: 503, message: 'Request limit exceeded.' },
  ServiceUnavailable: { status: 503, message: 'Service is unavailable. Please try again later.' },
  InternalError: { status: 500, message: 'An internal error has occurred' },
  InternalFailure: { status: 500, message: 'The request processing has failed because of an unknown error, exception or failure.' },
  Unavailable: { status: 503, message: "The server is overloaded and can't handle the request." },
};

/** An IAM role's ARN, with an optional path: its account and its name. */
export const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[^/]+\/)*([\w+=,.@-]+)$/;

export function activeFaults(env: Env): FaultRecord[] {
  return env.store.list<FaultRecord>(FAULTS, SCOPE).filter((f) => f.healedAt === undefined) as FaultRecord[];
}

/** Whether an instance's own software has been failed (the instance status check fails). */
export function instanceFaulted(env: Env, instanceId: string): boolean {
  return activeFaults(env).some((f) => f.kind === 'instance' && f.target === instanceId);
}

/**
 * Whether an instance's application has been failed: the instance and its EC2 status checks are
 * fine, but what the load balancers' health checks ask (the health check path or port) fails.
 */
export function appFaulted(env: Env, instanceId: string): boolean {
  return activeFaults(env).some((f) => f.kind === 'app' && f.target === instanceId);
}

function setHost(env: Env, region: string, hostId: string, effect: 'power' | 'network', healthy: boolean) {
  const h = env.store.mutable<HostRecord>(HOSTS, worldScope(region), hostId);
  if (!h) throw new AwsError('NotFound', `no host ${hostId} in ${region}`, 404);
  if (effect === 'power') h.power = healthy ? 'on' : 'off';
  else h.network = healthy ? 'up' : 'down';
  env.store.put(HOSTS, worldScope(region), hostId, h);
}

function setZone(env: Env, region: string, zone: string, effect: 'power' | 'network', healthy: boolean) {
  const z = env.store.mutable<ZoneRecord>(ZONES, worldScope(region), zone);
  if (!z) throw new AwsError('NotFound', `no availability zone ${zone} in ${region}`, 404);
  if (effect === 'power') z.power = healthy ? 'on' : 'off';
  else z.network = healthy ? 'up' : 'down';
  env.store.put(ZONES, worldScope(region), zone, z);
}

export function injectFault(env: Env, spec: FaultSpec): FaultRecord {
  return env.store.transaction(() => {
    // An API fault without a region holds in every region ('*'); any other fault is in one.
    const region = spec.region ?? (spec.kind === 'az' ? spec.target.slice(0, -1) : spec.kind === 'api' ? '*' : env.config.defaultRegion);
    if (region !== '*' && !own(env.config.regions, region)) throw new AwsError('NotFound', `no region ${region}`, 404);
    if (region !== '*') ensureWorldRegion(env, region);
    const now = env.clock.now();
    const fault: FaultRecord = { ...spec, faultId: `fault-${uuid().slice(0, 8)}`, region, startedAt: now };
    if (spec.account !== undefined && !/^\d{12}$/.test(spec.account)) throw new AwsError('InvalidParameter', `account must be a 12-digit account id, not ${spec.account}`, 400);
    const owned = { account: spec.account ?? env.config.defaultAccount, region };
    if (spec.durationSeconds !== undefined) {
      if (!(spec.durationSeconds > 0)) throw new AwsError('InvalidParameter', 'durationSeconds must be positive', 400);
      fault.endsAt = now + spec.durationSeconds * 1000;
    }
    switch (spec.kind) {
      case 'host':
        setHost(env, region, spec.target, spec.effect ?? 'power', false);
        break;
      case 'az':
        setZone(env, region, spec.target, spec.effect ?? 'power', false);
        break;
      case 'instance':
      case 'app':
        if (!/^i-[0-9a-f]+$/.test(spec.target)) throw new AwsError('InvalidParameter', `not an instance id: ${spec.target}`, 400);
        break;
      case 'api': {
        if (!API_ERRORS[spec.errorCode ?? 'Throttling']) throw new AwsError('InvalidParameter', `errorCode must be one of ${Object.keys(API_ERRORS).join(', ')}`, 400);
        if (spec.operation !== undefined && (typeof spec.operation !== 'string' || !list(spec.operation).length)) throw new AwsError('InvalidParameter', 'operation must name operations, or be *', 400);
        fault.rate = checkRate(spec.rate);
        fault.errorCode = spec.errorCode ?? 'Throttling';
        fault.operation = spec.operation === undefined ? '*' : list(spec.operation).join(',');
        fault.roles = checkNames('roles', spec.roles, (r) => ROLE_ARN.test(r), 'an IAM role ARN (arn:aws:iam::123456789012:role/NAME)');
        break;
      }
      case 'capacity': {
        const where = resolveZones(env, spec.target, spec.region);
        fault.region = where.region;
        fault.target = where.zones.join(',');
        fault.rate = checkRate(spec.rate);
        fault.roles = checkNames('roles', spec.roles, (r) => ROLE_ARN.test(r), 'an IAM role ARN (arn:aws:iam::123456789012:role/NAME)');
        fault.groups = checkNames('groups', spec.groups, (g) => g.length > 0 && g.length <= 255, 'an Auto Scaling group name');
        fault.instanceTypes = checkNames('instanceTypes', spec.instanceTypes, (t) => instanceType(t) !== undefined, 'an instance type');
        if (fault.groups) fault.account = owned.account;
        break;
      }
      case 'subnet':
        Object.assign(fault, { account: owned.account, scope: spec.scope ?? 'all' }, disruptSubnet(env, owned, spec.target, spec.scope ?? 'all'));
        break;
      case 'volume': {
        checkPausable(env, owned, spec.target);
        fault.account = owned.account;
        break;
      }
      default:
        throw new AwsError('InvalidParameter', `unknown fault kind ${(spec as FaultSpec).kind}: use host, az, instance, app, api, capacity, subnet or volume`, 400);
    }
    env.store.put(FAULTS, SCOPE, fault.faultId, fault);
    env.events.emit('fault.injected', { ...fault });
    if (fault.endsAt !== undefined) env.scheduler.enqueue(FAULT_EXPIRY_LOOP, fault.faultId, fault.endsAt);
    return fault;
  });
}

export function healFault(env: Env, faultId: string): FaultRecord {
  return env.store.transaction(() => {
    const f = env.store.mutable<FaultRecord>(FAULTS, SCOPE, faultId);
    if (!f) throw new AwsError('NotFound', `no fault ${faultId}`, 404);
    if (f.healedAt !== undefined) return f;
    f.healedAt = env.clock.now();
    env.store.put(FAULTS, SCOPE, faultId, f);
    // A host or zone comes back only when no other active fault still holds it down.
    const others = activeFaults(env).filter((o) => o.kind === f.kind && o.target === f.target && (o.effect ?? 'power') === (f.effect ?? 'power'));
    if (!others.length) {
      if (f.kind === 'host') setHost(env, f.region, f.target, f.effect ?? 'power', true);
      if (f.kind === 'az') setZone(env, f.region, f.target, f.effect ?? 'power', true);
    }
    const owned = { account: f.account ?? env.config.defaultAccount, region: f.region };
    if (f.kind === 'subnet') restoreSubnet(env, owned, f.target, { networkAclId: f.networkAclId!, originalNetworkAclId: f.originalNetworkAclId! });
    env.events.emit('fault.healed', { faultId, kind: f.kind, target: f.target, region: f.region });
    return f;
  });
}

/** Heals a fault whose duration has run out. */
export const faultExpiryLoop = (env: Env) => (faultId: string) => {
  const f = env.store.get<FaultRecord>(FAULTS, SCOPE, faultId);
  if (!f || f.healedAt !== undefined || f.endsAt === undefined) return;
  const now = env.clock.now();
  if (now >= f.endsAt) return void healFault(env, faultId);
  return f.endsAt - now;
};

/** Every volume fault of the region, healed ones included (their metrics go back to normal once). */
export const volumeFaults = (env: Env, region: string) => env.store.list<FaultRecord>(FAULTS, SCOPE).filter((f) => f.kind === 'volume' && f.region === region);

/** The volume pauses in a scope. */
const volumePauses = (env: Env, scope: Scope) => activeFaults(env).filter((f) => f.kind === 'volume' && f.account === scope.account && f.region === scope.region);

/** When the volume's I/O was paused, if it is now. */
export function pausedSince(env: Env, scope: Scope, volumeId: string): number | undefined {
  return volumePauses(env, scope).find((f) => f.target === volumeId)?.startedAt;
}

/** When the I/O of each of these volumes was paused, for those paused now. */
export function pausesOf(env: Env, scope: Scope, volumeIds: readonly string[]): number[] {
  const paused = volumePauses(env, scope);
  return paused.length ? paused.filter((f) => volumeIds.includes(f.target)).map((f) => f.startedAt) : [];
}

/** Checks that a volume's I/O can be paused: it exists in the account and region, and is attached. */
function checkPausable(env: Env, scope: Scope, volumeId: string): void {
  if (!/^vol-[0-9a-f]+$/.test(volumeId)) throw volumeNotFound(volumeId);
  const v: DeepReadonly<VolumeRecord> | undefined = env.store.get<VolumeRecord>(COLL.volumes, scope, volumeId);
  if (!v) throw volumeNotFound(volumeId);
  if (!v.Attachments.length) throw new AwsError('IncorrectState', `The volume '${volumeId}' is not attached to an instance: only an attached volume's I/O can be paused.`, 409);
  if (pausedSince(env, scope, volumeId) !== undefined) throw new AwsError('IncorrectState', `The volume '${volumeId}' already has its I/O paused.`, 409);
}

/** A comma-separated list (FIS's `operations`, `availabilityZoneIdentifiers`), each item trimmed. */
export const splitList = (s: string) => s.split(',').map((x) => x.trim());
const list = (s: string) => splitList(s).filter(Boolean);

function checkRate(rate: unknown): number {
  const r = rate === undefined ? 1 : rate;
  if (typeof r !== 'number' || !(r > 0 && r <= 1)) throw new AwsError('InvalidParameter', 'rate must be in (0, 1] (a percentage of 1 to 100, divided by 100)', 400);
  return r;
}

/** An optional list of names, each checked; undefined when absent or empty. */
function checkNames(field: string, names: unknown, ok: (s: string) => boolean, what: string): string[] | undefined {
  if (names === undefined) return undefined;
  if (!Array.isArray(names)) throw new AwsError('InvalidParameter', `${field} must be a list`, 400);
  const bad = names.find((n) => typeof n !== 'string' || !ok(n));
  if (bad !== undefined) throw new AwsError('InvalidParameter', `${field}: ${JSON.stringify(bad)} is not ${what}`, 400);
  return names.length ? [...new Set(names as string[])] : undefined;
}

/** Zone names or zone ids (`use1-az1`), all in one region, as zone names. */
function resolveZones(env: Env, target: string, region?: string): { region: string; zones: string[] } {
  const regions = region ? [region] : Object.keys(env.config.regions);
  const found = list(target).map((z) => {
    for (const r of regions) {
      const name = zoneNamed(env.config, r, z);
      if (name) return { region: r, name };
    }
    throw new AwsError('NotFound', `no availability zone ${z}${region ? ` in ${region}` : ''}`, 404);
  });
  if (!found.length) throw new AwsError('InvalidParameter', 'a capacity fault needs one or more availability zones', 400);
  if (new Set(found.map((k) => k.region)).size > 1) throw new AwsError('InvalidParameter', 'the zones of a capacity fault must be in one region', 400);
  return { region: found[0].region, zones: [...new Set(found.map((k) => k.name))] };
}

/** Whether the caller acts with credentials of one of these roles: a session of the role, in its account. */
function sessionOfAny(principal: Principal, roles: readonly string[]): boolean {
  const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(principal.arn);
  return !!m && roles.some((r) => {
    const role = ROLE_ARN.exec(r);
    return role?.[1] === m[1] && role[2] === m[2];
  });
}

/**
 * Counted, not random: of a fault's matching calls, exactly `rate` of them fail, the first one
 * included (at 50 %, the 1st, 3rd, 5th...), so a test or a drill sees the same failures every
 * run. The counts live in memory rather than in the store because the calls they count are
 * refused, and a refused call's writes are rolled back.
 */
const draws = new WeakMap<object, Map<string, number>>();
function draw(env: Env, f: FaultRecord): boolean {
  let counts = draws.get(env.store);
  if (!counts) draws.set(env.store, (counts = new Map()));
  const n = (counts.get(f.faultId) ?? 0) + 1;
  counts.set(f.faultId, n);
  const share = Math.round((f.rate ?? 1) * 1e6);
  return Math.ceil((n * share) / 1e6) > Math.ceil(((n - 1) * share) / 1e6);
}

/** The error an API fault makes this request fail with, if any. */
export function apiFault(env: Env, service: string, operation: string, caller: Principal, region: string): { code: string; status: number; message: string } | undefined {
  for (const f of activeFaults(env)) {
    if (f.kind !== 'api') continue;
    if (f.region !== '*' && f.region !== region) continue;
    if (f.target !== '*' && f.target !== service) continue;
    if (f.operation !== '*' && !list(f.operation ?? '*').includes(operation)) continue;
    if (f.roles && !sessionOfAny(caller, f.roles)) continue;
    if (draw(env, f)) return { code: f.errorCode!, ...API_ERRORS[f.errorCode!] };
  }
  return undefined;
}

/**
 * Whether a capacity fault refuses a launch of `type` in `zone`, which the caller then answers with
 * InsufficientInstanceCapacity: RunInstances or StartInstances by `caller` (faults for its role,
 * or for everyone), or a launch by Auto Scaling `group` of `account` (faults for that group; the group's own
 * RunInstances call then meets the faults for everyone, so none is counted twice).
 */
export function capacityRefused(env: Env, region: string, zone: string, type: string, by: { caller: Principal } | { account: string; group: string }): boolean {
  for (const f of activeFaults(env)) {
    if (f.kind !== 'capacity' || f.region !== region || !list(f.target).includes(zone)) continue;
    if (f.instanceTypes && !f.instanceTypes.includes(type)) continue;
    const hit = 'group' in by ? f.account === by.account && !!f.groups?.includes(by.group) : f.roles ? sessionOfAny(by.caller, f.roles) : !f.groups;
    if (hit && draw(env, f)) return true;
  }
  return false;
}
