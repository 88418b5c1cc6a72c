/** The CloudWatch alarms FIS reads: stop conditions and aws:cloudwatch:assert-alarm-state name them by ARN. */
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';
import { ALARMS, type AlarmRecord } from '../cloudwatch/alarms.state.ts';

const ALARM_ARN = /^arn:aws:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/;

/** The alarm an ARN names in this account and region, if it exists. */
export function alarmAt(env: Env, scope: Scope, arn: string): DeepReadonly<AlarmRecord> | undefined {
  const m = ALARM_ARN.exec(arn);
  if (!m || m[1] !== scope.region || m[2] !== scope.account) return undefined;
  return env.store.get<AlarmRecord>(ALARMS, scope, m[3]);
}
