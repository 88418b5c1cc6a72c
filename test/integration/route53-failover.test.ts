/**
 * Route 53 as a user runs it (issue 11, "What a user does"): everything Route 53 through the AWS
 * CLI, every answer asked of faultline's DNS server with `dig`, on the simulated driver and the
 * manual clock. Failover between two instances follows the health check at the times its
 * interval and threshold give (worked out below); weighted sets answer in their proportions; an
 * alias to a Classic load balancer answers the nodes of the zones that are up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';

const run = promisify(execFile);

/** Two subnets, port 80 open to the world, and an instance with a public IP in each zone for each role. */
const SETUP = `
ec2 = boto3.client('ec2')
v = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
g = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=v)
subnets = [ec2.create_subnet(VpcId=v, CidrBlock=c, AvailabilityZone=z)['Subnet']['SubnetId'] for c, z in (('10.0.1.0/24', 'us-east-1a'), ('10.0.2.0/24', 'us-east-1b'))]
sg = ec2.create_security_group(GroupName='web', Description='web', VpcId=v)['GroupId']
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
def launch(subnet):
    return ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1,
        NetworkInterfaces=[{'DeviceIndex': 0, 'SubnetId': subnet, 'Groups': [sg], 'AssociatePublicIpAddress': True}])['Instances'][0]['InstanceId']
ids = {'primary': launch(subnets[0]), 'secondary': launch(subnets[1]), 'webA': launch(subnets[0]), 'webB': launch(subnets[1])}
advance(120)
ips = {k: ec2.describe_instances(InstanceIds=[i])['Reservations'][0]['Instances'][0]['PublicIpAddress'] for k, i in ids.items()}
out({'ids': ids, 'ips': ips, 'subnets': subnets, 'sg': sg})
`;

describe('Route 53 through the AWS CLI, answered to dig', () => {
  let fl: Faultline;
  let dnsPort: number;
  let dir: string;
  let ids: Record<'primary' | 'secondary' | 'webA' | 'webB', string>;
  let ips: Record<'primary' | 'secondary' | 'webA' | 'webB', string>;
  let net: { subnets: string[]; sg: string };
  let zoneId: string;

  /** `dig @127.0.0.1 -p PORT NAME +short`: the addresses, sorted. */
  const dig = async (name: string) => {
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), name, '+short', '+time=2', '+tries=1']);
    return stdout.trim().split('\n').filter(Boolean).sort();
  };
  /** Writes a change batch to a file and applies it with the CLI, as a user does; returns the change id. */
  const changeFromFile = async (file: string, changes: unknown[]) => {
    writeFileSync(join(dir, file), JSON.stringify({ Changes: changes }));
    const r = await fl.aws('route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', `file://${join(dir, file)}`);
    return r.ChangeInfo.Id as string;
  };
  const control = async (path: string, body: unknown) => {
    const r = await fetch(fl.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await r.text();
    assert.equal(r.ok, true, `${path}: ${r.status} ${text}`);
    return JSON.parse(text);
  };

  before(async () => {
    fl = await startFaultline();
    dnsPort = (await fl.app.dns.listen(0, '127.0.0.1')).port;
    dir = mkdtempSync(join(tmpdir(), 'faultline-r53-'));
    let subnets, sg;
    ({ ids, ips, subnets, sg } = await fl.python(BOTO3_PRELUDE + SETUP));
    net = { subnets, sg };
    const zone = await fl.aws('route53', 'create-hosted-zone', '--name', 'example.com', '--caller-reference', 'x');
    zoneId = zone.HostedZone.Id;
  });
  after(async () => {
    await fl.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('failover, interval 10 and threshold 3: the primary until the third failed check after its host fails (every checker then fails, 0% ≤ 18%), then the secondary; the primary again at the third passing check after it heals', async () => {
    // t = 0 is the health check's creation; its checkers (16, in 8 regions) check at 10, 20, 30 ... s.
    const hc = await fl.aws(
      'route53', 'create-health-check', '--caller-reference', 'primary',
      '--health-check-config', JSON.stringify({ Type: 'HTTP', IPAddress: ips.primary, Port: 80, ResourcePath: '/', RequestInterval: 10, FailureThreshold: 3 }),
    );
    const t0 = fl.app.env.clock.now();
    const at = (s: number) => fl.advance((t0 + s * 1000 - fl.app.env.clock.now()) / 1000);
    const hcId = hc.HealthCheck.Id as string;
    const set = (role: 'PRIMARY' | 'SECONDARY', ip: string, check?: string) => ({
      Action: 'CREATE',
      ResourceRecordSet: { Name: 'www.example.com', Type: 'A', SetIdentifier: role.toLowerCase(), Failover: role, TTL: 60, ResourceRecords: [{ Value: ip }], ...(check ? { HealthCheckId: check } : {}) },
    });
    const change = await changeFromFile('failover.json', [set('PRIMARY', ips.primary, hcId), set('SECONDARY', ips.secondary)]);
    assert.deepEqual(await dig('www.example.com'), [], 'not served while PENDING');
    at(5);
    assert.equal((await fl.aws('route53', 'get-change', '--id', change)).ChangeInfo.Status, 'PENDING');
    at(30); // route53PropagationSeconds (30) after the change
    assert.equal((await fl.aws('route53', 'get-change', '--id', change)).ChangeInfo.Status, 'INSYNC');
    assert.deepEqual(await dig('www.example.com'), [ips.primary]);
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), 'www.example.com', '+noall', '+answer']);
    assert.deepEqual(stdout.trim().split(/\s+/), ['www.example.com.', '60', 'IN', 'A', ips.primary]);

    const statuses = async () => {
      const s = await fl.aws('route53', 'get-health-check-status', '--health-check-id', hcId);
      return [...new Set(s.HealthCheckObservations.map((o: { StatusReport: { Status: string } }) => o.StatusReport.Status.split(':')[0]))];
    };
    assert.deepEqual(await statuses(), ['Success']);
    at(35);
    const fault = await control('/_faultline/faults', { kind: 'host', instance: ids.primary });
    at(40); // the first failed check
    assert.deepEqual(await statuses(), ['Failure']);
    assert.equal((await fl.aws('route53', 'get-health-check-status', '--health-check-id', hcId)).HealthCheckObservations.length, 16);
    assert.deepEqual(await dig('www.example.com'), [ips.primary]);
    at(59); // the second failed check was at 50 s: still two in a row
    assert.deepEqual(await dig('www.example.com'), [ips.primary]);
    at(60); // the third: every checker's view flips, so 0% of checkers are healthy
    assert.deepEqual(await dig('www.example.com'), [ips.secondary]);
    const reasons = await fl.aws('route53', 'get-health-check-last-failure-reason', '--health-check-id', hcId);
    assert.match(reasons.HealthCheckObservations[0].StatusReport.Status, /^Failure: Connection timed out/);

    at(65);
    await control(`/_faultline/faults/${fault.faultId}/heal`, {});
    at(70); // the first passing check
    assert.deepEqual(await statuses(), ['Success']);
    at(89); // the second was at 80 s
    assert.deepEqual(await dig('www.example.com'), [ips.secondary]);
    at(90); // the third: back to the primary
    assert.deepEqual(await dig('www.example.com'), [ips.primary]);
    const changes = fl.app.env.events
      .list()
      .filter((e) => e.type === 'route53.health-check' && e.detail.healthCheckId === hcId)
      .map((e) => `${(Date.parse(e.time) - t0) / 1000}s ${e.detail.to}`);
    assert.deepEqual(changes, ['60s unhealthy', '90s healthy']);
  });

  it('weighted sets of weights 1 and 3 answer in those proportions over 400 queries (100 and 300, each within ±40: more than 4.5 standard deviations)', async () => {
    const set = (id: string, weight: number, ip: string) => ({
      Action: 'CREATE',
      ResourceRecordSet: { Name: 'app.example.com', Type: 'A', SetIdentifier: id, Weight: weight, TTL: 60, ResourceRecords: [{ Value: ip }] },
    });
    await changeFromFile('weighted.json', [set('blue', 1, '192.0.2.1'), set('green', 3, '192.0.2.3')]);
    fl.advance(30);
    // One dig for all 400 queries (its batch mode), each query its own exchange with the server.
    writeFileSync(join(dir, 'queries'), 'app.example.com A\n'.repeat(400));
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), '+short', '+time=2', '+tries=1', '-f', join(dir, 'queries')], { maxBuffer: 1 << 20 });
    const answers = stdout.trim().split('\n');
    assert.equal(answers.length, 400);
    const count = (ip: string) => answers.filter((a) => a === ip).length;
    assert.equal(count('192.0.2.1') + count('192.0.2.3'), 400);
    assert.ok(Math.abs(count('192.0.2.1') - 100) <= 40, `weight 1 answered ${count('192.0.2.1')} times of 400`);
    assert.ok(Math.abs(count('192.0.2.3') - 300) <= 40, `weight 3 answered ${count('192.0.2.3')} times of 400`);
  });

  it('an alias A record to a Classic load balancer answers its nodes in the zones that are up: when us-east-1a loses power, its node leaves the answer', async () => {
    const lb = await fl.aws(
      'elb', 'create-load-balancer', '--load-balancer-name', 'web', '--subnets', ...net.subnets, '--security-groups', net.sg,
      '--listeners', 'Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80',
    );
    await fl.aws('elb', 'register-instances-with-load-balancer', '--load-balancer-name', 'web', '--instances', ids.webA, ids.webB);
    const desc = await fl.aws('elb', 'describe-load-balancers', '--load-balancer-names', 'web');
    const lbZoneId = desc.LoadBalancerDescriptions[0].CanonicalHostedZoneNameID as string;
    await changeFromFile('alias.json', [
      { Action: 'CREATE', ResourceRecordSet: { Name: 'lb.example.com', Type: 'A', AliasTarget: { HostedZoneId: lbZoneId, DNSName: lb.DNSName, EvaluateTargetHealth: true } } },
    ]);
    fl.advance(60); // INSYNC, and both instances InService (30 s of registration, then a passing check)
    const health = await fl.aws('elb', 'describe-instance-health', '--load-balancer-name', 'web');
    assert.deepEqual(health.InstanceStates.map((s: { State: string }) => s.State), ['InService', 'InService']);
    const nodes = await dig(lb.DNSName);
    assert.equal(nodes.length, 2, 'one node per zone');
    assert.deepEqual(await dig('lb.example.com'), nodes);
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), 'lb.example.com', '+noall', '+answer']);
    assert.deepEqual(stdout.trim().split('\n').map((l) => l.split(/\s+/)[1]), ['60', '60'], "the load balancer's TTL");

    await control('/_faultline/faults', { kind: 'az', target: 'us-east-1a' });
    const left = await dig('lb.example.com');
    assert.equal(left.length, 1);
    assert.ok(nodes.includes(left[0]));
    assert.deepEqual(await dig(lb.DNSName), left);
  });
});
