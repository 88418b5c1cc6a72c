/**
 * The request log (`faultline up --log-level info`): one entry per AWS API request, with the
 * service, operation, HTTP status, error code, caller's account, region, request id, cloud time
 * and real duration; `debug` adds the control API's requests. As text lines or JSON lines.
 */
// Durations are real time, read through the clock module.
import { Clock } from '../core/clock.ts';

export type LogLevel = 'off' | 'info' | 'debug';
export type LogFormat = 'text' | 'json';

export interface RequestEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  service?: string;
  operation?: string;
  account?: string;
  region?: string;
  requestId?: string;
  error?: string;
  /** A control API request (`debug` only). */
  control?: boolean;
}

export type RequestLog = (entry: RequestEntry) => void;

export function requestLog(level: LogLevel, format: LogFormat, write: (line: string) => void): RequestLog | undefined {
  if (level === 'off') return undefined;
  return (e) => {
    if (e.control && level !== 'debug') return;
    if (format === 'json') return write(JSON.stringify(e));
    const what = e.control ? `control ${e.method} ${e.path}` : `${e.service ?? '?'}.${e.operation ?? '?'}`;
    const who = e.account ? ` ${e.account}/${e.region}` : '';
    write(`${e.time} ${e.status} ${what}${who} ${e.ms}ms${e.error ? ` ${e.error}` : ''}${e.requestId ? ` ${e.requestId}` : ''}`);
  };
}

/** Milliseconds since `start` (a Clock.wallNow() reading), for an entry's `ms`. */
export const since = (start: number) => Clock.wallNow() - start;
