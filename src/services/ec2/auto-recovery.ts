/**
 * Simplified automatic recovery, on by default since 2022 (MaintenanceOptions.AutoRecovery =
 * default): EC2 recovers an instance whose system status check keeps failing, without any alarm.
 * AWS does not do it for instances in an Auto Scaling group (the group replaces them). faultline
 * also leaves alone an instance that a CloudWatch recover action watches, so that the chapter's
 * alarm-driven recovery is what users see; and it waits `autoRecoverySeconds` of continuous
 * impairment, a setting, since AWS does not publish the delay.
 */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import { ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';
import { alarmsWatching } from '../cloudwatch/alarm-index.ts';
import type { Env } from '../service.ts';
import { ec2ActionOf } from './alarm-actions.ts';
import type { InstanceRecord } from './state.ts';

export function automaticRecoveryDue(env: Env, scope: Scope, inst: DeepReadonly<InstanceRecord>, now: number): boolean {
  const system = inst.statusChecks?.system;
  if (system?.status !== 'impaired' || system.impairedSince === undefined) return false;
  if (now - system.impairedSince < env.config.autoRecoverySeconds * 1000) return false;
  if (inst.MaintenanceOptions.AutoRecovery !== 'default') return false;
  if (inst.Tags.some((t) => t.Key === 'aws:autoscaling:groupName')) return false;
  return !watchedByRecoverAlarm(env, scope, inst.InstanceId);
}

/** A recover action is valid only on StatusCheckFailed_System of the instance, so those alarms are the ones to look at. */
function watchedByRecoverAlarm(env: Env, scope: Scope, instanceId: string): boolean {
  return alarmsWatching(env, scope, 'AWS/EC2', 'StatusCheckFailed_System', [{ Name: 'InstanceId', Value: instanceId }])
    .map((name) => env.store.get<AlarmRecord>(ALARMS, scope, name))
    .some((a) => a && [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].some((arn) => ec2ActionOf(arn)?.action === 'recover'));
}
