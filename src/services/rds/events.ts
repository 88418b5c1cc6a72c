/**
 * RDS events (spec rds.md §8): what DescribeEvents returns, with AWS's event ids, categories and
 * exact messages. Each is also written to faultline's event log as `rds.event`, and the instance
 * loop adds `rds.failover` and `rds.instance.health` there for drill timelines.
 */
import { pageOf } from '../../core/paging.ts';
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { rdsErrors } from './errors.ts';
import { COLL, type EventRecord } from './state.ts';

/** AWS's events by id: category and message (`{0}`, `{1}` are filled in). */
export const EVENTS = {
  'RDS-EVENT-0001': ['backup', 'Backing up DB instance.'],
  'RDS-EVENT-0002': ['backup', 'Finished DB instance backup.'],
  'RDS-EVENT-0003': ['deletion', 'DB instance deleted.'],
  'RDS-EVENT-0004': ['availability', 'DB instance shutdown.'],
  'RDS-EVENT-0005': ['creation', 'DB instance created.'],
  'RDS-EVENT-0006': ['availability', 'DB instance restarted.'],
  'RDS-EVENT-0013': ['failover', 'Multi-AZ instance failover started.'],
  'RDS-EVENT-0049': ['failover', 'Multi-AZ instance failover completed.'],
  'RDS-EVENT-0019': ['restoration', 'Restored from DB instance {0} to {1}.'],
  'RDS-EVENT-0020': ['recovery', 'Recovery of the DB instance has started. Recovery time will vary with the amount of data to be recovered.'],
  'RDS-EVENT-0021': ['recovery', 'Recovery of the DB instance is complete.'],
  'RDS-EVENT-0024': ['configuration change', 'Applying modification to convert to a Multi-AZ DB instance.'],
  'RDS-EVENT-0025': ['configuration change', 'Finished applying modification to convert to a Multi-AZ DB instance.'],
  'RDS-EVENT-0029': ['configuration change', 'Finished applying modification to convert to a standard (Single-AZ) DB instance.'],
  'RDS-EVENT-0030': ['configuration change', 'Applying modification to convert to a standard (Single-AZ) DB instance.'],
  'RDS-EVENT-0040': ['creation', 'Creating manual snapshot.'],
  'RDS-EVENT-0041': ['deletion', 'Deleted user snapshot.'],
  'RDS-EVENT-0042': ['creation', 'Manual snapshot created.'],
  'RDS-EVENT-0043': ['restoration', 'Restored from snapshot {0}.'],
  'RDS-EVENT-0052': ['recovery', 'Multi-AZ instance recovery started.'],
  'RDS-EVENT-0053': ['recovery', 'Multi-AZ instance recovery completed. Pending failover or activation.'],
  'RDS-EVENT-0087': ['notification', 'DB instance stopped.'],
  'RDS-EVENT-0088': ['notification', 'DB instance started.'],
  'RDS-EVENT-0090': ['creation', 'Creating automated snapshot.'],
  'RDS-EVENT-0091': ['creation', 'Automated snapshot created.'],
  'RDS-EVENT-0154': ['notification', 'DB instance is being started due to it exceeding the maximum allowed time being stopped.'],
} as const;
export type EventId = keyof typeof EVENTS;

/** The reasons for a failover that AWS writes to the event log (spec §3). */
export const FAILOVER_REASONS = {
  unhealthy: 'The primary host of the RDS Multi-AZ instance is unhealthy.',
  unreachable: 'The primary host of the RDS Multi-AZ instance is unreachable due to loss of network connectivity.',
  requested: 'The user requested a failover of the DB instance.',
};

export const messageOf = (id: EventId, ...args: string[]) => EVENTS[id][1].replace(/\{(\d)\}/g, (_, i) => args[Number(i)] ?? '');

type Source = Pick<EventRecord, 'SourceIdentifier' | 'SourceType' | 'SourceArn'>;

/** Logs an event of AWS's table, or (without an id) a failover reason, category `failover`. */
export function logEvent(env: Env, scope: Scope, source: Source, event: { id: EventId; args?: string[] } | { reason: string }): void {
  const seq = env.store.count(COLL.events, scope);
  const rec: EventRecord =
    'id' in event
      ? { ...source, Message: messageOf(event.id, ...(event.args ?? [])), EventCategories: [EVENTS[event.id][0]], Date: new Date(env.clock.now()).toISOString(), eventId: event.id }
      : { ...source, Message: event.reason, EventCategories: ['failover'], Date: new Date(env.clock.now()).toISOString() };
  env.store.put(COLL.events, scope, String(seq).padStart(10, '0'), rec);
  env.events.emit('rds.event', { account: scope.account, region: scope.region, source: rec.SourceIdentifier, sourceType: rec.SourceType, eventId: rec.eventId, message: rec.Message });
}

const SOURCE_TYPES = ['db-instance', 'db-parameter-group', 'db-security-group', 'db-snapshot', 'db-cluster', 'db-cluster-snapshot', 'custom-engine-version', 'db-proxy', 'blue-green-deployment', 'db-shard-group', 'zero-etl'];
const CATEGORIES: string[] = [...new Set<string>(Object.values(EVENTS).map(([c]) => c)), 'failure', 'low storage', 'maintenance', 'read replica'];

interface DescribeEventsInput {
  SourceIdentifier?: string;
  SourceType?: string;
  StartTime?: string | Date;
  EndTime?: string | Date;
  Duration?: number;
  EventCategories?: string[];
  Filters?: { Name: string; Values: string[] }[];
  Marker?: string;
  MaxRecords?: number;
}

const ms = (t: string | Date) => (t instanceof Date ? t.getTime() : Date.parse(t));

export const eventHandlers = {
  DescribeEvents(input: DescribeEventsInput, ctx: { env: Env } & Scope) {
    if (input.SourceType !== undefined && !SOURCE_TYPES.includes(input.SourceType)) throw rdsErrors.invalidValue(`Invalid source type: ${input.SourceType}`);
    if (input.SourceIdentifier !== undefined && input.SourceType === undefined) throw rdsErrors.invalidCombination('Cannot specify source identifier without source type');
    for (const c of input.EventCategories ?? []) if (!CATEGORIES.includes(c)) throw rdsErrors.invalidValue(`Invalid event category: ${c}`);
    const max = input.MaxRecords ?? 100;
    if (max < 20 || max > 100) throw rdsErrors.invalidValue(`Invalid value ${max} for MaxRecords. Must be between 20 and 100`);
    const now = ctx.env.clock.now();
    const end = input.EndTime !== undefined ? ms(input.EndTime) : now;
    const start = input.StartTime !== undefined ? ms(input.StartTime) : input.Duration !== undefined ? end - input.Duration * 60_000 : input.EndTime !== undefined ? end - 3_600_000 : now - 3_600_000;
    const id = input.SourceIdentifier?.toLowerCase();
    const events = ctx.env.store
      .list<EventRecord>(COLL.events, ctx)
      .filter((e) => {
        const at = Date.parse(e.Date);
        return at >= start && at <= end && (id === undefined || e.SourceIdentifier === id) && (input.SourceType === undefined || e.SourceType === input.SourceType);
      })
      .filter((e) => !input.EventCategories?.length || e.EventCategories.some((c) => input.EventCategories!.includes(c)))
      .map(({ eventId: _, ...wire }) => wire);
    const page = pageOf(events, input.Marker, max, () => rdsErrors.invalidValue('The marker is not valid.'));
    return { Events: page.items, Marker: page.next };
  },
  DescribeEventCategories(input: { SourceType?: string }) {
    const all = [...new Set(CATEGORIES)].sort();
    const types = input.SourceType ? [input.SourceType] : ['db-instance', 'db-snapshot', 'db-parameter-group'];
    return { EventCategoriesMapList: types.map((SourceType) => ({ SourceType, EventCategories: all })) };
  },
};
