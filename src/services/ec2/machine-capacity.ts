/**
 * The room this machine has for more instances, when the compute driver runs them for real (the
 * sandbox driver): one machine is every zone's hardware at once, so instances of every account
 * and region count. A launch or start beyond it fails at once with InsufficientInstanceCapacity,
 * before anything is written, as EC2 does when a zone runs out of a type. The simulated driver
 * has no limit (its world's hosts still do).
 */
import type { Env } from '../service.ts';
import { instanceType } from './instance-types.ts';
import { COLL, type InstanceRecord } from './state.ts';

/** States in which an instance holds, or is about to hold, a sandbox. */
const HOLDING = new Set(['pending', 'running', 'stopping', 'shutting-down']);

export interface MachineRoom {
  /** Takes room for one instance of `typeName`; false when the machine has none left. */
  take(typeName: string): boolean;
}

const memoryOf = (typeName: string) => instanceType(typeName)?.memoryMiB ?? 1024;

export function machineRoom(env: Env): MachineRoom {
  const cap = env.runtime?.capacity();
  if (!cap) return { take: () => true };
  let instances = 0;
  let memoryMiB = 0;
  for (const [, inst] of env.store.scan<InstanceRecord>(COLL.instances)) {
    if (!HOLDING.has(inst.State.Name)) continue;
    instances++;
    memoryMiB += memoryOf(inst.InstanceType);
  }
  return {
    take(typeName) {
      const mem = memoryOf(typeName);
      if (instances + 1 > cap.instances || (cap.memoryMiB !== undefined && memoryMiB + mem > cap.memoryMiB)) return false;
      instances++;
      memoryMiB += mem;
      return true;
    },
  };
}
