/**
 * A sandboxed instance runs the escape-attempt suite (test/security/escape-attempts.py) against
 * its own confinement, as its user data, and reports each attempt on its console: kernel
 * settings, /proc, /sys, /dev, capabilities, mounts and namespaces, keyrings, host processes,
 * paths and network, and the process and disk limits of its instance type and volume. Every
 * attempt must be confined; the host must hold no more of the volume than its size.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { startFaultline, type Faultline } from '../harness.ts';
import { sandboxSkip } from '../sandbox-support.ts';
import { pidsMax } from '../../src/runtime/cgroups.ts';
import { run } from '../../src/runtime/exec.ts';

const SUITE = readFileSync(new URL('../security/escape-attempts.py', import.meta.url), 'utf8');
const T2_MICRO_MIB = 1024;

describe('sandbox confinement', { skip: sandboxSkip }, () => {
  let fl: Faultline;
  let host: Server;

  before(async () => {
    fl = await startFaultline({ driver: 'sandbox' });
    // The host's side of the network attempt: a port on its loopback only.
    host = createServer((s) => s.destroy());
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    host?.close();
    await fl?.close();
  });

  /** Runs the suite as the user data of an instance in `subnet`; returns its console output and the instance's id, every attempt confined. */
  async function runSuite(subnet: string, opts: { egress: boolean; publicIp: boolean }): Promise<{ output: string; id: string }> {
    const hostAddresses = ['127.0.0.1', ...Object.values(networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address))];
    const port = (host.address() as { port: number }).port;
    const values: [string, string][] = [
      ['FORK_BOUND', String(pidsMax(T2_MICRO_MIB) + 50)],
      ['HOST_ADDRESSES', JSON.stringify(hostAddresses)],
      ['HOST_PORT', String(port)],
      ['HOST_PATHS', JSON.stringify([fl.dataDir, process.cwd()])],
      ['EGRESS', opts.egress ? 'True' : 'False'],
    ];
    let suite = SUITE;
    for (const [name, value] of values) {
      const line = new RegExp(`^${name} = .*$`, 'm');
      assert.match(suite, line, `the suite sets ${name}`);
      suite = suite.replace(line, `${name} = ${value}`);
    }
    const id = (
      await fl.aws(
        'ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--user-data', suite,
        '--network-interfaces', JSON.stringify([{ DeviceIndex: 0, SubnetId: subnet, AssociatePublicIpAddress: opts.publicIp }]),
        '--block-device-mappings', JSON.stringify([{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 1, DeleteOnTermination: true } }]),
      )
    ).Instances[0].InstanceId as string;
    fl.advance(60);

    let output = '';
    const deadline = Date.now() + 180_000;
    while (!/^DONE /m.test(output) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      output = (await fl.aws('ec2', 'get-console-output', '--instance-id', id)).Output ?? '';
    }
    assert.match(output, /^DONE \d+ attempts/m, `the suite did not finish:\n${output}`);
    const lines = output.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
    const total = Number(/^DONE (\d+) attempts/m.exec(output)![1]);
    assert.equal(lines.length, total, output);
    assert.ok(total >= 30, `only ${total} attempts ran:\n${output}`);
    assert.deepEqual(lines.filter((l) => l.startsWith('FAIL')), [], output);
    return { output, id };
  }

  it('confines every escape attempt, and holds the instance to its process limit and its volume to its size', async () => {
    const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    const subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    const { output, id } = await runSuite(subnet, { egress: false, publicIp: false });

    // The process limit is the instance type's: the forks stopped below it.
    const forks = /^PASS fork past the process limit .*: (\d+) forks succeeded, then .*EAGAIN/m.exec(output);
    assert.ok(forks && Number(forks[1]) < pidsMax(T2_MICRO_MIB), output);

    // The 1 GiB volume filled up inside, and holds no more than that on the host.
    const fill = /^PASS write past the size .*: No space left on device \(ENOSPC\) after (\d+) MiB/m.exec(output);
    assert.ok(fill && Number(fill[1]) <= 1024, output);
    const volumeId = (await fl.aws('ec2', 'describe-volumes', '--filters', `Name=attachment.instance-id,Values=${id}`, 'Name=attachment.device,Values=/dev/sdf')).Volumes[0].VolumeId;
    // -x: the image file, not again the files of the disk mounted from it.
    const du = await run('du', ['-sx', '--block-size=1M', join(fl.dataDir, 'runtime', 'volumes', volumeId)]);
    const hostMiB = Number(du.stdout.split(/\s/)[0]);
    assert.ok(hostMiB >= Number(fill![1]) && hostMiB <= 1024 + 64, `the 1 GiB volume takes ${hostMiB} MiB of host disk`);

    assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), corePattern);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
  });

  it('confines an instance with internet egress too: its way out leads to the internet namespace, never to the host', async () => {
    const vpc = (await fl.aws('ec2', 'create-vpc', '--cidr-block', '10.1.0.0/16')).Vpc.VpcId;
    const subnet = (await fl.aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.1.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
    const igw = (await fl.aws('ec2', 'create-internet-gateway')).InternetGateway.InternetGatewayId;
    await fl.aws('ec2', 'attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpc);
    const table = (await fl.aws('ec2', 'create-route-table', '--vpc-id', vpc)).RouteTable.RouteTableId;
    await fl.aws('ec2', 'create-route', '--route-table-id', table, '--destination-cidr-block', '0.0.0.0/0', '--gateway-id', igw);
    await fl.aws('ec2', 'associate-route-table', '--route-table-id', table, '--subnet-id', subnet);
    const { output, id } = await runSuite(subnet, { egress: true, publicIp: true });
    // The host's other addresses were refused by the internet namespace (the egress path is live), not connected.
    assert.match(output, /^PASS connect to the host: .*ECONNREFUSED\) \(the internet namespace\)/m, output);
    await fl.aws('ec2', 'terminate-instances', '--instance-ids', id);
  });
});
