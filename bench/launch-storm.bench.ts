/**
 * Launch storms under the sandbox driver, against `faultline up` run as its own process:
 *  (a) API latency (p50, p99) of small describes (DescribeAvailabilityZones, DescribeInstances
 *      with a filter) on an idle faultline, then while `calls` RunInstances of `n` boot at once
 *      (target: p99 within 2x of idle); launches beyond the machine's capacity are refused;
 *  (b) the time from SIGTERM to exit with those instances running, and what is left behind:
 *      network namespaces, cgroups and processes of that faultline;
 *  (c) the same with `n` instances still booting (SIGTERM one second after they start).
 * The client sends one request at a time, so each latency is the server's answer time.
 *
 *   npx tsx bench/launch-storm.bench.ts [n=50] [calls=1]
 *   BENCH_NODE_ARGS=--cpu-prof npx tsx bench/launch-storm.bench.ts   # profile faultline
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountsUnder } from '../src/runtime/loop-volume.ts';
import { readOwners } from '../src/runtime/owners.ts';
import { sandboxSkip } from '../test/sandbox-support.ts';
import { freePort } from './servers.ts';

if (sandboxSkip) {
  console.log(`launch-storm bench skipped: ${sandboxSkip}`);
  process.exit(0);
}
const N = Number(process.argv[2] ?? 50);
const CALLS = Number(process.argv[3] ?? 1);
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};
const field = (xml: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1] ?? '';
const fields = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `faultline up` (manual clock, sandbox driver) in a process of its own, with a fresh data dir. */
async function up() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'faultline-storm-'));
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'up', '--port', String(port), '--data-dir', dataDir, '--clock', 'manual', '--driver', 'sandbox'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  while (!out.includes('faultline is up')) {
    if (proc.exitCode !== null) throw new Error(`faultline exited: ${out}`);
    await sleep(50);
  }
  // The tag that names this faultline's namespaces and cgroup, from its registration.
  const tag = readOwners().find((o) => o.dataDir === realpathSync(dataDir))!.tag;

  async function call(action: string, params: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const r = await fetch(url + '/', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Action: action, Version: '2016-11-15', ...params }).toString(),
    });
    return { status: r.status, text: await r.text() };
  }
  async function ec2(action: string, params: Record<string, string> = {}): Promise<string> {
    const r = await call(action, params);
    if (r.status !== 200) throw new Error(`${action}: ${r.status} ${r.text}`);
    return r.text;
  }
  const advance = (seconds: number) => fetch(`${url}/_faultline/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
  // Read on the host, from each instance's console log, so that watching costs faultline nothing.
  const booted = (ids: string[]) =>
    ids.filter((id) => {
      try {
        return readFileSync(join(dataDir, 'runtime', 'instances', id, 'console.log'), 'utf8').includes('cloud-init[faultline]: finished');
      } catch {
        return false;
      }
    }).length;
  /** What this faultline has on the host: namespaces, cgroups, processes (in its cgroups or naming its data dir). */
  async function leftovers() {
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.startsWith(`fl-${tag}-`)).length;
    const cgroups = ['cpu', 'cpuacct', 'memory', 'freezer', 'pids', ''].filter((c) => existsSync(join('/sys/fs/cgroup', c, `faultline-${tag}`))).length;
    let processes = 0;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`faultline-${tag}`) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir)) processes++;
      } catch {
        /* gone */
      }
    }
    return { namespaces, cgroups, processes, mounts: (await mountsUnder(realpathSync(dataDir))).length };
  }
  async function sigterm() {
    const before = await leftovers();
    const t0 = performance.now();
    proc.kill('SIGTERM');
    await exited;
    const ms = Math.round(performance.now() - t0);
    const left = await leftovers();
    rmSync(dataDir, { recursive: true, force: true });
    return { exitAfterMs: ms, exitCode: proc.exitCode, before, leftAfter: left };
  }
  async function network() {
    const vpc = field(await ec2('CreateVpc', { CidrBlock: '10.0.0.0/16' }), 'vpcId');
    return field(await ec2('CreateSubnet', { VpcId: vpc, CidrBlock: '10.0.0.0/20', AvailabilityZone: 'us-east-1a' }), 'subnetId');
  }
  return { out, call, ec2, advance, booted, sigterm, network, stop: () => (proc.exitCode === null ? sigterm() : undefined) };
}

const userData = Buffer.from('#!/bin/sh\nmkdir -p /var/lib/app && hostname > /var/lib/app/index.html\ncd /var/lib/app && nohup python3 -m http.server 8080 >/dev/null 2>&1 &\n').toString('base64');
const launch = (subnet: string, n: number) => ({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', SubnetId: subnet, MinCount: String(n), MaxCount: String(n), UserData: userData });

// (a) and (b)
const fl = await up();
let result: Record<string, unknown> = {};
try {
  process.stderr.write(fl.out.split('\n').find((l) => l.includes('driver:')) + '\n');
  const subnet = await fl.network();
  // Warm up: the first boot builds the base image's tree.
  const warm = field(await fl.ec2('RunInstances', launch(subnet, 1)), 'instanceId');
  await fl.advance(60);
  while (fl.booted([warm]) < 1) await sleep(200);

  /** One small describe after another until `until` says stop (or `count` calls); latencies in ms. */
  const sample = async (until: () => boolean, count = Infinity) => {
    const lat: number[] = [];
    for (let i = 0; i < count && !until(); i++) {
      const t0 = performance.now();
      if (i % 2) await fl.ec2('DescribeAvailabilityZones');
      else await fl.ec2('DescribeInstances', { 'Filter.1.Name': 'instance-id', 'Filter.1.Value.1': warm });
      lat.push(performance.now() - t0);
    }
    return lat;
  };
  const idle = await sample(() => false, 400);

  const t0 = performance.now();
  const ids: string[] = [];
  const refusals: { status: number; ms: number; code: string }[] = [];
  for (let c = 0; c < CALLS; c++) {
    const t = performance.now();
    const r = await fl.call('RunInstances', launch(subnet, N));
    if (r.status === 200) ids.push(...fields(r.text, 'instanceId'));
    else refusals.push({ status: r.status, ms: Math.round(performance.now() - t), code: field(r.text, 'Code') });
  }
  await fl.advance(60);
  let done = false;
  let bootedAfterMs = 0;
  const watcher = (async () => {
    while (!done) {
      await sleep(250);
      if (fl.booted(ids) === ids.length) {
        bootedAfterMs = Math.round(performance.now() - t0);
        done = true;
      }
      if (performance.now() - t0 > 900_000) throw new Error(`only ${fl.booted(ids)} of ${ids.length} booted within 15 minutes`);
    }
  })();
  const storm = await sample(() => done);
  await watcher;
  result = {
    launched: { calls: CALLS, each: N, instances: ids.length, refused: refusals.length, refusal: refusals[0], slowestRefusalMs: Math.max(0, ...refusals.map((r) => r.ms)) },
    idle: { calls: idle.length, p50Ms: percentile(idle, 50), p99Ms: percentile(idle, 99) },
    whileBooting: { calls: storm.length, p50Ms: percentile(storm, 50), p99Ms: percentile(storm, 99), maxMs: Math.round(Math.max(...storm)), allBootedAfterMs: bootedAfterMs },
    p99Ratio: Math.round((percentile(storm, 99) / percentile(idle, 99)) * 100) / 100,
    sigtermRunning: await fl.sigterm(),
  };
} finally {
  await fl.stop();
}

// (c) SIGTERM while N instances boot.
const fl2 = await up();
try {
  const subnet = await fl2.network();
  const ids = fields(await fl2.ec2('RunInstances', launch(subnet, N)), 'instanceId');
  await fl2.advance(60);
  await sleep(1000);
  const bootedAtSigterm = fl2.booted(ids);
  result.sigtermBooting = { instances: ids.length, bootedAtSigterm, ...(await fl2.sigterm()) };
} finally {
  await fl2.stop();
}
console.log(JSON.stringify(result, null, 2));
