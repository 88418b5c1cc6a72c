/**
 * The drills control API: bad drill files refused with the field and the line and the world left
 * as it was, unknown actions and templates, targets that match nothing, a drill started twice, a
 * drill stopped, and results that survive a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeKeyPairsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';
import { control, DRILLS, finished, postDrill } from '../drill-support.ts';

/** A drill with no setup: the API answering is its steady state; it powers off an empty zone. */
const quick = (window: number, port?: number) => `name: quick
experiment:
  template:
    actions:
      Zone:
        actionId: faultline:az:power-off
        parameters: {availabilityZoneIdentifier: us-east-1f, duration: PT1M}
probes:
  - name: api
    aws:
      service: sts
      operation: GetCallerIdentity
      condition: Account
${port ? `  - name: port\n    tcp: {host: 127.0.0.1, port: ${port}}\n` : ''}recovery: {checks: 1, window: ${window}}
targets:
  AZ: {rtoInSecs: 60, rpoInSecs: 0}
`;

describe('drills: the control API', () => {
  let fl: Faultline;
  let ec2: EC2Client;
  before(async () => {
    fl = await startFaultline();
    ec2 = new EC2Client(fl.sdk);
  });
  after(() => fl.close());

  const worldIsEmpty = async () => {
    assert.deepEqual((await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs, []);
    assert.deepEqual((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['false'] }] }))).Vpcs, []);
    assert.deepEqual((await control(fl, 'GET', '/_faultline/drills')).body.drills, []);
  };

  it('refuses a malformed drill file with the field and the line, changing nothing', async () => {
    const source = readFileSync(DRILLS + 'recovery-host-failure.yaml', 'utf8').replace('      status: 200', '      status: ok').replace('  checks: 3', '  checks: three');
    const r = await postDrill(fl, DRILLS + 'recovery-host-failure.yaml', source);
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error.split('\n'), [
      'recovery-host-failure.yaml:55: probes[1].http.status: must be a number',
      'recovery-host-failure.yaml:64: recovery.checks: must be a number',
    ]);
    await worldIsEmpty();
  });

  it('refuses an action FIS does not run, a template it was not given and a reference to no step', async () => {
    // The template names a file on faultline's host: faultline reads no file a request names, only the templates it gives.
    const source = readFileSync(DRILLS + 'recovery-host-failure.yaml', 'utf8')
      .replace('actionId: faultline:host:power-off', 'actionId: aws:ec2:melt-instances')
      .replace('template: ../recovery.json', `template: ${DRILLS}../recovery.json`)
      .replace('${jenkins-recovery.resources.Server}', '${jenkins.resources.Server}');
    const r = await control(fl, 'POST', '/_faultline/drills', { source, file: 'recovery-host-failure.yaml', templates: { '../recovery.json': '{}' } });
    assert.equal(r.status, 400);
    const lines = r.body.error.split('\n');
    assert.equal(lines[0], `recovery-host-failure.yaml:13: setup[1].stack.template: the request gives no text for ${DRILLS}../recovery.json in templates (faultline drill run reads it beside the drill file and sends it)`);
    assert.equal(lines[1], 'recovery-host-failure.yaml:46: probes[0].aws.parameters.InstanceIds[0]: ${jenkins...} names no setup step (mykey, jenkins-recovery)');
    assert.equal(lines[2], "recovery-host-failure.yaml:31: experiment.template.actions.PowerOffHost.actionId: aws:ec2:melt-instances is not an action faultline's FIS runs (aws fis list-actions lists them)");
    await worldIsEmpty();
  });

  it('refuses a template id that names no template, and a body without a drill', async () => {
    const byId = quick(60).replace(/experiment:[\s\S]*?probes:/, 'experiment:\n  templateId: EXTnothere\nprobes:');
    const r = await control(fl, 'POST', '/_faultline/drills', { source: byId, file: 'quick.yaml' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'quick.yaml:3: experiment.templateId: names no experiment template in us-east-1: EXTnothere');
    const empty = await control(fl, 'POST', '/_faultline/drills', { file: 'x.yaml' });
    assert.deepEqual(empty, { status: 400, body: { error: 'give source: the drill file text (YAML or JSON)', code: 'ValidationException' } });
    await worldIsEmpty();
  });

  it('ends a drill whose targets match nothing as an error, with FIS\'s reason', async () => {
    const source = quick(60).replace(
      /experiment:[\s\S]*?probes:/,
      `experiment:
  template:
    targets:
      Nothing: {resourceType: "aws:ec2:instance", resourceTags: {Name: no-such-server}, selectionMode: ALL}
    actions:
      Off: {actionId: "faultline:host:power-off", targets: {Instances: Nothing}}
probes:`,
    ).replace('targets:\n  AZ:', 'targets:\n  Hardware:');
    const r = await control(fl, 'POST', '/_faultline/drills', { source, file: 'nothing.yaml' });
    assert.equal(r.status, 202);
    const view = await finished(fl, r.body.drillId);
    assert.equal(view.status, 'error');
    assert.equal(view.result!.status, 'error');
    assert.match(view.result!.error!, /^experiment EXP\w+ ended failed before any fault: .*Nothing/);
    assert.equal(view.result!.experiment!.status, 'failed');
    // It never faulted the host: the Hardware target it sets was not exercised.
    assert.equal(view.result!.disruption, 'Hardware');
    assert.equal(view.result!.compliance, 'NotApplicable');
    assert.deepEqual((await control(fl, 'GET', '/_faultline/faults')).body.faults, []);
    // The event log the timeline comes from gives every event's real time beside its cloud time.
    const events = (await control(fl, 'GET', '/_faultline/events')).body.events as { time: string; real: string }[];
    assert.ok(events.length > 0 && events.every((e) => Date.parse(e.real) > 0 && Date.parse(e.time) > 0));
  });

  it('refuses a second drill while one runs (409), and stops the first', async () => {
    const first = await control(fl, 'POST', '/_faultline/drills', { source: quick(36000), file: 'long.yaml' });
    assert.equal(first.status, 202);
    const second = await control(fl, 'POST', '/_faultline/drills', { source: quick(60), file: 'quick.yaml' });
    assert.equal(second.status, 409);
    assert.equal(second.body.error, `drill ${first.body.drillId} (quick) is running; stop it or wait for it to end`);
    const listed = (await control(fl, 'GET', '/_faultline/drills')).body.drills.find((d: { drillId: string }) => d.drillId === first.body.drillId);
    assert.equal(listed.status, 'running');
    assert.equal(listed.name, 'quick');
    const stop = await control(fl, 'POST', `/_faultline/drills/${first.body.drillId}/stop`, {});
    assert.deepEqual(stop, { status: 200, body: { drillId: first.body.drillId, status: 'stopping' } });
    const view = await finished(fl, first.body.drillId);
    assert.equal(view.status, 'stopped');
    assert.equal(view.result!.status, 'error');
    assert.equal(view.result!.error, 'stopped by the user');
    // Its experiment was stopped with it, and the zone's power is back.
    assert.equal(view.result!.experiment!.status, 'stopped');
    assert.deepEqual((await control(fl, 'GET', '/_faultline/faults')).body.faults, []);
    const again = await control(fl, 'POST', `/_faultline/drills/${first.body.drillId}/stop`, {});
    assert.deepEqual(again, { status: 409, body: { error: `drill ${first.body.drillId} is not running (stopped)`, code: 'ConflictException' } });
  });

  it('answers 404 for a drill it does not know', async () => {
    assert.deepEqual(await control(fl, 'GET', '/_faultline/drills/drill-nothere'), { status: 404, body: { error: 'no drill drill-nothere', code: 'ResourceNotFoundException' } });
    assert.deepEqual(await control(fl, 'POST', '/_faultline/drills/drill-nothere/stop', {}), { status: 404, body: { error: 'no drill drill-nothere', code: 'ResourceNotFoundException' } });
  });
});

describe('drills: results survive a restart', () => {
  it('keeps a finished drill and its result', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faultline-drill-'));
    try {
      const fl = await startFaultline({ dataDir });
      let drillId: string;
      let result: unknown;
      try {
        const r = await control(fl, 'POST', '/_faultline/drills', { source: quick(60, Number(new URL(fl.url).port)), file: 'quick.yaml' });
        drillId = r.body.drillId;
        const view = await finished(fl, drillId);
        const port = view.result!.probes.find((p) => p.kind === 'tcp')!;
        assert.equal(port.target, `127.0.0.1:${new URL(fl.url).port}`);
        assert.ok(port.samples.length > 1 && port.samples.every((s) => s.ok && s.detail === 'connected'));
        // The API never failed: RTO 0 after watching the whole window; no RPO without data or instances.
        assert.equal(view.result!.rto.seconds, 0);
        assert.equal(view.result!.rpo.seconds, undefined);
        assert.equal(view.status, 'breached');
        result = view.result;
      } finally {
        await fl.close();
      }
      const again = await startFaultline({ dataDir });
      try {
        const view = (await control(again, 'GET', `/_faultline/drills/${drillId}`)).body;
        assert.equal(view.status, 'breached');
        assert.deepEqual(view.result, result);
        assert.deepEqual((await control(again, 'GET', '/_faultline/drills')).body.drills.map((d: { drillId: string }) => d.drillId), [drillId]);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
