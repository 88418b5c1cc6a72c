/**
 * The chapter's drills on the simulated driver and the manual clock, through the control API:
 * the measured RTO and RPO of each mechanism against values worked out by hand from AWS's
 * documented timings and faultline's settings. Each drill runs on a fresh faultline (a drill
 * deploys its own stack), from a whole minute T0, so that every instant is exact.
 *
 * The settings and timings the arithmetic uses (faultline's defaults, src/config.ts):
 * - bootSeconds 30: an instance is running 30 s after launch; CloudFormation's stack completes then.
 * - statusCheckInitSeconds 120: DescribeInstanceStatus says `initializing` for 120 s after an
 *   instance (re)starts running, so the probes (status checks `ok`) pass 120 s after it runs.
 * - EC2 runs status checks once a minute, on the minute: a fault is detected at the next minute.
 * - The drill steps the clock by 10 s and needs 3 passing checks in a row: the steady state is
 *   taken at the third passing check, and the experiment starts right then (the fault, F).
 * - recovery.json's alarm: StatusCheckFailed_System, Minimum > 0 over 5 periods of 60 s.
 * - multiaz*.json's group: EC2 health checks, HealthCheckGracePeriod 600 s from the instance going
 *   in service; after it, EC2 Auto Scaling tolerates an impaired status check for 3 minutes.
 * - imageSeconds 60: an image is available 60 s after CreateImage; its snapshot starts at once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline } from '../harness.ts';
import { alignToMinute, DRILLS, finished, postDrill, since } from '../drill-support.ts';
import type { Breakdown } from '../../src/drills/result.ts';

/** The breakdown in cloud seconds (the real spans beside them vary from run to run). */
const cloud = ({ detectSeconds, decideSeconds, repairSeconds }: Breakdown) =>
  Object.fromEntries(Object.entries({ detectSeconds, decideSeconds, repairSeconds }).filter(([, v]) => v !== undefined));

async function drill(file: string) {
  const fl = await startFaultline();
  try {
    const t0 = alignToMinute(fl);
    const post = await postDrill(fl, DRILLS + file);
    assert.equal(post.status, 202, JSON.stringify(post.body));
    assert.equal(post.body.status, 'running');
    const view = await finished(fl, post.body.drillId);
    assert.ok(view.result, JSON.stringify(view));
    return { view, r: view.result!, t0 };
  } finally {
    await fl.close();
  }
}

describe('drills: the chapter, measured', () => {
  it('the recovery alarm survives a server failure: RTO 430 s, RPO 0 (same volumes)', async () => {
    const { view, r, t0 } = await drill('recovery-host-failure.yaml');
    // T0: stack created; the instance runs at T0+30; checks pass from T0+150 (30 + 120); the third
    // passing check is at T0+170: the host is powered off then.
    assert.equal(since(t0, r.faultStart), 170);
    // Detected by the status check at T0+180; the alarm's five failing minutes end at T0+480, when
    // it recovers the instance onto another host; its checks initialise for 120 s: back at T0+600.
    assert.equal(since(t0, r.recovered), 600);
    assert.equal(r.rto.seconds, 600 - 170);
    assert.deepEqual(cloud(r.breakdown), { detectSeconds: 180 - 170, decideSeconds: 480 - 180, repairSeconds: 600 - 480 });
    // Each span in real time too, from the real times the timeline's entries carry.
    for (const k of ['detectRealSeconds', 'decideRealSeconds', 'repairRealSeconds'] as const) assert.ok(r.breakdown[k]! >= 0, k);
    assert.equal(r.rpo.seconds, 0);
    assert.equal(r.rpo.realSeconds, 0);
    assert.match(r.rpo.method, /^storage lineage: i-\w+ serves with the same volumes as before the fault/);
    assert.equal(r.survived, true);
    assert.equal(r.disruption, 'Hardware');
    assert.deepEqual(r.target, { rtoInSecs: 900, rpoInSecs: 0 });
    assert.equal(r.compliance, 'PolicyMet');
    assert.equal(r.status, 'met');
    assert.equal(view.status, 'met');
    assert.equal(r.driver, 'simulated');
    assert.ok(r.rto.realSeconds! >= 0);
    // The timeline tells the story from the event log, in order.
    const story = r.timeline.filter((t) => ['fault.injected', 'ec2.status-check', 'cloudwatch.alarm.state', 'ec2.instance-recovered'].includes(t.source) && Date.parse(t.at.cloud) >= t0 + 170_000);
    assert.deepEqual(
      story.map((t) => [since(t0, t.at), t.phase, t.source]),
      [
        [170, 'fault', 'fault.injected'],
        [180, 'detect', 'ec2.status-check'],
        [480, 'decide', 'cloudwatch.alarm.state'],
        [480, 'repair', 'ec2.instance-recovered'],
        [540, 'repair', 'ec2.status-check'],
      ],
    );
    assert.ok(r.timeline.every((t) => t.at.real && t.at.cloud));
    // Before the fault, the launch and its status checks set the world up; they recover nothing.
    const early = r.timeline.filter((t) => Date.parse(t.at.cloud) < t0 + 170_000 && t.source.includes('.'));
    assert.ok(early.some((t) => t.source === 'ec2.status-check'));
    assert.deepEqual([...new Set(early.map((t) => t.phase))], ['setup']);
    assert.equal(r.experiment?.status, 'stopped', 'the drill stops its experiment, healing the host');
  });

  it('the recovery alarm does not survive an AZ failure: no host in the zone to recover onto', async () => {
    const { r } = await drill('recovery-az-failure.yaml');
    assert.equal(r.survived, false);
    assert.equal(r.disruption, 'AZ');
    assert.equal(r.rto.seconds, undefined);
    assert.equal(r.rpo.seconds, undefined);
    assert.equal(r.compliance, 'PolicyBreached');
    assert.equal(r.status, 'breached');
    // Detected at T0+180 and decided at T0+480 as above, but the recovery fails: nothing repairs.
    assert.deepEqual(cloud(r.breakdown), { detectSeconds: 10, decideSeconds: 300 });
    assert.ok(r.timeline.some((t) => t.source === 'ec2.instance-recovery-failed'));
    // Observed for the whole window (1800 s) after the fault.
    assert.equal((Date.parse(r.ended.cloud) - Date.parse(r.faultStart!.cloud)) / 1000, 1800);
  });

  it('the Auto Scaling group survives a server failure and loses everything since its image: RTO 610 s, RPO 170 s', async () => {
    const { r, t0 } = await drill('multiaz-host-failure.yaml');
    assert.equal(since(t0, r.faultStart), 170);
    // The instance went in service at T0+30: its grace period ends at T0+630, by when its checks
    // (impaired since T0+180) have failed for more than 3 minutes; the group replaces it at T0+630.
    // The new instance runs at T0+660 and its checks pass at T0+780.
    assert.equal(since(t0, r.recovered), 780);
    assert.equal(r.rto.seconds, 780 - 170);
    assert.deepEqual(cloud(r.breakdown), { detectSeconds: 10, decideSeconds: 630 - 180, repairSeconds: 780 - 630 });
    // The replacement starts from the stock image: what the old instance (launched at T0) wrote is lost.
    assert.equal(r.rpo.seconds, 170 - 0);
    // In real time: from when the world's clock reached the old instance's launch to the fault.
    assert.ok(r.rpo.realSeconds! > 0, JSON.stringify(r.rpo));
    assert.match(r.rpo.method, /from an image older than the instance that served before.*everything it wrote is lost/);
    assert.equal(r.survived, true);
    assert.equal(r.compliance, 'PolicyBreached', 'its RPO target is 0');
  });

  it('the Auto Scaling group survives an AZ failure: the replacement runs in the other zone', async () => {
    const { r, t0, view } = await drill('multiaz-az-failure.yaml');
    assert.equal(r.disruption, 'AZ');
    assert.equal(since(t0, r.recovered), 780);
    assert.equal(r.rto.seconds, 610);
    assert.equal(r.rpo.seconds, 170);
    assert.equal(r.survived, true);
    // At T0+630 the group first tries the powered-off zone (no capacity), then launches in the other.
    const launches = view.timeline.filter((t) => t.source === 'autoscaling.activity.end' && /Launching/.test(t.message) && since(t0, t.at)! >= 630);
    assert.deepEqual(
      launches.map((t) => [since(t0, t.at), t.phase, /: (Failed|Successful)$/.exec(t.message)?.[1]]),
      [
        [630, 'info', 'Failed'],
        [660, 'repair', 'Successful'],
      ],
    );
  });

  it('the group from an image loses what was written since the image: RPO 690 s, the time since the image', async () => {
    const { r, t0 } = await drill('multiaz-ebs-host-failure.yaml');
    // T0+30: the stack is complete and the image of its instance starts (its snapshot with it);
    // T0+90: the image is available and the stack is updated to launch from it; the update
    // completes at the next check (T0+100); then 600 s of work: the probes' third check is T0+720.
    assert.equal(since(t0, r.faultStart), 720);
    assert.equal(r.rpo.seconds, 720 - 30);
    assert.match(r.rpo.method, /^storage lineage: new volumes from a snapshot \(vol-\w+ was made from snap-\w+, started /);
    // Detected at T0+780 (the check at T0+720 ran just before the fault); the grace period is long
    // over, so the group replaces the instance after 3 minutes of impaired checks (T0+960); it runs
    // at T0+990 and passes its checks at T0+1110.
    assert.equal(since(t0, r.recovered), 1110);
    assert.deepEqual(cloud(r.breakdown), { detectSeconds: 60, decideSeconds: 180, repairSeconds: 150 });
    assert.equal(r.compliance, 'PolicyMet');
  });
});
