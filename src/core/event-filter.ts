/**
 * Which events a reader of the log wants: by kind (a type or its prefix: `ec2` takes
 * `ec2.status-check`), by resource (an id, name or ARN anywhere in the detail), and from a cloud
 * time on. The control API, its event stream and `faultline events` share it.
 */
import type { LoggedEvent } from './events.ts';

export interface EventFilter {
  kinds: string[];
  resource?: string;
  /** Cloud ms: events at or after it. */
  since?: number;
}

/** A filter from query parameters `kind` (repeatable or comma-separated), `resource` and `since` (ISO 8601). */
export function eventFilter(q: URLSearchParams): EventFilter {
  const kinds = q.getAll('kind').flatMap((k) => k.split(',')).map((k) => k.trim()).filter(Boolean);
  const since = q.get('since');
  const at = since === null ? undefined : Date.parse(since);
  if (at !== undefined && Number.isNaN(at)) throw new RangeError(`since must be a time in ISO 8601 (2026-12-01T10:00:00Z), not ${since}`);
  return { kinds, resource: q.get('resource') || undefined, since: at };
}

const mentions = (value: unknown, needle: string): boolean => {
  if (typeof value === 'string') return value === needle || value.endsWith(`/${needle}`) || value.endsWith(`:${needle}`);
  if (Array.isArray(value)) return value.some((v) => mentions(v, needle));
  if (value && typeof value === 'object') return Object.values(value).some((v) => mentions(v, needle));
  return false;
};

export function matches(e: LoggedEvent, f: EventFilter): boolean {
  if (f.kinds.length && !f.kinds.some((k) => e.type === k || e.type.startsWith(k + '.'))) return false;
  if (f.since !== undefined && Date.parse(e.time) < f.since) return false;
  if (f.resource && !mentions(e.detail, f.resource)) return false;
  return true;
}
