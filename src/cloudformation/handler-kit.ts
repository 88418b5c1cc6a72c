/**
 * Small helpers that resource handlers share: tags, booleans, attribute tables, and deletion
 * that tolerates a resource already gone or still held by something being deleted.
 */
import { AwsError } from '../core/errors.ts';
import { AttributeError, DONE, wait, type Progress, type ResourceState } from './resource-handler.ts';
import { own } from '../core/own.ts';

export type Tag = { Key: string; Value: string };

export const tagsOf = (v: unknown): Tag[] => (Array.isArray(v) ? (v as Tag[]).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? '') })) : []);

/** EC2's TagSpecifications for a create call; none when the template gives no tags. */
export function tagSpec(resourceType: string, tags: unknown): { ResourceType: string; Tags: Tag[] }[] | undefined {
  const t = tagsOf(tags);
  return t.length ? [{ ResourceType: resourceType, Tags: t }] : undefined;
}

export const bool = (v: unknown): boolean | undefined => (v === undefined ? undefined : v === true || String(v).toLowerCase() === 'true');

/** Policy documents are JSON objects in templates (or JSON text) and strings in the APIs. */
export const policyText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export const num = (v: unknown): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

/** An error code that says the resource is already gone. */
export function isGone(e: unknown): boolean {
  if (!(e instanceof AwsError)) return false;
  const code = e.code;
  return code.endsWith('.NotFound') || code === 'NoSuchEntity' || code === 'ResourceNotFound' || code === 'NoSuchBucket' || code === 'NotFound' || code === 'ValidationError' && /not found|does not exist/i.test(e.message);
}

/** Error codes that mean "still held by something that is going away": try again shortly. */
const BUSY = ['DependencyViolation', 'VolumeInUse', 'InvalidIPAddress.InUse', 'ResourceInUse', 'DeleteConflict', 'IncorrectState', 'ScalingActivityInProgress'];

/** How long deletion keeps retrying a resource that something else still holds. */
const BUSY_LIMIT_MS = 10 * 60_000;
const BUSY_RETRY_MS = 5_000;

/**
 * Runs a delete; a resource already gone is done, and one still held (an instance that is
 * shutting down holds its security group) is retried for up to ten minutes.
 */
export function deleteWithRetry(state: ResourceState, now: number, fn: () => void): Progress {
  try {
    fn();
    return DONE;
  } catch (e) {
    if (isGone(e)) return DONE;
    if (e instanceof AwsError && BUSY.some((c) => e.code === c || e.code.startsWith(c))) {
      const since = Number(state.data.busySince ?? now);
      if (now - since < BUSY_LIMIT_MS) return wait(BUSY_RETRY_MS, { busySince: since });
    }
    throw e;
  }
}

/** GetAtt from a table of attribute readers; unknown attributes fail as CloudFormation's do. */
export function attribute<T>(table: Record<string, (v: T) => unknown>, name: string, value: T): unknown {
  const f = own(table, name);
  if (!f) throw new AttributeError(name);
  return f(value);
}
