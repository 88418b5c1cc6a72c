/**
 * JUnit XML for CI systems: one testsuite per run of drills, one testcase per drill (failure
 * when breached, error when the drill could not run), and one per target of its disruption type
 * (RTO and RPO), so that a CI page says which figure broke. Times are real seconds, what CI
 * measures; the cloud figures are in the messages and in system-out.
 */
import { escapeXml } from '../../protocols/xml.ts';
import type { DrillResult } from '../result.ts';
import { figures, formatSeconds } from './measures.ts';
import { terminalSummary } from './terminal.ts';

/** Escapes text for XML content and attributes, without the characters XML 1.0 cannot hold. */
const xml = (s: string) => escapeXml(s.replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, ''));

const seconds = (r: DrillResult) => Math.max(0, (Date.parse(r.ended.real) - Date.parse(r.started.real)) / 1000).toFixed(3);

interface Case {
  classname: string;
  name: string;
  time: string;
  failure?: { type: string; message: string };
  error?: { type: string; message: string };
  out?: string;
}

function cases(r: DrillResult): Case[] {
  const classname = `drills.${r.drill.file ?? r.drill.name}`;
  const time = seconds(r);
  const drill: Case = { classname, name: r.drill.name, time, out: terminalSummary(r) };
  if (r.status === 'error') return [{ ...drill, error: { type: 'DrillError', message: r.error ?? 'the drill could not run' } }];
  const [rto, rpo] = figures(r);
  if (r.status === 'breached') {
    const why = !r.survived ? 'the service never recovered' : [rto, rpo].filter((f) => f.verdict === 'breached').map((f) => `${f.name} ${formatSeconds(f.measure.seconds)} over ${formatSeconds(f.target)}`).join(', ');
    drill.failure = { type: 'PolicyBreached', message: `${r.disruption}: ${why || r.compliance}` };
  }
  const perTarget = [rto, rpo]
    .filter((f) => f.target !== undefined)
    .map((f): Case => {
      const c: Case = { classname, name: `${r.drill.name}: ${r.disruption} ${f.name} within ${formatSeconds(f.target)}`, time };
      if (f.verdict === 'breached') {
        const measured = f.measure.seconds === undefined ? 'not measured (the service never recovered)' : `measured ${formatSeconds(f.measure.seconds)}`;
        c.failure = { type: 'PolicyBreached', message: `${f.name} ${measured}, target ${formatSeconds(f.target)} (${f.measure.method})` };
      }
      return c;
    });
  return [drill, ...perTarget];
}

function caseXml(c: Case): string {
  const body = [
    c.failure ? `<failure type="${xml(c.failure.type)}" message="${xml(c.failure.message)}">${xml(c.failure.message)}</failure>` : '',
    c.error ? `<error type="${xml(c.error.type)}" message="${xml(c.error.message)}">${xml(c.error.message)}</error>` : '',
    c.out ? `<system-out>${xml(c.out)}</system-out>` : '',
  ].join('');
  return `    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}" time="${c.time}">${body}</testcase>\n`;
}

/** A drill file that gave no result at all (the runner refused it): an error of its own. */
export interface Unrun {
  file: string;
  error: string;
}

/** One testsuite for the drills of one run (`drill run` gives one, `drill table` all of its). */
export function junitReport(results: DrillResult[], suiteName = 'faultline drills', unrun: Unrun[] = []): string {
  const refused = unrun.map((u): Case => ({ classname: `drills.${u.file}`, name: u.file, time: '0.000', error: { type: 'DrillError', message: u.error } }));
  const all = [...results.flatMap(cases), ...refused];
  const failures = all.filter((c) => c.failure).length;
  const errors = all.filter((c) => c.error).length;
  const time = results.reduce((sum, r) => sum + Number(seconds(r)), 0).toFixed(3);
  const timestamp = results.length ? results[0].started.real.replace(/\.\d+Z$|Z$/, '') : '';
  const counts = `tests="${all.length}" failures="${failures}" errors="${errors}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${xml(suiteName)}" ${counts} time="${time}">
  <testsuite name="${xml(suiteName)}" ${counts} skipped="0" time="${time}"${timestamp ? ` timestamp="${xml(timestamp)}"` : ''}>
${all.map(caseXml).join('')}  </testsuite>
</testsuites>
`;
}
