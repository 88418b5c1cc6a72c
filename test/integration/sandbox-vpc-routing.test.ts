/**
 * Traffic between and out of VPCs (sandbox driver), tried from inside the instances' own network
 * namespaces with curl:
 *  - a security group rule that names a prefix list admits exactly the list's CIDRs, and follows
 *    the list as it is modified;
 *  - peered VPCs' instances reach each other only once the route tables of both sides send the
 *    other's CIDR to the peering connection;
 *  - an instance in a private subnet reaches the internet (a listener in faultline's internet
 *    namespace, which answers every address) from the NAT gateway's Elastic IP only while its
 *    route table sends 0.0.0.0/0 to the gateway, and not while the gateway's zone is down; through
 *    the internet gateway instead, it comes from the instance's own Elastic IP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip } from '../sandbox-support.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { listNamespaces } from '../../src/runtime/netns.ts';
import { run } from '../../src/runtime/exec.ts';
import type { SandboxDriver } from '../../src/runtime/sandbox.driver.ts';

/** A stand-in for an internet host: answers each HTTP GET with the address it came from; stops by itself after 3 minutes. */
const INTERNET_HOST = `
import http.server, threading, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = ('from %s' % self.client_address[0]).encode()
        self.send_response(200); self.send_header('content-length', str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
threading.Timer(180, lambda: os._exit(0)).start()
http.server.ThreadingHTTPServer(('0.0.0.0', 8000), H).serve_forever()
`;

describe('VPC peering, NAT gateways and prefix lists, routed (sandbox driver)', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let prefix: string;
  let s: Record<string, string>;
  let internet: ChildProcess | undefined;

  /**
   * The body that `curl` from the instance's namespace gets, or undefined when nothing answers
   * within 3 s; fails, naming the command, when the command itself has not ended in 10 s.
   */
  const get = async (from: string, url: string) => {
    const r = await run('ip', ['netns', 'exec', `${prefix}${s[from]}`, 'curl', '-s', '--max-time', '3', url], { allowFail: true, timeoutMs: 10_000 });
    return r.code === 0 ? r.stdout : undefined;
  };
  /** Asks until the answer is `want` (the driver applies records within a pass or two), for at most 30 s; returns the last answer. */
  const until = async (from: string, url: string, want: (body: string | undefined) => boolean) => {
    let body: string | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      body = await get(from, url);
      if (want(body)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    return body;
  };
  const served = (b: string | undefined) => !!b?.includes('Directory listing');
  const refused = (b: string | undefined) => b === undefined;
  const ec2 = (code: string) => fl.python(`${BOTO3_PRELUDE}\nec2 = boto3.client('ec2', config=no_retry)\ns = ${JSON.stringify(s)}\n${code}`);

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    prefix = (fl.app.driver as SandboxDriver).namespacePrefix();
    s = await fl.python(`${BOTO3_PRELUDE}
ec2 = boto3.client('ec2', config=no_retry)
def subnet(vpc, cidr, zone):
    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone='us-east-1' + zone)['Subnet']['SubnetId']
def table(vpc, sub):
    t = ec2.create_route_table(VpcId=vpc)['RouteTable']['RouteTableId']
    ec2.associate_route_table(RouteTableId=t, SubnetId=sub)
    return t
def launch(sub, groups, user_data=''):
    return ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=sub, SecurityGroupIds=groups, UserData=user_data)['Instances'][0]['InstanceId']
a = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
b = ec2.create_vpc(CidrBlock='10.1.0.0/16')['Vpc']['VpcId']
igw = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=a)
public, servers, clients = subnet(a, '10.0.0.0/24', 'b'), subnet(a, '10.0.1.0/24', 'a'), subnet(a, '10.0.2.0/24', 'a')
peers = subnet(b, '10.1.1.0/24', 'a')
ec2.create_route(RouteTableId=table(a, public), DestinationCidrBlock='0.0.0.0/0', GatewayId=igw)
rt_servers, rt_clients = table(a, servers), table(a, clients)
rt_peers = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [b]}])['RouteTables'][0]['RouteTableId']
pl = ec2.create_managed_prefix_list(PrefixListName='clients', AddressFamily='IPv4', MaxEntries=5, Entries=[{'Cidr': '10.0.2.0/24'}])['PrefixList']['PrefixListId']
web = ec2.create_security_group(GroupName='web', Description='web', VpcId=a)['GroupId']
ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 8080, 'ToPort': 8080, 'PrefixListIds': [{'PrefixListId': pl}]}])
eip = ec2.allocate_address(Domain='vpc')
nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip['AllocationId'])['NatGateway']['NatGatewayId']
pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)['VpcPeeringConnection']['VpcPeeringConnectionId']
ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
default_b = ec2.describe_security_groups(Filters=[{'Name': 'vpc-id', 'Values': [b]}, {'Name': 'group-name', 'Values': ['default']}])['SecurityGroups'][0]['GroupId']
default_a = ec2.describe_security_groups(Filters=[{'Name': 'vpc-id', 'Values': [a]}, {'Name': 'group-name', 'Values': ['default']}])['SecurityGroups'][0]['GroupId']
server = launch(servers, [web], '#!/bin/sh\\nmkdir -p /srv/www && cd /srv/www && nohup python3 -m http.server 8080 > /var/log/web.log 2>&1 &\\n')
out(dict(a=a, b=b, pl=pl, nat=nat, pcx=pcx, eip=eip['PublicIp'], rt_servers=rt_servers, rt_clients=rt_clients, rt_peers=rt_peers,
    server=server, client=launch(clients, [default_a]), peer=launch(peers, [default_b])))
`);
    fl.advance(120); // the instances run, and the NAT gateway is available
    s.serverUrl = `http://${(await fl.aws('ec2', 'describe-instances', '--instance-ids', s.server)).Reservations[0].Instances[0].PrivateIpAddress}:8080/`;
    // The server's page once it has booted: the prefix list admits the clients' subnet.
    let body: string | undefined;
    for (const deadline = Date.now() + 90_000; !served(body) && Date.now() < deadline; ) {
      body = await get('client', s.serverUrl);
      if (!served(body)) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(served(body), `the server answers the client: ${body}`);
  });
  after(async () => {
    if (internet?.pid) internet.kill('SIGKILL');
    await fl?.close();
  });

  it('admits a prefix list\'s CIDRs, and peered instances only where both sides route to the connection', async () => {
    assert.ok(refused(await get('peer', s.serverUrl)), 'no route, and the list does not admit the peer VPC');
    await ec2(`ec2.modify_managed_prefix_list(PrefixListId=s['pl'], AddEntries=[{'Cidr': '10.1.0.0/16'}])
ec2.create_route(RouteTableId=s['rt_peers'], DestinationCidrBlock='10.0.0.0/16', VpcPeeringConnectionId=s['pcx'])`);
    // Admitted by the list now, and routed from the peer's side, but not back from the server's.
    assert.ok(refused(await until('peer', s.serverUrl, served)), 'one side routing is not enough');
    await ec2(`ec2.create_route(RouteTableId=s['rt_servers'], DestinationCidrBlock='10.1.0.0/16', VpcPeeringConnectionId=s['pcx'])`);
    assert.ok(served(await until('peer', s.serverUrl, served)), 'both sides route to the connection');
    // The list without the clients' subnet: its rule no longer admits them.
    await ec2(`ec2.modify_managed_prefix_list(PrefixListId=s['pl'], RemoveEntries=[{'Cidr': '10.0.2.0/24'}])`);
    assert.ok(refused(await until('client', s.serverUrl, refused)), 'the list\'s rule follows the list');
    assert.ok(served(await get('peer', s.serverUrl)));
    // The connection deleted: its routes are blackholes, nothing crosses.
    await ec2(`ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=s['pcx'])`);
    assert.ok(refused(await until('peer', s.serverUrl, refused)), 'a deleted connection carries nothing');
  });

  it('lets a private instance out through the NAT gateway, from its Elastic IP, only with the route, and not while its zone is down', async () => {
    const url = 'http://203.0.113.10:8000/';
    assert.ok(refused(await get('client', url)), 'no route to the NAT gateway: no egress');
    await ec2(`ec2.create_route(RouteTableId=s['rt_clients'], DestinationCidrBlock='0.0.0.0/0', NatGatewayId=s['nat'])`);
    const ns = `${prefix}internet`;
    for (const deadline = Date.now() + 30_000; !(await listNamespaces(prefix)).includes(ns); ) {
      assert.ok(Date.now() < deadline, 'the internet namespace is made once a VPC has egress');
      await new Promise((r) => setTimeout(r, 200));
    }
    internet = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', INTERNET_HOST], { stdio: 'ignore' });
    assert.equal(await until('client', url, (b) => !!b?.startsWith('from')), `from ${s.eip}`, 'the internet sees the NAT gateway\'s Elastic IP');
    // The gateway's zone fails (the client's zone does not): the single-NAT pitfall.
    const fault = await (await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'az', target: 'us-east-1b' }) })).json();
    assert.ok(refused(await until('client', url, refused)), 'no egress while the NAT gateway\'s zone is down');
    await fetch(`${fl.url}/_faultline/faults/${fault.faultId}/heal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(await until('client', url, (b) => !!b?.startsWith('from')), `from ${s.eip}`);
    await ec2(`ec2.delete_route(RouteTableId=s['rt_clients'], DestinationCidrBlock='0.0.0.0/0')`);
    assert.ok(refused(await until('client', url, refused)), 'the route gone, no egress');
    // Through the internet gateway instead, with an Elastic IP of its own: the internet sees that address.
    const own = await ec2(`eip = ec2.allocate_address(Domain='vpc')
ec2.associate_address(AllocationId=eip['AllocationId'], InstanceId=s['client'])
igw = ec2.describe_internet_gateways(Filters=[{'Name': 'attachment.vpc-id', 'Values': [s['a']]}])['InternetGateways'][0]['InternetGatewayId']
ec2.create_route(RouteTableId=s['rt_clients'], DestinationCidrBlock='0.0.0.0/0', GatewayId=igw)
out(eip['PublicIp'])`);
    assert.equal(await until('client', url, (b) => !!b?.startsWith('from')), `from ${own}`);
  });
});
