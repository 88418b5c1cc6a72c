/**
 * The load balancers' data plane under the sandbox driver, on this machine:
 *  1. requests per second through an Application Load Balancer to two sandboxed instances,
 *     against the same requests sent straight to one instance's public IP (target: overhead
 *     under 30%). The load comes from a separate Node process (keep-alive, C connections), so
 *     that it does not share faultline's event loop; the instances run a Python HTTP/1.1 server.
 *  2. under a scaled clock (--time-scale), the time from a target's application exiting to the
 *     load balancer no longer sending it requests, against the health check's thresholds
 *     (UnhealthyThresholdCount x HealthCheckIntervalSeconds).
 * No moto comparison: moto_server has no data plane (its load balancers carry no traffic and
 * report every target healthy whatever happens).
 *
 *   npx tsx bench/elb-dataplane.bench.ts [seconds=5] [connections=16] [timeScale=10]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../test/harness.ts';
import { BOTO3_PRELUDE } from '../test/boto3-prelude.ts';
import { httpGet, sandboxSkip, waitFor, webAppUserData } from '../test/sandbox-support.ts';

if (sandboxSkip) {
  console.log(`elb data plane bench skipped: ${sandboxSkip}`);
  process.exit(0);
}
const SECONDS = Number(process.argv[2] ?? 5);
const CONNECTIONS = Number(process.argv[3] ?? 16);
const SCALE = Number(process.argv[4] ?? 10);
const run = promisify(execFile);

/** Two instances (us-east-1a, us-east-1b) serving their host name over HTTP/1.1 keep-alive; `/die` makes one exit; an ALB in front. */
const SETUP = (interval: number, manual: boolean) => `
ec2 = boto3.client('ec2')
elbv2 = boto3.client('elbv2', config=no_retry)
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
ec2.attach_internet_gateway(InternetGatewayId=ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId'], VpcId=v)
subnets = [ec2.create_subnet(VpcId=v, CidrBlock='10.0.%d.0/24' % (i + 1), AvailabilityZone='us-east-1' + z)['Subnet']['SubnetId'] for i, z in enumerate('ab')]
sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 8080, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
ids = [ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, UserData=os.environ['USER_DATA'],
    NetworkInterfaces=[{'DeviceIndex': 0, 'SubnetId': s, 'Groups': [sg], 'AssociatePublicIpAddress': True}])['Instances'][0]['InstanceId'] for s in subnets]
lb = elbv2.create_load_balancer(Name='bench', Subnets=subnets, SecurityGroups=[sg])['LoadBalancers'][0]
tg = elbv2.create_target_group(Name='bench', Protocol='HTTP', Port=8080, VpcId=v, HealthCheckIntervalSeconds=${interval}, HealthCheckTimeoutSeconds=2,
    HealthyThresholdCount=2, UnhealthyThresholdCount=2)['TargetGroups'][0]['TargetGroupArn']
elbv2.create_listener(LoadBalancerArn=lb['LoadBalancerArn'], Protocol='HTTP', Port=80, DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg}])
if ${manual ? 'True' : 'False'}:
    advance(90)
else:
    import time
    while not all(i['State']['Name'] == 'running' for r in ec2.describe_instances(InstanceIds=ids)['Reservations'] for i in r['Instances']):
        time.sleep(0.2)
elbv2.register_targets(TargetGroupArn=tg, Targets=[{'Id': i} for i in ids])
d = ec2.describe_instances(InstanceIds=ids)['Reservations']
out({'dns': lb['DNSName'], 'tg': tg, 'ids': ids, 'publicIps': [i['PublicIpAddress'] for r in d for i in r['Instances']]})
`;

type Setup = { dns: string; tg: string; ids: string[]; publicIps: string[] };

/** Keep-alive GETs of `url` from CONNECTIONS connections for SECONDS, in a child process: answers per second, and failures. */
const LOAD = `
const http = require('node:http');
const [url, seconds, conns] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conns) });
const end = Date.now() + Number(seconds) * 1000;
let ok = 0, failed = 0;
function one() {
  if (Date.now() >= end) return Promise.resolve();
  return new Promise((r) => {
    const req = http.get(url, { agent }, (res) => { res.resume(); res.on('end', () => { res.statusCode === 200 ? ok++ : failed++; r(); }); });
    req.on('error', () => { failed++; r(); });
  }).then(one);
}
Promise.all(Array.from({ length: Number(conns) }, one)).then(() => { console.log(JSON.stringify({ rps: ok / Number(seconds), failed })); process.exit(0); });
`;

async function load(url: string): Promise<{ rps: number; failed: number }> {
  const { stdout } = await run(process.execPath, ['-e', LOAD, url, String(SECONDS), String(CONNECTIONS)]);
  return JSON.parse(stdout);
}

async function prepare(fl: Faultline, interval: number): Promise<{ setup: Setup; nodes: string[] }> {
  fl.clientEnv.USER_DATA = webAppUserData({ keepAlive: true });
  const setup: Setup = await fl.python(BOTO3_PRELUDE + SETUP(interval, fl.app.env.clock.mode === 'manual'));
  for (const ip of setup.publicIps) await waitFor(`http://${ip}:8080/`, undefined, 120_000);
  const healthy = `out([t['TargetHealth']['State'] for t in boto3.client('elbv2').describe_target_health(TargetGroupArn='${setup.tg}')['TargetHealthDescriptions']])`;
  const deadline = Date.now() + 120_000;
  while (!((await fl.python(BOTO3_PRELUDE + healthy)) as string[]).every((s) => s === 'healthy')) {
    if (Date.now() > deadline) throw new Error('targets never became healthy');
    if (fl.app.env.clock.mode === 'manual') fl.advance(interval);
    await new Promise((r) => setTimeout(r, 200));
  }
  await fl.app.driver.settle(); // the nodes listen on the next pass after their targets are healthy
  const nodes = ((await (await fetch(`${fl.url}/_faultline/resolve?name=${setup.dns}`)).json()) as { addresses: string[] }).addresses;
  return { setup, nodes };
}

// 1. Throughput: through the load balancer vs straight to one instance.
const results: string[] = [];
{
  const fl = await startFaultline({ driver: 'sandbox' });
  try {
    const { setup, nodes } = await prepare(fl, 5);
    await load(`http://${setup.publicIps[0]}:8080/`); // warm both paths once
    await load(`http://${nodes[0]}/`);
    const direct = await load(`http://${setup.publicIps[0]}:8080/`);
    const viaLb = await load(`http://${nodes[0]}/`);
    // The same instance alone behind the load balancer: the other deregistered (it drains, and gets no new requests).
    await fl.python(BOTO3_PRELUDE + `boto3.client('elbv2').deregister_targets(TargetGroupArn='${setup.tg}', Targets=[{'Id': '${setup.ids[1]}'}])`);
    await fl.app.driver.settle();
    const viaLbOne = await load(`http://${nodes[0]}/`);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    results.push(
      `| straight to one instance's public IP | ${Math.round(direct.rps)} | ${direct.failed} |`,
      `| through the ALB (one node, two instances) | ${Math.round(viaLb.rps)} | ${viaLb.failed} |`,
      `| through the ALB (one node, that one instance alone) | ${Math.round(viaLbOne.rps)} | ${viaLbOne.failed} |`,
      `| overhead, two instances (1 - ALB / direct) | ${pct(1 - viaLb.rps / direct.rps)} | target < 30% |`,
      `| overhead, same instance (1 - ALB / direct) | ${pct(1 - viaLbOne.rps / direct.rps)} | |`,
    );
  } finally {
    await fl.close();
  }
}

// 2. Failure to no more traffic, under a scaled clock.
let detection = '';
{
  const interval = 10;
  const fl = await startFaultline({ driver: 'sandbox', clock: 'scaled', timeScale: SCALE });
  try {
    const { setup, nodes } = await prepare(fl, interval);
    const url = `http://${nodes[0]}/`;
    const failedAt = fl.app.env.clock.now();
    // Kill one app: /die reaches whichever instance the node picks; the other keeps serving.
    const dieAnswer = await httpGet(`${url}die`);
    const died = /hello from (\S+)/.exec(dieAnswer?.body ?? "")?.[1];
    if (!died) throw new Error(`/die answered ${JSON.stringify(dieAnswer)}`);
    let lastBad = failedAt;
    let goodInARow = 0;
    const deadline = Date.now() + 120_000;
    while (goodInARow < 50 && Date.now() < deadline) {
      const r = await httpGet(url, 3000);
      if (r?.status === 200 && !r.body.includes(died)) goodInARow++;
      else {
        goodInARow = 0;
        lastBad = fl.app.env.clock.now();
      }
    }
    const cloudSeconds = (lastBad - failedAt) / 1000;
    detection = `| time scale x${SCALE}, interval ${interval} s, unhealthy threshold 2, timeout 2 s | ${cloudSeconds.toFixed(1)} s of cloud time (${((cloudSeconds / SCALE) * 1000).toFixed(0)} ms real) | ${interval} to ${2 * interval} s (a check every interval; the second failure marks it) |`;
  } finally {
    await fl.close();
  }
}

console.log(`## Throughput (${SECONDS} s, ${CONNECTIONS} keep-alive connections)

| path | requests/s | failed |
|---|---|---|
${results.join('\n')}

## From an application exiting to no more requests to it

| setting | measured | expected from the thresholds |
|---|---|---|
${detection}
`);
process.exit(0);
