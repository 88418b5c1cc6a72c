/**
 * Route 53 changes: every write that reaches the name servers (a zone created, a batch of record
 * sets) is a change that is `PENDING` for `route53PropagationSeconds`, then `INSYNC` (spec
 * route53.md §1). At INSYNC the change loop makes each set it touched serve its current version
 * (`served` = `rrset`) and drops the sets it deleted, unless a later change has touched the set
 * since: that change serves it when it is INSYNC in turn.
 */
import { iamId } from '../../core/ids.ts';
import type { Reconciler } from '../../core/scheduler.ts';
import type { DeepReadonly } from '../../core/store.ts';
import type { Env, RequestContext } from '../service.ts';
import { accountScope, CHANGE_LOOP, COLL, type ChangeRecord, type RecordSetRecord, type ResourceRecordSet } from './state.ts';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Route 53's ids: a letter and 20 upper-case letters and digits (`Z0413…`, `C2682…`); AWS documents no format. */
export const route53Id = (prefix: 'Z' | 'C'): string => iamId(prefix, 21, ID_ALPHABET);

/** ChangeInfo in its wire shape. */
export const changeInfo = (c: DeepReadonly<ChangeRecord>) => ({ Id: `/change/${c.Id}`, Status: c.Status, SubmittedAt: c.SubmittedAt, Comment: c.Comment });

/** A set's new version in a change (undefined: deleted), by its `recordKey`. */
export type SetWrites = Map<string, ResourceRecordSet | undefined>;

/**
 * Records a PENDING change that writes `writes` to zone `zoneId` (none for a change that touches
 * no set, such as a VPC association) and queues it to become INSYNC. The API shows the new
 * versions at once; DNS keeps serving the old ones until then.
 */
export function submitChange(ctx: RequestContext, zoneId: string, writes: SetWrites, comment?: string): ChangeRecord {
  const { clock, config, store, scheduler } = ctx.env;
  const scope = accountScope(ctx.account);
  const now = clock.now();
  const change: ChangeRecord = {
    Id: route53Id('C'),
    Status: 'PENDING',
    SubmittedAt: new Date(now).toISOString(),
    Comment: comment,
    insyncAt: now + config.route53PropagationSeconds * 1000,
    recordKeys: [...writes.keys()],
  };
  for (const [key, rrset] of writes) {
    const rec: RecordSetRecord = store.mutable<RecordSetRecord>(COLL.records, scope, key) ?? { key, zoneId };
    // A set created and deleted while neither change is INSYNC was never served: nothing to keep.
    if (!rrset && !rec.served) store.delete(COLL.records, scope, key);
    else store.put(COLL.records, scope, key, { ...rec, rrset, pendingChange: change.Id });
  }
  store.put(COLL.changes, scope, change.Id, change);
  scheduler.enqueue(CHANGE_LOOP, `${ctx.account}/${change.Id}`, change.insyncAt);
  return change;
}

export const changeLoops = (env: Env): Record<string, Reconciler> => ({
  [CHANGE_LOOP]: (key) => {
    const slash = key.indexOf('/');
    const scope = accountScope(key.slice(0, slash));
    const change = env.store.mutable<ChangeRecord>(COLL.changes, scope, key.slice(slash + 1));
    if (!change || change.Status === 'INSYNC') return;
    const now = env.clock.now();
    if (now < change.insyncAt) return change.insyncAt - now;
    change.Status = 'INSYNC';
    env.store.put(COLL.changes, scope, change.Id, change);
    for (const recordKey of change.recordKeys) {
      const rec = env.store.mutable<RecordSetRecord>(COLL.records, scope, recordKey);
      if (!rec || rec.pendingChange !== change.Id) continue;
      if (!rec.rrset) {
        env.store.delete(COLL.records, scope, recordKey);
        continue;
      }
      rec.served = rec.rrset;
      delete rec.pendingChange;
      env.store.put(COLL.records, scope, recordKey, rec);
    }
  },
});
