/**
 * The drill reports, each from results built here: terminal lines and summary, the JSON report
 * against its published schema, the self-contained HTML page, JUnit XML, and the chapter's table.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import type { DrillResult, Instant, TimelineEntry } from '../../src/drills/result.ts';
import { terminalReport, terminalSummary, timelineLine } from '../../src/drills/report/terminal.ts';
import { jsonReport } from '../../src/drills/report/json.ts';
import { htmlReport } from '../../src/drills/report/html.ts';
import { junitReport } from '../../src/drills/report/junit.ts';
import { markdownTable, tableRows } from '../../src/drills/report/table.ts';

const WHERE = { region: 'eu-west-1', account: '123456789012' };
const T0 = Date.parse('2030-01-01T00:00:00Z');
const R0 = Date.parse('2026-05-01T12:00:00Z');
/** An instant `s` cloud seconds after the start; real time runs 100 times faster. */
const at = (s: number): Instant => ({ cloud: new Date(T0 + s * 1000).toISOString(), real: new Date(R0 + s * 10).toISOString() });
const entry = (s: number, phase: TimelineEntry['phase'], source: string, message: string, resource?: string): TimelineEntry => ({ at: at(s), phase, source, message, ...(resource ? { resource } : {}) });

/** A recovery-alarm drill: the host fails at 60 s, the check at 120 s, the alarm at 240 s, back at 400 s. */
function result(over: Partial<DrillResult> = {}): DrillResult {
  return {
    schemaVersion: 1,
    drill: { ...WHERE, name: 'recovery-host-failure', file: 'drills/recovery-host-failure.yaml', mechanism: 'recovery alarm' },
    status: 'met',
    driver: 'simulated',
    clockMode: 'manual',
    disruption: 'Hardware',
    target: { rtoInSecs: 600, rpoInSecs: 0 },
    compliance: 'PolicyMet',
    experiment: { id: 'EXPabc123', templateId: 'EXT42', status: 'completed' },
    started: at(0),
    faultStart: at(60),
    recovered: at(400),
    ended: at(460),
    survived: true,
    rto: { seconds: 340, realSeconds: 3.4, method: 'probes passed 3 checks in a row' },
    rpo: { seconds: 0, realSeconds: 0, method: 'storage lineage: same volumes' },
    breakdown: { detectSeconds: 60, detectRealSeconds: 0.6, decideSeconds: 120, decideRealSeconds: 1.2, repairSeconds: 160, repairRealSeconds: 1.6 },
    timeline: [
      entry(0, 'setup', 'drill', 'stack recovery created'),
      entry(60, 'fault', 'fis:action', 'host h-1 powered off', 'h-1'),
      entry(120, 'detect', 'ec2.status-check', 'system status check impaired', 'i-0abc'),
      entry(240, 'decide', 'cloudwatch.alarm', 'alarm recovery-alarm in ALARM', 'recovery-alarm'),
      entry(330, 'repair', 'ec2.instance', 'instance running on new hardware', 'i-0abc'),
      entry(400, 'recovered', 'drill', 'probes pass again'),
    ],
    probes: [
      {
        name: 'web',
        kind: 'http',
        target: 'http://203.0.113.10/',
        samples: [0, 30, 90, 150, 370, 400, 430].map((s) => ({ at: at(s), ok: s < 60 || s >= 370, detail: s < 60 || s >= 370 ? '200' : 'connection refused' })),
      },
    ],
    ...over,
  };
}

const breached = (): DrillResult => result({ status: 'breached', compliance: 'PolicyBreached', target: { rtoInSecs: 300, rpoInSecs: 0 } });
const neverRecovered = (): DrillResult =>
  result({ status: 'breached', compliance: 'PolicyBreached', disruption: 'AZ', drill: { ...WHERE, name: 'recovery-az-failure', mechanism: 'recovery alarm' }, recovered: undefined, survived: false, rto: { method: 'probes never passed again' } });
const couldNotRun = (): DrillResult =>
  result({ status: 'error', error: 'stack recovery: CREATE_FAILED', compliance: 'NotApplicable', faultStart: undefined, recovered: undefined, survived: false, experiment: undefined, rto: { method: 'not run' }, rpo: { method: 'not run' }, breakdown: {} });

describe('terminal report', () => {
  it('prints each timeline entry with cloud time, offset, real time, phase, source and message', () => {
    const r = result();
    const line = timelineLine(r.timeline[2], r.started);
    assert.equal(line, '00:02:00 +2m00s   12:00:01.200 detect     ec2.status-check            system status check impaired (i-0abc)');
    assert.doesNotMatch(line, /\x1b/, 'no colour unless asked');
    assert.match(timelineLine(r.timeline[1], r.started, { color: true }), /\x1b\[31mfault/);
  });

  it('keeps a message with line breaks on its one line', () => {
    const r = result();
    const line = timelineLine(entry(5, 'info', 'drill', 'first\nfaked line\r\n\x1b[2Jcleared'), r.started);
    assert.equal(line.split('\n').length, 1);
    assert.doesNotMatch(line, /\x1b/);
  });

  it('sums up RTO and RPO against the targets, with the method of each and the breakdown', () => {
    const text = terminalSummary(breached());
    assert.match(text, /verdict +PolicyBreached/);
    assert.match(text, /RTO +5 min 40 s, 3\.4 s real +\(target 5 min: BREACHED\)\n +measured by probes passed 3 checks in a row/);
    assert.match(text, /RPO +0 s, 0 s real +\(target 0 s: met\)\n +measured by storage lineage: same volumes/);
    assert.match(text, /breakdown +detect 60 s, decide 2 min, repair 2 min 40 s \(cloud\); detect 0\.6 s, decide 1\.2 s, repair 1\.6 s \(real\)/);
    assert.match(terminalSummary(result()), /verdict +PolicyMet/);
    assert.match(terminalSummary(neverRecovered()), /RTO +not measured +\(target 10 min: BREACHED\)/);
    assert.match(terminalSummary(couldNotRun()), /verdict +could not run\n +error +stack recovery: CREATE_FAILED/);
    assert.equal(terminalReport(result()).split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l)).length, 6, 'the whole report has every timeline line');
  });
});

describe('JSON report', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../schemas/drill-report.schema.json', import.meta.url), 'utf8')));
  // The document as parsed JSON (any): validate()'s type guard would otherwise narrow it to unknown.
  const valid = (r: DrillResult): any => {
    const doc = JSON.parse(JSON.stringify(jsonReport(r)));
    assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
    return doc;
  };

  it('is an AppAssessment with measured values when the policy is met', () => {
    const doc = valid(result());
    assert.equal(doc.exitCode, 0);
    const a = doc.assessment;
    assert.equal(a.invoker, 'User');
    assert.equal(a.assessmentStatus, 'Success');
    assert.equal(a.complianceStatus, 'PolicyMet');
    assert.equal(a.assessmentArn, 'arn:aws:resiliencehub:eu-west-1:123456789012:app-assessment/EXPabc123', 'the region and account the drill ran in');
    assert.deepEqual(a.policy, { policyName: 'recovery-host-failure', policy: { Hardware: { rtoInSecs: 600, rpoInSecs: 0 } } });
    assert.deepEqual(a.compliance.Hardware, {
      complianceStatus: 'PolicyMet',
      currentRtoInSecs: 340,
      currentRpoInSecs: 0,
      rtoDescription: 'Measured: probes passed 3 checks in a row; 5 min 40 s, target 10 min.',
      rpoDescription: 'Measured: storage lineage: same volumes; 0 s, target 0 s.',
      rtoReferenceId: 'EXPabc123',
      rpoReferenceId: 'EXPabc123',
    });
    assert.deepEqual(a.compliance.Software, { complianceStatus: 'NotApplicable' });
    assert.deepEqual(a.compliance.AZ, { complianceStatus: 'NotApplicable' });
    assert.equal(doc.timeline.length, 6);
    assert.equal(doc.probes[0].samples.length, 7);
  });

  it('says PolicyBreached and why when a figure is over its target, or the service never came back', () => {
    const over = valid(breached());
    assert.equal(over.exitCode, 1);
    assert.equal(over.assessment.complianceStatus, 'PolicyBreached');
    assert.equal(over.assessment.compliance.Hardware.message, 'RTO 5 min 40 s is over the target 5 min');
    const never = valid(neverRecovered());
    assert.equal(never.assessment.compliance.AZ.complianceStatus, 'PolicyBreached');
    assert.equal(never.assessment.compliance.AZ.currentRtoInSecs, undefined, 'no RTO for a service that never recovered');
    assert.match(never.assessment.compliance.AZ.message, /never recovered/);
    assert.equal(never.assessment.compliance.Hardware.complianceStatus, 'NotApplicable');
    assert.equal(never.recovered, undefined);
  });

  it('says Failed, with the reason, when the drill could not run', () => {
    const doc = valid(couldNotRun());
    assert.equal(doc.exitCode, 2);
    assert.equal(doc.error, 'stack recovery: CREATE_FAILED');
    assert.equal(doc.assessment.assessmentStatus, 'Failed');
    assert.equal(doc.assessment.message, 'The drill could not run: stack recovery: CREATE_FAILED');
  });

  it('spells names and messages within Resilience Hub\'s limits, whatever the drill is called', () => {
    const doc = valid(result({ drill: { ...WHERE, name: '--<Drill> ünïcode & more ' + 'x'.repeat(100) }, experiment: undefined, error: 'e'.repeat(900), status: 'error' }));
    assert.match(doc.assessment.assessmentName, /^[A-Za-z0-9][A-Za-z0-9_-]{1,59}$/);
    assert.ok(doc.assessment.message.length <= 500);
    assert.equal(doc.error.length, 900, 'the report itself keeps the whole error');
  });

  it('is refused by the schema when a member is missing or of a shape it does not publish', () => {
    const doc = JSON.parse(JSON.stringify(jsonReport(result())));
    delete doc.assessment.invoker;
    assert.equal(validate(doc), false);
    assert.equal(validate({ ...JSON.parse(JSON.stringify(jsonReport(result()))), extra: 1 }), false);
  });
});

describe('HTML report', () => {
  it('is one page with the timeline and the probes drawn as SVG, and the verdict', () => {
    const html = htmlReport(breached());
    assert.match(html, /^<!DOCTYPE html>/);
    const timeline = /<svg[^>]*class="timeline"[^]*?<\/svg>/.exec(html)?.[0];
    assert.ok(timeline, 'the timeline is an SVG');
    assert.equal(timeline.match(/<circle /g)?.length, 6, 'a mark per timeline entry');
    for (const lane of ['fault', 'detect', 'decide', 'repair', 'recovered']) assert.match(timeline, new RegExp(`>${lane}</text>`));
    assert.match(timeline, />RTO 5 min 40 s</);
    assert.match(timeline, />T\+0s</, 'the axis counts from the fault');
    const probes = /<svg[^>]*class="probes"[^]*?<\/svg>/.exec(html)?.[0];
    assert.equal(probes?.match(/<rect /g)?.length, 7, 'a mark per probe sample');
    assert.equal(probes?.match(/fill="#e53935"/g)?.length, 2, 'two failed checks');
    assert.match(html, /<span class="verdict breached">PolicyBreached<\/span>/);
    assert.doesNotMatch(html, /<script|<link|\ssrc=|href=/i, 'no script and nothing fetched');
  });

  it('escapes every string that comes from the drill or the world', () => {
    const hostile = '<script>alert("x")</script>';
    const r = result({
      drill: { ...WHERE, name: hostile, description: `<img src=x onerror=alert(1)>`, file: `"><b>` },
      error: hostile,
      experiment: { id: 'EXP<i>', status: 'completed', reason: hostile },
      timeline: [entry(60, 'fault', '<b>src</b>', hostile, '"onmouseover="x')],
      probes: [{ name: hostile, kind: 'http', target: hostile, samples: [{ at: at(70), ok: false, detail: hostile }] }],
    });
    const html = htmlReport(r);
    assert.doesNotMatch(html, /<script|<img|<b>|<i>|"onmouseover/);
    assert.match(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/);
  });

  it('shows a drill that never recovered and one that could not run', () => {
    assert.match(htmlReport(neverRecovered()), />not recovered</);
    assert.match(htmlReport(couldNotRun()), /<span class="verdict error">could not run<\/span> stack recovery: CREATE_FAILED/);
  });
});

describe('JUnit report', () => {
  const parse = (x: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', trimValues: false }).parse(x);
  const cases = (x: string) => [parse(x).testsuites.testsuite.testcase].flat();

  it('has one testsuite, a testcase per drill and per target, and a failure where a target was missed', () => {
    const doc = parse(junitReport([result(), breached(), couldNotRun()]));
    const suite = doc.testsuites.testsuite;
    assert.equal(suite.tests, '7');
    assert.equal(suite.failures, '2');
    assert.equal(suite.errors, '1');
    const names = suite.testcase.map((c: { name: string }) => c.name);
    assert.deepEqual(names, [
      'recovery-host-failure',
      'recovery-host-failure: Hardware RTO within 10 min',
      'recovery-host-failure: Hardware RPO within 0 s',
      'recovery-host-failure',
      'recovery-host-failure: Hardware RTO within 5 min',
      'recovery-host-failure: Hardware RPO within 0 s',
      'recovery-host-failure',
    ]);
    const [met, , , over, overRto, overRpo, error] = suite.testcase;
    assert.equal(met.failure, undefined);
    assert.equal(over.failure.type, 'PolicyBreached');
    assert.equal(over.failure.message, 'Hardware: RTO 5 min 40 s over 5 min');
    assert.equal(overRto.failure.message, 'RTO measured 5 min 40 s, target 5 min (probes passed 3 checks in a row)');
    assert.equal(overRpo.failure, undefined);
    assert.equal(error.error.message, 'stack recovery: CREATE_FAILED');
    assert.equal(met.time, '4.600', 'real seconds');
    assert.match(met['system-out'], /verdict +PolicyMet/);
  });

  it('fails the RTO of a service that never came back', () => {
    const [drill, rto, rpo] = cases(junitReport([neverRecovered()]));
    assert.equal(drill.failure.message, 'AZ: the service never recovered');
    assert.match(rto.failure.message, /RTO not measured \(the service never recovered\), target 10 min/);
    assert.equal(rpo.failure, undefined);
  });

  it('stays well-formed whatever the drill is called', () => {
    const name = '<a & "b"> \x01\x1b';
    const [drill] = cases(junitReport([result({ drill: { ...WHERE, name } })]));
    assert.equal(drill.name, '<a & "b"> ', 'escaped, and characters XML cannot hold dropped');
  });
});

describe("the chapter's table", () => {
  const run = (mechanism: string, disruption: 'Hardware' | 'AZ', survived: boolean, rto: number | undefined, rpo: number | undefined): DrillResult =>
    result({
      drill: { ...WHERE, name: `${mechanism} ${disruption}`, mechanism },
      disruption,
      survived,
      status: survived ? 'met' : 'breached',
      rto: { seconds: rto, method: 'probes' },
      rpo: { seconds: rpo, method: 'lineage' },
      ...(survived ? {} : { recovered: undefined }),
    });

  it('has a row per mechanism, in the order the drills ran, with the measured cells', () => {
    const results = [
      run('recovery alarm', 'Hardware', true, 340, 0),
      run('recovery alarm', 'AZ', false, undefined, undefined),
      run('Auto Scaling group', 'Hardware', true, 420, 7200),
      run('Auto Scaling group', 'AZ', true, 450, 7230),
      run('load balancer', 'AZ', true, 95, 0),
    ];
    assert.equal(
      markdownTable(results),
      `| mechanism | RTO | RPO | survives a server failure | survives an AZ failure |
|---|---|---|---|---|
| recovery alarm | 5 min 40 s (server), not recovered (AZ) | 0 s (server), not recovered (AZ) | yes | no |
| Auto Scaling group | 7 min (server), 7 min 30 s (AZ) | 2 h (server), 2 h 1 min (AZ) | yes | yes |
| load balancer | 95 s (AZ) | 0 s (AZ) | not drilled | yes |
`,
    );
  });

  it('takes every cell from the results: a different run gives a different table', () => {
    const a = tableRows([run('recovery alarm', 'Hardware', true, 340, 0)])[0].cells;
    const b = tableRows([run('recovery alarm', 'Hardware', false, undefined, undefined)])[0].cells;
    assert.deepEqual(a, { mechanism: 'recovery alarm', RTO: '5 min 40 s (server)', RPO: '0 s (server)', 'survives a server failure': 'yes', 'survives an AZ failure': 'not drilled' });
    assert.deepEqual(b, { mechanism: 'recovery alarm', RTO: 'not recovered (server)', RPO: 'not recovered (server)', 'survives a server failure': 'no', 'survives an AZ failure': 'not drilled' });
    const unmeasured = tableRows([result({ rpo: { method: 'not measured: no data probe' } })])[0].cells;
    assert.equal(unmeasured.RPO, 'not measured (server)', 'a service that came back without a measured RPO did recover');
    const failed = tableRows([couldNotRun()])[0].cells;
    assert.equal(failed['survives a server failure'], 'could not run');
    assert.equal(failed.RTO, 'could not run (server)');
  });

  it('names a row for its drill when the drill gives no mechanism, and keeps a pipe inside its cell', () => {
    const table = markdownTable([result({ drill: { ...WHERE, name: 'a|b' } })]);
    assert.match(table, /\n\| a\\\|b \| 5 min 40 s \(server\) \|/);
  });
});
