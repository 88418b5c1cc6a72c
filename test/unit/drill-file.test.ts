/**
 * Drill files: what a good one reads as, and how a bad one is refused, every problem with its
 * file, line and field, all at once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { DrillFileError, parseDrill } from '../../src/drills/file.ts';
import { DRILLS } from '../drill-support.ts';

const GOOD = `name: web
setup:
  - stack:
      name: web
      template: ../web.yaml
experiment:
  template:
    actions:
      Off:
        actionId: faultline:host:power-off
probes:
  - name: page
    http:
      url: "\${web.outputs.URL}/"
recovery:
  checks: 2
targets:
  Hardware: {rtoInSecs: 600, rpoInSecs: 0}
`;

const refusal = (source: string, file = 'web.yaml') => {
  try {
    parseDrill(source, file);
  } catch (e) {
    assert.ok(e instanceof DrillFileError, String(e));
    return e.message.split('\n');
  }
  assert.fail('expected the drill file to be refused');
};

describe('drill files', () => {
  it('reads a drill with its defaults', () => {
    const d = parseDrill(GOOD, 'web.yaml');
    assert.equal(d.region, 'us-east-1');
    assert.deepEqual(d.recovery, { checks: 2, windowSeconds: 1800 });
    assert.deepEqual(d.clock, { mode: undefined, step: 10, realPauseSeconds: undefined });
    assert.deepEqual(d.probes, [{ name: 'page', interval: 10, kind: 'http', url: '${web.outputs.URL}/', status: undefined, body: undefined, timeout: 2 }]);
    assert.deepEqual(d.setup, [{ stack: { name: 'web', template: '../web.yaml', parameters: {}, capabilities: [] } }]);
  });

  it('reads the same drill written as JSON', () => {
    const json = JSON.stringify({ name: 'web', experiment: { templateId: 'EXT1' }, probes: [{ name: 't', tcp: { host: '127.0.0.1', port: 80 } }], targets: { AZ: { rtoInSecs: 1, rpoInSecs: 2 } } }, null, 2);
    const d = parseDrill(json, 'web.json');
    assert.deepEqual(d.experiment, { templateId: 'EXT1' });
    assert.deepEqual(d.targets, { AZ: { rtoInSecs: 1, rpoInSecs: 2 } });
  });

  it('reads every drill of the chapter, each valid against the published schema', () => {
    const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false }).compile(JSON.parse(readFileSync(new URL('../../schemas/drill.schema.json', import.meta.url), 'utf8')));
    const files = readdirSync(DRILLS).filter((x) => x.endsWith('.yaml'));
    assert.equal(files.length, 12);
    for (const f of files) {
      const source = readFileSync(DRILLS + f, 'utf8');
      const d = parseDrill(source, f);
      assert.ok(d.mechanism && Object.keys(d.targets).length === 1, f);
      assert.ok(validate(parseYaml(source)), `${f}: ${JSON.stringify(validate.errors)}`);
      // The editor's schema comment points at the schema from where the file is.
      assert.match(source, /^# yaml-language-server: \$schema=\.\.\/\.\.\/\.\.\/schemas\/drill\.schema\.json$/m, f);
    }
  });

  it('gives an aws probe a timeout for its calls', () => {
    const probe = (extra: string) => parseDrill(`name: t\nexperiment: {templateId: EXT1}\nprobes:\n  - name: api\n    aws: {service: sts, operation: GetCallerIdentity, condition: Account${extra}}\ntargets:\n  AZ: {rtoInSecs: 1, rpoInSecs: 1}\n`, 't.yaml').probes[0];
    assert.equal((probe('') as { timeout: number }).timeout, 10);
    assert.equal((probe(', timeout: 3') as { timeout: number }).timeout, 3);
  });

  it('reads a sql probe with its defaults, takes mysql:// too, refuses another connection string, and a sql probe alone', () => {
    const drill = (probe: string) => `name: t\nexperiment: {templateId: EXT1}\nprobes:\n  - name: page\n    http: {url: "http://h/"}\n  - name: rows\n    sql: ${probe}\ntargets:\n  AZ: {rtoInSecs: 1, rpoInSecs: 1}\n`;
    assert.deepEqual(parseDrill(drill('{url: "postgres://app:${db.outputs.Password}@${db.outputs.Address}:5432/app"}'), 't.yaml').probes[1], {
      name: 'rows', interval: 10, kind: 'sql', url: 'postgres://app:${db.outputs.Password}@${db.outputs.Address}:5432/app', table: 'faultline_rpo', record: 'faultline_rpo row {n}', timeout: 5,
    });
    assert.equal((parseDrill(drill('{url: "mysql://app:pw@h:3306/app"}'), 't.yaml').probes[1] as { url: string }).url, 'mysql://app:pw@h:3306/app');
    assert.deepEqual(refusal(drill('{url: "sqlserver://h/app", table: "Rows; DROP"}')), [
      'web.yaml:7: probes[1].sql.url: must be a postgres:// or mysql:// connection string, not "sqlserver://h/app"',
      'web.yaml:7: probes[1].sql.table: must be a lower-case SQL name (letters, digits, _)',
    ]);
    assert.deepEqual(refusal('name: t\nexperiment: {templateId: EXT1}\nprobes:\n  - name: rows\n    sql: {url: "postgres://h/app"}\ntargets:\n  AZ: {rtoInSecs: 1, rpoInSecs: 1}\n'), [
      'web.yaml:3: probes: needs at least one steady-state probe (http, tcp or aws); a data or sql probe measures RPO only',
    ]);
  });

  it('names the line of a YAML error', () => {
    assert.deepEqual(refusal('name: web\nprobes: []\nname: again\n'), ['web.yaml:3: Map keys must be unique']);
    assert.deepEqual(refusal('name: web\nprobes:\n  - name: a\n   b: c\n'), ['web.yaml:4: Sequence item without - indicator']);
  });

  it('names the file, line and field of each problem, all at once', () => {
    const bad = GOOD.replace('"${web.outputs.URL}/"', 'ftp://example/')
      .replace('checks: 2', 'checks: 0')
      .replace('rpoInSecs: 0', 'rpoInSecs: -1')
      .replace('name: page', 'name: page\n    colour: red');
    assert.deepEqual(refusal(bad), [
      'web.yaml:13: probes[0].colour: is not a field here (expected name, interval, only, http, tcp, aws, data, sql)',
      'web.yaml:15: probes[0].http.url: must be an http:// or https:// URL, not "ftp://example/"',
      'web.yaml:17: recovery.checks: must be at least 1',
      'web.yaml:19: targets.Hardware.rpoInSecs: must be at least 0',
    ]);
  });

  it('refuses missing parts, naming them', () => {
    assert.deepEqual(refusal('name: web\n'), [
      'web.yaml:1: experiment: is required',
      'web.yaml:1: probes: must be a list of at least one probe',
      'web.yaml:1: targets: is required',
    ]);
    assert.deepEqual(refusal('- just\n- a list\n'), ['web.yaml:1: (the file): must be a mapping']);
  });

  it('refuses a probe with two kinds, a bad JMESPath, a data probe without {n}, and only a data probe', () => {
    const src = `name: x
experiment: {templateId: EXT1}
targets: {Software: {rtoInSecs: 1, rpoInSecs: 1}}
probes:
  - name: a
    tcp: {host: h, port: 1}
    http: {url: "http://h/"}
  - name: b
    aws:
      service: ec2
      operation: DescribeInstances
      condition: "Reservations[?"
  - name: c
    data: {write: "http://h/w", read: "http://h/r"}
`;
    const lines = refusal(src, 'x.yaml');
    assert.equal(lines[0], 'x.yaml:5: probes[0]: a probe has exactly one of http, tcp, aws, data, sql');
    assert.match(lines[1], /^x\.yaml:12: probes\[1\]\.aws\.condition: is not a JMESPath expression: /);
    assert.equal(lines[2], 'x.yaml:14: probes[2].data.write: must contain {n} (the record number), e.g. ...?name=rec-{n}');
    assert.equal(lines[3], 'x.yaml:4: probes: needs at least one steady-state probe (http, tcp or aws); a data or sql probe measures RPO only');
    assert.equal(lines.length, 4);
  });

  it('refuses an experiment that is both inline and by id, and an image of an unknown stack', () => {
    const src = GOOD.replace('experiment:\n', 'experiment:\n  templateId: EXT1\n').replace('setup:\n', 'setup:\n  - image: {name: img, stack: nope}\n');
    assert.deepEqual(refusal(src), [
      'web.yaml:3: setup[0].image.stack: names no earlier stack step (nope)',
      'web.yaml:7: experiment: give either template (an inline FIS experiment template) or templateId',
    ]);
  });
});
