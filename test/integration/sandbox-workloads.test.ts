/**
 * The chapter's workloads under the sandbox driver, through the AWS CLI on a manual clock:
 * recovery after a host failure (same Elastic IP, EBS data intact, /tmp gone), an image that
 * carries the data into a new instance, the elastic-IP exercise (metadata + associate-address
 * from inside the instance with its instance profile), two VPCs with the same CIDR side by side,
 * and escape attempts from inside a sandbox.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { readFileSync } from 'node:fs';
import { httpGet, sandboxSkip, waitFor, waitGone } from '../sandbox-support.ts';

/** The example's offline Jenkins stand-in: jobs under /var/lib/jenkins, on port 8080. */
const CI_STANDIN = readFileSync(new URL('../../examples/aws-in-action-ch11/ci-standin.sh', import.meta.url), 'utf8');

const SERVERS = `cat > /var/lib/cloud/scripts/per-boot/app.sh <<'EOS'
#!/bin/sh
cd /var/lib/app && nohup python3 -m http.server 8080 > /var/log/app.log 2>&1 &
cd / && nohup python3 -m http.server 8081 > /var/log/root.log 2>&1 &
EOS
chmod +x /var/lib/cloud/scripts/per-boot/app.sh
/var/lib/cloud/scripts/per-boot/app.sh
`;

const dataUserData = (marker: string) => `#!/bin/sh
mkdir -p /var/lib/app
echo "${marker}" > /var/lib/app/index.html
echo "job-1" > /var/lib/app/job.txt
echo scratch > /tmp/scratch.txt
${SERVERS}`;

describe('sandboxed workloads', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let vpcId: string;
  let subnetId: string;
  let sg: string;

  const control = async (path: string, body: unknown) => (await fetch(fl.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

  async function network(cidr = '10.0.0.0/16') {
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', cidr)).Vpc.VpcId;
    const subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', cidr.replace(/\.0\.0\/16$/, '.1.0/24'), '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    await fl.aws('ec2', 'modify-subnet-attribute', '--subnet-id', subnet, '--map-public-ip-on-launch');
    const group = (await fl.aws('ec2', 'create-security-group', '--group-name', `web-${vpc}`, '--description', 'web', '--vpc-id', vpc)).GroupId;
    await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', group, '--protocol', 'tcp', '--port', '8080-8081', '--cidr', '0.0.0.0/0');
    return { vpc, subnet, group };
  }

  async function launch(opts: { userData?: string; image?: string; subnet?: string; group?: string; extra?: string[] }) {
    const args = ['ec2', 'run-instances', '--image-id', opts.image ?? 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', opts.subnet ?? subnetId, '--security-group-ids', opts.group ?? sg, ...(opts.extra ?? [])];
    if (opts.userData) args.push('--user-data', opts.userData);
    const id = (await fl.aws(...args)).Instances[0].InstanceId as string;
    fl.advance(60);
    return id;
  }
  const describeInstance = async (id: string) => (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    ({ vpc: vpcId, subnet: subnetId, group: sg } = await network());
  });
  after(() => fl?.close());

  it('recovers onto another host: the same EIP serves the same EBS data, /tmp is gone', async () => {
    const id = await launch({ userData: dataUserData('recover-me') });
    const eip = await fl.aws('ec2', 'allocate-address', '--domain', 'vpc');
    await fl.aws('ec2', 'associate-address', '--instance-id', id, '--allocation-id', eip.AllocationId);
    await waitFor(`http://${eip.PublicIp}:8080/index.html`, (r) => r.body.includes('recover-me'));
    assert.equal((await waitFor(`http://${eip.PublicIp}:8081/tmp/scratch.txt`)).body, 'scratch\n');
    await fl.aws(
      'cloudwatch', 'put-metric-alarm', '--alarm-name', 'recover', '--namespace', 'AWS/EC2', '--metric-name', 'StatusCheckFailed_System',
      '--dimensions', `Name=InstanceId,Value=${id}`, '--statistic', 'Minimum', '--period', '60', '--evaluation-periods', '5',
      '--comparison-operator', 'GreaterThanThreshold', '--threshold', '0', '--alarm-actions', 'arn:aws:automate:us-east-1:ec2:recover',
    );
    fl.advance(240);
    await control('/_faultline/faults', { kind: 'host', instance: id });
    await waitGone(`http://${eip.PublicIp}:8080/index.html`);
    fl.advance(60);
    fl.advance(300);
    const after = await describeInstance(id);
    assert.equal(after.State.Name, 'running');
    assert.equal(after.PublicIpAddress, eip.PublicIp);
    const page = await waitFor(`http://${eip.PublicIp}:8080/index.html`, (r) => r.body.includes('recover-me'));
    assert.equal(page.body, 'recover-me\n');
    assert.equal((await waitFor(`http://${eip.PublicIp}:8080/job.txt`)).body, 'job-1\n');
    assert.equal((await waitFor(`http://${eip.PublicIp}:8081/tmp/scratch.txt`, (r) => r.status === 404)).status, 404);
    await fl.aws('cloudwatch', 'delete-alarms', '--alarm-names', 'recover');
    await control('/_faultline/faults/heal-all', {});
  });

  it('create-image carries the volume data into a new instance', async () => {
    const id = await launch({ userData: dataUserData('imaged') });
    const ip = (await describeInstance(id)).PublicIpAddress;
    await waitFor(`http://${ip}:8080/index.html`, (r) => r.body.includes('imaged'));
    const image = await fl.aws('ec2', 'create-image', '--instance-id', id, '--name', 'with-data');
    fl.advance(120);
    assert.equal((await fl.aws('ec2', 'describe-images', '--image-ids', image.ImageId)).Images[0].State, 'available');
    // No user data: the image's own per-boot script starts the server, on the image's data.
    const copy = await launch({ image: image.ImageId });
    const copyIp = (await describeInstance(copy)).PublicIpAddress;
    assert.equal((await waitFor(`http://${copyIp}:8080/job.txt`)).body, 'job-1\n');
    assert.equal((await waitFor(`http://${copyIp}:8081/tmp/scratch.txt`, (r) => r.status === 404)).status, 404);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', id, copy);
  });

  it('runs the elastic-IP exercise: metadata and associate-address from inside, with the instance profile', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await fl.aws('iam', 'create-role', '--role-name', 'eip-role', '--assume-role-policy-document', trust);
    await fl.aws('iam', 'put-role-policy', '--role-name', 'eip-role', '--policy-name', 'eip', '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:AssociateAddress', Resource: '*' }] }));
    await fl.aws('iam', 'create-instance-profile', '--instance-profile-name', 'eip-profile');
    await fl.aws('iam', 'add-role-to-instance-profile', '--instance-profile-name', 'eip-profile', '--role-name', 'eip-role');
    const eip = await fl.aws('ec2', 'allocate-address', '--domain', 'vpc');
    // As in multiaz-elasticip.json: the instance reads its id from the metadata service and associates the EIP itself.
    const userData = `#!/bin/bash -ex
INSTANCEID=$(curl -s -m 60 http://169.254.169.254/latest/meta-data/instance-id)
aws --region us-east-1 ec2 associate-address --instance-id $INSTANCEID --allocation-id ${eip.AllocationId}
mkdir -p /var/lib/app && echo "$INSTANCEID" > /var/lib/app/index.html
aws sts get-caller-identity --query Arn --output text > /var/lib/app/whoami.txt
${SERVERS}`;
    const id = await launch({ userData, extra: ['--iam-instance-profile', 'Name=eip-profile'] });
    const page = await waitFor(`http://${eip.PublicIp}:8080/index.html`, (r) => r.body.includes(id), 60_000);
    assert.equal(page.body.trim(), id);
    const who = await waitFor(`http://${eip.PublicIp}:8080/whoami.txt`);
    assert.match(who.body, new RegExp(`assumed-role/eip-role/${id}`));
    const addr = (await fl.aws('ec2', 'describe-addresses', '--allocation-ids', eip.AllocationId)).Addresses[0];
    assert.equal(addr.InstanceId, id);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
  });

  it('loses the data in an Auto Scaling replacement, which starts from the image', async () => {
    await fl.aws('autoscaling', 'create-launch-configuration', '--launch-configuration-name', 'ci-lc', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--security-groups', sg, '--user-data', CI_STANDIN, '--associate-public-ip-address');
    await fl.aws(
      'autoscaling', 'create-auto-scaling-group', '--auto-scaling-group-name', 'ci', '--launch-configuration-name', 'ci-lc', '--min-size', '1', '--max-size', '1',
      '--desired-capacity', '1', '--vpc-zone-identifier', subnetId, '--health-check-type', 'EC2', '--health-check-grace-period', '600', '--tags', 'Key=Name,Value=ci,PropagateAtLaunch=true',
    );
    fl.advance(1);
    fl.advance(60);
    const running = async () => (await fl.aws('ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=ci', 'Name=instance-state-code,Values=16')).Reservations.flatMap((r: { Instances: unknown[] }) => r.Instances);
    const [first] = await running();
    await waitFor(`http://${first.PublicIpAddress}:8080/api/json`, undefined, 60_000);
    const { request } = await import('node:http');
    await new Promise<void>((resolve, reject) => request(`http://${first.PublicIpAddress}:8080/createItem?name=job1`, { method: 'POST' }, (res) => res.resume().on('end', resolve)).on('error', reject).end('<project/>'));
    assert.deepEqual(JSON.parse((await waitFor(`http://${first.PublicIpAddress}:8080/api/json`)).body).jobs, [{ name: 'job1' }]);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', first.InstanceId);
    fl.advance(10);
    fl.advance(60);
    const [second] = await running();
    assert.notEqual(second.InstanceId, first.InstanceId);
    const jobs = JSON.parse((await waitFor(`http://${second.PublicIpAddress}:8080/api/json`, undefined, 60_000)).body).jobs;
    assert.deepEqual(jobs, [], 'the replacement starts from the original image: the job is gone');
    await fl.aws('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'ci', '--force-delete');
  });

  it('runs two VPCs with the same CIDR side by side, each instance on the same private address', async () => {
    const a = await network('10.0.0.0/16');
    const b = await network('10.0.0.0/16');
    const ia = await launch({ userData: dataUserData('vpc-a'), subnet: a.subnet, group: a.group });
    const ib = await launch({ userData: dataUserData('vpc-b'), subnet: b.subnet, group: b.group });
    const da = await describeInstance(ia);
    const db = await describeInstance(ib);
    assert.equal(da.PrivateIpAddress, db.PrivateIpAddress);
    assert.equal((await waitFor(`http://${da.PublicIpAddress}:8080/index.html`)).body, 'vpc-a\n');
    assert.equal((await waitFor(`http://${db.PublicIpAddress}:8080/index.html`)).body, 'vpc-b\n');
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', ia, ib);
  });

  it('keeps a sandboxed script from the host: files, writes outside its volumes, other addresses', async () => {
    const port = new URL(fl.url).port;
    const userData = `#!/bin/sh
mkdir -p /var/lib/app; R=/var/lib/app/escape.txt
try() { if sh -c "$2" >/dev/null 2>&1; then echo "ESCAPED $1" >> $R; else echo "denied $1" >> $R; fi; }
try read-host-file "cat ${process.cwd()}/package.json"
try read-host-shadow "grep -v '^root:\\*' /etc/shadow | grep -q ."
try write-usr "touch /usr/escape"
try remount-usr "mount -o remount,rw /usr"
try mount-proc "mount -t proc proc /mnt"
try see-host-pids "test -d /proc/$(pgrep -o -f 'node' || echo 999999)/cwd && ls /proc | grep -qx 2"
try reach-faultline-loopback "curl -s -m 2 http://127.0.0.1:${port}/_faultline/health"
try reach-public-pool "curl -s -m 2 http://127.100.0.1:8080/"
try reach-outside "curl -s -m 2 http://192.0.2.1/"
echo done >> $R
${SERVERS}`;
    const id = await launch({ userData });
    const ip = (await describeInstance(id)).PublicIpAddress;
    const report = await waitFor(`http://${ip}:8080/escape.txt`, (r) => r.body.includes('done'), 60_000);
    assert.doesNotMatch(report.body, /ESCAPED/, report.body);
    assert.equal(report.body.split('\n').filter((l) => l.startsWith('denied')).length, 9, report.body);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
    fl.advance(60);
    await fl.app.driver.settle();
    assert.equal(await httpGet(`http://${ip}:8080/escape.txt`, 500), undefined);
    void vpcId;
  });
});
