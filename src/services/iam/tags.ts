/** Tags on IAM roles, users, policies and instance profiles, with IAM's limits. */
import { iamErrors } from './errors.ts';
import type { Tag } from './state.ts';

export const MAX_TAGS = 50;

export function mergeTags(existing: readonly Tag[], add: readonly Tag[] | undefined, kind: string): Tag[] {
  const out = new Map(existing.map((t) => [t.Key, t.Value]));
  for (const t of add ?? []) {
    if (t.Key.toLowerCase().startsWith('aws:')) throw iamErrors.invalidInput(`User-defined tag keys can't start with 'aws:'. This prefix is reserved for AWS tags.`);
    out.set(t.Key, t.Value);
  }
  if (out.size > MAX_TAGS) throw iamErrors.limitExceeded(`Cannot exceed quota for TagsPer${kind}: ${MAX_TAGS}`);
  return [...out].map(([Key, Value]) => ({ Key, Value }));
}
