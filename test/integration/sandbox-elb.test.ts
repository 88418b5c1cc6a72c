/**
 * Load balancers' data plane under the sandbox driver: two instances in two zones serve their
 * host name over HTTP, behind a Classic load balancer whose nodes listen on public addresses of
 * the loopback pool. Through the nodes both instances answer, from the nodes' private addresses
 * (an instance group that admits only the load balancer's group serves through it, and not
 * directly); health checks are real requests, so an application that exits and a zone that loses
 * its network take their instance out of service after the thresholds, and the nodes and the DNS
 * answer follow; cross-zone off keeps a node in its own zone. An Application Load Balancer over
 * the same instances runs its listener's rules.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { advanceUntil, httpGet, sandboxSkip, waitFor, waitGone, webAppUserData } from '../sandbox-support.ts';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { checkHttp } from '../../src/drills/probes.ts';
import { resolveLoadBalancer } from '../../src/services/elb/resolve.ts';
import type { SandboxDriver } from '../../src/runtime/sandbox.driver.ts';

const run = promisify(execFile);

const SETUP = `
ec2 = boto3.client('ec2')
elb = boto3.client('elb', config=no_retry)
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
g = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=v)
a = ec2.create_subnet(VpcId=v, CidrBlock='10.0.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
b = ec2.create_subnet(VpcId=v, CidrBlock='10.0.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']
lb_sg = ec2.create_security_group(GroupName='lb', Description='lb', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=lb_sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
web_sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 8080, 'ToPort': 8080, 'UserIdGroupPairs': [{'GroupId': lb_sg}]}])
ids = []
for s in (a, b):
    r = ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, UserData=os.environ['USER_DATA'],
        NetworkInterfaces=[{'DeviceIndex': 0, 'SubnetId': s, 'Groups': [web_sg], 'AssociatePublicIpAddress': True}])
    ids.append(r['Instances'][0]['InstanceId'])
advance(60)
dns = elb.create_load_balancer(LoadBalancerName='web', Subnets=[a, b], SecurityGroups=[lb_sg],
    Listeners=[{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstanceProtocol': 'HTTP', 'InstancePort': 8080},
               {'Protocol': 'TCP', 'LoadBalancerPort': 81, 'InstanceProtocol': 'TCP', 'InstancePort': 8080}])['DNSName']
ec2.authorize_security_group_ingress(GroupId=lb_sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 81, 'ToPort': 81, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
elb.configure_health_check(LoadBalancerName='web', HealthCheck={'Target': 'HTTP:8080/', 'Interval': 5, 'Timeout': 2, 'UnhealthyThreshold': 2, 'HealthyThreshold': 2})
elb.register_instances_with_load_balancer(LoadBalancerName='web', Instances=[{'InstanceId': i} for i in ids])
elbv2 = boto3.client('elbv2', config=no_retry)
alb = elbv2.create_load_balancer(Name='app', Subnets=[a, b], SecurityGroups=[lb_sg])['LoadBalancers'][0]
def group(name):
    return elbv2.create_target_group(Name=name, Protocol='HTTP', Port=8080, VpcId=v, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2)['TargetGroups'][0]['TargetGroupArn']
every, only_b = group('every'), group('only-b')
elbv2.register_targets(TargetGroupArn=every, Targets=[{'Id': i} for i in ids])
elbv2.register_targets(TargetGroupArn=only_b, Targets=[{'Id': ids[1]}])
listener = elbv2.create_listener(LoadBalancerArn=alb['LoadBalancerArn'], Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': every}])['Listeners'][0]['ListenerArn']
def rule(priority, path, action):
    elbv2.create_rule(ListenerArn=listener, Priority=priority, Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': [path]}}], Actions=[action])
rule(10, '/api/*', {'Type': 'forward', 'TargetGroupArn': only_b})
rule(20, '/fixed', {'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain', 'MessageBody': 'nothing here'}})
rule(30, '/old', {'Type': 'redirect', 'RedirectConfig': {'Path': '/new', 'StatusCode': 'HTTP_301'}})
d = ec2.describe_instances(InstanceIds=ids)['Reservations']
insts = {i['InstanceId']: i for r in d for i in r['Instances']}
out({'vpc': v, 'dns': dns, 'alb': alb['LoadBalancerArn'], 'albDns': alb['DNSName'], 'every': every, 'ids': ids, 'publicIps': [insts[i]['PublicIpAddress'] for i in ids], 'privateIps': [insts[i]['PrivateIpAddress'] for i in ids]})
`;

describe('load balancers under the sandbox driver: nodes, real health checks, zones', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let setup: { vpc: string; dns: string; alb: string; albDns: string; every: string; ids: string[]; publicIps: string[]; privateIps: string[] };
  /** The node addresses, in zone order (a, b), as the DNS names resolved when both served. */
  let nodes: string[];
  let albNodes: string[];

  const resolve = async (name = setup.dns): Promise<string[]> => {
    const r = await fetch(`${fl.url}/_faultline/resolve?name=${name}`);
    assert.equal(r.status, 200);
    return ((await r.json()) as { addresses: string[] }).addresses;
  };
  /** The Classic instances' health by id, and the ALB group's targets' as `alb:ID`. */
  const health = async (): Promise<Record<string, { State: string; Description?: string; Reason?: string }>> => {
    const script = `out({'classic': boto3.client('elb').describe_instance_health(LoadBalancerName='web')['InstanceStates'],
  'alb': boto3.client('elbv2').describe_target_health(TargetGroupArn='${setup.every}')['TargetHealthDescriptions']})`;
    const r = (await fl.python(BOTO3_PRELUDE + script)) as { classic: { InstanceId: string; State: string; Description: string }[]; alb: { Target: { Id: string }; TargetHealth: { State: string; Reason?: string } }[] };
    return Object.fromEntries([...r.classic.map((s) => [s.InstanceId, s]), ...r.alb.map((t) => [`alb:${t.Target.Id}`, { State: t.TargetHealth.State, Reason: t.TargetHealth.Reason }])]);
  };
  /** Moves the clock on an interval at a time until `ok` holds for the instances' health (checks are real, so this waits in real time too). */
  const healthUntil = (ok: (h: Awaited<ReturnType<typeof health>>) => boolean, what: string) => advanceUntil((s) => fl.advance(s), health, ok, what, 5, 60_000);
  /** The host names that answer `n` requests to `url`. */
  const answering = async (url: string, n = 8): Promise<Set<string>> => {
    const names = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await httpGet(url);
      if (r?.status === 200) names.add(/hello from (\S+)/.exec(r.body)![1]);
    }
    return names;
  };
  const traffic = (lbKey: string) => fl.app.env.runtime!.lbTraffic!({ account: '000000000000', region: 'us-east-1' }, lbKey)!;
  /** Polls `ok` in real time (what it reads is a real process's doing). */
  const until = async (ok: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** `p`, or a failure after `ms` of real time. */
  const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
  };
  const hostOf = (i: number) => `ip-${setup.privateIps[i].replace(/\./g, '-')}`;
  /** Sets the Classic load balancer's cross-zone attribute, and waits until the nodes follow it. */
  const crossZone = async (on: boolean) => {
    await fl.python(BOTO3_PRELUDE + `boto3.client('elb').modify_load_balancer_attributes(LoadBalancerName='web', LoadBalancerAttributes={'CrossZoneLoadBalancing': {'Enabled': ${on ? 'True' : 'False'}}})`);
    await fl.app.driver.settle();
  };

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    fl.clientEnv.USER_DATA = webAppUserData();
    setup = await fl.python(BOTO3_PRELUDE + SETUP);
    await healthUntil((h) => setup.ids.every((id) => h[id]?.State === 'InService' && h[`alb:${id}`]?.State === 'healthy'), 'both instances in service and healthy');
    nodes = await resolve();
    albNodes = await resolve(setup.albDns);
  });
  after(() => fl?.close());

  it('serves both instances through the nodes, from the nodes\u2019 addresses, and each node only its own zone with cross-zone off', async () => {
    assert.equal(nodes.length, 2);
    for (const ip of nodes) assert.match(ip, /^127\.100\./);
    // Cross-zone is off through the API: each node sends to its own zone's instance.
    assert.deepEqual(await answering(`http://${nodes[0]}/`), new Set([hostOf(0)]));
    assert.deepEqual(await answering(`http://${nodes[1]}/`), new Set([hostOf(1)]));
    // The TCP listener forwards the connection whole (the app sees no X-Forwarded-For).
    assert.match((await httpGet(`http://${nodes[1]}:81/`))!.body, new RegExp(`hello from ${hostOf(1)} /\nxff=None`));
    await crossZone(true);
    assert.deepEqual(await answering(`http://${nodes[0]}/`), new Set([hostOf(0), hostOf(1)]));
    // The app saw the client's address in X-Forwarded-For; the connection came from a node, which
    // the instances' group admits by the load balancer's group. The instance's own public IP is not open.
    const page = await httpGet(`http://${nodes[0]}/`);
    assert.match(page!.body, /xff=127\.0\.0\.1$/m);
    assert.equal(await httpGet(`http://${setup.publicIps[0]}:8080/`, 1000), undefined);
    await crossZone(false);
    const carried = traffic('classic:web');
    assert.ok(carried.requests >= 20 && carried.targetCodes['2XX'] >= 20 && carried.processedBytes > 0, JSON.stringify(carried));
  });

  it('runs an ALB listener\u2019s rules: the default forward across zones, a path rule to another group, a fixed response and a redirect', async () => {
    assert.equal(albNodes.length, 2);
    // An ALB is always cross-zone: either node reaches both instances.
    assert.deepEqual(await answering(`http://${albNodes[1]}/`), new Set([hostOf(0), hostOf(1)]));
    assert.deepEqual(await answering(`http://${albNodes[0]}/api/v1`), new Set([hostOf(1)]));
    const fixed = await fetch(`http://${albNodes[0]}/fixed`);
    assert.equal(fixed.status, 404);
    assert.equal(fixed.headers.get('server'), 'awselb/2.0');
    assert.equal(await fixed.text(), 'nothing here');
    const moved = await fetch(`http://${albNodes[0]}/old?x=1`, { redirect: 'manual' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get('location'), `http://${albNodes[0]}/new?x=1`);
    // A client that hangs up before the target answers is the client's doing (AWS logs 460), not a 502.
    assert.equal(await httpGet(`http://${albNodes[0]}/slow`, 300), undefined);
    await until(() => traffic(setup.alb).elbCodes['460'] === 1, 'the hang-up counted');
    assert.equal(traffic(setup.alb).elbCodes['502'], undefined);
  });

  it('resolves the DNS name for the CLI and for a drill\u2019s http probe', async () => {
    const cli = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'resolve', setup.albDns.toUpperCase()], { env: { ...process.env, FAULTLINE_URL: fl.url } });
    assert.deepEqual(cli.stdout.trim().split('\n'), albNodes);
    const probe = await checkHttp({ name: 'web', interval: 1, kind: 'http', url: `http://${setup.albDns}/api/x`, timeout: 2, body: hostOf(1) }, (host) => resolveLoadBalancer(fl.app.env, host)?.addresses);
    assert.deepEqual(probe, { ok: true, detail: 'HTTP 200' });
    assert.equal((await fetch(`${fl.url}/_faultline/resolve?name=nothing.elb.amazonaws.com`)).status, 404);
    assert.equal((await fetch(`${fl.url}/_faultline/resolve`)).status, 400);
  });

  it('takes an instance whose application exits out of service after the thresholds; its node answers 503 and leaves the DNS answer', async () => {
    const died = await httpGet(`http://${nodes[0]}/die`);
    assert.equal(died?.status, 200);
    const h = await healthUntil((x) => x[setup.ids[0]].State === 'OutOfService', 'the first instance out of service');
    assert.equal(h[setup.ids[0]].Description, 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.');
    assert.equal(h[setup.ids[1]].State, 'InService');
    // Cross-zone off: the first zone's node has no healthy instance. A Classic node answers 503,
    // and the name resolves to the other node only.
    assert.equal((await httpGet(`http://${nodes[0]}/`))?.status, 503);
    assert.deepEqual(await resolve(), [nodes[1]]);
    // Cross-zone on: the first node sends to the healthy instance in the other zone.
    await crossZone(true);
    await waitFor(`http://${nodes[0]}/`);
    assert.deepEqual(await answering(`http://${nodes[0]}/`), new Set([hostOf(1)]));
    assert.deepEqual(await resolve(), nodes);
    // The ALB's check failed it too (refused: FailedHealthChecks), and its nodes send only to the other.
    const alb = await healthUntil((x) => x[`alb:${setup.ids[0]}`].State === 'unhealthy', 'the first ALB target unhealthy');
    assert.equal(alb[`alb:${setup.ids[0]}`].Reason, 'Target.FailedHealthChecks');
    assert.deepEqual(await answering(`http://${albNodes[0]}/`), new Set([hostOf(1)]));
  });

  it('stops a node whose zone loses its network, cutting the TCP flows it carried, and checks from the other node time out its instance', async () => {
    // A flow through the node's TCP listener stays open (the app waits for the rest of the request)
    // once the node has handed it to the VPC's agent, which is when the node has counted it.
    const before = traffic('classic:web').requests;
    const flow = connect(81, nodes[1]);
    flow.on('error', () => {});
    const closed = once(flow, 'close');
    flow.write('GET / HTTP/1.1\r\n');
    await until(() => traffic('classic:web').requests > before, 'the node took the flow');
    const fault = await (await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'az', target: 'us-east-1b', effect: 'network' }) })).json();
    await waitGone(`http://${nodes[1]}/`);
    await within(closed, 10_000, 'the flow through the stopped node is cut');
    assert.deepEqual(await resolve(), [nodes[0]]);
    const h = await healthUntil((x) => x[setup.ids[1]].State === 'OutOfService' && x[`alb:${setup.ids[1]}`].State === 'unhealthy', 'the second instance out of service');
    assert.equal(h[`alb:${setup.ids[1]}`].Reason, 'Target.Timeout');
    // Neither instance is healthy now: the remaining node has nothing to send to. The ALB's fails
    // open to its unhealthy targets, and counts the requests it sends them (the client does not wait).
    assert.equal((await httpGet(`http://${nodes[0]}/`))?.status, 503);
    const failedOpen = traffic(setup.alb).unhealthyRouting;
    for (let i = 0; i < 2; i++) await httpGet(`http://${albNodes[0]}/`, 300);
    assert.equal(traffic(setup.alb).unhealthyRouting, failedOpen + 2);
    await fetch(`${fl.url}/_faultline/faults/${fault.faultId}/heal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await healthUntil((x) => x[setup.ids[1]].State === 'InService', 'the second instance back in service');
    await waitFor(`http://${nodes[1]}/`, (r) => r.body.includes(hostOf(1)));
    assert.deepEqual(await answering(`http://${nodes[0]}/`), new Set([hostOf(1)]));
  });

  it('starts a VPC agent that dies again, and its death fails no health check', async () => {
    const ns = `${(fl.app.driver as SandboxDriver).namespacePrefix()}${setup.vpc}`;
    const pids = (await run('ip', ['netns', 'pids', ns])).stdout.trim().split('\n');
    assert.equal(pids.length, 1, `the agent is the router namespace's only process: ${pids}`);
    process.kill(Number(pids[0]), 'SIGKILL');
    // Really gone from the namespace before the clock moves.
    const deadline = Date.now() + 10_000;
    while ((await run('ip', ['netns', 'pids', ns])).stdout.trim().split('\n').includes(pids[0])) {
      assert.ok(Date.now() < deadline, `the killed agent ${pids[0]} is gone within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Checks made while it is down have no answer: over more than the unhealthy threshold of
    // intervals, the instance that serves stays in service.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 250));
      fl.advance(5);
    }
    const h = await health();
    assert.equal(h[setup.ids[1]].State, 'InService', JSON.stringify(h));
    assert.equal(h[`alb:${setup.ids[1]}`].State, 'healthy', JSON.stringify(h));
    // The new agent carries traffic in the same namespace.
    await waitFor(`http://${nodes[1]}/`, (r) => r.body.includes(hostOf(1)));
    const again = (await run('ip', ['netns', 'pids', ns])).stdout.trim().split('\n');
    assert.equal(again.length, 1);
    assert.notEqual(again[0], pids[0]);
  });
});
