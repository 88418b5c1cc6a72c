/**
 * The synthetic workload of the simulated driver: how busy each instance's CPU is. A test or a
 * user sets it through the control API to drive CPU-based alarms and target tracking; without it
 * an instance idles at a small, steady utilisation.
 */
import type { Env } from '../services/service.ts';
import { worldScope } from './state.ts';

export const LOAD = 'world.load';
export const IDLE_CPU_PERCENT = 2;

interface LoadRecord {
  instanceId: string;
  cpuPercent: number;
}

const SCOPE = worldScope('global');

export function setCpuLoad(env: Env, instanceId: string, cpuPercent: number): void {
  if (!(cpuPercent >= 0 && cpuPercent <= 100)) throw new RangeError('cpuPercent must be from 0 to 100');
  env.store.transaction(() => env.store.put<LoadRecord>(LOAD, SCOPE, instanceId, { instanceId, cpuPercent }));
}

export function cpuLoad(env: Env, instanceId: string): number {
  return env.store.get<LoadRecord>(LOAD, SCOPE, instanceId)?.cpuPercent ?? IDLE_CPU_PERCENT;
}
