/**
 * The book's chapter 12 template (a Classic load balancer in front of an Auto Scaling group of
 * two web servers that cfn-init configures) deployed unmodified with the AWS CLI under the
 * sandbox driver, and used as its reader would: curl the load balancer's DNS name and see both
 * servers' pages in turn; lose one server's host and watch the load balancer stop sending to it
 * after UnhealthyThreshold × Interval (2 × 10 s), then the group (EC2 health checks) replace it
 * and the replacement's page come back through the load balancer; delete the stack and find
 * nothing left.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startFaultline, type Faultline } from '../harness.ts';
import { advanceUntil, httpGet, pagesVia, sandboxSkip } from '../sandbox-support.ts';
import { classicKey, targetKey } from '../../src/services/elb/state.ts';

const run = promisify(execFile);
const TEMPLATE = fileURLToPath(new URL('../fixtures/aws-in-action/chapter12-loadbalancer.json', import.meta.url));
const SCOPE = { account: '000000000000', region: 'us-east-1' };
const INTERVAL = 10;
const UNHEALTHY_THRESHOLD = 2;

describe("the book's chapter 12 load balancer, unmodified, under the sandbox driver", { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let host: string;
  let nodes: string[];

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    await fl.aws('ec2', 'create-key-pair', '--key-name', 'mykey');
  });
  after(() => fl?.close());

  const health = async (): Promise<Record<string, { State: string; Description: string }>> => {
    const r = await fl.aws('elb', 'describe-instance-health', '--load-balancer-name', 'elb');
    return Object.fromEntries(r.InstanceStates.map((s: { InstanceId: string; State: string; Description: string }) => [s.InstanceId, s]));
  };
  const members = async (): Promise<{ InstanceId: string; LifecycleState: string; HealthStatus: string }[]> => {
    const name = (await fl.aws('cloudformation', 'describe-stack-resource', '--stack-name', 'chapter12', '--logical-resource-id', 'AutoScalingGroup')).StackResourceDetail.PhysicalResourceId;
    return (await fl.aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', name)).AutoScalingGroups[0].Instances;
  };
  const privateIps = async (ids: string[]): Promise<Record<string, string>> => {
    const r = await fl.aws('ec2', 'describe-instances', '--instance-ids', ...ids);
    return Object.fromEntries(r.Reservations.flatMap((x: { Instances: { InstanceId: string; PrivateIpAddress: string }[] }) => x.Instances.map((i) => [i.InstanceId, i.PrivateIpAddress])));
  };
  const until = <T,>(read: () => Promise<T>, ok: (x: T) => boolean, what: string, step = INTERVAL, timeoutMs?: number) => advanceUntil((s) => fl.advance(s), read, ok, what, step, timeoutMs);
  /** The private IPs in the pages that `n` requests through the load balancer's name answer with, in order. */
  const pages = (n: number) => pagesVia(host, nodes[0], n);

  it('deploys with the AWS CLI to CREATE_COMPLETE, and serves both instances in turn through the DNS name', async () => {
    await fl.aws('cloudformation', 'create-stack', '--stack-name', 'chapter12', '--template-body', `file://${TEMPLATE}`);
    // The servers boot, cfn-init installs httpd and cfn-signal signals the group: real time.
    const stack = await until(
      async () => (await fl.aws('cloudformation', 'describe-stacks', '--stack-name', 'chapter12')).Stacks[0],
      (s) => s.StackStatus !== 'CREATE_IN_PROGRESS',
      'the stack',
      5,
      180_000,
    );
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE', JSON.stringify(stack));
    const url: string = stack.Outputs.find((o: { OutputKey: string }) => o.OutputKey === 'URL').OutputValue;
    host = new URL(url).host;
    assert.match(host, /^elb-\d+\.us-east-1\.elb\.amazonaws\.com$/);

    const ids = (await members()).map((m) => m.InstanceId);
    assert.equal(ids.length, 2);
    await until(health, (h) => ids.every((id) => h[id]?.State === 'InService'), 'both instances in service');

    const cli = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'resolve', host], { env: { ...process.env, FAULTLINE_URL: fl.url } });
    nodes = cli.stdout.trim().split('\n');
    assert.equal(nodes.length, 1, 'one subnet, one zone: one node');
    assert.match(nodes[0], /^127\.100\./);

    const ips = await privateIps(ids);
    const seen = await pages(6);
    assert.deepEqual(new Set(seen), new Set(Object.values(ips)), seen.join(' '));
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `in turn: ${seen.join(' ')}`);
  });

  it('stops sending to an instance whose host fails after 2 × 10 s, and the group replaces it and the replacement serves', async () => {
    const [lost, kept] = (await members()).map((m) => m.InstanceId);
    const ips = await privateIps([lost, kept]);
    // The phase of the checks: they run every Interval from the check that put the instance in service.
    const { events } = (await (await fetch(`${fl.url}/_faultline/events`)).json()) as { events: { time: string; type: string; detail: { target: string; to: string } }[] };
    const inService = events.find((e) => e.type === 'elb.target.health' && e.detail.target === lost && e.detail.to === 'healthy');
    assert.ok(inService, 'the health change is in the event log');
    const phase = Date.parse(inService.time);

    const fault = await (await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'host', instance: lost, effect: 'power' }) })).json();
    assert.ok(fault.faultId, JSON.stringify(fault));
    const failedAt = fl.app.env.clock.now();
    // The checks are real: wait (real time, clock still) until the node's latest check of the instance has failed.
    const key = targetKey(classicKey('elb'), lost, 0);
    const deadline = Date.now() + 30_000;
    while (fl.app.env.runtime!.lbHealth!(SCOPE, key)?.ok !== false) {
      assert.ok(Date.now() < deadline, 'a real check of the powered-off instance failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Worked out by hand: the first check after the failure, then UnhealthyThreshold - 1 more intervals.
    const firstFailing = phase + Math.floor((failedAt - phase) / (INTERVAL * 1000) + 1) * INTERVAL * 1000;
    const outOfService = firstFailing + (UNHEALTHY_THRESHOLD - 1) * INTERVAL * 1000;
    fl.advance((outOfService - failedAt) / 1000 - 1);
    assert.equal((await health())[lost].State, 'InService', 'not before the worked-out time');
    fl.advance(1);
    const h = await health();
    assert.deepEqual(h[lost], { InstanceId: lost, State: 'OutOfService', ReasonCode: 'Instance', Description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' });
    assert.equal(h[kept].State, 'InService');
    assert.deepEqual(new Set(await pages(4)), new Set([ips[kept]]), 'only the other page answers');

    // EC2's status checks fail, and the group (HealthCheckType EC2) replaces the instance.
    const replaced = await until(members, (ms) => ms.length === 2 && !ms.some((m) => m.InstanceId === lost) && ms.every((m) => m.LifecycleState === 'InService'), 'the replacement in service', 30, 120_000);
    const fresh = replaced.find((m) => m.InstanceId !== kept)!.InstanceId;
    const later = await until(health, (x) => x[fresh]?.State === 'InService', 'the replacement registered and in service', INTERVAL, 120_000);
    assert.equal(later[lost], undefined, 'the terminated instance is deregistered');
    const freshIp = (await privateIps([fresh]))[fresh];
    assert.deepEqual(new Set(await pages(6)), new Set([ips[kept], freshIp]));
  });

  it('deletes the stack and leaves nothing: no load balancer, no listener on the node, no instance', async () => {
    const ids = (await members()).map((m) => m.InstanceId);
    await fl.aws('cloudformation', 'delete-stack', '--stack-name', 'chapter12');
    await until(
      async () => (await fl.aws('cloudformation', 'list-stacks')).StackSummaries[0].StackStatus,
      (s) => s !== 'DELETE_IN_PROGRESS',
      'the stack deleted',
      30,
    );
    assert.equal((await fl.aws('cloudformation', 'list-stacks')).StackSummaries.find((s: { StackName: string }) => s.StackName === 'chapter12').StackStatus, 'DELETE_COMPLETE');
    assert.deepEqual((await fl.aws('elb', 'describe-load-balancers')).LoadBalancerDescriptions, []);
    assert.equal((await fetch(`${fl.url}/_faultline/resolve?name=${host}`)).status, 404);
    const states = (await fl.aws('ec2', 'describe-instances', '--instance-ids', ...ids)).Reservations.flatMap((r: { Instances: { State: { Name: string } }[] }) => r.Instances.map((i) => i.State.Name));
    assert.deepEqual(states, ['terminated', 'terminated']);
    await fl.app.driver.settle();
    assert.equal(await httpGet(`http://${nodes[0]}/`, 1000), undefined, 'nothing listens on the node address');
  });
});
