// The Route 53 health check loop on the manual clock, through the handlers and the world: status
// changes at the times the interval and threshold give (worked out by hand), the 18% rule with
// security groups that admit only some checkers, Inverted and Disabled, CALCULATED thresholds,
// and CLOUDWATCH_METRIC checks that follow the alarm's metric data rather than its state; and what
// the sandbox driver's real requests see, against HTTP servers on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createApp, type App } from '../../src/app.ts';
import { cloudwatch } from '../../src/services/cloudwatch/index.ts';
import { ec2 } from '../../src/services/ec2/index.ts';
import { COLL as EC2_COLL, type InstanceRecord } from '../../src/services/ec2/state.ts';
import { route53 } from '../../src/services/route53/index.ts';
import { elb } from '../../src/services/elb/index.ts';
import { classicKey, COLL as ELB_COLL, type LoadBalancerRecord } from '../../src/services/elb/state.ts';
import { CHECKER_RANGES } from '../../src/services/route53/health-check.config.ts';
import { healthCheck } from '../../src/services/route53/state.ts';
import type { RequestContext } from '../../src/services/service.ts';
import { healFault, injectFault } from '../../src/world/faults.ts';
import { eventEntry } from '../../src/drills/timeline.ts';
import { STATUS } from '../../src/services/route53/health-check.probe.ts';
import { probe, specOf, type ProbeSpec } from '../../src/runtime/route53-probes.ts';

let app: App;
let dir: string;
let ctx: RequestContext;
let r53ctx: RequestContext;
const scope = { account: '000000000000', region: 'us-east-1' };
const ids: Record<string, string> = {};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (svc: { handlers: Record<string, (i: any, c: RequestContext) => unknown> }, c: RequestContext, op: string, input: Record<string, unknown>): any =>
  app.env.store.transaction(() => svc.handlers[op](input, c));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ec2Call = (op: string, input: Record<string, unknown>): any => call(ec2, ctx, op, input);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const r53 = (op: string, input: Record<string, unknown>): any => call(route53, r53ctx, op, input);
const now = () => app.env.clock.now();
const advanceTo = (ms: number) => app.env.scheduler.advanceTo(ms);
const healthy = (id: string) => healthCheck(app.env.store, scope.account, id)!.healthy;
const statuses = (id: string) => [...new Set(r53('GetHealthCheckStatus', { HealthCheckId: id }).HealthCheckObservations.map((o: { StatusReport: { Status: string } }) => o.StatusReport.Status))];
const create = (config: Record<string, unknown>): string => r53('CreateHealthCheck', { CallerReference: `ref-${Math.random()}`, HealthCheckConfig: config }).HealthCheck.Id;
const changes = (id: string, t0: number) =>
  app.env.events
    .list()
    .filter((e) => e.type === 'route53.health-check' && e.detail.healthCheckId === id)
    .map((e) => `${(Date.parse(e.time) - t0) / 1000}s ${e.detail.from} → ${e.detail.to}`);

/** A running web server with a public IP in its own security group, which admits `cidrs` on 80. */
function webServer(name: string, cidrs: string[]): { id: string; ip: string; sg: string } {
  const sg = ec2Call('CreateSecurityGroup', { GroupName: name, Description: name, VpcId: ids.vpc }).GroupId;
  if (cidrs.length) ec2Call('AuthorizeSecurityGroupIngress', { GroupId: sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: cidrs.map((CidrIp) => ({ CidrIp })) }] });
  const id = ec2Call('RunInstances', {
    ImageId: 'ami-1ecae776',
    MinCount: 1,
    MaxCount: 1,
    InstanceType: 't2.micro',
    NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: ids.subnet, Groups: [sg], AssociatePublicIpAddress: true }],
  }).Instances[0].InstanceId;
  advanceTo(now() + app.env.config.bootSeconds * 1000);
  const ip = app.env.store.get<InstanceRecord>(EC2_COLL.instances, scope, id)!.PublicIpAddress!;
  return { id, ip, sg };
}
const hostOf = (id: string) => app.env.store.get<InstanceRecord>(EC2_COLL.instances, scope, id)!.hostId!;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'r53-health-'));
  app = createApp({ dataDir: dir, clock: 'manual', log: () => {} });
  const principal = { account: scope.account, arn: 'arn:aws:iam::000000000000:root', userId: scope.account, accessKeyId: 'test' };
  ctx = { ...scope, requestId: 'test', principal, env: app.env };
  r53ctx = { ...ctx, region: 'global' };
  ids.vpc = ec2Call('CreateVpc', { CidrBlock: '10.0.0.0/16' }).Vpc.VpcId;
  ids.subnet = ec2Call('CreateSubnet', { VpcId: ids.vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }).Subnet.SubnetId;
  const igw = ec2Call('CreateInternetGateway', {}).InternetGateway.InternetGatewayId;
  ec2Call('AttachInternetGateway', { InternetGatewayId: igw, VpcId: ids.vpc });
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Route 53 health checks on the clock (simulated checkers)', () => {
  it('interval 10, threshold 3: the host fails at 15 s, checks at 20, 30 and 40 s fail, unhealthy at 40 s; it recovers at 45 s, healthy at the third passing check, 70 s', () => {
    const web = webServer('web', ['0.0.0.0/0']);
    const t0 = now();
    const id = create({ Type: 'HTTP', IPAddress: web.ip, RequestInterval: 10, FailureThreshold: 3 });
    advanceTo(t0 + 10_000);
    assert.deepEqual(statuses(id), ['Success: HTTP Status Code 200, OK']);
    advanceTo(t0 + 15_000);
    const fault = injectFault(app.env, { kind: 'host', target: hostOf(web.id), effect: 'power' });
    advanceTo(t0 + 39_999);
    assert.equal(healthy(id), true);
    assert.match(statuses(id)[0] as string, /^Failure: Connection timed out\./);
    advanceTo(t0 + 40_000);
    assert.equal(healthy(id), false);
    advanceTo(t0 + 45_000);
    healFault(app.env, fault.faultId);
    advanceTo(t0 + 69_999);
    assert.equal(healthy(id), false);
    advanceTo(t0 + 70_000);
    assert.equal(healthy(id), true);
    assert.deepEqual(changes(id, t0), ['40s healthy → unhealthy', '70s unhealthy → healthy']);
    // Drills' timelines show the detection and the recovery.
    const timeline = app.env.events.list().filter((e) => e.detail.healthCheckId === id).map((e) => eventEntry(e));
    assert.deepEqual(timeline.map((t) => `${t?.phase} ${t?.message}`), [`detect Route 53 health check ${id}: healthy → unhealthy`, `repair Route 53 health check ${id}: unhealthy → healthy`]);
    const failures = r53('GetHealthCheckLastFailureReason', { HealthCheckId: id }).HealthCheckObservations;
    assert.equal(failures.length, 16);
    assert.equal(failures[0].StatusReport.CheckedTime, new Date(t0 + 40_000).toISOString());
  });

  it('the 18% rule: a group that admits 3 of the 16 checkers (18.75%) keeps the check healthy; 2 of 16 (12.5%) does not', () => {
    const three = [...CHECKER_RANGES['us-east-1'], CHECKER_RANGES['eu-west-1'][0]];
    const web = webServer('some-checkers', three);
    const t0 = now();
    const id = create({ Type: 'HTTP', IPAddress: web.ip, RequestInterval: 10, FailureThreshold: 1 });
    advanceTo(t0 + 10_000);
    const obs = r53('GetHealthCheckStatus', { HealthCheckId: id }).HealthCheckObservations as { Region: string; StatusReport: { Status: string } }[];
    assert.equal(obs.filter((o) => o.StatusReport.Status.startsWith('Success')).length, 3);
    assert.equal(healthy(id), true);
    ec2Call('RevokeSecurityGroupIngress', { GroupId: web.sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: three[2] }] }] });
    advanceTo(t0 + 20_000);
    assert.equal(healthy(id), false);
    assert.deepEqual(changes(id, t0), ['20s healthy → unhealthy']);
  });

  it('Inverted swaps the status; Disabled is healthy whatever the endpoint does (unhealthy when also inverted), and publishes no percentage', () => {
    const web = webServer('closed', []);
    const t0 = now();
    const inverted = create({ Type: 'TCP', IPAddress: web.ip, Port: 80, RequestInterval: 10, FailureThreshold: 1, Inverted: true });
    const disabled = create({ Type: 'TCP', IPAddress: web.ip, Port: 80, RequestInterval: 10, FailureThreshold: 1, Disabled: true });
    const both = create({ Type: 'TCP', IPAddress: web.ip, Port: 80, RequestInterval: 10, FailureThreshold: 1, Disabled: true, Inverted: true });
    assert.deepEqual([healthy(inverted), healthy(disabled), healthy(both)], [false, true, false]);
    advanceTo(t0 + 10_000); // every checker times out: the endpoint is unhealthy, the inverted check healthy
    assert.deepEqual([healthy(inverted), healthy(disabled), healthy(both)], [true, true, false]);
    assert.deepEqual(r53('GetHealthCheckStatus', { HealthCheckId: disabled }).HealthCheckObservations, []);
    const dims = (id: string) => [{ Name: 'HealthCheckId', Value: id }];
    const percent = (id: string) =>
      call(cloudwatch, ctx, 'ListMetrics', { Namespace: 'AWS/Route53', MetricName: 'HealthCheckPercentageHealthy', Dimensions: dims(id) }).Metrics.length;
    assert.deepEqual([percent(inverted), percent(disabled)], [1, 0]);
    r53('UpdateHealthCheck', { HealthCheckId: disabled, Disabled: false });
    advanceTo(t0 + 20_000);
    assert.equal(healthy(disabled), false);
  });

  it('CALCULATED: healthy while at least HealthThreshold children are; 0 is always healthy, more than the children never; a child that changes updates its parents at once', () => {
    const web = webServer('calc', ['0.0.0.0/0']);
    const other = webServer('calc2', ['0.0.0.0/0']);
    const t0 = now();
    const a = create({ Type: 'HTTP', IPAddress: web.ip, RequestInterval: 10, FailureThreshold: 1 });
    const b = create({ Type: 'HTTP', IPAddress: other.ip, RequestInterval: 10, FailureThreshold: 1 });
    const c = create({ Type: 'TCP', IPAddress: other.ip, Port: 80, RequestInterval: 30, FailureThreshold: 1, Disabled: true });
    const calc = (threshold: number) => create({ Type: 'CALCULATED', ChildHealthChecks: [a, b, c], HealthThreshold: threshold });
    const [zero, three, four] = [calc(0), calc(3), calc(4)];
    advanceTo(t0 + 1);
    assert.deepEqual([healthy(zero), healthy(three), healthy(four)], [true, true, false]);
    assert.throws(() => r53('GetHealthCheckStatus', { HealthCheckId: three }), { code: 'InvalidInput' });
    injectFault(app.env, { kind: 'host', target: hostOf(web.id), effect: 'power' });
    advanceTo(t0 + 10_000); // a fails its first check (threshold 1); three loses a child at the same moment
    assert.deepEqual([healthy(a), healthy(zero), healthy(three), healthy(four)], [false, true, false, false]);
    assert.deepEqual(changes(three, t0), ['10s healthy → unhealthy']);
    r53('UpdateHealthCheck', { HealthCheckId: three, HealthThreshold: 2 });
    advanceTo(t0 + 10_001);
    assert.equal(healthy(three), true);
    assert.throws(() => create({ Type: 'CALCULATED', ChildHealthChecks: [three], HealthThreshold: 1 }), { code: 'InvalidInput' });
    r53('DeleteHealthCheck', { HealthCheckId: b }); // a deleted child counts as unhealthy
    advanceTo(t0 + 10_002);
    assert.equal(healthy(three), false);
  });

  it('CLOUDWATCH_METRIC: follows the alarm\'s metric data against its threshold, not the alarm\'s state, and InsufficientDataHealthStatus when there is none', () => {
    const cw = (op: string, input: Record<string, unknown>) => call(cloudwatch, ctx, op, input);
    const dims = [{ Name: 'Queue', Value: 'orders' }];
    cw('PutMetricAlarm', { AlarmName: 'backlog', Namespace: 'App', MetricName: 'Backlog', Dimensions: dims, Statistic: 'Maximum', Period: 60, EvaluationPeriods: 2, Threshold: 100, ComparisonOperator: 'GreaterThanThreshold' });
    const t0 = Math.ceil(now() / 60_000) * 60_000;
    advanceTo(t0);
    const last = create({ Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Region: 'us-east-1', Name: 'backlog' } });
    const unhealthyWithout = create({ Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Region: 'us-east-1', Name: 'backlog' }, InsufficientDataHealthStatus: 'Unhealthy' });
    assert.deepEqual(r53('GetHealthCheck', { HealthCheckId: last }).HealthCheck.CloudWatchAlarmConfiguration, {
      EvaluationPeriods: 2,
      Threshold: 100,
      ComparisonOperator: 'GreaterThanThreshold',
      Period: 60,
      MetricName: 'Backlog',
      Namespace: 'App',
      Statistic: 'Maximum',
      Dimensions: dims,
    });
    advanceTo(t0 + 1);
    assert.deepEqual([healthy(last), healthy(unhealthyWithout)], [true, false]);
    // SetAlarmState moves the alarm, not the checks.
    cw('SetAlarmState', { AlarmName: 'backlog', StateValue: 'ALARM', StateReason: 'test' });
    const put = (value: number) => cw('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Backlog', Dimensions: dims, Value: value, Timestamp: new Date(now()) }] });
    put(500);
    advanceTo(t0 + 60_000);
    assert.equal(cw('DescribeAlarms', { AlarmNames: ['backlog'] }).MetricAlarms[0].StateValue, 'ALARM');
    assert.equal(healthy(last), true);
    put(700);
    advanceTo(t0 + 120_000); // two periods over 100, as the alarm's own rule needs
    assert.deepEqual([healthy(last), healthy(unhealthyWithout)], [false, false]);
    put(5);
    advanceTo(t0 + 179_999);
    assert.equal(healthy(last), false);
    advanceTo(t0 + 180_000); // one of the last two periods over 100: not the alarm's 2 of 2
    assert.deepEqual([healthy(last), healthy(unhealthyWithout)], [true, true]);
    assert.deepEqual(changes(last, t0), ['120s healthy → unhealthy', '180s unhealthy → healthy']);
    assert.throws(() => create({ Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Region: 'us-east-1', Name: 'missing' } }), { code: 'InvalidInput' });
  });

  it('a load balancer node\'s public address: 503 while no target is healthy, 200 once one is; a port it does not listen on refuses', () => {
    const web = webServer('behind-lb', ['0.0.0.0/0']);
    const lbSg = ec2Call('CreateSecurityGroup', { GroupName: 'lb', Description: 'lb', VpcId: ids.vpc }).GroupId;
    ec2Call('AuthorizeSecurityGroupIngress', { GroupId: lbSg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    const elbCall = (op: string, input: Record<string, unknown>) => call(elb, ctx, op, input);
    elbCall('CreateLoadBalancer', { LoadBalancerName: 'front', Subnets: [ids.subnet], SecurityGroups: [lbSg], Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 80 }] });
    elbCall('ConfigureHealthCheck', { LoadBalancerName: 'front', HealthCheck: { Target: 'HTTP:80/', Interval: 10, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 2 } });
    elbCall('RegisterInstancesWithLoadBalancer', { LoadBalancerName: 'front', Instances: [{ InstanceId: web.id }] });
    const nodeIp = app.env.store.get<LoadBalancerRecord>(ELB_COLL.loadBalancers, scope, classicKey('front'))!.nodes[0].publicIp!;
    const t0 = now();
    const http = create({ Type: 'HTTP', IPAddress: nodeIp, RequestInterval: 10 });
    const other = create({ Type: 'TCP', IPAddress: nodeIp, Port: 81, RequestInterval: 10 });
    advanceTo(t0 + 10_000); // the instance is still registering
    assert.deepEqual(statuses(http), ['Failure: HTTP Status Code 503, Service Temporarily Unavailable']);
    assert.deepEqual(statuses(other), ['Failure: Connection refused. The endpoint is not accepting connections on the port.']);
    advanceTo(t0 + 60_000); // registered at 30 s, its first check at 40 s passes
    assert.deepEqual(statuses(http), ['Success: HTTP Status Code 200, OK']);
  });

  it('an app fault fails HTTP checks with 500; a domain name that does not resolve fails with "DNS resolution failed"; fewer than three regions are refused', () => {
    const web = webServer('app', ['0.0.0.0/0']);
    const t0 = now();
    const id = create({ Type: 'HTTP', IPAddress: web.ip, RequestInterval: 10, Regions: ['us-east-1', 'eu-west-1', 'sa-east-1'] });
    const byName = create({ Type: 'HTTP', FullyQualifiedDomainName: 'www.nowhere.example', RequestInterval: 10 });
    injectFault(app.env, { kind: 'app', target: web.id });
    advanceTo(t0 + 10_000);
    assert.deepEqual(statuses(id), ['Failure: HTTP Status Code 500, Internal Server Error']);
    assert.equal(r53('GetHealthCheckStatus', { HealthCheckId: id }).HealthCheckObservations.length, 6);
    assert.deepEqual(statuses(byName), ['Failure: DNS resolution failed']);
    assert.throws(() => create({ Type: 'HTTP', IPAddress: web.ip, Regions: ['us-east-1', 'eu-west-1'] }), { code: 'InvalidInput' });
  });
});

describe('what a checker\'s real request sees (the sandbox driver\'s probes, against servers on loopback)', () => {
  let server: Server;
  let port: number;
  let closedPort: number;
  const spec = (over: Partial<ProbeSpec>): ProbeSpec => ({
    type: 'HTTP',
    ip: '127.0.0.1',
    port,
    host: 'www.example.com',
    path: '/',
    healthCheckId: 'test',
    timeouts: { tcp: 2000, connect: 2000, firstByte: 2000, body: 2000 },
    ...over,
  });
  const seen: { host?: string; agent?: string; path?: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ host: req.headers.host, agent: req.headers['user-agent'], path: req.url });
      if (req.url === '/down') return void res.writeHead(503, 'Service Unavailable').end();
      if (req.url === '/late') return void res.writeHead(200).end('x'.repeat(6000) + 'READY');
      if (req.url === '/gzip') return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('status: READY'));
      res.writeHead(200, 'OK').end('status: READY');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    closedPort = (spare.address() as AddressInfo).port;
    await new Promise((r) => spare.close(r));
  });
  after(() => new Promise((r) => server.close(r)));

  it('HTTP: the status code and its text, the Host header and the path; TCP: a connection, or a refusal', async () => {
    const ok = await probe(spec({ path: '/health' }));
    assert.deepEqual([ok.ok, ok.status, typeof ok.connectMs, typeof ok.firstByteMs], [true, 'Success: HTTP Status Code 200, OK', 'number', 'number']);
    assert.deepEqual(seen.at(-1), { host: 'www.example.com', agent: 'Amazon-Route53-Health-Check-Service (ref test)', path: '/health' });
    assert.deepEqual(await probe(spec({ path: '/down' })).then((r) => [r.ok, r.status]), [false, 'Failure: HTTP Status Code 503, Service Unavailable']);
    assert.deepEqual(await probe(spec({ type: 'TCP' })).then((r) => [r.ok, r.status]), [true, 'Success: TCP connection established']);
    assert.deepEqual(await probe(spec({ type: 'TCP', port: closedPort })).then((r) => r.status), STATUS.refused);
    assert.deepEqual(await probe(spec({ port: closedPort })).then((r) => r.status), STATUS.refused);
  });

  it('string match: only in the first 5,120 bytes of the body, decompressed', async () => {
    const match = (path: string, searchString: string) => probe(spec({ type: 'HTTP_STR_MATCH', path, searchString })).then((r) => `${r.ok} ${r.status}`);
    assert.equal(await match('/', 'READY'), 'true Success: HTTP Status Code 200, OK');
    assert.equal(await match('/', 'ready'), `false ${STATUS.noMatch}`);
    assert.equal(await match('/late', 'READY'), `false ${STATUS.noMatch}`);
    assert.equal(await match('/gzip', 'READY'), 'true Success: HTTP Status Code 200, OK');
  });

  it('the Host header: the domain name with the port unless it is the scheme\'s own, else the address', () => {
    const hc = (config: Record<string, unknown>) => specOf({ Id: 'x', HealthCheckConfig: { Type: 'HTTP', ...config } }, '127.100.0.5', 1).host;
    assert.equal(hc({ FullyQualifiedDomainName: 'www.example.com', Port: 80 }), 'www.example.com');
    assert.equal(hc({ FullyQualifiedDomainName: 'www.example.com', Port: 8080 }), 'www.example.com:8080');
    assert.equal(hc({ IPAddress: '127.100.0.5', Port: 80 }), '127.100.0.5');
  });
});
