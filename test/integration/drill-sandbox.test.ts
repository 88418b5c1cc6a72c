/**
 * The recovery alarm's host-failure drill under the sandbox driver, with the example's template
 * and its CI stand-in really serving: the `http` probe measures a real RTO, and the `data` probe
 * writes jobs through the stand-in's API and reads them back after the recovery (a real RPO).
 * The drill steps the manual clock, leaving the real processes real time between steps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startFaultline } from '../harness.ts';
import { sandboxSkip } from '../sandbox-support.ts';
import { alignToMinute, DRILLS, finished, postDrill } from '../drill-support.ts';

describe('drills under the sandbox driver', { skip: sandboxSkip }, () => {
  it('measures a real RTO with the http probe and a real RPO with the data probe (the jobs survive)', async () => {
    const fl = await startFaultline({ driver: 'sandbox' });
    try {
      alignToMinute(fl);
      // The example as it is, with shorter real waits: a powered-off host does not answer at all.
      const source =
        readFileSync(DRILLS + 'recovery-host-failure.yaml', 'utf8').replace('      status: 200\n', '      status: 200\n      timeout: 0.5\n').replace('      record: "rec-{n}"\n', '      record: "rec-{n}"\n      timeout: 0.5\n') +
        'clock:\n  realPause: 0.2\n';
      const post = await postDrill(fl, DRILLS + 'recovery-host-failure.yaml', source);
      assert.equal(post.status, 202, JSON.stringify(post.body));
      const view = await finished(fl, post.body.drillId, 240_000);
      const r = view.result!;
      assert.equal(r.status, 'met', JSON.stringify({ error: r.error, rto: r.rto, rpo: r.rpo }));
      assert.equal(r.driver, 'sandbox');
      assert.deepEqual(r.probes.map((p) => [p.name, p.kind]), [['jenkins', 'http'], ['jobs', 'data']], 'under the sandbox the real service is the steady state');
      const page = r.probes[0];
      assert.match(page.target, /^http:\/\/127\.\d+\.\d+\.\d+:8080\/$/);
      // The page answered before the fault, stopped answering with the host, and came back.
      const fault = Date.parse(r.faultStart!.cloud);
      assert.ok(page.samples.some((s) => s.ok && Date.parse(s.at.cloud) < fault));
      assert.ok(page.samples.some((s) => !s.ok && Date.parse(s.at.cloud) > fault));
      // The stand-in can only answer again once the alarm has recovered the instance (five failing
      // minutes from the first failed check, at the minute after the fault) and it has booted.
      const firstFailedCheck = Math.ceil(fault / 60_000) * 60_000;
      const recoveredAt = firstFailedCheck + 5 * 60_000;
      assert.ok(Date.parse(r.recovered!.cloud) > recoveredAt, `back at ${r.recovered!.cloud}, recovery at ${new Date(recoveredAt).toISOString()}`);
      assert.equal(r.rto.seconds, (Date.parse(r.recovered!.cloud) - fault) / 1000);
      assert.ok(r.rto.realSeconds! > 0);
      assert.ok(r.timeline.some((t) => t.source === 'ec2.instance-recovered'));
      // Every job written before the fault is still there: EBS survives a recovery.
      assert.equal(r.rpo.seconds, 0);
      assert.match(r.rpo.method, /^data probe: all \d+ records acknowledged before the fault survived/);
      const written = r.probes[1].samples.filter((s) => s.ok && Date.parse(s.at.cloud) <= fault);
      assert.ok(written.length >= 3, 'records were written during the steady state');
      assert.equal(r.compliance, 'PolicyMet');
    } finally {
      await fl.close();
    }
  });
});
