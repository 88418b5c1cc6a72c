/**
 * Dedicated Hosts: AllocateHosts, DescribeHosts, ModifyHosts and ReleaseHosts. Each Dedicated Host
 * is one of the world's physical hosts (world/state.ts) reserved for the account: no other
 * instance lands on it (world/placement.ts), and a fault on that host is a fault on the Dedicated
 * Host, which DescribeHosts shows as `under-assessment` while it lasts. A host with HostRecovery
 * on is replaced when the first of its instances is recovered off it (launch-placement.ts): the
 * replacement, a new Dedicated Host on another world host, takes its settings and its instances,
 * and the failed one turns `permanent-failure`.
 * A Dedicated Host holds as many instances as its world host (`--host-capacity`), of any size.
 */
import { AwsError } from '../../core/errors.ts';
import { resourceId } from '../../core/ids.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { instanceTypeCatalogue } from '../../models/ec2-catalogue.ts';
import { hostLoad, OCCUPYING } from '../../world/placement.ts';
import { HOSTS, hostUsable, worldScope, type HostRecord } from '../../world/state.ts';
import type { Env, RequestContext } from '../service.ts';
import { applyFilters, paginate, type Filter, type Tag } from './filters.ts';
import { instanceType } from './instance-types.ts';
import { zoneId, zoneNamed } from './regions.provider.ts';
import { checkTagTypes, iso } from './scoped.ts';
import { COLL, type InstanceRecord } from './state.ts';
import { tagsFor } from './tags.ts';

export const DEDICATED_HOSTS = 'ec2.hosts';

type OnOff = 'on' | 'off';

export interface DedicatedHostRecord {
  HostId: string;
  OwnerId: string;
  AvailabilityZone: string;
  AvailabilityZoneId: string;
  AutoPlacement: OnOff;
  HostRecovery: OnOff;
  HostMaintenance: OnOff;
  AllowsMultipleInstanceTypes: OnOff;
  /** InstanceType for a host of one type, InstanceFamily for a host of any size of a family. */
  HostProperties: { InstanceType?: string; InstanceFamily?: string; Cores: number; Sockets: number; TotalVCpus: number };
  AllocationTime: string;
  ReleaseTime?: string;
  ClientToken?: string;
  /** What the host is, apart from a fault on its world host (which shows as `under-assessment`). */
  State: 'available' | 'permanent-failure' | 'released' | 'released-permanent-failure';
  Tags: Tag[];
  /** Internal: the world host it is. */
  worldHostId: string;
  /** Internal: the failed host this one replaced (host recovery). */
  replaces?: string;
}

const familyOf = (type: string) => type.slice(0, type.indexOf('.'));
const familyTypes = (family: string) => instanceTypeCatalogue().types.filter((t) => familyOf(t.InstanceType) === family);

/** Whether a host may run an instance of `type`. */
export const hostFits = (h: DeepReadonly<DedicatedHostRecord>, type: string) =>
  h.HostProperties.InstanceType ? h.HostProperties.InstanceType === type : h.HostProperties.InstanceFamily === familyOf(type);

/** The state DescribeHosts shows: a live host whose world host has failed is under assessment. */
export function hostState(env: Env, region: string, h: DeepReadonly<DedicatedHostRecord>): string {
  return h.State === 'available' && !hostUsable(env, region, h.worldHostId) ? 'under-assessment' : h.State;
}

export const hostNotFound = (id: string) => new AwsError('InvalidHostID.NotFound', `The host ID '${id}' does not exist`);

function checkHostId(id: string): void {
  if (!/^h-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) throw new AwsError('InvalidHostID.Malformed', `Invalid id: "${id}" (expecting "h-...")`);
}

/** The account's Dedicated Host by id, for a launch that names it. */
export function requireDedicatedHost(ctx: Pick<RequestContext, 'env' | 'account' | 'region'>, id: string): DedicatedHostRecord {
  checkHostId(id);
  const h = ctx.env.store.get<DedicatedHostRecord>(DEDICATED_HOSTS, ctx, id) as DedicatedHostRecord | undefined;
  if (!h) throw hostNotFound(id);
  return h;
}

/** The account's live Dedicated Hosts in `zone` that accept untargeted launches of `type` (auto-placement on). */
export const autoPlacementHosts = (env: Env, scope: Scope, zone: string, type: string) =>
  (env.store.list<DedicatedHostRecord>(DEDICATED_HOSTS, scope) as DedicatedHostRecord[]).filter(
    (h) => h.State === 'available' && h.AvailabilityZone === zone && h.AutoPlacement === 'on' && hostFits(h, type),
  );

/** Free world hosts in `zone`: usable, reserved by nobody and running nothing. */
function freeWorldHosts(env: Env, region: string, zone: string): HostRecord[] {
  const load = hostLoad(env, region);
  return env.store
    .list<HostRecord>(HOSTS, worldScope(region))
    .filter((h) => h.zone === zone && h.dedicatedHostId === undefined && !load.get(h.hostId) && hostUsable(env, region, h.hostId)) as HostRecord[];
}

function reserve(env: Env, region: string, worldHostId: string, dedicatedHostId: string | undefined): void {
  const w = env.store.mutable<HostRecord>(HOSTS, worldScope(region), worldHostId)!;
  w.dedicatedHostId = dedicatedHostId;
  env.store.put(HOSTS, worldScope(region), worldHostId, w);
}

/** Host properties for a type or a family: the world host's capacity in instances of that size (the family's largest). */
function propertiesFor(env: Env, type: string | undefined, family: string | undefined): DedicatedHostRecord['HostProperties'] {
  const vcpus = type ? instanceType(type)!.vcpus : Math.max(...familyTypes(family!).map((t) => t.VCpuInfo.DefaultVCpus));
  const total = vcpus * env.config.hostCapacity;
  return { ...(type ? { InstanceType: type } : { InstanceFamily: family }), Sockets: 2, Cores: Math.max(1, Math.floor(total / 2)), TotalVCpus: total };
}

type Settings = Omit<DedicatedHostRecord, 'HostId' | 'worldHostId' | 'AllocationTime' | 'State' | 'ReleaseTime' | 'replaces'>;

function newHost(env: Env, scope: Scope, worldHostId: string, like: Settings, replaces?: string): DedicatedHostRecord {
  const host: DedicatedHostRecord = { ...like, HostId: resourceId('h'), AllocationTime: iso(env.clock.now()), State: 'available', worldHostId, ...(replaces ? { replaces } : {}) };
  reserve(env, scope.region, worldHostId, host.HostId);
  env.store.put(DEDICATED_HOSTS, scope, host.HostId, host);
  return host;
}

/**
 * Host recovery: a replacement for a failed Dedicated Host, with its settings and tags, on a free
 * world host of its zone; the failed host turns `permanent-failure`. Undefined when the zone has
 * no free host (recovery then fails, as AWS's does without capacity).
 */
export function replaceFailedHost(env: Env, scope: Scope, failed: DeepReadonly<DedicatedHostRecord>): DedicatedHostRecord | undefined {
  const free = freeWorldHosts(env, scope.region, failed.AvailabilityZone)[0];
  if (!free) return undefined;
  const { HostId: _id, worldHostId: _w, AllocationTime: _t, State: _s, ReleaseTime: _r, replaces: _p, ...settings } = structuredClone(failed) as DedicatedHostRecord;
  const replacement = newHost(env, scope, free.hostId, settings, failed.HostId);
  const old = env.store.mutable<DedicatedHostRecord>(DEDICATED_HOSTS, scope, failed.HostId)!;
  old.State = 'permanent-failure';
  env.store.put(DEDICATED_HOSTS, scope, old.HostId, old);
  env.events.emit('ec2.host-replaced', { account: scope.account, region: scope.region, hostId: failed.HostId, replacement: replacement.HostId });
  return replacement;
}

/** The instances running on a Dedicated Host (what holds its capacity). */
const instancesOn = (ctx: RequestContext, h: DeepReadonly<DedicatedHostRecord>) =>
  ctx.env.store.list<InstanceRecord>(COLL.instances, ctx).filter((i) => i.hostId === h.worldHostId && OCCUPYING.has(i.State.Name));

function onOff(name: string, v: string | undefined, code: string): OnOff | undefined {
  if (v !== undefined && v !== 'on' && v !== 'off') throw new AwsError(code, `Value (${v}) for parameter ${name} is invalid. Valid values are on, off.`);
  return v as OnOff | undefined;
}

/** The type or family a host is for: exactly one of them, known to the catalogue. */
function checkTypeOrFamily(type: string | undefined, family: string | undefined): void {
  if (type !== undefined && family !== undefined) throw new AwsError('InvalidParameterCombination', 'Specify either instanceType or instanceFamily, not both.');
  if (type === undefined && family === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter instanceType or instanceFamily');
  if (type !== undefined && !instanceType(type)) throw new AwsError('InvalidParameterValue', `Invalid value '${type}' for InstanceType.`);
  if (family !== undefined && !familyTypes(family).length) throw new AwsError('InvalidInstanceFamily', `The instance family '${family}' is not supported.`);
}

type TagSpecs = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];
type Unsuccessful = { ResourceId: string; Error: { Code: string; Message: string } };

export const hostHandlers = {
  AllocateHosts(
    input: {
      AvailabilityZone?: string;
      AvailabilityZoneId?: string;
      InstanceType?: string;
      InstanceFamily?: string;
      Quantity?: number;
      AutoPlacement?: string;
      HostRecovery?: string;
      HostMaintenance?: string;
      ClientToken?: string;
      TagSpecifications?: TagSpecs;
    },
    ctx: RequestContext,
  ) {
    const { env } = ctx;
    if (input.ClientToken) {
      const same = env.store.list<DedicatedHostRecord>(DEDICATED_HOSTS, ctx).filter((h) => h.ClientToken === input.ClientToken);
      if (same.length) return { HostIds: same.map((h) => h.HostId) };
    }
    const named = input.AvailabilityZone ?? input.AvailabilityZoneId;
    if (named === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter availabilityZone');
    const zone = zoneNamed(env.config, ctx.region, named);
    if (!zone) throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${named}]`);
    checkTypeOrFamily(input.InstanceType, input.InstanceFamily);
    const quantity = input.Quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1) throw new AwsError('InvalidQuantity', `The quantity of Dedicated Hosts (${quantity}) is invalid. Specify a quantity of 1 or more.`);
    const autoPlacement = onOff('autoPlacement', input.AutoPlacement, 'InvalidAutoPlacement') ?? 'on';
    const recovery = onOff('hostRecovery', input.HostRecovery, 'InvalidParameterValue') ?? 'off';
    const maintenance = onOff('hostMaintenance', input.HostMaintenance, 'InvalidParameterValue') ?? 'on';
    checkTagTypes(input.TagSpecifications, ['dedicated-host']);
    const tags = tagsFor(input.TagSpecifications, 'dedicated-host');
    const free = freeWorldHosts(env, ctx.region, zone);
    if (free.length < quantity) {
      throw new AwsError('InsufficientHostCapacity', 'There is not enough capacity to fulfill your Dedicated Host request. Reduce the number of Dedicated Hosts in your request, or wait for additional capacity to become available.', 500, false);
    }
    const settings = {
      OwnerId: ctx.account,
      AvailabilityZone: zone,
      AvailabilityZoneId: zoneId(ctx.region, zone.slice(ctx.region.length)),
      AutoPlacement: autoPlacement,
      HostRecovery: recovery,
      HostMaintenance: maintenance,
      AllowsMultipleInstanceTypes: (input.InstanceFamily ? 'on' : 'off') as OnOff,
      HostProperties: propertiesFor(env, input.InstanceType, input.InstanceFamily),
      ...(input.ClientToken ? { ClientToken: input.ClientToken } : {}),
      Tags: tags,
    };
    return { HostIds: free.slice(0, quantity).map((w) => newHost(env, ctx, w.hostId, settings).HostId) };
  },

  DescribeHosts(input: { HostIds?: string[]; Filter?: Filter[]; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    if (input.HostIds?.length && input.MaxResults !== undefined) throw new AwsError('InvalidParameterCombination', 'The parameter hostSet cannot be used with the parameter maxResults');
    let pool = ctx.env.store.list<DedicatedHostRecord>(DEDICATED_HOSTS, ctx) as DedicatedHostRecord[];
    if (input.HostIds?.length) pool = [...new Set(input.HostIds)].map((id) => requireDedicatedHost(ctx, id));
    const capacity = ctx.env.config.hostCapacity;
    const hosts = pool.map((rec) => {
      const { worldHostId: _w, replaces: _r, ...h } = rec;
      const released = h.State === 'released' || h.State === 'released-permanent-failure';
      const on = released ? [] : instancesOn(ctx, rec);
      const free = Math.max(0, capacity - on.length);
      const types = h.HostProperties.InstanceType ? [h.HostProperties.InstanceType] : familyTypes(h.HostProperties.InstanceFamily!).map((t) => t.InstanceType);
      return {
        ...h,
        State: hostState(ctx.env, ctx.region, rec),
        Instances: on.map((i) => ({ InstanceId: i.InstanceId, InstanceType: i.InstanceType, OwnerId: i.ownerId })),
        AvailableCapacity: {
          AvailableInstanceCapacity: types.map((InstanceType) => ({ InstanceType, AvailableCapacity: free, TotalCapacity: capacity })),
          AvailableVCpus: Math.round((h.HostProperties.TotalVCpus * free) / capacity),
        },
      };
    });
    const filtered = applyFilters(hosts, input.Filter, {
      'auto-placement': (h) => h.AutoPlacement,
      'availability-zone': (h) => h.AvailabilityZone,
      'client-token': (h) => h.ClientToken,
      'host-reservation-id': () => undefined,
      'instance-type': (h) => h.HostProperties.InstanceType,
      state: (h) => h.State,
    });
    const { page, NextToken } = paginate(filtered, input.MaxResults, input.NextToken, 5, 500);
    return { Hosts: page, NextToken };
  },

  ModifyHosts(input: { HostIds: string[]; AutoPlacement?: string; HostRecovery?: string; HostMaintenance?: string; InstanceType?: string; InstanceFamily?: string }, ctx: RequestContext) {
    const autoPlacement = onOff('autoPlacement', input.AutoPlacement, 'InvalidAutoPlacement');
    const recovery = onOff('hostRecovery', input.HostRecovery, 'InvalidParameterValue');
    const maintenance = onOff('hostMaintenance', input.HostMaintenance, 'InvalidParameterValue');
    const retype = input.InstanceType !== undefined || input.InstanceFamily !== undefined;
    if (retype) checkTypeOrFamily(input.InstanceType, input.InstanceFamily);
    const Successful: string[] = [];
    const Unsuccessful: Unsuccessful[] = [];
    for (const id of [...new Set(input.HostIds)]) {
      const h = /^h-[0-9a-f]+$/.test(id) ? ctx.env.store.mutable<DedicatedHostRecord>(DEDICATED_HOSTS, ctx, id) : undefined;
      if (!h) {
        Unsuccessful.push({ ResourceId: id, Error: { Code: 'Client.InvalidHostID.NotFound', Message: `The host ID '${id}' does not exist` } });
        continue;
      }
      if (h.State !== 'available') {
        Unsuccessful.push({ ResourceId: id, Error: { Code: 'Client.InvalidHostState', Message: `Dedicated host '${id}' is in state ${h.State} and cannot be modified.` } });
        continue;
      }
      if (retype && instancesOn(ctx, h).length) {
        Unsuccessful.push({ ResourceId: id, Error: { Code: 'Client.InvalidHost.Occupied', Message: `Dedicated host '${id}' cannot change its instance type as it is occupied.` } });
        continue;
      }
      if (autoPlacement) h.AutoPlacement = autoPlacement;
      if (recovery) h.HostRecovery = recovery;
      if (maintenance) h.HostMaintenance = maintenance;
      if (retype) {
        h.HostProperties = propertiesFor(ctx.env, input.InstanceType, input.InstanceFamily);
        h.AllowsMultipleInstanceTypes = input.InstanceFamily ? 'on' : 'off';
      }
      ctx.env.store.put(DEDICATED_HOSTS, ctx, id, h);
      Successful.push(id);
    }
    return { Successful, Unsuccessful };
  },

  /** A host with instances on it is refused (AWS's `Client.InvalidHost.Occupied`); released hosts stay visible. */
  ReleaseHosts(input: { HostIds: string[] }, ctx: RequestContext) {
    const Successful: string[] = [];
    const Unsuccessful: Unsuccessful[] = [];
    for (const id of [...new Set(input.HostIds)]) {
      const h = /^h-[0-9a-f]+$/.test(id) ? ctx.env.store.mutable<DedicatedHostRecord>(DEDICATED_HOSTS, ctx, id) : undefined;
      if (!h || h.State === 'released' || h.State === 'released-permanent-failure') {
        Unsuccessful.push({ ResourceId: id, Error: { Code: 'Client.InvalidHostID.NotFound', Message: `The host ID '${id}' does not exist` } });
        continue;
      }
      if (instancesOn(ctx, h).length) {
        Unsuccessful.push({ ResourceId: id, Error: { Code: 'Client.InvalidHost.Occupied', Message: `Dedicated host '${id}' cannot be released as it is occupied.` } });
        continue;
      }
      h.State = h.State === 'permanent-failure' ? 'released-permanent-failure' : 'released';
      h.ReleaseTime = iso(ctx.env.clock.now());
      ctx.env.store.put(DEDICATED_HOSTS, ctx, id, h);
      reserve(ctx.env, ctx.region, h.worldHostId, undefined);
      Successful.push(id);
    }
    return { Successful, Unsuccessful };
  },
};
