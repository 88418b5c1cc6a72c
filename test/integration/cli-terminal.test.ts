/**
 * The terminal as a user reads it (issue 13, part 2): `faultline status` as a tree with faults
 * marked, `events` as readable lines with filters and `--follow`, help for every command, clear
 * errors for unknown flags, bad fault targets and a faultline that is not there, and the request
 * log of `faultline up --log-level`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';

const run = promisify(execFile);

describe('the faultline terminal', () => {
  let fl: Faultline;
  let instance: string;
  const cli = (...args: string[]) => run(process.execPath, ['bin/faultline.mjs', ...args], { env: fl.clientEnv });
  const fails = (...args: string[]) =>
    cli(...args).then(
      (r) => assert.fail(`faultline ${args.join(' ')} succeeded: ${r.stdout}`),
      (e: { code: number; stderr: string }) => e,
    );

  before(async () => {
    fl = await startFaultline();
    const ec2 = new EC2Client(fl.sdk);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    instance = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances![0].InstanceId!;
    fl.advance(60);
  });
  after(() => fl.close());

  it('status prints a tree of zones, hosts and instances, with a failed zone and its fault marked in words', async () => {
    const { stdout: fault } = await cli('fail', 'az', 'us-east-1b');
    const faultId = /^(fault-[0-9a-f]+):/.exec(fault)![1];
    const { stdout } = await cli('status');
    const lines = stdout.split('\n');
    assert.match(lines[0], /^clock \d{4}-\d\d-\d\dT.*Z \(manual\)$/);
    assert.ok(lines.includes(`  ${faultId}  az us-east-1b`), stdout);
    assert.ok(lines.includes('us-east-1'), stdout);
    assert.match(stdout, new RegExp(`├─ us-east-1b  DOWN \\(power off\\)  8 hosts, 1 running  \\[${faultId}\\]`));
    // The instance's host is listed under its zone with the instance under it; idle hosts are counted.
    const at = lines.findIndex((l) => l.includes(instance));
    assert.match(lines[at], new RegExp(`│  │  └─ ${instance}  running  \\(account 000000000000\\)$`));
    assert.match(lines[at - 1], /^│  ├─ h-us-east-1b-\d\d  DOWN \(power off\)  1\/\d+$/);
    assert.match(stdout, /│  └─ 7 more hosts down with the zone, with nothing on them\n/);
    assert.match(stdout, /└─ us-east-1f  up  8 hosts, 0 running\n   └─ 8 more hosts up, with nothing on them/);
    const json = JSON.parse((await cli('status', '--json')).stdout);
    const host = json.regions[0].zones.find((z: { zone: string }) => z.zone === 'us-east-1b').hosts.find((h: { residents: unknown[] }) => h.residents.length);
    assert.deepEqual(host.residents, [{ kind: 'instance', id: instance, account: '000000000000', state: 'running' }]);
    await cli('heal', faultId);
  });

  it('events prints readable lines, filtered by kind, resource and time', async () => {
    const { stdout } = await cli('events', '--kind', 'fault');
    const lines = stdout.trim().split('\n');
    assert.ok(lines.length >= 2, stdout);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\S+Z  \d\d:\d\d:\d\d\.\d{3}  fault        (injected|healed): faultId=fault-[0-9a-f]+ kind=az target=us-east-1b/);
    const mine = (await cli('events', '--resource', instance)).stdout.trim().split('\n');
    assert.ok(mine.length >= 1 && mine.every((l) => l.includes(instance)), mine.join('\n'));
    assert.ok(mine.some((l) => /  ec2 /.test(l)), 'the instance state change is there');
    assert.equal((await cli('events', '--since', '2999-01-01T00:00:00Z')).stdout, '');
    const json = (await cli('events', '--kind', 'fault.healed', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(json.map((e) => e.type), ['fault.healed']);
    assert.match((await fails('events', '--since', 'yesterday')).stderr, /--since must be a time in ISO 8601/);
  });

  it('events --follow prints events as they happen, and only those that match', async () => {
    const proc = spawn(process.execPath, ['bin/faultline.mjs', 'events', '--follow', '--kind', 'fault.injected'], { env: fl.clientEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
      const past = (await lines.next()).value as string;
      assert.match(past, /injected: faultId=fault-\w+ kind=az target=us-east-1b/, 'the log so far first');
      // No wait for the stream to open: it starts where the printed page ended, so nothing falls between.
      await cli('heal', '--all');
      const { stdout } = await cli('fail', 'host', '--host', 'h-us-east-1c-03', '--duration', '60');
      const faultId = /^(fault-[0-9a-f]+):/.exec(stdout)![1];
      const next = (await lines.next()).value as string;
      assert.match(next, new RegExp(`injected: faultId=${faultId} kind=host target=h-us-east-1c-03`));
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });

  it('every command has its help, and unknown flags, bad fault targets and a missing faultline are clear errors', async () => {
    const commands = ['up', 'cleanup', 'status', 'advance', 'fail', 'heal', 'reset', 'fis', 'events', 'resolve', 'drill'];
    for (const c of commands) {
      const { stdout } = await cli(c, '--help');
      assert.match(stdout, new RegExp(`^usage: faultline ${c === 'fis' ? 'fis scenario' : c}`), `${c} --help: ${stdout}`);
    }
    for (const c of ['up', 'events', 'fail']) assert.equal((await cli('help', c)).stdout, (await cli(c, '--help')).stdout);
    assert.match((await cli('up', '--help')).stdout, /--log-level LEVEL/);
    const unknown = await fails('status', '--colour');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown option '--colour'[\s\S]*usage: faultline status/);
    assert.match((await fails('fail', 'instance', 'i-0123456789abcdef0')).stderr, /no instance i-0123456789abcdef0 in any account/);
    assert.match((await fails('fail', 'api', '--service', 'ec2', '--operation', 'DescribeInstances,LaunchRocket')).stderr, /ec2 has no operation LaunchRocket/);
    assert.match((await fails('fail', 'api', '--service', 'lambda')).stderr, /faultline serves no service that signs as lambda/);
    assert.match((await fails('advance', 'soon')).stderr, /advance needs a number of seconds/);
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const gone = await run(process.execPath, ['bin/faultline.mjs', 'status'], { env: { ...fl.clientEnv, FAULTLINE_URL: `http://127.0.0.1:${port}` } }).then(
      () => assert.fail('status succeeded with no faultline'),
      (e: { stderr: string }) => e.stderr,
    );
    assert.equal(gone, `faultline: no faultline answers at http://127.0.0.1:${port} (ECONNREFUSED). Start one with \`faultline up\`, or set FAULTLINE_URL to where one runs.\n`);
  });

  it('reset forgets every resource', async () => {
    assert.deepEqual(JSON.parse((await cli('reset')).stdout), { status: 'reset' });
    const world = JSON.parse((await cli('status', '--json')).stdout);
    assert.equal(world.regions[0].zones.flatMap((z: { hosts: { residents: unknown[] }[] }) => z.hosts.flatMap((h) => h.residents)).length, 0);
  });
});

describe('faultline up --log-level, and a control token', () => {
  it('logs each AWS request as a JSON line; with FAULTLINE_TOKEN the control API wants the token, the AWS API does not', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faultline-log-'));
    const token = 'tok-' + process.pid;
    const proc = spawn(process.execPath, ['bin/faultline.mjs', 'up', '--port', '0', '--data-dir', dataDir, '--driver', 'simulated', '--dns-port', '0', '--log-level', 'info', '--log-format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FAULTLINE_TOKEN: token },
    });
    try {
      const out = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
      const url = /faultline is up on (\S+)/.exec((await out.next()).value as string)![1];
      let banner = '';
      while (!banner.includes('FAULTLINE_TOKEN=')) banner += ((await out.next()).value as string) + '\n';
      assert.match(banner, new RegExp(`control token: ${token} `));
      assert.match(banner, new RegExp(`export FAULTLINE_URL=${url} FAULTLINE_TOKEN=${token}`));
      const err = createInterface({ input: proc.stderr! })[Symbol.asyncIterator]();
      const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' };
      await run('aws', ['--endpoint-url', url, 'ec2', 'describe-vpcs', '--vpc-ids', 'vpc-0000000'], { env }).catch(() => undefined);
      const refused = await fetch(`${url}/_faultline/health`);
      assert.equal(refused.status, 401);
      assert.match((await refused.json()).error, /needs the token `faultline up` printed/);
      assert.equal((await fetch(`${url}/_faultline/health`, { headers: { 'x-faultline-token': token } })).status, 200);
      assert.equal((await fetch(`${url}/_faultline/health?token=${token}`)).status, 200);
      assert.equal((await fetch(`${url}/_faultline/health`, { headers: { 'x-faultline-token': token + 'x' } })).status, 401);
      const without = await run(process.execPath, ['bin/faultline.mjs', 'status'], { env: { ...env, FAULTLINE_URL: url } }).then(
        () => 'succeeded',
        (e: { stderr: string }) => e.stderr,
      );
      assert.match(without, /needs the token/);
      assert.match((await run(process.execPath, ['bin/faultline.mjs', 'status'], { env: { ...env, FAULTLINE_URL: url, FAULTLINE_TOKEN: token } })).stdout, /^clock /);
      const entry = JSON.parse((await err.next()).value as string);
      assert.equal(entry.service, 'ec2');
      assert.equal(entry.operation, 'DescribeVpcs');
      assert.equal(entry.status, 400);
      assert.equal(entry.error, 'InvalidVpcID.NotFound');
      assert.equal(entry.account, '000000000000');
      assert.equal(entry.region, 'us-east-1');
      assert.match(entry.requestId, /^[0-9a-f-]{36}$/);
      assert.ok(entry.ms >= 0);
      // info leaves out the control API's requests: the next line is the next AWS request.
      await run('aws', ['--endpoint-url', url, 'sts', 'get-caller-identity'], { env });
      assert.equal(JSON.parse((await err.next()).value as string).operation, 'GetCallerIdentity');
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
