// The ELB health loop on the manual clock, with records written directly so that it is tested in
// isolation from the Classic and ELBv2 APIs: transitions at the times the thresholds give, worked out by hand.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { cloudwatch } from '../../src/services/cloudwatch/index.ts';
import { ec2 } from '../../src/services/ec2/index.ts';
import { COLL as EC2_COLL, type InstanceRecord, type SubnetRecord } from '../../src/services/ec2/state.ts';
import { queueMetrics } from '../../src/services/elb/metrics.ts';
import { createNode } from '../../src/services/elb/nodes.ts';
import {
  COLL,
  CROSS_ZONE,
  HEALTH_LOOP,
  classicKey,
  scopedKey,
  targetKey,
  type HealthSettings,
  type LoadBalancerKind,
  type LoadBalancerRecord,
  type TargetGroupRecord,
  type TargetRecord,
  type TrafficCounters,
} from '../../src/services/elb/state.ts';
import { deregisterTarget, registerTarget } from '../../src/services/elb/targets.ts';
import type { RequestContext } from '../../src/services/service.ts';
import { healFault, injectFault } from '../../src/world/faults.ts';

let app: App;
let dir: string;
let ctx: RequestContext;
const scope = { account: '000000000000', region: 'us-east-1' };
const ids: Record<string, string> = {};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ec2Call = (op: string, input: Record<string, unknown>): any => app.env.store.transaction(() => ec2.handlers[op](input, ctx));
const now = () => app.env.clock.now();
const advanceTo = (ms: number) => app.env.scheduler.advanceTo(ms);
const target = (group: string, id: string, port: number) => app.env.store.get<TargetRecord>(COLL.targets, scope, targetKey(group, id, port));
const health = (group: string, id: string, port = 80) => {
  const t = target(group, id, port);
  return t && [t.state, t.reason, t.description].filter((x) => x !== undefined).join(' / ');
};

const HEALTH: HealthSettings = {
  enabled: true,
  protocol: 'HTTP',
  port: 'traffic-port',
  path: '/',
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 3,
  unhealthyThreshold: 2,
  matcher: '200',
};

/** A load balancer with nodes in `subnets`, and its group; ELBv2 ones forward to the group from a listener's default rule. */
function loadBalancerWithGroup(kind: LoadBalancerKind, name: string, subnets: string[], health: HealthSettings = HEALTH, opts: { forward?: boolean } = {}) {
  const id = Math.random().toString(16).slice(2, 18).padEnd(16, '0');
  const arn = kind === 'classic' ? undefined : `arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/${kind === 'application' ? 'app' : 'net'}/${name}/${id}`;
  const key = arn ?? classicKey(name);
  const groupKey = arn ? `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${name}-tg/${id}` : key;
  app.env.store.transaction(() => {
    const base = { kind, name, arn, scheme: 'internal' as const, securityGroups: kind === 'network' ? [] : [ids.sgLb] };
    const nodes = subnets.map((s) => createNode(ctx, base, app.env.store.get<SubnetRecord>(EC2_COLL.subnets, scope, s)! as SubnetRecord));
    const lb: LoadBalancerRecord = {
      ...base,
      key,
      dnsName: `${name}.example`,
      canonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
      vpcId: ids.vpc,
      nodes,
      activeAt: now(),
      createdTime: new Date(now()).toISOString(),
      createdAt: now(),
      ipAddressType: 'ipv4',
      attributes: { [CROSS_ZONE]: String(kind === 'application') },
      tags: [],
    };
    app.env.store.put(COLL.loadBalancers, scope, key, lb);
    const group: TargetGroupRecord = {
      key: groupKey,
      kind: kind === 'classic' ? 'classic' : 'v2',
      name: arn ? `${name}-tg` : name,
      arn: arn ? groupKey : undefined,
      vpcId: ids.vpc,
      targetType: 'instance',
      health,
      deregistrationDelay: 30,
      attributes: {},
      tags: [],
      createdAt: now(),
    };
    app.env.store.put(COLL.targetGroups, scope, groupKey, group);
    if (arn && opts.forward !== false) {
      const listenerArn = arn.replace(':loadbalancer/', ':listener/') + '/0000000000000001';
      app.env.store.put(COLL.listeners, scope, listenerArn, { arn: listenerArn, lbKey: key, port: 80, protocol: 'HTTP', attributes: {}, tags: [] });
      const ruleArn = listenerArn.replace(':listener/', ':listener-rule/') + '/0000000000000001';
      app.env.store.put(COLL.rules, scope, ruleArn, { arn: ruleArn, listenerArn, priority: 'default', conditions: [], actions: [{ Type: 'forward', TargetGroupArn: groupKey }], tags: [] });
    }
  });
  return { key, groupKey };
}

function launch(subnet: string): string {
  const id = ec2Call('RunInstances', { ImageId: 'ami-1ecae776', MinCount: 1, MaxCount: 1, InstanceType: 't2.micro', SubnetId: subnet, SecurityGroupIds: [ids.sgWeb] }).Instances[0].InstanceId;
  advanceTo(now() + app.env.config.bootSeconds * 1000);
  return id;
}

const register = (group: string, id: string, zone: string) => app.env.store.transaction(() => registerTarget(app.env, scope, group, { id, port: 80, zone }));
const hostOf = (id: string) => app.env.store.get<InstanceRecord>(EC2_COLL.instances, scope, id)!.hostId!;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'elb-health-'));
  app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
  ctx = { ...scope, requestId: 'test', principal: { account: scope.account, arn: 'arn:aws:iam::000000000000:root', userId: scope.account, accessKeyId: 'test' }, env: app.env };
  ids.vpc = ec2Call('CreateVpc', { CidrBlock: '10.0.0.0/16' }).Vpc.VpcId;
  const subnet = (cidr: string, zone: string) => ec2Call('CreateSubnet', { VpcId: ids.vpc, CidrBlock: cidr, AvailabilityZone: zone }).Subnet.SubnetId;
  // Instances in app subnets, load balancer nodes in subnets of their own, as in most VPCs.
  ids.appA = subnet('10.0.1.0/24', 'us-east-1a');
  ids.appB = subnet('10.0.2.0/24', 'us-east-1b');
  ids.appC = subnet('10.0.3.0/24', 'us-east-1c');
  ids.lbA = subnet('10.0.11.0/24', 'us-east-1a');
  ids.lbB = subnet('10.0.12.0/24', 'us-east-1b');
  ids.lbC = subnet('10.0.13.0/24', 'us-east-1c');
  ids.sgLb = ec2Call('CreateSecurityGroup', { GroupName: 'lb', Description: 'lb', VpcId: ids.vpc }).GroupId;
  ids.sgWeb = ec2Call('CreateSecurityGroup', { GroupName: 'web', Description: 'web', VpcId: ids.vpc }).GroupId;
  // The web servers admit the load balancer's group on 80, and the VPC's addresses on 22 only.
  ec2Call('AuthorizeSecurityGroupIngress', { GroupId: ids.sgWeb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: ids.sgLb }] }] });
  ec2Call('AuthorizeSecurityGroupIngress', { GroupId: ids.sgWeb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }] });
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the ELB health loop (simulated checks)', () => {
  it('ALB, interval 10 s, unhealthy 2, healthy 3: registering 10 s, healthy at the first check, unhealthy at the second failed check after the host loses power, healthy after 3 passes', () => {
    const { groupKey } = loadBalancerWithGroup('application', 'web', [ids.lbA, ids.lbB]);
    const id = launch(ids.appA);
    const t0 = now();
    register(groupKey, id, 'us-east-1a');
    advanceTo(t0 + 9_999);
    assert.equal(health(groupKey, id), 'initial / Elb.RegistrationInProgress / Target registration is in progress');
    advanceTo(t0 + 10_000);
    assert.equal(health(groupKey, id), 'initial / Elb.InitialHealthChecking / Initial health checks in progress');
    advanceTo(t0 + 19_999);
    assert.equal(target(groupKey, id, 80)!.state, 'initial');
    advanceTo(t0 + 20_000); // the first check, one interval after registration: ONE pass is enough
    assert.equal(health(groupKey, id), 'healthy');

    advanceTo(t0 + 25_000);
    const fault = injectFault(app.env, { kind: 'host', target: hostOf(id), effect: 'power' });
    advanceTo(t0 + 30_000); // first failure: still healthy
    assert.equal(health(groupKey, id), 'healthy');
    assert.equal(target(groupKey, id, 80)!.failures, 1);
    advanceTo(t0 + 39_999);
    assert.equal(health(groupKey, id), 'healthy');
    advanceTo(t0 + 40_000); // second failure in a row
    assert.equal(health(groupKey, id), 'unhealthy / Target.Timeout / Request timed out');

    advanceTo(t0 + 45_000);
    healFault(app.env, fault.faultId);
    advanceTo(t0 + 60_000); // two passes: not yet
    assert.equal(health(groupKey, id), 'unhealthy / Target.Timeout / Request timed out');
    assert.equal(target(groupKey, id, 80)!.passes, 2);
    advanceTo(t0 + 70_000); // the third pass in a row
    assert.equal(health(groupKey, id), 'healthy');

    const changes = app.env.events
      .list()
      .filter((e) => e.type === 'elb.target.health' && e.detail.target === id)
      .map((e) => `${(Date.parse(e.time) - t0) / 1000}s ${e.detail.from} → ${e.detail.to}${e.detail.reason ? ` ${e.detail.reason}` : ''}`);
    assert.deepEqual(changes, ['20s initial → healthy', '40s healthy → unhealthy Target.Timeout', '70s unhealthy → healthy']);
  });

  it('an app fault: EC2 status checks pass, HTTP checks fail with 500 on an ALB, and a Classic TCP check fails after its 30 s registration', () => {
    const alb = loadBalancerWithGroup('application', 'app', [ids.lbA]);
    const classic = loadBalancerWithGroup('classic', 'classic', [ids.lbA], { ...HEALTH, protocol: 'TCP', port: '80', path: undefined, intervalSeconds: 5 });
    const id = launch(ids.appA);
    const t0 = now();
    register(alb.groupKey, id, 'us-east-1a');
    app.env.store.transaction(() => registerTarget(app.env, scope, classic.groupKey, { id, port: 0, zone: 'us-east-1a' }));
    const fault = injectFault(app.env, { kind: 'app', target: id });
    advanceTo(t0 + 29_999);
    assert.equal(health(classic.groupKey, id, 0), 'initial / Elb.RegistrationInProgress / Target registration is in progress');
    advanceTo(t0 + 30_000);
    assert.equal(health(alb.groupKey, id), 'unhealthy / Target.ResponseCodeMismatch / Health checks failed with these codes: [500]'); // checks at 20 s and 30 s
    assert.equal(health(classic.groupKey, id, 0), 'initial / Elb.InitialHealthChecking / Initial health checks in progress');
    advanceTo(t0 + 40_000); // Classic: checks at 35 s and 40 s
    assert.equal(health(classic.groupKey, id, 0), 'unhealthy / Target.FailedHealthChecks / Health checks failed');
    assert.equal(target(classic.groupKey, id, 0)!.failures, 2);
    advanceTo(now() + 120_000); // EC2's own checks have initialised, and pass
    const status = ec2Call('DescribeInstanceStatus', { InstanceIds: [id] }).InstanceStatuses[0];
    assert.equal(status.InstanceStatus.Status, 'ok');
    assert.equal(status.SystemStatus.Status, 'ok');
    assert.equal(target(alb.groupKey, id, 80)!.state, 'unhealthy');
    healFault(app.env, fault.faultId);
  });

  it('a target whose subnet is disrupted, or whose security group stops admitting the nodes, times out', () => {
    const { groupKey } = loadBalancerWithGroup('application', 'cut', [ids.lbB]);
    const id = launch(ids.appB);
    const t0 = now();
    register(groupKey, id, 'us-east-1b');
    advanceTo(t0 + 20_000);
    assert.equal(health(groupKey, id), 'healthy');
    const fault = injectFault(app.env, { kind: 'subnet', target: ids.appB });
    advanceTo(t0 + 40_000);
    assert.equal(health(groupKey, id), 'unhealthy / Target.Timeout / Request timed out');
    healFault(app.env, fault.faultId);
    advanceTo(t0 + 70_000);
    assert.equal(health(groupKey, id), 'healthy');
    ec2Call('RevokeSecurityGroupIngress', { GroupId: ids.sgWeb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: ids.sgLb }] }] });
    advanceTo(t0 + 90_000);
    assert.equal(health(groupKey, id), 'unhealthy / Target.Timeout / Request timed out');
    ec2Call('AuthorizeSecurityGroupIngress', { GroupId: ids.sgWeb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: ids.sgLb }] }] });
  });

  it('unused, and not checked, in a zone the load balancer does not enable, in a group no load balancer uses, or while stopped; checks begin again after', () => {
    const lb = loadBalancerWithGroup('application', 'zones', [ids.lbA, ids.lbB]);
    const idle = loadBalancerWithGroup('application', 'idle', [ids.lbA], HEALTH, { forward: false });
    const inC = launch(ids.appC);
    const inA = launch(ids.appA);
    const t0 = now();
    register(lb.groupKey, inC, 'us-east-1c');
    register(idle.groupKey, inA, 'us-east-1a');
    advanceTo(t0);
    assert.equal(health(lb.groupKey, inC), 'unused / Target.NotInUse / Target is in an Availability Zone that is not enabled for the load balancer');
    assert.equal(health(idle.groupKey, inA), 'unused / Target.NotInUse / Target group is not configured to receive traffic from the load balancer');
    advanceTo(t0 + 60_000);
    const notChecked = target(lb.groupKey, inC, 80)!;
    assert.deepEqual([notChecked.passes, notChecked.failures, notChecked.nextCheckAt], [0, 0, undefined]);

    // Zone c enabled at 65 s: seen at the next look (70 s), registration long done, so checks begin; healthy at 80 s.
    advanceTo(t0 + 65_000);
    app.env.store.transaction(() => {
      const rec = app.env.store.mutable<LoadBalancerRecord>(COLL.loadBalancers, scope, lb.key)!;
      rec.nodes.push(createNode(ctx, rec, app.env.store.get<SubnetRecord>(EC2_COLL.subnets, scope, ids.lbC)! as SubnetRecord));
      app.env.store.put(COLL.loadBalancers, scope, lb.key, rec);
    });
    advanceTo(t0 + 70_000);
    assert.equal(health(lb.groupKey, inC), 'initial / Elb.InitialHealthChecking / Initial health checks in progress');
    advanceTo(t0 + 80_000);
    assert.equal(health(lb.groupKey, inC), 'healthy');

    ec2Call('StopInstances', { InstanceIds: [inC] });
    advanceTo(t0 + 90_000);
    assert.equal(health(lb.groupKey, inC), 'unused / Target.InvalidState / Target is in the stopped state');
    advanceTo(t0 + 90_000 + app.env.config.stopSeconds * 1000);
    ec2Call('StartInstances', { InstanceIds: [inC] });
    const started = now();
    advanceTo(started + app.env.config.bootSeconds * 1000);
    assert.equal(app.env.store.get<InstanceRecord>(EC2_COLL.instances, scope, inC)!.State.Name, 'running');
    advanceTo(started + 60_000);
    assert.equal(health(lb.groupKey, inC), 'healthy');
  });

  it('a deregistered target drains for the delay and is then forgotten; a terminated one is unused, then forgotten with its instance', () => {
    const { groupKey } = loadBalancerWithGroup('application', 'drain', [ids.lbA]);
    const id = launch(ids.appA);
    const other = launch(ids.appA);
    const t0 = now();
    register(groupKey, id, 'us-east-1a');
    register(groupKey, other, 'us-east-1a');
    advanceTo(t0 + 25_000);
    const deregister = (target: string) => app.env.store.transaction(() => deregisterTarget(app.env, scope, groupKey, target, 80));
    assert.equal(deregister(id), t0 + 55_000, "draining ends after the group's delay, 30 s");
    assert.equal(deregister(id), t0 + 55_000, 'deregistering again keeps the end');
    assert.equal(deregister('i-0123456789abcdef0'), undefined, 'nothing to drain');
    advanceTo(t0 + 54_999);
    assert.equal(health(groupKey, id), 'draining / Target.DeregistrationInProgress / Target deregistration is in progress');
    advanceTo(t0 + 55_000);
    assert.equal(target(groupKey, id, 80), undefined);
    assert.equal(app.env.scheduler.pending(HEALTH_LOOP).some((p) => p.key === scopedKey(scope, targetKey(groupKey, id, 80))), false);

    ec2Call('TerminateInstances', { InstanceIds: [other] });
    advanceTo(t0 + 70_000);
    assert.equal(health(groupKey, other), 'unused / Target.InvalidState / Target is in the terminated state');
    advanceTo(t0 + 70_000 + (app.env.config.terminatedVisibleMinutes + 1) * 60_000);
    assert.equal(target(groupKey, other, 80), undefined);
  });

  it('under a driver that makes real checks, counts only what it saw, and looks again in 1 s until it has seen one', () => {
    const { groupKey } = loadBalancerWithGroup('network', 'real', [ids.lbA], { ...HEALTH, protocol: 'TCP', path: undefined });
    const id = launch(ids.appA);
    const seen = new Map<string, { ok: boolean; reason?: 'Target.Timeout' }>();
    const simulated = app.env.runtime;
    app.env.runtime = { ...simulated!, lbHealth: (_s, key) => seen.get(key) };
    try {
      app.env.store.transaction(() => registerTarget(app.env, scope, groupKey, { id, port: 80, zone: 'us-east-1a' }));
      const t0 = now();
      advanceTo(t0 + 75_000); // NLB: registration 60 s, first check due at 70 s; none made yet
      assert.equal(health(groupKey, id), 'initial / Elb.InitialHealthChecking / Initial health checks in progress');
      seen.set(targetKey(groupKey, id, 80), { ok: false, reason: 'Target.Timeout' });
      advanceTo(t0 + 76_000); // looked again within the second; NLB reports a timeout as a failed check
      assert.equal(target(groupKey, id, 80)!.failures, 1);
      advanceTo(t0 + 86_000);
      assert.equal(health(groupKey, id), 'unhealthy / Target.FailedHealthChecks / Health checks failed');
    } finally {
      app.env.runtime = simulated;
    }
  });
});

describe('the load balancers\' metrics', () => {
  const stats = (namespace: string, name: string, dims: { Name: string; Value: string }[], from: number, to: number) =>
    app.env.store.transaction(() =>
      cloudwatch.handlers.GetMetricStatistics(
        { Namespace: namespace, MetricName: name, Dimensions: dims, StartTime: new Date(from), EndTime: new Date(to), Period: 60, Statistics: ['Minimum', 'Maximum', 'SampleCount', 'Sum'] },
        ctx,
      ),
    ) as { Datapoints: { Timestamp: Date; Minimum: number; Maximum: number; SampleCount: number; Sum: number }[] };

  it('publishes host counts per zone and per node every minute, and the minute\'s traffic from the data plane\'s counters', () => {
    const lb = loadBalancerWithGroup('classic', 'counted', [ids.lbA, ids.lbB], { ...HEALTH, protocol: 'HTTP', port: '80', path: '/' });
    const a = launch(ids.appA);
    const b = launch(ids.appB);
    const counters: TrafficCounters = { requests: 0, targetMsSum: 0, elbCodes: {}, targetCodes: {}, targetConnectionErrors: 0, processedBytes: 0, fixedResponses: 0, redirects: 0, unhealthyRouting: 0 };
    const simulated = app.env.runtime;
    app.env.runtime = { ...simulated!, lbTraffic: (_s, key) => (key === lb.key ? structuredClone(counters) : undefined) };
    try {
      const start = Math.ceil(now() / 60_000) * 60_000 + 5_000;
      advanceTo(start);
      app.env.store.transaction(() => {
        registerTarget(app.env, scope, lb.groupKey, { id: a, port: 0, zone: 'us-east-1a' });
        registerTarget(app.env, scope, lb.groupKey, { id: b, port: 0, zone: 'us-east-1b' });
      });
      advanceTo(start + 60_000); // healthy after 30 s of registration and one 10 s check
      injectFault(app.env, { kind: 'app', target: b });
      advanceTo(start + 90_000); // b unhealthy after two failed checks
      assert.equal(target(lb.groupKey, b, 0)!.state, 'unhealthy');
      Object.assign(counters, { requests: 10, targetMsSum: 200, targetCodes: { '2XX': 7 }, elbCodes: { '503': 3 } });
      advanceTo(start + 180_000);

      const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;
      const lbDim = [{ Name: 'LoadBalancerName', Value: 'counted' }];
      const late = minute(start + 120_000); // a run after b turned unhealthy
      const healthy = stats('AWS/ELB', 'HealthyHostCount', lbDim, late, late + 60_000).Datapoints[0];
      // Cross-zone off: one sample per node, each counting its own zone's instances.
      assert.deepEqual({ min: healthy.Minimum, max: healthy.Maximum, n: healthy.SampleCount }, { min: 0, max: 1, n: 2 });
      const unhealthyB = stats('AWS/ELB', 'UnHealthyHostCount', [...lbDim, { Name: 'AvailabilityZone', Value: 'us-east-1b' }], late, late + 60_000).Datapoints[0];
      assert.equal(unhealthyB.Maximum, 1);

      const requests = stats('AWS/ELB', 'RequestCount', lbDim, start, start + 180_000).Datapoints;
      assert.equal(requests.length, 1, 'published only in the minute that carried traffic');
      assert.equal(requests[0].Sum, 10);
      const latency = stats('AWS/ELB', 'Latency', lbDim, start, start + 180_000).Datapoints;
      assert.equal(latency[0].Maximum, 200 / 7 / 1000);
      assert.equal(stats('AWS/ELB', 'HTTPCode_ELB_5XX', lbDim, start, start + 180_000).Datapoints[0].Sum, 3);
      assert.equal(stats('AWS/ELB', 'HTTPCode_Backend_2XX', lbDim, start, start + 180_000).Datapoints[0].Sum, 7);
    } finally {
      app.env.runtime = simulated;
    }
  });

  it('publishes a minute once when a change re-arms the metrics exactly on the minute', () => {
    const lb = loadBalancerWithGroup('classic', 'boundary', [ids.lbA]);
    const a = launch(ids.appA);
    register(lb.groupKey, a, 'us-east-1a');
    advanceTo(now() + 40_000); // checks begin after Classic's 30 s registration, which arms the metrics
    const minute = Math.ceil(now() / 60_000) * 60_000;
    advanceTo(minute); // the minute's run publishes and re-arms for the next
    app.env.store.transaction(() => queueMetrics(app.env, scope, lb.key)); // a target's state changes at that very instant
    advanceTo(minute + 30_000);
    const [point] = stats('AWS/ELB', 'HealthyHostCount', [{ Name: 'LoadBalancerName', Value: 'boundary' }], minute, minute + 60_000).Datapoints;
    assert.equal(point.SampleCount, 1, 'one sample from the one node, not two');
  });
});
