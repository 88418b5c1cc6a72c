/**
 * Auto Scaling with load balancers, on the manual clock, with the load balancers' records written
 * directly (the ELB APIs and health loop are other modules): registration before InService,
 * deregistration and draining before the termination hooks, the attachment states, missing
 * sources, AddToLoadBalancer, and the ELB health decision with target states set by hand.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { autoscaling } from '../../src/services/autoscaling/index.ts';
import { ec2 } from '../../src/services/ec2/index.ts';
import { groupLoop, membersOf } from '../../src/services/autoscaling/group.loop.ts';
import { COLL as AS, scopedKey, type ActivityRecord, type MemberRecord } from '../../src/services/autoscaling/state.ts';
import { COLL as EC2, type InstanceRecord } from '../../src/services/ec2/state.ts';
import { classicKey, COLL as ELB, CROSS_ZONE, targetKey, type LoadBalancerRecord, type TargetGroupRecord, type TargetRecord, type TargetState } from '../../src/services/elb/state.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/0123456789abcdef';
const HEALTH = { enabled: true, protocol: 'HTTP' as const, port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' };

describe('Auto Scaling with load balancers (records written directly)', () => {
  let app: App;
  let dir: string;
  const ctx = () => ({ ...scope, requestId: 'r', principal: { account: scope.account, arn: '', userId: '', accessKeyId: '' }, env: app.env });
  const call = (op: string, input: Record<string, unknown>) => app.env.store.transaction(() => autoscaling.handlers[op](input, ctx())) as Record<string, unknown>;
  const ec2Call = (op: string, input: Record<string, unknown>) => app.env.store.transaction(() => ec2.handlers[op](input, ctx())) as Record<string, { VpcId: string; SubnetId: string }>;
  let subnet = '';
  const fails = (op: string, input: Record<string, unknown>): string => {
    try {
      call(op, input);
    } catch (e) {
      return `${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
    return 'no error';
  };
  const now = () => app.env.clock.now();
  const advance = (s: number) => app.env.scheduler.advanceTo(now() + s * 1000);
  const members = (group: string) => membersOf(app.env, scope, group) as MemberRecord[];
  const target = (group: string, id: string, port: number) => app.env.store.get<TargetRecord>(ELB.targets, scope, targetKey(group, id, port));
  const targetsOfInstance = (id: string) => app.env.store.list<TargetRecord>(ELB.targets, scope).filter((t) => t.id === id);
  const ec2State = (id: string) => app.env.store.get<InstanceRecord>(EC2.instances, scope, id)?.State.Name;
  const activity = (id: string | undefined) => app.env.store.get<ActivityRecord>(AS.activities, scope, id ?? '');
  /** Advances in 5 s steps until the group's instances are all InService, checking at every step that none is registered before. */
  function untilInService(group: string, count: number): MemberRecord[] {
    for (let i = 0; i < 60; i++) {
      const ms = members(group);
      for (const m of ms) if (m.LifecycleState !== 'InService') assert.equal(targetsOfInstance(m.InstanceId).length, 0, `${m.InstanceId} is registered while ${m.LifecycleState}`);
      if (ms.length === count && ms.every((m) => m.LifecycleState === 'InService')) return ms;
      advance(5);
    }
    assert.fail(`${group} never had ${count} instances in service`);
  }
  /** Sets a registration's health by hand (as the health loop would) and runs one pass of the group loop now. */
  function withTargetState(group: string, key: string, state: TargetState): void {
    app.env.store.transaction(() => {
      const t = app.env.store.mutable<TargetRecord>(ELB.targets, scope, key)!;
      t.state = state;
      app.env.store.put(ELB.targets, scope, key, t);
      groupLoop(app.env)(scopedKey(scope, group));
    });
  }
  function putClassic(name: string, drainSeconds: number): void {
    const key = classicKey(name);
    const lb: LoadBalancerRecord = {
      key, kind: 'classic', name, dnsName: `${name}-1.us-east-1.elb.amazonaws.com`, canonicalHostedZoneId: 'Z35SXDOTRQ7X7K', scheme: 'internet-facing', vpcId: 'vpc-1',
      securityGroups: [], nodes: [], activeAt: 0, createdTime: '', createdAt: 0, ipAddressType: 'ipv4', attributes: { [CROSS_ZONE]: 'false' }, tags: [],
    };
    const tg: TargetGroupRecord = { key, kind: 'classic', name, vpcId: 'vpc-1', targetType: 'instance', health: HEALTH, deregistrationDelay: drainSeconds, attributes: {}, tags: [], createdAt: 0 };
    app.env.store.transaction(() => {
      app.env.store.put(ELB.loadBalancers, scope, key, lb);
      app.env.store.put(ELB.targetGroups, scope, key, tg);
    });
  }
  function putTargetGroup(arn: string, port: number, delaySeconds: number): void {
    const tg: TargetGroupRecord = { key: arn, kind: 'v2', name: 'web-tg', arn, protocol: 'HTTP', port, vpcId: 'vpc-1', targetType: 'instance', health: HEALTH, deregistrationDelay: delaySeconds, attributes: {}, tags: [], createdAt: 0 };
    app.env.store.transaction(() => app.env.store.put(ELB.targetGroups, scope, arn, tg));
  }
  const group = (name: string, over: Record<string, unknown> = {}) =>
    call('CreateAutoScalingGroup', { AutoScalingGroupName: name, LaunchConfigurationName: 'lc', MinSize: 0, MaxSize: 4, DesiredCapacity: 1, VPCZoneIdentifier: subnet, ...over });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-asg-elb-'));
    app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
    const vpc = ec2Call('CreateVpc', { CidrBlock: '10.7.0.0/16' }).Vpc.VpcId;
    subnet = ec2Call('CreateSubnet', { VpcId: vpc, CidrBlock: '10.7.1.0/24', AvailabilityZone: 'us-east-1a' }).Subnet.SubnetId;
    call('CreateLaunchConfiguration', { LaunchConfigurationName: 'lc', ImageId: 'ami-1ecae776', InstanceType: 't2.micro' });
    putClassic('web', 30);
    putTargetGroup(TG, 8080, 60);
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers an instance with every source just before InService, and on scale-in deregisters it, drains, then runs the termination hooks', () => {
    group('order', { LoadBalancerNames: ['web'], TargetGroupARNs: [TG] });
    call('PutLifecycleHook', { AutoScalingGroupName: 'order', LifecycleHookName: 'drain-logs', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 30, DefaultResult: 'CONTINUE' });
    const [m] = untilInService('order', 1);
    const id = m.InstanceId;
    const classic = target(classicKey('web'), id, 0)!;
    const v2 = target(TG, id, 8080)!;
    for (const t of [classic, v2]) {
      assert.equal(t.registeredBy, 'autoscaling:order');
      assert.equal(t.zone, 'us-east-1a');
      assert.equal(t.registeredAt, m.inServiceAt, 'registered in the same pass that put it in service');
    }
    assert.deepEqual(call('DescribeLoadBalancers', { AutoScalingGroupName: 'order' }).LoadBalancers, [{ LoadBalancerName: 'web', State: 'InService' }], 'attached with the group: InService at once');

    const start = now();
    call('SetDesiredCapacity', { AutoScalingGroupName: 'order', DesiredCapacity: 0 });
    advance(1);
    let mm = members('order')[0];
    assert.equal(mm.LifecycleState, 'Terminating', 'no hook yet: draining comes first');
    assert.equal(target(classicKey('web'), id, 0)!.drainingUntil, start + 30_000);
    assert.equal(target(TG, id, 8080)!.drainingUntil, start + 60_000);
    assert.equal(target(TG, id, 8080)!.state, 'draining');
    assert.equal(activity(mm.exitActivityId)!.StatusCode, 'WaitingForELBConnectionDraining');
    assert.equal(ec2State(id), 'running');

    advance(58);
    mm = members('order')[0];
    assert.equal(mm.LifecycleState, 'Terminating', 'the longest deregistration delay (60 s) is not over');
    assert.equal(ec2State(id), 'running');
    advance(1);
    mm = members('order')[0];
    assert.equal(mm.LifecycleState, 'Terminating:Wait', 'the hook starts once the draining ends');
    assert.equal(activity(mm.exitActivityId)!.StatusCode, 'MidLifecycleAction');
    advance(31);
    assert.notEqual(ec2State(id), 'running', 'terminated after the hook');
  });

  it('HealthCheckType ELB: replaces an instance a source in service reports unhealthy, only after the grace period', () => {
    group('hc', { TargetGroupARNs: [TG], HealthCheckType: 'ELB', HealthCheckGracePeriod: 120 });
    group('ec2only', { TargetGroupARNs: [TG] });
    const [a] = untilInService('hc', 1);
    const [b] = untilInService('ec2only', 1);
    const keyA = targetKey(TG, a.InstanceId, 8080);

    withTargetState('hc', keyA, 'unhealthy');
    assert.equal(members('hc')[0].HealthStatus, 'Healthy', 'ignored during the grace period');
    withTargetState('hc', keyA, 'healthy');
    withTargetState('ec2only', targetKey(TG, b.InstanceId, 8080), 'unhealthy');
    assert.equal(members('ec2only')[0].HealthStatus, 'Healthy', 'HealthCheckType EC2 ignores the load balancer');

    app.env.scheduler.advanceTo(a.inServiceAt! + 120_000);
    withTargetState('hc', keyA, 'initial');
    assert.equal(members('hc')[0].HealthStatus, 'Healthy', 'a registration still in progress does not count');
    withTargetState('hc', keyA, 'unhealthy');
    const replaced = members('hc').find((m) => m.InstanceId === a.InstanceId)!;
    assert.equal(replaced.HealthStatus, 'Unhealthy');
    assert.ok(replaced.LifecycleState.startsWith('Terminating'));
    const cause = activity(replaced.exitActivityId)!.Cause;
    assert.match(cause, /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ an instance was taken out of service in response to an ELB system health check failure\.$/);
    assert.equal(target(TG, a.InstanceId, 8080)!.state, 'draining', 'deregistered before it is terminated');
  });

  it('attached later: Adding, Added, InService once an instance passed, and only then do ELB checks count; detached: Removing while draining, Removed, unlisted', () => {
    group('later', { HealthCheckType: 'EC2,ELB' });
    const [m] = untilInService('later', 1);
    assert.equal(fails('AttachLoadBalancerTargetGroups', { AutoScalingGroupName: 'later', TargetGroupARNs: [`${TG}0`] }), 'ValidationError: Provided Target Groups may not be valid. Please ensure they exist and try again.');
    call('AttachLoadBalancerTargetGroups', { AutoScalingGroupName: 'later', TargetGroupARNs: [TG] });
    const states = () => (call('DescribeTrafficSources', { AutoScalingGroupName: 'later' }).TrafficSources as { State: string }[]).map((s) => s.State);
    assert.deepEqual(states(), ['Adding']);
    advance(1);
    assert.deepEqual(states(), ['Added'], 'the running instance is registered');
    const key = targetKey(TG, m.InstanceId, 8080);
    assert.equal(target(TG, m.InstanceId, 8080)?.registeredBy, 'autoscaling:later');

    withTargetState('later', key, 'unhealthy');
    assert.equal(members('later')[0].HealthStatus, 'Healthy', 'an attachment not yet InService is not trusted');
    withTargetState('later', key, 'healthy');
    assert.deepEqual(states(), ['InService']);

    call('DetachTrafficSources', { AutoScalingGroupName: 'later', TrafficSources: [{ Identifier: TG, Type: 'elbv2' }] });
    advance(1);
    assert.deepEqual(states(), ['Removing']);
    assert.equal(target(TG, m.InstanceId, 8080)!.state, 'draining');
    advance(60);
    assert.deepEqual(states(), ['Removed']);
    advance(10);
    assert.deepEqual(states(), []);
    assert.equal(members('later')[0].LifecycleState, 'InService', 'detaching a source leaves the instances running');
    assert.equal(ec2State(m.InstanceId), 'running');
  });

  it('a source deleted after attaching fails launches with AWS text; AddToLoadBalancer suspended launches without registering', () => {
    assert.equal(fails('CreateAutoScalingGroup', { AutoScalingGroupName: 'x', LaunchConfigurationName: 'lc', MinSize: 0, MaxSize: 1, VPCZoneIdentifier: subnet, LoadBalancerNames: ['nope'] }), 'ValidationError: Provided Load Balancers may not be valid. Please ensure they exist and try again.');
    putClassic('doomed', 0);
    group('gone', { LoadBalancerNames: ['doomed'], DesiredCapacity: 0 });
    app.env.store.transaction(() => {
      app.env.store.delete(ELB.loadBalancers, scope, classicKey('doomed'));
      app.env.store.delete(ELB.targetGroups, scope, classicKey('doomed'));
    });
    call('SetDesiredCapacity', { AutoScalingGroupName: 'gone', DesiredCapacity: 1 });
    advance(1);
    assert.equal(members('gone').length, 0, 'no instance is launched');
    const failed = app.env.store.list<ActivityRecord>(AS.activities, scope).filter((a) => a.AutoScalingGroupName === 'gone');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].StatusCode, 'Failed');
    assert.equal(failed[0].StatusMessage, 'Cannot find Load Balancer doomed. Validating load balancer configuration failed.');
    assert.equal(failed[0].Description, 'Launching a new EC2 instance.  Status Reason: Cannot find Load Balancer doomed. Validating load balancer configuration failed.');

    group('quiet', { LoadBalancerNames: ['web'], DesiredCapacity: 0 });
    call('SuspendProcesses', { AutoScalingGroupName: 'quiet', ScalingProcesses: ['AddToLoadBalancer'] });
    call('SetDesiredCapacity', { AutoScalingGroupName: 'quiet', DesiredCapacity: 1 });
    const [q] = untilInService('quiet', 1);
    assert.equal(targetsOfInstance(q.InstanceId).length, 0);
    call('ResumeProcesses', { AutoScalingGroupName: 'quiet' });
    advance(30);
    assert.equal(targetsOfInstance(q.InstanceId).length, 0, 'not registered on resume either');
  });
});
