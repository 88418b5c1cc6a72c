/**
 * The deletion loop: at the end of a key's waiting period it deletes the key and the aliases that
 * point at it. ScheduleKeyDeletion queues it at the DeletionDate; a key whose deletion was
 * cancelled is left alone, and one rescheduled later is looked at again then.
 */
import type { Reconciler } from '../../core/scheduler.ts';
import type { Env } from '../service.ts';
import { COLL, parseScopedKey, type AliasRecord, type KeyRecord } from './state.ts';

export function deletionLoop(env: Env): Reconciler {
  return (key) => {
    const { scope, id } = parseScopedKey(key);
    const rec = env.store.get<KeyRecord>(COLL.keys, scope, id);
    if (!rec || rec.KeyState !== 'PendingDeletion' || !rec.DeletionDate) return;
    const wait = Date.parse(rec.DeletionDate) - env.clock.now();
    if (wait > 0) return wait;
    for (const a of env.store.list<AliasRecord>(COLL.aliases, scope)) if (a.TargetKeyId === id) env.store.delete(COLL.aliases, scope, a.AliasName);
    env.store.delete(COLL.keys, scope, id);
  };
}
