import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EC2Client, DescribeAvailabilityZonesCommand, DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';
import { hostUsable } from '../../src/world/state.ts';

const run = promisify(execFile);

describe('fault injection', () => {
  let fl: Faultline;
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: fl.clientEnv });
  const control = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(fl.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  before(async () => (fl = await startFaultline()));
  after(() => fl.close());

  it('fails a host from the CLI and heals it when its duration runs out on the clock', async () => {
    const { stdout } = await cli('fail', 'host', '--host', 'h-us-east-1a-01', '--duration', '300');
    const faultId = /^(fault-[0-9a-f]+):/.exec(stdout)![1];
    assert.equal(hostUsable(fl.app.env, 'us-east-1', 'h-us-east-1a-01'), false);
    assert.equal(hostUsable(fl.app.env, 'us-east-1', 'h-us-east-1a-02'), true);
    fl.advance(299);
    assert.equal(hostUsable(fl.app.env, 'us-east-1', 'h-us-east-1a-01'), false);
    fl.advance(1);
    assert.equal(hostUsable(fl.app.env, 'us-east-1', 'h-us-east-1a-01'), true);
    const events = (await control('GET', '/_faultline/events')).body.events.filter((e: { detail: { faultId: string } }) => e.detail.faultId === faultId);
    assert.deepEqual(events.map((e: { type: string }) => e.type), ['fault.injected', 'fault.healed']);
  });

  it('takes a whole zone down until it is healed, and shows it in the world view', async () => {
    const { body: fault } = await control('POST', '/_faultline/faults', { kind: 'az', target: 'us-east-1b' });
    const world = (await control('GET', '/_faultline/world')).body;
    const zone = world.regions.find((r: { region: string }) => r.region === 'us-east-1').zones.find((z: { zone: string }) => z.zone === 'us-east-1b');
    assert.equal(zone.power, 'off');
    assert.equal(hostUsable(fl.app.env, 'us-east-1', 'h-us-east-1b-03'), false);
    await cli('heal', fault.faultId);
    assert.equal(hostUsable(fl.app.env, 'us-east-1', 'h-us-east-1b-03'), true);
  });

  it('makes one API operation throttle while others answer', async () => {
    const { body: fault } = await control('POST', '/_faultline/faults', { kind: 'api', target: 'ec2', operation: 'DescribeAvailabilityZones', errorCode: 'RequestLimitExceeded' });
    const ec2 = new EC2Client({ ...fl.sdk, maxAttempts: 1 });
    await assert.rejects(ec2.send(new DescribeAvailabilityZonesCommand({})), (e: Error) => e.name === 'RequestLimitExceeded');
    assert.equal((await ec2.send(new DescribeRegionsCommand({}))).Regions!.length, Object.keys(fl.app.env.config.regions).length);
    await control('POST', `/_faultline/faults/${fault.faultId}/heal`);
    assert.equal((await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!.length, 6);
  });

  it('refuses a fault on something that does not exist', async () => {
    assert.equal((await control('POST', '/_faultline/faults', { kind: 'host', target: 'h-nowhere' })).status, 404);
    assert.equal((await control('POST', '/_faultline/faults', { kind: 'meteor', target: 'x' })).status, 400);
    assert.equal((await control('POST', '/_faultline/faults', { kind: 'api', target: 'ec2', rate: 7 })).status, 400);
    assert.deepEqual((await control('GET', '/_faultline/faults')).body.faults, []);
  });
});
