/**
 * The Amazon resolver inside a VPC (sandbox driver): an instance's /etc/resolv.conf points at the
 * VPC's base + 2 and searches its DHCP options set's domain name, and software inside resolves the private hosted zone associated with its VPC
 * and Amazon's private names (getent, python's socket, dig over UDP and TCP, at base + 2 and
 * 169.254.169.253); the host's DNS server does not answer the private zone. The zone is written
 * through the store as the Route 53 API leaves it, to test the resolver in isolation from the API.
 * A VPC's agent is asked to serve the resolver once however many callers ask at the same time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { SandboxDriver } from '../../src/runtime/sandbox.driver.ts';
import { VpcNetwork, resolverIps } from '../../src/runtime/vpc-network.ts';
import { promisify } from 'node:util';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip, waitFor } from '../sandbox-support.ts';
import { seedRecordSet, seedZone } from '../route53-support.ts';

const run = promisify(execFile);

const PROBE = `#!/bin/sh
mkdir -p /var/lib/app; R=/var/lib/app/results.txt
echo "resolv $(grep nameserver /etc/resolv.conf)" >> $R
echo "search $(grep search /etc/resolv.conf)" >> $R
echo "short $(getent hosts db)" >> $R
echo "getent $(getent hosts db.corp.internal)" >> $R
echo "self $(getent hosts $(hostname).ec2.internal)" >> $R
echo "python $(python3 -c 'import socket; print(socket.gethostbyname("db.corp.internal"))' 2>&1)" >> $R
echo "tcp $(dig +tcp +short @10.0.0.2 db.corp.internal 2>&1)" >> $R
echo "fixed $(dig +short @169.254.169.253 db.corp.internal 2>&1)" >> $R
echo "missing $(dig @10.0.0.2 nothing.corp.internal 2>&1 | grep -o 'status: [A-Z]*')" >> $R
echo done >> $R
cd /var/lib/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
`;

describe('DNS inside a VPC', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let port: number;
  let vpc: string;
  let subnet: string;
  let group: string;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    port = (await fl.app.dns.listen(0, '127.0.0.1')).port;
    vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    await fl.aws('ec2', 'modify-vpc-attribute', '--vpc-id', vpc, '--enable-dns-hostnames', '{"Value":true}');
    // The VPC's DHCP options set gives instances their search domain.
    const options = (await fl.aws('ec2', 'create-dhcp-options', '--dhcp-configurations', 'Key=domain-name,Values=corp.internal', 'Key=domain-name-servers,Values=AmazonProvidedDNS')).DhcpOptions;
    await fl.aws('ec2', 'associate-dhcp-options', '--dhcp-options-id', options.DhcpOptionsId, '--vpc-id', vpc);
    subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    await fl.aws('ec2', 'modify-subnet-attribute', '--subnet-id', subnet, '--map-public-ip-on-launch');
    group = (await fl.aws('ec2', 'create-security-group', '--group-name', 'dns', '--description', 'dns', '--vpc-id', vpc)).GroupId;
    await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', group, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    const zone = seedZone(fl.app.env, 'corp.internal.', { vpcs: [vpc] });
    seedRecordSet(fl.app.env, zone, { Name: 'db.corp.internal.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.1.99' }] });
  });
  after(() => fl?.close());

  it('resolves the private zone and the instance\'s private name from inside, through base + 2 and 169.254.169.253, over UDP and TCP', async () => {
    const inst = (await fl.aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', subnet, '--security-group-ids', group, '--user-data', PROBE)).Instances[0];
    fl.advance(60);
    const described = (await fl.aws('ec2', 'describe-instances', '--instance-ids', inst.InstanceId)).Reservations[0].Instances[0];
    const privateIp = described.PrivateIpAddress;
    const results = (await waitFor(`http://${described.PublicIpAddress}:8080/results.txt`, (r) => r.body.includes('done'), 90_000)).body;
    const line = (key: string) => results.split('\n').find((l) => l.startsWith(`${key} `))?.slice(key.length + 1).trim().split(/\s+/).join(' ');
    assert.equal(line('resolv'), 'nameserver 10.0.0.2', results);
    assert.equal(line('search'), 'search corp.internal', results);
    assert.equal(line('short'), '10.0.1.99 db.corp.internal', results);
    assert.equal(line('getent'), '10.0.1.99 db.corp.internal', results);
    assert.equal(line('self'), `${privateIp} ip-${privateIp.replace(/\./g, '-')}.ec2.internal`, results);
    assert.equal(line('python'), '10.0.1.99', results);
    assert.equal(line('tcp'), '10.0.1.99', results);
    assert.equal(line('fixed'), '10.0.1.99', results);
    assert.equal(line('missing'), 'status: NXDOMAIN', results);
  });

  it('serves the resolver again when the VPC\'s agent dies and comes back', async () => {
    const ns = `${(fl.app.driver as SandboxDriver).namespacePrefix()}${vpc}`;
    // Asked from inside the router namespace faultline made, where the resolver's address lives.
    const ask = async () => (await run('ip', ['netns', 'exec', ns, 'dig', '+short', '+time=1', '+tries=1', '@10.0.0.2', 'db.corp.internal']).catch((e: { stdout: string }) => e)).stdout.trim();
    assert.equal(await ask(), '10.0.1.99');
    const pids = (await run('ip', ['netns', 'pids', ns])).stdout.trim().split('\n');
    assert.equal(pids.length, 1, `the agent is the router namespace's only process: ${pids}`);
    process.kill(Number(pids[0]), 'SIGKILL');
    let answer = '';
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && answer !== '10.0.1.99'; ) {
      await new Promise((r) => setTimeout(r, 300));
      answer = await ask();
    }
    assert.equal(answer, '10.0.1.99', 'the new agent answers at base + 2');
    assert.notEqual((await run('ip', ['netns', 'pids', ns])).stdout.trim(), pids[0]);
  });

  it('serves the resolver once to callers that overlap, answering each', async () => {
    // A VPC network of the driver's own prefix (its close() removes it): a boot's serveDns and the
    // one after its agent restarts may overlap; the first caller used to wait for the agent to die.
    const logs: string[] = [];
    const net = new VpcNetwork(`${(fl.app.driver as SandboxDriver).namespacePrefix()}vpc-overlap`, 'vpc-overlap', (c) => c.socket.destroy(), (m) => logs.push(m));
    try {
      const ips = resolverIps('10.9.0.0/16');
      const both = Promise.all([net.serveDns(ips, () => undefined), net.serveDns(ips, () => undefined)]);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([both.then(() => 'answered'), new Promise((r) => (timer = setTimeout(() => r('no answer to both callers in 15 s'), 15_000)))]);
      clearTimeout(timer);
      assert.equal(waited, 'answered');
      assert.deepEqual(logs, [], 'the agent was asked to listen once');
    } finally {
      await net.destroy();
    }
  });

  it('does not answer the private zone to the host', async () => {
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', 'db.corp.internal']);
    assert.match(stdout, /status: REFUSED/);
  });
});
