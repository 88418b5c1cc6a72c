/**
 * Stop conditions: when an alarm that an initiating or running experiment names goes to ALARM,
 * the experiment stops, as FIS stops it. CloudWatch calls this at every alarm state change.
 */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { ACTIVE_EXPERIMENTS, STOP_CONDITION } from './experiment.loop.ts';
import { stopExperiment } from './experiments.provider.ts';
import { EXPERIMENTS, type ExperimentRecord } from './state.ts';

export function stopExperimentsOnAlarm(env: Env, scope: Scope, alarmArn: string, state: string): void {
  if (state !== 'ALARM') return;
  for (const { id } of env.store.list<{ id: string }>(ACTIVE_EXPERIMENTS, scope)) {
    const x = env.store.get<ExperimentRecord>(EXPERIMENTS, scope, id);
    if (!x || (x.state.status !== 'initiating' && x.state.status !== 'running')) continue;
    if (x.stopConditions.some((c) => c.source === 'aws:cloudwatch:alarm' && c.value === alarmArn)) stopExperiment(env, scope, id, STOP_CONDITION);
  }
}
