/**
 * Route 53's records. Route 53 is global: its records are kept per account under region `global`
 * (the request context of a global service is already that scope).
 *
 * A record set's change reaches the name servers when its change is INSYNC (spec route53.md §1:
 * "generally within 60 seconds"; setting `route53PropagationSeconds`). Until then the API shows the
 * new set at once, but DNS answers the one before: each set keeps the version DNS serves
 * (`served`) beside the one the API shows (`rrset`), and a deleted set stays as a tombstone
 * (`rrset` undefined) until its change is INSYNC. The change loop then makes `served` the current
 * version and drops tombstones. Health checks keep each checker's latest observation and the
 * computed status that DNS answers read; nothing is probed at query time.
 */
import type { DeepReadonly, Scope, Store } from '../../core/store.ts';

export const COLL = {
  /** Keyed by zone id (`Z…`, without `/hostedzone/`). */
  zones: 'route53.zones',
  /** Keyed by `recordKey(zoneId, name, type, setIdentifier)`. */
  records: 'route53.records',
  /** Keyed by change id (`C…`, without `/change/`). */
  changes: 'route53.changes',
  /** Keyed by health check id (a UUID). */
  healthChecks: 'route53.healthChecks',
  /** The CallerReferences of deleted health checks, keyed by reference: they can't be used again for a while. */
  deletedHealthCheckRefs: 'route53.deletedHealthCheckRefs',
} as const;

/** The change loop, keyed `account/changeId`: a change becomes INSYNC and its sets are served. */
export const CHANGE_LOOP = 'route53.change';
/** The health check loop, keyed `account/healthCheckId`: one timer per check. */
export const HEALTH_CHECK_LOOP = 'route53.healthCheck';

const GLOBAL_REGION = 'global';
export const accountScope = (account: string): Scope => ({ account, region: GLOBAL_REGION });

/** A DNS name as Route 53 keeps it: lower case, with the trailing dot, `\052` for a leading `*`. */
export function canonicalName(name: string): string {
  let n = name.trim().toLowerCase().replace(/^\\052/, '*');
  if (!n.endsWith('.')) n += '.';
  return n;
}

export const recordKey = (zoneId: string, name: string, type: string, setIdentifier?: string): string =>
  JSON.stringify([zoneId, canonicalName(name), type, setIdentifier ?? null]);

export interface Tag {
  Key: string;
  Value?: string;
}

export interface HostedZoneRecord {
  Id: string;
  /** With the trailing dot, lower case. */
  Name: string;
  CallerReference: string;
  Config?: { Comment?: string; PrivateZone: boolean };
  /** Private zones: the VPCs the zone answers in. */
  vpcs: { VPCRegion: string; VPCId: string }[];
  /** The four name servers of the zone's delegation set (public zones). */
  nameServers: string[];
  tags: Tag[];
  createdAt: number;
}

/** A ResourceRecordSet in its wire shape. */
export interface ResourceRecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  Region?: string;
  GeoLocation?: { ContinentCode?: string; CountryCode?: string; SubdivisionCode?: string };
  Failover?: 'PRIMARY' | 'SECONDARY';
  MultiValueAnswer?: boolean;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
  HealthCheckId?: string;
}

export interface RecordSetRecord {
  key: string;
  zoneId: string;
  /** What the API shows; undefined for a set deleted by a change not yet INSYNC (a tombstone). */
  rrset?: ResourceRecordSet;
  /** What DNS answers now; undefined for a set created by a change not yet INSYNC. */
  served?: ResourceRecordSet;
  /** The change that made `rrset`, while it is PENDING. */
  pendingChange?: string;
}

export interface ChangeRecord {
  Id: string;
  Status: 'PENDING' | 'INSYNC';
  SubmittedAt: string;
  Comment?: string;
  /** When it becomes INSYNC (clock ms). */
  insyncAt: number;
  /** The record keys it changed, whose `served` version it updates when INSYNC. */
  recordKeys: string[];
}

/** One checker's latest result. */
export interface CheckerObservation {
  Region: string;
  IPAddress: string;
  ok: boolean;
  /** AWS's status text: `Success: HTTP Status Code 200, OK`, `Failure: Connection timed out. …`. */
  Status: string;
  /** ISO time. */
  CheckedTime: string;
}

export interface HealthCheckRecord {
  Id: string;
  CallerReference: string;
  /** The HealthCheckConfig in its wire shape. */
  HealthCheckConfig: Record<string, unknown> & { Type: string };
  HealthCheckVersion: number;
  tags: Tag[];
  /** Each checker's latest observation, and its latest failure (GetHealthCheckLastFailureReason). */
  observations: CheckerObservation[];
  lastFailures: CheckerObservation[];
  /** Each checker's view (aligned with `observations`): healthy or not, and how many results in a row disagree with it. */
  checkers: { healthy: boolean; streak: number }[];
  /** What the checks found, before Inverted and Disabled: more than 18% of checkers healthy, the children, or the alarm's metric. */
  measured: boolean;
  /** When the next check of an endpoint is due (clock ms). */
  nextCheckAt?: number;
  /** The computed status that DNS answers read (after Inverted and Disabled). */
  healthy: boolean;
  /** When `healthy` last changed (clock ms). */
  statusSince: number;
  createdAt: number;
}

type Read<T> = DeepReadonly<T>;

export const zone = (store: Store, account: string, id: string): Read<HostedZoneRecord> | undefined => store.get<HostedZoneRecord>(COLL.zones, accountScope(account), stripZonePrefix(id));
export const healthCheck = (store: Store, account: string, id: string): Read<HealthCheckRecord> | undefined => store.get<HealthCheckRecord>(COLL.healthChecks, accountScope(account), id);

/** `/hostedzone/Z123` and `Z123` name the same zone; SDKs strip the prefix, others send it. */
export const stripZonePrefix = (id: string): string => id.replace(/^\/?hostedzone\//, '');
