/**
 * Boots that failed for real: under the sandbox driver, an instance whose sandbox could not be
 * built or whose init died. EC2 still says `running` (the hardware is fine), and, as on AWS, the
 * instance status check (reachability) fails and StatusCheckFailed_Instance goes to 1 at the
 * next status tick; the console output says why. The driver records the failure against one
 * boot (the host, the start and the last reboot), so that a reboot, a stop and start or a
 * recovery is a new boot with a clean record, and a later boot that succeeds clears it.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { COLL, type InstanceRecord } from './state.ts';

type Booted = Pick<InstanceRecord, 'hostId' | 'runningSince' | 'lastRebootAt'>;

/** Which boot of an instance is current: a new host, start or reboot is a new boot. */
export const bootKeyOf = (inst: DeepReadonly<Booted>) => `${inst.hostId ?? ''}|${inst.runningSince ?? ''}|${inst.lastRebootAt ?? ''}`;

/** Whether the current boot of the instance failed. */
export const bootFailed = (inst: DeepReadonly<InstanceRecord>) => inst.bootFailure !== undefined && inst.bootFailure.bootKey === bootKeyOf(inst);

/** Records that boot `bootKey` of the instance failed (nothing if the instance has moved on to another boot). */
export function recordBootFailure(env: Env, scope: Scope, instanceId: string, bootKey: string, reason: string): void {
  env.store.transaction(() => {
    const cur = env.store.get<InstanceRecord>(COLL.instances, scope, instanceId);
    if (!cur || bootKeyOf(cur) !== bootKey || (cur.bootFailure?.bootKey === bootKey && cur.bootFailure.reason === reason)) return;
    const inst = env.store.mutable<InstanceRecord>(COLL.instances, scope, instanceId)!;
    inst.bootFailure = { bootKey, reason };
    env.store.put(COLL.instances, scope, instanceId, inst);
  });
}

/** Forgets a failure once boot `bootKey`, the instance's current one, has come up. */
export function clearBootFailure(env: Env, scope: Scope, instanceId: string, bootKey: string): void {
  const cur = env.store.get<InstanceRecord>(COLL.instances, scope, instanceId);
  if (!cur?.bootFailure || bootKeyOf(cur) !== bootKey) return;
  env.store.transaction(() => {
    const inst = env.store.mutable<InstanceRecord>(COLL.instances, scope, instanceId);
    if (!inst?.bootFailure || bootKeyOf(inst) !== bootKey) return;
    delete inst.bootFailure;
    env.store.put(COLL.instances, scope, instanceId, inst);
  });
}
