/**
 * The Unix cron format of scheduled actions' Recurrence: five fields, minute hour day-of-month
 * month day-of-week, with `*`, lists, ranges, steps and month or day names, evaluated in UTC.
 * As in cron, when both day fields are restricted a day matching either one runs.
 */
export interface Cron {
  minutes: number[];
  hours: number[];
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function field(text: string, lo: number, hi: number, names: string[] = [], nameBase = lo): Set<number> {
  const value = (s: string): number => {
    const i = names.indexOf(s.toUpperCase());
    const n = i >= 0 ? i + nameBase : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= lo && n <= hi)) throw new Error(`'${s}' is out of range ${lo}-${hi}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in '${part}'`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [lo, hi];
    else if (range.includes('-')) [from, to] = range.split('-').map(value) as [number, number];
    else [from, to] = [value(range), stepText === undefined ? value(range) : hi];
    if (from > to) throw new Error(`bad range '${range}'`);
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** Parses a recurrence; throws an Error saying what is wrong. */
export function parseCron(text: string): Cron {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error('a recurrence has five fields: minute hour day-of-month month day-of-week');
  const weekdays = field(parts[4], 0, 7, WEEKDAYS, 0);
  if (weekdays.has(7)) weekdays.add(0);
  return {
    minutes: [...field(parts[0], 0, 59)].sort((a, b) => a - b),
    hours: [...field(parts[1], 0, 23)].sort((a, b) => a - b),
    days: field(parts[2], 1, 31),
    months: field(parts[3], 1, 12, MONTHS, 1),
    weekdays,
    daysRestricted: !['*', '?'].includes(parts[2]),
    weekdaysRestricted: !['*', '?'].includes(parts[4]),
  };
}

const DAY = 86_400_000;

/** The first time strictly after `after` (ms) that the recurrence names, within five years. */
export function nextCronTime(cron: Cron, after: number): number | undefined {
  const first = new Date(after);
  const start = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  for (let day = 0; day < 5 * 366; day++) {
    const dayStart = start + day * DAY;
    const d = new Date(dayStart);
    if (!cron.months.has(d.getUTCMonth() + 1)) continue;
    const dom = cron.days.has(d.getUTCDate());
    const dow = cron.weekdays.has(d.getUTCDay());
    const match = cron.daysRestricted && cron.weekdaysRestricted ? dom || dow : dom && dow;
    if (!match) continue;
    for (const h of cron.hours) {
      for (const m of cron.minutes) {
        const t = dayStart + h * 3_600_000 + m * 60_000;
        if (t > after) return t;
      }
    }
  }
  return undefined;
}
