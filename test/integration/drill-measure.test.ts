/**
 * What a drill measures, on drills with no setup against one faultline (manual clock): checks
 * counted only when a probe was checked, a record written at the fault's instant counted after
 * it, the fault's start read from the drill's own experiment, real time beside cloud time in
 * RPO and the breakdown, RTO 0 named for what it is, and the disruption type of a connectivity
 * disruption read from the subnets it cut.
 *
 * The data probe writes to a small service of the test's own on loopback, which loses the records
 * named in `lose` and every record written while a fault on us-east-1f holds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFaultline, type Faultline } from '../harness.ts';
import { alignToMinute, control, finished, since } from '../drill-support.ts';
import type { DrillResult } from '../../src/drills/result.ts';

/** A record store that loses what a fault in us-east-1f catches, and the records in `lose`. */
function recordStore(fl: Faultline) {
  const kept = new Set<string>();
  const lose = new Set<string>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/write') {
      const faults = (await control(fl, 'GET', '/_faultline/faults')).body.faults as { target: string }[];
      const name = url.searchParams.get('name')!;
      if (!lose.has(name) && !faults.some((f) => f.target === 'us-east-1f')) kept.add(name);
      res.end('ok');
    } else res.end([...kept].join('\n'));
  });
  return { server, kept, lose };
}

/** Waits 60 s, then powers off us-east-1f (empty): its fault starts inside a step of the clock. */
const drillSource = (port: number) => `name: measured
experiment:
  template:
    actions:
      Wait: {actionId: "aws:fis:wait", parameters: {duration: PT1M}}
      Zone:
        actionId: faultline:az:power-off
        parameters: {availabilityZoneIdentifier: us-east-1f, duration: PT1M}
        startAfter: [Wait]
probes:
  - name: api
    interval: 30
    aws: {service: sts, operation: GetCallerIdentity, condition: Account}
  - name: jobs
    data: {write: "http://127.0.0.1:${port}/write?name=rec-{n}", read: "http://127.0.0.1:${port}/list"}
recovery: {checks: 3, window: 60}
targets:
  AZ: {rtoInSecs: 60, rpoInSecs: 0}
`;

/** Cuts the subnets tagged `tag`=yes, watching the API for 60 s. */
const cutSource = (tag: string) => `name: cut-${tag}
experiment:
  template:
    targets:
      Subnets: {resourceType: "aws:ec2:subnet", resourceTags: {${tag}: "yes"}, selectionMode: ALL}
    actions:
      Cut: {actionId: "aws:network:disrupt-connectivity", parameters: {duration: PT1M}, targets: {Subnets: Subnets}}
probes:
  - name: api
    aws: {service: sts, operation: GetCallerIdentity, condition: Account}
recovery: {checks: 1, window: 60}
targets:
  AZ: {rtoInSecs: 60, rpoInSecs: 0}
`;

describe('drills: what they measure', () => {
  let fl: Faultline;
  let store: ReturnType<typeof recordStore>;
  let port: number;
  before(async () => {
    fl = await startFaultline();
    store = recordStore(fl);
    await new Promise<void>((r) => store.server.listen(0, '127.0.0.1', r));
    port = (store.server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => (store.server as Server).close(r));
    await fl.close();
  });

  const run = async (source: string): Promise<DrillResult> => {
    const post = await control(fl, 'POST', '/_faultline/drills', { source, file: 'm.yaml' });
    assert.equal(post.status, 202, JSON.stringify(post.body));
    const view = await finished(fl, post.body.drillId);
    assert.ok(view.result, JSON.stringify(view));
    return view.result!;
  };

  it('counts checks, not steps; reads the fault from its own experiment; counts a record written at the fault after it', async () => {
    const t0 = alignToMinute(fl);
    // Another experiment, started just before the drill, whose action of the same name starts 60 s later.
    const other = await fl.python(`
import boto3, json, os
fis = boto3.client('fis', endpoint_url=os.environ['FAULTLINE_URL'])
wait = {'actionId': 'aws:fis:wait', 'parameters': {'duration': 'PT1M'}}
t = fis.create_experiment_template(description='other', roleArn='arn:aws:iam::000000000000:role/fis', stopConditions=[{'source': 'none'}],
    actions={'Wait': wait, 'Zone': dict(wait, startAfter=['Wait'])})
print(json.dumps(fis.start_experiment(experimentTemplateId=t['experimentTemplate']['id'])['experiment']['id']))
`);
    const r = await run(drillSource(port));
    const experimentStart = r.timeline.find((t) => t.phase === 'experiment' && t.source === 'drill')!;
    // The API probe is checked every 30 s: its three passing checks are at T0, T0+30 and T0+60.
    assert.equal(since(t0, experimentStart.at), 60);
    const api = r.probes.find((p) => p.name === 'api')!;
    assert.deepEqual(api.samples.filter((s) => s.at.cloud <= experimentStart.at.cloud).map((s) => since(t0, s.at)), [0, 30, 60]);
    // The wait takes 60 s: the zone powers off at T0+120.
    assert.equal(since(t0, r.faultStart), 120);
    const events = (await control(fl, 'GET', '/_faultline/events')).body.events as { real: string; type: string; detail: Record<string, unknown> }[];
    const zoneRunning = (experimentId: string) => events.find((e) => e.type === 'fis.action.state' && e.detail.experimentId === experimentId && e.detail.action === 'Zone' && e.detail.status === 'running')!;
    assert.notEqual(zoneRunning(other).real, zoneRunning(r.experiment!.id).real);
    assert.equal(r.faultStart!.real, zoneRunning(r.experiment!.id).real);
    // rec-13 was written at T0+120, after the fault (the store lost it): every record before it survived.
    assert.ok(!store.kept.has('rec-13') && store.kept.has('rec-12'));
    assert.equal(r.rpo.seconds, 0);
    assert.match(r.rpo.method, /^data probe: all 12 records acknowledged before the fault survived/);
    // The API never failed: RTO 0, and it says why.
    assert.equal(r.rto.seconds, 0);
    assert.equal(r.rto.method, 'the probes never failed in the 60 s after the fault');
    assert.equal(r.drill.region, 'us-east-1');
    assert.equal(r.drill.account, '000000000000');
  });

  it('gives RPO in real time as well as cloud time when records are lost', async () => {
    store.kept.clear();
    const t0 = alignToMinute(fl);
    // rec-12 (T0+110) and rec-11 (T0+100) are lost; rec-10 (T0+90) is the newest to survive.
    store.lose.add('rec-11').add('rec-12');
    const r = await run(drillSource(port));
    assert.equal(since(t0, r.faultStart), 120);
    assert.equal(r.rpo.seconds, 30);
    assert.match(r.rpo.method, /newest surviving record rec-10 was written 30 s before the fault; 2 later records were lost/);
    assert.ok(typeof r.rpo.realSeconds === 'number' && r.rpo.realSeconds > 0, JSON.stringify(r.rpo));
  });

  it('counts a connectivity disruption as an AZ failure only when it cuts all of a zone\'s subnets', async () => {
    await fl.python(`
import boto3, os
ec2 = boto3.client('ec2', endpoint_url=os.environ['FAULTLINE_URL'])
vpc = ec2.create_vpc(CidrBlock='10.9.0.0/16')['Vpc']['VpcId']
for i, tags in enumerate([['ZoneA', 'One'], ['ZoneA']]):
    s = ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.9.{i}.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
    ec2.create_tags(Resources=[s], Tags=[{'Key': k, 'Value': 'yes'} for k in tags])
`);
    const one = await run(cutSource('One'));
    assert.equal(one.disruption, 'Hardware');
    const all = await run(cutSource('ZoneA'));
    assert.equal(all.disruption, 'AZ');
  });
});
