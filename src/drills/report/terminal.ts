/**
 * The terminal report: one line per timeline entry as it arrives, then a summary. Everything
 * reads without colour; colour (only when the caller says the output is a TTY) adds emphasis.
 */
import type { DrillResult, Instant, TimelineEntry } from '../result.ts';
import { breakdownText, disruptionWords, figures, formatSeconds, type Figure } from './measures.ts';
import { cloudSeconds } from '../timeline.ts';

export interface TerminalOptions {
  color?: boolean;
}

const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
const paint = (on: boolean | undefined, code: keyof typeof codes, s: string) => (on ? `\x1b[${codes[code]}m${s}\x1b[0m` : s);

const phaseColor: Partial<Record<TimelineEntry['phase'], keyof typeof codes>> = { fault: 'red', detect: 'yellow', decide: 'yellow', recovered: 'green' };

/** "+1m05s" after the drill's start, in cloud time. */
function offset(from: Instant, at: Instant): string {
  const s = Math.round(cloudSeconds(from, at));
  const sign = s < 0 ? '-' : '+';
  const a = Math.abs(s);
  return `${sign}${Math.floor(a / 60)}m${String(a % 60).padStart(2, '0')}s`;
}

/** The time of day of an ISO instant, to the second (cloud) or millisecond (real). */
const clock = (iso: string, ms: boolean) => iso.slice(11, ms ? 23 : 19);

/** The header over the timeline lines, naming their columns. */
export function timelineHeader(opts: TerminalOptions = {}): string {
  return paint(opts.color, 'dim', `${'cloud'.padEnd(8)} ${'T+'.padEnd(8)} ${'real'.padEnd(12)} ${'phase'.padEnd(10)} ${'source'.padEnd(27)} message`);
}

/**
 * One timeline entry as a line: cloud time of day, cloud offset from the drill's start, real time
 * of day, phase, source, message (and the resource it is about).
 */
export function timelineLine(e: TimelineEntry, start: Instant, opts: TerminalOptions = {}): string {
  const phase = e.phase.padEnd(10);
  const colored = phaseColor[e.phase] ? paint(opts.color, phaseColor[e.phase]!, phase) : phase;
  const message = e.resource && !e.message.includes(e.resource) ? `${e.message} (${e.resource})` : e.message;
  return `${clock(e.at.cloud, false)} ${offset(start, e.at).padEnd(8)} ${clock(e.at.real, true)} ${colored} ${oneLine(e.source).padEnd(27)} ${oneLine(message)}`;
}

/** Messages come from the world and from drill files: a newline in one must not forge a line. */
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '');

function figureLine(f: Figure, opts: TerminalOptions): string {
  const measured = f.measure.seconds === undefined ? 'not measured' : formatSeconds(f.measure.seconds);
  const real = f.measure.realSeconds === undefined ? '' : `, ${formatSeconds(f.measure.realSeconds)} real`;
  const target = f.target === undefined ? 'no target' : `target ${formatSeconds(f.target)}`;
  const verdict = f.verdict === 'met' ? paint(opts.color, 'green', 'met') : f.verdict === 'breached' ? paint(opts.color, 'red', 'BREACHED') : f.verdict;
  return `  ${f.name}  ${measured}${real}  (${target}: ${verdict})\n        measured by ${oneLine(f.measure.method)}`;
}

/** The summary after the timeline: verdict, RTO and RPO against the targets, the breakdown. */
export function terminalSummary(r: DrillResult, opts: TerminalOptions = {}): string {
  const lines: string[] = [];
  const verdict =
    r.status === 'error' ? paint(opts.color, 'red', 'could not run') : r.compliance === 'PolicyMet' ? paint(opts.color, 'green', r.compliance) : r.compliance === 'PolicyBreached' ? paint(opts.color, 'red', r.compliance) : r.compliance;
  lines.push(paint(opts.color, 'bold', `drill ${oneLine(r.drill.name)}: ${r.disruption} (${disruptionWords[r.disruption]} failure), ${r.driver} driver, ${oneLine(r.clockMode)} clock`));
  lines.push(`  verdict  ${verdict}`);
  if (r.status === 'error') lines.push(`  error    ${oneLine(r.error ?? 'the drill could not run')}`);
  if (r.experiment) lines.push(`  experiment ${r.experiment.id} ${r.experiment.status}${r.experiment.reason ? `: ${oneLine(r.experiment.reason)}` : ''}`);
  if (r.status !== 'error') {
    lines.push(`  survived ${r.survived ? 'yes' : paint(opts.color, 'red', 'no: the service did not come back while the drill watched')}`);
    for (const f of figures(r)) lines.push(figureLine(f, opts));
    lines.push(`  breakdown  ${breakdownText(r.breakdown)}`);
  }
  return lines.join('\n') + '\n';
}

/** The whole report at once (timeline then summary), as `drill show` prints it. */
export function terminalReport(r: DrillResult, opts: TerminalOptions = {}): string {
  const timeline = r.timeline.map((e) => timelineLine(e, r.started, opts) + '\n').join('');
  return `${timelineHeader(opts)}\n${timeline}\n${terminalSummary(r, opts)}`;
}
