/**
 * The subnet and volume faults under the sandbox driver, seen from real processes: a disrupted
 * subnet's instance is cut off from its public IP and from another subnet while a neighbour in
 * its own subnet still reaches it, and all comes back after the heal; a write to a paused volume
 * blocks inside the instance and completes once the volume resumes, and a faultline stopped
 * while a volume is paused ends cleanly, its disks gone.
 *
 * Probes inside instances report on their console (GetConsoleOutput), which needs no network.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EC2Client, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { startFaultline, type Faultline } from '../harness.ts';
import { loopsLeftUnder, sandboxSkip, waitFor, waitGone } from '../sandbox-support.ts';

const SERVE = `mkdir -p /var/lib/app && echo served > /var/lib/app/index.html
cd /var/lib/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
`;

/** Prints `probe N reached|cut` on the console twice a second: whether `url` answers. */
const probe = (url: string) => `#!/bin/sh
cat > /tmp/probe.py <<'EOF'
import time, urllib.request
n = 0
while True:
    n += 1
    try:
        urllib.request.urlopen('${url}', timeout=1).read()
        r = 'reached'
    except Exception:
        r = 'cut'
    print(f'probe {n} {r}', flush=True)
    time.sleep(0.5)
EOF
nohup python3 /tmp/probe.py &
`;

/** Appends a number to a file on the root volume every 0.2 s, saying on the console before and after each write. */
const WRITER = `#!/bin/sh
mkdir -p /var/lib/app
cat > /tmp/writer.sh <<'EOF'
i=0
while true; do
  i=$((i+1))
  echo "writing $i"
  echo $i >> /var/lib/app/data.txt
  echo "wrote $i"
  sleep 0.2
done
EOF
nohup sh /tmp/writer.sh &
`;

describe('sandboxed faults: a disrupted subnet, a paused volume', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let ec2: EC2Client;
  let vpc: string;
  let group: string;
  let closed = false;

  const control = async (method: string, path: string, body?: unknown) =>
    (await fetch(fl.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json();
  const consoleLines = async (id: string) => Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString().split('\n');
  /** Waits (real time) until the console's lines satisfy `ok`; returns them. */
  async function waitConsole(id: string, ok: (lines: string[]) => boolean, what: string, timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = await consoleLines(id);
      if (ok(lines)) return lines;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${id}: ${what} did not happen within ${timeoutMs} ms; console ends with:\n${lines.slice(-10).join('\n')}`);
  }
  const probes = (lines: string[]) =>
    lines.map((l) => /^probe (\d+) (reached|cut)$/.exec(l)).flatMap((m) => (m ? [{ n: Number(m[1]), r: m[2] }] : []));
  const lastProbe = (lines: string[]) => probes(lines).at(-1);

  /** Waits until a write blocks: the console says `writing N` and nothing more for 2 s (real time); returns N. */
  async function blockedWrite(id: string): Promise<number> {
    const deadline = Date.now() + 30_000;
    let held: { line: string; since: number } | undefined;
    while (Date.now() < deadline) {
      const last = (await consoleLines(id)).filter(Boolean).at(-1) ?? '';
      const m = /^writing (\d+)$/.exec(last);
      if (!m) held = undefined;
      else if (held?.line !== last) held = { line: last, since: Date.now() };
      else if (Date.now() - held.since >= 2_000) return Number(m[1]);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${id}: no write blocked on the paused volume within 30 s`);
  }

  async function launch(subnet: string, userData: string, publicIp = false) {
    const r = await fl.aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', subnet, '--security-group-ids', group, '--user-data', userData, ...(publicIp ? ['--associate-public-ip-address'] : []));
    return r.Instances[0] as { InstanceId: string; PrivateIpAddress: string };
  }

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    ec2 = new EC2Client({ ...fl.sdk, maxAttempts: 1 });
    vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    group = (await fl.aws('ec2', 'create-security-group', '--group-name', 'web', '--description', 'web', '--vpc-id', vpc)).GroupId;
    await fl.aws('ec2', 'authorize-security-group-ingress', '--group-id', group, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
  });
  after(async () => {
    ec2?.destroy();
    if (!closed) await fl?.close();
  });

  it('cuts a disrupted subnet off from its public IP and from other subnets, not within itself, until the heal', async () => {
    const subnetA = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    const subnetB = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.2.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    const server = await launch(subnetA, `#!/bin/sh\n${SERVE}`, true);
    const url = `http://${server.PrivateIpAddress}:8080/index.html`;
    const neighbour = await launch(subnetA, probe(url));
    const outsider = await launch(subnetB, probe(url));
    fl.advance(60);
    const publicIp = (await fl.aws('ec2', 'describe-instances', '--instance-ids', server.InstanceId)).Reservations[0].Instances[0].PublicIpAddress;
    await waitFor(`http://${publicIp}:8080/index.html`);
    await waitConsole(neighbour.InstanceId, (l) => lastProbe(l)?.r === 'reached', 'reaching the server from its subnet');
    await waitConsole(outsider.InstanceId, (l) => lastProbe(l)?.r === 'reached', 'reaching the server from another subnet');

    const fault = await control('POST', '/_faultline/faults', { kind: 'subnet', target: subnetA });
    await waitGone(`http://${publicIp}:8080/index.html`);
    await waitConsole(outsider.InstanceId, (l) => lastProbe(l)?.r === 'cut', 'the cut, from another subnet');
    // The neighbour keeps reaching it: three probes in a row after the cut was seen.
    const seen = lastProbe(await consoleLines(neighbour.InstanceId))!.n;
    const lines = await waitConsole(neighbour.InstanceId, (l) => lastProbe(l)!.n >= seen + 3, 'three more probes');
    assert.deepEqual(probes(lines).filter((p) => p.n > seen).map((p) => p.r), probes(lines).filter((p) => p.n > seen).map(() => 'reached'));
    // EC2 sees nothing wrong, as on AWS (once the checks have initialised, 120 s after the start).
    fl.advance(120);
    const status = (await fl.aws('ec2', 'describe-instance-status', '--instance-ids', server.InstanceId)).InstanceStatuses[0];
    assert.deepEqual([status.SystemStatus.Status, status.InstanceStatus.Status], ['ok', 'ok']);

    await control('POST', `/_faultline/faults/${fault.faultId}/heal`);
    await waitFor(`http://${publicIp}:8080/index.html`);
    await waitConsole(outsider.InstanceId, (l) => lastProbe(l)?.r === 'reached', 'reaching the server again after the heal');
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', server.InstanceId, neighbour.InstanceId, outsider.InstanceId);
  });

  it('blocks a write to a paused volume inside the instance and completes it after the resume', async () => {
    const subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.3.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    const { InstanceId: id } = await launch(subnet, WRITER);
    fl.advance(60);
    const volumeId = (await fl.aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId;
    await waitConsole(id, (l) => l.includes('wrote 3'), 'the first writes');

    const fault = await control('POST', '/_faultline/faults', { kind: 'volume', target: volumeId });
    const pending = await blockedWrite(id);
    assert.ok(!(await consoleLines(id)).includes(`wrote ${pending}`));

    await control('POST', `/_faultline/faults/${fault.faultId}/heal`);
    const lines = await waitConsole(id, (l) => l.includes(`wrote ${pending + 1}`), 'the writes completing after the resume');
    assert.ok(lines.includes(`wrote ${pending}`));

    // Paused again, and faultline stops meanwhile: it thaws the disk, so everything ends and goes.
    await control('POST', '/_faultline/faults', { kind: 'volume', target: volumeId });
    await blockedWrite(id);
    closed = true;
    await fl.close();
    assert.deepEqual(await loopsLeftUnder(fl.dataDir), []);
  });
});
