/**
 * RPO from storage lineage, for when no process holds data (the simulated driver): the data an
 * instance wrote lives on its EBS volumes, so what the serving instance has after recovery tells
 * what survived. The same volumes as before: nothing was lost (RPO 0). Volumes made from a
 * snapshot: everything written after the snapshot began is gone (RPO = fault − snapshot start),
 * and a snapshot older than the instance that served before the fault (a stock image) keeps
 * nothing that instance wrote (RPO = fault − its launch).
 */
import type { Scope } from '../core/store.ts';
import type { Env } from '../services/service.ts';
import { COLL, type InstanceRecord, type SnapshotRecord, type VolumeRecord } from '../services/ec2/state.ts';

export interface ServingStorage {
  instanceIds: string[];
  volumeIds: string[];
  /** The earliest launch among the serving instances (ms). */
  launchedAt?: number;
}

/** The volumes of the instances that serve now, as the store holds them. */
export function servingStorage(env: Env, scope: Scope, instanceIds: readonly string[]): ServingStorage {
  const volumeIds: string[] = [];
  let launchedAt: number | undefined;
  for (const id of instanceIds) {
    const inst = env.store.get<InstanceRecord>(COLL.instances, scope, id);
    if (!inst) continue;
    for (const b of inst.BlockDeviceMappings) if (b.Ebs?.VolumeId) volumeIds.push(b.Ebs.VolumeId);
    const launched = Date.parse(inst.LaunchTime);
    if (launchedAt === undefined || launched < launchedAt) launchedAt = launched;
  }
  return { instanceIds: [...instanceIds], volumeIds, launchedAt };
}

/** RPO in cloud ms and how it was found, or undefined when nothing serves after recovery. */
export function lineageRpo(env: Env, scope: Scope, before: ServingStorage, after: ServingStorage, faultAt: number): { ms: number; method: string } | undefined {
  if (!after.volumeIds.length) return undefined;
  const kept = after.volumeIds.filter((v) => before.volumeIds.includes(v));
  if (kept.length === after.volumeIds.length) {
    return { ms: 0, method: `storage lineage: ${after.instanceIds.join(', ')} serves with the same volumes as before the fault (${kept.join(', ')})` };
  }
  // The newest recovery point among the new volumes: what survived is what it holds.
  let best: { at: number; what: string } | undefined;
  for (const v of after.volumeIds.filter((id) => !before.volumeIds.includes(id))) {
    const vol = env.store.get<VolumeRecord>(COLL.volumes, scope, v);
    const snap = vol?.SnapshotId ? env.store.get<SnapshotRecord>(COLL.snapshots, scope, vol.SnapshotId) : undefined;
    const at = snap ? Date.parse(snap.StartTime) : undefined;
    if (at !== undefined && (!best || at > best.at)) best = { at, what: `${v} was made from ${snap!.SnapshotId}, started ${snap!.StartTime}` };
  }
  const launched = before.launchedAt;
  if (best && (launched === undefined || best.at >= launched)) {
    return { ms: Math.max(0, faultAt - best.at), method: `storage lineage: new volumes from a snapshot (${best.what}); everything written after it is lost` };
  }
  if (launched === undefined) return undefined;
  return {
    ms: Math.max(0, faultAt - launched),
    method: `storage lineage: ${after.instanceIds.join(', ')} serves with new volumes (${after.volumeIds.join(', ')}) from an image older than the instance that served before, launched ${new Date(launched).toISOString()}; everything it wrote is lost`,
  };
}
