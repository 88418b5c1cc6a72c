/**
 * The words AWS writes into an alarm's StateReason and StateReasonData after an evaluation, e.g.
 * "Threshold Crossed: 1 datapoint [1.0 (24/11/26 17:00:00)] was greater than the threshold (0.0)."
 * Numbers are printed as Java prints doubles and times as dd/MM/yy HH:mm:ss in UTC, as AWS does.
 */
import type { AlarmState, ComparisonOperator, Evaluation, Slot } from './evaluate.ts';
import type { AlarmConfig } from './alarms.state.ts';

/** Java's Double.toString: 1.0, 0.25, 1.0E7, 1.0E-4. */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-3 && a < 1e7)) {
    const s = String(v);
    return s.includes('.') || s.includes('e') ? s : `${s}.0`;
  }
  const [mant, exp] = v.toExponential().split('e');
  return `${mant.includes('.') ? mant : `${mant}.0`}E${Number(exp)}`;
}

const two = (n: number) => String(n).padStart(2, '0');

/** dd/MM/yy HH:mm:ss, UTC. */
export function reasonTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** 2024-11-26T17:00:00.000+0000, as StateReasonData and alarm notifications write times. */
export const awsTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

const OP_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const list = (points: Slot[]) => `[${points.map((p) => `${javaDouble(p.value!)} (${reasonTime(p.ts)})`).join(', ')}]`;
const FILLED_AS: Record<string, string> = { breaching: 'Breaching', notBreaching: 'NonBreaching', missing: 'Missing' };

/** The StateReason for a state an evaluation decided. */
export function stateReason(alarm: Readonly<AlarmConfig>, e: Evaluation, from: AlarmState, to: AlarmState): string {
  if (to === 'INSUFFICIENT_DATA') return `Insufficient Data: ${plural(e.n, 'datapoint')} ${e.n === 1 ? 'was' : 'were'} unknown.`;
  const threshold = javaDouble(alarm.Threshold);
  if (e.evaluated.length === 0) {
    return `Threshold Crossed: no datapoints were received for ${plural(e.filled, 'period')} and ${plural(e.filled, 'missing datapoint')} ${
      e.filled === 1 ? 'was' : 'were'
    } treated as [${FILLED_AS[e.filledAs ?? 'missing']}].`;
  }
  const toAlarm = to === 'ALARM';
  const shown = toAlarm ? e.breaching : e.evaluated.filter((p) => !e.breaching.includes(p));
  const verb = shown.length === 1 ? 'was' : 'were';
  const words = `${toAlarm ? '' : 'not '}${OP_WORDS[alarm.ComparisonOperator]}`;
  const filled =
    e.filled > 0 && e.filledAs !== 'missing'
      ? ` and ${plural(e.filled, 'missing datapoint')} ${e.filled === 1 ? 'was' : 'were'} treated as [${FILLED_AS[e.filledAs!]}]`
      : '';
  if (alarm.DatapointsToAlarm === undefined) {
    return `Threshold Crossed: ${plural(shown.length, 'datapoint')} ${list(shown)} ${verb} ${words} the threshold (${threshold})${filled}.`;
  }
  const minimum = toAlarm ? e.m : e.n - e.m + 1;
  return (
    `Threshold Crossed: ${shown.length} out of the last ${plural(e.n, 'datapoint')} ${list(shown)} ${verb} ${words} the threshold (${threshold})${filled}` +
    ` (minimum ${plural(minimum, 'datapoint')} for ${from} -> ${to} transition).`
  );
}

/** StateReasonData as AWS writes it for a metric alarm (a JSON string). */
export function stateReasonData(alarm: Readonly<AlarmConfig>, range: readonly Slot[], e: Evaluation, now: number): string {
  const recent = [...range].reverse().slice(0, e.n);
  const data: Record<string, unknown> = {
    version: '1.0',
    queryDate: awsTime(now),
    startDate: awsTime(recent.length ? recent[recent.length - 1].ts : now),
    ...(alarm.Unit ? { unit: alarm.Unit } : {}),
    statistic: alarm.Statistic ?? alarm.ExtendedStatistic,
    period: alarm.Period,
    recentDatapoints: e.evaluated
      .slice()
      .reverse()
      .map((p) => p.value),
    threshold: alarm.Threshold,
    evaluatedDatapoints: recent.map((p) => ({
      timestamp: awsTime(p.ts),
      ...(p.sampleCount !== undefined ? { sampleCount: p.sampleCount } : {}),
      ...(p.value !== undefined ? { value: p.value } : {}),
    })),
  };
  return JSON.stringify(data);
}
