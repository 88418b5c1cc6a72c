/**
 * The event log as the console reads it: a sentence for each event a learner follows (faults,
 * instance states, status checks, alarms, Auto Scaling activities, target health, stacks, RDS),
 * `key=value` pairs for the rest; and which views each event can change.
 */
import type { LoggedEvent } from './api.ts';
import type { View } from './model.ts';

const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));

const SENTENCES: Record<string, (d: Record<string, unknown>) => string> = {
  'fault.injected': (d) => `fault ${s(d.faultId)}: ${s(d.kind)} ${s(d.target)}${d.effect ? ` loses ${s(d.effect)}` : ' fails'}`,
  'fault.healed': (d) => `fault ${s(d.faultId)} healed: ${s(d.kind)} ${s(d.target)}`,
  'ec2.instance-state-change': (d) => `${s(d.instanceId)}: ${d.previousState ? `${s(d.previousState)} → ` : ''}${s(d.state)}`,
  'ec2.status-check': (d) => `${s(d.instanceId)}: system check ${s(d.system)}, instance check ${s(d.instance)}`,
  'cloudwatch.alarm.state': (d) => `alarm ${s(d.alarmName)}: ${s(d.oldState)} → ${s(d.newState)}`,
  'autoscaling.activity.start': (d) => `${s(d.group)}: ${s(d.description)}`,
  'autoscaling.activity.end': (d) => `${s(d.group)}: ${s(d.description)} (${s(d.status)})`,
  'elb.target.health': (d) => `${s(d.targetGroup)}: target ${s(d.target)} ${s(d.from)} → ${s(d.to)}${d.reason ? ` (${s(d.reason)})` : ''}`,
  'cloudformation.stack-status': (d) => `stack ${s(d.stackName)}: ${s(d.status)}`,
  'rds.failover': (d) => `${s(d.instance)}: failover ${s(d.phase)}${d.from ? ` from ${s(d.from)}` : ''}${d.to ? ` to ${s(d.to)}` : ''}`,
  'rds.event': (d) => `${s(d.source)}: ${s(d.message)}`,
};

const SKIP = new Set(['account', 'region']);

export function eventMessage(e: LoggedEvent): string {
  const sentence = SENTENCES[e.type];
  if (sentence) return sentence(e.detail);
  return Object.entries(e.detail)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 200);
}

/** The views an event may have changed: the world (hosts, zones, what runs where) or an overview view. */
export function affected(type: string): { world: boolean; views: View[] } {
  const family = type.split('.')[0];
  switch (family) {
    case 'fault':
      return { world: true, views: ['impaired'] };
    case 'ec2':
      return { world: true, views: ['impaired'] };
    case 'cloudwatch':
      return { world: false, views: ['alarms'] };
    case 'autoscaling':
      return { world: false, views: ['groups', 'loadBalancers'] };
    case 'elb':
      return { world: false, views: ['loadBalancers'] };
    case 'cloudformation':
      // A stack makes resources of every kind, some of which log no event of their own.
      return { world: true, views: ['alarms', 'groups', 'stacks', 'loadBalancers', 'dbInstances', 'impaired'] };
    case 'rds':
      return { world: true, views: ['dbInstances'] };
    default:
      return { world: false, views: [] };
  }
}
