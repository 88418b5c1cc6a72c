/**
 * The drill's timeline and the breakdown of its recovery time, read from the event log: each
 * event that tells of the fault, its detection, the decision to act and the repair becomes a line
 * in the phase it belongs to. Drills only read the log; they never steer the loops.
 */
import type { LoggedEvent } from '../core/events.ts';
import type { Breakdown, Instant, TimelineEntry } from './result.ts';

export const instant = (cloudMs: number, realMs: number): Instant => ({ cloud: new Date(cloudMs).toISOString(), real: new Date(realMs).toISOString() });

/** Seconds from one instant to another, in cloud time. */
export const cloudSeconds = (from: Instant, to: Instant) => (Date.parse(to.cloud) - Date.parse(from.cloud)) / 1000;

/** Seconds from one instant to another, in real time. */
export const realSeconds = (from: Instant, to: Instant) => (Date.parse(to.real) - Date.parse(from.real)) / 1000;

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/** The timeline line for an event, or undefined for events a drill does not show. */
export function eventEntry(e: LoggedEvent): TimelineEntry | undefined {
  const d = e.detail;
  const at: Instant = { cloud: e.time, real: e.real ?? e.time };
  const line = (phase: TimelineEntry['phase'], message: string, resource?: unknown): TimelineEntry => ({
    at,
    phase,
    source: e.type,
    message,
    ...(resource ? { resource: str(resource) } : {}),
  });
  switch (e.type) {
    case 'fault.injected':
      return line('fault', `${str(d.kind)} ${str(d.effect ?? (d.kind === 'host' || d.kind === 'az' ? 'power' : ''))} fault injected on ${str(d.target)}`.replace(/\s+/g, ' '), d.target);
    case 'fault.healed':
      return line('info', `${str(d.kind)} fault on ${str(d.target)} healed`, d.target);
    case 'fis.experiment.state':
      return line('experiment', `experiment ${str(d.experimentId)} ${str(d.status)}${d.reason ? `: ${str(d.reason)}` : ''}`, d.experimentId);
    case 'fis.action.state':
      return line(d.status === 'running' ? 'fault' : 'experiment', `action ${str(d.action)} (${str(d.actionId)}) ${str(d.status)}`, d.action);
    case 'ec2.status-check': {
      const ok = d.system === 'ok' && d.instance === 'ok';
      return line(ok ? 'repair' : 'detect', `status checks: system ${str(d.system)}, instance ${str(d.instance)}`, d.instanceId);
    }
    case 'cloudwatch.alarm.state':
      return line(d.newState === 'ALARM' ? 'decide' : 'info', `alarm ${str(d.alarmName)}: ${str(d.oldState)} → ${str(d.newState)}`, d.alarmName);
    case 'cloudwatch.alarm.action':
      return line('decide', `alarm ${str(d.alarmName)} runs ${str(d.action)}${d.ok === false ? `: failed (${str(d.message)})` : ''}`, d.alarmName);
    case 'ec2.instance-recovered':
      return line('repair', `instance recovered from host ${str(d.fromHost)} to ${str(d.toHost)}`, d.instanceId);
    case 'ec2.instance-recovery-failed':
      return line('decide', `recovery failed: no capacity in ${str(d.zone)}`, d.instanceId);
    case 'ec2.instance-state-change':
      return line(d.state === 'pending' || d.state === 'running' ? 'repair' : 'info', `instance ${str(d.previousState) || 'new'} → ${str(d.state)}`, d.instanceId);
    case 'ec2.instance-reboot':
      return line('repair', 'instance rebooted', d.instanceId);
    case 'elb.target.health': {
      // A target found unhealthy is the load balancer detecting the fault; one found healthy again serves again.
      const phase = d.to === 'unhealthy' ? 'detect' : d.to === 'healthy' ? 'repair' : 'info';
      return line(phase, `target ${str(d.target)} of ${str(d.targetGroup)}: ${str(d.from)} → ${str(d.to)}${d.reason ? ` (${str(d.reason)})` : ''}`, d.target);
    }
    case 'route53.health-check': {
      // Route 53 is global: its checks' events have no region, and show in every drill's timeline.
      const phase = d.to === 'unhealthy' ? 'detect' : 'repair';
      return line(phase, `Route 53 health check ${str(d.healthCheckId)}: ${str(d.from)} → ${str(d.to)}`, d.healthCheckId);
    }
    case 'rds.instance.health':
      // RDS finds the primary's host or zone down (detect), or the instance serving again (repair).
      return line(d.to === 'unhealthy' ? 'detect' : 'repair', `DB instance ${str(d.instance)} ${d.to === 'unhealthy' ? `unavailable (${str(d.zone)})` : 'available again'}`, d.instance);
    case 'rds.failover':
      // A failover's start is RDS deciding to act; its completion is the repair.
      return line(d.phase === 'started' ? 'decide' : 'repair', `DB instance ${str(d.instance)} failover ${str(d.phase)}: ${str(d.from)} → ${str(d.to)}`, d.instance);
    case 'autoscaling.instance.health':
      return line(d.health === 'Unhealthy' ? 'detect' : 'info', `group ${str(d.group)} marks the instance ${str(d.health)}`, d.instanceId);
    case 'autoscaling.activity.start':
      return line('decide', `group ${str(d.group)}: ${str(d.description) || 'activity started'}`, d.group);
    case 'autoscaling.activity.end':
      return line(d.status === 'Successful' ? 'repair' : 'info', `group ${str(d.group)}: ${str(d.description) || 'activity'}: ${str(d.status)}`, d.group);
    case 'cloudformation.stack-status':
      return line('setup', `stack ${str(d.stackName)} ${str(d.status)}`, d.stackName);
    default:
      return undefined;
  }
}

/** Whether an event is about the drill's region (world-wide events, such as faults on a host, have none). */
export const inRegion = (e: LoggedEvent, region: string) => e.detail.region === undefined || e.detail.region === region;

/**
 * Where the recovery time went: fault → first detection, detection → first decision, decision →
 * recovered, in cloud and in real seconds (the real times the entries carry). A phase that did not
 * happen (no alarm for a group's replacement) is left out.
 */
export function breakdown(timeline: readonly TimelineEntry[], fault: Instant, recovered: Instant | undefined): Breakdown {
  const after = (phase: TimelineEntry['phase'], from: Instant) => timeline.find((t) => t.phase === phase && t.at.cloud >= from.cloud)?.at;
  const detect = after('detect', fault);
  const decide = detect && after('decide', detect);
  const out: Breakdown = {};
  const span = (from: Instant | undefined, to: Instant | undefined, key: 'detect' | 'decide' | 'repair') => {
    if (!from || !to || to.cloud < from.cloud) return;
    out[`${key}Seconds`] = cloudSeconds(from, to);
    out[`${key}RealSeconds`] = Math.max(0, realSeconds(from, to));
  };
  span(fault, detect, 'detect');
  span(detect, decide, 'decide');
  span(decide ?? detect, recovered, 'repair');
  return out;
}
