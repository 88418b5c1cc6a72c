/**
 * `faultline events`: the event log as readable lines (cloud time, real time, source, message),
 * filtered by kind, resource and time; `--follow` keeps printing events as they happen, from the
 * control API's event stream; `--json` prints one JSON object a line.
 */
import { parseArgs } from 'node:util';
import { controlCall, controlEndpoint, controlStream } from './control.ts';

import type { LoggedEvent } from '../core/events.ts';

export const EVENTS_USAGE = `usage: faultline events [--follow] [--kind KIND]... [--resource ID] [--since TIME] [--json]

Prints the event log: faults and every reaction to them, one event a line:
  CLOUD TIME  REAL TIME  SOURCE  MESSAGE

  --follow, -f     keep printing events as they happen (Ctrl-C stops)
  --kind KIND      only events of this kind or family: fault, ec2, ec2.status-check,
                   cloudwatch.alarm, autoscaling, elb, rds, route53, fis... (repeatable)
  --resource ID    only events that name this resource (an instance id, group or alarm name, ARN...)
  --since TIME     only events at or after this cloud time (ISO 8601, e.g. 2026-12-01T10:00:00Z)
  --json           one JSON object a line, as the control API gives them
`;

const clip = (key: string, v: unknown): string => {
  // Clock instants (startedAt, endsAt, until...) are milliseconds in the detail: show them as times.
  if (typeof v === 'number' && /(At|Until|until)$/.test(key) && v > 1e12) return new Date(v).toISOString();
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
};

/** The message of an event: its detail as `key=value` pairs, the most telling first. */
export function message(e: LoggedEvent): string {
  const d = e.detail;
  const first = ['faultId', 'kind', 'target', 'instanceId', 'AutoScalingGroupName', 'alarmName', 'from', 'to', 'state', 'status', 'reason', 'description', 'message'];
  const keys = [...first.filter((k) => k in d), ...Object.keys(d).filter((k) => !first.includes(k))];
  return keys.filter((k) => d[k] !== undefined && d[k] !== null && d[k] !== '').map((k) => `${k}=${clip(k, d[k])}`).join(' ');
}

export function eventLine(e: LoggedEvent): string {
  const source = e.type.split('.')[0];
  const real = e.real ? e.real.slice(11, 23) : '-'.repeat(12);
  return `${e.time}  ${real}  ${source.padEnd(11)}  ${e.type.slice(source.length + 1) || e.type}: ${message(e)}`;
}

export async function eventsCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      follow: { type: 'boolean', short: 'f' },
      kind: { type: 'string', multiple: true },
      resource: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const q = new URLSearchParams();
  for (const k of values.kind ?? []) q.append('kind', k);
  if (values.resource) q.set('resource', values.resource);
  if (values.since) {
    if (Number.isNaN(Date.parse(values.since))) throw new Error(`--since must be a time in ISO 8601 (2026-12-01T10:00:00Z), not ${values.since}`);
    q.set('since', values.since);
  }
  const print = (e: LoggedEvent) => process.stdout.write((values.json ? JSON.stringify(e) : eventLine(e)) + '\n');
  let after = 0;
  for (;;) {
    q.set('after', String(after));
    const page = await controlCall<{ events: LoggedEvent[]; lastSeq: number }>(controlEndpoint(), 'GET', `/_faultline/events?${q}`);
    page.events.forEach(print);
    if (page.lastSeq === after || page.events.length < 1000) {
      after = page.lastSeq;
      break;
    }
    after = page.lastSeq;
  }
  if (!values.follow) return;
  q.set('after', String(after));
  await controlStream(controlEndpoint(), `/_faultline/events/stream?${q}`, (data) => print(JSON.parse(data) as LoggedEvent));
}
