/**
 * EC2's alarm actions: stop, terminate, reboot and recover the instance an alarm watches.
 * They act through EC2's own handlers, so an action does exactly what the API call would.
 *
 * Recover follows the rules the chapter's alarm relies on: the instance must be EBS-backed, in a
 * VPC, of a family that supports recovery (not t1), and running; recovery moves it to another
 * usable host in the same zone, and fails when the zone has none (an AZ outage). At most three
 * recoveries a day succeed, as AWS documents. A refused recovery is a failed action in the
 * alarm's history, which is where AWS reports it.
 */
import { AwsError } from '../../core/errors.ts';
import type { DeepReadonly, Scope } from '../../core/store.ts';
import type { AlarmActionExecutor } from '../cloudwatch/actions.ts';
import type { Env } from '../service.ts';
import { instanceHandlers } from './instances.provider.ts';
import { recoverInstance } from './instance.loop.ts';
import { loopContext } from './scoped.ts';
import { COLL, type InstanceRecord } from './state.ts';

const AUTOMATE = /^arn:aws[a-z-]*:automate:([a-z0-9-]+):ec2:(stop|terminate|reboot|recover)$/;
const SWF = /^arn:aws[a-z-]*:swf:([a-z0-9-]+):(\d{12}):action\/actions\/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot|Recover)\/1\.0$/;

export type Ec2Action = 'stop' | 'terminate' | 'reboot' | 'recover';

/** The EC2 action an ARN names, in the current or the legacy form, or undefined. */
export function ec2ActionOf(arn: string): { region: string; action: Ec2Action } | undefined {
  const a = AUTOMATE.exec(arn);
  if (a) return { region: a[1], action: a[2] as Ec2Action };
  const s = SWF.exec(arn);
  if (s) return { region: s[1], action: s[3].toLowerCase() as Ec2Action };
  return undefined;
}

export const RECOVERIES_PER_DAY = 3;
const DAY_MS = 86_400_000;

/** Why an instance cannot be recovered, or undefined when it can. */
export function recoveryRefusal(inst: DeepReadonly<InstanceRecord>): string | undefined {
  if (inst.InstanceType.startsWith('t1.')) return `Instance type ${inst.InstanceType} does not support recovery.`;
  if (inst.RootDeviceType !== 'ebs') return 'Only EBS-backed instances can be recovered.';
  if (!inst.VpcId) return 'Only instances in a VPC can be recovered.';
  if (inst.State.Name !== 'running') return `The instance ${inst.InstanceId} is in state ${inst.State.Name}, and only running instances can be recovered.`;
  return undefined;
}

/** Recovers an instance if the rules allow, counting it against the daily limit. */
export function tryRecover(env: Env, scope: Scope, instanceId: string): { ok: boolean; message: string } {
  const inst = env.store.get<InstanceRecord>(COLL.instances, scope, instanceId);
  if (!inst) return { ok: false, message: `The instance ID '${instanceId}' does not exist` };
  const refusal = recoveryRefusal(inst);
  if (refusal) return { ok: false, message: refusal };
  const now = env.clock.now();
  const recent = (inst.recoveries ?? []).filter((t) => now - t < DAY_MS);
  if (recent.length >= RECOVERIES_PER_DAY) return { ok: false, message: `The instance ${instanceId} was already recovered ${RECOVERIES_PER_DAY} times in the last 24 hours.` };
  const from = inst.hostId;
  const host = recoverInstance(env, scope, instanceId);
  if (!host) {
    env.events.emit('ec2.instance-recovery-failed', { account: scope.account, region: scope.region, instanceId, zone: inst.Placement.AvailabilityZone });
    return { ok: false, message: `Insufficient capacity: no healthy host in ${inst.Placement.AvailabilityZone} to recover ${instanceId} to.` };
  }
  const rec = env.store.mutable<InstanceRecord>(COLL.instances, scope, instanceId)!;
  rec.recoveries = [...recent, now];
  env.store.put(COLL.instances, scope, instanceId, rec);
  return { ok: true, message: `Recovered ${instanceId} from ${from} to ${host}` };
}

export const ec2AlarmAction: AlarmActionExecutor = {
  name: 'ec2',
  matches: (arn) => ec2ActionOf(arn) !== undefined,
  run(env, scope, arn, alarm) {
    const { action } = ec2ActionOf(arn)!;
    const instanceId = alarm.Dimensions.find((d) => d.Name === 'InstanceId')?.Value;
    if (!instanceId) return { ok: false, message: 'The alarm does not watch an instance (no InstanceId dimension).' };
    if (action === 'recover') return tryRecover(env, scope, instanceId);
    const ctx = loopContext(env, scope);
    const call = { stop: 'StopInstances', terminate: 'TerminateInstances', reboot: 'RebootInstances' }[action] as 'StopInstances';
    try {
      instanceHandlers[call]({ InstanceIds: [instanceId] }, ctx);
      return { ok: true, message: `Successfully executed action ${arn}` };
    } catch (e) {
      if (e instanceof AwsError) return { ok: false, message: `${e.code}: ${e.message}` };
      throw e;
    }
  },
};
