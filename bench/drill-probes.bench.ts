/**
 * What probing costs a drill at scale, on the simulated driver and the manual clock. Each run
 * builds a fresh world of N instances (N/10 Auto Scaling groups of 10 over three zones, settled
 * for ten cloud minutes), then moves the clock through the same cloud span in 10 s steps while
 * one zone loses power through the same FIS experiment, in three ways:
 *
 *   - loops: no drill; the bench steps the clock and starts and stops the experiment at the
 *     cloud instants the drill did (its steps are recorded from a first, warm-up drill run);
 *   - drill: a drill with the probes a drill has: an `aws` probe (DescribeAutoScalingGroups of one
 *     group, then DescribeInstanceStatus of its instances, as the chapter's drills do), and a `tcp`
 *     and an `http` probe, every 10 cloud seconds. Under the simulated driver no instance serves
 *     anything, so those two reach faultline's own endpoint (`/_faultline/health`): they cost what
 *     a probe's connection and request cost, not what a workload costs to answer;
 *   - fleet: a drill whose one `aws` probe reads DescribeInstanceStatus of every instance (1,000
 *     per answer) every 10 cloud seconds: the worst case.
 *
 * The probes keep passing (the groups keep instances in the other zones), so every drill watches
 * its whole window, and each run checks that it stepped the clock exactly as the warm-up did. The
 * overhead is the real time a run takes beyond the loops' run, as a share of the loops' run.
 * Then faultline and moto_server (as separate processes) answer the calls both serve, from one
 * boto3 script: the FIS templates API that moto has, and the EC2 call behind the `aws` probe.
 *
 *   npx tsx bench/drill-probes.bench.ts [instances=1000] [repeats=5] [minutes=30]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand } from '@aws-sdk/client-auto-scaling';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import { inProcess } from './in-process.ts';
import { startFaultline, startMoto } from './servers.ts';
import { listDrills, getDrill, startDrill } from '../src/drills/drills.ts';
import { startDrillExperiment, stopDrillExperiment } from '../src/drills/experiment.ts';

const instances = Number(process.argv[2] ?? 1000);
const repeats = Number(process.argv[3] ?? 5);
const minutes = Number(process.argv[4] ?? 30);
const groupSize = 10;

const experiment = {
  template: {
    description: 'Power off us-east-1a',
    actions: { PowerOffZone: { actionId: 'faultline:az:power-off', parameters: { duration: 'PT1H', availabilityZoneIdentifier: 'us-east-1a' } } },
  },
};

type Mode = 'loops' | 'drill' | 'fleet';

function probesOf(mode: Exclude<Mode, 'loops'>, endpoint: string) {
  if (mode === 'fleet') {
    return [{ name: 'fleet', aws: { service: 'ec2', operation: 'DescribeInstanceStatus', parameters: {}, condition: "length(InstanceStatuses[?SystemStatus.Status=='ok']) > `0`" } }];
  }
  const { hostname, port } = new URL(endpoint);
  return [
    {
      name: 'group',
      aws: {
        calls: [
          { id: 'group', service: 'autoscaling', operation: 'DescribeAutoScalingGroups', parameters: { AutoScalingGroupNames: ['g0'] } },
          { id: 'status', service: 'ec2', operation: 'DescribeInstanceStatus', parameters: { InstanceIds: { query: "group.AutoScalingGroups[0].Instances[?LifecycleState=='InService'].InstanceId" } } },
        ],
        condition: "length(status.InstanceStatuses[?InstanceState.Name=='running' && SystemStatus.Status=='ok' && InstanceStatus.Status=='ok']) > `0`",
      },
    },
    { name: 'port', tcp: { host: hostname, port: Number(port) } },
    { name: 'health', http: { url: `${endpoint}/_faultline/health`, status: 200 } },
  ];
}

/** A world of `instances` in groups of ten over three zones, booted and in service. */
async function world() {
  const w = await inProcess({ hostsPerZone: 16, hostCapacity: 128 });
  const ec2 = new EC2Client(w.sdk);
  const asg = new AutoScalingClient(w.sdk);
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [i, z] of ['a', 'b', 'c'].entries()) {
    subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i * 64}.0/18`, AvailabilityZone: `us-east-1${z}` }))).Subnet!.SubnetId!);
  }
  await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'lc', ImageId: 'ami-1ecae776', InstanceType: 't3.micro' }));
  for (let g = 0; g < instances / groupSize; g++) {
    await asg.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: `g${g}`, LaunchConfigurationName: 'lc', MinSize: groupSize, MaxSize: groupSize * 2, VPCZoneIdentifier: subnets.join(','), HealthCheckGracePeriod: 60 }),
    );
  }
  w.step(600);
  const ok = (await ec2.send(new DescribeInstanceStatusCommand({}))).InstanceStatuses!.filter((s) => s.InstanceStatus?.Status === 'ok').length;
  if (ok !== instances) throw new Error(`the world did not settle: ${ok} of ${instances} instances pass their status checks`);
  ec2.destroy();
  asg.destroy();
  return w;
}

interface Run {
  mode: Mode;
  realMs: number;
  /** Real time inside the scheduler's steps: the loops' share of the run. */
  loopsMs: number;
  steps: number[];
  events: number;
  checks: number;
}

const nextTick = () => new Promise<void>((r) => setImmediate(r));

/** Clock steps (as offsets from the start), and the offsets at which the experiment started and was stopped. */
interface Schedule {
  steps: number[];
  start: number;
  stop: number;
}

async function run(mode: Mode, schedule?: Schedule): Promise<Run & { schedule: Schedule }> {
  const w = await world();
  const { env } = w.app;
  const scope = { account: env.config.defaultAccount, region: 'us-east-1' };
  const t0 = env.clock.now();
  const seq0 = env.events.lastSeq();
  const steps: number[] = [];
  let loopsMs = 0;
  const advanceTo = env.scheduler.advanceTo.bind(env.scheduler);
  env.scheduler.advanceTo = (target: number) => {
    steps.push(target - t0);
    const s = performance.now();
    advanceTo(target);
    loopsMs += performance.now() - s;
  };
  let realMs: number;
  let checks = 0;
  if (mode === 'loops') {
    if (!schedule) throw new Error('the loops run replays a drill run');
    const s = performance.now();
    let id = '';
    let stopped = false;
    for (const offset of schedule.steps) {
      const now = env.clock.now() - t0;
      if (now === schedule.start && !id) id = env.store.transaction(() => startDrillExperiment(env, scope, experiment, 'probe-overhead')).id;
      if (now === schedule.stop && id && !stopped) stopped = !!stopDrillExperiment(env, scope, id);
      env.scheduler.advanceTo(t0 + offset);
      await nextTick();
    }
    realMs = performance.now() - s;
  } else {
    const source = JSON.stringify({ name: 'probe-overhead', experiment, probes: probesOf(mode, env.endpoint!), recovery: { checks: 3, window: minutes * 60 }, targets: { AZ: { rtoInSecs: 1200, rpoInSecs: 0 } } });
    const s = performance.now();
    const { drillId } = startDrill(env, { source });
    // listDrills reads the records only (getDrill would build the timeline while it runs).
    while (listDrills(env).drills.find((d) => d.drillId === drillId)!.status === 'running') await new Promise((r) => setTimeout(r, 2));
    realMs = performance.now() - s;
    const d = getDrill(env, drillId);
    // No probe names the serving instances, so RPO is not measured and the verdict is breached; what matters is that the drill ran and its probes passed throughout.
    if (d.status === 'error' || !d.result!.probes.every((p) => p.samples.every((x) => x.ok))) throw new Error(`drill ${mode}: ${d.status} ${d.error ?? ''}; every probe should pass throughout`);
    checks = d.result!.probes.reduce((n, p) => n + p.samples.length, 0);
  }
  const log = env.events.list(seq0, 1_000_000);
  const at = (status: string) => Date.parse(log.find((e) => e.type === 'fis.experiment.state' && e.detail.status === status)!.time) - t0;
  const result = { mode, realMs, loopsMs, steps, events: log.length, checks, schedule: { steps, start: at('pending'), stop: at('stopping') } };
  await w.close();
  return result;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

console.log(`load before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const warm = await run('drill');
const schedule = warm.schedule;
console.log(
  `warm-up drill: ${warm.steps.length} steps over ${(warm.steps.at(-1)! / 1000).toFixed(0)} cloud s (experiment at +${schedule.start / 1000} s, stopped at +${schedule.stop / 1000} s), ${warm.realMs.toFixed(0)} ms real`,
);

const runs: Run[] = [];
const order: Mode[] = ['loops', 'drill', 'fleet'];
for (let r = 0; r < repeats; r++) {
  // Rotated, so that no mode always runs first or last in a round.
  for (let k = 0; k < order.length; k++) {
    const mode = order[(r + k) % order.length];
    const x = await run(mode, schedule);
    if (x.steps.join() !== schedule.steps.join()) throw new Error(`${mode} run ${r}: its clock steps differ from the warm-up's`);
    runs.push(x);
    console.log(`round ${r + 1} ${mode.padEnd(5)}: ${x.realMs.toFixed(0)} ms real, ${x.loopsMs.toFixed(0)} in the loops, ${x.events} events, ${x.checks} probe checks`);
  }
}

const loopsMedian = median(runs.filter((x) => x.mode === 'loops').map((x) => x.realMs));
console.log(`\n${instances} instances in ${instances / groupSize} groups; us-east-1a powered off for the ${minutes} cloud minutes watched; 10 s steps; ${repeats} runs each`);
// Two views of the overhead: against the loops-only runs, and (less exposed to other work on the
// machine, which moves whole runs) outside the loops against inside them within each run.
console.log('| run | real ms, median (range) | in the loops, median | outside the loops, median | overhead vs the loops-only runs (medians) | outside / inside the loops, same run (median) | events | probe checks |');
console.log('|---|---|---|---|---|---|---|---|');
for (const mode of order) {
  const xs = runs.filter((x) => x.mode === mode);
  const real = xs.map((x) => x.realMs);
  const outside = xs.map((x) => x.realMs - x.loopsMs);
  const overhead = mode === 'loops' ? '—' : `${(((median(real) - loopsMedian) / loopsMedian) * 100).toFixed(1)} %`;
  const events = [...new Set(xs.map((x) => x.events))].join(', ');
  const sameRun = `${(median(xs.map((x) => (x.realMs - x.loopsMs) / x.loopsMs)) * 100).toFixed(1)} %`;
  console.log(`| ${mode} | ${median(real).toFixed(0)} (${range(real)}) | ${median(xs.map((x) => x.loopsMs)).toFixed(0)} | ${median(outside).toFixed(0)} | ${overhead} | ${sameRun} | ${events} | ${xs[0].checks} |`);
}
console.log(`load after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

// Against moto_server: what both serve, from one boto3 script, as separate processes.
const compare = String.raw`
import json, sys, time, boto3
from botocore.config import Config

def timed(f, n):
    t = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - t) * 1000 / n

out = {}
for name, url in json.loads(sys.argv[1]).items():
    kw = dict(endpoint_url=url, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test', config=Config(retries={'max_attempts': 1}))
    fis, ec2 = boto3.client('fis', **kw), boto3.client('ec2', **kw)
    tpl = dict(description='stop one', roleArn='arn:aws:iam::000000000000:role/fis', stopConditions=[{'source': 'none'}],
               targets={'I': {'resourceType': 'aws:ec2:instance', 'resourceArns': ['arn:aws:ec2:us-east-1:000000000000:instance/i-0123456789abcdef0'], 'selectionMode': 'ALL'}},
               actions={'Stop': {'actionId': 'aws:ec2:stop-instances', 'targets': {'Instances': 'I'}}})
    ids = []
    r = {'CreateExperimentTemplate': timed(lambda: ids.append(fis.create_experiment_template(**tpl)['experimentTemplate']['id']), 200)}
    arn = 'arn:aws:fis:us-east-1:000000000000:experiment-template/' + ids[0]
    r['TagResource'] = timed(lambda: fis.tag_resource(resourceArn=arn, tags={'team': 'sre'}), 200)
    r['ListTagsForResource'] = timed(lambda: fis.list_tags_for_resource(resourceArn=arn), 200)
    for op, call in [('GetExperimentTemplate', lambda: fis.get_experiment_template(id=ids[0])), ('ListExperimentTemplates', lambda: fis.list_experiment_templates()),
                     ('StartExperiment', lambda: fis.start_experiment(experimentTemplateId=ids[0]))]:
        try:
            call()
            r[op] = 'served'
        except Exception as e:
            r[op] = 'not served: ' + str(e).splitlines()[0][:100]
    it = iter(list(ids))
    r['DeleteExperimentTemplate'] = timed(lambda: fis.delete_experiment_template(id=next(it)), 200)
    vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.0.{16 * k}.0/20', AvailabilityZone='us-east-1' + z)['Subnet']['SubnetId'] for k, z in enumerate('abcde')]
    inst = []
    t = time.perf_counter()
    for k in range(10):
        inst += [i['InstanceId'] for i in ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t3.micro', MinCount=100, MaxCount=100, SubnetId=subnets[k % 5])['Instances']]
    r['RunInstances 1000 in batches of 100 (total)'] = (time.perf_counter() - t) * 1000
    r['DescribeInstanceStatus, 10 instances'] = timed(lambda: ec2.describe_instance_status(InstanceIds=inst[:10], IncludeAllInstances=True), 100)
    n = [0]
    def everyone():
        n[0] = len(ec2.describe_instance_status(IncludeAllInstances=True)['InstanceStatuses'])
    r['DescribeInstanceStatus, all 1000'] = timed(everyone, 20)
    r['instances in one answer'] = n[0]
    out[name] = r
print(json.dumps(out))
`;
const servers = [await startFaultline(['--driver', 'simulated']), await startMoto()];
try {
  const p = spawnSync('python3', ['-c', compare, JSON.stringify(Object.fromEntries(servers.map((s) => [s.name, s.url])))], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (p.status !== 0) throw new Error(`the boto3 script failed: ${p.stderr}`);
  const res = JSON.parse(p.stdout) as Record<string, Record<string, number | string>>;
  console.log('\nboto3 against each server, ms per call (mean):');
  console.log('| call | faultline | moto | faultline is faster by |');
  console.log('|---|---|---|---|');
  for (const op of Object.keys(res.faultline)) {
    const [f, m] = [res.faultline[op], res.moto[op]];
    const ratio = typeof f === 'number' && typeof m === 'number' && !op.startsWith('instances') ? `${(m / f).toFixed(1)}x` : '';
    const cell = (v: number | string) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
    console.log(`| ${op} | ${cell(f)} | ${cell(m)} | ${ratio} |`);
  }
} finally {
  for (const s of servers) await s.stop();
}
console.log(`load at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
