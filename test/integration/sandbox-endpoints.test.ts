/**
 * The sandbox driver, first steps through the AWS CLI: an instance runs its user data as a real
 * process on its VPC address, reachable through its public IP and its Elastic IP, with its real
 * console output; a security group that does not open a port blocks it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultline, type Faultline } from '../harness.ts';
import { httpGet, sandboxSkip, waitFor, waitGone } from '../sandbox-support.ts';

export const WEB_USER_DATA = `#!/bin/sh
mkdir -p /var/lib/app
echo "hello from $(hostname)" > /var/lib/app/index.html
echo scratch > /tmp/scratch.txt
cat > /var/lib/cloud/scripts/per-boot/app.sh <<'EOS'
#!/bin/sh
cd /var/lib/app && nohup python3 -m http.server 8080 > /var/log/app.log 2>&1 &
EOS
chmod +x /var/lib/cloud/scripts/per-boot/app.sh
/var/lib/cloud/scripts/per-boot/app.sh
echo user data done
`;

describe('sandboxed instances: user data, public and Elastic IPs, security groups', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let subnetId: string;
  let sgOpen: string;
  let sgClosed: string;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    subnetId = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    await fl.aws('ec2', 'modify-subnet-attribute', '--subnet-id', subnetId, '--map-public-ip-on-launch');
    sgOpen = (await fl.aws('ec2', 'create-security-group', '--group-name', 'web', '--description', 'web', '--vpc-id', vpc)).GroupId;
    await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', sgOpen, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    sgClosed = (await fl.aws('ec2', 'create-security-group', '--group-name', 'ssh-only', '--description', 'ssh', '--vpc-id', vpc)).GroupId;
    await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', sgClosed, '--protocol', 'tcp', '--port', '22', '--cidr', '0.0.0.0/0');
  });
  after(() => fl?.close());

  async function launch(sg: string): Promise<{ id: string; publicIp: string }> {
    const r = await fl.aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', subnetId, '--security-group-ids', sg, '--user-data', WEB_USER_DATA);
    const id = r.Instances[0].InstanceId;
    fl.advance(60);
    const d = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
    assert.equal(d.State.Name, 'running');
    return { id, publicIp: d.PublicIpAddress };
  }

  it('serves the user data page on the public IP, then on the Elastic IP, with real console output', async () => {
    const { id, publicIp } = await launch(sgOpen);
    assert.match(publicIp, /^127\.100\./);
    const page = await waitFor(`http://${publicIp}:8080/index.html`);
    assert.match(page.body, /^hello from ip-10-0-1-\d+$/m);

    const eip = await fl.aws('ec2', 'allocate-address', '--domain', 'vpc');
    await fl.aws('ec2', 'associate-address', '--instance-id', id, '--allocation-id', eip.AllocationId);
    await waitFor(`http://${eip.PublicIp}:8080/index.html`);
    await waitGone(`http://${publicIp}:8080/index.html`); // the automatic public IP was released at once

    await fl.aws('ec2', 'disassociate-address', '--public-ip', eip.PublicIp);
    await waitGone(`http://${eip.PublicIp}:8080/index.html`);

    const out = await fl.aws('ec2', 'get-console-output', '--instance-id', id);
    const text = out.Output as string;
    assert.match(text, /running user data/);
    assert.match(text, /user data done/);
    await fl.aws('ec2', 'release-address', '--allocation-id', eip.AllocationId);
  });

  it('does not forward a port that the security group does not open', async () => {
    const { id, publicIp } = await launch(sgClosed);
    // The server runs (the console says so), but nothing reaches it from outside.
    const deadline = Date.now() + 20_000;
    let text = '';
    while (Date.now() < deadline && !/user data done/.test(text)) {
      text = (await fl.aws('ec2', 'get-console-output', '--instance-id', id)).Output ?? '';
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.match(text, /user data done/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await httpGet(`http://${publicIp}:8080/index.html`, 1000), undefined);
    // Opening the port takes effect at once.
    await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', sgClosed, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    await waitFor(`http://${publicIp}:8080/index.html`);
  });
});
