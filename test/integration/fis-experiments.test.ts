/**
 * FIS experiments through boto3 and the AWS CLI, on the manual clock: actions run as a graph
 * with their durations on the clock, targets resolve by tags, filters, parameters and ARNs with
 * each selection mode, stop conditions and StopExperiment end an experiment with its rollback,
 * each action's effect shows through EC2's API, and an experiment survives a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultline, type Faultline } from '../harness.ts';
import { AMI, fisWorld, ROLE_ARN, type FisWorld } from './fis-support.ts';
import { getExperiment, startExperimentFromTemplate, stopExperimentById } from '../../src/services/fis/index.ts';

const NO_STOP = [{ source: 'none' }];
const byTag = (key: string, value: string, selectionMode = 'ALL') => ({ resourceType: 'aws:ec2:instance', resourceTags: { [key]: value }, selectionMode });

// The targets by AZ resolve to every subnet of the zone: this world's own, without the default VPC's.
const NO_DEFAULT_VPC = { defaultVpc: false };

describe('FIS experiments', () => {
  let fl: Faultline;
  let world: FisWorld;
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-fis-'));

  /** Creates each template and starts it, in one boto3 script; returns the experiment ids. */
  const startAll = async (templates: Record<string, unknown>[], actionsMode = 'run-all'): Promise<string[]> => {
    const bodies = templates.map((t) => ({ description: 'test', roleArn: ROLE_ARN, stopConditions: NO_STOP, targets: {}, ...t }));
    return fl.python(`
import boto3, json, os
fis = boto3.client('fis', endpoint_url=os.environ['FAULTLINE_URL'])
ids = []
for t in json.loads(${JSON.stringify(JSON.stringify(bodies))}):
    tid = fis.create_experiment_template(**t)['experimentTemplate']['id']
    x = fis.start_experiment(experimentTemplateId=tid, experimentOptions={'actionsMode': '${actionsMode}'})['experiment']
    assert x['state']['status'] == 'pending'
    ids.append(x['id'])
print(json.dumps(ids))
`);
  };
  const start = async (t: Record<string, unknown>) => (await startAll([t]))[0];
  /** The experiments (times in epoch seconds) and the instances' states, in one boto3 script. */
  const look = async (experimentIds: string[], instanceIds: string[] = []) =>
    fl.python(`
import boto3, json, os
fis = boto3.client('fis', endpoint_url=os.environ['FAULTLINE_URL'])
ec2 = boto3.client('ec2', endpoint_url=os.environ['FAULTLINE_URL'])
ids = json.loads('${JSON.stringify(instanceIds)}')
states = {i['InstanceId']: i['State']['Name'] for r in (ec2.describe_instances(InstanceIds=ids)['Reservations'] if ids else []) for i in r['Instances']}
xs = [fis.get_experiment(id=x)['experiment'] for x in json.loads('${JSON.stringify(experimentIds)}')]
print(json.dumps({'experiments': xs, 'states': states}, default=lambda d: d.timestamp()))
`) as Promise<{ experiments: any[]; states: Record<string, string> }>;
  const experiment = async (id: string) => (await look([id])).experiments[0];
  const states = async (ids: string[]) => (await look([], ids)).states;

  before(async () => {
    fl = await startFaultline({ dataDir, config: NO_DEFAULT_VPC });
    world = await fisWorld(fl, 4);
  });
  after(async () => {
    await fl.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs actions after those they start after, each for its duration on the clock', async () => {
    const [first] = world.instances.a;
    const id = await start({
      targets: { one: { resourceType: 'aws:ec2:instance', resourceArns: [`arn:aws:ec2:us-east-1:000000000000:instance/${first}`], selectionMode: 'ALL' } },
      actions: {
        stop: { actionId: 'aws:ec2:stop-instances', parameters: { startInstancesAfterDuration: 'PT2M' }, targets: { Instances: 'one' } },
        settle: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['stop'] },
        reboot: { actionId: 'aws:ec2:reboot-instances', targets: { Instances: 'one' }, startAfter: ['settle'] },
      },
    });
    fl.advance(0);
    let x = await experiment(id);
    assert.equal(x.state.status, 'running');
    assert.deepEqual([x.actions.stop.state.status, x.actions.settle.state.status], ['running', 'pending']);
    fl.advance(60);
    assert.equal((await states([first]))[first], 'stopped');
    fl.advance(600);
    const seen = await look([id], [first]);
    x = seen.experiments[0];
    assert.deepEqual(x.state, { status: 'completed', reason: 'Experiment completed.' });
    const t0 = x.startTime;
    const at = (name: string) => [x.actions[name].startTime - t0, x.actions[name].endTime - t0];
    // The stop holds 2 minutes, then its instance restarts and boots (30 s) before the wait begins.
    assert.deepEqual(at('stop'), [0, 150]);
    assert.deepEqual(at('settle'), [150, 210]);
    assert.deepEqual(at('reboot'), [210, 210]);
    assert.equal(x.endTime - t0, 210);
    assert.equal(seen.states[first], 'running');
    const events = (await (await fetch(`${fl.url}/_faultline/events?limit=10000`)).json()).events;
    assert.ok(events.some((e: { type: string; detail: { instanceId: string } }) => e.type === 'ec2.instance-reboot' && e.detail.instanceId === first));
    const actionEvents = events.filter((e: { type: string; detail: { experimentId: string } }) => e.type === 'fis.action.state' && e.detail.experimentId === id);
    assert.deepEqual(
      actionEvents.map((e: { detail: { action: string; status: string } }) => `${e.detail.action}:${e.detail.status}`),
      ['stop:running', 'stop:completed', 'settle:running', 'settle:completed', 'reboot:running', 'reboot:completed'],
    );
    assert.deepEqual(actionEvents[0].detail.targets, [`arn:aws:ec2:us-east-1:000000000000:instance/${first}`]);
  });

  it('resolves targets once, by tags, filters, parameters and ARNs, in each selection mode', async () => {
    const zoneA = { path: 'Placement.AvailabilityZone', values: ['us-east-1a'] };
    const targets = {
      all: { resourceType: 'aws:ec2:instance', filters: [zoneA, { path: 'State.Name', values: ['running', 'stopped'] }], selectionMode: 'ALL' },
      three: { ...byTag('Zone', 'a', 'COUNT(3)') },
      half: { ...byTag('Zone', 'a', 'PERCENT(50)') },
      fifth: { ...byTag('Zone', 'a', 'PERCENT(20)') },
      groups: { resourceType: 'aws:ec2:instance', filters: [{ path: 'NetworkInterfaces.SubnetId', values: [world.subnets.b] }], selectionMode: 'ALL' },
      subnetB: { resourceType: 'aws:ec2:subnet', parameters: { availabilityZoneIdentifier: 'use1-az2' }, selectionMode: 'ALL' },
      rootVolumesA: { resourceType: 'aws:ec2:ebs-volume', parameters: { availabilityZoneIdentifier: 'us-east-1a' }, filters: [{ path: 'Attachments.DeleteOnTermination', values: ['true'] }], selectionMode: 'COUNT(2)' },
    };
    const [id] = await startAll([{ targets, actions: { pause: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } }, experimentOptions: { emptyTargetResolutionMode: 'skip' } }], 'skip-all');
    fl.advance(0);
    const out = await fl.python(`
import boto3, json, os
fis = boto3.client('fis', endpoint_url=os.environ['FAULTLINE_URL'])
x = fis.get_experiment(id='${id}')['experiment']
resolved = {}
for p in fis.get_paginator('list_experiment_resolved_targets').paginate(experimentId='${id}', PaginationConfig={'PageSize': 3}):
    for t in p['resolvedTargets']:
        resolved.setdefault(t['targetName'], []).append(t['targetInformation']['identifier'])
print(json.dumps({'state': x['state'], 'action': x['actions']['pause']['state'], 'resolved': resolved}))
`);
    assert.equal(out.state.status, 'completed');
    assert.equal(out.action.status, 'skipped');
    const ids = (name: string) => (out.resolved[name] ?? []).map((a: string) => a.split('/')[1]).sort();
    assert.deepEqual(ids('all'), [...world.instances.a].sort());
    assert.equal(ids('three').length, 3);
    assert.equal(ids('half').length, 2);
    assert.deepEqual(ids('fifth'), [], 'PERCENT rounds down: 20% of 4 is none');
    for (const name of ['three', 'half']) for (const i of ids(name)) assert.ok(world.instances.a.includes(i));
    assert.deepEqual(ids('groups'), [...world.instances.b].sort());
    assert.deepEqual(ids('subnetB'), [world.subnets.b]);
    assert.equal(ids('rootVolumesA').length, 2);
    assert.ok(ids('rootVolumesA').every((v: string) => v.startsWith('vol-')));
  });

  it('fails on a target that resolves to nothing, and skips its actions when told to', async () => {
    const target = { ghosts: byTag('Role', 'ghost') };
    const actions = { stop: { actionId: 'aws:ec2:stop-instances', targets: { Instances: 'ghosts' } } };
    const [failing, skipping] = await startAll([{ targets: target, actions }, { targets: target, actions, experimentOptions: { emptyTargetResolutionMode: 'skip' } }]);
    fl.advance(0);
    const [f, s] = (await look([failing, skipping])).experiments;
    assert.equal(f.state.status, 'failed');
    assert.equal(f.state.reason, 'Target ghosts resolved to no resources.');
    assert.deepEqual(f.state.error, { code: 'InvalidTarget', location: 'ghosts', accountId: '000000000000' });
    assert.equal(f.actions.stop.state.status, 'cancelled');
    assert.equal(s.state.status, 'completed');
    assert.equal(s.actions.stop.state.status, 'skipped');
  });

  it('stops when a stop condition alarm goes to ALARM, restarting what it stopped', async () => {
    await fl.aws('cloudwatch', 'put-metric-alarm', '--alarm-name', 'guard', '--namespace', 'Test', '--metric-name', 'Errors', '--statistic', 'Sum',
      '--period', '60', '--evaluation-periods', '1', '--threshold', '1', '--comparison-operator', 'GreaterThanOrEqualToThreshold');
    const alarm = 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:guard';
    const [victim] = world.instances.b;
    const id = await start({
      stopConditions: [{ source: 'aws:cloudwatch:alarm', value: alarm }],
      targets: { victim: { resourceType: 'aws:ec2:instance', resourceArns: [`arn:aws:ec2:us-east-1:000000000000:instance/${victim}`], selectionMode: 'ALL' } },
      actions: {
        stop: { actionId: 'aws:ec2:stop-instances', parameters: { startInstancesAfterDuration: 'PT10M' }, targets: { Instances: 'victim' } },
        after: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['stop'] },
      },
    });
    fl.advance(60);
    assert.equal((await states([victim]))[victim], 'stopped');
    await fl.aws('cloudwatch', 'set-alarm-state', '--alarm-name', 'guard', '--state-value', 'ALARM', '--state-reason', 'errors');
    fl.advance(0);
    const x = await experiment(id);
    assert.deepEqual(x.state, { status: 'stopped', reason: 'Stop condition triggered.' });
    assert.equal(x.actions.stop.state.status, 'stopped');
    assert.equal(x.actions.after.state.status, 'cancelled');
    assert.equal(x.endTime - x.startTime, 60);
    fl.advance(60);
    assert.equal((await states([victim]))[victim], 'running', 'the rollback restarted the stopped instance');

    // With the alarm already in ALARM (its evaluation has since found no data), the experiment stops before any action runs.
    await fl.aws('cloudwatch', 'set-alarm-state', '--alarm-name', 'guard', '--state-value', 'ALARM', '--state-reason', 'errors again');
    const second = await start({
      stopConditions: [{ source: 'aws:cloudwatch:alarm', value: alarm }],
      targets: { victim: byTag('Zone', 'b') },
      actions: { terminate: { actionId: 'aws:ec2:terminate-instances', targets: { Instances: 'victim' } } },
    });
    fl.advance(0);
    const seen = await look([second], world.instances.b);
    assert.deepEqual(seen.experiments[0].state, { status: 'stopped', reason: 'Stop condition triggered.' });
    assert.equal(seen.experiments[0].actions.terminate.state.status, 'cancelled');
    assert.ok(Object.values(seen.states).every((s) => s === 'running'));
  });

  it('powers off hosts and zones as faultline fail does, and heals them when stopped by the user', async () => {
    fl.advance(300); // past the status checks' initialisation
    const [hostVictim] = world.instances.a;
    const [zone, host] = await startAll([
      { actions: { blackout: { actionId: 'faultline:az:power-off', parameters: { availabilityZoneIdentifier: 'use1-az2', duration: 'PT30M' } } } },
      {
        targets: { one: { resourceType: 'aws:ec2:instance', resourceArns: [`arn:aws:ec2:us-east-1:000000000000:instance/${hostVictim}`], selectionMode: 'ALL' } },
        actions: { off: { actionId: 'faultline:host:power-off', targets: { Instances: 'one' }, parameters: { duration: 'PT5M' } } },
      },
    ]);
    fl.advance(120);
    const impaired = async () => {
      const statuses = (await fl.aws('ec2', 'describe-instance-status', '--include-all-instances')).InstanceStatuses;
      return new Set(statuses.filter((s: { SystemStatus: { Status: string } }) => s.SystemStatus.Status === 'impaired').map((s: { InstanceId: string }) => s.InstanceId));
    };
    let down = await impaired();
    for (const i of world.instances.b) assert.ok(down.has(i), `${i} is in the zone without power`);
    assert.ok(down.has(hostVictim));
    const stopped = (await fl.aws('fis', 'stop-experiment', '--id', zone)).experiment;
    assert.deepEqual(stopped.state, { status: 'stopping', reason: 'Experiment stopped by user.' });
    fl.advance(0);
    assert.deepEqual((await experiment(zone)).state, { status: 'stopped', reason: 'Experiment stopped by user.' });
    const world1 = await (await fetch(`${fl.url}/_faultline/world`)).json();
    const zoneB = world1.regions[0].zones.find((z: { zone: string }) => z.zone === 'us-east-1b');
    assert.equal(zoneB.power, 'on', 'stopping the experiment healed the zone');
    fl.advance(240);
    assert.equal((await experiment(host)).state.status, 'completed');
    fl.advance(120);
    down = await impaired();
    assert.ok(!down.has(hostVictim), 'the host came back when the action ended');
  });

  it('fails when an alarm is not in the state it asserts, cancelling what would follow', async () => {
    const alarm = 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:guard';
    const id = await start({
      actions: {
        check: { actionId: 'aws:cloudwatch:assert-alarm-state', parameters: { alarmArns: alarm, alarmStates: 'ALARM' } },
        later: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' }, startAfter: ['check'] },
      },
    });
    fl.advance(0);
    const x = await experiment(id);
    assert.equal(x.state.status, 'failed');
    assert.equal(x.state.error.code, 'AssertionFailure');
    assert.equal(x.state.error.location, 'check');
    assert.match(x.actions.check.state.reason, /Alarm guard is in state INSUFFICIENT_DATA, not ALARM/);
    assert.equal(x.actions.later.state.status, 'cancelled');
  });

  it('runs an inline template for a drill, through the functions the drill runner calls, and logs each change', async () => {
    const scope = { account: '000000000000', region: 'us-east-1' };
    const started = startExperimentFromTemplate(fl.app.env, scope, {
      description: 'drill',
      roleArn: ROLE_ARN,
      stopConditions: [{ source: 'none' }],
      targets: {},
      actions: { pause: { actionId: 'aws:fis:wait', parameters: { duration: 'PT10M' } } },
    });
    fl.advance(60);
    assert.equal(getExperiment(fl.app.env, scope, started.id).actions.pause.state.status, 'running');
    assert.equal(stopExperimentById(fl.app.env, scope, started.id).state.status, 'stopping');
    fl.advance(0);
    assert.deepEqual(getExperiment(fl.app.env, scope, started.id).state, { status: 'stopped', reason: 'Experiment stopped by user.' });
    const listed = (await fl.aws('fis', 'list-experiments', '--experiment-template-id', started.experimentTemplateId)).experiments;
    assert.deepEqual(listed.map((x: { id: string }) => x.id), [started.id]);
    const changes = fl.app.env.events
      .list(0, 100_000)
      .filter((e) => e.type === 'fis.experiment.state' && e.detail.experimentId === started.id)
      .map((e) => e.detail.status);
    assert.deepEqual(changes, ['pending', 'initiating', 'running', 'stopping', 'stopped']);
  });

  it('terminates instances, and carries an experiment across a restart of faultline', async () => {
    const [doomed] = world.instances.a.slice(-1);
    const id = await start({
      targets: { doomed: { resourceType: 'aws:ec2:instance', resourceArns: [`arn:aws:ec2:us-east-1:000000000000:instance/${doomed}`], selectionMode: 'ALL' } },
      actions: {
        pause: { actionId: 'aws:fis:wait', parameters: { duration: 'PT5M' } },
        terminate: { actionId: 'aws:ec2:terminate-instances', targets: { Instances: 'doomed' }, startAfter: ['pause'] },
      },
    });
    fl.advance(60);
    await fl.close();
    fl = await startFaultline({ dataDir, config: NO_DEFAULT_VPC });
    assert.equal((await experiment(id)).actions.pause.state.status, 'running');
    fl.advance(300);
    const seen = await look([id], [doomed]);
    const x = seen.experiments[0];
    assert.equal(x.state.status, 'completed');
    assert.equal(x.actions.terminate.startTime - x.startTime, 300);
    assert.match(seen.states[doomed], /shutting-down|terminated/);
  });

  it('restarts the stopped instances that remain when another was terminated meanwhile, and still fails', async () => {
    const ids: string[] = await fl.python(`
import boto3, json, os
ec2 = boto3.client('ec2', endpoint_url=os.environ['FAULTLINE_URL'])
r = ec2.run_instances(ImageId='${AMI}', InstanceType='t3.micro', MinCount=4, MaxCount=4, SubnetId='${world.subnets.a}')
print(json.dumps([i['InstanceId'] for i in r['Instances']]))
`);
    fl.advance(60);
    const arns = (xs: string[]) => xs.map((i) => `arn:aws:ec2:us-east-1:000000000000:instance/${i}`);
    const stopBoth = (pair: string[]) => ({
      targets: { pair: { resourceType: 'aws:ec2:instance', resourceArns: arns(pair), selectionMode: 'ALL' } },
      actions: { stop: { actionId: 'aws:ec2:stop-instances', parameters: { startInstancesAfterDuration: 'PT2M', completeIfInstancesTerminated: 'false' }, targets: { Instances: 'pair' } } },
    });
    const [ended, stoppedEarly] = await startAll([stopBoth(ids.slice(0, 2)), stopBoth(ids.slice(2))]);
    fl.advance(60);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', ids[1], ids[3]);
    await fl.aws('fis', 'stop-experiment', '--id', stoppedEarly);
    fl.advance(0); // the stop's rollback
    fl.advance(90); // the end of the first one's duration, and both survivors' boots (30 s)
    const seen = await look([ended, stoppedEarly], ids);
    for (const [x, survivor, gone] of [[seen.experiments[0], ids[0], ids[1]], [seen.experiments[1], ids[2], ids[3]]]) {
      assert.equal(x.state.status, 'failed');
      assert.deepEqual(x.state.error, { code: 'InvalidTarget', location: 'stop', accountId: '000000000000' });
      assert.equal(x.actions.stop.state.status, 'failed');
      assert.match(x.actions.stop.state.reason, new RegExp(`Instances ${gone} were terminated`));
      assert.equal(seen.states[survivor], 'running', 'the instance that was not terminated was restarted');
    }
  });
});
