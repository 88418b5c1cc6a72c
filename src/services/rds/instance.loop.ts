/**
 * The instance loop (`INSTANCE_LOOP`, one timer per DB instance, keyed `account/region/id`):
 *  - ends each timed status when its time is up (`statusUntil`), with AWS's events (spec rds.md
 *    §2, §3, §5, §8): creating → backing-up (the first automated snapshot) → available; modifying,
 *    rebooting (with or without failover), stopping → stopped (RDS starts it after seven days),
 *    starting, deleting (after the final snapshot);
 *  - with backups on, takes the daily automated backup when the PreferredBackupWindow opens
 *    (`backing-up`, RDS-EVENT-0001 and 0002), if the instance is `available` then or later in the
 *    window, and deletes the automated snapshots the retention no longer needs;
 *  - watches the world every `rdsHealthCheckSeconds` (on multiples of it, so times are
 *    predictable) while the instance is up: when the primary's host or zone fails, a Multi-AZ
 *    instance with a usable standby fails over (status `rebooting` for `rdsFailoverSeconds`,
 *    RDS-EVENT-0013 and the reason, then 0049 and 0006, the AZs swapped, the endpoint's name kept,
 *    its address inside the VPC moved to the new primary's subnet); any
 *    other is unavailable (`engine.running` false, status unchanged) until its zone heals
 *    (RDS-EVENT-0006), or, when only its host failed, until RDS moves it to new compute in its
 *    zone after `rdsSingleAzRecoverySeconds` (0020, 0021). A standby whose host or zone is lost
 *    is replaced in another zone after `rdsStandbyRecoverySeconds` (0052, 0053).
 * Failovers and outages also go into faultline's event log (`rds.failover`, `rds.instance.health`)
 * for drill timelines.
 */
import type { Scope } from '../../core/store.ts';
import { HOSTS, hostHealthy, worldScope, zoneHealthy, type HostRecord } from '../../world/state.ts';
import type { Env } from '../service.ts';
import { FAILOVER_REASONS, logEvent, type EventId } from './events.ts';
import { endpointOf, forgetInstance, instanceSource, saveInstance, startInstance } from './instances.ts';
import { queueMetrics } from './metrics.ts';
import { placeInterface } from './network-interface.ts';
import { placeCopy } from './placement.ts';
import { automatedName, deleteAutomatedBackups, takeSnapshot } from './snapshots.ts';
import { COLL, parseScopedKey, type DBInstanceRecord, type DBSnapshotRecord, type Placement, type SubnetGroupRecord } from './state.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const SEVEN_DAYS_MS = 7 * DAY_MS;
const iso = (ms: number) => new Date(ms).toISOString();

/** Why a copy cannot serve, if it cannot: its zone or host without power or network. */
function downBecause(env: Env, region: string, p: Placement | undefined): keyof typeof FAILOVER_REASONS | undefined {
  if (!p) return 'unhealthy';
  if (!zoneHealthy(env, region, p.zone)) return 'unreachable';
  const h = env.store.get<HostRecord>(HOSTS, worldScope(region), p.host);
  if (!h) return 'unhealthy';
  if (hostHealthy(h)) return undefined;
  return h.power === 'off' ? 'unhealthy' : 'unreachable';
}
const usable = (env: Env, region: string, p: Placement | undefined) => p !== undefined && downBecause(env, region, p) === undefined;

export const instanceLoop = (env: Env) => (key: string): number | void => {
  const { scope, id } = parseScopedKey(key);
  const i = env.store.mutable<DBInstanceRecord>(COLL.instances, scope, id);
  if (!i) return;
  const now = env.clock.now();
  const ev = (e: { id: EventId; args?: string[] } | { reason: string }) => logEvent(env, scope, instanceSource(scope, id), e);
  const due = i.statusUntil !== undefined && now >= i.statusUntil;
  if (due) {
    i.statusUntil = undefined;
    switch (i.DBInstanceStatus) {
      case 'creating':
        created(env, scope, i, now, ev);
        break;
      case 'backing-up':
        ev({ id: 'RDS-EVENT-0002' });
        i.DBInstanceStatus = 'available';
        break;
      case 'modifying':
        if (!modified(env, scope, i, now, ev)) i.statusUntil = now + env.config.rdsHealthCheckSeconds * 1000;
        break;
      case 'rebooting':
        if (i.failover) failedOver(env, scope, i, ev);
        else {
          ev({ id: 'RDS-EVENT-0006' });
          i.DBInstanceStatus = 'available';
          i.engine.running = usable(env, scope.region, i.placement.primary);
        }
        break;
      case 'stopping':
        i.DBInstanceStatus = 'stopped';
        i.statusUntil = now + SEVEN_DAYS_MS;
        ev({ id: 'RDS-EVENT-0087' });
        break;
      case 'stopped':
        ev({ id: 'RDS-EVENT-0154' });
        startInstance(env, scope, i);
        break;
      case 'starting':
        i.DBInstanceStatus = 'available';
        i.engine.running = usable(env, scope.region, i.placement.primary);
        ev({ id: 'RDS-EVENT-0088' });
        break;
      case 'deleting':
        return deleted(env, scope, i, ev);
    }
  }
  if (i.DBInstanceStatus === 'available' || i.DBInstanceStatus === 'backing-up') watch(env, scope, i, now, ev);
  // The window opens on a minute, so on a health check's beat (the loop's wake-up while `available`).
  if (i.DBInstanceStatus === 'available' && i.BackupRetentionPeriod > 0 && backupDue(i, now)) backUp(env, scope, i, now, ev);
  saveInstance(env, scope, i);
  const poll = env.config.rdsHealthCheckSeconds * 1000;
  const watching = ['available', 'backing-up', 'modifying', 'rebooting', 'starting'].includes(i.DBInstanceStatus);
  const deadlines = [i.statusUntil, i.outage?.recoveryUntil, i.standbyRecoveryUntil].filter((t): t is number => t !== undefined && t > now).map((t) => t - now);
  if (!watching) return i.statusUntil !== undefined ? Math.max(0, i.statusUntil - now) : undefined;
  // Recoveries end at their own time; the world is looked at on the health check's beat.
  return Math.min(...deadlines, poll - (now % poll));
};

type Ev = (e: { id: EventId; args?: string[] } | { reason: string }) => void;

function created(env: Env, scope: Scope, i: DBInstanceRecord, now: number, ev: Ev): void {
  i.Endpoint = endpointOf(scope, i);
  i.InstanceCreateTime = iso(now);
  i.engine.running = usable(env, scope.region, i.placement.primary);
  if (i.createdEvent) ev({ id: i.createdEvent.eventId as EventId, args: i.createdEvent.eventId === 'RDS-EVENT-0019' ? [i.createdEvent.message, i.DBInstanceIdentifier] : [i.createdEvent.message] });
  else ev({ id: 'RDS-EVENT-0005' });
  i.createdEvent = undefined;
  queueMetrics(env, scope, i.DBInstanceIdentifier);
  // The first backup (spec §2): a full automated snapshot, taken from the standby on Multi-AZ.
  if (i.BackupRetentionPeriod > 0) backUp(env, scope, i, now, ev);
  else i.DBInstanceStatus = 'available';
}

/**
 * An automated backup: `backing-up` while its snapshot is taken (RDS-EVENT-0001, then 0002); the
 * automated snapshots the retention no longer needs go.
 */
function backUp(env: Env, scope: Scope, i: DBInstanceRecord, now: number, ev: Ev): void {
  i.DBInstanceStatus = 'backing-up';
  i.statusUntil = now + env.config.rdsBackupSeconds * 1000;
  i.lastBackupAt = now;
  ev({ id: 'RDS-EVENT-0001' });
  takeSnapshot(env, scope, i, automatedName(i.DBInstanceIdentifier, now), 'automated', env.config.rdsBackupSeconds * 1000);
  pruneAutomatedBackups(env, scope, i, now);
}

/** Whether the backup window (`hh24:mi-hh24:mi`, UTC) is open and no backup was started since it opened. */
export function backupDue(i: Pick<DBInstanceRecord, 'PreferredBackupWindow' | 'lastBackupAt'>, now: number): boolean {
  const [start, end] = i.PreferredBackupWindow.split('-').map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5)));
  let opened = Math.floor(now / DAY_MS) * DAY_MS + start * MINUTE_MS;
  if (opened > now) opened -= DAY_MS;
  const length = (((end - start) % 1440) + 1440) % 1440 * MINUTE_MS;
  return now < opened + length && (i.lastBackupAt === undefined || i.lastBackupAt < opened);
}

/**
 * Deletes the automated snapshots older than the retention period, but for the newest of them
 * taken at or before its start: the earliest restorable time restores from that one.
 */
function pruneAutomatedBackups(env: Env, scope: Scope, i: DBInstanceRecord, now: number): void {
  const cutoff = now - i.BackupRetentionPeriod * DAY_MS;
  const mine = env.store.list<DBSnapshotRecord>(COLL.snapshots, scope).filter((s) => s.SnapshotType === 'automated' && s.DbiResourceId === i.DbiResourceId);
  const base = Math.max(...mine.filter((s) => s.takenAt <= cutoff).map((s) => s.takenAt));
  for (const s of mine) if (s.takenAt < base) env.store.delete(COLL.snapshots, scope, s.DBSnapshotIdentifier);
}

/**
 * Applies a ModifyDBInstance; false while a new standby has nowhere to go (it tries again).
 * Backups turned on take one at once; turned off, the automated backups go (spec §5).
 */
function modified(env: Env, scope: Scope, i: DBInstanceRecord, now: number, ev: Ev): boolean {
  const m = i.modifying ?? {};
  if (m.MultiAZ === true && !i.placement.standby) {
    const group = env.store.get<SubnetGroupRecord>(COLL.subnetGroups, scope, i.DBSubnetGroupName);
    const standby = group && placeCopy(env, scope.region, group, { avoidZone: i.placement.primary?.zone });
    if (!standby) return false;
    i.placement.standby = standby;
    i.SecondaryAvailabilityZone = standby.zone;
  }
  if (m.MultiAZ === false) {
    i.placement.standby = undefined;
    i.SecondaryAvailabilityZone = undefined;
    i.standbyRecoveryUntil = undefined;
  }
  if (m.MultiAZ !== undefined) i.MultiAZ = m.MultiAZ;
  if (m.DBInstanceClass !== undefined) i.DBInstanceClass = m.DBInstanceClass;
  if (m.EngineVersion !== undefined) i.EngineVersion = m.EngineVersion;
  if (m.AllocatedStorage !== undefined) i.AllocatedStorage = m.AllocatedStorage;
  if (m.BackupRetentionPeriod !== undefined) i.BackupRetentionPeriod = m.BackupRetentionPeriod;
  if (m.BackupRetentionPeriod === 0) {
    deleteAutomatedBackups(env, scope, i);
    i.restorableFrom = undefined;
  }
  if (m.DBParameterGroupName !== undefined) i.DBParameterGroups = [{ DBParameterGroupName: m.DBParameterGroupName, ParameterApplyStatus: 'in-sync' }];
  i.modifying = undefined;
  i.PendingModifiedValues = {};
  i.DBInstanceStatus = 'available';
  i.engine.running = usable(env, scope.region, i.placement.primary);
  if (m.MultiAZ === true) ev({ id: 'RDS-EVENT-0025' });
  if (m.MultiAZ === false) ev({ id: 'RDS-EVENT-0029' });
  if (m.BackupRetentionPeriod) backUp(env, scope, i, now, ev);
  return true;
}

/** The end of a failover: the standby is the primary, in its zone, behind the same endpoint address. */
function failedOver(env: Env, scope: Scope, i: DBInstanceRecord, ev: Ev): void {
  const f = i.failover!;
  const old = i.placement.primary;
  const next = i.placement.standby ?? old;
  i.placement = { primary: next, ...(old && old !== next ? { standby: old } : {}) };
  i.AvailabilityZone = next?.zone;
  i.SecondaryAvailabilityZone = old && old !== next ? old.zone : undefined;
  // Inside the VPC the name now answers an address of the new primary's subnet (the old one's is kept if that subnet is full).
  if (next) placeInterface(env, scope, i, next.subnetId);
  i.failover = undefined;
  i.DBInstanceStatus = 'available';
  i.engine.running = usable(env, scope.region, next);
  ev({ id: 'RDS-EVENT-0049' });
  if (f.requested) ev({ reason: FAILOVER_REASONS.requested });
  ev({ id: 'RDS-EVENT-0006' });
  env.events.emit('rds.failover', { account: scope.account, region: scope.region, instance: i.DBInstanceIdentifier, phase: 'completed', from: old?.zone, to: next?.zone, reason: f.reason });
}

function deleted(env: Env, scope: Scope, i: DBInstanceRecord, ev: Ev): number | void {
  // With a final snapshot, the instance stays `deleting` until the snapshot is done (spec §2).
  const snap = i.finalSnapshot ? env.store.get<DBSnapshotRecord>(COLL.snapshots, scope, i.finalSnapshot) : undefined;
  if (snap?.Status === 'creating') return Math.max(1000, (snap.readyAt ?? 0) - env.clock.now());
  ev({ id: 'RDS-EVENT-0003' });
  forgetInstance(env, scope, i);
}

/** Looks at the world: fails over, marks an outage, recovers, or replaces a lost standby. */
function watch(env: Env, scope: Scope, i: DBInstanceRecord, now: number, ev: Ev): void {
  const region = scope.region;
  const why = downBecause(env, region, i.placement.primary);
  const standbyOk = i.MultiAZ && usable(env, region, i.placement.standby);
  const health = (to: 'unhealthy' | 'healthy') => env.events.emit('rds.instance.health', { account: scope.account, region, instance: i.DBInstanceIdentifier, to, zone: i.placement.primary?.zone, host: i.placement.primary?.host });
  if (why && standbyOk) {
    if (!i.outage) health('unhealthy');
    i.outage = undefined;
    i.DBInstanceStatus = 'rebooting';
    i.engine.running = false;
    i.failover = { reason: why, requested: false, until: now + env.config.rdsFailoverSeconds * 1000 };
    i.statusUntil = i.failover.until;
    ev({ id: 'RDS-EVENT-0013' });
    ev({ reason: FAILOVER_REASONS[why] });
    env.events.emit('rds.failover', { account: scope.account, region, instance: i.DBInstanceIdentifier, phase: 'started', from: i.placement.primary?.zone, to: i.placement.standby?.zone, reason: why });
    return;
  }
  if (why) return outage(env, scope, i, now, ev, health);
  if (i.outage) {
    // Back on its own storage: restarted where it was, or on the new compute RDS moved it to.
    ev({ id: i.outage.recoveryUntil !== undefined ? 'RDS-EVENT-0021' : 'RDS-EVENT-0006' });
    i.outage = undefined;
    i.engine.running = true;
    health('healthy');
  }
  if (i.MultiAZ) standbyCare(env, scope, i, now, ev);
}

function outage(env: Env, scope: Scope, i: DBInstanceRecord, now: number, ev: Ev, health: (to: 'unhealthy' | 'healthy') => void): void {
  const primary = i.placement.primary!;
  if (!i.outage) {
    i.outage = { since: now };
    i.engine.running = false;
    health('unhealthy');
  }
  // Only the host is lost: RDS moves the instance to new compute in the same zone, on the same storage (spec §4).
  if (!zoneHealthy(env, scope.region, primary.zone)) return;
  if (i.outage.recoveryUntil === undefined) {
    i.outage.recoveryUntil = now + env.config.rdsSingleAzRecoverySeconds * 1000;
    ev({ id: 'RDS-EVENT-0020' });
    return;
  }
  if (now < i.outage.recoveryUntil) return;
  const group = env.store.get<SubnetGroupRecord>(COLL.subnetGroups, scope, i.DBSubnetGroupName);
  const moved = group && placeCopy(env, scope.region, group, { zone: primary.zone, avoidHost: primary.host });
  if (!moved) return;
  i.placement.primary = { ...moved, subnetId: primary.subnetId };
  i.outage = undefined;
  i.engine.running = true;
  ev({ id: 'RDS-EVENT-0021' });
  health('healthy');
}

/** A lost standby is rebuilt in another zone of the subnet group (spec §3 suggestion). */
function standbyCare(env: Env, scope: Scope, i: DBInstanceRecord, now: number, ev: Ev): void {
  const ok = usable(env, scope.region, i.placement.standby);
  if (i.standbyRecoveryUntil === undefined) {
    if (ok) return;
    i.standbyRecoveryUntil = now + env.config.rdsStandbyRecoverySeconds * 1000;
    ev({ id: 'RDS-EVENT-0052' });
    return;
  }
  if (now < i.standbyRecoveryUntil) return;
  if (!ok) {
    const group = env.store.get<SubnetGroupRecord>(COLL.subnetGroups, scope, i.DBSubnetGroupName);
    const standby = group && placeCopy(env, scope.region, group, { avoidZone: i.placement.primary?.zone });
    if (!standby) return;
    i.placement.standby = standby;
    i.SecondaryAvailabilityZone = standby.zone;
  }
  i.standbyRecoveryUntil = undefined;
  ev({ id: 'RDS-EVENT-0053' });
}
