/**
 * A DB instance's endpoint inside its VPC (sandbox driver): instances resolve the endpoint's name
 * through the VPC's resolver to the private address of the instance's interface in the primary's
 * subnet, and `psql` inside an instance whose group the DB's security group admits connects by
 * that name and writes; an instance that the group does not admit, and one in another VPC (with
 * the same CIDR), cannot connect; the endpoint's address opens no other port, and the engine's
 * host address is out of reach. After the primary's zone fails and the instance fails over on the
 * manual clock, the name answers an address in the new primary's subnet and the same instance
 * reads its rows again; a network ACL on that subnet that denies the clients' subnet keeps it out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { httpGet, sandboxSkip, waitFor } from '../sandbox-support.ts';
import { BOTO3_PRELUDE } from '../boto3-prelude.ts';
import { COLL, type DBInstanceRecord } from '../../src/services/rds/state.ts';

const PASSWORD = 'Secret-pass1';

/**
 * User data: on port 8080, `GET /psql?host=H&sql=S` runs `psql` against H as the master user and
 * answers `rc`, then its output; `GET /resolve?name=N` answers the addresses N resolves to;
 * `GET /connect?host=H&port=P` tries a TCP connection for 3 s and says how it went.
 */
const CLIENT = `#!/bin/sh
mkdir -p /var/lib/app
cat > /var/lib/app/app.py <<'EOF'
import http.server, os, socket, subprocess, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == '/psql':
            env = dict(os.environ, PGPASSWORD='${PASSWORD}', PGCONNECT_TIMEOUT='3')
            p = subprocess.run(['psql', '-h', q['host'], '-U', 'app', '-d', 'shop', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', q['sql']], env=env, capture_output=True, text=True)
            body = '%d\\n%s%s' % (p.returncode, p.stdout, p.stderr)
        elif u.path == '/resolve':
            try:
                body = ' '.join(sorted({a[4][0] for a in socket.getaddrinfo(q['name'], 5432, socket.AF_INET)}))
            except OSError as e:
                body = 'error %s' % e
        elif u.path == '/connect':
            try:
                socket.create_connection((q['host'], int(q['port'])), timeout=3).close()
                body = 'connected'
            except socket.timeout:
                body = 'timeout'
            except OSError as e:
                body = 'error %s' % os.strerror(e.errno)
        else:
            body = 'ready'
        b = body.encode()
        self.send_response(200)
        self.send_header('content-length', str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('', 8080), H).serve_forever()
EOF
nohup python3 /var/lib/app/app.py > /var/log/app.log 2>&1 &
`;

describe('RDS endpoints inside the VPC (sandbox driver)', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let setup: { allowed: string; denied: string; foreign: string; subnets: Record<string, string> };
  /** The public addresses of the client instances, by name. */
  const ips: Record<string, string> = {};

  const ask = async (who: string, path: string) => (await httpGet(`http://${ips[who]}:8080${path}`, 20_000))?.body ?? 'no answer';
  const psqlIn = (who: string, host: string, sql: string) => ask(who, `/psql?host=${encodeURIComponent(host)}&sql=${encodeURIComponent(sql)}`);
  const describeDb = async () => (await fl.aws('rds', 'describe-db-instances', '--db-instance-identifier', 'orders')).DBInstances[0];
  /** The endpoint's interface, as DescribeNetworkInterfaces shows it. */
  const dbInterface = async () => (await fl.aws('ec2', 'describe-network-interfaces', '--filters', 'Name=description,Values=RDSNetworkInterface')).NetworkInterfaces;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    setup = await fl.python(`${BOTO3_PRELUDE}
ec2 = boto3.client('ec2', config=no_retry); rds = boto3.client('rds', config=no_retry)
def vpc_with(cidrs):
    vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
    subnets = {}
    for zone, cidr in cidrs.items():
        s = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone='us-east-1' + zone)['Subnet']['SubnetId']
        ec2.modify_subnet_attribute(SubnetId=s, MapPublicIpOnLaunch={'Value': True})
        subnets[zone] = s
    return vpc, subnets
def group(vpc, name):
    g = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)['GroupId']
    ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 8080, 'ToPort': 8080, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
    return g
vpc, subnets = vpc_with({'a': '10.0.1.0/24', 'b': '10.0.2.0/24', 'c': '10.0.3.0/24'})
web, other = group(vpc, 'web'), group(vpc, 'other')
db = ec2.create_security_group(GroupName='db', Description='db', VpcId=vpc)['GroupId']
ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 5432, 'ToPort': 5432, 'UserIdGroupPairs': [{'GroupId': web}]}])
rds.create_db_subnet_group(DBSubnetGroupName='db', DBSubnetGroupDescription='db', SubnetIds=[subnets['a'], subnets['b']])
rds.create_db_instance(DBInstanceIdentifier='orders', Engine='postgres', DBInstanceClass='db.t3.micro', MasterUsername='app', MasterUserPassword='${PASSWORD}',
    DBName='shop', AllocatedStorage=20, MultiAZ=True, DBSubnetGroupName='db', VpcSecurityGroupIds=[db], BackupRetentionPeriod=0)
def launch(subnet, g):
    return ec2.run_instances(ImageId='ami-1ecae776', InstanceType='t2.micro', MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[g], UserData=${JSON.stringify(CLIENT)})['Instances'][0]['InstanceId']
# Another VPC with the same CIDR, its instance open to everything.
vpc2, subnets2 = vpc_with({'c': '10.0.3.0/24'})
anything = ec2.create_security_group(GroupName='anything', Description='anything', VpcId=vpc2)['GroupId']
ec2.authorize_security_group_ingress(GroupId=anything, IpPermissions=[{'IpProtocol': '-1', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
print(json.dumps({'allowed': launch(subnets['c'], web), 'denied': launch(subnets['c'], other), 'foreign': launch(subnets2['c'], anything), 'subnets': subnets}))
`);
    fl.advance(300);
    const reservations = (await fl.aws('ec2', 'describe-instances', '--instance-ids', setup.allowed, setup.denied, setup.foreign)).Reservations;
    for (const r of reservations) for (const i of r.Instances) ips[Object.entries(setup).find(([, id]) => id === i.InstanceId)![0]] = i.PublicIpAddress;
    await Promise.all(Object.values(ips).map((ip) => waitFor(`http://${ip}:8080/`, (r) => r.body === 'ready', 90_000)));
  });
  after(() => fl?.close());

  it('lets the admitted instance write by the endpoint name, keeps out the others, and reads the rows again after a failover, behind the subnet\'s network ACL', async () => {
    const db = await describeDb();
    assert.equal(db.DBInstanceStatus, 'available');
    assert.equal(db.AvailabilityZone, 'us-east-1a');
    const name = db.Endpoint.Address as string;
    const [eni] = await dbInterface();
    assert.equal(eni.SubnetId, setup.subnets.a);
    assert.equal(eni.RequesterManaged, true);
    assert.deepEqual(eni.Groups.map((g: { GroupName: string }) => g.GroupName), ['db']);
    assert.equal(await ask('allowed', `/resolve?name=${name}`), eni.PrivateIpAddress, 'inside the VPC the name answers the private address');

    // The engine may still be starting when the instance first asks.
    let created = '';
    for (const deadline = Date.now() + 30_000; !created.startsWith('0\n') && Date.now() < deadline; ) {
      created = await psqlIn('allowed', name, 'CREATE TABLE rows (n int PRIMARY KEY)');
      if (!created.startsWith('0\n')) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(created, '0\nCREATE TABLE\n');
    assert.equal(await psqlIn('allowed', name, 'INSERT INTO rows SELECT generate_series(1, 50)'), '0\nINSERT 0 50\n');

    // Not admitted by the DB's group: no answer at all (dropped), as on AWS.
    assert.match(await psqlIn('denied', name, 'SELECT 1'), /^2\n.*timeout expired/s);
    // Another VPC: the name answers the host-side address, which no VPC reaches; the private address is nobody there.
    const engineIp = fl.app.env.store.get<DBInstanceRecord>(COLL.instances, { account: '000000000000', region: 'us-east-1' }, 'orders')!.endpointIp!;
    assert.equal(await ask('foreign', `/resolve?name=${name}`), engineIp);
    assert.match(await psqlIn('foreign', name, 'SELECT 1'), /^2\n/);
    assert.match(await psqlIn('foreign', eni.PrivateIpAddress, 'SELECT 1'), /^2\n/);
    // The admitted instance reaches the engine's port at the endpoint's address, and nothing else.
    for (const port of [22, 80, 8080]) assert.equal(await ask('allowed', `/connect?host=${eni.PrivateIpAddress}&port=${port}`), 'timeout', `port ${port}`);
    assert.notEqual(await ask('allowed', `/connect?host=${engineIp}&port=5432`), 'connected');

    // The primary's zone fails: on the manual clock, the standby in us-east-1b takes over behind the same name.
    const fault = await fetch(`${fl.url}/_faultline/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'az', target: 'us-east-1a' }) });
    assert.equal(fault.status, 201, await fault.text());
    fl.advance(10);
    assert.equal((await describeDb()).DBInstanceStatus, 'rebooting');
    fl.advance(75);
    const after = await describeDb();
    assert.equal(after.DBInstanceStatus, 'available');
    assert.equal(after.AvailabilityZone, 'us-east-1b');
    const [moved] = await dbInterface();
    assert.equal(moved.SubnetId, setup.subnets.b);
    assert.equal(await ask('allowed', `/resolve?name=${name}`), moved.PrivateIpAddress);
    let rows = '';
    for (const deadline = Date.now() + 30_000; rows !== '0\n50\n' && Date.now() < deadline; ) {
      rows = await psqlIn('allowed', name, 'SELECT count(*) FROM rows');
      if (rows !== '0\n50\n') await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(rows, '0\n50\n', 'every committed row, through the same name');
    assert.match(await psqlIn('denied', name, 'SELECT 1'), /^2\n.*timeout expired/s);

    // The network ACL of the endpoint's subnet applies too: denying the clients' subnet keeps the admitted instance out.
    await fl.python(`${BOTO3_PRELUDE}
ec2 = boto3.client('ec2', config=no_retry)
subnet = ec2.describe_subnets(SubnetIds=['${setup.subnets.b}'])['Subnets'][0]
acl = ec2.create_network_acl(VpcId=subnet['VpcId'])['NetworkAcl']['NetworkAclId']
ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol='6', RuleAction='deny', Egress=False, CidrBlock='10.0.3.0/24', PortRange={'From': 5432, 'To': 5432})
for egress in (False, True):
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Protocol='-1', RuleAction='allow', Egress=egress, CidrBlock='0.0.0.0/0')
current = ec2.describe_network_acls(Filters=[{'Name': 'association.subnet-id', 'Values': [subnet['SubnetId']]}])['NetworkAcls'][0]
association = next(a for a in current['Associations'] if a['SubnetId'] == subnet['SubnetId'])['NetworkAclAssociationId']
ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
`);
    // The driver applies the new ACL on its next pass, after the call answered.
    let answer = '';
    for (const deadline = Date.now() + 30_000; !/^2\n.*timeout expired/s.test(answer) && Date.now() < deadline; ) answer = await psqlIn('allowed', name, 'SELECT 1');
    assert.match(answer, /^2\n.*timeout expired/s);
  });
});
