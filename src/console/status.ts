/**
 * How a state reads: a tone (the colour, from console.css) AND an icon and words, so that no
 * state is told by colour alone.
 */
export type Tone = 'ok' | 'bad' | 'warn' | 'busy' | 'idle';

export interface Status {
  tone: Tone;
  icon: string;
  text: string;
}

const ICONS: Record<Tone, string> = { ok: '✓', bad: '✕', warn: '!', busy: '◔', idle: '–' };
const status = (tone: Tone, text: string): Status => ({ tone, icon: ICONS[tone], text });

export function placeStatus(p: { power: string; network: string }): Status {
  if (p.power === 'off') return status('bad', 'power off');
  if (p.network === 'down') return status('bad', 'network down');
  return status('ok', 'up');
}

export function instanceStatus(state: string, impaired: boolean): Status {
  if (state === 'running') return impaired ? status('bad', 'running, checks failing') : status('ok', 'running');
  if (state === 'pending') return status('busy', 'pending');
  if (state === 'stopped' || state === 'terminated') return status('idle', state);
  return status('warn', state);
}

export function alarmStatus(state: string): Status {
  if (state === 'OK') return status('ok', 'OK');
  if (state === 'ALARM') return status('bad', 'ALARM');
  return status('idle', 'insufficient data');
}

/** CloudFormation's statuses: *_COMPLETE is done, *_IN_PROGRESS busy, *FAILED and ROLLBACK* went wrong. */
export function stackStatus(s: string): Status {
  const text = s.toLowerCase().replaceAll('_', ' ');
  if (/FAILED|ROLLBACK/.test(s)) return status('bad', text);
  if (s.endsWith('IN_PROGRESS')) return status('busy', text);
  return status('ok', text);
}

export function targetStatus(state: string): Status {
  if (state === 'healthy') return status('ok', 'healthy');
  if (state === 'unhealthy' || state === 'unavailable') return status('bad', state);
  if (state === 'initial' || state === 'draining') return status('busy', state);
  return status('idle', state);
}

export function dbStatus(s: string): Status {
  if (s === 'available') return status('ok', s);
  if (/fail|incompatible|inaccessible|storage-full/.test(s)) return status('bad', s);
  if (s === 'stopped' || s === 'deleting') return status('idle', s);
  return status('busy', s);
}

export function activityStatus(s: string): Status {
  if (s === 'Successful') return status('ok', 'successful');
  if (s === 'Failed' || s === 'Cancelled') return status('bad', s.toLowerCase());
  return status('busy', s.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
}

export function drillStatus(s: string): Status {
  if (s === 'met') return status('ok', 'target met');
  if (s === 'breached') return status('bad', 'target breached');
  if (s === 'running') return status('busy', 'running');
  return status('warn', s);
}
